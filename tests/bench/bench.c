/* `make bench` entry point: runs every area's benchmark in turn. */
#include "bench.h"

#include <stdio.h>
#include <time.h>

double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void) {
    bench_engine();
    bench_ui();
    bench_dashboard();
    return 0;
}
