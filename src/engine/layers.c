/* ReLU, Linear and softmax cross-entropy, forward and backward, with torch.nn's
 * semantics (nn.ReLU, nn.Linear, nn.CrossEntropyLoss with mean reduction).
 * Plain loops over row-major float32, plus AVX-512 versions of ReLU and Linear
 * (same results up to float summation order in linear_forward; ReLU exact):
 * linear_forward keeps 4 samples x 2 outputs of 16-lane partial dot products
 * in registers, the backward streams each weight row once per 4 samples.
 */
#include "engine/layers.h"

#include <math.h>
#include <stddef.h>

#include "engine/error.h"

#if defined(__AVX512F__)
#include <immintrin.h>

// The first `valid` of 16 lanes (0..16).
static inline __mmask16 first_lanes(long valid) {
    return valid >= 16 ? (__mmask16)0xFFFF : valid <= 0 ? (__mmask16)0 : (__mmask16)((1u << valid) - 1);
}
#endif

// ---- ReLU ---------------------------------------------------------------------

void relu_forward(float *out, const float *in, long n) {
    long i = 0;
#if defined(__AVX512F__)
    // Keep x where x > 0 or x is NaN, else +0 (also for -0, as the scalar loop).
    const __m512 zero = _mm512_setzero_ps();
    for (; i < n; i += 16) {
        __mmask16 m = first_lanes(n - i);
        __m512 x = _mm512_maskz_loadu_ps(m, in + i);
        __mmask16 keep = _mm512_cmp_ps_mask(x, zero, _CMP_GT_OQ) | _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
        _mm512_mask_storeu_ps(out + i, m, _mm512_maskz_mov_ps(keep, x));
    }
#endif
    // (in > 0 ? in : 0) keeps NaN as NaN, like torch.relu (clamp_min propagates NaN).
    for (; i < n; i++) out[i] = in[i] > 0.0f ? in[i] : (isnan(in[i]) ? in[i] : 0.0f);
}

// PyTorch's threshold_backward zeroes the gradient where out <= 0: exactly 0
// gets no gradient, and a NaN (which compares false) lets it through.
void relu_backward(float *din, const float *dout, const float *out, long n) {
    long i = 0;
#if defined(__AVX512F__)
    const __m512 zero = _mm512_setzero_ps();
    for (; i < n; i += 16) {
        __mmask16 m = first_lanes(n - i);
        __m512 o = _mm512_maskz_loadu_ps(m, out + i);
        __mmask16 pass = _mm512_mask_cmp_ps_mask(m, o, zero, _CMP_NLE_UQ);  // !(out <= 0), true for NaN
        __m512 d = _mm512_maskz_loadu_ps(m, din + i);
        __m512 g = _mm512_maskz_loadu_ps(pass, dout + i);
        _mm512_mask_storeu_ps(din + i, pass, _mm512_add_ps(d, g));
    }
#endif
    for (; i < n; i++)
        if (!(out[i] <= 0.0f)) din[i] += dout[i];
}

// ---- Linear -------------------------------------------------------------------

#if defined(__AVX512F__)
// out[s, j] for S samples and up to J outputs (S * J = 8 chains of 16-lane
// partial sums, reduced across lanes at the end); NO: how many outputs are real.
static inline __attribute__((always_inline)) void linear_forward_tile(
    float *out, const float *in, const float *weight, const float *bias, const int S, const int J, int NO,
    int in_features, int out_features) {
    __m512 acc[4][8];
#pragma GCC unroll 4
    for (int s = 0; s < S; s++)
#pragma GCC unroll 8
        for (int j = 0; j < J; j++) acc[s][j] = _mm512_setzero_ps();
    for (int i = 0; i < in_features; i += 16) {
        __mmask16 m = first_lanes(in_features - i);
        __m512 w[8], x[4];
#pragma GCC unroll 8
        for (int j = 0; j < J; j++) w[j] = _mm512_maskz_loadu_ps(m, weight + (size_t)(j < NO ? j : 0) * in_features + i);
#pragma GCC unroll 4
        for (int s = 0; s < S; s++) x[s] = _mm512_maskz_loadu_ps(m, in + (size_t)s * in_features + i);
#pragma GCC unroll 4
        for (int s = 0; s < S; s++)
#pragma GCC unroll 8
            for (int j = 0; j < J; j++) acc[s][j] = _mm512_fmadd_ps(x[s], w[j], acc[s][j]);
    }
#pragma GCC unroll 4
    for (int s = 0; s < S; s++)
#pragma GCC unroll 8
        for (int j = 0; j < J; j++)
            if (j < NO) out[(size_t)s * out_features + j] = _mm512_reduce_add_ps(acc[s][j]) + (bias ? bias[j] : 0.0f);
}

