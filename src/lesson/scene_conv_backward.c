/* Scene kind "conv_backward": the backward pass of one Conv2d on one plane.
 * The forward output comes from conv2d_forward, the gradients dL/dkernel and
 * dL/dinput from conv2d_backward given dL/dout (the `dout` key; the loss is
 * L = Σ dout ⊙ out). One gradient cell is written out as its sum of products:
 *   dL/dk[a,b] = Σ_{oy,ox} dout[oy,ox] · x[oy·s − p + a·d, ox·s − p + b·d]
 *   dL/dx[i,j] = Σ over the taps that read x[i,j] of dout[oy,ox] · k[ky,kx]
 * and the "full" grid (dout spread by the stride, padded by d(k−1) − p) shows
 * dL/dx as a plain convolution with the flipped kernel. The finite-difference
 * focus nudges one weight and runs conv2d_forward again.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/scene_conv_backward.h"

static const char *const CB_KEYS[] = {"kernel", "dout", "target", "stride", "padding", "dilation", "focus", "cell", "window",
                                      "epsilon", NULL};
static const char *const FOCUS_NAMES[] = {"forward", "chain", "dkernel", "dinput", "fd", "all", NULL};

static void cb_free(void *p) {
    ConvBackScene *e = p;
    grid_free(&e->dout), grid_free(&e->target), grid_free(&e->dkernel), grid_free(&e->dinput), grid_free(&e->full), grid_free(&e->kflip);
    free(e->full_real);
    free(e);
}

// L = Σ dout ⊙ conv(x, k), or ½ Σ (conv(x, k) − target)², in double so a small nudge is not lost in rounding.
static double loss_of(const Scene *sc, const ConvBackScene *e, const float *kernel) {
    float *out = cl_malloc(sizeof(float) * (size_t)(e->dout.rows * e->dout.cols));
    conv2d_forward(out, sc->input.v, kernel, NULL, &sc->conv, 1, sc->input.rows, sc->input.cols);
    double s = 0;
    for (int i = 0; i < e->dout.rows * e->dout.cols; i++) {
        double r = e->target.v ? (double)out[i] - e->target.v[i] : 0;
        s += e->target.v ? 0.5 * r * r : (double)out[i] * e->dout.v[i];
    }
    free(out);
    return s;
}

// Reads "R C" into *r, *c inside rows x cols; a live change that shrank the grid moves it inside.
static int parse_cell(const Lesson *l, const LessonStep *st, const char *key, int rows, int cols, bool clamp, int *r,
                      int *c, ClError *err) {
    int line;
    const char *v = lesson_get(st, key, &line);
    *r = *c = 0;
    if (!v) return 0;
    if (sscanf(v, "%d %d", r, c) != 2) return cl_fail(err, "%s:%d: %s: expected 'ROW COL', got '%s'", l->path, line, key, v);
    if (clamp) { *r = *r < rows ? *r : rows - 1; *c = *c < cols ? *c : cols - 1; }
    if (*r < 0 || *c < 0 || *r >= rows || *c >= cols)
        return cl_fail(err, "%s:%d: %s %d %d is outside the %dx%d grid; expected row 0..%d, col 0..%d", l->path, line, key,
                       *r, *c, rows, cols, rows - 1, cols - 1);
    return 0;
}

// dout spread out by the stride and framed by d(k-1) - p zeros: the input of the "full" convolution.
static void build_full(const Scene *sc, ConvBackScene *e) {
    const Conv2dConfig *c = &sc->conv;
    int H = sc->input.rows, W = sc->input.cols;
    int GH = H + c->dilation_h * (c->kernel_h - 1), GW = W + c->dilation_w * (c->kernel_w - 1);
    e->full = grid_alloc(GH, GW);
    e->full_real = cl_calloc((size_t)GH * GW, 1);
    e->full_off_y = c->dilation_h * (c->kernel_h - 1) - c->pad_top;
    e->full_off_x = c->dilation_w * (c->kernel_w - 1) - c->pad_left;
    for (int oy = 0; oy < e->dout.rows; oy++)
        for (int ox = 0; ox < e->dout.cols; ox++) {
            int y = e->full_off_y + oy * c->stride_h, x = e->full_off_x + ox * c->stride_w;
            if (y < 0 || x < 0 || y >= GH || x >= GW) continue; // an output that read only padding
            e->full.v[y * GW + x] = e->dout.v[oy * e->dout.cols + ox];
            e->full_real[y * GW + x] = 1;
        }
    e->kflip = grid_alloc(c->kernel_h, c->kernel_w);
    for (int i = 0; i < c->kernel_h * c->kernel_w; i++) e->kflip.v[i] = sc->kernel.v[c->kernel_h * c->kernel_w - 1 - i];
}

static void add_term(ConvBackScene *e, float a, float b, int ay, int ax, int by, int bx) {
    if (e->n_terms >= CB_MAX_TERMS) return;
    int t = e->n_terms++;
    e->ta[t] = a, e->tb[t] = b, e->ay[t] = ay, e->ax[t] = ax, e->by[t] = by, e->bx[t] = bx;
}

// The terms of dL/dk[a,b] (dout · input) or dL/dx[i,j] (dout · kernel), read off the grids.
static void collect_terms(const Scene *sc, ConvBackScene *e) {
    const Conv2dConfig *c = &sc->conv;
    int H = sc->input.rows, W = sc->input.cols, OH = e->dout.rows, OW = e->dout.cols;
    if (e->focus == CB_DINPUT) {
        for (int ky = 0; ky < c->kernel_h; ky++)
            for (int kx = 0; kx < c->kernel_w; kx++) {
                int ny = e->cell_r + c->pad_top - ky * c->dilation_h, nx = e->cell_c + c->pad_left - kx * c->dilation_w;
                if (ny < 0 || nx < 0 || ny % c->stride_h || nx % c->stride_w) continue;
                int oy = ny / c->stride_h, ox = nx / c->stride_w;
                if (oy >= OH || ox >= OW) continue;
                add_term(e, e->dout.v[oy * OW + ox], sc->kernel.v[ky * c->kernel_w + kx], oy, ox, ky, kx);
            }
        e->value = e->dinput.v[e->cell_r * W + e->cell_c];
        return;
    }
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++) {
            int iy = oy * c->stride_h - c->pad_top + e->cell_r * c->dilation_h;
            int ix = ox * c->stride_w - c->pad_left + e->cell_c * c->dilation_w;
            float x = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? sc->input.v[iy * W + ix] : 0.0f;
            if (e->focus == CB_CHAIN && (oy != e->out_r || ox != e->out_c)) continue;
            add_term(e, e->dout.v[oy * OW + ox], x, oy, ox, iy, ix);
        }
    e->value = e->dkernel.v[e->cell_r * c->kernel_w + e->cell_c];
}

// "∂L/∂k[0,1] = 1·2 + (−1)·0 + … = 5" with roles: dout green, input blue, kernel orange.
static void format_terms(Scene *sc, const ConvBackScene *e) {
    char a[32], b[32], r[32];
    int da = grid_decimals(&e->dout), db = e->focus == CB_DINPUT ? grid_decimals(&sc->kernel) : grid_decimals(&sc->input);
    const char *rb = e->focus == CB_DINPUT ? ROLE_KERNEL : ROLE_INPUT;
    size_t len = 0, cap = sizeof sc->formula;
    char *f = sc->formula;
    if (e->focus == CB_DINPUT)
        len += (size_t)snprintf(f, cap, ROLE_INPUT "\xE2\x88\x82L/\xE2\x88\x82x[%d,%d]" ROLE_PLAIN " = ", e->cell_r, e->cell_c);
    else if (e->focus == CB_CHAIN)
        len += (size_t)snprintf(f, cap, ROLE_OUTPUT "\xE2\x88\x82L/\xE2\x88\x82out[%d,%d]" ROLE_PLAIN " \xC2\xB7 " ROLE_INPUT
                                "\xE2\x88\x82out[%d,%d]/\xE2\x88\x82k[%d,%d]" ROLE_PLAIN " = ",
                                e->out_r, e->out_c, e->out_r, e->out_c, e->cell_r, e->cell_c);
    else
        len += (size_t)snprintf(f, cap, ROLE_KERNEL "\xE2\x88\x82L/\xE2\x88\x82k[%d,%d]" ROLE_PLAIN " = ", e->cell_r, e->cell_c);
    for (int i = 0; i < e->n_terms && len < cap; i++) {
        if (e->n_terms > 9 && i == 4) { len += (size_t)snprintf(f + len, cap - len, " + \xE2\x80\xA6"); i = e->n_terms - 3; continue; }
        scene_fmt(a, sizeof a, e->ta[i], da);
        scene_fmt(b, sizeof b, e->tb[i], db);
        bool pa = e->ta[i] < 0, pb = e->tb[i] < 0;
        len += (size_t)snprintf(f + len, cap - len, "%s" ROLE_OUTPUT "%s%s%s" ROLE_PLAIN "\xC2\xB7%s%s%s%s" ROLE_PLAIN, i ? " + " : "",
                                pa ? "(" : "", a, pa ? ")" : "", rb, pb ? "(" : "", b, pb ? ")" : "");
    }
    if (e->n_terms == 0 && len < cap) len += (size_t)snprintf(f + len, cap - len, "0 (no window reads this cell)");
    float shown = e->focus == CB_CHAIN ? e->ta[0] * e->tb[0] : e->value;
    int dec = e->focus == CB_DINPUT ? grid_decimals(&e->dinput) : grid_decimals(&e->dkernel);
    scene_fmt(r, sizeof r, shown, dec);
    if (len < cap && e->n_terms)
        snprintf(f + len, cap - len, " = %s%s" ROLE_PLAIN, e->focus == CB_DINPUT ? ROLE_INPUT : ROLE_KERNEL, r);
}

// The finite-difference check of kernel[cell]: L(k + ε·e_cell) − L(k) against ε·dL/dk[cell].
static void finite_difference(Scene *sc, ConvBackScene *e) {
    int nk = sc->kernel.rows * sc->kernel.cols, i = e->cell_r * sc->kernel.cols + e->cell_c;
    float *k2 = cl_malloc(sizeof(float) * (size_t)nk);
    memcpy(k2, sc->kernel.v, sizeof(float) * (size_t)nk);
    k2[i] += e->eps;
    double l1 = loss_of(sc, e, k2), l0 = e->loss;
    free(k2);
    e->loss_nudged = (float)l1;
    e->fd_change = (float)(l1 - l0);
    e->fd_predicted = e->eps * e->dkernel.v[i];
    snprintf(sc->formula, sizeof sc->formula,
             "L(k + \xCE\xB5) \xE2\x88\x92 L(k) = %.6g \xE2\x88\x92 %.6g = " ROLE_OUTPUT "%.4g" ROLE_PLAIN
             "     \xCE\xB5\xC2\xB7" ROLE_KERNEL "\xE2\x88\x82L/\xE2\x88\x82k[%d,%d]" ROLE_PLAIN " = %g\xC2\xB7%g = " ROLE_KERNEL
             "%.4g" ROLE_PLAIN, l1, l0, (double)e->fd_change, e->cell_r, e->cell_c, (double)e->eps,
             (double)e->dkernel.v[i], (double)e->fd_predicted);
}

static int read_config(Scene *sc, const Lesson *l, const LessonStep *st, ClError *err) {
    int sh, sw, ph, pw, dh, dw;
    if (lesson_get_int2(l, st, "stride", 1, 1, 8, &sh, &sw, err) != 0) return -1;
    if (lesson_get_int2(l, st, "padding", 0, 0, 8, &ph, &pw, err) != 0) return -1;
    if (lesson_get_int2(l, st, "dilation", 1, 1, 4, &dh, &dw, err) != 0) return -1;
    Conv2dConfig c = conv2d_config(1, 1, sc->kernel.rows, sc->kernel.cols);
    c.stride_h = sh, c.stride_w = sw, c.dilation_h = dh, c.dilation_w = dw, c.has_bias = false;
    conv2d_set_padding(&c, ph, pw);
    sc->conv = c;
    return 0;
}

// The gradients, the full grid, the focus cell's terms and the FD check.
static int compute_gradients(Scene *sc, ConvBackScene *e, const Lesson *l, const LessonStep *st, ClError *err) {
    int H = sc->input.rows, W = sc->input.cols, OH = sc->output.rows, OW = sc->output.cols;
    e->dkernel = grid_alloc(sc->kernel.rows, sc->kernel.cols);
    e->dinput = grid_alloc(H, W);
    conv2d_backward(e->dinput.v, e->dkernel.v, NULL, e->dout.v, sc->input.v, sc->kernel.v, &sc->conv, 1, H, W);
    e->loss = (float)loss_of(sc, e, sc->kernel.v);
    build_full(sc, e);
    bool clamp = sc->adjusted;
    if (e->focus == CB_DINPUT) {
        if (parse_cell(l, st, "cell", H, W, clamp, &e->cell_r, &e->cell_c, err) != 0) return -1;
    } else if (parse_cell(l, st, "cell", sc->kernel.rows, sc->kernel.cols, clamp, &e->cell_r, &e->cell_c, err) != 0) {
        return -1;
    }
    if (parse_cell(l, st, "window", OH, OW, clamp, &e->out_r, &e->out_c, err) != 0) return -1;
    if (e->focus == CB_FORWARD || e->focus == CB_ALL) return 0;
    if (e->focus == CB_FD) {
        int line;
        const char *v = lesson_get(st, "epsilon", &line);
        e->eps = 0.01f;
        char *end;
        if (v && (e->eps = strtof(v, &end), end == v || *end || !(fabsf(e->eps) > 0) || fabsf(e->eps) > 10))
            return cl_fail(err, "%s:%d: epsilon: expected a number with 0 < |ε| <= 10, got '%s'", l->path, line, v);
        finite_difference(sc, e);
        return 0;
    }
    collect_terms(sc, e);
    format_terms(sc, e);
    if (e->focus == CB_CHAIN) { // the window of that output cell, for the view
        sc->win_oy = e->out_r, sc->win_ox = e->out_c;
    }
    return 0;
}

// dL/dout: out − target with a `target` (squared error), else the `dout` key (or all ones: L = Σ out).
// Both must match the output; a live change that resized it keeps what fits and fills ones / zeros.
static int read_dout(Scene *sc, ConvBackScene *e, const Lesson *l, const LessonStep *st, ClError *err) {
    int OH = sc->output.rows, OW = sc->output.cols, line = st->line;
    const char *key = lesson_get(st, "target", &line) ? "target" : lesson_get(st, "dout", &line) ? "dout" : NULL;
    Grid g = {0};
    if (key) {
        if (lesson_get_grid(l, st, key, &g.v, &g.rows, &g.cols, err) != 0) return -1;
        if ((g.rows != OH || g.cols != OW) && !sc->adjusted) {
            int gr = g.rows, gc = g.cols;
            grid_free(&g);
            return cl_fail(err, "%s:%d: %s is %dx%d but the output is %dx%d; give one number per output cell", l->path,
                           line, key, gr, gc, OH, OW);
        }
    }
    bool squared = key && strcmp(key, "target") == 0;
    Grid fit = grid_alloc(OH, OW);
    for (int y = 0; y < OH; y++)
        for (int x = 0; x < OW; x++)
            fit.v[y * OW + x] = (g.v && y < g.rows && x < g.cols) ? g.v[y * g.cols + x] : squared ? 0.0f : 1.0f;
    grid_free(&g);
    e->dout = grid_alloc(OH, OW);
    if (squared) {
        e->target = fit;
        for (int i = 0; i < OH * OW; i++) e->dout.v[i] = sc->output.v[i] - e->target.v[i];
    } else {
        memcpy(e->dout.v, fit.v, sizeof(float) * (size_t)OH * OW);
        grid_free(&fit);
    }
    return 0;
}

static int cb_compute(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err) {
    if (scene_parse_show(l, st, SHOW_INPUT | SHOW_KERNEL | SHOW_OUTPUT | SHOW_FORMULA | SHOW_SIZE, &sc->show, err) != 0) return -1;
    if (scene_load_input(sc, l, st, env, true, err) != 0) return -1;
    if (sc->input.rows > 12 || sc->input.cols > 12)
        return cl_fail(err, "%s:%d: conv_backward: input %dx%d is larger than 12x12; use a smaller grid or a crop",
                       l->path, st->line, sc->input.rows, sc->input.cols);
    int kline = st->line;
    lesson_get(st, "kernel", &kline);
    if (lesson_get_grid(l, st, "kernel", &sc->kernel.v, &sc->kernel.rows, &sc->kernel.cols, err) != 0) return -1;
    if (sc->kernel.rows > 5 || sc->kernel.cols > 5)
        return cl_fail(err, "%s:%d: conv_backward: kernel %dx%d is larger than 5x5", l->path, kline, sc->kernel.rows, sc->kernel.cols);
    ConvBackScene *e = cl_calloc(1, sizeof *e);
    sc->ext = e;
    sc->ext_free = cb_free;
    int f;
    if (lesson_get_choice(l, st, "focus", FOCUS_NAMES, CB_FORWARD, &f, err) != 0) return -1;
    e->focus = (ConvBackFocus)f;
    if (read_config(sc, l, st, err) != 0) return -1;
    int H = sc->input.rows, W = sc->input.cols, OH, OW;
    ClError ce;
    if (conv2d_output_size(&sc->conv, H, W, &OH, &OW, &ce) != 0) {
        if (!sc->adjusted)
            return cl_fail(err, "%s:%d: %s (input %dx%d, kernel %dx%d)", l->path, kline, ce.msg, H, W, sc->kernel.rows, sc->kernel.cols);
        snprintf(sc->error, sizeof sc->error, "%s", ce.msg); // the student's setting: PyTorch's error in place
        return 0;
    }
    sc->output = grid_alloc(OH, OW);
    conv2d_forward(sc->output.v, sc->input.v, sc->kernel.v, NULL, &sc->conv, 1, H, W);
    scene_size_formula(sc->size_formula, sizeof sc->size_formula, H, W, sc->conv.pad_top, sc->conv.pad_bottom,
                       sc->conv.pad_left, sc->conv.pad_right, sc->conv.kernel_h, sc->conv.kernel_w, sc->conv.stride_h,
                       sc->conv.stride_w, sc->conv.dilation_h, sc->conv.dilation_w, OH, OW);
    if (read_dout(sc, e, l, st, err) != 0) return -1;
    return compute_gradients(sc, e, l, st, err);
}

static void cb_dump(const Scene *sc, FILE *f) {
    const ConvBackScene *e = sc->ext;
    grid_dump("input", &sc->input, f);
    grid_dump("kernel", &sc->kernel, f);
    fprintf(f, "stride %d %d padding %d %d dilation %d %d\n", sc->conv.stride_h, sc->conv.stride_w, sc->conv.pad_top,
            sc->conv.pad_left, sc->conv.dilation_h, sc->conv.dilation_w);
    if (!e || sc->output.rows == 0) return;
    grid_dump("output", &sc->output, f);
    if (e->target.v) grid_dump("target", &e->target, f);
    grid_dump("dout", &e->dout, f);
    grid_dump("dkernel", &e->dkernel, f);
    grid_dump("dinput", &e->dinput, f);
    grid_dump("full", &e->full, f);
    grid_dump("kernel_flipped", &e->kflip, f);
    fprintf(f, "focus %s cell %d %d loss %s %.9g\n", FOCUS_NAMES[e->focus], e->cell_r, e->cell_c,
            e->target.v ? "squared" : "linear", (double)e->loss);
    if (e->focus == CB_FD)
        fprintf(f, "fd epsilon %g loss_nudged %.9g change %.9g predicted %.9g\n", (double)e->eps, (double)e->loss_nudged,
                (double)e->fd_change, (double)e->fd_predicted);
    if (e->n_terms) {
        fprintf(f, "value %g terms", (double)e->value);
        for (int i = 0; i < e->n_terms; i++) fprintf(f, " %g*%g", (double)e->ta[i], (double)e->tb[i]);
        fputc('\n', f);
    }
}

static const SceneKind SCENE_CONV_BACKWARD = {.name = "conv_backward", .keys = CB_KEYS, .compute = cb_compute, .dump = cb_dump};
SCENE_KIND_REGISTER(SCENE_CONV_BACKWARD)
