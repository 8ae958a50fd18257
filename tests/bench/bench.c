/* `make bench` entry point: runs every area's benchmark in turn.
 * BENCH_ONLY=engine|profile|kernels|ui|dashboard runs just that one (comma-separated
 * names for several); CONVLAB_ISA forces the engine's kernel tier.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// Whether BENCH_ONLY is unset or names `what`.
static int wanted(const char *what) {
    const char *only = getenv("BENCH_ONLY");
    if (!only || !only[0]) return 1;
    size_t n = strlen(what);
    for (const char *p = only; (p = strstr(p, what)) != NULL; p += n)
        if ((p == only || p[-1] == ',') && (p[n] == 0 || p[n] == ',')) return 1;
    return 0;
}

int main(void) {
    if (wanted("engine")) bench_engine();
    if (wanted("profile")) bench_profile();
    if (wanted("kernels")) bench_kernels();
    if (wanted("ui")) bench_ui();
    if (wanted("dashboard")) bench_dashboard();
    return 0;
}
