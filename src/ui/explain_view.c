/* The explanation row (explain_view.h): four squares of one size, so the
 * 32x32 input, the saliency and Grad-CAM line up pixel for pixel.
 */
#include "ui/explain_view.h"

#include <stdio.h>
#include <string.h>

#include "ui/theme.h"

void explain_colour_map(uint8_t *rgb, const float *map, const uint8_t *base) {
    int n = EXPLAIN_SIDE * EXPLAIN_SIDE;
    float hi = 0;
    for (int i = 0; i < n; i++) hi = map[i] > hi ? map[i] : hi;
    for (int i = 0; i < n; i++) {
        Rgba v = theme_viridis(hi > 0 ? map[i] / hi : 0);
        uint8_t col[3] = {v.r, v.g, v.b};
        for (int k = 0; k < 3; k++)
            rgb[i * 3 + k] = base ? (uint8_t)(0.6f * col[k] + 0.4f * base[i * 3 + k] + 0.5f) : col[k];
    }
}

// A square image panel with a caption (font size fs) under it.
static void panel(Canvas *c, Rect sq, const uint8_t *rgb, int w, int h, const char *caption, float fs) {
    const Theme *th = canvas_theme(c);
    draw_image_rgb(c, sq, rgb, w, h);
    draw_rect_outline(c, sq, 1, th->panel_border);
    TextStyle st = text_style(c, fs, th->text);
    st.align = ALIGN_CENTER;
    draw_text(c, sq.x + sq.w / 2, sq.y + sq.h + 6, caption, st);
}

// The whole picture fitted into sq, with the crop outlined in the kernel colour.
static void picture_panel(Canvas *c, Rect sq, const Picture *p, float fs) {
    const Theme *th = canvas_theme(c);
    float s = sq.w / (float)(p->preview_w > p->preview_h ? p->preview_w : p->preview_h);
    Rect img = {sq.x + (sq.w - s * p->preview_w) / 2, sq.y + (sq.h - s * p->preview_h) / 2, s * p->preview_w,
                s * p->preview_h};
    draw_image_rgb(c, img, p->preview, p->preview_w, p->preview_h);
    float k = img.w / (float)p->src_w;
    Rect crop = {img.x + k * p->crop_x, img.y + k * p->crop_y, k * p->crop_side, k * p->crop_side};
    draw_rect_outline(c, crop, 3, th->kernel);
    char cap[200];
    snprintf(cap, sizeof cap, "%.60s %d×%d", p->name[0] ? p->name : "picture", p->src_w, p->src_h);
    TextStyle st = text_style(c, fs, th->text);
    st.align = ALIGN_CENTER;
    draw_text(c, sq.x + sq.w / 2, sq.y + sq.h + 6, cap, st);
}

void explain_draw_row(Canvas *c, Rect r, const Picture *p, const Explanation *ex, const char *title) {
    const Theme *th = canvas_theme(c);
    // Text sizes follow the row (a short PNG row is drawn at a small canvas scale).
    float fs = r.h * 0.05f > th->font_small ? r.h * 0.05f : th->font_small, ft = fs * 1.3f;
    float gap = r.w * 0.03f, top = ft * 1.6f, bottom = fs * 2.0f;
    float side = (r.w - 3 * gap) / 4;
    if (side > r.h - top - bottom) side = r.h - top - bottom;
    float x = r.x + (r.w - 4 * side - 3 * gap) / 2, y = r.y + top;
    TextStyle st = text_style(c, ft, th->title);
    st.bold = true;
    draw_text(c, x, r.y + 4, title, st);
    uint8_t sal[EXPLAIN_SIDE * EXPLAIN_SIDE * 3], cam[EXPLAIN_SIDE * EXPLAIN_SIDE * 3];
    explain_colour_map(sal, ex->saliency, NULL);
    explain_colour_map(cam, ex->gradcam, p->rgb);
    char cap[96];
    picture_panel(c, (Rect){x, y, side, side}, p, fs);
    panel(c, (Rect){x + (side + gap), y, side, side}, p->rgb, 32, 32, "32×32 input", fs);
    panel(c, (Rect){x + 2 * (side + gap), y, side, side}, sal, 32, 32, "saliency |∂logit/∂input|", fs);
    snprintf(cap, sizeof cap, "Grad-CAM at %s", ex->cam_layer);
    panel(c, (Rect){x + 3 * (side + gap), y, side, side}, cam, 32, 32, cap, fs);
}

int explain_render_png(const char *path, const Picture *pictures, const Explanation *ex, const char *const *titles,
                       int n, ClError *err) {
    static Theme theme;
    if (theme_load_named(&theme, "light", err) != 0) return -1;
    if (draw_init_fonts(err) != 0) return -1;
    int rows = n < 1 ? 1 : n;
    Canvas *c = canvas_create_offscreen(1200, 340 * rows, &theme, err);
    if (!c) {
        draw_shutdown_fonts();
        return -1;
    }
    canvas_begin_frame(c);
    float rh = canvas_height(c) / (float)rows;
    for (int i = 0; i < n; i++)
        explain_draw_row(c, (Rect){20, rh * (float)i + 10, canvas_width(c) - 40, rh - 20}, &pictures[i], &ex[i], titles[i]);
    int rc = canvas_save_png(c, path, err);
    canvas_free(c);
    draw_shutdown_fonts();
    return rc;
}
