/* Tests of the CIFAR-10 fetch runner (src/session/data_fetch.c) without a
 * window: the header and line parsing the progress bar is built on, and real
 * runs of the fetch script on small fake tarballs (file:// URLs): a complete
 * fetch with its phases and byte counts, a failure with its one line, and a
 * cancel in the middle of the download (the source is a FIFO that stalls),
 * which must keep the partial download and leave nothing that looks like data.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "session/data_fetch.h"

static char tmpdir[256];

static void make_tmp(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/convlab-test-fetch.XXXXXX");
    cr_assert(mkdtemp(tmpdir) != NULL);
}

static void remove_tmp(void) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
}

static bool exists(const char *rel) {
    char p[600];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
    return stat(p, &st) == 0;
}

static long long size_of(const char *rel) {
    char p[600];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
    return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

// A fake CIFAR-10 tarball (sparse zero batches of the real size) at tmpdir/src.tar.gz;
// CIFAR10_URL and CIFAR10_SHA256 point at it.
static void make_tarball(void) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "set -e; cd '%s'; mkdir -p s/cifar-10-batches-bin; cd s/cifar-10-batches-bin;"
             "for f in data_batch_1 data_batch_2 data_batch_3 data_batch_4 data_batch_5 test_batch; do truncate -s 30730000 $f.bin; done;"
             "printf 'airplane\\nautomobile\\nbird\\ncat\\ndeer\\ndog\\nfrog\\nhorse\\nship\\ntruck\\n' > batches.meta.txt;"
             "cd ../..; tar -cSzf src.tar.gz -C s cifar-10-batches-bin; rm -rf s; sha256sum src.tar.gz | cut -d' ' -f1 > sum",
             tmpdir);
    cr_assert_eq(system(cmd), 0, "cannot make the fake tarball");
    char path[600], sum[128] = "";
    snprintf(path, sizeof path, "%s/sum", tmpdir);
    FILE *f = fopen(path, "r");
    cr_assert(f && fgets(sum, sizeof sum, f));
    fclose(f);
    sum[strcspn(sum, "\n")] = 0;
    snprintf(path, sizeof path, "file://%s/src.tar.gz", tmpdir);
    setenv("CIFAR10_URL", path, 1);
    setenv("CIFAR10_SHA256", sum, 1);
}

// ---- the pure parts ------------------------------------------------------------------------

Test(data_fetch, headers_give_the_full_size) {
    // curl -D of a file:// URL (also when resuming: the whole file's length)
    cr_assert_eq(fetch_headers_total("Content-Length: 170052171\r\nAccept-ranges: bytes\r\n\r\n"), 170052171LL);
    // a resumed HTTP transfer: Content-Length is the rest, Content-Range has the total
    cr_assert_eq(fetch_headers_total("HTTP/1.1 206 Partial Content\r\ncontent-length: 70052171\r\n"
                                     "Content-Range: bytes 100000000-170052170/170052171\r\n\r\n"), 170052171LL);
    // a redirect: the last response counts
    cr_assert_eq(fetch_headers_total("HTTP/1.1 302 Found\r\nContent-Length: 154\r\nLocation: x\r\n\r\n"
                                     "HTTP/2 200\r\ncontent-length: 5000\r\n\r\n"), 5000LL);
    cr_assert_eq(fetch_headers_total("HTTP/1.1 302 Found\r\nContent-Length: 154\r\n\r\nHTTP/2 200\r\n\r\n"), 0LL);
    // unknown sizes: a FIFO (length 0), "*" ranges, nothing
    cr_assert_eq(fetch_headers_total("Content-Length: 0\r\n\r\n"), 0LL);
    cr_assert_eq(fetch_headers_total("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */*\r\n"), 0LL);
    cr_assert_eq(fetch_headers_total(""), 0LL);
}

Test(data_fetch, lines_set_the_phase_and_the_message) {
    FetchProgress p = {.state = FETCH_RUNNING};
    fetch_progress_line(&p, "fetch-cifar10: downloading https://example.org/c.tar.gz");
    cr_assert_eq(p.phase, FETCH_DOWNLOADING);
    cr_assert_str_eq(p.line, "downloading https://example.org/c.tar.gz");
    fetch_progress_line(&p, "fetch-cifar10: verifying the sha256 checksum of x");
    cr_assert_eq(p.phase, FETCH_VERIFYING);
    fetch_progress_line(&p, "fetch-cifar10: unpacking");
    cr_assert_eq(p.phase, FETCH_UNPACKING);
    fetch_progress_line(&p, "");
    cr_assert_str_eq(p.line, "unpacking", "an empty line keeps the last message");
    fetch_progress_line(&p, "fetch-cifar10: x has md5 1, expected 2; it was deleted");
    cr_assert_eq(p.phase, FETCH_UNPACKING, "a message that starts no phase keeps it");
    cr_assert_str_eq(p.line, "x has md5 1, expected 2; it was deleted");
    fetch_progress_line(&p, "tar: something");
    cr_assert_str_eq(p.line, "tar: something");
}

