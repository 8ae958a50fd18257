/* A stand-in for <criterion/criterion.h> used ONLY by make test-aarch64
 * (tests/aarch64/run.sh): Criterion starts every test by re-executing the
 * test binary, which qemu-user cannot do without binfmt_misc, so the engine's
 * test files are compiled against these macros and run in one process, in
 * order, each suite's .init/.fini around each of its tests. A failed
 * assertion (or expectation) prints file:line and the message and exits 1;
 * cr_skip_test skips the rest of the test. The registry and main() are in
 * tests/aarch64/criterion_shim.c. Filter: a glob over suite/name, as
 * Criterion's --filter (extended globs such as @(a|b) included).
 */
#ifndef CONVLAB_AARCH64_CRITERION_SHIM_H
#define CONVLAB_AARCH64_CRITERION_SHIM_H

#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

typedef struct { const char *name; void (*init)(void); void (*fini)(void); } ShimSuite;
void shim_register(const char *suite, const char *name, void (*fn)(void));
void shim_register_suite(ShimSuite s);
__attribute__((format(printf, 4, 5), noreturn)) void shim_fail(const char *file, int line, const char *cond,
                                                                const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void shim_log(const char *fmt, ...);
__attribute__((noreturn)) void shim_skip(void);

#define Test(suite, name, ...)                                                             \
    static void suite##_##name(void);                                                      \
    __attribute__((constructor)) static void shim_reg_##suite##_##name(void) {             \
        shim_register(#suite, #name, suite##_##name);                                      \
    }                                                                                      \
    static void suite##_##name(void)

#define TestSuite(suite, ...)                                                              \
    __attribute__((constructor)) static void shim_suite_##suite(void) {                    \
        shim_register_suite((ShimSuite){.name = #suite, __VA_ARGS__});                     \
    }

#define cr_assert(cond, ...) \
    do { if (!(cond)) shim_fail(__FILE__, __LINE__, #cond, "" __VA_ARGS__); } while (0)
#define cr_assert_fail(...) shim_fail(__FILE__, __LINE__, "cr_assert_fail", "" __VA_ARGS__)
#define cr_assert_not(cond, ...) cr_assert(!(cond), __VA_ARGS__)
#define cr_assert_eq(a, b, ...) cr_assert((a) == (b), __VA_ARGS__)
#define cr_assert_neq(a, b, ...) cr_assert((a) != (b), __VA_ARGS__)
#define cr_assert_geq(a, b, ...) cr_assert((a) >= (b), __VA_ARGS__)
#define cr_assert_gt(a, b, ...) cr_assert((a) > (b), __VA_ARGS__)
#define cr_assert_lt(a, b, ...) cr_assert((a) < (b), __VA_ARGS__)
#define cr_assert_null(p, ...) cr_assert((p) == NULL, __VA_ARGS__)
#define cr_assert_not_null(p, ...) cr_assert((p) != NULL, __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) cr_assert(strcmp((a), (b)) == 0, __VA_ARGS__)
#define cr_assert_str_neq(a, b, ...) cr_assert(strcmp((a), (b)) != 0, __VA_ARGS__)
#define cr_assert_float_eq(a, b, eps, ...) cr_assert(fabs((double)(a) - (double)(b)) <= (eps), __VA_ARGS__)
#define cr_expect cr_assert
#define cr_expect_eq cr_assert_eq
#define cr_expect_geq cr_assert_geq
#define cr_expect_lt cr_assert_lt
#define cr_expect_float_eq cr_assert_float_eq
#define cr_log_info(...) shim_log(__VA_ARGS__)
#define cr_skip_test(...) do { shim_log(__VA_ARGS__); shim_skip(); } while (0)

#endif
