/* A network as data: the layers of a parsed net file (netfile.h) turned into
 * Layers with shapes, parameter counts and offsets into one flat parameter
 * block (state_dict order) and a buffer block, plus the forward pass that keeps
 * every activation, max-pool argmax and Dropout mask, and the backward pass
 * from the mean cross-entropy. Called by trainer.c, checkpoint.c, the lessons
 * and the UI.
 * Per-layer work runs on a sample range [n0, n1). A mini-batch is cut into
 * chunks that depend only on its size (never on the thread count); the thread
 * pool runs chunks on whichever thread is free, each chunk's convolution
 * gradients go to that chunk's own buffer, and the buffers are summed in chunk
 * order. Linear layers' weight gradients are split by rows, each row summing
 * all samples in order. BatchNorm2d's statistics and gradient sums need the
 * whole batch: they run between the chunked segments, on the calling thread.
 * So the results are bit-identical for any thread count.
 */
#include "engine/net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/activations.h"
#include "engine/dropout.h"
#include "engine/layers.h"
#include "engine/paths.h"
#include "engine/threadpool.h"

#define NET_RANGES 8   // pieces of net_parallel_for

// ---- the network as data ------------------------------------------------------

static long sample_size(const Layer *l) { return (long)l->out_c * l->out_h * l->out_w; }
static long input_size(const Layer *l) { return (long)l->in_c * l->in_h * l->in_w; }

static bool is_conv(const Layer *l) { return l->kind == LAYER_CONV2D || l->kind == LAYER_CONV_TRANSPOSE2D; }

// The engine's ConvTranspose2dConfig of a spec (netfile_infer keeps its
// arguments in the Conv2dConfig fields, padding symmetric).
static ConvTranspose2dConfig tconv_config(const LayerSpec *s) {
    ConvTranspose2dConfig c = conv_transpose2d_config(s->in_channels, s->out_channels, s->kernel[0], s->kernel[1]);
    c.stride_h = s->stride[0], c.stride_w = s->stride[1];
    c.pad_h = s->padding[0], c.pad_w = s->padding[1];
    c.out_pad_h = s->output_padding[0], c.out_pad_w = s->output_padding[1];
    c.dilation_h = s->dilation[0], c.dilation_w = s->dilation[1];
    c.groups = s->groups;
    c.has_bias = s->bias;
    return c;
}

// The offset of a layer's tensor named "<layer>.<suffix>" (params for a
// learnable one, buffers otherwise), or -1.
static long tensor_offset(const NetSpec *spec, int layer, const char *suffix) {
    const LayerSpec *s = &spec->layers[layer];
    for (int t = s->first_tensor; t < s->first_tensor + s->n_tensors; t++) {
        const char *dot = strrchr(spec->tensors[t].name, '.');
        if (dot && strcmp(dot + 1, suffix) == 0) return spec->tensors[t].offset;
    }
    return -1;
}

// Fills one Layer from an inferred spec line (its shapes and tensors are netfile_infer's).
static void layer_from_spec(Layer *l, const NetSpec *spec, int i) {
    const LayerSpec *s = &spec->layers[i];
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", s->name[0] ? s->name : netfile_kind_name(s->kind));
    l->kind = s->kind;
    l->in_c = s->in_c, l->in_h = s->in_h, l->in_w = s->in_w;
    l->out_c = s->out_c, l->out_h = s->out_h, l->out_w = s->out_w;
    l->param_count = s->param_count;
    l->weight_offset = tensor_offset(spec, i, "weight");
    l->bias_offset = tensor_offset(spec, i, "bias");
    l->running_mean_offset = tensor_offset(spec, i, "running_mean");
    l->running_var_offset = tensor_offset(spec, i, "running_var");
    l->chunk_offset = -1;
    l->conv = s->conv;
    if (s->kind == LAYER_CONV_TRANSPOSE2D) l->tconv = tconv_config(s);
    l->pool = s->pool;
    l->in_features = s->in_features, l->out_features = s->out_features;
    l->negative_slope = (float)s->negative_slope;
    l->p = s->p;
    l->bn = batchnorm2d_config(s->num_features);
    l->bn.eps = s->eps, l->bn.momentum = s->momentum, l->bn.cumulative = s->momentum_none;
    l->bn.affine = s->affine, l->bn.track_running_stats = s->track_running_stats;
}

// The seed's bug: a ReLU on the 10 logits.
static void relu_logits_layer(Layer *l) {
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "relu_logits");
    l->kind = LAYER_RELU;
    l->in_c = l->out_c = NET_NUM_CLASSES;
    l->in_h = l->in_w = l->out_h = l->out_w = 1;
    l->weight_offset = l->bias_offset = l->running_mean_offset = l->running_var_offset = l->chunk_offset = -1;
}

// ---- activation memory ---------------------------------------------------------
// Four blocks (acts, dacts, pool indices, dropout masks), each one allocation
// carved into per-layer views, so net_free is a few frees and nothing is
// allocated per step.

#define NET_CHUNKS 16   // most chunks a mini-batch is cut into (see chunk_size below)

