/* The "filter_grads" scene kind's data (scene_filter_grads.c), shared with
 * its view (ui/view_filter_grads.c) and the tests: CNNNet's eight conv1
 * filters and their gradients after one backward on a real mini-batch of 4
 * training images (net_forward, net_loss, net_backward, as trainer_step).
 */
#ifndef CONVLAB_SCENE_FILTER_GRADS_H
#define CONVLAB_SCENE_FILTER_GRADS_H

#include <stdbool.h>
#include <stdint.h>
#include "lesson/netlesson.h"

#define FG_BATCH 4
#define FG_FILTERS 8
#define FG_TAPS (3 * 5 * 5)          // one filter: (3, 5, 5)

typedef struct {
    bool from_train;                         // training images (else the test set)
    int first;                               // first image of the mini-batch
    int index[FG_BATCH];
    uint8_t labels[FG_BATCH];
    uint8_t rgb[FG_BATCH][32 * 32 * 3];      // interleaved, for the view
    float loss;                              // mean cross-entropy of the batch
    float w[FG_FILTERS * FG_TAPS];           // (8, 3, 5, 5) conv1.weight
    float g[FG_FILTERS * FG_TAPS];           // (8, 3, 5, 5) its gradient from net_backward
    float gb[FG_FILTERS];                    // (8) conv1.bias's gradient
    float w_max, g_max;                      // max |w|, max |g|: one scale per row of pictures
    float g_norm[FG_FILTERS];                // |g| of each filter (L2)
    WeightsInfo weights;
} FilterGradsExt;

#endif
