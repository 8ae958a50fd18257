/* The dashboard's "inside the network" panel: the first layer's filters (conv1's eight 5x5x3) as
 * colour images and the feature maps of one chosen test image after the
 * net's first four convolution and pooling layers (conv1, pool1, conv2, pool2). Each layer's channels are tiled into ONE image so
 * the canvas caches a handful of textures, not dozens.
 * Colours follow DESIGN.md: signed conv outputs (pre-ReLU) use the diverging
 * map centred on 0; pooled maps (after ReLU, >= 0) use viridis.
 */
#include "ui/dashboard_internal.h"
#include "ui/explain_view.h"
#include "ui/widgets.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dash_cifar_rgb(const Cifar *cifar, int index, uint8_t rgb[32 * 32 * 3]) {
    dash_planar_rgb(cifar->test.pixels + (size_t)index * CIFAR_PIXELS, rgb);
}

void dash_planar_rgb(const uint8_t *p, uint8_t rgb[32 * 32 * 3]) {
    for (int i = 0; i < 32 * 32; i++) {
        rgb[3 * i + 0] = p[i];
        rgb[3 * i + 1] = p[1024 + i];
        rgb[3 * i + 2] = p[2048 + i];
    }
}

// Tiles fm's channels into a cols x rows grid with 1 px gaps of colour gap.
// Returns the image (owned by the caller) and its size.
static uint8_t *tile_map(const Theme *th, const FeatureMap *fm, int cols, Rgba gap, int *out_w, int *out_h, float *out_max) {
    int rows = (fm->c + cols - 1) / cols;
    int W = cols * (fm->w + 1) - 1, H = rows * (fm->h + 1) - 1;
    uint8_t *img = cl_malloc((size_t)W * H * 3);
    for (int i = 0; i < W * H; i++) img[3 * i] = gap.r, img[3 * i + 1] = gap.g, img[3 * i + 2] = gap.b;
    bool signed_map = fm->signed_values;
    int n = fm->c * fm->h * fm->w;
    float mx = 1e-12f;
    for (int i = 0; i < n; i++) mx = fmaxf(mx, fabsf(fm->data[i]));
    for (int ch = 0; ch < fm->c; ch++) {
        int ox = (ch % cols) * (fm->w + 1), oy = (ch / cols) * (fm->h + 1);
        for (int y = 0; y < fm->h; y++)
            for (int x = 0; x < fm->w; x++) {
                float v = fm->data[(ch * fm->h + y) * fm->w + x] / mx;
                Rgba col = signed_map ? theme_diverging(th, v) : theme_viridis(v);
                uint8_t *o = img + 3 * ((size_t)(oy + y) * W + ox + x);
                o[0] = col.r, o[1] = col.g, o[2] = col.b;
            }
    }
    *out_w = W, *out_h = H, *out_max = mx;
    return img;
}

// Saliency and Grad-CAM of the student's picture, stacked from (x, y), each
// side px with its name above.
static void draw_picture_explanation(Canvas *c, const TrainSnapshot *s, float x, float y, float side, Lang lang) {
    const Theme *th = canvas_theme(c);
    TextStyle lab = text_style(c, 14, th->text_muted);
    uint8_t pic[32 * 32 * 3], sal[32 * 32 * 3], cam[32 * 32 * 3];
    dash_planar_rgb(s->fmap_pixels, pic);
    explain_colour_map(sal, s->picture_saliency, NULL);
    explain_colour_map(cam, s->picture_gradcam, pic);
    draw_text(c, x, y, dash_tr(lang, "saliency", "显著图"), lab);
    draw_image_rgb(c, (Rect){x, y + 18, side, side}, sal, 32, 32);
    draw_text(c, x, y + 18 + side + 4, "Grad-CAM", lab);
    draw_image_rgb(c, (Rect){x, y + 2 * 18 + side + 4, side, side}, cam, 32, 32);
}