// S samples against every output row, J rows at a time.
static inline __attribute__((always_inline)) void linear_forward_samples(
    float *out, const float *in, const float *weight, const float *bias, const int S, int in_features,
    int out_features) {
    const int J = 8 / S;
    for (int o = 0; o < out_features; o += J) {
        int no = out_features - o < J ? out_features - o : J;
        linear_forward_tile(out + o, in, weight + (size_t)o * in_features, bias ? bias + o : NULL, S, J, no,
                            in_features, out_features);
    }
}

static void linear_forward_4(float *out, const float *in, const float *w, const float *b, int IN, int OUT) {
    linear_forward_samples(out, in, w, b, 4, IN, OUT);
}
static void linear_forward_2(float *out, const float *in, const float *w, const float *b, int IN, int OUT) {
    linear_forward_samples(out, in, w, b, 2, IN, OUT);
}
static void linear_forward_1(float *out, const float *in, const float *w, const float *b, int IN, int OUT) {
    linear_forward_samples(out, in, w, b, 1, IN, OUT);
}
#endif

// out[n, o] = bias[o] + sum_i in[n, i] * weight[o, i]
void linear_forward(float *out, const float *in, const float *weight, const float *bias,
                    int N, int in_features, int out_features) {
#if defined(__AVX512F__)
    // Tiles of 4 samples x 2 outputs; a tail of 2 or 1 samples takes more
    // outputs per tile instead, so no multiply-add is spent on padding.
    int n = 0;
    for (; n + 4 <= N; n += 4)
        linear_forward_4(out + (size_t)n * out_features, in + (size_t)n * in_features, weight, bias, in_features, out_features);
    for (; n + 2 <= N; n += 2)
        linear_forward_2(out + (size_t)n * out_features, in + (size_t)n * in_features, weight, bias, in_features, out_features);
    for (; n < N; n++)
        linear_forward_1(out + (size_t)n * out_features, in + (size_t)n * in_features, weight, bias, in_features, out_features);
#else
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
#endif
}

#if defined(__AVX512F__)
// din[n0 .. n0+NS) (IN) += dout (., OUT) @ W (OUT, IN) as a small GEMM: a tile
// of NS samples x 96 columns (6 zmm each) runs down the rows o of W in order.
static inline __attribute__((always_inline)) void linear_din_tile(float *din, const float *dout, const float *weight,
                                                                   int n0, const int NS, int in_features,
                                                                   int out_features) {
    for (int i0 = 0; i0 < in_features; i0 += 96) {
        __mmask16 m[6];
        __m512 acc[2][6];
#pragma GCC unroll 6
        for (int v = 0; v < 6; v++) m[v] = first_lanes(in_features - i0 - 16 * v);
#pragma GCC unroll 2
        for (int s = 0; s < NS; s++)
#pragma GCC unroll 6
            for (int v = 0; v < 6; v++)
                acc[s][v] = _mm512_maskz_loadu_ps(m[v], din + (size_t)(n0 + s) * in_features + i0 + 16 * v);
        for (int o = 0; o < out_features; o++) {
            const float *w = weight + (size_t)o * in_features + i0;
            __m512 g[2];
#pragma GCC unroll 2
            for (int s = 0; s < NS; s++) g[s] = _mm512_set1_ps(dout[(size_t)(n0 + s) * out_features + o]);
#pragma GCC unroll 6
            for (int v = 0; v < 6; v++) {
                __m512 wv = _mm512_maskz_loadu_ps(m[v], w + 16 * v);
#pragma GCC unroll 2
                for (int s = 0; s < NS; s++) acc[s][v] = _mm512_fmadd_ps(g[s], wv, acc[s][v]);
            }
        }
#pragma GCC unroll 2
        for (int s = 0; s < NS; s++)
#pragma GCC unroll 6
            for (int v = 0; v < 6; v++)
                _mm512_mask_storeu_ps(din + (size_t)(n0 + s) * in_features + i0 + 16 * v, m[v], acc[s][v]);
    }
}

