/* 2-D transposed convolution with torch.nn.ConvTranspose2d's semantics: the
 * gradient of a Conv2d with respect to its input, used as a layer. Every input
 * cell scatters a copy of the kernel, scaled by its value, into the output at
 * stride steps. Tensors are NCHW float32. Called by the lessons and the tests.
 *
 *   out[n, oc, iy*s_h - p_h + ky*d_h, ix*s_w - p_w + kx*d_w] +=
 *       in[n, ic, iy, ix] * w[ic, oc - g0, ky, kx]     (ic in the group of oc)
 *   H_out = (H - 1)*s_h - 2*p_h + d_h*(KH - 1) + output_padding_h + 1   (likewise W)
 * weight is (IC, OC/groups, KH, KW), as PyTorch stores it.
 */
#ifndef CONVLAB_CONV_TRANSPOSE2D_H
#define CONVLAB_CONV_TRANSPOSE2D_H

#include <stdbool.h>
#include "engine/error.h"

typedef struct {
    int in_channels, out_channels;
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int pad_h, pad_w;               // cut from both sides of the full output (PyTorch's padding)
    int out_pad_h, out_pad_w;       // extra rows/cols at the bottom/right (output_padding)
    int dilation_h, dilation_w;
    int groups;
    bool has_bias;
} ConvTranspose2dConfig;

// A config with PyTorch's defaults: stride 1, padding 0, output_padding 0, dilation 1, groups 1, bias.
ConvTranspose2dConfig conv_transpose2d_config(int in_channels, int out_channels, int kernel_h, int kernel_w);

// Validates c for an input of H x W and computes the output size. Errors quote
// PyTorch 1.13, e.g. "ConvTranspose2d: output padding must be smaller than either
// stride or dilation, but got output_padding_height: 2 ...".
int conv_transpose2d_output_size(const ConvTranspose2dConfig *c, int H, int W, int *out_h, int *out_w,
                                 ClError *err);

// Number of learnable scalars: in*(out/groups)*KH*KW (+ out for the bias).
long conv_transpose2d_param_count(const ConvTranspose2dConfig *c);

// out (N, OC, OH, OW) = conv_transpose(in (N, IC, H, W), weight (IC, OC/groups, KH, KW), bias (OC) or NULL).
// c must have passed conv_transpose2d_output_size.
void conv_transpose2d_forward(float *out, const float *in, const float *weight, const float *bias,
                              const ConvTranspose2dConfig *c, int N, int H, int W);

// Backward of conv_transpose2d_forward given dout (N, OC, OH, OW). Accumulates (+=)
// into din (N, IC, H, W), dweight (IC, OC/groups, KH, KW) and dbias (OC); any may be NULL.
void conv_transpose2d_backward(float *din, float *dweight, float *dbias, const float *dout,
                               const float *in, const float *weight, const ConvTranspose2dConfig *c,
                               int N, int H, int W);

#endif
