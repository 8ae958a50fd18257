/* Scene kind "pool": MaxPool2d (argmax from return_indices), AvgPool2d and
 * global max pooling on one plane, all computed by the engine. The plane is a
 * grid literal or a CIFAR crop, optionally first turned into a feature map
 * relu(conv(plane, feature)) with the engine's conv2d_forward and relu_forward.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/layers.h"
#include "lesson/scene.h"

static const char *const POOL_KEYS[] = {"pool", "kernel_size", "stride", "padding", "dilation", "ceil_mode",
                                        "count_include_pad", "window", "feature", NULL};

// Replaces sc->input by relu(conv(input, feature)) ("valid" padding), keeping
// the feature kernel in sc->kernel for the view.
static int make_feature_map(Scene *sc, const Lesson *l, const LessonStep *st, ClError *err) {
    int line = st->line;
    lesson_get(st, "feature", &line);
    if (lesson_get_grid(l, st, "feature", &sc->kernel.v, &sc->kernel.rows, &sc->kernel.cols, err) != 0) return -1;
    Conv2dConfig c = conv2d_config(1, 1, sc->kernel.rows, sc->kernel.cols);
    c.has_bias = false;
    int OH, OW;
    ClError e2;
    if (conv2d_output_size(&c, sc->input.rows, sc->input.cols, &OH, &OW, &e2) != 0)
        return cl_fail(err, "%s:%d: feature: %s", l->path, line, e2.msg);
    Grid fm = grid_alloc(OH, OW);
    conv2d_forward(fm.v, sc->input.v, sc->kernel.v, NULL, &c, 1, sc->input.rows, sc->input.cols);
    relu_forward(fm.v, fm.v, (long)OH * OW);
    sc->input_is_feature = true;
    grid_free(&sc->input);
    sc->input = fm;
    snprintf(sc->input_name, sizeof sc->input_name, "feature map");
    return 0;
}

// Global max pooling: one window covering the plane.
static void compute_global_pool(Scene *sc, int H, int W) {
    sc->pool = pool2d_config(H, W);
    sc->output = grid_alloc(1, 1);
    sc->indices = cl_malloc(sizeof(int32_t));
    global_maxpool_forward(sc->output.v, sc->indices, sc->input.v, 1, 1, H, W);
    snprintf(sc->size_formula, sizeof sc->size_formula, "%d\xC3\x97%d \xE2\x86\x92 1\xC3\x97" "1", H, W);
}

// ceil_mode rounds up: ⌊ ⌋ -> ⌈ ⌉ in place (the same byte length in UTF-8).
static void floor_to_ceil_brackets(char *s) {
    for (char *q = s; (q = strstr(q, "\xE2\x8C")); q += 3) {
        if ((unsigned char)q[2] == 0x8A) q[2] = (char)0x88;
        else if ((unsigned char)q[2] == 0x8B) q[2] = (char)0x89;
    }
}

// MaxPool2d (with its argmax) or AvgPool2d from the step's keys; a setting
// PyTorch rejects is an error at kline (the kernel_size or pool line).
static int compute_window_pool(Scene *sc, const Lesson *l, const LessonStep *st, int kline, int *OH, int *OW,
                               ClError *err) {
    int H = sc->input.rows, W = sc->input.cols;
    int kh, kw, sh, sw, ph, pw, dh, dw;
    if (lesson_get_int2(l, st, "kernel_size", 2, 1, 32, &kh, &kw, err) != 0) return -1;
    if (lesson_get_int2(l, st, "stride", 0, 1, 32, &sh, &sw, err) != 0) return -1;
    if (lesson_get_int2(l, st, "padding", 0, 0, 16, &ph, &pw, err) != 0) return -1;
    if (lesson_get_int2(l, st, "dilation", 1, 1, 16, &dh, &dw, err) != 0) return -1;
    Pool2dConfig c = pool2d_config(kh, kw);
    if (sh > 0) { c.stride_h = sh; c.stride_w = sw; } // absent: PyTorch's stride = kernel_size
    c.pad_h = ph; c.pad_w = pw;
    c.dilation_h = dh; c.dilation_w = dw;
    if (lesson_get_bool(l, st, "ceil_mode", false, &c.ceil_mode, err) != 0) return -1;
    if (lesson_get_bool(l, st, "count_include_pad", true, &c.count_include_pad, err) != 0) return -1;
    sc->pool = c;
    ClError e2;
    int rc = sc->pool_kind == 0 ? maxpool2d_output_size(&c, H, W, OH, OW, &e2)
                                : avgpool2d_output_size(&c, H, W, OH, OW, &e2);
    if (rc != 0) return cl_fail(err, "%s:%d: %s (input %dx%d)", l->path, kline, e2.msg, H, W);
    sc->output = grid_alloc(*OH, *OW);
    if (sc->pool_kind == 0) {
        sc->indices = cl_malloc(sizeof(int32_t) * (size_t)(*OH * *OW));
        maxpool2d_forward(sc->output.v, sc->indices, sc->input.v, &c, 1, 1, H, W);
    } else {
        avgpool2d_forward(sc->output.v, sc->input.v, &c, 1, 1, H, W);
    }
    scene_size_formula(sc->size_formula, sizeof sc->size_formula, H, W, ph, ph, pw, pw, kh, kw, c.stride_h,
                       c.stride_w, dh, dw, *OH, *OW);
    if (c.ceil_mode) floor_to_ceil_brackets(sc->size_formula);
    return 0;
}

// The window's cells (padding included) for the view and the formula.
// Padding reads as −∞ for max (PyTorch pads max pooling with −inf) and 0 for
// average; cells of a ceil_mode overhang past the padding are not read at all.
static void collect_window_terms(Scene *sc) {
    const Pool2dConfig *c = &sc->pool;
    int H = sc->input.rows, W = sc->input.cols;
    int kh = sc->pool_kind == 2 ? H : c->kernel_h, kw = sc->pool_kind == 2 ? W : c->kernel_w;
    for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++) {
            int iy = sc->pool_kind == 2 ? ky : sc->win_oy * c->stride_h - c->pad_h + ky * c->dilation_h;
            int ix = sc->pool_kind == 2 ? kx : sc->win_ox * c->stride_w - c->pad_w + kx * c->dilation_w;
            if (sc->n_terms == SCENE_MAX_TERMS) break;
            bool inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
            if (!inside && (iy >= H + c->pad_h || ix >= W + c->pad_w)) continue;
            int t = sc->n_terms++;
            sc->term_iy[t] = iy;
            sc->term_ix[t] = ix;
            sc->term_in[t] = inside ? sc->input.v[iy * W + ix] : (sc->pool_kind == 0 ? -INFINITY : 0.0f);
            sc->term_w[t] = 1;
        }
}

// The divisor PyTorch's AvgPool2d uses: the window clipped to the padded
// input (count_include_pad) or to the input.
static int avg_divisor(const Scene *sc) {
    int H = sc->input.rows, W = sc->input.cols, div = 0;
    for (int i = 0; i < sc->n_terms; i++) {
        bool inside = sc->term_iy[i] >= 0 && sc->term_iy[i] < H && sc->term_ix[i] >= 0 && sc->term_ix[i] < W;
        div += inside || sc->pool.count_include_pad;
    }
    return div;
}

// "max(1, 3, 0, 2) = 3" with the argmax in the kernel colour, or
// "(1 + 3 + 0 + 2)/4 = 1.5"; a long window shows its first 4 and last 3 terms.
static void write_pool_formula(Scene *sc) {
    int H = sc->input.rows, W = sc->input.cols, OW = sc->output.cols;
    bool max = sc->pool_kind != 1;
    char *f = sc->formula, t[64];
    size_t cap = sizeof sc->formula, len = 0;
    int dec = grid_decimals(&sc->input), dec_out = grid_decimals(&sc->output);
    len += (size_t)snprintf(f, cap, max ? "max(" : "(");
    for (int i = 0; i < sc->n_terms && len < cap; i++) {
        if (sc->n_terms > 9 && i == 4) {
            len += (size_t)snprintf(f + len, cap - len, max ? ", \xE2\x80\xA6" : " + \xE2\x80\xA6");
            i = sc->n_terms - 3;
            continue;
        }
        if (isinf(sc->term_in[i])) snprintf(t, sizeof t, "\xE2\x88\x92\xE2\x88\x9E");
        else scene_fmt(t, sizeof t, sc->term_in[i], dec);
        bool is_arg = max && sc->term_iy[i] * W + sc->term_ix[i] == sc->indices[sc->win_oy * OW + sc->win_ox] &&
                      sc->term_iy[i] >= 0 && sc->term_ix[i] >= 0 && sc->term_iy[i] < H && sc->term_ix[i] < W;
        len += (size_t)snprintf(f + len, cap - len, "%s%s%s" ROLE_PLAIN, i ? (max ? ", " : " + ") : "",
                                is_arg ? ROLE_KERNEL : ROLE_INPUT, t);
    }
    if (max) len += (size_t)snprintf(f + len, cap - len, ") = ");
    else len += (size_t)snprintf(f + len, cap - len, ")/%d = ", avg_divisor(sc));
    if (len < cap) {
        scene_fmt(t, sizeof t, sc->window_value, dec_out ? dec_out : 0);
        snprintf(f + len, cap - len, ROLE_OUTPUT "%s" ROLE_PLAIN, t);
    }
}

static int pool_compute(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err) {
    static const char *const KINDS[] = {"max", "avg", "global", NULL};
    if (scene_parse_show(l, st, SHOW_INPUT | SHOW_OUTPUT | SHOW_FORMULA, &sc->show, err) != 0) return -1;
    if (scene_load_input(sc, l, st, env, true, err) != 0) return -1;
    if (lesson_get(st, "feature", NULL) && make_feature_map(sc, l, st, err) != 0) return -1;
    if (lesson_get_choice(l, st, "pool", KINDS, 0, &sc->pool_kind, err) != 0) return -1;
    int OH = 1, OW = 1;
    int kline = st->line;
    if (!lesson_get(st, "kernel_size", &kline)) lesson_get(st, "pool", &kline);
    if (sc->pool_kind == 2) compute_global_pool(sc, sc->input.rows, sc->input.cols);
    else if (compute_window_pool(sc, l, st, kline, &OH, &OW, err) != 0) return -1;
    if (scene_parse_window(l, st, env, OH, OW, &sc->win_oy, &sc->win_ox, &sc->n_filled, err) != 0) return -1;
    if (sc->win_oy < 0) return 0;
    sc->window_value = sc->output.v[sc->win_oy * OW + sc->win_ox];
    collect_window_terms(sc);
    write_pool_formula(sc);
    return 0;
}

static void pool_dump(const Scene *sc, FILE *f) {
    static const char *const NAMES[] = {"max", "avg", "global"};
    grid_dump("input", &sc->input, f);
    if (sc->kernel.rows) grid_dump("feature", &sc->kernel, f);
    fprintf(f, "pool %s kernel %d %d stride %d %d padding %d %d dilation %d %d ceil_mode %d\n", NAMES[sc->pool_kind],
            sc->pool.kernel_h, sc->pool.kernel_w, sc->pool.stride_h, sc->pool.stride_w, sc->pool.pad_h, sc->pool.pad_w,
            sc->pool.dilation_h, sc->pool.dilation_w, (int)sc->pool.ceil_mode);
    grid_dump("output", &sc->output, f);
    if (sc->indices) {
        fprintf(f, "indices");
        for (int i = 0; i < sc->output.rows * sc->output.cols; i++) fprintf(f, " %d", (int)sc->indices[i]);
        fputc('\n', f);
    }
    fprintf(f, "filled %d\n", sc->n_filled);
    if (sc->win_oy >= 0) fprintf(f, "window %d %d value %g\n", sc->win_oy, sc->win_ox, (double)sc->window_value);
}

// A global pool's window is the whole input, once.
static void pool_window(const Scene *sc, SceneWindow *w) {
    const Pool2dConfig *c = &sc->pool;
    if (sc->pool_kind == 2) *w = (SceneWindow){1, 1, 0, 0, sc->input.rows, sc->input.cols};
    else *w = (SceneWindow){c->stride_h, c->stride_w, c->pad_h, c->pad_w, c->dilation_h * (c->kernel_h - 1) + 1,
                            c->dilation_w * (c->kernel_w - 1) + 1};
}

static const SceneKind SCENE_POOL = {.name = "pool", .keys = POOL_KEYS, .compute = pool_compute, .dump = pool_dump, .window = pool_window};
SCENE_KIND_REGISTER(SCENE_POOL)
