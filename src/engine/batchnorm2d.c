/* BatchNorm2d forward and backward (see batchnorm2d.h), after PyTorch 1.13's
 * CPU kernels (aten/src/ATen/native/Normalization.cpp, cpu/batch_norm_kernel.cpp).
 * Per channel, every sum runs in double in one fixed order (samples, then
 * pixels), so the result does not depend on anything but the input. The
 * statistics are two-pass (mean, then the sum of squared deviations) in
 * double: no cancellation when a channel's mean is large next to its spread.
 * The normalisation reads the saved float mean and invstd, as PyTorch's does,
 * so that a piece of the batch is normalised exactly as the whole.
 */
#include "engine/batchnorm2d.h"

#include <math.h>
#include <stddef.h>

BatchNorm2dConfig batchnorm2d_config(int num_features) {
    return (BatchNorm2dConfig){.num_features = num_features, .eps = 1e-5, .momentum = 0.1, .cumulative = false,
                               .affine = true, .track_running_stats = true};
}

int batchnorm2d_check_config(const BatchNorm2dConfig *c, ClError *err) {
    if (c->num_features < 1)
        return cl_fail(err, "BatchNorm2d: num_features must be a positive number of channels, got %d", c->num_features);
    // PyTorch takes any eps; a negative one makes sqrt(var + eps) NaN for small variances.
    if (!(c->eps >= 0.0 && isfinite(c->eps)))
        return cl_fail(err, "BatchNorm2d: eps must be >= 0 (PyTorch's default is 1e-05), got %g", c->eps);
    if (!c->cumulative && !(c->momentum >= 0.0 && c->momentum <= 1.0))
        return cl_fail(err, "BatchNorm2d: momentum must be between 0 and 1, or None for a cumulative average, got %g",
                       c->momentum);
    return 0;
}

// The checks in PyTorch's order: F.batch_norm's _verify_batch_size (training
// only), then the running_mean, running_var, weight and bias lengths.
int batchnorm2d_check_input(const BatchNorm2dConfig *c, int N, int C, int H, int W, bool training, ClError *err) {
    if (N < 1 || C < 1 || H < 1 || W < 1)
        return cl_fail(err, "BatchNorm2d: the input (%d, %d, %d, %d) is empty", N, C, H, W);
    if (batchnorm2d_uses_batch_stats(c, training) && (long)N * H * W == 1)
        return cl_fail(err, "Expected more than 1 value per channel when training, got input size "
                            "torch.Size([%d, %d, %d, %d])", N, C, H, W);
    if (C == c->num_features) return 0;
    if (c->track_running_stats)
        return cl_fail(err, "running_mean should contain %d elements not %d", C, c->num_features);
    if (c->affine) return cl_fail(err, "weight should contain %d elements not %d", C, c->num_features);
    return 0;
}

// nn.BatchNorm2d.forward: bn_training = training or (running_mean is None and running_var is None).
bool batchnorm2d_uses_batch_stats(const BatchNorm2dConfig *c, bool training) {
    return training || !c->track_running_stats;
}

void batchnorm2d_init_params(float *weight, float *bias, int C) {
    for (int i = 0; i < C; i++) weight[i] = 1.0f, bias[i] = 0.0f;
}

void batchnorm2d_init_running(float *running_mean, float *running_var, int64_t *num_batches_tracked, int C) {
    for (int i = 0; i < C; i++) running_mean[i] = 0.0f, running_var[i] = 1.0f;
    *num_batches_tracked = 0;
}

// ---- forward ----------------------------------------------------------------------------

// Mean and sum of squared deviations of channel ch over (N, H, W), in double.
static void channel_moments(double *mean, double *var_sum, const float *in, int N, int C, long hw, int ch) {
    double s = 0.0;
    for (int n = 0; n < N; n++) {
        const float *p = in + ((size_t)n * C + ch) * hw;
        for (long i = 0; i < hw; i++) s += p[i];
    }
    const double m = s / ((double)N * hw);
    double v = 0.0;
    for (int n = 0; n < N; n++) {
        const float *p = in + ((size_t)n * C + ch) * hw;
        for (long i = 0; i < hw; i++) {
            const double d = p[i] - m;
            v += d * d;
        }
    }
    *mean = m;
    *var_sum = v;
}

