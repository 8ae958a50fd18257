/* CIFAR-10 loader tests on small files written here into a temp dir (good,
 * truncated, oversized, bad label, missing/short meta, missing dir and file),
 * the transform's bit-exactness against torchvision's arithmetic (fixture from
 * tests/gen_cifar_fixtures.py), and the real data when ../data holds it.
 * Batch files are sparse: zeros (label 0, black pixels) except the records a
 * test writes, so a "good" 30 MB file costs almost nothing on disk.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/cifar.h"
#include "testutil.h"

#define FILE_BYTES ((off_t)CIFAR_RECORDS_PER_FILE * CIFAR_RECORD)
static const char *TRAIN_NAMES[5] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                     "data_batch_4.bin", "data_batch_5.bin"};
static const char *META = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";

static char tmpdir[256];

static void make_tmpdir(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/convlab-test-cifar.XXXXXX");
    cr_assert(mkdtemp(tmpdir) != NULL);
}

static void remove_tmpdir(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
}

static void path_in(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", tmpdir, name); }

// A sparse batch file of `bytes` bytes (all zeros).
static void make_sparse(const char *name, off_t bytes) {
    char p[512];
    path_in(p, sizeof p, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(fd >= 0);
    cr_assert(ftruncate(fd, bytes) == 0);
    close(fd);
}

// Writes record r of file `name`: label, and every pixel byte = (fill + k) % 256.
static void write_record(const char *name, int r, uint8_t label, int fill) {
    char p[512];
    path_in(p, sizeof p, name);
    uint8_t rec[CIFAR_RECORD];
    rec[0] = label;
    for (int k = 0; k < CIFAR_PIXELS; k++) rec[1 + k] = (uint8_t)((fill + k) % 256);
    int fd = open(p, O_WRONLY);
    cr_assert(fd >= 0);
    cr_assert(pwrite(fd, rec, sizeof rec, (off_t)r * CIFAR_RECORD) == (ssize_t)sizeof rec);
    close(fd);
}

static void write_text(const char *name, const char *text) {
    char p[512];
    path_in(p, sizeof p, name);
    FILE *fp = fopen(p, "w");
    cr_assert(fp != NULL);
    fputs(text, fp);
    fclose(fp);
}

// A complete fake dataset: record 0 of data_batch_i has label i, test record 0 label 9.
static void make_dataset(void) {
    for (int i = 0; i < 5; i++) {
        make_sparse(TRAIN_NAMES[i], FILE_BYTES);
        write_record(TRAIN_NAMES[i], 0, (uint8_t)(i + 1), 10 * (i + 1));
    }
    make_sparse("test_batch.bin", FILE_BYTES);
    write_record("test_batch.bin", 0, 9, 7);
    write_text("batches.meta.txt", META);
}

static void check_pixels(const CifarSet *s, int i, int fill) {
    const uint8_t *px = s->pixels + (size_t)i * CIFAR_PIXELS;
    for (int k = 0; k < CIFAR_PIXELS; k++)
        cr_assert_eq(px[k], (uint8_t)((fill + k) % 256), "record %d pixel %d", i, k);
}

// Expects rc == -1 and every fragment in the message; prints it for the log.
static void expect_error(int rc, const ClError *err, const char *frag1, const char *frag2, const char *frag3) {
    cr_assert_eq(rc, -1, "expected a failure");
    const char *frags[3] = {frag1, frag2, frag3};
    for (int i = 0; i < 3; i++)
        if (frags[i]) cr_assert(strstr(err->msg, frags[i]) != NULL, "message lacks \"%s\": %s", frags[i], err->msg);
    cr_assert(strchr(err->msg, '\n') == NULL, "message is not one line: %s", err->msg);
}

TestSuite(cifar, .init = make_tmpdir, .fini = remove_tmpdir);

// ---- single files -----------------------------------------------------------

Test(cifar, read_file_good_and_appends) {
    make_sparse("a.bin", FILE_BYTES);
    write_record("a.bin", 0, 3, 11);
    write_record("a.bin", 1, 9, 200);
    write_record("a.bin", 9999, 5, 42);
    char p[512];
    path_in(p, sizeof p, "a.bin");
    CifarSet s = {0};
    ClError err = {0};
    cr_assert_eq(cifar_read_file(&s, p, 0, &err), 0, "%s", err.msg);
    cr_assert_eq(s.n, 10000);
    cr_assert_eq(s.labels[0], 3);
    cr_assert_eq(s.labels[1], 9);
    cr_assert_eq(s.labels[2], 0);
    cr_assert_eq(s.labels[9999], 5);
    check_pixels(&s, 0, 11);
    check_pixels(&s, 1, 200);
    check_pixels(&s, 9999, 42);
    // A second read with a limit appends its first records after the first 10,000.
    cr_assert_eq(cifar_read_file(&s, p, 2, &err), 0, "%s", err.msg);
    cr_assert_eq(s.n, 10002);
    cr_assert_eq(s.labels[10000], 3);
    cr_assert_eq(s.labels[10001], 9);
    check_pixels(&s, 10001, 200);
    cifar_set_free(&s);
    cr_assert_eq(s.n, 0);
}

Test(cifar, truncated_file_names_bytes) {
    make_sparse("short.bin", FILE_BYTES - 1);
    char p[512];
    path_in(p, sizeof p, "short.bin");
    CifarSet s = {0};
    ClError err = {0};
    expect_error(cifar_read_file(&s, p, 0, &err), &err, "short.bin: has 30729999 bytes, expected 30730000", "truncated",
                 "make data");
    cr_assert_eq(s.n, 0);
    cifar_set_free(&s);
}

Test(cifar, empty_file) {
    make_sparse("empty.bin", 0);
    char p[512];
    path_in(p, sizeof p, "empty.bin");
    CifarSet s = {0};
    ClError err = {0};
    expect_error(cifar_read_file(&s, p, 0, &err), &err, "has 0 bytes", "truncated", "make data");
}

Test(cifar, oversized_file_names_bytes) {
    make_sparse("big.bin", FILE_BYTES + 3073);
    char p[512];
    path_in(p, sizeof p, "big.bin");
    CifarSet s = {0};
    ClError err = {0};
    expect_error(cifar_read_file(&s, p, 0, &err), &err, "big.bin: has 30733073 bytes", "oversized", "make data");
    cifar_set_free(&s);
}

Test(cifar, bad_label_names_record_and_value) {
    make_sparse("bad.bin", FILE_BYTES);
    write_record("bad.bin", 1234, 10, 0);
    char p[512];
    path_in(p, sizeof p, "bad.bin");
    CifarSet s = {0};
    ClError err = {0};
    expect_error(cifar_read_file(&s, p, 0, &err), &err, "record 1234", "label 10", "make data");
    cr_assert_eq(s.n, 0, "a failed read must not add records");
    // Past the limit the label is still checked: the file is corrupt either way.
    write_record("bad.bin", 1234, 0, 0);
    write_record("bad.bin", 9999, 255, 0);
    expect_error(cifar_read_file(&s, p, 10, &err), &err, "record 9999", "label 255", NULL);
    cr_assert_eq(s.n, 0);
    cifar_set_free(&s);
}

Test(cifar, missing_file_and_directory_as_file) {
    char p[512];
    path_in(p, sizeof p, "nope.bin");
    CifarSet s = {0};
    ClError err = {0};
    expect_error(cifar_read_file(&s, p, 0, &err), &err, "nope.bin: cannot open", "make data", NULL);
    expect_error(cifar_read_file(&s, tmpdir, 0, &err), &err, "not a regular file", "make data", NULL);
    cifar_set_free(&s);
}

// ---- whole directory --------------------------------------------------------

Test(cifar, load_dir_with_limits) {
    make_dataset();
    write_record(TRAIN_NAMES[1], 2344, 7, 99); // overall record 12,344: the last under the limit
    Cifar c;
    ClError err = {0};
    cr_assert_eq(cifar_load(&c, tmpdir, 12345, 3, &err), 0, "%s", err.msg);
    cr_assert_eq(c.train.n, 12345);
    cr_assert_eq(c.test.n, 3);
    cr_assert_eq(c.train.labels[0], 1);
    cr_assert_eq(c.train.labels[10000], 2);
    cr_assert_eq(c.train.labels[12344], 7);
    check_pixels(&c.train, 10000, 20);
    check_pixels(&c.train, 12344, 99);
    cr_assert_eq(c.test.labels[0], 9);
    check_pixels(&c.test, 0, 7);
    cr_assert_str_eq(c.class_names[0], "airplane");
    cr_assert_str_eq(c.class_names[9], "truck");
    cifar_free(&c);

    cr_assert_eq(cifar_load(&c, tmpdir, 0, 0, &err), 0, "%s", err.msg);
    cr_assert_eq(c.train.n, 50000);
    cr_assert_eq(c.test.n, 10000);
    cr_assert_eq(c.train.labels[40000], 5);
    cifar_free(&c);

    cr_assert_eq(cifar_load_test(&c, tmpdir, 0, &err), 0, "%s", err.msg);
    cr_assert_eq(c.train.n, 0);
    cr_assert_eq(c.test.n, 10000);
    cifar_free(&c);
}

Test(cifar, missing_directory) {
    char p[512];
    path_in(p, sizeof p, "no-such-dir");
    Cifar c;
    ClError err = {0};
    expect_error(cifar_load(&c, p, 0, 0, &err), &err, "no-such-dir: no such directory", "make data", NULL);
    cr_assert_null(c.train.labels);
    cr_assert_null(c.test.pixels);
}

Test(cifar, missing_meta) {
    make_dataset();
    char p[512];
    path_in(p, sizeof p, "batches.meta.txt");
    unlink(p);
    Cifar c;
    ClError err = {0};
    expect_error(cifar_load(&c, tmpdir, 0, 0, &err), &err, "batches.meta.txt: cannot open", "make data", NULL);
}

Test(cifar, meta_with_wrong_name_count) {
    make_dataset();
    Cifar c;
    ClError err = {0};
    write_text("batches.meta.txt", "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\n");
    expect_error(cifar_load_test(&c, tmpdir, 0, &err), &err, "batches.meta.txt: has 9 class names, expected 10",
                 "make data", NULL);
    write_text("batches.meta.txt", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n");
    expect_error(cifar_load_test(&c, tmpdir, 0, &err), &err, "batches.meta.txt:11: more than 10", NULL, NULL);
    // Windows line endings and surrounding blanks are tolerated.
    write_text("batches.meta.txt", "\n airplane\r\nautomobile\r\nbird\r\ncat\r\ndeer\r\ndog\r\nfrog\r\nhorse\r\nship\r\ntruck\r\n");
    cr_assert_eq(cifar_load_test(&c, tmpdir, 0, &err), 0, "%s", err.msg);
    cr_assert_str_eq(c.class_names[0], "airplane");
    cr_assert_str_eq(c.class_names[9], "truck");
    cifar_free(&c);
}

Test(cifar, damaged_train_file_past_the_limit_is_reported) {
    make_dataset();
    make_sparse(TRAIN_NAMES[4], FILE_BYTES / 2);
    Cifar c;
    ClError err = {0};
    expect_error(cifar_load(&c, tmpdir, 100, 100, &err), &err, "data_batch_5.bin: has 15365000 bytes", "truncated", NULL);
    cr_assert_null(c.train.labels, "a failed load must free what it read");
}

Test(cifar, missing_test_file) {
    make_dataset();
    char p[512];
    path_in(p, sizeof p, "test_batch.bin");
    unlink(p);
    Cifar c;
    ClError err = {0};
    expect_error(cifar_load(&c, tmpdir, 0, 0, &err), &err, "test_batch.bin: cannot open", "make data", NULL);
}

// ---- transform ----------------------------------------------------------------

Test(cifar, normalize_bit_exact_with_torchvision) {
    StFile f;
    fixture_open(&f, "cifar_normalize.safetensors");
    const StTensor *px = st_find(&f, "pixels"), *lb = st_find(&f, "labels");
    cr_assert(px && px->dtype == ST_U8 && lb && lb->dtype == ST_U8);
    int64_t n_out;
    const float *want = fixture_f32(&f, "out", &n_out);
    CifarSet s = {.n = (int)px->shape[0], .labels = (uint8_t *)lb->data, .pixels = (uint8_t *)px->data};
    cr_assert_eq(n_out, (int64_t)s.n * CIFAR_PIXELS);

    float *got = malloc(sizeof(float) * (size_t)n_out);
    uint8_t labels[3];
    cifar_normalize_batch(got, labels, &s, NULL, s.n);
    for (int64_t i = 0; i < n_out; i++)
        cr_assert(memcmp(&got[i], &want[i], sizeof(float)) == 0, "element %lld (byte %u): got %.9g, torch %.9g",
                  (long long)i, s.pixels[i], got[i], want[i]);
    cr_assert_eq(labels[0], 3);
    cr_assert_eq(labels[2], 9);
    cr_assert_float_eq(got[0], -1.0f, 0.0f);  // byte 0
    cr_assert_float_eq(got[255], 1.0f, 0.0f); // byte 255

    // With an index list: records 2 then 0.
    int32_t idx[2] = {2, 0};
    cifar_normalize_batch(got, labels, &s, idx, 2);
    cr_assert(memcmp(got, want + 2 * CIFAR_PIXELS, sizeof(float) * CIFAR_PIXELS) == 0);
    cr_assert(memcmp(got + CIFAR_PIXELS, want, sizeof(float) * CIFAR_PIXELS) == 0);
    cr_assert_eq(labels[0], 9);
    cr_assert_eq(labels[1], 3);
    free(got);
    st_free(&f);
}

Test(cifar, tutorial_class_names) {
    const char *want[CIFAR_CLASSES] = {"plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
    for (int i = 0; i < CIFAR_CLASSES; i++) cr_assert_str_eq(CIFAR_TUTORIAL_CLASSES[i], want[i]);
}

// ---- the real data ----------------------------------------------------------------

Test(cifar_real, full_dataset_counts_and_names) {
    const char *dir = "../data/cifar-10-batches-bin";
    struct stat st;
    if (stat(dir, &st) != 0) cr_skip_test("no %s (run `make data`)", dir);
    Cifar c;
    ClError err = {0};
    cr_assert_eq(cifar_load(&c, dir, 0, 0, &err), 0, "%s", err.msg);
    cr_assert_eq(c.train.n, 50000);
    cr_assert_eq(c.test.n, 10000);
    int train_count[CIFAR_CLASSES] = {0}, test_count[CIFAR_CLASSES] = {0};
    for (int i = 0; i < c.train.n; i++) train_count[c.train.labels[i]]++;
    for (int i = 0; i < c.test.n; i++) test_count[c.test.labels[i]]++;
    for (int k = 0; k < CIFAR_CLASSES; k++) {
        cr_assert_eq(train_count[k], 5000, "class %d has %d training images", k, train_count[k]);
        cr_assert_eq(test_count[k], 1000, "class %d has %d test images", k, test_count[k]);
    }
    const char *names[CIFAR_CLASSES] = {"airplane", "automobile", "bird", "cat", "deer",
                                        "dog", "frog", "horse", "ship", "truck"};
    for (int k = 0; k < CIFAR_CLASSES; k++) cr_assert_str_eq(c.class_names[k], names[k]);
    // Real images are not blank: the pixel mean of the test set is mid-range.
    double sum = 0;
    for (size_t i = 0; i < (size_t)c.test.n * CIFAR_PIXELS; i++) sum += c.test.pixels[i];
    double mean = sum / ((double)c.test.n * CIFAR_PIXELS);
    cr_assert(mean > 100 && mean < 140, "test pixel mean %.1f", mean);
    cifar_free(&c);
}

// ---- in-memory records (the fuzzer's entry point) -------------------------------

Test(cifar, parse_records_from_memory) {
    uint8_t bytes[3 * CIFAR_RECORD];
    memset(bytes, 7, sizeof bytes);
    bytes[0] = 1, bytes[CIFAR_RECORD] = 2, bytes[2 * CIFAR_RECORD] = 9;
    CifarSet s = {0};
    ClError err = {0};
    cr_assert_eq(cifar_parse_records(&s, bytes, sizeof bytes, 0, "mem", &err), 0, "%s", err.msg);
    cr_assert_eq(s.n, 3);
    cr_assert_eq(s.labels[2], 9);
    cr_assert_eq(s.pixels[2 * CIFAR_PIXELS + 5], 7);
    cr_assert_eq(cifar_parse_records(&s, bytes, sizeof bytes, 2, "mem", &err), 0, "%s", err.msg);
    cr_assert_eq(s.n, 5);
    cr_assert_eq(s.labels[4], 2);
    expect_error(cifar_parse_records(&s, bytes, sizeof bytes - 1, 0, "mem", &err), &err,
                 "mem: 9218 bytes is not a whole number of 3,073-byte records", NULL, NULL);
    bytes[CIFAR_RECORD] = 200;
    expect_error(cifar_parse_records(&s, bytes, sizeof bytes, 1, "mem", &err), &err, "mem: record 1 (byte offset 3073) has label 200",
                 NULL, NULL);
    cr_assert_eq(s.n, 5, "a failed parse must not add records");
    cr_assert_eq(cifar_parse_records(&s, bytes, 0, 0, "empty", &err), 0, "%s", err.msg);
    cr_assert_eq(s.n, 5);
    cifar_set_free(&s);
}
