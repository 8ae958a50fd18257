/* The engine's thread pool (see threadpool.h). A job is (fn, arg) plus one
 * claim queue per thread: a 64-bit atomic word holding the job's generation
 * (32 bits), the end of the thread's contiguous share of the items and its
 * next unclaimed item (16 bits each). Thread t drains its own share first,
 * then takes what is left in the others' (so nobody waits for a worker the OS
 * has descheduled). Contiguous shares keep data on one core from job to job:
 * the samples a thread ran forward are the ones it runs backward, and the
 * parameter rows whose gradients it summed are the ones it updates.
 * A thread claims an item by a compare-and-swap of the whole word, so the
 * share it compares with is the share of the generation it claims from, and a
 * worker that wakes late can never claim (or run) an item of a job it did not
 * read fn/arg for: a successful claim proves that job was still open, so
 * fn/arg were still its own. The caller waits only for `done` to reach
 * `items`. Waits spin for a short while (a training step issues a job every
 * few tens of microseconds), then sleep on condition variables, so a pool
 * never burns a core while idle.
 */
#include "engine/threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

// Spin iterations before sleeping: a pause is ~17 ns on this machine's CPU
// (measured), so about 35 microseconds, longer than the gap between two jobs of a step.
#define SPIN_LIMIT 2000

typedef struct {
    ThreadPool *pool;
    int index;   // 1 .. threads - 1
} Worker;

struct ThreadPool {
    int threads;                   // including the caller
    pthread_t *tids;               // (threads - 1)
    Worker *workers;               // (threads - 1)
    // The current job, read after seeing its generation (relaxed atomics: a
    // late worker may read a newer job's values, and then claims nothing).
    _Atomic(ThreadItemFn) fn;
    _Atomic(void *) arg;
    _Atomic uint32_t generation;   // of the current job; workers wait for it to change
    _Atomic uint64_t *queues;      // (threads) generation << 32 | end << 16 | next unclaimed item
    atomic_int done;               // items of the current job finished
    int items;                     // of the current job (written by the caller only)
    atomic_bool stop;
    pthread_mutex_t mutex;         // guards the sleeps below
    pthread_cond_t wake;           // workers sleep here for a new generation
    pthread_cond_t finished;       // the caller sleeps here for done == items
};

#define MAX_ITEMS 0xFFFF

static uint32_t generation_of(uint64_t word) { return (uint32_t)(word >> 32); }
static int end_of(uint64_t word) { return (int)((word >> 16) & 0xFFFF); }
static int next_of(uint64_t word) { return (int)(word & 0xFFFF); }

// Claims and runs items of job `gen` from queue q until it is empty (or the job changed).
static void drain_queue(ThreadPool *pool, int q, uint32_t gen, ThreadItemFn fn, void *arg, int t) {
    for (;;) {
        uint64_t w = atomic_load_explicit(&pool->queues[q], memory_order_acquire);
        if (generation_of(w) != gen || next_of(w) >= end_of(w)) return;
        if (!atomic_compare_exchange_weak_explicit(&pool->queues[q], &w, w + 1, memory_order_acq_rel,
                                                   memory_order_acquire))
            continue;
        int items = pool->items;  // the job is open (the claim proves it), so these are its items
        fn(arg, next_of(w), t);
        if (atomic_fetch_add_explicit(&pool->done, 1, memory_order_acq_rel) + 1 == items) {
            pthread_mutex_lock(&pool->mutex);
            pthread_cond_signal(&pool->finished);
            pthread_mutex_unlock(&pool->mutex);
        }
    }
}

// Thread t's part of job `gen`: its own share, then whatever the others left.
static void run_claims(ThreadPool *pool, uint32_t gen, ThreadItemFn fn, void *arg, int t) {
    for (int k = 0; k < pool->threads; k++) drain_queue(pool, (t + k) % pool->threads, gen, fn, arg, t);
}

