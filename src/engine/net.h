/* A network as data: a list of layers built from a net file (netfile.h) that a
 * UI can walk (name, kind, hyper-parameters, output shape, parameter count),
 * one flat parameter block in PyTorch state_dict order, a buffer block
 * (BatchNorm2d's running statistics), and a forward pass that keeps every
 * intermediate activation, max-pool argmax and Dropout mask for the backward
 * pass from the mean cross-entropy. The default network is CNNNet
 * (assets/nets/cnnnet.net):
 *
 *   conv1 3->8 k5 -> relu -> pool 2 -> conv2 8->16 k3 -> relu -> pool 2
 *   -> flatten 576 -> fc1 576->128 -> relu -> fc2 128->10 [-> relu: the seed's bug]
 *   parameters: 608 + 1,168 + 73,856 + 1,290 = 76,922
 */
#ifndef CONVLAB_NET_H
#define CONVLAB_NET_H

#include <stdbool.h>
#include <stdint.h>
#include "engine/batchnorm2d.h"
#include "engine/conv2d.h"
#include "engine/conv_transpose2d.h"
#include "engine/error.h"
#include "engine/netfile.h"
#include "engine/optim.h"
#include "engine/pool2d.h"
#include "engine/rng.h"

#define NET_MAX_LAYERS (NETFILE_MAX_LAYERS + 1) // a net file's layers + the seed's ReLU on the logits
#define NET_NUM_CLASSES NETFILE_CLASSES
#define NET_DEFAULT_FILE "assets/nets/cnnnet.net"  // relative to the resource root (paths.h)

typedef struct {
    char name[NETFILE_NAME_MAX]; // the file's "(name):" (state_dict prefix of a learnable layer),
                                 // or the class name ("ReLU") for an unnamed layer
    LayerKind kind;
    Conv2dConfig conv;           // LAYER_CONV2D
    ConvTranspose2dConfig tconv; // LAYER_CONV_TRANSPOSE2D
    Pool2dConfig pool;           // LAYER_MAXPOOL2D, LAYER_AVGPOOL2D
    BatchNorm2dConfig bn;        // LAYER_BATCHNORM2D
    float negative_slope;        // LAYER_LEAKY_RELU
    double p;                    // LAYER_DROPOUT: probability of an element being zeroed
    int in_features;             // LAYER_LINEAR
    int out_features;            // LAYER_LINEAR
    int in_c, in_h, in_w;        // shape of one input sample (C, H, W); (features, 1, 1) when flat
    int out_c, out_h, out_w;     // shape of one output sample; (features, 1, 1) after flatten
    long param_count;            // learnable scalars in this layer
    long weight_offset;          // into Net.params, or -1
    long bias_offset;            // into Net.params, or -1
    long running_mean_offset;    // BatchNorm2d with running statistics: into Net.buffers, else -1
    long running_var_offset;     // likewise
    long chunk_offset;           // engine-private: its gradients in a per-chunk buffer, or -1
} Layer;

typedef struct {
    Layer layers[NET_MAX_LAYERS];
    int n_layers;
    int in_c, in_h, in_w;     // (3, 32, 32)
    bool relu_logits;         // the seed's ReLU on the output layer (appended after the file's layers)
    bool training;            // module.train() (true) or .eval() (false, after net_build): Dropout and
                              // BatchNorm2d behave as in PyTorch's two modes
    NetSpec *spec;            // owned: the parsed net file (names, arguments, state_dict tensors)
    long n_params;            // 76,922 for CNNNet
    float *params;            // (n_params) flat, state_dict order: conv1.weight, conv1.bias, ...
    float *grads;             // (n_params) filled by net_backward
    long n_buffers;           // F32 buffer scalars (running_mean, running_var)
    float *buffers;           // (n_buffers) or NULL
    int64_t batches_tracked[NET_MAX_LAYERS]; // BatchNorm2d's num_batches_tracked, per layer index
    Rng dropout_rng;          // draws the Dropout masks (net_seed_dropout)
    int max_batch;            // activations (forward) are allocated for this many samples
    int max_backward_batch;   // activation gradients (backward) for this many; <= max_batch
    int threads;              // worker threads for forward/backward (>= 1)
    // acts[0] = the input batch; acts[i+1] = output of layers[i]: (max_batch, out_c, out_h, out_w)
    float *acts[NET_MAX_LAYERS + 1];
    float *dacts[NET_MAX_LAYERS + 1];        // gradients w.r.t. acts, same shapes; dacts[0] is
                                             // NULL (the input needs no gradient). A flatten
                                             // layer's acts/dacts alias its input's (a view).
    int32_t *pool_indices[NET_MAX_LAYERS];   // for max-pool layers: (max_batch, out_c, out_h, out_w)
    uint8_t *dropout_masks[NET_MAX_LAYERS];  // for Dropout layers: (max_batch, C, H, W), 1 = kept
    void *impl;               // engine-private (thread pool, scratch); do not touch
} Net;

