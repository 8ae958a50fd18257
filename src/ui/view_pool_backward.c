/* View of the "pool_backward" scene kind (lesson/scene_pool_backward.h): the
 * forward row input → MaxPool2d / ReLU → output, and under each tensor its
 * gradient, ∂L/∂out flowing back right to left. MaxPool2d: the argmax cells
 * gold with an outline (lesson 7's colour), ∂L/∂x gold where a gradient
 * arrived and faded where it is 0. ReLU: the cells where x ≤ 0 faded in the
 * input and in ∂L/∂x (no gradient passes there). Drawing only.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson/scene_pool_backward.h"
#include "ui/error_explain.h"
#include "ui/view_gradrow.h"

#define MAX_CELL 64.0f
#define GAP 200.0f  // room for "MaxPool2d(3, 1)" over the arrow

static uint8_t mark_in[64 * 64], dim_in[64 * 64], mark_dx[64 * 64], dim_dx[64 * 64];

static void outline(Panel *p, int r, int c) {
    if (p->n_outline < GR_MAX_OUTLINES) { p->oy[p->n_outline] = r; p->ox[p->n_outline] = c; p->n_outline++; }
}

// Gold argmax cells (all windows) and the focus window on the input; gold/faded ∂L/∂x.
static void mark_maxpool(ViewCtx *v, const Scene *sc, const PoolBackScene *e, Panel *p, Panel *q) {
    int H = sc->input.rows, W = sc->input.cols, n = sc->output.rows * sc->output.cols;
    for (int i = 0; i < n; i++) mark_in[sc->indices[i]] = 2;
    for (int i = 0; i < H * W; i++) { mark_dx[i] = mark_in[i]; dim_dx[i] = !mark_in[i]; }
    p[0].mark = mark_in, q[0].mark = mark_dx, q[0].dim = dim_dx;
    p[0].mark_fill = q[0].mark_fill = v->th->argmax;
    if (e->cell_r < 0) return;
    const Pool2dConfig *c = &sc->pool;
    p[0].window = (Rect){(float)(e->cell_c * c->stride_w), (float)(e->cell_r * c->stride_h), (float)c->kernel_w, (float)c->kernel_h};
    outline(&p[0], e->arg_r, e->arg_c);
    outline(&q[0], e->arg_r, e->arg_c);
    outline(&p[1], e->cell_r, e->cell_c);
    outline(&q[1], e->cell_r, e->cell_c);
}

// ReLU: x > 0 tinted, x <= 0 faded in the input and in ∂L/∂x.
static void mark_relu(const Scene *sc, const PoolBackScene *e, Panel *p, Panel *q) {
    int n = sc->input.rows * sc->input.cols;
    for (int i = 0; i < n; i++) { mark_in[i] = sc->input.v[i] > 0; dim_in[i] = !mark_in[i]; dim_dx[i] = dim_in[i]; }
    p[0].mark = mark_in, q[0].dim = dim_dx;
    if (e->cell_r < 0) return;
    for (int i = 0; i < 2; i++) { outline(&p[i], e->cell_r, e->cell_c); outline(&q[i], e->cell_r, e->cell_c); }
}

static void draw_pool_backward(ViewCtx *v, const Scene *sc) {
    const PoolBackScene *e = sc->ext;
    const Theme *th = v->th;
    if (!e) return;
    if (e->error[0]) {
        char body[1024];
        format_pytorch_error(body, sizeof body, v->lang, e->error);
        view_message(v, gradrow_tr(v, "\xE2\x9A\xA0 PyTorch raises an error", "\xE2\x9A\xA0 PyTorch \xE6\x8A\xA5\xE9\x94\x99"), body, th->error);
        return;
    }
    char ln[4][96], op[64];
    Panel p[2], q[2];
    memset(p, 0, sizeof p), memset(q, 0, sizeof q);
    memset(mark_in, 0, sizeof mark_in), memset(dim_in, 0, sizeof dim_in), memset(mark_dx, 0, sizeof mark_dx), memset(dim_dx, 0, sizeof dim_dx);
    p[0].g = &sc->input, p[1].g = &sc->output, q[0].g = &e->dinput, q[1].g = &e->dout;
    gradrow_role(v, &p[0], HIT_INPUT), gradrow_role(v, &q[0], HIT_INPUT);
    gradrow_role(v, &p[1], HIT_OUTPUT), gradrow_role(v, &q[1], HIT_OUTPUT);
    p[0].n_visible = p[1].n_visible = q[0].n_visible = q[1].n_visible = -1;
    snprintf(ln[0], sizeof ln[0], "%s x %d\xC3\x97%d", gradrow_tr(v, "input", "\xE8\xBE\x93\xE5\x85\xA5"), sc->input.rows, sc->input.cols);
    snprintf(ln[1], sizeof ln[1], "%s %d\xC3\x97%d", gradrow_tr(v, "output", "\xE8\xBE\x93\xE5\x87\xBA"), sc->output.rows, sc->output.cols);
    snprintf(ln[2], sizeof ln[2], "\xE2\x88\x82L/\xE2\x88\x82x %d\xC3\x97%d", e->dinput.rows, e->dinput.cols);
    snprintf(ln[3], sizeof ln[3], "\xE2\x88\x82L/\xE2\x88\x82out %d\xC3\x97%d", e->dout.rows, e->dout.cols);
    p[0].label = ln[0], p[1].label = ln[1], q[0].label = ln[2], q[1].label = ln[3];
    if (e->op == PB_MAXPOOL) mark_maxpool(v, sc, e, p, q);
    else mark_relu(sc, e, p, q);
    Rect a = v->area;
    float row_h = (a.h - 24) / 2;
    gradrow_layout(v, p, 2, (Rect){a.x, a.y, a.w, row_h}, GAP, MAX_CELL);
    float y2 = floorf(a.y + row_h + 24 + th->font_body * 1.3f + 10) + 0.25f;
    gradrow_place_under(&q[0], &p[0], y2);
    gradrow_place_under(&q[1], &p[1], y2);
    q[0].spec.mark_fill = q[0].mark_fill; // gold for the argmax
    gradrow_draw(v, p, 2);
    gradrow_draw(v, q, 2);
    if (e->op == PB_MAXPOOL)
        snprintf(op, sizeof op, "MaxPool2d(%d, %d)", sc->pool.kernel_h, sc->pool.stride_h);
    else
        snprintf(op, sizeof op, "ReLU");
    gradrow_arrow(v, &p[0], &p[1], op, th->text_muted);
    gradrow_arrow(v, &q[1], &q[0], gradrow_tr(v, "backward", "\xE5\x8F\x8D\xE5\x90\x91\xE4\xBC\xA0\xE6\x92\xAD"), th->text_muted);
    // gold also needs its outline (colour is never the only carrier of meaning)
    if (e->op == PB_MAXPOOL)
        for (int k = 0; k < 2; k++) {
            const Panel *g = k ? &q[0] : &p[0];
            for (int i = 0; i < sc->input.rows * sc->input.cols; i++)
                if (mark_in[i] == 2)
                    draw_rect_outline(v->c, grid_cell_rect(&g->spec, i / sc->input.cols, i % sc->input.cols), th->line_thick, th->argmax_outline);
        }
}

static const SceneView VIEW_POOL_BACKWARD = {"pool_backward", draw_pool_backward, false};
SCENE_VIEW_REGISTER(VIEW_POOL_BACKWARD)
