/* Checkpoints: the learnable tensors of a Net as a safetensors file with
 * PyTorch's state_dict names and shapes (see checkpoint.h). Saving and the
 * format's own checks are in safetensors.c; this file maps the Net's flat
 * parameter block to named tensors and checks a file against the Net before
 * touching a single parameter, so a failed load leaves the weights as they were.
 */
#include "engine/checkpoint.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoint.c copies little-endian F32 data as is; add byte swapping for this machine"
#endif

#define OTHER_NET "it was saved from a different network: give the net file it was trained with (--net FILE)"

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
    StTensor *st = cl_calloc((size_t)(n ? n : 1), sizeof *st);
    for (int i = 0; i < n; i++) {
        snprintf(st[i].name, sizeof st[i].name, "%.*s", (int)sizeof nt[i].name, nt[i].name);
        st[i].dtype = nt[i].i64 ? ST_I64 : ST_F32;
        st[i].ndim = nt[i].ndim;
        for (int d = 0; d < nt[i].ndim; d++) st[i].shape[d] = nt[i].shape[d];
        st[i].nbytes = (size_t)nt[i].numel * (nt[i].i64 ? sizeof(int64_t) : sizeof(float));
        st[i].data = net_tensor_data(net, &nt[i]);
    }
    if (n_extra > CHECKPOINT_MAX_META) {
        free(st);
        return cl_fail(err, "%s: at most %d metadata entries", path, CHECKPOINT_MAX_META);
    }
    StMeta *meta = cl_calloc(CHECKPOINT_MAX_META + 4, sizeof *meta);
    const char *keys[4] = {"format", "model", "convlab_version", "net"};
    for (int k = 0; k < 4; k++) snprintf(meta[k].key, sizeof meta[k].key, "%s", keys[k]);
    snprintf(meta[0].value, sizeof meta[0].value, "pt");
    net_model_name(meta[1].value, sizeof meta[1].value, net);
    snprintf(meta[2].value, sizeof meta[2].value, "%s", CONVLAB_VERSION);
    int n_meta = 4;
    if (net_format_text(meta[3].value, sizeof meta[3].value, net) < 0) n_meta = 3; // too long to record: --net needed
    for (int i = 0; i < n_extra; i++) {
        int k = 0;
        while (k < n_meta && strcmp(meta[k].key, extra[i].key) != 0) k++; // an extra entry may override a default
        meta[k] = extra[i];
        if (k == n_meta) n_meta++;
    }
    int rc = st_write(path, st, n, meta, n_meta, err);
    free(meta);
    free(st);
    return rc;
}

int checkpoint_save(const Net *net, const char *path, ClError *err) {
    return checkpoint_save_meta(net, path, NULL, 0, err);
}

// ---- load -----------------------------------------------------------------------

// Adds name to a list of at most LIST_NAMES names, then "..." once.
#define LIST_NAMES 4
static void list_name(char *list, size_t cap, int *count, const char *name) {
    size_t len = strlen(list);
    if (*count < LIST_NAMES) snprintf(list + len, cap - len, "%s%.60s", *count ? ", " : "", name);
    else if (*count == LIST_NAMES) snprintf(list + len, cap - len, ", ...");
    (*count)++;
}

