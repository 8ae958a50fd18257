/* libFuzzer target: the net-file parser and the shape inference (netfile_parse
 * from memory, at batch 4 and at a batch taken from the input), then the
 * canonical call of every layer parsed back. Invariants: an error is one
 * non-empty line starting with the path; a parsed net ends with [N, 10], has
 * at most the documented layers and parameters, its tensors tile the
 * parameter block, and the canonical form of each layer parses to the same
 * form and parameter count. ASan/UBSan catch the rest.
 * Built and run by tests/fuzz/run.sh (make fuzz).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/netfile.h"

#define CHECK(c) \
    do { \
        if (!(c)) { fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); abort(); } \
    } while (0)

static NetSpec spec, again; // 100 KB each: not on the stack

static void check_error(const ClError *err) {
    CHECK(err->msg[0] && !strchr(err->msg, '\n'));
    CHECK(strncmp(err->msg, "fuzz.net", 8) == 0);
}

static void check_spec(const NetSpec *s, int batch) {
    CHECK(s->n_layers >= 1 && s->n_layers <= NETFILE_MAX_LAYERS);
    CHECK(s->n_params <= NETFILE_MAX_PARAMS);
    const LayerSpec *last = &s->layers[s->n_layers - 1];
    CHECK(last->out_flat && last->out_c == NETFILE_CLASSES);
    long offset = 0;
    for (int k = 0; k < s->n_tensors; k++)
        if (s->tensors[k].learnable) {
            CHECK(s->tensors[k].offset == offset);
            offset += s->tensors[k].numel;
        }
    CHECK(offset == s->n_params);
    // Each layer's canonical call, with the same names, is the same net.
    static char text[NETFILE_MAX_LAYERS * (NETFILE_TEXT_MAX + NETFILE_NAME_MAX + 8)];
    size_t len = 0;
    for (int i = 0; i < s->n_layers; i++) {
        char call[NETFILE_TEXT_MAX];
        netfile_format_call(call, sizeof call, &s->layers[i]);
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%s%s%s\n", s->layers[i].name[0] ? "(" : "",
                                s->layers[i].name, s->layers[i].name[0] ? "): " : "", call);
    }
    ClError err = {{0}};
    if (netfile_parse(&again, "fuzz.net", text, batch, &err) != 0) {
        fprintf(stderr, "the canonical form fails: %s\n%s", err.msg, text);
        abort();
    }
    CHECK(again.n_params == s->n_params && again.n_layers == s->n_layers && again.n_tensors == s->n_tensors);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > NETFILE_MAX_BYTES || memchr(data, 0, size)) return 0; // netfile_load refuses these
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    int batches[2] = {4, size ? 1 + data[0] % 64 : 1};
    for (int b = 0; b < 2; b++) {
        ClError err = {{0}};
        if (netfile_parse(&spec, "fuzz.net", text, batches[b], &err) != 0) check_error(&err);
        else check_spec(&spec, batches[b]);
    }
    free(text);
    return 0;
}
