/* libFuzzer target: the CIFAR-10 record parser (cifar_parse_records, which
 * cifar_read_file uses for every chunk of a batch file) and the transform.
 * The first input byte picks max_records; the rest are the records.
 * Invariants: success iff the size is a whole number of records with labels
 * 0-9; on success the records are copied exactly and normalize to [-1, 1];
 * on failure one line of message and the set unchanged.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_DEFAULT_SOURCE -Isrc \
 *     tests/fuzz/fuzz_cifar.c src/engine/cifar.c src/engine/error.c -o fuzz_cifar -lpthread
 *   ./fuzz_cifar -max_total_time=60 tests/fuzz/corpus/cifar
 */
#include <stdlib.h>
#include <string.h>

#include "engine/cifar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int max_records = (int)data[0] - 1; // -1 .. 254 (<= 0: all)
    data++, size--;
    CifarSet set = {0};
    ClError err = {{0}};
    int rc = cifar_parse_records(&set, data, size, max_records, "fuzz", &err);
    int whole = size % CIFAR_RECORD == 0;
    int labels_ok = 1;
    for (size_t r = 0; whole && r < size / CIFAR_RECORD; r++) labels_ok &= data[r * CIFAR_RECORD] < CIFAR_CLASSES;
    if ((rc == 0) != (whole && labels_ok)) abort();
    if (rc != 0) {
        if (set.n != 0 || err.msg[0] == '\0' || strchr(err.msg, '\n')) abort();
    } else {
        int n = (int)(size / CIFAR_RECORD);
        int want = max_records <= 0 || max_records > n ? n : max_records;
        if (set.n != want) abort();
        for (int r = 0; r < set.n; r++) {
            if (set.labels[r] != data[(size_t)r * CIFAR_RECORD]) abort();
            if (memcmp(set.pixels + (size_t)r * CIFAR_PIXELS, data + (size_t)r * CIFAR_RECORD + 1, CIFAR_PIXELS)) abort();
        }
        if (set.n > 0) {
            int count = set.n < 4 ? set.n : 4;
            float *out = malloc(sizeof(float) * (size_t)count * CIFAR_PIXELS);
            uint8_t labels[4];
            cifar_normalize_batch(out, labels, &set, NULL, count);
            for (long i = 0; i < (long)count * CIFAR_PIXELS; i++)
                if (!(out[i] >= -1.0f && out[i] <= 1.0f)) abort();
            free(out);
        }
    }
    cifar_set_free(&set);
    return 0;
}
