/* Tests of the ops the net files add: src/engine/activations.c (LeakyReLU, Tanh,
 * Sigmoid), dropout.c and batchnorm2d.c. PyTorch fixtures (newop_* from
 * tests/gen_newops_fixtures.py), PyTorch's rejections, exact values at the
 * edges, Dropout's mask statistics and reproducibility (PyTorch's generator is
 * not ours, so its fixtures give the mask), and finite-difference checks of
 * every backward.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/activations.h"
#include "engine/batchnorm2d.h"
#include "engine/dropout.h"
#include "engine/rng.h"
#include "testutil.h"

// The references are float64 from float32 inputs: these bound convlab's float32 rounding.
#define ACT_ATOL 1e-6f
#define ACT_RTOL 1e-6f
#define BN_ATOL 1e-5f
#define BN_RTOL 1e-5f

// ---- helpers ----------------------------------------------------------------------------

static double max_abs_diff(const float *a, const float *b, long n) {
    double m = 0;
    for (long i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

// Compares and records the largest |error| in *worst; what names the fixture and tensor.
static void expect_close(const float *got, const float *want, long n, float atol, float rtol, const char *name,
                         const char *tensor, double *worst) {
    char what[256];
    snprintf(what, sizeof what, "%s %s", name, tensor);
    cr_expect(allclose(got, want, n, atol, rtol, what), "%s: %s differs from PyTorch", name, tensor);
    if (worst) *worst = fmax(*worst, max_abs_diff(got, want, n));
}

static double meta_double(const StFile *f, const char *key) {
    const char *v = st_meta(f, key);
    cr_assert(v != NULL, "fixture has no metadata \"%s\"", key);
    return strtod(v, NULL);
}

static float *zeros(long n) { return calloc((size_t)n, sizeof(float)); }



// ---- activations: PyTorch fixtures ------------------------------------------------------------

typedef enum { ACT_LEAKY, ACT_TANH, ACT_SIGMOID } ActKind;

static void act_forward(ActKind k, float *out, const float *x, float slope, long n) {
    if (k == ACT_LEAKY) leaky_relu_forward(out, x, slope, n);
    else if (k == ACT_TANH) tanh_forward(out, x, n);
    else sigmoid_forward(out, x, n);
}

// LeakyReLU's backward reads the input, Tanh's and Sigmoid's the output (as PyTorch's).
static void act_backward(ActKind k, float *dx, const float *dout, const float *x, const float *out, float slope,
                         long n) {
    if (k == ACT_LEAKY) leaky_relu_backward(dx, dout, x, slope, n);
    else if (k == ACT_TANH) tanh_backward(dx, dout, out, n);
    else sigmoid_backward(dx, dout, out, n);
}

static void check_activation_fixtures(ActKind kind, const char *prefix, int min_count) {
    char **names;
    int n = fixture_list(prefix, &names);
    cr_assert_geq(n, min_count, "expected the %s* fixtures (run tests/gen_newops_fixtures.py), found %d", prefix, n);
    double worst[2] = {0};
    for (int i = 0; i < n; i++) {
        StFile f;
        fixture_open(&f, names[i]);
        int64_t nx;
        const float *x = fixture_f32(&f, "x", &nx), *want = fixture_f32(&f, "out", NULL);
        const float *dout = fixture_f32(&f, "dout", NULL), *want_dx = fixture_f32(&f, "dx", NULL);
        float slope = kind == ACT_LEAKY ? (float)meta_double(&f, "negative_slope") : 0.0f;
        cr_assert_eq(nx, fixture_meta_int(&f, "n"), "%s: sizes", names[i]);
        float *out = malloc(sizeof(float) * (size_t)nx), *dx = zeros(nx);
        act_forward(kind, out, x, slope, nx);
        expect_close(out, want, nx, ACT_ATOL, ACT_RTOL, names[i], "out", &worst[0]);
        act_backward(kind, dx, dout, x, out, slope, nx);
        expect_close(dx, want_dx, nx, ACT_ATOL, ACT_RTOL, names[i], "dx", &worst[1]);
        act_backward(kind, dx, dout, x, out, slope, nx);   // accumulates: exactly twice the gradient
        for (long j = 0; j < nx; j++) dx[j] *= 0.5f;
        expect_close(dx, want_dx, nx, ACT_ATOL, ACT_RTOL, names[i], "dx accumulated/2", NULL);
        act_forward(kind, out, out, slope, 0);              // n = 0 touches nothing
        memcpy(dx, x, sizeof(float) * (size_t)nx);
        act_forward(kind, dx, dx, slope, nx);              // in place
        cr_expect(memcmp(dx, out, sizeof(float) * (size_t)nx) == 0, "%s: in-place forward differs", names[i]);
        free(out), free(dx);
        st_free(&f);
        free(names[i]);
    }
    free(names);
    cr_log_info("%s*: %d PyTorch fixtures, max |err| out %.3g dx %.3g", prefix, n, worst[0], worst[1]);
}

Test(newops, leaky_relu_pytorch_fixtures) { check_activation_fixtures(ACT_LEAKY, "newop_leakyrelu_", 5); }
Test(newops, tanh_pytorch_fixtures) { check_activation_fixtures(ACT_TANH, "newop_tanh_", 3); }
Test(newops, sigmoid_pytorch_fixtures) { check_activation_fixtures(ACT_SIGMOID, "newop_sigmoid_", 3); }

// ---- activations: exact values ----------------------------------------------------------------

Test(newops, leaky_relu_exact) {
    float x[5] = {-2.0f, 0.0f, 3.0f, -0.0f, NAN}, out[5], dx[5] = {0}, dout[5] = {1, 1, 1, 1, 1};
    leaky_relu_forward(out, x, 0.25f, 5);
    cr_expect(out[0] == -0.5f && out[1] == 0 && out[2] == 3 && out[3] == 0 && signbit(out[3]),
              "leaky_relu: %g %g %g %g", out[0], out[1], out[2], out[3]);
    cr_expect(isnan(out[4]), "leaky_relu(nan) is nan, got %g", out[4]);
    // PyTorch 1.13: x > 0 ? grad : grad * slope, so x = 0 and x = NaN take the slope.
    leaky_relu_backward(dx, dout, x, 0.25f, 5);
    cr_expect(dx[0] == 0.25f && dx[1] == 0.25f && dx[2] == 1 && dx[3] == 0.25f && dx[4] == 0.25f,
              "leaky_relu grad: %g %g %g %g %g", dx[0], dx[1], dx[2], dx[3], dx[4]);
    // A negative slope flips negative inputs; slope 0 is ReLU except at x = 0 in backward.
    leaky_relu_forward(out, x, -1.0f, 3);
    cr_expect(out[0] == 2 && out[2] == 3, "slope -1: %g %g", out[0], out[2]);
}

Test(newops, tanh_sigmoid_exact) {
    float x[5] = {0.0f, 20.0f, -20.0f, 100.0f, -100.0f}, y[5], dx[5] = {0}, dout[5] = {1, 1, 1, 1, 1};
    tanh_forward(y, x, 5);
    cr_expect(y[0] == 0 && y[1] == 1 && y[2] == -1 && y[3] == 1 && y[4] == -1, "tanh: %g %g %g", y[0], y[1], y[2]);
    tanh_backward(dx, dout, y, 5);
    cr_expect(dx[0] == 1 && dx[1] == 0 && dx[2] == 0, "tanh grad: %g %g %g", dx[0], dx[1], dx[2]);
    sigmoid_forward(y, x, 5);
    // expf(100) overflows to inf: 1 / (1 + inf) = 0, never NaN.
    cr_expect(y[0] == 0.5f && y[3] == 1 && y[4] == 0 && !isnan(y[4]), "sigmoid: %g %g %g", y[0], y[3], y[4]);
    memset(dx, 0, sizeof dx);
    sigmoid_backward(dx, dout, y, 5);
    cr_expect(dx[0] == 0.25f && dx[3] == 0 && dx[4] == 0, "sigmoid grad: %g %g %g", dx[0], dx[3], dx[4]);
    float nan_in = NAN, nan_out;
    sigmoid_forward(&nan_out, &nan_in, 1);
    cr_expect(isnan(nan_out), "sigmoid(nan) is nan");
    tanh_forward(&nan_out, &nan_in, 1);
    cr_expect(isnan(nan_out), "tanh(nan) is nan");
}

// ---- Dropout: PyTorch fixtures (mask given) ----------------------------------------------------

// PyTorch's own F.dropout in float32 with its mask read back: out and dx must
// match bit for bit (the same float multiply by the same rounded scale).
Test(newops, dropout_pytorch_fixtures_given_mask) {
    char **names;
    int n = fixture_list("newop_dropout_", &names);
    cr_assert_geq(n, 6, "expected the newop_dropout_* fixtures, found %d", n);
    for (int i = 0; i < n; i++) {
        StFile f;
        fixture_open(&f, names[i]);
        int64_t nx;
        const float *x = fixture_f32(&f, "x", &nx), *want = fixture_f32(&f, "out", NULL);
        const float *dout = fixture_f32(&f, "dout", NULL), *want_dx = fixture_f32(&f, "dx", NULL);
        const StTensor *m = st_find(&f, "mask");
        cr_assert(m && m->dtype == ST_U8 && st_numel(m) == nx, "%s: mask must be U8 (n)", names[i]);
        const uint8_t *mask = m->data;
        double p = meta_double(&f, "p");
        cr_assert_eq(dropout_check(p, NULL), 0, "%s: p %g refused", names[i], p);
        float *out = malloc(sizeof(float) * (size_t)nx), *dx = zeros(nx);
        dropout_forward(out, x, mask, p, nx);
        expect_close(out, want, nx, 0, 0, names[i], "out", NULL);
        dropout_backward(dx, dout, mask, p, nx);
        expect_close(dx, want_dx, nx, 0, 0, names[i], "dx", NULL);
        // p = 0 and p = 1 draw nothing: our own mask for them is PyTorch's.
        if (p == 0.0 || p == 1.0) {
            uint8_t *own = malloc((size_t)nx);
            Rng r;
            rng_seed(&r, 1);
            dropout_sample_mask(own, &r, p, nx);
            cr_expect(memcmp(own, mask, (size_t)nx) == 0, "%s: mask for p = %g differs", names[i], p);
            free(own);
        }
        free(out), free(dx);
        st_free(&f);
        free(names[i]);
    }
    free(names);
}

// ---- Dropout: our generator --------------------------------------------------------------------

#define DROP_N 1000000L

// Over 10^6 elements the kept fraction is 1 - p within 5 standard deviations
// (sqrt(p(1-p)/n) <= 5e-4): a mask of the wrong probability (p for 1 - p, or a
// constant) is far outside. The seed is fixed, so this cannot flake.
Test(newops, dropout_mask_fraction) {
    uint8_t *mask = malloc(DROP_N);
    const double ps[] = {0.1, 0.25, 0.5, 0.8, 0.95};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        Rng r;
        rng_seed(&r, 42 + k);
        dropout_sample_mask(mask, &r, ps[k], DROP_N);
        long kept = 0, runs = 1;
        for (long i = 0; i < DROP_N; i++) kept += mask[i] == 1, runs += i > 0 && mask[i] != mask[i - 1];
        for (long i = 0; i < DROP_N; i++) cr_assert(mask[i] <= 1, "mask[%ld] = %d", i, mask[i]);
        double frac = (double)kept / DROP_N, sd = sqrt(ps[k] * (1 - ps[k]) / DROP_N);
        cr_expect(fabs(frac - (1 - ps[k])) < 5 * sd, "p %g: kept %.5f, want %.5f +- %.5f", ps[k], frac, 1 - ps[k], 5 * sd);
        // Independent draws: runs of equal values number 2 n p (1 - p) + 1 on average.
        double want_runs = 2.0 * DROP_N * ps[k] * (1 - ps[k]) + 1;
        cr_expect(fabs(runs - want_runs) < 0.02 * want_runs, "p %g: %ld runs, want about %.0f", ps[k], runs, want_runs);
    }
    free(mask);
}

// Kept values are in * scale exactly (scale = 1.0f / (float)(1 - p)), dropped
// ones 0; backward passes dout * scale through the same elements only.
Test(newops, dropout_scale_and_backward_use_the_mask) {
    const long n = 4096;
    const double p = 0.3;
    float *x = test_rand_buf(n, 2.0f), *out = zeros(n), *dout = test_rand_buf(n, 1.0f), *dx = zeros(n);
    for (long i = 0; i < n; i++) x[i] = copysignf(fabsf(x[i]) + 0.01f, x[i]);   // no zeros
    uint8_t *mask = malloc((size_t)n);
    Rng r;
    rng_seed(&r, 7);
    dropout_sample_mask(mask, &r, p, n);
    const float scale = 1.0f / (float)(1.0 - p);
    cr_expect_eq(dropout_scale(p), scale, "scale %.9g, want %.9g", dropout_scale(p), scale);
    dropout_forward(out, x, mask, p, n);
    dropout_backward(dx, dout, mask, p, n);
    for (long i = 0; i < n; i++) {
        float want = mask[i] ? x[i] * scale : 0.0f, want_d = mask[i] ? dout[i] * scale : 0.0f;
        cr_assert(out[i] == want && dx[i] == want_d, "[%ld] mask %d: out %.9g want %.9g, dx %.9g want %.9g", i, mask[i],
                  out[i], want, dx[i], want_d);
        cr_assert_eq(out[i] != 0.0f, mask[i] == 1, "[%ld]: zero where kept or kept where dropped", i);
    }
    dropout_forward(x, x, mask, p, n);   // in place
    cr_expect(memcmp(x, out, sizeof(float) * (size_t)n) == 0, "in-place dropout differs");
    free(x), free(out), free(dout), free(dx), free(mask);
}

// Same seed, same mask; another seed, another mask; a mask drawn in two pieces
// in index order is the mask drawn at once (a batch split changes nothing).
Test(newops, dropout_mask_reproducible) {
    const long n = 10000;
    uint8_t *a = malloc((size_t)n), *b = malloc((size_t)n), *c = malloc((size_t)n);
    Rng r1, r2, r3;
    rng_seed(&r1, 2024), rng_seed(&r2, 2024), rng_seed(&r3, 2025);
    dropout_sample_mask(a, &r1, 0.5, n);
    dropout_sample_mask(b, &r2, 0.5, 3000);
    dropout_sample_mask(b + 3000, &r2, 0.5, n - 3000);
    dropout_sample_mask(c, &r3, 0.5, n);
    cr_expect(memcmp(a, b, (size_t)n) == 0, "same seed, different masks");
    cr_expect(memcmp(a, c, (size_t)n) != 0, "different seeds, same mask");
    // The next mask of a run is a new one.
    dropout_sample_mask(b, &r1, 0.5, n);
    cr_expect(memcmp(a, b, (size_t)n) != 0, "two draws gave the same mask");
    free(a), free(b), free(c);
}

// Eval (mask NULL) and p = 0 are the identity, bit for bit, NaN included;
// p = 1 zeroes everything (in * 0, so NaN stays NaN) and draws nothing.
Test(newops, dropout_eval_and_edge_probabilities) {
    float x[4] = {1.5f, -2.0f, NAN, 0.0f}, out[4], dx[4] = {0}, dout[4] = {1, 2, 3, 4};
    uint8_t ones[4] = {1, 1, 1, 1};
    dropout_forward(out, x, NULL, 0.5, 4);
    cr_expect(memcmp(out, x, sizeof x) == 0, "eval is not the identity");
    dropout_backward(dx, dout, NULL, 0.5, 4);
    cr_expect(dx[0] == 1 && dx[1] == 2 && dx[2] == 3 && dx[3] == 4, "eval backward is not the identity");
    dropout_forward(out, x, ones, 0.0, 4);
    cr_expect(memcmp(out, x, sizeof x) == 0, "p = 0 is not the identity");
    dropout_forward(out, x, ones, 1.0, 4);   // even a mask of ones: p = 1 keeps nothing
    cr_expect(out[0] == 0 && out[1] == 0 && signbit(out[1]) && isnan(out[2]) && out[3] == 0,
              "p = 1: %g %g %g %g", out[0], out[1], out[2], out[3]);
    memset(dx, 0, sizeof dx);
    dropout_backward(dx, dout, ones, 1.0, 4);
    cr_expect(dx[0] == 0 && dx[1] == 0 && dx[2] == 0 && dx[3] == 0, "p = 1 backward passes a gradient");
    Rng r, before;
    rng_seed(&r, 9);
    before = r;
    uint8_t m[4];
    dropout_sample_mask(m, &r, 0.0, 4);
    dropout_sample_mask(m, &r, 1.0, 4);
    cr_expect(memcmp(&r, &before, sizeof r) == 0, "p = 0 or 1 drew random numbers");
    cr_expect_eq(dropout_scale(1.0), 0.0f);
    cr_expect_eq(dropout_scale(0.0), 1.0f);
    cr_expect_eq(dropout_scale(0.5), 2.0f);
}

Test(newops, dropout_rejects_what_pytorch_rejects) {
    char **names;
    int n = fixture_list("newop_invalid_dropout_", &names);
    cr_assert_geq(n, 2, "expected the newop_invalid_dropout_* fixtures, found %d", n);
    for (int i = 0; i < n; i++) {
        StFile f;
        fixture_open(&f, names[i]);
        ClError err = {0};
        const char *key = fixture_meta_str(&f, "key_phrase", "?");
        cr_expect_eq(dropout_check(meta_double(&f, "p"), &err), -1, "%s: accepted", names[i]);
        cr_expect(strstr(err.msg, key) != NULL, "%s: message \"%s\" lacks PyTorch's \"%s\"", names[i], err.msg, key);
        st_free(&f);
        free(names[i]);
    }
    free(names);
    ClError err = {0};
    cr_expect_eq(dropout_check(NAN, &err), -1, "NaN accepted");
    cr_expect(dropout_check(0.0, NULL) == 0 && dropout_check(1.0, NULL) == 0, "0 and 1 refused");
}

// ---- BatchNorm2d: PyTorch fixtures -------------------------------------------------------------

static BatchNorm2dConfig bn_config_from_meta(const StFile *f) {
    BatchNorm2dConfig c = batchnorm2d_config(fixture_meta_int(f, "C"));
    c.eps = meta_double(f, "eps");
    const char *mom = fixture_meta_str(f, "momentum", "?");
    c.cumulative = strcmp(mom, "None") == 0;
    if (!c.cumulative) c.momentum = strtod(mom, NULL);
    c.affine = fixture_meta_int(f, "affine") != 0;
    c.track_running_stats = fixture_meta_int(f, "track_running_stats") != 0;
    return c;
}

// The state one fixture's layer holds, as a net layer would hold it.
typedef struct {
    BatchNorm2dConfig c;
    int N, C, H, W;
    long n;                      // N*C*H*W
    const float *weight, *bias;  // (C) or NULL
    float *running_mean, *running_var; // (C) or NULL
    int64_t num_batches_tracked;
    float *save_mean, *save_invstd;    // (C)
    double worst[5];             // max |err|: out, dx, dweight, dbias, running stats
} BnRun;

// One forward in the given mode and its backward, compared with the fixture's
// <prefix>out, <prefix>dx, <prefix>dweight, <prefix>dbias.
static void bn_check_step(BnRun *b, const StFile *f, const char *name, const char *prefix, bool training) {
    char key[64];
    snprintf(key, sizeof key, "%sx", prefix);
    int64_t nx;
    const float *x = fixture_f32(f, key, &nx);
    cr_assert_eq(nx, b->n, "%s: %s has %lld values", name, key, (long long)nx);
    ClError err = {0};
    cr_assert_eq(batchnorm2d_check_input(&b->c, b->N, b->C, b->H, b->W, training, &err), 0, "%s: %s", name, err.msg);
    float *out = zeros(b->n), *dx = zeros(b->n), *dw = zeros(b->C), *db = zeros(b->C);
    batchnorm2d_forward(out, b->save_mean, b->save_invstd, b->running_mean, b->running_var, &b->num_batches_tracked,
                        x, b->weight, b->bias, &b->c, training, b->N, b->C, b->H, b->W);
    snprintf(key, sizeof key, "%sout", prefix);
    expect_close(out, fixture_f32(f, key, NULL), b->n, BN_ATOL, BN_RTOL, name, key, &b->worst[0]);
    snprintf(key, sizeof key, "%sdout", prefix);
    const float *dout = fixture_f32(f, key, NULL);
    bool batch = batchnorm2d_uses_batch_stats(&b->c, training);
    batchnorm2d_backward(dx, b->c.affine ? dw : NULL, b->c.affine ? db : NULL, dout, x, b->weight, b->save_mean,
                         b->save_invstd, batch, b->N, b->C, b->H, b->W);
    snprintf(key, sizeof key, "%sdx", prefix);
    expect_close(dx, fixture_f32(f, key, NULL), b->n, BN_ATOL, BN_RTOL, name, key, &b->worst[1]);
    if (b->c.affine) {
        snprintf(key, sizeof key, "%sdweight", prefix);
        expect_close(dw, fixture_f32(f, key, NULL), b->C, BN_ATOL, BN_RTOL, name, key, &b->worst[2]);
        snprintf(key, sizeof key, "%sdbias", prefix);
        expect_close(db, fixture_f32(f, key, NULL), b->C, BN_ATOL, BN_RTOL, name, key, &b->worst[3]);
    }
    free(out), free(dx), free(dw), free(db);
}

static void bn_check_running(BnRun *b, const StFile *f, const char *name, int step) {
    if (!b->c.track_running_stats) return;
    char key[64];
    snprintf(key, sizeof key, "running_mean_%d", step);
    expect_close(b->running_mean, fixture_f32(f, key, NULL), b->C, BN_ATOL, BN_RTOL, name, key, &b->worst[4]);
    snprintf(key, sizeof key, "running_var_%d", step);
    expect_close(b->running_var, fixture_f32(f, key, NULL), b->C, BN_ATOL, BN_RTOL, name, key, &b->worst[4]);
}

// Three training steps (forward and backward on the first, the running
// statistics after each), then eval with what they left.
static void bn_check_fixture(const char *name, double *worst) {
    StFile f;
    fixture_open(&f, name);
    BnRun b = {.c = bn_config_from_meta(&f), .N = fixture_meta_int(&f, "N"), .C = fixture_meta_int(&f, "C"),
               .H = fixture_meta_int(&f, "H"), .W = fixture_meta_int(&f, "W")};
    b.n = (long)b.N * b.C * b.H * b.W;
    ClError err = {0};
    cr_assert_eq(batchnorm2d_check_config(&b.c, &err), 0, "%s: %s", name, err.msg);
    if (b.c.affine) b.weight = fixture_f32(&f, "weight", NULL), b.bias = fixture_f32(&f, "bias", NULL);
    if (b.c.track_running_stats) {
        b.running_mean = zeros(b.C), b.running_var = zeros(b.C);
        memcpy(b.running_mean, fixture_f32(&f, "running_mean_0", NULL), sizeof(float) * (size_t)b.C);
        memcpy(b.running_var, fixture_f32(&f, "running_var_0", NULL), sizeof(float) * (size_t)b.C);
    }
    b.save_mean = zeros(b.C), b.save_invstd = zeros(b.C);
    bn_check_step(&b, &f, name, "train_", true);
    bn_check_running(&b, &f, name, 1);
    float *out = zeros(b.n);
    for (int step = 2; step <= 3; step++) {
        char key[16];
        snprintf(key, sizeof key, "x%d", step);
        batchnorm2d_forward(out, b.save_mean, b.save_invstd, b.running_mean, b.running_var, &b.num_batches_tracked,
                            fixture_f32(&f, key, NULL), b.weight, b.bias, &b.c, true, b.N, b.C, b.H, b.W);
        bn_check_running(&b, &f, name, step);
    }
    if (b.c.track_running_stats) {
        int64_t want;
        memcpy(&want, fixture_i64(&f, "num_batches_tracked", NULL), sizeof want);
        cr_expect_eq(b.num_batches_tracked, want, "%s: num_batches_tracked %lld, PyTorch %lld", name,
                     (long long)b.num_batches_tracked, (long long)want);
    } else {
        cr_expect_eq(b.num_batches_tracked, 0, "%s: untracked layer counted batches", name);
    }
    bn_check_step(&b, &f, name, "eval_", false);
    cr_expect_eq(b.num_batches_tracked, b.c.track_running_stats ? 3 : 0, "%s: eval counted a batch", name);
    for (int k = 0; k < 5; k++) worst[k] = fmax(worst[k], b.worst[k]);
    free(out), free(b.running_mean), free(b.running_var), free(b.save_mean), free(b.save_invstd);
    st_free(&f);
}

Test(newops, batchnorm2d_pytorch_fixtures) {
    char **names;
    int n = fixture_list("newop_batchnorm2d_", &names);
    cr_assert_geq(n, 12, "expected the newop_batchnorm2d_* fixtures, found %d", n);
    double worst[5] = {0};
    for (int i = 0; i < n; i++) {
        bn_check_fixture(names[i], worst);
        free(names[i]);
    }
    free(names);
    cr_log_info("batchnorm2d: %d PyTorch fixtures (3 training steps, then eval), max |err| out %.3g dx %.3g "
                "dweight %.3g dbias %.3g running stats %.3g", n, worst[0], worst[1], worst[2], worst[3], worst[4]);
}

Test(newops, batchnorm2d_rejects_what_pytorch_rejects) {
    char **names;
    int n = fixture_list("newop_invalid_batchnorm2d_", &names);
    cr_assert_geq(n, 5, "expected the newop_invalid_batchnorm2d_* fixtures, found %d", n);
    for (int i = 0; i < n; i++) {
        StFile f;
        fixture_open(&f, names[i]);
        BatchNorm2dConfig c = batchnorm2d_config(fixture_meta_int(&f, "num_features"));
        c.affine = fixture_meta_int(&f, "affine") != 0;
        c.track_running_stats = fixture_meta_int(&f, "track_running_stats") != 0;
        ClError err = {0};
        int rc = batchnorm2d_check_input(&c, fixture_meta_int(&f, "N"), fixture_meta_int(&f, "C"),
                                         fixture_meta_int(&f, "H"), fixture_meta_int(&f, "W"),
                                         fixture_meta_int(&f, "training") != 0, &err);
        const char *key = fixture_meta_str(&f, "key_phrase", "?");
        cr_expect_eq(rc, -1, "%s: accepted, but PyTorch says \"%s\"", names[i], fixture_meta_str(&f, "torch_error", "?"));
        cr_expect(strstr(err.msg, key) != NULL, "%s: message \"%s\" lacks PyTorch's \"%s\"", names[i], err.msg, key);
        st_free(&f);
        free(names[i]);
    }
    free(names);
    // What PyTorch accepts: any channel count without weights or running stats.
    BatchNorm2dConfig bare = batchnorm2d_config(3);
    bare.affine = bare.track_running_stats = false;
    cr_expect_eq(batchnorm2d_check_input(&bare, 2, 5, 3, 3, true, NULL), 0, "PyTorch accepts this input");
    BatchNorm2dConfig c = batchnorm2d_config(3);
    cr_expect_eq(batchnorm2d_check_input(&c, 1, 3, 1, 1, false, NULL), 0, "eval with running stats takes 1 value");
}

// ---- BatchNorm2d: exact values ------------------------------------------------------------------

// x = 1 2 3 4 in one channel: mean 2.5, biased variance 1.25 normalises, the
// unbiased 5/3 enters the running variance: 0.9 * 1 + 0.1 * 5/3 (momentum 0.1).
Test(newops, batchnorm2d_exact_biased_and_unbiased_variance) {
    const float x[4] = {1, 2, 3, 4};
    float out[4], mean, invstd, rm = 0, rv = 1;
    int64_t nbt = 0;
    BatchNorm2dConfig c = batchnorm2d_config(1);
    c.eps = 0, c.affine = false;
    batchnorm2d_forward(out, &mean, &invstd, &rm, &rv, &nbt, x, NULL, NULL, &c, true, 1, 1, 1, 4);
    for (int i = 0; i < 4; i++) {
        double want = (x[i] - 2.5) / sqrt(1.25);
        cr_expect_float_eq(out[i], (float)want, 1e-6, "out[%d] = %.7g, want %.7g", i, out[i], want);
    }
    cr_expect(mean == 2.5f && nbt == 1, "save_mean %g, num_batches_tracked %lld", mean, (long long)nbt);
    cr_expect_float_eq(invstd, (float)(1 / sqrt(1.25)), 1e-7, "save_invstd %g", invstd);
    cr_expect_float_eq(rm, 0.25f, 1e-7, "running_mean %.8g, want 0.25", rm);
    cr_expect_float_eq(rv, (float)(0.9 + 0.1 * 5.0 / 3.0), 1e-7, "running_var %.8g, want 0.9 + 0.1 * 5/3", rv);
    // momentum=None: the first batch's statistics become the running ones.
    c.cumulative = true, rm = 0, rv = 1, nbt = 0;
    batchnorm2d_forward(out, &mean, &invstd, &rm, &rv, &nbt, x, NULL, NULL, &c, true, 1, 1, 1, 4);
    cr_expect(rm == 2.5f && rv == (float)(5.0 / 3.0), "cumulative: running %.8g %.8g, want 2.5 5/3", rm, rv);
    // The second of two batches weighs 1/2: running_mean = (2.5 + 12.5) / 2.
    const float y[4] = {11, 12, 13, 14};
    batchnorm2d_forward(out, &mean, &invstd, &rm, &rv, &nbt, y, NULL, NULL, &c, true, 1, 1, 1, 4);
    cr_expect(nbt == 2 && rm == 7.5f && rv == (float)(5.0 / 3.0), "cumulative step 2: %lld %.8g %.8g",
              (long long)nbt, rm, rv);
}

// Eval with running_mean 1, running_var 4, eps 0, weight 2, bias 1:
// out = (x - 1) / 2 * 2 + 1 = x; backward din = dout * invstd * weight = dout.
Test(newops, batchnorm2d_exact_eval) {
    const float x[3] = {-1.5f, 0.25f, 7}, w = 2, b = 1, dout[3] = {1, -2, 3};
    float out[3], din[3] = {0}, dw = 0, db = 0, mean, invstd, rm = 1, rv = 4;
    int64_t nbt = 5;
    BatchNorm2dConfig c = batchnorm2d_config(1);
    c.eps = 0;
    batchnorm2d_forward(out, &mean, &invstd, &rm, &rv, &nbt, x, &w, &b, &c, false, 3, 1, 1, 1);
    for (int i = 0; i < 3; i++) cr_expect_eq(out[i], x[i], "out[%d] = %g, want %g", i, out[i], x[i]);
    cr_expect(rm == 1 && rv == 4 && nbt == 5, "eval changed the running statistics");
    cr_expect(mean == 1 && invstd == 0.5f, "eval saved %g %g, want the running 1 and 1/sqrt(4)", mean, invstd);
    batchnorm2d_backward(din, &dw, &db, dout, x, &w, &mean, &invstd, false, 3, 1, 1, 1);
    for (int i = 0; i < 3; i++) cr_expect_eq(din[i], dout[i], "din[%d] = %g, want %g", i, din[i], dout[i]);
    // dweight = sum(dout * (x - 1) / 2), dbias = sum(dout).
    cr_expect(dw == (float)((1 * -2.5 - 2 * -0.75 + 3 * 6) / 2) && db == 2, "dweight %g dbias %g", dw, db);
}

// A constant channel has variance 0: it maps to the bias (with eps = 0 too,
// PyTorch's InvStd gives 0 instead of NaN); without tracking, eval normalises
// with the batch's statistics and touches no running buffer (NULL here).
Test(newops, batchnorm2d_constant_channel_and_untracked) {
    const float x[6] = {3, 3, 3, 1, 2, 6}, w[2] = {2, 2}, b[2] = {0.5f, -1};
    float out[6], out_eval[6], mean[2], invstd[2];
    BatchNorm2dConfig c = batchnorm2d_config(2);
    c.track_running_stats = false;
    for (int k = 0; k < 2; k++) {
        c.eps = k == 0 ? 1e-5 : 0.0;
        batchnorm2d_forward(out, mean, invstd, NULL, NULL, NULL, x, w, b, &c, true, 1, 2, 1, 3);
        for (int i = 0; i < 3; i++) cr_expect_eq(out[i], 0.5f, "eps %g: constant channel out[%d] = %g", c.eps, i, out[i]);
        cr_expect(k == 0 || invstd[0] == 0, "eps 0: invstd %g, want 0 (PyTorch's InvStd)", invstd[0]);
        batchnorm2d_forward(out_eval, mean, invstd, NULL, NULL, NULL, x, w, b, &c, false, 1, 2, 1, 3);
        cr_expect(memcmp(out, out_eval, sizeof out) == 0, "untracked eval differs from training");
    }
    cr_expect(batchnorm2d_uses_batch_stats(&c, false) && batchnorm2d_uses_batch_stats(&c, true));
    c.track_running_stats = true;
    cr_expect(!batchnorm2d_uses_batch_stats(&c, false) && batchnorm2d_uses_batch_stats(&c, true));
}

// Per channel a training output has mean bias and variance weight^2 * var / (var + eps).
Test(newops, batchnorm2d_training_output_is_normalised) {
    enum { N = 3, C = 4, H = 5, W = 6, HW = H * W };
    float *x = test_rand_buf(N * C * HW, 3.0f), out[N * C * HW], mean[C], invstd[C], rm[C], rv[C];
    float w[C] = {1, 2, 0.5f, -1}, b[C] = {0, 1, -2, 0.25f};
    int64_t nbt;
    batchnorm2d_init_running(rm, rv, &nbt, C);
    BatchNorm2dConfig c = batchnorm2d_config(C);
    batchnorm2d_forward(out, mean, invstd, rm, rv, &nbt, x, w, b, &c, true, N, C, H, W);
    for (int ch = 0; ch < C; ch++) {
        double s = 0, ss = 0;
        for (int n = 0; n < N; n++)
            for (int i = 0; i < HW; i++) s += out[(n * C + ch) * HW + i];
        double m = s / (N * HW);
        for (int n = 0; n < N; n++)
            for (int i = 0; i < HW; i++) ss += pow(out[(n * C + ch) * HW + i] - m, 2);
        double var_in = 1.0 / ((double)invstd[ch] * invstd[ch]) - c.eps;
        double want_var = (double)w[ch] * w[ch] * var_in / (var_in + c.eps);
        cr_expect(fabs(m - b[ch]) < 1e-6, "channel %d: mean %g, want %g", ch, m, b[ch]);
        cr_expect(fabs(ss / (N * HW) - want_var) < 1e-5, "channel %d: var %g, want %g", ch, ss / (N * HW), want_var);
    }
    // Same input, same bits: nothing depends on state beyond the arguments.
    float again[N * C * HW];
    batchnorm2d_forward(again, mean, invstd, rm, rv, &nbt, x, w, b, &c, true, N, C, H, W);
    cr_expect(memcmp(out, again, sizeof out) == 0 && nbt == 2, "a second forward differs");
    free(x);
}

// Eval normalises each sample with fixed statistics: a batch split into pieces
// gives the bits of the whole (a net may run eval per sample range).
Test(newops, batchnorm2d_eval_split_is_bit_identical) {
    enum { N = 4, C = 3, H = 2, W = 5, S = C * H * W };
    float *x = test_rand_buf(N * S, 2.0f), whole[N * S], parts[N * S], mean[C], invstd[C];
    float rm[C] = {0.5f, -1, 2}, rv[C] = {0.7f, 1.9f, 0.2f}, w[C] = {1, -2, 3}, b[C] = {0, 1, -1};
    int64_t nbt = 3;
    BatchNorm2dConfig c = batchnorm2d_config(C);
    batchnorm2d_forward(whole, mean, invstd, rm, rv, &nbt, x, w, b, &c, false, N, C, H, W);
    batchnorm2d_forward(parts, mean, invstd, rm, rv, &nbt, x, w, b, &c, false, 1, C, H, W);
    batchnorm2d_forward(parts + S, mean, invstd, rm, rv, &nbt, x + S, w, b, &c, false, 3, C, H, W);
    cr_expect(memcmp(whole, parts, sizeof whole) == 0, "eval on pieces differs from eval on the batch");
    free(x);
}

Test(newops, batchnorm2d_config_checks) {
    BatchNorm2dConfig c = batchnorm2d_config(8);
    cr_expect(c.eps == 1e-5 && c.momentum == 0.1 && c.affine && c.track_running_stats && !c.cumulative,
              "defaults differ from PyTorch's");
    ClError err = {0};
    cr_expect_eq(batchnorm2d_check_config(&c, &err), 0, "%s", err.msg);
    BatchNorm2dConfig bad = c;
    bad.num_features = 0;
    cr_expect(batchnorm2d_check_config(&bad, &err) == -1 && strstr(err.msg, "num_features"), "%s", err.msg);
    bad = c, bad.eps = -1e-3;
    cr_expect(batchnorm2d_check_config(&bad, &err) == -1 && strstr(err.msg, "eps"), "%s", err.msg);
    bad = c, bad.eps = NAN;
    cr_expect(batchnorm2d_check_config(&bad, &err) == -1 && strstr(err.msg, "eps"), "%s", err.msg);
    bad = c, bad.momentum = 1.5;
    cr_expect(batchnorm2d_check_config(&bad, &err) == -1 && strstr(err.msg, "momentum"), "%s", err.msg);
    bad.cumulative = true;   // momentum=None: the number is unused
    cr_expect_eq(batchnorm2d_check_config(&bad, &err), 0, "%s", err.msg);
    float w[2], b[2], rm[2], rv[2];
    int64_t nbt = 7;
    batchnorm2d_init_params(w, b, 2);
    batchnorm2d_init_running(rm, rv, &nbt, 2);
    cr_expect(w[1] == 1 && b[1] == 0 && rm[1] == 0 && rv[1] == 1 && nbt == 0, "initial state differs from PyTorch's");
}

// ---- finite differences ---------------------------------------------------------------------------

typedef enum { FD_LEAKY, FD_TANH, FD_SIGMOID, FD_DROPOUT, FD_BN } FdKind;

typedef struct {
    FdKind kind;
    long n;                          // values of x and out
    float *x, *r, *out;              // (n) input, random upstream weights, output
    float slope;                     // LeakyReLU
    const uint8_t *mask;             // Dropout (n)
    double p;
    BatchNorm2dConfig c;             // BatchNorm2d
    bool training;
    int N, C, H, W;
    float *w, *b, *rm, *rv, *mean, *invstd; // (C) each; w, b NULL without affine
    int64_t nbt;
} OpLoss;

// sum(out * r) in double: its gradient w.r.t. x is the backward of dout = r.
static double op_loss(void *ctx) {
    OpLoss *L = ctx;
    switch (L->kind) {
    case FD_LEAKY: leaky_relu_forward(L->out, L->x, L->slope, L->n); break;
    case FD_TANH: tanh_forward(L->out, L->x, L->n); break;
    case FD_SIGMOID: sigmoid_forward(L->out, L->x, L->n); break;
    case FD_DROPOUT: dropout_forward(L->out, L->x, L->mask, L->p, L->n); break;
    case FD_BN:
        batchnorm2d_forward(L->out, L->mean, L->invstd, L->rm, L->rv, &L->nbt, L->x, L->w, L->b, &L->c, L->training,
                            L->N, L->C, L->H, L->W);
        break;
    }
    double s = 0;
    for (long i = 0; i < L->n; i++) s += (double)L->out[i] * L->r[i];
    return s;
}

static OpLoss op_loss_new(FdKind kind, long n, float x_scale) {
    OpLoss L = {.kind = kind, .n = n};
    L.x = test_rand_buf(n, x_scale), L.r = test_rand_buf(n, 1.0f), L.out = zeros(n);
    return L;
}

static void op_loss_free(OpLoss *L) { free(L->x), free(L->r), free(L->out); }

// The activations at points >= 0.05 from LeakyReLU's kink (step 1e-3), Dropout
// with a sampled mask (linear in x: any step).
Test(newops, finite_differences_activations_dropout) {
    const float slopes[3] = {0.01f, -0.5f, 1.5f};
    for (int k = 0; k < 3; k++) {
        OpLoss L = op_loss_new(FD_LEAKY, 60, 1.0f);
        L.slope = slopes[k];
        for (long i = 0; i < L.n; i++) L.x[i] = copysignf(fabsf(L.x[i]) + 0.05f, L.x[i]);
        float *dx = zeros(L.n);
        leaky_relu_backward(dx, L.r, L.x, L.slope, L.n);
        double e = finite_diff_max_error(op_loss, &L, L.x, L.n, dx, 1e-3f);
        cr_expect_lt(e, 1e-3, "leaky_relu (slope %g) finite-difference error %g", L.slope, e);
        cr_log_info("finite differences: leaky_relu slope %g max error %.2g", L.slope, e);
        free(dx), op_loss_free(&L);
    }
    for (FdKind kind = FD_TANH; kind <= FD_SIGMOID; kind++) {
        OpLoss L = op_loss_new(kind, 60, 3.0f);
        float *dx = zeros(L.n);
        op_loss(&L);
        if (kind == FD_TANH) tanh_backward(dx, L.r, L.out, L.n);
        else sigmoid_backward(dx, L.r, L.out, L.n);
        double e = finite_diff_max_error(op_loss, &L, L.x, L.n, dx, 1e-3f);
        cr_expect_lt(e, 1e-3, "%s finite-difference error %g", kind == FD_TANH ? "tanh" : "sigmoid", e);
        cr_log_info("finite differences: %s max error %.2g", kind == FD_TANH ? "tanh" : "sigmoid", e);
        free(dx), op_loss_free(&L);
    }
    OpLoss D = op_loss_new(FD_DROPOUT, 200, 1.0f);
    uint8_t mask[200];
    Rng rng;
    rng_seed(&rng, 5);
    D.p = 0.4, D.mask = mask;
    dropout_sample_mask(mask, &rng, D.p, D.n);
    float dx[200] = {0};
    dropout_backward(dx, D.r, mask, D.p, D.n);
    double e = finite_diff_max_error(op_loss, &D, D.x, D.n, dx, 1e-2f);
    cr_expect_lt(e, 1e-4, "dropout finite-difference error %g", e);
    cr_log_info("finite differences: dropout p 0.4 max error %.2g", e);
    op_loss_free(&D);
}

// BatchNorm2d w.r.t. x, weight and bias, with batch statistics (where the
// mean and variance depend on x) and with running ones.
static double bn_fd(BatchNorm2dConfig c, bool training, int N, int H, int W) {
    const int C = c.num_features;
    OpLoss L = op_loss_new(FD_BN, (long)N * C * H * W, 2.0f);
    L.c = c, L.training = training, L.N = N, L.C = C, L.H = H, L.W = W;
    L.rm = test_rand_buf(C, 1.0f), L.rv = zeros(C), L.mean = zeros(C), L.invstd = zeros(C);
    for (int i = 0; i < C; i++) L.rv[i] = 0.5f + fabsf(test_rand_sym());
    if (c.affine) {
        L.w = test_rand_buf(C, 1.0f), L.b = test_rand_buf(C, 1.0f);
        for (int i = 0; i < C; i++) L.w[i] += copysignf(0.5f, L.w[i]);
    }
    float *dx = zeros(L.n), *dw = zeros(C), *db = zeros(C);
    op_loss(&L);
    batchnorm2d_backward(dx, dw, db, L.r, L.x, L.w, L.mean, L.invstd, batchnorm2d_uses_batch_stats(&c, training), N, C,
                         H, W);
    double e = finite_diff_max_error(op_loss, &L, L.x, L.n, dx, 1e-2f);
    if (c.affine) {
        e = fmax(e, finite_diff_max_error(op_loss, &L, L.w, C, dw, 1e-2f));
        e = fmax(e, finite_diff_max_error(op_loss, &L, L.b, C, db, 1e-2f));
    }
    free(dx), free(dw), free(db), free(L.rm), free(L.rv), free(L.mean), free(L.invstd), free(L.w), free(L.b);
    op_loss_free(&L);
    return e;
}

Test(newops, finite_differences_batchnorm2d) {
    BatchNorm2dConfig c = batchnorm2d_config(3);
    const struct { const char *what; int affine, track, training, N, H, W; double eps, momentum; } cases[] = {
        {"training", 1, 1, 1, 2, 3, 4, 1e-5, 0.1}, {"training N=1", 1, 1, 1, 1, 2, 5, 1e-5, 0.1},
        {"training 1x1 maps", 1, 1, 1, 4, 1, 1, 1e-3, 0.1}, {"training no affine", 0, 1, 1, 3, 2, 2, 1e-5, 0.3},
        {"eval", 1, 1, 0, 2, 3, 4, 1e-5, 0.1}, {"eval no affine", 0, 1, 0, 2, 2, 3, 0.1, 0.1},
        {"eval untracked (batch statistics)", 1, 0, 0, 2, 3, 2, 1e-5, 0.1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        c.affine = cases[i].affine, c.track_running_stats = cases[i].track;
        c.eps = cases[i].eps, c.momentum = cases[i].momentum;
        double e = bn_fd(c, cases[i].training, cases[i].N, cases[i].H, cases[i].W);
        cr_expect_lt(e, 1e-3, "batchnorm2d %s: finite-difference error %g", cases[i].what, e);
        cr_log_info("finite differences: batchnorm2d %s max error %.2g", cases[i].what, e);
    }
}

// A network that splits a batch across threads: statistics and gradient sums
// on the whole batch, then normalize / backward_input on sample ranges, must
// give the bits of batchnorm2d_forward / batchnorm2d_backward.
Test(newops, batchnorm2d_pieces_are_bit_identical_to_the_whole) {
    enum { N = 5, C = 3, H = 3, W = 4, S = C * H * W };
    float *x = test_rand_buf(N * S, 2.0f), *dout = test_rand_buf(N * S, 1.0f);
    float w[C] = {1.5f, -0.5f, 2}, b[C] = {0.1f, 0, -1};
    for (int training = 0; training <= 1; training++) {
        BatchNorm2dConfig c = batchnorm2d_config(C);
        float rm[2][C], rv[2][C], mean[2][C], invstd[2][C], out[2][N * S], din[2][N * S] = {{0}}, dw[2][C] = {{0}},
              db[2][C] = {{0}};
        int64_t nbt[2];
        for (int k = 0; k < 2; k++) batchnorm2d_init_running(rm[k], rv[k], &nbt[k], C), rm[k][1] = 0.5f, rv[k][2] = 3;
        batchnorm2d_forward(out[0], mean[0], invstd[0], rm[0], rv[0], &nbt[0], x, w, b, &c, training, N, C, H, W);
        batchnorm2d_backward(din[0], dw[0], db[0], dout, x, w, mean[0], invstd[0], training, N, C, H, W);
        batchnorm2d_statistics(mean[1], invstd[1], rm[1], rv[1], &nbt[1], x, &c, training, N, C, H, W);
        const int cuts[3] = {0, 2, N};   // samples [0, 2) and [2, 5)
        for (int p = 0; p < 2; p++)
            batchnorm2d_normalize(out[1] + cuts[p] * S, x + cuts[p] * S, mean[1], invstd[1], w, b, cuts[p + 1] - cuts[p],
                                  C, H, W);
        double sg[C], sgx[C];
        batchnorm2d_backward_sums(sg, sgx, dout, x, mean[1], N, C, H, W);
        batchnorm2d_backward_params(dw[1], db[1], sg, sgx, invstd[1], C);
        for (int p = 0; p < 2; p++)
            batchnorm2d_backward_input(din[1] + cuts[p] * S, dout + cuts[p] * S, x + cuts[p] * S, w, mean[1], invstd[1],
                                       sg, sgx, training, N, cuts[p + 1] - cuts[p], C, H, W);
        const char *mode = training ? "training" : "eval";
        cr_expect(memcmp(out[0], out[1], sizeof out[0]) == 0, "%s: pieces' out differs", mode);
        cr_expect(memcmp(din[0], din[1], sizeof din[0]) == 0, "%s: pieces' din differs", mode);
        cr_expect(memcmp(dw[0], dw[1], sizeof dw[0]) == 0 && memcmp(db[0], db[1], sizeof db[0]) == 0,
                  "%s: pieces' dweight/dbias differ", mode);
        cr_expect(memcmp(rm[0], rm[1], sizeof rm[0]) == 0 && memcmp(rv[0], rv[1], sizeof rv[0]) == 0 &&
                  nbt[0] == nbt[1] && nbt[0] == training, "%s: running statistics differ", mode);
    }
    free(x), free(dout);
}
