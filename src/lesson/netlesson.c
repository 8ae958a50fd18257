/* Shared by the lessons on the whole network (scene kinds network,
 * training_loop, tutorial_bugs): the `weights` key, the training images, and
 * cached measurements (short trainings with the engine's Trainer, evaluated
 * with evaluate() after each epoch), run now or on one worker thread.
 * A result depends only on its MeasureKey (fixed seed; the engine is
 * bit-identical for any thread count), so the window's background result
 * equals the --batch one.
 */
#include "engine/paths.h"
#include "lesson/netlesson.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/checkpoint.h"
#include "engine/trainer.h"

// ---- weights ------------------------------------------------------------------

int netlesson_weights(Net *net, const Lesson *l, const LessonStep *st, WeightsInfo *wi, ClError *err) {
    memset(wi, 0, sizeof *wi);
    int line;
    const char *v = lesson_get(st, "weights", &line);
    if (!v || !v[0]) { net_init_params(net, 0); return 0; }
    if (strncmp(v, "init", 4) == 0) {
        unsigned long long seed = 0;
        const char *rest = v + 4;
        while (*rest == ' ') rest++;
        if (*rest && sscanf(rest, "seed %llu", &seed) != 1)
            return cl_fail(err, "%s:%d: weights: expected 'init' or 'init seed N', got '%s'", l->path, line, v);
        wi->seed = seed;
        net_init_params(net, seed);
        return 0;
    }
    if (strncmp(v, "checkpoint ", 11) == 0) {
        const char *path = v + 11;
        while (*path == ' ') path++;
        snprintf(wi->path, sizeof wi->path, "%s", path);
        ClError cerr;
        if (checkpoint_load(net, path, &cerr) == 0) { wi->from_checkpoint = true; return 0; }
        snprintf(wi->fallback, sizeof wi->fallback, "%s", cerr.msg);
        net_init_params(net, 0);
        return 0;
    }
    return cl_fail(err, "%s:%d: weights: expected 'init [seed N]' or 'checkpoint PATH', got '%s'", l->path, line, v);
}

// ---- training images ---------------------------------------------------------------

static pthread_mutex_t TRAIN_LOCK = PTHREAD_MUTEX_INITIALIZER;
static CifarSet TRAIN_SET;          // data_batch_1 (first 10,000), kept until exit
static char TRAIN_DIR[512];         // the directory it came from
static char TRAIN_WHY[1024];         // why it could not be read ("" if not tried or ok)

static void free_train_set(void) { cifar_set_free(&TRAIN_SET); }

const CifarSet *netlesson_train_set(const SceneEnv *env, char *why, size_t n) {
    if (env->cifar && env->cifar->train.n > 0) return &env->cifar->train;
    const char *dir = paths_data_dir(env->data_dir);
    const CifarSet *out = NULL;
    pthread_mutex_lock(&TRAIN_LOCK);
    if (strcmp(dir, TRAIN_DIR) != 0) { // first use, or another directory
        static bool registered;
        if (!registered) { atexit(free_train_set); registered = true; }
        cifar_set_free(&TRAIN_SET);
        memset(&TRAIN_SET, 0, sizeof TRAIN_SET);
        snprintf(TRAIN_DIR, sizeof TRAIN_DIR, "%s", dir);
        char path[700];
        snprintf(path, sizeof path, "%s/data_batch_1.bin", dir);
        ClError err;
        if (cifar_read_file(&TRAIN_SET, path, 0, &err) != 0) {
            snprintf(TRAIN_WHY, sizeof TRAIN_WHY, "%s", err.msg);
            cifar_set_free(&TRAIN_SET);
            memset(&TRAIN_SET, 0, sizeof TRAIN_SET);
        } else {
            TRAIN_WHY[0] = 0;
        }
    }
    if (TRAIN_SET.n > 0) out = &TRAIN_SET;
    else if (why) snprintf(why, n, "%s", TRAIN_WHY);
    pthread_mutex_unlock(&TRAIN_LOCK);
    return out;
}

// ---- measurements ------------------------------------------------------------------

#define CACHE_MAX 32

typedef struct {
    MeasureKey key;
    const CifarSet *train, *test;
    MeasureResult result;
    bool claimed;                   // the worker has taken it (never moved while running)
    CifarSet own_train, own_test;   // the worker's copies of the subsets: the caller's sets may be
                                    // freed before the worker stops (the window frees CIFAR on quit)
    uint64_t data_hash;             // of the images used, so a reused pointer never hits a stale entry
} Entry;