// One state_dict entry (learnable tensor or buffer), as netfile.h describes it.
typedef TensorSpec NetTensor;
#define NET_MAX_TENSORS NETFILE_MAX_TENSORS

// Builds the network of a parsed net file (netfile_parse/netfile_load) with
// room for max_batch samples, in eval mode. relu_logits appends the seed's
// ReLU after the last layer. Parameters are zero (BatchNorm2d's weight 1,
// running_var 1) until net_init_params or a checkpoint load. The Net keeps
// its own copy of spec. Ownership: free with net_free.
int net_build(Net *net, const NetSpec *spec, bool relu_logits, int max_batch, ClError *err);
// netfile_load(path) then net_build; errors are "path:line: ...".
int net_build_file(Net *net, const char *path, bool relu_logits, int max_batch, ClError *err);
// The default network, CNNNet, from NET_DEFAULT_FILE under the resource root.
int net_build_cnnnet(Net *net, bool relu_logits, int max_batch, ClError *err);
void net_free(Net *net);

// A second Net of the same network (src's spec and relu_logits) with room for
// max_batch samples, holding src's parameters, buffers and batch counts.
int net_clone(Net *out, const Net *src, int max_batch, ClError *err);
// The net file's name without folder and ".net" ("cnnnet"): how runs and
// checkpoints name their network.
void net_model_name(char *out, size_t cap, const Net *net);

// module.train(true) / module.eval(): Dropout drops and BatchNorm2d uses
// (and updates) the batch's statistics only in training.
void net_set_training(Net *net, bool training);
// Seeds the generator of the Dropout masks. In training, each forward draws,
// before any layer runs, the mask of the whole batch for every Dropout layer in
// layer order (N*C*H*W draws each, sample-major), so masks do not depend on
// how the batch is split across threads.
void net_seed_dropout(Net *net, uint64_t seed);
// Writes the net's layers as a net file (one "(name): Call(args)" line each,
// non-default arguments only): what a checkpoint records in its metadata.
// Returns the length, or -1 if cap is too small.
int net_format_text(char *out, size_t cap, const Net *net);


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

// PyTorch's default init: Conv2d, ConvTranspose2d and Linear weight and bias
// ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) from the engine's seeded generator (layer
// by layer, weight then bias); BatchNorm2d weight 1, bias 0, running mean 0,
// var 1, num_batches_tracked 0.
void net_init_params(Net *net, uint64_t seed);

// Lists the state_dict entries in order (conv1.weight, conv1.bias, ...,
// fc2.bias; BatchNorm2d's buffers too) into out (NET_MAX_TENSORS); returns how
// many (8 for CNNNet).
int net_tensors(const Net *net, NetTensor *out);

// The values of a state_dict entry: params, buffers or batches_tracked.
void *net_tensor_data(const Net *net, const NetTensor *t);
// Finds a layer by name, or NULL.
const Layer *net_find_layer(const Net *net, const char *name);
// The last layer's output: logits (N, 10).
const float *net_logits(const Net *net);

// Forward pass on N <= max_batch samples of input (N, 3, 32, 32), normalized.
// Keeps every activation in net->acts and returns the logits (N, 10).
const float *net_forward(Net *net, const float *input, int N);

// Checks that a batch of N can go through the net in its mode, in PyTorch's
// words ("Expected more than 1 value per channel when training, ..." for a
// BatchNorm2d over one value per channel). One line naming the layer.
int net_check_batch(const Net *net, int N, ClError *err);

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
// BatchNorm2d reads the whole batch: its forward piece normalizes with the
// statistics net_forward computed for the batch; called on its own, its
// backward treats [n0, n1) as the whole batch (net_backward splits it itself).
void net_layer_forward(Net *net, int i, int n0, int n1);
void net_layer_backward(Net *net, int i, float *grads, int n0, int n1);

// Index of the largest logit per sample into pred (N).
void net_predict(const Net *net, int N, uint8_t *pred);

#endif
