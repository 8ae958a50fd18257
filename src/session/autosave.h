/* No run is lost: when the window quits while a run exists, the training
 * screen saves it here first, with the metadata the batch trainer writes, and
 * offers it (O) the next time. Called by ui/train_screen.c and app/batch_train.c.
 * No SDL.
 */
#ifndef CONVLAB_AUTOSAVE_H
#define CONVLAB_AUTOSAVE_H

#include <stdbool.h>
#include "engine/safetensors.h"
#include "engine/trainer.h"

#define AUTOSAVE_DEFAULT_NAME "convlab-autosave.safetensors"
#define TRAIN_META_COUNT 4

// Where the autosave goes: $CONVLAB_AUTOSAVE if set and not empty, else
// convlab-autosave.safetensors in the current folder.
void autosave_path(char *out, int out_size);
// True if a file exists at path (the screen then offers it on O).
bool autosave_exists(const char *path);
// The run's metadata, as --batch train --save writes it: epochs_done,
// steps_done, seed, relu_logits. Fills out[0..TRAIN_META_COUNT).
void train_checkpoint_meta(StMeta out[TRAIN_META_COUNT], const Trainer *t);

#endif
