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

// malloc/calloc that abort with a clear message when memory runs out.
void *cl_malloc(size_t bytes);
void *cl_calloc(size_t count, size_t size);

#endif
