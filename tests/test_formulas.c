/* Every number shown reproduces: each arithmetic formula of the formula bar
 * ("0.023386 − 0.001 · (−0.006256) = 0.023392", "(2.361 + ... ) / 4 = 2.335")
 * is parsed back from the text on screen, evaluated with the operands AS
 * SHOWN, and must give the shown result to its last shown digit. Formulas
 * with symbols (w ← w − lr·grad, ⌊(n + 2p − f)/s⌋ + 1, "…") are skipped; only
 * the fully numeric ones are checked, and lesson 9 must have some.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/lesson.h"
#include "lesson/scene.h"
#include "session/lesson_data.h"

// ---- a tiny arithmetic evaluator: + - * / ( ) and unary minus ---------------------

typedef struct { const char *p; bool ok; } Parser;

static double parse_expr(Parser *ps);

static double parse_factor(Parser *ps) {
    if (*ps->p == '-') { ps->p++; return -parse_factor(ps); }
    if (*ps->p == '(') {
        ps->p++;
        double v = parse_expr(ps);
        if (*ps->p != ')') ps->ok = false;
        else ps->p++;
        return v;
    }
    char *e;
    double v = strtod(ps->p, &e);
    if (e == ps->p) ps->ok = false;
    ps->p = e;
    return v;
}

static double parse_term(Parser *ps) {
    double v = parse_factor(ps);
    while (ps->ok && (*ps->p == '*' || *ps->p == '/')) {
        char op = *ps->p++;
        double w = parse_factor(ps);
        v = op == '*' ? v * w : v / w;
    }
    return v;
}

static double parse_expr(Parser *ps) {
    double v = parse_term(ps);
    while (ps->ok && (*ps->p == '+' || *ps->p == '-')) {
        char op = *ps->p++;
        double w = parse_term(ps);
        v = op == '+' ? v + w : v - w;
    }
    return v;
}

// Writes s with the screen's math signs as ASCII (− · × to - * *) and no spaces.
static void ascii_math(char *out, size_t n, const char *s, size_t len) {
    size_t k = 0;
    for (size_t i = 0; i < len && k + 1 < n;) {
        if (!strncmp(s + i, "\xE2\x88\x92", 3)) { out[k++] = '-'; i += 3; }
        else if (!strncmp(s + i, "\xC2\xB7", 2)) { out[k++] = '*'; i += 2; }
        else if (!strncmp(s + i, "\xC3\x97", 2)) { out[k++] = '*'; i += 2; }
        else if (s[i] == ' ' || s[i] == ',') i++; // thousands separators
        else out[k++] = s[i++];
    }
    out[k] = 0;
}

// Evaluates an all-numeric expression; false if it has anything else.
static bool eval_numeric(const char *s, size_t len, double *v) {
    char buf[512];
    ascii_math(buf, sizeof buf, s, len);
    if (!buf[0] || strspn(buf, "0123456789.+-*/()") != strlen(buf) || !strpbrk(buf, "+-*/")) return false;
    Parser ps = {buf, true};
    *v = parse_expr(&ps);
    return ps.ok && *ps.p == 0;
}

// Checks every "EXPR = RESULT" of a formula bar text (roles stripped): EXPR
// from the previous "=" (or the start), RESULT the number after "=". Returns
// how many were numeric; each must reproduce to the shown digits.
static int check_formula(const char *where, const char *f) {
    int checked = 0;
    const char *prev = f;
    for (const char *eq = strchr(f, '='); eq; prev = eq + 1, eq = strchr(eq + 1, '=')) {
        double v;
        if (!eval_numeric(prev, (size_t)(eq - prev), &v)) continue;
        const char *r = eq + 1;
        while (*r == ' ') r++;
        size_t rl = strcspn(r, " ");
        char res[64];
        ascii_math(res, sizeof res, r, rl);
        char *end;
        double shown = strtod(res, &end);
        if (end == res) continue;
        const char *dot = strchr(res, '.');
        int dec = dot ? (int)(end - dot - 1) : 0;
        double half = 0.5 * pow(10, -dec);
        cr_expect_leq(fabs(v - shown), half * (1 + 1e-9), "%s: '%.*s= %s' gives %.10g, not %s to %d decimals", where,
                      (int)(eq - prev), prev, res, v, res, dec);
        checked++;
    }
    return checked;
}

