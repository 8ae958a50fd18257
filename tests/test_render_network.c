/* Golden frames of lessons 8, 9 and 10 (the network, the training loop, the
 * tutorial's 9 %), drawn with a small synthetic CIFAR set built in memory so
 * the pictures, feature maps, logits and measured bars appear without the
 * data files (the images are patterns, the numbers the engine's). Compared
 * as in test_render.c: 8x8 block means within a tolerance, the top bar and
 * the explanation panel masked; a failure writes tests/out/NAME.png and
 * NAME.diff.png; CONVLAB_UPDATE_GOLDEN=1 rewrites them. The lessons are
 * frozen copies in tests/golden/ (lesson 10's measured on 40/20 images).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <SDL2/SDL_image.h>

#include "engine/cifar.h"
#include "ui/draw.h"
#include "ui/player.h"
#include "ui/theme.h"
#include "ui/widgets.h"

#define W 1280
#define H 800
#define BLOCK 8
#define BLOCK_TOL 28.0     // mean |difference| per channel in a block
#define MAX_BAD_FRAC 0.004 // of the compared blocks

static Theme THEME;

// Smooth synthetic pictures (a coloured blob per class on a gradient) so the
// maps look like maps; deterministic, the same on every machine.
static void fill_set(CifarSet *s, int n, int salt) {
    s->n = n;
    s->labels = malloc((size_t)n);
    s->pixels = malloc((size_t)n * CIFAR_PIXELS);
    for (int i = 0; i < n; i++) {
        int lab = (i * 3 + salt) % CIFAR_CLASSES;
        s->labels[i] = (uint8_t)lab;
        float cx = 8 + (float)((lab * 5 + i) % 16), cy = 8 + (float)((lab * 7 + 2 * i) % 16);
        for (int ch = 0; ch < 3; ch++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++) {
                    float d = sqrtf((x - cx) * (x - cx) + (y - cy) * (y - cy));
                    float blob = d < 9 ? 1 - d / 9 : 0;
                    float v = 40 + 3.0f * (float)(ch == 0 ? x : ch == 1 ? y : 31 - x) + 150 * blob * (float)(((lab + ch) % 3) + 1) / 3;
                    s->pixels[(size_t)i * CIFAR_PIXELS + ch * 1024 + y * 32 + x] = (uint8_t)fminf(255, v);
                }
    }
}

static Cifar *synthetic(void) {
    static Cifar c;
    static bool made;
    if (!made) { // kept for the process: lesson 10's measurement cache refers to it
        fill_set(&c.train, 40, 1);
        fill_set(&c.test, 20, 0);
        static const char *const NAMES[] = {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
        for (int k = 0; k < CIFAR_CLASSES; k++) snprintf(c.class_names[k], sizeof c.class_names[k], "%s", NAMES[k]);
        made = true;
    }
    return &c;
}

// Renders lesson `file` at `step` (1-based) in lang, with the synthetic set or without data.
static SDL_Surface *render(const char *file, int step, Lang lang, bool with_data) {
    ClError err;
    cr_assert_eq(draw_init_fonts(&err), 0, "%s", err.msg);
    theme_default_light(&THEME);
    ScreenContext ctx = {lang, "", with_data ? synthetic() : NULL, "no data in the render tests", "light", 0, NULL};
    Screen *s = player_create_for(&ctx, file, 0, &err);
    cr_assert_not_null(s, "%s", err.msg);
    player_set_static(s, true);
    cr_assert_eq(player_open(s, player_current_lesson(s), step - 1), 0);
    Canvas *c = canvas_create_offscreen(W, H, &THEME, &err);
    cr_assert_not_null(c, "%s", err.msg);
    canvas_begin_frame(c);
    s->draw(s, c);
    SDL_Surface *out = canvas_read_pixels(c);
    canvas_free(c);
    s->destroy(s);
    cr_assert_not_null(out);
    return out;
}

// Text-only regions: the top bar and the explanation panel (right 34%).
static bool masked(int x, int y) { return y < 60 || x > (int)(W * 0.655f); }

// Returns the fraction of bad blocks; writes a diff image if diff is not NULL.
static double compare(SDL_Surface *a, SDL_Surface *b, SDL_Surface *diff) {
    int bad = 0, total = 0;
    const uint8_t *pa = a->pixels, *pb = b->pixels;
    for (int by = 0; by + BLOCK <= H; by += BLOCK)
        for (int bx = 0; bx + BLOCK <= W; bx += BLOCK) {
            if (masked(bx, by) || masked(bx + BLOCK - 1, by + BLOCK - 1)) continue;
            double sa[3] = {0}, sb[3] = {0};
            for (int y = by; y < by + BLOCK; y++)
                for (int x = bx; x < bx + BLOCK; x++)
                    for (int ch = 0; ch < 3; ch++) {
                        sa[ch] += pa[y * a->pitch + 4 * x + ch];
                        sb[ch] += pb[y * b->pitch + 4 * x + ch];
                    }
            double d = 0;
            for (int ch = 0; ch < 3; ch++) d = fmax(d, fabs(sa[ch] - sb[ch]) / (BLOCK * BLOCK));
            total++;
            if (d > BLOCK_TOL) bad++;
            if (diff) {
                uint8_t v = (uint8_t)fmin(255, d * 4);
                for (int y = by; y < by + BLOCK; y++)
                    for (int x = bx; x < bx + BLOCK; x++) {
                        uint8_t *p = (uint8_t *)diff->pixels + y * diff->pitch + 4 * x;
                        p[0] = d > BLOCK_TOL ? 255 : v; p[1] = d > BLOCK_TOL ? 0 : v; p[2] = d > BLOCK_TOL ? 0 : v; p[3] = 255;
                    }
            }
        }
    return total ? (double)bad / total : 1.0;
}

static SDL_Surface *load_rgba(const char *path) {
    SDL_Surface *s = IMG_Load(path);
    if (!s) return NULL;
    SDL_Surface *c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_RGBA32, 0);
    SDL_FreeSurface(s);
    return c;
}

static void golden(const char *name, const char *file, int step, Lang lang, bool with_data) {
    char gpath[256], apath[256], dpath[256];
    snprintf(gpath, sizeof gpath, "golden/%s.png", name);
    SDL_Surface *got = render(file, step, lang, with_data);
    if (getenv("CONVLAB_UPDATE_GOLDEN")) {
        cr_assert_eq(IMG_SavePNG(got, gpath), 0, "%s", IMG_GetError());
        SDL_FreeSurface(got);
        return;
    }
    SDL_Surface *want = load_rgba(gpath);
    cr_assert_not_null(want, "missing %s (CONVLAB_UPDATE_GOLDEN=1 writes it)", gpath);
    cr_assert(want->w == W && want->h == H, "%s is %dx%d", gpath, want->w, want->h);
    SDL_Surface *diff = SDL_CreateRGBSurfaceWithFormat(0, W, H, 32, SDL_PIXELFORMAT_RGBA32);
    SDL_FillRect(diff, NULL, SDL_MapRGBA(diff->format, 40, 40, 40, 255));
    double bad = compare(got, want, diff);
    if (bad > MAX_BAD_FRAC) {
        mkdir("out", 0755);
        snprintf(apath, sizeof apath, "out/%s.png", name);
        snprintf(dpath, sizeof dpath, "out/%s.diff.png", name);
        IMG_SavePNG(got, apath);
        IMG_SavePNG(diff, dpath);
    }
    SDL_FreeSurface(diff);
    SDL_FreeSurface(got);
    SDL_FreeSurface(want);
    cr_assert(bad <= MAX_BAD_FRAC, "%s: %.2f%% of the blocks differ (limit %.2f%%); see tests/out/%s.png and .diff.png",
              name, bad * 100, MAX_BAD_FRAC * 100, name);
}

Test(network_golden, table_en) { golden("08_step1_en", "golden/08_cnnnet.lesson", 1, LANG_EN, true); }
Test(network_golden, conv1_maps_zh) { golden("08_step3_zh", "golden/08_cnnnet.lesson", 3, LANG_ZH, true); }
Test(network_golden, logits_en) { golden("08_step10_en", "golden/08_cnnnet.lesson", 10, LANG_EN, true); }
Test(network_golden, extractor_zh) { golden("08_step11_zh", "golden/08_cnnnet.lesson", 11, LANG_ZH, true); }
Test(network_golden, conv1_without_data_en) { golden("08_step3_nodata_en", "golden/08_cnnnet.lesson", 3, LANG_EN, false); }
Test(network_golden, loop_softmax_zh) { golden("09_step4_zh", "golden/09_training.lesson", 4, LANG_ZH, true); }
Test(network_golden, loop_sgd_step_en) { golden("09_step6_en", "golden/09_training.lesson", 6, LANG_EN, true); }
Test(network_golden, bugs_epochs_en) { golden("10_step4_en", "golden/10_why_9_percent.lesson", 4, LANG_EN, true); }
Test(network_golden, bugs_reference_zh) { golden("10_step5_zh", "golden/10_why_9_percent.lesson", 5, LANG_ZH, true); }

// The comparison must be able to fail: another layer's maps do not pass as conv1's.
Test(network_golden, comparison_detects_another_layer) {
    SDL_Surface *want = load_rgba("golden/08_step3_zh.png");
    cr_assert_not_null(want);
    SDL_Surface *got = render("golden/08_cnnnet.lesson", 5, LANG_ZH, true);
    cr_assert_gt(compare(got, want, NULL), MAX_BAD_FRAC, "pool1 must not pass as conv1");
    SDL_FreeSurface(got);
    SDL_FreeSurface(want);
}
