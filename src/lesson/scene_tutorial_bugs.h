/* The data of the "tutorial_bugs" scene kind (scene_tutorial_bugs.c), read by
 * its view and the tests: short trainings measured with the engine's Trainer,
 * each with the tutorial's three causes of its 9 % switched on or off.
 */
#ifndef CONVLAB_SCENE_TUTORIAL_BUGS_H
#define CONVLAB_SCENE_TUTORIAL_BUGS_H

#include <stdbool.h>
#include "lesson/netlesson.h"

#define BUGS_MAX_RUNS 6

typedef struct {
    bool tutorial_break;    // the `break` after the first mini-batch
    bool relu_logits;       // F.relu on the output layer
    int epochs;             // evaluated after this epoch
    MeasureState state;     // RUNNING while the window's worker trains it
    int epochs_done;        // of the measurement (for "measuring…")
    double accuracy;        // percent on the test subset
    long steps;             // mini-batches trained
    float mean_loss;        // mean training loss of the last epoch
    int top_class;          // the most predicted class
    double top_share;       // percent of the test images predicted as top_class
    char error[256];
} BugRun;

typedef struct {
    BugRun runs[BUGS_MAX_RUNS]; // the last one is the step's configuration (the code listing shows it)
    int n_runs;
    int train_n, test_n;        // the subsets measured on
    int measured_epochs;        // every (break, relu) pair is trained this long, evaluated after each epoch
    bool reference;             // show the reference PyTorch measurements (full data)
    bool busy;                  // some run is still being measured (window only)
    bool own_run;               // the last run comes from the step's tutorial_break/relu_logits/epochs keys (adjustable)
} BugsExt;

#endif
