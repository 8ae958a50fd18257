/* Lessons 8-10's training images and measurements: see lesson_data.h. */
#include "session/lesson_data.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/trainer.h"

#define CACHE_MAX 32

typedef struct {
    MeasureKey key;
    const CifarSet *train, *test;   // the caller's sets (identity of the request only)
    MeasureResult result;
    bool claimed;                   // the worker has taken it (never moved while running)
    CifarSet own_train, own_test;   // the worker's copies of the subsets: the caller's sets may be
                                    // freed before the worker stops (the window frees CIFAR on quit)
    uint64_t data_hash;             // of the images used, so a reused pointer never hits a stale entry
} Entry;

typedef struct {
    LessonData base;                // the interface the scenes call (first member)
    char data_dir[512];             // where data_batch_1.bin is read from
    bool background;                // measurements on the worker thread

    pthread_mutex_t lock;           // guards everything below
    CifarSet train_set;             // data_batch_1 (first 10,000), read on first use
    bool train_tried;
    char train_why[1024];           // why it could not be read ("" if ok)

    pthread_cond_t wake;            // work for the worker
    pthread_cond_t done_cv;         // a measurement finished
    Entry cache[CACHE_MAX];
    int n_cache;
    unsigned generation;
    pthread_t worker;
    bool worker_started, stop;
} Service;

// ---- training images ---------------------------------------------------------------

static const CifarSet *service_train_set(LessonData *self, char *why, size_t n) {
    Service *s = (Service *)self;
    const CifarSet *out = NULL;
    pthread_mutex_lock(&s->lock);
    if (!s->train_tried) {
        s->train_tried = true;
        char path[700];
        snprintf(path, sizeof path, "%s/data_batch_1.bin", s->data_dir);
        ClError err;
        if (cifar_read_file(&s->train_set, path, 0, &err) != 0) {
            snprintf(s->train_why, sizeof s->train_why, "%s", err.msg);
            cifar_set_free(&s->train_set);
            memset(&s->train_set, 0, sizeof s->train_set);
        }
    }
    if (s->train_set.n > 0) out = &s->train_set;
    else if (why) snprintf(why, n, "%s", s->train_why);
    pthread_mutex_unlock(&s->lock);
    return out;
}

// ---- one measurement ---------------------------------------------------------------

static bool key_eq(const MeasureKey *a, const MeasureKey *b) {
    return a->tutorial_break == b->tutorial_break && a->relu_logits == b->relu_logits && a->epochs == b->epochs &&
           a->train_n == b->train_n && a->test_n == b->test_n && a->seed == b->seed;
}

// FNV-1a over the labels and a sample of the pixels of the first n records.
static uint64_t set_hash(const CifarSet *set, int n, uint64_t h) {
    if (n > set->n) n = set->n;
    for (int i = 0; i < n; i++) {
        h = (h ^ set->labels[i]) * 0x100000001b3ULL;
        const uint8_t *px = set->pixels + (size_t)i * CIFAR_PIXELS;
        for (int j = 0; j < CIFAR_PIXELS; j += 97) h = (h ^ px[j]) * 0x100000001b3ULL;
    }
    return h;
}

// Records the evaluation after epoch `epoch` (0-based) into r.
static void record_epoch(MeasureResult *r, int epoch, Trainer *t, const CifarSet *test, int test_n,
                         double loss_sum, int loss_n) {
    EvalResult ev;
    evaluate(&t->net, test, test_n, &ev);
    r->accuracy[epoch] = ev.accuracy;
    r->steps[epoch] = t->global_step;
    r->mean_loss[epoch] = (float)(loss_sum / (loss_n ? loss_n : 1));
    for (int k = 0; k < CIFAR_CLASSES; k++) {
        r->class_accuracy[epoch][k] = ev.class_accuracy[k];
        for (int tr = 0; tr < CIFAR_CLASSES; tr++) r->predicted[epoch][k] += ev.confusion[tr][k];
    }
    r->epochs_done = epoch + 1;
}

