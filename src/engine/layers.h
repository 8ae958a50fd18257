/* The small ops of the network: ReLU, Linear, and softmax cross-entropy, with
 * torch.nn's semantics. Flatten needs no code: an NCHW tensor already is the
 * (N, C*H*W) matrix torch.flatten(x, 1) gives.
 */
#ifndef CONVLAB_LAYERS_H
#define CONVLAB_LAYERS_H

#include <stdint.h>

// out = max(in, 0), elementwise over n values (out may equal in).
void relu_forward(float *out, const float *in, long n);
// din += dout except where out <= 0 (PyTorch: the gradient at exactly 0 is 0;
// a NaN passes it through).
void relu_backward(float *din, const float *dout, const float *out, long n);

// out (N, OUT) = in (N, IN) @ weight(OUT, IN)^T + bias (OUT) or NULL.
void linear_forward(float *out, const float *in, const float *weight, const float *bias,
                    int N, int in_features, int out_features);
// Only the output columns [o_lo, o_hi) of linear_forward (the rest of out is
// untouched): each value is the one the whole layer gives, however it is split.
void linear_forward_rows(float *out, const float *in, const float *weight, const float *bias, int N,
                         int in_features, int out_features, int o_lo, int o_hi);
// Accumulates into din (N, IN), dweight (OUT, IN), dbias (OUT); any may be NULL.
void linear_backward(float *din, float *dweight, float *dbias, const float *dout,
                     const float *in, const float *weight, int N, int in_features, int out_features);
// The dweight and dbias part of linear_backward for output rows [o_lo, o_hi)
// only (pointers as there, either may be NULL): threads can split a layer's
// rows, and each row's result does not depend on how they are split.
void linear_backward_rows(float *dweight, float *dbias, const float *dout, const float *in, int N,
                          int in_features, int out_features, int o_lo, int o_hi);

// The din part of linear_backward over output rows [o_lo, o_hi) only: din (N, IN)
// += dout[:, o_lo:o_hi] @ weight[o_lo:o_hi, :], each element summing o in order
// (a thread's partial sum over the rows it owns).
void linear_din_rows(float *din, const float *dout, const float *weight, int N, int in_features, int out_features,
                     int o_lo, int o_hi);

// probs (N, K) = softmax(logits); returns the mean over the batch of
// -log softmax(logits)[n, labels[n]], as nn.CrossEntropyLoss() (reduction mean).
// probs may be NULL.
float cross_entropy_forward(float *probs, const float *logits, const uint8_t *labels, int N, int K);
// dlogits (N, K) = (softmax - onehot) / N, written (not accumulated) — the
// gradient of the mean loss.
void cross_entropy_backward(float *dlogits, const float *logits, const uint8_t *labels, int N, int K);

#endif
