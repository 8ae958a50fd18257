/* A student's picture as the network's 32x32 input (see picture.h for the
 * arithmetic): composite, crop, box-average down or nearest up, normalise;
 * and the header probe that refuses a picture before it is decoded.
 */
#include "engine/picture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cifar.h"

// ---- one source row as RGB ---------------------------------------------------------

// Source row y, columns [x0, x0 + w), as composited RGB into out (w * 3).
// Alpha over PICTURE_BACKGROUND: c = (a*v + (255-a)*bg + 127) / 255.
static void row_to_rgb(uint8_t *out, const uint8_t *row, int x0, int w, PixelFormat fmt) {
    const uint8_t *p = row + (size_t)x0 * (size_t)fmt;
    for (int x = 0; x < w; x++, p += fmt, out += 3) {
        unsigned r, g, b, a = 255;
        switch (fmt) {
        case PIXELS_GREY: r = g = b = p[0]; break;
        case PIXELS_GREY_ALPHA: r = g = b = p[0], a = p[1]; break;
        case PIXELS_RGB: r = p[0], g = p[1], b = p[2]; break;
        default: r = p[0], g = p[1], b = p[2], a = p[3]; break;
        }
        if (a != 255) {
            unsigned bg = (255u - a) * PICTURE_BACKGROUND;
            r = (a * r + bg + 127) / 255, g = (a * g + bg + 127) / 255, b = (a * b + bg + 127) / 255;
        }
        out[0] = (uint8_t)r, out[1] = (uint8_t)g, out[2] = (uint8_t)b;
    }
}

// ---- area averaging ------------------------------------------------------------------

// Box weights of one axis, in_len source pixels -> out_len <= in_len outputs,
// on a grid where source pixel s covers [s*out, (s+1)*out) and output o covers
// [o*in, (o+1)*in): the overlaps are integers and each output's sum to in_len.
typedef struct {
    int *first;     // (out_len) first source pixel of each output
    int *count;     // (out_len) how many source pixels it overlaps
    int *weight;    // (out_len, max_count) their overlaps
    int max_count;
} BoxAxis;

static void box_axis_build(BoxAxis *a, int in_len, int out_len) {
    a->max_count = in_len / out_len + 2;
    a->first = cl_malloc(sizeof(int) * (size_t)out_len);
    a->count = cl_malloc(sizeof(int) * (size_t)out_len);
    a->weight = cl_calloc((size_t)out_len * (size_t)a->max_count, sizeof(int));
    for (int o = 0; o < out_len; o++) {
        long lo = (long)o * in_len, hi = (long)(o + 1) * in_len;
        int s0 = (int)(lo / out_len), n = 0;
        for (int s = s0; (long)s * out_len < hi && s < in_len; s++) {
            long a0 = (long)s * out_len > lo ? (long)s * out_len : lo;
            long a1 = (long)(s + 1) * out_len < hi ? (long)(s + 1) * out_len : hi;
            if (a1 > a0) a->weight[o * a->max_count + n++] = (int)(a1 - a0);
        }
        CL_ASSERT(n <= a->max_count);
        a->first[o] = s0, a->count[o] = n;
    }
}

static void box_axis_free(BoxAxis *a) {
    free(a->first);
    free(a->count);
    free(a->weight);
}

// dst (out_h, out_w, 3) = box average of the source region (x0, y0, w, h);
// out_w <= w and out_h <= h. Integer sums, rounded to nearest: exact.
static void box_downscale(uint8_t *dst, int out_w, int out_h, const uint8_t *pixels, int stride, PixelFormat fmt,
                          int x0, int y0, int w, int h) {
    BoxAxis ax, ay;
    box_axis_build(&ax, w, out_w);
    box_axis_build(&ay, h, out_h);
    uint8_t *row = cl_malloc((size_t)w * 3);
    uint64_t *acc = cl_calloc((size_t)out_w * 3, sizeof(uint64_t));
    uint64_t total = (uint64_t)w * (uint64_t)h;
    for (int oy = 0; oy < out_h; oy++) {
        memset(acc, 0, sizeof(uint64_t) * (size_t)out_w * 3);
        for (int k = 0; k < ay.count[oy]; k++) {
            int y = ay.first[oy] + k;
            uint64_t wy = (uint64_t)ay.weight[oy * ay.max_count + k];
            row_to_rgb(row, pixels + (size_t)(y0 + y) * (size_t)stride, x0, w, fmt);
            for (int ox = 0; ox < out_w; ox++) {
                uint64_t s[3] = {0, 0, 0};
                for (int j = 0; j < ax.count[ox]; j++) {
                    const uint8_t *p = row + (size_t)(ax.first[ox] + j) * 3;
                    uint64_t wx = (uint64_t)ax.weight[ox * ax.max_count + j];
                    s[0] += wx * p[0], s[1] += wx * p[1], s[2] += wx * p[2];
                }
                for (int c = 0; c < 3; c++) acc[ox * 3 + c] += wy * s[c];
            }
        }
        for (int i = 0; i < out_w * 3; i++) dst[(size_t)oy * (size_t)out_w * 3 + (size_t)i] = (uint8_t)((acc[i] + total / 2) / total);
    }
    free(acc);
    free(row);
    box_axis_free(&ax);
    box_axis_free(&ay);
}

