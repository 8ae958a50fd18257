/* Error reporting: see error.h. */
#include "engine/error.h"

#include <sys/mman.h>

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

void *cl_malloc_huge_at(size_t bytes, const char *file, int line) {
    enum { HUGE_PAGE = 2 << 20 };
    if (bytes < HUGE_PAGE) return cl_malloc_at(bytes, file, line);
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, bytes) != 0) out_of_memory(bytes, file, line);
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);  // advice only: without huge pages the block still works
#endif
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
