/* Optimizers with torch.optim's exact update rules, over one flat parameter
 * block (llm.c-style): each is a single loop over n floats.
 *
 * SGD:  g = grad + wd*p;  buf = mu*buf + (1-dampening)*g (buf = g on the first
 *       step);  g = nesterov ? g + mu*buf : buf;  p -= lr*g
 * Adam: m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;
 *       p -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)   (PyTorch's defaults:
 *       lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0)
 */
#ifndef CONVLAB_OPTIM_H
#define CONVLAB_OPTIM_H

#include <stdbool.h>
#include "engine/error.h"

typedef enum { OPTIM_SGD, OPTIM_ADAM } OptimizerKind;

typedef struct {
    OptimizerKind kind;
    float lr;
    float momentum;     // SGD
    float dampening;    // SGD
    float weight_decay; // both (L2, added to the gradient, as torch.optim)
    bool nesterov;      // SGD
    float beta1, beta2, eps; // Adam
} OptimizerConfig;

typedef struct {
    OptimizerConfig config;
    long n;        // number of parameters
    long t;        // steps taken so far
    float *state1; // (n) SGD momentum buffer or Adam's m
    float *state2; // (n) Adam's v; NULL for SGD
} Optimizer;

// PyTorch's defaults for each kind (SGD: lr must be set by the caller; here 0.001, momentum 0).
OptimizerConfig optimizer_default_config(OptimizerKind kind);
// Rejects what torch.optim rejects (negative lr, momentum, weight decay; nesterov
// without momentum or with dampening), with its wording.
int optimizer_validate(const OptimizerConfig *c, ClError *err);
// Allocates the state for n parameters. Ownership: free with optimizer_free.
void optimizer_init(Optimizer *opt, const OptimizerConfig *c, long n);
void optimizer_free(Optimizer *opt);
// Resets the state (momentum buffers, step count) to a fresh optimizer's.
void optimizer_reset(Optimizer *opt);
// One update of params (n) from grads (n).
void optimizer_step(Optimizer *opt, float *params, const float *grads);
// The same update, but computed in full before any of it is written: returns
// -1 and changes nothing (params, state, step count) if any new parameter or
// state value would be NaN or Inf; else applies it and returns 0.
int optimizer_step_checked(Optimizer *opt, float *params, const float *grads);
// The dry run of optimizer_step_checked alone: 0 if every new parameter and
// state value would be finite, else -1. Changes nothing. On a view of a range
// (n, state pointers offset, same t) it checks that range, so threads can
// split the check and then the update (trainer.c does).
int optimizer_check(const Optimizer *opt, const float *params, const float *grads);

#endif
