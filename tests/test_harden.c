/* Hardening (issue 7) regressions at the unit level: the inputs the fuzzers
 * found (tests/fuzz/) stay one-line errors, and an interrupted checkpoint save
 * (the file-size limit reached mid-write, as on a full disk) fails cleanly,
 * leaves the previous checkpoint byte-for-byte intact and no temporary file.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engine/checkpoint.h"
#include "engine/safetensors.h"

// A safetensors image: 8-byte little-endian header length, the JSON, then data_size zero bytes.
static size_t make_file(uint8_t *out, size_t cap, const char *json, size_t data_size) {
    size_t n = strlen(json);
    cr_assert(8 + n + data_size <= cap);
    for (int i = 0; i < 8; i++) out[i] = (uint8_t)((uint64_t)n >> (8 * i));
    memcpy(out + 8, json, n);
    memset(out + 8 + n, 0, data_size);
    return 8 + n + data_size;
}

// st_parse must fail with one line containing frag, and own nothing afterwards.
static void expect_parse_error(const char *json, size_t data_size, const char *frag) {
    static uint8_t buf[4096];
    size_t size = make_file(buf, sizeof buf, json, data_size);
    StFile f;
    ClError err = {{0}};
    cr_assert_eq(st_parse(&f, buf, size, "t.safetensors", &err), -1, "accepted: %s", json);
    cr_assert(strstr(err.msg, frag), "message lacks \"%s\": %s", frag, err.msg);
    cr_assert_null(strchr(err.msg, '\n'), "not one line: %s", err.msg);
    cr_assert(f.buf == NULL && f.tensors == NULL && f.meta == NULL);
}

Test(harden_safetensors, metadata_key_with_newline_stays_one_line) {
    // found by fuzz_safetensors: the key was quoted in "metadata value of ... must be a string"
    expect_parse_error("{\"__metadata__\":{\"f\\n\\norpe\":[4]}}", 0, "metadata key contains control characters");
}

Test(harden_safetensors, dtype_with_newline_is_not_quoted) {
    expect_parse_error("{\"a\":{\"dtype\":\"F\\n32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "has dtype (unreadable)");
}

Test(harden_safetensors, huge_shape_product_does_not_overflow) {
    // 1e12 x 1e12 overflowed int64 before the size check (UBSan)
    expect_parse_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000000000,1000000000000],\"data_offsets\":[0,4]}}", 4,
                       "implausibly large");
}

Test(harden_safetensors, fractional_offsets_are_refused) {
    expect_parse_error("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0.5,4.5]}}", 5, "data_offsets [");
}

Test(harden_safetensors, a_good_file_still_parses) {
    static uint8_t buf[256];
    size_t size = make_file(buf, sizeof buf,
                            "{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"U8\",\"shape\":[2,2],\"data_offsets\":[0,4]}}", 4);
    StFile f;
    ClError err = {{0}};
    cr_assert_eq(st_parse(&f, buf, size, "t.safetensors", &err), 0, "%s", err.msg);
    cr_assert_eq(f.n_tensors, 1);
    cr_assert_eq(st_numel(&f.tensors[0]), 4);
    cr_assert_str_eq(st_meta(&f, "k"), "v");
    st_free(&f);
}

// ---- atomic save --------------------------------------------------------------

Test(harden_checkpoint, save_cut_short_keeps_the_previous_file) {
    char dir[] = "/tmp/convlab-harden-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/c.safetensors", dir);
    Net net;
    ClError err = {{0}};
    cr_assert_eq(net_build_cnnnet(&net, false, 1, &err), 0, "%s", err.msg);
    net_init_params(&net, 1);
    cr_assert_eq(checkpoint_save(&net, path, &err), 0, "%s", err.msg);
    FILE *fp = fopen(path, "rb");
    static uint8_t before[400000], after[400000];
    size_t n_before = fread(before, 1, sizeof before, fp);
    fclose(fp);
    cr_assert(n_before > 300000);

    // Writes past 64 KB fail with EFBIG (SIGXFSZ ignored), half-way through the new file.
    // Criterion runs each test in its own process, so the limit ends with the test.
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {64 * 1024, 64 * 1024};
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    net_init_params(&net, 2);
    cr_assert_eq(checkpoint_save(&net, path, &err), -1, "a save past the file-size limit succeeded");
    cr_assert(strstr(err.msg, "write failed") && strstr(err.msg, "untouched"), "%s", err.msg);
    cr_assert_null(strchr(err.msg, '\n'));

    fp = fopen(path, "rb");
    size_t n_after = fread(after, 1, sizeof after, fp);
    fclose(fp);
    cr_assert(n_after == n_before && memcmp(before, after, n_before) == 0, "the previous checkpoint changed");
    DIR *d = opendir(dir);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') { files++; cr_assert_str_eq(e->d_name, "c.safetensors", "left behind: %s", e->d_name); }
    closedir(d);
    cr_assert_eq(files, 1);
    // and the previous weights still load
    net_init_params(&net, 3);
    cr_assert_eq(checkpoint_load(&net, path, &err), 0, "%s", err.msg);
    Net ref;
    cr_assert_eq(net_build_cnnnet(&ref, false, 1, &err), 0);
    net_init_params(&ref, 1);
    cr_assert(memcmp(ref.params, net.params, sizeof(float) * (size_t)net.n_params) == 0);
    net_free(&ref);
    net_free(&net);
    remove(path);
    rmdir(dir);
}
