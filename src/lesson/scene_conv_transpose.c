/* Scene kind "conv_transpose": torch.nn.ConvTranspose2d on one plane, from
 * the engine's conv_transpose2d_forward. Every input cell stamps a copy of the
 * kernel scaled by its value into the output, s cells apart; overlapping
 * stamps add. padding crops p cells from every side of that full result (the
 * full result is the same op with padding 0), output_padding adds rows and
 * columns at the bottom/right.
 *   H_out = (H − 1)·s − 2p + d(k − 1) + output_padding + 1
 * `stamp = R C` shows the output after the input cells up to (R, C) have
 * stamped (the same op on the input with the later cells zeroed); `window =
 * R C` writes one output cell as its sum of products. An invalid setting
 * keeps the step and carries PyTorch's message (shown in place of the output).
 */
#include <stdlib.h>
#include <string.h>

#include "lesson/scene_conv_transpose.h"

static const char *const CT_KEYS[] = {"kernel", "kernel_size", "bias", "stride", "padding", "output_padding", "dilation", "stamp",
                                      "window", NULL};

static void ct_free(void *p) {
    ConvTransposeScene *e = p;
    grid_free(&e->full);
    grid_free(&e->partial);
    free(e);
}

// "R C" inside rows x cols (clamped after live changes); "all" -> rows*cols cells; absent -> -1.
static int parse_cell(const Lesson *l, const LessonStep *st, const char *key, int rows, int cols, bool clamp, int *r,
                      int *c, ClError *err) {
    int line;
    const char *v = lesson_get(st, key, &line);
    *r = *c = -1;
    if (!v || strcmp(v, "none") == 0) return 0;
    if (strcmp(v, "all") == 0) { *r = rows; *c = 0; return 0; }
    if (sscanf(v, "%d %d", r, c) != 2)
        return cl_fail(err, "%s:%d: %s: expected 'ROW COL', 'all' or 'none', got '%s'", l->path, line, key, v);
    if (clamp) { *r = *r < rows ? *r : rows - 1; *c = *c < cols ? *c : cols - 1; }
    if (*r < 0 || *c < 0 || *r >= rows || *c >= cols)
        return cl_fail(err, "%s:%d: %s %d %d is outside the %dx%d grid; expected row 0..%d, col 0..%d", l->path, line, key,
                       *r, *c, rows, cols, rows - 1, cols - 1);
    return 0;
}

// `kernel_size = k` uses the top-left k x k of the `kernel` grid (so the key can be live).
static int crop_kernel(Scene *sc, const Lesson *l, const LessonStep *st, ClError *err) {
    int line, k;
    if (!lesson_get(st, "kernel_size", &line)) return 0;
    if (lesson_get_int(l, st, "kernel_size", 1, 1, 8, &k, err) != 0) return -1;
    if (k > sc->kernel.rows || k > sc->kernel.cols)
        return cl_fail(err, "%s:%d: kernel_size = %d but the kernel grid is only %dx%d; give a larger kernel grid", l->path,
                       line, k, sc->kernel.rows, sc->kernel.cols);
    Grid g = grid_alloc(k, k);
    for (int y = 0; y < k; y++)
        for (int x = 0; x < k; x++) g.v[y * k + x] = sc->kernel.v[y * sc->kernel.cols + x];
    grid_free(&sc->kernel);
    sc->kernel = g;
    return 0;
}

static int read_config(Scene *sc, ConvTransposeScene *e, const Lesson *l, const LessonStep *st, ClError *err) {
    int sh, sw, ph, pw, oph, opw, dh, dw;
    if (crop_kernel(sc, l, st, err) != 0) return -1;
    if (lesson_get_int2(l, st, "stride", 1, 1, 8, &sh, &sw, err) != 0) return -1;
    if (lesson_get_int2(l, st, "padding", 0, 0, 8, &ph, &pw, err) != 0) return -1;
    if (lesson_get_int2(l, st, "output_padding", 0, 0, 8, &oph, &opw, err) != 0) return -1;
    if (lesson_get_int2(l, st, "dilation", 1, 1, 4, &dh, &dw, err) != 0) return -1;
    int bline;
    const char *bias = lesson_get(st, "bias", &bline);
    if (bias) {
        char *end;
        sc->bias = strtof(bias, &end);
        if (end == bias || *end) return cl_fail(err, "%s:%d: bias: expected a number, got '%s'", l->path, bline, bias);
    }
    ConvTranspose2dConfig c = conv_transpose2d_config(1, 1, sc->kernel.rows, sc->kernel.cols);
    c.stride_h = sh, c.stride_w = sw, c.pad_h = ph, c.pad_w = pw, c.out_pad_h = oph, c.out_pad_w = opw;
    c.dilation_h = dh, c.dilation_w = dw, c.has_bias = bias != NULL;
    e->cfg = c;
    // the Conv2d fields the shared views read (sizes, stride, padding)
    sc->conv = conv2d_config(1, 1, c.kernel_h, c.kernel_w);
    sc->conv.stride_h = sh, sc->conv.stride_w = sw, sc->conv.dilation_h = dh, sc->conv.dilation_w = dw;
    sc->conv.has_bias = c.has_bias;
    conv2d_set_padding(&sc->conv, ph, pw);
    return 0;
}

