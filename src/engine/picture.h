/* A student's own picture as the network's 32x32 input: pure pixel arithmetic
 * (no SDL; decoding is src/app/picture_load.c). Called by the decoder, the
 * lessons (SceneEnv.picture), --batch predict and the fuzzer.
 *
 *   decoded 8-bit pixels (RGBA, RGB, grey or grey+alpha; any size; a stride)
 *   -> RGB: grey becomes three equal channels; alpha is composited over
 *      PICTURE_BACKGROUND per source pixel: c = (a*v + (255-a)*bg + 127) / 255
 *   -> the largest centred square: side = min(w, h), x0 = (w-side)/2, y0 = (h-side)/2
 *   -> 32x32 by area averaging (box filter): output pixel o covers source
 *      [o*side/32, (o+1)*side/32) in each axis; integer weights in 1/32-pixel
 *      units, integer sums, rounded to nearest (halves up). When side = 32k
 *      every output pixel is exactly round(mean of its k x k block).
 *      A side < 32 is scaled UP with nearest neighbour, src = floor(o*side/32)
 *      (torch 'nearest'), and flagged (upscaled).
 *   -> the tutorial's Normalize: (p/255 - 0.5)/0.5, via cifar_normalize_batch.
 *
 * The header probe reads the size, depth and colour model of a PNG, JPEG,
 * GIF (and its frame count), BMP, WebP or TGA from the file's bytes without
 * decoding, so a 30,000 x 30,000 header is refused before any allocation.
 */
#ifndef CONVLAB_PICTURE_H
#define CONVLAB_PICTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "engine/error.h"

#define PICTURE_SIDE 32
#define PICTURE_MAX_PIXELS 40000000L  // 40 megapixels (e.g. 8000x5000): the RGBA decode is 160 MB
#define PICTURE_MAX_SIDE 30000        // either side, whatever the area
#define PICTURE_BACKGROUND 128        // neutral grey under transparent pixels; normalises to 0.0039
#define PICTURE_PREVIEW_MAX 256       // the preview of the whole picture is at most this per side

typedef enum {
    PIXELS_GREY = 1,        // 1 byte per pixel
    PIXELS_GREY_ALPHA = 2,  // 2 bytes: grey, alpha
    PIXELS_RGB = 3,         // 3 bytes: r, g, b
    PIXELS_RGBA = 4,        // 4 bytes: r, g, b, a (straight, not premultiplied)
} PixelFormat;

typedef enum {
    PICTURE_UNKNOWN, PICTURE_PNG, PICTURE_JPEG, PICTURE_GIF, PICTURE_BMP, PICTURE_WEBP, PICTURE_TGA,
} PictureFormat;

// What a file's header says, read without decoding (picture_probe).
typedef struct {
    PictureFormat format;
    int width, height;       // pixels (BMP: |height|)
    int bits;                // bits per channel sample (PNG 1..16, JPEG 8/12/16, else 8)
    int channels;            // colour components (JPEG: 1 grey, 3 YCbCr, 4 CMYK/YCCK; PNG from its colour type)
    bool has_alpha;          // PNG colour type 4/6 or tRNS; BMP 32-bit; WebP VP8X alpha flag; TGA attribute bits
    bool cmyk;               // a 4-component JPEG
    bool grey;               // grey colour model
    int frames;              // GIF: image descriptors found (>1: animated); else 1
} PictureHeader;

// A picture converted for the network. Plain data, no pointers: copy freely.
typedef struct {
    int src_w, src_h;                    // the decoded picture
    int crop_x, crop_y, crop_side;       // the largest centred square, in source pixels
    bool upscaled;                       // crop_side < 32: nearest neighbour up, not averaging
    bool exact_blocks;                   // crop_side is a multiple of 32: whole k x k blocks
    bool had_alpha, was_grey;            // what the conversion did
    uint8_t rgb[PICTURE_SIDE * PICTURE_SIDE * 3];     // (32, 32, 3) interleaved, for the image views
    uint8_t planes[3 * PICTURE_SIDE * PICTURE_SIDE];  // (3, 32, 32) R, G, B planes: a CIFAR record's layout
    float input[3 * PICTURE_SIDE * PICTURE_SIDE];     // (3, 32, 32) normalised, what net_forward gets
    int preview_w, preview_h;            // the whole picture (before the crop), box-downscaled
    uint8_t preview[PICTURE_PREVIEW_MAX * PICTURE_PREVIEW_MAX * 3]; // (preview_h, preview_w, 3)
    char name[128];                      // the file's base name, for captions ("" if none)
    char note[256];                      // what the student should know ("scaled up ...", "first frame ...")
} Picture;

// Converts decoded pixels (h rows of `stride` bytes, fmt bytes per pixel) into
// out: crop, box downscale (or nearest upscale), normalisation, preview.
// Fails on a size of 0, above PICTURE_MAX_PIXELS/SIDE or a stride too small.
int picture_from_pixels(Picture *out, const uint8_t *pixels, int w, int h, int stride, PixelFormat fmt,
                        ClError *err);

// Reads the header of a picture file's bytes (size n, name for messages and
// TGA, which has no magic number: it is recognised by a .tga name only).
// Fails with "name: what is wrong; what to do" for an unknown format, an
// empty or truncated header, a size above the limits, a truncated JPEG/PNG
// (no EOI / IEND) or GIF (its blocks end early).
int picture_probe(PictureHeader *out, const uint8_t *bytes, size_t n, const char *name, ClError *err);

// "PNG", "JPEG", ... for messages.
const char *picture_format_name(PictureFormat f);

#endif
