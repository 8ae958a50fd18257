/* libFuzzer target: the student's-picture path without SDL: the header probe
 * (picture_probe, which sees a picture file's bytes before any decoder does)
 * and the conversion to the 32x32 input (picture_from_pixels).
 * Byte 0 picks the probe's file name (.png or .tga: TGA has no magic number);
 * bytes 1-4 pick a size (1..96 x 1..96), a pixel format and a row padding
 * for the conversion, whose pixels are the remaining bytes (repeated).
 * Invariants: a probe that succeeds reports a known format within the pixel
 * limits and never a CMYK JPEG; a failure is one non-empty line. The
 * conversion always succeeds, crops the centred square, flags upscaling iff
 * the side is < 32, gives exact block means for sides of 32 or 64, and
 * normalises into [-1, 1].
 *   make fuzz-build && build/libfuzzer/fuzz_picture -max_total_time=60 tests/fuzz/corpus/picture
 */
#include <stdlib.h>
#include <string.h>

#include "engine/picture.h"

static void check_probe(const uint8_t *data, size_t size, const char *name) {
    PictureHeader h;
    ClError err = {{0}};
    int rc = picture_probe(&h, data, size, name, &err);
    if (rc == 0) {
        if (h.format == PICTURE_UNKNOWN || h.cmyk || h.width < 1 || h.height < 1) abort();
        if (h.width > PICTURE_MAX_SIDE || h.height > PICTURE_MAX_SIDE || (long)h.width * h.height > PICTURE_MAX_PIXELS)
            abort();
    } else if (err.msg[0] == '\0' || strchr(err.msg, '\n')) {
        abort();
    }
}

// The grey value of the source pixel (x, y) after compositing, as picture.h defines it.
static unsigned grey_at(const uint8_t *px, int stride, PixelFormat fmt, int x, int y) {
    const uint8_t *p = px + (size_t)y * stride + (size_t)x * fmt;
    unsigned v = p[0], a = fmt == PIXELS_GREY_ALPHA ? p[1] : 255;
    return (a * v + (255 - a) * PICTURE_BACKGROUND + 127) / 255;
}

static void check_conversion(const uint8_t *data, size_t size) {
    if (size < 5) return;
    int w = 1 + data[1] % 96, h = 1 + data[2] % 96, extra = data[4] % 8;
    PixelFormat fmt = (PixelFormat)(1 + data[3] % 4);
    int stride = w * (int)fmt + extra;
    size_t n = (size_t)stride * (size_t)h;
    uint8_t *px = malloc(n);
    const uint8_t *src = data + 5;
    size_t m = size - 5;
    for (size_t i = 0; i < n; i++) px[i] = m ? src[i % m] : (uint8_t)i;
    static Picture p;
    ClError err = {{0}};
    if (picture_from_pixels(&p, px, w, h, stride, fmt, &err) != 0) abort();
    int side = w < h ? w : h;
    if (p.crop_side != side || p.crop_x != (w - side) / 2 || p.crop_y != (h - side) / 2) abort();
    if (p.upscaled != (side < 32)) abort();
    for (int i = 0; i < 3 * 32 * 32; i++)
        if (!(p.input[i] >= -1.0f && p.input[i] <= 1.0f)) abort();
    bool grey = fmt == PIXELS_GREY || fmt == PIXELS_GREY_ALPHA;
    if (grey && side % 32 == 0) {  // every output is round(mean of its k x k block)
        int k = side / 32;
        for (int oy = 0; oy < 32; oy++)
            for (int ox = 0; ox < 32; ox++) {
                unsigned sum = 0;
                for (int y = 0; y < k; y++)
                    for (int x = 0; x < k; x++) sum += grey_at(px, stride, fmt, p.crop_x + ox * k + x, p.crop_y + oy * k + y);
                unsigned want = (sum + (unsigned)(k * k) / 2) / (unsigned)(k * k);
                const uint8_t *o = p.rgb + (oy * 32 + ox) * 3;
                if (o[0] != want || o[1] != want || o[2] != want) abort();
            }
    }
    free(px);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_probe(data, size, size && (data[0] & 1) ? "fuzz.tga" : "fuzz.png");
    if (size > 1) check_probe(data + 1, size - 1, "fuzz.jpg");
    check_conversion(data, size);
    return 0;
}