Test(data_fetch, fraction_and_amount) {
    FetchProgress p = {.bytes = 41200000, .total = 170100000};
    char s[96];
    cr_assert_float_eq(fetch_fraction(&p), 41.2 / 170.1, 1e-9);
    fetch_format_amount(s, sizeof s, &p);
    cr_assert_str_eq(s, "41.2 / 170.1 MB \xC2\xB7 24 %");
    p.total = 0;
    cr_assert_eq(fetch_fraction(&p), -1.0);
    fetch_format_amount(s, sizeof s, &p);
    cr_assert_str_eq(s, "41.2 MB");
    p.total = 1000, p.bytes = 2000; // a server that lied: never past the end
    cr_assert_eq(fetch_fraction(&p), 1.0);
}

Test(data_fetch, split_dir) {
    char parent[256], name[64];
    cr_assert_eq(fetch_split_dir("/home/u/.local/share/convlab/cifar-10-batches-bin/", parent, sizeof parent, name, sizeof name), 0);
    cr_assert_str_eq(parent, "/home/u/.local/share/convlab");
    cr_assert_str_eq(name, "cifar-10-batches-bin");
    cr_assert_eq(fetch_split_dir("mycifar", parent, sizeof parent, name, sizeof name), 0);
    cr_assert_str_eq(parent, ".");
    cr_assert_eq(fetch_split_dir("/x", parent, sizeof parent, name, sizeof name), 0);
    cr_assert_str_eq(parent, "/");
    cr_assert_eq(fetch_split_dir("/", parent, sizeof parent, name, sizeof name), -1);
    cr_assert_eq(fetch_split_dir("a/..", parent, sizeof parent, name, sizeof name), -1);
    cr_assert_eq(fetch_split_dir("", parent, sizeof parent, name, sizeof name), -1);
}

// ---- real runs of the script ----------------------------------------------------------------

typedef struct {
    int lines, ticks;
    bool saw[4];            // phases seen by the ticks
    long long max_bytes;
    long long last_bytes;
    bool bytes_went_down;
} Seen;

static void count_line(void *user, const char *line) {
    (void)line;
    ((Seen *)user)->lines++;
}

static void count_tick(void *user, const FetchProgress *p) {
    Seen *s = user;
    s->ticks++;
    s->saw[p->phase] = true;
    if (p->bytes < s->last_bytes) s->bytes_went_down = true;
    s->last_bytes = p->bytes;
    if (p->bytes > s->max_bytes) s->max_bytes = p->bytes;
}

Test(data_fetch, a_complete_fetch_reports_its_phases_and_size, .init = make_tmp, .fini = remove_tmp, .timeout = 60) {
    make_tarball();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/out/cifar-10-batches-bin", tmpdir);
    DataFetch *f = data_fetch_create();
    Seen seen = {0};
    ClError err;
    int rc = data_fetch_run(f, dir, count_line, count_tick, &seen, &err);
    FetchProgress p;
    data_fetch_progress(f, &p);
    data_fetch_free(f);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, p.line);
    cr_assert_eq(p.state, FETCH_DONE);
    cr_assert(strstr(p.line, "CIFAR-10 ready in") != NULL, "last line: %s", p.line);
    long long size = size_of("src.tar.gz");
    cr_assert_eq(p.total, size, "total %lld, tarball %lld", p.total, size);
    cr_assert_eq(p.bytes, size);
    cr_assert(seen.lines >= 3, "%d lines", seen.lines);
    cr_assert(seen.ticks > 0);
    cr_assert(!seen.bytes_went_down);
    cr_assert(exists("out/cifar-10-batches-bin/test_batch.bin"));
    cr_assert(!exists("out/cifar-10-binary.tar.gz") && !exists("out/cifar-10-binary.tar.gz.part") && !exists("out/.fetch.headers"),
              "leftovers after a complete fetch");
}

