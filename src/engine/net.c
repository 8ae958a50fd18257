/* CNNNet as data: a table of layer specs turned into Layers with shapes, parameter
 * counts and offsets into one flat parameter block (state_dict order), plus the
 * forward pass that keeps every activation and max-pool argmax, and the backward
 * pass from the mean cross-entropy. Called by trainer.c, checkpoint.c, the UI.
 * Per-layer work runs on a sample range [n0, n1). A mini-batch is cut into
 * chunks that depend only on its size (never on the thread count); the thread
 * pool runs chunks on whichever thread is free, each chunk's convolution
 * gradients go to that chunk's own buffer, and the buffers are summed in chunk
 * order. Linear layers' weight gradients are split by rows, each row summing
 * all samples in order. So the results are bit-identical for any thread count.
 */
#include "engine/net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/layers.h"
#include "engine/rng.h"
#include "engine/threadpool.h"

#define NET_RANGES 8   // pieces of net_parallel_for

// ---- the network as data ------------------------------------------------------

typedef struct {
    const char *name;
    LayerKind kind;
    int in, out;   // conv: channels; linear: features
    int kernel;    // conv and pool
} LayerSpec;

// The tutorial's CNNNet. Names of learnable layers are the PyTorch attribute
// names, hence the state_dict keys.
static const LayerSpec CNNNET[] = {
    {"conv1", LAYER_CONV2D, 3, 8, 5},
    {"relu1", LAYER_RELU, 0, 0, 0},
    {"pool1", LAYER_MAXPOOL2D, 0, 0, 2},
    {"conv2", LAYER_CONV2D, 8, 16, 3},
    {"relu2", LAYER_RELU, 0, 0, 0},
    {"pool2", LAYER_MAXPOOL2D, 0, 0, 2},
    {"flatten", LAYER_FLATTEN, 0, 0, 0},
    {"fc1", LAYER_LINEAR, 576, 128, 0},
    {"relu3", LAYER_RELU, 0, 0, 0},
    {"fc2", LAYER_LINEAR, 128, 10, 0},
};
static const LayerSpec RELU_LOGITS = {"relu_logits", LAYER_RELU, 0, 0, 0}; // the seed's bug

static long sample_size(const Layer *l) { return (long)l->out_c * l->out_h * l->out_w; }
static long input_size(const Layer *l) { return (long)l->in_c * l->in_h * l->in_w; }

// Fills one Layer from its spec and the shape of its input; places its
// parameters at *offset in the flat block (weight, then bias).
static int layer_from_spec(Layer *l, const LayerSpec *s, int c, int h, int w, long *offset, ClError *err) {
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", s->name);
    l->kind = s->kind;
    l->in_c = c, l->in_h = h, l->in_w = w;
    l->out_c = c, l->out_h = h, l->out_w = w;
    l->weight_offset = l->bias_offset = -1;
    switch (s->kind) {
    case LAYER_CONV2D:
        l->conv = conv2d_config(s->in, s->out, s->kernel, s->kernel);
        if (s->in != c) return cl_fail(err, "%s: expects %d input channels but gets %d", s->name, s->in, c);
        if (conv2d_output_size(&l->conv, h, w, &l->out_h, &l->out_w, err) != 0) return -1;
        l->out_c = s->out;
        l->param_count = conv2d_param_count(&l->conv);
        l->weight_offset = *offset;
        l->bias_offset = *offset + l->param_count - s->out;
        break;
    case LAYER_MAXPOOL2D:
        l->pool = pool2d_config(s->kernel, s->kernel);
        if (maxpool2d_output_size(&l->pool, h, w, &l->out_h, &l->out_w, err) != 0) return -1;
        break;
    case LAYER_FLATTEN:
        l->out_c = c * h * w, l->out_h = 1, l->out_w = 1;
        break;
    case LAYER_LINEAR:
        if (h != 1 || w != 1 || c != s->in)
            return cl_fail(err, "%s: mat1 and mat2 shapes cannot be multiplied (1x%d and %dx%d)", s->name, c * h * w, s->in, s->out);
        l->in_features = s->in, l->out_features = s->out;
        l->out_c = s->out;
        l->param_count = (long)s->in * s->out + s->out;
        l->weight_offset = *offset;
        l->bias_offset = *offset + (long)s->in * s->out;
        break;
    case LAYER_RELU:
        break;
    }
    *offset += l->param_count;
    return 0;
}

