/* Lesson parser and scene computation: broken files name file:line, unknown
 * keys warn, out-of-range values are errors with the key's line, and the
 * numbers of known grids (window sums, argmax, output sizes) are asserted.
 * Also: a step's scene is a pure function of (lesson, step, image choice).
 */
#include <criterion/criterion.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/lesson.h"
#include "lesson/scene.h"
#include "session/lesson_data.h"

static const char *HEADER = "title.en = T\ntitle.zh = 标题\n";

// Parses header + body; returns rc and fills err and warnings text.
static int parse(Lesson *l, const char *body, ClError *err, char *warn, size_t warn_n) {
    static char text[8192];
    snprintf(text, sizeof text, "%s%s", HEADER, body);
    char *wbuf = NULL;
    size_t wlen = 0;
    FILE *w = open_memstream(&wbuf, &wlen);
    int rc = lesson_parse(l, "t.lesson", text, w, err);
    fclose(w);
    if (warn) snprintf(warn, warn_n, "%s", wbuf ? wbuf : "");
    free(wbuf);
    return rc;
}

static SceneEnv no_data(void) { return (SceneEnv){.cifar = NULL, .data_hint = "no data", .window_override = -1}; }

// ---- parser -----------------------------------------------------------------

Test(lesson_parse, minimal_two_languages_and_inheritance) {
    Lesson l;
    ClError err;
    cr_assert_eq(parse(&l, "[step]\nscene = conv\ninput = 1 2; 3 4\nkernel = 1\ncaption.en = A\ncaption.zh = 甲\n"
                           "[step]\nwindow = 1 1\ntext.en = long\n  continued\ntext.zh = 第一\n  第二\n",
                       &err, NULL, 0), 0, "%s", err.msg);
    cr_assert_eq(l.n_steps, 2);
    cr_assert_str_eq(l.title[1], "标题");
    cr_assert_str_eq(l.steps[1].kind, "conv", "the kind carries over");
    cr_assert_str_eq(lesson_get(&l.steps[1], "kernel", NULL), "1", "scene keys carry over");
    cr_assert_str_eq(l.steps[1].text[0], "long continued", "Latin continuation joins with a space");
    cr_assert_str_eq(l.steps[1].text[1], "第一第二", "CJK continuation joins without a space");
    cr_assert_str_eq(l.steps[1].caption[0], "", "captions do not carry over");
    lesson_free(&l);
}

Test(lesson_parse, empty_value_clears_inherited_key) {
    Lesson l;
    ClError err;
    cr_assert_eq(parse(&l, "[step]\nscene = conv\ninput = 1 2; 3 4\nkernel = 1\nbias = 2\n[step]\nbias =\n", &err, NULL, 0), 0);
    cr_assert_not_null(lesson_get(&l.steps[0], "bias", NULL));
    cr_assert_null(lesson_get(&l.steps[1], "bias", NULL));
    lesson_free(&l);
}

Test(lesson_parse, missing_equals_names_file_and_line) {
    Lesson l;
    ClError err;
    cr_assert_eq(parse(&l, "[step]\nscene = conv\nkernel 1 2\n", &err, NULL, 0), -1);
    cr_assert(strstr(err.msg, "t.lesson:5:") != NULL, "got: %s", err.msg);
    cr_assert(strstr(err.msg, "expected 'key = value'") != NULL, "got: %s", err.msg);
}

Test(lesson_parse, unknown_section_and_kind_and_language) {
    Lesson l;
    ClError err;
    cr_assert_eq(parse(&l, "[stepp]\n", &err, NULL, 0), -1);
    cr_assert(strstr(err.msg, "t.lesson:3: expected a section header '[step]'") != NULL, "got: %s", err.msg);
    cr_assert_eq(parse(&l, "[step]\nscene = convolution\n", &err, NULL, 0), -1);
    cr_assert(strstr(err.msg, "t.lesson:4: unknown scene kind 'convolution'") != NULL, "got: %s", err.msg);
    cr_assert(strstr(err.msg, "conv") && strstr(err.msg, "pool"), "lists the kinds: %s", err.msg);
    cr_assert_eq(parse(&l, "[step]\ncaption.fr = Bonjour\n", &err, NULL, 0), -1);
    cr_assert(strstr(err.msg, "t.lesson:4:") && strstr(err.msg, ".en or .zh"), "got: %s", err.msg);
}

