/* Tests of the engine's speed work (issue 3) for correctness, never for time:
 *  - the thread pool runs every work item exactly once per job;
 *  - the same seed gives bit-identical losses and weights run after run, and
 *    for 1, 2 or 3 threads (the batch is cut by its size, not by threads);
 *  - the vector kernels of every tier this CPU runs (kernels.h: avx512, avx2,
 *    sse2 or neon; each test selects them in turn) agree with the reference
 *    loops on many shapes, including ragged row tails, channel counts that do
 *    not fill a register block, ties and NaN; the convolution test also
 *    checks that the fast kernel really ran (it is not the reference twice).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/conv2d.h"
#include "engine/conv2d_fast.h"
#include "engine/kernels.h"
#include "engine/layers.h"
#include "engine/pool2d.h"
#include "engine/threadpool.h"
#include "engine/trainer.h"
#include "testutil.h"

// ---- helpers ------------------------------------------------------------------------

static CifarSet make_set(int n, uint64_t seed) {
    CifarSet s = {.n = n, .labels = malloc((size_t)n), .pixels = malloc((size_t)n * CIFAR_PIXELS)};
    Rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < n; i++) s.labels[i] = (uint8_t)rng_below(&r, 10);
    for (long i = 0; i < (long)n * CIFAR_PIXELS; i++) s.pixels[i] = (uint8_t)rng_below(&r, 256);
    return s;
}

static float *random_floats(Rng *r, long n) {
    float *p = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    for (long i = 0; i < n; i++) p[i] = (float)(2.0 * rng_uniform(r) - 1.0);
    return p;
}

static float *copy_floats(const float *p, long n) {
    float *q = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    memcpy(q, p, sizeof(float) * (size_t)n);
    return q;
}

// ---- thread pool ---------------------------------------------------------------------

#define ITEMS 37

typedef struct {
    atomic_int runs[ITEMS];
    atomic_int bad_thread;
} PoolProbe;

static void probe_item(void *arg, int item, int t) {
    PoolProbe *p = arg;
    if (t < 0 || t >= 3) atomic_fetch_add(&p->bad_thread, 1);
    atomic_fetch_add(&p->runs[item], 1);
}

Test(threads, pool_runs_every_item_exactly_once_per_job) {
    ThreadPool *pool = threadpool_create(3);
    cr_assert_eq(threadpool_threads(pool), 3);
    for (int job = 0; job < 300; job++) {
        PoolProbe probe;  // a fresh job record on the stack each time, as net.c does
        memset(&probe, 0, sizeof probe);
        int items = 1 + job % ITEMS;
        threadpool_run_items(pool, probe_item, &probe, items);
        cr_assert_eq(atomic_load(&probe.bad_thread), 0);
        for (int i = 0; i < ITEMS; i++)
            cr_assert_eq(atomic_load(&probe.runs[i]), i < items ? 1 : 0, "job %d: item %d ran %d times", job, i,
                         atomic_load(&probe.runs[i]));
    }
    threadpool_free(pool);
}

// ---- determinism and thread-count agreement ----------------------------------------

#define STEPS 30

// Trains STEPS mini-batches; fills losses (STEPS) and returns the final weights (malloc).
static float *train_run(int threads, int batch, float *losses, long *n_params) {
    CifarSet set = make_set(200, 11);
    TrainConfig c = train_config_default();
    c.batch_size = batch;
    c.threads = threads;
    c.epochs = 10;
    c.seed = 5;
    Trainer t;
    ClError err = {0};
    cr_assert_eq(trainer_init(&t, &c, &set, &err), 0, "%s", err.msg);
    for (int s = 0; s < STEPS; s++) cr_assert_eq(trainer_step(&t, &losses[s], &err), 1, "%s", err.msg);
    *n_params = t.net.n_params;
    float *params = copy_floats(t.net.params, t.net.n_params);
    trainer_free(&t);
    free(set.labels);
    free(set.pixels);
    return params;
}

static void check_same_threads_bit_identical(int threads, int batch) {
    float a[STEPS], b[STEPS];
    long n;
    float *pa = train_run(threads, batch, a, &n);
    float *pb = train_run(threads, batch, b, &n);
    cr_assert(memcmp(a, b, sizeof a) == 0, "%d threads, batch %d: losses differ between identical runs", threads, batch);
    cr_assert(memcmp(pa, pb, sizeof(float) * (size_t)n) == 0, "%d threads, batch %d: weights differ", threads, batch);
    free(pa);
    free(pb);
}

Test(threads, same_seed_same_threads_bit_identical_1) { check_same_threads_bit_identical(1, 4); }
Test(threads, same_seed_same_threads_bit_identical_2) { check_same_threads_bit_identical(2, 4); }
Test(threads, same_seed_same_threads_bit_identical_3_uneven) { check_same_threads_bit_identical(3, 5); }

// Chunks depend only on the batch size, so the thread count changes nothing.
Test(threads, thread_counts_give_bit_identical_training) {
    static const int batches[] = {6, 4, 1, 37};
    for (int b = 0; b < 4; b++) {
        float l1[STEPS], l2[STEPS], l3[STEPS];
        long n;
        float *p1 = train_run(1, batches[b], l1, &n);
        float *p2 = train_run(2, batches[b], l2, &n);
        float *p3 = train_run(3, batches[b], l3, &n);
        cr_assert(memcmp(l1, l2, sizeof l1) == 0 && memcmp(l1, l3, sizeof l1) == 0, "batch %d: losses differ", batches[b]);
        cr_assert(memcmp(p1, p2, sizeof(float) * (size_t)n) == 0, "batch %d: weights, 2 threads vs 1", batches[b]);
        cr_assert(memcmp(p1, p3, sizeof(float) * (size_t)n) == 0, "batch %d: weights, 3 threads vs 1", batches[b]);
        cr_assert(l1[0] != l1[STEPS - 1]);  // the runs trained
        free(p1), free(p2), free(p3);
    }
}

Test(threads, more_threads_than_samples_and_changing_thread_count) {
    Net net;
    ClError err = {0};
    cr_assert_eq(net_build_cnnnet(&net, false, 3, &err), 0, "%s", err.msg);
    net_init_params(&net, 3);
    Rng r;
    rng_seed(&r, 4);
    float *x = random_floats(&r, 3L * 3 * 32 * 32);
    uint8_t labels[3] = {1, 7, 2};
    net_forward(&net, x, 3);
    net_backward(&net, labels, 3);
    float *logits1 = copy_floats(net_logits(&net), 30), *grads1 = copy_floats(net.grads, net.n_params);
    int counts[] = {4, 2, 1, 3};
    for (int k = 0; k < 4; k++) {
        net_set_threads(&net, counts[k]);
        cr_assert_eq(net.threads, counts[k]);
        net_forward(&net, x, 3);
        net_backward(&net, labels, 3);
        cr_assert(memcmp(net_logits(&net), logits1, sizeof(float) * 30) == 0, "%d threads: logits differ", counts[k]);
        cr_assert(memcmp(net.grads, grads1, sizeof(float) * (size_t)net.n_params) == 0, "%d threads: gradients differ", counts[k]);
    }
    net_free(&net);
    free(x), free(logits1), free(grads1);
}

// ---- vectorized kernels vs the reference loops ------------------------------------------

// pads: top, bottom, left, right (NULL: none).
static void check_conv_padded(Rng *r, int N, int IC, int OC, int K, int H, int W, bool bias, const int *pads) {
    Conv2dConfig c = conv2d_config(IC, OC, K, K);
    c.has_bias = bias;
    if (pads) c.pad_top = pads[0], c.pad_bottom = pads[1], c.pad_left = pads[2], c.pad_right = pads[3];
    int OH, OW;
    cr_assert_eq(conv2d_output_size(&c, H, W, &OH, &OW, NULL), 0);
    long nx = (long)N * IC * H * W, nw = (long)OC * IC * K * K, no = (long)N * OC * OH * OW;
    float *x = random_floats(r, nx), *w = random_floats(r, nw), *b = random_floats(r, OC), *g = random_floats(r, no);
    float *out = random_floats(r, no), *out_ref = random_floats(r, no);
    char what[128];
    snprintf(what, sizeof what, "%s conv forward N%d %d->%d k%d %dx%d pad %d %d %d %d", kernels_name(), N, IC, OC, K, H, W,
             c.pad_top, c.pad_bottom, c.pad_left, c.pad_right);
    cr_assert(conv2d_forward_fast(out, x, w, bias ? b : NULL, &c, N, H, W), "%s: the fast kernel declined", what);
    conv2d_forward_reference(out_ref, x, w, bias ? b : NULL, &c, N, H, W);
    cr_assert(allclose(out, out_ref, no, 1e-5f, 1e-5f, what));
    // Backward accumulates: start both from the same non-zero buffers.
    float *dx = random_floats(r, nx), *dw = random_floats(r, nw), *db = random_floats(r, OC);
    float *dx_ref = copy_floats(dx, nx), *dw_ref = copy_floats(dw, nw), *db_ref = copy_floats(db, OC);
    cr_assert(conv2d_backward_fast(dx, dw, db, g, x, w, &c, N, H, W), "%s: the fast backward declined", what);
    conv2d_backward_reference(dx_ref, dw_ref, db_ref, g, x, w, &c, N, H, W);
    snprintf(what, sizeof what, "conv dinput N%d %d->%d k%d %dx%d", N, IC, OC, K, H, W);
    cr_assert(allclose(dx, dx_ref, nx, 1e-5f, 1e-4f, what));
    snprintf(what, sizeof what, "conv dweight N%d %d->%d k%d %dx%d", N, IC, OC, K, H, W);
    cr_assert(allclose(dw, dw_ref, nw, 1e-4f, 1e-4f, what));
    snprintf(what, sizeof what, "conv dbias N%d %d->%d k%d %dx%d", N, IC, OC, K, H, W);
    cr_assert(allclose(db, db_ref, OC, 1e-4f, 1e-4f, what));
    // Each of the three gradients alone (the others NULL) gives the same values.
    float *dw2 = copy_floats(dw_ref, nw);
    cr_assert(conv2d_backward_fast(NULL, dw2, NULL, g, x, w, &c, N, H, W));
    conv2d_backward_reference(NULL, dw_ref, NULL, g, x, w, &c, N, H, W);
    cr_assert(allclose(dw2, dw_ref, nw, 1e-4f, 1e-4f, "conv dweight alone"));
    free(x), free(w), free(b), free(g), free(out), free(out_ref), free(dx), free(dw), free(db);
    free(dx_ref), free(dw_ref), free(db_ref), free(dw2);
}

static void check_conv(Rng *r, int N, int IC, int OC, int K, int H, int W, bool bias) {
    check_conv_padded(r, N, IC, OC, K, H, W, bias, NULL);
}

// Runs check(tier) with each vector tier this CPU has selected (never scalar:
// that is the reference itself); asserts there is at least one on x86-64/aarch64.
// The tier in use before is selected again after (tests may share a process).
static void for_each_vector_tier(void (*check)(void)) {
    int tested = 0;
    char before[16];
    snprintf(before, sizeof before, "%s", kernels_name());
    for (const char *const *t = kernels_tiers(); *t; t++) {
        if (strcmp(*t, "scalar") == 0 || !kernels_available(*t)) continue;
        ClError err = {{0}};
        cr_assert_eq(kernels_select(*t, &err), 0, "%s", err.msg);
        check();
        tested++;
    }
    cr_assert_eq(kernels_select(before, NULL), 0);
#if defined(__x86_64__) || defined(__aarch64__)
    cr_assert(tested > 0, "no vector kernel tier to test");
#endif
}

static void check_conv_shapes(void) {
    Rng r;
    rng_seed(&r, 21);
    check_conv(&r, 3, 3, 8, 5, 32, 32, true);     // conv1
    check_conv(&r, 3, 8, 16, 3, 14, 14, true);    // conv2
    check_conv(&r, 1, 1, 1, 1, 1, 1, true);
    check_conv(&r, 2, 9, 20, 3, 35, 40, true);    // rows of 38 columns: three 16-lane chunks
    check_conv(&r, 1, 5, 17, 4, 20, 21, false);   // 17 columns, channel blocks not full
    check_conv(&r, 5, 2, 3, 2, 9, 17, true);      // 5 images: a partial group of 4
    check_conv(&r, 1, 16, 8, 1, 6, 33, true);
    // The other shipped nets: the tutorial's and LeNet-5's 6-channel 5x5
    // convolutions, LeNet-5's C5 (a 1 x 1 output: the Linear form), small_vgg's
    // and dropout.net's 3x3 padding=1 (the padded copy), odd sizes, 'same'.
    check_conv(&r, 2, 3, 6, 5, 32, 32, true);
    check_conv(&r, 2, 6, 16, 5, 14, 14, true);
    check_conv(&r, 3, 16, 120, 5, 5, 5, true);
    check_conv(&r, 2, 7, 5, 3, 3, 3, false);
    static const int one[4] = {1, 1, 1, 1}, same4[4] = {1, 2, 1, 2}, odd[4] = {2, 0, 0, 3};
    check_conv_padded(&r, 2, 3, 16, 3, 32, 32, false, one);
    check_conv_padded(&r, 2, 16, 16, 3, 32, 32, true, one);
    check_conv_padded(&r, 2, 16, 32, 3, 16, 16, false, one);
    check_conv_padded(&r, 2, 32, 32, 3, 16, 16, true, one);
    check_conv_padded(&r, 3, 5, 9, 3, 7, 11, true, one);
    check_conv_padded(&r, 1, 4, 6, 4, 9, 13, true, same4);
    check_conv_padded(&r, 2, 3, 7, 3, 5, 6, true, odd);
    check_conv_padded(&r, 1, 2, 3, 3, 1, 1, true, one);   // a 1 x 1 input, all taps but one on padding
    for (int k = 0; k < 12; k++) {
        int K = 1 + (int)rng_below(&r, 5);
        check_conv(&r, 1 + (int)rng_below(&r, 3), 1 + (int)rng_below(&r, 9), 1 + (int)rng_below(&r, 24), K,
                   K + (int)rng_below(&r, 20), K + (int)rng_below(&r, 40), rng_below(&r, 2) == 0);
    }
    for (int k = 0; k < 8; k++) {
        int K = 1 + (int)rng_below(&r, 5), pads[4];
        for (int i = 0; i < 4; i++) pads[i] = (int)rng_below(&r, 3);
        check_conv_padded(&r, 1 + (int)rng_below(&r, 3), 1 + (int)rng_below(&r, 9), 1 + (int)rng_below(&r, 24), K,
                          K + (int)rng_below(&r, 12), K + (int)rng_below(&r, 30), rng_below(&r, 2) == 0, pads);
    }
}

Test(kernels, conv_fast_matches_reference_on_many_shapes) { for_each_vector_tier(check_conv_shapes); }

// Strides, dilation and groups are the reference loops' (the fast path
// declines and touches nothing; conv2d_forward then runs the reference).
static void check_conv_declines(void) {
    Conv2dConfig c = conv2d_config(4, 4, 3, 3);
    float x[4 * 9 * 9] = {0}, w[4 * 4 * 9] = {0}, b[4] = {0}, out[4 * 16], g[4 * 16] = {0}, dx[4 * 81], dw[4 * 36];
    for (int i = 0; i < 64; i++) out[i] = 7.0f;
    c.stride_h = c.stride_w = 2;
    cr_assert(!conv2d_forward_fast(out, x, w, b, &c, 1, 9, 9));
    cr_assert(!conv2d_backward_fast(dx, dw, b, g, x, w, &c, 1, 9, 9));
    c = conv2d_config(4, 4, 3, 3), c.groups = 2;
    cr_assert(!conv2d_forward_fast(out, x, w, b, &c, 1, 9, 9));
    c = conv2d_config(4, 4, 3, 3), c.dilation_h = 2;
    cr_assert(!conv2d_forward_fast(out, x, w, b, &c, 1, 9, 9));
    for (int i = 0; i < 64; i++) cr_assert_eq(out[i], 7.0f);
}

Test(kernels, conv_fast_declines_strides_dilation_groups) { for_each_vector_tier(check_conv_declines); }

// MaxPool2d(2, 2) by its definition: the first of the window's taps in order
// (0,0) (0,1) (1,0) (1,1) that is strictly greater than all before it, or the
// last NaN.
static void maxpool2x2_by_definition(float *out, int32_t *idx, const float *in, int P, int H, int W) {
    int OH = H / 2, OW = W / 2;
    for (int p = 0; p < P; p++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                float best = -INFINITY;
                int best_i = (2 * oy) * W + 2 * ox;
                for (int t = 0; t < 4; t++) {
                    int i = (2 * oy + t / 2) * W + 2 * ox + t % 2;
                    float v = in[(size_t)p * H * W + i];
                    if (v > best || isnan(v)) best = v, best_i = i;
                }
                out[((size_t)p * OH + oy) * OW + ox] = best;
                idx[((size_t)p * OH + oy) * OW + ox] = best_i;
            }
}

static void check_maxpool(void) {
    Rng r;
    rng_seed(&r, 8);
    static const int sizes[][2] = {{28, 28}, {12, 12}, {2, 2}, {5, 7}, {9, 40}, {3, 66}};
    for (int s = 0; s < 6; s++) {
        int H = sizes[s][0], W = sizes[s][1], P = 3, OH = H / 2, OW = W / 2;
        long n = (long)P * H * W, no = (long)P * OH * OW;
        float *x = malloc(sizeof(float) * (size_t)n);
        // Few distinct values (ties everywhere), some NaN and -inf.
        for (long i = 0; i < n; i++) {
            uint32_t k = rng_below(&r, 12);
            x[i] = k == 0 ? NAN : k == 1 ? -INFINITY : (float)(k % 4);
        }
        float *out = malloc(sizeof(float) * (size_t)no), *want = malloc(sizeof(float) * (size_t)no);
        int32_t *idx = malloc(sizeof(int32_t) * (size_t)no), *want_idx = malloc(sizeof(int32_t) * (size_t)no);
        Pool2dConfig c = pool2d_config(2, 2);
        maxpool2d_forward(out, idx, x, &c, 1, P, H, W);
        maxpool2x2_by_definition(want, want_idx, x, P, H, W);
        for (long i = 0; i < no; i++) {
            cr_assert(idx[i] == want_idx[i], "%s %dx%d: index %ld: %d, want %d", kernels_name(), H, W, i, idx[i], want_idx[i]);
            cr_assert(memcmp(&out[i], &want[i], sizeof(float)) == 0 || (isnan(out[i]) && isnan(want[i])),
                      "%dx%d: value %ld: %g, want %g", H, W, i, out[i], want[i]);
        }
        free(x), free(out), free(want), free(idx), free(want_idx);
    }
}

Test(kernels, maxpool_2x2_matches_its_definition_with_ties_nan_and_inf) { for_each_vector_tier(check_maxpool); }

static void check_linear(void) {
    Rng r;
    rng_seed(&r, 9);
    static const int shapes[][3] = {{4, 576, 128}, {1, 12, 10}, {7, 33, 5}, {2, 16, 1}, {9, 128, 10}};
    for (int s = 0; s < 5; s++) {
        int N = shapes[s][0], IN = shapes[s][1], OUT = shapes[s][2];
        float *x = random_floats(&r, (long)N * IN), *w = random_floats(&r, (long)OUT * IN), *b = random_floats(&r, OUT);
        float *g = random_floats(&r, (long)N * OUT), *out = random_floats(&r, (long)N * OUT);
        float *dx = random_floats(&r, (long)N * IN), *dw = random_floats(&r, (long)OUT * IN), *db = random_floats(&r, OUT);
        double *want = calloc((size_t)N * IN + (size_t)OUT * IN + (size_t)N * OUT + (size_t)OUT, sizeof(double));
        double *want_out = want, *want_dx = want + N * OUT, *want_dw = want_dx + N * IN, *want_db = want_dw + OUT * IN;
        for (int n = 0; n < N; n++)
            for (int o = 0; o < OUT; o++) {
                double acc = b[o];
                for (int i = 0; i < IN; i++) acc += (double)x[n * IN + i] * w[o * IN + i];
                want_out[n * OUT + o] = acc;
            }
        for (int i = 0; i < N * IN; i++) want_dx[i] = dx[i];
        for (int i = 0; i < OUT * IN; i++) want_dw[i] = dw[i];
        for (int o = 0; o < OUT; o++) want_db[o] = db[o];
        for (int n = 0; n < N; n++)
            for (int o = 0; o < OUT; o++) {
                want_db[o] += g[n * OUT + o];
                for (int i = 0; i < IN; i++) {
                    want_dw[o * IN + i] += (double)g[n * OUT + o] * x[n * IN + i];
                    want_dx[n * IN + i] += (double)g[n * OUT + o] * w[o * IN + i];
                }
            }
        linear_forward(out, x, w, b, N, IN, OUT);
        linear_backward(dx, dw, db, g, x, w, N, IN, OUT);
        float *f = malloc(sizeof(float) * ((size_t)N * IN + (size_t)OUT * IN + (size_t)N * OUT + (size_t)OUT));
        for (long i = 0; i < (long)N * IN + (long)OUT * IN + (long)N * OUT + OUT; i++) f[i] = (float)want[i];
        cr_assert(allclose(out, f, (long)N * OUT, 1e-5f, 1e-5f, "linear forward"));
        cr_assert(allclose(dx, f + N * OUT, (long)N * IN, 1e-5f, 1e-5f, "linear din"));
        cr_assert(allclose(dw, f + N * OUT + N * IN, (long)OUT * IN, 1e-5f, 1e-5f, "linear dweight"));
        cr_assert(allclose(db, f + N * OUT + N * IN + OUT * IN, OUT, 1e-5f, 1e-5f, "linear dbias"));
        free(x), free(w), free(b), free(g), free(out), free(dx), free(dw), free(db), free(want), free(f);
    }
}

Test(kernels, linear_matches_scalar_loops) { for_each_vector_tier(check_linear); }

static void check_relu(void) {
    float in[37], out[37], d[37], g[37];
    for (int i = 0; i < 37; i++) in[i] = (float)(i % 5) - 2.0f, d[i] = 1.0f, g[i] = (float)i;
    in[3] = NAN, in[20] = -0.0f, in[36] = INFINITY, in[35] = -INFINITY;
    relu_forward(out, in, 37);
    for (int i = 0; i < 37; i++) {
        float want = in[i] > 0 ? in[i] : (isnan(in[i]) ? in[i] : 0.0f);
        cr_assert(memcmp(&out[i], &want, sizeof want) == 0 || (isnan(out[i]) && isnan(want)), "relu[%d] = %g", i, out[i]);
    }
    relu_backward(d, g, out, 37);
    for (int i = 0; i < 37; i++) {
        float want = !(out[i] <= 0.0f) ? 1.0f + g[i] : 1.0f;
        cr_assert(d[i] == want, "%s relu backward[%d] = %g, want %g", kernels_name(), i, d[i], want);
    }
}

Test(kernels, relu_keeps_nan_zeroes_negative_zero_and_gates_the_gradient) { for_each_vector_tier(check_relu); }

// The optimizer step split across threads (trainer.c) still refuses an update
// that would overflow, with weights, momentum and step count left as they were.
Test(threads, threaded_optimizer_refuses_an_overflowing_update_without_trace) {
    for (int threads = 1; threads <= 3; threads++) {
        CifarSet set = make_set(40, 13);
        TrainConfig c = train_config_default();
        c.threads = threads;
        c.batch_size = 4;
        Trainer t;
        ClError err = {0};
        cr_assert_eq(trainer_init(&t, &c, &set, &err), 0, "%s", err.msg);
        float loss;
        cr_assert_eq(trainer_step(&t, &loss, &err), 1, "%s", err.msg);  // momentum buffers now non-zero
        // Finite momentum buffers and learning rate whose product overflows to inf.
        for (long i = 0; i < t.opt.n; i++) t.opt.state1[i] = 1e30f;
        t.opt.config.lr = 1e10f;
        float *params = copy_floats(t.net.params, t.net.n_params), *buf = copy_floats(t.opt.state1, t.opt.n);
        long steps = t.opt.t;
        cr_assert_eq(trainer_step(&t, &loss, &err), -1, "%d threads: an overflowing update was applied", threads);
        cr_assert(memcmp(params, t.net.params, sizeof(float) * (size_t)t.net.n_params) == 0, "%d threads: weights changed", threads);
        cr_assert(memcmp(buf, t.opt.state1, sizeof(float) * (size_t)t.opt.n) == 0, "%d threads: momentum changed", threads);
        cr_assert_eq(t.opt.t, steps);
        memset(t.opt.state1, 0, sizeof(float) * (size_t)t.opt.n);
        t.opt.config.lr = 0.001f;
        cr_assert_eq(trainer_step(&t, &loss, &err), 1, "%s", err.msg);  // and training goes on
        cr_assert_eq(t.opt.t, steps + 1);
        free(params), free(buf);
        trainer_free(&t);
        free(set.labels), free(set.pixels);
    }
}

// SGD with momentum, weight decay and Nesterov on 1,003 values (a ragged tail
// for every lane count): each vector tier's update is bit-identical to the
// scalar tier's, and its dry run flags the same overflow.
static void sgd_once(const char *tier, float *p, float *buf, const float *g, long n, bool nesterov, int *check) {
    ClError err = {{0}};
    cr_assert_eq(kernels_select(tier, &err), 0, "%s", err.msg);
    OptimizerConfig c = optimizer_default_config(OPTIM_SGD);
    c.lr = 0.01f, c.momentum = 0.9f, c.weight_decay = 1e-3f, c.dampening = nesterov ? 0.0f : 0.1f;
    c.nesterov = nesterov;
    Optimizer opt;
    optimizer_init(&opt, &c, n);
    for (int step = 0; step < 3; step++) optimizer_step(&opt, p, g);
    memcpy(buf, opt.state1, sizeof(float) * (size_t)n);
    opt.config.lr = 3e38f;   // the next update overflows
    *check = optimizer_check(&opt, p, g);
    optimizer_free(&opt);
}

static void check_sgd(void) {
    const char *tier = kernels_name();
    enum { N = 1003 };
    Rng r;
    rng_seed(&r, 17);
    float *g = random_floats(&r, N), *p0 = random_floats(&r, N);
    for (int nesterov = 0; nesterov < 2; nesterov++) {
        float p[N], want_p[N], buf[N], want_buf[N];
        int check, want_check;
        memcpy(p, p0, sizeof p), memcpy(want_p, p0, sizeof p);
        sgd_once("scalar", want_p, want_buf, g, N, nesterov, &want_check);
        sgd_once(tier, p, buf, g, N, nesterov, &check);
        cr_assert(memcmp(p, want_p, sizeof p) == 0, "%s sgd: weights differ from the scalar rule", tier);
        cr_assert(memcmp(buf, want_buf, sizeof buf) == 0, "%s sgd: momentum differs from the scalar rule", tier);
        cr_assert(check == -1 && want_check == -1, "%s sgd: the overflowing dry run passed", tier);
    }
    free(g), free(p0);
}

Test(kernels, sgd_is_bit_identical_to_the_scalar_rule) { for_each_vector_tier(check_sgd); }

// Without CONVLAB_ISA the engine runs the best tier the CPU has: NEON on
// aarch64, a vector tier on x86-64 (make test-aarch64 reads the printed line).
Test(kernels, tier_in_use_is_the_best_for_this_cpu) {
    fprintf(stderr, "kernel tier in use: %s\n", kernels_name());
    const char *forced = getenv("CONVLAB_ISA");
    if (forced && forced[0]) {
        cr_assert_str_eq(kernels_name(), forced);
        return;
    }
    const char *best = NULL;
    for (const char *const *t = kernels_tiers(); *t && !best; t++)
        if (kernels_available(*t)) best = *t;
    cr_assert_str_eq(kernels_name(), best);
#if defined(__aarch64__)
    cr_assert_str_eq(kernels_name(), "neon");
#elif defined(__x86_64__)
    cr_assert_str_neq(kernels_name(), "scalar");
#endif
}
