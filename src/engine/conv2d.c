/* 2-D convolution, forward and backward, with torch.nn.Conv2d's semantics.
 * Reference loops over NCHW float32 for every configuration; the public entry
 * points first offer the work to the vectorized kernels of conv2d_fast.c
 * (stride 1, dilation 1, groups 1, any zero padding: every shipped net's
 * convolutions), which decline otherwise.
 * Validation messages quote PyTorch's own wording so a user can search them.
 */
#include "engine/conv2d.h"

#include <stddef.h>

#include "engine/conv2d_fast.h"

Conv2dConfig conv2d_config(int in_channels, int out_channels, int kernel_h, int kernel_w) {
    Conv2dConfig c = {0};
    c.in_channels = in_channels;
    c.out_channels = out_channels;
    c.kernel_h = kernel_h;
    c.kernel_w = kernel_w;
    c.stride_h = c.stride_w = 1;
    c.dilation_h = c.dilation_w = 1;
    c.groups = 1;
    c.has_bias = true;
    return c;
}

void conv2d_set_padding(Conv2dConfig *c, int pad_h, int pad_w) {
    c->pad_top = c->pad_bottom = pad_h;
    c->pad_left = c->pad_right = pad_w;
}

// total = d*(k-1) per axis; PyTorch's _convolution_mode pads total/2 before and
// the rest after, so an odd total puts the extra pixel at the bottom/right.
// Uses the kernel, stride and dilation already set in c.
int conv2d_set_padding_same(Conv2dConfig *c, ClError *err) {
    if (c->stride_h != 1 || c->stride_w != 1)
        return cl_fail(err, "Conv2d: padding='same' is not supported for strided convolutions (stride %d x %d); use stride 1 or an explicit padding",
                       c->stride_h, c->stride_w);
    int total_h = c->dilation_h * (c->kernel_h - 1);
    int total_w = c->dilation_w * (c->kernel_w - 1);
    c->pad_top = total_h / 2;
    c->pad_bottom = total_h - c->pad_top;
    c->pad_left = total_w / 2;
    c->pad_right = total_w - c->pad_left;
    return 0;
}

int conv2d_output_size(const Conv2dConfig *c, int H, int W, int *out_h, int *out_w, ClError *err) {
    if (c->in_channels <= 0 || c->out_channels <= 0)
        return cl_fail(err, "Conv2d: in_channels (%d) and out_channels (%d) must be positive", c->in_channels, c->out_channels);
    if (c->groups <= 0)
        return cl_fail(err, "Conv2d: groups must be a positive integer, but got %d", c->groups);
    if (c->in_channels % c->groups != 0)
        return cl_fail(err, "Conv2d: in_channels must be divisible by groups (in_channels %d, groups %d)", c->in_channels, c->groups);
    if (c->out_channels % c->groups != 0)
        return cl_fail(err, "Conv2d: out_channels must be divisible by groups (out_channels %d, groups %d)", c->out_channels, c->groups);
    if (c->kernel_h <= 0 || c->kernel_w <= 0)
        return cl_fail(err, "Conv2d: kernel size should be greater than zero, but got kernel_height: %d kernel_width: %d",
                       c->kernel_h, c->kernel_w);
    if (c->stride_h <= 0 || c->stride_w <= 0)
        return cl_fail(err, "Conv2d: non-positive stride is not supported (stride %d x %d)", c->stride_h, c->stride_w);
    if (c->dilation_h <= 0 || c->dilation_w <= 0)
        return cl_fail(err, "Conv2d: dilation should be greater than zero, but got [%d, %d]", c->dilation_h, c->dilation_w);
    if (c->pad_top < 0 || c->pad_bottom < 0 || c->pad_left < 0 || c->pad_right < 0)
        return cl_fail(err, "Conv2d: negative padding is not supported (top %d, bottom %d, left %d, right %d)",
                       c->pad_top, c->pad_bottom, c->pad_left, c->pad_right);
    if (H <= 0 || W <= 0)
        return cl_fail(err, "Conv2d: input size %d x %d must be positive", H, W);
    int padded_h = H + c->pad_top + c->pad_bottom, padded_w = W + c->pad_left + c->pad_right;
    int span_h = c->dilation_h * (c->kernel_h - 1) + 1, span_w = c->dilation_w * (c->kernel_w - 1) + 1;
    // padded >= span, so the numerator is >= 0 and C division is floor division.
    int oh = padded_h >= span_h ? (padded_h - span_h) / c->stride_h + 1 : padded_h - span_h + 1;
    int ow = padded_w >= span_w ? (padded_w - span_w) / c->stride_w + 1 : padded_w - span_w + 1;
    if (oh <= 0 || ow <= 0)
        return cl_fail(err, "Conv2d: calculated output size (%d x %d) is too small for input %d x %d: "
                       "calculated padded input size per channel: (%d x %d). Kernel size: (%d x %d). "
                       "Kernel size can't be greater than actual input size",
                       oh, ow, H, W, padded_h, padded_w, span_h, span_w);
    *out_h = oh;
    *out_w = ow;
    return 0;
}