Test(lesson_parse, missing_title_and_no_steps) {
    Lesson l;
    ClError err;
    cr_assert_eq(lesson_parse(&l, "x.lesson", "title.en = only english\n[step]\n", NULL, &err), -1);
    cr_assert(strstr(err.msg, "missing title.zh") != NULL, "got: %s", err.msg);
    cr_assert_eq(parse(&l, "", &err, NULL, 0), -1);
    cr_assert(strstr(err.msg, "at least one [step]") != NULL, "got: %s", err.msg);
}

Test(lesson_parse, duplicate_key_is_an_error) {
    Lesson l;
    ClError err;
    cr_assert_eq(parse(&l, "[step]\nscene = conv\nstride = 1\nstride = 2\n", &err, NULL, 0), -1);
    cr_assert(strstr(err.msg, "t.lesson:6: 'stride' given twice") != NULL, "got: %s", err.msg);
}

Test(lesson_parse, unknown_key_warns_with_line_not_silently) {
    Lesson l;
    ClError err;
    char warn[1024];
    cr_assert_eq(parse(&l, "[step]\nscene = conv\ninput = 1\nkernel = 1\nstrid = 2\n[step]\nwindow = 0 0\n", &err, warn, sizeof warn), 0);
    cr_assert_eq(l.n_warnings, 1, "the inherited key is not reported twice: %s", warn);
    cr_assert(strstr(warn, "t.lesson:7: warning: unknown key 'strid' for scene 'conv'") != NULL, "got: %s", warn);
    lesson_free(&l);
}

Test(lesson_parse, invalid_utf8_is_rejected) {
    Lesson l;
    ClError err;
    cr_assert_eq(lesson_parse(&l, "bad.lesson", "title.en = \xff\xfe\n", NULL, &err), -1);
    cr_assert(strstr(err.msg, "UTF-8") != NULL, "got: %s", err.msg);
}

// ---- values checked when a step is computed ------------------------------------

static void expect_compute_error(const char *body, const char *want) {
    Lesson l;
    ClError err;
    cr_assert_eq(parse(&l, body, &err, NULL, 0), 0, "%s", err.msg);
    Scene sc;
    SceneEnv env = no_data();
    cr_assert_eq(scene_compute(&sc, &l, 0, &env, &err), -1, "expected an error containing '%s'", want);
    cr_assert(strstr(err.msg, want) != NULL, "got: %s\nwant: %s", err.msg, want);
    cr_assert(strstr(sc.error, want) != NULL, "the scene carries the message too");
    scene_free(&sc);
    lesson_free(&l);
}

Test(scene_errors, stride_zero_names_its_line) {
    expect_compute_error("[step]\nscene = conv\ninput = 1 2; 3 4\nkernel = 1\nstride = 0\n",
                         "t.lesson:7: stride = 0 is out of range; expected 1..32");
}

Test(scene_errors, kernel_larger_than_padded_input) {
    expect_compute_error("[step]\nscene = conv\ninput = 1 2; 3 4\nkernel = 1 1 1; 1 1 1; 1 1 1\n", "t.lesson:6: Conv2d");
}

Test(scene_errors, image_index_beyond_the_test_set) {
    expect_compute_error("[step]\nscene = conv\nimage = 10000\nkernel = 1\n", "t.lesson:5: image = 10000 is beyond the CIFAR-10 test set");
}

Test(scene_errors, ragged_grid_and_bad_window) {
    expect_compute_error("[step]\nscene = conv\ninput = 1 2; 3\nkernel = 1\n", "t.lesson:5: input: row 2 has 1 numbers but row 1 has 2");
    expect_compute_error("[step]\nscene = conv\ninput = 1 2; 3 4\nkernel = 1\nwindow = 5 0\n",
                         "t.lesson:7: window 5 0 is outside the 2x2 output");
}

