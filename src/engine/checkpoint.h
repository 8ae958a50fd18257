/* Checkpoints in the safetensors format with PyTorch's state_dict names and
 * shapes (conv1.weight [8,3,5,5], conv1.bias [8], ..., fc2.bias [10]), so a
 * convlab checkpoint loads into torch's load_state_dict and back.
 * Layout: u64 little-endian header length, JSON header (parsed with cJSON),
 * then the raw little-endian F32 data. Saves go to a temporary file that is
 * renamed into place, so an interrupted save never destroys the previous file.
 */
#ifndef CONVLAB_CHECKPOINT_H
#define CONVLAB_CHECKPOINT_H

#include "engine/error.h"
#include "engine/net.h"

// Writes every learnable tensor of net to path atomically.
int checkpoint_save(const Net *net, const char *path, ClError *err);
// Reads path into net->params. Checks the header length, the JSON, and each
// tensor's name, dtype, shape and byte range, and names the one that is wrong.
// On failure net->params is unchanged.
int checkpoint_load(Net *net, const char *path, ClError *err);

#endif
