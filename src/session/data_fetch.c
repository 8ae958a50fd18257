/* Running the CIFAR-10 fetch script and watching it: see data_fetch.h. */
#include "session/data_fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/paths.h"

extern char **environ;

#define SCRIPT_PREFIX "fetch-cifar10: "
#define TARBALL "cifar-10-binary.tar.gz"  // the script's names inside the parent folder
#define HEADERS ".fetch.headers"
#define POLL_MS 100

struct DataFetch {
    pthread_mutex_t lock;      // guards p
    FetchProgress p;
    atomic_int cancel_sig;     // a signal to send to the script's group (0: none)
    pthread_t thread;
    bool thread_live;          // started and not yet joined
    char bg_dir[4096];         // data_fetch_start's dir, for the thread
};

// ---- the pure parts ----------------------------------------------------------------------

void fetch_progress_line(FetchProgress *p, const char *line) {
    const char *s = strncmp(line, SCRIPT_PREFIX, strlen(SCRIPT_PREFIX)) == 0 ? line + strlen(SCRIPT_PREFIX) : line;
    if (!s[0]) return;
    if (strncmp(s, "downloading", 11) == 0) p->phase = FETCH_DOWNLOADING;
    else if (strncmp(s, "verifying", 9) == 0) p->phase = FETCH_VERIFYING;
    else if (strncmp(s, "unpacking", 9) == 0) p->phase = FETCH_UNPACKING;
    snprintf(p->line, sizeof p->line, "%s", s);
}

long long fetch_headers_total(const char *text) {
    long long length = 0, range = 0;
    for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        if (strncmp(l, "HTTP/", 5) == 0) length = range = 0; // a new response (after a redirect)
        else if (strncasecmp(l, "Content-Length:", 15) == 0) length = strtoll(l + 15, NULL, 10);
        else if (strncasecmp(l, "Content-Range:", 14) == 0) {
            const char *slash = memchr(l, '/', strcspn(l, "\n"));
            if (slash && slash[1] != '*') range = strtoll(slash + 1, NULL, 10);
        }
    }
    long long total = range > 0 ? range : length;
    return total > 0 ? total : 0;
}

double fetch_fraction(const FetchProgress *p) {
    if (p->total <= 0) return -1;
    double f = (double)p->bytes / (double)p->total;
    return f < 0 ? 0 : f > 1 ? 1 : f;
}

void fetch_format_amount(char *out, size_t n, const FetchProgress *p) {
    double f = fetch_fraction(p);
    if (f < 0) snprintf(out, n, "%.1f MB", (double)p->bytes / 1e6);
    else snprintf(out, n, "%.1f / %.1f MB \xC2\xB7 %d %%", (double)p->bytes / 1e6, (double)p->total / 1e6, (int)(f * 100));
}

int fetch_split_dir(const char *dir, char *parent, size_t np, char *name, size_t nn) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf) return -1;
    size_t l = strlen(buf);
    while (l > 1 && buf[l - 1] == '/') buf[--l] = 0;
    char *slash = strrchr(buf, '/');
    const char *base = slash ? slash + 1 : buf;
    if (!base[0] || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) return -1;
    if (snprintf(name, nn, "%s", base) >= (int)nn) return -1;
    if (!slash) snprintf(parent, np, ".");
    else if (slash == buf) snprintf(parent, np, "/");
    else { *slash = 0; if (snprintf(parent, np, "%s", buf) >= (int)np) return -1; }
    return 0;
}

// ---- the script's process ------------------------------------------------------------------

// The fetch script of the resource root (source tree or install), or -1.
static int find_script(char *out, size_t n) {
    if (paths_find_resource(out, n, "src/scripts/fetch-cifar10.sh") == 0) return 0;
    return paths_find_resource(out, n, "scripts/fetch-cifar10.sh");
}

// The environment with CONVLAB_FETCH_CMD set (the command the script's
// "run ... again" names); built here, not with setenv, which is not
// thread-safe in a process with other threads (the window).
static char **fetch_environment(void) {
    size_t n = 0;
    while (environ[n]) n++;
    char **env = cl_calloc(n + 2, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "CONVLAB_FETCH_CMD=", 18) != 0) env[k++] = environ[i];
    env[k] = "CONVLAB_FETCH_CMD=convlab --batch fetch-data";
    return env;
}

