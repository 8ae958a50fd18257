/* Scene kind "conv2d": torch.nn.Conv2d on a multi-channel input (the R, G, B
 * planes of a CIFAR crop, or a built-in seeded volume), with every parameter
 * a key: in_channels, out_channels, kernel_size, stride, padding, dilation,
 * groups, bias. All numbers come from the engine: the output from
 * conv2d_forward, the parameter count from conv2d_param_count, an invalid
 * combination's message from conv2d_output_size (kept in the scene so the
 * view shows it in place of the output, as PyTorch would raise it), and the
 * per-slice sums of one window from conv2d_forward run on single channels:
 *   out[f, y, x] = b[f] + Σ_slices Σ_window w·in   (the view shows each Σ).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng.h"
#include "lesson/adjust.h"
#include "lesson/scene_conv2d.h"
#include "lesson/scene_facts.h"

static const char *const CONV2D_KEYS[] = {"in_channels", "out_channels", "kernel_size", "stride", "padding",
                                          "dilation", "groups", "bias", "bias_values", "kernel", "seed",
                                          "input_size", "input_channels", "window", "filter", "view", NULL};

static void ext_free(void *p) {
    Conv2dScene *e = p;
    free(e->in);
    free(e->weight);
    free(e->bias);
    free(e->out);
    free(e);
}

// Parses "a b; c d | e f; g h || ..." into filters of slices of k x k grids.
// Returns the number of values written into w (filter-major), or -1.
static int parse_slices(const Lesson *l, int line, const char *v, float *w, int max_filters, int slices, int k,
                        int *n_filters, ClError *err) {
    int filt = 0, slice = 0, cell = 0, total = 0;
    const char *p = v;
    while (*p) {
        if (*p == ' ' || *p == ';' || *p == '\t') { p++; continue; }
        if (*p == '|') {
            bool next_filter = p[1] == '|';
            if (cell != k * k) break;
            cell = 0;
            if (next_filter) {
                if (slice + 1 != slices) break;
                slice = 0;
                filt++;
                p += 2;
            } else {
                slice++;
                p++;
            }
            if (filt >= max_filters || slice >= slices) break;
            continue;
        }
        char *e;
        const char *q = p;
        bool minus = strncmp(p, "\xE2\x88\x92", 3) == 0; // U+2212
        if (minus) q += 3;
        float x = strtof(q, &e);
        if (e == q) return cl_fail(err, "%s:%d: kernel: expected numbers, ';' between rows, '|' between slices and "
                                        "'||' between filters, got '%s'", l->path, line, p);
        if (cell == k * k) break;
        w[(filt * slices + slice) * k * k + cell++] = minus ? -x : x;
        total++;
        p = e;
    }
    if (cell != k * k || slice + 1 != slices || *p)
        return cl_fail(err, "%s:%d: kernel: expected %d slice(s) of %dx%d per filter ('|' between slices, '||' between "
                            "filters) for in_channels/groups = %d and kernel_size = %d", l->path, line, slices, k, k, slices, k);
    *n_filters = filt + 1;
    return total;
}

// The input volume: the R, G, B planes of the step's image crop (through
// scene_load_input, so crop, zoom and normalization are the common ones), or
// a seeded built-in volume of small integers.
static int load_volume(Scene *sc, Conv2dScene *e, const Lesson *l, const LessonStep *st, const SceneEnv *env,
                       int in_ch, ClError *err) {
    if (lesson_get(st, "image", NULL)) {
        static const char *const CH[3] = {"r", "g", "b"};
        for (int c = 0; c < 3; c++) {
            SceneOverrides ov = {0};
            adjust_set(&ov, "channel", CH[c], NULL);
            LessonStep one;
            adjust_apply(&one, st, &ov);
            Scene tmp;
            memset(&tmp, 0, sizeof tmp);
            Scene *dst = c == 0 ? sc : &tmp;
            if (scene_load_input(dst, l, &one, env, true, err) != 0) return -1;
            if (c == 0) {
                e->C = 3;
                e->H = sc->input.rows;
                e->W = sc->input.cols;
                e->in = cl_calloc((size_t)3 * e->H * e->W, sizeof(float));
            }
            memcpy(e->in + (size_t)c * e->H * e->W, dst->input.v, sizeof(float) * (size_t)e->H * e->W);
            if (c) scene_free(&tmp);
        }
        snprintf(sc->input_name, sizeof sc->input_name, "image");
        e->from_image = true;
        return 0;
    }
    int n, ic, seed;
    if (lesson_get_int(l, st, "input_size", 5, 1, 32, &n, err) != 0) return -1;
    if (lesson_get_int(l, st, "input_channels", in_ch, 1, 16, &ic, err) != 0) return -1;
    if (lesson_get_int(l, st, "seed", 1, 0, 1 << 30, &seed, err) != 0) return -1;
    e->C = ic;
    e->H = e->W = n;
    e->in = cl_calloc((size_t)ic * n * n, sizeof(float));
    Rng r;
    rng_seed(&r, (uint64_t)seed);
    for (int i = 0; i < ic * n * n; i++) e->in[i] = (float)rng_below(&r, 10); // 0..9: readable sums
    sc->input = grid_alloc(n, n);
    memcpy(sc->input.v, e->in, sizeof(float) * (size_t)n * n);
    snprintf(sc->input_name, sizeof sc->input_name, "input");
    return 0;
}

// The nn.Conv2d constructor's arguments as the step's keys give them.
typedef struct {
    int ic, oc, k, stride, pad, dil, groups;
    int seed;                          // the built-in weights and bias
    bool bias;
} Conv2dKeys;

static int read_conv2d_keys(Conv2dKeys *kk, const Lesson *l, const LessonStep *st, ClError *err) {
    if (lesson_get_int(l, st, "in_channels", 3, 1, 16, &kk->ic, err) != 0) return -1;
    if (lesson_get_int(l, st, "out_channels", 1, 1, 16, &kk->oc, err) != 0) return -1;
    if (lesson_get_int(l, st, "kernel_size", 3, 1, 9, &kk->k, err) != 0) return -1;
    if (lesson_get_int(l, st, "stride", 1, 1, 8, &kk->stride, err) != 0) return -1;
    if (lesson_get_int(l, st, "padding", 0, 0, 8, &kk->pad, err) != 0) return -1;
    if (lesson_get_int(l, st, "dilation", 1, 1, 8, &kk->dil, err) != 0) return -1;
    if (lesson_get_int(l, st, "groups", 1, 1, 16, &kk->groups, err) != 0) return -1;
    if (lesson_get_int(l, st, "seed", 1, 0, 1 << 30, &kk->seed, err) != 0) return -1;
    return lesson_get_bool(l, st, "bias", true, &kk->bias, err);
}

static Conv2dConfig conv2d_config_of(const Conv2dKeys *kk) {
    Conv2dConfig c = conv2d_config(kk->ic, kk->oc, kk->k, kk->k);
    c.stride_h = c.stride_w = kk->stride;
    c.dilation_h = c.dilation_w = kk->dil;
    c.groups = kk->groups;
    c.has_bias = kk->bias;
    conv2d_set_padding(&c, kk->pad, kk->pad);
    return c;
}

// Keeps what PyTorch would raise for this setting in e->error and returns
// true; else sets the output size. PyTorch checks the module first
// (constructor), then the input at forward time, so the messages come in that order.
static bool find_conv2d_error(Conv2dScene *e, const Conv2dKeys *kk) {
    ClError ce;
    int OH = 0, OW = 0;
    if (conv2d_output_size(&e->cfg, e->H, e->W, &OH, &OW, &ce) != 0) {
        snprintf(e->error, sizeof e->error, "%s", ce.msg);
        bool divisible = kk->ic % kk->groups == 0 && kk->oc % kk->groups == 0;
        e->params = divisible ? e->params : -1; // no module exists to count
        return true;
    }
    if (e->C != kk->ic) { // RuntimeError from F.conv2d, word for word
        snprintf(e->error, sizeof e->error,
                 "RuntimeError: Given groups=%d, weight of size [%d, %d, %d, %d], expected input[1, %d, %d, %d] to have "
                 "%d channels, but got %d channels instead", kk->groups, kk->oc, kk->ic / kk->groups, kk->k, kk->k,
                 e->C, e->H, e->W, kk->ic, e->C);
        return true;
    }
    e->OH = OH;
    e->OW = OW;
    return false;
}

// `bias_values = 1 -2 ...`: as many as given, the rest stay seeded.
static int parse_bias_values(float *bias, int oc, const Lesson *l, const LessonStep *st, ClError *err) {
    int bline;
    const char *bv = lesson_get(st, "bias_values", &bline);
    if (!bv) return 0;
    const char *q = bv;
    for (int i = 0; i < oc && *q; i++) {
        char *end;
        float x = strtof(q, &end);
        if (end == q) return cl_fail(err, "%s:%d: bias_values: expected numbers, got '%s'", l->path, bline, bv);
        bias[i] = x;
        q = end;
    }
    return 0;
}

// Weights (OC, IC/g, k, k): the `kernel` key's filters, the rest seeded
// -1/0/1 so sums stay readable; then the bias from the same stream (seeded
// -2..2, or `bias_values`).
static int fill_conv2d_params(Conv2dScene *e, const Conv2dKeys *kk, const Lesson *l, const LessonStep *st,
                              ClError *err) {
    int slices = kk->ic / kk->groups;
    long nw = (long)kk->oc * slices * kk->k * kk->k;
    e->weight = cl_calloc((size_t)nw, sizeof(float));
    Rng r;
    rng_seed(&r, (uint64_t)kk->seed * 7919u + 17u);
    for (long i = 0; i < nw; i++) e->weight[i] = (float)((int)rng_below(&r, 3) - 1);
    int kline;
    const char *kv = lesson_get(st, "kernel", &kline);
    if (kv) {
        int nf;
        if (parse_slices(l, kline, kv, e->weight, kk->oc, slices, kk->k, &nf, err) < 0) return -1;
    }
    if (!kk->bias) return 0;
    e->bias = cl_calloc((size_t)kk->oc, sizeof(float));
    for (int i = 0; i < kk->oc; i++) e->bias[i] = (float)((int)rng_below(&r, 5) - 2);
    return parse_bias_values(e->bias, kk->oc, l, st, err);
}

// The output channel shown. Out of range is an error in the file; after a
// live change (out_channels lowered below it) it clamps instead.
static int pick_filter(Conv2dScene *e, int oc, const Lesson *l, const LessonStep *st, const SceneEnv *env,
                       ClError *err) {
    if (lesson_get_int(l, st, "filter", 0, 0, 15, &e->filter, err) != 0) return -1;
    if (e->filter < oc) return 0;
    if (!(env->overrides && env->overrides->n)) {
        int fl;
        lesson_get(st, "filter", &fl);
        return cl_fail(err, "%s:%d: filter %d: expected 0..%d (out_channels - 1)", l->path, fl, e->filter, oc - 1);
    }
    e->filter = oc - 1;
    return 0;
}

// The size formula (torch.nn.Conv2d's docs, with f = d·(k − 1) + 1 written
// out first when the dilation makes the window larger than the kernel).
static void write_size_formula(Scene *sc, const Conv2dScene *e, const Conv2dKeys *kk) {
    const char *M = "\xE2\x88\x92";
    int f = kk->dil * (kk->k - 1) + 1;
    char fx[128] = "";
    if (kk->dil > 1)
        snprintf(fx, sizeof fx, "f = d\xC2\xB7(k %s 1) + 1 = %d\xC2\xB7(%d %s 1) + 1 = %d;   ", M, kk->dil, kk->k, M, f);
    snprintf(sc->size_formula, sizeof sc->size_formula, "%sout = \xE2\x8C\x8A(%d + 2\xC2\xB7%d %s %d)/%d\xE2\x8C\x8B + 1 = %d", fx,
             e->H, kk->pad, M, f, kk->stride, e->OH);
}

// Per-slice sums of the window: conv2d_forward on one input channel and one
// kernel slice, so each Σ on screen is the engine's own number.
static void compute_slice_sums(Conv2dScene *e, int win_oy, int win_ox) {
    const Conv2dConfig *c = &e->cfg;
    int slices = c->in_channels / c->groups, k = c->kernel_h;
    int per_group_out = c->out_channels / c->groups, g0 = (e->filter / per_group_out) * slices;
    e->n_slices = slices < CONV2D_MAX_SLICES ? slices : CONV2D_MAX_SLICES;
    e->first_channel = g0;
    Conv2dConfig c1 = *c;
    c1.in_channels = c1.out_channels = 1;
    c1.groups = 1;
    c1.has_bias = false;
    float *tmp = cl_malloc(sizeof(float) * (size_t)e->OH * e->OW);
    for (int j = 0; j < e->n_slices; j++) {
        conv2d_forward(tmp, e->in + (size_t)(g0 + j) * e->H * e->W, e->weight + ((size_t)e->filter * slices + j) * k * k,
                       NULL, &c1, 1, e->H, e->W);
        e->slice_sum[j] = tmp[win_oy * e->OW + win_ox];
    }
    free(tmp);
    // the terms of each Σ: w[f, j, ky, kx] · in[g0 + j, oy·s − p + ky·d, ox·s − p + kx·d]
    for (int j = 0; j < e->n_slices; j++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                int iy = win_oy * c->stride_h - c->pad_top + ky * c->dilation_h;
                int ix = win_ox * c->stride_w - c->pad_left + kx * c->dilation_w;
                float x = iy >= 0 && iy < e->H && ix >= 0 && ix < e->W ? e->in[((size_t)(g0 + j) * e->H + iy) * e->W + ix] : 0;
                e->products[j][ky * k + kx] = e->weight[(((size_t)e->filter * slices + j) * k + ky) * k + kx] * x;
            }
}

// formula: ΣR + ΣG + ΣB + b = 145 + (−32) + 17 + 1 = 131 (slices named by
// colour for an image, by channel index otherwise; negatives in parentheses).
static void write_sum_formula(Scene *sc, const Conv2dScene *e) {
    static const char *const RGB[3] = {"R", "G", "B"};
    bool bias = e->cfg.has_bias;
    int g0 = e->first_channel;
    char *f = sc->formula, t[64];
    size_t cap = sizeof sc->formula, len = 0;
    for (int j = 0; j < e->n_slices && len < cap; j++) {
        char name[16];
        if (e->from_image) snprintf(name, sizeof name, "%s", RGB[(g0 + j) % 3]);
        else snprintf(name, sizeof name, "%d", g0 + j);
        len += (size_t)snprintf(f + len, cap - len, "%s\xCE\xA3" ROLE_INPUT "%s" ROLE_PLAIN, j ? " + " : "", name);
    }
    if (bias && len < cap) len += (size_t)snprintf(f + len, cap - len, " + " ROLE_KERNEL "b" ROLE_PLAIN);
    if (len < cap) len += (size_t)snprintf(f + len, cap - len, " = ");
    int dec = 0;
    for (int j = 0; j < e->n_slices; j++)
        if (fabsf(e->slice_sum[j] - roundf(e->slice_sum[j])) > 1e-4f) dec = 2;
    for (int j = 0; j < e->n_slices && len < cap; j++) {
        scene_fmt(t, sizeof t, e->slice_sum[j], dec);
        bool neg = e->slice_sum[j] < 0 && strcmp(t, "0") != 0;
        len += (size_t)snprintf(f + len, cap - len, "%s" ROLE_INPUT "%s%s%s" ROLE_PLAIN, j ? " + " : "", neg ? "(" : "", t, neg ? ")" : "");
    }
    if (bias && len < cap) {
        float b = e->bias[e->filter];
        scene_fmt(t, sizeof t, b, fabsf(b - roundf(b)) > 1e-4f ? 2 : 0);
        bool neg = b < 0;
        len += (size_t)snprintf(f + len, cap - len, " + " ROLE_KERNEL "%s%s%s" ROLE_PLAIN, neg ? "(" : "", t, neg ? ")" : "");
    }
    if (len < cap) {
        scene_fmt(t, sizeof t, sc->window_value, dec);
        snprintf(f + len, cap - len, " = " ROLE_OUTPUT "%s" ROLE_PLAIN, t);
    }
}

// The layer's numbers as facts for the texts ({params}, {weights}, {in_c}×{in_h}×{in_h}, ...),
// so a sentence about the count or the shapes follows every live key.
static void record_conv2d_facts(Scene *sc, const Conv2dScene *e, const Conv2dKeys *kk) {
    int field = kk->dil * (kk->k - 1) + 1, span = e->H + 2 * kk->pad - field;
    scene_fact(sc, "in_c", "%d", e->C);
    scene_fact(sc, "in_h", "%d", e->H);
    scene_fact(sc, "field", "%d", field);
    scene_fact(sc, "out_h", "%d", span >= 0 ? span / kk->stride + 1 : 0);
    if (e->params < 0) return;
    long weights = e->params - (kk->bias ? kk->oc : 0);
    scene_fact(sc, "params", "%ld", e->params);
    scene_fact(sc, "weights", "%ld", weights);
    scene_fact(sc, "with_bias", "%ld", weights + kk->oc);
    scene_fact(sc, "in_g", "%d", kk->ic / kk->groups);
}

static int conv2d_compute(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err) {
    if (scene_parse_show(l, st, SHOW_FORMULA | SHOW_SIZE, &sc->show, err) != 0) return -1;
    Conv2dScene *e = cl_calloc(1, sizeof *e);
    sc->ext = e;
    sc->ext_free = ext_free;
    e->filter = 0;
    static const char *const VIEWS[] = {"volume", "planes", "params", NULL};
    if (lesson_get_choice(l, st, "view", VIEWS, 0, &e->view, err) != 0) return -1;
    Conv2dKeys kk;
    if (read_conv2d_keys(&kk, l, st, err) != 0) return -1;
    if (load_volume(sc, e, l, st, env, kk.ic, err) != 0) return -1;
    if (sc->needs_data) return 0;
    e->cfg = conv2d_config_of(&kk);
    e->params = conv2d_param_count(&e->cfg);
    // {error}: 1 where the view shows PyTorch's error in place of the output;
    // the counts and shapes of a refused configuration are not recorded
    bool refused = find_conv2d_error(e, &kk);
    scene_fact(sc, "error", "%d", refused ? 1 : 0);
    if (refused) return 0;
    record_conv2d_facts(sc, e, &kk);
    if (fill_conv2d_params(e, &kk, l, st, err) != 0) return -1;
    int OH = e->OH, OW = e->OW;
    e->out = cl_calloc((size_t)kk.oc * OH * OW, sizeof(float));
    conv2d_forward(e->out, e->in, e->weight, e->bias, &e->cfg, 1, e->H, e->W);
    if (pick_filter(e, kk.oc, l, st, env, err) != 0) return -1;
    { // the shown filter's group of input channels (as compute_slice_sums finds it)
        int slices = kk.ic / kk.groups, g0 = (e->filter / (kk.oc / kk.groups)) * slices;
        scene_fact(sc, "g_first", "%d", g0);
        scene_fact(sc, "g_last", "%d", g0 + slices - 1);
    }
    sc->output = grid_alloc(OH, OW);
    memcpy(sc->output.v, e->out + (size_t)e->filter * OH * OW, sizeof(float) * (size_t)OH * OW);
    if (scene_parse_window(l, st, env, OH, OW, &sc->win_oy, &sc->win_ox, &sc->n_filled, err) != 0) return -1;
    write_size_formula(sc, e, &kk);
    if (sc->win_oy < 0) return 0;
    compute_slice_sums(e, sc->win_oy, sc->win_ox);
    sc->window_value = sc->output.v[sc->win_oy * OW + sc->win_ox];
    write_sum_formula(sc, e);
    return 0;
}

static void conv2d_dump(const Scene *sc, FILE *f) {
    const Conv2dScene *e = sc->ext;
    if (!e) return;
    const Conv2dConfig *c = &e->cfg;
    fprintf(f, "conv2d in_channels %d out_channels %d kernel_size %d stride %d padding %d dilation %d groups %d bias %d\n",
            c->in_channels, c->out_channels, c->kernel_h, c->stride_h, c->pad_top, c->dilation_h, c->groups, (int)c->has_bias);
    fprintf(f, "input %d %d %d\n", e->C, e->H, e->W);
    fprintf(f, "params %ld\n", e->params);
    if (c->groups > 0 && c->in_channels % c->groups == 0) // torch's Conv2d.weight.shape
        fprintf(f, "weight %d %d %d %d\n", c->out_channels, c->in_channels / c->groups, c->kernel_h, c->kernel_w);
    if (e->error[0]) { fprintf(f, "pytorch-error %s\n", e->error); return; }
    fprintf(f, "output %d %d %d\n", c->out_channels, e->OH, e->OW);
    for (int o = 0; o < c->out_channels; o++) {
        Grid g = {e->OH, e->OW, e->out + (size_t)o * e->OH * e->OW};
        char name[32];
        snprintf(name, sizeof name, "out[%d]", o);
        grid_dump(name, &g, f);
    }
    if (e->bias) {
        fprintf(f, "bias");
        for (int o = 0; o < c->out_channels; o++) fprintf(f, " %g", (double)e->bias[o]);
        fputc('\n', f);
    }
    if (sc->win_oy >= 0) {
        fprintf(f, "window %d %d filter %d value %g slices", sc->win_oy, sc->win_ox, e->filter, (double)sc->window_value);
        for (int j = 0; j < e->n_slices; j++) fprintf(f, " %g", (double)e->slice_sum[j]);
        fputc('\n', f);
        fprintf(f, "window_channels %d %d\n", e->first_channel, e->n_slices); // the filter's group of input channels
        for (int j = 0; j < e->n_slices; j++) {
            char name[32];
            snprintf(name, sizeof name, "prod[%d]", j);
            Grid g = {c->kernel_h, c->kernel_w, (float *)e->products[j]};
            grid_dump(name, &g, f);
        }
    }
}

// The window of every view (planes, volume, params): one place in all the filter's channels.
static void conv2d_window(const Scene *sc, SceneWindow *w) {
    const Conv2dConfig *c = &((const Conv2dScene *)sc->ext)->cfg;
    *w = (SceneWindow){c->stride_h, c->stride_w, c->pad_top, c->pad_left, c->dilation_h * (c->kernel_h - 1) + 1,
                       c->dilation_w * (c->kernel_w - 1) + 1};
}

static const SceneKind SCENE_CONV2D = {.name = "conv2d", .keys = CONV2D_KEYS, .compute = conv2d_compute, .dump = conv2d_dump,
                                       .window = conv2d_window};
SCENE_KIND_REGISTER(SCENE_CONV2D)
