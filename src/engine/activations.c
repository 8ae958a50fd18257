/* LeakyReLU, Tanh and Sigmoid, forward and backward, written as PyTorch 1.13's
 * CPU kernels write them (aten/src/ATen/native/cpu/Activation.cpp,
 * UnaryOpsKernel.cpp, BinaryOpsKernel.cpp), in float32. Plain loops: the
 * compiler vectorizes the LeakyReLU ones; tanhf/expf come from the C library,
 * so the results are the same on every run and for any split of the work.
 */
#include "engine/activations.h"

#include <math.h>

// ---- LeakyReLU --------------------------------------------------------------------

// PyTorch: a > 0 ? a : a * negval. A NaN fails the test and becomes NaN * slope = NaN.
void leaky_relu_forward(float *out, const float *in, float negative_slope, long n) {
    for (long i = 0; i < n; i++) out[i] = in[i] > 0.0f ? in[i] : in[i] * negative_slope;
}

// PyTorch: self > 0 ? grad : grad * negval, with self the input.
void leaky_relu_backward(float *din, const float *dout, const float *in, float negative_slope, long n) {
    for (long i = 0; i < n; i++) din[i] += in[i] > 0.0f ? dout[i] : dout[i] * negative_slope;
}

// ---- Tanh ---------------------------------------------------------------------------

void tanh_forward(float *out, const float *in, long n) {
    for (long i = 0; i < n; i++) out[i] = tanhf(in[i]);
}

// d tanh(x)/dx = 1 - tanh(x)^2: the saved output is all backward needs.
void tanh_backward(float *din, const float *dout, const float *out, long n) {
    for (long i = 0; i < n; i++) din[i] += dout[i] * (1.0f - out[i] * out[i]);
}

// ---- Sigmoid ------------------------------------------------------------------------

// For x < -88.7, expf(-x) overflows to +inf and 1 / inf = 0: no NaN, as PyTorch.
void sigmoid_forward(float *out, const float *in, long n) {
    for (long i = 0; i < n; i++) out[i] = 1.0f / (1.0f + expf(-in[i]));
}

// d sigmoid(x)/dx = sigmoid(x) * (1 - sigmoid(x)); PyTorch evaluates grad * (1 - y) * y.
void sigmoid_backward(float *din, const float *dout, const float *out, long n) {
    for (long i = 0; i < n; i++) din[i] += dout[i] * (1.0f - out[i]) * out[i];
}
