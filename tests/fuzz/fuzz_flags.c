/* libFuzzer target: the table-driven flag parser (src/app/flags.c) with a table
 * holding every flag kind, as the batch commands use it. The input is split at
 * NUL bytes into argv. Invariants: a failure gives one non-empty line; a
 * success leaves every numeric target inside its range.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_DEFAULT_SOURCE -Isrc \
 *     tests/fuzz/fuzz_flags.c src/app/flags.c src/engine/error.c -o fuzz_flags -lm
 *   ./fuzz_flags -max_total_time=60 tests/fuzz/corpus/flags
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/flags.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    argv[argc++] = "train";
    for (char *p = buf; p <= buf + size && argc < MAX_ARGS; p += strlen(p) + 1) argv[argc++] = p;
    argv[argc] = NULL;

    int epochs = 2, choice = 0, size2[2] = {0, 0};
    double lr = 0.001;
    uint64_t seed = 0;
    bool flag = false, lr_seen = false;
    const char *path = NULL, *positional[2];
    const Flag flags[] = {
        {.name = "--epochs", .kind = FLAG_INT, .target = &epochs, .min = 1, .max = 100000},
        {.name = "--lr", .kind = FLAG_FLOAT, .target = &lr, .min = 0, .max = 1e6, .seen = &lr_seen},
        {.name = "--seed", .kind = FLAG_U64, .target = &seed},
        {.name = "--optimizer", .kind = FLAG_CHOICE, .target = &choice, .choices = "sgd|adam"},
        {.name = "--size", .kind = FLAG_SIZE, .target = size2, .min = 160, .max = 8192},
        {.name = "--save", .kind = FLAG_STRING, .target = &path},
        {.name = "--no-shuffle", .kind = FLAG_BOOL, .target = &flag},
    };
    int n_pos = 0;
    ClError err = {{0}};
    int rc = flags_parse(flags, (int)(sizeof flags / sizeof flags[0]), argc, argv, 1, positional, 2, &n_pos, "train", &err);
    if (rc != 0) {
        if (err.msg[0] == '\0' || strchr(err.msg, '\n')) abort();
    } else {
        if (epochs < 1 || epochs > 100000 || !(lr >= 0 && lr <= 1e6) || !isfinite(lr) || choice < 0 || choice > 1) abort();
        if ((size2[0] || size2[1]) && (size2[0] < 160 || size2[0] > 8192 || size2[1] < 160 || size2[1] > 8192)) abort();
        if (path && path[0] == '\0') abort();
        if (n_pos < 0 || n_pos > 2) abort();
    }
    free(buf);
    return 0;
}