typedef struct {
    float *acts_block;     // every acts[i], in order
    float *dacts_block;    // every dacts[i], i >= 1
    int32_t *index_block;  // every pool_indices[i]
    uint8_t *mask_block;   // every dropout_masks[i]
    ThreadPool *pool;      // net->threads threads, or NULL for 1
    long chunk_params;     // the convolutions' parameters: the per-chunk gradient buffers' size
    int n_chunk_buffers;   // chunk_count(max_backward_batch)
    float *chunk_grads;    // (n_chunk_buffers, chunk_params): each chunk's convolution gradients
    bool chunk_zeroed[NET_CHUNKS];   // this backward: the chunk's buffer was zeroed by its first item
    float *din_partials;   // (DIN_PARTS, N, in_features): a big linear layer's input gradient per part of its rows
    float *bn_stats;       // per BatchNorm2d layer (at bn_at[i]): save_mean (C), save_invstd (C)
    double *bn_sums;       // per BatchNorm2d layer (at bn_at[i]): sum_dout (C), sum_dout_xmu (C)
    long bn_at[NET_MAX_LAYERS];
    bool forward_training; // the mode of the last forward, which its backward follows
    int backward_n;        // the batch the BatchNorm2d sums are over
} NetImpl;

// A mini-batch of N is cut into at most NET_CHUNKS chunks of ceil(N / NET_CHUNKS)
// samples, but at least 2: enough pieces to balance 2-4 threads, few enough
// to amortize per-call costs (each chunk streams its layers' weights through
// the cache). Big linear layers run by rows instead, in blocks of ROW_BLOCK
// over every sample: in the forward, their weight gradient and (through the
// thread pool's contiguous shares) the optimizer's update, so each thread
// keeps reading the rows it wrote.
#define MIN_CHUNK 2
#define ROW_BLOCK 8

static int chunk_size(int N) {
    int size = (N + NET_CHUNKS - 1) / NET_CHUNKS;
    return size < MIN_CHUNK ? MIN_CHUNK : size;
}
static int chunk_count(int N) { return (N + chunk_size(N) - 1) / chunk_size(N); }
static void chunk_range(int N, int c, int *n0, int *n1) {
    *n0 = c * chunk_size(N);
    *n1 = *n0 + chunk_size(N) < N ? *n0 + chunk_size(N) : N;
}

// A linear layer with this many weights or more runs by rows: each thread
// reads only the rows it also differentiates and updates (owner computes),
// instead of every thread streaming every row the other core just wrote.
#define ROW_SPLIT_WEIGHTS 16384

static bool split_by_rows(const Layer *l) {
    return l->kind == LAYER_LINEAR && (long)l->in_features * l->out_features >= ROW_SPLIT_WEIGHTS;
}
static int row_blocks(const Layer *l) { return (l->out_features + ROW_BLOCK - 1) / ROW_BLOCK; }

// Up to this batch, such a layer's input gradient is summed from DIN_PARTS
// partials over consecutive row blocks, each computed by a row item (the
// first block's) with rows its thread owns:
//   din = sum over parts p, in order, of dout[:, rows of p] @ W[rows of p, :].
// Per chunk of samples instead, every chunk reads all of W, half of it just
// written by the other core's update (CNNNet's fc1 at batch 4: 147 KB crossing
// cores each way per step, which took longer than the arithmetic). At bigger
// batches that read is shared by more samples and the partials would not be.
// The parts are fixed by the layer, never by the threads.
#define DIN_BY_ROWS_MAX_BATCH 8
#define DIN_PARTS 4

static bool din_by_rows(const Layer *l, int N) { return split_by_rows(l) && N <= DIN_BY_ROWS_MAX_BATCH; }
static int blocks_per_part(const Layer *l) { return (row_blocks(l) + DIN_PARTS - 1) / DIN_PARTS; }
static int din_parts(const Layer *l) { return (row_blocks(l) + blocks_per_part(l) - 1) / blocks_per_part(l); }

static void free_activations(Net *net) {
    NetImpl *impl = net->impl;
    if (impl) {
        free(impl->acts_block);
        free(impl->dacts_block);
        free(impl->index_block);
        free(impl->mask_block);
        free(impl->chunk_grads);
        free(impl->din_partials);
        impl->acts_block = impl->dacts_block = impl->chunk_grads = impl->din_partials = NULL;
        impl->index_block = NULL;
        impl->mask_block = NULL;
    }
    memset(net->acts, 0, sizeof net->acts);
    memset(net->dacts, 0, sizeof net->dacts);
    memset(net->pool_indices, 0, sizeof net->pool_indices);
    memset(net->dropout_masks, 0, sizeof net->dropout_masks);
}

// Elements of one block: per-sample size times samples (both bounded by netfile.h's limits).
static size_t block_count(long per_sample, int samples) { return (size_t)per_sample * (size_t)samples; }