static void *worker_main(void *p) {
    Worker *w = p;
    ThreadPool *pool = w->pool;
    uint32_t seen = 0;
    for (;;) {
        uint32_t g = atomic_load_explicit(&pool->generation, memory_order_acquire);
        for (int spin = 0; g == seen && spin < SPIN_LIMIT; spin++) {
            cpu_relax();
            g = atomic_load_explicit(&pool->generation, memory_order_acquire);
        }
        if (g == seen) {
            pthread_mutex_lock(&pool->mutex);
            while ((g = atomic_load_explicit(&pool->generation, memory_order_acquire)) == seen &&
                   !atomic_load(&pool->stop))
                pthread_cond_wait(&pool->wake, &pool->mutex);
            pthread_mutex_unlock(&pool->mutex);
        }
        if (atomic_load(&pool->stop)) return NULL;
        seen = g;
        // May be a newer job's fields if this worker is late; then every claim
        // for generation g fails and nothing runs (pool->items is only read
        // after a successful claim, so it is generation g's).
        run_claims(pool, g, atomic_load_explicit(&pool->fn, memory_order_relaxed),
                   atomic_load_explicit(&pool->arg, memory_order_relaxed), w->index);
    }
}

ThreadPool *threadpool_create(int threads) {
    CL_ASSERT(threads >= 1);
    ThreadPool *pool = cl_calloc(1, sizeof *pool);
    pool->threads = threads;
    atomic_init(&pool->generation, 0);
    pool->queues = cl_calloc((size_t)threads, sizeof *pool->queues);
    for (int i = 0; i < threads; i++) atomic_init(&pool->queues[i], 0);
    atomic_init(&pool->done, 0);
    atomic_init(&pool->fn, NULL);
    atomic_init(&pool->arg, NULL);
    atomic_init(&pool->stop, false);
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->finished, NULL);
    if (threads > 1) {
        pool->tids = cl_calloc((size_t)threads - 1, sizeof *pool->tids);
        pool->workers = cl_calloc((size_t)threads - 1, sizeof *pool->workers);
        for (int i = 0; i < threads - 1; i++) {
            pool->workers[i].pool = pool;
            pool->workers[i].index = i + 1;
            CL_ASSERT(pthread_create(&pool->tids[i], NULL, worker_main, &pool->workers[i]) == 0);
        }
    }
    return pool;
}

void threadpool_free(ThreadPool *pool) {
    if (!pool) return;
    pthread_mutex_lock(&pool->mutex);
    atomic_store(&pool->stop, true);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (int i = 0; i < pool->threads - 1; i++) pthread_join(pool->tids[i], NULL);
    pthread_mutex_destroy(&pool->mutex);
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->finished);
    free(pool->tids);
    free(pool->workers);
    free(pool->queues);
    free(pool);
}

int threadpool_threads(const ThreadPool *pool) { return pool->threads; }

void threadpool_run_items(ThreadPool *pool, ThreadItemFn fn, void *arg, int items) {
    if (items <= 0) return;
    CL_ASSERT(items <= MAX_ITEMS);
    if (pool->threads == 1 || items == 1) {
        for (int i = 0; i < items; i++) fn(arg, i, 0);
        return;
    }
    atomic_store_explicit(&pool->fn, fn, memory_order_relaxed);
    atomic_store_explicit(&pool->arg, arg, memory_order_relaxed);
    atomic_store_explicit(&pool->done, 0, memory_order_relaxed);
    pool->items = items;
    uint32_t gen = atomic_load_explicit(&pool->generation, memory_order_relaxed) + 1;
    // Thread t's share: items [t * items / T, (t + 1) * items / T).
    for (int t = 0; t < pool->threads; t++) {
        uint64_t start = (uint64_t)(t * items / pool->threads), end = (uint64_t)((t + 1) * items / pool->threads);
        atomic_store_explicit(&pool->queues[t], (uint64_t)gen << 32 | end << 16 | start, memory_order_release);
    }
    // The release publishes fn, arg, done and the queues to threads that see the new generation.
    atomic_store_explicit(&pool->generation, gen, memory_order_release);
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->wake);  // for workers that went to sleep
    pthread_mutex_unlock(&pool->mutex);
    run_claims(pool, gen, fn, arg, 0);
    for (int spin = 0; spin < SPIN_LIMIT; spin++) {
        if (atomic_load_explicit(&pool->done, memory_order_acquire) == items) return;
        cpu_relax();
    }
    pthread_mutex_lock(&pool->mutex);
    while (atomic_load_explicit(&pool->done, memory_order_acquire) != items) pthread_cond_wait(&pool->finished, &pool->mutex);
    pthread_mutex_unlock(&pool->mutex);
}