// One feature map's box: its name and size, the tiled channels at scale (px per
// map pixel) framed in the output colour (a layer's output), and the colour bar
// of its range under it: -max|v| .. +max|v| for a signed map (diverging), 0 ..
// max for a map after ReLU (viridis). The dump gets the range the bar shows.
static void draw_feature_map(Canvas *c, Rect box, const FeatureMap *fm, const uint8_t *tile, int tw, int th_px,
                             float scale, float mx, FILE *dump) {
    const Theme *th = canvas_theme(c);
    TextStyle lab = text_style(c, 14, th->text_muted);
    char title[48];
    snprintf(title, sizeof title, "%s %d×%d×%d", fm->name, fm->c, fm->h, fm->w);
    float tw_px;
    text_measure(c, title, 14, false, &tw_px, NULL);
    if (tw_px > box.w) snprintf(title, sizeof title, "%s", fm->name);  // a narrow box: the layer's name alone
    draw_text(c, box.x, box.y, title, lab);
    Rect ir = {box.x, box.y + 18, tw * scale, th_px * scale};
    draw_image_rgb(c, ir, tile, tw, th_px);
    dash_outline(c, (Rect){ir.x - 1, ir.y - 1, ir.w + 2, ir.h + 2}, 1, th->output);
    float lo = fm->data[0], hi = fm->data[0];
    for (int i = 1; i < fm->c * fm->h * fm->w; i++) lo = fminf(lo, fm->data[i]), hi = fmaxf(hi, fm->data[i]);
    float top = fm->signed_values ? mx : hi;
    ColourBar b = {.heat = fm->signed_values ? HEAT_DIVERGING : HEAT_VIRIDIS, .lo = fm->signed_values ? -mx : 0,
                   .hi = top, .decimals = top >= 10 ? 1 : 2, .font = 14};
    Rect bar = {box.x, ir.y + ir.h + 6, box.w, 8};
    widget_colour_bar_draw(c, bar, &b);
    if (dump)
        fprintf(dump, "fmap %s min=%.6g max=%.6g bar=%s lo=%.6g hi=%.6g\n", fm->name, (double)lo, (double)hi,
                fm->signed_values ? "diverging" : "viridis", (double)b.lo, (double)b.hi);
}

// The chosen picture at (x, y), pic px, framed in the input colour, with its
// class (or what the net says of the student's picture) and number under it.
static void draw_chosen_picture(Canvas *c, const TrainSnapshot *s, float x, float y, float pic, Lang lang) {
    const Theme *th = canvas_theme(c);
    TextStyle lab = text_style(c, 14, th->text_muted);
    draw_text(c, x, y, dash_tr(lang, "picture", "图片"), lab);
    Rect ir = {x, y + 18, pic, pic};
    uint8_t rgb[32 * 32 * 3];
    dash_planar_rgb(s->fmap_pixels, rgb);
    draw_image_rgb(c, ir, rgb, 32, 32);
    dash_outline(c, ir, 1.5f, th->input);
    TextStyle nm = text_style(c, 15, th->text);
    char buf[48];
    if (s->has_picture) { // the student's picture: what the net says now (it changes as it trains)
        snprintf(buf, sizeof buf, "%s %.0f %%", dash_class_name(lang, s->picture_pred.top[0]), 100 * s->picture_pred.prob[0]);
        draw_text(c, x, ir.y + ir.h + 3, buf, nm);
        draw_text(c, x, ir.y + ir.h + 21, dash_tr(lang, "your picture", "你的图片"), lab);
    } else {
        draw_text(c, x, ir.y + ir.h + 3, dash_class_name(lang, s->fmap_truth), nm);
        snprintf(buf, sizeof buf, "#%d", s->fmap_image);
        draw_text(c, x, ir.y + ir.h + 21, buf, lab);
    }
}

// The first layer's filters in rows from (x, y) within width w: each kh x kw x 3
// rescaled to 0..255 on its own (min..max), framed in the kernel colour.
// Returns the height used (draw false: only that).
static float draw_filters(Canvas *c, const FilterBank *fb, float x, float y, float w, float max_h, Lang lang, bool draw) {
    const Theme *th = canvas_theme(c);
    float gap = 6;
    int rows = 1, cols = fb->n;
    float fsize = fminf(44, (w - (cols - 1) * gap) / cols);
    while (fsize < 26 && rows < 4) {  // too small in one row: two, then more
        rows++;
        cols = (fb->n + rows - 1) / rows;
        fsize = fminf(fminf(44, (w - (cols - 1) * gap) / cols), (max_h - 20) / rows - gap);
    }
    if (!draw) return 20 + rows * (fsize + gap);
    TextStyle lab = text_style(c, 14, th->text_muted);
    char title[96];
    snprintf(title, sizeof title, dash_tr(lang, "%s filters (%d×%d, RGB)", "%s 卷积核（%d×%d，RGB）"), fb->name, fb->kh, fb->kw);
    canvas_push_clip(c, (Rect){x, y, w, 18});
    draw_text(c, x, y, title, lab);
    canvas_pop_clip(c);
    int area = fb->kh * fb->kw;
    for (int f = 0; f < fb->n; f++) {
        const float *wt = fb->w + f * 3 * area;
        float lo = wt[0], hi = wt[0];
        for (int i = 1; i < 3 * area; i++) lo = fminf(lo, wt[i]), hi = fmaxf(hi, wt[i]);
        float span = hi - lo > 1e-12f ? hi - lo : 1;
        uint8_t rgb[TS_MAX_FILTER_SIZE * TS_MAX_FILTER_SIZE * 3];
        for (int p = 0; p < area; p++)
            for (int ch = 0; ch < 3; ch++) rgb[3 * p + ch] = (uint8_t)lrintf(255 * (wt[ch * area + p] - lo) / span);
        Rect r = {x + (f % cols) * (fsize + gap), y + 20 + (f / cols) * (fsize + gap), fsize, fsize};
        draw_image_rgb(c, r, rgb, fb->kw, fb->kh);
        dash_outline(c, r, 1, th->kernel);
    }
    return 20 + rows * (fsize + gap);
}

