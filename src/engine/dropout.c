/* Dropout (see dropout.h). PyTorch 1.13 on the CPU runs _dropout_impl
 * (aten/src/ATen/native/Dropout.cpp): noise = bernoulli(1 - p), noise /= 1 - p,
 * out = in * noise, and autograd's backward of that product is dout * noise.
 * Here the noise is a byte mask plus one scale, so a layer keeps N*C*H*W bytes.
 */
#include "engine/dropout.h"

#include <math.h>
#include <string.h>

int dropout_check(double p, ClError *err) {
    // !(p >= 0 && p <= 1) also refuses NaN.
    if (!(p >= 0.0 && p <= 1.0))
        return cl_fail(err, "Dropout: dropout probability has to be between 0 and 1, but got %g", p);
    return 0;
}

// PyTorch divides a float tensor of ones by the scalar 1 - p: the scalar is
// cast to float first, then 1.0f / that. (For p = 1 no noise is ever used.)
float dropout_scale(double p) {
    if (p >= 1.0) return 0.0f;
    return 1.0f / (float)(1.0 - p);
}

// keep iff u >= p with u uniform in [0, 1) (53-bit steps): P(keep) = 1 - p.
void dropout_sample_mask(uint8_t *mask, Rng *rng, double p, long n) {
    CL_ASSERT(p >= 0.0 && p <= 1.0);
    if (p == 0.0 || p == 1.0) {
        memset(mask, p == 0.0 ? 1 : 0, (size_t)n);
        return;
    }
    for (long i = 0; i < n; i++) mask[i] = rng_uniform(rng) >= p;
}

// p = 0 keeps the input bits (in * 1 = in, NaN included); p = 1 multiplies by
// 0 whatever the mask says, as PyTorch's multiply(input, zeros({})).
void dropout_forward(float *out, const float *in, const uint8_t *mask, double p, long n) {
    if (!mask || p == 0.0) {
        if (out != in) memmove(out, in, sizeof(float) * (size_t)n);
        return;
    }
    const float scale = dropout_scale(p);
    for (long i = 0; i < n; i++) out[i] = in[i] * (mask[i] ? scale : 0.0f);
}

void dropout_backward(float *din, const float *dout, const uint8_t *mask, double p, long n) {
    if (!mask || p == 0.0) {
        for (long i = 0; i < n; i++) din[i] += dout[i];
        return;
    }
    const float scale = dropout_scale(p);
    for (long i = 0; i < n; i++) din[i] += dout[i] * (mask[i] ? scale : 0.0f);
}
