/* Transposed 2-D convolution, forward and backward, with
 * torch.nn.ConvTranspose2d's semantics. Plain reference loops (the lessons'
 * grids are small): forward scatters every input cell through the kernel,
 * backward gathers along the same taps. Validation messages quote PyTorch
 * 1.13's wording so a user can search them.
 */
#include "engine/conv_transpose2d.h"

#include <stddef.h>

ConvTranspose2dConfig conv_transpose2d_config(int in_channels, int out_channels, int kernel_h, int kernel_w) {
    ConvTranspose2dConfig c = {0};
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

// The checks that do not depend on the input size, in PyTorch's order.
static int check_params(const ConvTranspose2dConfig *c, ClError *err) {
    if (c->in_channels <= 0 || c->out_channels <= 0)
        return cl_fail(err, "ConvTranspose2d: in_channels (%d) and out_channels (%d) must be positive",
                       c->in_channels, c->out_channels);
    if (c->groups <= 0)
        return cl_fail(err, "ConvTranspose2d: groups must be a positive integer, but got %d", c->groups);
    if (c->in_channels % c->groups != 0)
        return cl_fail(err, "ConvTranspose2d: in_channels must be divisible by groups (in_channels %d, groups %d)",
                       c->in_channels, c->groups);
    if (c->out_channels % c->groups != 0)
        return cl_fail(err, "ConvTranspose2d: out_channels must be divisible by groups (out_channels %d, groups %d)",
                       c->out_channels, c->groups);
    if (c->kernel_h <= 0 || c->kernel_w <= 0)
        return cl_fail(err, "ConvTranspose2d: kernel size should be greater than zero, but got kernel_height: %d kernel_width: %d",
                       c->kernel_h, c->kernel_w);
    if (c->stride_h <= 0 || c->stride_w <= 0)
        return cl_fail(err, "ConvTranspose2d: non-positive stride is not supported (stride %d x %d)", c->stride_h, c->stride_w);
    if (c->dilation_h <= 0 || c->dilation_w <= 0)
        return cl_fail(err, "ConvTranspose2d: dilation should be greater than zero, but got dilation_height: %d, dilation_width: %d",
                       c->dilation_h, c->dilation_w);
    if (c->pad_h < 0 || c->pad_w < 0)
        return cl_fail(err, "ConvTranspose2d: negative padding is not supported (padding %d x %d)", c->pad_h, c->pad_w);
    if (c->out_pad_h < 0 || c->out_pad_w < 0)
        return cl_fail(err, "ConvTranspose2d: negative output_padding is not supported (output_padding %d x %d)",
                       c->out_pad_h, c->out_pad_w);
    // output_padding only picks one of the stride's possible input sizes, so it must stay below the stride
    // (or the dilation): PyTorch's slow_conv_transpose2d_shape_check.
    bool ok_w = c->out_pad_w < c->stride_w || c->out_pad_w < c->dilation_w;
    bool ok_h = c->out_pad_h < c->stride_h || c->out_pad_h < c->dilation_h;
    if (!ok_w || !ok_h)
        return cl_fail(err, "ConvTranspose2d: output padding must be smaller than either stride or dilation, but got "
                       "output_padding_height: %d output_padding_width: %d stride_height: %d stride_width: %d "
                       "dilation_height: %d dilation_width: %d",
                       c->out_pad_h, c->out_pad_w, c->stride_h, c->stride_w, c->dilation_h, c->dilation_w);
    return 0;
}

int conv_transpose2d_output_size(const ConvTranspose2dConfig *c, int H, int W, int *out_h, int *out_w,
                                 ClError *err) {
    if (check_params(c, err) != 0) return -1;
    if (H <= 0 || W <= 0) return cl_fail(err, "ConvTranspose2d: input size %d x %d must be positive", H, W);
    // H_out = (H - 1)*s - 2p + d(k - 1) + output_padding + 1
    int oh = (H - 1) * c->stride_h - 2 * c->pad_h + c->dilation_h * (c->kernel_h - 1) + c->out_pad_h + 1;
    int ow = (W - 1) * c->stride_w - 2 * c->pad_w + c->dilation_w * (c->kernel_w - 1) + c->out_pad_w + 1;
    if (oh < 1 || ow < 1)
        return cl_fail(err, "ConvTranspose2d: Given input size per channel: (%d x %d). Calculated output size per "
                       "channel: (%d x %d). Output size is too small; lower the padding or raise the stride or kernel_size",
                       H, W, oh, ow);
    *out_h = oh;
    *out_w = ow;
    return 0;
}

long conv_transpose2d_param_count(const ConvTranspose2dConfig *c) {
    long n = (long)c->in_channels * (c->out_channels / c->groups) * c->kernel_h * c->kernel_w;
    return n + (c->has_bias ? c->out_channels : 0);
}

// ---- forward and backward ------------------------------------------------------------

// Shapes and strides of one call, shared by the loops below.
typedef struct {
    int IC, OC, icg, ocg, KH, KW, H, W, OH, OW;
    size_t in_plane, out_plane;
} Dims;

static Dims dims_of(const ConvTranspose2dConfig *c, int H, int W) {
    Dims d = {c->in_channels, c->out_channels, c->in_channels / c->groups, c->out_channels / c->groups,
              c->kernel_h, c->kernel_w, H, W, 0, 0, 0, 0};
    CL_ASSERT(conv_transpose2d_output_size(c, H, W, &d.OH, &d.OW, NULL) == 0);
    d.in_plane = (size_t)H * W;
    d.out_plane = (size_t)d.OH * d.OW;
    return d;
}

void conv_transpose2d_forward(float *out, const float *in, const float *weight, const float *bias,
                              const ConvTranspose2dConfig *c, int N, int H, int W) {
    Dims d = dims_of(c, H, W);
    for (int n = 0; n < N; n++)
        for (int oc = 0; oc < d.OC; oc++) {
            float *o = out + ((size_t)n * d.OC + oc) * d.out_plane;
            float b = (bias && c->has_bias) ? bias[oc] : 0.0f;
            for (size_t i = 0; i < d.out_plane; i++) o[i] = b;
        }
    for (int n = 0; n < N; n++)
        for (int ic = 0; ic < d.IC; ic++) {
            const float *x = in + ((size_t)n * d.IC + ic) * d.in_plane;
            const int g = ic / d.icg;
            for (int ocl = 0; ocl < d.ocg; ocl++) {
                const int oc = g * d.ocg + ocl;
                float *o = out + ((size_t)n * d.OC + oc) * d.out_plane;
                const float *w = weight + ((size_t)ic * d.ocg + ocl) * d.KH * d.KW;
                for (int iy = 0; iy < H; iy++)
                    for (int ix = 0; ix < W; ix++) {
                        const float xv = x[iy * W + ix];
                        for (int ky = 0; ky < d.KH; ky++) {
                            int oy = iy * c->stride_h - c->pad_h + ky * c->dilation_h;
                            if (oy < 0 || oy >= d.OH) continue;
                            for (int kx = 0; kx < d.KW; kx++) {
                                int ox = ix * c->stride_w - c->pad_w + kx * c->dilation_w;
                                if (ox < 0 || ox >= d.OW) continue;
                                o[(size_t)oy * d.OW + ox] += xv * w[ky * d.KW + kx];
                            }
                        }
                    }
            }
        }
}

// With y = conv_transpose(x, w) + b and g = dL/dy, along the forward's taps
// oy = iy*s - p + ky*d, ox = ix*s - p + kx*d (inside the output):
//   dL/dx[n,ic,iy,ix]    = sum_{ocl,ky,kx} g[n,oc,oy,ox] * w[ic,ocl,ky,kx]   (a plain Conv2d of g)
//   dL/dw[ic,ocl,ky,kx]  = sum_{n,iy,ix} x[n,ic,iy,ix] * g[n,oc,oy,ox]
//   dL/db[oc]            = sum_{n,oy,ox} g[n,oc,oy,ox]
void conv_transpose2d_backward(float *din, float *dweight, float *dbias, const float *dout,
                               const float *in, const float *weight, const ConvTranspose2dConfig *c,
                               int N, int H, int W) {
    Dims d = dims_of(c, H, W);
    for (int n = 0; n < N; n++) {
        if (dbias && c->has_bias)
            for (int oc = 0; oc < d.OC; oc++) {
                const float *g = dout + ((size_t)n * d.OC + oc) * d.out_plane;
                float s = 0.0f;
                for (size_t i = 0; i < d.out_plane; i++) s += g[i];
                dbias[oc] += s;
            }
        if (!din && !dweight) continue;
        for (int ic = 0; ic < d.IC; ic++) {
            const size_t xoff = ((size_t)n * d.IC + ic) * d.in_plane;
            const int grp = ic / d.icg;
            for (int ocl = 0; ocl < d.ocg; ocl++) {
                const float *g = dout + ((size_t)n * d.OC + grp * d.ocg + ocl) * d.out_plane;
                const size_t woff = ((size_t)ic * d.ocg + ocl) * d.KH * d.KW;
                for (int iy = 0; iy < H; iy++)
                    for (int ix = 0; ix < W; ix++) {
                        const float xv = in[xoff + (size_t)iy * W + ix];
                        float acc = 0.0f;
                        for (int ky = 0; ky < d.KH; ky++) {
                            int oy = iy * c->stride_h - c->pad_h + ky * c->dilation_h;
                            if (oy < 0 || oy >= d.OH) continue;
                            for (int kx = 0; kx < d.KW; kx++) {
                                int ox = ix * c->stride_w - c->pad_w + kx * c->dilation_w;
                                if (ox < 0 || ox >= d.OW) continue;
                                const float gv = g[(size_t)oy * d.OW + ox];
                                acc += gv * weight[woff + ky * d.KW + kx];
                                if (dweight) dweight[woff + ky * d.KW + kx] += xv * gv;
                            }
                        }
                        if (din) din[xoff + (size_t)iy * W + ix] += acc;
                    }
            }
        }
    }
}
