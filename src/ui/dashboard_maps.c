/* The dashboard's "inside the network" panel: the first layer's filters (conv1's eight 5x5x3) as
 * colour images and the feature maps of one chosen test image after the
 * net's first four convolution and pooling layers (conv1, pool1, conv2, pool2). Each layer's channels are tiled into ONE image so
 * the canvas caches a handful of textures, not dozens.
 * Colours follow DESIGN.md: signed conv outputs (pre-ReLU) use the diverging
 * map centred on 0; pooled maps (after ReLU, >= 0) use viridis.
 */
#include "ui/dashboard_internal.h"
#include "ui/explain_view.h"

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
static uint8_t *tile_map(const Theme *th, const FeatureMap *fm, int cols, Rgba gap, int *out_w, int *out_h) {
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
    *out_w = W, *out_h = H;
    return img;
}

// Saliency and Grad-CAM of the student's picture in a column at x (height h
// from y), stacked; returns the column's right edge.
static float draw_picture_explanation(Canvas *c, const TrainSnapshot *s, float x, float y, float h, float img_size, Lang lang) {
    const Theme *th = canvas_theme(c);
    TextStyle lab = text_style(c, 14, th->text_muted);
    float side = fminf(img_size * 0.8f, (h - 2 * 18) / 2);
    uint8_t pic[32 * 32 * 3], sal[32 * 32 * 3], cam[32 * 32 * 3];
    dash_planar_rgb(s->fmap_pixels, pic);
    explain_colour_map(sal, s->picture_saliency, NULL);
    explain_colour_map(cam, s->picture_gradcam, pic);
    draw_text(c, x, y, dash_tr(lang, "saliency", "显著图"), lab);
    draw_image_rgb(c, (Rect){x, y + 18, side, side}, sal, 32, 32);
    draw_text(c, x, y + 18 + side + 2, "Grad-CAM", lab);
    draw_image_rgb(c, (Rect){x, y + 2 * 18 + side + 2, side, side}, cam, 32, 32);
    float w;
    text_measure(c, "Grad-CAM", 14, false, &w, NULL);
    return x + fmaxf(side, w);
}

void dash_draw_features(Canvas *c, Rect panel, const TrainSnapshot *s, Lang lang) {
    const Theme *th = canvas_theme(c);
    Rect in = dash_panel(c, panel, dash_tr(lang, "Inside the network", "网络内部"), dash_tr(lang, "filters, feature maps", "卷积核与特征图"));
    if (s->n_runs == 0) return;  // no network yet (no data)
    TextStyle lab = text_style(c, 14, th->text_muted);

    // The first layer's filters: each kh x kw x 3 rescaled to 0..255 on its own (min..max).
    const FilterBank *fb = &s->filters;
    float fy = in.y, fsize = 0;
    if (fb->n > 0) {
        char title[96];
        snprintf(title, sizeof title, dash_tr(lang, "%s filters (%d×%d, RGB)", "%s 卷积核（%d×%d，RGB）"), fb->name, fb->kh, fb->kw);
        draw_text(c, in.x, in.y, title, lab);
        float gap = fb->n <= 8 ? 8 : 6;
        fy = in.y + 20, fsize = fminf(44, (in.w - (fb->n - 1) * gap) / fb->n);
        int area = fb->kh * fb->kw;
        for (int f = 0; f < fb->n; f++) {
            const float *w = fb->w + f * 3 * area;
            float lo = w[0], hi = w[0];
            for (int i = 1; i < 3 * area; i++) lo = fminf(lo, w[i]), hi = fmaxf(hi, w[i]);
            float span = hi - lo > 1e-12f ? hi - lo : 1;
            uint8_t rgb[TS_MAX_FILTER_SIZE * TS_MAX_FILTER_SIZE * 3];
            for (int p = 0; p < area; p++)
                for (int ch = 0; ch < 3; ch++) rgb[3 * p + ch] = (uint8_t)lrintf(255 * (w[ch * area + p] - lo) / span);
            Rect r = {in.x + f * (fsize + gap), fy, fsize, fsize};
            draw_image_rgb(c, r, rgb, fb->kw, fb->kh);
            dash_outline(c, r, 1, th->kernel);
        }
    }

    // the chosen image and its maps
    float my = fy + fsize + 12;
    float img_size = fminf(72, in.y + in.h - my - 36);
    if (img_size < 24 || s->fmaps[0].c == 0) return;
    draw_text(c, in.x, my, dash_tr(lang, "picture", "图片"), lab);
    Rect ir = {in.x, my + 18, img_size, img_size};
    {
        uint8_t rgb[32 * 32 * 3];
        dash_planar_rgb(s->fmap_pixels, rgb);
        draw_image_rgb(c, ir, rgb, 32, 32);
        dash_outline(c, ir, 1.5f, th->input);
        TextStyle nm = text_style(c, 15, th->text);
        char buf[48];
        if (s->has_picture) { // the student's picture: what the net says now (it changes as it trains)
            snprintf(buf, sizeof buf, "%s %.0f %%", dash_class_name(lang, s->picture_pred.top[0]), 100 * s->picture_pred.prob[0]);
            draw_text(c, in.x, ir.y + ir.h + 3, buf, nm);
            draw_text(c, in.x, ir.y + ir.h + 21, dash_tr(lang, "your picture", "你的图片"), lab);
        } else {
            draw_text(c, in.x, ir.y + ir.h + 3, dash_class_name(lang, s->fmap_truth), nm);
            snprintf(buf, sizeof buf, "#%d", s->fmap_image);
            draw_text(c, in.x, ir.y + ir.h + 21, buf, lab);
        }
    }
    float bx = in.x + img_size + 14;
    if (s->has_picture) bx = draw_picture_explanation(c, s, in.x + img_size + 10, my, in.y + in.h - my, img_size, lang) + 14;
    // 2 x 2 boxes: the net's first four convolution and pooling outputs (conv1, pool1 / conv2, pool2 for
    // CNNNet), drawn to one scale (screen pixels per map pixel): a 14x14 map is half as wide as a 28x28 one.
    float bw = (in.x + in.w - bx - 10) / 2;
    float bh = (in.y + in.h - my) / 2;
    uint8_t *tiles[TS_FMAPS] = {0};
    int tw[TS_FMAPS], tht[TS_FMAPS];
    float scale = INFINITY;
    for (int k = 0; k < TS_FMAPS; k++) {
        const FeatureMap *fm = &s->fmaps[k];
        if (fm->c == 0) continue;
        int cols = fm->c <= 8 ? 4 : 8; // CNNNet: 8 maps in 4 columns, 16 in 8
        if (!(tiles[k] = tile_map(th, fm, cols, th->panel, &tw[k], &tht[k]))) continue;
        scale = fminf(scale, fminf(bw / tw[k], (bh - 22) / tht[k]));
    }
    for (int k = 0; k < TS_FMAPS; k++) {
        const FeatureMap *fm = &s->fmaps[k];
        if (!tiles[k]) continue;
        Rect box = {bx + (k % 2) * (bw + 10), my + (k / 2) * bh, bw, bh};
        char title[48];
        snprintf(title, sizeof title, "%s %d×%d×%d", fm->name, fm->c, fm->h, fm->w);
        draw_text(c, box.x, box.y, title, lab);
        draw_image_rgb(c, (Rect){box.x, box.y + 18, tw[k] * scale, tht[k] * scale}, tiles[k], tw[k], tht[k]);
        free(tiles[k]);
    }
}
