/* libFuzzer target: the option-table parser (src/app/flags.c) with a table
 * holding every flag kind, as the commands use it. The input is split at
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

typedef struct {
    int epochs, choice, size[2], n_set;
    double lr;
    uint64_t seed;
    bool flag, lr_seen;
    const char *path;
} Args;

static int count_set(void *args, const char *value, ClError *err) {
    if (!strchr(value, '=')) return cl_fail(err, "--set needs KEY=VALUE");
    ((Args *)args)->n_set++;
    return 0;
}

static const Flag FLAGS[] = {
    {.name = "--epochs", .kind = FLAG_INT, .offset = offsetof(Args, epochs), .min = 1, .max = 100000},
    {.name = "--lr", .kind = FLAG_FLOAT, .offset = offsetof(Args, lr), .min = 0, .max = 1e6, .seen = FLAG_SEEN(Args, lr_seen)},
    {.name = "--seed", .kind = FLAG_U64, .offset = offsetof(Args, seed)},
    {.name = "--optimizer", .kind = FLAG_CHOICE, .offset = offsetof(Args, choice), .choices = "sgd|adam"},
    {.name = "--size", .kind = FLAG_SIZE, .offset = offsetof(Args, size), .min = 160, .max = 8192},
    {.name = "--save", .kind = FLAG_STRING, .offset = offsetof(Args, path)},
    {.name = "--no-shuffle", .kind = FLAG_BOOL, .offset = offsetof(Args, flag)},
    {.name = "--set", .kind = FLAG_CALL, .apply = count_set},
};
static const Command COMMAND = {.name = "train", .usage = "", .summary = "", .flags = FLAGS, .n_flags = FLAG_COUNT(FLAGS),
                                .max_positional = 2};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    argv[argc++] = "train";
    for (char *p = buf; p <= buf + size && argc < MAX_ARGS; p += strlen(p) + 1) argv[argc++] = p;
    argv[argc] = NULL;

    Args a = {.epochs = 2, .lr = 0.001};
    const char *positional[2];
    int n_pos = 0;
    ClError err = {{0}};
    int rc = flags_parse(&COMMAND, &a, argc, argv, 1, positional, &n_pos, &err);
    if (rc != 0) {
        if (err.msg[0] == '\0' || strchr(err.msg, '\n')) abort();
    } else {
        if (a.epochs < 1 || a.epochs > 100000 || !(a.lr >= 0 && a.lr <= 1e6) || !isfinite(a.lr) || a.choice < 0 || a.choice > 1) abort();
        if ((a.size[0] || a.size[1]) && (a.size[0] < 160 || a.size[0] > 8192 || a.size[1] < 160 || a.size[1] > 8192)) abort();
        if (a.path && a.path[0] == '\0') abort();
        if (a.n_set > 64) abort();
        if (n_pos < 0 || n_pos > 2) abort();
    }
    free(buf);
    return 0;
}