// PyTorch's InvStd: 1 / sqrt(var + eps), and 0 when both are 0 (a constant
// channel with eps = 0 maps to the bias instead of NaN).
static double inv_std(double var, double eps) {
    return (var == 0.0 && eps == 0.0) ? 0.0 : 1.0 / sqrt(var + eps);
}

// running = momentum * batch + (1 - momentum) * running with momentum rounded to
// float, as PyTorch's static_cast<param_t>(momentum); the variance is unbiased.
static void update_running(float *running_mean, float *running_var, int ch, double mean, double var_sum, long n,
                           double momentum) {
    const double m = (float)momentum;
    running_mean[ch] = (float)(m * mean + (1.0 - m) * running_mean[ch]);
    running_var[ch] = (float)(m * (var_sum / (double)(n - 1)) + (1.0 - m) * running_var[ch]);
}

// out[., ch] = (in - mean) * invstd * weight + bias over one channel, from the
// saved (float) statistics so that any piece of the batch gives the same bits.
static void normalize_channel(float *out, const float *in, float mean, float invstd, double weight, double bias,
                              int N, int C, long hw, int ch) {
    const double a = (double)invstd * weight;
    for (int n = 0; n < N; n++) {
        const size_t base = ((size_t)n * C + ch) * hw;
        for (long i = 0; i < hw; i++) out[base + i] = (float)((in[base + i] - (double)mean) * a + bias);
    }
}

void batchnorm2d_statistics(float *save_mean, float *save_invstd, float *running_mean, float *running_var,
                            int64_t *num_batches_tracked, const float *in, const BatchNorm2dConfig *c,
                            bool training, int N, int C, int H, int W) {
    CL_ASSERT(N > 0 && C > 0 && H > 0 && W > 0);
    const long hw = (long)H * W, n = N * hw;
    const bool batch = batchnorm2d_uses_batch_stats(c, training);
    const bool update = training && c->track_running_stats;
    CL_ASSERT(!batch || n > 1);
    CL_ASSERT(!c->track_running_stats || (running_mean && running_var && num_batches_tracked));
    double momentum = c->momentum;
    if (update) {
        *num_batches_tracked += 1;
        if (c->cumulative) momentum = 1.0 / (double)*num_batches_tracked;
    }
    for (int ch = 0; ch < C; ch++) {
        double mean, invstd;
        if (batch) {
            double var_sum;
            channel_moments(&mean, &var_sum, in, N, C, hw, ch);
            invstd = inv_std(var_sum / (double)n, c->eps);
            if (update) update_running(running_mean, running_var, ch, mean, var_sum, n, momentum);
        } else {
            mean = running_mean[ch];
            invstd = 1.0 / sqrt((double)running_var[ch] + c->eps);   // PyTorch's eval path: no InvStd rule
        }
        save_mean[ch] = (float)mean;
        save_invstd[ch] = (float)invstd;
    }
}

void batchnorm2d_normalize(float *out, const float *in, const float *save_mean, const float *save_invstd,
                           const float *weight, const float *bias, int N, int C, int H, int W) {
    for (int ch = 0; ch < C; ch++)
        normalize_channel(out, in, save_mean[ch], save_invstd[ch], weight ? weight[ch] : 1.0, bias ? bias[ch] : 0.0,
                          N, C, (long)H * W, ch);
}

void batchnorm2d_forward(float *out, float *save_mean, float *save_invstd, float *running_mean,
                         float *running_var, int64_t *num_batches_tracked, const float *in,
                         const float *weight, const float *bias, const BatchNorm2dConfig *c,
                         bool training, int N, int C, int H, int W) {
    CL_ASSERT(!c->affine || (weight && bias));
    batchnorm2d_statistics(save_mean, save_invstd, running_mean, running_var, num_batches_tracked, in, c, training, N,
                           C, H, W);
    batchnorm2d_normalize(out, in, save_mean, save_invstd, weight, bias, N, C, H, W);
}

// ---- backward ---------------------------------------------------------------------------

