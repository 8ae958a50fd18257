/* A persistent pool of worker threads for the engine. The caller hands it one
 * job at a time: a number of independent work items, each run exactly once by
 * whichever thread claims it first (the caller takes part as thread 0); thread t
 * first claims from its own contiguous share of the items. Nobody
 * waits for a worker that has not claimed an item, so a worker the OS has
 * descheduled on a busy machine delays the job by at most the item it holds.
 * Which thread runs an item must not change its result: callers give every
 * item its own output (see net.c), so results never depend on the threads.
 * Workers spin briefly between jobs, then sleep, so an idle pool costs no CPU.
 */
#ifndef CONVLAB_THREADPOOL_H
#define CONVLAB_THREADPOOL_H

typedef struct ThreadPool ThreadPool;

// One work item: item in [0, items), t = the thread running it (0 = caller).
typedef void (*ThreadItemFn)(void *arg, int item, int t);

// Starts threads - 1 workers (threads >= 1; 1 makes a pool that runs every
// item on the caller). Ownership: free with threadpool_free. Aborts if the
// system cannot create a thread.
ThreadPool *threadpool_create(int threads);
// Stops and joins the workers. NULL is allowed.
void threadpool_free(ThreadPool *pool);
// Number of threads including the caller.
int threadpool_threads(const ThreadPool *pool);
// Runs fn(arg, item, t) once for every item and returns when all are done.
// Not reentrant: one caller at a time per pool.
void threadpool_run_items(ThreadPool *pool, ThreadItemFn fn, void *arg, int items);

#endif
