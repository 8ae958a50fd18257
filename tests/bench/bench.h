/* `make bench`: each area registers one entry point; bench.c runs them in
 * order and each prints its own table. Benchmarks report throughput or ratios
 * over several runs (median and spread), never pass/fail on time.
 */
#ifndef CONVLAB_BENCH_H
#define CONVLAB_BENCH_H

void bench_engine(void);    // training/eval throughput, peak memory, PyTorch ratio (bench_engine.c)
void bench_profile(void);   // one training step's time per op, 1 thread (bench_profile.c)
void bench_kernels(void);   // each shipped net's convolutions: fast path vs reference loops (bench_kernels.c)
void bench_ui(void);        // launch to first frame, frame render time (bench_ui.c)
void bench_dashboard(void); // frame time while training runs (bench_dashboard.c)

// Seconds from a monotonic clock.
double bench_now(void);

#endif
