/* ReLU, Linear and softmax cross-entropy, forward and backward, with torch.nn's
 * semantics (nn.ReLU, nn.Linear, nn.CrossEntropyLoss with mean reduction).
 * Plain loops over row-major float32; the kernel tier in use (kernels.h) does
 * ReLU and Linear when it has them (same results up to float summation order
 * in Linear; ReLU exact).
 */
#include "engine/layers.h"

#include <math.h>
#include <stddef.h>

#include "engine/error.h"
#include "engine/kernels.h"

// ---- ReLU ---------------------------------------------------------------------

void relu_forward(float *out, const float *in, long n) {
    const KernelTable *k = kernels_get();
    if (k->relu_forward) { k->relu_forward(out, in, n); return; }
    // (in > 0 ? in : 0) keeps NaN as NaN, like torch.relu (clamp_min propagates NaN).
    for (long i = 0; i < n; i++) out[i] = in[i] > 0.0f ? in[i] : (isnan(in[i]) ? in[i] : 0.0f);
}

// PyTorch's threshold_backward zeroes the gradient where out <= 0: exactly 0
// gets no gradient, and a NaN (which compares false) lets it through.
void relu_backward(float *din, const float *dout, const float *out, long n) {
    const KernelTable *k = kernels_get();
    if (k->relu_backward) { k->relu_backward(din, dout, out, n); return; }
    for (long i = 0; i < n; i++)
        if (!(out[i] <= 0.0f)) din[i] += dout[i];
}

// ---- Linear -------------------------------------------------------------------

// out[n, o] = bias[o] + sum_i in[n, i] * weight[o, i]
void linear_forward(float *out, const float *in, const float *weight, const float *bias,
                    int N, int in_features, int out_features) {
    linear_forward_rows(out, in, weight, bias, N, in_features, out_features, 0, out_features);
}

void linear_forward_rows(float *out, const float *in, const float *weight, const float *bias, int N,
                         int in_features, int out_features, int o_lo, int o_hi) {
    const KernelTable *k = kernels_get();
    if (k->linear_forward) {
        k->linear_forward(out, in, weight, bias, N, in_features, out_features, o_lo, o_hi);
        return;
    }
    for (int n = 0; n < N; n++) {
        const float *x = in + (size_t)n * in_features;
        float *y = out + (size_t)n * out_features;
        for (int o = o_lo; o < o_hi; o++) {
            const float *w = weight + (size_t)o * in_features;
            float s = 0.0f;
            for (int i = 0; i < in_features; i++) s += x[i] * w[i];
            y[o] = s + (bias ? bias[o] : 0.0f);
        }
    }
}

// dW rows [o_lo, o_hi) += dout^T @ in and their dbias += column sums of dout.
void linear_backward_rows(float *dweight, float *dbias, const float *dout, const float *in, int N,
                          int in_features, int out_features, int o_lo, int o_hi) {
    // Every element accumulates over the samples in ascending order.
    if (dbias)
        for (int n = 0; n < N; n++)
            for (int o = o_lo; o < o_hi; o++) dbias[o] += dout[(size_t)n * out_features + o];
    if (!dweight) return;
    const KernelTable *k = kernels_get();
    if (k->linear_dweight_rows) {
        k->linear_dweight_rows(dweight, dout, in, N, in_features, out_features, o_lo, o_hi);
        return;
    }
    for (int n = 0; n < N; n++)
        for (int o = o_lo; o < o_hi; o++) {
            const float go = dout[(size_t)n * out_features + o];
            float *dw = dweight + (size_t)o * in_features;
            const float *x = in + (size_t)n * in_features;
            for (int i = 0; i < in_features; i++) dw[i] += go * x[i];
        }
}

// din = dout @ W, dW = dout^T @ in, dbias = column sums of dout.
void linear_backward(float *din, float *dweight, float *dbias, const float *dout,
                     const float *in, const float *weight, int N, int in_features, int out_features) {
    linear_backward_rows(dweight, dbias, dout, in, N, in_features, out_features, 0, out_features);
    if (din) linear_din_rows(din, dout, weight, N, in_features, out_features, 0, out_features);
}

void linear_din_rows(float *din, const float *dout, const float *weight, int N, int in_features, int out_features,
                     int o_lo, int o_hi) {
    const KernelTable *k = kernels_get();
    if (k->linear_din) {
        k->linear_din(din, dout, weight, N, in_features, out_features, o_lo, o_hi);
        return;
    }
    // Each din element accumulates over the outputs in ascending order.
    for (int n = 0; n < N; n++) {
        const float *g = dout + (size_t)n * out_features;
        float *dx = din + (size_t)n * in_features;
        for (int o = o_lo; o < o_hi; o++) {
            const float go = g[o];
            const float *w = weight + (size_t)o * in_features;
            for (int i = 0; i < in_features; i++) dx[i] += go * w[i];
        }
    }
}

// ---- softmax cross-entropy ----------------------------------------------------

// log softmax(z)[k] = z[k] - m - log(sum_j exp(z[j] - m)) with m = max z: the
// shift keeps every exp <= 1, so large logits cannot overflow.
static double row_log_sum_exp(const float *z, int K, float *m_out) {
    float m = z[0];
    for (int k = 1; k < K; k++) if (z[k] > m) m = z[k];
    double s = 0.0;
    for (int k = 0; k < K; k++) s += exp((double)z[k] - m);
    *m_out = m;
    return log(s);
}

float cross_entropy_forward(float *probs, const float *logits, const uint8_t *labels, int N, int K) {
    CL_ASSERT(N > 0 && K > 0);
    double total = 0.0;
    for (int n = 0; n < N; n++) {
        const float *z = logits + (size_t)n * K;
        CL_ASSERT(labels[n] < K);
        float m;
        double lse = row_log_sum_exp(z, K, &m);
        total += -((double)z[labels[n]] - m - lse);
        if (probs)
            for (int k = 0; k < K; k++) probs[(size_t)n * K + k] = (float)exp((double)z[k] - m - lse);
    }
    return (float)(total / N);
}

// d mean_n(-log softmax(z_n)[y_n]) / dz[n, k] = (softmax(z_n)[k] - [k == y_n]) / N
void cross_entropy_backward(float *dlogits, const float *logits, const uint8_t *labels, int N, int K) {
    CL_ASSERT(N > 0 && K > 0);
    for (int n = 0; n < N; n++) {
        const float *z = logits + (size_t)n * K;
        float *d = dlogits + (size_t)n * K;
        CL_ASSERT(labels[n] < K);
        float m;
        double lse = row_log_sum_exp(z, K, &m);
        for (int k = 0; k < K; k++) {
            double p = exp((double)z[k] - m - lse);
            d[k] = (float)((p - (k == labels[n] ? 1.0 : 0.0)) / N);
        }
    }
}
