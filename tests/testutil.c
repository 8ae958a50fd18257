/* Test helpers: see testutil.h. */
#include "testutil.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fixture_open(StFile *f, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "fixtures/%s", name);
    ClError err = {0};
    cr_assert(st_read(f, path, &err) == 0, "cannot load fixture: %s (regenerate with tests/gen_fixtures.py)", err.msg);
}

static const StTensor *find_typed(const StFile *f, const char *name, StDtype dtype) {
    const StTensor *t = st_find(f, name);
    cr_assert(t != NULL, "fixture has no tensor \"%s\"", name);
    cr_assert(t->dtype == dtype, "fixture tensor \"%s\" is %s, expected %s", name, st_dtype_name(t->dtype), st_dtype_name(dtype));
    return t;
}

const float *fixture_f32(const StFile *f, const char *name, int64_t *numel) {
    const StTensor *t = find_typed(f, name, ST_F32);
    if (numel) *numel = st_numel(t);
    return t->data;
}

const int64_t *fixture_i64(const StFile *f, const char *name, int64_t *numel) {
    const StTensor *t = find_typed(f, name, ST_I64);
    if (numel) *numel = st_numel(t);
    return t->data;
}

int fixture_meta_int(const StFile *f, const char *key) {
    const char *v = st_meta(f, key);
    cr_assert(v != NULL, "fixture has no metadata \"%s\"", key);
    return atoi(v);
}

const char *fixture_meta_str(const StFile *f, const char *key, const char *fallback) {
    const char *v = st_meta(f, key);
    return v ? v : fallback;
}

static int compare_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int fixture_list(const char *prefix, char ***names) {
    DIR *d = opendir("fixtures");
    cr_assert(d != NULL, "no tests/fixtures directory");
    int n = 0, cap = 16;
    *names = malloc(sizeof(char *) * (size_t)cap);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
        if (n == cap) *names = realloc(*names, sizeof(char *) * (size_t)(cap *= 2));
        (*names)[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(*names, (size_t)n, sizeof(char *), compare_names);
    return n;
}

bool allclose(const float *got, const float *want, long n, float atol, float rtol, const char *what) {
    long worst = -1;
    double worst_excess = 0;
    for (long i = 0; i < n; i++) {
        double diff = fabs((double)got[i] - (double)want[i]);
        double excess = diff - (atol + rtol * fabs((double)want[i]));
        if (isnan(got[i]) != isnan(want[i])) excess = INFINITY;
        if (excess > worst_excess || (worst < 0 && excess > 0)) worst_excess = excess, worst = i;
    }
    if (worst >= 0) {
        fprintf(stderr, "%s: mismatch, worst element [%ld] got %.9g want %.9g (|diff| %.3g, atol %g rtol %g, n %ld)\n",
                what, worst, got[worst], want[worst], fabs((double)got[worst] - want[worst]), atol, rtol, n);
        return false;
    }
    return true;
}

double finite_diff_max_error(ScalarFn f, void *ctx, float *x, long n, const float *analytic, float eps) {
    double worst = 0;
    for (long i = 0; i < n; i++) {
        float saved = x[i];
        x[i] = saved + eps;
        double up = f(ctx);
        x[i] = saved - eps;
        double down = f(ctx);
        x[i] = saved;
        double num = (up - down) / (2.0 * eps);
        double scale = fmax(1.0, fmax(fabs(num), fabs((double)analytic[i])));
        double e = fabs(num - analytic[i]) / scale;
        if (e > worst) worst = e;
    }
    return worst;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

float test_rand_sym(void) {
    rng_state ^= rng_state >> 12, rng_state ^= rng_state << 25, rng_state ^= rng_state >> 27;
    return (float)((rng_state * 0x2545F4914F6CDD1Dull) >> 40) / (float)(1 << 24) * 2.0f - 1.0f;
}

float *test_rand_buf(long n, float scale) {
    float *p = malloc(sizeof(float) * (size_t)n);
    for (long i = 0; i < n; i++) p[i] = scale * test_rand_sym();
    return p;
}

typedef struct {
    const LayerFd *l;
    const float *x, *w, *b, *r;
    float *out;
} LayerFdLoss;

// L = sum(out * r), summed in double so the difference quotient is not swamped by float rounding.
static double layer_fd_loss(void *ctx) {
    LayerFdLoss *L = ctx;
    L->l->forward(L->l->op, L->out, L->x, L->w, L->b);
    double s = 0;
    for (long i = 0; i < L->l->nout; i++) s += (double)L->out[i] * L->r[i];
    return s;
}

void layer_fd_check(const LayerFd *l, const char *what, double err[3]) {
    float *x = test_rand_buf(l->nx, 1.0f), *w = test_rand_buf(l->nw, 1.0f);
    float *b = l->nb ? test_rand_buf(l->nb, 1.0f) : NULL, *r = test_rand_buf(l->nout, 1.0f);
    float *out = malloc(sizeof(float) * (size_t)l->nout);
    float *dx = calloc((size_t)l->nx, sizeof(float)), *dw = calloc((size_t)l->nw, sizeof(float));
    float *db = calloc((size_t)l->nb + 1, sizeof(float));
    l->backward(l->op, dx, dw, b ? db : NULL, r, x, w);
    LayerFdLoss L = {l, x, w, b, r, out};
    err[0] = finite_diff_max_error(layer_fd_loss, &L, x, l->nx, dx, 1e-2f);
    err[1] = finite_diff_max_error(layer_fd_loss, &L, w, l->nw, dw, 1e-2f);
    err[2] = b ? finite_diff_max_error(layer_fd_loss, &L, b, l->nb, db, 1e-2f) : 0;
    cr_expect_lt(err[0], 1e-3, "%s: dx finite-difference error %g", what, err[0]);
    cr_expect_lt(err[1], 1e-3, "%s: dweight finite-difference error %g", what, err[1]);
    cr_expect_lt(err[2], 1e-3, "%s: dbias finite-difference error %g", what, err[2]);
    free(x), free(w), free(b), free(r), free(out), free(dx), free(dw), free(db);
}
