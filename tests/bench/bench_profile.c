/* `make bench`: where one training step's time goes (issue 12), op by op, on
 * one thread. Runs the layers of CNNNet one at a time on the whole mini-batch
 * (net_layer_forward / net_layer_backward, the calls net_forward and
 * net_backward make per chunk) with a clock_gettime around each, plus the loss
 * gradient and the SGD update; prints microseconds per step and shares.
 * The clock is this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so time spent
 * waiting for the CPU on a shared machine does not count.
 * A timing harness only, no pass/fail.
 */
#include "bench.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine/kernels.h"
#include "engine/layers.h"
#include "engine/net.h"
#include "engine/optim.h"
#include "engine/rng.h"

#define PROFILE_STEPS 400
#define PROFILE_ROWS (2 * NET_MAX_LAYERS + 2)

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct {
    char name[40];
    double seconds;
} ProfileRow;

static void profile_batch(int N) {
    Net net;
    ClError err;
    if (net_build_cnnnet(&net, false, N, &err) != 0) return;
    net_init_params(&net, 1);
    OptimizerConfig oc = optimizer_default_config(OPTIM_SGD);
    oc.momentum = 0.9f;
    Optimizer opt;
    optimizer_init(&opt, &oc, net.n_params);
    Rng r;
    rng_seed(&r, 2);
    long in_size = (long)net.in_c * net.in_h * net.in_w * N;
    for (long i = 0; i < in_size; i++) net.acts[0][i] = (float)(2 * rng_uniform(&r) - 1);
    uint8_t labels[256];
    for (int n = 0; n < N; n++) labels[n] = (uint8_t)rng_below(&r, 10);

    ProfileRow rows[PROFILE_ROWS];
    int n_rows = 0;
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < net.n_layers; i++) snprintf(rows[n_rows++].name, sizeof rows[0].name, "%s forward", net.layers[i].name);
    int loss_row = n_rows++;
    snprintf(rows[loss_row].name, sizeof rows[0].name, "loss + its gradient");
    int back0 = n_rows;
    for (int i = net.n_layers - 1; i >= 0; i--)
        snprintf(rows[n_rows++].name, sizeof rows[0].name, "%s backward", net.layers[i].name);
    int opt_row = n_rows++;
    snprintf(rows[opt_row].name, sizeof rows[0].name, "SGD update (%ld params)", net.n_params);

    double total = 0;
    for (int s = -20; s < PROFILE_STEPS; s++) {   // 20 warm-up steps
        double t0 = cpu_now(), t;
        for (int i = 0; i < net.n_layers; i++) {
            net_layer_forward(&net, i, 0, N);
            t = cpu_now();
            if (s >= 0) rows[i].seconds += t - t0;
            t0 = t;
        }
        net_loss(&net, labels, N, NULL);
        cross_entropy_backward(net.dacts[net.n_layers], net_logits(&net), labels, N, NET_NUM_CLASSES);
        t = cpu_now();
        if (s >= 0) rows[loss_row].seconds += t - t0;
        t0 = t;
        memset(net.grads, 0, sizeof(float) * (size_t)net.n_params);
        for (int i = net.n_layers - 1, k = back0; i >= 0; i--, k++) {
            net_layer_backward(&net, i, net.grads, 0, N);
            t = cpu_now();
            if (s >= 0) rows[k].seconds += t - t0;
            t0 = t;
        }
        optimizer_step(&opt, net.params, net.grads);
        t = cpu_now();
        if (s >= 0) rows[opt_row].seconds += t - t0;
    }
    for (int k = 0; k < n_rows; k++) total += rows[k].seconds;
    printf("  per-op profile, batch %d, 1 thread, %s kernels: %.1f us CPU per step (%.0f images/s without threading or data)\n",
           N, kernels_name(), 1e6 * total / PROFILE_STEPS, N * PROFILE_STEPS / total);
    for (int k = 0; k < n_rows; k++) {
        if (rows[k].seconds < 1e-3 * total) continue;   // flatten and other no-ops
        printf("    %-30s %8.2f us  %5.1f%%\n", rows[k].name, 1e6 * rows[k].seconds / PROFILE_STEPS,
               100 * rows[k].seconds / total);
    }
    optimizer_free(&opt);
    net_free(&net);
}

// evaluate()'s forward pass alone (model.eval(), batches of 256 in chunks of
// 16 samples): where the time of the 10k-image evaluation goes.
#define EVAL_CHUNK 16
static void profile_eval(int N) {
    Net net;
    ClError err;
    if (net_build_cnnnet(&net, false, N, &err) != 0) return;
    net_init_params(&net, 1);
    net_set_training(&net, false);
    Rng r;
    rng_seed(&r, 2);
    long in_size = (long)net.in_c * net.in_h * net.in_w * N;
    for (long i = 0; i < in_size; i++) net.acts[0][i] = (float)(2 * rng_uniform(&r) - 1);
    ProfileRow rows[NET_MAX_LAYERS];
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < net.n_layers; i++) snprintf(rows[i].name, sizeof rows[0].name, "%s forward", net.layers[i].name);
    int steps = PROFILE_STEPS / 16;
    double total = 0;
    for (int s = -2; s < steps; s++)
        for (int n0 = 0; n0 < N; n0 += EVAL_CHUNK) {   // chunk by chunk, as net_forward runs them
            double t0 = cpu_now(), t;
            for (int i = 0; i < net.n_layers; i++) {
                net_layer_forward(&net, i, n0, n0 + EVAL_CHUNK);
                t = cpu_now();
                if (s >= 0) rows[i].seconds += t - t0;
                t0 = t;
            }
        }
    for (int k = 0; k < net.n_layers; k++) total += rows[k].seconds;
    printf("  per-op profile, evaluation forward, batch %d in chunks of 16, 1 thread, %s kernels: %.2f ms CPU per batch (%.0f images/s)\n",
           N, kernels_name(), 1e3 * total / steps, N * steps / total);
    for (int k = 0; k < net.n_layers; k++) {
        if (rows[k].seconds < 1e-3 * total) continue;
        printf("    %-30s %8.1f us  %5.1f%%\n", rows[k].name, 1e6 * rows[k].seconds / steps, 100 * rows[k].seconds / total);
    }
    net_free(&net);
}

void bench_profile(void) {
    profile_batch(4);
    profile_batch(64);
    profile_eval(256);
}