// Starts bash SCRIPT PARENT NAME in its own process group (a cancel reaches its
// curl and tar too), stdout and stderr into *out_fd, stdin from /dev/null.
static int spawn_script(const char *script, const char *parent, const char *name, pid_t *pid, int *out_fd, ClError *err) {
    int fds[2];
    if (pipe(fds) != 0) return cl_fail(err, "cannot start the download (pipe: %s)", strerror(errno));
    fcntl(fds[0], F_SETFD, FD_CLOEXEC); // the script gets only its dup2 copies
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawnattr_init(&at);
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    int defaults[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
    for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++) sigaddset(&dflt, defaults[i]);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dflt);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char *argv[] = {"bash", (char *)script, (char *)parent, (char *)name, NULL};
    char **env = fetch_environment();
    int rc = posix_spawnp(pid, "bash", &fa, &at, argv, env);
    free(env);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return cl_fail(err, "cannot run bash for %s (%s); install bash", script, strerror(rc));
    }
    *out_fd = fds[0];
    return 0;
}

// Size of PARENT/NAME in bytes, or -1.
static long long file_size(const char *parent, const char *name) {
    char path[4400];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", parent, name);
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

// The tarball's bytes on disk and the size from the saved headers, under the lock.
static void measure(DataFetch *f, const char *parent) {
    long long b = file_size(parent, TARBALL ".part");
    if (b < 0) b = file_size(parent, TARBALL);
    long long total = 0;
    char path[4400], text[4096];
    snprintf(path, sizeof path, "%s/" HEADERS, parent);
    FILE *h = fopen(path, "r");
    if (h) {
        size_t n = fread(text, 1, sizeof text - 1, h);
        text[n] = 0;
        fclose(h);
        total = fetch_headers_total(text);
    }
    pthread_mutex_lock(&f->lock);
    if (b >= 0) f->p.bytes = b;
    if (total > 0) f->p.total = total;
    if (f->p.phase >= FETCH_VERIFYING && f->p.total <= 0 && f->p.bytes > 0) f->p.total = f->p.bytes; // all there
    pthread_mutex_unlock(&f->lock);
}

// Applies one line to the progress and hands it to the callback (empty lines are skipped).
static void emit_line(DataFetch *f, const char *line, FetchLineFn on_line, void *user) {
    if (!line[0]) return;
    pthread_mutex_lock(&f->lock);
    fetch_progress_line(&f->p, line);
    pthread_mutex_unlock(&f->lock);
    if (on_line) on_line(user, line);
}

// Emits the complete lines in buf[0..*len) (ended by \n or \r); with flush, the
// rest too. An unfinished line moves to the start of buf. buf has room for
// one more byte than *len.
static void take_lines(DataFetch *f, char *buf, size_t *len, bool flush, FetchLineFn on_line, void *user) {
    size_t start = 0;
    for (size_t i = 0; i < *len; i++) {
        if (buf[i] != '\n' && buf[i] != '\r') continue;
        buf[i] = 0;
        emit_line(f, buf + start, on_line, user);
        start = i + 1;
    }
    if (flush && start < *len) {
        buf[*len] = 0;
        emit_line(f, buf + start, on_line, user);
        start = *len;
    }
    memmove(buf, buf + start, *len - start);
    *len -= start;
}

// Reads the script's output until it closes, sends a requested cancel signal,
// measures and ticks; then waits for the script. Returns its exit status.
static int supervise(DataFetch *f, pid_t pid, int fd, const char *parent, FetchLineFn on_line, FetchTickFn on_tick,
                     void *user) {
    char buf[4096];
    size_t len = 0;
    bool eof = false;
    int sent = 0, status = 0;
    while (!eof) {
        int sig = atomic_load(&f->cancel_sig);
        if (sig && !sent) { kill(-pid, sig); sent = sig; }
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, POLL_MS) > 0) {
            ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
            if (n <= 0 && !(n < 0 && errno == EINTR)) eof = true;
            if (n > 0) len += (size_t)n;
            take_lines(f, buf, &len, len == sizeof buf - 1, on_line, user); // a 4 KB line is cut, not lost
        }
        measure(f, parent);
        if (on_tick) {
            FetchProgress p;
            data_fetch_progress(f, &p);
            on_tick(user, &p);
        }
    }
    take_lines(f, buf, &len, true, on_line, user);
    close(fd);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        int sig = atomic_load(&f->cancel_sig);
        if (sig && !sent) { kill(-pid, sig); sent = sig; }
    }
    pthread_mutex_lock(&f->lock);
    f->p.killed_by = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    pthread_mutex_unlock(&f->lock);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

