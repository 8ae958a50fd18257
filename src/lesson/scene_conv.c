/* Scene kind "conv": one kernel sliding over one input plane (a grid literal
 * or a crop of a CIFAR channel). The whole output comes from the engine's
 * conv2d_forward; the window's products are the terms of that output cell,
 * listed for the formula bar, and its value is the engine's.
 *   out = ⌊(n + p_before + p_after − d·(f−1) − 1)/s⌋ + 1  (conv2d_output_size)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/scene.h"
#include "lesson/scene_facts.h"

static const char *const CONV_KEYS[] = {"kernel", "bias", "stride", "padding", "dilation", "window", NULL};

// Reads "window": "R C" (output row/col), "all" (finished), "none" (not started).
// Returns 0 and sets *oy/*ox (-1 for none) and *filled.
int scene_parse_window(const Lesson *l, const LessonStep *st, const SceneEnv *env, int OH, int OW, int *oy,
                       int *ox, int *filled, ClError *err) {
    int line;
    const char *v = lesson_get(st, "window", &line);
    int r = 0, c = 0;
    if (v && strcmp(v, "all") == 0) { *oy = *ox = -1; *filled = OH * OW; }
    else if (v && strcmp(v, "none") == 0) { *oy = *ox = -1; *filled = 0; }
    else {
        if (v && sscanf(v, "%d %d", &r, &c) != 2)
            return cl_fail(err, "%s:%d: window: expected 'ROW COL' (an output cell), 'all' or 'none', got '%s'", l->path, line, v);
        if (env->overrides && env->overrides->n > 0) { // live parameters shrank the output: keep the window inside
            r = r < OH ? r : OH - 1;
            c = c < OW ? c : OW - 1;
        }
        if (r < 0 || c < 0 || r >= OH || c >= OW)
            return cl_fail(err, "%s:%d: window %d %d is outside the %dx%d output; expected row 0..%d, col 0..%d",
                           l->path, line, r, c, OH, OW, OH - 1, OW - 1);
        *oy = r; *ox = c; *filled = r * OW + c + 1;
    }
    if (env->window_override >= 0 && env->window_override < OH * OW) { // the student's position wins
        *oy = env->window_override / OW;
        *ox = env->window_override % OW;
        *filled = env->window_override + 1;
    }
    return 0;
}

// "out = ⌊(5 + 2·0 − 3)/1⌋ + 1 = 3", or one per axis when they differ; with a
// dilation d > 1 first the window's extent "f = d·(k − 1) + 1 = 2·(3 − 1) + 1 = 5; ".
void scene_size_formula(char *buf, size_t n, int H, int W, int pt, int pb, int pl, int pr, int KH, int KW,
                        int sh, int sw, int dh, int dw, int OH, int OW) {
    char a[256], b[256];
    int fh = dh * (KH - 1) + 1, fw = dw * (KW - 1) + 1; // effective (dilated) kernel extent
    const char *M = "\xE2\x88\x92"; // minus sign
#define AXIS(out, nn, p0, p1, f, s, o)                                                                          \
    do {                                                                                                        \
        if ((p0) == (p1)) snprintf(out, sizeof out, "\xE2\x8C\x8A(%d + 2\xC2\xB7%d %s %d)/%d\xE2\x8C\x8B + 1 = %d", \
                                  nn, p0, M, f, s, o);                                                          \
        else snprintf(out, sizeof out, "\xE2\x8C\x8A(%d + %d + %d %s %d)/%d\xE2\x8C\x8B + 1 = %d", nn, p0, p1, M, f, s, o); \
    } while (0)
    AXIS(a, H, pt, pb, fh, sh, OH);
    AXIS(b, W, pl, pr, fw, sw, OW);
#undef AXIS
    // with dilation, where the window's extent f comes from: f = d·(k − 1) + 1
    char fx[160] = "";
    bool square = H == W && pt == pl && pb == pr && fh == fw && sh == sw && dh == dw && KH == KW;
    if (dh > 1 || dw > 1) {
        if (square) snprintf(fx, sizeof fx, "f = d\xC2\xB7(k %s 1) + 1 = %d\xC2\xB7(%d %s 1) + 1 = %d;   ", M, dh, KH, M, fh);
        else snprintf(fx, sizeof fx, "f_h = %d\xC2\xB7(%d %s 1) + 1 = %d   f_w = %d\xC2\xB7(%d %s 1) + 1 = %d;   ", dh, KH, M,
                      fh, dw, KW, M, fw);
    }
    if (square) snprintf(buf, n, "%sout = %s", fx, a);
    else snprintf(buf, n, "%sout_h = %s    out_w = %s", fx, a, b);
}

// The window's arithmetic with role colours; long kernels are elided in the middle.
void scene_products_formula(Scene *sc, const char *result_name) {
    char t[64], u[64], r[64];
    int dec_in = grid_decimals(&sc->input), dec_w = grid_decimals(&sc->kernel);
    size_t len = 0;
    char *f = sc->formula;
    size_t cap = sizeof sc->formula;
    for (int i = 0; i < sc->n_terms; i++) {
        if (sc->n_terms > 9 && i == 4) {
            len += (size_t)snprintf(f + len, cap - len, " + \xE2\x80\xA6");
            i = sc->n_terms - 3;
            continue;
        }
        scene_fmt(t, sizeof t, sc->term_in[i], dec_in);
        scene_fmt(u, sizeof u, sc->term_w[i], dec_w);
        // negative factors in parentheses: 3·(−1)
        bool pin = sc->term_in[i] < 0, pw = sc->term_w[i] < 0;
        len += (size_t)snprintf(f + len, cap - len, "%s" ROLE_INPUT "%s%s%s" ROLE_PLAIN "\xC2\xB7" ROLE_KERNEL "%s%s%s" ROLE_PLAIN,
                                i ? " + " : "", pin ? "(" : "", t, pin ? ")" : "", pw ? "(" : "", u, pw ? ")" : "");
        if (len >= cap) break;
    }
    if (sc->conv.has_bias && sc->bias != 0 && len < cap) {
        scene_fmt(t, sizeof t, sc->bias, sc->bias == roundf(sc->bias) ? 0 : 2);
        len += (size_t)snprintf(f + len, cap - len, " + " ROLE_KERNEL "%s" ROLE_PLAIN, t);
    }
    if (len < cap) {
        int dec = grid_decimals(&sc->output);
        scene_fmt(r, sizeof r, sc->window_value, dec ? dec : 0);
        snprintf(f + len, cap - len, " = " ROLE_OUTPUT "%s" ROLE_PLAIN "%s", r, result_name ? result_name : "");
    }
}

// The row direction's size numbers as facts, so a text can reason with them at
// any live setting: "{n} + 2·{p} − {f} = {span}", {out} windows a row, and
// {rem}: the rows of the padded input past the last window (⌊ ⌋ drops them).
static void record_size_facts(Scene *sc, int n, int p, int f, int s, int out) {
    int span = n + 2 * p - f;
    scene_fact(sc, "n", "%d", n);
    scene_fact(sc, "p", "%d", p);
    scene_fact(sc, "f", "%d", f);
    scene_fact(sc, "s", "%d", s);
    scene_fact(sc, "span", "%d", span);
    scene_fact(sc, "out", "%d", out);
    scene_fact(sc, "rem", "%d", span >= 0 ? span % s : 0);
}

static int conv_compute(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err) {
    if (scene_parse_show(l, st, SHOW_INPUT | SHOW_KERNEL | SHOW_OUTPUT | SHOW_PRODUCTS | SHOW_FORMULA, &sc->show, err) != 0) return -1;
    if (scene_load_input(sc, l, st, env, true, err) != 0) return -1;
    int kline = st->line;
    lesson_get(st, "kernel", &kline);
    if (lesson_get_grid(l, st, "kernel", &sc->kernel.v, &sc->kernel.rows, &sc->kernel.cols, err) != 0) return -1;
    if (sc->kernel.rows * sc->kernel.cols > SCENE_MAX_TERMS)
        return cl_fail(err, "%s:%d: kernel %dx%d has more than %d cells", l->path, kline, sc->kernel.rows, sc->kernel.cols, SCENE_MAX_TERMS);
    int sh, sw, ph, pw, dh, dw;
    if (lesson_get_int2(l, st, "stride", 1, 1, 32, &sh, &sw, err) != 0) return -1;
    if (lesson_get_int2(l, st, "padding", 0, 0, 16, &ph, &pw, err) != 0) return -1;
    if (lesson_get_int2(l, st, "dilation", 1, 1, 16, &dh, &dw, err) != 0) return -1;
    int bline;
    const char *bias = lesson_get(st, "bias", &bline);
    if (bias) {
        char *e;
        sc->bias = strtof(bias, &e);
        if (e == bias || *e) return cl_fail(err, "%s:%d: bias: expected a number, got '%s'", l->path, bline, bias);
    }
    Conv2dConfig c = conv2d_config(1, 1, sc->kernel.rows, sc->kernel.cols);
    c.stride_h = sh; c.stride_w = sw;
    c.dilation_h = dh; c.dilation_w = dw;
    c.has_bias = bias != NULL;
    conv2d_set_padding(&c, ph, pw);
    sc->conv = c;
    int H = sc->input.rows, W = sc->input.cols, OH, OW;
    ClError e2;
    if (conv2d_output_size(&c, H, W, &OH, &OW, &e2) != 0)
        return cl_fail(err, "%s:%d: %s (input %dx%d, padding %d, kernel %dx%d)", l->path, kline, e2.msg, H, W, ph,
                       sc->kernel.rows, sc->kernel.cols);
    sc->output = grid_alloc(OH, OW);
    conv2d_forward(sc->output.v, sc->input.v, sc->kernel.v, c.has_bias ? &sc->bias : NULL, &c, 1, H, W);
    scene_size_formula(sc->size_formula, sizeof sc->size_formula, H, W, c.pad_top, c.pad_bottom, c.pad_left,
                       c.pad_right, c.kernel_h, c.kernel_w, sh, sw, dh, dw, OH, OW);
    record_size_facts(sc, H, c.pad_top, dh * (c.kernel_h - 1) + 1, sh, OH);
    if (scene_parse_window(l, st, env, OH, OW, &sc->win_oy, &sc->win_ox, &sc->n_filled, err) != 0) return -1;
    if (sc->win_oy < 0) return 0;
    // the terms of output cell (oy, ox): in[oy*s - p + ky*d, ox*s - p + kx*d] * w[ky, kx]
    sc->window_value = sc->output.v[sc->win_oy * OW + sc->win_ox];
    for (int ky = 0; ky < c.kernel_h; ky++)
        for (int kx = 0; kx < c.kernel_w; kx++) {
            int iy = sc->win_oy * sh - c.pad_top + ky * dh, ix = sc->win_ox * sw - c.pad_left + kx * dw;
            int t = sc->n_terms++;
            sc->term_iy[t] = iy;
            sc->term_ix[t] = ix;
            sc->term_in[t] = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? sc->input.v[iy * W + ix] : 0.0f;
            sc->term_w[t] = sc->kernel.v[ky * c.kernel_w + kx];
        }
    scene_products_formula(sc, NULL);
    return 0;
}

static void conv_dump(const Scene *sc, FILE *f) {
    grid_dump("input", &sc->input, f);
    grid_dump("kernel", &sc->kernel, f);
    if (sc->conv.has_bias) fprintf(f, "bias %g\n", (double)sc->bias);
    fprintf(f, "stride %d %d padding %d %d dilation %d %d\n", sc->conv.stride_h, sc->conv.stride_w, sc->conv.pad_top,
            sc->conv.pad_left, sc->conv.dilation_h, sc->conv.dilation_w);
    grid_dump("output", &sc->output, f);
    fprintf(f, "filled %d\n", sc->n_filled);
    if (sc->win_oy >= 0) {
        fprintf(f, "window %d %d value %g\n", sc->win_oy, sc->win_ox, (double)sc->window_value);
        fprintf(f, "terms");
        for (int i = 0; i < sc->n_terms; i++) fprintf(f, " %g*%g", (double)sc->term_in[i], (double)sc->term_w[i]);
        fputc('\n', f);
    }
}

static void conv_window(const Scene *sc, SceneWindow *w) {
    const Conv2dConfig *c = &sc->conv;
    *w = (SceneWindow){c->stride_h, c->stride_w, c->pad_top, c->pad_left, c->dilation_h * (c->kernel_h - 1) + 1,
                       c->dilation_w * (c->kernel_w - 1) + 1};
}

static const SceneKind SCENE_CONV = {.name = "conv", .keys = CONV_KEYS, .compute = conv_compute, .dump = conv_dump, .window = conv_window};
SCENE_KIND_REGISTER(SCENE_CONV)
