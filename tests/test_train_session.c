/* Tests of the live-training session (src/session/train_session.c) on a tiny
 * synthetic CIFAR set: start/pause/resume/quit, configuration only while
 * stopped, reset, save/load, snapshot consistency while a reader thread
 * hammers the exchange, and the recorder's evaluation against the engine's.
 * Run under ThreadSanitizer too (see the report / Makefile notes).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "session/autosave.h"
#include "session/train_session.h"
#include "engine/checkpoint.h"
#include "engine/explain.h"
#include "engine/rng.h"

// A class-dependent tint plus noise, so a few epochs learn something.
static void make_set(CifarSet *set, int n, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed);
    set->n = n;
    set->labels = malloc((size_t)n);
    set->pixels = malloc((size_t)n * CIFAR_PIXELS);
    for (int i = 0; i < n; i++) {
        int label = i % CIFAR_CLASSES;
        set->labels[i] = (uint8_t)label;
        for (int p = 0; p < CIFAR_PIXELS; p++) {
            int ch = p / 1024;
            int base = (label * 25 + ch * 40) % 256;
            set->pixels[(size_t)i * CIFAR_PIXELS + p] = (uint8_t)((base + (int)rng_below(&r, 60)) % 256);
        }
    }
}

static void make_cifar(Cifar *c, int n_train, int n_test) {
    memset(c, 0, sizeof *c);
    make_set(&c->train, n_train, 1);
    make_set(&c->test, n_test, 2);
    for (int k = 0; k < CIFAR_CLASSES; k++) snprintf(c->class_names[k], sizeof c->class_names[k], "class%d", k);
}

static TrainConfig tiny_config(int epochs) {
    TrainConfig c = train_config_default();
    c.epochs = epochs;
    c.batch_size = 4;
    c.log_every = 2;
    c.threads = 1;
    c.seed = 7;
    return c;
}

// A trainer and its recorder over a made-up CIFAR-10 (the recorder tests).
typedef struct {
    Cifar c;
    TrainConfig cfg;
    ClError err;
    Trainer t;
    TrainRecorder rec;
} RecorderRig;

static void recorder_rig_open(RecorderRig *r, int n_train, int n_test, int epochs) {
    make_cifar(&r->c, n_train, n_test);
    r->cfg = tiny_config(epochs);
    cr_assert_eq(trainer_init(&r->t, &r->cfg, &r->c.train, &r->err), 0, "%s", r->err.msg);
    cr_assert_eq(train_recorder_init(&r->rec, &r->c.test, &r->err), 0, "%s", r->err.msg);
}

static void recorder_rig_close(RecorderRig *r) {
    train_recorder_free(&r->rec);
    trainer_free(&r->t);
    cifar_free(&r->c);
}

static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Polls the UI side until pred(snapshot) holds or 120 s pass (TSan is slow).
typedef bool (*SnapPred)(const TrainSnapshot *s, void *ctx);
static const TrainSnapshot *wait_for(TrainSession *s, SnapPred pred, void *ctx) {
    const TrainSnapshot *snap = train_session_snapshot(s);
    double deadline = seconds_now() + 120;
    while (!pred(snap, ctx) && seconds_now() < deadline) snap = train_session_wait(s, snap->version, 0.01);
    return snap;
}
static bool has_steps(const TrainSnapshot *s, void *ctx) { return s->step >= *(long *)ctx; }
static bool is_state(const TrainSnapshot *s, void *ctx) { return s->state == *(TrainState *)ctx; }
static bool has_message(const TrainSnapshot *s, void *ctx) { return strstr(s->message, (const char *)ctx) != NULL; }
static bool has_runs(const TrainSnapshot *s, void *ctx) { return s->n_runs >= *(int *)ctx; }

static void check_eval_consistent(const TrainSnapshot *s) {
    int total = 0, correct = 0;
    for (int t = 0; t < CIFAR_CLASSES; t++) {
        int row = 0;
        for (int p = 0; p < CIFAR_CLASSES; p++) row += s->eval.confusion[t][p];
        cr_assert_eq(row, s->eval.class_total[t], "confusion row %d sums to %d, class total %d", t, row, s->eval.class_total[t]);
        cr_assert_eq(s->eval.confusion[t][t], s->eval.class_correct[t]);
        total += row;
        correct += s->eval.confusion[t][t];
    }
    cr_assert_eq(total, s->eval.n);
    cr_assert_eq(correct, s->eval.correct);
    // the per-image predictions agree with the matrix
    int counted[CIFAR_CLASSES][CIFAR_CLASSES] = {{0}};
    for (int i = 0; i < s->eval.n; i++) counted[i % CIFAR_CLASSES][s->test_pred[i]]++;
    cr_assert(memcmp(counted, s->eval.confusion, sizeof counted) == 0, "test_pred disagrees with the confusion matrix");
}

Test(train_session, start_pause_resume_finish) {
    Cifar c;
    make_cifar(&c, 40, 20);  // 10 mini-batches of 4 per epoch
    TrainConfig cfg = tiny_config(3);
    ClError err;
    TrainSession *s = train_session_create(&cfg, &c, &err);
    cr_assert(s != NULL, "%s", err.msg);
    const TrainSnapshot *snap = train_session_snapshot(s);
    cr_assert_eq(snap->state, TS_IDLE);
    cr_assert_eq(snap->step, 0);
    cr_assert_eq(snap->total_steps, 30);
    cr_assert_eq(snap->n_runs, 1);

    train_session_start(s);
    long one = 1;
    snap = wait_for(s, has_steps, &one);
    cr_assert_geq(snap->step, 1);
    train_session_pause(s);
    TrainState paused = TS_PAUSED;
    snap = wait_for(s, is_state, &paused);
    cr_assert_eq(snap->state, TS_PAUSED, "state %d", snap->state);
    long at_pause = snap->step;
    usleep(50 * 1000);
    snap = train_session_snapshot(s);
    cr_assert_eq(snap->step, at_pause, "steps advanced while paused");
    cr_assert(!train_session_running(s));

    train_session_toggle(s);  // resume
    TrainState finished = TS_FINISHED;
    snap = wait_for(s, is_state, &finished);
    cr_assert_eq(snap->state, TS_FINISHED);
    cr_assert(!train_session_running(s), "the thread clears want_run when the run ends");
    cr_assert_eq(snap->step, 30);
    const RunHistory *h = &snap->runs[0];
    cr_assert_eq(h->n_points, 15, "one point every 2 mini-batches: %d", h->n_points);
    for (int i = 0; i < h->n_points; i++) {
        cr_assert_eq(h->points[i].step, 2L * (i + 1));
        cr_assert_eq(h->points[i].epoch, 1 + i / 5);
        cr_assert_eq(h->points[i].batch, 2 * (i % 5 + 1));
        cr_assert(isfinite(h->points[i].loss) && h->points[i].loss > 0);
    }
    cr_assert_eq(h->n_epochs_done, 3);
    for (int e = 0; e < 3; e++) cr_assert_eq(h->epoch_end_step[e], 10L * (e + 1));
    cr_assert(snap->has_eval);
    cr_assert_eq(snap->eval_epoch, 3);
    cr_assert_eq(snap->eval.n, 20);
    cr_assert_float_eq(h->test_acc[2], (float)snap->eval.accuracy, 1e-4);
    check_eval_consistent(snap);
    cr_assert_eq(snap->n_pred, 8);
    for (int i = 0; i < snap->n_pred; i++) {
        const Prediction *p = &snap->pred[i];
        cr_assert_eq(p->truth, c.test.labels[i]);
        cr_assert(p->prob[0] >= p->prob[1] && p->prob[1] >= p->prob[2]);
        cr_assert(p->prob[0] + p->prob[1] + p->prob[2] <= 1.0001f);
        cr_assert(p->top[0] != p->top[1] && p->top[1] != p->top[2] && p->top[0] != p->top[2]);
    }
    cr_assert_eq(snap->fmaps[0].c, 8);
    cr_assert_eq(snap->fmaps[0].h, 28);
    cr_assert_eq(snap->fmaps[1].h, 14);
    cr_assert_eq(snap->fmaps[2].c, 16);
    cr_assert_eq(snap->fmaps[2].h, 12);
    cr_assert_eq(snap->fmaps[3].h, 6);
    for (int i = 0; i < 16 * 6 * 6; i++) cr_assert_geq(snap->fmaps[3].data[i], 0.0f, "pool2 follows a ReLU");

    train_session_start(s);  // a finished run stays finished
    snap = wait_for(s, has_message, "press R");
    cr_assert(strstr(snap->message, "press R"), "message: %s", snap->message);
    cr_assert_eq(snap->step, 30);
    train_session_destroy(s);
    cifar_free(&c);
}

Test(train_session, quit_mid_training_joins) {
    Cifar c;
    make_cifar(&c, 400, 10);
    TrainConfig cfg = tiny_config(50);
    ClError err;
    TrainSession *s = train_session_create(&cfg, &c, &err);
    cr_assert(s != NULL, "%s", err.msg);
    train_session_start(s);
    long five = 5;
    const TrainSnapshot *snap = wait_for(s, has_steps, &five);
    cr_assert_eq(snap->state, TS_RUNNING);
    train_session_destroy(s);  // must return: the thread sees quit after one mini-batch
    cifar_free(&c);
}

Test(train_session, config_only_while_stopped_and_runs_overlay) {
    Cifar c;
    make_cifar(&c, 400, 10);
    TrainConfig cfg = tiny_config(20);
    ClError err;
    TrainSession *s = train_session_create(&cfg, &c, &err);
    cr_assert(s != NULL, "%s", err.msg);
    train_session_start(s);
    TrainConfig other = cfg;
    other.optim.lr = 0.01f;
    other.relu_logits = true;
    cr_assert_eq(train_session_set_config(s, &other, &err), -1);
    cr_assert(strstr(err.msg, "pause"), "%s", err.msg);
    long four = 4;
    wait_for(s, has_steps, &four);
    train_session_pause(s);
    TrainConfig bad = other;
    bad.batch_size = 0;
    cr_assert_eq(train_session_set_config(s, &bad, &err), -1);
    cr_assert_eq(train_session_set_config(s, &other, &err), 0, "%s", err.msg);
    cr_assert_float_eq(train_session_config(s).optim.lr, 0.01f, 1e-9);
    int two = 2;
    const TrainSnapshot *snap = wait_for(s, has_runs, &two);
    cr_assert_eq(snap->n_runs, 2);
    cr_assert_eq(snap->step, 0, "a new run starts at step 0");
    cr_assert_eq(snap->state, TS_IDLE);
    cr_assert(snap->runs[0].n_points >= 2, "the first run's curve is kept");
    cr_assert(strstr(snap->runs[1].label, "relu-logits"), "label: %s", snap->runs[1].label);
    cr_assert(strstr(snap->runs[1].label, "lr 0.01"), "label: %s", snap->runs[1].label);
    cr_assert(snap->config.relu_logits);
    train_session_destroy(s);
    cifar_free(&c);
}

Test(train_session, reset_gives_the_seeds_weights_and_save_load_round_trip) {
    Cifar c;
    make_cifar(&c, 80, 10);
    TrainConfig cfg = tiny_config(1);
    ClError err;
    TrainSession *s = train_session_create(&cfg, &c, &err);
    cr_assert(s != NULL, "%s", err.msg);
    float initial[8 * 75];
    memcpy(initial, train_session_snapshot(s)->filters.w, sizeof initial);
    train_session_start(s);
    TrainState finished = TS_FINISHED;
    const TrainSnapshot *snap = wait_for(s, is_state, &finished);
    cr_assert_eq(snap->state, TS_FINISHED);
    cr_assert(memcmp(initial, snap->filters.w, sizeof initial) != 0, "training changed conv1");
    float trained[8 * 75];
    memcpy(trained, snap->filters.w, sizeof trained);

    char path[64];
    snprintf(path, sizeof path, "/tmp/convlab_ts_%d.safetensors", (int)getpid());
    train_session_save(s, path);
    snap = wait_for(s, has_message, "saved");
    cr_assert(strstr(snap->message, "saved"), "message: %s", snap->message);
    cr_assert(!snap->message_error);

    train_session_reset(s);
    snap = wait_for(s, has_message, "reset");
    cr_assert_eq(snap->step, 0);
    cr_assert(memcmp(initial, snap->filters.w, sizeof initial) == 0, "reset gives the seed's initial weights");

    train_session_load(s, path);
    snap = wait_for(s, has_message, "loaded");
    cr_assert(strstr(snap->message, "loaded"), "message: %s", snap->message);
    cr_assert(memcmp(trained, snap->filters.w, sizeof trained) == 0, "load restores the saved weights");
    cr_assert(snap->has_eval);
    check_eval_consistent(snap);

    train_session_load(s, "/nonexistent/x.safetensors");
    snap = wait_for(s, has_message, "nonexistent");
    cr_assert(strstr(snap->message, "nonexistent"), "the error names the file: %s", snap->message);
    cr_assert(snap->message_error, "a failed load is shown as an error");
    unlink(path);
    train_session_destroy(s);
    cifar_free(&c);
}

// ---- the exchange under load: a reader thread polls as fast as it can ----

typedef struct {
    TrainSession *s;
    atomic_bool stop;
    long polls, fresh;
    char failure[256];
} Reader;

static void *reader_main(void *arg) {
    Reader *r = arg;
    uint64_t last_version = 0;
    long last_step = -1;
    int last_serial = 0;
    while (!atomic_load(&r->stop) && !r->failure[0]) {
        const TrainSnapshot *s = train_session_snapshot(r->s);
        r->polls++;
        if (s->version < last_version) snprintf(r->failure, sizeof r->failure, "version went back");
        if (s->version == last_version) continue;
        r->fresh++;
        uint64_t prev_version = last_version;
        last_version = s->version;
        const RunHistory *h = &s->runs[s->n_runs - 1];
        // within one run the step only grows (a reset before the first
        // logged point replaces the run: same n_runs, a new serial)
        if (h->serial < last_serial) snprintf(r->failure, sizeof r->failure, "run serial went back");
        if (h->serial == last_serial && s->step < last_step)
            snprintf(r->failure, sizeof r->failure, "step went back %ld -> %ld (run %d, version %llu -> %llu, state %d: %.100s)", last_step, s->step, h->serial, (unsigned long long)prev_version, (unsigned long long)s->version, s->state, s->message);
        last_step = s->step;
        last_serial = h->serial;
        // a point per 2 mini-batches, all at or before the current step
        if (h->n_points != (int)(s->step / 2) && s->state != TS_IDLE)
            snprintf(r->failure, sizeof r->failure, "%d points at step %ld (runs %d, version %llu, state %d)", h->n_points, s->step, s->n_runs, (unsigned long long)s->version, s->state);
        for (int i = 0; i < h->n_points; i++)
            if (h->points[i].step > s->step || !isfinite(h->points[i].loss) ||
                (i > 0 && h->points[i].step <= h->points[i - 1].step))
                snprintf(r->failure, sizeof r->failure, "bad point %d", i);
        if (s->has_eval) {
            int total = 0;
            for (int t = 0; t < CIFAR_CLASSES; t++)
                for (int p = 0; p < CIFAR_CLASSES; p++) total += s->eval.confusion[t][p];
            if (total != s->eval.n) snprintf(r->failure, sizeof r->failure, "confusion sums to %d of %d", total, s->eval.n);
        }
        if (s->n_pred > 0 && s->fmaps[0].c != 8) snprintf(r->failure, sizeof r->failure, "feature map missing");
    }
    return NULL;
}

Test(train_session, snapshot_exchange_hammered) {
    Cifar c;
    make_cifar(&c, 40, 20);
    TrainConfig cfg = tiny_config(6);
    cfg.threads = 2;  // the engine's workers too
    ClError err;
    TrainSession *s = train_session_create(&cfg, &c, &err);
    cr_assert(s != NULL, "%s", err.msg);
    Reader r = {.s = s};
    atomic_init(&r.stop, false);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, reader_main, &r), 0);
    // Drive the session from this thread while the reader polls: toggles,
    // image choices, a reset in the middle.
    train_session_start(s);
    for (int i = 0; i < 30; i++) {
        usleep(2000);
        train_session_choose_image(s, i % 20);
        if (i % 7 == 3) { train_session_pause(s); usleep(1000); train_session_start(s); }
        if (i == 15) { train_session_reset(s); usleep(1000); train_session_start(s); }
    }
    // let the run finish
    for (int i = 0; i < 24000 && train_session_running(s); i++) usleep(5000);  // slow under TSan
    atomic_store(&r.stop, true);
    pthread_join(th, NULL);
    cr_assert(r.failure[0] == 0, "reader saw: %s", r.failure);
    cr_assert_gt(r.fresh, 1, "the reader saw %ld fresh snapshots in %ld polls", r.fresh, r.polls);
    cr_assert(!train_session_running(s));
    train_session_destroy(s);
    cifar_free(&c);
}

// The recorder's own evaluation equals the engine's evaluate(), so the
// dashboard and the batch printout agree.
Test(train_session, recorder_eval_equals_engine_evaluate) {
    RecorderRig r;
    recorder_rig_open(&r, 40, 30, 1);
    train_recorder_begin_run(&r.rec, &r.t);
    float loss, mean;
    float logged[8];
    int n_logged = 0;
    while (trainer_step(&r.t, &loss, &r.err) == 1) {
        if (trainer_take_log(&r.t, &mean)) {
            train_recorder_log(&r.rec, &r.t, mean, 0);
            logged[n_logged++] = mean;
        }
    }
    const EvalResult *mine = train_recorder_epoch_end(&r.rec, &r.t, 1);
    EvalResult ref;
    evaluate(&r.t.net, &r.c.test, 0, &ref);
    cr_assert_eq(mine->n, ref.n);
    cr_assert_eq(mine->correct, ref.correct);
    cr_assert(memcmp(mine->confusion, ref.confusion, sizeof ref.confusion) == 0);
    for (int k = 0; k < CIFAR_CLASSES; k++) cr_assert_float_eq(mine->class_accuracy[k], ref.class_accuracy[k], 1e-9);
    TrainSnapshot snap;
    memset(&snap, 0, sizeof snap);
    train_recorder_fill(&r.rec, &r.t, 3, &snap);
    cr_assert_eq(snap.runs[0].n_points, n_logged);
    for (int i = 0; i < n_logged; i++) cr_assert_eq(snap.runs[0].points[i].loss, logged[i], "the same float as printed");
    cr_assert_eq(snap.fmap_image, 3);
    cr_assert_eq(snap.fmap_truth, r.c.test.labels[3]);
    TrainSnapshot copy;
    memset(&copy, 0, sizeof copy);
    train_snapshot_copy(&copy, &snap);
    cr_assert_eq(copy.runs[0].n_points, n_logged);
    cr_assert(copy.runs[0].points != snap.runs[0].points, "deep copy");
    cr_assert(memcmp(copy.fmaps[2].data, snap.fmaps[2].data, 16 * 12 * 12 * sizeof(float)) == 0);
    train_snapshot_free(&copy);
    train_snapshot_free(&snap);
    recorder_rig_close(&r);
}

// A run that logged nothing is replaced, not kept as an empty legend
// entry; its replacement still gets a new serial, so a reader can tell a
// reset at step 1 from the step counter going back.
Test(train_session, an_empty_run_is_replaced_under_a_new_serial) {
    RecorderRig r;
    recorder_rig_open(&r, 40, 10, 1);
    train_recorder_begin_run(&r.rec, &r.t);
    cr_assert_eq(r.rec.n_runs, 1);
    cr_assert_eq(r.rec.runs[0].serial, 1);
    train_recorder_begin_run(&r.rec, &r.t);  // nothing logged: replaced
    cr_assert_eq(r.rec.n_runs, 1);
    cr_assert_eq(r.rec.runs[0].serial, 2);
    float loss, mean;
    while (trainer_step(&r.t, &loss, &r.err) == 1 && !trainer_take_log(&r.t, &mean)) {}
    train_recorder_log(&r.rec, &r.t, mean, 0);
    train_recorder_begin_run(&r.rec, &r.t);  // the logged run stays
    cr_assert_eq(r.rec.n_runs, 2);
    cr_assert_eq(r.rec.runs[0].serial, 2);
    cr_assert_eq(r.rec.runs[1].serial, 3);
    recorder_rig_close(&r);
}

// The dashboard draws the snapshot's own numbers: render a finished tiny run
// to a PNG with the dump on, and check the dump against the snapshot.
#ifndef CONVLAB_TSAN_CRITERION_SHIM_H
#include "ui/dashboard.h"

// Drawing never stalls on a history it cannot place: points whose x is not a
// number (a broken or hand-made snapshot) are left out of the loss curve.
Test(train_session, dashboard_draws_points_without_an_x, .timeout = 60) {
    RecorderRig r;
    recorder_rig_open(&r, 40, 30, 1);
    train_recorder_begin_run(&r.rec, &r.t);
    float loss, mean;
    while (trainer_step(&r.t, &loss, &r.err) == 1)
        if (trainer_take_log(&r.t, &mean)) train_recorder_log(&r.rec, &r.t, mean, 0);
    TrainSnapshot snap;
    memset(&snap, 0, sizeof snap);
    train_recorder_fill(&r.rec, &r.t, 0, &snap);
    train_snapshot_fill_progress(&snap, &r.t, 1.0, 40.0);
    cr_assert_gt(snap.runs[0].n_points, 2);
    snap.runs[0].points[1].epoch_x = NAN;
    char png[64];
    snprintf(png, sizeof png, "/tmp/convlab_dash_nan_%d.png", (int)getpid());
    cr_assert_eq(dashboard_write_png(png, NULL, &snap, NULL, 1280, 800, LANG_EN, NULL, &r.err), 0, "%s", r.err.msg);
    unlink(png);
    train_snapshot_free(&snap);
    recorder_rig_close(&r);
}

Test(train_session, dashboard_draws_the_snapshot_numbers) {
    RecorderRig r;
    recorder_rig_open(&r, 40, 30, 2);
    train_recorder_begin_run(&r.rec, &r.t);
    float loss, mean;
    while (trainer_step(&r.t, &loss, &r.err) == 1) {
        if (trainer_take_log(&r.t, &mean)) train_recorder_log(&r.rec, &r.t, mean, 0);
        if (r.t.batch_in_epoch == r.t.batches_per_epoch) train_recorder_epoch_end(&r.rec, &r.t, r.t.epoch + 1);
    }
    TrainSnapshot snap;
    memset(&snap, 0, sizeof snap);
    train_recorder_fill(&r.rec, &r.t, 0, &snap);
    train_snapshot_fill_progress(&snap, &r.t, 1.0, 40.0);
    snap.state = TS_FINISHED;
    char png[64], dump[64];
    snprintf(png, sizeof png, "/tmp/convlab_dash_%d.png", (int)getpid());
    snprintf(dump, sizeof dump, "/tmp/convlab_dash_%d.txt", (int)getpid());
    cr_assert_eq(dashboard_write_png(png, dump, &snap, NULL, 1280, 800, LANG_EN, NULL, &r.err), 0, "%s", r.err.msg);
    FILE *f = fopen(png, "rb");
    cr_assert(f != NULL);
    unsigned char sig[8] = {0};
    cr_assert_eq(fread(sig, 1, 8, f), 8u);
    fclose(f);
    cr_assert(memcmp(sig, "\x89PNG\r\n\x1a\n", 8) == 0, "not a PNG");
    f = fopen(dump, "r");
    cr_assert(f != NULL);
    char line[512];
    int n_loss = 0, n_class = 0, n_conf = 0, n_test_acc = 0, n_conf_text = 0, n_fmap = 0;
    bool saw_acc = false, saw_legend = false;
    while (fgets(line, sizeof line, f)) {
        int run, e, b;
        long step;
        float v, sm;
        char name[32];
        double acc;
        if (sscanf(line, "loss run=%d epoch=%d batch=%d step=%ld value=%f smooth=%f", &run, &e, &b, &step, &v, &sm) == 6) {
            const LossPoint *p = &snap.runs[0].points[n_loss++];
            cr_assert_eq(step, p->step);
            cr_assert_eq(e, p->epoch);
            cr_assert_eq(b, p->batch);
            cr_assert(fabsf(v - p->loss) <= 0.0005f, "drawn %f, recorded %f", v, p->loss);
        } else if (sscanf(line, "class %31s %lf", name, &acc) == 2) {
            cr_assert(strcmp(name, CIFAR_TUTORIAL_CLASSES[n_class]) == 0);
            cr_assert(fabs(acc - snap.eval.class_accuracy[n_class]) <= 0.05, "%s drawn %.1f", name, acc);
            n_class++;
        } else if (strncmp(line, "confusion_text ", 15) == 0) {
            // the counts written in the cells at 1280x800: the snapshot's, at 14 px or more
            int row, vals[10];
            float size, cell;
            cr_assert_eq(sscanf(line, "confusion_text %d: %d %d %d %d %d %d %d %d %d %d size=%f cell=%f", &row, &vals[0],
                                &vals[1], &vals[2], &vals[3], &vals[4], &vals[5], &vals[6], &vals[7], &vals[8], &vals[9],
                                &size, &cell), 13, "%s", line);
            for (int k = 0; k < 10; k++) cr_assert_eq(vals[k], snap.eval.confusion[row][k]);
            cr_assert(size >= 14, "counts drawn at %.0f px", size);
            cr_assert(cell >= 30, "cells of %.0f px", cell);
            n_conf_text++;
        } else if (strncmp(line, "confusion_legend ", 17) == 0) {
            saw_legend = true;
        } else if (strncmp(line, "fmap ", 5) == 0) {
            // each map's colour bar spans the map's own range: +-max|v| (diverging) or 0..max (viridis)
            char fname[32], bar[16];
            float lo, hi, blo, bhi;
            cr_assert_eq(sscanf(line, "fmap %31s min=%f max=%f bar=%15s lo=%f hi=%f", fname, &lo, &hi, bar, &blo, &bhi), 6, "%s", line);
            const FeatureMap *fm = &snap.fmaps[n_fmap];
            cr_assert(strcmp(fname, fm->name) == 0, "%s vs %s", fname, fm->name);
            float mn = fm->data[0], mxv = fm->data[0];
            for (int i = 1; i < fm->c * fm->h * fm->w; i++) mn = fminf(mn, fm->data[i]), mxv = fmaxf(mxv, fm->data[i]);
            cr_assert(fabsf(lo - mn) <= 1e-5f * fmaxf(1, fabsf(mn)) && fabsf(hi - mxv) <= 1e-5f * fmaxf(1, fabsf(mxv)));
            float m = fmaxf(fabsf(mn), fabsf(mxv));
            if (fm->signed_values) {
                cr_assert(strcmp(bar, "diverging") == 0);
                cr_assert(fabsf(bhi - m) <= 1e-5f * fmaxf(1, m) && fabsf(blo + m) <= 1e-5f * fmaxf(1, m), "bar %g..%g, map +-%g", blo, bhi, m);
            } else {
                cr_assert(strcmp(bar, "viridis") == 0);
                cr_assert(blo == 0 && fabsf(bhi - mxv) <= 1e-5f * fmaxf(1, mxv), "bar %g..%g, map max %g", blo, bhi, mxv);
            }
            n_fmap++;
        } else if (strncmp(line, "confusion ", 10) == 0) {
            int row, vals[10];
            cr_assert_eq(sscanf(line, "confusion %d: %d %d %d %d %d %d %d %d %d %d", &row, &vals[0], &vals[1], &vals[2],
                                &vals[3], &vals[4], &vals[5], &vals[6], &vals[7], &vals[8], &vals[9]), 11);
            for (int k = 0; k < 10; k++) cr_assert_eq(vals[k], snap.eval.confusion[row][k]);
            n_conf++;
        } else if (sscanf(line, "accuracy test=%lf", &acc) == 1) {
            cr_assert(fabs(acc - snap.eval.accuracy) <= 0.005);
            saw_acc = true;
        } else if (sscanf(line, "test_acc run=%d epoch=%d value=%lf", &run, &e, &acc) == 3) {
            cr_assert(fabs(acc - snap.runs[0].test_acc[e - 1]) <= 0.005);
            n_test_acc++;
        }
    }
    fclose(f);
    cr_assert_eq(n_loss, snap.runs[0].n_points);
    cr_assert_eq(n_loss, 10, "2 epochs x 10 mini-batches / log every 2");
    cr_assert_eq(n_class, 10);
    cr_assert_eq(n_conf, 10);
    cr_assert_eq(n_conf_text, 10, "every row's counts written in its cells at 1280x800");
    cr_assert(saw_legend, "the confusion matrix's colour bar");
    int want_fmaps = 0;
    for (int k = 0; k < TS_FMAPS; k++) want_fmaps += snap.fmaps[k].c > 0;
    cr_assert(want_fmaps > 0);
    cr_assert_eq(n_fmap, want_fmaps, "a colour bar under every feature map");
    cr_assert_eq(n_test_acc, 2);
    cr_assert(saw_acc);
    unlink(png);
    unlink(dump);
    train_snapshot_free(&snap);
    recorder_rig_close(&r);
}
#endif

// The student's picture in the recorder: the snapshot's "Inside the network"
// maps are the picture's (fmap_image -1, its pixels), with its top class,
// saliency and Grad-CAM from the current weights (engine/explain.h); clearing
// it brings back the chosen test image.
Test(train_session, recorder_explains_the_students_picture) {
    RecorderRig r;
    recorder_rig_open(&r, 40, 30, 1);
    train_recorder_begin_run(&r.rec, &r.t);
    float loss;
    for (int i = 0; i < 5; i++) cr_assert_eq(trainer_step(&r.t, &loss, &r.err), 1);
    static uint8_t rgb[40 * 40 * 3];
    for (int i = 0; i < (int)sizeof rgb; i++) rgb[i] = (uint8_t)(i * 13);
    static Picture pic;
    cr_assert_eq(picture_from_pixels(&pic, rgb, 40, 40, 120, PIXELS_RGB, &r.err), 0, "%s", r.err.msg);
    train_recorder_set_picture(&r.rec, &pic);
    static TrainSnapshot snap;
    train_recorder_fill(&r.rec, &r.t, 3, &snap);
    cr_assert(snap.has_picture);
    cr_assert_eq(snap.fmap_image, -1);
    cr_assert(memcmp(snap.fmap_pixels, pic.planes, CIFAR_PIXELS) == 0);
    static Explanation want;
    cr_assert_eq(net_explain(&want, &r.t.net, pic.input, -1, &r.err), 0, "%s", r.err.msg);
    cr_assert_eq(snap.picture_pred.top[0], want.target);
    cr_assert(memcmp(snap.picture_saliency, want.saliency, sizeof want.saliency) == 0);
    cr_assert(memcmp(snap.picture_gradcam, want.gradcam, sizeof want.gradcam) == 0);
    // the conv1 maps are the picture's: the trainer's net on it gives the same numbers
    net_forward(&r.t.net, pic.input, 1);
    const FeatureMap *fm = &snap.fmaps[0];
    cr_assert(memcmp(fm->data, r.t.net.acts[1], sizeof(float) * (size_t)(fm->c * fm->h * fm->w)) == 0);
    train_recorder_set_picture(&r.rec, NULL);
    train_recorder_fill(&r.rec, &r.t, 3, &snap);
    cr_assert(!snap.has_picture);
    cr_assert_eq(snap.fmap_image, 3);
    train_snapshot_free(&snap);
    recorder_rig_close(&r);
}

static bool has_picture(const TrainSnapshot *s, void *ctx) { return s->has_picture == *(bool *)ctx; }

// train_session_set_picture from the UI thread while it trains (TSan checks
// the hand-over); the picture shows in a snapshot, choosing a test image or
// NULL takes it away again.
Test(train_session, picture_reaches_the_snapshots_while_training) {
    Cifar c;
    make_cifar(&c, 40, 20);
    TrainConfig cfg = tiny_config(3);
    ClError err;
    TrainSession *s = train_session_create(&cfg, &c, &err);
    cr_assert(s != NULL, "%s", err.msg);
    static uint8_t grey[64 * 64];
    for (int i = 0; i < (int)sizeof grey; i++) grey[i] = (uint8_t)(i % 251);
    static Picture pic;
    cr_assert_eq(picture_from_pixels(&pic, grey, 64, 64, 64, PIXELS_GREY, &err), 0, "%s", err.msg);
    train_session_start(s);
    train_session_set_picture(s, &pic);
    bool yes = true, no = false;
    const TrainSnapshot *snap = wait_for(s, has_picture, &yes);
    cr_assert(snap->has_picture, "the picture never reached a snapshot");
    cr_assert(memcmp(snap->fmap_pixels, pic.planes, CIFAR_PIXELS) == 0);
    train_session_choose_image(s, 2);
    snap = wait_for(s, has_picture, &no);
    cr_assert(!snap->has_picture);
    train_session_set_picture(s, &pic);
    snap = wait_for(s, has_picture, &yes);
    train_session_set_picture(s, NULL);
    snap = wait_for(s, has_picture, &no);
    cr_assert(!snap->has_picture);
    train_session_destroy(s);
    cifar_free(&c);
}

// ---- no run is lost: the autosave on quit (session/autosave.h) ----

Test(train_session, autosave_path_follows_the_environment) {
    char path[512];
    unsetenv("CONVLAB_AUTOSAVE");
    autosave_path(path, sizeof path);
    cr_assert(strcmp(path, "convlab-autosave.safetensors") == 0, "default: in the current folder, not %s", path);
    setenv("CONVLAB_AUTOSAVE", "", 1);
    autosave_path(path, sizeof path);
    cr_assert(strcmp(path, "convlab-autosave.safetensors") == 0, "an empty variable means the default, not %s", path);
    setenv("CONVLAB_AUTOSAVE", "/tmp/elsewhere/run.safetensors", 1);
    autosave_path(path, sizeof path);
    cr_assert(strcmp(path, "/tmp/elsewhere/run.safetensors") == 0, "the variable's path, not %s", path);
    unsetenv("CONVLAB_AUTOSAVE");
    cr_assert(!autosave_exists("/nonexistent/run.safetensors"));
    cr_assert(!autosave_exists("/tmp"), "a folder is not an autosave");
}

static bool meta_is(const CheckpointMeta *m, const char *key, const char *want) {
    const char *v = checkpoint_meta_get(m, key);
    return v && strcmp(v, want) == 0;
}

Test(train_session, stop_and_save_keeps_the_run_with_its_metadata) {
    Cifar c;
    make_cifar(&c, 400, 10);
    TrainConfig cfg = tiny_config(3);
    cfg.seed = 11;
    ClError err;
    char path[96];
    snprintf(path, sizeof path, "/tmp/convlab_autosave_%d.safetensors", (int)getpid());
    unlink(path);

    // no step taken: nothing to save, no file
    TrainSession *s = train_session_create(&cfg, &c, &err);
    cr_assert(s != NULL, "%s", err.msg);
    long steps = -1;
    cr_assert_eq(train_session_stop_and_save(s, path, &steps, &err), 0);
    cr_assert_eq(steps, 0);
    cr_assert(!autosave_exists(path), "a session without a run writes no autosave");
    train_session_destroy(s);

    // quitting mid-run: the weights of the last finished mini-batch, with steps_done
    s = train_session_create(&cfg, &c, &err);
    cr_assert(s != NULL, "%s", err.msg);
    train_session_start(s);
    long want = 5;
    wait_for(s, has_steps, &want);
    int rc = train_session_stop_and_save(s, path, &steps, &err);
    cr_assert_eq(rc, 1, "%s", err.msg);
    cr_assert_geq(steps, 5);
    cr_assert(autosave_exists(path));
    Net net;
    cr_assert_eq(net_build_cnnnet(&net, false, 4, &err), 0, "%s", err.msg);
    CheckpointMeta meta;
    cr_assert_eq(checkpoint_load_meta(&net, path, &meta, &err), 0, "%s", err.msg);
    char want_steps[32];
    snprintf(want_steps, sizeof want_steps, "%ld", steps);
    cr_assert(meta_is(&meta, "steps_done", want_steps), "steps_done = %s", checkpoint_meta_get(&meta, "steps_done"));
    cr_assert(meta_is(&meta, "seed", "11"), "seed = %s", checkpoint_meta_get(&meta, "seed"));
    cr_assert(meta_is(&meta, "relu_logits", "0"), "relu_logits = %s", checkpoint_meta_get(&meta, "relu_logits"));
    char want_epochs[32];  // 400 images / batch 4: an epoch is 100 mini-batches
    snprintf(want_epochs, sizeof want_epochs, "%ld", steps / 100);
    cr_assert(meta_is(&meta, "epochs_done", want_epochs), "epochs_done = %s", checkpoint_meta_get(&meta, "epochs_done"));
    net_free(&net);
    train_session_destroy(s);  // after a stop: frees without a thread to join
    unlink(path);
    cifar_free(&c);
}

// ---- the test loss at every log point ----

// The test loss of a point is the mean cross-entropy of the weights at that
// point on the first test_loss_images test images (the same images each time),
// recomputed here in one batch with a net of our own.
Test(train_session, test_loss_at_log_points_is_the_held_out_cross_entropy) {
    RecorderRig r;
    recorder_rig_open(&r, 40, 30, 2);
    r.rec.test_loss_images = 20;  // a subset: images 20..29 never count
    train_recorder_begin_run(&r.rec, &r.t);
    Net ref;
    cr_assert_eq(net_build_cnnnet(&ref, false, 20, &r.err), 0, "%s", r.err.msg);
    float input[20 * CIFAR_PIXELS];
    uint8_t labels[20];
    int32_t idx[20];
    for (int i = 0; i < 20; i++) idx[i] = i;
    cifar_normalize_batch(input, labels, &r.c.test, idx, 20);
    float loss, mean, want[16];
    int n = 0;
    while (trainer_step(&r.t, &loss, &r.err) == 1) {
        if (!trainer_take_log(&r.t, &mean)) continue;
        train_recorder_log(&r.rec, &r.t, mean, 0);
        memcpy(ref.params, r.t.net.params, (size_t)r.t.net.n_params * sizeof(float));
        net_forward(&ref, input, 20);
        want[n++] = net_loss(&ref, labels, 20, NULL);
    }
    const RunHistory *h = &r.rec.runs[0];
    cr_assert_eq(h->n_points, n);
    cr_assert_eq(n, 10, "40 images, batch 4, log every 2, 2 epochs: 10 points");
    for (int i = 0; i < n; i++) {
        cr_assert_float_eq(h->points[i].test_loss, want[i], 1e-5, "point %d: %g, recomputed %g", i,
                           (double)h->points[i].test_loss, (double)want[i]);
        // x positions: the images seen at the point, and the same in epochs (40 images each)
        cr_assert_eq(h->points[i].images, (long)(i + 1) * 8, "point %d at %ld images", i, h->points[i].images);
        cr_assert_float_eq(h->points[i].epoch_x, (i + 1) * 8 / 40.0, 1e-12);
    }
    cr_assert(h->points[0].test_loss != h->points[n - 1].test_loss, "training moves the test loss");

    // no test set: no test loss (NaN), the training curve still records
    TrainRecorder none;
    cr_assert_eq(train_recorder_init(&none, NULL, &r.err), 0, "%s", r.err.msg);
    train_recorder_begin_run(&none, &r.t);
    train_recorder_log(&none, &r.t, 1.0f, 0);
    cr_assert(isnan(none.runs[0].points[0].test_loss));
    train_recorder_free(&none);
    net_free(&ref);
    recorder_rig_close(&r);
}

// ---- narration: single step and slow motion ----

static bool has_step_detail(const TrainSnapshot *s, void *ctx) {
    return s->last_step.valid && s->last_step.step >= *(long *)ctx && s->state == TS_PAUSED;
}

// N runs exactly one mini-batch and pauses; the step panel's numbers are the
// engine's and obey SGD with momentum: v = mu*v_before + g (v = g at first), w_after = w_before - lr*v.
Test(train_session, single_step_runs_one_mini_batch_with_its_numbers) {
    Cifar c;
    make_cifar(&c, 80, 10);
    TrainConfig cfg = tiny_config(1);
    ClError err;
    TrainSession *s = train_session_create(&cfg, &c, &err);
    cr_assert(s != NULL, "%s", err.msg);
    StepDetail prev = {0};
    for (long k = 1; k <= 3; k++) {
        train_session_step_once(s);
        const TrainSnapshot *snap = wait_for(s, has_step_detail, &k);
        cr_assert_eq(snap->step, k, "after %ld single steps the counter is %ld", k, snap->step);
        cr_assert_eq(snap->state, TS_PAUSED);
        const StepDetail *d = &snap->last_step;
        cr_assert_eq(d->step, k);
        cr_assert_eq(d->n, 4);
        cr_assert_eq(d->epoch, 1);
        cr_assert_eq(d->batch, (int)k);
        cr_assert(isfinite(d->loss) && d->loss > 0);
        cr_assert(d->grad != 0, "a gradient on conv1.weight[0,0,0,0]");
        float v = d->first ? d->grad : cfg.optim.momentum * d->v_before + d->grad;
        cr_assert_eq(d->first, k == 1);
        cr_assert_float_eq(d->v_after, v, 1e-7, "v = %g, mu*v+g = %g", (double)d->v_after, (double)v);
        cr_assert_float_eq(d->w_after, d->w_before - cfg.optim.lr * d->v_after, 1e-8);
        if (k > 1) {
            cr_assert_eq(d->w_before, prev.w_after, "one continuous run: the weight goes on from the last step");
            cr_assert_eq(d->v_before, prev.v_after, "and so does the momentum buffer");
        }
        prev = *d;
    }
    usleep(200 * 1000);
    cr_assert_eq(train_session_snapshot(s)->step, 3, "no step without a request");
    train_session_destroy(s);
    cifar_free(&c);
}

// Slow motion: at 10 mini-batches a second, one second trains about 10, never a burst.
Test(train_session, slow_motion_keeps_the_speed) {
    Cifar c;
    make_cifar(&c, 4000, 10);
    TrainConfig cfg = tiny_config(1);
    ClError err;
    TrainSession *s = train_session_create(&cfg, &c, &err);
    cr_assert(s != NULL, "%s", err.msg);
    train_session_set_speed(s, 10);
    train_session_start(s);
    long one = 1;
    const TrainSnapshot *snap = wait_for(s, has_steps, &one);
    long first = snap->step;
    double t0 = seconds_now();
    usleep(1000 * 1000);
    snap = train_session_snapshot(s);
    snap = train_session_wait(s, snap->version, 0.3);
    double dt = seconds_now() - t0;
    long done = snap->step - first;
    cr_assert(done <= (long)(10 * dt) + 2, "%ld mini-batches in %.2f s at 10/s", done, dt);
    cr_assert(done >= 3, "only %ld mini-batches in %.2f s at 10/s", done, dt);
    cr_assert_eq(snap->speed, 10.0);
    train_session_set_speed(s, 0);  // full speed again: far more than 10 a second
    long far = snap->step + 100;
    snap = wait_for(s, has_steps, &far);
    cr_assert_geq(snap->step, far);
    train_session_destroy(s);
    cifar_free(&c);
}

#ifndef CONVLAB_TSAN_CRITERION_SHIM_H
#include "ui/dashboard_internal.h"

// "0.02338557 − 0.001·(−0.0056056) = 0.02337997" -> the three numbers, and the result's decimals.
static bool parse_update(const char *line, double *a, double *k, double *b, double *c, int *decimals) {
    char plain[256];
    int n = 0;
    for (const char *p = line; *p && n < 250; p++) {
        if (strncmp(p, "−", 3) == 0) { plain[n++] = '-'; p += 2; }
        else if (strncmp(p, "·", 2) == 0) { plain[n++] = '*'; p += 1; }
        else if (*p != '(' && *p != ')') plain[n++] = *p;
    }
    plain[n] = 0;
    const char *eq1 = strstr(plain, "= "), *eq2 = eq1 ? strstr(eq1 + 2, "= ") : NULL;
    if (!eq2) return false;
    if (sscanf(eq1 + 2, "%lf - %lf*%lf", a, k, b) != 3) return false;
    *c = strtod(eq2 + 2, NULL);
    const char *dot = strchr(eq2 + 2, '.');
    *decimals = dot ? (int)strspn(dot + 1, "0123456789") : 0;
    return true;
}

// The update written on the step panel reproduces: the operands as written
// give the result as written, to its last digit (lesson 9 once showed
// 0.023386 − 0.001·(−0.006256) = 0.0233919, which is 0.0233923).
Test(train_session, step_panel_numbers_reproduce) {
    Cifar c;
    make_cifar(&c, 200, 10);
    TrainConfig cfg = tiny_config(1);
    ClError err;
    TrainSession *s = train_session_create(&cfg, &c, &err);
    cr_assert(s != NULL, "%s", err.msg);
    for (long k = 1; k <= 40; k++) {
        train_session_step_once(s);
        const TrainSnapshot *snap = wait_for(s, has_step_detail, &k);
        char upd[2][200];
        dash_fmt_update(upd, &snap->last_step, LANG_EN);
        double a, lr, b, res;
        int dec;
        cr_assert(parse_update(upd[1], &a, &lr, &b, &res, &dec), "cannot read '%s'", upd[1]);
        double p = pow(10, dec);
        cr_assert_float_eq(round((a - lr * b) * p), round(res * p), 0.5, "step %ld: '%s' does not reproduce", k, upd[1]);
        cr_assert_float_eq(res, snap->last_step.w_after, 0.6 / p, "the result is the engine's w: %s", upd[1]);
    }
    train_session_destroy(s);
    cifar_free(&c);
}
#endif

// ---- settings while paused, and the status line in both languages ----

Test(train_session, same_run_ignores_threads_and_logging) {
    TrainConfig a = tiny_config(2), b = a;
    b.threads = 3, b.log_every = 77, b.shuffle = !a.shuffle;
    cr_assert(train_config_same_run(&a, &b), "threads, logging and shuffling do not start a new run");
    b.optim.lr *= 3;
    cr_assert(!train_config_same_run(&a, &b), "a new learning rate starts a new run");
    b = a, b.batch_size = 8;
    cr_assert(!train_config_same_run(&a, &b));
    b = a, b.tutorial_break = true;
    cr_assert(!train_config_same_run(&a, &b));
}

Test(train_session, status_lines_come_in_chinese_too) {
    Cifar c;
    make_cifar(&c, 40, 10);
    TrainConfig cfg = tiny_config(1);
    ClError err;
    TrainSession *s = train_session_create(&cfg, &c, &err);
    cr_assert(s != NULL, "%s", err.msg);
    train_session_reset(s);
    const TrainSnapshot *snap = wait_for(s, has_message, "reset");
    cr_assert(strstr(snap->message_zh, "重置") && strstr(snap->message_zh, "7"), "zh: %s", snap->message_zh);
    train_session_load(s, "/nonexistent/x.safetensors");
    snap = wait_for(s, has_message, "nonexistent");
    cr_assert(strstr(snap->message_zh, "载入失败") && strstr(snap->message_zh, "nonexistent"),
              "a Chinese lead-in, the engine's detail: %s", snap->message_zh);
    train_session_destroy(s);
    cifar_free(&c);
}
