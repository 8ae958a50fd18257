/* Golden-frame helpers (see golden.h): offscreen rendering of a lesson step,
 * the 8x8 block comparison with masked text regions, and the check that
 * writes tests/out/NAME.png + NAME.diff.png on failure or rewrites the golden
 * under CONVLAB_UPDATE_GOLDEN=1. No Test() entries here.
 */
#include "golden.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <SDL2/SDL_image.h>

#include "lesson/adjust.h"
#include "session/lesson_data.h"
#include "ui/draw.h"
#include "ui/player.h"
#include "ui/theme.h"

static Theme THEME;

static TextLog *LOG; // golden_set_text_log

void golden_set_text_log(TextLog *log) { LOG = log; }

SDL_Surface *golden_render(const GoldenFrame *f) {
    ClError err;
    cr_assert_eq(draw_init_fonts(&err), 0, "%s", err.msg);
    if (f->dark) theme_default_dark(&THEME);
    else theme_default_light(&THEME);
    LessonData *data = lesson_data_create("", false); // as --batch render: measurements computed now
    ScreenContext ctx = {.lang = f->lang, .data_dir = "", .cifar = f->cifar, .cifar_error = "no data in the render tests",
                         .lesson_data = data, .theme_name = f->dark ? "dark" : "light"};
    Screen *s = player_create_for(&ctx, f->lesson, 0, &err);
    cr_assert_not_null(s, "%s", err.msg);
    player_set_static(s, true);
    cr_assert_eq(player_open(s, player_current_lesson(s), f->step - 1), 0);
    if (f->set) { // a live parameter, as its key would set it
        SceneOverrides ov = {0};
        cr_assert_eq(adjust_set_arg(&ov, f->set, &err), 0, "%s", err.msg);
        player_set_overrides(s, &ov);
    }
    Canvas *c = canvas_create_offscreen(GOLDEN_W, GOLDEN_H, &THEME, &err);
    cr_assert_not_null(c, "%s", err.msg);
    canvas_begin_frame(c);
    canvas_set_text_log(c, LOG);
    s->draw(s, c);
    SDL_Surface *out = canvas_read_pixels(c);
    canvas_free(c);
    s->destroy(s);
    lesson_data_free(data);
    cr_assert_not_null(out);
    return out;
}

static bool g_mask = true;
void golden_set_mask(bool on) { g_mask = on; }
bool golden_masked(int x, int y) { return g_mask && (y < 60 || x > (int)(GOLDEN_W * 0.655f)); }

double golden_compare(SDL_Surface *a, SDL_Surface *b, SDL_Surface *diff) {
    enum { BLOCK = GOLDEN_BLOCK };
    int bad = 0, total = 0;
    const uint8_t *pa = a->pixels, *pb = b->pixels;
    for (int by = 0; by + BLOCK <= GOLDEN_H; by += BLOCK)
        for (int bx = 0; bx + BLOCK <= GOLDEN_W; bx += BLOCK) {
            if (golden_masked(bx, by) || golden_masked(bx + BLOCK - 1, by + BLOCK - 1)) continue;
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
            if (d > GOLDEN_BLOCK_TOL) bad++;
            if (diff) {
                uint8_t v = (uint8_t)fmin(255, d * 4);
                bool over = d > GOLDEN_BLOCK_TOL;
                for (int y = by; y < by + BLOCK; y++)
                    for (int x = bx; x < bx + BLOCK; x++) {
                        uint8_t *p = (uint8_t *)diff->pixels + y * diff->pitch + 4 * x;
                        p[0] = over ? 255 : v; p[1] = over ? 0 : v; p[2] = over ? 0 : v; p[3] = 255;
                    }
            }
        }
    return total ? (double)bad / total : 1.0;
}

SDL_Surface *golden_load_rgba(const char *path) {
    SDL_Surface *s = IMG_Load(path);
    if (!s) return NULL;
    SDL_Surface *c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_RGBA32, 0);
    SDL_FreeSurface(s);
    return c;
}

void golden_check(const char *name, SDL_Surface *got) {
    char gpath[256], apath[256], dpath[256];
    snprintf(gpath, sizeof gpath, "golden/%s.png", name);
    if (getenv("CONVLAB_UPDATE_GOLDEN")) {
        cr_assert_eq(IMG_SavePNG(got, gpath), 0, "%s", IMG_GetError());
        SDL_FreeSurface(got);
        return;
    }
    SDL_Surface *want = golden_load_rgba(gpath);
    cr_assert_not_null(want, "missing %s (CONVLAB_UPDATE_GOLDEN=1 writes it)", gpath);
    cr_assert(want->w == GOLDEN_W && want->h == GOLDEN_H, "%s is %dx%d", gpath, want->w, want->h);
    SDL_Surface *diff = SDL_CreateRGBSurfaceWithFormat(0, GOLDEN_W, GOLDEN_H, 32, SDL_PIXELFORMAT_RGBA32);
    SDL_FillRect(diff, NULL, SDL_MapRGBA(diff->format, 40, 40, 40, 255));
    double bad = golden_compare(got, want, diff);
    if (bad > GOLDEN_MAX_BAD_FRAC) {
        mkdir("out", 0755);
        snprintf(apath, sizeof apath, "out/%s.png", name);
        snprintf(dpath, sizeof dpath, "out/%s.diff.png", name);
        IMG_SavePNG(got, apath);
        IMG_SavePNG(diff, dpath);
    }
    SDL_FreeSurface(diff);
    SDL_FreeSurface(got);
    SDL_FreeSurface(want);
    cr_assert(bad <= GOLDEN_MAX_BAD_FRAC, "%s: %.2f%% of the blocks differ (limit %.2f%%); see tests/out/%s.png and .diff.png",
              name, bad * 100, GOLDEN_MAX_BAD_FRAC * 100, name);
}