// The tiled maps of a snapshot (TS_FMAPS of them, NULL where a net has fewer).
typedef struct {
    uint8_t *tile[TS_FMAPS];
    int w[TS_FMAPS], h[TS_FMAPS];  // tile size (map px)
    float max[TS_FMAPS];           // max |value| of each map
    float min_w[TS_FMAPS];         // the box's least width: its name, its bar's values
} MapTiles;

static void tile_maps(Canvas *c, MapTiles *t, const TrainSnapshot *s) {
    const Theme *th = canvas_theme(c);
    memset(t, 0, sizeof *t);
    for (int k = 0; k < TS_FMAPS; k++) {
        const FeatureMap *fm = &s->fmaps[k];
        if (fm->c == 0) continue;
        int cols = fm->c <= 8 ? 4 : 8; // CNNNet: 8 maps in 4 columns, 16 in 8
        t->tile[k] = tile_map(th, fm, cols, th->panel, &t->w[k], &t->h[k], &t->max[k]);
        char name[48];
        snprintf(name, sizeof name, "%s %d×%d×%d", fm->name, fm->c, fm->h, fm->w);
        text_measure(c, name, 14, false, &t->min_w[k], NULL);
        // a diverging bar writes three values (-m, 0, m), a viridis one two: they never touch
        t->min_w[k] = fmaxf(t->min_w[k], fm->signed_values ? 104 : 70);
    }
}

#define MAP_LABEL_H 18.0f              // the name over a map
#define MAP_BAR_ROOM (6.0f + 8 + 19)   // its bar and the values under it
#define MAP_GAP 14.0f

// The largest scale (screen px per map px) at which the two rows (conv | pool)
// fit in mw x mh, every box at least its least width.
static float fit_maps(const MapTiles *t, float mw, float mh) {
    float rows_h = 0;
    for (int r = 0; r < 2; r++) rows_h += (float)(t->h[2 * r] > t->h[2 * r + 1] ? t->h[2 * r] : t->h[2 * r + 1]);
    if (rows_h <= 0) return 0;
    float scale = (mh - 2 * (MAP_LABEL_H + MAP_BAR_ROOM + 4)) / rows_h;
    for (; scale > 0.05f; scale *= 0.97f) {
        bool fits = true;
        for (int r = 0; r < 2; r++) {
            float w = 0;
            for (int k = 2 * r; k < 2 * r + 2; k++)
                if (t->tile[k]) w += fmaxf(t->w[k] * scale, t->min_w[k]) + MAP_GAP;
            fits = fits && w - MAP_GAP <= mw;
        }
        if (fits) return fminf(scale, 4);
    }
    // too narrow for the least widths: the maps alone fit (names and bars are clipped at the boxes)
    scale = (mh - 2 * (MAP_LABEL_H + MAP_BAR_ROOM + 4)) / rows_h;
    for (int r = 0; r < 2; r++)
        if (t->w[2 * r] + t->w[2 * r + 1] > 0) scale = fminf(scale, (mw - MAP_GAP) / (float)(t->w[2 * r] + t->w[2 * r + 1]));
    return fmaxf(scale, 0);
}