Test(scene_errors, pool_padding_over_half_kernel_is_pytorchs_error) {
    expect_compute_error("[step]\nscene = pool\ninput = 1 2; 3 4\nkernel_size = 2\npadding = 2\n", "pad should be at most half of kernel size");
}

// ---- numbers --------------------------------------------------------------------

static Lesson load_ok(const char *body) {
    Lesson l;
    ClError err;
    cr_assert_eq(parse(&l, body, &err, NULL, 0), 0, "%s", err.msg);
    return l;
}

Test(scene_numbers, conv_window_sum_on_a_known_grid) {
    Lesson l = load_ok("[step]\nscene = conv\ninput = 1 2 0 1 3; 0 1 3 2 1; 2 1 0 1 0; 1 0 2 3 1; 3 1 1 0 2\n"
                       "kernel = 1 0 1; 0 1 0; 1 0 1\nwindow = 0 0\n[step]\nwindow = 1 2\n");
    SceneEnv env = no_data();
    Scene sc;
    ClError err;
    cr_assert_eq(scene_compute(&sc, &l, 0, &env, &err), 0, "%s", err.msg);
    cr_assert_eq(sc.output.rows, 3);
    cr_assert_eq(sc.output.cols, 3);
    // 1·1 + 0·0 + 2·1 + 1·1 (the four corners and the centre of the top-left window) = 4
    cr_assert_float_eq(sc.window_value, 4.0f, 1e-6);
    cr_assert_eq(sc.n_terms, 9);
    cr_assert_eq(sc.n_filled, 1);
    const float want[9] = {4, 8, 5, 7, 6, 8, 6, 5, 6};
    for (int i = 0; i < 9; i++) cr_assert_float_eq(sc.output.v[i], want[i], 1e-6, "output[%d]", i);
    char plain[1024];
    scene_strip_roles(plain, sizeof plain, sc.formula);
    cr_assert_str_eq(plain, "1·1 + 2·0 + 0·1 + 0·0 + 1·1 + 3·0 + 2·1 + 1·0 + 0·1 = 4");
    scene_strip_roles(plain, sizeof plain, sc.size_formula);
    cr_assert_str_eq(plain, "out = ⌊(5 + 2·0 − 3)/1⌋ + 1 = 3");
    scene_free(&sc);
    cr_assert_eq(scene_compute(&sc, &l, 1, &env, &err), 0);
    cr_assert_float_eq(sc.window_value, 8.0f, 1e-6);
    cr_assert_eq(sc.n_filled, 6);
    scene_free(&sc);
    lesson_free(&l);
}

Test(scene_numbers, stride_padding_and_negative_terms) {
    Lesson l = load_ok("[step]\nscene = conv\ninput = 1 2 3; 4 5 6; 7 8 9\nkernel = 1 −1; -1 1\nstride = 2\npadding = 1\nwindow = 0 0\n");
    SceneEnv env = no_data();
    Scene sc;
    cr_assert_eq(scene_compute(&sc, &l, 0, &env, NULL), 0, "%s", sc.error);
    cr_assert_eq(sc.output.rows, 2, "floor((3 + 2 - 2)/2) + 1 = 2");
    // window (0,0) covers padding except the input's 1 at the kernel's bottom-right
    cr_assert_float_eq(sc.window_value, 1.0f, 1e-6);
    cr_assert_eq(sc.term_iy[0], -1);
    char plain[1024];
    scene_strip_roles(plain, sizeof plain, sc.formula);
    cr_assert(strstr(plain, "0·(−1)") != NULL, "negative factors in parentheses with U+2212: %s", plain);
    scene_free(&sc);
    lesson_free(&l);
}

