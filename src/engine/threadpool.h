/* A persistent pool of worker threads for the engine: the caller hands it one
 * job at a time and takes part as thread 0, so a pool of T threads starts
 * T - 1 workers once and reuses them for every forward and backward pass.
 * Workers spin briefly between jobs (a training step issues several within
 * microseconds), then sleep on a condition variable, so an idle pool costs no CPU.
 */
#ifndef CONVLAB_THREADPOOL_H
#define CONVLAB_THREADPOOL_H

typedef struct ThreadPool ThreadPool;

// One job: called once on every thread t in [0, threads) with the same arg.
typedef void (*ThreadJob)(void *arg, int t, int threads);

// Starts threads - 1 workers (threads >= 1; 1 makes a pool that runs jobs on
// the caller only). Ownership: free with threadpool_free. Aborts if the
// system cannot create a thread.
ThreadPool *threadpool_create(int threads);
// Stops and joins the workers. NULL is allowed.
void threadpool_free(ThreadPool *pool);
// Number of threads including the caller.
int threadpool_threads(const ThreadPool *pool);
// Runs job(arg, t, T) for every t (t = 0 on the calling thread) and returns
// when all have finished. Not reentrant: one caller at a time per pool.
void threadpool_run(ThreadPool *pool, ThreadJob job, void *arg);

#endif
