/* A minimal stand-in for <criterion/criterion.h> used ONLY by the
 * ThreadSanitizer run (tests/tsan/run.sh): Criterion cannot start under TSan
 * (its inheritable arena fails: Snaipe/Criterion#274), so the same test files
 * are compiled against these few macros and run in one process, in order.
 * A failed assertion prints file:line and the message and exits 1.
 */
#ifndef CONVLAB_TSAN_CRITERION_SHIM_H
#define CONVLAB_TSAN_CRITERION_SHIM_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const char *name; void (*fn)(void); } ShimTest;
static ShimTest shim_tests[256];
static int shim_n;

static void shim_register(const char *name, void (*fn)(void)) {
    if (shim_n < 256) shim_tests[shim_n++] = (ShimTest){name, fn};
}

__attribute__((format(printf, 4, 5)))
static void shim_fail(const char *file, int line, const char *cond, const char *fmt, ...) {
    fprintf(stderr, "%s:%d: assertion failed: %s\n  ", file, line, cond);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

#define Test(suite, name)                                                                  \
    static void suite##_##name(void);                                                      \
    __attribute__((constructor)) static void shim_reg_##suite##_##name(void) {             \
        shim_register(#suite "/" #name, suite##_##name);                                   \
    }                                                                                      \
    static void suite##_##name(void)

#define cr_assert(cond, ...) \
    do { if (!(cond)) shim_fail(__FILE__, __LINE__, #cond, "%s", "" __VA_ARGS__); } while (0)
#define cr_assert_eq(a, b, ...) cr_assert((a) == (b), __VA_ARGS__)
#define cr_assert_geq(a, b, ...) cr_assert((a) >= (b), __VA_ARGS__)
#define cr_assert_gt(a, b, ...) cr_assert((a) > (b), __VA_ARGS__)
#define cr_assert_float_eq(a, b, eps, ...) cr_assert(fabs((double)(a) - (double)(b)) <= (eps), __VA_ARGS__)

// Runs every test whose name contains argv[1] (all without an argument).
int main(int argc, char **argv) {
    int ran = 0;
    for (int i = 0; i < shim_n; i++) {
        if (argc > 1 && !strstr(shim_tests[i].name, argv[1])) continue;
        fprintf(stderr, "[RUN ] %s\n", shim_tests[i].name);
        shim_tests[i].fn();
        fprintf(stderr, "[ OK ] %s\n", shim_tests[i].name);
        ran++;
    }
    printf("%d passed, 0 failed\n", ran);
    return ran > 0 ? 0 : 1;
}

#endif
