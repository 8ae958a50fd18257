/* Vectorized direct convolution (AVX-512) for stride 1, dilation 1, groups 1,
 * no padding: CNNNet's conv1 (3->8, k5, 32x32) and conv2 (8->16, k3, 14x14).
 * Channel counts this small make im2col + GEMM mostly packing overhead, so the
 * kernels keep a tile of outputs in 16 zmm registers and stream the input:
 *   forward  out row segment (16 columns per zmm) x 8 or 16 output channels,
 *            += broadcast(weight) * shifted input row, tap by tap;
 *   dweight  4 channels x 4 taps of 16-lane partial sums over (images, rows),
 *            reduced across lanes once per group of images;
 *   din      8 input channels x 16 columns of one input row, += broadcast(weight)
 *            * shifted gradient row (a "full" correlation with the kernel).
 * Masked loads keep every access inside the tensors (no reads past a row's end).
 * Without AVX-512 the functions decline and conv2d.c uses its reference loops.
 */
#include "engine/conv2d_fast.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__AVX512F__)
#include <immintrin.h>

#define PACK_MAX 16384   // floats of packed weights kept on the stack (64 KB)
#define IMAGE_GROUP 1    // images per lane reduction: 1 keeps an image's gradient and input (37 KB for conv1) in L1
#define ALWAYS_INLINE static inline __attribute__((always_inline))

static bool handles(const Conv2dConfig *c) {
    return c->groups == 1 && c->stride_h == 1 && c->stride_w == 1 && c->dilation_h == 1 && c->dilation_w == 1 &&
           c->pad_top == 0 && c->pad_bottom == 0 && c->pad_left == 0 && c->pad_right == 0;
}

// The first `valid` of 16 lanes (0..16).
static inline __mmask16 first_lanes(int valid) {
    return valid >= 16 ? (__mmask16)0xFFFF : valid <= 0 ? (__mmask16)0 : (__mmask16)((1u << valid) - 1);
}

// p + delta floats without forming an out-of-bounds pointer in C's sense: the
// masked loads below only touch lanes that are inside the tensor.
static inline const float *shifted(const float *p, ptrdiff_t delta) {
    return (const float *)((uintptr_t)p + (uintptr_t)(delta * (ptrdiff_t)sizeof(float)));
}

// ---- forward ---------------------------------------------------------------------

// One tile: OB output channels x NC chunks of 16 columns of output row oy.
// wp: packed weights (IC, KH, KW, OB) of this channel block; bp: (OB) biases.
// o points at out[oc0, oy, ox0], x at in[0, oy, ox0] of the same image.
ALWAYS_INLINE void forward_tile(float *o, const float *x, const float *wp, const float *bp, const int OB,
                                const int NC, int n_oc, int IC, int KH, int KW, int W, size_t in_plane,
                                size_t out_plane, const __mmask16 *m) {
    __m512 acc[16][2];
#pragma GCC unroll 16
    for (int j = 0; j < OB; j++)
#pragma GCC unroll 2
        for (int c = 0; c < NC; c++) acc[j][c] = _mm512_set1_ps(bp[j]);
    for (int ic = 0; ic < IC; ic++)
        for (int ky = 0; ky < KH; ky++) {
            const float *xr = x + ic * in_plane + (size_t)ky * W;
            const float *wr = wp + ((size_t)ic * KH + ky) * KW * OB;
            for (int kx = 0; kx < KW; kx++) {
                __m512 xv[2];
#pragma GCC unroll 2
                for (int c = 0; c < NC; c++) xv[c] = _mm512_maskz_loadu_ps(m[c], xr + kx + 16 * c);
#pragma GCC unroll 16
                for (int j = 0; j < OB; j++) {
                    __m512 wv = _mm512_set1_ps(wr[kx * OB + j]);
#pragma GCC unroll 2
                    for (int c = 0; c < NC; c++) acc[j][c] = _mm512_fmadd_ps(wv, xv[c], acc[j][c]);
                }
            }
        }
#pragma GCC unroll 16
    for (int j = 0; j < OB; j++)
        if (j < n_oc)
#pragma GCC unroll 2
            for (int c = 0; c < NC; c++) _mm512_mask_storeu_ps(o + j * out_plane + 16 * c, m[c], acc[j][c]);
}

