/* Dropout with torch.nn.Dropout's semantics. In training each element is kept
 * with probability 1 - p and scaled by 1 / (1 - p), or zeroed; in eval it is
 * the identity. The keep/drop mask comes from the engine's seeded generator
 * (rng.h, not PyTorch's), is drawn once per forward for the whole batch, and
 * is kept so that backward zeroes the same elements.
 *
 *   out = in * noise,  noise = mask ? 1 / (1 - p) : 0     (0 < p < 1)
 *   p = 0: out = in;  p = 1: out = in * 0 (NaN stays NaN), as PyTorch
 */
#ifndef CONVLAB_DROPOUT_H
#define CONVLAB_DROPOUT_H

#include <stdint.h>
#include "engine/error.h"
#include "engine/rng.h"

// Checks p as nn.Dropout does: "dropout probability has to be between 0 and 1, but got 1.5".
int dropout_check(double p, ClError *err);

// The factor kept values get: 1.0f / (float)(1 - p), rounded as PyTorch's
// noise.div_(1 - p) on a float tensor; 1 for p = 0, 0 for p = 1 (nothing is kept).
float dropout_scale(double p);

// mask (n) = 1 (keep) with probability 1 - p, else 0. Draws one number per
// element from rng, in index order, when 0 < p < 1; draws nothing for p = 0
// (all 1) or p = 1 (all 0), as PyTorch draws no noise then.
void dropout_sample_mask(uint8_t *mask, Rng *rng, double p, long n);

// Training: out (n) = in * (mask ? dropout_scale(p) : 0); mask (n) from
// dropout_sample_mask with the same p. mask NULL: eval, out = in. out may equal in.
void dropout_forward(float *out, const float *in, const uint8_t *mask, double p, long n);
// din (n) += dout * the same noise as dropout_forward (mask NULL: din += dout).
void dropout_backward(float *din, const float *dout, const uint8_t *mask, double p, long n);

#endif
