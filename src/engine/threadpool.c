/* The engine's thread pool (see threadpool.h). One job at a time: the caller
 * publishes (job, arg), bumps `generation`, runs its own share, then waits for
 * `pending` to reach 0. Both waits spin for a short while (a mini-batch step
 * issues a new job every few tens of microseconds) and then sleep on a condition
 * variable, so that a pool never burns a core that another process needs.
 */
#include "engine/threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "engine/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

// Spin iterations before sleeping: a pause is ~40-140 cycles, so this is
// roughly 20-70 microseconds, longer than the gap between two jobs of a step.
#define SPIN_LIMIT 2000

typedef struct {
    ThreadPool *pool;
    int index;   // 1 .. threads - 1
} Worker;

struct ThreadPool {
    int threads;                   // including the caller
    pthread_t *tids;               // (threads - 1)
    Worker *workers;               // (threads - 1)
    ThreadJob job;                 // the current job, valid while pending > 0
    void *arg;
    atomic_uint generation;        // bumped once per job
    atomic_int pending;            // workers that have not finished the current job
    atomic_bool stop;
    pthread_mutex_t mutex;         // guards the sleeps below
    pthread_cond_t wake;           // workers sleep here for a new generation
    pthread_cond_t done;           // the caller sleeps here for pending == 0
};

static void *worker_main(void *p) {
    Worker *w = p;
    ThreadPool *pool = w->pool;
    unsigned seen = 0;
    for (;;) {
        unsigned g = atomic_load_explicit(&pool->generation, memory_order_acquire);
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
        pool->job(pool->arg, w->index, pool->threads);
        if (atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&pool->mutex);
            pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->mutex);
        }
    }
}

ThreadPool *threadpool_create(int threads) {
    CL_ASSERT(threads >= 1);
    ThreadPool *pool = cl_calloc(1, sizeof *pool);
    pool->threads = threads;
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->pending, 0);
    atomic_init(&pool->stop, false);
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
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
    pthread_cond_destroy(&pool->done);
    free(pool->tids);
    free(pool->workers);
    free(pool);
}

int threadpool_threads(const ThreadPool *pool) { return pool->threads; }

void threadpool_run(ThreadPool *pool, ThreadJob job, void *arg) {
    if (pool->threads == 1) {
        job(arg, 0, 1);
        return;
    }
    pool->job = job;
    pool->arg = arg;
    atomic_store_explicit(&pool->pending, pool->threads - 1, memory_order_relaxed);
    // The release publishes job, arg and pending to workers that see the new generation.
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->wake);  // for workers that went to sleep
    pthread_mutex_unlock(&pool->mutex);
    job(arg, 0, pool->threads);
    for (int spin = 0; spin < SPIN_LIMIT; spin++) {
        if (atomic_load_explicit(&pool->pending, memory_order_acquire) == 0) return;
        cpu_relax();
    }
    pthread_mutex_lock(&pool->mutex);
    while (atomic_load_explicit(&pool->pending, memory_order_acquire) != 0) pthread_cond_wait(&pool->done, &pool->mutex);
    pthread_mutex_unlock(&pool->mutex);
}