// ---- activation memory ---------------------------------------------------------
// Three blocks (acts, dacts, pool indices), each one allocation carved into
// per-layer views, so net_free is three frees and nothing is allocated per step.

typedef struct {
    float *acts_block;     // every acts[i], in order
    float *dacts_block;    // every dacts[i], i >= 1
    int32_t *index_block;  // every pool_indices[i]
    ThreadPool *pool;      // net->threads threads, or NULL for 1
    float *chunk_grads;    // (NET_CHUNKS, n_params): each chunk's convolution gradients
                           // (only the convolutions' ranges are used)
} NetImpl;

// A mini-batch of N is cut into at most NET_CHUNKS chunks of ceil(N / NET_CHUNKS)
// samples, but at least 2: enough pieces to balance 2-4 threads, few enough
// to amortize per-call costs (each chunk streams fc1's 295 KB of weights
// through the cache once in forward and once in backward). Linear layers'
// rows go in blocks of ROW_BLOCK.
#define NET_CHUNKS 16
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

static void free_activations(Net *net) {
    NetImpl *impl = net->impl;
    if (impl) {
        free(impl->acts_block);
        free(impl->dacts_block);
        free(impl->index_block);
        impl->acts_block = impl->dacts_block = NULL;
        impl->index_block = NULL;
    }
    memset(net->acts, 0, sizeof net->acts);
    memset(net->dacts, 0, sizeof net->dacts);
    memset(net->pool_indices, 0, sizeof net->pool_indices);
}

static void alloc_activations(Net *net, int max_batch, int max_backward_batch) {
    long acts_total = input_size(&net->layers[0]), dacts_total = 0, idx_total = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const Layer *l = &net->layers[i];
        if (l->kind == LAYER_FLATTEN) continue;  // a view of its input
        acts_total += sample_size(l);
        dacts_total += sample_size(l);
        if (l->kind == LAYER_MAXPOOL2D) idx_total += sample_size(l);
    }
    float *acts = cl_calloc((size_t)(acts_total * max_batch), sizeof(float));
    float *dacts = cl_calloc((size_t)(dacts_total * max_backward_batch), sizeof(float));
    int32_t *idx = idx_total ? cl_calloc((size_t)(idx_total * max_batch), sizeof(int32_t)) : NULL;
    NetImpl *impl = net->impl;
    impl->acts_block = acts, impl->dacts_block = dacts, impl->index_block = idx;
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
    }
    net->max_batch = max_batch;
    net->max_backward_batch = max_backward_batch;
}

// ---- building -------------------------------------------------------------------

static int net_build(Net *net, const LayerSpec *specs, int n_specs, int c, int h, int w, bool relu_logits,
                     int max_batch, ClError *err) {
    memset(net, 0, sizeof *net);
    if (max_batch < 1) return cl_fail(err, "batch size must be at least 1, got %d", max_batch);
    CL_ASSERT(n_specs + 1 <= NET_MAX_LAYERS);
    net->in_c = c, net->in_h = h, net->in_w = w;
    net->relu_logits = relu_logits;
    net->threads = 1;
    long offset = 0;
    for (int i = 0; i < n_specs + (relu_logits ? 1 : 0); i++) {
        const LayerSpec *s = i < n_specs ? &specs[i] : &RELU_LOGITS;
        Layer *l = &net->layers[i];
        if (layer_from_spec(l, s, c, h, w, &offset, err) != 0) return -1;
        CL_ASSERT(i > 0 || l->kind != LAYER_FLATTEN);  // acts[0] is the net's own input buffer
        c = l->out_c, h = l->out_h, w = l->out_w;
        net->n_layers = i + 1;
    }
    CL_ASSERT(c == NET_NUM_CLASSES && h == 1 && w == 1);
    net->n_params = offset;
    net->params = cl_calloc((size_t)offset, sizeof(float));
    net->grads = cl_calloc((size_t)offset, sizeof(float));
    net->impl = cl_calloc(1, sizeof(NetImpl));
    ((NetImpl *)net->impl)->chunk_grads = cl_calloc((size_t)NET_CHUNKS * (size_t)offset, sizeof(float));
    alloc_activations(net, max_batch, max_batch);
    return 0;
}

