/* libFuzzer target: checkpoint loading from arbitrary bytes (the safetensors
 * reader plus checkpoint.c's checks of names, dtypes, shapes and values).
 * Invariants: a failure gives one non-empty line and leaves the weights
 * untouched; a success loads only finite values.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_DEFAULT_SOURCE -Isrc -I/usr/include/cjson \
 *     tests/fuzz/fuzz_checkpoint.c src/engine/{checkpoint,safetensors,net,conv2d,pool2d,layers,rng,optim,error}.c \
 *     -o fuzz_checkpoint -lcjson -lm -lpthread
 *   ./fuzz_checkpoint -max_total_time=60 tests/fuzz/corpus/checkpoint
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/checkpoint.h"

static Net net;
static float *before;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!before) {
        ClError e;
        if (net_build_cnnnet(&net, false, 1, &e) != 0) abort();
        net_init_params(&net, 1);
        before = malloc(sizeof(float) * (size_t)net.n_params);
    }
    memcpy(before, net.params, sizeof(float) * (size_t)net.n_params);
    ClError err = {{0}};
    CheckpointMeta meta;
    if (checkpoint_load_bytes(&net, data, size, "fuzz", &meta, &err) != 0) {
        if (err.msg[0] == '\0' || strchr(err.msg, '\n')) abort();
        if (memcmp(before, net.params, sizeof(float) * (size_t)net.n_params) != 0) abort();
    } else {
        for (long i = 0; i < net.n_params; i++)
            if (!isfinite(net.params[i])) abort();
        if (meta.n < 0 || meta.n > CHECKPOINT_MAX_META) abort();
    }
    return 0;
}
