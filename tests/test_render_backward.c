/* Golden frames of lessons 11 (the backward pass of a convolution), 12
 * (transposed convolution) and 13 (max-pool and ReLU backward), built-in grids (no data needed), in both
 * languages and both themes, with live parameters and a PyTorch error in
 * place; compared as the other goldens (golden.c: 8x8 block means, text
 * regions masked). The lessons are frozen copies in tests/golden/;
 * CONVLAB_UPDATE_GOLDEN=1 rewrites the PNGs.
 */
#include <criterion/criterion.h>

#include "golden.h"

static void golden(const char *name, const char *file, int step, Lang lang, bool dark, const char *set) {
    golden_check(name, golden_render(&(GoldenFrame){file, step, lang, dark, NULL, set}));
}

#define L11 "golden/11_conv_backward.lesson"
#define L12 "golden/12_conv_transpose.lesson"

Test(backward_golden, chain_rule_en) { golden("11_step2_en", L11, 2, LANG_EN, false, NULL); }
Test(backward_golden, dinput_full_conv_zh) { golden("11_step5_zh", L11, 5, LANG_ZH, false, NULL); }
Test(backward_golden, finite_difference_zh) { golden("11_step7_zh", L11, 7, LANG_ZH, false, NULL); }
Test(backward_golden, stride2_dinput_dark) { golden("11_step9_dark", L11, 9, LANG_EN, true, NULL); }
Test(backward_golden, all_live_padding_en) { golden("11_step12_pad2_en", L11, 12, LANG_EN, false, "padding=2"); }
Test(transpose_golden, first_stamp_en) { golden("12_step2_en", L12, 2, LANG_EN, false, NULL); }
Test(transpose_golden, crop_and_output_padding_zh) { golden("12_step6_zh", L12, 6, LANG_ZH, false, NULL); }
Test(transpose_golden, output_padding_error_dark) { golden("12_step7_op2_dark", L12, 7, LANG_ZH, true, "output_padding=2"); }

// A live parameter must change the frame: the error must not pass as the valid output.
Test(transpose_golden, live_error_changes_the_frame) {
    SDL_Surface *want = golden_load_rgba("golden/12_step7_op2_dark.png");
    cr_assert_not_null(want);
    SDL_Surface *got = golden_render(&(GoldenFrame){L12, 7, LANG_ZH, true, NULL, NULL});
    cr_assert_gt(golden_compare(got, want, NULL), GOLDEN_MAX_BAD_FRAC, "output_padding 1 must not pass as the error frame");
    SDL_FreeSurface(got);
    SDL_FreeSurface(want);
}

#define L13 "golden/13_pool_relu_backward.lesson"
Test(pool_backward_golden, overlapping_windows_en) { golden("13_step3_en", L13, 3, LANG_EN, false, NULL); }
Test(pool_backward_golden, relu_zh_dark) { golden("13_step5_zh_dark", L13, 5, LANG_ZH, true, NULL); }