static void alloc_activations(Net *net, int max_batch, int max_backward_batch) {
    long acts_total = input_size(&net->layers[0]), dacts_total = 0, idx_total = 0, mask_total = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const Layer *l = &net->layers[i];
        if (l->kind == LAYER_FLATTEN) continue;  // a view of its input
        acts_total += sample_size(l);
        dacts_total += sample_size(l);
        if (l->kind == LAYER_MAXPOOL2D) idx_total += sample_size(l);
        if (l->kind == LAYER_DROPOUT) mask_total += sample_size(l);
    }
    NetImpl *impl = net->impl;
    float *acts = cl_calloc(block_count(acts_total, max_batch), sizeof(float));
    float *dacts = dacts_total ? cl_calloc(block_count(dacts_total, max_backward_batch), sizeof(float)) : NULL;
    int32_t *idx = idx_total ? cl_calloc(block_count(idx_total, max_batch), sizeof(int32_t)) : NULL;
    uint8_t *mask = mask_total ? cl_calloc(block_count(mask_total, max_batch), 1) : NULL;
    impl->acts_block = acts, impl->dacts_block = dacts, impl->index_block = idx, impl->mask_block = mask;
    // chunk_count is not monotonic in N (32 gives 16 chunks of 2, 33 gives 11 of 3): room for any N <= max.
    impl->n_chunk_buffers = max_backward_batch >= 2 * NET_CHUNKS ? NET_CHUNKS : chunk_count(max_backward_batch);
    impl->chunk_grads = impl->chunk_params
                            ? cl_calloc(block_count(impl->chunk_params, impl->n_chunk_buffers), sizeof(float))
                            : NULL;
    long partials = 0;
    int partial_batch = max_backward_batch < DIN_BY_ROWS_MAX_BATCH ? max_backward_batch : DIN_BY_ROWS_MAX_BATCH;
    for (int i = 1; i < net->n_layers; i++)   // layer 0 has no input gradient
        if (din_by_rows(&net->layers[i], partial_batch) &&
            (long)din_parts(&net->layers[i]) * net->layers[i].in_features > partials)
            partials = (long)din_parts(&net->layers[i]) * net->layers[i].in_features;
    impl->din_partials = partials ? cl_malloc(sizeof(float) * block_count(partials, partial_batch)) : NULL;
    net->acts[0] = acts;
    net->dacts[0] = NULL;
    acts += input_size(&net->layers[0]) * max_batch;
    for (int i = 0; i < net->n_layers; i++) {
        const Layer *l = &net->layers[i];
        if (l->kind == LAYER_FLATTEN) {
            net->acts[i + 1] = net->acts[i];
            net->dacts[i + 1] = net->dacts[i];
            continue;
        }
        long size = sample_size(l) * max_batch;
        net->acts[i + 1] = acts, acts += size;
        net->dacts[i + 1] = dacts, dacts += sample_size(l) * max_backward_batch;
        if (l->kind == LAYER_MAXPOOL2D) net->pool_indices[i] = idx, idx += size;
        if (l->kind == LAYER_DROPOUT) net->dropout_masks[i] = mask, mask += size;
    }
    net->max_batch = max_batch;
    net->max_backward_batch = max_backward_batch;
}

// ---- building -------------------------------------------------------------------

// BatchNorm2d's initial state (reset_parameters, reset_running_stats).
static void init_batchnorm(Net *net) {
    for (int i = 0; i < net->n_layers; i++) {
        const Layer *l = &net->layers[i];
        if (l->kind != LAYER_BATCHNORM2D) continue;
        if (l->weight_offset >= 0) batchnorm2d_init_params(net->params + l->weight_offset, net->params + l->bias_offset, l->in_c);
        if (l->running_mean_offset >= 0)
            batchnorm2d_init_running(net->buffers + l->running_mean_offset, net->buffers + l->running_var_offset,
                                     &net->batches_tracked[i], l->in_c);
    }
}

// Places the convolutions' gradients in the per-chunk buffers and the
// BatchNorm2d scratch; sets the initial BatchNorm2d state.
static void alloc_scratch(Net *net) {
    NetImpl *impl = net->impl;
    long chunk = 0, bn = 0;
    for (int i = 0; i < net->n_layers; i++) {
        Layer *l = &net->layers[i];
        if (is_conv(l) && l->param_count > 0) l->chunk_offset = chunk, chunk += l->param_count;
        impl->bn_at[i] = -1;
        if (l->kind == LAYER_BATCHNORM2D) impl->bn_at[i] = bn, bn += 2L * l->in_c;
    }
    impl->chunk_params = chunk;
    impl->bn_stats = bn ? cl_calloc((size_t)bn, sizeof(float)) : NULL;
    impl->bn_sums = bn ? cl_calloc((size_t)bn, sizeof(double)) : NULL;
}

int net_build(Net *net, const NetSpec *spec, bool relu_logits, int max_batch, ClError *err) {
    memset(net, 0, sizeof *net);
    if (max_batch < 1) return cl_fail(err, "batch size must be at least 1, got %d", max_batch);
    CL_ASSERT(spec->n_layers >= 1 && spec->n_layers + 1 <= NET_MAX_LAYERS);
    net->spec = cl_malloc(sizeof *net->spec);
    *net->spec = *spec;
    net->in_c = 3, net->in_h = 32, net->in_w = 32;
    net->relu_logits = relu_logits;
    net->threads = 1;
    for (int i = 0; i < spec->n_layers; i++) layer_from_spec(&net->layers[i], spec, i);
    net->n_layers = spec->n_layers;
    if (relu_logits) relu_logits_layer(&net->layers[net->n_layers++]);
    const Layer *last = &net->layers[net->n_layers - 1];
    CL_ASSERT(last->out_c == NET_NUM_CLASSES && last->out_h == 1 && last->out_w == 1);
    net->n_params = spec->n_params;
    net->n_buffers = spec->n_buffer_values;
    net->params = cl_calloc((size_t)(net->n_params ? net->n_params : 1), sizeof(float));
    net->grads = cl_calloc((size_t)(net->n_params ? net->n_params : 1), sizeof(float));
    net->buffers = net->n_buffers ? cl_calloc((size_t)net->n_buffers, sizeof(float)) : NULL;
    net->impl = cl_calloc(1, sizeof(NetImpl));
    alloc_scratch(net);
    alloc_activations(net, max_batch, max_batch);
    net_seed_dropout(net, 0);
    init_batchnorm(net);
    return 0;
}

int net_build_file(Net *net, const char *path, bool relu_logits, int max_batch, ClError *err) {
    memset(net, 0, sizeof *net); // net_free-able whatever fails
    NetSpec *spec = cl_malloc(sizeof *spec);
    int rc = netfile_load(spec, path, max_batch, err) == 0 ? net_build(net, spec, relu_logits, max_batch, err) : -1;
    free(spec);
    return rc;
}

