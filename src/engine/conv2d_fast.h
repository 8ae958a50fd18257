/* Engine-private: vectorized convolution for stride 1, dilation 1, groups 1,
 * with or without zero padding (every convolution of assets/nets/).
 * conv2d.c tries these first and falls back to its reference loops when a
 * kernel declines (another configuration, or the scalar kernel tier).
 * Same math as the reference; only the float summation order differs.
 */
#ifndef CONVLAB_CONV2D_FAST_H
#define CONVLAB_CONV2D_FAST_H

#include <stdbool.h>
#include "engine/conv2d.h"

// Each returns false (and touches nothing) if it does not handle c; then the
// caller runs the reference loops. Arguments as conv2d_forward/backward.
bool conv2d_forward_fast(float *out, const float *in, const float *weight, const float *bias,
                         const Conv2dConfig *c, int N, int H, int W);
bool conv2d_backward_fast(float *din, float *dweight, float *dbias, const float *dout,
                          const float *in, const float *weight, const Conv2dConfig *c,
                          int N, int H, int W);

#endif
