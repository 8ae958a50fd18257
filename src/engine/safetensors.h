/* A reader and writer for the safetensors format, used for checkpoints
 * (checkpoint.c) and for the PyTorch reference fixtures of the tests.
 *   bytes 0..8   header length N, u64 little-endian
 *   bytes 8..8+N JSON: {"name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]},
 *                       "__metadata__": {"key": "value", ...}}
 *   then the data buffer; offsets are relative to its start.
 * The JSON is parsed with cJSON. Every offset, shape and dtype is checked.
 */
#ifndef CONVLAB_SAFETENSORS_H
#define CONVLAB_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include "engine/error.h"

#define ST_MAX_DIMS 8

typedef enum { ST_F32, ST_I64, ST_I32, ST_U8 } StDtype;

typedef struct {
    char name[128];
    StDtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    size_t nbytes;
    const void *data;   // points into the file buffer (reader) or caller memory (writer)
} StTensor;

// A metadata value holds up to a whole net file (checkpoint.h's "net" entry).
#define ST_META_VALUE_MAX 20480
typedef struct {
    char key[64];
    char value[ST_META_VALUE_MAX]; // may hold line breaks ('\n'), no other control characters
} StMeta;

typedef struct {
    uint8_t *buf;       // the whole file
    size_t size;
    int n_tensors;
    StTensor *tensors;  // (n_tensors), in file order of their data offsets
    int n_meta;
    StMeta *meta;       // (n_meta)
} StFile;

// Reads and validates path. Ownership: free with st_free.
int st_read(StFile *f, const char *path, ClError *err);
// Parses an in-memory file (copied). For fuzzing and tests.
int st_parse(StFile *f, const uint8_t *bytes, size_t size, const char *label, ClError *err);
void st_free(StFile *f);

const StTensor *st_find(const StFile *f, const char *name);
// Metadata value for key, or NULL.
const char *st_meta(const StFile *f, const char *key);
// Number of elements of t (product of its shape).
int64_t st_numel(const StTensor *t);
const char *st_dtype_name(StDtype d);
size_t st_dtype_size(StDtype d);

// Writes tensors (and optional metadata) to path via a temporary file renamed
// into place.
int st_write(const char *path, const StTensor *tensors, int n, const StMeta *meta, int n_meta, ClError *err);

#endif