int net_build_cnnnet(Net *net, bool relu_logits, int max_batch, ClError *err) {
    return net_build(net, CNNNET, (int)(sizeof CNNNET / sizeof CNNNET[0]), 3, 32, 32, relu_logits, max_batch, err);
}

static void free_threads(Net *net) {
    NetImpl *impl = net->impl;
    if (!impl) return;
    threadpool_free(impl->pool);
    impl->pool = NULL;
}

void net_free(Net *net) {
    free_threads(net);
    if (net->impl) free(((NetImpl *)net->impl)->chunk_grads);
    free_activations(net);
    free(net->params);
    free(net->grads);
    free(net->impl);
    net->params = net->grads = NULL;
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
// kaiming_uniform_(a=sqrt(5)) and the bias init of nn.Conv2d / nn.Linear amount to.
void net_init_params(Net *net, uint64_t seed) {
    Rng rng;
    rng_seed(&rng, seed);
    for (int i = 0; i < net->n_layers; i++) {
        const Layer *l = &net->layers[i];
        if (l->param_count == 0) continue;
        long fan_in = l->kind == LAYER_CONV2D
                          ? (long)(l->conv.in_channels / l->conv.groups) * l->conv.kernel_h * l->conv.kernel_w
                          : l->in_features;
        double bound = 1.0 / sqrt((double)fan_in);
        float *p = net->params + l->weight_offset;
        for (long k = 0; k < l->param_count; k++) p[k] = (float)(-bound + 2.0 * bound * rng_uniform(&rng));
    }
}

int net_tensors(const Net *net, NetTensor *out) {
    int n = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const Layer *l = &net->layers[i];
        if (l->param_count == 0) continue;
        NetTensor *wt = &out[n++], *bt = &out[n++];
        memset(wt, 0, sizeof *wt);
        memset(bt, 0, sizeof *bt);
        snprintf(wt->name, sizeof wt->name, "%s.weight", l->name);
        snprintf(bt->name, sizeof bt->name, "%s.bias", l->name);
        wt->offset = l->weight_offset;
        bt->offset = l->bias_offset;
        bt->ndim = 1;
        if (l->kind == LAYER_CONV2D) {
            const Conv2dConfig *c = &l->conv;
            wt->ndim = 4;
            wt->shape[0] = c->out_channels, wt->shape[1] = c->in_channels / c->groups;
            wt->shape[2] = c->kernel_h, wt->shape[3] = c->kernel_w;
            bt->shape[0] = c->out_channels;
        } else {
            wt->ndim = 2;
            wt->shape[0] = l->out_features, wt->shape[1] = l->in_features;
            bt->shape[0] = l->out_features;
        }
        wt->numel = bt->offset - wt->offset;
        bt->numel = bt->shape[0];
    }
    return n;
}

const Layer *net_find_layer(const Net *net, const char *name) {
    for (int i = 0; i < net->n_layers; i++)
        if (strcmp(net->layers[i].name, name) == 0) return &net->layers[i];
    return NULL;
}

const float *net_logits(const Net *net) { return net->acts[net->n_layers]; }

// ---- forward and backward ----------------------------------------------------------

void net_layer_forward(Net *net, int i, int n0, int n1) {
    const Layer *l = &net->layers[i];
    int N = n1 - n0;
    const float *in = net->acts[i] + input_size(l) * n0;
    float *out = net->acts[i + 1] + sample_size(l) * n0;
    const float *w = l->weight_offset >= 0 ? net->params + l->weight_offset : NULL;
    const float *b = l->bias_offset >= 0 ? net->params + l->bias_offset : NULL;
    switch (l->kind) {
    case LAYER_CONV2D: conv2d_forward(out, in, w, b, &l->conv, N, l->in_h, l->in_w); break;
    case LAYER_RELU: relu_forward(out, in, sample_size(l) * N); break;
    case LAYER_MAXPOOL2D:
        maxpool2d_forward(out, net->pool_indices[i] + sample_size(l) * n0, in, &l->pool, N, l->in_c, l->in_h, l->in_w);
        break;
    case LAYER_FLATTEN: break;  // acts[i + 1] is acts[i]
    case LAYER_LINEAR: linear_forward(out, in, w, b, N, l->in_features, l->out_features); break;
    }
}