long conv2d_param_count(const Conv2dConfig *c) {
    long n = (long)c->out_channels * (c->in_channels / c->groups) * c->kernel_h * c->kernel_w;
    return n + (c->has_bias ? c->out_channels : 0);
}

// ---- forward ------------------------------------------------------------------

// The output columns ox whose tap kx lands inside the input: 0 <= ox*s - p + kx*d < W.
// Returns the half-open range [*lo, *hi) (possibly empty).
static void valid_range(int *lo, int *hi, int O, int s, int offset, int W) {
    // offset = kx*d - p; need ox*s + offset in [0, W).
    int a = offset >= 0 ? 0 : (-offset + s - 1) / s;
    int b = W - offset <= 0 ? 0 : (W - offset + s - 1) / s;   // first ox with ox*s + offset >= W
    if (b > O) b = O;
    *lo = a;
    *hi = b > a ? b : a;
}

void conv2d_forward(float *out, const float *in, const float *weight, const float *bias,
                    const Conv2dConfig *c, int N, int H, int W) {
    if (conv2d_forward_fast(out, in, weight, bias, c, N, H, W)) return;
    conv2d_forward_reference(out, in, weight, bias, c, N, H, W);
}

void conv2d_forward_reference(float *out, const float *in, const float *weight, const float *bias,
                              const Conv2dConfig *c, int N, int H, int W) {
    int OH, OW;
    CL_ASSERT(conv2d_output_size(c, H, W, &OH, &OW, NULL) == 0);
    const int IC = c->in_channels, OC = c->out_channels, KH = c->kernel_h, KW = c->kernel_w;
    const int icg = IC / c->groups, ocg = OC / c->groups;
    const int sh = c->stride_h, sw = c->stride_w, dh = c->dilation_h, dw = c->dilation_w;
    const size_t in_plane = (size_t)H * W, out_plane = (size_t)OH * OW;

    for (int n = 0; n < N; n++) {
        for (int oc = 0; oc < OC; oc++) {
            float *o = out + ((size_t)n * OC + oc) * out_plane;
            float b = (bias && c->has_bias) ? bias[oc] : 0.0f;
            for (size_t i = 0; i < out_plane; i++) o[i] = b;
            const int ic0 = (oc / ocg) * icg;
            for (int icl = 0; icl < icg; icl++) {
                const float *x = in + ((size_t)n * IC + ic0 + icl) * in_plane;
                const float *w = weight + ((size_t)oc * icg + icl) * KH * KW;
                for (int ky = 0; ky < KH; ky++) {
                    int oy_lo, oy_hi;
                    valid_range(&oy_lo, &oy_hi, OH, sh, ky * dh - c->pad_top, H);
                    for (int kx = 0; kx < KW; kx++) {
                        const float wv = w[ky * KW + kx];
                        int ox_lo, ox_hi;
                        valid_range(&ox_lo, &ox_hi, OW, sw, kx * dw - c->pad_left, W);
                        for (int oy = oy_lo; oy < oy_hi; oy++) {
                            // base may be negative; base + ox*sw is in range for ox in [ox_lo, ox_hi).
                            const ptrdiff_t base = (ptrdiff_t)(oy * sh - c->pad_top + ky * dh) * W + (kx * dw - c->pad_left);
                            float *orow = o + (size_t)oy * OW;
                            for (int ox = ox_lo; ox < ox_hi; ox++) orow[ox] += wv * x[base + (ptrdiff_t)ox * sw];
                        }
                    }
                }
            }
        }
    }
}