// Checks f against the net's tensors: every expected name present, nothing
// else, each with the expected dtype and shape, finite values. hint ends a
// message about the set of names.
static int check_against_net(const StFile *f, const NetTensor *nt, int n, const char *path, const char *hint,
                             ClError *err) {
    char missing[400] = "", unexpected[400] = "";
    int n_missing = 0, n_unexpected = 0;
    for (int i = 0; i < n; i++)
        if (!st_find(f, nt[i].name)) list_name(missing, sizeof missing, &n_missing, nt[i].name);
    for (int j = 0; j < f->n_tensors; j++) {
        int known = 0;
        for (int i = 0; i < n && !known; i++) known = strcmp(f->tensors[j].name, nt[i].name) == 0;
        if (!known) list_name(unexpected, sizeof unexpected, &n_unexpected, f->tensors[j].name);
    }
    if (n_missing && n_unexpected)
        return cl_fail(err, "%s: missing tensor%s %s and unexpected tensor%s %s; %s", path, n_missing > 1 ? "s" : "",
                       missing, n_unexpected > 1 ? "s" : "", unexpected, hint);
    if (n_missing) return cl_fail(err, "%s: missing tensor%s %s; %s", path, n_missing > 1 ? "s" : "", missing, hint);
    if (n_unexpected) return cl_fail(err, "%s: unexpected tensor%s %s; %s", path, n_unexpected > 1 ? "s" : "", unexpected, hint);

    for (int i = 0; i < n; i++) {
        const StTensor *t = st_find(f, nt[i].name);
        char got[96], want[96];
        shape_str(want, sizeof want, nt[i].shape, nt[i].ndim);
        if (nt[i].i64 && t->dtype != ST_I64)
            return cl_fail(err, "%s: %s has dtype %s, expected I64 (as torch saves num_batches_tracked)", path, t->name,
                           st_dtype_name(t->dtype));
        if (!nt[i].i64 && t->dtype != ST_F32)
            return cl_fail(err, "%s: %s has dtype %s, expected F32 (save it with .float())", path, t->name,
                           st_dtype_name(t->dtype));
        int same = t->ndim == nt[i].ndim;
        for (int d = 0; d < t->ndim && same; d++) same = t->shape[d] == nt[i].shape[d];
        if (!same)
            return cl_fail(err, "%s: %s has shape %s, expected %s; it was saved from a different network", path,
                           t->name, shape_str(got, sizeof got, t->shape, t->ndim), want);
        if (nt[i].i64) {
            int64_t v;
            memcpy(&v, t->data, sizeof v);
            if (v < 0) return cl_fail(err, "%s: %s is %lld; it counts batches and cannot be negative", path, t->name, (long long)v);
            continue;
        }
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
static int load_parsed(Net *net, StFile *f, const char *label, const char *hint, CheckpointMeta *meta, ClError *err) {
    NetTensor nt[NET_MAX_TENSORS];
    int n = net_tensors(net, nt);
    if (check_against_net(f, nt, n, label, hint, err) != 0) {
        st_free(f);
        return -1;
    }
    // Everything checked: only now are the parameters overwritten.
    for (int i = 0; i < n; i++) {
        const StTensor *t = st_find(f, nt[i].name);
        memcpy(net_tensor_data(net, &nt[i]), t->data, t->nbytes);
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
    if (st_read(&f, path, err) != 0 || load_parsed(net, &f, path, OTHER_NET, meta, err) != 0) return one_line(err);
    return 0;
}

int checkpoint_load_bytes(Net *net, const uint8_t *bytes, size_t size, const char *label, CheckpointMeta *meta,
                          ClError *err) {
    StFile f;
    if (st_parse(&f, bytes, size, label, err) != 0 || load_parsed(net, &f, label, OTHER_NET, meta, err) != 0) return one_line(err);
    return 0;
}

// The network a checkpoint file f records, or net_file, or CNNNet.
static int build_recorded_net(Net *net, const StFile *f, const char *path, const char *net_file, bool relu,
                              int max_batch, ClError *err) {
    if (net_file) return net_build_file(net, net_file, relu, max_batch, err);
    const char *text = st_meta(f, "net");
    if (!text) return net_build_cnnnet(net, relu, max_batch, err);
    NetSpec *spec = cl_malloc(sizeof *spec);
    char label[300];
    snprintf(label, sizeof label, "%.240s[net]", path);
    int rc = netfile_parse(spec, label, text, max_batch, err);
    // Named as the file it came from (the "model" record), for the run's legend and the next save.
    const char *model = st_meta(f, "model");
    if (rc == 0 && model) snprintf(spec->model, sizeof spec->model, "%.63s", model);
    if (rc == 0) rc = net_build(net, spec, relu, max_batch, err);
    free(spec);
    return rc;
}

int checkpoint_open_net(Net *net, const char *path, const char *net_file, int relu_logits, int max_batch,
                        CheckpointMeta *meta, ClError *err) {
    memset(net, 0, sizeof *net);
    StFile f;
    if (st_read(&f, path, err) != 0) return one_line(err);
    const char *rl = st_meta(&f, "relu_logits");
    bool relu = relu_logits >= 0 ? relu_logits == 1 : rl && strcmp(rl, "1") == 0;
    bool recorded = st_meta(&f, "net") != NULL;
    if (build_recorded_net(net, &f, path, net_file, relu, max_batch, err) != 0) {
        st_free(&f);
        net_free(net);
        return one_line(err);
    }
    const char *hint = net_file && recorded ? "the checkpoint records the net it was saved from: leave out --net" : OTHER_NET;
    if (load_parsed(net, &f, path, hint, meta, err) != 0) {
        net_free(net);
        return one_line(err);
    }
    return 0;
}

int checkpoint_load(Net *net, const char *path, ClError *err) { return checkpoint_load_meta(net, path, NULL, err); }

const char *checkpoint_meta_get(const CheckpointMeta *meta, const char *key) {
    for (int i = 0; i < meta->n; i++)
        if (strcmp(meta->items[i].key, key) == 0) return meta->items[i].value;
    return NULL;
}
