/* CIFAR-10 loader (binary version) and the tutorial's input transform: see
 * cifar.h. Every file is checked before use: exact size 10,000 x 3,073 bytes,
 * every label in 0..9, ten class names in batches.meta.txt. A problem returns
 * -1 with one line naming the file and the fix (`make data`); nothing aborts.
 */
#include "engine/cifar.h"
#include "engine/paths.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CIFAR_FILE_BYTES ((long long)CIFAR_RECORDS_PER_FILE * CIFAR_RECORD) // 30,730,000
#define CIFAR_TRAIN_FILES 5
#if FLT_EVAL_METHOD != 0
#error "cifar_normalize_batch needs float arithmetic in float precision to match torchvision bit for bit"
#endif

#define FIX "run `convlab --batch fetch-data` (or `make data` in the source tree) to download and verify CIFAR-10 again"

const char *const CIFAR_TUTORIAL_CLASSES[CIFAR_CLASSES] = {
    "plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
};

// ---- one batch file -----------------------------------------------------------

// Checks that path is a regular file of exactly CIFAR_FILE_BYTES bytes.
static int check_file_size(const char *path, ClError *err) {
    struct stat st;
    if (stat(path, &st) != 0)
        return cl_fail(err, "%s: cannot open (%s); " FIX, path, strerror(errno));
    if (!S_ISREG(st.st_mode)) return cl_fail(err, "%s: is not a regular file; " FIX, path);
    long long size = (long long)st.st_size;
    if (size != CIFAR_FILE_BYTES)
        return cl_fail(err, "%s: has %lld bytes, expected %lld (10,000 records of 3,073 bytes): it is %s; " FIX,
                       path, size, CIFAR_FILE_BYTES, size < CIFAR_FILE_BYTES ? "truncated" : "oversized");
    return 0;
}

// Grows set's arrays to hold `more` records after set->n (set->n unchanged).
static void reserve_records(CifarSet *set, int more) {
    int n = set->n + more;
    if (n <= set->capacity) return;
    set->labels = cl_realloc(set->labels, (size_t)(n > 0 ? n : 1));
    // The pixels are read at random places (shuffled mini-batches): huge pages (error.h).
    uint8_t *pixels = cl_malloc_huge((size_t)(n > 0 ? n : 1) * CIFAR_PIXELS);
    if (set->n) memcpy(pixels, set->pixels, (size_t)set->n * CIFAR_PIXELS);
    free(set->pixels);
    set->pixels = pixels;
    set->capacity = n;
}

// Checks the labels of n_records records at bytes (numbered from first_record
// in messages) and copies those with number < take to set at set->n + number.
static int parse_chunk(CifarSet *set, const uint8_t *bytes, int n_records, int first_record, int take,
                       const char *label, ClError *err) {
    for (int k = 0; k < n_records; k++) {
        const uint8_t *rec = bytes + (size_t)k * CIFAR_RECORD;
        int r = first_record + k;
        if (rec[0] >= CIFAR_CLASSES)
            return cl_fail(err, "%s: record %d (byte offset %lld) has label %d, expected 0-9: the file is corrupt; " FIX,
                           label, r, (long long)r * CIFAR_RECORD, rec[0]);
        if (r < take) {
            set->labels[set->n + r] = rec[0];
            memcpy(set->pixels + (size_t)(set->n + r) * CIFAR_PIXELS, rec + 1, CIFAR_PIXELS);
        }
    }
    return 0;
}

int cifar_parse_records(CifarSet *set, const uint8_t *bytes, size_t size, int max_records, const char *label,
                        ClError *err) {
    if (size % CIFAR_RECORD != 0)
        return cl_fail(err, "%s: %zu bytes is not a whole number of 3,073-byte records; " FIX, label, size);
    if (size / CIFAR_RECORD > (size_t)1 << 24) return cl_fail(err, "%s: implausibly many records", label);
    int n = (int)(size / CIFAR_RECORD);
    int take = (max_records <= 0 || max_records > n) ? n : max_records;
    reserve_records(set, take);
    if (parse_chunk(set, bytes, n, 0, take, label, err) != 0) return -1;
    set->n += take;
    return 0;
}

int cifar_read_file(CifarSet *set, const char *path, int max_records, ClError *err) {
    if (check_file_size(path, err) != 0) return -1;
    int take = (max_records <= 0 || max_records > CIFAR_RECORDS_PER_FILE) ? CIFAR_RECORDS_PER_FILE : max_records;
    FILE *fp = fopen(path, "rb");
    if (!fp) return cl_fail(err, "%s: cannot open (%s); " FIX, path, strerror(errno));
    reserve_records(set, take);
    // Read in chunks (no 30 MB buffer); every label of the file is checked, even
    // past `take`, because a bad label anywhere means the file is corrupt.
    enum { CHUNK = 500 };
    uint8_t *buf = cl_malloc((size_t)CHUNK * CIFAR_RECORD);
    int rc = 0;
    for (int r0 = 0; r0 < CIFAR_RECORDS_PER_FILE && rc == 0; r0 += CHUNK) {
        size_t got = fread(buf, CIFAR_RECORD, CHUNK, fp);
        if (got != CHUNK)
            rc = cl_fail(err, "%s: read failed at record %d (%s); " FIX, path, r0 + (int)got,
                         ferror(fp) ? strerror(errno) : "the file shrank while being read");
        else
            rc = parse_chunk(set, buf, CHUNK, r0, take, path, err);
    }
    free(buf);
    fclose(fp);
    if (rc == 0) set->n += take;
    return rc;
}

void cifar_set_free(CifarSet *set) {
    free(set->labels);
    free(set->pixels);
    memset(set, 0, sizeof *set);
}

