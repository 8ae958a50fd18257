/* Checkpoints: the learnable tensors of a Net as a safetensors file with
 * PyTorch's state_dict names and shapes (see checkpoint.h). Saving and the
 * format's own checks are in safetensors.c; this file maps the Net's flat
 * parameter block to named tensors and checks a file against the Net before
 * touching a single parameter, so a failed load leaves the weights as they were.
 */
#include "engine/checkpoint.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoint.c copies little-endian F32 data as is; add byte swapping for this machine"
#endif

#define NOT_CNNNET "it is not a CNNNet checkpoint (convlab and the tutorial's Net save conv1, conv2, fc1, fc2 weights and biases)"

// "[8,3,5,5]" into buf.
static const char *shape_str(char *buf, size_t cap, const int64_t *shape, int ndim) {
    size_t len = (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < ndim && len < cap; d++)
        len += (size_t)snprintf(buf + len, cap - len, d ? ",%lld" : "%lld", (long long)shape[d]);
    if (len < cap) snprintf(buf + len, cap - len, "]");
    return buf;
}

// ---- save -----------------------------------------------------------------------

int checkpoint_save_meta(const Net *net, const char *path, const StMeta *extra, int n_extra, ClError *err) {
    NetTensor nt[NET_MAX_TENSORS];
    int n = net_tensors(net, nt);
    StTensor st[NET_MAX_TENSORS];
    for (int i = 0; i < n; i++) {
        memset(&st[i], 0, sizeof st[i]);
        snprintf(st[i].name, sizeof st[i].name, "%.*s", (int)sizeof nt[i].name, nt[i].name);
        st[i].dtype = ST_F32;
        st[i].ndim = nt[i].ndim;
        for (int d = 0; d < nt[i].ndim; d++) st[i].shape[d] = nt[i].shape[d];
        st[i].nbytes = (size_t)nt[i].numel * sizeof(float);
        st[i].data = net->params + nt[i].offset;
    }
    StMeta meta[CHECKPOINT_MAX_META + 3] = {
        {"format", "pt"}, {"model", "CNNNet"}, {"convlab_version", CONVLAB_VERSION},
    };
    int n_meta = 3;
    if (n_extra > CHECKPOINT_MAX_META) return cl_fail(err, "%s: at most %d metadata entries", path, CHECKPOINT_MAX_META);
    for (int i = 0; i < n_extra; i++) {
        int k = 0;
        while (k < n_meta && strcmp(meta[k].key, extra[i].key) != 0) k++; // an extra entry may override a default
        meta[k] = extra[i];
        if (k == n_meta) n_meta++;
    }
    return st_write(path, st, n, meta, n_meta, err);
}

int checkpoint_save(const Net *net, const char *path, ClError *err) {
    return checkpoint_save_meta(net, path, NULL, 0, err);
}

// ---- load -----------------------------------------------------------------------