// Two rows from (x0, y0), each a convolution and the pooling after it (conv1 | pool1,
// conv2 | pool2 for CNNNet), all at one scale: a 14x14 map is half as wide as a 28x28
// one. Each box is as wide as its map (or its least width); under each map its colour bar.
static void draw_maps(Canvas *c, const TrainSnapshot *s, const MapTiles *t, float x0, float y0, float mw, float mh,
                      float scale, FILE *dump) {
    float y = y0;
    for (int r = 0; r < 2 && scale > 0; r++) {
        float x = x0, row_h = 0, need = 0;
        for (int k = 2 * r; k < 2 * r + 2; k++)
            if (t->tile[k]) need += fmaxf(t->w[k] * scale, t->min_w[k]) + MAP_GAP;
        bool least = need - MAP_GAP <= mw;  // else the maps alone fit: names and bars clipped
        for (int k = 2 * r; k < 2 * r + 2; k++) {
            if (!t->tile[k]) continue;
            float bw = least ? fmaxf(t->w[k] * scale, t->min_w[k]) : t->w[k] * scale;
            if (x0 + mw - x < 1) break;
            Rect box = {x, y, fminf(bw, x0 + mw - x), mh};
            canvas_push_clip(c, (Rect){box.x - 2, box.y, box.w + 4, box.h});
            draw_feature_map(c, box, &s->fmaps[k], t->tile[k], t->w[k], t->h[k], scale, t->max[k], dump);
            canvas_pop_clip(c);
            x += bw + MAP_GAP;
            row_h = fmaxf(row_h, t->h[k] * scale);
        }
        y += MAP_LABEL_H + row_h + MAP_BAR_ROOM + 4;
    }
}

void dash_draw_features(Canvas *c, Rect panel, const TrainSnapshot *s, Lang lang, FILE *dump) {
    Rect in = dash_panel(c, panel, dash_tr(lang, "Inside the network", "网络内部"), dash_tr(lang, "filters, feature maps", "卷积核与特征图"));
    if (s->n_runs == 0 || s->fmaps[0].c == 0) return;  // no network yet (no data)
    MapTiles t;
    tile_maps(c, &t, s);
    // The chosen picture's column: its class name, "Grad-CAM" and "#1234" fit.
    float pic = fminf(60, floorf(in.h * (s->has_picture ? 0.2f : 0.3f))), pw;
    char pname[48];
    if (s->has_picture)
        snprintf(pname, sizeof pname, "%s %.0f %%", dash_class_name(lang, s->picture_pred.top[0]), 100 * s->picture_pred.prob[0]);
    else snprintf(pname, sizeof pname, "%s", dash_class_name(lang, s->fmap_truth));
    text_measure(c, pname, 15, false, &pw, NULL);
    float col_w = fmaxf(fmaxf(pic, 64), pw);
    const FilterBank *fb = &s->filters;
    // Two arrangements; the one that draws the maps larger wins. A: the picture top left,
    // the filters right of it, the maps under both across the panel. B: the filters across
    // the top, the picture (and the student's picture's saliency and Grad-CAM) in a column
    // left of the maps.
    float fa = fb->n > 0 ? draw_filters(c, fb, 0, 0, in.w - col_w - 12, 18 + pic + 38, lang, false) : 0;
    float top_a = fmaxf(18 + pic + 38, fa);
    float fbh = fb->n > 0 ? draw_filters(c, fb, 0, 0, in.w, in.h * 0.3f, lang, false) : 0;
    float scale_a = s->has_picture ? 0 : fit_maps(&t, in.w, in.h - top_a - 4);
    float scale_b = fit_maps(&t, in.w - col_w - 12, in.h - fbh - 4);
    if (pic >= 20 && !s->has_picture && scale_a >= scale_b) {
        draw_chosen_picture(c, s, in.x, in.y, pic, lang);
        if (fb->n > 0) draw_filters(c, fb, in.x + col_w + 12, in.y, in.w - col_w - 12, 18 + pic + 38, lang, true);
        draw_maps(c, s, &t, in.x, in.y + top_a + 4, in.w, in.h - top_a - 4, scale_a, dump);
    } else if (pic >= 20) {
        if (fb->n > 0) draw_filters(c, fb, in.x, in.y, in.w, in.h * 0.3f, lang, true);
        float cy = in.y + fbh + 4;
        draw_chosen_picture(c, s, in.x, cy, pic, lang);
        if (s->has_picture) {  // two images with their names in what is left under the picture
            float ey = cy + 18 + pic + 42, side = fminf(pic * 0.75f, (in.y + in.h - ey - 2 * 18 - 4) / 2);
            if (side >= 16) draw_picture_explanation(c, s, in.x, ey, side, lang);
        }
        draw_maps(c, s, &t, in.x + col_w + 12, cy, in.w - col_w - 12, in.y + in.h - cy, scale_b, dump);
    }
    for (int k = 0; k < TS_FMAPS; k++) free(t.tile[k]);
}