// Writes r into *res; on the worker (s != NULL) under the lock, bumping the generation.
static void publish(Service *s, MeasureResult *res, const MeasureResult *r, bool final) {
    if (!s) { *res = *r; return; }
    pthread_mutex_lock(&s->lock);
    *res = *r;
    s->generation++;
    if (final) pthread_cond_broadcast(&s->done_cv);
    pthread_mutex_unlock(&s->lock);
}

static bool stop_requested(Service *s) {
    if (!s) return false;
    pthread_mutex_lock(&s->lock);
    bool stop = s->stop;
    pthread_mutex_unlock(&s->lock);
    return stop;
}

// Trains and evaluates key into *res. On the worker (s != NULL) each epoch's
// numbers are published as they come ("measuring… 1 of 3 epochs done"), and a
// stop request ends the run at the next mini-batch.
static void run_measurement(Service *s, const MeasureKey *key, const CifarSet *train, const CifarSet *test,
                            MeasureResult *res) {
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
        publish(s, res, &r, true);
        return;
    }
    double loss_sum = 0;
    int loss_n = 0, epoch = 0;
    while (epoch < key->epochs) {
        if (stop_requested(s)) { r.state = MEASURE_FAILED; snprintf(r.error, sizeof r.error, "stopped"); break; }
        float loss;
        int rc = trainer_step(&t, &loss, &err);
        if (rc < 0) { r.state = MEASURE_FAILED; snprintf(r.error, sizeof r.error, "%s", err.msg); break; }
        if (rc == 0) break;
        loss_sum += loss;
        loss_n++;
        if (t.batch_in_epoch == t.batches_per_epoch) { // an epoch ends: evaluate on the test subset
            record_epoch(&r, epoch++, &t, test, key->test_n, loss_sum, loss_n);
            loss_sum = 0, loss_n = 0;
            if (epoch < key->epochs) publish(s, res, &r, false);
        }
    }
    trainer_free(&t);
    if (r.state == MEASURE_RUNNING) r.state = MEASURE_DONE;
    publish(s, res, &r, true);
}

// ---- the worker and the cache --------------------------------------------------------

