/* The vectorized direct convolution of the kernel tier in use (kernels.h;
 * the kernels are in kernels_body.inc) for stride 1, dilation 1, groups 1, no
 * padding: CNNNet's conv1 and conv2. On the scalar tier, or for any other
 * configuration, these decline and conv2d.c runs its reference loops.
 */
#include "engine/conv2d_fast.h"

#include "engine/kernels.h"

bool conv2d_forward_fast(float *out, const float *in, const float *weight, const float *bias,
                         const Conv2dConfig *c, int N, int H, int W) {
    const KernelTable *k = kernels_get();
    return k->conv2d_forward && k->conv2d_forward(out, in, weight, bias, c, N, H, W);
}

bool conv2d_backward_fast(float *din, float *dweight, float *dbias, const float *dout,
                          const float *in, const float *weight, const Conv2dConfig *c,
                          int N, int H, int W) {
    const KernelTable *k = kernels_get();
    return k->conv2d_backward && k->conv2d_backward(din, dweight, dbias, dout, in, weight, c, N, H, W);
}