static pthread_mutex_t LOCK = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t WAKE = PTHREAD_COND_INITIALIZER;    // work for the worker
static pthread_cond_t DONE_CV = PTHREAD_COND_INITIALIZER; // a measurement finished
static Entry CACHE[CACHE_MAX];
static int N_CACHE;
static unsigned GENERATION;
static pthread_t WORKER;
static bool WORKER_STARTED, STOP;

static bool key_eq(const MeasureKey *a, const MeasureKey *b) {
    return a->tutorial_break == b->tutorial_break && a->relu_logits == b->relu_logits && a->epochs == b->epochs &&
           a->train_n == b->train_n && a->test_n == b->test_n && a->seed == b->seed;
}

// FNV-1a over the labels and a sample of the pixels of the first n records.
static uint64_t set_hash(const CifarSet *s, int n, uint64_t h) {
    if (n > s->n) n = s->n;
    for (int i = 0; i < n; i++) {
        h = (h ^ s->labels[i]) * 0x100000001b3ULL;
        const uint8_t *px = s->pixels + (size_t)i * CIFAR_PIXELS;
        for (int j = 0; j < CIFAR_PIXELS; j += 97) h = (h ^ px[j]) * 0x100000001b3ULL;
    }
    return h;
}

// Trains and evaluates key into *res. In the worker (locked_publish) each
// epoch's numbers are published under LOCK as they come, and STOP ends it early.
static void run_measurement(const MeasureKey *key, const CifarSet *train, const CifarSet *test, MeasureResult *res,
                            bool locked_publish) {
    MeasureResult r;
    memset(&r, 0, sizeof r);
    r.state = MEASURE_RUNNING;
    TrainConfig cfg = train_config_default();
    cfg.epochs = key->epochs;
    cfg.seed = key->seed;
    cfg.threads = 2; // the engine gives bit-identical results for any thread count (tests/test_threads.c)
    cfg.relu_logits = key->relu_logits;
    cfg.tutorial_break = key->tutorial_break;
    CifarSet sub = *train;
    if (key->train_n < sub.n) sub.n = key->train_n;
    Trainer t;
    ClError err;
    if (trainer_init(&t, &cfg, &sub, &err) != 0) {
        r.state = MEASURE_FAILED;
        snprintf(r.error, sizeof r.error, "%s", err.msg);
        goto publish_final;
    }
    double loss_sum = 0;
    int loss_n = 0, epoch = 0;
    for (;;) {
        if (locked_publish) {
            pthread_mutex_lock(&LOCK);
            bool stop = STOP;
            pthread_mutex_unlock(&LOCK);
            if (stop) { r.state = MEASURE_FAILED; snprintf(r.error, sizeof r.error, "stopped"); break; }
        }
        float loss;
        int rc = trainer_step(&t, &loss, &err);
        if (rc < 0) { r.state = MEASURE_FAILED; snprintf(r.error, sizeof r.error, "%s", err.msg); break; }
        if (rc == 0) break;
        loss_sum += loss;
        loss_n++;
        if (t.batch_in_epoch == t.batches_per_epoch) { // an epoch ends: evaluate on the test subset
            EvalResult ev;
            evaluate(&t.net, test, key->test_n, &ev);
            r.accuracy[epoch] = ev.accuracy;
            r.steps[epoch] = t.global_step;
            r.mean_loss[epoch] = (float)(loss_sum / (loss_n ? loss_n : 1));
            for (int k = 0; k < CIFAR_CLASSES; k++) {
                r.class_accuracy[epoch][k] = ev.class_accuracy[k];
                for (int tr = 0; tr < CIFAR_CLASSES; tr++) r.predicted[epoch][k] += ev.confusion[tr][k];
            }
            r.epochs_done = ++epoch;
            loss_sum = 0, loss_n = 0;
            if (locked_publish) { // each epoch's numbers as they come ("measuring… 1 of 3 epochs done")
                pthread_mutex_lock(&LOCK);
                *res = r;
                GENERATION++;
                pthread_mutex_unlock(&LOCK);
            }
            if (epoch == key->epochs) break;
        }
    }
    trainer_free(&t);
    if (r.state == MEASURE_RUNNING) r.state = MEASURE_DONE;
publish_final:
    if (locked_publish) pthread_mutex_lock(&LOCK);
    *res = r;
    if (locked_publish) { GENERATION++; pthread_cond_broadcast(&DONE_CV); pthread_mutex_unlock(&LOCK); }
}

