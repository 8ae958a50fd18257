/* View of the "params" scene kind (lesson/scene_params.h): each output's
 * weights as a small grid over the input — a Linear layer's all different
 * (one colour per weight), a convolution's the same few kernel numbers at a
 * moving place with zeros elsewhere — and the two parameter counts, large.
 * When the grids are too many to draw (a real picture), the counts and the
 * shapes alone, with bars on a log scale.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson/scene_params.h"
#include "ui/view.h"

static const char *const TRV[][2] = {
    {"Linear (fully connected)", "Linear（全连接层）"},
    {"Conv2d (convolution)", "Conv2d（卷积层）"},
    {"parameters", "个参数"},
    {"parameter", "个参数"},
    {"output", "输出"},
    {"outputs", "个输出"},
    {"input", "输入"},
    {"numbers", "个数"},
    {"each output has its own weights", "每个输出都有自己的权重"},
    {"every output reuses the same kernel", "每个输出都重复使用同一个卷积核"},
    {"times more", "倍"},
};

static const char *trv(ViewCtx *v, const char *s) {
    if (v->lang == LANG_ZH)
        for (size_t i = 0; i < sizeof TRV / sizeof TRV[0]; i++)
            if (strcmp(TRV[i][0], s) == 0) return TRV[i][1];
    return ui_tr(v->lang, s);
}

static TextStyle style(ViewCtx *v, float size, Rgba col, bool bold, TextAlign align) {
    TextStyle st = text_style(v->c, size, col);
    st.bold = bold;
    st.align = align;
    return st;
}

// m small n x n grids of `w` in a block of about `cols` columns inside r; returns the rect used.
static Rect mini_grids(ViewCtx *v, Rect r, const float *w, int m, int n, bool diverging, float max_cell) {
    const Theme *th = v->th;
    int cols = (int)ceilf(sqrtf((float)m)), rows = (m + cols - 1) / cols;
    float gap = m > 1 ? 12 : 0;
    float cell = fminf(max_cell, fminf((r.w - gap * (float)(cols - 1)) / (float)(cols * n), (r.h - gap * (float)(rows - 1)) / (float)(rows * n)));
    float bw = (float)(cols * n) * cell + gap * (float)(cols - 1), bh = (float)(rows * n) * cell + gap * (float)(rows - 1);
    float x0 = r.x + (r.w - bw) / 2, y0 = r.y + (r.h - bh) / 2;
    static uint8_t mark[64];
    for (int o = 0; o < m; o++) {
        GridSpec g = grid_spec(w + (size_t)o * n * n, n, n, x0 + (float)(o % cols) * ((float)n * cell + gap),
                               y0 + (float)(o / cols) * ((float)n * cell + gap), cell, th->kernel);
        if (diverging) { // a Linear layer's weights: every one its own colour, no numbers
            g.heat = HEAT_DIVERGING;
            g.lo = -1;
            g.hi = 1;
            g.values = false;
        } else { // the convolution's: kernel numbers where the window is, empty zeros elsewhere
            g.heat = HEAT_NONE;
            g.fill = th->empty_cell;
            for (int i = 0; i < n * n && i < 64; i++) mark[i] = g.v[i] != 0;
            g.mark = mark;
            g.mark_fill = th->kernel_cell;
            Grid tmp = {n, n, (float *)g.v};
            g.decimals = grid_decimals(&tmp);
        }
        widget_grid(v->c, &g);
    }
    return (Rect){x0, y0, bw, bh};
}

// "144 parameters" (or "1 parameter"): a count is of parameters, weights and
// biases alike (conv1's 608 = 8·(3·5·5) weights + 8 biases).
static void fmt_param_count(ViewCtx *v, char *buf, size_t n, long count) {
    char num[32];
    fmt_thousands(num, sizeof num, count);
    snprintf(buf, n, "%s %s", num, trv(v, count == 1 ? "parameter" : "parameters"));
}

// "144 parameters" large, with the formula under it.
static void big_count(ViewCtx *v, float cx, float y, long count, const char *sub) {
    const Theme *th = v->th;
    char buf[96];
    fmt_param_count(v, buf, sizeof buf, count);
    draw_text(v->c, cx, y, buf, style(v, th->font_title * 1.15f, th->kernel, true, ALIGN_CENTER));
    if (sub) draw_text(v->c, cx, y + th->font_title * 1.6f, sub, style(v, th->font_body, th->text_muted, false, ALIGN_CENTER));
}

static void draw_small(ViewCtx *v, const Scene *sc, const ParamsScene *e) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    Rect a = v->area;
    char buf[160];
    int n = e->n, m = (int)e->fc_out;
    float count_h = th->font_title * 1.6f + th->font_body * 2.4f;
    if (e->mode == 0) {
        // input -> one weight grid per output -> outputs
        float cell = fminf(56, a.w * 0.22f / (float)n);
        static float ones[64];
        for (int i = 0; i < 64; i++) ones[i] = 0;
        // x: room for the label above
        GridSpec in = grid_spec(ones, n, n, a.x + 70, a.y + (a.h - count_h - (float)n * cell) / 2, cell, th->input);
        in.fill = th->input_cell;
        in.values = false;
        widget_grid(c, &in);
        snprintf(buf, sizeof buf, "%s %d\xC3\x97%d = %ld %s", trv(v, "input"), n, n, e->fc_in, trv(v, "numbers"));
        widget_label_above(c, grid_rect(&in), buf, th->input, th->font_body);
        float mx = in.x + (float)n * cell + 50, mw = a.w - (mx - a.x) - 140;
        Rect blk = mini_grids(v, (Rect){mx, a.y + th->font_body * 2, mw, a.h - count_h - th->font_body * 3}, e->fc_w, m, n, true, 56);
        widget_label_above(c, blk, trv(v, "each output has its own weights"), th->kernel, th->font_body);
        // what the weights' colours mean (the grids' range, -1 .. 1)
        float bar_w = fminf(blk.w, 220);
        widget_colour_bar(c, (Rect){blk.x + (blk.w - bar_w) / 2, blk.y + blk.h + 10, bar_w, 10}, HEAT_DIVERGING, -1, 1, 0);
        draw_arrow(c, in.x + (float)n * cell + 8, in.y + (float)n * cell / 2, blk.x - 8, in.y + (float)n * cell / 2, th->line_thick, 12, th->text_muted);
        // outputs: a column of m cells
        float oc = fminf(40, blk.h / (float)m), ox = blk.x + blk.w + 60, oy = blk.y + (blk.h - oc * (float)m) / 2;
        for (int o = 0; o < m; o++) {
            Rect r = {ox, oy + (float)o * oc, oc, oc};
            draw_fill_rect(c, r, th->output_cell);
            draw_rect_outline(c, r, 1.5f, th->output);
        }
        snprintf(buf, sizeof buf, "%d %s", m, trv(v, m == 1 ? "output" : "outputs"));
        widget_label_above(c, (Rect){ox - 40, oy, oc + 80, oc * (float)m}, buf, th->output, th->font_body);
        draw_arrow(c, blk.x + blk.w + 8, blk.y + blk.h / 2, ox - 6, blk.y + blk.h / 2, th->line_thick, 12, th->text_muted);
        snprintf(buf, sizeof buf, "%ld \xC3\x97 %d", e->fc_in, m);
        big_count(v, a.x + a.w / 2, a.y + a.h - count_h, e->fc_params, buf);
        return;
    }
    // Linear | Conv2d, the same outputs from the same input
    // gh leaves room under the grids for the Linear weights' colour bar (both sides, one cell size)
    float colw = (a.w - 40) / 2, top = a.y + th->font_body * 3.6f, gh = a.h - count_h - th->font_body * 4.4f - 34;
    for (int side = 0; side < 2; side++) {
        float x = a.x + (float)side * (colw + 40);
        const char *title = trv(v, side == 0 ? "Linear (fully connected)" : "Conv2d (convolution)");
        draw_text(c, x + colw / 2, a.y, title, style(v, th->font_body * 1.15f, th->text, true, ALIGN_CENTER));
        const char *sub = trv(v, side == 0 ? "each output has its own weights" : "every output reuses the same kernel");
        draw_text(c, x + colw / 2, a.y + th->font_body * 1.6f, sub, style(v, th->font_body * 0.9f, th->text_muted, false, ALIGN_CENTER));
        Rect blk = mini_grids(v, (Rect){x, top, colw, gh}, side == 0 ? e->fc_w : e->conv_w, m, n, side == 0, 40);
        if (side == 0) { // what the weights' colours mean (the grids' range, -1 .. 1)
            float bar_w = fminf(blk.w, 220);
            widget_colour_bar(c, (Rect){blk.x + (blk.w - bar_w) / 2, blk.y + blk.h + 10, bar_w, 10}, HEAT_DIVERGING, -1, 1, 0);
        }
        if (side == 0) snprintf(buf, sizeof buf, "%ld \xC3\x97 %d", e->fc_in, m);
        else snprintf(buf, sizeof buf, "%d \xC3\x97 %d", e->f, e->f);
        big_count(v, x + colw / 2, a.y + a.h - count_h, side == 0 ? e->fc_params : e->conv_params, buf);
    }
    draw_line(c, a.x + colw + 20, a.y + 10, a.x + colw + 20, a.y + a.h - 10, 1.5f, th->panel_border);
    (void)sc;
}

// A real picture: the counts and shapes, with log-scale bars.
static void draw_large(ViewCtx *v, const Scene *sc, const ParamsScene *e) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    Rect a = v->area;
    char buf[200], n1[32], n2[32];
    bool pic = (sc->show & SHOW_IMAGE) && sc->image_index >= 0;
    float y = a.y + fmaxf(10, (a.h - (pic ? 128 + th->font_body * 2.2f : 0) - th->font_body * 14) / 2);
    if (pic) {
        view_picture(v, sc, (Rect){a.x + a.w / 2 - 64, y, 128, 128}, (Rect){0, 0, 0, 0});
        y += 128 + th->font_body * 2.2f;
    }
    fmt_thousands(n1, sizeof n1, e->fc_in);
    fmt_thousands(n2, sizeof n2, e->fc_out);
    snprintf(buf, sizeof buf, "%s %d\xC3\x97%d\xC3\x97%d = %s  \xE2\x86\x92  %s %d\xC3\x97%d\xC3\x97%d = %s", trv(v, "input"),
             e->cfg.in_channels, e->n, e->n, n1, trv(v, "output"), e->cfg.out_channels, e->OH, e->OW, n2);
    draw_text(c, a.x + a.w / 2, y, buf, style(v, th->font_body * 1.1f, th->text, true, ALIGN_CENTER));
    y += th->font_body * 2.6f;
    long counts[2] = {e->fc_params, e->conv_params};
    const char *names[2] = {"Linear (fully connected)", "Conv2d (convolution)"};
    float maxlog = log10f((float)(counts[0] > counts[1] ? counts[0] : counts[1]) + 1);
    float bar_x = a.x + 20, bar_wmax = a.w - 40, bh = th->font_body * 2.2f;
    for (int i = 0; i < 2; i++) {
        draw_text(c, bar_x, y, trv(v, names[i]), style(v, th->font_body, th->text, true, ALIGN_LEFT));
        y += th->font_body * 1.5f;
        float w = bar_wmax * log10f((float)counts[i] + 1) / fmaxf(maxlog, 1);
        draw_fill_round_rect(c, (Rect){bar_x, y, w, bh}, 6, th->kernel_cell);
        draw_rect_outline(c, (Rect){bar_x, y, w, bh}, 2, th->kernel);
        fmt_param_count(v, buf, sizeof buf, counts[i]);
        TextStyle st = style(v, th->font_body * 1.2f, th->text, true, ALIGN_LEFT);
        st.vcenter = true;
        draw_text(c, bar_x + 12, y + bh / 2, buf, st);
        y += bh + th->font_body * 1.2f;
    }
    fmt_thousands(n1, sizeof n1, lround((double)e->fc_params / (double)(e->conv_params > 0 ? e->conv_params : 1)));
    if (v->lang == LANG_ZH) snprintf(buf, sizeof buf, "全连接层的参数多 %s 倍", n1);
    else snprintf(buf, sizeof buf, "%s\xC3\x97 more parameters in the Linear layer", n1);
    draw_text(c, a.x + a.w / 2, y + 6, buf, style(v, th->font_title, th->kernel, true, ALIGN_CENTER));
    draw_text(c, a.x + a.w - 20, y + th->font_title * 1.8f, v->lang == LANG_ZH ? "对数刻度" : "log scale", style(v, th->font_small, th->text_muted, false, ALIGN_RIGHT));
}

static void draw_params_view(ViewCtx *v, const Scene *sc) {
    const ParamsScene *e = sc->ext;
    if (!e) return;
    if (e->drawable) draw_small(v, sc, e);
    else draw_large(v, sc, e);
}

static const SceneView VIEW_PARAMS = {"params", draw_params_view, false};
SCENE_VIEW_REGISTER(VIEW_PARAMS)
