/* Registry and main() of the Criterion stand-in for make test-aarch64 (see
 * tests/aarch64/criterion/criterion.h): runs the registered tests in one
 * process, in link order, each suite's .init/.fini around each of its tests.
 */
#include <criterion/criterion.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>

typedef struct { const char *suite, *name; void (*fn)(void); } ShimTest;
static ShimTest tests[512];
static ShimSuite suites[64];
static int n_tests, n_suites;
static jmp_buf skip_jump;

void shim_register(const char *suite, const char *name, void (*fn)(void)) {
    if (n_tests < 512) tests[n_tests++] = (ShimTest){suite, name, fn};
}
void shim_register_suite(ShimSuite s) {
    if (n_suites < 64) suites[n_suites++] = s;
}

void shim_fail(const char *file, int line, const char *cond, const char *fmt, ...) {
    fprintf(stderr, "%s:%d: assertion failed: %s\n  ", file, line, cond);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void shim_log(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void shim_skip(void) { longjmp(skip_jump, 1); }

static const ShimSuite *suite_of(const char *name) {
    for (int i = 0; i < n_suites; i++)
        if (strcmp(suites[i].name, name) == 0) return &suites[i];
    return NULL;
}

// Runs one test; 0 if it skipped itself.
static int run_one(void (*fn)(void)) {
    if (setjmp(skip_jump) != 0) return 0;
    fn();
    return 1;
}

// Usage: test_engine [--filter GLOB] (other Criterion options are ignored).
int main(int argc, char **argv) {
    const char *filter = "*";
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--filter") == 0) filter = argv[i + 1];
    int ran = 0, skipped = 0;
    for (int i = 0; i < n_tests; i++) {
        char full[256];
        snprintf(full, sizeof full, "%s/%s", tests[i].suite, tests[i].name);
        if (fnmatch(filter, full, FNM_EXTMATCH) != 0) continue;
        const ShimSuite *s = suite_of(tests[i].suite);
        fprintf(stderr, "[RUN ] %s\n", full);
        if (s && s->init) s->init();
        if (run_one(tests[i].fn)) ran++;
        else skipped++;
        if (s && s->fini) s->fini();
    }
    printf("Tested: %d | Passing: %d | Skipped: %d | Failing: 0\n", ran + skipped, ran, skipped);
    return ran > 0 ? 0 : 1;
}
