/* Scene kind "tutorial_bugs" (lesson 10): why the tutorial printed 9 %. Each
 * run switches the three causes (the `break`, the ReLU on the logits, a
 * single epoch) and is MEASURED: trained with the engine's Trainer
 * (TrainConfig.tutorial_break / relu_logits / epochs) on the first
 * train_images training images and evaluated on the first test_images test
 * images after every epoch (netlesson.c caches it, and in the window trains
 * it on a background thread; --batch computes it now, so dumps are exact).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/scene_tutorial_bugs.h"

static const char *const KEYS[] = {"runs", "tutorial_break", "relu_logits", "epochs", "train_images", "test_images",
                                   "measured_epochs", "reference", "seed", NULL};

// "break relu 1; relu 1; 1; 3": words break / relu, a number of epochs (default 1).
static int parse_runs(const Lesson *l, const LessonStep *st, BugsExt *e, ClError *err) {
    int line;
    const char *v = lesson_get(st, "runs", &line);
    bool own = lesson_get(st, "tutorial_break", NULL) || lesson_get(st, "relu_logits", NULL) || lesson_get(st, "epochs", NULL);
    if (!v && !own)
        return cl_fail(err, "%s:%d: scene 'tutorial_bugs' needs runs = e.g. 'break relu 1; relu 1; 1' or "
                            "tutorial_break / relu_logits / epochs", l->path, st->line);
    if (!v) v = "";
    char buf[512];
    snprintf(buf, sizeof buf, "%s", v);
    char *save_run;
    for (char *run = strtok_r(buf, ";", &save_run); run; run = strtok_r(NULL, ";", &save_run)) {
        if (e->n_runs == BUGS_MAX_RUNS) return cl_fail(err, "%s:%d: runs: at most %d runs", l->path, line, BUGS_MAX_RUNS);
        BugRun *r = &e->runs[e->n_runs++];
        r->epochs = 1;
        char *save_w;
        for (char *w = strtok_r(run, " \t", &save_w); w; w = strtok_r(NULL, " \t", &save_w)) {
            if (strcmp(w, "break") == 0) r->tutorial_break = true;
            else if (strcmp(w, "relu") == 0) r->relu_logits = true;
            else if (strcmp(w, "epoch") == 0 || strcmp(w, "epochs") == 0) continue;
            else {
                char *end;
                long n = strtol(w, &end, 10);
                if (*end || n < 1 || n > MEASURE_MAX_EPOCHS)
                    return cl_fail(err, "%s:%d: runs: unknown word '%s'; expected break, relu or a number of epochs 1..%d",
                                   l->path, line, w, MEASURE_MAX_EPOCHS);
                r->epochs = (int)n;
            }
        }
    }
    if (own) { // the step's own configuration (the keys `adjust` can change live) is the last run
        if (e->n_runs == BUGS_MAX_RUNS) return cl_fail(err, "%s:%d: runs: at most %d runs", l->path, line, BUGS_MAX_RUNS - 1);
        BugRun *r = &e->runs[e->n_runs++];
        e->own_run = true;
        if (lesson_get_bool(l, st, "tutorial_break", false, &r->tutorial_break, err) != 0) return -1;
        if (lesson_get_bool(l, st, "relu_logits", false, &r->relu_logits, err) != 0) return -1;
        if (lesson_get_int(l, st, "epochs", 1, 1, MEASURE_MAX_EPOCHS, &r->epochs, err) != 0) return -1;
    }
    if (e->n_runs == 0) return cl_fail(err, "%s:%d: runs: give at least one run", l->path, line);
    return 0;
}

static int bugs_compute(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err) {
    if (scene_parse_show(l, st, 0, &sc->show, err) != 0) return -1;
    BugsExt *e = cl_calloc(1, sizeof *e);
    sc->ext = e;
    sc->ext_free = free;
    if (parse_runs(l, st, e, err) != 0) return -1;
    int seed;
    if (lesson_get_int(l, st, "train_images", 2000, 4, 50000, &e->train_n, err) != 0) return -1;
    if (lesson_get_int(l, st, "test_images", 1000, 10, 10000, &e->test_n, err) != 0) return -1;
    if (lesson_get_int(l, st, "measured_epochs", 3, 1, MEASURE_MAX_EPOCHS, &e->measured_epochs, err) != 0) return -1;
    if (lesson_get_int(l, st, "seed", 0, 0, 1 << 30, &seed, err) != 0) return -1;
    if (lesson_get_bool(l, st, "reference", false, &e->reference, err) != 0) return -1;
    for (int i = 0; i < e->n_runs; i++)
        if (e->runs[i].epochs > e->measured_epochs)
            return cl_fail(err, "%s:%d: runs: %d epochs is more than measured_epochs = %d", l->path, st->line,
                           e->runs[i].epochs, e->measured_epochs);
    if (!env->cifar) {
        scene_set_needs_data(sc, env);
        return 0;
    }
    char why[1024] = "";
    const CifarSet *train = netlesson_train_set(env, why, sizeof why);
    if (!train) {
        sc->needs_data = true;
        snprintf(sc->error, sizeof sc->error, "training images: %.990s", why);
        return 0;
    }
    if (e->train_n > train->n) e->train_n = train->n;
    if (e->test_n > env->cifar->test.n) e->test_n = env->cifar->test.n;
    for (int i = 0; i < e->n_runs; i++) {
        BugRun *r = &e->runs[i];
        MeasureKey key = {r->tutorial_break, r->relu_logits, e->measured_epochs, e->train_n, e->test_n, (uint64_t)seed};
        MeasureResult m;
        netlesson_measure(env, &key, train, &env->cifar->test, &m);
        r->epochs_done = m.epochs_done;
        if (m.state == MEASURE_FAILED) {
            r->state = MEASURE_FAILED;
            snprintf(r->error, sizeof r->error, "%.250s", m.error);
            continue;
        }
        if (m.epochs_done < r->epochs) { r->state = MEASURE_RUNNING; e->busy = true; continue; }
        int k = r->epochs - 1;
        r->state = MEASURE_DONE;
        r->accuracy = m.accuracy[k];
        r->steps = m.steps[k];
        r->mean_loss = m.mean_loss[k];
        int total = 0;
        for (int c = 0; c < CIFAR_CLASSES; c++) {
            total += m.predicted[k][c];
            if (m.predicted[k][c] > m.predicted[k][r->top_class]) r->top_class = c;
        }
        r->top_share = total ? 100.0 * m.predicted[k][r->top_class] / total : 0;
    }
    return 0;
}

static void bugs_dump(const Scene *sc, FILE *f) {
    const BugsExt *e = sc->ext;
    if (!e) return;
    fprintf(f, "measured on train %d test %d, %d epochs per configuration, seed fixed\n", e->train_n, e->test_n, e->measured_epochs);
    for (int i = 0; i < e->n_runs; i++) {
        const BugRun *r = &e->runs[i];
        fprintf(f, "run break %d relu_logits %d epochs %d: ", r->tutorial_break, r->relu_logits, r->epochs);
        if (r->state == MEASURE_DONE)
            fprintf(f, "accuracy %.2f %% steps %ld mean_loss %.4f top_class %d %.1f %%\n", r->accuracy, r->steps,
                    (double)r->mean_loss, r->top_class, r->top_share);
        else fprintf(f, "%s %s\n", r->state == MEASURE_FAILED ? "failed" : "measuring", r->error);
    }
    if (e->reference) fprintf(f, "reference (PyTorch, full data): 2 epochs 59.1 %%, 10 epochs 62.6 %%, relu-logits 10 epochs 62.8 %%, break+relu-logits about 10 %%\n");
}

static const SceneKind SCENE_TUTORIAL_BUGS = {.name = "tutorial_bugs", .keys = KEYS, .compute = bugs_compute, .dump = bugs_dump};
SCENE_KIND_REGISTER(SCENE_TUTORIAL_BUGS)