Test(data_fetch, a_failure_ends_with_one_line, .init = make_tmp, .fini = remove_tmp, .timeout = 30) {
    char url[600], dir[600];
    snprintf(url, sizeof url, "file://%s/none.tar.gz", tmpdir);
    setenv("CIFAR10_URL", url, 1);
    snprintf(dir, sizeof dir, "%s/out/cifar-10-batches-bin", tmpdir);
    DataFetch *f = data_fetch_create();
    ClError err;
    cr_assert_eq(data_fetch_start(f, dir, &err), 0, "%s", err.msg);
    FetchProgress p;
    for (int i = 0; i < 300; i++) {
        data_fetch_progress(f, &p);
        if (p.state != FETCH_RUNNING) break;
        sleep_ms(20);
    }
    cr_assert(data_fetch_reap(f));
    cr_assert(!data_fetch_reap(f), "a fetch is reaped once");
    data_fetch_free(f);
    cr_assert_eq(p.state, FETCH_FAILED);
    cr_assert_eq(p.exit_status, 1);
    cr_assert(strstr(p.line, "download of file://") && strstr(p.line, "failed") && strstr(p.line, "again"), "line: %s", p.line);
    cr_assert(!strchr(p.line, '\n'));
    cr_assert(!exists("out/cifar-10-batches-bin"));
}

static atomic_bool stop_feeding;

// Writes 300 KB into the FIFO (more than curl buffers before it writes the
// .part), then holds it open: a stalled server. (The bytes need not be a
// tarball: the fetch is cancelled before it would be checked.)
static void *feed_fifo(void *arg) {
    (void)arg;
    char fifo[600];
    snprintf(fifo, sizeof fifo, "%s/slow.tar.gz", tmpdir);
    FILE *out = fopen(fifo, "wb");
    if (out) {
        static char buf[300 * 1024];
        fwrite(buf, 1, sizeof buf, out);
        fflush(out);
        while (!atomic_load(&stop_feeding)) sleep_ms(20);
        fclose(out);
    }
    return NULL;
}

Test(data_fetch, cancel_keeps_the_partial_download_and_installs_nothing, .init = make_tmp, .fini = remove_tmp, .timeout = 60) {
    signal(SIGPIPE, SIG_IGN); // the feeder writes into a FIFO whose reader is killed
    char fifo[600], url[700], dir[600];
    snprintf(fifo, sizeof fifo, "%s/slow.tar.gz", tmpdir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    snprintf(url, sizeof url, "file://%s", fifo);
    setenv("CIFAR10_URL", url, 1);
    pthread_t feeder;
    pthread_create(&feeder, NULL, feed_fifo, NULL);
    snprintf(dir, sizeof dir, "%s/out/cifar-10-batches-bin", tmpdir);
    DataFetch *f = data_fetch_create();
    ClError err;
    cr_assert_eq(data_fetch_start(f, dir, &err), 0, "%s", err.msg);
    cr_assert_neq(data_fetch_start(f, dir, &err), 0, "a second start while running");
    FetchProgress p;
    for (int i = 0; i < 500; i++) { // until curl has written some of it
        data_fetch_progress(f, &p);
        if (p.state != FETCH_RUNNING || (p.phase == FETCH_DOWNLOADING && p.bytes > 0)) break;
        sleep_ms(20);
    }
    cr_assert_eq(p.state, FETCH_RUNNING, "ended early: %s", p.line);
    cr_assert_eq(p.phase, FETCH_DOWNLOADING);
    cr_assert_eq(p.total, 0, "a FIFO has no size");
    data_fetch_cancel(f, SIGTERM);
    for (int i = 0; i < 250; i++) {
        data_fetch_progress(f, &p);
        if (p.state != FETCH_RUNNING) break;
        sleep_ms(20);
    }
    atomic_store(&stop_feeding, true);
    pthread_join(feeder, NULL);
    cr_assert(data_fetch_reap(f));
    data_fetch_free(f);
    cr_assert_eq(p.state, FETCH_CANCELLED, "state %d: %s", p.state, p.line);
    cr_assert_eq(p.killed_by, SIGTERM);
    cr_assert_eq(size_of("out/cifar-10-binary.tar.gz.part"), p.bytes, "the partial download is kept for resume");
    cr_assert(!exists("out/cifar-10-binary.tar.gz"), "a cancelled download looks complete");
    cr_assert(!exists("out/cifar-10-batches-bin"), "a cancelled fetch installed data");
    char cmd[800]; // cur[l]: the pattern must not match this shell's own command line
    snprintf(cmd, sizeof cmd, "pgrep -f 'cur[l].*%s/slow' >/dev/null", tmpdir);
    cr_assert_neq(system(cmd), 0, "curl outlived the cancel");
}