int net_build_cnnnet(Net *net, bool relu_logits, int max_batch, ClError *err) {
    memset(net, 0, sizeof *net);
    char path[1024];
    if (paths_find_resource(path, sizeof path, NET_DEFAULT_FILE) != 0)
        return cl_fail(err, "%s not found (convlab's resources are missing: run it from its source tree or install it)",
                       NET_DEFAULT_FILE);
    return net_build_file(net, path, relu_logits, max_batch, err);
}

int net_clone(Net *out, const Net *src, int max_batch, ClError *err) {
    if (net_build(out, src->spec, src->relu_logits, max_batch, err) != 0) return -1;
    memcpy(out->params, src->params, sizeof(float) * (size_t)src->n_params);
    if (src->n_buffers) memcpy(out->buffers, src->buffers, sizeof(float) * (size_t)src->n_buffers);
    memcpy(out->batches_tracked, src->batches_tracked, sizeof out->batches_tracked);
    out->training = src->training;
    return 0;
}

void net_model_name(char *out, size_t cap, const Net *net) { snprintf(out, cap, "%s", net->spec->model); }

void net_set_training(Net *net, bool training) { net->training = training; }

void net_seed_dropout(Net *net, uint64_t seed) { rng_seed(&net->dropout_rng, seed); }

int net_format_text(char *out, size_t cap, const Net *net) { return netfile_format_text(out, cap, net->spec); }

static void free_threads(Net *net) {
    NetImpl *impl = net->impl;
    if (!impl) return;
    threadpool_free(impl->pool);
    impl->pool = NULL;
}

void net_free(Net *net) {
    free_threads(net);
    free_activations(net);
    if (net->impl) {
        free(((NetImpl *)net->impl)->bn_stats);
        free(((NetImpl *)net->impl)->bn_sums);
    }
    free(net->params);
    free(net->grads);
    free(net->buffers);
    free(net->spec);
    free(net->impl);
    net->params = net->grads = net->buffers = NULL;
    net->spec = NULL;
    net->impl = NULL;
}

int net_set_max_batch(Net *net, int max_batch, ClError *err) {
    if (max_batch < 1) return cl_fail(err, "batch size must be at least 1, got %d", max_batch);
    if (max_batch == net->max_batch && max_batch == net->max_backward_batch) return 0;
    free_activations(net);
    alloc_activations(net, max_batch, max_batch);
    return 0;
}

int net_reserve_forward_batch(Net *net, int max_batch, ClError *err) {
    if (max_batch < 1) return cl_fail(err, "batch size must be at least 1, got %d", max_batch);
    if (max_batch <= net->max_batch) return 0;
    int backward = net->max_backward_batch;
    free_activations(net);
    alloc_activations(net, max_batch, backward);
    return 0;
}

void net_set_threads(Net *net, int threads) {
    threads = threads < 1 ? 1 : threads;
    NetImpl *impl = net->impl;
    if (threads == net->threads && (threads == 1 || impl->pool)) return;
    free_threads(net);
    net->threads = threads;
    if (threads > 1) impl->pool = threadpool_create(threads);
}

// Runs fn(arg, item, t) for every item, on the pool if there is one; the
// caller makes every item's result independent of which thread runs it.
static void run_items(Net *net, ThreadItemFn fn, void *arg, int items) {
    NetImpl *impl = net->impl;
    if (impl->pool) threadpool_run_items(impl->pool, fn, arg, items);
    else
        for (int i = 0; i < items; i++) fn(arg, i, 0);
}

typedef struct {
    NetRangeFn fn;
    void *arg;
    long n;
} RangeJob;

static void range_item(void *arg, int item, int t) {
    const RangeJob *job = arg;
    long lo = job->n * item / NET_RANGES / 16 * 16;
    long hi = item + 1 == NET_RANGES ? job->n : job->n * (item + 1) / NET_RANGES / 16 * 16;
    job->fn(job->arg, item, lo, hi);
}

void net_parallel_for(Net *net, NetRangeFn fn, void *arg, long n) {
    RangeJob job = {fn, arg, n};
    run_items(net, range_item, &job, NET_RANGES);
}

// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases: what
// kaiming_uniform_(a=sqrt(5)) and the bias init of nn.Conv2d / nn.Linear
// amount to. fan_in = weight.size(1) * kernel area: in/groups for Conv2d,
// out/groups for ConvTranspose2d (its weight is (in, out/groups, kh, kw)).
void net_init_params(Net *net, uint64_t seed) {
    Rng rng;
    rng_seed(&rng, seed);
    for (int i = 0; i < net->n_layers; i++) {
        const Layer *l = &net->layers[i];
        long fan_in;
        switch (l->kind) {
        case LAYER_CONV2D: fan_in = (long)(l->conv.in_channels / l->conv.groups) * l->conv.kernel_h * l->conv.kernel_w; break;
        case LAYER_CONV_TRANSPOSE2D:
            fan_in = (long)(l->tconv.out_channels / l->tconv.groups) * l->tconv.kernel_h * l->tconv.kernel_w;
            break;
        case LAYER_LINEAR: fan_in = l->in_features; break;
        default: continue;
        }
        double bound = 1.0 / sqrt((double)fan_in);
        float *p = net->params + l->weight_offset;
        for (long k = 0; k < l->param_count; k++) p[k] = (float)(-bound + 2.0 * bound * rng_uniform(&rng));
    }
    init_batchnorm(net);
}

