/* 2-D convolution with torch.nn.Conv2d's semantics (cross-correlation, zero
 * padding, stride, dilation, groups, optional bias). Tensors are NCHW float32.
 * Called by the network (net.c), the lessons and the tests.
 *
 *   out[n, oc, oy, ox] = bias[oc] + sum_{ic in group(oc), ky, kx}
 *       w[oc, ic - g0, ky, kx] * in[n, ic, oy*s_h - p_top + ky*d_h, ox*s_w - p_left + kx*d_w]
 *   OH = floor((H + p_top + p_bottom - d_h*(KH-1) - 1) / s_h) + 1   (likewise OW)
 */
#ifndef CONVLAB_CONV2D_H
#define CONVLAB_CONV2D_H

#include <stdbool.h>
#include "engine/error.h"

typedef struct {
    int in_channels, out_channels;
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    // Zero padding per side. Symmetric for an int or pair padding; padding='same'
    // puts the odd extra pixel at the bottom/right, as PyTorch does.
    int pad_top, pad_bottom, pad_left, pad_right;
    int dilation_h, dilation_w;
    int groups;
    bool has_bias;
} Conv2dConfig;

// A config with PyTorch's defaults: stride 1, padding 0, dilation 1, groups 1, bias.
Conv2dConfig conv2d_config(int in_channels, int out_channels, int kernel_h, int kernel_w);

// Sets symmetric padding (pad_h on top and bottom, pad_w left and right).
void conv2d_set_padding(Conv2dConfig *c, int pad_h, int pad_w);

// Resolves padding='same' as PyTorch does: total = d*(k-1), top = total/2,
// bottom = total - top. Fails (like PyTorch) unless stride is 1.
int conv2d_set_padding_same(Conv2dConfig *c, ClError *err);

// Validates c for an input of H x W and computes the output size. Errors read
// like PyTorch's, e.g. "Conv2d: in_channels (3) must be divisible by groups (2)"
// or "Conv2d: calculated output size (-1 x -1) is too small for input 3 x 3".
int conv2d_output_size(const Conv2dConfig *c, int H, int W, int *out_h, int *out_w, ClError *err);

// Number of learnable scalars: out*(in/groups)*KH*KW (+ out for the bias).
long conv2d_param_count(const Conv2dConfig *c);

// out (N, OC, OH, OW) = conv(in (N, IC, H, W), weight (OC, IC/groups, KH, KW), bias (OC) or NULL).
// c must have passed conv2d_output_size.
void conv2d_forward(float *out, const float *in, const float *weight, const float *bias,
                    const Conv2dConfig *c, int N, int H, int W);

// Backward of conv2d_forward given dout (N, OC, OH, OW). Accumulates (+=) into
// din (N, IC, H, W), dweight and dbias; any of the three may be NULL to skip it.
void conv2d_backward(float *din, float *dweight, float *dbias, const float *dout,
                     const float *in, const float *weight, const Conv2dConfig *c,
                     int N, int H, int W);

// The plain loops behind the two functions above, for every configuration.
// conv2d_forward/backward use faster kernels where they apply (same results up
// to float summation order); tests compare the two.
void conv2d_forward_reference(float *out, const float *in, const float *weight, const float *bias,
                              const Conv2dConfig *c, int N, int H, int W);
void conv2d_backward_reference(float *din, float *dweight, float *dbias, const float *dout,
                               const float *in, const float *weight, const Conv2dConfig *c,
                               int N, int H, int W);

#endif
