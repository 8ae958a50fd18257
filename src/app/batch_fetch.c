/* --batch fetch-data [--data DIR]: downloads CIFAR-10 into DIR (default the
 * XDG place of engine/paths.h) with session/data_fetch.h, the runner the window
 * uses too: the same script as `make data` (src/scripts/fetch-cifar10.sh;
 * installed as PREFIX/share/convlab/scripts/), so all share one source,
 * checksum check (CIFAR10_URL, CIFAR10_SHA256 / CIFAR10_MD5), resume, lock and
 * all-or-nothing unpack: curl, sha256sum and tar do the work (no hand-written
 * HTTP or gzip). On a terminal a progress bar is drawn from the runner's
 * progress. Ctrl-C / SIGTERM / SIGHUP to convlab are passed on to the
 * script's process group: the partial download stays as *.part (resumed next
 * time), nothing unpacked is left.
 */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "app/flags.h"
#include "engine/paths.h"
#include "session/data_fetch.h"

static DataFetch *FETCH; // for the signal handler

// Ctrl-C, SIGTERM, SIGHUP to convlab: the runner passes it on to the script's
// process group (the script and its curl/tar), so none of them outlives convlab.
static void forward_signal(int sig) { data_fetch_cancel(FETCH, sig); }

typedef struct {
    bool tty;          // stderr is a terminal: draw the bar
    bool bar_shown;    // the bar is on the current line
} Terminal;

// Clears a drawn bar so that a line can be printed.
static void clear_bar(Terminal *t) {
    if (t->bar_shown) fputs("\r\033[K", stderr);
    t->bar_shown = false;
}

static void print_line(void *user, const char *line) {
    clear_bar(user);
    fprintf(stderr, "%s\n", line);
}

// "[##########..........]  70.1 / 170.1 MB · 41 %" while curl runs.
static void draw_bar(void *user, const FetchProgress *p) {
    Terminal *t = user;
    if (!t->tty || p->phase != FETCH_DOWNLOADING) return;
    char amount[96], bar[41];
    fetch_format_amount(amount, sizeof amount, p);
    double f = fetch_fraction(p);
    int full = f < 0 ? 0 : (int)(f * 40);
    for (int i = 0; i < 40; i++) bar[i] = i < full ? '#' : f < 0 ? ' ' : '.';
    bar[40] = 0;
    fprintf(stderr, "\r[%s] %s\033[K", bar, amount);
    fflush(stderr);
    t->bar_shown = true;
}

// Runs the fetch with the signals forwarded; returns the exit status.
static int run_fetch(const char *dir) {
    FETCH = data_fetch_create();
    struct sigaction fw = {.sa_handler = forward_signal}, old_int, old_term, old_hup;
    sigaction(SIGINT, &fw, &old_int);
    sigaction(SIGTERM, &fw, &old_term);
    sigaction(SIGHUP, &fw, &old_hup);
    Terminal term = {.tty = isatty(2)};
    ClError err;
    int rc = data_fetch_run(FETCH, dir, print_line, draw_bar, &term, &err);
    clear_bar(&term);
    FetchProgress end;
    data_fetch_progress(FETCH, &end);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    data_fetch_free(FETCH);
    FETCH = NULL;
    if (rc < 0) { fprintf(stderr, "convlab: %s\n", err.msg); return 1; }
    if (end.killed_by) // (the script's own trap exits 130 after its message)
        fprintf(stderr, "convlab: the download was interrupted (signal %d); nothing was installed, run convlab --batch fetch-data again to resume\n",
                end.killed_by);
    return rc;
}

typedef struct {
    const char *dir;      // --data DIR
} FetchArgs;

static const Flag FETCH_FLAGS[] = {
    {"--data", FLAG_STRING, offsetof(FetchArgs, dir), .value = "DIR",
     .help = "where the batches go (its last component is the folder's name)"},
};

const Command FETCH_DATA_COMMAND = {
    .name = "fetch-data", .usage = "[--data DIR]",
    .summary = "Downloads CIFAR-10 (170 MB), verifies its checksum and unpacks it into DIR\n"
               "(default $XDG_DATA_HOME/convlab/cifar-10-batches-bin, i.e.\n"
               "~/.local/share/convlab/cifar-10-batches-bin), as `make data` does: an interrupted\n"
               "download resumes, a folder of that name is only ever complete, one fetch at a time.",
    .flags = FETCH_FLAGS, .n_flags = FLAG_COUNT(FETCH_FLAGS),
    .run = batch_fetch_data_main,
};

int batch_fetch_data_main(int argc, char **argv) {
    FetchArgs a = {0};
    ClError err;
    if (flags_parse(&FETCH_DATA_COMMAND, &a, argc, argv, 1, NULL, NULL, &err) != 0) {
        fprintf(stderr, "convlab --batch %s (see convlab --help)\n", err.msg);
        return 2;
    }
    const char *dir = a.dir;
    if (!dir) dir = paths_data_download_dir();
    char parent[4096], name[256];
    if (fetch_split_dir(dir, parent, sizeof parent, name, sizeof name) != 0) {
        fprintf(stderr, "convlab --batch fetch-data: --data %s: give the folder the batches go into, e.g. ~/cifar/cifar-10-batches-bin\n", dir);
        return 2;
    }
    int rc = run_fetch(dir);
    if (rc == 0 && strcmp(paths_data_dir(NULL), dir) != 0)
        fprintf(stderr, "convlab: this folder is not on the lookup path (%s); use --data %s or CONVLAB_DATA=%s\n",
                paths_data_lookup_text(), dir, dir);
    return rc;
}
