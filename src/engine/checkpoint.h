/* Checkpoints in the safetensors format with PyTorch's state_dict names and
 * shapes (conv1.weight [8,3,5,5], conv1.bias [8], ..., fc2.bias [10];
 * BatchNorm2d's running_mean/var F32 and num_batches_tracked an I64 scalar),
 * so a convlab checkpoint loads into torch's load_state_dict(strict=True) of
 * the module `--batch export-pytorch` prints, and back. Layout: u64
 * little-endian header length, JSON header (parsed with cJSON), then the raw
 * little-endian data. Saves go to a temporary file that is
 * renamed into place, so an interrupted save never destroys the previous file.
 */
#ifndef CONVLAB_CHECKPOINT_H
#define CONVLAB_CHECKPOINT_H

#include "engine/error.h"
#include "engine/net.h"
#include "engine/safetensors.h"

#include "engine/version.h"

// The "__metadata__" of a checkpoint: string keys and values (safetensors allows
// only strings). Always present after a convlab save: "format" = "pt",
// "model" = the net file's name ("cnnnet"), "convlab_version", and "net" = the
// network as a net file (net_format_text), which checkpoint_open_net builds
// when no net file is given; callers may add e.g. "epoch", "step".
#define CHECKPOINT_MAX_META 16
typedef struct {
    int n;
    StMeta items[CHECKPOINT_MAX_META];
} CheckpointMeta;

// Writes every learnable tensor of net to path atomically.
int checkpoint_save(const Net *net, const char *path, ClError *err);
// The same, with extra metadata entries (may be NULL / 0), e.g. {"epoch", "2"}.
int checkpoint_save_meta(const Net *net, const char *path, const StMeta *extra, int n_extra, ClError *err);
// Reads path into net->params. Checks the header length, the JSON, and each
// tensor's name, dtype, shape and byte range, and names the one that is wrong.
// On failure net->params is unchanged.
int checkpoint_load(Net *net, const char *path, ClError *err);
// The same, also returning the file's metadata in meta (may be NULL; extra
// entries beyond CHECKPOINT_MAX_META are dropped).
int checkpoint_load_meta(Net *net, const char *path, CheckpointMeta *meta, ClError *err);
// The same from a file image in memory (label names it in messages). For the
// fuzzer and tests.
int checkpoint_load_bytes(Net *net, const uint8_t *bytes, size_t size, const char *label, CheckpointMeta *meta,
                          ClError *err);
// Builds the checkpoint's network and loads its weights: from net_file if not
// NULL, else from the net the checkpoint records ("net"), else CNNNet (a
// checkpoint torch saved from CNNNet). relu_logits: 0 or 1, or -1 for the
// checkpoint's own "relu_logits" record. A mismatch names the tensor that
// differs. meta may be NULL. On failure *net is freed.
int checkpoint_open_net(Net *net, const char *path, const char *net_file, int relu_logits, int max_batch,
                        CheckpointMeta *meta, ClError *err);
// Looks up key in meta, or NULL.
const char *checkpoint_meta_get(const CheckpointMeta *meta, const char *key);

#endif
