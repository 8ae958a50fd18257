/* Error reporting: see error.h. */
#include "engine/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void out_of_memory(size_t bytes, const char *file, int line) {
    fprintf(stderr, "convlab: out of memory allocating %zu bytes at %s:%d\n", bytes, file, line);
    abort();
}

void *cl_malloc_at(size_t bytes, const char *file, int line) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) out_of_memory(bytes, file, line);
    return p;
}

void *cl_calloc_at(size_t count, size_t size, const char *file, int line) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) out_of_memory(count * size, file, line);
    return p;
}

void *cl_realloc_at(void *ptr, size_t bytes, const char *file, int line) {
    void *p = realloc(ptr, bytes ? bytes : 1);
    if (!p) out_of_memory(bytes, file, line);
    return p;
}

char *cl_strdup_at(const char *s, const char *file, int line) {
    size_t n = strlen(s) + 1;
    char *d = cl_malloc_at(n, file, line);
    memcpy(d, s, n);
    return d;
}