// Computes every step of a lesson (no CIFAR: built-in grids and the "no data"
// fallbacks) and checks its formula bar; returns the number of formulas checked.
static int check_lesson(const char *path, const Cifar *cifar) {
    Lesson l;
    ClError err;
    cr_assert_eq(lesson_load(&l, path, NULL, &err), 0, "%s", err.msg);
    LessonData *data = lesson_data_create("/nonexistent-convlab-dir", false);
    SceneEnv env = {.cifar = cifar, .data_hint = "no data", .window_override = -1, .data = data};
    int checked = 0;
    for (int k = 0; k < l.n_steps; k++) {
        Scene sc;
        if (scene_compute(&sc, &l, k, &env, &err) != 0) { scene_free(&sc); continue; }
        char f[2048], where[600];
        scene_strip_roles(f, sizeof f, sc.formula);
        snprintf(where, sizeof where, "%s step %d", path, k + 1);
        checked += check_formula(where, f);
        scene_free(&sc);
    }
    lesson_data_free(data);
    lesson_free(&l);
    return checked;
}

// ---- tests --------------------------------------------------------------------------

// The checker itself: the example fails, the corrected one passes.
Test(formulas, checker_catches_a_result_the_operands_do_not_give) {
    cr_assert_eq(check_formula("good", "w ← w − lr·grad = 0.023386 − 0.001 · (−0.006256) = 0.023392"), 1);
    cr_assert_eq(check_formula("good", "loss = (2.361 + 2.360 + 2.330 + 2.288) / 4 = 2.335"), 1);
    double v;
    const char *e = "0.023386 − 0.001 · (−0.006256)";
    cr_assert(eval_numeric(e, strlen(e), &v));
    cr_assert_float_eq(v, 0.023392256, 1e-12);
    cr_assert(!eval_numeric("w − lr·grad", strlen("w − lr·grad"), &v), "symbols are not checked");
    cr_assert(fabs(0.023392256 - 0.0233919) > 0.5e-7, "the issue's 0.0233919 is off by more than half a digit");
}

// A deterministic set of n images (pixels from an LCG), labels cycling.
static void fill(CifarSet *s, int n, uint32_t seed) {
    s->n = n;
    s->labels = malloc((size_t)n);
    s->pixels = malloc((size_t)n * CIFAR_PIXELS);
    for (int i = 0; i < n; i++) {
        s->labels[i] = (uint8_t)(i % CIFAR_CLASSES);
        for (int p = 0; p < CIFAR_PIXELS; p++) {
            seed = seed * 1664525u + 1013904223u;
            s->pixels[(size_t)i * CIFAR_PIXELS + p] = (uint8_t)(seed >> 24);
        }
    }
}

// Lesson 9 (the training loop) on several data sets: its loss and SGD step
// formulas reproduce from their shown operands whatever the numbers are.
Test(formulas, training_loop_operands_reproduce_their_results, .timeout = 120) {
    int total = 0;
    for (uint32_t seed = 1; seed <= 6; seed++) {
        Cifar c = {0};
        fill(&c.train, 12, seed);
        fill(&c.test, 12, seed + 100);
        for (int k = 0; k < CIFAR_CLASSES; k++) snprintf(c.class_names[k], sizeof c.class_names[k], "class%d", k);
        total += check_lesson("../lessons/09_training.lesson", &c);
        cifar_free(&c);
    }
    cr_assert_geq(total, 6 * 3, "lesson 9's loss and SGD formulas are checked (got %d)", total);
}

// Every other lesson's numeric formulas (built-in grids; steps with images fall back).
Test(formulas, every_lesson_numeric_formula_reproduces, .timeout = 240) {
    const char *const LESSONS[] = {"01_parameters", "02_convolution", "03_stride", "04_padding", "05_multichannel",
                                   "06_conv2d_params", "07_pooling", "11_conv_backward", "12_conv_transpose",
                                   "13_pool_relu_backward"};
    int total = 0;
    for (size_t i = 0; i < sizeof LESSONS / sizeof LESSONS[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "../lessons/%s.lesson", LESSONS[i]);
        total += check_lesson(path, NULL);
    }
    cr_log_info("%d numeric formulas checked", total);
    cr_assert_gt(total, 0);
}