// All output rows of one image for the channel block [oc0, oc0 + OB).
ALWAYS_INLINE void forward_image_block(float *out, const float *x, const float *wp, const float *bp, const int OB,
                                       const int NC, int n_oc, int IC, int KH, int KW, int W, int OH, int OW,
                                       size_t in_plane, size_t out_plane) {
    for (int ox0 = 0; ox0 < OW; ox0 += 16 * NC) {
        __mmask16 m[2] = {first_lanes(OW - ox0), first_lanes(OW - ox0 - 16)};
        for (int oy = 0; oy < OH; oy++)
            forward_tile(out + (size_t)oy * OW + ox0, x + (size_t)oy * W + ox0, wp, bp, OB, NC, n_oc, IC, KH, KW, W,
                         in_plane, out_plane, m);
    }
}

bool conv2d_forward_fast(float *out, const float *in, const float *weight, const float *bias,
                         const Conv2dConfig *c, int N, int H, int W) {
    if (!handles(c)) return false;
    const int IC = c->in_channels, OC = c->out_channels, KH = c->kernel_h, KW = c->kernel_w;
    const int OH = H - KH + 1, OW = W - KW + 1;
    // Narrow rows (<= 16 columns): one zmm per row, 16 channels per tile; else
    // two zmm per row, 8 channels per tile. Either way 16 accumulators.
    const int OB = OW <= 16 ? 16 : 8;
    const int blocks = (OC + OB - 1) / OB;
    const int taps = IC * KH * KW;
    if ((long)blocks * OB * taps > PACK_MAX) return false;
    // Packed weights (block, ic, ky, kx, OB) and biases (block, OB); channels
    // past OC are zero and never stored. Rebuilt every call from the caller's
    // weights (a few thousand floats), so there is no copy to keep in sync.
    if (blocks * OB > 64) return false;
    float wp[PACK_MAX], bpp[64];
    for (int b = 0; b < blocks; b++)
        for (int j = 0; j < OB; j++) {
            int oc = b * OB + j;
            bpp[b * OB + j] = oc < OC && bias && c->has_bias ? bias[oc] : 0.0f;
            for (int t = 0; t < taps; t++) wp[((size_t)b * taps + t) * OB + j] = oc < OC ? weight[(size_t)oc * taps + t] : 0.0f;
        }
    const size_t in_plane = (size_t)H * W, out_plane = (size_t)OH * OW;
    for (int n = 0; n < N; n++) {
        const float *x = in + (size_t)n * IC * in_plane;
        for (int b = 0; b < blocks; b++) {
            float *o = out + ((size_t)n * OC + (size_t)b * OB) * out_plane;
            int n_oc = OC - b * OB < OB ? OC - b * OB : OB;
            const float *w = wp + (size_t)b * taps * OB;
            if (OB == 16) forward_image_block(o, x, w, bpp + b * OB, 16, 1, n_oc, IC, KH, KW, W, OH, OW, in_plane, out_plane);
            else forward_image_block(o, x, w, bpp + b * OB, 8, 2, n_oc, IC, KH, KW, W, OH, OW, in_plane, out_plane);
        }
    }
    return true;
}

// ---- backward: weights and bias -----------------------------------------------------

// Sum of the 16 lanes, in a fixed order.
static inline float lane_sum(__m512 v) { return _mm512_reduce_add_ps(v); }

