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
