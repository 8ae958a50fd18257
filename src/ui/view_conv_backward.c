/* View of the "conv_backward" scene kind (lesson/scene_conv_backward.h).
 * forward, chain, fd, all: the forward row input ⊛ kernel → output, and
 * under each tensor its gradient (∂L/∂x, ∂L/∂k, ∂L/∂out), gradients flowing
 * right to left. dkernel: input ⊛ ∂L/∂out = ∂L/∂k. dinput: ∂L/∂out spread by
 * the stride and padded ⊛ the kernel rotated by 180° = ∂L/∂x. The focus
 * cell is outlined; the cells of its sum are tinted. Drawing only.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson/scene_conv_backward.h"
#include "ui/view_gradrow.h"

#define MAX_CELL 72.0f
#define GAP 70.0f
#define GAP_ROWS 104.0f  // the two-row layout: room for the "backward" arrow and its label

static uint8_t mark_a[64 * 64], mark_b[64 * 64], mark_c[64 * 64]; // (grid cells) tints of the three grids

static void outline(Panel *p, int r, int c) {
    if (p->n_outline < GR_MAX_OUTLINES) { p->oy[p->n_outline] = r; p->ox[p->n_outline] = c; p->n_outline++; }
}

static void name_grid(char *buf, size_t n, const char *name, const Grid *g) {
    snprintf(buf, n, "%s %d\xC3\x97%d", name, g->rows, g->cols);
}

// ---- two rows: the forward pass above, the gradients below ----------------------------------

// The finite-difference numbers in two lines under the rows (both computed by the engine).
static void draw_fd_lines(ViewCtx *v, const ConvBackScene *e, float y) {
    char a[160], b[160];
    snprintf(a, sizeof a, gradrow_tr(v, "k[%d,%d] + \xCE\xB5 (\xCE\xB5 = %g): the loss changes by %.6g",
                                     "k[%d,%d] + \xCE\xB5\xEF\xBC\x88\xCE\xB5 = %g\xEF\xBC\x89\xEF\xBC\x9A\xE6\x8D\x9F\xE5\xA4\xB1\xE5\x8F\x98\xE5\x8C\x96 %.6g"),
             e->cell_r, e->cell_c, (double)e->eps, (double)e->fd_change);
    snprintf(b, sizeof b, "\xCE\xB5 \xC2\xB7 \xE2\x88\x82L/\xE2\x88\x82k[%d,%d] = %g \xC2\xB7 %g = %.6g", e->cell_r, e->cell_c,
             (double)e->eps, (double)e->dkernel.v[e->cell_r * e->dkernel.cols + e->cell_c], (double)e->fd_predicted);
    TextStyle st = text_style(v->c, v->th->font_body * 1.1f, v->th->text);
    st.align = ALIGN_CENTER;
    st.bold = true;
    draw_text(v->c, v->area.x + v->area.w / 2, y, a, st);
    st.color = v->th->kernel;
    draw_text(v->c, v->area.x + v->area.w / 2, y + v->th->font_body * 1.6f, b, st);
}

static void draw_two_rows(ViewCtx *v, const Scene *sc, const ConvBackScene *e) {
    const Theme *th = v->th;
    char ln[6][96];
    Panel p[3], q[3];
    memset(p, 0, sizeof p);
    memset(q, 0, sizeof q);
    memset(mark_a, 0, sizeof mark_a);
    const Grid *row1[3] = {&sc->input, &sc->kernel, &sc->output};
    const Grid *row2[3] = {&e->dinput, &e->dkernel, &e->dout};
    const HitRole roles[3] = {HIT_INPUT, HIT_KERNEL, HIT_OUTPUT};
    const char *n1[3] = {gradrow_tr(v, "input x", "\xE8\xBE\x93\xE5\x85\xA5 x"), gradrow_tr(v, "kernel k", "\xE5\x8D\xB7\xE7\xA7\xAF\xE6\xA0\xB8 k"),
                         gradrow_tr(v, "output", "\xE8\xBE\x93\xE5\x87\xBA")};
    const char *n2[3] = {"\xE2\x88\x82L/\xE2\x88\x82x", "\xE2\x88\x82L/\xE2\x88\x82k", "\xE2\x88\x82L/\xE2\x88\x82out"};
    for (int i = 0; i < 3; i++) {
        p[i].g = row1[i], q[i].g = row2[i];
        gradrow_role(v, &p[i], roles[i]);
        gradrow_role(v, &q[i], roles[i]);
        p[i].n_visible = q[i].n_visible = -1;
        name_grid(ln[i], sizeof ln[i], n1[i], row1[i]);
        name_grid(ln[3 + i], sizeof ln[3 + i], n2[i], row2[i]);
        p[i].label = ln[i], q[i].label = ln[3 + i];
    }
    p[0].pad = sc->conv.pad_top;
    // which gradients this focus shows: forward only dL/dout; chain and fd also dL/dk
    bool show_dk = e->focus != CB_FORWARD, show_dx = e->focus == CB_ALL;
    if (e->focus == CB_CHAIN) {
        q[1].n_visible = 0;
        outline(&p[2], e->out_r, e->out_c);
        outline(&q[2], e->out_r, e->out_c);
        outline(&p[1], e->cell_r, e->cell_c);
        outline(&q[1], e->cell_r, e->cell_c);
        if (e->n_terms && e->by[0] >= 0 && e->by[0] < sc->input.rows && e->bx[0] >= 0 && e->bx[0] < sc->input.cols)
            outline(&p[0], e->by[0], e->bx[0]);
        int s = sc->conv.stride_h, pd = sc->conv.pad_top, d = sc->conv.dilation_h;
        for (int ky = 0; ky < sc->kernel.rows; ky++) // the window of out[r,c] on the input
            for (int kx = 0; kx < sc->kernel.cols; kx++) {
                int iy = e->out_r * s - pd + ky * d, ix = e->out_c * sc->conv.stride_w - sc->conv.pad_left + kx * sc->conv.dilation_w;
                if (iy >= 0 && ix >= 0 && iy < sc->input.rows && ix < sc->input.cols) mark_a[iy * sc->input.cols + ix] = 1;
            }
        p[0].mark = mark_a;
    }
    if (e->focus == CB_FD) {
        outline(&p[1], e->cell_r, e->cell_c);
        outline(&q[1], e->cell_r, e->cell_c);
    }
    Rect a = v->area;
    float fd_h = e->focus == CB_FD ? th->font_body * 3.6f : 0;
    float row_h = (a.h - fd_h - 24) / 2;
    gradrow_layout(v, p, 3, (Rect){a.x, a.y, a.w, row_h}, GAP_ROWS, MAX_CELL);
    float y2 = floorf(a.y + row_h + 24 + th->font_body * 1.3f + 10) + 0.25f;
    for (int i = 0; i < 3; i++) gradrow_place_under(&q[i], &p[i], y2 + (float)p[i].pad * p[i].spec.cell);
    Panel shown[3] = {q[0], q[1], q[2]};
    if (!show_dx) shown[0].g = NULL;
    if (!show_dk) shown[1].g = NULL;
    gradrow_draw(v, p, 3);
    gradrow_symbol(v, &p[0], &p[1], "\xE2\x8A\x9B");
    gradrow_symbol(v, &p[1], &p[2], "\xE2\x86\x92");
    gradrow_draw(v, shown, 3);
    // the backward direction: from dL/dout leftwards
    const Panel *from = &shown[2], *to = shown[1].g ? &shown[1] : shown[0].g ? &shown[0] : NULL;
    if (to) gradrow_arrow(v, from, to, gradrow_tr(v, "backward", "\xE5\x8F\x8D\xE5\x90\x91\xE4\xBC\xA0\xE6\x92\xAD"), th->text_muted);
    // no arrow from dL/dk to dL/dx: dL/dx comes from dL/dout and k (steps 5-6), not from dL/dk;
    // each gradient simply sits under its tensor
    if (e->focus == CB_FD) {
        Rect r2 = grid_rect(&q[2].spec);
        draw_fd_lines(v, e, fmaxf(r2.y + r2.h, grid_rect(&q[1].spec).y + grid_rect(&q[1].spec).h) + th->font_body * 0.8f);
    }
}

// ---- one row: a gradient as a convolution --------------------------------------------------

// input ⊛ dL/dout = dL/dk: the input cells of the focus cell's sum tinted.
static void draw_dkernel(ViewCtx *v, const Scene *sc, const ConvBackScene *e) {
    char ln[3][96];
    Panel p[3];
    memset(p, 0, sizeof p);
    memset(mark_a, 0, sizeof mark_a);
    memset(mark_b, 0, sizeof mark_b);
    p[0].g = &sc->input, p[1].g = &e->dout, p[2].g = &e->dkernel;
    gradrow_role(v, &p[0], HIT_INPUT);
    gradrow_role(v, &p[1], HIT_OUTPUT);
    gradrow_role(v, &p[2], HIT_KERNEL);
    p[0].pad = sc->conv.pad_top;
    p[0].n_visible = p[1].n_visible = -1;
    p[2].n_visible = e->cell_r * e->dkernel.cols + e->cell_c + 1;
    name_grid(ln[0], sizeof ln[0], gradrow_tr(v, "input x", "\xE8\xBE\x93\xE5\x85\xA5 x"), &sc->input);
    if (sc->conv.stride_h > 1)
        snprintf(ln[1], sizeof ln[1], gradrow_tr(v, "\xE2\x88\x82L/\xE2\x88\x82out, every %d cells", "\xE2\x88\x82L/\xE2\x88\x82out\xEF\xBC\x8C\xE6\xAF\x8F\xE9\x9A\x94 %d \xE6\xA0\xBC"),
                 sc->conv.stride_h);
    else name_grid(ln[1], sizeof ln[1], "\xE2\x88\x82L/\xE2\x88\x82out", &e->dout);
    name_grid(ln[2], sizeof ln[2], "\xE2\x88\x82L/\xE2\x88\x82k", &e->dkernel);
    for (int i = 0; i < 3; i++) p[i].label = ln[i];
    for (int t = 0; t < e->n_terms; t++) {
        if (e->by[t] >= 0 && e->bx[t] >= 0 && e->by[t] < sc->input.rows && e->bx[t] < sc->input.cols)
            mark_a[e->by[t] * sc->input.cols + e->bx[t]] = 1;
        mark_b[e->ay[t] * e->dout.cols + e->ax[t]] = 1;
    }
    p[0].mark = mark_a;
    p[1].mark = mark_b;
    outline(&p[2], e->cell_r, e->cell_c);
    gradrow_layout(v, p, 3, v->area, GAP, MAX_CELL);
    gradrow_draw(v, p, 3);
    gradrow_symbol(v, &p[0], &p[1], "\xE2\x8A\x9B");
    gradrow_symbol(v, &p[1], &p[2], "=");
    // the padding cells of the sum (zeros) outlined thin, so "padding adds nothing" is visible
    for (int t = 0; t < e->n_terms; t++)
        if (e->by[t] < 0 || e->bx[t] < 0 || e->by[t] >= sc->input.rows || e->bx[t] >= sc->input.cols)
            draw_rect_outline(v->c, grid_cell_rect(&p[0].spec, e->by[t], e->bx[t]), v->th->line_thick, v->th->kernel);
}

// dL/dout spread and padded ⊛ the flipped kernel = dL/dx, the window at the focus cell.
static void draw_dinput(ViewCtx *v, const Scene *sc, const ConvBackScene *e) {
    char ln[3][96];
    Panel p[3];
    memset(p, 0, sizeof p);
    memset(mark_a, 0, sizeof mark_a);
    memset(mark_b, 0, sizeof mark_b);
    memset(mark_c, 0, sizeof mark_c);
    p[0].g = &e->full, p[1].g = &e->kflip, p[2].g = &e->dinput;
    gradrow_role(v, &p[0], HIT_OUTPUT);
    gradrow_role(v, &p[1], HIT_KERNEL);
    gradrow_role(v, &p[2], HIT_INPUT);
    p[0].n_visible = p[1].n_visible = -1;
    p[2].n_visible = e->cell_r * e->dinput.cols + e->cell_c + 1;
    snprintf(ln[0], sizeof ln[0], "%s %d\xC3\x97%d", gradrow_tr(v, "\xE2\x88\x82L/\xE2\x88\x82out spread + padded", "\xE2\x88\x82L/\xE2\x88\x82out \xE5\xB1\x95\xE5\xBC\x80\xE5\xB9\xB6\xE8\xA1\xA5\xE9\x9B\xB6"),
             e->full.rows, e->full.cols);
    snprintf(ln[1], sizeof ln[1], "%s", gradrow_tr(v, "kernel rotated 180\xC2\xB0", "\xE5\x8D\xB7\xE7\xA7\xAF\xE6\xA0\xB8\xE6\x97\x8B\xE8\xBD\xAC 180\xC2\xB0"));
    name_grid(ln[2], sizeof ln[2], "\xE2\x88\x82L/\xE2\x88\x82x", &e->dinput);
    for (int i = 0; i < 3; i++) p[i].label = ln[i];
    int GW = e->full.cols, KH = sc->kernel.rows, KW = sc->kernel.cols;
    for (int i = 0; i < e->full.rows * GW; i++) mark_c[i] = !e->full_real[i]; // inserted zeros are faded
    for (int t = 0; t < e->n_terms; t++) {
        int y = e->full_off_y + e->ay[t] * sc->conv.stride_h, x = e->full_off_x + e->ax[t] * sc->conv.stride_w;
        if (y >= 0 && x >= 0 && y < e->full.rows && x < GW) mark_a[y * GW + x] = 1;
        mark_b[(KH - 1 - e->by[t]) * KW + (KW - 1 - e->bx[t])] = 1;
    }
    p[0].mark = mark_a;
    p[0].dim = mark_c;
    p[1].mark = mark_b;
    int dh = sc->conv.dilation_h, dw = sc->conv.dilation_w;
    p[0].window = (Rect){(float)e->cell_c, (float)e->cell_r, (float)(dw * (KW - 1) + 1), (float)(dh * (KH - 1) + 1)};
    const ConvBackScene *pe = v->prev && v->prev->kind == sc->kind ? v->prev->ext : NULL;
    if (pe && pe->focus == CB_DINPUT && pe->full.rows == e->full.rows && pe->full.cols == e->full.cols && v->t < 1) {
        p[0].window_from = (Rect){(float)pe->cell_c, (float)pe->cell_r, p[0].window.w, p[0].window.h};
        p[0].t = v->t;
    }
    outline(&p[2], e->cell_r, e->cell_c);
    gradrow_layout(v, p, 3, v->area, GAP, MAX_CELL);
    gradrow_draw(v, p, 3);
    gradrow_symbol(v, &p[0], &p[1], "\xE2\x8A\x9B");
    gradrow_symbol(v, &p[1], &p[2], "=");
}

static void draw_conv_backward(ViewCtx *v, const Scene *sc) {
    const ConvBackScene *e = sc->ext;
    if (!e || sc->output.rows == 0) return;
    if (e->focus == CB_DKERNEL) draw_dkernel(v, sc, e);
    else if (e->focus == CB_DINPUT) draw_dinput(v, sc, e);
    else draw_two_rows(v, sc, e);
}

static const SceneView VIEW_CONV_BACKWARD = {"conv_backward", draw_conv_backward, false};
SCENE_VIEW_REGISTER(VIEW_CONV_BACKWARD)