void net_layer_backward(Net *net, int i, float *grads, int n0, int n1) {
    const Layer *l = &net->layers[i];
    if (l->kind == LAYER_FLATTEN) return;  // dacts[i] is dacts[i + 1]
    int N = n1 - n0;
    const float *in = net->acts[i] + input_size(l) * n0;
    const float *out = net->acts[i + 1] + sample_size(l) * n0;
    const float *dout = net->dacts[i + 1] + sample_size(l) * n0;
    float *din = net->dacts[i] ? net->dacts[i] + input_size(l) * n0 : NULL;  // NULL for the first layer
    if (din) memset(din, 0, sizeof(float) * (size_t)(input_size(l) * N));
    const float *w = l->weight_offset >= 0 ? net->params + l->weight_offset : NULL;
    float *dw = l->weight_offset >= 0 ? grads + l->weight_offset : NULL;
    float *db = l->bias_offset >= 0 ? grads + l->bias_offset : NULL;
    switch (l->kind) {
    case LAYER_CONV2D: conv2d_backward(din, dw, db, dout, in, w, &l->conv, N, l->in_h, l->in_w); break;
    case LAYER_RELU:
        if (din) relu_backward(din, dout, out, sample_size(l) * N);
        break;
    case LAYER_MAXPOOL2D:
        if (din)
            maxpool2d_backward(din, dout, net->pool_indices[i] + sample_size(l) * n0, N, l->in_c, l->in_h, l->in_w,
                               l->out_h, l->out_w);
        break;
    case LAYER_FLATTEN: break;
    case LAYER_LINEAR: linear_backward(din, dw, db, dout, in, w, N, l->in_features, l->out_features); break;
    }
}

// ---- splitting a mini-batch across threads ----------------------------------------

typedef struct {
    Net *net;
    int N;
} ForwardJob;

static void forward_item(void *arg, int chunk, int t) {
    const ForwardJob *job = arg;
    int n0, n1;
    chunk_range(job->N, chunk, &n0, &n1);
    for (int i = 0; i < job->net->n_layers; i++) net_layer_forward(job->net, i, n0, n1);
}

const float *net_forward(Net *net, const float *input, int N) {
    CL_ASSERT(N >= 1 && N <= net->max_batch);
    if (input != net->acts[0]) memcpy(net->acts[0], input, sizeof(float) * (size_t)(input_size(&net->layers[0]) * N));
    ForwardJob job = {net, N};
    run_items(net, forward_item, &job, chunk_count(N));
    return net_logits(net);
}

// The backward pass runs in segments of layers, top down. A segment starts at
// a linear layer (or at the top of the net): its weight gradient needs the
// output gradient of every sample, so its rows are work items (each row sums
// all samples in order); the rest of the segment runs per chunk of samples.
// Convolutions, whose few parameters every sample touches, accumulate into
// their chunk's buffer; the buffers are summed in chunk order at the end.

// Parameters of a layer that are not row-split: convolutions (weights + bias).
static bool per_chunk_params(const Layer *l) { return l->param_count > 0 && l->kind != LAYER_LINEAR; }

static float *chunk_grad_buffer(Net *net, int chunk) {
    NetImpl *impl = net->impl;
    return impl->chunk_grads + (size_t)chunk * (size_t)net->n_params;
}

typedef struct {
    Net *net;
    int N;
    int hi, lo;      // the segment: layers hi down to lo
    int row_items;   // row blocks of the head linear layer (0 if none); then the chunks
} SegmentJob;

