/* ReLU, Linear and softmax cross-entropy, forward and backward, with torch.nn's
 * semantics (nn.ReLU, nn.Linear, nn.CrossEntropyLoss with mean reduction).
 * Plain loops over row-major float32; linear is written row by row so a GEMM
 * can replace it without changing callers.
 */
#include "engine/layers.h"

#include <math.h>
#include <stddef.h>

#include "engine/error.h"

// ---- ReLU ---------------------------------------------------------------------

void relu_forward(float *out, const float *in, long n) {
    // (in > 0 ? in : 0) keeps NaN as NaN, like torch.relu (clamp_min propagates NaN).
    for (long i = 0; i < n; i++) out[i] = in[i] > 0.0f ? in[i] : (isnan(in[i]) ? in[i] : 0.0f);
}

// PyTorch's threshold_backward zeroes the gradient where out <= 0: exactly 0
// gets no gradient, and a NaN (which compares false) lets it through.
void relu_backward(float *din, const float *dout, const float *out, long n) {
    for (long i = 0; i < n; i++)
        if (!(out[i] <= 0.0f)) din[i] += dout[i];
}

// ---- Linear -------------------------------------------------------------------

// out[n, o] = bias[o] + sum_i in[n, i] * weight[o, i]
void linear_forward(float *out, const float *in, const float *weight, const float *bias,
                    int N, int in_features, int out_features) {
    for (int n = 0; n < N; n++) {
        const float *x = in + (size_t)n * in_features;
        float *y = out + (size_t)n * out_features;
        for (int o = 0; o < out_features; o++) {
            const float *w = weight + (size_t)o * in_features;
            float s = 0.0f;
            for (int i = 0; i < in_features; i++) s += x[i] * w[i];
            y[o] = s + (bias ? bias[o] : 0.0f);
        }
    }
}

// din = dout @ W, dW = dout^T @ in, dbias = column sums of dout.
void linear_backward(float *din, float *dweight, float *dbias, const float *dout,
                     const float *in, const float *weight, int N, int in_features, int out_features) {
    for (int n = 0; n < N; n++) {
        const float *g = dout + (size_t)n * out_features;
        const float *x = in + (size_t)n * in_features;
        float *dx = din ? din + (size_t)n * in_features : NULL;
        for (int o = 0; o < out_features; o++) {
            const float go = g[o];
            if (dbias) dbias[o] += go;
            if (dweight) {
                float *dw = dweight + (size_t)o * in_features;
                for (int i = 0; i < in_features; i++) dw[i] += go * x[i];
            }
            if (dx) {
                const float *w = weight + (size_t)o * in_features;
                for (int i = 0; i < in_features; i++) dx[i] += go * w[i];
            }
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
