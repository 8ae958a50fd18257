/* Numbers of lessons 1, 4, 5 and 6 (the files in lessons/, run without
 * CIFAR-10) and the live-parameter mechanism (`adjust`): parameter counts,
 * padded output sizes, a multi-channel window equal to the sum of its slice
 * sums plus the bias, nn.Conv2d's parameter count and PyTorch's errors for
 * invalid settings, key presses turned into overrides.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson/adjust.h"
#include "lesson/lesson.h"
#include "lesson/scene.h"
#include "lesson/scene_conv2d.h"
#include "lesson/scene_params.h"

static Lesson L;

static void load(const char *name) {
    char path[256];
    ClError err;
    snprintf(path, sizeof path, "../lessons/%s", name);
    cr_assert_eq(lesson_load(&L, path, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(L.n_warnings, 0, "%s has warnings", name);
}

// Computes 1-based step k with "key=value" overrides (NULL-terminated list).
static void compute(Scene *sc, int k, const char *const *sets) {
    SceneOverrides ov = {0};
    ClError err;
    for (int i = 0; sets && sets[i]; i++) cr_assert_eq(adjust_set_arg(&ov, sets[i], &err), 0, "%s", err.msg);
    SceneEnv env = {.data_hint = "no data in tests", .window_override = -1, .overrides = &ov};
    scene_compute(sc, &L, k - 1, &env, &err);
}

// ---- lesson 1: parameters ----------------------------------------------------------

Test(lesson01, linear_and_conv_counts) {
    load("01_parameters.lesson");
    Scene sc;
    compute(&sc, 1, NULL);
    const ParamsScene *e = sc.ext;
    cr_assert_str_empty(sc.error, "%s", sc.error);
    cr_assert_eq(e->fc_params, 16, "one output of a 4x4 input: 16 weights");
    scene_free(&sc);
    compute(&sc, 2, NULL);
    cr_assert_eq(((ParamsScene *)sc.ext)->fc_params, 16 * 9);
    scene_free(&sc);
    compute(&sc, 3, NULL); // 2x2 kernel: nine outputs, four shared weights
    e = sc.ext;
    cr_assert_eq(e->OH * e->OW, 9);
    cr_assert_eq(e->conv_params, 4);
    cr_assert_eq(e->fc_params, 144);
    // the convolution as a matrix (from conv2d_backward): 9 rows of 4 non-zeros, the kernel at the window
    cr_assert_eq(e->conv_nonzero, 36);
    const float *centre = e->conv_w + 4 * 16; // output (1, 1): kernel 1 2; 3 4 at input (1, 1)
    cr_assert_float_eq(centre[1 * 4 + 1], 1, 0);
    cr_assert_float_eq(centre[1 * 4 + 2], 2, 0);
    cr_assert_float_eq(centre[2 * 4 + 1], 3, 0);
    cr_assert_float_eq(centre[2 * 4 + 2], 4, 0);
    cr_assert_float_eq(centre[0], 0, 0);
    scene_free(&sc);
    compute(&sc, 4, NULL); // 3x3 kernel: four outputs
    cr_assert_eq(((ParamsScene *)sc.ext)->conv_params, 9);
    cr_assert_eq(((ParamsScene *)sc.ext)->fc_params, 16 * 4);
    scene_free(&sc);
    compute(&sc, 6, NULL); // CNNNet's conv1 against a Linear layer with the same outputs (no data needed)
    e = sc.ext;
    cr_assert(!sc.needs_data && !sc.error[0], "the picture only decorates: without data the counts still show");
    cr_assert_eq(e->conv_params, 608);
    cr_assert_eq(e->fc_in, 3 * 32 * 32);
    cr_assert_eq(e->fc_out, 8 * 28 * 28);
    cr_assert_eq(e->fc_params, 3072L * 6272 + 6272);
    scene_free(&sc);
    lesson_free(&L);
}

Test(lesson01, live_sizes_recount) {
    load("01_parameters.lesson");
    Scene sc;
    const char *sets[] = {"input_size=6", "kernel_size=3", NULL};
    compute(&sc, 5, sets);
    const ParamsScene *e = sc.ext;
    cr_assert(sc.adjusted);
    cr_assert_eq(e->OH, 4);
    cr_assert_eq(e->fc_params, 36 * 16);
    cr_assert_eq(e->conv_params, 9);
    scene_free(&sc);
    lesson_free(&L);
}

// ---- lesson 4: padding ------------------------------------------------------------

Test(lesson04, padding_sizes_and_border_window) {
    load("04_padding.lesson");
    Scene sc;
    compute(&sc, 1, NULL);
    cr_assert_eq(sc.output.rows, 3, "no padding: 5 - 3 + 1");
    scene_free(&sc);
    compute(&sc, 3, NULL); // padding 1, corner window: only 2 1 / 1 3 are real
    cr_assert_eq(sc.output.rows, 5, "same padding keeps 5");
    cr_assert_float_eq(sc.window_value, 2 + 1 + 1 + 3, 0);
    int zeros = 0;
    for (int i = 0; i < sc.n_terms; i++) zeros += sc.term_iy[i] < 0 || sc.term_ix[i] < 0;
    cr_assert_eq(zeros, 5, "five of the nine cells are padding");
    cr_assert(strstr(sc.size_formula, "(5 + 2\xC2\xB7" "1 \xE2\x88\x92 3)/1") != NULL, "%s", sc.size_formula);
    scene_free(&sc);
    compute(&sc, 7, NULL); // 5x5 kernel, padding 2
    cr_assert_eq(sc.output.rows, 5);
    scene_free(&sc);
    const char *sets[] = {"padding=2", "stride=1", NULL};
    compute(&sc, 8, sets); // live: (5 + 4 - 3)/1 + 1
    cr_assert_str_empty(sc.error, "%s", sc.error);
    cr_assert_eq(sc.output.rows, 7);
    scene_free(&sc);
    compute(&sc, 8, NULL); // as written: stride 2, padding 1
    cr_assert_eq(sc.output.rows, 3);
    scene_free(&sc);
    lesson_free(&L);
}

// ---- conv2d scenes: lesson 6 and a built-in multi-channel volume --------------------

Test(lesson06, conv2d_params_and_pytorch_errors) {
    load("06_conv2d_params.lesson");
    Scene sc;
    compute(&sc, 1, NULL);
    const Conv2dScene *e = sc.ext;
    cr_assert_str_empty(e->error, "%s", e->error);
    cr_assert_eq(e->params, 2 * 3 * 3 * 3 + 2);
    cr_assert_eq(e->OH, 4);
    scene_free(&sc);
    const char *more_filters[] = {"out_channels=4", NULL};
    compute(&sc, 1, more_filters);
    cr_assert_eq(((Conv2dScene *)sc.ext)->params, 4 * 27 + 4);
    scene_free(&sc);
    const char *big_kernel[] = {"kernel_size=7", NULL};
    compute(&sc, 2, big_kernel);
    e = sc.ext;
    cr_assert_str_empty(sc.error, "an invalid setting is shown, not a broken step");
    cr_assert(strstr(e->error, "Kernel size can't be greater than actual input size") != NULL, "%s", e->error);
    scene_free(&sc);
    const char *dilated[] = {"dilation=2", NULL};
    compute(&sc, 5, dilated); // (6 - 2*(3-1) - 1)/1 + 1 = 2
    cr_assert_eq(((Conv2dScene *)sc.ext)->OH, 2);
    cr_assert(strstr(sc.size_formula, "2\xC2\xB7(3 \xE2\x88\x92 1)") != NULL, "%s", sc.size_formula);
    scene_free(&sc);
    const char *groups3[] = {"groups=3", NULL};
    compute(&sc, 6, groups3);
    cr_assert(strstr(((Conv2dScene *)sc.ext)->error, "in_channels must be divisible by groups") != NULL);
    scene_free(&sc);
    const char *groups2[] = {"groups=2", "bias=false", NULL};
    compute(&sc, 6, groups2); // 4 filters of 2 slices of 3x3, no bias
    cr_assert_eq(((Conv2dScene *)sc.ext)->params, 4 * 2 * 9);
    scene_free(&sc);
    const char *one_channel[] = {"in_channels=1", NULL};
    compute(&sc, 8, one_channel);
    cr_assert(strstr(((Conv2dScene *)sc.ext)->error,
                     "expected input[1, 3, 6, 6] to have 1 channels, but got 3 channels instead") != NULL,
              "%s", ((Conv2dScene *)sc.ext)->error);
    scene_free(&sc);
    lesson_free(&L);
}

Test(conv2d_scene, window_is_sum_of_slice_sums_plus_bias) {
    ClError err;
    const char *text = "title.en = T\ntitle.zh = 标题\n[step]\nscene = conv2d\nview = planes\ninput_size = 5\n"
                       "in_channels = 3\nout_channels = 2\nkernel_size = 3\npadding = 1\nbias_values = 5 -2\n"
                       "window = 2 3\nfilter = 1\ncaption.en = a\ncaption.zh = 甲\n";
    cr_assert_eq(lesson_parse(&L, "t.lesson", text, NULL, &err), 0, "%s", err.msg);
    Scene sc;
    compute(&sc, 1, NULL);
    const Conv2dScene *e = sc.ext;
    cr_assert_str_empty(sc.error, "%s", sc.error);
    cr_assert_eq(e->n_slices, 3);
    float total = e->bias[1];
    for (int j = 0; j < 3; j++) total += e->slice_sum[j];
    cr_assert_float_eq(total, sc.window_value, 1e-4f, "Σ slices + b = %g, output %g", (double)total, (double)sc.window_value);
    cr_assert_float_eq(e->bias[1], -2, 0);
    cr_assert_float_eq(sc.window_value, e->out[1 * 25 + 2 * 5 + 3], 0, "the value is the engine's output");
    cr_assert(strstr(sc.formula, "= ") != NULL);
    // the products shown for each slice add up to the engine's Σ; window (2, 3) with padding 1
    // reads input rows 1..3, columns 2..4: its centre is in[j, 2, 3]
    for (int j = 0; j < 3; j++) {
        float s = 0;
        for (int t = 0; t < 9; t++) s += e->products[j][t];
        cr_assert_float_eq(s, e->slice_sum[j], 1e-4f, "slice %d: Σ products %g vs %g", j, (double)s, (double)e->slice_sum[j]);
        cr_assert_float_eq(e->products[j][4], e->weight[(1 * 3 + j) * 9 + 4] * e->in[(j * 5 + 2) * 5 + 3], 0, "the centre term");
    }
    scene_free(&sc);
    lesson_free(&L);
}

// A window in the corner with padding 1: the products of the zero ring are 0 and
// the rest still add up to the engine's Σ (the view shows exactly these numbers).
Test(conv2d_scene, products_read_zeros_in_the_padding) {
    ClError err;
    const char *text = "title.en = T\ntitle.zh = 标题\n[step]\nscene = conv2d\nview = planes\ninput_size = 4\n"
                       "in_channels = 2\nout_channels = 1\nkernel_size = 3\npadding = 1\nkernel = 1 1 1; 1 1 1; 1 1 1 | 2 2 2; 2 2 2; 2 2 2\n"
                       "window = 0 0\ncaption.en = a\ncaption.zh = 甲\n";
    cr_assert_eq(lesson_parse(&L, "t.lesson", text, NULL, &err), 0, "%s", err.msg);
    Scene sc;
    compute(&sc, 1, NULL);
    const Conv2dScene *e = sc.ext;
    cr_assert_str_empty(sc.error, "%s", sc.error);
    for (int j = 0; j < 2; j++) {
        float s = 0;
        for (int t = 0; t < 9; t++) s += e->products[j][t];
        cr_assert_float_eq(s, e->slice_sum[j], 1e-4f);
        for (int t = 0; t < 3; t++) cr_assert_eq(e->products[j][t], 0, "row −1 is padding");
        cr_assert_eq(e->products[j][3], 0, "column −1 is padding");
        cr_assert_float_eq(e->products[j][4], (float)(j + 1) * e->in[j * 16], 0, "the centre reads in[j, 0, 0]");
    }
    scene_free(&sc);
    lesson_free(&L);
}

// ---- the adjust mechanism ----------------------------------------------------------

Test(adjust, keys_change_clamp_and_toggle) {
    ClError err;
    const char *text = "title.en = T\ntitle.zh = 标题\n[step]\nscene = conv\ninput = 1 2 3; 4 5 6; 7 8 9\n"
                       "kernel = 1 0; 0 1\nstride = 1\nadjust = stride:1..2 padding\ncaption.en = a\ncaption.zh = 甲\n";
    cr_assert_eq(lesson_parse(&L, "t.lesson", text, NULL, &err), 0, "%s", err.msg);
    const LessonStep *st = &L.steps[0];
    SceneOverrides ov = {0};
    AdjustParam ps[ADJUST_MAX];
    cr_assert_eq(adjust_params(&L, st, ps, &err), 2);
    cr_assert_eq(adjust_value(st, &ov, &ps[0]), 1);
    cr_assert(adjust_key(&ov, &L, st, 's', false));
    cr_assert_eq(adjust_value(st, &ov, &ps[0]), 2);
    cr_assert(!adjust_key(&ov, &L, st, 's', false), "stride:1..2 stops at 2");
    cr_assert(adjust_changed(st, &ov, &ps[0]));
    cr_assert(adjust_key(&ov, &L, st, 'a', false));
    cr_assert(!adjust_key(&ov, &L, st, 'k', false), "kernel_size is not adjustable here");
    Scene a, b;
    SceneEnv env = {.window_override = -1, .overrides = &ov};
    cr_assert_eq(scene_compute(&a, &L, 0, &env, &err), 0, "%s", err.msg);
    cr_assert_eq(a.output.rows, 2, "(3 + 2 - 2)/2 + 1"); // stride 2, padding 1
    cr_assert_eq(scene_compute(&b, &L, 0, &env, &err), 0);
    cr_assert_eq(memcmp(a.output.v, b.output.v, sizeof(float) * 4), 0, "a pure function of the overrides");
    scene_free(&a);
    scene_free(&b);
    cr_assert(adjust_key(&ov, &L, st, 's', true), "Shift goes down");
    cr_assert_eq(adjust_value(st, &ov, &ps[0]), 1);
    lesson_free(&L);
}

Test(adjust, bad_declaration_names_file_and_line) {
    ClError err;
    const char *text = "title.en = T\ntitle.zh = 标题\n[step]\nscene = conv\ninput = 1 2; 3 4\nkernel = 1\n"
                       "adjust = strid\ncaption.en = a\ncaption.zh = 甲\n";
    cr_assert_eq(lesson_parse(&L, "t.lesson", text, NULL, &err), 0);
    Scene sc;
    SceneEnv env = {.window_override = -1};
    cr_assert_eq(scene_compute(&sc, &L, 0, &env, &err), -1);
    cr_assert(strstr(err.msg, "t.lesson:7: adjust: unknown parameter 'strid'") != NULL, "%s", err.msg);
    scene_free(&sc);
    lesson_free(&L);
}

Test(adjust, texts_show_current_values) {
    ClError err;
    const char *text = "title.en = T\ntitle.zh = 标题\n[step]\nscene = conv\ninput = 1 2; 3 4\nkernel = 1\nstride = 2\n"
                       "adjust = stride\ncaption.en = a\ncaption.zh = 甲\n";
    cr_assert_eq(lesson_parse(&L, "t.lesson", text, NULL, &err), 0, "%s", err.msg);
    const LessonStep *st = &L.steps[0];
    char out[128];
    SceneOverrides ov = {0};
    adjust_expand(out, sizeof out, "stride={stride}, x_{i}, {nokey}", st, &ov);
    cr_assert_str_eq(out, "stride=2, x_{i}, {nokey}", "markup and unknown keys stay");
    cr_assert(adjust_key(&ov, &L, st, 's', false));
    adjust_expand(out, sizeof out, "s = {stride}", st, &ov);
    cr_assert_str_eq(out, "s = 3", "the student's value");
    lesson_free(&L);
}

// Lesson 10's break key is the training screen's (K), and its text names it.
Test(adjust, lesson10_break_key_is_the_training_screens) {
    ClError err;
    cr_assert_eq(lesson_load(&L, "../lessons/10_why_9_percent.lesson", NULL, &err), 0, "%s", err.msg);
    int found = 0;
    for (int s = 0; s < L.n_steps; s++) {
        AdjustParam ps[ADJUST_MAX];
        int n = adjust_params(&L, &L.steps[s], ps, &err);
        for (int i = 0; i < n; i++) {
            if (strcmp(ps[i].key, "tutorial_break") != 0) continue;
            found++;
            cr_expect_eq(ps[i].letter, 'k', "step %d: the break is K, as on the training screen", s + 1);
            SceneOverrides ov = {0};
            int before = adjust_value(&L.steps[s], &ov, &ps[i]);
            cr_expect(adjust_key(&ov, &L, &L.steps[s], 'k', false));
            cr_expect_neq(adjust_value(&L.steps[s], &ov, &ps[i]), before, "K toggles the break");
            const char *en = L.steps[s].text[LANG_EN], *zh = L.steps[s].text[LANG_ZH];
            cr_expect(en && strstr(en, "**K** to switch the break"), "the English text names K");
            cr_expect(zh && strstr(zh, "按 **K** 开关 break"), "the Chinese text names K");
            cr_expect(!strstr(en, "**X**") && !strstr(zh, "**X**"), "no X left");
        }
    }
    cr_assert_gt(found, 0, "lesson 10 adjusts the break somewhere");
    lesson_free(&L);
}

Test(adjust, two_parameters_on_one_key_are_refused) {
    ClError err;
    const char *text = "title.en = T\ntitle.zh = 标题\n[step]\nscene = conv\ninput = 1 2; 3 4\nkernel = 1\n"
                       "adjust = kernel_size tutorial_break\ncaption.en = a\ncaption.zh = 甲\n";
    cr_assert_eq(lesson_parse(&L, "t.lesson", text, NULL, &err), 0);
    AdjustParam ps[ADJUST_MAX];
    cr_assert_eq(adjust_params(&L, &L.steps[0], ps, &err), -1);
    cr_assert(strstr(err.msg, "t.lesson:7: adjust: 'kernel_size' and 'tutorial_break' share the key K") != NULL, "%s", err.msg);
    lesson_free(&L);
}

// --set values are checked against the step's declared ranges (issue 13).
Test(adjust, overrides_outside_the_declared_range_are_refused) {
    ClError err;
    const char *text = "title.en = T\ntitle.zh = 标题\n[step]\nscene = conv\ninput = 1 2 3; 4 5 6; 7 8 9\n"
                       "kernel = 1 0; 0 1\nadjust = stride:1..2 bias\ncaption.en = a\ncaption.zh = 甲\n";
    cr_assert_eq(lesson_parse(&L, "t.lesson", text, NULL, &err), 0, "%s", err.msg);
    const LessonStep *st = &L.steps[0];
    SceneOverrides ov = {0};
    cr_assert_eq(adjust_set(&ov, "stride", "2", &err), 0);
    cr_assert_eq(adjust_check_overrides(&L, st, &ov, &err), 0, "2 is inside 1..2");
    cr_assert_eq(adjust_set(&ov, "stride", "3", &err), 0);
    cr_assert_eq(adjust_check_overrides(&L, st, &ov, &err), -1);
    cr_assert(strstr(err.msg, "--set stride=3 is out of this step's range: expected stride 1..2") != NULL, "%s", err.msg);
    cr_assert_eq(adjust_set(&ov, "stride", "x", &err), 0);
    cr_assert_eq(adjust_check_overrides(&L, st, &ov, &err), -1, "not a number");
    cr_assert_eq(adjust_set(&ov, "stride", "1", &err), 0);
    cr_assert_eq(adjust_set(&ov, "bias", "maybe", &err), 0);
    cr_assert_eq(adjust_check_overrides(&L, st, &ov, &err), -1, "a boolean takes true/false");
    cr_assert_eq(adjust_set(&ov, "bias", "false", &err), 0);
    cr_assert_eq(adjust_set(&ov, "padding", "9", &err), 0);
    cr_assert_eq(adjust_check_overrides(&L, st, &ov, &err), 0, "keys the step does not declare pass (the scene checks them)");
    lesson_free(&L);
}