// "H_out = (3 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 6" per axis (both when they differ).
static void size_formula(Scene *sc, const ConvTranspose2dConfig *c, int H, int W, int OH, int OW) {
    const char *M = "\xE2\x88\x92", *D = "\xC2\xB7";
    char a[200], b[200];
    snprintf(a, sizeof a, "(%d %s 1)%s%d %s 2%s%d + %d%s(%d %s 1) + %d + 1 = %d", H, M, D, c->stride_h, M, D, c->pad_h,
             c->dilation_h, D, c->kernel_h, M, c->out_pad_h, OH);
    snprintf(b, sizeof b, "(%d %s 1)%s%d %s 2%s%d + %d%s(%d %s 1) + %d + 1 = %d", W, M, D, c->stride_w, M, D, c->pad_w,
             c->dilation_w, D, c->kernel_w, M, c->out_pad_w, OW);
    bool same = H == W && c->stride_h == c->stride_w && c->pad_h == c->pad_w && c->dilation_h == c->dilation_w &&
                c->kernel_h == c->kernel_w && c->out_pad_h == c->out_pad_w;
    if (same) snprintf(sc->size_formula, sizeof sc->size_formula, "H_out = %s", a);
    else snprintf(sc->size_formula, sizeof sc->size_formula, "H_out = %s    W_out = %s", a, b);
}

// out[win] = Σ x[iy,ix]·k[ky,kx] over the taps with iy·s − p + ky·d = row (likewise columns).
static void window_terms(Scene *sc, ConvTransposeScene *e) {
    const ConvTranspose2dConfig *c = &e->cfg;
    int H = sc->input.rows, W = sc->input.cols;
    for (int y = 0; y < H; y++)
        for (int ky = 0; ky < c->kernel_h; ky++) {
            if (y * c->stride_h - c->pad_h + ky * c->dilation_h != sc->win_oy) continue;
            for (int x = 0; x < W; x++)
                for (int kx = 0; kx < c->kernel_w; kx++) {
                    if (x * c->stride_w - c->pad_w + kx * c->dilation_w != sc->win_ox || e->n_terms >= CT_MAX_TERMS) continue;
                    int t = e->n_terms++;
                    e->tx[t] = sc->input.v[y * W + x], e->tk[t] = sc->kernel.v[ky * c->kernel_w + kx];
                    e->iy[t] = y, e->ix[t] = x, e->ky[t] = ky, e->kx[t] = kx;
                }
        }
    sc->n_terms = e->n_terms < SCENE_MAX_TERMS ? e->n_terms : SCENE_MAX_TERMS;
    for (int t = 0; t < sc->n_terms; t++) {
        sc->term_in[t] = e->tx[t], sc->term_w[t] = e->tk[t];
        sc->term_iy[t] = e->iy[t], sc->term_ix[t] = e->ix[t];
    }
    sc->window_value = sc->output.v[sc->win_oy * sc->output.cols + sc->win_ox];
    if (sc->n_terms) scene_products_formula(sc, NULL);
    else snprintf(sc->formula, sizeof sc->formula, "out[%d,%d] = 0: no stamp reaches this cell", sc->win_oy, sc->win_ox);
}

// The full (uncropped) result after the input cells 0..n-1 (row-major) have stamped: the engine
// on the input with the later cells zeroed, padding 0 (c0).
static void partial_output(Scene *sc, ConvTransposeScene *e, const ConvTranspose2dConfig *c0, int n) {
    int H = sc->input.rows, W = sc->input.cols;
    float *masked = cl_calloc((size_t)H * W, sizeof(float));
    memcpy(masked, sc->input.v, sizeof(float) * (size_t)n);
    e->partial = grid_alloc(e->full.rows, e->full.cols);
    conv_transpose2d_forward(e->partial.v, masked, sc->kernel.v, c0->has_bias ? &sc->bias : NULL, c0, 1, H, W);
    free(masked);
}

