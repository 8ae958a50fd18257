/* Error reporting: see error.h. */
#include "engine/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int cl_fail(ClError *err, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void cl_error_clear(ClError *err) {
    if (err) err->msg[0] = '\0';
}

void cl_assert_fail(const char *cond, const char *file, int line) {
    fprintf(stderr, "%s:%d: internal error: assertion `%s` failed\n", file, line, cond);
    abort();
}

void *cl_malloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "convlab: out of memory allocating %zu bytes\n", bytes);
        abort();
    }
    return p;
}

void *cl_calloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "convlab: out of memory allocating %zu x %zu bytes\n", count, size);
        abort();
    }
    return p;
}