int net_tensors(const Net *net, NetTensor *out) {
    memcpy(out, net->spec->tensors, sizeof *out * (size_t)net->spec->n_tensors);
    return net->spec->n_tensors;
}

void *net_tensor_data(const Net *net, const NetTensor *t) {
    if (t->learnable) return net->params + t->offset;
    if (t->i64) return (void *)&net->batches_tracked[t->layer];
    return net->buffers + t->offset;
}

const Layer *net_find_layer(const Net *net, const char *name) {
    for (int i = 0; i < net->n_layers; i++)
        if (strcmp(net->layers[i].name, name) == 0) return &net->layers[i];
    return NULL;
}

const float *net_logits(const Net *net) { return net->acts[net->n_layers]; }

// ---- forward and backward ----------------------------------------------------------

static const float *param_or_null(const Net *net, long offset) { return offset >= 0 ? net->params + offset : NULL; }

// BatchNorm2d layer i's scratch: save_mean (C) then save_invstd (C); sum_dout (C) then sum_dout_xmu (C).
static float *bn_mean(const Net *net, int i) { return ((NetImpl *)net->impl)->bn_stats + ((NetImpl *)net->impl)->bn_at[i]; }
static float *bn_invstd(const Net *net, int i) { return bn_mean(net, i) + net->layers[i].in_c; }
static double *bn_sum_dout(const Net *net, int i) { return ((NetImpl *)net->impl)->bn_sums + ((NetImpl *)net->impl)->bn_at[i]; }
static double *bn_sum_dout_xmu(const Net *net, int i) { return bn_sum_dout(net, i) + net->layers[i].in_c; }
static bool bn_batch_stats(const Net *net, const Layer *l) {
    return batchnorm2d_uses_batch_stats(&l->bn, ((NetImpl *)net->impl)->forward_training);
}

void net_layer_forward(Net *net, int i, int n0, int n1) {
    const Layer *l = &net->layers[i];
    int N = n1 - n0;
    long n = sample_size(l) * N;
    const float *in = net->acts[i] + input_size(l) * n0;
    float *out = net->acts[i + 1] + sample_size(l) * n0;
    const float *w = param_or_null(net, l->weight_offset), *b = param_or_null(net, l->bias_offset);
    bool training = ((NetImpl *)net->impl)->forward_training;
    switch (l->kind) {
    case LAYER_CONV2D: conv2d_forward(out, in, w, b, &l->conv, N, l->in_h, l->in_w); break;
    case LAYER_CONV_TRANSPOSE2D: conv_transpose2d_forward(out, in, w, b, &l->tconv, N, l->in_h, l->in_w); break;
    case LAYER_MAXPOOL2D:
        maxpool2d_forward(out, net->pool_indices[i] + sample_size(l) * n0, in, &l->pool, N, l->in_c, l->in_h, l->in_w);
        break;
    case LAYER_AVGPOOL2D: avgpool2d_forward(out, in, &l->pool, N, l->in_c, l->in_h, l->in_w); break;
    case LAYER_BATCHNORM2D:
        batchnorm2d_normalize(out, in, bn_mean(net, i), bn_invstd(net, i), w, b, N, l->in_c, l->in_h, l->in_w);
        break;
    case LAYER_LINEAR: linear_forward(out, in, w, b, N, l->in_features, l->out_features); break;
    case LAYER_RELU: relu_forward(out, in, n); break;
    case LAYER_LEAKY_RELU: leaky_relu_forward(out, in, l->negative_slope, n); break;
    case LAYER_TANH: tanh_forward(out, in, n); break;
    case LAYER_SIGMOID: sigmoid_forward(out, in, n); break;
    case LAYER_DROPOUT:
        dropout_forward(out, in, training ? net->dropout_masks[i] + sample_size(l) * n0 : NULL, l->p, n);
        break;
    case LAYER_FLATTEN: break;  // acts[i + 1] is acts[i]
    case LAYER_KINDS: CL_ASSERT(0);
    }
}

// Layer i's backward on [n0, n1): overwrites dacts[i] there, ADDS its parameter
// gradients into dw and db (NULL: skipped). BatchNorm2d uses the sums of
// bn_backward_sums over the whole batch of backward_n samples.
static void layer_backward(Net *net, int i, float *dw, float *db, int n0, int n1) {
    const Layer *l = &net->layers[i];
    if (l->kind == LAYER_FLATTEN) return;  // dacts[i] is dacts[i + 1]
    NetImpl *impl = net->impl;
    int N = n1 - n0;
    long n = sample_size(l) * N;
    const float *in = net->acts[i] + input_size(l) * n0;
    const float *out = net->acts[i + 1] + sample_size(l) * n0;
    const float *dout = net->dacts[i + 1] + sample_size(l) * n0;
    float *din = net->dacts[i] ? net->dacts[i] + input_size(l) * n0 : NULL;  // NULL for the first layer
    if (din) memset(din, 0, sizeof(float) * (size_t)(input_size(l) * N));
    const float *w = param_or_null(net, l->weight_offset);
    switch (l->kind) {
    case LAYER_CONV2D: conv2d_backward(din, dw, db, dout, in, w, &l->conv, N, l->in_h, l->in_w); break;
    case LAYER_CONV_TRANSPOSE2D: conv_transpose2d_backward(din, dw, db, dout, in, w, &l->tconv, N, l->in_h, l->in_w); break;
    case LAYER_LINEAR: linear_backward(din, dw, db, dout, in, w, N, l->in_features, l->out_features); break;
    default: break;
    }
    if (!din) return;
    switch (l->kind) {
    case LAYER_MAXPOOL2D:
        maxpool2d_backward(din, dout, net->pool_indices[i] + sample_size(l) * n0, N, l->in_c, l->in_h, l->in_w, l->out_h,
                           l->out_w);
        break;
    case LAYER_AVGPOOL2D: avgpool2d_backward(din, dout, &l->pool, N, l->in_c, l->in_h, l->in_w); break;
    case LAYER_BATCHNORM2D:
        batchnorm2d_backward_input(din, dout, in, w, bn_mean(net, i), bn_invstd(net, i), bn_sum_dout(net, i),
                                   bn_sum_dout_xmu(net, i), bn_batch_stats(net, l), impl->backward_n, N, l->in_c,
                                   l->in_h, l->in_w);
        break;
    case LAYER_RELU: relu_backward(din, dout, out, n); break;
    case LAYER_LEAKY_RELU: leaky_relu_backward(din, dout, in, l->negative_slope, n); break;
    case LAYER_TANH: tanh_backward(din, dout, out, n); break;
    case LAYER_SIGMOID: sigmoid_backward(din, dout, out, n); break;
    case LAYER_DROPOUT:
        dropout_backward(din, dout, impl->forward_training ? net->dropout_masks[i] + sample_size(l) * n0 : NULL, l->p, n);
        break;
    default: break;
    }
}

