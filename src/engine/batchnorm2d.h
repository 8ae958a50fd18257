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
 * per mini-batch, or split it with the functions at the end of this header.
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

// ---- the same in pieces, for a network that splits a batch across threads ----
// batchnorm2d_forward is batchnorm2d_statistics on the whole batch, then
// batchnorm2d_normalize; batchnorm2d_backward is batchnorm2d_backward_sums on
// the whole batch, then batchnorm2d_backward_params and batchnorm2d_backward_input.
// normalize and backward_input work on any range of samples: pieces give the
// bits of the whole, however the batch is split.

// The statistics half of batchnorm2d_forward (same arguments, no out): reads
// the whole batch in (N, C, H, W), writes save_mean, save_invstd (C) and
// updates the running statistics as batchnorm2d_forward does.
void batchnorm2d_statistics(float *save_mean, float *save_invstd, float *running_mean, float *running_var,
                            int64_t *num_batches_tracked, const float *in, const BatchNorm2dConfig *c,
                            bool training, int N, int C, int H, int W);
// out (N, C, H, W) = (in - save_mean) * save_invstd * weight + bias, for N
// samples that may be any range of the batch (weight, bias NULL: 1 and 0).
void batchnorm2d_normalize(float *out, const float *in, const float *save_mean, const float *save_invstd,
                           const float *weight, const float *bias, int N, int C, int H, int W);
// Per channel over the whole batch, in double: sum_dout (C) = sum(dout),
// sum_dout_xmu (C) = sum(dout * (in - save_mean)).
void batchnorm2d_backward_sums(double *sum_dout, double *sum_dout_xmu, const float *dout, const float *in,
                               const float *save_mean, int N, int C, int H, int W);
// dweight (C) += sum_dout_xmu * save_invstd, dbias (C) += sum_dout; either may be NULL.
void batchnorm2d_backward_params(float *dweight, float *dbias, const double *sum_dout, const double *sum_dout_xmu,
                                 const float *save_invstd, int C);
// din (N, C, H, W) += the input gradient of batchnorm2d_backward for N samples
// (any range) of a batch of batch_N samples, from that batch's sums.
void batchnorm2d_backward_input(float *din, const float *dout, const float *in, const float *weight,
                                const float *save_mean, const float *save_invstd, const double *sum_dout,
                                const double *sum_dout_xmu, bool batch_stats, int batch_N, int N, int C, int H,
                                int W);

#endif
