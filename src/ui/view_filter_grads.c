/* View of the "filter_grads" scene kind (lesson/scene_filter_grads.h): the
 * mini-batch's 4 pictures with their labels, then CNNNet's 8 conv1 filters,
 * each as a 5x5 colour picture (its R, G, B input slices as the picture's
 * R, G, B, grey = 0, one scale for all filters) next to its gradient from
 * the engine's backward (one scale for all gradients). Drawing only.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson/scene_filter_grads.h"
#include "ui/view_gradrow.h"

// One filter (3, 5, 5) as a 5x5 RGB picture: 128 + 127·v/scale per channel.
static void filter_picture(uint8_t rgb[5 * 5 * 3], const float *f, float scale) {
    for (int p = 0; p < 25; p++)
        for (int c = 0; c < 3; c++) {
            float v = scale > 0 ? f[c * 25 + p] / scale : 0;
            rgb[3 * p + c] = (uint8_t)lrintf(fminf(255, fmaxf(0, 128 + 127 * v)));
        }
}

// The tutorial's short class names (CIFAR_TUTORIAL_CLASSES), in the view's language.
static const char *const SHORT_ZH[CIFAR_CLASSES] = {"\xE9\xA3\x9E\xE6\x9C\xBA", "\xE6\xB1\xBD\xE8\xBD\xA6", "\xE9\xB8\x9F", "\xE7\x8C\xAB", "\xE9\xB9\xBF",
                                                    "\xE7\x8B\x97", "\xE9\x9D\x92\xE8\x9B\x99", "\xE9\xA9\xAC", "\xE8\x88\xB9", "\xE5\x8D\xA1\xE8\xBD\xA6"};

static void draw_batch(ViewCtx *v, const FilterGradsExt *e, Rect r) {
    float side = floorf(fminf(r.h - v->th->font_body * 1.6f, (r.w - 3 * 24) / FG_BATCH) / 32) * 32;
    float x = r.x + (r.w - (side * FG_BATCH + 24 * (FG_BATCH - 1))) / 2;
    for (int i = 0; i < FG_BATCH; i++) {
        char cap[64];
        snprintf(cap, sizeof cap, "%s  #%d", v->lang == LANG_ZH ? SHORT_ZH[e->labels[i]] : CIFAR_TUTORIAL_CLASSES[e->labels[i]], e->index[i]);
        widget_image(v->c, (Rect){x + (float)i * (side + 24), r.y, side, side}, e->rgb[i], 32, 32, cap);
    }
}

static void draw_filters(ViewCtx *v, const FilterGradsExt *e, Rect r) {
    const Theme *th = v->th;
    float pair_w = r.w / 4, pic = floorf(fminf((pair_w - 36) / 2, (r.h / 2 - th->font_body * 3)) / 5) * 5;
    for (int k = 0; k < FG_FILTERS; k++) {
        float x = r.x + (float)(k % 4) * pair_w + (pair_w - 2 * pic - 12) / 2;
        float y = r.y + (float)(k / 4) * (r.h / 2) + th->font_body * 1.4f;
        uint8_t a[75], b[75];
        filter_picture(a, e->w + k * FG_TAPS, e->w_max);
        filter_picture(b, e->g + k * FG_TAPS, e->g_max);
        Rect ra = {x, y, pic, pic}, rb = {x + pic + 12, y, pic, pic};
        char label[48];
        snprintf(label, sizeof label, "%s %d", gradrow_tr(v, "filter", "\xE6\xBB\xA4\xE6\xB3\xA2\xE5\x99\xA8"), k);
        widget_label_above(v->c, (Rect){ra.x, ra.y, rb.x + rb.w - ra.x, pic}, label, th->kernel, th->font_body);
        draw_image_rgb(v->c, ra, a, 5, 5);
        draw_image_rgb(v->c, rb, b, 5, 5);
        draw_rect_outline(v->c, ra, 2, th->kernel);
        draw_rect_outline(v->c, rb, 2, th->text_muted);
        TextStyle st = text_style(v->c, th->font_body * 0.9f, th->text);
        st.align = ALIGN_CENTER;
        draw_text(v->c, ra.x + pic / 2, ra.y + pic + 4, "w", st);
        draw_text(v->c, rb.x + pic / 2, rb.y + pic + 4, "\xE2\x88\x82L/\xE2\x88\x82w", st);
    }
}

static void draw_filter_grads(ViewCtx *v, const Scene *sc) {
    const FilterGradsExt *e = sc->ext;
    const Theme *th = v->th;
    if (!e) return;
    Rect a = v->area;
    float top_h = fminf(a.h * 0.3f, 150);
    draw_batch(v, e, (Rect){a.x, a.y + 8, a.w, top_h});
    char note[200];
    snprintf(note, sizeof note, gradrow_tr(v, "grey = 0; w: \xC2\xB1%.3g, \xE2\x88\x82L/\xE2\x88\x82w: \xC2\xB1%.3g at full colour (%s weights)",
                                           "\xE7\x81\xB0 = 0\xEF\xBC\x9Bw\xEF\xBC\x9A\xC2\xB1%.3g\xEF\xBC\x8C\xE2\x88\x82L/\xE2\x88\x82w\xEF\xBC\x9A\xC2\xB1%.3g \xE4\xB8\xBA\xE6\x9C\x80\xE6\xB7\xB1\xE8\x89\xB2\xEF\xBC\x88%s\xE6\x9D\x83\xE9\x87\x8D\xEF\xBC\x89"),
             (double)e->w_max, (double)e->g_max,
             e->weights.from_checkpoint ? gradrow_tr(v, "trained", "\xE8\xAE\xAD\xE7\xBB\x83\xE5\x90\x8E\xE7\x9A\x84") : gradrow_tr(v, "initial", "\xE5\x88\x9D\xE5\xA7\x8B"));
    TextStyle st = text_style(v->c, th->font_body * 0.9f, th->text_muted);
    st.align = ALIGN_CENTER;
    draw_text(v->c, a.x + a.w / 2, a.y + a.h - th->font_body * 1.4f, note, st);
    draw_filters(v, e, (Rect){a.x, a.y + top_h + 24, a.w, a.h - top_h - 24 - th->font_body * 1.8f});
}

static const SceneView VIEW_FILTER_GRADS = {"filter_grads", draw_filter_grads, false};
SCENE_VIEW_REGISTER(VIEW_FILTER_GRADS)
