/* CIFAR-10 in the official binary format: per record 1 label byte, then 3,072
 * pixel bytes (R plane, G plane, B plane, each 32x32 row-major). Every file is
 * checked (size 10,000 x 3,073, labels 0-9, class names from batches.meta.txt);
 * a problem is reported by file name with the fix (`make data`).
 */
#ifndef CONVLAB_CIFAR_H
#define CONVLAB_CIFAR_H

#include <stdint.h>
#include "engine/error.h"
#include "engine/rng.h"

#define CIFAR_SIDE 32
#define CIFAR_PIXELS (3 * 32 * 32)   // 3,072
#define CIFAR_RECORD (1 + CIFAR_PIXELS)
#define CIFAR_RECORDS_PER_FILE 10000
#define CIFAR_CLASSES 10

typedef struct {
    int n;              // number of records
    uint8_t *labels;    // (n) 0..9
    uint8_t *pixels;    // (n, 3, 32, 32) raw bytes 0..255
    int capacity;       // records the two buffers hold (0: they belong to someone else)
} CifarSet;

typedef struct {
    CifarSet train;     // data_batch_1..5 (50,000), or the first train_limit
    CifarSet test;      // test_batch (10,000), or the first test_limit
    char class_names[CIFAR_CLASSES][32]; // "airplane", ... from batches.meta.txt
} Cifar;

// The tutorial's short class names ("plane", "car", "bird", ...), for its printout.
extern const char *const CIFAR_TUTORIAL_CLASSES[CIFAR_CLASSES];

// Loads dir/data_batch_{1..5}.bin, dir/test_batch.bin and dir/batches.meta.txt.
// A limit <= 0 means all records. Ownership: free with cifar_free.
int cifar_load(Cifar *c, const char *dir, int train_limit, int test_limit, ClError *err);
// Loads only the test set and class names (for eval and lessons).
int cifar_load_test(Cifar *c, const char *dir, int test_limit, ClError *err);
// Reads one batch file of exactly 10,000 records, appending up to max_records
// (<= 0: all) to set. Ownership of set's arrays stays with the caller (cifar_set_free).
int cifar_read_file(CifarSet *set, const char *path, int max_records, ClError *err);
// Appends the records held in memory (size a multiple of 3,073 bytes, any
// count) to set, up to max_records (<= 0: all), checking every label; label
// names the source in messages. cifar_read_file's checks without the file, for
// the fuzzer and tests. On failure set->n is unchanged.
int cifar_parse_records(CifarSet *set, const uint8_t *bytes, size_t size, int max_records, const char *label,
                        ClError *err);
void cifar_set_free(CifarSet *set);
void cifar_free(Cifar *c);

// The tutorial's transform, ToTensor then Normalize((0.5,)*3, (0.5,)*3):
// out = (p/255 - 0.5) / 0.5, in float32 exactly as torchvision computes it.
// out (count, 3, 32, 32) from the records idx[0..count) of set (idx NULL: 0..count).
void cifar_normalize_batch(float *out, uint8_t *labels_out, const CifarSet *set,
                           const int32_t *idx, int count);

#endif
