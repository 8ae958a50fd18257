/* The engine's vector kernels, chosen once per process by the CPU's features
 * (issue 12): one kernel text (kernels_body.inc) compiled per tier -- AVX-512,
 * AVX2 with FMA, SSE2 on x86-64, NEON on aarch64 -- and the plain C loops of
 * each op as the "scalar" tier. The ops (conv2d.c, layers.c, pool2d.c,
 * optim.c) call kernels_get() and use a kernel when its pointer is not NULL.
 * CONVLAB_ISA=avx512|avx2|sse2|neon|scalar forces a tier.
 */
#ifndef CONVLAB_KERNELS_H
#define CONVLAB_KERNELS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/conv2d.h"
#include "engine/error.h"
#include "engine/pool2d.h"

// The SGD scalars of one step (optim.c's formulas; buf ignored without momentum).
typedef struct {
    float lr, wd, mu, one_minus_damp;
    bool first, nesterov, momentum;
} SgdScalars;

// One tier's kernels; a NULL entry means "use the op's plain loop". The
// arguments are those of the op each one implements (see the .c files).
typedef struct {
    const char *name;   // "avx512", "avx2", "sse2", "neon", "scalar"
    // conv2d_forward / conv2d_backward for stride 1, no padding, groups 1;
    // return false (touching nothing) for any other configuration.
    bool (*conv2d_forward)(float *out, const float *in, const float *weight, const float *bias,
                           const Conv2dConfig *c, int N, int H, int W);
    bool (*conv2d_backward)(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                            const float *weight, const Conv2dConfig *c, int N, int H, int W);
    void (*relu_forward)(float *out, const float *in, long n);
    void (*relu_backward)(float *din, const float *dout, const float *out, long n);
    // out (N, OUT) columns [o_lo, o_hi) = in (N, IN) @ weight^T + bias (or NULL).
    void (*linear_forward)(float *out, const float *in, const float *weight, const float *bias, int N, int IN,
                           int OUT, int o_lo, int o_hi);
    // din (N, IN) += dout[:, o_lo:o_hi] @ weight[o_lo:o_hi, :] (dout is (N, OUT)),
    // each element summing o in order.
    void (*linear_din)(float *din, const float *dout, const float *weight, int N, int IN, int OUT, int o_lo,
                       int o_hi);
    // dweight rows [o_lo, o_hi) += dout^T @ in, each element summing n in order.
    void (*linear_dweight_rows)(float *dweight, const float *dout, const float *in, int N, int IN, int OUT,
                                int o_lo, int o_hi);
    // MaxPool2d(2, 2) without padding, every window inside; false otherwise.
    bool (*maxpool2x2)(float *out, int32_t *indices, const float *in, const Pool2dConfig *c, int N, int C, int H,
                       int W, int OH, int OW);
    // SGD on the first k*VL elements (bit-identical to optim.c's scalar rule);
    // returns how many it did. sgd_poison: the same dry run's sum of 0*new
    // values over those elements (NaN if any is not finite), count in *done.
    long (*sgd_step)(const SgdScalars *s, float *params, const float *grads, float *buf, long n);
    float (*sgd_poison)(const SgdScalars *s, const float *params, const float *grads, const float *buf, long n,
                        long *done);
} KernelTable;

// The tier in use. The first call picks it: CONVLAB_ISA if set (an unknown or
// unavailable name prints one line to stderr and exits with status 2), else
// the best tier this CPU runs. Thread-safe; cheap after the first call.
const KernelTable *kernels_get(void);
// Name of the tier in use ("avx512", ...).
const char *kernels_name(void);
// Picks the tier as kernels_get's first call would, but returns -1 with a
// message instead of exiting (for main(): print it and exit 2).
int kernels_init(ClError *err);
// Switches to the named tier (tests, benchmarks); -1 if this CPU cannot run it.
// Not while other threads run kernels.
int kernels_select(const char *name, ClError *err);
// Whether this CPU (and this build) can run the named tier.
bool kernels_available(const char *name);
// The tiers of this build, best first, NULL-terminated ("scalar" last).
const char *const *kernels_tiers(void);

// Scratch memory of the calling thread for the kernels and conv2d_fast.c:
// at least `floats` floats (contents undefined), kept for the thread's life
// and reused, so a training step does not allocate (per-call malloc of these
// 100-300 KB buffers made glibc grow and trim its heap: page faults on every
// call). Each slot is one buffer; a caller uses distinct slots for buffers it
// holds at once. Freed when the thread exits.
enum { SCRATCH_PAD_IN, SCRATCH_PAD_DIN, SCRATCH_GRAD_T, SCRATCH_DW_T, SCRATCH_W_FLIP, SCRATCH_GRAD_PAD, SCRATCH_SLOTS };
float *kernels_scratch(int slot, size_t floats);

#endif
