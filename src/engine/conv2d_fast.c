/* The vectorized convolution of the kernel tier in use (kernels.h; the
 * kernels are in kernels_body.inc) for stride 1, dilation 1, groups 1:
 *  - no padding: the tier's direct kernels (CNNNet's, the tutorial's and
 *    LeNet-5's convolutions);
 *  - zero padding (small_vgg.net, dropout.net): the same kernels on a
 *    zero-padded copy of the input; the input gradient is computed on the
 *    padded grid and its interior added to din;
 *  - a 1 x 1 output (LeNet-5's C5, a 5x5 kernel over a 5x5 map): a Linear
 *    layer over the flattened image, so the tier's Linear kernels.
 * On the scalar tier, or for any other configuration (strides, dilation,
 * groups), these decline and conv2d.c runs its reference loops.
 */
#include "engine/conv2d_fast.h"

#include <string.h>

#include "engine/kernels.h"

static bool is_unit_stride(const Conv2dConfig *c) {
    return c->groups == 1 && c->stride_h == 1 && c->stride_w == 1 && c->dilation_h == 1 && c->dilation_w == 1;
}

static bool is_padded(const Conv2dConfig *c) {
    return c->pad_top || c->pad_bottom || c->pad_left || c->pad_right;
}

// A kernel as large as its unpadded input: out[n, oc] = w[oc, :] . x[n, :]
// over the IC*KH*KW values of each image, exactly Linear's layout.
static bool is_linear(const Conv2dConfig *c, int H, int W) {
    return !is_padded(c) && H == c->kernel_h && W == c->kernel_w;
}

// x (N, IC, H, W) into a zero-padded copy (N, IC, H + top + bottom, W + left + right).
static float *pad_input(const float *x, const Conv2dConfig *c, int N, int H, int W) {
    const int Hp = H + c->pad_top + c->pad_bottom, Wp = W + c->pad_left + c->pad_right;
    const long planes = (long)N * c->in_channels;
    const size_t n = (size_t)planes * (size_t)Hp * (size_t)Wp;
    float *xp = kernels_scratch(SCRATCH_PAD_IN, n);
    memset(xp, 0, sizeof(float) * n);
    for (long p = 0; p < planes; p++)
        for (int y = 0; y < H; y++) {
            const float *src = x + ((size_t)p * H + y) * W;
            float *dst = xp + ((size_t)p * Hp + y + c->pad_top) * Wp + c->pad_left;
            for (int i = 0; i < W; i++) dst[i] = src[i];
        }
    return xp;
}

static Conv2dConfig unpadded(const Conv2dConfig *c) {
    Conv2dConfig u = *c;
    u.pad_top = u.pad_bottom = u.pad_left = u.pad_right = 0;
    return u;
}

// Unpadded, stride 1: the Linear kernels or the tier's convolution kernel.
static bool forward_unpadded(const KernelTable *k, float *out, const float *in, const float *weight,
                             const float *bias, const Conv2dConfig *c, int N, int H, int W) {
    if (is_linear(c, H, W)) {
        if (!k->linear_forward) return false;
        k->linear_forward(out, in, weight, c->has_bias ? bias : NULL, N, c->in_channels * H * W, c->out_channels, 0,
                          c->out_channels);
        return true;
    }
    return k->conv2d_forward && k->conv2d_forward(out, in, weight, bias, c, N, H, W);
}

bool conv2d_forward_fast(float *out, const float *in, const float *weight, const float *bias,
                         const Conv2dConfig *c, int N, int H, int W) {
    const KernelTable *k = kernels_get();
    if (!is_unit_stride(c) || !k->conv2d_forward) return false;
    if (!is_padded(c)) return forward_unpadded(k, out, in, weight, bias, c, N, H, W);
    const Conv2dConfig u = unpadded(c);
    float *xp = pad_input(in, c, N, H, W);
    return forward_unpadded(k, out, xp, weight, bias, &u, N, H + c->pad_top + c->pad_bottom,
                            W + c->pad_left + c->pad_right);
}

// The Linear form of a 1 x 1-output convolution's backward (IN = IC*KH*KW).
static bool backward_linear(const KernelTable *k, float *din, float *dweight, float *dbias, const float *dout,
                            const float *in, const float *weight, const Conv2dConfig *c, int N) {
    if (!k->linear_din || !k->linear_dweight_rows) return false;
    const int IN = c->in_channels * c->kernel_h * c->kernel_w, OUT = c->out_channels;
    if (din) k->linear_din(din, dout, weight, N, IN, OUT, 0, OUT);
    if (dweight) k->linear_dweight_rows(dweight, dout, in, N, IN, OUT, 0, OUT);
    if (dbias && c->has_bias)
        for (int o = 0; o < OUT; o++) {
            float s = 0.0f;
            for (int n = 0; n < N; n++) s += dout[(size_t)n * OUT + o];
            dbias[o] += s;
        }
    return true;
}

static bool backward_unpadded(const KernelTable *k, float *din, float *dweight, float *dbias, const float *dout,
                              const float *in, const float *weight, const Conv2dConfig *c, int N, int H, int W) {
    if (is_linear(c, H, W)) return backward_linear(k, din, dweight, dbias, dout, in, weight, c, N);
    return k->conv2d_backward && k->conv2d_backward(din, dweight, dbias, dout, in, weight, c, N, H, W);
}

bool conv2d_backward_fast(float *din, float *dweight, float *dbias, const float *dout,
                          const float *in, const float *weight, const Conv2dConfig *c,
                          int N, int H, int W) {
    const KernelTable *k = kernels_get();
    if (!is_unit_stride(c) || !k->conv2d_backward) return false;
    if (!is_padded(c)) return backward_unpadded(k, din, dweight, dbias, dout, in, weight, c, N, H, W);
    // On the padded grid: dweight from the padded input, the input gradient
    // into a zeroed padded buffer whose interior is then added to din.
    const Conv2dConfig u = unpadded(c);
    const int Hp = H + c->pad_top + c->pad_bottom, Wp = W + c->pad_left + c->pad_right;
    const long planes = (long)N * c->in_channels;
    float *xp = dweight ? pad_input(in, c, N, H, W) : NULL;
    float *dxp = NULL;
    if (din) {
        dxp = kernels_scratch(SCRATCH_PAD_DIN, (size_t)planes * Hp * Wp);
        memset(dxp, 0, sizeof(float) * (size_t)planes * Hp * Wp);
    }
    bool done = backward_unpadded(k, dxp, dweight, dbias, dout, xp, weight, &u, N, Hp, Wp);
    if (done && din)
        for (long p = 0; p < planes; p++)
            for (int y = 0; y < H; y++) {
                const float *src = dxp + ((size_t)p * Hp + y + c->pad_top) * Wp + c->pad_left;
                float *dst = din + ((size_t)p * H + y) * W;
                for (int i = 0; i < W; i++) dst[i] += src[i];
            }
    return done;
}