// dst (out, out, 3) from the square (x0, y0, side) with side < out:
// nearest neighbour, src = floor(o * side / out), as torch's 'nearest'.
static void nearest_upscale(uint8_t *dst, int out, const uint8_t *pixels, int stride, PixelFormat fmt, int x0, int y0,
                            int side) {
    uint8_t row[PICTURE_SIDE * 3];
    for (int oy = 0; oy < out; oy++) {
        int y = oy * side / out;
        row_to_rgb(row, pixels + (size_t)(y0 + y) * (size_t)stride, x0, side, fmt);
        for (int ox = 0; ox < out; ox++) memcpy(dst + ((size_t)oy * out + ox) * 3, row + (ox * side / out) * 3, 3);
    }
}

// ---- the conversion -------------------------------------------------------------------

static void fill_planes_and_input(Picture *p) {
    for (int i = 0; i < PICTURE_SIDE * PICTURE_SIDE; i++)
        for (int c = 0; c < 3; c++) p->planes[c * PICTURE_SIDE * PICTURE_SIDE + i] = p->rgb[i * 3 + c];
    // The very normalisation the CIFAR images get (torchvision's, bit for bit).
    uint8_t label = 0;
    CifarSet one = {.n = 1, .labels = &label, .pixels = p->planes};
    cifar_normalize_batch(p->input, NULL, &one, NULL, 1);
}

static void fill_preview(Picture *p, const uint8_t *pixels, int w, int h, int stride, PixelFormat fmt) {
    int big = w > h ? w : h;
    int pw = w, ph = h;
    if (big > PICTURE_PREVIEW_MAX) {
        pw = (int)(((long)w * PICTURE_PREVIEW_MAX + big / 2) / big);
        ph = (int)(((long)h * PICTURE_PREVIEW_MAX + big / 2) / big);
        pw = pw < 1 ? 1 : pw, ph = ph < 1 ? 1 : ph;
    }
    p->preview_w = pw, p->preview_h = ph;
    box_downscale(p->preview, pw, ph, pixels, stride, fmt, 0, 0, w, h);
}

int picture_from_pixels(Picture *out, const uint8_t *pixels, int w, int h, int stride, PixelFormat fmt,
                        ClError *err) {
    memset(out, 0, sizeof *out);
    if (fmt != PIXELS_GREY && fmt != PIXELS_GREY_ALPHA && fmt != PIXELS_RGB && fmt != PIXELS_RGBA)
        return cl_fail(err, "picture: unknown pixel format %d", (int)fmt);
    if (w < 1 || h < 1) return cl_fail(err, "picture: %d x %d pixels is empty", w, h);
    if (w > PICTURE_MAX_SIDE || h > PICTURE_MAX_SIDE || (long)w * h > PICTURE_MAX_PIXELS)
        return cl_fail(err, "picture: %d x %d pixels is above the limit of %ld megapixels (%d per side); scale it down first",
                       w, h, PICTURE_MAX_PIXELS / 1000000, PICTURE_MAX_SIDE);
    if (!pixels || stride < w * (int)fmt) return cl_fail(err, "picture: a row of %d bytes is shorter than %d pixels", stride, w);
    out->src_w = w, out->src_h = h;
    out->crop_side = w < h ? w : h;
    out->crop_x = (w - out->crop_side) / 2;
    out->crop_y = (h - out->crop_side) / 2;
    out->upscaled = out->crop_side < PICTURE_SIDE;
    out->exact_blocks = out->crop_side % PICTURE_SIDE == 0;
    out->had_alpha = fmt == PIXELS_GREY_ALPHA || fmt == PIXELS_RGBA;
    out->was_grey = fmt == PIXELS_GREY || fmt == PIXELS_GREY_ALPHA;
    if (out->upscaled)
        nearest_upscale(out->rgb, PICTURE_SIDE, pixels, stride, fmt, out->crop_x, out->crop_y, out->crop_side);
    else
        box_downscale(out->rgb, PICTURE_SIDE, PICTURE_SIDE, pixels, stride, fmt, out->crop_x, out->crop_y,
                      out->crop_side, out->crop_side);
    fill_planes_and_input(out);
    fill_preview(out, pixels, w, h, stride, fmt);
    if (out->upscaled)
        snprintf(out->note, sizeof out->note,
                 "smaller than 32x32 (%dx%d): scaled up with nearest neighbour, so pixels repeat", w, h);
    return 0;
}

const char *picture_format_name(PictureFormat f) {
    static const char *const names[] = {"unknown", "PNG", "JPEG", "GIF", "BMP", "WebP", "TGA"};
    return (unsigned)f < sizeof names / sizeof names[0] ? names[f] : "unknown";
}
