/* View of the "conv_transpose" scene kind (lesson/scene_conv_transpose.h):
 * the small input (blue) on the left, the kernel (orange), and an arrow
 * pointing right to the larger output (green), drawn as the full result with
 * the cells that padding crops faded and hatched and the real output framed.
 * A stamp shows one input cell's scaled copy of the kernel landing in the
 * output; a window shows which input cells and weights one output cell sums.
 * An invalid setting shows PyTorch's message in place of the output.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson/scene_conv_transpose.h"
#include "ui/error_explain.h"
#include "ui/view_gradrow.h"

#define MAX_CELL 64.0f
#define GAP 110.0f

static uint8_t mark_in[64 * 64], mark_k[64 * 64], mark_out[64 * 64], dim_out[64 * 64];

// The error box in the output's place: PyTorch's message, wrapped, from x to the area's right edge.
static void draw_error(ViewCtx *v, float x, float y_mid, const char *msg) {
    const Theme *th = v->th;
    Rect r = {x, 0, v->area.x + v->area.w - x - 8, 0};
    TextStyle hs = text_style(v->c, th->font_body, th->error), bs = text_style(v->c, th->font_body, th->text);
    hs.bold = true;
    const char *head = gradrow_tr(v, "\xE2\x9A\xA0 PyTorch raises an error", "\xE2\x9A\xA0 PyTorch \xE6\x8A\xA5\xE9\x94\x99");
    char m[1024];
    format_pytorch_error(m, sizeof m, v->lang, strncmp(msg, "ConvTranspose2d: ", 17) == 0 ? msg + 17 : msg);
    float hh = draw_text_wrapped(v->c, 0, 0, r.w - 32, head, hs, 1.3f, false);
    float bh = draw_text_wrapped(v->c, 0, 0, r.w - 32, m, bs, 1.35f, false);
    r.h = hh + bh + 40;
    r.y = fmaxf(v->area.y + 8, y_mid - r.h / 2);
    draw_fill_round_rect(v->c, r, 10, th->panel);
    draw_rect_outline(v->c, r, 3, th->error);
    draw_text_wrapped(v->c, r.x + 16, r.y + 14, r.w - 32, head, hs, 1.3f, true);
    draw_text_wrapped(v->c, r.x + 16, r.y + 24 + hh, r.w - 32, m, bs, 1.35f, true);
}

// Marks for a stamp (its input cell, the kernel, its footprint) or a window (the cells of its sum).
static void mark_focus(const Scene *sc, const ConvTransposeScene *e, Panel p[3]) {
    const ConvTranspose2dConfig *c = &e->cfg;
    int W = sc->input.cols, FW = e->full.cols, KW = sc->kernel.cols;
    memset(mark_in, 0, sizeof mark_in), memset(mark_k, 0, sizeof mark_k), memset(mark_out, 0, sizeof mark_out);
    if (e->stamp_r >= 0) {
        p[0].oy[0] = e->stamp_r, p[0].ox[0] = e->stamp_c, p[0].n_outline = 1;
        for (int i = 0; i < sc->kernel.rows * KW; i++) mark_k[i] = 1;
        for (int ky = 0; ky < c->kernel_h; ky++)
            for (int kx = 0; kx < c->kernel_w; kx++)
                mark_out[(e->stamp_r * c->stride_h + ky * c->dilation_h) * FW + e->stamp_c * c->stride_w + kx * c->dilation_w] = 1;
        for (int i = 0; i < e->n_stamped - 1; i++) mark_in[i] = 1; // the cells that stamped before
    }
    if (sc->win_oy >= 0) {
        for (int t = 0; t < e->n_terms; t++) {
            mark_in[e->iy[t] * W + e->ix[t]] = 1;
            mark_k[e->ky[t] * KW + e->kx[t]] = 1;
        }
        p[2].oy[0] = sc->win_oy + c->pad_h, p[2].ox[0] = sc->win_ox + c->pad_w, p[2].n_outline = 1;
    }
    p[0].mark = mark_in, p[1].mark = mark_k, p[2].mark = mark_out;
}

// The real output framed inside the full result, the output_padding rows/columns dashed, and
// notes under the grid saying what is faded and what output_padding kept.
static void draw_crop_and_notes(ViewCtx *v, const Scene *sc, const ConvTransposeScene *e, const Panel *out) {
    const Theme *th = v->th;
    const ConvTranspose2dConfig *c = &e->cfg;
    Rect orr = grid_rect(&out->spec);
    float cell = out->spec.cell, t = th->window_thick;
    Rect real = {orr.x + (float)c->pad_w * cell - t / 2, orr.y + (float)c->pad_h * cell - t / 2,
                 (float)sc->output.cols * cell + t, (float)sc->output.rows * cell + t};
    if (c->pad_h || c->pad_w) draw_rect_outline(v->c, real, t, th->output);
    // the last output_padding rows and columns of the output exist only because of it: dashed
    float bx = real.x + t / 2, by = real.y + t / 2, bw = real.w - t, bh = real.h - t;
    if (c->out_pad_h) {
        float y0 = by + bh - (float)c->out_pad_h * cell;
        draw_dashed_line(v->c, bx + 4, y0, bx + bw - 4, y0, th->line_thick, 8, th->output);
    }
    if (c->out_pad_w) {
        float x0 = bx + bw - (float)c->out_pad_w * cell;
        draw_dashed_line(v->c, x0, by + 4, x0, by + bh - 4, th->line_thick, 8, th->output);
    }
    // notes: what is faded, and what output_padding added
    char note[256] = "";
    int k = 0;
    if (c->pad_h || c->pad_w)
        k += snprintf(note, sizeof note, gradrow_tr(v, "hatched: cut off by padding = %d", "\xE6\x96\x9C\xE7\xBA\xBF\xE6\xA0\xBC\xEF\xBC\x9A\xE8\xA2\xAB padding = %d \xE8\xA3\x81\xE6\x8E\x89"), c->pad_h);
    if ((c->out_pad_h || c->out_pad_w) && k < (int)sizeof note)
        snprintf(note + k, sizeof note - (size_t)k, gradrow_tr(v, c->out_pad_h == 1 ? "%soutput_padding = %d: the last row and column (past the dashed lines) stay"
                                                                                     : "%soutput_padding = %d: the last %d rows and columns (past the dashed lines) stay",
                                                               "%soutput_padding = %d\xEF\xBC\x9A\xE8\x99\x9A\xE7\xBA\xBF\xE5\xA4\x96\xE7\x9A\x84\xE6\x9C\x80\xE5\x90\x8E %d \xE8\xA1\x8C\xE5\x92\x8C %d \xE5\x88\x97\xE8\xA2\xAB\xE4\xBF\x9D\xE7\x95\x99"),
                 k ? "\n" : "", c->out_pad_h, c->out_pad_h, c->out_pad_w); // zh: "最后 1 行和 1 列"
    if (note[0] && (c->pad_h || c->pad_w || c->out_pad_h || c->out_pad_w)) {
        // one line each across the whole area, right-aligned under the output (the space the layout kept)
        TextStyle st = text_style(v->c, th->font_body * 0.9f, th->text);
        float y = orr.y + orr.h + 8;
        for (char *line = note, *nl; line; line = nl ? nl + 1 : NULL) {
            nl = strchr(line, '\n');
            if (nl) *nl = 0;
            float w;
            text_measure(v->c, line, st.size, false, &w, NULL);
            float x = fminf(orr.x + orr.w - w, v->area.x + v->area.w - w - 8);
            draw_text(v->c, fmaxf(x, v->area.x + 8), y, line, st);
            y += th->font_body * 1.25f;
        }
    }
}

static void draw_conv_transpose(ViewCtx *v, const Scene *sc) {
    const ConvTransposeScene *e = sc->ext;
    const Theme *th = v->th;
    if (!e) return;
    const ConvTranspose2dConfig *c = &e->cfg;
    char ln[3][128];
    Panel p[3];
    memset(p, 0, sizeof p);
    Grid placeholder = {sc->input.rows * 2, sc->input.cols * 2, NULL}; // room for the error box
    p[0].g = &sc->input, p[1].g = &sc->kernel;
    p[2].g = e->error[0] ? &placeholder : e->partial.rows ? &e->partial : &e->full;
    gradrow_role(v, &p[0], HIT_INPUT);
    gradrow_role(v, &p[1], HIT_KERNEL);
    gradrow_role(v, &p[2], HIT_OUTPUT);
    p[0].n_visible = p[1].n_visible = p[2].n_visible = -1;
    snprintf(ln[0], sizeof ln[0], "%s %d\xC3\x97%d", gradrow_tr(v, "input", "\xE8\xBE\x93\xE5\x85\xA5"), sc->input.rows, sc->input.cols);
    snprintf(ln[1], sizeof ln[1], "%s %d\xC3\x97%d", gradrow_tr(v, "kernel", "\xE5\x8D\xB7\xE7\xA7\xAF\xE6\xA0\xB8"), sc->kernel.rows, sc->kernel.cols);
    if (e->error[0]) snprintf(ln[2], sizeof ln[2], "%s", gradrow_tr(v, "output", "\xE8\xBE\x93\xE5\x87\xBA"));
    else snprintf(ln[2], sizeof ln[2], "%s %d\xC3\x97%d", gradrow_tr(v, "output", "\xE8\xBE\x93\xE5\x87\xBA"), sc->output.rows, sc->output.cols);
    for (int i = 0; i < 3; i++) p[i].label = ln[i];
    p[2].gap_before = 200; // the arrow and its "ConvTranspose2d" label
    Rect area = v->area;
    area.h -= th->font_body * 3.2f; // room for the notes under the grids
    if (!e->error[0]) mark_focus(sc, e, p); // before the layout, which copies the marks into the grids
    gradrow_layout(v, p, 3, area, GAP, MAX_CELL);
    if (e->error[0]) { // input and kernel on the left, the error where the output would be
        Panel two[2] = {p[0], p[1]};
        gradrow_layout(v, two, 2, (Rect){area.x, area.y, area.w * 0.45f, area.h}, GAP * 0.6f, MAX_CELL);
        gradrow_draw(v, two, 2);
        gradrow_symbol(v, &two[0], &two[1], "\xC3\x97");
        Rect kr = grid_rect(&two[1].spec);
        draw_arrow(v->c, kr.x + kr.w + 10, kr.y + kr.h / 2, kr.x + kr.w + 50, kr.y + kr.h / 2, th->line_thick * 1.5f, 14, th->text_muted);
        draw_error(v, kr.x + kr.w + 60, kr.y + kr.h / 2, e->error);
        return;
    }
    // padding crops p cells off each side of the full result: faded, the real output framed
    int FH = p[2].g->rows, FW = p[2].g->cols;
    memset(dim_out, 0, sizeof dim_out);
    for (int y = 0; y < FH; y++)
        for (int x = 0; x < FW; x++)
            dim_out[y * FW + x] = y < c->pad_h || x < c->pad_w || y >= c->pad_h + sc->output.rows || x >= c->pad_w + sc->output.cols;
    p[2].dim = dim_out;
    if (e->stamp_r >= 0 && c->dilation_h == 1 && c->dilation_w == 1) {
        p[2].window = (Rect){(float)(e->stamp_c * c->stride_w), (float)(e->stamp_r * c->stride_h), (float)c->kernel_w, (float)c->kernel_h};
        const ConvTransposeScene *pe = v->prev && v->prev->kind == sc->kind ? v->prev->ext : NULL;
        if (pe && pe->stamp_r >= 0 && pe->full.rows == e->full.rows && pe->full.cols == e->full.cols && v->t < 1) {
            p[2].window_from = (Rect){(float)(pe->stamp_c * pe->cfg.stride_w), (float)(pe->stamp_r * pe->cfg.stride_h),
                                      p[2].window.w, p[2].window.h};
            p[2].t = v->t;
        }
    }
    gradrow_draw(v, p, 3);
    gradrow_symbol(v, &p[0], &p[1], "\xC3\x97");
    gradrow_arrow(v, &p[1], &p[2], "ConvTranspose2d", th->text_muted);
    draw_crop_and_notes(v, sc, e, &p[2]);
}

static const SceneView VIEW_CONV_TRANSPOSE = {"conv_transpose", draw_conv_transpose, false};
SCENE_VIEW_REGISTER(VIEW_CONV_TRANSPOSE)
