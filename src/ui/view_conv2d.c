/* View of the "conv2d" scene kind (lesson/scene_conv2d.h), in three layouts:
 *   planes: one row per input channel — plane ⊛ kernel slice = Σ — and the
 *           sums plus the bias landing in one output cell;
 *   volume: the input volume with the filter's box in it and the output
 *           volume with the cell it makes (widget_volume: cglm projection);
 *   params: nn.Conv2d(...) as code, one input channel with the (dilated)
 *           window, input and output volumes, the parameter count, or the
 *           error PyTorch would raise for an invalid setting.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson/scene_conv2d.h"
#include "ui/error_explain.h"
#include "ui/view.h"

static const char *const RGB_NAMES[3] = {"R", "G", "B"};

// This view's own words in Chinese (the rest come from ui_tr).
static const char *const TRV[][2] = {
    {"PyTorch raises an error", "PyTorch 会报错"}, {"input channels", "输入通道"}, {"input channel", "输入通道"},
    {"channel", "通道"}, {"filter", "滤波器"}, {"filters", "个滤波器"}, {"sums", "各通道的和"},
    {"weights", "个权重"}, {"weight", "个权重"}, {" + 1 bias", " + 1 个偏置"}, {"output channel", "个输出通道"},
    {"output channels", "个输出通道"}, {"of", "共"}, {"bias", "偏置"}, {"weight", "权重"}, {"parameters", "参数"},
};

static const char *tr(ViewCtx *v, const char *s) {
    if (v->lang == LANG_ZH)
        for (size_t i = 0; i < sizeof TRV / sizeof TRV[0]; i++)
            if (strcmp(TRV[i][0], s) == 0) return TRV[i][1];
    return ui_tr(v->lang, s);
}

static TextStyle style(ViewCtx *v, float size, Rgba col, bool bold, TextAlign align, bool vcenter) {
    TextStyle st = text_style(v->c, size, col);
    st.bold = bold;
    st.align = align;
    st.vcenter = vcenter;
    return st;
}

// A plane of the input volume as a grid spec (heat gray for pixels, role fill for small integers).
static GridSpec plane_spec(ViewCtx *v, const Conv2dScene *e, int ch, float x, float y, float cell) {
    GridSpec g = grid_spec(e->in + (size_t)ch * e->H * e->W, e->H, e->W, x, y, cell, v->th->input);
    g.pad_t = g.pad_b = e->cfg.pad_top;
    g.pad_l = g.pad_r = e->cfg.pad_left;
    g.fill = v->th->input_cell;
    g.heat = e->from_image ? HEAT_GRAY : HEAT_NONE;
    g.lo = 0;
    g.hi = 255;
    Grid tmp = {e->H, e->W, (float *)g.v};
    g.decimals = grid_decimals(&tmp);
    return g;
}

// The input cells window (oy, ox) reads (dilation leaves gaps) into iy, ix; returns their count.
static int window_cells(const Conv2dConfig *c, int oy, int ox, int *iy, int *ix) {
    int y0 = oy * c->stride_h - c->pad_top, x0 = ox * c->stride_w - c->pad_left, n = 0;
    for (int ky = 0; ky < c->kernel_h; ky++)
        for (int kx = 0; kx < c->kernel_w && n < 81; kx++) {
            iy[n] = y0 + ky * c->dilation_h;
            ix[n++] = x0 + kx * c->dilation_w;
        }
    return n;
}

// Marks the input cells the current window reads and outlines the window's
// extent; while it slides from the previous position the tint of the cells
// fades over from the old ones to the new and the outline moves.
static void draw_window(ViewCtx *v, const Scene *sc, const Conv2dScene *e, const GridSpec *g) {
    if (sc->win_oy < 0) return;
    const Conv2dConfig *c = &e->cfg;
    int y0 = sc->win_oy * c->stride_h - c->pad_top, x0 = sc->win_ox * c->stride_w - c->pad_left;
    int iy[81], ix[81], n = window_cells(c, sc->win_oy, sc->win_ox, iy, ix); // kernel_size <= 9
    const Conv2dScene *pe = v->prev && v->prev->kind == sc->kind ? v->prev->ext : NULL;
    bool slides = pe && v->prev->win_oy >= 0 && v->t < 1 && pe->H == e->H && pe->W == e->W &&
                  pe->cfg.kernel_h == c->kernel_h && pe->cfg.dilation_h == c->dilation_h && pe->cfg.pad_top == c->pad_top;
    Rgba tint = v->th->kernel;
    tint.a = 70;
    if (slides) {
        int py[81], px[81], m = window_cells(&pe->cfg, v->prev->win_oy, v->prev->win_ox, py, px);
        view_tint_cells(v, g, py, px, m, tint, 1 - v->t);
    }
    view_tint_cells(v, g, iy, ix, n, tint, slides ? v->t : 1);
    Rgba edge = v->th->kernel;
    edge.a = (uint8_t)lrintf(255 * (slides ? v->t : 1));
    for (int i = 0; i < n; i++) draw_rect_outline(v->c, grid_cell_rect(g, iy[i], ix[i]), 2, edge);
    int span_h = c->dilation_h * (c->kernel_h - 1) + 1, span_w = c->dilation_w * (c->kernel_w - 1) + 1;
    Rect a = grid_cell_rect(g, y0, x0), b = grid_cell_rect(g, y0 + span_h - 1, x0 + span_w - 1);
    Rect wr = {a.x, a.y, b.x + b.w - a.x, b.y + b.h - a.y};
    if (slides) {
        int py = v->prev->win_oy * pe->cfg.stride_h - c->pad_top, px = v->prev->win_ox * pe->cfg.stride_w - c->pad_left;
        Rect pa = grid_cell_rect(g, py, px);
        wr = rect_lerp((Rect){pa.x, pa.y, wr.w, wr.h}, wr, v->t);
    }
    float t = v->th->window_thick;
    draw_rect_outline(v->c, (Rect){wr.x - t / 2, wr.y - t / 2, wr.w + t, wr.h + t}, t, v->th->kernel);
}

static GridSpec output_spec(ViewCtx *v, const Scene *sc, float x, float y, float cell) {
    GridSpec g = grid_spec(sc->output.v, sc->output.rows, sc->output.cols, x, y, cell, v->th->output);
    g.fill = v->th->output_cell;
    g.n_visible = sc->n_filled;
    g.decimals = grid_decimals(&sc->output);
    return g;
}

static void outline_cell(ViewCtx *v, const GridSpec *g, int r, int c, Rgba col) {
    Rect cr = grid_cell_rect(g, r, c);
    float t = v->th->window_thick;
    draw_rect_outline(v->c, (Rect){cr.x - t / 2, cr.y - t / 2, cr.w + t, cr.h + t}, t, col);
}

static void channel_name(const Conv2dScene *e, int ch, char *buf, size_t n) {
    if (e->from_image && e->C == 3) snprintf(buf, n, "%s", RGB_NAMES[ch]);
    else snprintf(buf, n, "%d", ch);
}

// ---- planes: R ⊛ slice → products → Σ, for G and B too, then + b -> output ----

// Sizes and column positions of the planes layout, shared by its parts. One
// cell size for the planes, the slices and the output, so the 3×3 window and
// its slice line up cell for cell; products (four characters) may get wider cells.
typedef struct {
    int n;                      // rows drawn: the filter's slices, at most 4
    int k, pw;                  // kernel size; padded plane size in cells
    bool prod;                  // a products column (show = products), dropped when the area is too narrow
    float head, row_gap;        // column-head height; gap between rows
    float cell;                 // the planes', slices' and output's cell size
    float pcell;                // the products' cells: wide enough for "−213" at 14 px
    float name_w, op_w;         // the channel names' column; a ⊛ / → column
    float sum_w, join_w, out_w; // the Σ box; the + junction's column; the output's width
    float x0, top;              // left edge; top of the first row
    float gx, kx, px, sx, ox;   // columns: planes, kernel slices, products, sums, output
} PlanesLayout;

// Column positions for the layout's cell size.
static void planes_columns(PlanesLayout *P, Rect a, float total) {
    P->x0 = a.x + fmaxf(0, (a.w - total) / 2);
    P->gx = P->x0 + P->name_w;
    P->kx = P->gx + (float)P->pw * P->cell + P->op_w;
    P->px = P->kx + (float)P->k * P->cell + P->op_w;
    P->sx = P->prod ? P->px + (float)P->k * P->pcell + P->op_w : P->px;
    P->ox = P->sx + P->sum_w + P->join_w;
}

// The cell size that fits the width and the height, or 0 if none.
static float planes_fit(PlanesLayout *P, Rect a, int out_cols, float right_extra, float *total) {
    const float pmin = 42; // "−213" at 14 px with air
    float fixed = P->name_w + P->op_w * (P->prod ? 3.0f : 2.0f) + P->sum_w + P->join_w + right_extra;
    float cells = (float)(P->pw + P->k + out_cols);
    float by_w = (a.w - fixed - (P->prod ? (float)P->k * pmin : 0)) / cells;
    float by_h = (a.h - P->head - P->row_gap * (float)(P->n - 1) - 10) / (float)(P->n * P->pw);
    P->cell = fmaxf(4, fminf(48, fminf(by_w, by_h)));
    P->pcell = P->prod ? fmaxf(P->cell, pmin) : P->cell;
    *total = fixed + cells * P->cell + (P->prod ? (float)P->k * P->pcell : 0);
    return P->cell;
}

// Cells as large as the area allows; narrow areas (800×600) get tighter
// columns and lose the products column before the numbers become unreadable.
static PlanesLayout planes_layout(ViewCtx *v, const Scene *sc, const Conv2dScene *e) {
    const Theme *th = v->th;
    Rect a = v->area;
    PlanesLayout P;
    memset(&P, 0, sizeof P);
    P.n = e->n_slices > 0 ? e->n_slices : (e->C < 3 ? e->C : 3);
    if (P.n > 4) P.n = 4;
    P.k = e->cfg.kernel_h, P.pw = e->H + 2 * e->cfg.pad_top;
    P.head = th->font_body * 1.6f;
    P.row_gap = 18;
    bool wide = a.w >= 640;
    P.name_w = wide ? 36 : 26, P.op_w = wide ? 34 : 24;
    P.sum_w = wide ? 84 : 68, P.join_w = wide ? 90 : 64;
    P.prod = (sc->show & SHOW_PRODUCTS) && e->weight;
    // the output's label may be wider than the grid: keep it inside the area
    char buf[64];
    float lw;
    snprintf(buf, sizeof buf, "%s %d\xC3\x97%d", tr(v, "output"), sc->output.rows, sc->output.cols);
    text_measure(v->c, buf, th->font_body, true, &lw, NULL);
    float total, extra = 0;
    for (int pass = 0; pass < 2; pass++) {
        planes_fit(&P, a, sc->output.cols, extra, &total);
        if (P.prod && P.cell < 26) { P.prod = false; planes_fit(&P, a, sc->output.cols, extra, &total); }
        extra = fmaxf(0, (lw - (float)sc->output.cols * P.cell) / 2);
    }
    P.out_w = (float)sc->output.cols * P.cell;
    P.top = a.y + P.head + fmaxf(0, (a.h - P.head - (float)(P.n * P.pw) * P.cell - P.row_gap * (float)(P.n - 1)) / 2);
    planes_columns(&P, a, total);
    return P;
}

static void draw_planes_heads(ViewCtx *v, const Scene *sc, const Conv2dScene *e, const PlanesLayout *P) {
    const Theme *th = v->th;
    char buf[128];
    float y = P->top - P->head;
    draw_text(v->c, P->gx + (float)P->pw * P->cell / 2, y, tr(v, "input channels"), style(v, th->font_body, th->input, true, ALIGN_CENTER, false));
    snprintf(buf, sizeof buf, "%s %d", tr(v, "filter"), e->filter);
    draw_text(v->c, P->kx + (float)P->k * P->cell / 2, y, buf, style(v, th->font_body, th->kernel, true, ALIGN_CENTER, false));
    if (sc->win_oy < 0) return;
    if (P->prod) draw_text(v->c, P->px + (float)P->k * P->pcell / 2, y, tr(v, "products"), style(v, th->font_body, th->text, true, ALIGN_CENTER, false));
    draw_text(v->c, P->sx + P->sum_w / 2, y, tr(v, "sums"), style(v, th->font_body, th->text, true, ALIGN_CENTER, false));
}

// The channel's own colour for an image's R, G, B (lighter on a dark theme,
// for contrast), else the input colour.
static Rgba channel_color(ViewCtx *v, const Conv2dScene *e, int j) {
    const Theme *th = v->th;
    if (!e->from_image) return th->input;
    Rgba chc = j == 0 ? (Rgba){200, 40, 40, 255} : j == 1 ? (Rgba){30, 140, 60, 255} : (Rgba){40, 80, 210, 255};
    if (rgba_luma(th->bg) < 0.5f) chc = rgba_mix(chc, (Rgba){255, 255, 255, 255}, 0.35f);
    return chc;
}

// "⊛ slice": the filter's kernel slice for row j, centred on the row's middle.
static void draw_kernel_slice(ViewCtx *v, const Conv2dScene *e, const PlanesLayout *P, int j, float mid) {
    const Theme *th = v->th;
    int k = P->k;
    draw_text(v->c, P->kx - P->op_w / 2, mid, "\xE2\x8A\x9B", style(v, th->font_title, th->text_muted, false, ALIGN_CENTER, true));
    Grid kgrid = {k, k, e->weight + ((size_t)e->filter * e->cfg.in_channels / e->cfg.groups + (size_t)j) * k * k};
    GridSpec kg = grid_spec(kgrid.v, k, k, P->kx, mid - (float)k * P->cell / 2, P->cell, th->kernel);
    kg.fill = th->kernel_cell;
    kg.decimals = grid_decimals(&kgrid);
    widget_grid(v->c, &kg);
    hitmap_add(v->hits, &kg, HIT_KERNEL, tr(v, "kernel"), 0, 0);
}

// "→ products →": the window's w·x of row j (the scene's numbers), whose sum is the Σ beside them.
static void draw_slice_products(ViewCtx *v, const Conv2dScene *e, const PlanesLayout *P, int j, float mid) {
    const Theme *th = v->th;
    int k = P->k;
    draw_arrow(v->c, P->px - P->op_w + 6, mid, P->px - 6, mid, th->line_thick, 9, th->text_muted);
    Grid pg = {k, k, (float *)e->products[j]};
    GridSpec ps = grid_spec(pg.v, k, k, P->px, mid - (float)k * P->pcell / 2, P->pcell, th->text_muted);
    ps.fill = th->panel;
    ps.decimals = grid_decimals(&pg);
    widget_grid(v->c, &ps);
    hitmap_add(v->hits, &ps, HIT_OTHER, tr(v, "products"), 0, 0);
}

// "= Σ 145" (or "→ Σ 145" after the products): the window's sum over row j's plane, from the scene.
static void draw_slice_sum(ViewCtx *v, const Conv2dScene *e, const PlanesLayout *P, int j, float mid) {
    const Theme *th = v->th;
    char buf[128], num[32];
    float x0 = P->sx - P->op_w;
    if (P->prod) draw_arrow(v->c, x0 + 6, mid, P->sx - 6, mid, th->line_thick, 9, th->text_muted);
    else draw_text(v->c, x0 + P->op_w / 2, mid, "=", style(v, th->font_title, th->text_muted, false, ALIGN_CENTER, true));
    Rect box = {P->sx, mid - 24, P->sum_w, 48};
    draw_fill_round_rect(v->c, box, 8, th->panel);
    draw_rect_outline(v->c, box, 2, th->input);
    scene_fmt(num, sizeof num, e->slice_sum[j], fabsf(e->slice_sum[j] - roundf(e->slice_sum[j])) > 1e-4f ? 2 : 0);
    snprintf(buf, sizeof buf, "\xCE\xA3 %s", num);
    float fs = fminf(th->font_body * 1.1f, P->sum_w / 4.2f);
    draw_text(v->c, P->sx + P->sum_w / 2, mid, buf, style(v, fs, th->text, true, ALIGN_CENTER, true));
}

// Row j: the channel's name, its plane with the window, and (with weights)
// the kernel slice, the products and the window's sum; returns the row's middle y.
static float draw_plane_row(ViewCtx *v, const Scene *sc, const Conv2dScene *e, const PlanesLayout *P, int j) {
    const Theme *th = v->th;
    char buf[128];
    int ch = e->first_channel + j;
    float y = P->top + (float)j * ((float)P->pw * P->cell + P->row_gap);
    GridSpec g = plane_spec(v, e, ch, P->gx, y, P->cell);
    widget_grid(v->c, &g);
    draw_window(v, sc, e, &g);
    channel_name(e, ch, buf, sizeof buf);
    draw_text(v->c, P->x0 + P->name_w * 0.4f, y + (float)P->pw * P->cell / 2, buf,
              style(v, P->name_w < 30 ? th->font_body : th->font_title, channel_color(v, e, j), true, ALIGN_CENTER, true));
    char hn[160];
    snprintf(hn, sizeof hn, "%s %s", tr(v, "channel"), buf);
    hitmap_add(v->hits, &g, HIT_INPUT, hn, sc->crop_y, sc->crop_x);
    float mid = y + (float)P->pw * P->cell / 2;
    if (!e->weight) return mid;
    draw_kernel_slice(v, e, P, j, mid);
    if (sc->win_oy < 0) return mid;
    if (P->prod) draw_slice_products(v, e, P, j, mid);
    draw_slice_sum(v, e, P, j, mid);
    return mid;
}

// Lines from every sum into one "+" junction, plus the bias, and an arrow
// into the output cell they make.
static void draw_sum_junction(ViewCtx *v, const Scene *sc, const Conv2dScene *e, const PlanesLayout *P,
                              const GridSpec *og, const float *sum_cy) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    outline_cell(v, og, sc->win_oy, sc->win_ox, th->output);
    // the junction sits on the wire's lane below the grid (it stays put while the window
    // sweeps), so the wire into the cell never crosses the bias label or a filled cell
    float jx = P->ox - P->join_w * 0.55f, jy = view_arrow_lane_y(og);
    for (int j = 0; j < P->n; j++) draw_line(c, P->sx + P->sum_w, sum_cy[j], jx, jy, th->line_thick, th->text_muted);
    draw_fill_circle(c, jx, jy, 16, th->output);
    draw_text(c, jx, jy, "+", style(v, th->font_body * 1.2f, th->bg, true, ALIGN_CENTER, true));
    view_arrow_into_cell(v, jx + 16, jy, og, sc->win_oy, sc->win_ox, th->output); // the cell itself is outlined
    if (e->bias) {
        char num[32], buf[64];
        float b = e->bias[e->filter];
        scene_fmt(num, sizeof num, b, fabsf(b - roundf(b)) > 1e-4f ? 2 : 0);
        snprintf(buf, sizeof buf, "b = %s", num);
        draw_text(c, jx + 6, jy + 22, buf, style(v, th->font_body, th->kernel, true, ALIGN_LEFT, false));
    }
}

// The picture above the output column, as large as the room there allows (none below 56 px).
static void draw_planes_picture(ViewCtx *v, const Scene *sc, const PlanesLayout *P, float out_top) {
    if (!(sc->show & SHOW_IMAGE) || sc->image_index < 0) return;
    Rect a = v->area;
    float cx = P->ox + P->out_w / 2;
    float side = fminf(128, out_top - a.y - v->th->font_body * 2.8f);
    side = fminf(side, 2 * fminf(a.x + a.w - cx, cx - (P->sx + P->sum_w + 8)));
    if (side >= 56) view_picture(v, sc, (Rect){cx - side / 2, a.y, side, side}, (Rect){0, 0, 0, 0});
}

static void draw_planes(ViewCtx *v, const Scene *sc, const Conv2dScene *e) {
    const Theme *th = v->th;
    PlanesLayout P = planes_layout(v, sc, e);
    draw_planes_heads(v, sc, e, &P);
    float sum_cy[CONV2D_MAX_SLICES];
    for (int j = 0; j < P.n; j++) sum_cy[j] = draw_plane_row(v, sc, e, &P, j);
    // output channel `filter`, centred on the rows, its cell fed by the sums and the bias
    float oh = (float)sc->output.rows * P.cell;
    float oy = P.top + ((float)(P.n * P.pw) * P.cell + P.row_gap * (float)(P.n - 1)) / 2 - oh / 2;
    GridSpec og = output_spec(v, sc, P.ox, oy, P.cell);
    widget_grid(v->c, &og);
    char buf[128];
    snprintf(buf, sizeof buf, "%s %d\xC3\x97%d", tr(v, "output"), sc->output.rows, sc->output.cols);
    widget_label_above(v->c, grid_rect(&og), buf, th->output, th->font_body);
    hitmap_add(v->hits, &og, HIT_OUTPUT, tr(v, "output"), 0, 0);
    if (sc->win_oy >= 0 && e->weight) draw_sum_junction(v, sc, e, &P, &og, sum_cy);
    draw_planes_picture(v, sc, &P, oy);
}

// ---- volumes -----------------------------------------------------------------

// The filter's reach in the input volume for window (oy, ox) (float: animated).
static void filter_box(const Conv2dScene *e, float oy, float ox, VolumeSpec *vs) {
    const Conv2dConfig *c = &e->cfg;
    vs->sub = true;
    vs->c0 = (float)e->first_channel;
    vs->dc = (float)(c->in_channels / c->groups);
    vs->y0 = oy * (float)c->stride_h - (float)c->pad_top;
    vs->x0 = ox * (float)c->stride_w - (float)c->pad_left;
    vs->dy = (float)(c->dilation_h * (c->kernel_h - 1) + 1);
    vs->dx = (float)(c->dilation_w * (c->kernel_w - 1) + 1);
}

// Light fills for the slabs of each group (groups > 1): the input channels of
// group g and the output channels its filters make share a colour.
static Rgba group_color(ViewCtx *v, int g) {
    static const Rgba G[4] = {{120, 80, 200, 255}, {200, 140, 20, 255}, {20, 150, 160, 255}, {200, 60, 130, 255}};
    Rgba col = G[g % 4];
    return rgba_mix(col, rgba_luma(v->th->bg) < 0.5f ? (Rgba){40, 40, 50, 255} : (Rgba){255, 255, 255, 255}, 0.55f);
}

// The slab fills of a volume of C channels: R, G, B for a picture's input, one
// colour per group when the channels are grouped, else NULL (the role colour).
static const Rgba *slab_fills(ViewCtx *v, const Conv2dScene *e, int C, bool input, Rgba *buf) {
    int g = e->cfg.groups;
    if (g > 1 && C % g == 0 && C <= CONV2D_MAX_SLICES) {
        for (int k = 0; k < C; k++) buf[k] = group_color(v, k / (C / g));
        return buf;
    }
    if (input && e->from_image && C == 3) {
        for (int k = 0; k < 3; k++) buf[k] = rgba_mix(channel_color(v, e, k), v->th->bg, 0.6f);
        return buf;
    }
    return NULL;
}

// The window's place (animated from the previous step's while it slides).
static void window_place(ViewCtx *v, const Scene *sc, float *oy, float *ox) {
    *oy = (float)sc->win_oy, *ox = (float)sc->win_ox;
    if (sc->win_oy >= 0 && v->prev && v->prev->kind == sc->kind && v->prev->win_oy >= 0 && v->t < 1) {
        *oy = (float)v->prev->win_oy + (*oy - (float)v->prev->win_oy) * v->t;
        *ox = (float)v->prev->win_ox + (*ox - (float)v->prev->win_ox) * v->t;
    }
}

// Input volume (with its padding) -> output volume, side by side in r, drawn
// to ONE scale (rows, columns and channels alike), with the filter's box
// inside the padded input at the window and the cell it makes in the output.
// Channels are min_slab px deep at least. Returns the input volume's rect
// (for the caption under it) and the scale in *used (may be NULL).
static Rect draw_volumes(ViewCtx *v, const Scene *sc, const Conv2dScene *e, Rect r, float min_slab, VolumeScale *used) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    char lin[64], lout[64];
    snprintf(lin, sizeof lin, "%s %d\xC3\x97%d\xC3\x97%d", tr(v, "input"), e->C, e->H, e->W);
    snprintf(lout, sizeof lout, "%s %d\xC3\x97%d\xC3\x97%d", tr(v, "output"), e->cfg.out_channels, e->OH, e->OW);
    Rgba fin[CONV2D_MAX_SLICES], fout[CONV2D_MAX_SLICES];
    VolumeSpec vin = {.C = e->C, .H = e->H, .W = e->W, .pad = e->error[0] ? 0 : e->cfg.pad_top, .color = th->input,
                      .sub_color = th->kernel, .slab_colors = slab_fills(v, e, e->C, true, fin), .label = lin};
    VolumeSpec vout = {.C = e->cfg.out_channels, .H = e->OH, .W = e->OW, .color = th->output, .sub_color = th->kernel,
                       .slab_colors = slab_fills(v, e, e->cfg.out_channels, false, fout), .label = lout};
    float oy, ox;
    window_place(v, sc, &oy, &ox);
    bool win = sc->win_oy >= 0 && !e->error[0];
    if (win) {
        filter_box(e, oy, ox, &vin);
        vout.sub = true;
        vout.c0 = (float)e->filter;
        vout.dc = vout.dy = vout.dx = 1;
        vout.y0 = oy;
        vout.x0 = ox;
    }
    float gap = 70, label_h = th->font_body * 1.9f;
    bool two = !e->error[0] && e->OH > 0;
    const VolumeSpec *both[2] = {&vin, &vout};
    // each volume stands in a slot as wide as it or its label, whichever is wider
    float li, lo = 0;
    text_measure(c, lin, th->font_body, true, &li, NULL);
    if (two) text_measure(c, lout, th->font_body, true, &lo, NULL);
    float room = r.w - (two ? 0 : r.w / 2 + gap), wi = 0, hi = 0, wo = 0, ho = 0, si = 0, so = 0;
    VolumeScale s = {1, 1};
    for (int pass = 0; pass < 3; pass++) {
        s = volume_scale_fit(both, two ? 2 : 1, room, gap, r.h - label_h, 40, min_slab);
        volume_extent(&vin, s, &wi, &hi);
        if (two) volume_extent(&vout, s, &wo, &ho);
        si = fmaxf(wi, li), so = two ? fmaxf(wo, lo) : r.w / 2;
        float over = si + gap + so - r.w;
        if (over <= 0.5f) break;
        room -= over;
    }
    // side by side, centred, standing on one floor
    float x = r.x + fmaxf(0, (r.w - si - gap - so) / 2) + (si - wi) / 2;
    float floor_y = r.y + (r.h - label_h + fmaxf(hi, ho)) / 2;
    Rect rin = widget_volume_at(c, x, floor_y - hi, &vin, s);
    if (used) *used = s;
    float ay = floor_y - fminf(hi, two ? ho : hi) / 2, ax = x + wi + (si - wi) / 2;
    draw_arrow(c, ax + 10, ay, ax + gap - 10, ay, th->line_thick, 12, th->text_muted);
    if (!two) return rin; // the caller shows the error there
    x = ax + gap + (so - wo) / 2;
    widget_volume_at(c, x, floor_y - ho, &vout, s);
    if (s.slab > s.cell * 1.05f) { // say that the depth is stretched to make each channel visible
        char note[96];
        snprintf(note, sizeof note, "%s", v->lang == LANG_ZH ? "深度方向：一层 = 一个通道" : "depth: one slab = one channel");
        float nw;
        text_measure(c, note, th->font_small, false, &nw, NULL);
        float nx = fminf(fmaxf(x + wo / 2 - nw / 2, ax + 8), r.x + r.w - nw);
        draw_text(c, nx, floor_y + label_h - 2, note, style(v, th->font_small, th->text_muted, false, ALIGN_LEFT, false));
    }
    return rin;
}

// Where the filter box is, in the input's rows and columns (0-based, as
// PyTorch indexes them), under the input volume: a 3-D box has no grid to
// count on, and the texts name the place ("row 14, column 20").
static void draw_window_place(ViewCtx *v, const Scene *sc, const Conv2dScene *e, Rect under) {
    if (sc->win_oy < 0 || e->error[0]) return;
    const Conv2dConfig *cf = &e->cfg;
    int y0 = sc->win_oy * cf->stride_h - cf->pad_top, x0 = sc->win_ox * cf->stride_w - cf->pad_left;
    int y1 = y0 + cf->dilation_h * (cf->kernel_h - 1), x1 = x0 + cf->dilation_w * (cf->kernel_w - 1);
    char buf[160];
    if (v->lang == LANG_ZH)
        snprintf(buf, sizeof buf, "盒子：第 %d\xE2\x80\x93%d 行、第 %d\xE2\x80\x93%d 列（从 0 数起，同 PyTorch）", y0, y1, x0, x1);
    else
        snprintf(buf, sizeof buf, "box: rows %d\xE2\x80\x93%d, columns %d\xE2\x80\x93%d (from 0, as PyTorch)", y0, y1, x0, x1);
    TextStyle st = style(v, v->th->font_small, v->th->text_muted, false, ALIGN_CENTER, false);
    draw_text(v->c, under.x + under.w / 2, under.y + 2, buf, st);
}

// The filters as boxes of in/groups × k × k at the volumes' scale (smaller
// only when they would not fit side by side), numbered, the shown one framed.
static void draw_filter_boxes(ViewCtx *v, const Scene *sc, const Conv2dScene *e, VolumeScale s, float top) {
    const Theme *th = v->th;
    const Conv2dConfig *cf = &e->cfg;
    Rect a = v->area;
    VolumeSpec fs = {.C = cf->in_channels / cf->groups, .H = cf->kernel_h, .W = cf->kernel_w, .color = th->kernel};
    float w, h, gap = 28;
    volume_extent(&fs, s, &w, &h);
    float room = (a.w - 40) / (float)cf->out_channels - gap;
    if (w > room && room > 4) { s.cell *= room / w; s.slab *= room / w; volume_extent(&fs, s, &w, &h); }
    float total = (float)cf->out_channels * (w + gap) - gap, x = a.x + (a.w - total) / 2;
    char num[16];
    for (int f = 0; f < cf->out_channels; f++, x += w + gap) {
        snprintf(num, sizeof num, "%d", f);
        fs.label = num;
        widget_volume_at(v->c, x, top, &fs, s);
        if (f == e->filter && sc->win_oy >= 0)
            draw_rect_outline(v->c, (Rect){x - 6, top - 6, w + 12, h + th->font_body * 1.7f + 12}, th->window_thick, th->kernel);
    }
}

static void draw_volume_view(ViewCtx *v, const Scene *sc, const Conv2dScene *e) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    Rect a = v->area;
    float pic = (sc->show & SHOW_IMAGE) && sc->image_index >= 0 ? fminf(128, a.h * 0.2f) : 0;
    if (pic > 0) view_picture(v, sc, (Rect){a.x + 4, a.y + 4, pic, pic}, (Rect){0, 0, 0, 0});
    Rect r = {a.x + (pic > 0 ? pic + 16 : 0), a.y, a.w - (pic > 0 ? pic + 16 : 0), a.h * 0.72f};
    VolumeScale s;
    Rect rin = draw_volumes(v, sc, e, r, 16, &s); // 32x32 planes: channels thicker than cells, said under the output
    draw_window_place(v, sc, e, (Rect){rin.x, rin.y + rin.h + th->font_body * 1.9f, rin.w, 0});
    // the filter(s): OC boxes of in/groups x k x k, the current one outlined
    const Conv2dConfig *cf = &e->cfg;
    char buf[160];
    int per = cf->in_channels / cf->groups;
    snprintf(buf, sizeof buf, "%d %s \xC3\x97 (%d\xC3\x97%d\xC3\x97%d %s%s) \xE2\x86\x92 %d %s", cf->out_channels,
             (v->lang == LANG_ZH ? tr(v, "filters") : cf->out_channels == 1 ? "filter" : "filters"), per, cf->kernel_h, cf->kernel_w,
             tr(v, per * cf->kernel_h * cf->kernel_w == 1 ? "weight" : "weights"),
             cf->has_bias ? tr(v, " + 1 bias") : "", cf->out_channels, tr(v, cf->out_channels == 1 ? "output channel" : "output channels"));
    float y = a.y + a.h * 0.76f;
    draw_text(c, a.x + a.w / 2, y, buf, style(v, th->font_body, th->kernel, true, ALIGN_CENTER, false));
    draw_filter_boxes(v, sc, e, s, y + th->font_body * 1.8f);
}

// ---- params: nn.Conv2d's settings, live --------------------------------------------

static void draw_error_box(ViewCtx *v, Rect r, const char *raw) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    char msg[1400];
    format_pytorch_error(msg, sizeof msg, v->lang, raw); // in Chinese: what it means, then PyTorch's words
    TextStyle bs = text_style(c, th->font_body, th->text);
    float h = draw_text_wrapped(c, 0, 0, r.w - 32, msg, bs, 1.35f, false) + th->font_body * 2.6f + 24;
    Rect box = {r.x, r.y + fmaxf(0, (r.h - h) / 2), r.w, h};
    draw_fill_round_rect(c, box, 10, th->panel);
    draw_rect_outline(c, box, 3, th->error);
    char head[96];
    snprintf(head, sizeof head, "\xE2\x9A\xA0 %s", tr(v, "PyTorch raises an error"));
    draw_text(c, box.x + 16, box.y + 12, head, style(v, th->font_body * 1.1f, th->error, true, ALIGN_LEFT, false));
    draw_text_wrapped(c, box.x + 16, box.y + 12 + th->font_body * 2.0f, box.w - 32, msg, bs, 1.35f, true);
}

// With groups > 1: which input channels each group holds and which filters
// read them (in the group's colour, as the volumes' slabs), and the weight's
// shape [out, in/groups, k, k]. Returns the height used (0 for one group).
static float draw_group_legend(ViewCtx *v, const Conv2dScene *e, float x, float bottom, float w) {
    const Conv2dConfig *cf = &e->cfg;
    int g = cf->groups;
    if (g <= 1 || e->error[0]) return 0;
    const Theme *th = v->th;
    float lh = th->font_body * 1.45f, h = lh * (float)(g + 1), y = bottom - h;
    int per_in = cf->in_channels / g, per_out = cf->out_channels / g;
    char buf[192];
    for (int i = 0; i < g; i++, y += lh) {
        Rect sw = {x, y + lh / 2 - 8, 16, 16};
        draw_fill_rect(v->c, sw, group_color(v, i));
        draw_rect_outline(v->c, sw, 1.5f, th->text_muted);
        if (v->lang == LANG_ZH)
            snprintf(buf, sizeof buf, "第 %d 组：输入通道 %d\xE2\x80\x93%d \xE2\x86\x92 滤波器 %d\xE2\x80\x93%d（各读 %d 个通道）", i,
                     i * per_in, (i + 1) * per_in - 1, i * per_out, (i + 1) * per_out - 1, per_in);
        else
            snprintf(buf, sizeof buf, "group %d: input channels %d\xE2\x80\x93%d \xE2\x86\x92 filters %d\xE2\x80\x93%d (each reads %d)", i,
                     i * per_in, (i + 1) * per_in - 1, i * per_out, (i + 1) * per_out - 1, per_in);
        if (per_in == 1 || per_out == 1) { // "channels 2–2" reads oddly: one number
            if (v->lang == LANG_ZH)
                snprintf(buf, sizeof buf, "第 %d 组：输入通道 %d%s \xE2\x86\x92 滤波器 %d%s", i, i * per_in,
                         per_in > 1 ? "…" : "", i * per_out, per_out > 1 ? "…" : "");
            else
                snprintf(buf, sizeof buf, "group %d: input channel%s %d%s \xE2\x86\x92 filter%s %d%s", i, per_in > 1 ? "s" : "",
                         i * per_in, per_in > 1 ? "\xE2\x80\xA6" : "", per_out > 1 ? "s" : "", i * per_out, per_out > 1 ? "\xE2\x80\xA6" : "");
        }
        bool mine = i == e->first_channel / (per_in > 0 ? per_in : 1);
        draw_text(v->c, x + 24, y + lh / 2, buf, style(v, th->font_body, th->text, mine, ALIGN_LEFT, true));
    }
    snprintf(buf, sizeof buf, "%s [%d, %d, %d, %d] = [out, in/groups, k, k]", v->lang == LANG_ZH ? "权重形状" : "weight", cf->out_channels, per_in, cf->kernel_h, cf->kernel_w);
    widget_formula(v->c, x, y + lh / 2, w, buf, th->font_body, 14, ALIGN_LEFT);
    return h + 6;
}

static void draw_params(ViewCtx *v, const Scene *sc, const Conv2dScene *e) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    Rect a = v->area;
    const Conv2dConfig *cf = &e->cfg;
    char buf[256];
    // the module as code
    snprintf(buf, sizeof buf, "nn.Conv2d(%d, %d, kernel_size=%d, stride=%d, padding=%d, dilation=%d, groups=%d, bias=%s)",
             cf->in_channels, cf->out_channels, cf->kernel_h, cf->stride_h, cf->pad_top, cf->dilation_h, cf->groups,
             cf->has_bias ? "True" : "False");
    Rect code = {a.x, a.y, a.w, th->font_body * 2.2f};
    draw_fill_round_rect(c, code, 8, th->panel);
    widget_formula(c, code.x + 12, code.y + code.h / 2, code.w - 24, buf, th->font_body, 13, ALIGN_LEFT);
    float top = code.y + code.h + 16, bottom = a.y + a.h - th->font_body * 4.2f;
    // left: input channel 0 with padding and the window (dilation leaves gaps)
    int pw = e->H + 2 * cf->pad_top;
    float left_w = a.w * 0.42f;
    float legend_h = cf->groups > 1 && !e->error[0] ? th->font_body * 1.45f * (float)(cf->groups + 1) + 6 : 0;
    float cell = fminf(44, fminf((left_w - 20) / (float)pw, (bottom - legend_h - top - th->font_body * 2) / (float)pw));
    // (with groups: the first channel of the shown filter's group, a channel that filter reads)
    int ch = !e->error[0] && sc->win_oy >= 0 ? e->first_channel : 0;
    GridSpec g = plane_spec(v, e, ch, a.x + (left_w - (float)pw * cell) / 2, top + th->font_body * 1.6f, cell);
    widget_grid(c, &g);
    if (!e->error[0]) draw_window(v, sc, e, &g);
    snprintf(buf, sizeof buf, "%s %d (%s %d)", tr(v, "input channel"), ch, tr(v, "of"), e->C);
    widget_label_above(c, grid_rect(&g), buf, th->input, th->font_body);
    hitmap_add(v->hits, &g, HIT_INPUT, tr(v, "input"), 0, 0);
    // right: the volumes, or the error
    Rect vr = {a.x + left_w + 10, top, a.w - left_w - 10, bottom - top};
    if (e->error[0]) {
        draw_error_box(v, vr, e->error);
    } else {
        float legend = draw_group_legend(v, e, a.x + 10, vr.y + vr.h, a.w - 20); // under the plane and the volumes
        Rect r1 = {vr.x, vr.y, vr.w, vr.h - legend};
        draw_volumes(v, sc, e, r1, 12, NULL);
    }
    // bottom: shapes and the parameter count
    float y = bottom + 10;
    if (!e->error[0])
        snprintf(buf, sizeof buf, "%s (1, %d, %d, %d)  \xE2\x86\x92  %s (1, %d, %d, %d)", tr(v, "input"), e->C, e->H, e->W,
                 tr(v, "output"), cf->out_channels, e->OH, e->OW);
    else
        snprintf(buf, sizeof buf, "%s (1, %d, %d, %d)  \xE2\x86\x92  ?", tr(v, "input"), e->C, e->H, e->W);
    draw_text(c, a.x + a.w / 2, y, buf, style(v, th->font_body * 1.1f, th->text, true, ALIGN_CENTER, false));
    y += th->font_body * 1.8f;
    if (e->params >= 0) {
        int per = cf->in_channels / cf->groups;
        char b2[64] = "";
        if (cf->has_bias) snprintf(b2, sizeof b2, " + %s %d", tr(v, "bias"), cf->out_channels);
        snprintf(buf, sizeof buf, "%s: %s %d\xC3\x97%d\xC3\x97%d\xC3\x97%d%s = " ROLE_OUTPUT "%ld" ROLE_PLAIN,
                 tr(v, "parameters"), v->lang == LANG_ZH ? "权重" : "weight", cf->out_channels, per, cf->kernel_h, cf->kernel_w, b2, e->params);
    } else {
        snprintf(buf, sizeof buf, "%s: \xE2\x80\x94", tr(v, "parameters"));
    }
    float w, h;
    char plain[256];
    scene_strip_roles(plain, sizeof plain, buf);
    text_measure(c, plain, th->font_body * 1.1f, false, &w, &h);
    widget_formula(c, a.x + fmaxf(0, (a.w - w) / 2), y + h / 2, a.w, buf, th->font_body * 1.1f, 14, ALIGN_LEFT);
}

static void draw_conv2d(ViewCtx *v, const Scene *sc) {
    const Conv2dScene *e = sc->ext;
    if (!e) return;
    if (e->view == 2) { draw_params(v, sc, e); return; }
    if (e->error[0]) { draw_error_box(v, v->area, e->error); return; }
    if (e->view == 1) draw_planes(v, sc, e);
    else draw_volume_view(v, sc, e);
}

static const SceneView VIEW_CONV2D = {"conv2d", draw_conv2d, false};
SCENE_VIEW_REGISTER(VIEW_CONV2D)