// ---- backward -----------------------------------------------------------------

// With y = conv(x, w) + b and upstream gradient g = dL/dy:
//   dL/db[oc]          = sum_{n,oy,ox} g[n,oc,oy,ox]
//   dL/dw[oc,icl,ky,kx] = sum_{n,oy,ox} g[n,oc,oy,ox] * x[n,ic,oy*s-p+ky*d, ox*s-p+kx*d]
//   dL/dx[n,ic,iy,ix]  += g[n,oc,oy,ox] * w[oc,icl,ky,kx] for every tap that read (iy,ix)
void conv2d_backward(float *din, float *dweight, float *dbias, const float *dout,
                     const float *in, const float *weight, const Conv2dConfig *c,
                     int N, int H, int W) {
    int OH, OW;
    CL_ASSERT(conv2d_output_size(c, H, W, &OH, &OW, NULL) == 0);
    if (conv2d_backward_fast(din, dweight, dbias, dout, in, weight, c, N, H, W)) return;
    conv2d_backward_reference(din, dweight, dbias, dout, in, weight, c, N, H, W);
}

void conv2d_backward_reference(float *din, float *dweight, float *dbias, const float *dout,
                               const float *in, const float *weight, const Conv2dConfig *c,
                               int N, int H, int W) {
    int OH, OW;
    CL_ASSERT(conv2d_output_size(c, H, W, &OH, &OW, NULL) == 0);
    const int IC = c->in_channels, OC = c->out_channels, KH = c->kernel_h, KW = c->kernel_w;
    const int icg = IC / c->groups, ocg = OC / c->groups;
    const int sh = c->stride_h, sw = c->stride_w, dh = c->dilation_h, dw = c->dilation_w;
    const size_t in_plane = (size_t)H * W, out_plane = (size_t)OH * OW;

    for (int n = 0; n < N; n++) {
        for (int oc = 0; oc < OC; oc++) {
            const float *g = dout + ((size_t)n * OC + oc) * out_plane;
            if (dbias && c->has_bias) {
                float s = 0.0f;
                for (size_t i = 0; i < out_plane; i++) s += g[i];
                dbias[oc] += s;
            }
            if (!din && !dweight) continue;
            const int ic0 = (oc / ocg) * icg;
            for (int icl = 0; icl < icg; icl++) {
                const size_t xoff = ((size_t)n * IC + ic0 + icl) * in_plane;
                const float *x = in + xoff;
                float *dx = din ? din + xoff : NULL;
                const float *w = weight + ((size_t)oc * icg + icl) * KH * KW;
                float *dwp = dweight ? dweight + ((size_t)oc * icg + icl) * KH * KW : NULL;
                for (int ky = 0; ky < KH; ky++) {
                    int oy_lo, oy_hi;
                    valid_range(&oy_lo, &oy_hi, OH, sh, ky * dh - c->pad_top, H);
                    for (int kx = 0; kx < KW; kx++) {
                        int ox_lo, ox_hi;
                        valid_range(&ox_lo, &ox_hi, OW, sw, kx * dw - c->pad_left, W);
                        const float wv = w[ky * KW + kx];
                        float wsum = 0.0f;
                        for (int oy = oy_lo; oy < oy_hi; oy++) {
                            const ptrdiff_t base = (ptrdiff_t)(oy * sh - c->pad_top + ky * dh) * W + (kx * dw - c->pad_left);
                            const float *grow = g + (size_t)oy * OW;
                            if (dwp)
                                for (int ox = ox_lo; ox < ox_hi; ox++) wsum += grow[ox] * x[base + (ptrdiff_t)ox * sw];
                            if (dx)
                                for (int ox = ox_lo; ox < ox_hi; ox++) dx[base + (ptrdiff_t)ox * sw] += grow[ox] * wv;
                        }
                        if (dwp) dwp[ky * KW + kx] += wsum;
                    }
                }
            }
        }
    }
}
