/* `make bench`: the convolutions of every shipped net (assets/nets/), one
 * call each on a chunk of 2 images (what one thread gets at batch 4), through
 * conv2d_forward / conv2d_backward (the kernel tier in use, or the reference
 * loops where the fast path declines) and through the reference loops, in
 * microseconds of this thread's CPU time (CLOCK_THREAD_CPUTIME_ID: time spent
 * waiting for the CPU on a shared machine does not count), median of 7 runs.
 * A timing harness only, no pass/fail.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine/conv2d.h"
#include "engine/kernels.h"
#include "engine/rng.h"

#define KB_RUNS 7
#define KB_SECONDS 0.02   // per run

typedef struct {
    const char *name;
    int IC, OC, K, H, pad;
    bool first;   // the first layer: no input gradient
} ConvShape;

static const ConvShape SHAPES[] = {
    {"cnnnet conv1 3->8 k5 32x32", 3, 8, 5, 32, 0, true},
    {"cnnnet conv2 8->16 k3 14x14", 8, 16, 3, 14, 0, false},
    {"tutorial/lenet5 conv1 3->6 k5", 3, 6, 5, 32, 0, true},
    {"tutorial/lenet5 conv2 6->16 k5", 6, 16, 5, 14, 0, false},
    {"lenet5 conv3 16->120 k5 5x5", 16, 120, 5, 5, 0, false},
    {"small_vgg conv1 3->16 k3 p1 32", 3, 16, 3, 32, 1, true},
    {"small_vgg conv2 16->16 k3 p1 32", 16, 16, 3, 32, 1, false},
    {"vgg/dropout 16->32 k3 p1 16x16", 16, 32, 3, 16, 1, false},
    {"small_vgg conv4 32->32 k3 p1 16", 32, 32, 3, 16, 1, false},
};

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    const ConvShape *s;
    Conv2dConfig c;
    float *x, *w, *b, *g, *out, *dx, *dw, *db;
} ConvCase;

// op 0: forward, 1: backward as the net calls it; reference: the plain loops.
static void run_op(ConvCase *k, int op, bool reference) {
    const int N = 2, H = k->s->H;
    float *dx = k->s->first ? NULL : k->dx;
    if (op == 0 && reference) conv2d_forward_reference(k->out, k->x, k->w, k->b, &k->c, N, H, H);
    else if (op == 0) conv2d_forward(k->out, k->x, k->w, k->b, &k->c, N, H, H);
    else if (reference) conv2d_backward_reference(dx, k->dw, k->db, k->g, k->x, k->w, &k->c, N, H, H);
    else conv2d_backward(dx, k->dw, k->db, k->g, k->x, k->w, &k->c, N, H, H);
}

// Median microseconds per call.
static double time_op(ConvCase *k, int op, bool reference) {
    int reps = 0;
    double t0 = cpu_now();
    do run_op(k, op, reference), reps++;
    while (cpu_now() - t0 < KB_SECONDS);
    double t[KB_RUNS];
    for (int r = 0; r < KB_RUNS; r++) {
        double a = cpu_now();
        for (int i = 0; i < reps; i++) run_op(k, op, reference);
        t[r] = (cpu_now() - a) / reps;
    }
    qsort(t, KB_RUNS, sizeof t[0], cmp_double);
    return 1e6 * t[KB_RUNS / 2];
}

static float *random_floats(Rng *r, long n) {
    float *p = cl_malloc(sizeof(float) * (size_t)n);
    for (long i = 0; i < n; i++) p[i] = (float)(2 * rng_uniform(r) - 1);
    return p;
}

void bench_kernels(void) {
    printf("convolutions of the shipped nets, N = 2, %s kernels: us of CPU per call, median of %d (fast | reference)\n",
           kernels_name(), KB_RUNS);
    printf("  %-34s %20s %22s %8s\n", "layer", "forward", "backward", "GFLOP/s");
    Rng r;
    rng_seed(&r, 3);
    for (size_t i = 0; i < sizeof SHAPES / sizeof SHAPES[0]; i++) {
        ConvCase k = {.s = &SHAPES[i], .c = conv2d_config(SHAPES[i].IC, SHAPES[i].OC, SHAPES[i].K, SHAPES[i].K)};
        conv2d_set_padding(&k.c, k.s->pad, k.s->pad);
        int OH, OW;
        if (conv2d_output_size(&k.c, k.s->H, k.s->H, &OH, &OW, NULL) != 0) continue;
        long nx = 2L * k.s->IC * k.s->H * k.s->H, nw = (long)k.s->OC * k.s->IC * k.s->K * k.s->K, no = 2L * k.s->OC * OH * OW;
        k.x = random_floats(&r, nx), k.w = random_floats(&r, nw), k.b = random_floats(&r, k.s->OC);
        k.g = random_floats(&r, no), k.out = random_floats(&r, no), k.dx = random_floats(&r, nx);
        k.dw = random_floats(&r, nw), k.db = random_floats(&r, k.s->OC);
        double f = time_op(&k, 0, false), fr = time_op(&k, 0, true);
        double b = time_op(&k, 1, false), br = time_op(&k, 1, true);
        // Multiply-adds: forward one per (output, tap); backward one for dW, one for din unless first.
        double macs = (double)no * k.s->IC * k.s->K * k.s->K;
        double gflops = 2 * macs * (1 + (k.s->first ? 1 : 2)) / ((f + b) * 1e-6) / 1e9;
        printf("  %-34s %8.1f | %8.1f   %8.1f | %9.1f   %6.1f\n", k.s->name, f, fr, b, br, gflops);
        free(k.x), free(k.w), free(k.b), free(k.g), free(k.out), free(k.dx), free(k.dw), free(k.db);
    }
}
