/* A whole-network finite-difference check shared by the net tests: the
 * analytic gradient of the mean cross-entropy (net_backward) against central
 * differences of a double-precision loss, skipping steps that cross a kink
 * (a ReLU/LeakyReLU input changing sign or a max-pool argmax moving), where
 * the loss is not differentiable.
 */
#ifndef CONVLAB_TESTUTIL_NET_H
#define CONVLAB_TESTUTIL_NET_H

#include <stdbool.h>
#include <stdint.h>
#include "engine/net.h"

typedef struct {
    const char *what;       // named in messages
    int picks;              // per tensor: this many of the largest gradients and as many spread-out entries
    float eps;              // the step
    double rtol, atol;      // pass: |numeric - analytic| <= rtol * |analytic| + atol
    bool reseed_dropout;    // training-mode Dropout: the same masks for every forward
    uint64_t dropout_seed;
} NetFdOptions;

typedef struct {
    int checked, skipped;   // entries compared; entries skipped at a kink
    int learnable;          // learnable tensors
    double worst;           // largest relative error among gradients above 1e-3
} NetFdResult;

// Runs the check on x (N images) with labels; fails the current test
// (cr_assert) at the first entry out of tolerance. The net's parameters are
// restored; its gradients are those of the base point.
NetFdResult net_fd_check(Net *net, const float *x, const uint8_t *labels, int N, const NetFdOptions *o);

#endif
