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
