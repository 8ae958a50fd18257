/* Helpers shared by the Criterion tests: PyTorch fixtures (safetensors files
 * written by tests/gen_fixtures.py), tolerant comparison that reports the
 * worst element, and a finite-difference gradient check.
 * Tests run with tests/ as the working directory (see the Makefile).
 */
#ifndef CONVLAB_TESTUTIL_H
#define CONVLAB_TESTUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include "engine/safetensors.h"

// Loads tests/fixtures/<name>; fails the current test (cr_assert) if it cannot.
void fixture_open(StFile *f, const char *name);
// The tensor `name` as F32 / I64 data; fails the test if absent or of another dtype.
const float *fixture_f32(const StFile *f, const char *name, int64_t *numel);
const int64_t *fixture_i64(const StFile *f, const char *name, int64_t *numel);
// An integer from the fixture's metadata; fails the test if absent.
int fixture_meta_int(const StFile *f, const char *key);
// A metadata value or fallback.
const char *fixture_meta_str(const StFile *f, const char *key, const char *fallback);
// Lists fixture files whose names start with prefix (sorted); returns the count.
// Ownership: free each name and the array.
int fixture_list(const char *prefix, char ***names);

// Compares got with want (n values): |got - want| <= atol + rtol*|want|.
// On failure prints the worst element (index, got, want) with `what` and
// returns false.
bool allclose(const float *got, const float *want, long n, float atol, float rtol, const char *what);

// Central finite differences of a scalar function f(x) w.r.t. each of the n
// values of x (modified in place and restored), compared with analytic (n).
// eps is the step; returns the largest relative error
// |num - ana| / max(1, |num|, |ana|).
typedef double (*ScalarFn)(void *ctx);
double finite_diff_max_error(ScalarFn f, void *ctx, float *x, long n, const float *analytic, float eps);

// A layer with input x, weight w and optional bias b, for layer_fd_check:
// forward writes out from (x, w, b); backward ADDS dx, dw and db (NULL when
// nb == 0) for the upstream gradient dout. op carries the config and shapes.
typedef struct {
    void (*forward)(const void *op, float *out, const float *x, const float *w, const float *b);
    void (*backward)(const void *op, float *dx, float *dw, float *db, const float *dout, const float *x,
                     const float *w);
    const void *op;
    long nx, nw, nb, nout;  // sizes of x, w, b (0: no bias) and out
} LayerFd;
// Finite differences of L = sum(out * r) for random x, w, b and r against the
// backward's dx, dw, db: expects each worst relative error < 1e-3 (what names
// the case in the message) and writes them to err[0..2].
void layer_fd_check(const LayerFd *l, const char *what, double err[3]);

// Uniform in [-1, 1), the same sequence in every test (xorshift64*; each
// Criterion test runs in its own process, so each starts from the seed).
float test_rand_sym(void);
// n values scale * test_rand_sym(); free it.
float *test_rand_buf(long n, float scale);

#endif
