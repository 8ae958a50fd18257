/* The safetensors reader on hand-made byte strings: well-formed files, and the
 * malformed ones a fuzzer or a damaged disk produces (each must be refused
 * with a one-line message, never read out of bounds).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/safetensors.h"

// Builds header-length + header + data bytes into out; returns the size.
static size_t make_file(uint8_t *out, const char *header, const void *data, size_t data_len) {
    size_t h = strlen(header);
    for (int i = 0; i < 8; i++) out[i] = (uint8_t)((uint64_t)h >> (8 * i));
    memcpy(out + 8, header, h);
    memcpy(out + 8 + h, data, data_len);
    return 8 + h + data_len;
}

static const float TWO[2] = {1.5f, -2.0f};

Test(safetensors, parses_tensor_and_metadata) {
    uint8_t buf[256];
    size_t n = make_file(buf, "{\"__metadata__\":{\"k\":\"v\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", TWO, 8);
    StFile f;
    ClError err = {0};
    cr_assert_eq(st_parse(&f, buf, n, "mem", &err), 0, "%s", err.msg);
    const StTensor *t = st_find(&f, "w");
    cr_assert(t && t->dtype == ST_F32 && t->ndim == 1 && t->shape[0] == 2);
    float second; // the data of a hand-made file need not be 4-byte aligned
    memcpy(&second, (const char *)t->data + sizeof second, sizeof second);
    cr_assert_eq(second, -2.0f);
    cr_assert_str_eq(st_meta(&f, "k"), "v");
    st_free(&f);
}

static void expect_refused(const char *header, size_t data_len, const char *phrase) {
    uint8_t buf[512];
    float zeros[8] = {0};
    size_t n = make_file(buf, header, zeros, data_len);
    StFile f;
    ClError err = {0};
    cr_assert_eq(st_parse(&f, buf, n, "mem", &err), -1, "accepted: %s", header);
    cr_assert(strstr(err.msg, phrase) != NULL, "message \"%s\" lacks \"%s\"", err.msg, phrase);
    cr_assert(strchr(err.msg, '\n') == NULL, "message is not one line: %s", err.msg);
}

Test(safetensors, refuses_malformed_headers) {
    expect_refused("{\"__metadata__\":{\"a\":\"1\"},\"__metadata__\":{\"b\":\"2\",\"c\":\"3\"}}", 0, "appears twice");
    expect_refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "not a valid JSON");
    expect_refused("{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "dtype F16");
    expect_refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "need 12");
    expect_refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8, "outside");
    expect_refused("{\"w\\n\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "control characters");
    expect_refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "after the last tensor");
    expect_refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                   "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "overlaps");
}

Test(safetensors, refuses_impossible_header_length) {
    uint8_t buf[16] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, '{', '}'};
    StFile f;
    ClError err = {0};
    cr_assert_eq(st_parse(&f, buf, sizeof buf, "mem", &err), -1);
    cr_assert(strstr(err.msg, "header length") != NULL, "%s", err.msg);
    cr_assert_eq(st_parse(&f, buf, 5, "mem", &err), -1);
    cr_assert(strstr(err.msg, "too short") != NULL, "%s", err.msg);
}

Test(safetensors, write_then_read_round_trip) {
    char path[] = "/tmp/convlab-st-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    int64_t idx[3] = {7, -1, 1LL << 40};
    StTensor ts[2] = {
        {.name = "f", .dtype = ST_F32, .ndim = 2, .shape = {1, 2}, .nbytes = 8, .data = TWO},
        {.name = "i", .dtype = ST_I64, .ndim = 1, .shape = {3}, .nbytes = 24, .data = idx},
    };
    StMeta meta = {"epoch", "3"};
    ClError err = {0};
    cr_assert_eq(st_write(path, ts, 2, &meta, 1, &err), 0, "%s", err.msg);
    StFile f;
    cr_assert_eq(st_read(&f, path, &err), 0, "%s", err.msg);
    cr_assert_eq(f.n_tensors, 2);
    cr_assert_eq(memcmp(st_find(&f, "f")->data, TWO, 8), 0);
    cr_assert_eq(memcmp(st_find(&f, "i")->data, idx, 24), 0);
    cr_assert_str_eq(st_meta(&f, "epoch"), "3");
    st_free(&f);
    remove(path);
}
