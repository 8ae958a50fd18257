/* What lessons 8-10 (the whole network, training, the tutorial's 9 %) share:
 * the `weights` key (seeded init or a checkpoint, with a visible fallback),
 * and the interface to their slow inputs, LessonData: the training images and
 * MEASUREMENTS (short trainings evaluated on a test subset). A scene reaches
 * them only through SceneEnv.data, an object its driver owns (the window, the
 * --batch commands, a test; implemented in src/session/lesson_data.c), so this
 * layer has no threads, caches or globals and a scene stays a function of its
 * inputs.
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

// The slow inputs of lessons 8-10. Ownership: the driver that puts it into
// SceneEnv.data creates it before the first scene and frees it after the last.
struct LessonData {
    // The training images (the first 10,000 of data_batch_1.bin), or NULL with why.
    const CifarSet *(*train_set)(LessonData *self, char *why, size_t n);
    // The measurement for key on the first key->train_n / key->test_n images of
    // train / test: done, failed, or (a background LessonData) MEASURE_RUNNING
    // with the epochs measured so far. train/test must outlive the call only.
    void (*measure)(LessonData *self, const MeasureKey *key, const CifarSet *train, const CifarSet *test,
                    MeasureResult *out);
};

// The training images for the lessons: env->cifar->train if it holds any, else
// env->data's. NULL if unavailable (why says why).
const CifarSet *netlesson_train_set(const SceneEnv *env, char *why, size_t n);

// env->data's measurement for key; MEASURE_FAILED with a reason without env->data.
void netlesson_measure(const SceneEnv *env, const MeasureKey *key, const CifarSet *train, const CifarSet *test,
                       MeasureResult *out);

#endif
