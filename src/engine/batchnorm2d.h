/* BatchNorm2d with torch.nn.BatchNorm2d's semantics, on NCHW float32. Each
 * channel c is normalised over its N*H*W values:
 *
 *   out = (in - mean_c) * invstd_c * weight_c + bias_c,  invstd_c = 1 / sqrt(var_c + eps)
 *
 * Training (and eval without track_running_stats): mean_c and var_c are the
 * batch's, var_c biased (/ n, n = N*H*W); the running statistics move towards
 * them, with the UNBIASED variance (/ (n - 1)):
 *   running = (1 - momentum) * running + momentum * batch,
 * momentum = 1 / num_batches_tracked for momentum=None (a cumulative average).
 * Eval with track_running_stats: mean_c, var_c are running_mean, running_var.
 * A batch-statistics forward or backward reads the whole batch: call it once
 * per mini-batch, not per sample.
 */
#ifndef CONVLAB_BATCHNORM2D_H
#define CONVLAB_BATCHNORM2D_H

#include <stdbool.h>
#include <stdint.h>
#include "engine/error.h"

typedef struct {
    int num_features;         // C
    double eps;               // added to the variance; PyTorch's default 1e-5
    double momentum;          // weight of the new batch in the running stats; default 0.1
    bool cumulative;          // momentum=None: cumulative average (momentum is ignored)
    bool affine;              // learnable weight (C) and bias (C); default true
    bool track_running_stats; // running_mean, running_var (C), num_batches_tracked; default true
} BatchNorm2dConfig;

// A config with PyTorch's defaults: eps 1e-5, momentum 0.1, affine, tracking.
BatchNorm2dConfig batchnorm2d_config(int num_features);

// Checks what convlab accepts: num_features >= 1, eps >= 0 and finite,
// momentum in [0, 1] unless cumulative. One line that names the bad value.
int batchnorm2d_check_config(const BatchNorm2dConfig *c, ClError *err);

// Checks an input of (N, C, H, W) for a forward in this mode, with PyTorch's
// words: "running_mean should contain 6 elements not 3", "weight should contain
// ...", "Expected more than 1 value per channel when training, got input size
// torch.Size([1, 3, 1, 1])". (Without affine and tracking, any C is accepted,
// as in PyTorch.)
int batchnorm2d_check_input(const BatchNorm2dConfig *c, int N, int C, int H, int W, bool training, ClError *err);

// True when this mode normalises with the batch's own statistics: training,
// or no running statistics to use (PyTorch's bn_training).
bool batchnorm2d_uses_batch_stats(const BatchNorm2dConfig *c, bool training);

// PyTorch's initial state: weight (C) = 1, bias (C) = 0 (reset_parameters).
void batchnorm2d_init_params(float *weight, float *bias, int C);
// running_mean (C) = 0, running_var (C) = 1, *num_batches_tracked = 0 (reset_running_stats).
void batchnorm2d_init_running(float *running_mean, float *running_var, int64_t *num_batches_tracked, int C);

// out (N, C, H, W) = batch norm of in (N, C, H, W). Writes save_mean (C) and
// save_invstd (C): the statistics it normalised with (the batch's, or the
// running ones in eval), which batchnorm2d_backward needs. When training with
// track_running_stats it increments *num_batches_tracked and updates
// running_mean and running_var (C); they may be NULL without tracking. weight
// and bias (C) are NULL unless affine (then 1 and 0). The input must have
// passed batchnorm2d_check_input. out may equal in (but backward needs in).
void batchnorm2d_forward(float *out, float *save_mean, float *save_invstd, float *running_mean,
                         float *running_var, int64_t *num_batches_tracked, const float *in,
                         const float *weight, const float *bias, const BatchNorm2dConfig *c,
                         bool training, int N, int C, int H, int W);

// Backward of batchnorm2d_forward given dout (N, C, H, W), in (the forward's
// input), weight (C or NULL) and the forward's save_mean, save_invstd.
// batch_stats: batchnorm2d_uses_batch_stats of the forward's mode; then the
// gradient also flows through the mean and variance:
//   din = (dout - mean(dout) - xhat * mean(dout * xhat)) * invstd * weight
// else din = dout * invstd * weight. Accumulates (+=) into din (N, C, H, W),
// dweight (C) += sum(dout * xhat), dbias (C) += sum(dout); any may be NULL.
void batchnorm2d_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                          const float *weight, const float *save_mean, const float *save_invstd,
                          bool batch_stats, int N, int C, int H, int W);

#endif
