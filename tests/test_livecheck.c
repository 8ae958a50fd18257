/* Texts and claims that follow live settings (lesson/livecheck.h, expect.h's
 * param(), scene_facts.h's choices): a text that writes a number its setting
 * changes is reported, a {key} or a listed constant is not; a claim written
 * with param() holds at every value, a default-only one fails there and names
 * the setting; {KEY|one|other} and {KEY?yes|no} pick by the current value.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/adjust.h"
#include "lesson/expect.h"
#include "lesson/lesson.h"
#include "lesson/livecheck.h"
#include "lesson/scene.h"
#include "lesson/scene_facts.h"

// A one-step conv lesson (5x5 input, 3x3 kernel, padding 1, stride 2, both live) with these extra lines.
static void parse_conv(Lesson *l, const char *extra) {
    char text[4096];
    snprintf(text, sizeof text,
             "title.en = T\ntitle.zh = 标题\n[step]\nscene = conv\n"
             "input = 1 2 0 1 3; 0 1 3 2 1; 2 1 0 1 2; 1 3 2 0 1; 0 1 2 3 1\nkernel = 1 1 1; 1 1 1; 1 1 1\n"
             "padding = 1\nstride = 2\nwindow = 0 0\nadjust = padding:0..3 stride:1..3\ncaption.en = a\ncaption.zh = 甲\n%s",
             extra);
    ClError err;
    cr_assert_eq(lesson_parse(l, "t.lesson", text, NULL, &err), 0, "%s", err.msg);
}

static void compute(Scene *sc, const Lesson *l, const SceneOverrides *ov) {
    SceneEnv env = {.data_hint = "no data", .window_override = -1, .overrides = ov};
    ClError err;
    cr_assert_eq(scene_compute(sc, l, 0, &env, &err), 0, "%s", err.msg);
}

// Stale numbers of the lesson's step at key=value; the report text into *report (owned).
static int stale_at(const char *extra, const char *key, const char *value, char **report) {
    Lesson l;
    parse_conv(&l, extra);
    SceneOverrides ov = {0};
    ClError err;
    cr_assert_eq(adjust_set(&ov, key, value, &err), 0);
    Scene base, at;
    compute(&base, &l, NULL);
    compute(&at, &l, &ov);
    size_t n = 0;
    FILE *f = open_memstream(report, &n);
    int problems = livecheck_stale(&l, 0, &base, &at, "stride=3", f);
    fclose(f);
    scene_free(&base);
    scene_free(&at);
    lesson_free(&l);
    return problems;
}

Test(livecheck, a_literal_output_size_is_stale_a_key_is_not) {
    char *report;
    cr_expect_eq(stale_at("text.en = The output is 3×3.\ntext.zh = 输出是 3×3。\n", "stride", "3", &report), 2, "%s", report);
    cr_expect(strstr(report, "t.lesson:3: step 1 (en) at stride=3: the text writes 3, which this setting changes to 2"), "%s", report);
    free(report);
    cr_expect_eq(stale_at("text.en = The output is {out}×{out}.\ntext.zh = 输出是 {out}×{out}。\n", "stride", "3", &report), 0,
                 "%s", report);
    free(report);
    // a number of a general statement, listed as a constant
    cr_expect_eq(stale_at("constants = 3\ntext.en = A 3×3 kernel.\ntext.zh = 3×3 的卷积核。\n", "stride", "3", &report), 0,
                 "%s", report);
    free(report);
    // formula constants: the 2 of 2·p and the + 1 after ⌋
    cr_expect_eq(stale_at("text.en = out = ⌊(n + 2·p − f)/s⌋ + 1\ntext.zh = 公式\n", "stride", "1", &report), 0, "%s", report);
    free(report);
}

Test(livecheck, values_tried_cover_small_ranges_and_the_ends_and_middle_of_large_ones) {
    int v[LIVECHECK_MAX_VALUES];
    AdjustParam small = {.key = "padding", .lo = 0, .hi = 3}, large = {.key = "kernel_size", .lo = 1, .hi = 7};
    cr_assert_eq(livecheck_values(v, &small, 1), 3);
    cr_expect(v[0] == 0 && v[1] == 2 && v[2] == 3);
    cr_assert_eq(livecheck_values(v, &large, 4), 2); // 4 is the middle and the step's own value
    cr_expect(v[0] == 1 && v[1] == 7);
}

// The claims of the lesson's step at key=value (NULL: the default); failures, report into *report.
static int claims_at(const char *expect, const char *key, const char *value, bool other_net, char **report) {
    Lesson l;
    char extra[1024];
    snprintf(extra, sizeof extra, "expect = %s\n", expect);
    parse_conv(&l, extra);
    SceneOverrides ov = {0};
    ClError err;
    if (key) cr_assert_eq(adjust_set(&ov, key, value, &err), 0);
    Scene sc;
    compute(&sc, &l, &ov);
    size_t n = 0;
    FILE *f = open_memstream(report, &n);
    char at[64];
    snprintf(at, sizeof at, "%s=%s", key ? key : "", value ? value : "");
    int failures = expect_check_at(&l, 0, &sc, &ov, key ? at : NULL, other_net, false, f, NULL);
    fclose(f);
    scene_free(&sc);
    lesson_free(&l);
    return failures;
}

Test(livecheck, claims_in_terms_of_param_hold_at_every_setting) {
    const char *live = "rows(output) == floor((5 + 2 * param(padding) - 3) / param(stride)) + 1; item(fact:span, 0) == 5 + 2 * param(padding) - 3";
    char *report;
    const char *values[] = {"0", "1", "2", "3"};
    for (int i = 0; i < 4; i++) {
        cr_expect_eq(claims_at(live, "padding", values[i], false, &report), 0, "%s", report);
        free(report);
    }
    cr_expect_eq(claims_at(live, "stride", "3", false, &report), 0, "%s", report);
    free(report);
    cr_expect_eq(claims_at("rows(output) == 3", "padding", "3", false, &report), 1);
    cr_expect(strstr(report, "t.lesson:13: step 1 at padding=3: expect 'rows(output) == 3' is false: 5 vs 3"), "%s", report);
    free(report);
    cr_expect_eq(claims_at("param(dilation) == 1", NULL, NULL, false, &report), 1);
    cr_expect(strstr(report, "param(dilation): the step gives that key no value"), "%s", report);
    free(report);
}

Test(livecheck, cnnnet_claims_are_skipped_for_another_net) {
    char *report;
    cr_expect_eq(claims_at("cnnnet: rows(output) == 4", NULL, NULL, false, &report), 1, "%s", report);
    free(report);
    cr_expect_eq(claims_at("cnnnet: rows(output) == 4", NULL, NULL, true, &report), 0, "%s", report);
    free(report);
}

Test(livecheck, choices_pick_words_and_sentences_by_the_current_value) {
    Lesson l;
    parse_conv(&l, "text.en = x\ntext.zh = x\n");
    char out[512];
    SceneOverrides ov = {0};
    ClError err;
    const char *t = "{stride} {stride|cell|cells}, {padding} {padding|ring|rings}";
    cr_expect_str_eq(scene_expand_text(out, sizeof out, t, &l.steps[0], &ov, NULL), "2 cells, 1 ring");
    adjust_set(&ov, "stride", "1", &err);
    adjust_set(&ov, "padding", "0", &err);
    cr_expect_str_eq(scene_expand_text(out, sizeof out, t, &l.steps[0], &ov, NULL), "1 cell, 0 rings");
    Scene sc;
    ov.n = 0;
    adjust_set(&ov, "stride", "3", &err);
    compute(&sc, &l, &ov);
    const char *s = "{rem?{span}/{s} leaves {rem}: the last {rem} {rem|row is|rows are} never read.|nothing is dropped.}";
    cr_expect_str_eq(scene_expand_text(out, sizeof out, s, &l.steps[0], &ov, &sc), "4/3 leaves 1: the last 1 row is never read.");
    scene_free(&sc);
    ov.n = 0;
    compute(&sc, &l, &ov);
    cr_expect_str_eq(scene_expand_text(out, sizeof out, s, &l.steps[0], &ov, &sc), "nothing is dropped.");
    // markup and unknown keys stay as written
    cr_expect_str_eq(scene_expand_text(out, sizeof out, "x_{a|b} {nokey|a|b}", &l.steps[0], &ov, &sc), "x_{a|b} {nokey|a|b}");
    scene_free(&sc);
    lesson_free(&l);
}