static void *worker_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&LOCK);
    while (!STOP) {
        Entry *todo = NULL;
        for (int i = 0; i < N_CACHE && !todo; i++)
            if (CACHE[i].result.state == MEASURE_RUNNING && !CACHE[i].claimed) todo = &CACHE[i];
        if (!todo) { pthread_cond_wait(&WAKE, &LOCK); continue; }
        todo->claimed = true;
        MeasureKey key = todo->key;
        const CifarSet *train = &todo->own_train, *test = &todo->own_test;
        pthread_mutex_unlock(&LOCK);
        run_measurement(&key, train, test, &todo->result, true); // entries are never moved while running
        pthread_mutex_lock(&LOCK);
    }
    pthread_mutex_unlock(&LOCK);
    return NULL;
}

// The first n records of src, copied (the worker trains on its own copy).
static CifarSet copy_records(const CifarSet *src, int n) {
    if (n > src->n) n = src->n;
    CifarSet c = {n, cl_malloc((size_t)(n > 0 ? n : 1)), cl_malloc((size_t)(n > 0 ? n : 1) * CIFAR_PIXELS)};
    memcpy(c.labels, src->labels, (size_t)n);
    memcpy(c.pixels, src->pixels, (size_t)n * CIFAR_PIXELS);
    return c;
}

static void stop_worker(void) {
    pthread_mutex_lock(&LOCK);
    STOP = true;
    pthread_cond_broadcast(&WAKE);
    bool started = WORKER_STARTED;
    pthread_mutex_unlock(&LOCK);
    if (started) pthread_join(WORKER, NULL);
    for (int i = 0; i < N_CACHE; i++) { cifar_set_free(&CACHE[i].own_train); cifar_set_free(&CACHE[i].own_test); }
}

void measure_get(const MeasureKey *key, const CifarSet *train, const CifarSet *test, bool background,
                 MeasureResult *out) {
    uint64_t hash = set_hash(test, key->test_n, set_hash(train, key->train_n, 0xcbf29ce484222325ULL));
    pthread_mutex_lock(&LOCK);
    for (int i = 0; i < N_CACHE; i++)
        if (key_eq(&CACHE[i].key, key) && CACHE[i].train == train && CACHE[i].test == test && CACHE[i].data_hash == hash) {
            // a synchronous caller waits for the worker's result (the same numbers: one key, one result)
            while (!background && CACHE[i].result.state == MEASURE_RUNNING && WORKER_STARTED && !STOP)
                pthread_cond_wait(&DONE_CV, &LOCK);
            if (!background && CACHE[i].result.state == MEASURE_RUNNING) break; // no worker: compute it here
            *out = CACHE[i].result;
            pthread_mutex_unlock(&LOCK);
            return;
        }
    if (!background) { // compute now, without the lock, then remember it
        pthread_mutex_unlock(&LOCK);
        MeasureResult r;
        run_measurement(key, train, test, &r, false);
        pthread_mutex_lock(&LOCK);
        if (N_CACHE < CACHE_MAX) CACHE[N_CACHE++] = (Entry){.key = *key, .train = train, .test = test, .result = r, .claimed = true, .data_hash = hash};
        pthread_mutex_unlock(&LOCK);
        *out = r;
        return;
    }
    Entry *e = NULL;
    if (N_CACHE < CACHE_MAX) e = &CACHE[N_CACHE++];
    else // full: reuse a finished entry in place (a running one is being written by the worker)
        for (int i = 0; i < N_CACHE && !e; i++)
            if (CACHE[i].result.state != MEASURE_RUNNING) e = &CACHE[i];
    if (!e) { memset(out, 0, sizeof *out); out->state = MEASURE_RUNNING; pthread_mutex_unlock(&LOCK); return; }
    cifar_set_free(&e->own_train); // a reused entry's old copies
    cifar_set_free(&e->own_test);
    memset(e, 0, sizeof *e);
    e->own_train = copy_records(train, key->train_n);
    e->own_test = copy_records(test, key->test_n);
    e->key = *key;
    e->data_hash = hash;
    e->train = train;
    e->test = test;
    e->result.state = MEASURE_RUNNING;
    if (!WORKER_STARTED && !STOP) {
        if (pthread_create(&WORKER, NULL, worker_main, NULL) == 0) {
            WORKER_STARTED = true;
            atexit(stop_worker);
        }
    }
    pthread_cond_broadcast(&WAKE);
    *out = e->result;
    pthread_mutex_unlock(&LOCK);
}

unsigned measure_generation(void) {
    pthread_mutex_lock(&LOCK);
    unsigned g = GENERATION;
    pthread_mutex_unlock(&LOCK);
    return g;
}

bool measure_busy(void) {
    pthread_mutex_lock(&LOCK);
    bool busy = false;
    for (int i = 0; i < N_CACHE; i++) busy |= CACHE[i].result.state == MEASURE_RUNNING;
    pthread_mutex_unlock(&LOCK);
    return busy;
}
