/* Max, average and global max pooling with torch.nn's semantics, forward and
 * backward, over NCHW float32 (plus the kernel tier's MaxPool2d(2, 2), the
 * network's pool, with the same tie and NaN rule; kernels.h). The loops mirror ATen's CPU kernels
 * (MaxPoolKernel.cpp, AvgPoolKernel.cpp) so that window clipping, divisors,
 * argmax ties and NaN handling agree exactly; messages quote PyTorch's wording.
 */
#include "engine/pool2d.h"

#include <math.h>
#include <stddef.h>

#include "engine/kernels.h"

Pool2dConfig pool2d_config(int kernel_h, int kernel_w) {
    Pool2dConfig c = {0};
    c.kernel_h = kernel_h;
    c.kernel_w = kernel_w;
    c.stride_h = kernel_h;
    c.stride_w = kernel_w;
    c.dilation_h = c.dilation_w = 1;
    c.count_include_pad = true;
    return c;
}

// ---- output size and validation ---------------------------------------------

static int floor_div(int a, int b) {
    int q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// PyTorch's pooling_output_shape: floor or ceil of (in + 2p - d(k-1) - 1)/s, + 1;
// with ceil_mode the last window must start inside the input or the left
// padding, so a window starting at or beyond in + p is dropped.
static int pool_output_dim(int in, int k, int pad, int stride, int dilation, bool ceil_mode) {
    int num = in + 2 * pad - dilation * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0);
    int out = floor_div(num, stride) + 1;
    if (ceil_mode && (out - 1) * stride >= in + pad) out--;
    return out;
}

// Checks shared by max and avg pooling, in the order PyTorch runs them.
static int pool_check(const char *op, const Pool2dConfig *c, int dil_h, int dil_w, int H, int W,
                      int *out_h, int *out_w, ClError *err) {
    // PyTorch checks a zero stride first (so MaxPool2d(0) reports the stride it
    // defaulted to the kernel) and words it apart from a negative one.
    if (c->stride_h == 0 || c->stride_w == 0)
        return cl_fail(err, "%s: stride should not be zero (got %d x %d)", op, c->stride_h, c->stride_w);
    if (c->kernel_h <= 0 || c->kernel_w <= 0)
        return cl_fail(err, "%s: kernel size should be greater than zero, but got kH: %d kW: %d", op, c->kernel_h, c->kernel_w);
    if (c->stride_h <= 0 || c->stride_w <= 0)
        return cl_fail(err, "%s: stride should be greater than zero, but got dH: %d dW: %d", op, c->stride_h, c->stride_w);
    if (dil_h <= 0 || dil_w <= 0)
        return cl_fail(err, "%s: dilation should be greater than zero, but got dilationH: %d dilationW: %d", op, dil_h, dil_w);
    if (c->pad_h < 0 || c->pad_w < 0)
        return cl_fail(err, "%s: pad must be non-negative, but got pad: %d", op, c->pad_h < 0 ? c->pad_h : c->pad_w);
    // PyTorch compares with the plain kernel (not the dilated one): pad <= k/2.
    if (c->pad_h > c->kernel_h / 2)
        return cl_fail(err, "%s: pad should be at most half of kernel size, but got pad=%d and kernel_size=%d", op, c->pad_h, c->kernel_h);
    if (c->pad_w > c->kernel_w / 2)
        return cl_fail(err, "%s: pad should be at most half of kernel size, but got pad=%d and kernel_size=%d", op, c->pad_w, c->kernel_w);
    if (H <= 0 || W <= 0)
        return cl_fail(err, "%s: input size %d x %d must be positive", op, H, W);
    int oh = pool_output_dim(H, c->kernel_h, c->pad_h, c->stride_h, dil_h, c->ceil_mode);
    int ow = pool_output_dim(W, c->kernel_w, c->pad_w, c->stride_w, dil_w, c->ceil_mode);
    if (oh < 1 || ow < 1)
        return cl_fail(err, "%s: Given input size: (%dx%d). Calculated output size: (%dx%d). Output size is too small", op, H, W, oh, ow);
    *out_h = oh;
    *out_w = ow;
    return 0;
}

int maxpool2d_output_size(const Pool2dConfig *c, int H, int W, int *out_h, int *out_w, ClError *err) {
    return pool_check("MaxPool2d", c, c->dilation_h, c->dilation_w, H, W, out_h, out_w, err);
}

int avgpool2d_output_size(const Pool2dConfig *c, int H, int W, int *out_h, int *out_w, ClError *err) {
    if (c->dilation_h != 1 || c->dilation_w != 1)
        return cl_fail(err, "AvgPool2d: dilation must be 1 (torch.nn.AvgPool2d has no dilation), but got %d x %d", c->dilation_h, c->dilation_w);
    return pool_check("AvgPool2d", c, 1, 1, H, W, out_h, out_w, err);
}

// ---- max pool -----------------------------------------------------------------

