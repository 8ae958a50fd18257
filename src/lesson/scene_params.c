/* Scene kind "params": why convolution — a fully connected layer against a
 * convolution producing the same outputs from the same input. Counts come
 * from the engine's Conv2dConfig (conv2d_output_size, conv2d_param_count)
 * and the Linear layer's weight shape (out × in, + out biases). For small
 * grids the per-output weights are drawn: a Linear layer has its own n×n
 * grid per output (seeded values); the convolution's are read off the
 * engine by conv2d_backward with a one-hot output gradient — the kernel
 * placed at that output's window, zeros elsewhere: the shared weights.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng.h"
#include "lesson/scene_params.h"

static const char *const PARAMS_KEYS[] = {"input_size", "kernel_size", "in_channels", "out_channels", "bias",
                                          "mode", "outputs", "kernel", "seed", NULL};

static void ext_free(void *p) {
    ParamsScene *e = p;
    free(e->fc_w);
    free(e->conv_w);
    free(e);
}

// The step's layer settings: the convolution's and, for the Linear layer, how many outputs.
typedef struct {
    int n, f, ic, oc;   // input size, kernel size, channels
    int seed, mode;     // seed of the Linear weights; index into MODES
    bool bias;
} ParamsKeys;

static int read_params_keys(ParamsKeys *k, const Lesson *l, const LessonStep *st, ClError *err) {
    static const char *const MODES[] = {"fc", "both", NULL};
    if (lesson_get_int(l, st, "input_size", 4, 1, 64, &k->n, err) != 0) return -1;
    if (lesson_get_int(l, st, "kernel_size", 3, 1, 9, &k->f, err) != 0) return -1;
    if (lesson_get_int(l, st, "in_channels", 1, 1, 64, &k->ic, err) != 0) return -1;
    if (lesson_get_int(l, st, "out_channels", 1, 1, 64, &k->oc, err) != 0) return -1;
    if (lesson_get_int(l, st, "seed", 1, 0, 1 << 30, &k->seed, err) != 0) return -1;
    if (lesson_get_bool(l, st, "bias", false, &k->bias, err) != 0) return -1;
    return lesson_get_choice(l, st, "mode", MODES, 1, &k->mode, err);
}

// Both counts from the engine: the convolution's from its Conv2dConfig, and
// the Linear layer's that maps the same input to the same number of outputs
// (or `outputs`): in·out weights (+ out biases).
static int count_params(ParamsScene *e, const ParamsKeys *k, const Lesson *l, const LessonStep *st, ClError *err) {
    e->mode = k->mode;
    e->n = k->n;
    e->f = k->f;
    e->cfg = conv2d_config(k->ic, k->oc, k->f, k->f);
    e->cfg.has_bias = k->bias;
    ClError ce;
    int kline = st->line;
    lesson_get(st, "kernel_size", &kline);
    if (conv2d_output_size(&e->cfg, k->n, k->n, &e->OH, &e->OW, &ce) != 0)
        return cl_fail(err, "%s:%d: %s", l->path, kline, ce.msg);
    e->conv_params = conv2d_param_count(&e->cfg);
    int outputs;
    if (lesson_get_int(l, st, "outputs", k->oc * e->OH * e->OW, 1, 1 << 24, &outputs, err) != 0) return -1;
    e->fc_in = (long)k->ic * k->n * k->n;
    e->fc_out = outputs;
    e->fc_params = e->fc_in * e->fc_out + (k->bias ? e->fc_out : 0);
    return 0;
}

// "Linear: 16 × 9 = 144" in the formula bar, "Conv2d: 3 × 3 = 9" under it
// (only in the side-by-side mode), each with the bias term when there is one.
static void write_params_formulas(Scene *sc, const ParamsScene *e, const ParamsKeys *k) {
    char a[32], b[32], c[32];
    int oc = k->oc, ic = k->ic, f = k->f;
    fmt_thousands(a, sizeof a, e->fc_in);
    fmt_thousands(b, sizeof b, e->fc_out);
    fmt_thousands(c, sizeof c, e->fc_params);
    if (k->bias)
        snprintf(sc->formula, sizeof sc->formula, "Linear: " ROLE_INPUT "%s" ROLE_PLAIN " \xC3\x97 " ROLE_OUTPUT "%s" ROLE_PLAIN
                 " + " ROLE_OUTPUT "%s" ROLE_PLAIN " = " ROLE_KERNEL "%s" ROLE_PLAIN, a, b, b, c);
    else
        snprintf(sc->formula, sizeof sc->formula, "Linear: " ROLE_INPUT "%s" ROLE_PLAIN " \xC3\x97 " ROLE_OUTPUT "%s" ROLE_PLAIN
                 " = " ROLE_KERNEL "%s" ROLE_PLAIN, a, b, c);
    fmt_thousands(c, sizeof c, e->conv_params);
    if (k->bias)
        snprintf(sc->size_formula, sizeof sc->size_formula, "Conv2d: %d \xC3\x97 %d \xC3\x97 %d\xC3\x97%d + %d = " ROLE_KERNEL "%s" ROLE_PLAIN,
                 oc, ic, f, f, oc, c);
    else if (ic == 1 && oc == 1)
        snprintf(sc->size_formula, sizeof sc->size_formula, "Conv2d: %d \xC3\x97 %d = " ROLE_KERNEL "%s" ROLE_PLAIN, f, f, c);
    else
        snprintf(sc->size_formula, sizeof sc->size_formula, "Conv2d: %d \xC3\x97 %d \xC3\x97 %d\xC3\x97%d = " ROLE_KERNEL "%s" ROLE_PLAIN,
                 oc, ic, f, f, c);
    if (k->mode == 0) sc->size_formula[0] = 0; // the Linear layer alone
}

// The kernel: the `kernel` grid (which must be kernel_size square), or 1..f·f.
static int load_params_kernel(Scene *sc, int f, const Lesson *l, const LessonStep *st, ClError *err) {
    sc->kernel = grid_alloc(f, f);
    if (!lesson_get(st, "kernel", NULL)) {
        for (int i = 0; i < f * f; i++) sc->kernel.v[i] = (float)(i + 1);
        return 0;
    }
    Grid k = {0, 0, NULL};
    if (lesson_get_grid(l, st, "kernel", &k.v, &k.rows, &k.cols, err) != 0) return -1;
    if (k.rows != f || k.cols != f) {
        free(k.v);
        int line;
        lesson_get(st, "kernel", &line);
        return cl_fail(err, "%s:%d: kernel is %dx%d but kernel_size is %d", l->path, line, k.rows, k.cols, f);
    }
    memcpy(sc->kernel.v, k.v, sizeof(float) * (size_t)f * f);
    free(k.v);
    return 0;
}

// The convolution as a matrix: row o is d out[o] / d in, which
// conv2d_backward gives for a one-hot output gradient: the kernel placed at
// o's window, zeros elsewhere (the shared weights the lesson points at).
static void read_conv_matrix(ParamsScene *e, const float *kernel) {
    int n = e->n, no = e->OH * e->OW;
    e->conv_w = cl_calloc((size_t)no * n * n, sizeof(float));
    float *dout = cl_calloc((size_t)no, sizeof(float)), *in = cl_calloc((size_t)n * n, sizeof(float));
    Conv2dConfig c1 = e->cfg;
    c1.has_bias = false;
    for (int o = 0; o < no; o++) {
        memset(dout, 0, sizeof(float) * (size_t)no);
        dout[o] = 1;
        conv2d_backward(e->conv_w + (size_t)o * n * n, NULL, NULL, dout, in, kernel, &c1, 1, n, n);
        for (int i = 0; i < n * n; i++) e->conv_nonzero += e->conv_w[(size_t)o * n * n + i] != 0;
    }
    free(dout);
    free(in);
}

static int params_compute(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err) {
    if (scene_parse_show(l, st, SHOW_FORMULA | SHOW_SIZE | SHOW_IMAGE, &sc->show, err) != 0) return -1;
    if (scene_load_image(sc, l, st, env, err) != 0) return -1;
    if (sc->needs_data) { // the picture only decorates the counts: without data, the counts alone
        sc->needs_data = false;
        sc->error[0] = 0;
        sc->from_image = false;
    }
    ParamsScene *e = cl_calloc(1, sizeof *e);
    sc->ext = e;
    sc->ext_free = ext_free;
    ParamsKeys k;
    if (read_params_keys(&k, l, st, err) != 0) return -1;
    if (count_params(e, &k, l, st, err) != 0) return -1;
    write_params_formulas(sc, e, &k);
    // per-output weights, only for grids small enough to draw
    long outputs = e->fc_out;
    int n = k.n;
    e->drawable = k.ic == 1 && k.oc == 1 && n <= 8 && outputs <= 25 && (k.mode == 0 || outputs == e->OH * e->OW);
    if (!e->drawable) return 0;
    Rng r;
    rng_seed(&r, (uint64_t)k.seed);
    e->fc_w = cl_malloc(sizeof(float) * (size_t)outputs * n * n);
    for (long i = 0; i < outputs * n * n; i++) e->fc_w[i] = (float)(rng_uniform(&r) * 2 - 1);
    if (load_params_kernel(sc, k.f, l, st, err) != 0) return -1;
    if (k.mode == 1) read_conv_matrix(e, sc->kernel.v);
    return 0;
}

static void params_dump(const Scene *sc, FILE *f) {
    const ParamsScene *e = sc->ext;
    if (!e) return;
    fprintf(f, "input %d %d %d kernel %d output %d %d %d\n", e->cfg.in_channels, e->n, e->n, e->f, e->cfg.out_channels,
            e->OH, e->OW);
    fprintf(f, "linear in %ld out %ld params %ld\n", e->fc_in, e->fc_out, e->fc_params);
    fprintf(f, "conv params %ld\n", e->conv_params);
    if (e->conv_w) {
        int no = e->OH * e->OW;
        fprintf(f, "conv as matrix %d x %d nonzero %ld\n", no, e->n * e->n, e->conv_nonzero);
        for (int o = 0; o < no; o++) {
            fprintf(f, "  row %d:", o);
            for (int i = 0; i < e->n * e->n; i++) fprintf(f, " %g", (double)e->conv_w[(size_t)o * e->n * e->n + i]);
            fputc('\n', f);
        }
    }
}

static const SceneKind SCENE_PARAMS = {.name = "params", .keys = PARAMS_KEYS, .compute = params_compute, .dump = params_dump};
SCENE_KIND_REGISTER(SCENE_PARAMS)