// BatchNorm2d layer i over the samples [n0, n1), the whole batch: the sums its
// input gradient needs, and its weight and bias gradients ADDED into grads.
static void bn_backward_sums(Net *net, int i, float *grads, int n0, int n1) {
    const Layer *l = &net->layers[i];
    long off = sample_size(l) * n0;
    batchnorm2d_backward_sums(bn_sum_dout(net, i), bn_sum_dout_xmu(net, i), net->dacts[i + 1] + off, net->acts[i] + off,
                              bn_mean(net, i), n1 - n0, l->in_c, l->in_h, l->in_w);
    if (l->weight_offset >= 0)
        batchnorm2d_backward_params(grads + l->weight_offset, grads + l->bias_offset, bn_sum_dout(net, i),
                                    bn_sum_dout_xmu(net, i), bn_invstd(net, i), l->in_c);
}

void net_layer_backward(Net *net, int i, float *grads, int n0, int n1) {
    const Layer *l = &net->layers[i];
    if (l->kind == LAYER_BATCHNORM2D) {
        ((NetImpl *)net->impl)->backward_n = n1 - n0;
        bn_backward_sums(net, i, grads, n0, n1);
        layer_backward(net, i, NULL, NULL, n0, n1);
        return;
    }
    layer_backward(net, i, l->weight_offset >= 0 ? grads + l->weight_offset : NULL,
                   l->bias_offset >= 0 ? grads + l->bias_offset : NULL, n0, n1);
}

// ---- splitting a mini-batch across threads ----------------------------------------

typedef struct {
    Net *net;
    int N;
    int lo, hi;   // the layers [lo, hi) run per chunk
} ForwardJob;

static void forward_item(void *arg, int chunk, int t) {
    const ForwardJob *job = arg;
    int n0, n1;
    chunk_range(job->N, chunk, &n0, &n1);
    for (int i = job->lo; i < job->hi; i++) net_layer_forward(job->net, i, n0, n1);
}

// Rows [r0, r1) of linear layer lo's outputs, for all N samples.
static void forward_rows_item(void *arg, int item, int t) {
    const ForwardJob *job = arg;
    const Net *net = job->net;
    const Layer *l = &net->layers[job->lo];
    int r0 = item * ROW_BLOCK, r1 = r0 + ROW_BLOCK < l->out_features ? r0 + ROW_BLOCK : l->out_features;
    linear_forward_rows(net->acts[job->lo + 1], net->acts[job->lo], net->params + l->weight_offset,
                        param_or_null(net, l->bias_offset), job->N, l->in_features, l->out_features, r0, r1);
}

// BatchNorm2d layer i's statistics of the whole batch (or its running ones in
// eval), updating the running statistics when training.
static void bn_statistics(Net *net, int i, int N) {
    const Layer *l = &net->layers[i];
    bool track = l->running_mean_offset >= 0;
    batchnorm2d_statistics(bn_mean(net, i), bn_invstd(net, i), track ? net->buffers + l->running_mean_offset : NULL,
                           track ? net->buffers + l->running_var_offset : NULL, &net->batches_tracked[i], net->acts[i],
                           &l->bn, ((NetImpl *)net->impl)->forward_training, N, l->in_c, l->in_h, l->in_w);
}

int net_check_batch(const Net *net, int N, ClError *err) {
    for (int i = 0; i < net->n_layers; i++) {
        const Layer *l = &net->layers[i];
        if (l->kind != LAYER_BATCHNORM2D) continue;
        ClError why = {{0}};
        if (batchnorm2d_check_input(&l->bn, N, l->in_c, l->in_h, l->in_w, net->training, &why) != 0)
            return cl_fail(err, "%s (%s): %s", l->name, net->spec->layers[i].text, why.msg);
    }
    return 0;
}

