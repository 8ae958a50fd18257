/* STUB: replaced by its owner. */
#include "bench.h"
#include <stdio.h>
void bench_ui(void) { puts("bench_ui: not written yet"); }
