/* Tests of src/engine/layers.c: ReLU, Linear and softmax cross-entropy against
 * PyTorch fixtures (op_relu_*, op_linear_*, op_xent_* from tests/gen_op_fixtures.py),
 * exact values at the edges (ReLU at 0 and NaN, uniform and huge logits), and
 * finite-difference checks of every backward.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/layers.h"
#include "testutil.h"

#define ATOL 1e-5f
#define RTOL 1e-4f

static double max_abs_diff(const float *a, const float *b, long n) {
    double m = 0;
    for (long i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}


// ---- PyTorch fixtures ---------------------------------------------------------------

Test(layers, relu_pytorch_fixtures) {
    char **names;
    int n = fixture_list("op_relu_", &names);
    cr_assert_geq(n, 3, "expected the op_relu_* fixtures (run tests/gen_op_fixtures.py), found %d", n);
    for (int i = 0; i < n; i++) {
        StFile f;
        fixture_open(&f, names[i]);
        int64_t nx;
        const float *x = fixture_f32(&f, "x", &nx);
        const float *want = fixture_f32(&f, "out", NULL), *dout = fixture_f32(&f, "dout", NULL);
        const float *want_dx = fixture_f32(&f, "dx", NULL);
        float *out = malloc(sizeof(float) * (size_t)nx), *dx = calloc((size_t)nx, sizeof(float));
        relu_forward(out, x, nx);
        cr_expect(allclose(out, want, nx, 0, 0, names[i]), "%s: forward differs", names[i]);
        relu_backward(dx, dout, out, nx);
        relu_backward(dx, dout, out, nx);   // accumulates: twice the gradient
        for (long j = 0; j < nx; j++) dx[j] *= 0.5f;
        cr_expect(allclose(dx, want_dx, nx, 0, 0, names[i]), "%s: dx differs", names[i]);
        free(out), free(dx);
        st_free(&f);
        free(names[i]);
    }
    free(names);
}

Test(layers, linear_pytorch_fixtures) {
    char **names;
    int n = fixture_list("op_linear_", &names);
    cr_assert_geq(n, 4, "expected the op_linear_* fixtures, found %d", n);
    double worst[4] = {0};
    for (int i = 0; i < n; i++) {
        StFile f;
        fixture_open(&f, names[i]);
        int N = fixture_meta_int(&f, "N"), IN = fixture_meta_int(&f, "in_features"), OUT = fixture_meta_int(&f, "out_features");
        bool has_bias = fixture_meta_int(&f, "bias") != 0;
        int64_t nx, nw, nout;
        const float *x = fixture_f32(&f, "x", &nx), *w = fixture_f32(&f, "weight", &nw);
        const float *want = fixture_f32(&f, "out", &nout), *dout = fixture_f32(&f, "dout", NULL);
        const float *want_dx = fixture_f32(&f, "dx", NULL), *want_dw = fixture_f32(&f, "dweight", NULL);
        const float *b = has_bias ? fixture_f32(&f, "bias", NULL) : NULL;
        const float *want_db = has_bias ? fixture_f32(&f, "dbias", NULL) : NULL;
        cr_assert(nx == (int64_t)N * IN && nw == (int64_t)OUT * IN && nout == (int64_t)N * OUT, "%s: sizes", names[i]);
        float *out = malloc(sizeof(float) * (size_t)nout);
        float *dx = calloc((size_t)nx, sizeof(float)), *dw = calloc((size_t)nw, sizeof(float)), *db = calloc((size_t)OUT, sizeof(float));
        linear_forward(out, x, w, b, N, IN, OUT);
        char what[256];
        snprintf(what, sizeof what, "%s out", names[i]);
        cr_expect(allclose(out, want, nout, ATOL, RTOL, what), "%s: forward differs", names[i]);
        linear_backward(dx, dw, has_bias ? db : NULL, dout, x, w, N, IN, OUT);
        snprintf(what, sizeof what, "%s dx", names[i]);
        cr_expect(allclose(dx, want_dx, nx, ATOL, RTOL, what), "%s: dx differs", names[i]);
        snprintf(what, sizeof what, "%s dweight", names[i]);
        cr_expect(allclose(dw, want_dw, nw, ATOL, RTOL, what), "%s: dweight differs", names[i]);
        worst[0] = fmax(worst[0], max_abs_diff(out, want, nout));
        worst[1] = fmax(worst[1], max_abs_diff(dx, want_dx, nx));
        worst[2] = fmax(worst[2], max_abs_diff(dw, want_dw, nw));
        if (has_bias) {
            snprintf(what, sizeof what, "%s dbias", names[i]);
            cr_expect(allclose(db, want_db, OUT, ATOL, RTOL, what), "%s: dbias differs", names[i]);
            worst[3] = fmax(worst[3], max_abs_diff(db, want_db, OUT));
        }
        // Accumulation, with din skipped: dweight doubles.
        linear_backward(NULL, dw, NULL, dout, x, w, N, IN, OUT);
        for (long j = 0; j < nw; j++) dw[j] *= 0.5f;
        snprintf(what, sizeof what, "%s dweight accumulated/2", names[i]);
        cr_expect(allclose(dw, want_dw, nw, ATOL, RTOL, what), "%s: backward does not accumulate", names[i]);
        free(out), free(dx), free(dw), free(db);
        st_free(&f);
        free(names[i]);
    }
    free(names);
    cr_log_info("linear: %d PyTorch fixtures, max |err| out %.3g dx %.3g dweight %.3g dbias %.3g", n, worst[0], worst[1], worst[2], worst[3]);
}

Test(layers, cross_entropy_pytorch_fixtures) {
    char **names;
    int n = fixture_list("op_xent_", &names);
    cr_assert_geq(n, 4, "expected the op_xent_* fixtures, found %d", n);
    double worst[3] = {0};
    for (int i = 0; i < n; i++) {
        StFile f;
        fixture_open(&f, names[i]);
        int N = fixture_meta_int(&f, "N"), K = fixture_meta_int(&f, "K");
        const StTensor *lab = st_find(&f, "labels");
        cr_assert(lab && lab->dtype == ST_U8 && st_numel(lab) == N, "%s: labels must be U8 (N)", names[i]);
        const uint8_t *labels = lab->data;
        int64_t nz;
        const float *z = fixture_f32(&f, "logits", &nz);
        const float *want_loss = fixture_f32(&f, "loss", NULL), *want_p = fixture_f32(&f, "probs", NULL);
        const float *want_d = fixture_f32(&f, "dlogits", NULL);
        cr_assert_eq(nz, (int64_t)N * K, "%s: sizes", names[i]);
        float *p = malloc(sizeof(float) * (size_t)nz), *d = malloc(sizeof(float) * (size_t)nz);
        float loss = cross_entropy_forward(p, z, labels, N, K);
        char what[256];
        snprintf(what, sizeof what, "%s loss", names[i]);
        cr_expect(allclose(&loss, want_loss, 1, ATOL, RTOL, what), "%s: loss %g, PyTorch %g", names[i], loss, want_loss[0]);
        cr_expect_float_eq(cross_entropy_forward(NULL, z, labels, N, K), loss, 0, "%s: probs=NULL changes the loss", names[i]);
        snprintf(what, sizeof what, "%s probs", names[i]);
        cr_expect(allclose(p, want_p, nz, ATOL, RTOL, what), "%s: softmax differs", names[i]);
        for (long j = 0; j < nz; j++) d[j] = 123.0f;   // written, not accumulated
        cross_entropy_backward(d, z, labels, N, K);
        snprintf(what, sizeof what, "%s dlogits", names[i]);
        cr_expect(allclose(d, want_d, nz, ATOL, RTOL, what), "%s: dlogits differs", names[i]);
        worst[0] = fmax(worst[0], fabs((double)loss - want_loss[0]));
        worst[1] = fmax(worst[1], max_abs_diff(p, want_p, nz));
        worst[2] = fmax(worst[2], max_abs_diff(d, want_d, nz));
        free(p), free(d);
        st_free(&f);
        free(names[i]);
    }
    free(names);
    cr_log_info("cross-entropy: %d PyTorch fixtures, max |err| loss %.3g probs %.3g dlogits %.3g", n, worst[0], worst[1], worst[2]);
}

// ---- exact values -------------------------------------------------------------------

Test(layers, relu_exact) {
    float x[5] = {-1.5f, 0.0f, 2.0f, -0.0f, NAN}, out[5], dx[5] = {0}, dout[5] = {1, 1, 1, 1, 1};
    relu_forward(out, x, 5);
    cr_expect(out[0] == 0 && out[1] == 0 && out[2] == 2 && out[3] == 0, "relu: %g %g %g %g", out[0], out[1], out[2], out[3]);
    cr_expect(isnan(out[4]), "torch.relu(nan) is nan, got %g", out[4]);
    relu_backward(dx, dout, out, 5);
    // PyTorch 1.13: the gradient at exactly 0 is 0, and a NaN passes it through
    // (threshold_backward zeroes where out <= 0, which is false for NaN).
    cr_expect(dx[0] == 0 && dx[1] == 0 && dx[2] == 1 && dx[3] == 0 && dx[4] == 1,
              "relu grad: %g %g %g %g %g", dx[0], dx[1], dx[2], dx[3], dx[4]);
    relu_forward(x, x, 4);   // in place
    cr_expect(x[0] == 0 && x[2] == 2, "in-place relu");
}

Test(layers, linear_exact) {
    // [1 2; 3 4] @ [[1 0];[1 1];[0 2]]^T + [0.5 0 -1]
    float x[4] = {1, 2, 3, 4}, w[6] = {1, 0, 1, 1, 0, 2}, b[3] = {0.5f, 0, -1}, out[6];
    linear_forward(out, x, w, b, 2, 2, 3);
    const float want[6] = {1.5f, 3, 3, 3.5f, 7, 7};
    for (int i = 0; i < 6; i++) cr_expect_eq(out[i], want[i], "out[%d] = %g, want %g", i, out[i], want[i]);
}

// The net runs a big linear layer by blocks of rows: any split gives the
// whole layer's values bit for bit (each output is one chain over the inputs).
Test(layers, linear_rows_equal_the_whole_layer) {
    const int IN = 37, OUT = 29;
    for (int N = 1; N <= 7; N++) {
        float *x = test_rand_buf((long)N * IN, 1.0f), *w = test_rand_buf((long)OUT * IN, 1.0f);
        float *b = test_rand_buf(OUT, 1.0f);
        float whole[7 * 29], parts[7 * 29];
        linear_forward(whole, x, w, b, N, IN, OUT);
        for (int r0 = 0; r0 < OUT; r0 += 3 + N) {
            int r1 = r0 + 3 + N < OUT ? r0 + 3 + N : OUT;
            linear_forward_rows(parts, x, w, b, N, IN, OUT, r0, r1);
        }
        cr_assert(memcmp(whole, parts, sizeof(float) * (size_t)(N * OUT)) == 0, "rows differ from the whole at N = %d", N);
        free(x), free(w), free(b);
    }
}

// The net sums a big linear layer's input gradient at small batches from
// partials over row ranges. Accumulating consecutive ranges into one buffer is
// the whole layer's chain over o, bit for bit; separate partials added up
// agree with the float64 sum.
Test(layers, linear_din_rows_add_up_to_the_whole_layer) {
    const int IN = 41, OUT = 29;
    for (int N = 1; N <= 7; N++) {
        float *dout = test_rand_buf((long)N * OUT, 1.0f), *w = test_rand_buf((long)OUT * IN, 1.0f);
        float whole[7 * 41] = {0}, chained[7 * 41] = {0}, summed[7 * 41] = {0}, part[7 * 41];
        linear_backward(whole, NULL, NULL, dout, NULL, w, N, IN, OUT);
        for (int r0 = 0; r0 < OUT; r0 += 3 + N) {
            int r1 = r0 + 3 + N < OUT ? r0 + 3 + N : OUT;
            linear_din_rows(chained, dout, w, N, IN, OUT, r0, r1);
            memset(part, 0, sizeof part);
            linear_din_rows(part, dout, w, N, IN, OUT, r0, r1);
            for (int j = 0; j < N * IN; j++) summed[j] += part[j];
        }
        cr_assert(memcmp(whole, chained, sizeof(float) * (size_t)(N * IN)) == 0, "chained rows differ at N = %d", N);
        for (int n = 0; n < N; n++)
            for (int i = 0; i < IN; i++) {
                double ref = 0;
                for (int o = 0; o < OUT; o++) ref += (double)dout[n * OUT + o] * w[o * IN + i];
                cr_assert(fabs(summed[n * IN + i] - ref) <= 1e-5 * (1 + fabs(ref)), "N = %d din[%d][%d] = %.9g, want %.9g",
                          N, n, i, summed[n * IN + i], ref);
            }
        free(dout), free(w);
    }
}

Test(layers, cross_entropy_exact) {
    // Equal logits: loss = log K, softmax = 1/K.
    float z[10] = {0}, p[10], d[10];
    uint8_t y = 3;
    float loss = cross_entropy_forward(p, z, &y, 1, 10);
    cr_expect_float_eq(loss, logf(10.0f), 1e-6, "uniform loss %g, want log 10", loss);
    cross_entropy_backward(d, z, &y, 1, 10);
    for (int k = 0; k < 10; k++)
        cr_expect_float_eq(d[k], (k == 3 ? 0.1f - 1 : 0.1f), 1e-7, "d[%d] = %g", k, d[k]);

    // Huge logits must not overflow: the shift by the max keeps exp <= 1.
    float big[3] = {1000, 0, -1000};
    uint8_t y1 = 1;
    loss = cross_entropy_forward(p, big, &y1, 1, 3);
    cr_expect_float_eq(loss, 1000.0f, 1e-3, "loss %g, want 1000", loss);
    cr_expect(isfinite(loss) && p[0] == 1.0f && p[2] == 0.0f, "softmax of huge logits: %g %g %g", p[0], p[1], p[2]);

    // Mean over the batch: two rows with losses log 2 and log 2 + 1 - log(1+e^-1)...
    float two[4] = {0, 0, 1, 0};
    uint8_t ys[2] = {0, 1};
    loss = cross_entropy_forward(NULL, two, ys, 2, 2);
    double want = (log(2.0) + (1 + log(1 + exp(-1.0)))) / 2;
    cr_expect_float_eq(loss, (float)want, 1e-6, "batch mean %g, want %g", loss, want);
}

// ---- finite differences --------------------------------------------------------------

typedef struct {
    int N, IN, OUT;
    float *x, *w, *b, *r, *out;
    uint8_t *labels;
} LayerLoss;

static double relu_loss(void *ctx) {
    LayerLoss *L = ctx;
    relu_forward(L->out, L->x, L->N);
    double s = 0;
    for (int i = 0; i < L->N; i++) s += (double)L->out[i] * L->r[i];
    return s;
}

static double linear_loss(void *ctx) {
    LayerLoss *L = ctx;
    linear_forward(L->out, L->x, L->w, L->b, L->N, L->IN, L->OUT);
    double s = 0;
    for (long i = 0; i < (long)L->N * L->OUT; i++) s += (double)L->out[i] * L->r[i];
    return s;
}

// Loss in double from the engine's float softmax would cap accuracy; the engine
// already accumulates the loss in double, so use it directly.
static double xent_loss(void *ctx) {
    LayerLoss *L = ctx;
    return cross_entropy_forward(NULL, L->x, L->labels, L->N, L->OUT);
}


Test(layers, finite_differences) {
    // ReLU at points >= 0.05 from the kink (step 1e-3).
    LayerLoss R = {.N = 40};
    R.x = test_rand_buf(40, 1.0f), R.r = test_rand_buf(40, 1.0f), R.out = malloc(sizeof(float) * 40);
    for (int i = 0; i < 40; i++) R.x[i] = copysignf(fabsf(R.x[i]) + 0.05f, R.x[i]);
    float dr[40] = {0};
    relu_forward(R.out, R.x, 40);
    relu_backward(dr, R.r, R.out, 40);
    double e = finite_diff_max_error(relu_loss, &R, R.x, 40, dr, 1e-3f);
    cr_expect_lt(e, 1e-3, "relu finite-difference error %g", e);
    free(R.x), free(R.r), free(R.out);

    // Linear: x, weight and bias.
    LayerLoss L = {.N = 3, .IN = 7, .OUT = 5};
    L.x = test_rand_buf(21, 1.0f), L.w = test_rand_buf(35, 1.0f), L.b = test_rand_buf(5, 1.0f), L.r = test_rand_buf(15, 1.0f), L.out = malloc(sizeof(float) * 15);
    float dx[21] = {0}, dw[35] = {0}, db[5] = {0};
    linear_backward(dx, dw, db, L.r, L.x, L.w, 3, 7, 5);
    double ex = finite_diff_max_error(linear_loss, &L, L.x, 21, dx, 1e-2f);
    double ew = finite_diff_max_error(linear_loss, &L, L.w, 35, dw, 1e-2f);
    double eb = finite_diff_max_error(linear_loss, &L, L.b, 5, db, 1e-2f);
    cr_expect(ex < 1e-3 && ew < 1e-3 && eb < 1e-3, "linear finite-difference errors dx %g dw %g db %g", ex, ew, eb);
    free(L.x), free(L.w), free(L.b), free(L.r), free(L.out);

    // Cross-entropy w.r.t. the logits (N 4, K 10, logits scaled to [-3, 3)).
    uint8_t labels[4] = {0, 9, 4, 4};
    LayerLoss X = {.N = 4, .OUT = 10, .labels = labels};
    X.x = test_rand_buf(40, 1.0f);
    for (int i = 0; i < 40; i++) X.x[i] *= 3;
    float dz[40];
    cross_entropy_backward(dz, X.x, labels, 4, 10);
    e = finite_diff_max_error(xent_loss, &X, X.x, 40, dz, 1e-2f);
    cr_expect_lt(e, 1e-4, "cross-entropy finite-difference error %g", e);
    free(X.x);
}