static int ct_compute(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err) {
    if (scene_parse_show(l, st, SHOW_INPUT | SHOW_KERNEL | SHOW_OUTPUT | SHOW_FORMULA | SHOW_SIZE, &sc->show, err) != 0) return -1;
    if (scene_load_input(sc, l, st, env, true, err) != 0) return -1;
    if (sc->input.rows > 8 || sc->input.cols > 8)
        return cl_fail(err, "%s:%d: conv_transpose: input %dx%d is larger than 8x8; use a smaller grid", l->path, st->line,
                       sc->input.rows, sc->input.cols);
    int kline = st->line;
    lesson_get(st, "kernel", &kline);
    if (lesson_get_grid(l, st, "kernel", &sc->kernel.v, &sc->kernel.rows, &sc->kernel.cols, err) != 0) return -1;
    ConvTransposeScene *e = cl_calloc(1, sizeof *e);
    sc->ext = e;
    sc->ext_free = ct_free;
    e->stamp_r = e->stamp_c = -1;
    if (read_config(sc, e, l, st, err) != 0) return -1;
    int H = sc->input.rows, W = sc->input.cols, OH, OW;
    ClError ce;
    if (conv_transpose2d_output_size(&e->cfg, H, W, &OH, &OW, &ce) != 0) {
        snprintf(e->error, sizeof e->error, "%s", ce.msg); // shown in place of the output, as PyTorch would raise it
        return 0;
    }
    if (OH + 2 * e->cfg.pad_h > 64 || OW + 2 * e->cfg.pad_w > 64) { // the view draws at most 64x64 cells
        if (!sc->adjusted)
            return cl_fail(err, "%s:%d: conv_transpose: the output before cropping would be %dx%d, more than 64x64; use a "
                           "smaller input, kernel or stride", l->path, kline, OH + 2 * e->cfg.pad_h, OW + 2 * e->cfg.pad_w);
        snprintf(e->error, sizeof e->error, "the output before cropping would be %dx%d; this lesson draws at most 64x64",
                 OH + 2 * e->cfg.pad_h, OW + 2 * e->cfg.pad_w);
        return 0;
    }
    sc->output = grid_alloc(OH, OW);
    conv_transpose2d_forward(sc->output.v, sc->input.v, sc->kernel.v, e->cfg.has_bias ? &sc->bias : NULL, &e->cfg, 1, H, W);
    ConvTranspose2dConfig c0 = e->cfg;
    c0.pad_h = c0.pad_w = 0;
    int FH, FW;
    CL_ASSERT(conv_transpose2d_output_size(&c0, H, W, &FH, &FW, NULL) == 0);
    e->full = grid_alloc(FH, FW);
    conv_transpose2d_forward(e->full.v, sc->input.v, sc->kernel.v, c0.has_bias ? &sc->bias : NULL, &c0, 1, H, W);
    size_formula(sc, &e->cfg, H, W, OH, OW);
    bool clamp = sc->adjusted;
    if (parse_cell(l, st, "stamp", H, W, clamp, &e->stamp_r, &e->stamp_c, err) != 0) return -1;
    if (e->stamp_r >= 0) {
        e->n_stamped = e->stamp_r >= H ? H * W : e->stamp_r * W + e->stamp_c + 1;
        if (e->stamp_r >= H) e->stamp_r = e->stamp_c = -1; // "all": no single stamp in focus
        partial_output(sc, e, &c0, e->n_stamped);
    } else {
        e->n_stamped = H * W;
    }
    sc->n_filled = OH * OW;
    if (parse_cell(l, st, "window", OH, OW, clamp, &sc->win_oy, &sc->win_ox, err) != 0) return -1;
    if (sc->win_oy >= OH) sc->win_oy = sc->win_ox = -1;
    if (sc->win_oy >= 0) window_terms(sc, e);
    return 0;
}

static void ct_dump(const Scene *sc, FILE *f) {
    const ConvTransposeScene *e = sc->ext;
    grid_dump("input", &sc->input, f);
    grid_dump("kernel", &sc->kernel, f);
    if (e->cfg.has_bias) fprintf(f, "bias %g\n", (double)sc->bias);
    fprintf(f, "stride %d %d padding %d %d output_padding %d %d dilation %d %d\n", e->cfg.stride_h, e->cfg.stride_w,
            e->cfg.pad_h, e->cfg.pad_w, e->cfg.out_pad_h, e->cfg.out_pad_w, e->cfg.dilation_h, e->cfg.dilation_w);
    if (e->error[0]) { fprintf(f, "pytorch-error %s\n", e->error); return; }
    grid_dump("output", &sc->output, f);
    grid_dump("full", &e->full, f);
    if (e->partial.rows) {
        fprintf(f, "stamped %d\n", e->n_stamped);
        grid_dump("partial", &e->partial, f);
    }
    if (sc->win_oy >= 0) {
        fprintf(f, "window %d %d value %g terms", sc->win_oy, sc->win_ox, (double)sc->window_value);
        for (int i = 0; i < e->n_terms; i++) fprintf(f, " %g*%g", (double)e->tx[i], (double)e->tk[i]);
        fputc('\n', f);
    }
}

static const SceneKind SCENE_CONV_TRANSPOSE = {.name = "conv_transpose", .keys = CT_KEYS, .compute = ct_compute, .dump = ct_dump};
SCENE_KIND_REGISTER(SCENE_CONV_TRANSPOSE)
