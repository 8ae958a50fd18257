/* Golden frames of the lesson player, drawn offscreen by the same code as the
 * window (SDL software renderer on a surface, as SDL's own render tests do).
 * Pixels are compared in 8x8 blocks (block means within a tolerance), with
 * the text-only regions (top bar, explanation panel) masked, so font
 * rasterisation differences do not fail the test while a moved window, a
 * wrong colour or a missing grid does. A failure writes tests/out/NAME.png
 * (actual) and NAME.diff.png. CONVLAB_UPDATE_GOLDEN=1 rewrites the goldens.
 * The rendering and comparison live in golden.c (shared with the other golden
 * tests). The lessons are frozen copies in tests/golden/ so editing lessons/
 * does not move the goldens (lessons/ is covered by test_lesson.c).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "golden.h"
#include "ui/draw.h"
#include "ui/player.h"
#include "ui/theme.h"
#include "ui/widgets.h"

#define W GOLDEN_W
#define H GOLDEN_H

static Theme THEME;

// Renders lesson `file` at `step` (1-based) in lang/theme into a new surface.
static SDL_Surface *render(const char *file, int step, Lang lang, bool dark) {
    return golden_render(&(GoldenFrame){file, step, lang, dark, NULL, NULL});
}

static void golden(const char *name, const char *file, int step, Lang lang, bool dark) {
    golden_check(name, render(file, step, lang, dark));
}

Test(render_golden, conv_first_window_en) { golden("02_step2_en", "golden/02_convolution.lesson", 2, LANG_EN, false); }
Test(render_golden, conv_second_window_zh) { golden("02_step3_zh", "golden/02_convolution.lesson", 3, LANG_ZH, false); }
Test(render_golden, stride3_skipped_dark) { golden("03_step6_dark", "golden/03_stride.lesson", 6, LANG_EN, true); }
Test(render_golden, maxpool_argmax_en) { golden("07_step3_en", "golden/07_pooling.lesson", 3, LANG_EN, false); }
Test(render_golden, maxpool_padding_zh) { golden("07_step7_zh", "golden/07_pooling.lesson", 7, LANG_ZH, false); }

// The comparison must be able to fail: the next step (the window one cell
// further) differs from the golden of the previous one beyond the tolerance.
Test(render_golden, comparison_detects_a_moved_window) {
    SDL_Surface *want = golden_load_rgba("golden/02_step2_en.png");
    cr_assert_not_null(want);
    SDL_Surface *got = render("golden/02_convolution.lesson", 3, LANG_EN, false);
    cr_assert_gt(golden_compare(got, want, NULL), GOLDEN_MAX_BAD_FRAC, "step 3 must not pass as step 2");
    SDL_FreeSurface(got);
    SDL_FreeSurface(want);
}

// Rendering twice gives the same pixels (no history, no time dependence).
Test(render_frames, same_step_same_pixels) {
    SDL_Surface *a = render("../lessons/07_pooling.lesson", 1, LANG_EN, false);
    SDL_Surface *b = render("../lessons/07_pooling.lesson", 1, LANG_EN, false);
    cr_assert_eq(memcmp(a->pixels, b->pixels, (size_t)a->pitch * H), 0);
    SDL_FreeSurface(a);
    SDL_FreeSurface(b);
}

// HiDPI: at 2x the layout is the same, scaled (compare a 2x render downsampled).
Test(render_frames, hidpi_is_the_same_layout_scaled) {
    ClError err;
    cr_assert_eq(draw_init_fonts(&err), 0, "%s", err.msg);
    theme_default_light(&THEME);
    ScreenContext ctx = {.lang = LANG_EN, .data_dir = "", .cifar_error = "", .theme_name = "light"};
    Screen *s = player_create_for(&ctx, "../lessons/03_stride.lesson", 2, &err);
    player_set_static(s, true);
    Canvas *c = canvas_create_offscreen(2 * W, 2 * H, &THEME, &err);
    canvas_begin_frame(c);
    cr_assert_float_eq(canvas_scale(c), 2.0f, 1e-6);
    cr_assert_float_eq(canvas_width(c), (float)W, 1e-3);
    s->draw(s, c);
    SDL_Surface *big = canvas_read_pixels(c);
    SDL_Surface *small = SDL_CreateRGBSurfaceWithFormat(0, W, H, 32, SDL_PIXELFORMAT_RGBA32);
    const uint8_t *pb = big->pixels;
    uint8_t *ps = small->pixels;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int ch = 0; ch < 4; ch++) {
                int sum = pb[(2 * y) * big->pitch + 8 * x + ch] + pb[(2 * y) * big->pitch + 8 * x + 4 + ch] +
                          pb[(2 * y + 1) * big->pitch + 8 * x + ch] + pb[(2 * y + 1) * big->pitch + 8 * x + 4 + ch];
                ps[y * small->pitch + 4 * x + ch] = (uint8_t)(sum / 4);
            }
    SDL_Surface *one = render("../lessons/03_stride.lesson", 3, LANG_EN, false);
    cr_assert_leq(golden_compare(small, one, NULL), 0.01, "the 2x frame is the 1x frame, sharper");
    SDL_FreeSurface(one);
    SDL_FreeSurface(small);
    SDL_FreeSurface(big);
    canvas_free(c);
    s->destroy(s);
}

// The tensor-volume view (oblique, to scale): the filter box is drawn in its
// colour, and moving it along the width axis moves it right on screen.
static float sub_box_centre_x(float x0, int *count) {
    ClError err;
    cr_assert_eq(draw_init_fonts(&err), 0, "%s", err.msg);
    theme_default_light(&THEME);
    Canvas *c = canvas_create_offscreen(640, 400, &THEME, &err);
    canvas_begin_frame(c);
    Rgba sub = {255, 0, 255, 255}; // a colour found nowhere else
    VolumeSpec v = {3, 32, 32, 0, true, 0, 10, x0, 3, 5, 5, THEME.input, sub, NULL, "3×32×32"}; // C H W pad sub c0 y0 x0 dc dy dx
    widget_volume(c, (Rect){0, 0, 640, 400}, &v);
    SDL_Surface *s = canvas_read_pixels(c);
    double sx = 0;
    *count = 0;
    const uint8_t *p = s->pixels;
    for (int y = 0; y < s->h; y++)
        for (int x = 0; x < s->w; x++) {
            const uint8_t *q = p + y * s->pitch + 4 * x;
            if (q[0] > 200 && q[1] < 60 && q[2] > 200) { sx += x; (*count)++; }
        }
    SDL_FreeSurface(s);
    canvas_free(c);
    return *count ? (float)(sx / *count) : -1;
}

Test(render_widgets, volume_sub_box_follows_its_position) {
    int n1, n2;
    float left = sub_box_centre_x(2, &n1), right = sub_box_centre_x(24, &n2);
    cr_assert_gt(n1, 200, "the filter box is visible (%d px)", n1);
    cr_assert_gt(n2, 200);
    cr_assert_gt(right, left + 50, "x0 = 24 is drawn right of x0 = 2 (%.0f vs %.0f)", right, left);
}

// Theme files: errors name file:line, unknown keys are warnings, the shipped
// files load and equal the built-in defaults.
Test(theme, file_errors_and_shipped_files) {
    Theme t;
    ClError err;
    FILE *f = fopen("out_theme_test.theme", "w");
    cr_assert_not_null(f);
    fputs("# comment\nbg = #ffffff\nfont_body = 9\n", f);
    fclose(f);
    theme_default_light(&t);
    cr_assert_eq(theme_load(&t, "out_theme_test.theme", &err), -1);
    cr_assert(strstr(err.msg, "out_theme_test.theme:3: font_body: expected a number in [18, 60]") != NULL, "got: %s", err.msg);
    f = fopen("out_theme_test.theme", "w");
    fputs("kernel = orange\n", f);
    fclose(f);
    cr_assert_eq(theme_load(&t, "out_theme_test.theme", &err), -1);
    cr_assert(strstr(err.msg, ":1: kernel: expected a colour #rrggbb") != NULL, "got: %s", err.msg);
    f = fopen("out_theme_test.theme", "w");
    fputs("not_a_key = 3\ntext = #102030 # trailing comment\n", f);
    fclose(f);
    cr_assert_eq(theme_load(&t, "out_theme_test.theme", &err), 0, "unknown keys only warn: %s", err.msg);
    cr_assert(t.text.r == 0x10 && t.text.g == 0x20 && t.text.b == 0x30);
    remove("out_theme_test.theme");
    const char *names[2] = {"light", "dark"};
    for (int i = 0; i < 2; i++) {
        Theme file, builtin;
        char path[64];
        snprintf(path, sizeof path, "../assets/theme-%s.theme", names[i]);
        if (i == 0) { theme_default_light(&file); theme_default_light(&builtin); }
        else { theme_default_dark(&file); theme_default_dark(&builtin); }
        cr_assert_eq(theme_load(&file, path, &err), 0, "%s", err.msg);
        cr_assert_eq(memcmp(&file, &builtin, sizeof file), 0, "%s differs from the built-in defaults", path);
    }
}
