/* Error reporting for the engine and everything above it.
 *
 * Two kinds of failure, as in stb/SDL and ggml:
 *   - recoverable (bad file, bad flag, bad configuration): the function returns
 *     -1 (or NULL) and fills a ClError with one line that names the thing and
 *     the fix. The GUI shows it; --batch prints it and exits non-zero.
 *   - programmer error (shape mismatch between internal buffers, broken
 *     invariant): CL_ASSERT aborts with file:line.
 */
#ifndef CONVLAB_ERROR_H
#define CONVLAB_ERROR_H

#include <stddef.h>

typedef struct {
    char msg[1024]; // one human-readable line, no trailing newline; "" = no error
} ClError;

// Formats the message into err (err may be NULL) and returns -1, so callers can
// write `return cl_fail(err, "...", ...);`.
int cl_fail(ClError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// Clears err (err may be NULL).
void cl_error_clear(ClError *err);

// Aborts with file:line and the failed condition. Never compiled out.
void cl_assert_fail(const char *cond, const char *file, int line) __attribute__((noreturn));
#define CL_ASSERT(cond) ((cond) ? (void)0 : cl_assert_fail(#cond, __FILE__, __LINE__))

// The one allocation policy of the project: running out of memory is not a
// recoverable error here (every buffer is small next to the machine), so these
// abort with the size and the caller's file:line instead of returning NULL.
// Ownership: the caller frees the result with free().
#define cl_malloc(bytes) cl_malloc_at((bytes), __FILE__, __LINE__)
#define cl_calloc(count, size) cl_calloc_at((count), (size), __FILE__, __LINE__)
#define cl_realloc(ptr, bytes) cl_realloc_at((ptr), (bytes), __FILE__, __LINE__)
#define cl_strdup(s) cl_strdup_at((s), __FILE__, __LINE__)
// A large block read at random places (the CIFAR pixels): aligned to 2 MB and
// marked for the kernel's transparent huge pages where it has them, so that
// random reads need a TLB entry per 2 MB instead of per 4 KB (under a
// hypervisor each miss walks two page tables: 22 us of a batch-4 step's 24 us
// of normalizing was that). The same policy otherwise: aborts, free() frees it.
#define cl_malloc_huge(bytes) cl_malloc_huge_at((bytes), __FILE__, __LINE__)
void *cl_malloc_at(size_t bytes, const char *file, int line);
void *cl_calloc_at(size_t count, size_t size, const char *file, int line);
void *cl_realloc_at(void *ptr, size_t bytes, const char *file, int line);
char *cl_strdup_at(const char *s, const char *file, int line);
void *cl_malloc_huge_at(size_t bytes, const char *file, int line);

#endif
