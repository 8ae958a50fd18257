/* Tests of src/engine/pool2d.c: PyTorch fixtures for MaxPool2d (values and exact
 * return_indices), AvgPool2d (count_include_pad and ceil_mode both ways) and
 * AdaptiveMaxPool2d(1); PyTorch's rejections; exact values on small grids
 * (ties, NaN, -inf padding, divisors, ceil_mode sizes); finite differences.
 * Fixtures come from tests/gen_op_fixtures.py.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pool2d.h"
#include "testutil.h"

#define ATOL 1e-5f
#define RTOL 1e-4f

// ---- helpers --------------------------------------------------------------------

static double max_abs_diff(const float *a, const float *b, long n) {
    double m = 0;
    for (long i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

static Pool2dConfig config_from_meta(const StFile *f) {
    Pool2dConfig c = pool2d_config(fixture_meta_int(f, "kernel_h"), fixture_meta_int(f, "kernel_w"));
    c.stride_h = fixture_meta_int(f, "stride_h");
    c.stride_w = fixture_meta_int(f, "stride_w");
    c.pad_h = fixture_meta_int(f, "pad_h");
    c.pad_w = fixture_meta_int(f, "pad_w");
    c.dilation_h = fixture_meta_int(f, "dilation_h");
    c.dilation_w = fixture_meta_int(f, "dilation_w");
    c.ceil_mode = fixture_meta_int(f, "ceil_mode") != 0;
    if (st_meta(f, "count_include_pad")) c.count_include_pad = fixture_meta_int(f, "count_include_pad") != 0;
    return c;
}

// Compares int32 indices with PyTorch's int64 ones exactly; reports the first
// mismatch. safetensors does not align tensors, so each I64 is read by memcpy.
static bool indices_equal(const int32_t *got, const int64_t *want, long n, const char *what) {
    for (long i = 0; i < n; i++) {
        int64_t w;
        memcpy(&w, (const char *)want + i * sizeof w, sizeof w);
        if (got[i] != w) {
            fprintf(stderr, "%s: index mismatch at [%ld]: got %d want %lld\n", what, i, got[i], (long long)w);
            return false;
        }
    }
    return true;
}

// ---- PyTorch fixtures: max pool ------------------------------------------------------

static void check_maxpool(const char *name, double *worst, int *drops) {
    StFile f;
    fixture_open(&f, name);
    Pool2dConfig c = config_from_meta(&f);
    int N = fixture_meta_int(&f, "N"), C = fixture_meta_int(&f, "C"), H = fixture_meta_int(&f, "H"), W = fixture_meta_int(&f, "W");
    ClError err = {0};
    int OH, OW;
    cr_assert_eq(maxpool2d_output_size(&c, H, W, &OH, &OW, &err), 0, "%s: %s", name, err.msg);
    cr_assert(OH == fixture_meta_int(&f, "OH") && OW == fixture_meta_int(&f, "OW"),
              "%s: output %d x %d, PyTorch %d x %d", name, OH, OW, fixture_meta_int(&f, "OH"), fixture_meta_int(&f, "OW"));
    *drops += fixture_meta_int(&f, "ceil_drops_last");
    int64_t nx, nout, nidx;
    const float *x = fixture_f32(&f, "x", &nx);
    const float *want = fixture_f32(&f, "out", &nout);
    const int64_t *want_idx = fixture_i64(&f, "indices", &nidx);
    const float *dout = fixture_f32(&f, "dout", NULL);
    const float *want_dx = fixture_f32(&f, "dx", NULL);
    cr_assert(nx == (int64_t)N * C * H * W && nout == (int64_t)N * C * OH * OW && nidx == nout, "%s: sizes", name);

    float *out = malloc(sizeof(float) * (size_t)nout), *dx = calloc((size_t)nx, sizeof(float));
    int32_t *idx = malloc(sizeof(int32_t) * (size_t)nout);
    maxpool2d_forward(out, idx, x, &c, N, C, H, W);
    char what[256];
    snprintf(what, sizeof what, "%s out", name);
    cr_expect(allclose(out, want, nout, 0, 0, what), "%s: max values differ from PyTorch", name);
    snprintf(what, sizeof what, "%s indices", name);
    cr_expect(indices_equal(idx, want_idx, nout, what), "%s: indices differ from PyTorch", name);
    worst[0] = fmax(worst[0], max_abs_diff(out, want, nout));

    // Without indices the values are the same.
    float *out2 = malloc(sizeof(float) * (size_t)nout);
    maxpool2d_forward(out2, NULL, x, &c, N, C, H, W);
    cr_expect(memcmp(out, out2, sizeof(float) * (size_t)nout) == 0, "%s: indices=NULL changes the output", name);

    maxpool2d_backward(dx, dout, idx, N, C, H, W, OH, OW);
    snprintf(what, sizeof what, "%s dx", name);
    cr_expect(allclose(dx, want_dx, nx, ATOL, RTOL, what), "%s: dx differs", name);
    worst[1] = fmax(worst[1], max_abs_diff(dx, want_dx, nx));
    maxpool2d_backward(dx, dout, idx, N, C, H, W, OH, OW);
    float *twice = malloc(sizeof(float) * (size_t)nx);
    for (long i = 0; i < nx; i++) twice[i] = 2 * want_dx[i];
    snprintf(what, sizeof what, "%s dx accumulated", name);
    cr_expect(allclose(dx, twice, nx, 2 * ATOL, RTOL, what), "%s: backward does not accumulate", name);
    free(out), free(out2), free(dx), free(idx), free(twice);
    st_free(&f);
}

Test(pool2d, maxpool_pytorch_fixtures) {
    char **names;
    int n = fixture_list("op_maxpool_", &names), drops = 0;
    cr_assert_geq(n, 15, "expected the op_maxpool_* fixtures (run tests/gen_op_fixtures.py), found %d", n);
    double worst[2] = {0};
    for (int i = 0; i < n; i++) check_maxpool(names[i], worst, &drops), free(names[i]);
    free(names);
    cr_expect_geq(drops, 3, "the fixtures should include ceil_mode cases that drop the last window");
    cr_log_info("maxpool: %d PyTorch fixtures (%d where ceil_mode drops a window), max |err| out %.3g dx %.3g",
                n, drops, worst[0], worst[1]);
}

// ---- PyTorch fixtures: avg pool ------------------------------------------------------

static void check_avgpool(const char *name, double *worst) {
    StFile f;
    fixture_open(&f, name);
    Pool2dConfig c = config_from_meta(&f);
    int N = fixture_meta_int(&f, "N"), C = fixture_meta_int(&f, "C"), H = fixture_meta_int(&f, "H"), W = fixture_meta_int(&f, "W");
    ClError err = {0};
    int OH, OW;
    cr_assert_eq(avgpool2d_output_size(&c, H, W, &OH, &OW, &err), 0, "%s: %s", name, err.msg);
    cr_assert(OH == fixture_meta_int(&f, "OH") && OW == fixture_meta_int(&f, "OW"),
              "%s: output %d x %d, PyTorch %d x %d", name, OH, OW, fixture_meta_int(&f, "OH"), fixture_meta_int(&f, "OW"));
    int64_t nx, nout;
    const float *x = fixture_f32(&f, "x", &nx);
    const float *want = fixture_f32(&f, "out", &nout);
    const float *dout = fixture_f32(&f, "dout", NULL);
    const float *want_dx = fixture_f32(&f, "dx", NULL);
    cr_assert(nx == (int64_t)N * C * H * W && nout == (int64_t)N * C * OH * OW, "%s: sizes", name);

    float *out = malloc(sizeof(float) * (size_t)nout), *dx = calloc((size_t)nx, sizeof(float));
    avgpool2d_forward(out, x, &c, N, C, H, W);
    char what[256];
    snprintf(what, sizeof what, "%s out", name);
    cr_expect(allclose(out, want, nout, ATOL, RTOL, what), "%s: forward differs from PyTorch", name);
    worst[0] = fmax(worst[0], max_abs_diff(out, want, nout));
    avgpool2d_backward(dx, dout, &c, N, C, H, W);
    snprintf(what, sizeof what, "%s dx", name);
    cr_expect(allclose(dx, want_dx, nx, ATOL, RTOL, what), "%s: dx differs", name);
    worst[1] = fmax(worst[1], max_abs_diff(dx, want_dx, nx));
    avgpool2d_backward(dx, dout, &c, N, C, H, W);
    for (long i = 0; i < nx; i++) dx[i] *= 0.5f;
    snprintf(what, sizeof what, "%s dx accumulated/2", name);
    cr_expect(allclose(dx, want_dx, nx, ATOL, RTOL, what), "%s: backward does not accumulate", name);
    free(out), free(dx);
    st_free(&f);
}

Test(pool2d, avgpool_pytorch_fixtures) {
    char **names;
    int n = fixture_list("op_avgpool_", &names);
    cr_assert_geq(n, 32, "expected the op_avgpool_* fixtures, found %d", n);
    double worst[2] = {0};
    for (int i = 0; i < n; i++) check_avgpool(names[i], worst), free(names[i]);
    free(names);
    cr_log_info("avgpool: %d PyTorch fixtures, max |err| out %.3g dx %.3g", n, worst[0], worst[1]);
}

// ---- PyTorch fixtures: global max pool -------------------------------------------------

Test(pool2d, globalmax_pytorch_fixtures) {
    char **names;
    int n = fixture_list("op_globalmax_", &names);
    cr_assert_geq(n, 3, "expected the op_globalmax_* fixtures, found %d", n);
    for (int i = 0; i < n; i++) {
        StFile f;
        fixture_open(&f, names[i]);
        int N = fixture_meta_int(&f, "N"), C = fixture_meta_int(&f, "C"), H = fixture_meta_int(&f, "H"), W = fixture_meta_int(&f, "W");
        int64_t nx, nout;
        const float *x = fixture_f32(&f, "x", &nx);
        const float *want = fixture_f32(&f, "out", &nout);
        const int64_t *want_idx = fixture_i64(&f, "indices", NULL);
        const float *dout = fixture_f32(&f, "dout", NULL);
        const float *want_dx = fixture_f32(&f, "dx", NULL);
        cr_assert(nout == (int64_t)N * C && nx == nout * H * W, "%s: sizes", names[i]);
        float *out = malloc(sizeof(float) * (size_t)nout), *dx = calloc((size_t)nx, sizeof(float));
        int32_t *idx = malloc(sizeof(int32_t) * (size_t)nout);
        global_maxpool_forward(out, idx, x, N, C, H, W);
        cr_expect(allclose(out, want, nout, 0, 0, names[i]), "%s: values differ", names[i]);
        cr_expect(indices_equal(idx, want_idx, nout, names[i]), "%s: indices differ", names[i]);
        global_maxpool_backward(dx, dout, idx, N, C, H, W);
        cr_expect(allclose(dx, want_dx, nx, ATOL, RTOL, names[i]), "%s: dx differs", names[i]);
        free(out), free(dx), free(idx);
        st_free(&f);
        free(names[i]);
    }
    free(names);
}

// ---- rejections -------------------------------------------------------------------------

static void check_rejections(const char *prefix, bool is_max) {
    char **names;
    int n = fixture_list(prefix, &names);
    cr_assert_geq(n, 7, "expected the %s* fixtures, found %d", prefix, n);
    for (int i = 0; i < n; i++) {
        StFile f;
        fixture_open(&f, names[i]);
        Pool2dConfig c = config_from_meta(&f);
        ClError err = {0};
        int OH, OW, H = fixture_meta_int(&f, "H"), W = fixture_meta_int(&f, "W");
        int rc = is_max ? maxpool2d_output_size(&c, H, W, &OH, &OW, &err) : avgpool2d_output_size(&c, H, W, &OH, &OW, &err);
        const char *key = fixture_meta_str(&f, "key_phrase", "?");
        cr_expect_eq(rc, -1, "%s: accepted, but PyTorch says \"%s\"", names[i], fixture_meta_str(&f, "torch_error", "?"));
        cr_expect(strstr(err.msg, key) != NULL, "%s: message \"%s\" lacks PyTorch's phrase \"%s\"", names[i], err.msg, key);
        st_free(&f);
        free(names[i]);
    }
    free(names);
}

Test(pool2d, maxpool_rejects_what_pytorch_rejects) { check_rejections("op_invalid_maxpool_", true); }
Test(pool2d, avgpool_rejects_what_pytorch_rejects) { check_rejections("op_invalid_avgpool_", false); }

Test(pool2d, avgpool_rejects_dilation) {
    Pool2dConfig c = pool2d_config(2, 2);
    c.dilation_w = 2;
    ClError err = {0};
    int OH, OW;
    cr_expect_eq(avgpool2d_output_size(&c, 6, 6, &OH, &OW, &err), -1);
    cr_expect(strstr(err.msg, "dilation") != NULL, "%s", err.msg);
}

// ---- exact values ----------------------------------------------------------------------

static const float GRID4[16] = {1, 5, 2, 0,
                                3, 4, 8, 7,
                                9, 1, 0, 2,
                                6, 6, 3, 1};

Test(pool2d, maxpool_exact_k2) {
    Pool2dConfig c = pool2d_config(2, 2);
    float out[4];
    int32_t idx[4];
    maxpool2d_forward(out, idx, GRID4, &c, 1, 1, 4, 4);
    const float want[4] = {5, 8, 9, 3};
    const int32_t want_idx[4] = {1, 6, 8, 14};
    for (int i = 0; i < 4; i++) {
        cr_expect_eq(out[i], want[i], "out[%d] = %g, want %g", i, out[i], want[i]);
        cr_expect_eq(idx[i], want_idx[i], "idx[%d] = %d, want %d", i, idx[i], want_idx[i]);
    }
    // Backward scatters each gradient to its argmax; everything else stays 0.
    float dout[4] = {1, 2, 3, 4}, din[16] = {0};
    maxpool2d_backward(din, dout, idx, 1, 1, 4, 4, 2, 2);
    for (int i = 0; i < 16; i++) {
        float w = i == 1 ? 1 : i == 6 ? 2 : i == 8 ? 3 : i == 14 ? 4 : 0;
        cr_expect_eq(din[i], w, "din[%d] = %g, want %g", i, din[i], w);
    }
}

// k3 s1 p1: overlapping windows share argmaxes, so backward must add them up.
Test(pool2d, maxpool_exact_overlap_padding) {
    Pool2dConfig c = pool2d_config(3, 3);
    c.stride_h = c.stride_w = 1;
    c.pad_h = c.pad_w = 1;
    float out[16];
    int32_t idx[16];
    maxpool2d_forward(out, idx, GRID4, &c, 1, 1, 4, 4);
    const float want[16] = {5, 8, 8, 8, 9, 9, 8, 8, 9, 9, 8, 8, 9, 9, 6, 3};
    const int32_t want_idx[16] = {1, 6, 6, 6, 8, 8, 6, 6, 8, 8, 6, 6, 8, 8, 13, 14};
    for (int i = 0; i < 16; i++) {
        cr_expect_eq(out[i], want[i], "out[%d] = %g, want %g", i, out[i], want[i]);
        cr_expect_eq(idx[i], want_idx[i], "idx[%d] = %d, want %d", i, idx[i], want_idx[i]);
    }
    float dout[16], din[16] = {0};
    for (int i = 0; i < 16; i++) dout[i] = 1;
    maxpool2d_backward(din, dout, idx, 1, 1, 4, 4, 4, 4);
    cr_expect_eq(din[6], 7, "index 6 wins 7 windows, got %g", din[6]);
    cr_expect_eq(din[8], 6, "index 8 wins 6 windows, got %g", din[8]);
}

// Ties keep the first element in window order; the last NaN of a window wins;
// an all -inf window reports its first in-bounds element (PyTorch 1.13, checked).
Test(pool2d, maxpool_ties_nan_inf) {
    Pool2dConfig c = pool2d_config(1, 4);
    float out[2];
    int32_t idx[2];
    const float ties[4] = {1, 2, 2, 1};
    maxpool2d_forward(out, idx, ties, &c, 1, 1, 1, 4);
    cr_expect(out[0] == 2 && idx[0] == 1, "tie: got %g at %d, want 2 at 1", out[0], idx[0]);

    const float all_same[4] = {2, 2, 2, 2};
    maxpool2d_forward(out, idx, all_same, &c, 1, 1, 1, 4);
    cr_expect(idx[0] == 0, "all equal: index %d, want 0", idx[0]);

    const float nans[4] = {1, NAN, 3, NAN};
    maxpool2d_forward(out, idx, nans, &c, 1, 1, 1, 4);
    cr_expect(isnan(out[0]) && idx[0] == 3, "NaN: got %g at %d, want nan at 3", out[0], idx[0]);
    global_maxpool_forward(out, idx, nans, 1, 1, 1, 4);
    cr_expect(isnan(out[0]) && idx[0] == 3, "global NaN: got %g at %d, want nan at 3", out[0], idx[0]);

    const float infs[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    Pool2dConfig p = pool2d_config(1, 3);
    p.pad_w = 1;
    maxpool2d_forward(out, idx, infs, &p, 1, 1, 1, 4);
    cr_expect(isinf(out[0]) && out[0] < 0 && idx[0] == 0 && idx[1] == 2, "-inf: indices %d %d, want 0 2", idx[0], idx[1]);

    // Padding is -inf, never 0: an all-negative plane keeps its negative max.
    const float neg[4] = {-5, -3, -4, -6};
    Pool2dConfig q = pool2d_config(3, 3);
    q.pad_h = q.pad_w = 1;
    q.stride_h = q.stride_w = 1;
    float out4[4];
    int32_t idx4[4];
    maxpool2d_forward(out4, idx4, neg, &q, 1, 1, 2, 2);
    for (int i = 0; i < 4; i++) cr_expect(out4[i] == -3 && idx4[i] == 1, "neg[%d]: %g at %d", i, out4[i], idx4[i]);
}

// Output sizes from PyTorch 1.13's F.max_pool2d, including ceil_mode's drop rule.
Test(pool2d, ceil_mode_output_sizes) {
    const struct { int H, k, s, p, d, ceil, want; } cases[] = {
        {5, 2, 2, 0, 1, 0, 2}, {5, 2, 2, 0, 1, 1, 3},   // ceil keeps a partial window
        {5, 3, 3, 1, 1, 1, 2},                          // naive ceil 3; the 3rd would start at H: dropped
        {5, 2, 2, 1, 1, 1, 3},                          // naive ceil 4; dropped to 3
        {10, 4, 3, 2, 1, 1, 4},                         // naive ceil 5; dropped to 4
        {6, 3, 2, 1, 1, 1, 4}, {7, 3, 2, 0, 2, 1, 2}, {7, 3, 2, 0, 2, 0, 2},
        {32, 2, 2, 0, 1, 0, 16}, {28, 2, 2, 0, 1, 1, 14}, {4, 3, 3, 1, 1, 1, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Pool2dConfig c = pool2d_config(cases[i].k, 1);
        c.stride_h = cases[i].s, c.pad_h = cases[i].p, c.dilation_h = cases[i].d, c.ceil_mode = cases[i].ceil;
        int OH, OW;
        ClError err = {0};
        cr_assert_eq(maxpool2d_output_size(&c, cases[i].H, 3, &OH, &OW, &err), 0, "case %zu: %s", i, err.msg);
        cr_expect_eq(OH, cases[i].want, "case %zu (H %d k %d s %d p %d d %d ceil %d): OH %d, want %d", i, cases[i].H,
                     cases[i].k, cases[i].s, cases[i].p, cases[i].d, cases[i].ceil, OH, cases[i].want);
    }
}

// Divisors on a plane of ones, times 36 (F.avg_pool2d(ones(6,6), 3, 2, 1, ceil_mode=True)):
// the last window [5, 8) is clipped to the padded input [5, 7) for the divisor.
Test(pool2d, avgpool_exact_divisors) {
    float ones[36], out[16];
    for (int i = 0; i < 36; i++) ones[i] = 1;
    Pool2dConfig c = pool2d_config(3, 3);
    c.stride_h = c.stride_w = 2, c.pad_h = c.pad_w = 1, c.ceil_mode = true;
    int OH, OW;
    cr_assert_eq(avgpool2d_output_size(&c, 6, 6, &OH, &OW, NULL), 0);
    cr_assert(OH == 4 && OW == 4);
    avgpool2d_forward(out, ones, &c, 1, 1, 6, 6);
    const float want36[16] = {16, 24, 24, 12, 24, 36, 36, 18, 24, 36, 36, 18, 12, 18, 18, 9};
    for (int i = 0; i < 16; i++)
        cr_expect_float_eq(out[i] * 36, want36[i], 1e-5, "cip out[%d]*36 = %g, want %g", i, out[i] * 36, want36[i]);
    c.count_include_pad = false;
    avgpool2d_forward(out, ones, &c, 1, 1, 6, 6);
    for (int i = 0; i < 16; i++) cr_expect_float_eq(out[i], 1.0f, 1e-6, "no cip out[%d] = %g, want 1", i, out[i]);

    // Backward on ones: each cell gets the sum of 1/divisor over the windows holding it.
    c.count_include_pad = true;
    float dout[16], din[36] = {0};
    for (int i = 0; i < 16; i++) dout[i] = 1;
    avgpool2d_backward(din, dout, &c, 1, 1, 6, 6);
    // Cell (5,5) lies in windows starting at 3 (3 rows) and 5 (clipped to 2 rows)
    // on each axis: divisors 3*3, 3*2, 2*3 and 2*2.
    cr_expect_float_eq(din[35], 1.0f / 9 + 2.0f / 6 + 1.0f / 4, 1e-6, "din[5,5] = %g, want 1/9+2/6+1/4", din[35]);
    // Cell (0,0) lies only in the first window, divisor 3*3.
    cr_expect_float_eq(din[0], 1.0f / 9, 1e-6, "din[0,0] = %g, want 1/9", din[0]);
}

// F.avg_pool2d(arange(25).view(5,5), 2, ceil_mode=True): partial windows at the
// right and bottom divide by the cells they cover (clipped to H + 0 padding).
Test(pool2d, avgpool_exact_ceil_ramp) {
    float ramp[25], out[9];
    for (int i = 0; i < 25; i++) ramp[i] = (float)i;
    Pool2dConfig c = pool2d_config(2, 2);
    c.ceil_mode = true;
    avgpool2d_forward(out, ramp, &c, 1, 1, 5, 5);
    const float want[9] = {3, 5, 6.5f, 13, 15, 16.5f, 20.5f, 22.5f, 24};
    for (int i = 0; i < 9; i++) cr_expect_float_eq(out[i], want[i], 1e-6, "out[%d] = %g, want %g", i, out[i], want[i]);
}

// ---- finite differences ---------------------------------------------------------------

typedef enum { POOL_MAX, POOL_AVG, POOL_GLOBAL } PoolKind;

typedef struct {
    PoolKind kind;
    Pool2dConfig c;
    int N, C, H, W, OH, OW;
    float *x, *r, *out;
} PoolLoss;

static double pool_loss(void *ctx) {
    PoolLoss *L = ctx;
    if (L->kind == POOL_MAX) maxpool2d_forward(L->out, NULL, L->x, &L->c, L->N, L->C, L->H, L->W);
    else if (L->kind == POOL_AVG) avgpool2d_forward(L->out, L->x, &L->c, L->N, L->C, L->H, L->W);
    else global_maxpool_forward(L->out, NULL, L->x, L->N, L->C, L->H, L->W);
    double s = 0;
    for (long i = 0; i < (long)L->N * L->C * L->OH * L->OW; i++) s += (double)L->out[i] * L->r[i];
    return s;
}

// x is a shuffled ladder with gaps of 0.05, so a step of 1e-3 never changes an argmax.
static double pool_fd(PoolKind kind, Pool2dConfig c, int N, int C, int H, int W) {
    PoolLoss L = {.kind = kind, .c = c, .N = N, .C = C, .H = H, .W = W, .OH = 1, .OW = 1};
    if (kind == POOL_MAX) cr_assert_eq(maxpool2d_output_size(&c, H, W, &L.OH, &L.OW, NULL), 0);
    if (kind == POOL_AVG) cr_assert_eq(avgpool2d_output_size(&c, H, W, &L.OH, &L.OW, NULL), 0);
    long nx = (long)N * C * H * W, nout = (long)N * C * L.OH * L.OW;
    L.x = malloc(sizeof(float) * (size_t)nx), L.r = malloc(sizeof(float) * (size_t)nout);
    L.out = malloc(sizeof(float) * (size_t)nout);
    for (long i = 0; i < nx; i++) L.x[i] = 0.05f * (float)((i * 37) % nx) - 1.0f;   // 37 is coprime to nx below
    for (long i = 0; i < nout; i++) L.r[i] = (float)((i * 7) % 11) / 5.0f - 1.0f;
    float *din = calloc((size_t)nx, sizeof(float));
    int32_t *idx = malloc(sizeof(int32_t) * (size_t)nout);
    if (kind == POOL_MAX) {
        maxpool2d_forward(L.out, idx, L.x, &c, N, C, H, W);
        maxpool2d_backward(din, L.r, idx, N, C, H, W, L.OH, L.OW);
    } else if (kind == POOL_AVG) {
        avgpool2d_backward(din, L.r, &c, N, C, H, W);
    } else {
        global_maxpool_forward(L.out, idx, L.x, N, C, H, W);
        global_maxpool_backward(din, L.r, idx, N, C, H, W);
    }
    double e = finite_diff_max_error(pool_loss, &L, L.x, nx, din, 1e-3f);
    free(L.x), free(L.r), free(L.out), free(din), free(idx);
    return e;
}

Test(pool2d, finite_differences) {
    Pool2dConfig m = pool2d_config(3, 2);
    m.stride_h = 2, m.stride_w = 1, m.pad_h = 1, m.dilation_w = 2, m.ceil_mode = true;
    double e = pool_fd(POOL_MAX, m, 2, 2, 7, 6);
    cr_expect_lt(e, 1e-3, "maxpool finite-difference error %g", e);

    Pool2dConfig a = pool2d_config(3, 3);
    a.stride_h = a.stride_w = 2, a.pad_h = a.pad_w = 1, a.ceil_mode = true;
    e = pool_fd(POOL_AVG, a, 1, 2, 6, 7);
    cr_expect_lt(e, 1e-3, "avgpool (count_include_pad) finite-difference error %g", e);
    a.count_include_pad = false;
    e = pool_fd(POOL_AVG, a, 1, 2, 6, 7);
    cr_expect_lt(e, 1e-3, "avgpool (no count_include_pad) finite-difference error %g", e);

    e = pool_fd(POOL_GLOBAL, pool2d_config(1, 1), 2, 3, 5, 3);
    cr_expect_lt(e, 1e-3, "global max pool finite-difference error %g", e);
}
