/* Downloading CIFAR-10: the one runner of the fetch script
 * (src/scripts/fetch-cifar10.sh, installed as PREFIX/share/convlab/scripts/),
 * for `--batch fetch-data` (in the foreground, drawing a terminal bar) and
 * for the window (on a background thread, drawing a progress bar). The script
 * does the work, as for `make data`: curl (source CIFAR10_URL, resume of a
 * *.part), the checksum (CIFAR10_SHA256 / CIFAR10_MD5), the lock, the
 * all-or-nothing unpack. This module starts it in its own process group
 * (so a cancel reaches its curl and tar too), reads its lines, and measures
 * the progress: the bytes of the *.part on disk against the size in the
 * server's headers (the script keeps them in DEST/.fetch.headers while curl runs).
 *
 * Cancel (Esc in the window, Ctrl-C for the batch command) sends a signal to
 * the script's group: a partial download stays as *.part (the next fetch
 * resumes it), nothing unpacked or half-unpacked is left.
 *
 * Layer: session (below ui). POSIX processes and threads; no SDL.
 */
#ifndef CONVLAB_DATA_FETCH_H
#define CONVLAB_DATA_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include "engine/error.h"

typedef enum {
    FETCH_IDLE,        // never started
    FETCH_RUNNING,     // the script runs
    FETCH_DONE,        // CIFAR-10 is complete in dir (downloaded now, or already there)
    FETCH_FAILED,      // the script failed: line says why and what to do
    FETCH_CANCELLED,   // stopped on request (a partial download is kept for resume)
} FetchState;

typedef enum {
    FETCH_STARTING,    // checking what is there, taking the lock
    FETCH_DOWNLOADING, // curl runs
    FETCH_VERIFYING,   // the checksum of the whole tarball
    FETCH_UNPACKING,   // tar into a hidden folder, then the rename
} FetchPhase;

// One consistent copy of a fetch's state (what the UI draws).
typedef struct {
    FetchState state;
    FetchPhase phase;
    long long bytes;        // of the tarball on disk so far (a resumed part counts)
    long long total;        // the tarball's size from the server's headers; 0 unknown
    int exit_status;        // the script's exit status, 128+N if killed by signal N (not while running)
    int killed_by;          // N if the script was killed by signal N, else 0
    char line[1024];        // the script's last line without its "fetch-cifar10: " prefix:
                            // the one-line error when FAILED, "CIFAR-10 ready in ..." when DONE
    char dir[4096];         // where the batches go
} FetchProgress;

typedef struct DataFetch DataFetch;

// Called by data_fetch_run for every line the script prints (as printed).
typedef void (*FetchLineFn)(void *user, const char *line);
// Called by data_fetch_run about ten times a second with the current progress.
typedef void (*FetchTickFn)(void *user, const FetchProgress *p);

// A fetch that has not started. Ownership: free with data_fetch_free.
DataFetch *data_fetch_create(void);

// Runs the script into dir (its parent is created; the last component is the
// folder's name) in the calling thread until it ends; the callbacks may be
// NULL. Returns the script's exit status (0 ok, 128+N killed by signal N),
// or -1 with err when it could not start (no script, bad dir, no bash).
int data_fetch_run(DataFetch *f, const char *dir, FetchLineFn on_line, FetchTickFn on_tick, void *user, ClError *err);

// Starts data_fetch_run on a background thread (no callbacks). Returns 0, or
// -1 with err if a fetch of f is still running or the thread cannot start.
// A finished fetch may be started again (it resumes).
int data_fetch_start(DataFetch *f, const char *dir, ClError *err);

// Asks the running fetch to stop by sending sig (SIGTERM for a cancel, or the
// signal the caller got) to the script's group within 0.1 s. Only stores an
// atomic: safe in a signal handler and from any thread. No-op when idle.
void data_fetch_cancel(DataFetch *f, int sig);

// Copies the current state into *out (takes the fetch's lock briefly).
void data_fetch_progress(DataFetch *f, FetchProgress *out);

// Joins the background thread of a fetch that has ended. Returns true if it
// did (once per start), false while it runs or if there is nothing to join.
bool data_fetch_reap(DataFetch *f);

// Cancels a running fetch (SIGTERM), waits for it and frees f. NULL is a no-op.
void data_fetch_free(DataFetch *f);

// ---- the pure parts (unit-tested) -------------------------------------------------------

// Applies one line of the script to p: the phase it starts, and the line.
void fetch_progress_line(FetchProgress *p, const char *line);

// The resource's full size in HTTP/file headers as curl -D writes them
// (the last response wins after redirects; Content-Range's "/TOTAL" over
// Content-Length, which a resumed HTTP response gives for the rest only).
// 0 if unknown.
long long fetch_headers_total(const char *text);

// How far the download is, 0..1, or -1 when the size is unknown.
double fetch_fraction(const FetchProgress *p);

// Writes "41.2 / 170.1 MB · 24 %" (or "41.2 MB" without a size; MB = 10^6 bytes) into out.
void fetch_format_amount(char *out, size_t n, const FetchProgress *p);

// Splits dir into its parent and last component (trailing slashes dropped).
// Returns 0, or -1 if dir has no usable last component ("", ".", "/", "..").
int fetch_split_dir(const char *dir, char *parent, size_t np, char *name, size_t nn);

#endif