// With xhat = (x - mean) * invstd and n = N*H*W, per channel:
//   dbias = sum(g), dweight = sum(g * xhat) = sum(g * (x - mean)) * invstd;
//   batch statistics: din = (g - sum(g)/n - (x - mean) * sum(g * (x - mean)) * invstd^2 / n) * invstd * w
//   running statistics: din = g * invstd * w

// sum(g) and sum(g * (x - mean)) of channel ch, samples in order.
static void channel_grad_sums(double *sum_g, double *sum_gx, const float *dout, const float *in, double mean, int N,
                              int C, long hw, int ch) {
    double sg = 0.0, sgx = 0.0;
    for (int s = 0; s < N; s++) {
        const size_t base = ((size_t)s * C + ch) * hw;
        for (long i = 0; i < hw; i++) {
            sg += dout[base + i];
            sgx += (in[base + i] - mean) * dout[base + i];
        }
    }
    *sum_g = sg;
    *sum_gx = sgx;
}

// din of channel ch for N samples of a batch whose channel holds n values.
static void channel_input_grad(float *din, const float *dout, const float *in, double weight, double mean,
                               double invstd, double sum_g, double sum_gx, bool batch_stats, double n, int N, int C,
                               long hw, int ch) {
    const double scale = invstd * weight;
    const double k = batch_stats ? sum_gx * invstd * invstd / n : 0.0;
    const double g_mean = batch_stats ? sum_g / n : 0.0;
    for (int s = 0; s < N; s++) {
        const size_t base = ((size_t)s * C + ch) * hw;
        for (long i = 0; i < hw; i++)
            din[base + i] += (float)((dout[base + i] - g_mean - (in[base + i] - mean) * k) * scale);
    }
}

void batchnorm2d_backward_sums(double *sum_dout, double *sum_dout_xmu, const float *dout, const float *in,
                               const float *save_mean, int N, int C, int H, int W) {
    CL_ASSERT(N > 0 && C > 0 && H > 0 && W > 0);
    for (int ch = 0; ch < C; ch++)
        channel_grad_sums(&sum_dout[ch], &sum_dout_xmu[ch], dout, in, save_mean[ch], N, C, (long)H * W, ch);
}

void batchnorm2d_backward_params(float *dweight, float *dbias, const double *sum_dout, const double *sum_dout_xmu,
                                 const float *save_invstd, int C) {
    for (int ch = 0; ch < C; ch++) {
        if (dbias) dbias[ch] += (float)sum_dout[ch];
        if (dweight) dweight[ch] += (float)(sum_dout_xmu[ch] * save_invstd[ch]);
    }
}

void batchnorm2d_backward_input(float *din, const float *dout, const float *in, const float *weight,
                                const float *save_mean, const float *save_invstd, const double *sum_dout,
                                const double *sum_dout_xmu, bool batch_stats, int batch_N, int N, int C, int H,
                                int W) {
    CL_ASSERT(N > 0 && N <= batch_N && C > 0 && H > 0 && W > 0);
    const long hw = (long)H * W;
    for (int ch = 0; ch < C; ch++)
        channel_input_grad(din, dout, in, weight ? weight[ch] : 1.0, save_mean[ch], save_invstd[ch], sum_dout[ch],
                           sum_dout_xmu[ch], batch_stats, (double)batch_N * hw, N, C, hw, ch);
}

// The three parts one channel at a time: two doubles of scratch, no allocation.
void batchnorm2d_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                          const float *weight, const float *save_mean, const float *save_invstd,
                          bool batch_stats, int N, int C, int H, int W) {
    CL_ASSERT(N > 0 && C > 0 && H > 0 && W > 0);
    const long hw = (long)H * W;
    for (int ch = 0; ch < C; ch++) {
        double sg, sgx;
        channel_grad_sums(&sg, &sgx, dout, in, save_mean[ch], N, C, hw, ch);
        batchnorm2d_backward_params(dweight ? dweight + ch : NULL, dbias ? dbias + ch : NULL, &sg, &sgx,
                                    save_invstd + ch, 1);
        if (din)
            channel_input_grad(din, dout, in, weight ? weight[ch] : 1.0, save_mean[ch], save_invstd[ch], sg, sgx,
                               batch_stats, (double)N * hw, N, C, hw, ch);
    }
}