static void linear_din_2(float *din, const float *dout, const float *w, int n0, int IN, int OUT) {
    linear_din_tile(din, dout, w, n0, 2, IN, OUT);
}
static void linear_din_1(float *din, const float *dout, const float *w, int n0, int IN, int OUT) {
    linear_din_tile(din, dout, w, n0, 1, IN, OUT);
}
#endif

// dW rows [o_lo, o_hi) += dout^T @ in and their dbias += column sums of dout.
void linear_backward_rows(float *dweight, float *dbias, const float *dout, const float *in, int N,
                          int in_features, int out_features, int o_lo, int o_hi) {
    // Every element accumulates over the samples in ascending order.
    if (dbias)
        for (int n = 0; n < N; n++)
            for (int o = o_lo; o < o_hi; o++) dbias[o] += dout[(size_t)n * out_features + o];
    if (!dweight) return;
#if defined(__AVX512F__)
    for (int o0 = o_lo; o0 < o_hi; o0 += 4) {
        // 4 weight rows at a time, so each input load feeds 4 multiply-adds.
        int no = o_hi - o0 < 4 ? o_hi - o0 : 4;
        for (int i = 0; i < in_features; i += 16) {
            __mmask16 m = first_lanes(in_features - i);
            __m512 acc[4];
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++)
                acc[j] = j < no ? _mm512_maskz_loadu_ps(m, dweight + (size_t)(o0 + j) * in_features + i) : _mm512_setzero_ps();
            for (int n = 0; n < N; n++) {
                __m512 x = _mm512_maskz_loadu_ps(m, in + (size_t)n * in_features + i);
                const float *g = dout + (size_t)n * out_features + o0;
#pragma GCC unroll 4
                for (int j = 0; j < 4; j++)
                    if (j < no) acc[j] = _mm512_fmadd_ps(_mm512_set1_ps(g[j]), x, acc[j]);
            }
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++)
                if (j < no) _mm512_mask_storeu_ps(dweight + (size_t)(o0 + j) * in_features + i, m, acc[j]);
        }
    }
#else
    for (int n = 0; n < N; n++)
        for (int o = o_lo; o < o_hi; o++) {
            const float go = dout[(size_t)n * out_features + o];
            float *dw = dweight + (size_t)o * in_features;
            const float *x = in + (size_t)n * in_features;
            for (int i = 0; i < in_features; i++) dw[i] += go * x[i];
        }
#endif
}

// din = dout @ W, dW = dout^T @ in, dbias = column sums of dout.
void linear_backward(float *din, float *dweight, float *dbias, const float *dout,
                     const float *in, const float *weight, int N, int in_features, int out_features) {
    linear_backward_rows(dweight, dbias, dout, in, N, in_features, out_features, 0, out_features);
    if (!din) return;
#if defined(__AVX512F__)
    int n = 0;
    for (; n + 2 <= N; n += 2) linear_din_2(din, dout, weight, n, in_features, out_features);
    if (n < N) linear_din_1(din, dout, weight, n, in_features, out_features);
#else
    // Each din element accumulates over the outputs in ascending order.
    for (int n = 0; n < N; n++) {
        const float *g = dout + (size_t)n * out_features;
        float *dx = din + (size_t)n * in_features;
        for (int o = 0; o < out_features; o++) {
            const float go = g[o];
            const float *w = weight + (size_t)o * in_features;
            for (int i = 0; i < in_features; i++) dx[i] += go * w[i];
        }
    }
#endif
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
