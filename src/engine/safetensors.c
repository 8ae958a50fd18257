/* safetensors reader and writer: see safetensors.h. */
#include "engine/safetensors.h"

#include <cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// A header larger than this is not a checkpoint of ours nor a fixture: refuse
// it before allocating (the format's reference implementation uses 100 MB).
#define ST_MAX_HEADER (100u * 1024u * 1024u)

static const struct { const char *name; StDtype dtype; size_t size; } DTYPES[] = {
    {"F32", ST_F32, 4}, {"I64", ST_I64, 8}, {"I32", ST_I32, 4}, {"U8", ST_U8, 1},
};

const char *st_dtype_name(StDtype d) { return DTYPES[d].name; }
size_t st_dtype_size(StDtype d) { return DTYPES[d].size; }

int64_t st_numel(const StTensor *t) {
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

const StTensor *st_find(const StFile *f, const char *name) {
    for (int i = 0; i < f->n_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

const char *st_meta(const StFile *f, const char *key) {
    for (int i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta[i].key, key) == 0) return f->meta[i].value;
    return NULL;
}

void st_free(StFile *f) {
    free(f->buf);
    free(f->tensors);
    free(f->meta);
    memset(f, 0, sizeof *f);
}

static bool has_control_chars(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return true;
    return false;
}

// A metadata value may span lines (a net file), but holds no other control characters.
static bool has_control_chars_but_newline(const char *s) {
    for (; *s; s++)
        if (((unsigned char)*s < 0x20 && *s != '\n') || *s == 0x7f) return true;
    return false;
}

static int parse_metadata(StFile *f, const cJSON *obj, const char *label, ClError *err) {
    // cJSON keeps duplicate keys; a second metadata object would overrun f->meta.
    if (f->meta) return cl_fail(err, "%s: \"__metadata__\" appears twice; the file is corrupt", label);
    if (!cJSON_IsObject(obj)) return cl_fail(err, "%s: \"__metadata__\" must be a JSON object of strings", label);
    int n = cJSON_GetArraySize(obj);
    f->meta = cl_calloc((size_t)n, sizeof *f->meta);
    const cJSON *item;
    cJSON_ArrayForEach(item, obj) {
        // Keys are quoted in one-line messages: check them before quoting (found by fuzzing).
        if (has_control_chars(item->string))
            return cl_fail(err, "%s: a metadata key contains control characters; the file is corrupt", label);
        if (!cJSON_IsString(item))
            return cl_fail(err, "%s: metadata value of \"%s\" must be a string", label, item->string);
        if (has_control_chars_but_newline(item->valuestring))
            return cl_fail(err, "%s: a metadata entry contains control characters; the file is corrupt", label);
        if (strlen(item->valuestring) >= sizeof f->meta[0].value)
            return cl_fail(err, "%s: metadata value of \"%.60s\" is over %d bytes; the file is corrupt", label, item->string,
                           ST_META_VALUE_MAX - 1);
        StMeta *m = &f->meta[f->n_meta++];
        snprintf(m->key, sizeof m->key, "%s", item->string);
        snprintf(m->value, sizeof m->value, "%s", item->valuestring);
    }
    return 0;
}

// Checks one tensor entry of the header against the data buffer of data_size bytes.
static int parse_tensor(StTensor *t, const cJSON *entry, const uint8_t *data, size_t data_size,
                        const char *label, ClError *err) {
    const char *name = entry->string;
    // Names are quoted in one-line error messages: refuse ones that would break the line.
    if (has_control_chars(name)) return cl_fail(err, "%s: a tensor name contains control characters; the file is corrupt", label);
    if (strlen(name) >= sizeof t->name) return cl_fail(err, "%s: tensor name \"%.40s...\" is too long", label, name);
    snprintf(t->name, sizeof t->name, "%s", name);
    if (!cJSON_IsObject(entry)) return cl_fail(err, "%s: entry \"%s\" must be a JSON object", label, name);
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(entry, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(entry, "shape");
    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(entry, "data_offsets");
    if (!cJSON_IsString(dtype) || !cJSON_IsArray(shape) || !cJSON_IsArray(offsets))
        return cl_fail(err, "%s: tensor \"%s\" needs \"dtype\", \"shape\" and \"data_offsets\"", label, name);
    size_t k = 0;
    for (; k < sizeof DTYPES / sizeof DTYPES[0]; k++)
        if (strcmp(dtype->valuestring, DTYPES[k].name) == 0) break;
    if (k == sizeof DTYPES / sizeof DTYPES[0])
        return cl_fail(err, "%s: tensor \"%s\" has dtype %s; convlab reads F32, I64, I32 and U8", label, name,
                       has_control_chars(dtype->valuestring) ? "(unreadable)" : dtype->valuestring);
    t->dtype = DTYPES[k].dtype;
    t->ndim = cJSON_GetArraySize(shape);
    if (t->ndim > ST_MAX_DIMS) return cl_fail(err, "%s: tensor \"%s\" has %d dimensions (at most %d)", label, name, t->ndim, ST_MAX_DIMS);
    int64_t numel = 1;
    for (int i = 0; i < t->ndim; i++) {
        const cJSON *d = cJSON_GetArrayItem(shape, i);
        if (!cJSON_IsNumber(d) || d->valuedouble < 0 || d->valuedouble > 1e12 || d->valuedouble != (double)(int64_t)d->valuedouble)
            return cl_fail(err, "%s: tensor \"%s\" has a shape entry that is not a non-negative integer", label, name);
        t->shape[i] = (int64_t)d->valuedouble;
        // numel stays <= 2^40: test by division so the product never overflows (found by fuzzing).
        if (t->shape[i] > 0 && numel > ((int64_t)1 << 40) / t->shape[i])
            return cl_fail(err, "%s: tensor \"%s\" is implausibly large", label, name);
        numel *= t->shape[i];
    }
    if (cJSON_GetArraySize(offsets) != 2) return cl_fail(err, "%s: tensor \"%s\": data_offsets must be [begin, end]", label, name);
    double b = cJSON_GetArrayItem(offsets, 0)->valuedouble, e = cJSON_GetArrayItem(offsets, 1)->valuedouble;
    if (!cJSON_IsNumber(cJSON_GetArrayItem(offsets, 0)) || !cJSON_IsNumber(cJSON_GetArrayItem(offsets, 1)) ||
        b < 0 || e < b || e > (double)data_size || b != (double)(size_t)b || e != (double)(size_t)e)
        return cl_fail(err, "%s: tensor \"%s\": data_offsets [%.0f, %.0f] lie outside the %zu data bytes; the file is truncated or corrupt",
                       label, name, b, e, data_size);
    t->nbytes = (size_t)(e - b);
    if ((int64_t)t->nbytes != numel * (int64_t)DTYPES[k].size)
        return cl_fail(err, "%s: tensor \"%s\" has %zu data bytes but its shape and dtype need %lld", label, name,
                       t->nbytes, (long long)(numel * (int64_t)DTYPES[k].size));
    t->data = data + (size_t)b;
    return 0;
}

static int compare_offsets(const void *a, const void *b) {
    const StTensor *x = a, *y = b;
    return (x->data > y->data) - (x->data < y->data);
}

int st_parse(StFile *f, const uint8_t *bytes, size_t size, const char *label, ClError *err) {
    memset(f, 0, sizeof *f);
    if (size < 8) return cl_fail(err, "%s: %zu bytes is too short for a safetensors file (an 8-byte header length comes first)", label, size);
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; i--) header_len = header_len << 8 | bytes[i];
    if (header_len > ST_MAX_HEADER || header_len > size - 8)
        return cl_fail(err, "%s: header length %llu does not fit in the %zu-byte file; it is truncated or not safetensors",
                       label, (unsigned long long)header_len, size);
    f->buf = cl_malloc(size);
    memcpy(f->buf, bytes, size);
    f->size = size;
    const uint8_t *data = f->buf + 8 + header_len;
    size_t data_size = size - 8 - (size_t)header_len;

    cJSON *root = cJSON_ParseWithLength((const char *)f->buf + 8, (size_t)header_len);
    int rc = 0;
    if (!cJSON_IsObject(root)) {
        rc = cl_fail(err, "%s: the header is not a valid JSON object; the file is corrupt", label);
        goto done;
    }
    f->tensors = cl_calloc((size_t)cJSON_GetArraySize(root), sizeof *f->tensors);
    const cJSON *entry;
    cJSON_ArrayForEach(entry, root) {
        if (strcmp(entry->string, "__metadata__") == 0) {
            if ((rc = parse_metadata(f, entry, label, err)) != 0) goto done;
            continue;
        }
        if (st_find(f, entry->string)) {
            rc = cl_fail(err, "%s: tensor \"%s\" appears twice", label, entry->string);
            goto done;
        }
        if ((rc = parse_tensor(&f->tensors[f->n_tensors], entry, data, data_size, label, err)) != 0) goto done;
        f->n_tensors++;
    }
    // The format requires the tensors to tile the data buffer without overlap.
    qsort(f->tensors, (size_t)f->n_tensors, sizeof *f->tensors, compare_offsets);
    const uint8_t *expect = data;
    for (int i = 0; i < f->n_tensors; i++) {
        if ((const uint8_t *)f->tensors[i].data != expect) {
            rc = cl_fail(err, "%s: tensor \"%s\" overlaps another or leaves a gap in the data; the file is corrupt",
                         label, f->tensors[i].name);
            goto done;
        }
        expect += f->tensors[i].nbytes;
    }
    if (expect != data + data_size)
        rc = cl_fail(err, "%s: %zu bytes after the last tensor; the file is corrupt", label,
                     (size_t)(data + data_size - expect));
done:
    cJSON_Delete(root);
    if (rc) st_free(f);
    return rc;
}

int st_read(StFile *f, const char *path, ClError *err) {
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    if (!fp) return cl_fail(err, "%s: cannot open (%s)", path, strerror(errno));
    if (fseek(fp, 0, SEEK_END) != 0) { fclose(fp); return cl_fail(err, "%s: cannot seek (%s)", path, strerror(errno)); }
    long size = ftell(fp);
    rewind(fp);
    if (size < 0) { fclose(fp); return cl_fail(err, "%s: cannot read its size", path); }
    uint8_t *bytes = cl_malloc((size_t)size);
    size_t got = fread(bytes, 1, (size_t)size, fp);
    fclose(fp);
    int rc = got == (size_t)size ? st_parse(f, bytes, (size_t)size, path, err)
                                 : cl_fail(err, "%s: read %zu of %ld bytes", path, got, size);
    free(bytes);
    return rc;
}

// ---- writing ---------------------------------------------------------------

static int write_all(FILE *fp, const void *p, size_t n) { return fwrite(p, 1, n, fp) == n ? 0 : -1; }

int st_write(const char *path, const StTensor *tensors, int n, const StMeta *meta, int n_meta, ClError *err) {
    cJSON *root = cJSON_CreateObject();
    if (n_meta > 0) {
        cJSON *m = cJSON_AddObjectToObject(root, "__metadata__");
        for (int i = 0; i < n_meta; i++) cJSON_AddStringToObject(m, meta[i].key, meta[i].value);
    }
    size_t offset = 0;
    for (int i = 0; i < n; i++) {
        cJSON *e = cJSON_AddObjectToObject(root, tensors[i].name);
        cJSON_AddStringToObject(e, "dtype", st_dtype_name(tensors[i].dtype));
        cJSON *shape = cJSON_AddArrayToObject(e, "shape");
        for (int d = 0; d < tensors[i].ndim; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)tensors[i].shape[d]));
        cJSON *off = cJSON_AddArrayToObject(e, "data_offsets");
        cJSON_AddItemToArray(off, cJSON_CreateNumber((double)offset));
        offset += tensors[i].nbytes;
        cJSON_AddItemToArray(off, cJSON_CreateNumber((double)offset));
    }
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    // Pad the header with spaces to a multiple of 8 so the data is aligned (as the reference writer does).
    size_t len = strlen(json), padded = (len + 7) / 8 * 8;

    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        free(json);
        return cl_fail(err, "%s: path is too long", path);
    }
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        free(json);
        return cl_fail(err, "%s: cannot create (%s); check that the folder exists and is writable", tmp, strerror(errno));
    }
    uint8_t hdr[8];
    for (int i = 0; i < 8; i++) hdr[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    int bad = write_all(fp, hdr, 8) || write_all(fp, json, len);
    for (size_t i = len; i < padded && !bad; i++) bad = fputc(' ', fp) == EOF;
    for (int i = 0; i < n && !bad; i++) bad = write_all(fp, tensors[i].data, tensors[i].nbytes);
    free(json);
    bad |= fflush(fp) != 0;
    bad |= fsync(fileno(fp)) != 0;
    bad |= fclose(fp) != 0;
    if (bad) {
        int e = errno;
        remove(tmp);
        return cl_fail(err, "%s: write failed (%s); the previous file, if any, is untouched", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return cl_fail(err, "%s: cannot rename the temporary file into place (%s)", path, strerror(e));
    }
    return 0;
}
