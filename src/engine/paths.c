/* Resource and data lookup: see paths.h. */
#include "engine/paths.h"

#include <limits.h>
#include <stdbool.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// CONVLAB_PREFIX: written by the Makefile from PREFIX (build/*/paths_config.h);
// builds without it (fuzzers, TSan) use the default.
#if defined(__has_include)
#if __has_include("paths_config.h")
#include "paths_config.h"
#endif
#endif
#ifndef CONVLAB_PREFIX
#define CONVLAB_PREFIX "/usr/local"
#endif

#define PATH_MAX_LEN 4096

static bool is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

// Copies s into out; false if it does not fit.
static bool copy_str(char *out, size_t n, const char *s) {
    size_t l = strlen(s);
    if (l >= n) return false;
    memcpy(out, s, l + 1);
    return true;
}

// A folder is a resource root when it holds lessons/ (assets/ is optional:
// the themes have built-in defaults).
static bool is_root(const char *dir) {
    char p[PATH_MAX_LEN];
    if (snprintf(p, sizeof p, "%s/lessons", dir) >= (int)sizeof p) return false;
    return is_dir(p);
}

// Tries the executable's folder, its parents up to 3 levels (the source tree:
// ./convlab, build/release/convlab) and ../share/convlab (an install).
static bool find_near_exe(char *out, size_t n) {
    char exe[PATH_MAX_LEN];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return false;
    exe[len] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return false;
    *slash = 0; // exe is now the binary's folder
    char share[PATH_MAX_LEN + 32];
    snprintf(share, sizeof share, "%s/../share/convlab", exe);
    for (int up = 0; up < 4; up++) {
        if (is_root(exe)) return copy_str(out, n, exe);
        if (up == 0 && is_root(share)) { // as /opt/x/share/convlab in messages, not /opt/x/bin/../share/...
            char real[PATH_MAX];
            return copy_str(out, n, realpath(share, real) ? real : share);
        }
        slash = strrchr(exe, '/');
        if (!slash || slash == exe) break;
        *slash = 0;
    }
    return false;
}

const char *paths_resource_root(void) {
    static char root[PATH_MAX_LEN];
    static int state; // 0 unresolved, 1 found, -1 none
    if (state == 0) {
        state = -1;
        if (is_root(".")) { snprintf(root, sizeof root, "."); state = 1; }
        else if (find_near_exe(root, sizeof root)) state = 1;
        else if (is_root(CONVLAB_PREFIX "/share/convlab")) { snprintf(root, sizeof root, "%s", CONVLAB_PREFIX "/share/convlab"); state = 1; }
    }
    return state > 0 ? root : NULL;
}

int paths_find_resource(char *out, size_t n, const char *rel) {
    const char *root = paths_resource_root();
    if (!root) return -1;
    // The current folder stays relative ("lessons/02_x.lesson", as the user typed it).
    int len = strcmp(root, ".") == 0 ? snprintf(out, n, "%s", rel) : snprintf(out, n, "%s/%s", root, rel);
    if (len < 0 || len >= (int)n) return -1;
    return access(out, F_OK) == 0 ? 0 : -1;
}

const char *paths_data_download_dir(void) {
    static char dir[PATH_MAX_LEN];
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    // The XDG spec: a relative $XDG_DATA_HOME is invalid and must be ignored.
    if (xdg && xdg[0] == '/') snprintf(dir, sizeof dir, "%s/convlab/%s", xdg, PATHS_CIFAR_SUBDIR);
    else snprintf(dir, sizeof dir, "%s/.local/share/convlab/%s", home && home[0] ? home : ".", PATHS_CIFAR_SUBDIR);
    return dir;
}

const char *paths_data_dir(const char *given) {
    static char dir[PATH_MAX_LEN];
    if (given && given[0]) return given;
    const char *env = getenv("CONVLAB_DATA");
    if (env && env[0]) return env;
    snprintf(dir, sizeof dir, "data/%s", PATHS_CIFAR_SUBDIR);
    if (is_dir(dir)) return dir;
    return paths_data_download_dir();
}

const char *paths_data_lookup_text(void) {
    return "looked in --data, $CONVLAB_DATA, ./data/" PATHS_CIFAR_SUBDIR ", $XDG_DATA_HOME/convlab/" PATHS_CIFAR_SUBDIR;
}

static int compare_paths(const void *a, const void *b) { return strcmp(a, b); }

int paths_list_resources(char (*out)[256], int max, const char *dir, const char *ext) {
    char root[1024];
    if (paths_find_resource(root, sizeof root, dir) != 0) return 0;
    DIR *d = opendir(root);
    if (!d) return 0;
    int n = 0;
    size_t le = strlen(ext);
    for (struct dirent *e; n < max && (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len <= le || strcmp(e->d_name + len - le, ext) != 0) continue;
        if (snprintf(out[n], sizeof out[n], "%s/%s", root, e->d_name) < (int)sizeof out[n]) n++;
    }
    closedir(d);
    qsort(out, (size_t)n, sizeof out[0], compare_paths);
    return n;
}