void cifar_free(Cifar *c) {
    cifar_set_free(&c->train);
    cifar_set_free(&c->test);
    memset(c, 0, sizeof *c);
}

// ---- directory, class names -------------------------------------------------------

static int check_dir(const char *dir, ClError *err) {
    struct stat st;
    if (stat(dir, &st) != 0)
        return cl_fail(err, "%s: no such directory (%s): CIFAR-10 is not there (%s); " PATHS_DATA_FIX,
                       dir, strerror(errno), paths_data_lookup_text());
    if (!S_ISDIR(st.st_mode)) return cl_fail(err, "%s: is not a directory; " FIX, dir);
    return 0;
}

static int join(char *out, size_t cap, const char *dir, const char *name, ClError *err) {
    if (snprintf(out, cap, "%s/%s", dir, name) >= (int)cap) return cl_fail(err, "%s: path is too long", dir);
    return 0;
}

// Reads the ten class names: one per non-empty line (the official file ends with a blank line).
static int read_class_names(Cifar *c, const char *dir, ClError *err) {
    char path[4096];
    if (join(path, sizeof path, dir, "batches.meta.txt", err) != 0) return -1;
    FILE *fp = fopen(path, "r");
    if (!fp) return cl_fail(err, "%s: cannot open (%s); " FIX, path, strerror(errno));
    char line[256];
    int n = 0, lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, fp)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            rc = cl_fail(err, "%s:%d: line is too long for a class name; " FIX, path, lineno);
            break;
        }
        while (len > 0 && isspace((unsigned char)line[len - 1])) line[--len] = '\0';
        char *s = line;
        while (isspace((unsigned char)*s)) s++;
        if (*s == '\0') continue;
        if (n == CIFAR_CLASSES) {
            rc = cl_fail(err, "%s:%d: more than %d class names; " FIX, path, lineno, CIFAR_CLASSES);
            break;
        }
        if (strlen(s) >= sizeof c->class_names[0]) {
            rc = cl_fail(err, "%s:%d: class name \"%.20s...\" is too long; " FIX, path, lineno, s);
            break;
        }
        memcpy(c->class_names[n++], s, strlen(s) + 1); // length checked above
    }
    fclose(fp);
    if (rc == 0 && n != CIFAR_CLASSES)
        rc = cl_fail(err, "%s: has %d class names, expected %d; " FIX, path, n, CIFAR_CLASSES);
    return rc;
}

// ---- whole dataset ----------------------------------------------------------------

static int load_test_part(Cifar *c, const char *dir, int test_limit, ClError *err) {
    char path[4096];
    if (join(path, sizeof path, dir, "test_batch.bin", err) != 0) return -1;
    return cifar_read_file(&c->test, path, test_limit, err);
}

int cifar_load_test(Cifar *c, const char *dir, int test_limit, ClError *err) {
    memset(c, 0, sizeof *c);
    if (check_dir(dir, err) != 0 || read_class_names(c, dir, err) != 0 || load_test_part(c, dir, test_limit, err) != 0) {
        cifar_free(c);
        return -1;
    }
    return 0;
}

int cifar_load(Cifar *c, const char *dir, int train_limit, int test_limit, ClError *err) {
    if (cifar_load_test(c, dir, test_limit, err) != 0) return -1;
    char path[4096];
    // Every training file is checked for its size, even those past the limit,
    // so a damaged download is reported now rather than on a later full run.
    for (int i = 1; i <= CIFAR_TRAIN_FILES; i++) {
        char name[32];
        snprintf(name, sizeof name, "data_batch_%d.bin", i);
        if (join(path, sizeof path, dir, name, err) != 0 || check_file_size(path, err) != 0) goto fail;
    }
    int want = train_limit <= 0 ? CIFAR_TRAIN_FILES * CIFAR_RECORDS_PER_FILE : train_limit;
    reserve_records(&c->train, want);  // one block for every file (no copy, no second 150 MB)
    for (int i = 1; i <= CIFAR_TRAIN_FILES && c->train.n < want; i++) {
        char name[32];
        snprintf(name, sizeof name, "data_batch_%d.bin", i);
        join(path, sizeof path, dir, name, err);
        if (cifar_read_file(&c->train, path, want - c->train.n, err) != 0) goto fail;
    }
    return 0;
fail:
    cifar_free(c);
    return -1;
}

// ---- transform ----------------------------------------------------------------------

// torchvision: ToTensor does img.to(float32).div(255), then Normalize does
// tensor.sub_(mean).div_(std) with float32 mean = std = 0.5. The same three
// float32 operations in the same order give bit-identical values (C11 on
// x86-64/aarch64 evaluates float in float: FLT_EVAL_METHOD 0, no contraction of
// a division). With only 256 possible inputs they are computed once into a table.
static float normalize_table[256];
static pthread_once_t normalize_once = PTHREAD_ONCE_INIT;

static void build_normalize_table(void) {
    for (int p = 0; p < 256; p++) {
        float x = (float)p / 255.0f;
        normalize_table[p] = (x - 0.5f) / 0.5f;
    }
}

void cifar_normalize_batch(float *out, uint8_t *labels_out, const CifarSet *set,
                           const int32_t *idx, int count) {
    pthread_once(&normalize_once, build_normalize_table);
    for (int i = 0; i < count; i++) {
        int r = idx ? idx[i] : i;
        CL_ASSERT(r >= 0 && r < set->n);
        const uint8_t *src = set->pixels + (size_t)r * CIFAR_PIXELS;
        float *dst = out + (size_t)i * CIFAR_PIXELS;
        for (int k = 0; k < CIFAR_PIXELS; k++) dst[k] = normalize_table[src[k]];
        if (labels_out) labels_out[i] = set->labels[r];
    }
}