// Checks f against the net's tensors: every expected name present, nothing
// else, each F32 with the expected shape and finite values.
static int check_against_net(const StFile *f, const NetTensor *nt, int n, const char *path, ClError *err) {
    char missing[256] = "", unexpected[256] = "";
    int n_missing = 0, n_unexpected = 0;
    for (int i = 0; i < n; i++) {
        if (st_find(f, nt[i].name)) continue;
        size_t len = strlen(missing);
        snprintf(missing + len, sizeof missing - len, "%s%.*s", n_missing++ ? ", " : "", (int)sizeof nt[i].name, nt[i].name);
    }
    for (int j = 0; j < f->n_tensors; j++) {
        int known = 0;
        for (int i = 0; i < n && !known; i++) known = strcmp(f->tensors[j].name, nt[i].name) == 0;
        if (known) continue;
        size_t len = strlen(unexpected);
        snprintf(unexpected + len, sizeof unexpected - len, "%s%.60s", n_unexpected++ ? ", " : "", f->tensors[j].name);
    }
    if (n_missing && n_unexpected)
        return cl_fail(err, "%s: missing tensor%s %s and unexpected tensor%s %s; " NOT_CNNNET, path,
                       n_missing > 1 ? "s" : "", missing, n_unexpected > 1 ? "s" : "", unexpected);
    if (n_missing) return cl_fail(err, "%s: missing tensor%s %s; " NOT_CNNNET, path, n_missing > 1 ? "s" : "", missing);
    if (n_unexpected)
        return cl_fail(err, "%s: unexpected tensor%s %s; " NOT_CNNNET, path, n_unexpected > 1 ? "s" : "", unexpected);

    for (int i = 0; i < n; i++) {
        const StTensor *t = st_find(f, nt[i].name);
        char got[96], want[96];
        shape_str(want, sizeof want, nt[i].shape, nt[i].ndim);
        if (t->dtype != ST_F32)
            return cl_fail(err, "%s: %s has dtype %s, expected F32 (save it with .float())", path, t->name,
                           st_dtype_name(t->dtype));
        int same = t->ndim == nt[i].ndim;
        for (int d = 0; d < t->ndim && same; d++) same = t->shape[d] == nt[i].shape[d];
        if (!same)
            return cl_fail(err, "%s: %s has shape %s, expected %s; it was saved from a different network", path,
                           t->name, shape_str(got, sizeof got, t->shape, t->ndim), want);
        CL_ASSERT(t->nbytes == (size_t)nt[i].numel * sizeof(float)); // st_parse matched bytes to the shape
        for (long k = 0; k < nt[i].numel; k++) {
            float v;
            memcpy(&v, (const char *)t->data + (size_t)k * sizeof v, sizeof v); // data may be unaligned
            if (!isfinite(v))
                return cl_fail(err, "%s: %s[%ld] is %s; the weights diverged before this was saved, use an earlier checkpoint",
                               path, t->name, k, isnan(v) ? "NaN" : "infinite");
        }
    }
    return 0;
}

// Checks the parsed file f against net, then copies; frees f.
static int load_parsed(Net *net, StFile *f, const char *label, CheckpointMeta *meta, ClError *err) {
    NetTensor nt[NET_MAX_TENSORS];
    int n = net_tensors(net, nt);
    if (check_against_net(f, nt, n, label, err) != 0) {
        st_free(f);
        return -1;
    }
    // Everything checked: only now are the parameters overwritten.
    for (int i = 0; i < n; i++) {
        const StTensor *t = st_find(f, nt[i].name);
        memcpy(net->params + nt[i].offset, t->data, t->nbytes);
    }
    if (meta) {
        meta->n = 0;
        for (int i = 0; i < f->n_meta && meta->n < CHECKPOINT_MAX_META; i++) meta->items[meta->n++] = f->meta[i];
    }
    st_free(f);
    return 0;
}

// Messages quote tensor names from the file, which may hold any byte (cJSON
// accepts raw control characters in strings): keep the message one line.
static int one_line(ClError *err) {
    if (err)
        for (char *p = err->msg; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
    return -1;
}

int checkpoint_load_meta(Net *net, const char *path, CheckpointMeta *meta, ClError *err) {
    StFile f;
    if (st_read(&f, path, err) != 0 || load_parsed(net, &f, path, meta, err) != 0) return one_line(err);
    return 0;
}

int checkpoint_load_bytes(Net *net, const uint8_t *bytes, size_t size, const char *label, CheckpointMeta *meta,
                          ClError *err) {
    StFile f;
    if (st_parse(&f, bytes, size, label, err) != 0 || load_parsed(net, &f, label, meta, err) != 0) return one_line(err);
    return 0;
}

int checkpoint_load(Net *net, const char *path, ClError *err) { return checkpoint_load_meta(net, path, NULL, err); }

const char *checkpoint_meta_get(const CheckpointMeta *meta, const char *key) {
    for (int i = 0; i < meta->n; i++)
        if (strcmp(meta->items[i].key, key) == 0) return meta->items[i].value;
    return NULL;
}
