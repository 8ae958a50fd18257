/* Checkpoint tests: save/load round trip with metadata; a state_dict written by
 * PyTorch (tests/gen_checkpoint_fixtures.py) loads and gives torch's logits;
 * every corrupt or mismatched file (bad header length, bad JSON, wrong shape,
 * wrong dtype, truncated data, missing tensor, extra tensor, NaN) is refused
 * with a message naming the offending tensor, and the weights stay unchanged.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/checkpoint.h"
#include "engine/net.h"
#include "engine/safetensors.h"
#include "testutil.h"

static char tmpdir[256];
static Net net;

static void setup(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/convlab-test-ckpt.XXXXXX");
    cr_assert(mkdtemp(tmpdir) != NULL);
    ClError err = {0};
    cr_assert_eq(net_build_cnnnet(&net, false, 4, &err), 0, "%s", err.msg);
}

static void teardown(void) {
    net_free(&net);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
}

TestSuite(checkpoint, .init = setup, .fini = teardown);

static void tmp_path(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", tmpdir, name); }

// A recognisable pattern, so a load that touched the weights is caught.
static void fill_sentinel(Net *n) {
    for (long i = 0; i < n->n_params; i++) n->params[i] = 0.25f + (float)(i % 97);
}

static void expect_sentinel(const Net *n) {
    for (long i = 0; i < n->n_params; i++)
        cr_assert_eq(n->params[i], 0.25f + (float)(i % 97), "a failed load changed params[%ld]", i);
}

// Loads path into the sentinel-filled net, expects failure with each fragment.
static void expect_load_error(const char *path, const char *frag1, const char *frag2) {
    fill_sentinel(&net);
    ClError err = {0};
    cr_assert_eq(checkpoint_load(&net, path, &err), -1, "loading %s should fail", path);
    if (frag1) cr_assert(strstr(err.msg, frag1), "message lacks \"%s\": %s", frag1, err.msg);
    if (frag2) cr_assert(strstr(err.msg, frag2), "message lacks \"%s\": %s", frag2, err.msg);
    cr_assert(strchr(err.msg, '\n') == NULL, "not one line: %s", err.msg);
    expect_sentinel(&net);
}

// The net's tensors as safetensors entries (pointing into its params).
static int net_st_tensors(const Net *n, StTensor *st) {
    NetTensor nt[NET_MAX_TENSORS];
    int count = net_tensors(n, nt);
    for (int i = 0; i < count; i++) {
        memset(&st[i], 0, sizeof st[i]);
        snprintf(st[i].name, sizeof st[i].name, "%.*s", (int)sizeof nt[i].name, nt[i].name);
        st[i].dtype = ST_F32;
        st[i].ndim = nt[i].ndim;
        for (int d = 0; d < nt[i].ndim; d++) st[i].shape[d] = nt[i].shape[d];
        st[i].nbytes = (size_t)nt[i].numel * 4;
        st[i].data = n->params + nt[i].offset;
    }
    return count;
}

static int find_st(StTensor *st, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strcmp(st[i].name, name) == 0) return i;
    cr_assert_fail("no tensor %s", name);
    return -1;
}

static void write_st(const char *path, const StTensor *st, int n) {
    ClError err = {0};
    cr_assert_eq(st_write(path, st, n, NULL, 0, &err), 0, "%s", err.msg);
}

// ---- good files ---------------------------------------------------------------

Test(checkpoint, names_and_shapes_are_the_state_dict) {
    NetTensor nt[NET_MAX_TENSORS];
    int n = net_tensors(&net, nt);
    cr_assert_eq(n, 8);
    const char *names[8] = {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                            "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"};
    long numel[8] = {8 * 3 * 5 * 5, 8, 16 * 8 * 3 * 3, 16, 128 * 576, 128, 10 * 128, 10};
    for (int i = 0; i < 8; i++) {
        cr_assert_str_eq(nt[i].name, names[i]);
        cr_assert_eq(nt[i].numel, numel[i], "%s", names[i]);
    }
    char path[512];
    tmp_path(path, sizeof path, "a.safetensors");
    ClError err = {0};
    net_init_params(&net, 1);
    cr_assert_eq(checkpoint_save(&net, path, &err), 0, "%s", err.msg);
    StFile f;
    cr_assert_eq(st_read(&f, path, &err), 0, "%s", err.msg);
    cr_assert_eq(f.n_tensors, 8);
    const StTensor *w = st_find(&f, "conv1.weight");
    cr_assert(w && w->dtype == ST_F32 && w->ndim == 4);
    cr_assert(w->shape[0] == 8 && w->shape[1] == 3 && w->shape[2] == 5 && w->shape[3] == 5);
    w = st_find(&f, "fc1.weight");
    cr_assert(w && w->ndim == 2 && w->shape[0] == 128 && w->shape[1] == 576);
    cr_assert_str_eq(st_meta(&f, "format"), "pt");
    cr_assert_str_eq(st_meta(&f, "model"), "cnnnet");
    cr_assert(strstr(st_meta(&f, "net"), "(conv1): Conv2d(3, 8, 5)\n(relu1): ReLU()\n") == st_meta(&f, "net"), "%s", st_meta(&f, "net"));
    st_free(&f);
}

Test(checkpoint, round_trip_with_metadata) {
    net_init_params(&net, 7);
    char path[512];
    tmp_path(path, sizeof path, "rt.safetensors");
    ClError err = {0};
    StMeta extra[2] = {{"epoch", "2"}, {"step", "25000"}};
    cr_assert_eq(checkpoint_save_meta(&net, path, extra, 2, &err), 0, "%s", err.msg);

    Net other;
    cr_assert_eq(net_build_cnnnet(&other, true, 1, &err), 0, "%s", err.msg);
    CheckpointMeta meta;
    cr_assert_eq(checkpoint_load_meta(&other, path, &meta, &err), 0, "%s", err.msg);
    cr_assert_eq(other.n_params, 76922);
    cr_assert(memcmp(other.params, net.params, sizeof(float) * 76922) == 0, "weights differ after a round trip");
    cr_assert_str_eq(checkpoint_meta_get(&meta, "epoch"), "2");
    cr_assert_str_eq(checkpoint_meta_get(&meta, "step"), "25000");
    cr_assert_str_eq(checkpoint_meta_get(&meta, "convlab_version"), CONVLAB_VERSION);
    cr_assert_null(checkpoint_meta_get(&meta, "nope"));
    net_free(&other);

    // No temporary file is left next to the checkpoint.
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        files++;
        cr_assert_str_eq(e->d_name, "rt.safetensors");
    }
    closedir(d);
    cr_assert_eq(files, 1);

    // Saving again over it replaces it.
    net_init_params(&net, 8);
    cr_assert_eq(checkpoint_save(&net, path, &err), 0, "%s", err.msg);
    fill_sentinel(&net);
    Net fresh;
    cr_assert_eq(net_build_cnnnet(&fresh, false, 1, &err), 0);
    net_init_params(&fresh, 8);
    cr_assert_eq(checkpoint_load(&net, path, &err), 0, "%s", err.msg);
    cr_assert(memcmp(fresh.params, net.params, sizeof(float) * 76922) == 0);
    net_free(&fresh);
}

Test(checkpoint, torch_state_dict_loads_and_gives_torch_logits) {
    ClError err = {0};
    fill_sentinel(&net);
    cr_assert_eq(checkpoint_load(&net, "fixtures/ckpt_torch_cnnnet.safetensors", &err), 0, "%s", err.msg);
    StFile ref, io;
    fixture_open(&ref, "ckpt_torch_cnnnet.safetensors");
    NetTensor nt[NET_MAX_TENSORS];
    int n = net_tensors(&net, nt);
    for (int i = 0; i < n; i++) {
        int64_t numel;
        const float *want = fixture_f32(&ref, nt[i].name, &numel);
        cr_assert_eq(numel, nt[i].numel);
        cr_assert(memcmp(net.params + nt[i].offset, want, (size_t)numel * 4) == 0, "%s differs", nt[i].name);
    }
    fixture_open(&io, "ckpt_torch_cnnnet_io.safetensors");
    int64_t n_in, n_logits;
    const float *x = fixture_f32(&io, "input", &n_in);
    const float *want = fixture_f32(&io, "logits", &n_logits);
    int N = (int)(n_in / (3 * 32 * 32));
    cr_assert_eq(N, 3);
    const float *logits = net_forward(&net, x, N);
    cr_assert(allclose(logits, want, n_logits, 1e-5f, 1e-4f, "logits of the torch weights"));
    st_free(&ref);
    st_free(&io);
}

// ---- bad files -------------------------------------------------------------------

Test(checkpoint, missing_file) {
    char path[512];
    tmp_path(path, sizeof path, "nope.safetensors");
    expect_load_error(path, "nope.safetensors: cannot open", NULL);
}

Test(checkpoint, bad_header_length) {
    expect_load_error("fixtures/ckpt_bad_header_len.safetensors", "ckpt_bad_header_len.safetensors: header length", NULL);
    char path[512];
    tmp_path(path, sizeof path, "tiny.safetensors");
    FILE *fp = fopen(path, "wb");
    fwrite("abc", 1, 3, fp);
    fclose(fp);
    expect_load_error(path, "too short", NULL);
}

Test(checkpoint, bad_json) {
    expect_load_error("fixtures/ckpt_bad_json.safetensors", "ckpt_bad_json.safetensors", "not a valid JSON");
}

Test(checkpoint, wrong_shape_names_the_tensor) {
    StTensor st[NET_MAX_TENSORS];
    int n = net_st_tensors(&net, st);
    int k = find_st(st, n, "conv1.weight");
    st[k].shape[2] = st[k].shape[3] = 3;
    st[k].nbytes = 8 * 3 * 3 * 3 * 4;
    char path[512];
    tmp_path(path, sizeof path, "ckpt.safetensors");
    write_st(path, st, n);
    expect_load_error(path, "ckpt.safetensors: conv1.weight has shape [8,3,3,3], expected [8,3,5,5]", NULL);

    // Same element count, different shape (fc1 transposed) is also refused.
    n = net_st_tensors(&net, st);
    k = find_st(st, n, "fc1.weight");
    st[k].shape[0] = 576, st[k].shape[1] = 128;
    write_st(path, st, n);
    expect_load_error(path, "fc1.weight has shape [576,128], expected [128,576]", NULL);
}

Test(checkpoint, wrong_dtype_names_the_tensor) {
    StTensor st[NET_MAX_TENSORS];
    int n = net_st_tensors(&net, st);
    st[find_st(st, n, "conv2.bias")].dtype = ST_I32;
    char path[512];
    tmp_path(path, sizeof path, "i32.safetensors");
    write_st(path, st, n);
    expect_load_error(path, "conv2.bias has dtype I32, expected F32", NULL);

    // F64 (a common slip: saving a double model): rewrite the first "F32" of the header.
    n = net_st_tensors(&net, st);
    tmp_path(path, sizeof path, "f64.safetensors");
    write_st(path, st, n);
    FILE *fp = fopen(path, "r+b");
    char head[256];
    cr_assert_eq(fread(head, 1, sizeof head, fp), sizeof head);
    char *at = NULL;
    for (size_t i = 0; i + 5 <= sizeof head && !at; i++)
        if (memcmp(head + i, "\"F32\"", 5) == 0) at = head + i;
    cr_assert(at != NULL);
    fseek(fp, (long)(at - head) + 2, SEEK_SET);
    fputs("64", fp);
    fclose(fp);
    expect_load_error(path, "dtype F64", NULL);
}

Test(checkpoint, truncated_data) {
    net_init_params(&net, 3);
    char path[512];
    tmp_path(path, sizeof path, "trunc.safetensors");
    ClError err = {0};
    cr_assert_eq(checkpoint_save(&net, path, &err), 0, "%s", err.msg);
    FILE *fp = fopen(path, "rb");
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fclose(fp);
    cr_assert_eq(truncate(path, size - 100), 0);
    expect_load_error(path, "trunc.safetensors", "truncated");
    cr_assert_eq(truncate(path, 4), 0);
    expect_load_error(path, "too short", NULL);
}

Test(checkpoint, missing_tensor) {
    StTensor st[NET_MAX_TENSORS];
    int n = net_st_tensors(&net, st);
    char path[512];
    tmp_path(path, sizeof path, "missing.safetensors");
    write_st(path, st, n - 1); // without fc2.bias
    expect_load_error(path, "missing tensor fc2.bias", "saved from a different network");
}

Test(checkpoint, extra_tensor) {
    StTensor st[NET_MAX_TENSORS + 1];
    int n = net_st_tensors(&net, st);
    float extra[4] = {1, 2, 3, 4};
    st[n] = (StTensor){.name = "fc3.weight", .dtype = ST_F32, .ndim = 1, .shape = {4}, .nbytes = 16, .data = extra};
    char path[512];
    tmp_path(path, sizeof path, "extra.safetensors");
    write_st(path, st, n + 1);
    expect_load_error(path, "unexpected tensor fc3.weight", NULL);
    // A renamed tensor: both lists in one line.
    snprintf(st[0].name, sizeof st[0].name, "features.0.weight");
    write_st(path, st, n);
    expect_load_error(path, "missing tensor conv1.weight and unexpected tensor features.0.weight", NULL);
}

Test(checkpoint, non_finite_weights) {
    net_init_params(&net, 4);
    NetTensor nt[NET_MAX_TENSORS];
    net_tensors(&net, nt);
    net.params[nt[3].offset + 3] = 0.0f / 0.0f; // conv2.bias[3]
    char path[512];
    tmp_path(path, sizeof path, "nan.safetensors");
    ClError err = {0};
    cr_assert_eq(checkpoint_save(&net, path, &err), 0, "%s", err.msg);
    expect_load_error(path, "conv2.bias[3] is NaN", "earlier checkpoint");
}

Test(checkpoint, save_into_missing_directory_fails_cleanly) {
    char path[512];
    tmp_path(path, sizeof path, "no/such/dir/ckpt.safetensors");
    ClError err = {0};
    cr_assert_eq(checkpoint_save(&net, path, &err), -1);
    cr_assert(strstr(err.msg, "cannot create"), "%s", err.msg);
}

Test(checkpoint, load_from_memory_matches_file) {
    FILE *fp = fopen("fixtures/ckpt_torch_cnnnet.safetensors", "rb");
    cr_assert(fp != NULL);
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    rewind(fp);
    uint8_t *bytes = malloc((size_t)size);
    cr_assert_eq(fread(bytes, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    ClError err = {0};
    CheckpointMeta meta;
    cr_assert_eq(checkpoint_load_bytes(&net, bytes, (size_t)size, "mem", &meta, &err), 0, "%s", err.msg);
    cr_assert_str_eq(checkpoint_meta_get(&meta, "format"), "pt");
    Net from_file;
    cr_assert_eq(net_build_cnnnet(&from_file, false, 1, &err), 0);
    cr_assert_eq(checkpoint_load(&from_file, "fixtures/ckpt_torch_cnnnet.safetensors", &err), 0, "%s", err.msg);
    cr_assert(memcmp(from_file.params, net.params, sizeof(float) * 76922) == 0);
    net_free(&from_file);
    // A cut image fails with the label in the message and leaves the weights.
    fill_sentinel(&net);
    cr_assert_eq(checkpoint_load_bytes(&net, bytes, (size_t)size - 4, "mem", NULL, &err), -1);
    cr_assert(strstr(err.msg, "mem: "), "%s", err.msg);
    expect_sentinel(&net);
    free(bytes);
}
