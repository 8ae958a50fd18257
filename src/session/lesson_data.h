/* The slow, shared inputs of lessons 8-10 (lesson/netlesson.h's LessonData):
 * the training images (data_batch_1, read once) and MEASUREMENTS, short
 * trainings with the engine's Trainer evaluated on a test subset, cached per
 * configuration. A synchronous LessonData (--batch, tests) computes a
 * measurement when a scene asks; a background one (the window) runs it on one
 * worker thread and answers MEASURE_RUNNING until it is done, bumping
 * lesson_data_generation() after every epoch so the player recomputes the step.
 * A result depends only on its MeasureKey and the images (fixed seed; the engine
 * is bit-identical for any thread count), so both kinds give the same numbers.
 *
 * Layer: session (below ui). Includes engine/ and lesson/ only; no SDL.
 */
#ifndef CONVLAB_LESSON_DATA_H
#define CONVLAB_LESSON_DATA_H

#include <stdbool.h>
#include "lesson/netlesson.h"

// Creates the service over the CIFAR-10 folder data_dir (copied). background:
// measurements run on a worker thread (started on the first request).
// Ownership: the caller frees it with lesson_data_free after the last scene
// computed with it; the scenes keep no pointer into it.
LessonData *lesson_data_create(const char *data_dir, bool background);

// Stops the worker (a running measurement ends at its next mini-batch), joins
// it and frees everything. NULL is a no-op.
void lesson_data_free(LessonData *d);

// Increases whenever a background measurement finishes an epoch or ends.
unsigned lesson_data_generation(LessonData *d);

// True while the worker has work.
bool lesson_data_busy(LessonData *d);

// CIFAR-10 has just arrived in data_dir (the window downloaded it): a failed
// read of the training images is forgotten, so the next request reads them,
// and the generation increases (the player recomputes its step).
void lesson_data_retry(LessonData *d);

#endif
