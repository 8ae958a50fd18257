/* Golden frames of lessons 1, 4 and 6 (built-in grids, no data needed),
 * including live parameters (`adjust`) and a PyTorch error, compared as in
 * test_render.c: 8x8 block means within a tolerance, text regions masked; a
 * failure writes tests/out/NAME.png and NAME.diff.png; CONVLAB_UPDATE_GOLDEN=1
 * rewrites them. The lessons are frozen copies in tests/golden/.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <SDL2/SDL_image.h>

#include "lesson/adjust.h"
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

// Renders lesson `file` at `step` (1-based) in lang/theme into a new surface.
static SDL_Surface *render(const char *file, int step, Lang lang, bool dark, const char *set) {
    ClError err;
    cr_assert_eq(draw_init_fonts(&err), 0, "%s", err.msg);
    if (dark) theme_default_dark(&THEME);
    else theme_default_light(&THEME);
    ScreenContext ctx = {lang, "", NULL, "no data in the render tests", dark ? "dark" : "light", 0, NULL};
    Screen *s = player_create_for(&ctx, file, 0, &err);
    cr_assert_not_null(s, "%s", err.msg);
    player_set_static(s, true);
    cr_assert_eq(player_open(s, player_current_lesson(s), step - 1), 0);
    if (set) { // a live parameter, as its key would set it
        SceneOverrides ov = {0};
        cr_assert_eq(adjust_set_arg(&ov, set, &err), 0, "%s", err.msg);
        player_set_overrides(s, &ov);
    }
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

static void golden(const char *name, const char *file, int step, Lang lang, bool dark, const char *set) {
    char gpath[256], apath[256], dpath[256];
    snprintf(gpath, sizeof gpath, "golden/%s.png", name);
    SDL_Surface *got = render(file, step, lang, dark, set);
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

Test(lessons_golden, params_shared_kernel_en) { golden("01_step3_en", "golden/01_parameters.lesson", 3, LANG_EN, false, NULL); }
Test(lessons_golden, params_3x3_zh) { golden("01_step4_zh", "golden/01_parameters.lesson", 4, LANG_ZH, false, NULL); }
Test(lessons_golden, padding_corner_zh) { golden("04_step3_zh", "golden/04_padding.lesson", 3, LANG_ZH, false, NULL); }
Test(lessons_golden, padding_live_en) { golden("04_step8_pad2_en", "golden/04_padding.lesson", 8, LANG_EN, false, "padding=2"); }
Test(lessons_golden, conv2d_dilation_en) { golden("06_step5_dil2_en", "golden/06_conv2d_params.lesson", 5, LANG_EN, false, "dilation=2"); }
Test(lessons_golden, conv2d_error_dark) { golden("06_step7_err_dark", "golden/06_conv2d_params.lesson", 7, LANG_EN, true, "in_channels=1"); }

// A live parameter must change the frame: padding 2 does not pass as the lesson's padding 1.
Test(lessons_golden, live_parameter_changes_the_frame) {
    SDL_Surface *want = load_rgba("golden/04_step8_pad2_en.png");
    cr_assert_not_null(want);
    SDL_Surface *got = render("golden/04_padding.lesson", 8, LANG_EN, false, NULL);
    cr_assert_gt(compare(got, want, NULL), MAX_BAD_FRAC, "padding 1 must not pass as padding 2");
    SDL_FreeSurface(got);
    SDL_FreeSurface(want);
}