const float *net_forward(Net *net, const float *input, int N) {
    CL_ASSERT(N >= 1 && N <= net->max_batch);
    NetImpl *impl = net->impl;
    if (input != net->acts[0]) memcpy(net->acts[0], input, sizeof(float) * (size_t)(input_size(&net->layers[0]) * N));
    impl->forward_training = net->training;
    // The masks of the whole batch first, layer by layer, so they do not depend on the split.
    for (int i = 0; i < net->n_layers && net->training; i++) {
        const Layer *l = &net->layers[i];
        if (l->kind == LAYER_DROPOUT) dropout_sample_mask(net->dropout_masks[i], &net->dropout_rng, l->p, sample_size(l) * N);
    }
    // Segments of layers run per chunk of samples, cut before each BatchNorm2d
    // (whose statistics need every sample) and around each big linear layer
    // (which runs by rows over every sample).
    ForwardJob job = {net, N, 0, 0};
    while (job.lo < net->n_layers) {
        if (split_by_rows(&net->layers[job.lo])) {
            run_items(net, forward_rows_item, &job, row_blocks(&net->layers[job.lo]));
            job.lo++;
            continue;
        }
        if (net->layers[job.lo].kind == LAYER_BATCHNORM2D) bn_statistics(net, job.lo, N);
        job.hi = job.lo + 1;
        while (job.hi < net->n_layers && net->layers[job.hi].kind != LAYER_BATCHNORM2D &&
               !split_by_rows(&net->layers[job.hi]))
            job.hi++;
        run_items(net, forward_item, &job, chunk_count(N));
        job.lo = job.hi;
    }
    return net_logits(net);
}

// The backward pass runs in segments of layers, top down. A segment starts at
// a linear layer (or at a BatchNorm2d, or at the top of the net): a linear
// layer's weight gradient needs the output gradient of every sample, so its
// rows are work items (each row sums all samples in order); a BatchNorm2d's
// sums over the batch run first on this thread; the rest of the segment runs
// per chunk of samples (a big linear head's input gradient at small batches
// from the row items' partials, see DIN_BY_ROWS_MAX_BATCH). Convolutions,
// whose few parameters every sample touches, accumulate into their chunk's
// buffer; the buffers are summed in chunk order at the end.

static bool segment_head(const Layer *l) { return l->kind == LAYER_LINEAR || l->kind == LAYER_BATCHNORM2D; }

static float *chunk_grad_buffer(Net *net, int chunk) {
    NetImpl *impl = net->impl;
    return impl->chunk_grads + (size_t)chunk * (size_t)impl->chunk_params;
}

typedef struct {
    Net *net;
    int N;
    int hi, lo;      // the segment: layers hi down to lo
    int row_items;   // row blocks of the head linear layer (0 if none); then the chunks
} SegmentJob;

static float *din_partial(const Net *net, const Layer *l, int part, int N) {
    return ((NetImpl *)net->impl)->din_partials + (size_t)part * (size_t)N * (size_t)l->in_features;
}

// Rows [r0, r1) of a linear head's dW and dbias, over all N samples, straight
// into net->grads; with din_by_rows, the first block of a part also computes
// that part's partial input gradient.
static void backward_rows(Net *net, const Layer *head, int hi, int N, int item) {
    int OUT = head->out_features, IN = head->in_features;
    int r0 = item * ROW_BLOCK, r1 = r0 + ROW_BLOCK < OUT ? r0 + ROW_BLOCK : OUT;
    float *dw = net->grads + head->weight_offset;
    float *db = head->bias_offset >= 0 ? net->grads + head->bias_offset : NULL;
    memset(dw + (size_t)r0 * IN, 0, sizeof(float) * (size_t)(r1 - r0) * (size_t)IN);
    if (db) memset(db + r0, 0, sizeof(float) * (size_t)(r1 - r0));
    linear_backward_rows(dw, db, net->dacts[hi + 1], net->acts[hi], N, IN, OUT, r0, r1);
    if (din_by_rows(head, N) && net->dacts[hi] && item % blocks_per_part(head) == 0) {
        int p = item / blocks_per_part(head), p_hi = r0 + blocks_per_part(head) * ROW_BLOCK;
        float *part = din_partial(net, head, p, N);
        memset(part, 0, sizeof(float) * (size_t)N * (size_t)IN);
        linear_din_rows(part, net->dacts[hi + 1], net->params + head->weight_offset, N, IN, OUT, r0,
                        p_hi < OUT ? p_hi : OUT);
    }
}

// din[n0, n1) of a din_by_rows head: its partials summed in part order.
static void sum_din_partials(float *din, const Net *net, const Layer *l, int N, int n0, int n1) {
    const size_t IN = (size_t)l->in_features, n = (size_t)(n1 - n0) * IN;
    memcpy(din, din_partial(net, l, 0, N) + (size_t)n0 * IN, sizeof(float) * n);
    for (int p = 1; p < din_parts(l); p++) {
        const float *part = din_partial(net, l, p, N) + (size_t)n0 * IN;
        for (size_t j = 0; j < n; j++) din[j] += part[j];
    }
}

