/* The GIF writer: see gif_out.h. giflib writes the file
 * (LZW, the NETSCAPE2.0 loop extension); libimagequant picks each frame's
 * palette (a median cut refined by k-means, with dithering only where the
 * colours need more than 256 levels), so gradients such as viridis heat maps
 * and CIFAR photos do not band.
 */
#include <gif_lib.h>
#include <libimagequant.h>
#include <stdlib.h>
#include <string.h>

#include "ui/gif_out.h"

struct GifOut {
    GifFileType *gif;
    FILE *f;
    int w, h;
    uint8_t *prev;          // (h, w, 4) the picture shown so far
    bool have_prev;
    bool write_failed;
};

// giflib's output callback: fwrite into the caller's FILE (errors noticed).
static int write_bytes(GifFileType *gif, const GifByteType *buf, int n) {
    GifOut *g = gif->UserData;
    if (fwrite(buf, 1, (size_t)n, g->f) != (size_t)n) { g->write_failed = true; return 0; }
    return n;
}

static int gif_fail(GifOut *g, ClError *err, const char *what, int code) {
    if (g->write_failed) return cl_fail(err, "%s: the write failed (the disk may be full)", what);
    return cl_fail(err, "%s: %s", what, GifErrorString(code));
}

GifOut *gif_out_open(FILE *f, int w, int h, ClError *err) {
    GifOut *g = cl_calloc(1, sizeof *g);
    g->f = f; g->w = w; g->h = h;
    g->prev = cl_malloc((size_t)w * h * 4);
    int code = 0;
    g->gif = EGifOpen(g, write_bytes, &code);
    if (!g->gif) { cl_fail(err, "cannot start the GIF: %s", GifErrorString(code)); free(g->prev); free(g); return NULL; }
    EGifSetGifVersion(g->gif, true); // GIF89a: delays and the loop extension
    if (EGifPutScreenDesc(g->gif, w, h, 8, 0, NULL) == GIF_ERROR) {
        gif_fail(g, err, "writing the GIF header", g->gif->Error);
        gif_out_close(g, NULL);
        return NULL;
    }
    // NETSCAPE2.0 application extension, loop count 0 = forever.
    static const GifByteType app[11] = {'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0'};
    static const GifByteType loop[3] = {1, 0, 0};
    if (EGifPutExtensionLeader(g->gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
        EGifPutExtensionBlock(g->gif, sizeof app, app) == GIF_ERROR ||
        EGifPutExtensionBlock(g->gif, sizeof loop, loop) == GIF_ERROR || EGifPutExtensionTrailer(g->gif) == GIF_ERROR) {
        gif_fail(g, err, "writing the GIF loop extension", g->gif->Error);
        gif_out_close(g, NULL);
        return NULL;
    }
    return g;
}

// The bounding box of the pixels that differ from the previous frame (the
// whole frame for the first); a 1x1 box if nothing changed (a GIF frame must
// have at least one pixel, and the frame still carries its delay).
static void changed_box(const GifOut *g, const uint8_t *rgba, int *x0, int *y0, int *x1, int *y1) {
    if (!g->have_prev) { *x0 = 0; *y0 = 0; *x1 = g->w; *y1 = g->h; return; }
    int lx = g->w, ly = g->h, hx = -1, hy = -1;
    for (int y = 0; y < g->h; y++) {
        const uint32_t *a = (const uint32_t *)(rgba + (size_t)y * g->w * 4), *b = (const uint32_t *)(g->prev + (size_t)y * g->w * 4);
        for (int x = 0; x < g->w; x++)
            if (a[x] != b[x]) {
                if (x < lx) lx = x;
                if (x > hx) hx = x;
                if (y < ly) ly = y;
                hy = y;
            }
    }
    if (hx < 0) { *x0 = 0; *y0 = 0; *x1 = 1; *y1 = 1; return; }
    *x0 = lx; *y0 = ly; *x1 = hx + 1; *y1 = hy + 1;
}

// Quantizes the (bw, bh) rectangle into indices + a 256-entry colour map.
static int quantize(const uint8_t *rect, int bw, int bh, uint8_t *idx, ColorMapObject **map, ClError *err) {
    liq_attr *attr = liq_attr_create();
    liq_set_max_colors(attr, 256);
    liq_set_quality(attr, 0, 100);
    liq_image *img = liq_image_create_rgba(attr, rect, bw, bh, 0);
    liq_result *res = NULL;
    int rc = 0;
    if (!img || liq_image_quantize(img, attr, &res) != LIQ_OK) rc = cl_fail(err, "choosing a GIF palette failed");
    else {
        liq_set_dithering_level(res, 1.0f);
        if (liq_write_remapped_image(res, img, idx, (size_t)bw * bh) != LIQ_OK) rc = cl_fail(err, "mapping a GIF frame failed");
        else {
            const liq_palette *pal = liq_get_palette(res);
            GifColorType colors[256] = {{0, 0, 0}};
            for (unsigned i = 0; i < pal->count && i < 256; i++)
                colors[i] = (GifColorType){pal->entries[i].r, pal->entries[i].g, pal->entries[i].b};
            *map = GifMakeMapObject(256, colors);
            if (!*map) rc = cl_fail(err, "out of memory for a GIF colour map");
        }
    }
    if (res) liq_result_destroy(res);
    if (img) liq_image_destroy(img);
    liq_attr_destroy(attr);
    return rc;
}

int gif_out_add(GifOut *g, const uint8_t *rgba, int delay_cs, ClError *err) {
    int x0, y0, x1, y1;
    changed_box(g, rgba, &x0, &y0, &x1, &y1);
    int bw = x1 - x0, bh = y1 - y0;
    uint8_t *rect = cl_malloc((size_t)bw * bh * 4), *idx = cl_malloc((size_t)bw * bh);
    for (int y = 0; y < bh; y++) {
        memcpy(rect + (size_t)y * bw * 4, rgba + ((size_t)(y0 + y) * g->w + x0) * 4, (size_t)bw * 4);
        for (int x = 0; x < bw; x++) rect[((size_t)y * bw + x) * 4 + 3] = 255; // frames are opaque
    }
    ColorMapObject *map = NULL;
    int rc = quantize(rect, bw, bh, idx, &map, err);
    if (rc == 0) {
        // Graphic control: disposal 1 (leave the frame: the next one draws only what changed).
        GraphicsControlBlock gcb = {.DisposalMode = DISPOSE_DO_NOT, .DelayTime = delay_cs, .TransparentColor = NO_TRANSPARENT_COLOR};
        GifByteType ext[4];
        EGifGCBToExtension(&gcb, ext);
        if (EGifPutExtension(g->gif, GRAPHICS_EXT_FUNC_CODE, 4, ext) == GIF_ERROR ||
            EGifPutImageDesc(g->gif, x0, y0, bw, bh, false, map) == GIF_ERROR)
            rc = gif_fail(g, err, "writing a GIF frame", g->gif->Error);
        for (int y = 0; rc == 0 && y < bh; y++)
            if (EGifPutLine(g->gif, idx + (size_t)y * bw, bw) == GIF_ERROR) rc = gif_fail(g, err, "writing a GIF frame", g->gif->Error);
    }
    GifFreeMapObject(map);
    free(rect);
    free(idx);
    if (rc == 0) { memcpy(g->prev, rgba, (size_t)g->w * g->h * 4); g->have_prev = true; }
    return rc;
}

int gif_out_close(GifOut *g, ClError *err) {
    int code = 0, rc = 0;
    if (EGifCloseFile(g->gif, &code) == GIF_ERROR) {
        if (err) rc = g->write_failed ? cl_fail(err, "finishing the GIF: the write failed (the disk may be full)")
                                      : cl_fail(err, "finishing the GIF: %s", GifErrorString(code));
        else rc = -1;
    }
    if (g->write_failed && rc == 0) rc = err ? cl_fail(err, "writing the GIF failed (the disk may be full)") : -1;
    free(g->prev);
    free(g);
    return rc;
}
