/* --batch fetch-data [--data DIR]: downloads CIFAR-10 into DIR (default the
 * XDG place of engine/paths.h) by running the same script as `make data`
 * (src/scripts/fetch-cifar10.sh; installed as PREFIX/share/convlab/scripts/),
 * so both share one source, checksum check (CIFAR10_URL, CIFAR10_SHA256 /
 * CIFAR10_MD5), resume, lock and all-or-nothing unpack: curl, sha256sum and
 * tar do the work (no hand-written HTTP or gzip). curl draws its progress bar
 * when stderr is a terminal. Ctrl-C / SIGTERM to convlab are passed on to the
 * script's process group: the partial download stays as *.part (resumed next
 * time), nothing unpacked is left.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/app.h"
#include "app/flags.h"
#include "engine/paths.h"

static volatile sig_atomic_t CHILD_PID;

// Ctrl-C, SIGTERM, SIGHUP to convlab: passed on to the script's process group
// (the script and its curl/tar), so none of them outlives convlab.
static void forward_signal(int sig) {
    if (CHILD_PID > 0) kill(-(pid_t)CHILD_PID, sig);
}

// The fetch script of the resource root (source tree or install), or -1.
static int find_script(char *out, size_t n) {
    if (paths_find_resource(out, n, "src/scripts/fetch-cifar10.sh") == 0) return 0;
    return paths_find_resource(out, n, "scripts/fetch-cifar10.sh");
}

// Splits dir into parent and last component (trailing slashes dropped).
static int split_dir(const char *dir, char *parent, size_t np, char *name, size_t nn) {
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

// Runs bash SCRIPT PARENT NAME and returns its exit status (128+N for signal N).
static int run_script(const char *script, const char *parent, const char *name) {
    setenv("CONVLAB_FETCH_CMD", "convlab --batch fetch-data", 1);
    pid_t pid = fork();
    if (pid < 0) { fprintf(stderr, "convlab: cannot start the download (fork: %s)\n", strerror(errno)); return 1; }
    if (pid == 0) {
        setpgid(0, 0); // its own group: convlab forwards signals to all of it
        execlp("bash", "bash", script, parent, name, (char *)NULL);
        fprintf(stderr, "convlab: cannot run bash for %s (%s); install bash\n", script, strerror(errno));
        _exit(1);
    }
    setpgid(pid, pid); // also here: no signal may arrive before the group exists
    CHILD_PID = pid;
    struct sigaction fw = {.sa_handler = forward_signal}, old_int, old_term, old_hup;
    sigaction(SIGINT, &fw, &old_int);
    sigaction(SIGTERM, &fw, &old_term);
    sigaction(SIGHUP, &fw, &old_hup);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    CHILD_PID = 0;
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "convlab: the download was interrupted (signal %d); nothing was installed, run convlab --batch fetch-data again to resume\n",
                WTERMSIG(status));
        return 128 + WTERMSIG(status);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
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
    char parent[4096], name[256], script[4200];
    if (split_dir(dir, parent, sizeof parent, name, sizeof name) != 0) {
        fprintf(stderr, "convlab --batch fetch-data: --data %s: give the folder the batches go into, e.g. ~/cifar/cifar-10-batches-bin\n", dir);
        return 2;
    }
    if (find_script(script, sizeof script) != 0) {
        fprintf(stderr, "convlab: fetch-cifar10.sh not found (scripts/ next to the lessons); reinstall convlab (make install) or run make data in the source tree\n");
        return 1;
    }
    int rc = run_script(script, parent, name);
    if (rc == 0 && strcmp(paths_data_dir(NULL), dir) != 0)
        fprintf(stderr, "convlab: this folder is not on the lookup path (%s); use --data %s or CONVLAB_DATA=%s\n",
                paths_data_lookup_text(), dir, dir);
    return rc;
}