static void *worker_main(void *arg) {
    Service *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        Entry *todo = NULL;
        for (int i = 0; i < s->n_cache && !todo; i++)
            if (s->cache[i].result.state == MEASURE_RUNNING && !s->cache[i].claimed) todo = &s->cache[i];
        if (!todo) { pthread_cond_wait(&s->wake, &s->lock); continue; }
        todo->claimed = true;
        MeasureKey key = todo->key;
        pthread_mutex_unlock(&s->lock);
        run_measurement(s, &key, &todo->own_train, &todo->own_test, &todo->result); // entries never move while running
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

// The first n records of src, copied (the worker trains on its own copy).
static CifarSet copy_records(const CifarSet *src, int n) {
    if (n > src->n) n = src->n;
    CifarSet c = {.n = n, .labels = cl_malloc((size_t)(n > 0 ? n : 1)), .pixels = cl_malloc((size_t)(n > 0 ? n : 1) * CIFAR_PIXELS)};
    memcpy(c.labels, src->labels, (size_t)n);
    memcpy(c.pixels, src->pixels, (size_t)n * CIFAR_PIXELS);
    return c;
}

// The cached entry for the request, or NULL. Called with the lock held.
static Entry *find_entry(Service *s, const MeasureKey *key, const CifarSet *train, const CifarSet *test, uint64_t hash) {
    for (int i = 0; i < s->n_cache; i++) {
        Entry *e = &s->cache[i];
        if (key_eq(&e->key, key) && e->train == train && e->test == test && e->data_hash == hash) return e;
    }
    return NULL;
}

// A free slot for a new background request (a finished entry is reused in place:
// a running one is being written by the worker), or NULL. Lock held.
static Entry *free_entry(Service *s) {
    if (s->n_cache < CACHE_MAX) return &s->cache[s->n_cache++];
    for (int i = 0; i < s->n_cache; i++)
        if (s->cache[i].result.state != MEASURE_RUNNING) {
            cifar_set_free(&s->cache[i].own_train); // a reused entry's old copies
            cifar_set_free(&s->cache[i].own_test);
            return &s->cache[i];
        }
    return NULL;
}

// Queues key for the worker (starting it on first use). Lock held.
static void queue_measurement(Service *s, const MeasureKey *key, const CifarSet *train, const CifarSet *test,
                              uint64_t hash, MeasureResult *out) {
    Entry *e = free_entry(s);
    memset(out, 0, sizeof *out);
    out->state = MEASURE_RUNNING;
    if (!e) return; // every slot runs: asked again after the next generation
    *e = (Entry){.key = *key, .train = train, .test = test, .data_hash = hash,
                 .own_train = copy_records(train, key->train_n), .own_test = copy_records(test, key->test_n)};
    e->result.state = MEASURE_RUNNING;
    if (!s->worker_started && !s->stop && pthread_create(&s->worker, NULL, worker_main, s) == 0)
        s->worker_started = true;
    pthread_cond_broadcast(&s->wake);
}

static void service_measure(LessonData *self, const MeasureKey *key, const CifarSet *train, const CifarSet *test,
                            MeasureResult *out) {
    Service *s = (Service *)self;
    uint64_t hash = set_hash(test, key->test_n, set_hash(train, key->train_n, 0xcbf29ce484222325ULL));
    pthread_mutex_lock(&s->lock);
    Entry *e = find_entry(s, key, train, test, hash);
    if (e) {
        *out = e->result;
        pthread_mutex_unlock(&s->lock);
        return;
    }
    if (s->background) {
        queue_measurement(s, key, train, test, hash, out);
        pthread_mutex_unlock(&s->lock);
        return;
    }
    pthread_mutex_unlock(&s->lock); // compute now, without the lock, then remember it
    MeasureResult r;
    run_measurement(NULL, key, train, test, &r);
    pthread_mutex_lock(&s->lock);
    if (s->n_cache < CACHE_MAX)
        s->cache[s->n_cache++] = (Entry){.key = *key, .train = train, .test = test, .result = r, .claimed = true, .data_hash = hash};
    pthread_mutex_unlock(&s->lock);
    *out = r;
}

// ---- lifetime ------------------------------------------------------------------------

LessonData *lesson_data_create(const char *data_dir, bool background) {
    Service *s = cl_calloc(1, sizeof *s);
    s->base.train_set = service_train_set;
    s->base.measure = service_measure;
    snprintf(s->data_dir, sizeof s->data_dir, "%s", data_dir ? data_dir : "");
    s->background = background;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    pthread_cond_init(&s->done_cv, NULL);
    return &s->base;
}

void lesson_data_free(LessonData *d) {
    if (!d) return;
    Service *s = (Service *)d;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
    if (s->worker_started) pthread_join(s->worker, NULL);
    for (int i = 0; i < s->n_cache; i++) {
        cifar_set_free(&s->cache[i].own_train);
        cifar_set_free(&s->cache[i].own_test);
    }
    cifar_set_free(&s->train_set);
    pthread_cond_destroy(&s->done_cv);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

unsigned lesson_data_generation(LessonData *d) {
    Service *s = (Service *)d;
    pthread_mutex_lock(&s->lock);
    unsigned g = s->generation;
    pthread_mutex_unlock(&s->lock);
    return g;
}

bool lesson_data_busy(LessonData *d) {
    Service *s = (Service *)d;
    pthread_mutex_lock(&s->lock);
    bool busy = false;
    for (int i = 0; i < s->n_cache; i++) busy |= s->cache[i].result.state == MEASURE_RUNNING;
    pthread_mutex_unlock(&s->lock);
    return busy;
}

void lesson_data_retry(LessonData *d) {
    Service *s = (Service *)d;
    pthread_mutex_lock(&s->lock);
    if (s->train_set.n == 0) {
        s->train_tried = false;
        s->train_why[0] = 0;
    }
    s->generation++;
    pthread_mutex_unlock(&s->lock);
}
