/* Network files (assets/nets/NAME.net): one layer per line, written as
 * PyTorch's print(model) writes a child module, e.g.
 *
 *   (conv1): Conv2d(3, 6, 5)
 *   ReLU()
 *   (pool): MaxPool2d(2, 2)
 *   Flatten()
 *   (fc1): Linear(16 * 5 * 5, 120)
 *
 * netfile_parse reads such a text into a NetSpec (the constructor arguments
 * with PyTorch's defaults, as __init__ would), then netfile_infer runs the
 * shapes through CIFAR-10's 3x32x32 input (as forward would): per layer the
 * output shape, parameter count and state_dict tensors. Errors are one line,
 * "path:line: ...", in PyTorch's own words where PyTorch has them. The spec
 * holds the engine's Conv2dConfig/Pool2dConfig so that building a Net from it
 * is a loop. Callers: the --batch net-info/export-pytorch commands, the tests.
 *
 * Layer: engine (no SDL).
 */
#ifndef CONVLAB_NETFILE_H
#define CONVLAB_NETFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "engine/conv2d.h"
#include "engine/error.h"
#include "engine/pool2d.h"

// Documented limits (README, --help), enforced with a message.
#define NETFILE_MAX_LAYERS 64            // layer lines in a file
#define NETFILE_MAX_PARAMS 50000000L     // learnable parameters in total
#define NETFILE_MAX_ACTIVATIONS 4194304L // values per image after any layer (16 MB)
#define NETFILE_MAX_WIDTH 65536          // channels, features, groups
#define NETFILE_MAX_WINDOW 4096          // kernel_size, stride, padding, dilation, output_padding
#define NETFILE_MAX_BYTES 65536          // size of a net file
#define NETFILE_NAME_MAX 32              // a layer name, with its NUL
#define NETFILE_TEXT_MAX 256             // a layer as written, with its NUL
#define NETFILE_MAX_TENSORS (5 * NETFILE_MAX_LAYERS)
#define NETFILE_CLASSES 10               // CIFAR-10: the last layer gives 10 outputs

typedef enum {
    LAYER_CONV2D, LAYER_CONV_TRANSPOSE2D, LAYER_MAXPOOL2D, LAYER_AVGPOOL2D, LAYER_BATCHNORM2D, LAYER_LINEAR,
    LAYER_RELU, LAYER_LEAKY_RELU, LAYER_TANH, LAYER_SIGMOID, LAYER_DROPOUT, LAYER_FLATTEN, LAYER_KINDS
} LayerKind;

typedef enum { NET_PAD_INT, NET_PAD_SAME, NET_PAD_VALID } NetPadding; // Conv2d's padding argument

typedef struct {
    char name[NETFILE_NAME_MAX];  // state_dict prefix and attribute ("conv1"); "" when omitted
    LayerKind kind;
    int line;                     // 1-based line in the file
    char text[NETFILE_TEXT_MAX];  // the layer as written after the name: "Conv2d(3, 6, 5)"
    // The constructor's arguments, PyTorch's names, its defaults where not given. (h, w) pairs.
    int in_channels, out_channels;     // Conv2d, ConvTranspose2d
    int kernel[2], stride[2];          // convolutions and pools
    bool stride_none;                  // pools: stride=None, i.e. the kernel size
    int padding[2];                    // NET_PAD_INT padding (pools: always)
    NetPadding padding_kind;           // Conv2d: an int/pair, 'same' or 'valid'
    int dilation[2], output_padding[2];// output_padding: ConvTranspose2d
    int groups;
    bool bias;                         // Conv2d, ConvTranspose2d, Linear
    bool return_indices, ceil_mode;    // MaxPool2d (ceil_mode also AvgPool2d)
    bool count_include_pad;            // AvgPool2d
    int in_features, out_features;     // Linear
    int num_features;                  // BatchNorm2d
    double eps, momentum;              // BatchNorm2d
    bool momentum_none;                // BatchNorm2d: momentum=None (cumulative average)
    bool affine, track_running_stats;  // BatchNorm2d
    double negative_slope;             // LeakyReLU
    double p;                          // Dropout
    bool inplace;                      // ReLU, LeakyReLU, Dropout
    int start_dim, end_dim;            // Flatten
    // For the engine (filled by netfile_infer): Conv2d's and the pools' configs.
    Conv2dConfig conv;                 // Conv2d (padding resolved, 'same' asymmetric as PyTorch)
    Pool2dConfig pool;                 // MaxPool2d, AvgPool2d
    // Shapes of one image (filled by netfile_infer), as net.h's Layer: a 2-D
    // [N, F] tensor is (F, 1, 1) with flat set.
    int in_c, in_h, in_w, out_c, out_h, out_w;
    bool in_flat, out_flat;
    long param_count;                  // learnable scalars (buffers not counted)
    int first_tensor, n_tensors;       // its state_dict entries in NetSpec.tensors
    bool first_use;                    // false for a repeated name: the same module again
} LayerSpec;

