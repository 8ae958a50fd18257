/* `make bench`: the training dashboard's frame time while training runs.
 * A TrainSession trains on a background thread (CIFAR-10 from data/ if there,
 * else a synthetic set) while this thread polls snapshots and draws the whole
 * dashboard at 1280x800 on the offscreen software renderer (the slowest
 * target: the window's renderer is usually accelerated). Reports median and
 * p95 over all frames, for (a) the live snapshot and (b) a heavy one with
 * TS_MAX_RUNS runs of 1,250 logged points each. Target: < 16 ms per frame.
 * Wall time includes preemption by other processes on a busy machine; the
 * drawing thread's CPU time is the cost of the frame itself.
 */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "session/train_session.h"
#include "ui/dashboard.h"
#include "ui/draw.h"
#include "ui/theme.h"

#define BENCH_SECONDS 3.0
#define HEAVY_POINTS 1250

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

// CPU time of this thread: the drawing cost alone, whatever else the machine runs.
static double thread_cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void report(const char *what, double *ms, double *cpu, int n) {
    if (n == 0) { printf("  %-40s no frames\n", what); return; }
    qsort(ms, (size_t)n, sizeof *ms, cmp_double);
    qsort(cpu, (size_t)n, sizeof *cpu, cmp_double);
    double med = ms[n / 2], p95 = ms[(int)(0.95 * (n - 1))];
    printf("  %-40s wall median %6.2f ms  p95 %6.2f ms  |  thread CPU median %6.2f ms  p95 %6.2f ms  (%d frames)%s\n",
           what, med, p95, cpu[n / 2], cpu[(int)(0.95 * (n - 1))], n, p95 < 16.0 ? "" : "  wall p95 OVER 16 ms");
}

static void synthetic_cifar(Cifar *c, int n_train, int n_test) {
    memset(c, 0, sizeof *c);
    CifarSet *sets[2] = {&c->train, &c->test};
    int ns[2] = {n_train, n_test};
    unsigned x = 12345;
    for (int s = 0; s < 2; s++) {
        sets[s]->n = ns[s];
        sets[s]->labels = malloc((size_t)ns[s]);
        sets[s]->pixels = malloc((size_t)ns[s] * CIFAR_PIXELS);
        for (int i = 0; i < ns[s]; i++) sets[s]->labels[i] = (uint8_t)(i % 10);
        for (size_t i = 0; i < (size_t)ns[s] * CIFAR_PIXELS; i++) sets[s]->pixels[i] = (uint8_t)((x = x * 1103515245u + 12345u) >> 24);
    }
}

// A heavy snapshot: the live one plus full runs with HEAVY_POINTS points each.
static void make_heavy(TrainSnapshot *heavy, const TrainSnapshot *live) {
    train_snapshot_copy(heavy, live);
    heavy->n_runs = TS_MAX_RUNS;
    for (int r = 0; r < TS_MAX_RUNS; r++) {
        RunHistory *h = &heavy->runs[r];
        h->points = realloc(h->points, sizeof(LossPoint) * HEAVY_POINTS);
        h->cap_points = h->n_points = HEAVY_POINTS;
        h->config = live->config;
        h->config.epochs = 10;
        h->batches_per_epoch = 12500;
        h->images_per_epoch = 50000;
        snprintf(h->label, sizeof h->label, "run %d: SGD lr 0.00%d, mom 0.9, batch 4", r + 1, r + 1);
        for (int i = 0; i < HEAVY_POINTS; i++) {
            LossPoint *p = &h->points[i];
            p->step = 100L * (i + 1);
            p->epoch = 1 + (int)(p->step / 12500);
            p->batch = (int)(p->step % 12500);
            p->loss = (float)(2.3 * exp(-i / 400.0) + 0.6 + 0.05 * sin(i * 0.7) + 0.02 * r);
            p->smooth = (float)(2.3 * exp(-i / 400.0) + 0.6 + 0.02 * r);
            p->test_loss = (float)(2.3 * exp(-i / 500.0) + 0.7 + 0.02 * r);
            p->images = p->step * 4;
            p->epoch_x = (double)p->step / 12500.0;
        }
        h->n_epochs_done = 10;
        for (int e = 0; e < 10; e++) h->test_acc[e] = 40.0f + 2.0f * e + r, h->epoch_end_step[e] = 12500L * (e + 1);
    }
}

