/* What the frames SAY: every text a lesson step draws is recorded
 * (canvas_set_text_log) and checked as a student would read it: counts of
 * parameters say "parameters" with the right grammar, shapes are written in
 * one order, labels are large enough to read at the back of a lecture hall.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "lesson/adjust.h"
#include "lesson/lesson.h"
#include "session/lesson_data.h"
#include "ui/theme.h"
#include "ui/view.h"

#define LOG_CAP 4096

static TextLogEntry ENTRIES[LOG_CAP];

// A small synthetic CIFAR (20 test images, every class twice, plain gradients)
// for steps that show a picture; kept for the process.
static const Cifar *synthetic(void) {
    static Cifar c;
    static bool made;
    if (made) return &c;
    CifarSet *sets[2] = {&c.train, &c.test};
    for (int k = 0; k < 2; k++) {
        CifarSet *s = sets[k];
        s->n = 20;
        s->labels = malloc(20);
        s->pixels = malloc((size_t)20 * CIFAR_PIXELS);
        for (int i = 0; i < 20; i++) {
            s->labels[i] = (uint8_t)(i % CIFAR_CLASSES);
            for (int p = 0; p < CIFAR_PIXELS; p++) s->pixels[(size_t)i * CIFAR_PIXELS + p] = (uint8_t)((p * 7 + i * 13) % 256);
        }
    }
    static const char *const NAMES[] = {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
    for (int k = 0; k < CIFAR_CLASSES; k++) snprintf(c.class_names[k], sizeof c.class_names[k], "%s", NAMES[k]);
    made = true;
    return &c;
}

// Draws lesson `file` at `step` with an optional live setting (and the
// synthetic data set); fills log.
static void render_log(TextLog *log, const char *file, int step, Lang lang, const char *set) {
    *log = (TextLog){ENTRIES, LOG_CAP, 0};
    golden_set_text_log(log);
    SDL_FreeSurface(golden_render(&(GoldenFrame){file, step, lang, false, synthetic(), set}));
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

// ---- grid index labels (lessons 3, 5) ------------------------------------------------

// Lesson 3 talks about "column 2" and "column 6": the input grid numbers its
// rows and columns from 0 (as PyTorch indexes), at a readable size.
Test(render_labels, stride_grid_numbers_rows_and_columns_from_0) {
    TextLog log;
    render_log(&log, "../lessons/03_stride.lesson", 6, LANG_EN, NULL);
    int seen[7] = {0};
    for (int i = 0; i < log.n; i++) {
        const TextLogEntry *e = &log.entries[i];
        if (e->size == 14 && e->text[0] >= '0' && e->text[0] <= '6' && e->text[1] == 0) seen[e->text[0] - '0']++;
    }
    for (int k = 0; k < 7; k++) cr_expect_eq(seen[k], 2, "index %d drawn once for its row and once for its column (got %d)", k, seen[k]);
}

Test(render_labels, volume_box_says_where_it_is) {
    TextLog log;
    render_log(&log, "../lessons/05_multichannel.lesson", 7, LANG_EN, NULL);
    cr_expect_geq(find_sub(&log, "rows 14–16, columns 20–22 (from 0"), 0, "the box's place, 0-based, as the text says");
}

// Lesson 6's groups step names each group's input channels and filters and
// Conv2d.weight's shape, and shows a channel the shown filter (2) reads.
Test(render_labels, groups_are_drawn_with_their_channels_and_weight_shape) {
    TextLog log;
    render_log(&log, "../lessons/06_conv2d_params.lesson", 6, LANG_EN, NULL);
    cr_expect_geq(find_sub(&log, "group 0: input channels 0–1 → filters 0–1"), 0);
    cr_expect_geq(find_sub(&log, "group 1: input channels 2–3 → filters 2–3"), 0);
    cr_expect_geq(find_sub(&log, "weight [4, 2, 3, 3]"), 0);
    cr_expect_geq(find_sub(&log, "input channel 2 (of 4)"), 0, "the plane is one filter 2 reads");
}

// ---- lesson 7: a real feature map's numbers are readable ------------------------------

Test(render_labels, feature_map_digits_are_at_least_14px) {
    TextLog log;
    render_log(&log, "../lessons/07_pooling.lesson", 11, LANG_EN, NULL);
    int numbers = 0;
    for (int i = 0; i < log.n; i++) {
        const char *t = log.entries[i].text;
        if (!t[0] || strspn(t, "0123456789") != strlen(t) || log.entries[i].box.y > 700) continue; // cells, not the formula bar
        numbers++;
        cr_expect_geq(log.entries[i].size, 14, "'%s' at %.0f px", t, (double)log.entries[i].size);
    }
    cr_expect_geq(numbers, 64 + 1, "the 8×8 feature map and the output show their numbers");
}

// ---- lesson 3: "never read" has its own marker, clear of the digits --------------------

// Centre of index label `s` (a size-14 entry; rows: the one left of the grid).
static bool index_centre(const TextLog *log, const char *s, bool row, float *x, float *y) {
    for (int i = 0; i < log->n; i++) {
        const TextLogEntry *e = &log->entries[i];
        if (e->size != 14 || strcmp(e->text, s) != 0) continue;
        bool is_row = e->box.x < 50; // row numbers sit left of the grid
        if (is_row != row) continue;
        *x = e->box.x + e->box.w / 2;
        *y = e->box.y + e->box.h / 2;
        return true;
    }
    return false;
}

Test(render_labels, never_read_cells_keep_their_digit_clear) {
    TextLog log;
    *(&log) = (TextLog){ENTRIES, LOG_CAP, 0};
    golden_set_text_log(&log);
    SDL_Surface *s = golden_render(&(GoldenFrame){"../lessons/03_stride.lesson", 6, LANG_EN, false, NULL, NULL});
    golden_set_text_log(NULL);
    float cx5, cx6, cy0, tmp;
    cr_assert(index_centre(&log, "5", false, &cx5, &tmp) && index_centre(&log, "6", false, &cx6, &tmp));
    cr_assert(index_centre(&log, "0", true, &tmp, &cy0));
    float cell = cx6 - cx5;
    cr_assert_gt(cell, 20);
    Theme th;
    theme_default_light(&th);
    // the never-read cell (row 0, column 6): its middle (the digit's band, away
    // from the frame and the corner cross) has no line of the marker's colour
    int lines = 0;
    const uint8_t *p = s->pixels;
    for (int y = (int)(cy0 - cell * 0.3f); y < (int)(cy0 + cell * 0.3f); y++)
        for (int x = (int)(cx6 - cell * 0.3f); x < (int)(cx6 + cell * 0.15f); x++) {
            const uint8_t *q = p + y * s->pitch + 4 * x;
            if (abs(q[0] - th.skipped.r) < 12 && abs(q[1] - th.skipped.g) < 12 && abs(q[2] - th.skipped.b) < 12) lines++;
        }
    cr_expect_lt(lines, 10, "no hatch or cross over the digit (%d marker pixels)", lines);
    SDL_FreeSurface(s);
}

// ---- the line breaker (draw_text_wrapped) ------------------------------------------------

// Wraps text at width into a logged canvas; returns the number of atoms drawn.
static int wrap_log(TextLog *log, const char *text, float width, float size) {
    ClError err;
    cr_assert_eq(draw_init_fonts(&err), 0, "%s", err.msg);
    static Theme th;
    theme_default_light(&th);
    Canvas *c = canvas_create_offscreen(1280, 800, &th, &err);
    cr_assert_not_null(c);
    canvas_begin_frame(c);
    *log = (TextLog){ENTRIES, LOG_CAP, 0};
    canvas_set_text_log(c, log);
    draw_text_wrapped(c, 10, 10, width, text, text_style(c, size, th.text), 1.3f, true);
    canvas_free(c);
    return log->n;
}

// Whether entry i is the last one on its line (the next starts lower or there is none).
static bool line_end(const TextLog *log, int i) { return i + 1 == log->n || log->entries[i + 1].box.y > log->entries[i].box.y + 1; }

static bool ends_with(const char *s, const char *tail) {
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

Test(wrap, an_opening_bracket_never_ends_a_line) {
    const char *text = "卷积核盖在输入左上角的窗口上（就是那个橙色粗框）。每个输入数字乘以它上面的卷积核权重（一个一个地乘），九个乘积显示在下方（见左图）。";
    TextLog log;
    int checked = 0;
    for (float w = 80; w <= 420; w += 3) {
        wrap_log(&log, text, w, 20);
        for (int i = 0; i < log.n; i++)
            if (line_end(&log, i) && i + 1 < log.n) {
                checked++;
                cr_expect(!ends_with(log.entries[i].text, "（"), "width %.0f: a line ends with '（' ('%s')", (double)w,
                          log.entries[i].text);
            }
    }
    cr_assert_gt(checked, 100);
}

Test(wrap, a_formula_breaks_at_most_before_equals) {
    const char *text = "That gives a 5×5 output, as the size formula says: out = ⌊(7 − 3)/1⌋ + 1 = 5, so the window fits five times.";
    TextLog log;
    for (float w = 120; w <= 600; w += 2) {
        wrap_log(&log, text, w, 20);
        int first = find_text(&log, "⌊(7"), last = find_text(&log, "3)/1⌋"), one = -1;
        cr_assert(first >= 0 && last > first);
        for (int i = last; i < log.n; i++)
            if (strcmp(log.entries[i].text, "1") == 0) { one = i; break; }
        cr_assert_gt(one, last);
        for (int i = first; i <= one; i++)
            cr_expect_float_eq(log.entries[i].box.y, log.entries[first].box.y, 0.5, "width %.0f: '%s' is on another line",
                               (double)w, log.entries[i].text);
        int out = find_text(&log, "out");
        cr_expect_float_eq(log.entries[out].box.y, log.entries[first].box.y, 0.5, "width %.0f: 'out =' left alone", (double)w);
        int five = one + 2; // "=" then "5,"
        cr_expect_float_eq(log.entries[five].box.y, log.entries[five - 1].box.y, 0.5, "width %.0f: a line ends with '='", (double)w);
    }
}

Test(wrap, a_no_break_space_joins_latin_and_cjk) {
    const char *text = "下一个窗口应从第\u00a06\u00a0列开始，列号从\u00a00\u00a0数起，但它会超出输入，所以不存在。";
    TextLog log;
    for (float w = 60; w <= 400; w += 3) {
        wrap_log(&log, text, w, 20);
        for (int i = 0; i + 1 < log.n; i++) {
            const char *t = log.entries[i].text;
            if (strcmp(t, "第") == 0 || ends_with(t, "\u00a0")) // the seam must not be a line end
                cr_expect(!line_end(&log, i), "width %.0f: broke after '%s'", (double)w, t);
        }
    }
}

// Every lesson text, wrapped at the explanation panel's width (374 px of body
// text at 1280×800), stays inside it: no formula glued wider than the panel.
Test(wrap, every_lesson_text_fits_the_panel, .timeout = 120) {
    glob_t g;
    cr_assert_eq(glob("../lessons/*.lesson", 0, NULL, &g), 0);
    Theme th;
    theme_default_light(&th);
    const float width = 374;
    int texts = 0;
    for (size_t f = 0; f < g.gl_pathc; f++) {
        Lesson l;
        ClError err;
        cr_assert_eq(lesson_load(&l, g.gl_pathv[f], NULL, &err), 0, "%s", err.msg);
        for (int k = 0; k < l.n_steps; k++)
            for (int lang = 0; lang < LANG_COUNT; lang++) {
                const char *raw = l.steps[k].text[lang];
                if (!raw || !raw[0]) continue;
                static char t[8192];
                adjust_expand(t, sizeof t, raw, &l.steps[k], NULL); // {key} as the player shows it
                TextLog log;
                wrap_log(&log, t, width, th.font_body);
                texts++;
                for (int i = 0; i < log.n && i < LOG_CAP; i++) {
                    const TextLogEntry *e = &log.entries[i];
                    cr_expect_leq(e->box.x + e->box.w, 10 + width + 2, "%s step %d (%s): '%s' sticks out of the panel",
                                  g.gl_pathv[f], k + 1, LANG_CODES[lang], e->text);
                }
            }
        lesson_free(&l);
    }
    globfree(&g);
    cr_assert_gt(texts, 200);
}

// ---- sizes: every step at 1280×800 --------------------------------------------------------

// Whether s is a number label (digits, signs, ".", ",", "%", "×", "−", spaces).
static bool numeric_text(const char *s) {
    bool digit = false;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        if (isdigit(*p)) { digit = true; p++; }
        else if (strchr(" .,%+-()[]/=:", *p)) p++;
        else if (!strncmp((const char *)p, "\xE2\x88\x92", 3) || !strncmp((const char *)p, "\xE2\x80\x93", 3)) p += 3;
        else if (!strncmp((const char *)p, "\xC3\x97", 2) || !strncmp((const char *)p, "\xC2\xB7", 2)) p += 2;
        else if (!strncmp((const char *)p, "\xE2\x97\x80", 3)) p += 3; // the prediction mark ◀
        else return false;
    }
    return digit;
}

// Every step of every lesson, both languages, at 1280×800 (the synthetic data
// set for pictures): numbers are >= 14 px, words >= 16 px (the theme's label
// size; body text 20), sub/superscripts >= 14 px. Catches any label drawn
// smaller, e.g. a 0.9 × small tag or a 0.85 × hint; and the view's texts stay
// out of the explanation panel.
Test(render_labels, every_step_is_readable_at_1280x800, .timeout = 600) {
    glob_t g;
    cr_assert_eq(glob("../lessons/*.lesson", 0, NULL, &g), 0);
    int texts = 0;
    for (size_t f = 0; f < g.gl_pathc; f++) {
        Lesson l;
        ClError err;
        cr_assert_eq(lesson_load(&l, g.gl_pathv[f], NULL, &err), 0, "%s", err.msg);
        for (int k = 0; k < l.n_steps; k++)
            for (int lang = 0; lang < LANG_COUNT; lang++) {
                TextLog log;
                render_log(&log, g.gl_pathv[f], k + 1, (Lang)lang, NULL);
                for (int i = 0; i < log.n && i < LOG_CAP; i++) {
                    const TextLogEntry *e = &log.entries[i];
                    bool num = numeric_text(e->text), script = strlen(e->text) <= 2; // a lone sub/superscript
                    float floor = num || script ? 14 : 16;
                    texts++;
                    // the view's texts stay left of the explanation panel (x 850) between the bars
                    bool panel = strcmp(l.steps[k].kind, "text") != 0; // a text step spans the screen
                    if (panel && e->box.x < 840 && e->box.y > 60 && e->box.y + e->box.h < 736)
                        cr_expect_leq(e->box.x + e->box.w, 848, "%s step %d (%s): '%s' runs into the explanation panel",
                                      g.gl_pathv[f], k + 1, LANG_CODES[lang], e->text);
                    cr_expect_geq(e->size + 0.01f, floor, "%s step %d (%s): '%s' at %.1f px (< %.0f)", g.gl_pathv[f], k + 1,
                                  LANG_CODES[lang], e->text, (double)e->size, (double)floor);
                }
            }
        lesson_free(&l);
    }
    globfree(&g);
    cr_assert_gt(texts, 10000);
}

// Lesson 7 steps 11-12: the box on the picture is the patch the feature map
// comes from (10×10 for an 8×8 map of a 3×3 kernel; the whole picture for 30×30).
Test(render_labels, crop_box_is_the_input_patch) {
    Lesson l;
    ClError err;
    cr_assert_eq(lesson_load(&l, "../lessons/07_pooling.lesson", NULL, &err), 0, "%s", err.msg);
    LessonData *data = lesson_data_create("/nonexistent-convlab-dir", false);
    SceneEnv env = {.cifar = synthetic(), .data_hint = "no data", .window_override = -1, .data = data};
    const int want[2][2] = {{10, 10}, {32, 32}};
    for (int k = 10; k <= 11; k++) {
        Scene sc;
        cr_assert_eq(scene_compute(&sc, &l, k, &env, &err), 0, "%s", err.msg);
        cr_assert(sc.input_is_feature, "step %d pools a feature map", k + 1);
        int r, c;
        view_source_patch(&sc, &r, &c);
        cr_expect(r == want[k - 10][0] && c == want[k - 10][1], "step %d: patch %d×%d, want %d×%d (the map is %d×%d)", k + 1,
                  r, c, want[k - 10][0], want[k - 10][1], sc.input.rows, sc.input.cols);
        scene_free(&sc);
    }
    lesson_data_free(data);
    lesson_free(&l);
}