static void backward_item(void *arg, int item, int t) {
    const SegmentJob *job = arg;
    Net *net = job->net;
    if (item < job->row_items) {
        backward_rows(net, &net->layers[job->hi], job->hi, job->N, item);
        return;
    }
    int chunk = item - job->row_items, n0, n1;
    chunk_range(job->N, chunk, &n0, &n1);
    float *grads = chunk_grad_buffer(net, chunk);
    NetImpl *impl = net->impl;
    if (!impl->chunk_zeroed[chunk]) {   // by the thread that fills it, not by the caller for every chunk
        memset(grads, 0, sizeof(float) * (size_t)impl->chunk_params);
        impl->chunk_zeroed[chunk] = true;
    }
    for (int i = job->hi; i >= job->lo; i--) {
        const Layer *l = &net->layers[i];
        if (is_conv(l) && l->param_count > 0) {
            float *dw = grads + l->chunk_offset;
            layer_backward(net, i, dw, l->bias_offset >= 0 ? dw + (l->bias_offset - l->weight_offset) : NULL, n0, n1);
        } else if (l->kind != LAYER_LINEAR) {
            layer_backward(net, i, NULL, NULL, n0, n1);  // a BatchNorm2d head's parameters are done already
        } else if (net->dacts[i]) {
            // The head's input gradient for this chunk (its weights are done by the row items).
            CL_ASSERT(i == job->hi);
            int OUT = l->out_features, IN = l->in_features;
            float *din = net->dacts[i] + (size_t)n0 * IN;
            if (din_by_rows(l, job->N)) {
                sum_din_partials(din, net, l, job->N, n0, n1);
                continue;
            }
            memset(din, 0, sizeof(float) * (size_t)(n1 - n0) * (size_t)IN);
            linear_backward(din, NULL, NULL, net->dacts[i + 1] + (size_t)n0 * OUT, net->acts[i] + (size_t)n0 * IN,
                            net->params + l->weight_offset, n1 - n0, IN, OUT);
        }
    }
}

// A segment of only linear and elementwise layers whose linear layer is tiny:
// less work than waking the workers costs (fc2 and its ReLU).
static bool segment_is_small(const Net *net, int lo, int hi, int N) {
    long macs = 0;
    for (int i = lo; i <= hi; i++) {
        const Layer *l = &net->layers[i];
        if (is_conv(l) || l->kind == LAYER_MAXPOOL2D || l->kind == LAYER_AVGPOOL2D || l->kind == LAYER_BATCHNORM2D)
            return false;
        if (l->kind == LAYER_LINEAR) macs += (long)l->in_features * l->out_features * N;
    }
    return macs <= 65536;
}

// Runs one segment [lo, hi] of the backward pass (see above).
static void backward_segment(Net *net, SegmentJob *job, int chunks) {
    const Layer *head = &net->layers[job->hi];
    if (head->kind == LAYER_BATCHNORM2D) {
        if (head->weight_offset >= 0) memset(net->grads + head->weight_offset, 0, sizeof(float) * (size_t)head->param_count);
        bn_backward_sums(net, job->hi, net->grads, 0, job->N);
    }
    if (segment_is_small(net, job->lo, job->hi, job->N)) {
        // All samples on this thread; per element the same order as the row split.
        for (int i = job->hi; i >= job->lo; i--) {
            const Layer *l = &net->layers[i];
            if (l->kind == LAYER_LINEAR) memset(net->grads + l->weight_offset, 0, sizeof(float) * (size_t)l->param_count);
            net_layer_backward(net, i, net->grads, 0, job->N);
        }
        return;
    }
    job->row_items = head->kind == LAYER_LINEAR ? row_blocks(head) : 0;
    if (split_by_rows(head)) {
        // The rows in a job of their own, so each thread gets the rows it ran forward.
        run_items(net, backward_item, job, job->row_items);
        job->row_items = 0;
    }
    run_items(net, backward_item, job, job->row_items + chunks);
}

void net_backward(Net *net, const uint8_t *labels, int N) {
    CL_ASSERT(N >= 1 && N <= net->max_backward_batch);
    NetImpl *impl = net->impl;
    impl->backward_n = N;
    // The gradient of the mean loss over all N samples, before the batch is cut.
    cross_entropy_backward(net->dacts[net->n_layers], net_logits(net), labels, N, NET_NUM_CLASSES);
    int chunks = chunk_count(N);
    CL_ASSERT(chunks <= impl->n_chunk_buffers);
    memset(impl->chunk_zeroed, 0, sizeof impl->chunk_zeroed);
    SegmentJob job = {net, N, net->n_layers - 1, 0, 0};
    while (job.hi >= 0) {
        // Down to just above the next linear or BatchNorm2d layer (which heads the next segment).
        job.lo = job.hi;
        while (job.lo > 0 && !segment_head(&net->layers[job.lo - 1])) job.lo--;
        backward_segment(net, &job, chunks);
        job.hi = job.lo - 1;
    }
    // net->grads of the convolutions = the chunks' buffers summed in chunk order.
    for (int i = 0; i < net->n_layers; i++) {
        const Layer *l = &net->layers[i];
        if (l->chunk_offset < 0) continue;
        float *g = net->grads + l->weight_offset;
        memcpy(g, chunk_grad_buffer(net, 0) + l->chunk_offset, sizeof(float) * (size_t)l->param_count);
        for (int c = 1; c < chunks; c++) {
            const float *gc = chunk_grad_buffer(net, c) + l->chunk_offset;
            for (long j = 0; j < l->param_count; j++) g[j] += gc[j];
        }
    }
}

float net_loss(const Net *net, const uint8_t *labels, int N, float *probs) {
    return cross_entropy_forward(probs, net_logits(net), labels, N, NET_NUM_CLASSES);
}

// torch.max(outputs, 1): the first maximal index; a NaN counts as the maximum.
void net_predict(const Net *net, int N, uint8_t *pred) {
    const float *logits = net_logits(net);
    for (int n = 0; n < N; n++) {
        const float *z = logits + (size_t)n * NET_NUM_CLASSES;
        int best = 0;
        for (int k = 1; k < NET_NUM_CLASSES && !isnan(z[best]); k++)
            if (z[k] > z[best] || isnan(z[k])) best = k;
        pred[n] = (uint8_t)best;
    }
}
