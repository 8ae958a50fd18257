/* What lessons 8-10 (the whole network, training, the tutorial's 9 %) share:
 * the `weights` key (seeded init or a checkpoint, with a visible fallback),
 * the training images (data_batch_1, loaded once), and MEASUREMENTS: short
 * trainings with the engine's Trainer evaluated on a test subset, cached per
 * configuration and, in the window only, run on a background thread (the
 * player recomputes the step when one finishes: measure_generation()).
 * No SDL here: --batch and the tests compute the same numbers synchronously.
 */
#ifndef CONVLAB_NETLESSON_H
#define CONVLAB_NETLESSON_H

#include <stdbool.h>
#include <stdint.h>
#include "engine/cifar.h"
#include "engine/net.h"
#include "lesson/scene.h"

// ---- weights ------------------------------------------------------------------

typedef struct {
    bool from_checkpoint;   // the checkpoint was loaded (trained weights)
    uint64_t seed;          // init seed (used unless from_checkpoint)
    char path[256];         // checkpoint path given, "" if none
    char fallback[1024];     // non-empty: the checkpoint could not be used; why (shown as a note)
} WeightsInfo;

// Reads `weights = init [seed N]` or `weights = checkpoint PATH` (default:
// init seed 0) and fills net->params. A missing or unreadable checkpoint is
// not an error: the weights fall back to init seed 0 and wi->fallback says
// why. A malformed value is an error (file:line).
int netlesson_weights(Net *net, const Lesson *l, const LessonStep *st, WeightsInfo *wi, ClError *err);

// ---- training images -------------------------------------------------------------

// The training images for the lessons: env->cifar->train if it holds any,
// else the first 10,000 of data_batch_1.bin in env->data_dir (default
// data/cifar-10-batches-bin), read once and kept for the process. NULL if
// unavailable (why says why). Ownership: the set lives until exit.
const CifarSet *netlesson_train_set(const SceneEnv *env, char *why, size_t n);

// ---- measurements ----------------------------------------------------------------

#define MEASURE_MAX_EPOCHS 10

typedef struct {
    bool tutorial_break;    // TrainConfig.tutorial_break
    bool relu_logits;       // TrainConfig.relu_logits
    int epochs;             // trained for this many epochs, evaluated after each
    int train_n;            // first train_n training images
    int test_n;             // evaluated on the first test_n test images
    uint64_t seed;          // TrainConfig.seed
} MeasureKey;

typedef enum { MEASURE_NONE, MEASURE_RUNNING, MEASURE_DONE, MEASURE_FAILED } MeasureState;

typedef struct {
    MeasureState state;
    int epochs_done;                            // evaluated epochs so far
    double accuracy[MEASURE_MAX_EPOCHS];        // percent on the test subset after each epoch
    long steps[MEASURE_MAX_EPOCHS];             // mini-batches trained by then
    float mean_loss[MEASURE_MAX_EPOCHS];        // mean training loss of that epoch
    int predicted[MEASURE_MAX_EPOCHS][CIFAR_CLASSES]; // how often each class was predicted
    double class_accuracy[MEASURE_MAX_EPOCHS][CIFAR_CLASSES];
    char error[1024];
} MeasureResult;

// The result for key: cached, or computed now (background false), or started
// on the worker thread (background true: *out is MEASURE_RUNNING until done).
// train/test must stay alive until the process exits (see netlesson_train_set).
void measure_get(const MeasureKey *key, const CifarSet *train, const CifarSet *test, bool background,
                 MeasureResult *out);
// Increases whenever a background measurement finishes an epoch or ends (the player polls it).
unsigned measure_generation(void);
// True while the worker has work.
bool measure_busy(void);

#endif