// As ATen's cpu_max_pool: the window's first in-bounds tap is the initial argmax
// with value -inf; a strictly greater value or any NaN takes over, so ties keep
// the first element and the last NaN of a window wins.
void maxpool2d_forward(float *out, int32_t *indices, const float *in, const Pool2dConfig *c,
                       int N, int C, int H, int W) {
    int OH, OW;
    CL_ASSERT(maxpool2d_output_size(c, H, W, &OH, &OW, NULL) == 0);
    // The kernel tier's MaxPool2d(2, 2) (same rule, bit-exact) when c is that case.
    const KernelTable *k = kernels_get();
    if (k->maxpool2x2 && k->maxpool2x2(out, indices, in, c, N, C, H, W, OH, OW)) return;
    const int sh = c->stride_h, sw = c->stride_w, dh = c->dilation_h, dw = c->dilation_w;
    for (long p = 0; p < (long)N * C; p++) {
        const float *x = in + (size_t)p * H * W;
        float *o = out + (size_t)p * OH * OW;
        int32_t *idx = indices ? indices + (size_t)p * OH * OW : NULL;
        for (int oy = 0; oy < OH; oy++) {
            int y0 = oy * sh - c->pad_h;
            int y1 = y0 + (c->kernel_h - 1) * dh + 1;
            if (y1 > H) y1 = H;
            while (y0 < 0) y0 += dh;
            for (int ox = 0; ox < OW; ox++) {
                int x0 = ox * sw - c->pad_w;
                int x1 = x0 + (c->kernel_w - 1) * dw + 1;
                if (x1 > W) x1 = W;
                while (x0 < 0) x0 += dw;
                int best = y0 * W + x0;
                float best_v = -INFINITY;
                for (int y = y0; y < y1; y += dh)
                    for (int xx = x0; xx < x1; xx += dw) {
                        float v = x[y * W + xx];
                        if (v > best_v || isnan(v)) best_v = v, best = y * W + xx;
                    }
                o[oy * OW + ox] = best_v;
                if (idx) idx[oy * OW + ox] = best;
            }
        }
    }
}

void maxpool2d_backward(float *din, const float *dout, const int32_t *indices,
                        int N, int C, int H, int W, int OH, int OW) {
    const long plane_out = (long)OH * OW, plane_in = (long)H * W;
    for (long p = 0; p < (long)N * C; p++) {
        float *dx = din + p * plane_in;
        const float *g = dout + p * plane_out;
        const int32_t *idx = indices + p * plane_out;
        for (long i = 0; i < plane_out; i++) {
            CL_ASSERT(idx[i] >= 0 && idx[i] < plane_in);
            dx[idx[i]] += g[i];
        }
    }
}

// ---- average pool -------------------------------------------------------------

// The window of output (oy, ox) as ATen's cpu_avg_pool computes it: clipped to
// the padded input [-p, H+p) for the count_include_pad divisor, then to the real
// input for the sum (and for the divisor without count_include_pad).
typedef struct { int y0, y1, x0, x1; int divisor; } AvgWindow;

static AvgWindow avg_window(const Pool2dConfig *c, int H, int W, int oy, int ox) {
    AvgWindow w;
    int y0 = oy * c->stride_h - c->pad_h, x0 = ox * c->stride_w - c->pad_w;
    int y1 = y0 + c->kernel_h, x1 = x0 + c->kernel_w;
    if (y1 > H + c->pad_h) y1 = H + c->pad_h;
    if (x1 > W + c->pad_w) x1 = W + c->pad_w;
    int padded_count = (y1 - y0) * (x1 - x0);
    w.y0 = y0 < 0 ? 0 : y0;
    w.x0 = x0 < 0 ? 0 : x0;
    w.y1 = y1 > H ? H : y1;
    w.x1 = x1 > W ? W : x1;
    w.divisor = c->count_include_pad ? padded_count : (w.y1 - w.y0) * (w.x1 - w.x0);
    return w;
}

void avgpool2d_forward(float *out, const float *in, const Pool2dConfig *c, int N, int C, int H, int W) {
    int OH, OW;
    CL_ASSERT(avgpool2d_output_size(c, H, W, &OH, &OW, NULL) == 0);
    for (long p = 0; p < (long)N * C; p++) {
        const float *x = in + (size_t)p * H * W;
        float *o = out + (size_t)p * OH * OW;
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                AvgWindow w = avg_window(c, H, W, oy, ox);
                if (w.y0 >= w.y1 || w.x0 >= w.x1) { o[oy * OW + ox] = 0.0f; continue; }
                float sum = 0.0f;
                for (int y = w.y0; y < w.y1; y++)
                    for (int xx = w.x0; xx < w.x1; xx++) sum += x[y * W + xx];
                o[oy * OW + ox] = sum / (float)w.divisor;
            }
    }
}

void avgpool2d_backward(float *din, const float *dout, const Pool2dConfig *c, int N, int C, int H, int W) {
    int OH, OW;
    CL_ASSERT(avgpool2d_output_size(c, H, W, &OH, &OW, NULL) == 0);
    for (long p = 0; p < (long)N * C; p++) {
        float *dx = din + (size_t)p * H * W;
        const float *g = dout + (size_t)p * OH * OW;
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                AvgWindow w = avg_window(c, H, W, oy, ox);
                if (w.y0 >= w.y1 || w.x0 >= w.x1) continue;
                float share = g[oy * OW + ox] / (float)w.divisor;
                for (int y = w.y0; y < w.y1; y++)
                    for (int xx = w.x0; xx < w.x1; xx++) dx[y * W + xx] += share;
            }
    }
}

// ---- global max pool ----------------------------------------------------------

// AdaptiveMaxPool2d(1): one window covering the whole plane, same tie/NaN rule.
void global_maxpool_forward(float *out, int32_t *indices, const float *in, int N, int C, int H, int W) {
    const long plane = (long)H * W;
    for (long p = 0; p < (long)N * C; p++) {
        const float *x = in + p * plane;
        float best_v = -INFINITY;
        long best = 0;
        for (long i = 0; i < plane; i++)
            if (x[i] > best_v || isnan(x[i])) best_v = x[i], best = i;
        out[p] = best_v;
        if (indices) indices[p] = (int32_t)best;
    }
}

void global_maxpool_backward(float *din, const float *dout, const int32_t *indices, int N, int C, int H, int W) {
    const long plane = (long)H * W;
    for (long p = 0; p < (long)N * C; p++) {
        CL_ASSERT(indices[p] >= 0 && indices[p] < plane);
        din[p * plane + indices[p]] += dout[p];
    }
}
