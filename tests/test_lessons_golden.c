/* Golden frames of lessons 1, 4 and 6 (built-in grids, no data needed),
 * including live parameters (`adjust`) and a PyTorch error, compared as in
 * test_render.c (shared code in golden.c): 8x8 block means within a
 * tolerance, text regions masked; a failure writes tests/out/NAME.png and
 * NAME.diff.png; CONVLAB_UPDATE_GOLDEN=1 rewrites them. The lessons are
 * frozen copies in tests/golden/.
 */
#include <criterion/criterion.h>

#include "golden.h"

// Renders lesson `file` at `step` (1-based) in lang/theme, with the live
// parameter `set` ("name=value") or none, into a new surface.
static SDL_Surface *render(const char *file, int step, Lang lang, bool dark, const char *set) {
    return golden_render(&(GoldenFrame){file, step, lang, dark, NULL, set});
}

static void golden(const char *name, const char *file, int step, Lang lang, bool dark, const char *set) {
    golden_check(name, render(file, step, lang, dark, set));
}

Test(lessons_golden, params_shared_kernel_en) { golden("01_step3_en", "golden/01_parameters.lesson", 3, LANG_EN, false, NULL); }
Test(lessons_golden, params_3x3_zh) { golden("01_step4_zh", "golden/01_parameters.lesson", 4, LANG_ZH, false, NULL); }
Test(lessons_golden, padding_corner_zh) { golden("04_step3_zh", "golden/04_padding.lesson", 3, LANG_ZH, false, NULL); }
Test(lessons_golden, padding_live_en) { golden("04_step8_pad2_en", "golden/04_padding.lesson", 8, LANG_EN, false, "padding=2"); }
Test(lessons_golden, conv2d_dilation_en) { golden("06_step5_dil2_en", "golden/06_conv2d_params.lesson", 5, LANG_EN, false, "dilation=2"); }
Test(lessons_golden, conv2d_error_dark) { golden("06_step7_err_dark", "golden/06_conv2d_params.lesson", 7, LANG_EN, true, "in_channels=1"); }

// A live parameter must change the frame: padding 2 does not pass as the lesson's padding 1.
Test(lessons_golden, live_parameter_changes_the_frame) {
    SDL_Surface *want = golden_load_rgba("golden/04_step8_pad2_en.png");
    cr_assert_not_null(want);
    SDL_Surface *got = render("golden/04_padding.lesson", 8, LANG_EN, false, NULL);
    cr_assert_gt(golden_compare(got, want, NULL), GOLDEN_MAX_BAD_FRAC, "padding 1 must not pass as padding 2");
    SDL_FreeSurface(got);
    SDL_FreeSurface(want);
}