typedef struct {
    char name[NETFILE_NAME_MAX + 24];  // "conv1.weight", "bn1.num_batches_tracked"
    bool i64;                          // num_batches_tracked: an I64 scalar; else F32
    bool learnable;                    // a parameter (weight, bias); else a buffer
    int ndim;                          // 0 (a scalar) to 4
    int64_t shape[4];                  // e.g. (8, 3, 5, 5)
    long numel;
    long offset;                       // learnable: into the parameter block; F32 buffers:
                                       // into the buffer block; I64: -1
    int layer;                         // index into NetSpec.layers
} TensorSpec;

typedef struct {
    char path[256];                    // named in messages
    char model[64];                    // its name: the file's base name without .net
                                       // (netfile_model_name), or a checkpoint's "model" record
    LayerSpec layers[NETFILE_MAX_LAYERS];
    int n_layers;
    TensorSpec tensors[NETFILE_MAX_TENSORS]; // state_dict order
    int n_tensors;
    int batch;                         // N of the shapes in messages (netfile_infer)
    long n_params;                     // learnable scalars: sum(p.numel() for p in parameters())
    long n_buffer_values;              // F32 buffer scalars (running_mean, running_var)
} NetSpec;

// Parses text (a whole net file) into *spec and runs netfile_infer with batch
// N (PyTorch's messages name the batch; the tutorial uses 4). Returns 0, or
// -1 with "path:line: ..." in err. spec is the caller's (no heap memory).
int netfile_parse(NetSpec *spec, const char *path, const char *text, int batch, ClError *err);

// Reads the file at path (at most NETFILE_MAX_BYTES, UTF-8) and parses it.
int netfile_load(NetSpec *spec, const char *path, int batch, ClError *err);

// Writes the net as a net file: one "(name): Call(args)" line per layer, the
// non-default arguments only (netfile_parse reads it back to the same spec).
// Returns the length, or -1 if cap is too small.
int netfile_format_text(char *out, size_t cap, const NetSpec *spec);

// A model's name from its net file's path: "assets/nets/lenet5.net" -> "lenet5";
// NULL or "" (no file chosen) -> CNNNet's, NET_DEFAULT_MODEL.
#define NET_DEFAULT_MODEL "cnnnet"
void netfile_model_name(char *out, size_t cap, const char *path);

// Shape inference on a [batch, 3, 32, 32] input: fills every layer's engine
// config, shapes, parameters and the state_dict tensors; the last layer must
// give [batch, 10]. Call again after changing arguments (a wider layer).
int netfile_infer(NetSpec *spec, int batch, ClError *err);

// ---- editing (netfile_edit.c): what the training screen changes ----------------
// True for a Conv2d or Linear with a layer with weights after it (its width
// may change; the last one gives the classes).
bool netfile_layer_is_hidden(const NetSpec *spec, int i);
// Sets hidden layer i's out_channels / out_features; the BatchNorm2d layers
// after it, the next Conv2d's in_channels or the next Linear's in_features
// follow, and the shapes are inferred again. On an impossible choice returns
// -1 with PyTorch's message and leaves spec unchanged.
int netfile_set_width(NetSpec *spec, int i, int width, ClError *err);
// Sets Conv2d i's kernel_size to (k, k); the Linear after the Flatten follows.
int netfile_set_kernel(NetSpec *spec, int i, int k, ClError *err);

// The layer kind's PyTorch class name ("Conv2d").
const char *netfile_kind_name(LayerKind kind);

// True if the kind has a state_dict entry for these arguments (so needs a name).
bool netfile_layer_has_state(const LayerSpec *l);

// Writes the layer's constructor call with its non-default arguments, valid
// both in a net file and after "nn." in Python: "Conv2d(8, 16, 3, padding=1)".
void netfile_format_call(char *out, size_t cap, const LayerSpec *l);

// Writes an inferred shape as torch.Size prints it: "[4, 6, 28, 28]", "[4, 120]".
void netfile_format_shape(char *out, size_t cap, int batch, int c, int h, int w, bool flat);

// Writes x as Python's repr(float) does ("0.1", "1e-05", "2.0").
void netfile_format_float(char *out, size_t cap, double x);

#endif
