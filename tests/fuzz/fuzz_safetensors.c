/* libFuzzer target: the safetensors reader (st_parse) and checkpoint loading
 * through it (checkpoint_load_bytes), from arbitrary bytes.
 * Invariants of st_parse: a failure is one non-empty line and leaves the StFile
 * empty; a success describes tensors that lie inside the data buffer, tile it
 * exactly in file order, and have nbytes = numel x dtype size; metadata and
 * names hold no control characters (they are quoted in one-line messages).
 * Checkpoint loading: a failure is one line and leaves the weights untouched.
 * Built and run by tests/fuzz/run.sh (make fuzz).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/checkpoint.h"
#include "engine/safetensors.h"

// An invariant that fails names itself before libFuzzer records the input.
#define CHECK(c) \
    do { \
        if (!(c)) { fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); abort(); } \
    } while (0)

static Net net;
static float *before;

static void check_one_line(const char *msg) {
    CHECK(msg[0] != '\0' && !strchr(msg, '\n'));
}

static bool clean(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return false;
    return true;
}

// A metadata value may span lines (a checkpoint's "net" is a net file), nothing else.
static bool clean_value(const char *s) {
    for (; *s; s++)
        if (((unsigned char)*s < 0x20 && *s != '\n') || *s == 0x7f) return false;
    return true;
}

static void check_file(const StFile *f, size_t size) {
    CHECK(f->size == size && f->buf);
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; i--) header_len = header_len << 8 | f->buf[i];
    const uint8_t *data = f->buf + 8 + header_len, *end = f->buf + size;
    const uint8_t *expect = data;
    for (int i = 0; i < f->n_tensors; i++) {
        const StTensor *t = &f->tensors[i];
        CHECK(clean(t->name) && t->ndim >= 0 && t->ndim <= ST_MAX_DIMS);
        CHECK((const uint8_t *)t->data == expect);        // file order, no gaps, no overlaps
        CHECK(t->nbytes <= (size_t)(end - expect));        // inside the buffer
        CHECK((uint64_t)st_numel(t) * st_dtype_size(t->dtype) == t->nbytes);
        CHECK(st_find(f, t->name) != NULL);
        expect += t->nbytes;
    }
    CHECK(expect == end);
    for (int i = 0; i < f->n_meta; i++) {
        CHECK(clean(f->meta[i].key) && clean_value(f->meta[i].value));
        CHECK(st_meta(f, f->meta[i].key) != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!before) {
        ClError e;
        CHECK(net_build_cnnnet(&net, false, 1, &e) == 0);
        net_init_params(&net, 1);
        before = malloc(sizeof(float) * (size_t)net.n_params);
    }
    StFile f;
    ClError err = {{0}};
    if (st_parse(&f, data, size, "fuzz.safetensors", &err) != 0) {
        check_one_line(err.msg);
        CHECK(!f.buf && !f.tensors && !f.meta && f.n_tensors == 0 && f.n_meta == 0);
    } else {
        check_file(&f, size);
        st_free(&f);
    }

    memcpy(before, net.params, sizeof(float) * (size_t)net.n_params);
    ClError cerr = {{0}};
    CheckpointMeta meta;
    if (checkpoint_load_bytes(&net, data, size, "fuzz.safetensors", &meta, &cerr) != 0) {
        check_one_line(cerr.msg);
        CHECK(memcmp(before, net.params, sizeof(float) * (size_t)net.n_params) == 0);
    }
    return 0;
}
