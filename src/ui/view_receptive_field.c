/* View of the "receptive_field" scene kind (lesson/scene_receptive_field.h):
 * the CIFAR picture large with the receptive field of one cell drawn on it
 * (pixels tinted by how many paths reach the cell, the field framed in the
 * kernel colour), the layer's feature map with that cell marked, and every
 * spatial layer's field size (however many the chosen net has: the rows
 * shrink to fit) with the focus in bold. Drawing only.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson/scene_receptive_field.h"
#include "ui/view_gradrow.h"

// The field on the picture: the pixels outside it veiled, the field framed (its pixels untouched).
static void draw_field(ViewCtx *v, const ReceptiveFieldScene *e, Rect img) {
    const Theme *th = v->th;
    float px = img.w / 32;
    Rgba veil = th->bg;
    veil.a = 175;
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++)
            if (e->paths[y * 32 + x] <= 0) draw_fill_rect(v->c, (Rect){img.x + (float)x * px, img.y + (float)y * px, px, px}, veil);
    Rect box = {img.x + (float)e->x0 * px, img.y + (float)e->y0 * px, (float)e->w * px, (float)e->h * px};
    float t = th->window_thick;
    draw_rect_outline(v->c, (Rect){box.x - t / 2, box.y - t / 2, box.w + t, box.h + t}, t, th->kernel);
}

// The layer's map as a grid of empty cells with the one-hot cell filled, at
// one cell size for every layer (the largest map fills r), so a 14x14 map is
// drawn half as wide as a 28x28 one.
static void draw_map(ViewCtx *v, const ReceptiveFieldScene *e, Rect r) {
    const Theme *th = v->th;
    int max_h = e->map_h, max_w = e->map_w;
    for (int i = 0; i < e->n_layers; i++) max_h = e->layers[i].out_h > max_h ? e->layers[i].out_h : max_h,
                                           max_w = e->layers[i].out_w > max_w ? e->layers[i].out_w : max_w;
    float cell = fmaxf(1, floorf(fminf(r.w / (float)max_w, r.h / (float)max_h)));
    Rect g = {r.x, r.y, cell * (float)e->map_w, cell * (float)e->map_h};
    draw_fill_rect(v->c, g, th->output_cell);
    Rgba line = th->grid_line;
    for (int i = 1; i < e->map_w && cell >= 6; i++) draw_fill_rect(v->c, (Rect){g.x + (float)i * cell, g.y, 1, g.h}, line);
    for (int i = 1; i < e->map_h && cell >= 6; i++) draw_fill_rect(v->c, (Rect){g.x, g.y + (float)i * cell, g.w, 1}, line);
    Rect c = {g.x + (float)e->cell_c * cell, g.y + (float)e->cell_r * cell, cell, cell};
    draw_fill_rect(v->c, c, th->output);
    draw_rect_outline(v->c, (Rect){c.x - 2, c.y - 2, c.w + 4, c.h + 4}, 3, th->text);
    draw_rect_outline(v->c, g, 2, th->output);
    char buf[96];
    snprintf(buf, sizeof buf, "%s %d\xC3\x97%d, %s [%d,%d]", e->layers[e->layer].name, e->map_h, e->map_w,
             gradrow_tr(v, "cell", "\xE6\xA0\xBC"), e->cell_r, e->cell_c);
    float lw;
    text_measure(v->c, buf, th->font_body, true, &lw, NULL);
    widget_label_above(v->c, (Rect){g.x, g.y, lw, g.h}, buf, th->output, th->font_body); // left-aligned: a small map's label stays right of the picture
}

// "conv1: 5×5 px, j = 1", one line per spatial layer, the focus bold; the lines
// shrink (down to the small font) so that every layer fits above bottom.
static void draw_sizes(ViewCtx *v, const ReceptiveFieldScene *e, float x, float y, float bottom) {
    const Theme *th = v->th;
    float fs = th->font_body, room = bottom - y;
    if (e->n_layers > 0 && room / (float)e->n_layers < fs * 1.5f) fs = fmaxf(th->font_small, room / (float)e->n_layers / 1.3f);
    float step = fminf(fs * 1.5f, fmaxf(fs * 1.15f, room / (float)(e->n_layers ? e->n_layers : 1)));
    char buf[128];
    for (int i = 0; i < e->n_layers; i++) {
        const RfLayer *r = &e->layers[i];
        TextStyle st = text_style(v->c, fs, i == e->layer ? th->kernel : th->text);
        st.bold = i == e->layer;
        snprintf(buf, sizeof buf, gradrow_tr(v, "%s: %d\xC3\x97%d px, j = %d", "%s\xEF\xBC\x9A%d\xC3\x97%d \xE5\x83\x8F\xE7\xB4\xA0\xEF\xBC\x8Cj = %d"),
                 r->name, r->rf_h, r->rf_w, r->jump_h);
        draw_text(v->c, x, y + (float)i * step, buf, st);
    }
    if (e->missing[0]) { // the step names a layer of CNNNet's that this net lacks
        TextStyle ns = text_style(v->c, th->font_small, th->output);
        ns.bold = true;
        snprintf(buf, sizeof buf, gradrow_tr(v, "this net has no %s: showing %s", "\xE8\xBF\x99\xE4\xB8\xAA\xE7\xBD\x91\xE7\xBB\x9C\xE6\xB2\xA1\xE6\x9C\x89 %s\xEF\xBC\x9A\xE6\x98\xBE\xE7\xA4\xBA %s"),
                 e->missing, e->layers[e->layer].name);
        draw_text(v->c, x, y + (float)e->n_layers * step + 4, buf, ns);
    }
}

static void draw_receptive_field(ViewCtx *v, const Scene *sc) {
    const ReceptiveFieldScene *e = sc->ext;
    const Theme *th = v->th;
    if (!e) return;
    Rect a = v->area;
    float side = floorf(fminf(a.h - th->font_body * 3, a.w * 0.5f) / 32) * 32;
    Rect img = {a.x + 12, a.y + (a.h - side - th->font_body * 2) / 2, side, side};
    char cap[96];
    snprintf(cap, sizeof cap, "%s  #%d", ui_tr(v->lang, sc->class_name), sc->image_index);
    widget_image(v->c, img, sc->image_rgb, 32, 32, cap);
    draw_field(v, e, img);
    float rx = img.x + img.w + 40, rw = a.x + a.w - rx - 8;
    Rect map = {rx, img.y + th->font_body * 1.6f, fminf(rw, 300), fminf(rw, 300)}; // the largest map fills it
    draw_map(v, e, map);
    draw_sizes(v, e, rx, map.y + map.h + th->font_body * 1.5f, a.y + a.h - th->font_small * 1.6f * (e->missing[0] ? 2 : 1));
}

static const SceneView VIEW_RECEPTIVE_FIELD = {"receptive_field", draw_receptive_field, false};
SCENE_VIEW_REGISTER(VIEW_RECEPTIVE_FIELD)