static void backward_item(void *arg, int item, int t) {
    const SegmentJob *job = arg;
    Net *net = job->net;
    const Layer *head = &net->layers[job->hi];
    if (item < job->row_items) {
        // Rows [r0, r1) of the head's dW and dbias, over all N samples, straight into net->grads.
        int OUT = head->out_features, IN = head->in_features;
        int r0 = item * ROW_BLOCK, r1 = r0 + ROW_BLOCK < OUT ? r0 + ROW_BLOCK : OUT;
        float *dw = net->grads + head->weight_offset, *db = net->grads + head->bias_offset;
        memset(dw + (size_t)r0 * IN, 0, sizeof(float) * (size_t)(r1 - r0) * (size_t)IN);
        memset(db + r0, 0, sizeof(float) * (size_t)(r1 - r0));
        linear_backward_rows(dw, db, net->dacts[job->hi + 1], net->acts[job->hi], job->N, IN, OUT, r0, r1);
        return;
    }
    int chunk = item - job->row_items, n0, n1;
    chunk_range(job->N, chunk, &n0, &n1);
    float *grads = chunk_grad_buffer(net, chunk);
    for (int i = job->hi; i >= job->lo; i--) {
        const Layer *l = &net->layers[i];
        if (l->kind != LAYER_LINEAR) {
            net_layer_backward(net, i, grads, n0, n1);
            continue;
        }
        // The head's input gradient for this chunk (its weights are done by the row items).
        CL_ASSERT(i == job->hi);
        if (!net->dacts[i]) continue;
        int OUT = l->out_features, IN = l->in_features;
        float *din = net->dacts[i] + (size_t)n0 * IN;
        memset(din, 0, sizeof(float) * (size_t)(n1 - n0) * (size_t)IN);
        linear_backward(din, NULL, NULL, net->dacts[i + 1] + (size_t)n0 * OUT, net->acts[i] + (size_t)n0 * IN,
                        net->params + l->weight_offset, n1 - n0, IN, OUT);
    }
}

// A segment without convolutions or pooling whose linear layer is tiny: less
// work than waking the workers costs (fc2 and its ReLU).
static bool segment_is_small(const Net *net, int lo, int hi, int N) {
    long macs = 0;
    for (int i = lo; i <= hi; i++) {
        const Layer *l = &net->layers[i];
        if (l->kind == LAYER_CONV2D || l->kind == LAYER_MAXPOOL2D) return false;
        if (l->kind == LAYER_LINEAR) macs += (long)l->in_features * l->out_features * N;
    }
    return macs <= 65536;
}

void net_backward(Net *net, const uint8_t *labels, int N) {
    CL_ASSERT(N >= 1 && N <= net->max_backward_batch);
    // The gradient of the mean loss over all N samples, before the batch is cut.
    cross_entropy_backward(net->dacts[net->n_layers], net_logits(net), labels, N, NET_NUM_CLASSES);
    int chunks = chunk_count(N);
    for (int c = 0; c < chunks; c++)
        for (int i = 0; i < net->n_layers; i++) {
            const Layer *l = &net->layers[i];
            if (per_chunk_params(l))
                memset(chunk_grad_buffer(net, c) + l->weight_offset, 0, sizeof(float) * (size_t)l->param_count);
        }
    SegmentJob job = {net, N, net->n_layers - 1, 0, 0};
    while (job.hi >= 0) {
        // Down to just above the next linear layer (which heads the next segment).
        job.lo = job.hi;
        while (job.lo > 0 && net->layers[job.lo - 1].kind != LAYER_LINEAR) job.lo--;
        if (segment_is_small(net, job.lo, job.hi, N)) {
            // All samples on this thread; per element the same order as the row split.
            for (int i = job.hi; i >= job.lo; i--) {
                const Layer *l = &net->layers[i];
                if (l->kind == LAYER_LINEAR)
                    memset(net->grads + l->weight_offset, 0, sizeof(float) * (size_t)l->param_count);
                net_layer_backward(net, i, net->grads, 0, N);
            }
        } else {
            const Layer *head = &net->layers[job.hi];
            job.row_items = head->kind == LAYER_LINEAR ? (head->out_features + ROW_BLOCK - 1) / ROW_BLOCK : 0;
            run_items(net, backward_item, &job, job.row_items + chunks);
        }
        job.hi = job.lo - 1;
    }
    // net->grads of the convolutions = the chunks' buffers summed in chunk order.
    for (int i = 0; i < net->n_layers; i++) {
        const Layer *l = &net->layers[i];
        if (!per_chunk_params(l)) continue;
        float *g = net->grads + l->weight_offset;
        memcpy(g, chunk_grad_buffer(net, 0) + l->weight_offset, sizeof(float) * (size_t)l->param_count);
        for (int c = 1; c < chunks; c++) {
            const float *gc = chunk_grad_buffer(net, c) + l->weight_offset;
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
