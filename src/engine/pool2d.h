/* Pooling with torch.nn's semantics: MaxPool2d (with return_indices), AvgPool2d,
 * and global max pooling (AdaptiveMaxPool2d(1)). Tensors are NCHW float32.
 *
 *   OH = floor_or_ceil((H + 2p - d*(K-1) - 1) / s) + 1
 * and with ceil_mode the last window must start inside the input or the left
 * padding: if (OH-1)*s >= H + p then OH -= 1 (PyTorch's pooling_output_shape).
 * Max-pool padding is -inf; avg-pool padding counts as 0 and, with
 * count_include_pad, in the divisor (clipped to the padded input, as PyTorch).
 */
#ifndef CONVLAB_POOL2D_H
#define CONVLAB_POOL2D_H

#include <stdbool.h>
#include <stdint.h>
#include "engine/error.h"

typedef struct {
    int kernel_h, kernel_w;
    int stride_h, stride_w;     // PyTorch's default stride is the kernel size
    int pad_h, pad_w;           // symmetric; must be <= kernel/2 (PyTorch's rule)
    int dilation_h, dilation_w; // max pool only; avg pool requires 1
    bool ceil_mode;
    bool count_include_pad;     // avg pool only; PyTorch's default is true
} Pool2dConfig;

// A config with PyTorch's defaults: stride = kernel, padding 0, dilation 1,
// ceil_mode false, count_include_pad true.
Pool2dConfig pool2d_config(int kernel_h, int kernel_w);

// Validates c for an input of H x W and computes the output size. Errors read
// like PyTorch's, e.g. "MaxPool2d: pad should be at most half of kernel size,
// but got pad=2 and kernel_size=3".
int maxpool2d_output_size(const Pool2dConfig *c, int H, int W, int *out_h, int *out_w, ClError *err);
int avgpool2d_output_size(const Pool2dConfig *c, int H, int W, int *out_h, int *out_w, ClError *err);

// out (N, C, OH, OW) = max over each window of in (N, C, H, W).
// indices (N, C, OH, OW), if not NULL, receives the argmax as a flat index
// y*W + x into its own H x W plane: return_indices' convention. Ties keep the
// first element in window order; a NaN wins, as in PyTorch.
void maxpool2d_forward(float *out, int32_t *indices, const float *in, const Pool2dConfig *c,
                       int N, int C, int H, int W);

// din (N, C, H, W) += dout scattered to the argmax positions.
void maxpool2d_backward(float *din, const float *dout, const int32_t *indices,
                        int N, int C, int H, int W, int OH, int OW);

void avgpool2d_forward(float *out, const float *in, const Pool2dConfig *c, int N, int C, int H, int W);
// din (N, C, H, W) += the share of dout each input cell contributed.
void avgpool2d_backward(float *din, const float *dout, const Pool2dConfig *c, int N, int C, int H, int W);

// Global max pool: out (N, C) = max over H x W; indices (N, C) as above.
void global_maxpool_forward(float *out, int32_t *indices, const float *in, int N, int C, int H, int W);
void global_maxpool_backward(float *din, const float *dout, const int32_t *indices, int N, int C, int H, int W);

#endif