// dweight[oc0 + j, tap t0 + t] += sum over the images of g (their gradients, `images`
// of them, image stride g_stride / x_stride), rows and columns, for 4 x 4 (j, t).
// xoff[t]: offset of tap t in an image (ic*H*W + ky*W + kx); duplicates of a
// valid tap pad a short block, and only the first n_oc x n_tap results are kept.
static void dweight_block(float *dw, int K, const float *g, const float *x, int images, size_t g_stride,
                          size_t x_stride, const size_t *goff, const size_t *xoff, int n_oc, int n_tap, int OH,
                          int OW, int W) {
    __m512 acc[4][4];
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++)
#pragma GCC unroll 4
        for (int t = 0; t < 4; t++) acc[j][t] = _mm512_setzero_ps();
    for (int n = 0; n < images; n++) {
        const float *gn = g + n * g_stride, *xn = x + n * x_stride;
        for (int oy = 0; oy < OH; oy++)
            for (int ox0 = 0; ox0 < OW; ox0 += 16) {
                __mmask16 m = first_lanes(OW - ox0);
                __m512 gv[4], xv[4];
#pragma GCC unroll 4
                for (int j = 0; j < 4; j++) gv[j] = _mm512_maskz_loadu_ps(m, gn + goff[j] + (size_t)oy * OW + ox0);
#pragma GCC unroll 4
                for (int t = 0; t < 4; t++) xv[t] = _mm512_maskz_loadu_ps(m, xn + xoff[t] + (size_t)oy * W + ox0);
#pragma GCC unroll 4
                for (int j = 0; j < 4; j++)
#pragma GCC unroll 4
                    for (int t = 0; t < 4; t++) acc[j][t] = _mm512_fmadd_ps(gv[j], xv[t], acc[j][t]);
            }
    }
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++)
#pragma GCC unroll 4
        for (int t = 0; t < 4; t++)
            if (j < n_oc && t < n_tap) dw[(size_t)j * K + t] += lane_sum(acc[j][t]);
}

static void backward_weight(float *dweight, const float *dout, const float *in, const Conv2dConfig *c, int N,
                            int H, int W, int OH, int OW) {
    const int IC = c->in_channels, OC = c->out_channels, KH = c->kernel_h, KW = c->kernel_w;
    const int K = IC * KH * KW;
    const size_t in_plane = (size_t)H * W, out_plane = (size_t)OH * OW;
    for (int n0 = 0; n0 < N; n0 += IMAGE_GROUP) {
        int images = N - n0 < IMAGE_GROUP ? N - n0 : IMAGE_GROUP;
        const float *g = dout + (size_t)n0 * OC * out_plane, *x = in + (size_t)n0 * IC * in_plane;
        for (int oc0 = 0; oc0 < OC; oc0 += 4) {
            int n_oc = OC - oc0 < 4 ? OC - oc0 : 4;
            size_t goff[4];
            for (int j = 0; j < 4; j++) goff[j] = (size_t)(oc0 + (j < n_oc ? j : 0)) * out_plane;
            for (int t0 = 0; t0 < K; t0 += 4) {
                int n_tap = K - t0 < 4 ? K - t0 : 4;
                size_t xoff[4];
                for (int t = 0; t < 4; t++) {
                    int tap = t0 + (t < n_tap ? t : 0);
                    int ic = tap / (KH * KW), r = tap % (KH * KW);
                    xoff[t] = (size_t)ic * in_plane + (size_t)(r / KW) * W + (size_t)(r % KW);
                }
                dweight_block(dweight + (size_t)oc0 * K + t0, K, g, x, images, (size_t)OC * out_plane,
                              (size_t)IC * in_plane, goff, xoff, n_oc, n_tap, OH, OW, W);
            }
        }
    }
}

static void backward_bias(float *dbias, const float *dout, int N, int OC, int OH, int OW) {
    const size_t out_plane = (size_t)OH * OW;
    for (int oc = 0; oc < OC; oc++) {
        __m512 acc = _mm512_setzero_ps();
        for (int n = 0; n < N; n++) {
            const float *g = dout + ((size_t)n * OC + oc) * out_plane;
            size_t i = 0;
            for (; i + 16 <= out_plane; i += 16) acc = _mm512_add_ps(acc, _mm512_loadu_ps(g + i));
            acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(first_lanes((int)(out_plane - i)), g + i));
        }
        dbias[oc] += lane_sum(acc);
    }
}

// ---- backward: input ------------------------------------------------------------------