// ---- the fetch ---------------------------------------------------------------------------

DataFetch *data_fetch_create(void) {
    DataFetch *f = cl_calloc(1, sizeof *f);
    pthread_mutex_init(&f->lock, NULL);
    return f;
}

// Marks f as running into dir (progress reset, no cancel pending).
static void begin(DataFetch *f, const char *dir) {
    pthread_mutex_lock(&f->lock);
    f->p = (FetchProgress){.state = FETCH_RUNNING, .phase = FETCH_STARTING};
    snprintf(f->p.dir, sizeof f->p.dir, "%s", dir);
    atomic_store(&f->cancel_sig, 0);
    pthread_mutex_unlock(&f->lock);
}

// Ends the run with state (and, for a start failure, the error as the line).
static void end(DataFetch *f, FetchState state, int status, const char *why) {
    pthread_mutex_lock(&f->lock);
    f->p.state = state;
    f->p.exit_status = status;
    if (why) snprintf(f->p.line, sizeof f->p.line, "%s", why);
    pthread_mutex_unlock(&f->lock);
}

// data_fetch_run after begin (the background thread's body).
static int run_begun(DataFetch *f, const char *dir, FetchLineFn on_line, FetchTickFn on_tick, void *user, ClError *err) {
    char parent[4096], name[256], script[4200];
    pid_t pid = 0;
    int fd = -1;
    ClError e;
    if (fetch_split_dir(dir, parent, sizeof parent, name, sizeof name) != 0)
        cl_fail(&e, "%s: give the folder the batches go into, e.g. ~/cifar/cifar-10-batches-bin", dir);
    else if (find_script(script, sizeof script) != 0)
        cl_fail(&e, "fetch-cifar10.sh not found (scripts/ next to the lessons); reinstall convlab (make install) or run make data in the source tree");
    else if (spawn_script(script, parent, name, &pid, &fd, &e) == 0) {
        int status = supervise(f, pid, fd, parent, on_line, on_tick, user);
        bool cancelled = atomic_load(&f->cancel_sig) != 0;
        end(f, status == 0 ? FETCH_DONE : cancelled ? FETCH_CANCELLED : FETCH_FAILED, status, NULL);
        return status;
    }
    end(f, FETCH_FAILED, 1, e.msg);
    if (err) *err = e;
    return -1;
}

int data_fetch_run(DataFetch *f, const char *dir, FetchLineFn on_line, FetchTickFn on_tick, void *user, ClError *err) {
    begin(f, dir);
    return run_begun(f, dir, on_line, on_tick, user, err);
}

static void *fetch_thread(void *arg) {
    DataFetch *f = arg;
    run_begun(f, f->bg_dir, NULL, NULL, NULL, NULL);
    return NULL;
}

int data_fetch_start(DataFetch *f, const char *dir, ClError *err) {
    data_fetch_reap(f);
    if (f->thread_live) return cl_fail(err, "a download of CIFAR-10 is already running");
    snprintf(f->bg_dir, sizeof f->bg_dir, "%s", dir);
    begin(f, dir);
    if (pthread_create(&f->thread, NULL, fetch_thread, f) != 0) {
        end(f, FETCH_FAILED, 1, "cannot start the download thread");
        return cl_fail(err, "cannot start the download thread");
    }
    f->thread_live = true;
    return 0;
}

void data_fetch_cancel(DataFetch *f, int sig) {
    if (f) atomic_store(&f->cancel_sig, sig);
}

void data_fetch_progress(DataFetch *f, FetchProgress *out) {
    pthread_mutex_lock(&f->lock);
    *out = f->p;
    pthread_mutex_unlock(&f->lock);
}

bool data_fetch_reap(DataFetch *f) {
    if (!f->thread_live) return false;
    pthread_mutex_lock(&f->lock);
    bool running = f->p.state == FETCH_RUNNING;
    pthread_mutex_unlock(&f->lock);
    if (running) return false;
    pthread_join(f->thread, NULL);
    f->thread_live = false;
    return true;
}

void data_fetch_free(DataFetch *f) {
    if (!f) return;
    if (f->thread_live) {
        data_fetch_cancel(f, SIGTERM);
        pthread_join(f->thread, NULL);
    }
    pthread_mutex_destroy(&f->lock);
    free(f);
}
