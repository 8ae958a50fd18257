/* Views of the "text" and "image" scene kinds: a CIFAR picture shown large
 * and crisp with its class name, optionally its R, G, B planes, and a crop of
 * one channel as numbers (raw 0-255 or normalized), zoom lines included.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ui/view.h"

// One channel as a tinted picture (the plane's name is written under it, so
// the tint is not the only cue).
static void draw_plane(ViewCtx *v, const Scene *sc, int ch, Rect dst) {
    static uint8_t rgb[32 * 32 * 3];
    for (int i = 0; i < 32 * 32; i++) {
        uint8_t p = sc->image_rgb[3 * i + ch];
        rgb[3 * i + 0] = ch == 0 ? p : (uint8_t)(p / 5);
        rgb[3 * i + 1] = ch == 1 ? p : (uint8_t)(p / 5);
        rgb[3 * i + 2] = ch == 2 ? p : (uint8_t)(p / 5);
    }
    static const char *const NAMES[3] = {"R", "G", "B"};
    widget_image(v->c, dst, rgb, 32, 32, ui_tr(v->lang, NAMES[ch]));
    if (sc->input.rows && sc->channel == ch && (sc->input.rows < 32 || sc->input.cols < 32)) {
        float px = dst.w / 32;
        draw_rect_outline(v->c, (Rect){dst.x + (float)sc->crop_x * px, dst.y + (float)sc->crop_y * px,
                                       (float)sc->input.cols * px, (float)sc->input.rows * px}, 2, v->th->input);
    }
}

static void draw_image_scene(ViewCtx *v, const Scene *sc) {
    const Theme *th = v->th;
    Rect a = v->area;
    if (sc->image_index < 0) return;
    bool planes = sc->show & SHOW_PLANES;
    bool grid = (sc->show & SHOW_INPUT) && sc->input.rows > 0 && sc->input.rows * sc->input.cols <= 16 * 16;
    float caption_h = th->font_body * 2.2f;
    // picture on the left (large), planes under it, the numbers on the right
    float side = fminf(a.h - caption_h - (planes ? a.h * 0.3f : 0) - 20, (grid ? a.w * 0.42f : a.w * 0.7f));
    side = fmaxf(64, floorf(side / 32) * 32); // a whole number of screen px per image px
    GridSpec g;
    memset(&g, 0, sizeof g);
    float grid_w = 0;
    if (grid) {
        g.v = sc->input.v;
        g.rows = sc->input.rows;
        g.cols = sc->input.cols;
        g.decimals = grid_decimals(&sc->input);
        g.n_visible = -1;
        g.values = true;
        g.cell = fminf(62, fminf((a.w - side - 100) / (float)g.cols, (a.h - 80) / (float)g.rows));
        g.heat = sc->normalized ? HEAT_DIVERGING : HEAT_GRAY; // as the conv view: raw pixels look like the picture
        g.lo = sc->normalized ? -1 : 0;
        g.hi = sc->normalized ? 1 : 255;
        g.strong = th->input;
        grid_w = g.cell * (float)g.cols;
    }
    float total = side + (grid ? 90 + grid_w : 0);
    float x = a.x + (a.w - total) / 2;
    float y = a.y + (a.h - side - caption_h - (planes ? side / 3 + caption_h : 0)) / 2;
    Rect img = {x, y, side, side};
    if (grid) {
        g.x = x + side + 90;
        g.y = a.y + (a.h - g.cell * (float)g.rows) / 2 + 10;
    }
    view_picture(v, sc, img, grid ? grid_rect(&g) : (Rect){0, 0, 0, 0});
    if (planes) {
        float ps = floorf((side - 2 * 16) / 3);
        for (int ch = 0; ch < 3; ch++)
            draw_plane(v, sc, ch, (Rect){x + (float)ch * (ps + 16), y + side + caption_h + 8, ps, ps});
    }
    if (grid) {
        widget_grid(v->c, &g);
        char buf[128];
        snprintf(buf, sizeof buf, "%s %d\xC3\x97%d @ (%d, %d)", ui_tr(v->lang, sc->input_name), sc->input.rows, sc->input.cols,
                 sc->crop_y, sc->crop_x);
        widget_label_above(v->c, grid_rect(&g), buf, th->input, th->font_body);
        hitmap_add(v->hits, &g, HIT_OTHER, ui_tr(v->lang, sc->input_name), sc->crop_y, sc->crop_x);
        Rect gr = grid_rect(&g);
        TextStyle st = text_style(v->c, th->font_small, th->text_muted);
        st.align = ALIGN_CENTER;
        draw_text(v->c, gr.x + gr.w / 2, gr.y + gr.h + 8,
                  ui_tr(v->lang, sc->normalized ? "normalized to −1…1, as the network sees them" : "pixel values 0–255"), st);
    }
}

static const SceneView VIEW_TEXT = {"text", draw_image_scene, true};
static const SceneView VIEW_IMAGE = {"image", draw_image_scene, false};
SCENE_VIEW_REGISTER(VIEW_TEXT)
SCENE_VIEW_REGISTER(VIEW_IMAGE)
