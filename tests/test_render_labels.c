/* What the frames SAY: every text a lesson step draws is recorded
 * (canvas_set_text_log) and checked as a student would read it: counts of
 * parameters say "parameters" with the right grammar, shapes are written in
 * one order, labels are large enough to read at the back of a lecture hall.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "golden.h"

#define LOG_CAP 4096

static TextLogEntry ENTRIES[LOG_CAP];

// Draws lesson `file` at `step` with an optional live setting; fills log.
static void render_log(TextLog *log, const char *file, int step, Lang lang, const char *set) {
    *log = (TextLog){ENTRIES, LOG_CAP, 0};
    golden_set_text_log(log);
    SDL_FreeSurface(golden_render(&(GoldenFrame){file, step, lang, false, NULL, set}));
    golden_set_text_log(NULL);
    cr_assert_leq(log->n, LOG_CAP, "the frame drew %d texts, more than the log holds", log->n);
}

// Index of the first entry whose text equals s, or -1.
static int find_text(const TextLog *log, const char *s) {
    for (int i = 0; i < log->n; i++)
        if (strcmp(log->entries[i].text, s) == 0) return i;
    return -1;
}

// Index of the first entry containing s, or -1.
static int find_sub(const TextLog *log, const char *s) {
    for (int i = 0; i < log->n; i++)
        if (strstr(log->entries[i].text, s)) return i;
    return -1;
}

// ---- lesson 1: parameter counts ---------------------------------------------------

Test(render_labels, conv1_counts_parameters_not_weights) {
    TextLog log;
    render_log(&log, "../lessons/01_parameters.lesson", 6, LANG_EN, NULL);
    cr_expect_geq(find_text(&log, "608 parameters"), 0, "conv1's bar must read '608 parameters' (8 of them biases)");
    cr_expect_geq(find_text(&log, "19,273,856 parameters"), 0, "the Linear bar counts parameters too");
    cr_expect_lt(find_sub(&log, " weights"), 0, "no count of weights: '%s'",
                 find_sub(&log, " weights") >= 0 ? log.entries[find_sub(&log, " weights")].text : "");
}

Test(render_labels, one_parameter_is_singular) {
    TextLog log;
    render_log(&log, "../lessons/01_parameters.lesson", 5, LANG_EN, "kernel_size=1");
    cr_expect_geq(find_text(&log, "1 parameter"), 0, "kernel_size=1 has one parameter");
    cr_expect_lt(find_text(&log, "1 parameters"), 0);
    cr_expect_lt(find_text(&log, "1 weights"), 0);
}

Test(render_labels, chinese_counts_are_parameters) {
    TextLog log;
    render_log(&log, "../lessons/01_parameters.lesson", 6, LANG_ZH, NULL);
    cr_expect_geq(find_text(&log, "608 个参数"), 0);
}

// ---- lesson 8: shapes C×H×W, the left-out ReLU ------------------------------------

Test(render_labels, network_table_writes_c_h_w) {
    TextLog log;
    render_log(&log, "../lessons/08_cnnnet.lesson", 1, LANG_EN, NULL);
    const char *want[] = {"3×32×32", "8×28×28", "8×14×14", "16×12×12", "16×6×6"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_expect_geq(find_text(&log, want[i]), 0, "the table writes %s (C×H×W)", want[i]);
    const char *not_want[] = {"32×32×3", "28×28×8", "14×14×8", "12×12×16", "6×6×16"};
    for (size_t i = 0; i < sizeof not_want / sizeof not_want[0]; i++)
        cr_expect_lt(find_text(&log, not_want[i]), 0, "H×W×C shape %s", not_want[i]);
}

Test(render_labels, network_table_shows_the_left_out_relu_on_fc2) {
    TextLog log;
    render_log(&log, "../lessons/08_cnnnet.lesson", 1, LANG_EN, NULL);
    int fc2 = find_text(&log, "fc2"), left = find_sub(&log, "left out");
    cr_assert_geq(fc2, 0);
    cr_expect_geq(left, 0, "the overview says the tutorial's F.relu on fc2 is left out");
    if (left >= 0) cr_expect_gt(log.entries[left].box.y, log.entries[fc2].box.y, "below the fc2 row");
    render_log(&log, "../lessons/08_cnnnet.lesson", 10, LANG_ZH, NULL);
    cr_expect_geq(find_text(&log, "无 ReLU"), 0, "the compact table tags fc2");
}