Test(scene_numbers, maxpool_argmax_avg_and_global) {
    Lesson l = load_ok("[step]\nscene = pool\ninput = 1 3 2 1; 4 6 5 0; 3 1 1 2; 0 2 7 4\npool = max\nwindow = all\n"
                       "[step]\npool = avg\n[step]\npool = global\nwindow = 0 0\n"
                       "[step]\npool = max\ninput = 2 0 1 3 1; 1 4 2 0 2; 0 2 5 1 3; 3 1 0 2 0; 1 2 3 0 6\nceil_mode = true\nwindow = all\n");
    SceneEnv env = no_data();
    Scene sc;
    cr_assert_eq(scene_compute(&sc, &l, 0, &env, NULL), 0, "%s", sc.error);
    const float mx[4] = {6, 5, 3, 7};
    const int32_t idx[4] = {5, 6, 8, 14}; // return_indices: flat y*W + x
    for (int i = 0; i < 4; i++) {
        cr_assert_float_eq(sc.output.v[i], mx[i], 1e-6);
        cr_assert_eq(sc.indices[i], idx[i], "argmax[%d] = %d", i, sc.indices[i]);
    }
    scene_free(&sc);
    cr_assert_eq(scene_compute(&sc, &l, 1, &env, NULL), 0);
    const float av[4] = {3.5f, 2.0f, 1.5f, 3.5f};
    for (int i = 0; i < 4; i++) cr_assert_float_eq(sc.output.v[i], av[i], 1e-6);
    cr_assert_null(sc.indices);
    scene_free(&sc);
    cr_assert_eq(scene_compute(&sc, &l, 2, &env, NULL), 0);
    cr_assert_eq(sc.output.rows * sc.output.cols, 1);
    cr_assert_float_eq(sc.output.v[0], 7.0f, 1e-6);
    cr_assert_eq(sc.indices[0], 14);
    scene_free(&sc);
    cr_assert_eq(scene_compute(&sc, &l, 3, &env, NULL), 0, "%s", sc.error);
    cr_assert_eq(sc.output.rows, 3, "ceil_mode: 5x5, k2 s2 -> 3x3");
    cr_assert_float_eq(sc.output.v[8], 6.0f, 1e-6, "the partial corner window sees only the 6");
    char plain[512];
    scene_strip_roles(plain, sizeof plain, sc.size_formula);
    cr_assert(strstr(plain, "⌈") != NULL, "ceil_mode formula uses ⌈ ⌉: %s", plain);
    scene_free(&sc);
    lesson_free(&l);
}

Test(scene_numbers, image_step_without_data_asks_for_it) {
    Lesson l = load_ok("[step]\nscene = conv\nimage = class:cat\nchannel = r\ncrop = 0 0 6 6\nkernel = 1\n");
    SceneEnv env = no_data();
    Scene sc;
    cr_assert_eq(scene_compute(&sc, &l, 0, &env, NULL), 0);
    cr_assert(sc.needs_data);
    cr_assert_str_eq(sc.class_name, "cat");
    scene_free(&sc);
    lesson_free(&l);
}

// The dump of step k is the same however we got there.
Test(scene_numbers, a_step_is_a_pure_function_of_the_step) {
    Lesson l;
    ClError err;
    cr_assert_eq(lesson_load(&l, "../lessons/02_convolution.lesson", NULL, &err), 0, "%s", err.msg);
    SceneEnv env = no_data();
    char *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    Scene sc;
    FILE *f = open_memstream(&a, &na);
    scene_compute(&sc, &l, 3, &env, NULL);
    scene_dump(&sc, f);
    scene_free(&sc);
    fclose(f);
    for (int k = l.n_steps - 1; k >= 0; k--) { scene_compute(&sc, &l, k, &env, NULL); scene_free(&sc); }
    f = open_memstream(&b, &nb);
    scene_compute(&sc, &l, 3, &env, NULL);
    scene_dump(&sc, f);
    scene_free(&sc);
    fclose(f);
    cr_assert_str_eq(a, b);
    cr_assert(strstr(a, "window 0 2 value 5") != NULL, "step 4 of lesson 02 ends the first row: %s", a);
    free(a);
    free(b);
    lesson_free(&l);
}

// Every step of every shipped lesson, with CIFAR-10 and the measurements of
// lessons 8-10: its dump is the same whatever was computed before it (the
// forward pass, then backwards with another image chosen in between).
static char *dump_step(const Lesson *l, int k, const SceneEnv *env) {
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    Scene sc;
    ClError err;
    if (scene_compute(&sc, l, k, env, &err) != 0) fprintf(f, "error %s\n", err.msg);
    scene_dump(&sc, f);
    scene_free(&sc);
    fclose(f);
    return text;
}