void bench_dashboard(void) {
    printf("bench_dashboard: frame render time at 1280x800 while training runs\n");
    ClError err;
    if (draw_init_fonts(&err) != 0) { printf("  skipped: %s\n", err.msg); return; }
    Theme theme;
    if (theme_load_named(&theme, "light", &err) != 0) theme_default_light(&theme);
    Cifar cifar;
    const char *source = "CIFAR-10 (first 5,000 training, 1,000 test images)";
    if (cifar_load(&cifar, "data/cifar-10-batches-bin", 5000, 1000, &err) != 0) {
        synthetic_cifar(&cifar, 5000, 1000);
        source = "synthetic data (no CIFAR-10 in data/)";
    }
    TrainConfig cfg = train_session_default_config();
    cfg.epochs = 50;
    cfg.log_every = 20;  // many points and frequent snapshots
    cfg.threads = 1;     // the other core draws
    TrainSession *s = train_session_create(&cfg, &cifar, &err);
    Canvas *c = s ? canvas_create_offscreen(1280, 800, &theme, &err) : NULL;
    if (!s || !c) { printf("  skipped: %s\n", err.msg); train_session_destroy(s); cifar_free(&cifar); return; }
    printf("  %s, trainer on 1 thread, log every %d mini-batches, software renderer\n", source, cfg.log_every);
    train_session_start(s);
    DashboardView view;
    dashboard_view_init(&view);
    view.settings = cfg;
    view.settings_locked = true;

    int cap = 4096, n_live = 0, n_heavy = 0;
    double *live = malloc(sizeof(double) * cap), *heavy_ms = malloc(sizeof(double) * cap);
    double *live_cpu = malloc(sizeof(double) * cap), *heavy_cpu = malloc(sizeof(double) * cap);
    TrainSnapshot heavy;
    memset(&heavy, 0, sizeof heavy);
    long fresh = 0;
    uint64_t last_version = 0;
    for (int pass = 0; pass < 2; pass++) {
        double t_end = bench_now() + BENCH_SECONDS;
        while (bench_now() < t_end && (pass ? n_heavy : n_live) < cap) {
            double t0 = bench_now(), c0 = thread_cpu_now();
            const TrainSnapshot *snap = train_session_snapshot(s);
            if (snap->version != last_version) fresh++, last_version = snap->version;
            if (pass == 1) {
                make_heavy(&heavy, snap);  // not timed: stands for a long session's history
                t0 = bench_now(), c0 = thread_cpu_now();
                snap = &heavy;
            }
            canvas_begin_frame(c);
            dashboard_draw(c, snap, &view, &cifar, NULL);
            canvas_end_frame(c);
            double ms = (bench_now() - t0) * 1000.0, cpu = (thread_cpu_now() - c0) * 1000.0;
            if (pass == 0) live_cpu[n_live] = cpu, live[n_live++] = ms;
            else heavy_cpu[n_heavy] = cpu, heavy_ms[n_heavy++] = ms;
        }
    }
    const TrainSnapshot *last = train_session_snapshot(s);
    long steps = last->step;
    train_session_destroy(s);
    report("live snapshot (every frame redrawn)", live, live_cpu, n_live);
    report("6 runs x 1,250 points (long session)", heavy_ms, heavy_cpu, n_heavy);
    printf("  %ld fresh snapshots seen; the trainer reached step %ld meanwhile\n", fresh, steps);
    train_snapshot_free(&heavy);
    free(live);
    free(heavy_ms);
    free(live_cpu);
    free(heavy_cpu);
    canvas_free(c);
    cifar_free(&cifar);
}