// din[ic0 + i, iy, ix0 .. ix0+15] += sum over (oc, ky, kx) of w[oc, ic0+i, ky, kx] *
// g[oc, iy - ky, ix - kx] for 8 input channels i. wq: packed (OC, KH, KW, ICP).
static void din_tile(float *dx, const float *g, const float *wq, int n_ic, int ICP, int OC, int KH, int KW,
                     int iy, int ix0, int OH, int OW, int W, size_t in_plane, size_t out_plane) {
    __mmask16 mrow = first_lanes(W - ix0);
    __m512 acc[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++)
        acc[i] = i < n_ic ? _mm512_maskz_loadu_ps(mrow, dx + i * in_plane) : _mm512_setzero_ps();
    for (int oc = 0; oc < OC; oc++)
        for (int ky = 0; ky < KH; ky++) {
            int oy = iy - ky;
            if (oy < 0 || oy >= OH) continue;
            const float *grow = g + oc * out_plane + (size_t)oy * OW;
            const float *wr = wq + ((size_t)oc * KH + ky) * KW * ICP;
            for (int kx = 0; kx < KW; kx++) {
                // Lane l is column ix = ix0 + l, reading g at ox = ix - kx in [0, OW).
                int lo = kx - ix0 > 0 ? kx - ix0 : 0;
                int hi = OW + kx - ix0 < 16 ? OW + kx - ix0 : 16;
                __mmask16 m = (__mmask16)(first_lanes(hi) & ~first_lanes(lo) & mrow);
                __m512 gv = _mm512_maskz_loadu_ps(m, shifted(grow, ix0 - kx));
#pragma GCC unroll 8
                for (int i = 0; i < 8; i++)
                    acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(wr[kx * ICP + i]), gv, acc[i]);
            }
        }
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++)
        if (i < n_ic) _mm512_mask_storeu_ps(dx + i * in_plane, mrow, acc[i]);
}

static bool backward_input(float *din, const float *dout, const float *weight, const Conv2dConfig *c, int N,
                           int H, int W, int OH, int OW) {
    const int IC = c->in_channels, OC = c->out_channels, KH = c->kernel_h, KW = c->kernel_w;
    const int ICP = (IC + 7) / 8 * 8;
    if ((long)OC * KH * KW * ICP > PACK_MAX) return false;
    float wq[PACK_MAX];
    for (int oc = 0; oc < OC; oc++)
        for (int t = 0; t < KH * KW; t++)
            for (int ic = 0; ic < ICP; ic++)
                wq[((size_t)oc * KH * KW + t) * ICP + ic] = ic < IC ? weight[((size_t)oc * IC + ic) * KH * KW + t] : 0.0f;
    const size_t in_plane = (size_t)H * W, out_plane = (size_t)OH * OW;
    for (int n = 0; n < N; n++) {
        const float *g = dout + (size_t)n * OC * out_plane;
        for (int ic0 = 0; ic0 < IC; ic0 += 8) {
            float *dx = din + ((size_t)n * IC + ic0) * in_plane;
            int n_ic = IC - ic0 < 8 ? IC - ic0 : 8;
            for (int iy = 0; iy < H; iy++)
                for (int ix0 = 0; ix0 < W; ix0 += 16)
                    din_tile(dx + (size_t)iy * W + ix0, g, wq + ic0, n_ic, ICP, OC, KH, KW, iy, ix0, OH, OW, W,
                             in_plane, out_plane);
        }
    }
    return true;
}

bool conv2d_backward_fast(float *din, float *dweight, float *dbias, const float *dout,
                          const float *in, const float *weight, const Conv2dConfig *c,
                          int N, int H, int W) {
    if (!handles(c)) return false;
    const int IC = c->in_channels, OC = c->out_channels, KH = c->kernel_h, KW = c->kernel_w;
    const int OH = H - KH + 1, OW = W - KW + 1;
    if (din && (long)OC * KH * KW * ((IC + 7) / 8 * 8) > PACK_MAX) return false;  // decide before touching anything
    if (din) backward_input(din, dout, weight, c, N, H, W, OH, OW);
    if (dweight) backward_weight(dweight, dout, in, c, N, H, W, OH, OW);
    if (dbias && c->has_bias) backward_bias(dbias, dout, N, OC, OH, OW);
    return true;
}

#else  // no AVX-512: the reference loops do the work

bool conv2d_forward_fast(float *out, const float *in, const float *weight, const float *bias,
                         const Conv2dConfig *c, int N, int H, int W) {
    (void)out, (void)in, (void)weight, (void)bias, (void)c, (void)N, (void)H, (void)W;
    return false;
}

bool conv2d_backward_fast(float *din, float *dweight, float *dbias, const float *dout,
                          const float *in, const float *weight, const Conv2dConfig *c,
                          int N, int H, int W) {
    (void)din, (void)dweight, (void)dbias, (void)dout, (void)in, (void)weight, (void)c, (void)N, (void)H, (void)W;
    return false;
}

#endif
