/* Elementwise activations with torch.nn's semantics: LeakyReLU, Tanh, Sigmoid.
 * Called per layer by the network and by the tests; any split of the n values
 * into pieces gives the same bits (each value depends on its own input only).
 * Like relu_backward (layers.h), every backward ADDS into din.
 *
 *   leaky_relu(x) = x > 0 ? x : negative_slope * x
 *   tanh'(x)      = 1 - tanh(x)^2           (from the output, as PyTorch)
 *   sigmoid(x)    = 1 / (1 + exp(-x)),  sigmoid'(x) = (1 - y) * y with y = sigmoid(x)
 */
#ifndef CONVLAB_ACTIVATIONS_H
#define CONVLAB_ACTIVATIONS_H

// out (n) = in > 0 ? in : negative_slope * in (out may equal in). NaN stays NaN.
void leaky_relu_forward(float *out, const float *in, float negative_slope, long n);
// din (n) += in > 0 ? dout : negative_slope * dout, with in the forward's input
// (PyTorch's leaky_relu_backward: at exactly 0 the slope applies). When
// negative_slope >= 0 the forward's output has the same sign test, so an
// in-place forward may pass its output as in.
void leaky_relu_backward(float *din, const float *dout, const float *in, float negative_slope, long n);

// out (n) = tanh(in) (out may equal in).
void tanh_forward(float *out, const float *in, long n);
// din (n) += dout * (1 - out^2), with out the forward's output (tanh_backward).
void tanh_backward(float *din, const float *dout, const float *out, long n);

// out (n) = 1 / (1 + exp(-in)) (out may equal in); saturates to exactly 0 or 1.
void sigmoid_forward(float *out, const float *in, long n);
// din (n) += dout * (1 - out) * out, with out the forward's output (sigmoid_backward).
void sigmoid_backward(float *din, const float *dout, const float *out, long n);

#endif
