/* Views of the "conv" and "pool" scene kinds: [picture] input (with zero
 * padding) ⊛ kernel → output, the current window outlined in the kernel
 * colour and animated from the previous step, the window's products, the
 * max-pool argmax in gold (from the engine's return_indices).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ui/view.h"

#define MAX_CELL 84.0f      // largest cell (logical px)
#define MIN_KCELL 40.0f     // kernel/products cells stay readable when the input is large
#define COL_GAP 64.0f       // between columns (room for ⊛ and →)
#define READABLE_CELL 48.0f // cells that hold a 5-character number at >= 14 px

static const char *const POOL_NAMES[] = {"max pooling", "average pooling", "global max pooling"};

// "2×2, stride 2" (+ padding, ceil_mode when set) for the pooling arrow.
static void pool_params(ViewCtx *v, const Scene *sc, char *buf, size_t n) {
    if (sc->pool_kind == 2) { snprintf(buf, n, "%d\xC3\x97%d \xE2\x86\x92 1\xC3\x97" "1", sc->input.rows, sc->input.cols); return; }
    int k = snprintf(buf, n, "%d\xC3\x97%d, %s %d", sc->pool.kernel_h, sc->pool.kernel_w, ui_tr(v->lang, "stride"), sc->pool.stride_h);
    if (sc->pool.pad_h && k < (int)n) k += snprintf(buf + k, n - (size_t)k, ", %s %d", ui_tr(v->lang, "padding"), sc->pool.pad_h);
    if (sc->pool.ceil_mode && k < (int)n) snprintf(buf + k, n - (size_t)k, ", ceil_mode");
}

typedef struct {
    float gap_out;              // gap before the output (wide for the pooling arrow)
    GridSpec in, kern, prod, out;
    bool has_kern, has_prod, has_out, has_img;
    Rect img;
    float label_h;
} ConvLayout;

static const char *tr(ViewCtx *v, const char *s) { return ui_tr(v->lang, s); }

// The pooling arrow's caption ("max pooling / 2×2, stride 2"): read from the
// back of the room, so the body size less a tenth (18 px), not a hint's.
#define ARROW_CAPTION(th) ((th)->font_body * 0.9f)

// Heat map when the numbers are real-valued pictures, role fill for small integer grids.
static void style_values(GridSpec *g, const Grid *src, HeatMode heat) {
    g->v = src->v;
    g->rows = src->rows;
    g->cols = src->cols;
    g->decimals = grid_decimals(src);
    g->n_visible = -1;
    g->values = true;
    g->heat = heat;
    if (heat != HEAT_NONE) {
        float lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < src->rows * src->cols; i++) { lo = fminf(lo, src->v[i]); hi = fmaxf(hi, src->v[i]); }
        g->lo = lo;
        g->hi = hi;
    }
}

// Sizes in cells and in pixels that the layout steps pass along.
typedef struct {
    int pt, pb, pl, pr;          // padding drawn around the input
    int in_w, in_h;              // padded input, in cells
    int out_w, out_h, kw, kh;    // output and kernel, in cells (0 when hidden)
    int kstack;                  // kernel rows, twice with the products grid below it
    float kstack_extra;          // the products grid's label and gap
    float cell, kcell;           // input/output cell and kernel/products cell (px)
    float img_side, img_block;   // the picture, and it with its caption and the grid's label
    float note_h;                // under the input: which values these are, and their colour bar
} ConvSizes;

#define INPUT_BAR_H 30 // a colour bar (10 px) with its labels under the input's value note

// Grid sizes in cells: the input with the padding the op uses (none for
// global pooling), output and kernel when shown.
static void measure_cells(ConvSizes *z, const Scene *sc, bool is_pool, const ConvLayout *L) {
    z->pt = is_pool ? 0 : sc->conv.pad_top, z->pb = is_pool ? 0 : sc->conv.pad_bottom;
    z->pl = is_pool ? 0 : sc->conv.pad_left, z->pr = is_pool ? 0 : sc->conv.pad_right;
    if (is_pool && sc->pool_kind != 2) { z->pt = z->pb = sc->pool.pad_h; z->pl = z->pr = sc->pool.pad_w; }
    z->in_w = sc->input.cols + z->pl + z->pr, z->in_h = sc->input.rows + z->pt + z->pb;
    z->out_w = L->has_out ? sc->output.cols : 0, z->out_h = L->has_out ? sc->output.rows : 0;
    z->kw = L->has_kern ? sc->kernel.cols : 0, z->kh = L->has_kern ? sc->kernel.rows : 0;
    z->kstack = z->kh * (L->has_prod ? 2 : 1);
    z->kstack_extra = L->has_prod ? L->label_h + 8 : 0;
    bool note = sc->from_image && !(is_pool && sc->kernel.rows);
    z->note_h = sc->from_image ? 24 + (note && sc->normalized ? INPUT_BAR_H : 0) : 0;
}

// The gap before the output: for pooling the arrow carries "max pooling /
// 2×2, stride 2", so it is as wide as that text.
static float output_gap(ViewCtx *v, const Scene *sc, bool is_pool) {
    if (!is_pool) return COL_GAP;
    float w1, w2;
    char buf[96];
    text_measure(v->c, ui_tr(v->lang, POOL_NAMES[sc->pool_kind]), ARROW_CAPTION(v->th), true, &w1, NULL);
    pool_params(v, sc, buf, sizeof buf);
    text_measure(v->c, buf, ARROW_CAPTION(v->th), false, &w2, NULL);
    return fmaxf(COL_GAP, fmaxf(w1, w2) + 28);
}

// Cell sizes that fit the area. The picture shrinks (in whole multiples of
// 32 px) while the numbers would be too small to read: cells of
// READABLE_CELL hold "−0.53" at >= 14 px. Cells are uniform if they stay
// large, else kernel/products keep MIN_KCELL.
static void choose_cells(ConvSizes *z, ViewCtx *v, const ConvLayout *L, Rect a, float img_side) {
    const Theme *th = v->th;
    int n_cols = 1 + L->has_kern + L->has_out;
    float gutter = L->in.index_labels ? GRID_INDEX_GUTTER : 0; // the input's row and column numbers
    float avail_w = a.w - COL_GAP * (float)(n_cols - 1) - (L->gap_out - COL_GAP) - 16 - gutter;
    float avail_h = a.h - L->label_h - 30 - gutter;
    z->cell = z->kcell = z->img_block = 0;
    z->img_side = img_side;
    for (float side = img_side; ; side -= 32) {
        float blk = L->has_img ? side + th->font_body * 1.6f + 24 + L->label_h : 0;
        float ce = fminf(MAX_CELL, avail_w / (float)(z->in_w + z->out_w + z->kw));
        ce = fminf(ce, (avail_h - blk - fmaxf(24, z->note_h)) / (float)z->in_h);
        if (z->out_h) ce = fminf(ce, avail_h / (float)z->out_h);
        if (z->kstack) ce = fminf(ce, (avail_h - z->kstack_extra) / (float)z->kstack);
        float kc = ce;
        if (L->has_kern && ce < MIN_KCELL) {
            kc = fminf(MIN_KCELL, (avail_h - z->kstack_extra) / (float)z->kstack);
            ce = fminf((avail_w - (float)z->kw * kc) / (float)(z->in_w + z->out_w), (avail_h - blk - fmaxf(24, z->note_h)) / (float)z->in_h);
            if (z->out_h) ce = fminf(ce, avail_h / (float)z->out_h);
        }
        bool first = side == img_side;
        if (first || ce >= READABLE_CELL) { z->cell = ce; z->kcell = kc; z->img_block = blk; z->img_side = side; }
        if (!L->has_img || ce >= READABLE_CELL || side <= 96) break; // too-small numbers stay hidden anyway
    }
}

// The input grid (column 1) at x, top edge in_y; picture colours use fixed
// ranges so they mean the same in every crop. Returns the heat mode the
// output of a pooling shares.
static HeatMode place_input(ViewCtx *v, const Scene *sc, bool is_pool, ConvLayout *L, const ConvSizes *z, float x,
                            float col1_w, float in_y) {
    const Theme *th = v->th;
    HeatMode heat = sc->from_image ? (sc->normalized ? HEAT_DIVERGING : HEAT_GRAY) : HEAT_NONE;
    if (is_pool && sc->kernel.rows) heat = HEAT_VIRIDIS; // a ReLU feature map is >= 0
    style_values(&L->in, &sc->input, heat);
    if (sc->from_image && !(is_pool && sc->kernel.rows)) {
        L->in.lo = sc->normalized ? -1 : 0;
        L->in.hi = sc->normalized ? 1 : 255;
    }
    L->in.pad_t = z->pt; L->in.pad_b = z->pb; L->in.pad_l = z->pl; L->in.pad_r = z->pr;
    L->in.x = x + (col1_w - (float)z->in_w * z->cell) / 2;
    L->in.y = in_y;
    L->in.cell = z->cell;
    L->in.fill = th->input_cell;
    L->in.strong = th->input;
    return heat;
}

// The kernel (and the products under it) centred on the input's middle row
// mid, never above the labels.
static void place_kernel(ViewCtx *v, const Scene *sc, ConvLayout *L, const ConvSizes *z, float x, float mid,
                         float k_px_h) {
    const Theme *th = v->th;
    Rect a = v->area;
    style_values(&L->kern, &sc->kernel, HEAT_NONE);
    L->kern.cell = z->kcell;
    L->kern.x = x;
    L->kern.y = L->has_prod ? mid - k_px_h / 2 : mid - (float)z->kh * z->kcell / 2;
    if (L->kern.y < a.y + L->label_h) L->kern.y = a.y + L->label_h;
    L->kern.fill = th->kernel_cell;
    L->kern.strong = th->kernel;
    if (L->has_prod) {
        L->prod = L->kern;
        L->prod.y = L->kern.y + (float)z->kh * z->kcell + L->label_h + 8;
        L->prod.fill = th->panel;
        L->prod.strong = th->text_muted;
    }
}

// The output, centred on mid; a pooling of a picture keeps the input's colour scale.
static void place_output(ViewCtx *v, const Scene *sc, bool is_pool, ConvLayout *L, const ConvSizes *z, float x,
                         float mid, HeatMode heat) {
    const Theme *th = v->th;
    Rect a = v->area;
    HeatMode oh = HEAT_NONE;
    if (sc->from_image) oh = is_pool ? heat : HEAT_DIVERGING;
    style_values(&L->out, &sc->output, oh);
    if (is_pool && sc->from_image) { L->out.lo = L->in.lo; L->out.hi = L->in.hi; }
    L->out.cell = z->cell;
    L->out.x = x;
    L->out.y = mid - (float)z->out_h * z->cell / 2;
    if (L->out.y < a.y + L->label_h) L->out.y = a.y + L->label_h;
    L->out.fill = th->output_cell;
    L->out.strong = th->output;
    L->out.n_visible = sc->n_filled;
}

// Columns [picture over input] ⊛ [kernel over products] → [output], centred
// in the area; grids are centred on the input grid's middle row.
static void layout(ViewCtx *v, const Scene *sc, bool is_pool, ConvLayout *L) {
    const Theme *th = v->th;
    memset(L, 0, sizeof *L);
    Rect a = v->area;
    L->label_h = th->font_body * 1.25f + 10;
    L->has_img = (sc->show & SHOW_IMAGE) && sc->image_index >= 0;
    L->has_kern = !is_pool && (sc->show & SHOW_KERNEL) && sc->kernel.rows > 0;
    L->has_prod = L->has_kern && (sc->show & SHOW_PRODUCTS) && sc->win_oy >= 0;
    L->has_out = (sc->show & SHOW_OUTPUT) && sc->output.rows > 0;
    L->gap_out = output_gap(v, sc, is_pool);
    L->in.index_labels = (sc->show & SHOW_INDICES) != 0; // (place_input keeps it)
    ConvSizes z;
    measure_cells(&z, sc, is_pool, L);
    choose_cells(&z, v, L, a, L->has_img ? floorf(fminf(a.h * 0.3f, 200) / 32) * 32 : 0);
    int n_cols = 1 + L->has_kern + L->has_out;
    float in_px_h = (float)z.in_h * z.cell, out_px_h = (float)z.out_h * z.cell;
    float gutter = L->in.index_labels ? GRID_INDEX_GUTTER : 0;
    float col1_h = z.img_block + in_px_h + z.note_h + gutter;
    float k_px_h = (float)z.kh * z.kcell * (L->has_prod ? 2 : 1) + z.kstack_extra;
    float content_h = fmaxf(fmaxf(col1_h, out_px_h), k_px_h);
    float col1_w = fmaxf((float)z.in_w * z.cell, z.img_side);
    float total_w = col1_w + (float)z.kw * z.kcell + (float)z.out_w * z.cell + COL_GAP * (float)(n_cols - 1) +
                    (L->gap_out - COL_GAP) + gutter;
    float x = a.x + (a.w - total_w) / 2 + gutter;
    float top = a.y + L->label_h + (a.h - L->label_h - content_h) / 2;
    float in_y = top + (content_h - col1_h) / 2 + z.img_block;
    float mid = in_y + in_px_h / 2;
    if (L->has_img) L->img = (Rect){x + (col1_w - z.img_side) / 2, in_y - z.img_block + 4, z.img_side, z.img_side};
    HeatMode heat = place_input(v, sc, is_pool, L, &z, x, col1_w, in_y);
    x += col1_w + (L->has_kern ? COL_GAP : L->gap_out);
    if (L->has_kern) {
        place_kernel(v, sc, L, &z, x, mid, k_px_h);
        x += (float)z.kw * z.kcell + COL_GAP;
    }
    if (L->has_out) place_output(v, sc, is_pool, L, &z, x, mid, heat);
}

// Bounding rect (on the input grid) of the cells a window reads.
static Rect window_rect(const GridSpec *g, const Scene *sc) {
    if (sc->n_terms == 0) return (Rect){0, 0, 0, 0};
    int y0 = sc->term_iy[0], x0 = sc->term_ix[0], y1 = y0, x1 = x0;
    for (int i = 1; i < sc->n_terms; i++) {
        y0 = sc->term_iy[i] < y0 ? sc->term_iy[i] : y0;
        x0 = sc->term_ix[i] < x0 ? sc->term_ix[i] : x0;
        y1 = sc->term_iy[i] > y1 ? sc->term_iy[i] : y1;
        x1 = sc->term_ix[i] > x1 ? sc->term_ix[i] : x1;
    }
    Rect a = grid_cell_rect(g, y0, x0), b = grid_cell_rect(g, y1, x1);
    return (Rect){a.x, a.y, b.x + b.w - a.x, b.y + b.h - a.y};
}

static void label(ViewCtx *v, const GridSpec *g, const char *text, Rgba col) {
    widget_label_above(v->c, grid_rect(g), text, col, v->th->font_body);
}

static void draw_symbol(ViewCtx *v, float x, float y, const char *s) {
    TextStyle st = text_style(v->c, v->th->font_title * 1.2f, v->th->text_muted);
    st.align = ALIGN_CENTER;
    st.vcenter = true;
    draw_text(v->c, x, y, s, st);
}

// Marks where each window starts (stride) and the input cells no window reads.
// A cell no window reads: its own marker, not the padding's hatch, and clear
// of the digit in the middle — a dashed inner frame and a small cross in the
// top-right corner.
static void draw_never_read(ViewCtx *v, Rect r) {
    const Theme *th = v->th;
    Rgba veil = th->skipped; // greyed a little, the digit stays readable
    veil.a = 60;
    draw_fill_rect(v->c, r, veil);
    float in = fmaxf(2, r.w * 0.06f), t = fmaxf(2.5f, r.w * 0.06f);
    float x0 = r.x + in, y0 = r.y + in, x1 = r.x + r.w - in, y1 = r.y + r.h - in, dash = fmaxf(3, r.w * 0.1f);
    draw_dashed_line(v->c, x0, y0, x1, y0, t * 0.7f, dash, th->skipped);
    draw_dashed_line(v->c, x1, y0, x1, y1, t * 0.7f, dash, th->skipped);
    draw_dashed_line(v->c, x1, y1, x0, y1, t * 0.7f, dash, th->skipped);
    draw_dashed_line(v->c, x0, y1, x0, y0, t * 0.7f, dash, th->skipped);
    float s = r.w * 0.2f, cx = x1 - s * 0.5f - t * 0.6f, cy = y0 + s * 0.5f + t * 0.6f; // tucked in the corner, off the digit
    draw_line(v->c, cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2, t, th->text);
    draw_line(v->c, cx + s / 2, cy - s / 2, cx - s / 2, cy + s / 2, t, th->text);
}

static void draw_origins(ViewCtx *v, const GridSpec *g, const Scene *sc, int kh, int kw, int sh, int sw, int pt, int pl,
                         int dh, int dw) {
    const Theme *th = v->th;
    int H = sc->input.rows, W = sc->input.cols;
    static unsigned char covered[64 * 64];
    memset(covered, 0, sizeof covered);
    for (int oy = 0; oy < sc->output.rows; oy++)
        for (int ox = 0; ox < sc->output.cols; ox++) {
            int y0 = oy * sh - pt, x0 = ox * sw - pl;
            for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++) {
                    int iy = y0 + ky * dh, ix = x0 + kx * dw;
                    if (iy >= 0 && iy < H && ix >= 0 && ix < W && iy < 64 && ix < 64) covered[iy * 64 + ix] = 1;
                }
            Rect r = grid_cell_rect(g, y0, x0);
            float rad = fmaxf(g->cell * 0.11f, 3);
            draw_fill_circle(v->c, r.x + rad * 1.9f, r.y + rad * 1.9f, rad, th->kernel);
        }
    for (int y = 0; y < H && y < 64; y++)
        for (int x = 0; x < W && x < 64; x++)
            if (!covered[y * 64 + x]) draw_never_read(v, grid_cell_rect(g, y, x));
}

// The window's cells (1) and the max-pool argmax (2) of sc into mark (the input's size).
static void window_marks(uint8_t *mark, const Scene *sc, bool is_pool) {
    bool argmax = is_pool && sc->indices && sc->pool_kind != 1;
    memset(mark, 0, (size_t)sc->input.rows * (size_t)sc->input.cols);
    if (sc->win_oy >= 0)
        for (int i = 0; i < sc->n_terms; i++)
            if (sc->term_iy[i] >= 0 && sc->term_iy[i] < sc->input.rows && sc->term_ix[i] >= 0 && sc->term_ix[i] < sc->input.cols)
                mark[sc->term_iy[i] * sc->input.cols + sc->term_ix[i]] = 1;
    if (argmax)
        for (int i = 0; i < sc->output.rows * sc->output.cols; i++) {
            bool current = sc->win_oy >= 0 && i == sc->win_oy * sc->output.cols + sc->win_ox;
            if (current || (sc->win_oy < 0 && i < sc->n_filled)) mark[sc->indices[i]] = 2;
        }
}

// True while sc's window slides in from the previous scene's over the same input.
static bool window_slides(const ViewCtx *v, const Scene *sc) {
    return v->prev && v->t < 1 && v->prev->kind == sc->kind && v->prev->win_oy >= 0 && v->prev->n_terms > 0 &&
           v->prev->input.rows == sc->input.rows && v->prev->input.cols == sc->input.cols;
}

// Marks the window's cells and the argmax on the input grid, faded from the
// previous window's while it slides (the cells move with the outline).
static void mark_input(ViewCtx *v, const Scene *sc, bool is_pool, GridSpec *in) {
    static uint8_t mark[64 * 64], from[64 * 64];
    if (sc->input.rows * sc->input.cols > 64 * 64) return;
    window_marks(mark, sc, is_pool);
    in->mark = mark;
    in->mark_fill = v->th->kernel_cell;
    in->mark_fill2 = v->th->argmax;
    if (!window_slides(v, sc)) return;
    window_marks(from, v->prev, is_pool);
    in->mark_from = from;
    in->mark_t = v->t;
}

// Tints the cells of sc's window that the grid's fills do not show: the padding
// under it, and every cell of a heat map (its colours carry the values).
static void tint_window(ViewCtx *v, const Scene *sc, const GridSpec *in, float alpha) {
    int iy[SCENE_MAX_TERMS], ix[SCENE_MAX_TERMS], n = 0;
    for (int i = 0; i < sc->n_terms; i++) {
        bool pad = sc->term_iy[i] < 0 || sc->term_ix[i] < 0 || sc->term_iy[i] >= sc->input.rows || sc->term_ix[i] >= sc->input.cols;
        if (!pad && in->heat == HEAT_NONE) continue;
        iy[n] = sc->term_iy[i];
        ix[n++] = sc->term_ix[i];
    }
    Rgba tint = v->th->kernel;
    tint.a = in->heat == HEAT_NONE ? 50 : 60;
    view_tint_cells(v, in, iy, ix, n, tint, alpha);
}

// The picture, the input grid with its label, value note and stride marks.
static void draw_input(ViewCtx *v, const Scene *sc, bool is_pool, ConvLayout *L) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    char buf[160];
    mark_input(v, sc, is_pool, &L->in);
    if (is_pool && sc->pool_kind == 0) L->in.pad_text = "\xE2\x88\x92\xE2\x88\x9E"; // max-pool padding is −∞
    if (L->has_img) view_picture(v, sc, L->img, grid_rect(&L->in));
    widget_grid(c, &L->in);
    const char *in_name = tr(v, sc->input_name);
    snprintf(buf, sizeof buf, "%s %d\xC3\x97%d", in_name, sc->input.rows, sc->input.cols);
    label(v, &L->in, buf, th->input);
    hitmap_add(v->hits, &L->in, HIT_INPUT, in_name, sc->crop_y, sc->crop_x);
    if (sc->from_image && !(is_pool && sc->kernel.rows)) { // say which values these are
        Rect gr = grid_rect(&L->in);
        const char *note = tr(v, sc->normalized ? "normalized to −1…1, as the network sees them" : "pixel values 0–255");
        float nw;
        text_measure(c, note, th->font_small, false, &nw, NULL);
        float nx = fminf(fmaxf(gr.x + gr.w / 2 - nw / 2, v->area.x), v->area.x + v->area.w - nw); // stay inside the area
        float ny = gr.y + gr.h + 6 + (L->in.index_labels ? GRID_INDEX_GUTTER - 4 : 0); // under the column numbers
        draw_text(c, nx, ny, note, text_style(c, th->font_small, th->text_muted));
        if (L->in.heat == HEAT_DIVERGING) { // what the colours mean: −1 blue, 0 white, 1 red
            float bw = fminf(gr.w, 200);
            widget_colour_bar(c, (Rect){gr.x + (gr.w - bw) / 2, ny + th->font_small * 1.3f, bw, 10}, HEAT_DIVERGING,
                              L->in.lo, L->in.hi, 0);
        }
    }
    if (sc->show & SHOW_ORIGINS) {
        if (is_pool) draw_origins(v, &L->in, sc, sc->pool.kernel_h, sc->pool.kernel_w, sc->pool.stride_h, sc->pool.stride_w,
                                  sc->pool.pad_h, sc->pool.pad_w, sc->pool.dilation_h, sc->pool.dilation_w);
        else draw_origins(v, &L->in, sc, sc->conv.kernel_h, sc->conv.kernel_w, sc->conv.stride_h, sc->conv.stride_w,
                          sc->conv.pad_top, sc->conv.pad_left, sc->conv.dilation_h, sc->conv.dilation_w);
    }
    // max-pool argmax: the gold fill came with the marks (under the numbers); add the outline
    if (is_pool && sc->indices && sc->pool_kind != 1) {
        bool small = L->in.cell < 22; // on big maps, outline only the current window's winner
        for (int i = 0; i < sc->output.rows * sc->output.cols; i++) {
            bool current = sc->win_oy >= 0 && i == sc->win_oy * sc->output.cols + sc->win_ox;
            if (!current && (sc->win_oy >= 0 || i >= sc->n_filled || small)) continue;
            int idx = sc->indices[i];
            Rect cr = grid_cell_rect(&L->in, idx / sc->input.cols, idx % sc->input.cols);
            if (L->in.heat != HEAT_NONE) { // a heat map has no gold fill: a gold frame, ringed for contrast
                float t = fmaxf(3, L->in.cell * 0.12f);
                draw_rect_outline(c, cr, t, th->argmax);
                draw_rect_outline(c, (Rect){cr.x - 1.5f, cr.y - 1.5f, cr.w + 3, cr.h + 3}, 1.5f, th->argmax_outline);
                continue;
            }
            draw_rect_outline(c, cr, fmaxf(th->line_thick, L->in.cell * 0.08f), th->argmax_outline);
        }
    }
}

// The window: padding cells under it tinted, a thick outline in the kernel
// colour, sliding from the previous step's position while animating.
static void draw_window(ViewCtx *v, const Scene *sc, const ConvLayout *L) {
    const Theme *th = v->th;
    if (sc->win_oy < 0 || sc->n_terms == 0) return;
    bool slides = window_slides(v, sc);
    if (slides) tint_window(v, v->prev, &L->in, 1 - v->t);
    tint_window(v, sc, &L->in, slides ? v->t : 1);
    Rect wr = window_rect(&L->in, sc);
    if (slides) wr = rect_lerp(window_rect(&L->in, v->prev), wr, v->t);
    // on a picture's small cells a 5 px outline would hide the window's cells and hang off the map
    float t = fminf(th->window_thick, fmaxf(2, L->in.cell * 0.3f));
    draw_rect_outline(v->c, (Rect){wr.x - t / 2, wr.y - t / 2, wr.w + t, wr.h + t}, t, th->kernel);
}

// ⊛, the kernel (and bias), and the window's element-wise products under it.
static void draw_kernel(ViewCtx *v, const Scene *sc, ConvLayout *L) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    char buf[160];
    if (L->has_kern) {
        Rect ir = grid_rect(&L->in), kr = grid_rect(&L->kern);
        draw_symbol(v, (ir.x + ir.w + kr.x) / 2, kr.y + fminf(kr.h, ir.h) / 2, "\xE2\x8A\x9B"); // ⊛
        widget_grid(c, &L->kern);
        snprintf(buf, sizeof buf, "%s %d\xC3\x97%d", tr(v, "kernel"), sc->kernel.rows, sc->kernel.cols);
        label(v, &L->kern, buf, th->kernel);
        hitmap_add(v->hits, &L->kern, HIT_KERNEL, tr(v, "kernel"), 0, 0);
        if (sc->conv.has_bias && sc->bias != 0) {
            char b[32];
            scene_fmt(b, sizeof b, sc->bias, sc->bias == roundf(sc->bias) ? 0 : 2);
            snprintf(buf, sizeof buf, "bias = %s", b);
            TextStyle st = text_style(c, th->font_small, th->kernel);
            st.align = ALIGN_CENTER;
            draw_text(c, kr.x + kr.w / 2, kr.y + kr.h + 6, buf, st);
        }
    }
    static float prod[SCENE_MAX_TERMS];
    if (L->has_prod) {
        for (int i = 0; i < sc->n_terms; i++) prod[i] = sc->term_in[i] * sc->term_w[i]; // the terms of the engine's sum
        Grid pg = {sc->kernel.rows, sc->kernel.cols, prod};
        GridSpec ps = L->prod;
        style_values(&ps, &pg, HEAT_NONE);
        ps.fill = th->panel;
        ps.strong = th->text_muted;
        widget_grid(c, &ps);
        label(v, &ps, tr(v, "products"), th->text);
        hitmap_add(v->hits, &ps, HIT_OTHER, tr(v, "products"), 0, 0);
        L->prod = ps;
    }
}

// A complete output with padding: the cells whose window reads no zeros
// dashed (with stride 1 the output without padding), so the border ring that
// padding adds is visible, with its count under the grid.
static bool border_ring_shown(const Scene *sc, int *r0, int *c0, int *nr, int *nc) {
    return sc->win_oy < 0 && sc->n_filled >= sc->output.rows * sc->output.cols && scene_unpadded_region(sc, r0, c0, nr, nc);
}

static void draw_border_ring(ViewCtx *v, const Scene *sc, const ConvLayout *L, float caption_y) {
    int r0, c0, nr, nc;
    if (!border_ring_shown(sc, &r0, &c0, &nr, &nc)) return;
    const Theme *th = v->th;
    Rect orr = grid_rect(&L->out);
    if (nr > 0 && nc > 0) {
        Rect a = grid_cell_rect(&L->out, r0, c0), b = grid_cell_rect(&L->out, r0 + nr - 1, c0 + nc - 1);
        float x0 = a.x, y0 = a.y, x1 = b.x + b.w, y1 = b.y + b.h, t = th->line_thick, d = 7; // thin: clear of two-digit values
        draw_dashed_line(v->c, x0, y0, x1, y0, t, d, th->text);
        draw_dashed_line(v->c, x1, y0, x1, y1, t, d, th->text);
        draw_dashed_line(v->c, x1, y1, x0, y1, t, d, th->text);
        draw_dashed_line(v->c, x0, y1, x0, y0, t, d, th->text);
    }
    bool zh = v->lang == LANG_ZH, s1 = sc->conv.stride_h == 1 && sc->conv.stride_w == 1;
    int ring = sc->output.rows * sc->output.cols - nr * nc;
    char buf[256];
    if (s1)
        snprintf(buf, sizeof buf, zh ? "虚线内：不填充时的 %d×%d 输出；虚线外：%d 个边缘格子"
                                     : "dashed: the %d×%d output without padding; outside: %d border cells",
                 nr, nc, ring);
    else
        snprintf(buf, sizeof buf, zh ? "虚线内：窗口读不到 0 的 %d×%d 个格子；虚线外：%d 个边缘格子" : "inside the dashes: the %d×%d cells whose window reads no zeros; outside: %d border cells",
                 nr, nc, ring);
    TextStyle st = text_style(v->c, th->font_small, th->text_muted);
    float w = v->area.x + v->area.w - orr.x; // to the right edge of the view, below the formula bar's top
    draw_text_wrapped(v->c, orr.x, caption_y, w, buf, st, 1.15f, true);
}

// The arrow (pooling: labelled) or →, the output grid, the current cell and Σ.
static void draw_output(ViewCtx *v, const Scene *sc, bool is_pool, ConvLayout *L) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    char buf[160];
    if (!L->has_out) return;
    Rect prev_col = L->has_kern ? grid_rect(&L->kern) : grid_rect(&L->in), orr = grid_rect(&L->out);
    if (is_pool) {
        float mx = (prev_col.x + prev_col.w + orr.x) / 2, my = orr.y + orr.h / 2;
        draw_arrow(c, prev_col.x + prev_col.w + 10, my, orr.x - 10, my, th->line_thick, 14, th->text_muted);
        TextStyle st = text_style(c, ARROW_CAPTION(th), th->text);
        st.align = ALIGN_CENTER;
        st.bold = true;
        draw_text(c, mx, my - ARROW_CAPTION(th) * 1.9f, tr(v, POOL_NAMES[sc->pool_kind]), st);
        st.bold = false;
        pool_params(v, sc, buf, sizeof buf);
        draw_text(c, mx, my + 10, buf, st);
    } else if (!(L->has_prod && sc->win_oy >= 0)) {
        draw_symbol(v, (prev_col.x + prev_col.w + orr.x) / 2, orr.y + orr.h / 2, "\xE2\x86\x92"); // →
    }
    bool animating_new = v->prev && v->t < 1 && v->prev->kind == sc->kind && v->prev->n_filled == sc->n_filled - 1;
    widget_grid(c, &L->out);
    snprintf(buf, sizeof buf, "%s %d\xC3\x97%d", tr(v, "output"), sc->output.rows, sc->output.cols);
    label(v, &L->out, buf, th->output);
    hitmap_add(v->hits, &L->out, HIT_OUTPUT, tr(v, "output"), 0, 0);
    float below = orr.y + orr.h + 6;
    // the Σ wire runs along a lane under the grid (view_arrow_lane_y): what is drawn below starts under it
    if (L->has_prod) below = fmaxf(below, view_arrow_lane_y(&L->out) + th->line_thick + 4);
    if (L->out.heat == HEAT_DIVERGING) { // a picture's output: what its colours mean
        // under the grid, or above its label when the border ring's caption needs the room there
        int r0, c0, nr, nc;
        float bar_h = 10 + th->font_small * 1.25f + 6;
        float caption_h = !is_pool && border_ring_shown(sc, &r0, &c0, &nr, &nc) ? 2.4f * th->font_small * 1.15f : 0;
        bool fits_below = below + bar_h + caption_h <= v->area.y + v->area.h;
        float y = fits_below ? below : orr.y - th->font_body * 1.3f - 6 - bar_h;
        // at least 150 px, so "−4.05  0  4.05" stay apart under a small map; centred on it, inside the area
        float bw = fminf(fmaxf(orr.w, 150), 200);
        float bx = fminf(fmaxf(orr.x + (orr.w - bw) / 2, v->area.x), v->area.x + v->area.w - bw);
        widget_colour_bar(c, (Rect){bx, y, bw, 10}, HEAT_DIVERGING, L->out.lo, L->out.hi, L->out.decimals);
        if (fits_below) below += bar_h;
    }
    if (!is_pool) draw_border_ring(v, sc, L, below);
    if (sc->win_oy < 0) return;
    Rect cr = grid_cell_rect(&L->out, sc->win_oy, sc->win_ox);
    if (animating_new) { // the new value fades in
        Rgba e = th->empty_cell;
        e.a = (uint8_t)lrintf(255 * (1 - v->t));
        draw_fill_rect(c, cr, e);
    }
    float t = fminf(th->window_thick, fmaxf(2, L->out.cell * 0.3f)); // (small cells: as for the window)
    draw_rect_outline(c, (Rect){cr.x - t / 2, cr.y - t / 2, cr.w + t, cr.h + t}, t, th->output);
    if (L->has_prod) { // Σ of the products lands in this cell
        Rect pr = grid_rect(&L->prod);
        float rad = th->font_body * 0.85f, sx = pr.x + pr.w + rad + 10, sy = pr.y + pr.h / 2;
        draw_fill_circle(c, sx, sy, rad, th->output);
        TextStyle st = text_style(c, th->font_body, th->bg);
        st.bold = true;
        st.vcenter = true;
        st.align = ALIGN_CENTER;
        draw_text(c, sx, sy, "\xCE\xA3", st); // Σ
        view_arrow_into_cell(v, sx + rad + 2, sy, &L->out, sc->win_oy, sc->win_ox, th->output);
    }
}

static void draw_conv_like(ViewCtx *v, const Scene *sc, bool is_pool) {
    ConvLayout L;
    layout(v, sc, is_pool, &L);
    draw_input(v, sc, is_pool, &L);
    draw_window(v, sc, &L);
    draw_kernel(v, sc, &L);
    draw_output(v, sc, is_pool, &L);
}

static void draw_conv(ViewCtx *v, const Scene *sc) { draw_conv_like(v, sc, false); }
static void draw_pool(ViewCtx *v, const Scene *sc) { draw_conv_like(v, sc, true); }

static const SceneView VIEW_CONV = {"conv", draw_conv, false};
static const SceneView VIEW_POOL = {"pool", draw_pool, false};
SCENE_VIEW_REGISTER(VIEW_CONV)
SCENE_VIEW_REGISTER(VIEW_POOL)