Test(scene_numbers, every_shipped_step_is_a_pure_function_of_its_inputs, .timeout = 300) {
    static Cifar cifar;
    ClError err;
    if (cifar_load_test(&cifar, "../data/cifar-10-batches-bin", 0, &err) != 0) cr_skip_test("no CIFAR-10 (make data): %s", err.msg);
    glob_t g;
    cr_assert_eq(glob("../lessons/*.lesson", 0, NULL, &g), 0);
    cr_assert_geq(g.gl_pathc, 10, "all ten lessons");
    LessonData *data = lesson_data_create("../data/cifar-10-batches-bin", false);
    SceneEnv env = {.cifar = &cifar, .window_override = -1, .data = data};
    int measured = 0, steps = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        Lesson l;
        cr_assert_eq(lesson_load(&l, g.gl_pathv[i], NULL, &err), 0, "%s", err.msg);
        char **first = calloc((size_t)l.n_steps, sizeof *first);
        for (int k = 0; k < l.n_steps; k++) first[k] = dump_step(&l, k, &env);
        for (int k = l.n_steps - 1; k >= 0; k--) {
            SceneEnv other = env;
            other.image_offset = 3; // a different picture just before
            free(dump_step(&l, (k + 1) % l.n_steps, &other));
            char *again = dump_step(&l, k, &env);
            cr_assert_str_eq(again, first[k], "%s step %d depends on what was shown before it", g.gl_pathv[i], k + 1);
            cr_assert_null(strstr(first[k], "needs-data"), "%s step %d: %s", g.gl_pathv[i], k + 1, first[k]);
            measured += strstr(first[k], "accuracy") != NULL;
            steps++;
            free(again);
            free(first[k]);
        }
        free(first);
        lesson_free(&l);
    }
    cr_assert_gt(measured, 0, "the measured steps of lessons 8-10 were covered");
    cr_log_info("%d steps, %d with measured accuracies", steps, measured);
    globfree(&g);
    lesson_data_free(data);
    cifar_free(&cifar);
}

Test(lesson_files, shipped_lessons_load_without_warnings) {
    const char *files[] = {"../lessons/02_convolution.lesson", "../lessons/03_stride.lesson", "../lessons/07_pooling.lesson"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        Lesson l;
        ClError err;
        cr_assert_eq(lesson_load(&l, files[i], NULL, &err), 0, "%s", err.msg);
        cr_assert_eq(l.n_warnings, 0, "%s has warnings", files[i]);
        SceneEnv env = no_data();
        for (int k = 0; k < l.n_steps; k++) {
            Scene sc;
            cr_assert_eq(scene_compute(&sc, &l, k, &env, &err), 0, "%s step %d: %s", files[i], k + 1, err.msg);
            for (int lang = 0; lang < LANG_COUNT; lang++)
                cr_assert(l.steps[k].caption[lang][0] && l.steps[k].text[lang][0], "%s step %d lacks %s text", files[i], k + 1,
                          LANG_CODES[lang]);
            scene_free(&sc);
        }
        lesson_free(&l);
    }
}

Test(lesson_files, stride_lesson_output_sizes) {
    Lesson l;
    ClError err;
    cr_assert_eq(lesson_load(&l, "../lessons/03_stride.lesson", NULL, &err), 0, "%s", err.msg);
    SceneEnv env = no_data();
    const int steps[3] = {0, 2, 5}, sizes[3] = {5, 3, 2}; // stride 1, 2, 3 on 7x7 with a 3x3 kernel
    for (int i = 0; i < 3; i++) {
        Scene sc;
        cr_assert_eq(scene_compute(&sc, &l, steps[i], &env, &err), 0, "%s", err.msg);
        cr_assert_eq(sc.output.rows, sizes[i], "step %d: %d", steps[i] + 1, sc.output.rows);
        scene_free(&sc);
    }
    lesson_free(&l);
}
