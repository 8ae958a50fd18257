/* Chooses the kernel tier (see kernels.h): once, from CONVLAB_ISA or the CPU's
 * features (__builtin_cpu_supports also checks that the OS saves the wider
 * registers). The tables themselves live in kernels_<tier>.c.
 */
#include "engine/kernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
extern const KernelTable kernels_avx512, kernels_avx2, kernels_sse2;
#elif defined(__aarch64__)
extern const KernelTable kernels_neon;
#endif

static const KernelTable kernels_scalar = {.name = "scalar"};

// Best first.
static const KernelTable *const TABLES[] = {
#if defined(__x86_64__)
    &kernels_avx512, &kernels_avx2, &kernels_sse2,
#elif defined(__aarch64__)
    &kernels_neon,
#endif
    &kernels_scalar,
};
#define N_TABLES (int)(sizeof TABLES / sizeof TABLES[0])

static bool cpu_runs(const KernelTable *k) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (k == &kernels_avx512) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
                                     __builtin_cpu_supports("fma");
    if (k == &kernels_avx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    (void)k;
    return true;   // SSE2 is part of x86-64, NEON of aarch64, scalar of everything
}

static const KernelTable *find_table(const char *name) {
    for (int i = 0; i < N_TABLES; i++)
        if (strcmp(TABLES[i]->name, name) == 0) return TABLES[i];
    return NULL;
}

static _Atomic(const KernelTable *) current;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static ClError init_error;
static void init_once(void);

static void list_tiers(char *out, size_t size) {
    out[0] = 0;
    for (int i = 0; i < N_TABLES; i++)
        if (cpu_runs(TABLES[i]))
            snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? ", " : "", TABLES[i]->name);
}

int kernels_select(const char *name, ClError *err) {
    const KernelTable *k = find_table(name);
    char tiers[128];
    list_tiers(tiers, sizeof tiers);
    if (!k) return cl_fail(err, "kernel tier %s: unknown; use one of: %s", name, tiers);
    if (!cpu_runs(k)) return cl_fail(err, "kernel tier %s: this CPU cannot run it; use one of: %s", name, tiers);
    pthread_once(&once, init_once);   // so a later first kernels_get cannot replace this choice
    atomic_store_explicit(&current, k, memory_order_release);
    return 0;
}

// The start-up choice; a tier kernels_select set before it stays.
static void init_once(void) {
    const KernelTable *chosen = &kernels_scalar, *none = NULL;
    const char *forced = getenv("CONVLAB_ISA");
    if (forced && forced[0]) {
        const KernelTable *k = find_table(forced);
        char tiers[128];
        list_tiers(tiers, sizeof tiers);
        if (!k) cl_fail(&init_error, "CONVLAB_ISA=%s: unknown kernel tier; use one of: %s (or unset it)", forced, tiers);
        else if (!cpu_runs(k))
            cl_fail(&init_error, "CONVLAB_ISA=%s: this CPU cannot run these kernels; use one of: %s (or unset it)",
                    forced, tiers);
        else chosen = k;
    } else {
        for (int i = N_TABLES - 1; i >= 0; i--)
            if (cpu_runs(TABLES[i])) chosen = TABLES[i];
    }
    atomic_compare_exchange_strong(&current, &none, chosen);
}

int kernels_init(ClError *err) {
    pthread_once(&once, init_once);
    if (init_error.msg[0]) return cl_fail(err, "%s", init_error.msg);
    return 0;
}

const KernelTable *kernels_get(void) {
    const KernelTable *k = atomic_load_explicit(&current, memory_order_acquire);
    if (k) return k;
    ClError err = {{0}};
    if (kernels_init(&err) != 0) {
        fprintf(stderr, "convlab: %s\n", err.msg);
        exit(2);
    }
    return atomic_load_explicit(&current, memory_order_acquire);
}

const char *kernels_name(void) { return kernels_get()->name; }

bool kernels_available(const char *name) {
    const KernelTable *k = find_table(name);
    return k && cpu_runs(k);
}

const char *const *kernels_tiers(void) {
    static const char *const names[] = {
#if defined(__x86_64__)
        "avx512", "avx2", "sse2",
#elif defined(__aarch64__)
        "neon",
#endif
        "scalar", NULL};
    return names;
}

// ---- per-thread scratch ------------------------------------------------------------

typedef struct {
    float *buf[SCRATCH_SLOTS];
    size_t cap[SCRATCH_SLOTS];   // floats
} Scratch;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p) {
    Scratch *s = p;
    for (int i = 0; i < SCRATCH_SLOTS; i++) free(s->buf[i]);
    free(s);
}

static void scratch_key_create(void) { CL_ASSERT(pthread_key_create(&scratch_key, scratch_free) == 0); }

float *kernels_scratch(int slot, size_t floats) {
    CL_ASSERT(slot >= 0 && slot < SCRATCH_SLOTS);
    pthread_once(&scratch_once, scratch_key_create);
    Scratch *s = pthread_getspecific(scratch_key);
    if (!s) {
        s = cl_calloc(1, sizeof *s);
        CL_ASSERT(pthread_setspecific(scratch_key, s) == 0);
    }
    if (s->cap[slot] < floats) {
        free(s->buf[slot]);
        size_t cap = floats + floats / 4 + 16;   // some headroom: shapes vary a little
        s->buf[slot] = cl_malloc(sizeof(float) * cap);
        s->cap[slot] = cap;
    }
    return s->buf[slot];
}
