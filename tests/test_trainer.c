/* Tests of trainer.c on small synthetic data sets: epoch and mini-batch
 * bookkeeping (partial last batch), the tutorial's log cadence and running
 * mean, tutorial_break, seeded shuffling, refusal of a NaN step with the state
 * left as before it, training accuracy, and evaluate()'s counts.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/trainer.h"
#include "testutil.h"

// ---- helpers ------------------------------------------------------------------------

// n random images with random labels. Ownership: cifar_set_free-compatible (malloc).
static CifarSet make_set(int n, uint64_t seed) {
    CifarSet s = {.n = n, .labels = malloc((size_t)n), .pixels = malloc((size_t)n * CIFAR_PIXELS)};
    Rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < n; i++) s.labels[i] = (uint8_t)rng_below(&r, 10);
    for (long i = 0; i < (long)n * CIFAR_PIXELS; i++) s.pixels[i] = (uint8_t)rng_below(&r, 256);
    return s;
}

static void free_set(CifarSet *s) {
    free(s->labels);
    free(s->pixels);
}

static TrainConfig config(int epochs, int batch, int log_every) {
    TrainConfig c = train_config_default();
    c.epochs = epochs, c.batch_size = batch, c.log_every = log_every;
    return c;
}

static void init(Trainer *t, const TrainConfig *c, const CifarSet *set) {
    ClError err = {0};
    cr_assert_eq(trainer_init(t, c, set, &err), 0, "%s", err.msg);
}

static int step(Trainer *t, float *loss) {
    ClError err = {0};
    int r = trainer_step(t, loss, &err);
    cr_assert_neq(r, -1, "trainer_step failed: %s", err.msg);
    return r;
}

// ---- configuration --------------------------------------------------------------------

Test(trainer, default_config_is_the_tutorials) {
    TrainConfig c = train_config_default();
    cr_assert(c.epochs == 2 && c.batch_size == 4 && c.log_every == 2000 && c.shuffle);
    cr_assert(c.optim.kind == OPTIM_SGD && c.optim.lr == 0.001f && c.optim.momentum == 0.9f);
    cr_assert(!c.relu_logits && !c.tutorial_break);
    ClError err = {0};
    cr_assert_eq(train_config_validate(&c, &err), 0, "%s", err.msg);
}

Test(trainer, bad_config_is_rejected_with_one_line) {
    ClError err = {0};
    TrainConfig c = config(0, 4, 10);
    cr_assert_eq(train_config_validate(&c, &err), -1);
    cr_assert(strstr(err.msg, "epochs") != NULL, "%s", err.msg);
    c = config(1, 0, 10);
    cr_assert_eq(train_config_validate(&c, &err), -1);
    cr_assert(strstr(err.msg, "batch size") != NULL, "%s", err.msg);
    c = config(1, 4, 0);
    cr_assert_eq(train_config_validate(&c, &err), -1);
    cr_assert(strstr(err.msg, "log") != NULL, "%s", err.msg);
    c = config(1, 4, 10);
    c.optim.lr = -1;
    cr_assert_eq(train_config_validate(&c, &err), -1);
    cr_assert_str_eq(err.msg, "Invalid learning rate: -1.0");
    Trainer t;
    CifarSet set = make_set(3, 1);
    cr_assert_eq(trainer_init(&t, &c, &set, &err), -1);
    trainer_free(&t);
    free_set(&set);
}

// ---- bookkeeping ----------------------------------------------------------------------

// 10 images in batches of 4: 4, 4, 2 (drop_last=False), twice.
Test(trainer, epochs_and_partial_last_batch) {
    CifarSet set = make_set(10, 2);
    TrainConfig c = config(2, 4, 1000);
    Trainer t;
    init(&t, &c, &set);
    cr_assert_eq(t.batches_per_epoch, 3);
    int want_n[] = {4, 4, 2, 4, 4, 2}, want_epoch[] = {0, 0, 0, 1, 1, 1}, want_batch[] = {1, 2, 3, 1, 2, 3};
    for (int s = 0; s < 6; s++) {
        cr_assert_not(t.finished);
        float loss = 0;
        cr_assert_eq(step(&t, &loss), 1);
        cr_assert(isfinite(loss) && loss > 0);
        cr_assert_eq(t.last_batch_n, want_n[s], "step %d: batch of %d", s + 1, t.last_batch_n);
        cr_assert_eq(t.epoch, want_epoch[s], "step %d: epoch %d", s + 1, t.epoch);
        cr_assert_eq(t.batch_in_epoch, want_batch[s], "step %d: batch %d", s + 1, t.batch_in_epoch);
        cr_assert_eq(t.global_step, s + 1);
        cr_assert_float_eq(t.last_loss, loss, 0);
        cr_assert_eq(t.epoch_seen, want_batch[s] == 3 ? 10 : 4 * want_batch[s]);
        cr_assert(t.epoch_correct >= 0 && t.epoch_correct <= t.epoch_seen);
    }
    cr_assert(t.finished);
    float loss = -1;
    cr_assert_eq(step(&t, &loss), 0, "no step after the last epoch");
    cr_assert_eq(t.global_step, 6);
    trainer_free(&t);
    free_set(&set);
}

Test(trainer, tutorial_break_runs_one_batch_per_epoch) {
    CifarSet set = make_set(20, 3);
    TrainConfig c = config(3, 4, 2000);
    c.tutorial_break = true;
    Trainer t;
    init(&t, &c, &set);
    cr_assert_eq(t.batches_per_epoch, 1);
    float loss;
    int steps = 0;
    while (step(&t, &loss) == 1) {
        steps++;
        cr_assert_eq(t.batch_in_epoch, 1);
    }
    cr_assert_eq(steps, 3);
    cr_assert_eq(t.epoch, 2);
    trainer_free(&t);
    free_set(&set);
}

// The tutorial: print running_loss / log_every when i % log_every == log_every - 1,
// running_loss restarting each epoch, the epoch's leftover never printed.
Test(trainer, log_cadence_and_running_mean_are_the_tutorials) {
    CifarSet set = make_set(10, 4);
    TrainConfig c = config(2, 2, 2);  // 5 mini-batches per epoch: logs after 2 and 4
    c.shuffle = false;
    Trainer t;
    init(&t, &c, &set);
    float losses[10];
    int logged_at[10], n_logs = 0;
    float logged_mean[10];
    for (int s = 0; s < 10; s++) {
        cr_assert_eq(step(&t, &losses[s]), 1);
        float mean;
        if (trainer_take_log(&t, &mean)) {
            logged_at[n_logs] = s, logged_mean[n_logs++] = mean;
            cr_assert_eq(trainer_take_log(&t, &mean), 0, "a log line is taken once");
        }
    }
    int want_at[] = {1, 3, 6, 8};  // (epoch, i+1) = (1,2) (1,4) (2,2) (2,4)
    cr_assert_eq(n_logs, 4);
    for (int k = 0; k < 4; k++) {
        int s = want_at[k];
        cr_assert_eq(logged_at[k], s);
        float want = (float)(((double)losses[s - 1] + losses[s]) / 2);
        cr_assert_float_eq(logged_mean[k], want, 1e-6f, "log %d: %g, want %g", k, logged_mean[k], want);
    }
    trainer_free(&t);
    free_set(&set);
}

// ---- shuffling ------------------------------------------------------------------------------

static void run_losses(uint64_t seed, bool shuffle, float *losses, int n_steps, int32_t *first_order) {
    CifarSet set = make_set(12, 5);
    TrainConfig c = config(3, 3, 1000);
    c.seed = seed, c.shuffle = shuffle;
    Trainer t;
    init(&t, &c, &set);
    for (int s = 0; s < n_steps; s++) {
        cr_assert_eq(step(&t, &losses[s]), 1);
        if (s == 0 && first_order) memcpy(first_order, t.order, sizeof(int32_t) * 12);
    }
    trainer_free(&t);
    free_set(&set);
}

Test(trainer, same_seed_same_losses_and_no_shuffle_keeps_order) {
    float a[12], b[12], d[12];
    int32_t order_a[12], order_n[12];
    run_losses(7, true, a, 12, order_a);
    run_losses(7, true, b, 12, NULL);
    cr_assert_eq(memcmp(a, b, sizeof a), 0, "same seed must give bit-identical losses");
    run_losses(8, true, d, 12, NULL);
    cr_assert_neq(memcmp(a, d, sizeof a), 0, "a different seed gives a different run");
    run_losses(7, false, d, 12, order_n);
    for (int i = 0; i < 12; i++) cr_assert_eq(order_n[i], i, "--no-shuffle keeps the file order");
    int moved = 0;
    for (int i = 0; i < 12; i++) moved += order_a[i] != i;
    cr_assert(moved > 0, "shuffle left the order untouched");
}

Test(trainer, every_epoch_is_a_new_permutation) {
    CifarSet set = make_set(16, 6);
    TrainConfig c = config(3, 16, 1000);  // one batch per epoch
    Trainer t;
    init(&t, &c, &set);
    int32_t orders[3][16];
    float loss;
    for (int e = 0; e < 3; e++) {
        cr_assert_eq(step(&t, &loss), 1);
        memcpy(orders[e], t.order, sizeof orders[e]);
        int seen[16] = {0};
        for (int i = 0; i < 16; i++) seen[orders[e][i]]++;
        for (int i = 0; i < 16; i++) cr_assert_eq(seen[i], 1, "epoch %d order is not a permutation", e);
        for (int i = 0; i < 16; i++) cr_assert_eq(t.batch_labels[i], set.labels[orders[e][i]], "batch follows the order");
    }
    cr_assert_neq(memcmp(orders[0], orders[1], sizeof orders[0]), 0);
    cr_assert_neq(memcmp(orders[1], orders[2], sizeof orders[0]), 0);
    trainer_free(&t);
    free_set(&set);
}

// ---- divergence ---------------------------------------------------------------------------------

Test(trainer, nan_loss_is_reported_and_the_step_leaves_no_trace) {
    CifarSet set = make_set(40, 7);
    TrainConfig c = config(5, 4, 1000);
    c.optim.lr = 1e4f;  // diverges within a few steps
    Trainer t;
    init(&t, &c, &set);
    long n = t.net.n_params;
    float *params = malloc(sizeof(float) * (size_t)n), *buf = malloc(sizeof(float) * (size_t)n);
    ClError err = {0};
    int r = 1;
    float loss = 0;
    long steps_before = 0;
    for (int s = 0; s < 50 && r == 1; s++) {
        memcpy(params, t.net.params, sizeof(float) * (size_t)n);
        memcpy(buf, t.opt.state1, sizeof(float) * (size_t)n);
        steps_before = t.global_step;
        r = trainer_step(&t, &loss, &err);
    }
    cr_assert_eq(r, -1, "lr 1e4 never produced a non-finite loss or update in 50 steps");
    fprintf(stderr, "trainer divergence message: %s\n", err.msg);
    char want[64];
    snprintf(want, sizeof want, "at step %ld ", steps_before + 1);
    cr_assert(strstr(err.msg, want) != NULL, "message does not name the step: %s", err.msg);
    cr_assert(strstr(err.msg, "learning rate 10000 is too high; lower --lr") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "NaN") || strstr(err.msg, "infinite"), "%s", err.msg);
    cr_assert_eq(memcmp(params, t.net.params, sizeof(float) * (size_t)n), 0, "weights changed by the failed step");
    cr_assert_eq(memcmp(buf, t.opt.state1, sizeof(float) * (size_t)n), 0, "momentum changed by the failed step");
    cr_assert_eq(t.global_step, steps_before);
    cr_assert_eq(t.opt.t, steps_before);
    for (long i = 0; i < n; i++) cr_assert(isfinite(t.net.params[i]), "weights must stay finite");
    free(params);
    free(buf);
    trainer_free(&t);
    free_set(&set);
}

// ---- learning and evaluation ------------------------------------------------------------------

// End to end: the loop can memorize a handful of images (loss and training
// accuracy move the right way), and evaluate() agrees with the training accuracy.
Test(trainer, learns_a_tiny_set_and_evaluate_counts_consistently) {
    CifarSet set = make_set(8, 8);
    TrainConfig c = config(60, 4, 2);
    c.optim.lr = 0.01f;
    Trainer t;
    init(&t, &c, &set);
    float first = 0, loss = 0;
    step(&t, &first);
    while (step(&t, &loss) == 1) {}
    cr_assert(loss < 0.5f * first, "loss went from %g to %g", first, loss);
    cr_assert_eq(t.epoch_seen, 8);
    cr_assert(t.epoch_correct >= 7, "training accuracy %ld / 8", t.epoch_correct);

    EvalResult r;
    evaluate(&t.net, &set, 0, &r);  // batches of 4 (the net's max batch)
    cr_assert_eq(r.n, 8);
    cr_assert(r.correct >= 7, "evaluate: %d / 8 on the memorized set", r.correct);
    cr_assert_float_eq(r.accuracy, 100.0 * r.correct / 8, 1e-9);
    int total = 0, diag = 0;
    for (int i = 0; i < 10; i++) {
        int row = 0;
        for (int j = 0; j < 10; j++) row += r.confusion[i][j];
        cr_assert_eq(row, r.class_total[i], "confusion row %d", i);
        cr_assert_eq(r.confusion[i][i], r.class_correct[i]);
        total += row, diag += r.confusion[i][i];
        if (r.class_total[i]) cr_assert_float_eq(r.class_accuracy[i], 100.0 * r.class_correct[i] / r.class_total[i], 1e-9);
    }
    cr_assert_eq(total, 8);
    cr_assert_eq(diag, r.correct);
    trainer_free(&t);
    free_set(&set);
}

Test(trainer, evaluate_is_independent_of_batch_size_and_honours_limit) {
    CifarSet set = make_set(300, 9);
    Net net;
    ClError err = {0};
    cr_assert_eq(net_build_cnnnet(&net, false, 4, &err), 0);
    net_init_params(&net, 11);
    EvalResult a, b, lim;
    evaluate(&net, &set, 0, &a);       // grows the forward buffers to 256: batches of 256 and 44
    cr_assert_eq(net.max_batch, 256);
    cr_assert_eq(net.max_backward_batch, 4, "evaluation must not allocate gradients");
    float x[4 * CIFAR_PIXELS];  // the net still trains at its own batch size
    uint8_t labels[4];
    cifar_normalize_batch(x, labels, &set, NULL, 4);
    net_forward(&net, x, 4);
    net_backward(&net, labels, 4);
    cr_assert_eq(net_set_max_batch(&net, 300, &err), 0);
    evaluate(&net, &set, 0, &b);       // one batch of 300
    cr_assert_eq(memcmp(&a, &b, sizeof a), 0, "evaluation depends on the batch size");
    cr_assert_eq(a.n, 300);
    evaluate(&net, &set, 5, &lim);
    cr_assert_eq(lim.n, 5);
    int total = 0;
    for (int i = 0; i < 10; i++) total += lim.class_total[i];
    cr_assert_eq(total, 5);
    net_free(&net);
    free_set(&set);
}
