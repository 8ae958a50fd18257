/* Tests of the student's-picture path: engine/picture.c's conversion (exact
 * box averages, the centred crop, grey, alpha, nearest upscaling, the CIFAR
 * normalisation), picture_probe's refusals, app/picture_load.c's decoding
 * of real files written with SDL_image (8x blown-up pictures come back
 * exact, square and padded), and engine/explain.c's saliency and Grad-CAM
 * against PyTorch (fixtures/picture_explain*.safetensors from
 * gen_picture_fixtures.py) and finite differences.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <SDL2/SDL.h>
#include <SDL2/SDL_image.h>

#include "ui/picture_load.h"
#include "engine/cifar.h"
#include "engine/explain.h"
#include "engine/picture.h"
#include "engine/rng.h"
#include "testutil.h"

// ---- helpers ------------------------------------------------------------------------

// A seeded 32x32 RGB picture, interleaved.
static void random_rgb32(uint8_t *rgb, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < 32 * 32 * 3; i++) rgb[i] = (uint8_t)(rng_uniform(&r) * 256);
}

// src (32, 32, 3) blown up k times with nearest neighbour into a w x h RGB
// picture (w, h >= 32k) centred on a background colour; stride w*3 + extra.
static uint8_t *blow_up(const uint8_t *src, int k, int w, int h, int extra, uint8_t bg) {
    int stride = w * 3 + extra, x0 = (w - 32 * k) / 2, y0 = (h - 32 * k) / 2;
    uint8_t *p = malloc((size_t)stride * h);
    memset(p, bg, (size_t)stride * h);
    for (int y = 0; y < 32 * k; y++)
        for (int x = 0; x < 32 * k; x++) memcpy(p + (size_t)(y0 + y) * stride + (x0 + x) * 3, src + ((y / k) * 32 + x / k) * 3, 3);
    return p;
}

static void convert_ok(Picture *p, const uint8_t *px, int w, int h, int stride, PixelFormat f) {
    ClError err = {0};
    cr_assert_eq(picture_from_pixels(p, px, w, h, stride, f, &err), 0, "%s", err.msg);
}

// ---- conversion ------------------------------------------------------------------------

Test(picture, blown_up_8x_comes_back_exact_square_and_padded) {
    static uint8_t orig[32 * 32 * 3];
    static Picture p;
    random_rgb32(orig, 7);
    const int sizes[][3] = {{256, 256, 0}, {256, 400, 0}, {400, 256, 5}, {257, 256, 0}, {256, 258, 3}};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        int w = sizes[t][0], h = sizes[t][1];
        uint8_t *big = blow_up(orig, 8, w, h, sizes[t][2], 255);
        convert_ok(&p, big, w, h, w * 3 + sizes[t][2], PIXELS_RGB);
        cr_assert_eq(p.crop_side, 256, "%dx%d", w, h);
        cr_assert(p.exact_blocks && !p.upscaled);
        cr_assert(memcmp(p.rgb, orig, sizeof orig) == 0, "%dx%d: the 32x32 differs from the original", w, h);
        free(big);
    }
}

Test(picture, normalised_input_is_cifars) {
    static uint8_t orig[32 * 32 * 3];
    static Picture p;
    random_rgb32(orig, 3);
    convert_ok(&p, orig, 32, 32, 96, PIXELS_RGB);
    uint8_t rec[CIFAR_PIXELS], label = 0;
    for (int i = 0; i < 1024; i++)
        for (int c = 0; c < 3; c++) rec[c * 1024 + i] = orig[i * 3 + c];
    cr_assert(memcmp(p.planes, rec, sizeof rec) == 0);
    float want[CIFAR_PIXELS];
    CifarSet one = {.n = 1, .labels = &label, .pixels = rec};
    cifar_normalize_batch(want, NULL, &one, NULL, 1);
    cr_assert(memcmp(p.input, want, sizeof want) == 0);
    cr_assert_float_eq(p.input[0], ((float)orig[0] / 255.0f - 0.5f) / 0.5f, 0);
}

// A side that is not a multiple of 32: every output is the area-weighted mean
// (computed here in doubles, independently), rounded to nearest.
Test(picture, box_average_of_a_non_multiple_side) {
    const int side = 45;
    static uint8_t grey[45 * 45];
    Rng r;
    rng_seed(&r, 11);
    for (int i = 0; i < side * side; i++) grey[i] = (uint8_t)(rng_uniform(&r) * 256);
    static Picture p;
    convert_ok(&p, grey, side, side, side, PIXELS_GREY);
    cr_assert(!p.exact_blocks && p.was_grey);
    double f = side / 32.0;
    for (int oy = 0; oy < 32; oy++)
        for (int ox = 0; ox < 32; ox++) {
            double sum = 0;
            for (int y = 0; y < side; y++)
                for (int x = 0; x < side; x++) {
                    double wy = fmin(y + 1, (oy + 1) * f) - fmax(y, oy * f), wx = fmin(x + 1, (ox + 1) * f) - fmax(x, ox * f);
                    if (wy > 0 && wx > 0) sum += wy * wx * grey[y * side + x];
                }
            double mean = sum / (f * f);
            const uint8_t *o = p.rgb + (oy * 32 + ox) * 3;
            cr_assert(fabs(o[0] - mean) <= 0.5 + 1e-9, "(%d,%d): %d for a mean of %.4f", oy, ox, o[0], mean);
            cr_assert(o[0] == o[1] && o[1] == o[2], "grey must give three equal channels");
        }
}

Test(picture, halves_round_up_and_whole_blocks_are_exact) {
    // 64x64 in 2x2 blocks of {0, 1, 0, 0} -> 0.25 -> 0; {1, 1, 0, 0} -> 0.5 -> 1; {255, 254, 254, 254} -> 254.25 -> 254
    static uint8_t g[64 * 64];
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 64; x++) {
            int b = (y / 2 * 32 + x / 2) % 3, k = (y % 2) * 2 + x % 2;
            g[y * 64 + x] = b == 0 ? (k == 1) : b == 1 ? (k < 2) : (k == 0 ? 255 : 254);
        }
    static Picture p;
    convert_ok(&p, g, 64, 64, 64, PIXELS_GREY);
    for (int i = 0; i < 1024; i++) {
        int want = i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : 254;
        cr_assert_eq(p.rgb[i * 3], want, "block %d", i);
    }
}

Test(picture, alpha_is_composited_over_grey_128) {
    uint8_t px[4 * 32 * 32];
    for (int i = 0; i < 1024; i++) {
        uint8_t a = i % 3 == 0 ? 0 : i % 3 == 1 ? 255 : 51;
        px[i * 4] = 250, px[i * 4 + 1] = 10, px[i * 4 + 2] = 128, px[i * 4 + 3] = a;
    }
    static Picture p;
    convert_ok(&p, px, 32, 32, 128, PIXELS_RGBA);
    cr_assert(p.had_alpha);
    for (int i = 0; i < 1024; i++) {
        const uint8_t *o = p.rgb + i * 3;
        if (i % 3 == 0) cr_assert(o[0] == PICTURE_BACKGROUND && o[1] == PICTURE_BACKGROUND && o[2] == PICTURE_BACKGROUND);
        else if (i % 3 == 1) cr_assert(o[0] == 250 && o[1] == 10 && o[2] == 128);
        else  // (51*v + 204*128 + 127) / 255
            cr_assert(o[0] == (51 * 250 + 204 * 128 + 127) / 255 && o[1] == (51 * 10 + 204 * 128 + 127) / 255 && o[2] == 128);
    }
}

Test(picture, small_pictures_are_scaled_up_nearest_and_say_so) {
    uint8_t g[10 * 7];
    for (int i = 0; i < 70; i++) g[i] = (uint8_t)(i * 3);
    static Picture p;
    convert_ok(&p, g, 10, 7, 10, PIXELS_GREY);
    cr_assert(p.upscaled);
    cr_assert_eq(p.crop_side, 7);
    cr_assert_eq(p.crop_x, 1);
    cr_assert(strstr(p.note, "nearest") != NULL, "note: %s", p.note);
    for (int oy = 0; oy < 32; oy++)
        for (int ox = 0; ox < 32; ox++) cr_assert_eq(p.rgb[(oy * 32 + ox) * 3], g[(oy * 7 / 32) * 10 + 1 + ox * 7 / 32]);
}

Test(picture, preview_keeps_the_aspect_and_the_crop_is_centred) {
    uint8_t *g = calloc(1000 * 300, 1);
    static Picture p;
    convert_ok(&p, g, 1000, 300, 1000, PIXELS_GREY);
    cr_assert_eq(p.preview_w, 256);
    cr_assert_eq(p.preview_h, 77);
    cr_assert_eq(p.crop_x, 350);
    cr_assert_eq(p.crop_y, 0);
    cr_assert_eq(p.crop_side, 300);
    free(g);
}

Test(picture, bad_sizes_are_refused) {
    static Picture p;
    ClError err = {0};
    uint8_t px[16] = {0};
    cr_assert_eq(picture_from_pixels(&p, px, 0, 4, 4, PIXELS_GREY, &err), -1);
    cr_assert(strstr(err.msg, "empty"));
    cr_assert_eq(picture_from_pixels(&p, px, 30000, 30000, 30000, PIXELS_GREY, &err), -1);
    cr_assert(strstr(err.msg, "megapixels"));
    cr_assert_eq(picture_from_pixels(&p, px, 4, 4, 3, PIXELS_GREY, &err), -1);
}

// ---- the header probe -------------------------------------------------------------------

static void put_be32(uint8_t *p, uint32_t v) { p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v; }

// A PNG skeleton: signature, IHDR (w, h, depth, colour type), IEND; CRCs are not checked by the probe.
static size_t fake_png(uint8_t *b, uint32_t w, uint32_t h, int depth, int type) {
    memcpy(b, "\x89PNG\r\n\x1a\n", 8);
    put_be32(b + 8, 13);
    memcpy(b + 12, "IHDR", 4);
    put_be32(b + 16, w), put_be32(b + 20, h);
    b[24] = (uint8_t)depth, b[25] = (uint8_t)type, b[26] = b[27] = b[28] = 0;
    memset(b + 29, 0, 4);
    put_be32(b + 33, 0);
    memcpy(b + 37, "IEND", 4);
    memset(b + 41, 0, 4);
    return 45;
}

Test(picture, probe_reads_png_headers_and_refuses_huge_ones_before_decoding) {
    uint8_t b[64];
    PictureHeader h;
    ClError err = {0};
    size_t n = fake_png(b, 640, 480, 16, 4);
    cr_assert_eq(picture_probe(&h, b, n, "a.png", &err), 0, "%s", err.msg);
    cr_assert(h.format == PICTURE_PNG && h.width == 640 && h.height == 480 && h.bits == 16 && h.grey && h.has_alpha);
    n = fake_png(b, 30000, 30000, 8, 2);
    cr_assert_eq(picture_probe(&h, b, n, "huge.png", &err), -1);
    cr_assert(strstr(err.msg, "huge.png: the PNG header says 30000 x 30000 pixels") && strstr(err.msg, "40 megapixels"),
              "%s", err.msg);
    cr_assert_eq(picture_probe(&h, b, n - 10, "cut.png", &err), -1);
    cr_assert(strstr(err.msg, "cut.png: the PNG file is truncated"), "%s", err.msg);
}

Test(picture, probe_refuses_empty_unknown_cmyk_and_truncated_files) {
    PictureHeader h;
    ClError err = {0};
    cr_assert_eq(picture_probe(&h, (const uint8_t *)"", 0, "empty.png", &err), -1);
    cr_assert(strstr(err.msg, "empty.png: the file is empty"), "%s", err.msg);
    cr_assert_eq(picture_probe(&h, (const uint8_t *)"hello world", 11, "notes.txt", &err), -1);
    cr_assert(strstr(err.msg, "notes.txt: not a picture"), "%s", err.msg);
    // SOI, SOF0 with 4 components (CMYK), SOS, one byte of data, EOI
    const uint8_t cmyk[] = {0xFF, 0xD8, 0xFF, 0xC0, 0, 20, 8, 0, 16, 0, 16, 4, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0,
                            0xFF, 0xDA, 0, 2, 0x55, 0xFF, 0xD9};
    cr_assert_eq(picture_probe(&h, cmyk, sizeof cmyk, "print.jpg", &err), -1);
    cr_assert(strstr(err.msg, "print.jpg: a CMYK JPEG"), "%s", err.msg);
    cr_assert_eq(picture_probe(&h, cmyk, sizeof cmyk - 2, "cut.jpg", &err), -1);
    cr_assert(strstr(err.msg, "cut.jpg: the JPEG file is truncated"), "%s", err.msg);
    const uint8_t gif[] = {'G', 'I', 'F', '8', '9', 'a', 4, 0, 4, 0, 0, 0, 0, 0x2C, 0, 0, 0, 0, 4, 0, 4, 0, 0, 2, 1, 0, 0,
                           0x2C, 0, 0, 0, 0, 4, 0, 4, 0, 0, 2, 1, 0, 0, 0x3B};
    cr_assert_eq(picture_probe(&h, gif, sizeof gif, "anim.gif", &err), 0, "%s", err.msg);
    cr_assert_eq(h.frames, 2);
    cr_assert_eq(picture_probe(&h, gif, sizeof gif - 3, "cut.gif", &err), -1);
}

// ---- real files through SDL_image --------------------------------------------------------

static void save_png(const char *path, const uint8_t *rgb, int w, int h) {
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormatFrom((void *)rgb, w, h, 24, w * 3, SDL_PIXELFORMAT_RGB24);
    cr_assert(s != NULL);
    cr_assert_eq(IMG_SavePNG(s, path), 0, "%s", IMG_GetError());
    SDL_FreeSurface(s);
}

Test(picture, png_files_blown_up_8x_load_back_exact) {
    static uint8_t orig[32 * 32 * 3];
    static Picture p;
    random_rgb32(orig, 21);
    const int sizes[][2] = {{256, 256}, {256, 320}, {300, 256}};
    for (int t = 0; t < 3; t++) {
        uint8_t *big = blow_up(orig, 8, sizes[t][0], sizes[t][1], 0, 0);
        char path[64];
        snprintf(path, sizeof path, "/tmp/convlab_test_picture_%d.png", t);
        save_png(path, big, sizes[t][0], sizes[t][1]);
        free(big);
        ClError err = {0};
        cr_assert_eq(picture_load_file(&p, path, &err), 0, "%s", err.msg);
        cr_assert(memcmp(p.rgb, orig, sizeof orig) == 0, "%s: not the original 32x32", path);
        cr_assert_str_eq(p.name, path + 5);
        remove(path);
    }
}

Test(picture, load_names_the_file_for_folders_missing_and_damaged_files) {
    static Picture p;
    ClError err = {0};
    cr_assert_eq(picture_load_file(&p, "/tmp", &err), -1);
    cr_assert(strstr(err.msg, "/tmp: is a folder"), "%s", err.msg);
    cr_assert_eq(picture_load_file(&p, "/nonexistent/x.png", &err), -1);
    cr_assert(strstr(err.msg, "/nonexistent/x.png: cannot open"), "%s", err.msg);
    // a real PNG, cut in the middle of its pixel data
    static uint8_t rgb[64 * 64 * 3];
    for (int i = 0; i < (int)sizeof rgb; i++) rgb[i] = (uint8_t)(i * 7919 >> 3);
    save_png("/tmp/convlab_test_cut.png", rgb, 64, 64);
    FILE *f = fopen("/tmp/convlab_test_cut.png", "rb");
    static uint8_t buf[65536];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    f = fopen("/tmp/convlab_test_cut.png", "wb");
    fwrite(buf, 1, n / 2, f);
    fclose(f);
    cr_assert_eq(picture_load_file(&p, "/tmp/convlab_test_cut.png", &err), -1);
    cr_assert(strstr(err.msg, "/tmp/convlab_test_cut.png: the PNG file is truncated"), "%s", err.msg);
    remove("/tmp/convlab_test_cut.png");
}

// ---- saliency and Grad-CAM ------------------------------------------------------------------

static float max_abs_diff(const float *a, const float *b, long n) {
    float m = 0;
    for (long i = 0; i < n; i++) m = fmaxf(m, fabsf(a[i] - b[i]));
    return m;
}

static void explain_fixture_net(Net *net, StFile *f) {
    ClError err = {0};
    cr_assert_eq(net_build_cnnnet(net, false, 1, &err), 0, "%s", err.msg);
    fixture_open(f, "picture_explain.safetensors");
    NetTensor ts[NET_MAX_TENSORS];
    int n = net_tensors(net, ts);
    for (int k = 0; k < n; k++) {
        int64_t numel;
        const float *v = fixture_f32(f, ts[k].name, &numel);
        cr_assert_eq(numel, ts[k].numel, "%s", ts[k].name);
        memcpy(net->params + ts[k].offset, v, sizeof(float) * (size_t)numel);
    }
}

static void fixture_input(float *input, const StFile *f, int i) {
    int64_t numel;
    const StTensor *t = st_find(f, "pixels");
    cr_assert(t != NULL && t->dtype == ST_U8);
    numel = t->shape[1] * t->shape[2] * t->shape[3];
    cr_assert_eq(numel, CIFAR_PIXELS);
    uint8_t label = 0;
    CifarSet one = {.n = 1, .labels = &label, .pixels = (uint8_t *)t->data + (size_t)i * CIFAR_PIXELS};
    cifar_normalize_batch(input, NULL, &one, NULL, 1);
}

static const float *want(const StFile *f, int i, const char *what, long n) {
    char name[64];
    snprintf(name, sizeof name, "%d.%s", i, what);
    int64_t numel;
    const float *v = fixture_f32(f, name, &numel);
    cr_assert_eq(numel, n, "%s", name);
    return v;
}

Test(picture, saliency_and_gradcam_match_pytorch) {
    Net net;
    StFile f;
    explain_fixture_net(&net, &f);
    int pictures = fixture_meta_int(&f, "pictures");
    const int targets[] = {-1, -1, 3, 8};
    float worst[5] = {0};
    for (int i = 0; i < pictures; i++) {
        static float input[CIFAR_PIXELS];
        static Explanation ex;
        ClError err = {0};
        fixture_input(input, &f, i);
        cr_assert_eq(net_explain(&ex, &net, input, targets[i], &err), 0, "%s", err.msg);
        char name[32];
        snprintf(name, sizeof name, "%d.target", i);
        int64_t nt;
        cr_assert_eq(ex.target, (int)fixture_i64(&f, name, &nt)[0]);
        cr_assert_str_eq(ex.cam_layer, "conv2");
        cr_assert(ex.cam_c == 16 && ex.cam_h == 12 && ex.cam_w == 12);
        cr_assert(allclose(ex.logits, want(&f, i, "logits", 10), 10, 1e-5f, 1e-4f, "logits"));
        cr_assert(allclose(ex.input_grad, want(&f, i, "input_grad", 3072), 3072, 1e-6f, 1e-4f, "input gradient"));
        cr_assert(allclose(ex.saliency, want(&f, i, "saliency", 1024), 1024, 1e-6f, 1e-4f, "saliency"));
        cr_assert(allclose(ex.cam_weights, want(&f, i, "cam_weights", 16), 16, 1e-7f, 1e-4f, "Grad-CAM weights"));
        cr_assert(allclose(ex.cam, want(&f, i, "cam", 144), 144, 1e-7f, 1e-4f, "Grad-CAM at 12x12"));
        cr_assert(allclose(ex.gradcam, want(&f, i, "gradcam", 1024), 1024, 1e-7f, 1e-4f, "Grad-CAM at 32x32"));
        worst[0] = fmaxf(worst[0], max_abs_diff(ex.input_grad, want(&f, i, "input_grad", 3072), 3072));
        worst[1] = fmaxf(worst[1], max_abs_diff(ex.saliency, want(&f, i, "saliency", 1024), 1024));
        worst[2] = fmaxf(worst[2], max_abs_diff(ex.cam_weights, want(&f, i, "cam_weights", 16), 16));
        worst[3] = fmaxf(worst[3], max_abs_diff(ex.cam, want(&f, i, "cam", 144), 144));
        worst[4] = fmaxf(worst[4], max_abs_diff(ex.gradcam, want(&f, i, "gradcam", 1024), 1024));
    }
    fprintf(stderr, "picture explain vs PyTorch, max |diff|: input_grad %.3g, saliency %.3g, cam weights %.3g, "
                    "cam %.3g, gradcam %.3g\n", worst[0], worst[1], worst[2], worst[3], worst[4]);
    st_free(&f);
    net_free(&net);
}

typedef struct {
    Net *net;
    float *input;
    int k;
} LogitCtx;

static double logit_of_input(void *arg) {
    LogitCtx *c = arg;
    return net_forward(c->net, c->input, 1)[c->k];
}

// d logit / d input by central differences (doubles of a float net: eps 1e-3 on inputs in [-1, 1]).
Test(picture, input_gradient_matches_finite_differences) {
    Net net;
    StFile f;
    explain_fixture_net(&net, &f);
    static float input[CIFAR_PIXELS];
    static Explanation ex;
    ClError err = {0};
    fixture_input(input, &f, 1);
    cr_assert_eq(net_explain(&ex, &net, input, 5, &err), 0, "%s", err.msg);
    LogitCtx ctx = {&net, input, 5};
    double e = finite_diff_max_error(logit_of_input, &ctx, input, CIFAR_PIXELS, ex.input_grad, 1e-3f);
    fprintf(stderr, "picture input gradient vs finite differences: max relative error %.3g\n", e);
    cr_assert(e < 2e-3, "finite differences disagree: %g", e);
    st_free(&f);
    net_free(&net);
}

Test(picture, bilinear_resize_is_half_pixel_and_clamped) {
    const float src[4] = {0, 1, 2, 3};  // 2x2
    float dst[16];
    resize_bilinear(dst, 4, 4, src, 2, 2);
    // x: source (ox + 0.5) / 2 - 0.5 = -0.25 -> 0, 0.25, 0.75, 1.25 -> clamped at the last pixel
    const float row0[4] = {0, 0.25f, 0.75f, 1};
    for (int x = 0; x < 4; x++) cr_assert_float_eq(dst[x], row0[x], 1e-6);
    cr_assert_float_eq(dst[15], 3, 1e-6);
    cr_assert_float_eq(dst[5], 0.25f * 2 + 0.25f, 1e-6);  // (y 0.25, x 0.25)
}

// ---- real CIFAR test images, blown up 8x, through the whole path ---------------------------

// Test images blown up 8x (square, and padded to 256x320 / 300x256 with white)
// and written as PNG come back as the exact record, and the net's logits for
// them are bit-identical to the record's (the predictions cannot differ).
Test(picture, cifar_images_blown_up_8x_predict_as_the_originals) {
    static Cifar cifar;
    ClError err = {0};
    if (cifar_load_test(&cifar, "../data/cifar-10-batches-bin", 20, &err) != 0) cr_skip_test("no CIFAR-10 (make data): %s", err.msg);
    Net net;
    cr_assert_eq(net_build_cnnnet(&net, false, 1, &err), 0);
    net_init_params(&net, 5);
    const int sizes[][2] = {{256, 256}, {256, 320}, {300, 256}};
    static Picture p;
    for (int i = 0; i < 20; i += 3) {
        uint8_t orig[32 * 32 * 3];
        const uint8_t *rec = cifar.test.pixels + (size_t)i * CIFAR_PIXELS;
        for (int k = 0; k < 1024; k++)
            for (int c = 0; c < 3; c++) orig[k * 3 + c] = rec[c * 1024 + k];
        float want_in[CIFAR_PIXELS], want_logits[10];
        cifar_normalize_batch(want_in, NULL, &cifar.test, &(int32_t){i}, 1);
        memcpy(want_logits, net_forward(&net, want_in, 1), sizeof want_logits);
        for (int t = 0; t < 3; t++) {
            uint8_t *big = blow_up(orig, 8, sizes[t][0], sizes[t][1], 0, 255);
            save_png("/tmp/convlab_test_cifar8x.png", big, sizes[t][0], sizes[t][1]);
            free(big);
            cr_assert_eq(picture_load_file(&p, "/tmp/convlab_test_cifar8x.png", &err), 0, "%s", err.msg);
            cr_assert(memcmp(p.planes, rec, CIFAR_PIXELS) == 0, "test image %d at %dx%d: not the record", i, sizes[t][0],
                      sizes[t][1]);
            cr_assert(memcmp(net_forward(&net, p.input, 1), want_logits, sizeof want_logits) == 0);
        }
    }
    remove("/tmp/convlab_test_cifar8x.png");
    net_free(&net);
    cifar_free(&cifar);
}

// ---- files dropped on the window ------------------------------------------------------------

#include "ui/picture_drop.h"

static SDL_Event drop_event(Uint32 type, const char *file) {
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.drop.file = file ? SDL_strdup(file) : NULL;
    return ev;
}

Test(picture, a_dropped_file_loads_and_folders_or_several_files_say_why) {
    static uint8_t rgb[64 * 64 * 3];
    for (int i = 0; i < (int)sizeof rgb; i++) rgb[i] = (uint8_t)i;
    save_png("/tmp/convlab_test_drop.png", rgb, 64, 64);
    static Picture p;
    PictureDrop d = {0};
    char msg[1100];
    SDL_Event ev;
    // begin, one file, complete: loaded
    ev = drop_event(SDL_DROPBEGIN, NULL);
    cr_assert_eq(picture_drop_event(&d, &ev, &p, msg, sizeof msg), 0);
    ev = drop_event(SDL_DROPFILE, "/tmp/convlab_test_drop.png");
    cr_assert_eq(picture_drop_event(&d, &ev, &p, msg, sizeof msg), 0);
    ev = drop_event(SDL_DROPCOMPLETE, NULL);
    cr_assert_eq(picture_drop_event(&d, &ev, &p, msg, sizeof msg), 1);
    cr_assert(p.src_w == 64 && strstr(msg, "convlab_test_drop.png"), "%s", msg);
    // two files at once: refused, the picture kept
    ev = drop_event(SDL_DROPBEGIN, NULL);
    picture_drop_event(&d, &ev, &p, msg, sizeof msg);
    for (int i = 0; i < 2; i++) {
        ev = drop_event(SDL_DROPFILE, "/tmp/convlab_test_drop.png");
        picture_drop_event(&d, &ev, &p, msg, sizeof msg);
    }
    ev = drop_event(SDL_DROPCOMPLETE, NULL);
    cr_assert_eq(picture_drop_event(&d, &ev, &p, msg, sizeof msg), 0);
    cr_assert(strstr(msg, "2 files dropped at once"), "%s", msg);
    cr_assert_eq(p.src_w, 64);
    // a folder, without begin/complete (older backends): refused with its name
    ev = drop_event(SDL_DROPFILE, "/tmp");
    cr_assert_eq(picture_drop_event(&d, &ev, &p, msg, sizeof msg), 0);
    cr_assert(strstr(msg, "/tmp: is a folder"), "%s", msg);
    cr_assert_eq(p.src_w, 64);
    remove("/tmp/convlab_test_drop.png");
}

// ---- the lessons with a picture ------------------------------------------------------------

#include "lesson/scene_picture.h"

// Lesson 11 with a picture in SceneEnv: the conversion step shows that
// picture's crop and numbers, the explanation step the same numbers as
// net_explain on the untrained net it falls back to (init seed 0); and a
// CIFAR step (lesson 5) shows the picture in place of its image.
Test(picture, lesson_steps_use_the_picture_from_scene_env) {
    static uint8_t rgb[96 * 64 * 3];
    for (int i = 0; i < (int)sizeof rgb; i++) rgb[i] = (uint8_t)(i * 31 >> 2);
    static Picture pic;
    convert_ok(&pic, rgb, 96, 64, 96 * 3, PIXELS_RGB);
    snprintf(pic.name, sizeof pic.name, "mine.png");
    SceneEnv env = {.image_offset = 0, .window_override = -1, .picture = &pic, .use_picture = true};
    Lesson l;
    ClError err = {0};
    cr_assert_eq(lesson_load(&l, "../lessons/16_your_picture.lesson", NULL, &err), 0, "%s", err.msg);
    Scene sc;
    cr_assert_eq(scene_compute(&sc, &l, 3, &env, &err), 0, "%s", err.msg);  // focus = numbers
    const PictureScene *e = sc.ext;
    cr_assert(e->own && e->pic.crop_x == 16 && e->pic.crop_side == 64);
    cr_assert_eq(sc.image_index, SCENE_PICTURE_INDEX);
    for (int y = 0; y < PICTURE_NUMBERS_SIDE; y++)
        for (int x = 0; x < PICTURE_NUMBERS_SIDE; x++)
            cr_assert_eq(sc.input.v[y * PICTURE_NUMBERS_SIDE + x], pic.input[(e->numbers_y + y) * 32 + e->numbers_x + x]);
    scene_free(&sc);
    cr_assert_eq(scene_compute(&sc, &l, 5, &env, &err), 0, "%s", err.msg);  // focus = gradcam
    e = sc.ext;
    cr_assert(e->have_explanation);
    cr_assert(e->weights.fallback[0], "no checkpoint in tests/: the weights fall back, visibly");
    Net net;
    cr_assert_eq(net_build_cnnnet(&net, false, 1, &err), 0);
    net_init_params(&net, 0);
    static Explanation want;
    cr_assert_eq(net_explain(&want, &net, pic.input, -1, &err), 0);
    cr_assert_eq(e->ex.target, want.target);
    cr_assert(memcmp(e->ex.gradcam, want.gradcam, sizeof want.gradcam) == 0);
    cr_assert(memcmp(e->ex.saliency, want.saliency, sizeof want.saliency) == 0);
    net_free(&net);
    scene_free(&sc);
    lesson_free(&l);
    // lesson 5's first step shows a CIFAR image: with the picture, the picture (no CIFAR needed)
    cr_assert_eq(lesson_load(&l, "../lessons/05_multichannel.lesson", NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(scene_compute(&sc, &l, 0, &env, &err), 0, "%s", err.msg);
    cr_assert_eq(sc.image_index, SCENE_PICTURE_INDEX);
    cr_assert(memcmp(sc.image_rgb, pic.rgb, sizeof pic.rgb) == 0);
    cr_assert_str_eq(sc.class_name, "mine.png");
    scene_free(&sc);
    env.use_picture = false;  // V: back to CIFAR (here: none loaded -> the data hint)
    cr_assert_eq(scene_compute(&sc, &l, 0, &env, &err), 0, "%s", err.msg);
    cr_assert(sc.needs_data);
    scene_free(&sc);
    lesson_free(&l);
}
