/* CNNNet, the tutorial's network, described as data: a list of layers that a UI
 * can walk (name, kind, hyper-parameters, output shape, parameter count), one
 * flat parameter block in PyTorch state_dict order, and a forward pass that
 * keeps every intermediate activation and the max-pool argmax indices.
 *
 *   conv1 3->8 k5 -> relu -> pool 2 -> conv2 8->16 k3 -> relu -> pool 2
 *   -> flatten 576 -> fc1 576->128 -> relu -> fc2 128->10 [-> relu: the seed's bug]
 *   parameters: 608 + 1,168 + 73,856 + 1,290 = 76,922
 */
#ifndef CONVLAB_NET_H
#define CONVLAB_NET_H

#include <stdbool.h>
#include <stdint.h>
#include "engine/conv2d.h"
#include "engine/error.h"
#include "engine/optim.h"
#include "engine/pool2d.h"

#define NET_MAX_LAYERS 16
#define NET_NUM_CLASSES 10

typedef enum { LAYER_CONV2D, LAYER_RELU, LAYER_MAXPOOL2D, LAYER_FLATTEN, LAYER_LINEAR } LayerKind;

typedef struct {
    char name[16];            // "conv1", "relu1", "pool1", "flatten", "fc1", ...; learnable
                              // layers use PyTorch's attribute names (state_dict prefixes)
    LayerKind kind;
    Conv2dConfig conv;        // LAYER_CONV2D
    Pool2dConfig pool;        // LAYER_MAXPOOL2D
    int in_features;          // LAYER_LINEAR
    int out_features;         // LAYER_LINEAR
    int in_c, in_h, in_w;     // shape of one input sample (C, H, W)
    int out_c, out_h, out_w;  // shape of one output sample; (features, 1, 1) after flatten
    long param_count;         // learnable scalars in this layer
    long weight_offset;       // into Net.params, or -1
    long bias_offset;         // into Net.params, or -1
} Layer;

typedef struct {
    Layer layers[NET_MAX_LAYERS];
    int n_layers;
    int in_c, in_h, in_w;     // (3, 32, 32)
    bool relu_logits;         // the seed's ReLU on the output layer
    long n_params;            // 76,922 for CNNNet
    float *params;            // (n_params) flat, state_dict order: conv1.weight, conv1.bias, ...
    float *grads;             // (n_params) filled by net_backward
    int max_batch;            // activations (forward) are allocated for this many samples
    int max_backward_batch;   // activation gradients (backward) for this many; <= max_batch
    int threads;              // worker threads for forward/backward (>= 1)
    // acts[0] = the input batch; acts[i+1] = output of layers[i]: (max_batch, out_c, out_h, out_w)
    float *acts[NET_MAX_LAYERS + 1];
    float *dacts[NET_MAX_LAYERS + 1];        // gradients w.r.t. acts, same shapes; dacts[0] is
                                             // NULL (the input needs no gradient). A flatten
                                             // layer's acts/dacts alias its input's (a view).
    int32_t *pool_indices[NET_MAX_LAYERS];   // for max-pool layers: (max_batch, out_c, out_h, out_w)
    void *impl;               // engine-private (thread pool, scratch); do not touch
} Net;

// One learnable tensor of the flat block, named as in PyTorch's state_dict.
typedef struct {
    char name[32];            // "conv1.weight", "conv1.bias", ...
    int ndim;
    int64_t shape[4];         // e.g. (8, 3, 5, 5) or (8)
    long offset;              // into Net.params / Net.grads
    long numel;
} NetTensor;
#define NET_MAX_TENSORS (2 * NET_MAX_LAYERS)

// Builds CNNNet with room for max_batch samples. Parameters are zero until
// net_init_params or a checkpoint load. Ownership: free with net_free.
int net_build_cnnnet(Net *net, bool relu_logits, int max_batch, ClError *err);
void net_free(Net *net);

// Reallocates the activations for a different max batch size (forward and backward).
int net_set_max_batch(Net *net, int max_batch, ClError *err);
// Grows only the forward buffers (acts, pool indices) to hold max_batch samples,
// keeping the backward capacity: for inference in big batches (evaluate) without
// the memory of their gradients. No-op if max_batch fits already.
int net_reserve_forward_batch(Net *net, int max_batch, ClError *err);
// Number of worker threads forward/backward may use (1 = the calling thread
// only; the GUI keeps a core for itself). Results do not depend on it: the
// work is cut by the batch size, never by the thread count.
void net_set_threads(Net *net, int threads);

// fn(arg, piece, lo, hi) for 8 pieces [lo, hi) of [0, n) (boundaries on
// multiples of 16 elements; the same pieces for any thread count), run on the
// net's threads; returns when all are done. For elementwise work over the
// parameters, e.g. the optimizer step (trainer.c). piece is in [0, 8).
typedef void (*NetRangeFn)(void *arg, int piece, long lo, long hi);
void net_parallel_for(Net *net, NetRangeFn fn, void *arg, long n);

// PyTorch's default init for Conv2d and Linear: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
// from the engine's seeded generator.
void net_init_params(Net *net, uint64_t seed);

// Lists the learnable tensors in state_dict order (conv1.weight, conv1.bias,
// ..., fc2.bias) into out (NET_MAX_TENSORS); returns how many (8 for CNNNet).
int net_tensors(const Net *net, NetTensor *out);

// Finds a layer by name, or NULL.
const Layer *net_find_layer(const Net *net, const char *name);
// The last layer's output: logits (N, 10).
const float *net_logits(const Net *net);

// Forward pass on N <= max_batch samples of input (N, 3, 32, 32), normalized.
// Keeps every activation in net->acts and returns the logits (N, 10).
const float *net_forward(Net *net, const float *input, int N);

// Mean cross-entropy of the last forward's logits against labels (N); also
// fills probs (N, 10) if not NULL.
float net_loss(const Net *net, const uint8_t *labels, int N, float *probs);

// Backward from the mean cross-entropy loss of the last forward (N <= max_backward_batch). Zeroes and
// then fills net->grads (like optimizer.zero_grad(); loss.backward()).
void net_backward(Net *net, const uint8_t *labels, int N);

// One layer on the samples [n0, n1): the pieces a threaded forward/backward
// splits a mini-batch into. Forward reads acts[i] and writes acts[i+1].
// Backward reads dacts[i+1], overwrites dacts[i] for those samples (zeroed,
// then accumulated) and ADDS the parameter gradients into grads (n_params),
// so each thread can use its own grads buffer and sum them afterwards.
void net_layer_forward(Net *net, int i, int n0, int n1);
void net_layer_backward(Net *net, int i, float *grads, int n0, int n1);

// Index of the largest logit per sample into pred (N).
void net_predict(const Net *net, int N, uint8_t *pred);

#endif
