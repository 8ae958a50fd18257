/* The `expect` claims of lesson steps (lesson/expect.h): true claims pass,
 * a false one is reported with file:line and both values, a malformed one
 * says why, and a claim belongs to its own step (not inherited).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/expect.h"
#include "lesson/lesson.h"
#include "lesson/scene.h"

// Parses a one- or two-step conv/pool lesson, computes step k, checks its
// claims; returns the failures and the report text (owned by the caller).
static int check(const char *steps, int k, char **report, int *checked) {
    char text[2048];
    snprintf(text, sizeof text, "title.en = T\ntitle.zh = 标题\n%s", steps);
    Lesson l;
    ClError err;
    cr_assert_eq(lesson_parse(&l, "t.lesson", text, NULL, &err), 0, "%s", err.msg);
    SceneEnv env = {.data_hint = "no data", .window_override = -1};
    Scene sc;
    cr_assert_eq(scene_compute(&sc, &l, k, &env, &err), 0, "%s", err.msg);
    size_t n = 0;
    FILE *f = open_memstream(report, &n);
    int failures = expect_check(&l, k, &sc, false, f, checked);
    fclose(f);
    scene_free(&sc);
    lesson_free(&l);
    return failures;
}

static const char *POOL = "[step]\nscene = pool\ninput = 2 0 1 3 1; 1 4 2 0 2; 0 2 5 1 3; 3 1 0 2 0; 1 2 3 0 6\n"
                          "pool = max\nkernel_size = 3\nstride = 2\npadding = 1\nwindow = all\ncaption.en = a\ncaption.zh = 甲\n";

Test(expect, true_claims_over_grids_lines_and_arithmetic) {
    char body[1024], *report;
    snprintf(body, sizeof body, "%sexpect = count(indices, 6) == 3; cell(output, 1, 1) == 5; rows(output) * cols(output) == 9;"
                                " max(output) == 6; sum(input) >= 40; value(pool, stride) == 2; item(pool, 0) == 3;"
                                " min(output) != 0; -cell(input, 0, 0) + 4 / 2 == 0\n", POOL);
    int checked;
    cr_assert_eq(check(body, 0, &report, &checked), 0, "%s", report);
    cr_assert_eq(checked, 9);
    free(report);
}

Test(expect, a_false_claim_names_file_line_and_both_values) {
    char body[1024], *report;
    snprintf(body, sizeof body, "%sexpect = count(indices, 12) >= 2; cell(output, 0, 0) == 4\n", POOL);
    int checked;
    cr_assert_eq(check(body, 0, &report, &checked), 1);
    cr_assert_eq(checked, 2);
    cr_assert(strstr(report, "t.lesson:13: step 1: expect 'count(indices, 12) >= 2' is false: 1 vs 2"), "%s", report);
    free(report);
}

Test(expect, malformed_claims_say_why) {
    static const char *const BAD[][2] = {
        {"cell(nothing, 0, 0) == 1", "no grid 'nothing'"},
        {"cell(output, 5, 0) == 1", "cell outside grid 'output'"},
        {"rows(output) = 3", "expected a comparison"},
        {"frobnicate(output) == 1", "unknown function 'frobnicate'"},
        {"value(window, nope) == 1", "no line 'window'"},
        {"value(pool, nope) == 1", "no word 'nope'"},
        {"rows(output) == 3 3", "unexpected '3'"},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        char body[1024], *report;
        snprintf(body, sizeof body, "%sexpect = %s\n", POOL, BAD[i][0]);
        int checked;
        cr_assert_eq(check(body, 0, &report, &checked), 1, "%s: %s", BAD[i][0], report);
        cr_assert(strstr(report, BAD[i][1]), "%s: %s", BAD[i][0], report);
        free(report);
    }
}

Test(expect, claims_are_not_inherited_by_the_next_step) {
    char body[1024], *report;
    snprintf(body, sizeof body, "%sexpect = rows(output) == 3\n[step]\nstride = 1\ncaption.en = b\ncaption.zh = 乙\n", POOL);
    int checked;
    cr_assert_eq(check(body, 1, &report, &checked), 0, "%s", report);
    cr_assert_eq(checked, 0, "the second step (5x5 output) makes no claim of its own");
    free(report);
}
