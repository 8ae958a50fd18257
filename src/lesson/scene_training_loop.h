/* The data of the "training_loop" scene kind (scene_training_loop.c), read by
 * its view and the tests: one real mini-batch through the tutorial's loop
 * (zero_grad, forward, loss, backward, step) with the engine's numbers.
 */
#ifndef CONVLAB_SCENE_TRAINING_LOOP_H
#define CONVLAB_SCENE_TRAINING_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include "engine/cifar.h"
#include "engine/net.h"
#include "lesson/netlesson.h"

#define LOOP_BATCH 4

typedef enum { PHASE_ZERO_GRAD, PHASE_FORWARD, PHASE_LOSS, PHASE_BACKWARD, PHASE_STEP, PHASE_ALL } LoopPhase;

typedef struct {
    LoopPhase phase;
    bool from_train;                        // images from the training set (else the test set)
    int first;                              // index of the first image in that set
    int after;                              // mini-batches trained before this one (the `after` key)
    int index[LOOP_BATCH];
    uint8_t labels[LOOP_BATCH];
    uint8_t rgb[LOOP_BATCH][32 * 32 * 3];   // interleaved, for the view
    float logits[LOOP_BATCH * NET_NUM_CLASSES];
    float probs[LOOP_BATCH * NET_NUM_CLASSES];
    float nll[LOOP_BATCH];                  // -log probs[n, label[n]]
    float loss;                             // nn.CrossEntropyLoss (mean) = mean of nll
    float loss_after;                       // the same mini-batch after optimizer.step()
    uint8_t pred[LOOP_BATCH];
    char param[NETFILE_NAME_MAX + 64];      // "conv1.weight[0,0,0,0]"
    float w_init;                           // the named weight as the `weights` key set it, before any step
    float w_before, grad, w_after;          // the named weight: before, its gradient, after the step
    float v_prev, v;                        // its SGD momentum buffer before and after the step
                                            // (v_prev is 0 and unused on the first step: v = grad)
    float lr, momentum;
    char net_name[64];                      // the net trained ("cnnnet", or the --net file's)
    long n_params;                          // its parameter count
    char note[2 * NETFILE_NAME_MAX + 160];  // "ASKED|FOLLOWED": the step's param is not in this net
    // the 5x5 kernel slice holding the named weight (conv weights only), for the view
    int slice_rows, slice_cols;
    float slice_w[64], slice_g[64], slice_after[64];
    int slice_at;                           // the named weight's cell in the slice, or -1
    char slice_name[NETFILE_NAME_MAX + 80]; // "conv1.weight[0,0,:,:]"
    WeightsInfo weights;
} TrainLoopExt;

#endif
