/* View of the "filter_grads" scene kind (lesson/scene_filter_grads.h): the
 * mini-batch's 4 pictures with their labels, then the first convolution's
 * filters (CNNNet's conv1: 8 of 3x5x5; any count and kernel size: the grid
 * picks the column count that draws them largest), each as a colour picture
 * (its R, G, B input slices as the picture's R, G, B, grey = 0; a filter
 * without 3 slices shows its first slice in grey; one scale for all filters)
 * next to its gradient from the engine's backward (one scale for all
 * gradients). Drawing only.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/scene_filter_grads.h"
#include "ui/view_gradrow.h"

// One filter (slices, k_h, k_w) as a k_h x k_w RGB picture: 128 + 127·v/scale per
// channel; with 3 slices they are R, G, B, otherwise the first slice is grey.
static void filter_picture(uint8_t *rgb, const FilterGradsExt *e, const float *f, float scale) {
    int plane = e->k_h * e->k_w;
    for (int p = 0; p < plane; p++)
        for (int c = 0; c < 3; c++) {
            float v = scale > 0 ? f[(e->slices == 3 ? c : 0) * plane + p] / scale : 0;
            rgb[3 * p + c] = (uint8_t)lrintf(fminf(255, fmaxf(0, 128 + 127 * v)));
        }
}

// The full CIFAR-10 class names, as lessons 8-9 and the training screen write them (ui_tr: Chinese).
static const char *const CLASS_EN[CIFAR_CLASSES] = {"airplane", "automobile", "bird", "cat", "deer",
                                                     "dog", "frog", "horse", "ship", "truck"};

static void draw_batch(ViewCtx *v, const FilterGradsExt *e, Rect r) {
    float side = floorf(fminf(r.h - v->th->font_body * 1.6f, (r.w - 3 * 24) / FG_BATCH) / 32) * 32;
    char cap[FG_BATCH][64];
    float gap = 24; // wide enough that "automobile  #0" does not run into its neighbour's caption
    for (int i = 0; i < FG_BATCH; i++) {
        snprintf(cap[i], sizeof cap[i], "%s  #%d", ui_tr(v->lang, CLASS_EN[e->labels[i]]), e->index[i]);
        float w;
        text_measure(v->c, cap[i], v->th->font_small, true, &w, NULL);
        gap = fmaxf(gap, w - side + 16);
    }
    float x = r.x + (r.w - (side * FG_BATCH + gap * (FG_BATCH - 1))) / 2;
    for (int i = 0; i < FG_BATCH; i++) widget_image(v->c, (Rect){x + (float)i * (side + gap), r.y, side, side}, e->rgb[i], 32, 32, cap[i]);
}

// The grid of (filter, gradient) pairs: the column count that gives the largest
// pictures (each a whole number of screen pixels per weight) in r.
typedef struct { int cols, rows; float pic, label; } FilterGrid;

static FilterGrid fit_filters(const ViewCtx *v, const FilterGradsExt *e, Rect r) {
    const Theme *th = v->th;
    FilterGrid best = {1, e->n_filters, 0, th->font_body};
    int k = e->k_h > e->k_w ? e->k_h : e->k_w;
    for (int cols = 1; cols <= e->n_filters; cols++) {
        int rows = (e->n_filters + cols - 1) / cols;
        float cell_h = r.h / (float)rows, label = cell_h > th->font_body * 5 ? th->font_body : th->font_small;
        float pic = fminf((r.w / (float)cols - 24) / 2, cell_h - label * 3.1f); // room for the name above and "w" under
        pic = pic >= k ? floorf(pic / (float)k) * (float)k : pic;
        if (pic > best.pic) best = (FilterGrid){cols, rows, pic, label};
    }
    // a grid without empty places (CNNNet's 8 as 4×2) unless it draws much smaller
    FilterGrid full = {0};
    for (int cols = 1; cols <= e->n_filters; cols++) {
        if (e->n_filters % cols) continue;
        int rows = e->n_filters / cols;
        float cell_h = r.h / (float)rows, label = cell_h > th->font_body * 5 ? th->font_body : th->font_small;
        float pic = fminf((r.w / (float)cols - 24) / 2, cell_h - label * 3.1f); // room for the name above and "w" under
        pic = pic >= k ? floorf(pic / (float)k) * (float)k : pic;
        if (pic > full.pic) full = (FilterGrid){cols, rows, pic, label};
    }
    return full.pic >= 0.7f * best.pic ? full : best;
}

static void draw_filters(ViewCtx *v, const FilterGradsExt *e, Rect r) {
    const Theme *th = v->th;
    FilterGrid fg = fit_filters(v, e, r);
    float pair_w = r.w / (float)fg.cols, cell_h = r.h / (float)fg.rows, pic = fmaxf(fg.pic, 2), gap = fminf(12, pic / 3);
    uint8_t *a = cl_malloc((size_t)(e->k_h * e->k_w * 3)), *b = cl_malloc((size_t)(e->k_h * e->k_w * 3));
    for (int k = 0; k < e->n_filters; k++) {
        float x = r.x + (float)(k % fg.cols) * pair_w + (pair_w - 2 * pic - gap) / 2;
        float y = r.y + (float)(k / fg.cols) * cell_h + fg.label * 1.7f; // the name clears the row above
        filter_picture(a, e, e->w + k * e->taps, e->w_max);
        filter_picture(b, e, e->g + k * e->taps, e->g_max);
        Rect ra = {x, y, pic, pic}, rb = {x + pic + gap, y, pic, pic};
        char label[48];
        if (2 * pic + gap > fg.label * 5) snprintf(label, sizeof label, "%s %d", gradrow_tr(v, "filter", "\xE6\xBB\xA4\xE6\xB3\xA2\xE5\x99\xA8"), k);
        else snprintf(label, sizeof label, "%d", k);
        widget_label_above(v->c, (Rect){ra.x, ra.y, rb.x + rb.w - ra.x, pic}, label, th->kernel, fg.label);
        draw_image_rgb(v->c, ra, a, e->k_w, e->k_h);
        draw_image_rgb(v->c, rb, b, e->k_w, e->k_h);
        draw_rect_outline(v->c, ra, pic > 20 ? 2 : 1, th->kernel);
        draw_rect_outline(v->c, rb, pic > 20 ? 2 : 1, th->text_muted);
        TextStyle st = text_style(v->c, fg.label * 0.9f, th->text);
        st.align = ALIGN_CENTER;
        draw_text(v->c, ra.x + pic / 2, ra.y + pic + 4, "w", st);
        draw_text(v->c, rb.x + pic / 2, rb.y + pic + 4, "\xE2\x88\x82L/\xE2\x88\x82w", st);
    }
    free(a), free(b);
}

static void draw_filter_grads(ViewCtx *v, const Scene *sc) {
    const FilterGradsExt *e = sc->ext;
    const Theme *th = v->th;
    if (!e || !e->w) return;
    Rect a = v->area;
    float top_h = fminf(a.h * 0.3f, 150);
    draw_batch(v, e, (Rect){a.x, a.y + 8, a.w, top_h});
    char note[260];
    snprintf(note, sizeof note, gradrow_tr(v, "%s: %d filters of %d\xC3\x97%d\xC3\x97%d; grey = 0; w: \xC2\xB1%.3g, \xE2\x88\x82L/\xE2\x88\x82w: \xC2\xB1%.3g at full colour (%s weights)",
                                           "%s\xEF\xBC\x9A%d \xE4\xB8\xAA %d\xC3\x97%d\xC3\x97%d \xE7\x9A\x84\xE6\xBB\xA4\xE6\xB3\xA2\xE5\x99\xA8\xEF\xBC\x9B\xE7\x81\xB0 = 0\xEF\xBC\x9Bw\xEF\xBC\x9A\xC2\xB1%.3g\xEF\xBC\x8C\xE2\x88\x82L/\xE2\x88\x82w\xEF\xBC\x9A\xC2\xB1%.3g \xE4\xB8\xBA\xE6\x9C\x80\xE6\xB7\xB1\xE8\x89\xB2\xEF\xBC\x88%s\xE6\x9D\x83\xE9\x87\x8D\xEF\xBC\x89"),
             e->layer, e->n_filters, e->slices, e->k_h, e->k_w, (double)e->w_max, (double)e->g_max,
             e->weights.from_checkpoint ? gradrow_tr(v, "trained", "\xE8\xAE\xAD\xE7\xBB\x83\xE5\x90\x8E\xE7\x9A\x84") : gradrow_tr(v, "initial", "\xE5\x88\x9D\xE5\xA7\x8B"));
    // the note wraps (a long layer name, Chinese) rather than shrinking below the body size
    TextStyle st = text_style(v->c, th->font_body * 0.9f, th->text_muted);
    float nh = draw_text_wrapped(v->c, a.x + 8, 0, a.w - 16, note, st, 1.25f, false);
    draw_text_wrapped(v->c, a.x + 8, a.y + a.h - nh - 4, a.w - 16, note, st, 1.25f, true);
    draw_filters(v, e, (Rect){a.x, a.y + top_h + 24, a.w, a.h - top_h - 24 - nh - 12});
}

static const SceneView VIEW_FILTER_GRADS = {"filter_grads", draw_filter_grads, false};
SCENE_VIEW_REGISTER(VIEW_FILTER_GRADS)
