/* The "filter_grads" scene kind's data (scene_filter_grads.c), shared with
 * its view (ui/view_filter_grads.c) and the tests: the chosen net's FIRST
 * Conv2d (CNNNet's conv1: 8 filters of 3x5x5), its filters and their
 * gradients after one backward on a real mini-batch of 4 training images
 * (net_forward, net_loss, net_backward, as trainer_step).
 */
#ifndef CONVLAB_SCENE_FILTER_GRADS_H
#define CONVLAB_SCENE_FILTER_GRADS_H

#include <stdbool.h>
#include <stdint.h>
#include "engine/netfile.h"
#include "lesson/netlesson.h"

#define FG_BATCH 4

typedef struct {
    char layer[NETFILE_NAME_MAX];            // the first Conv2d's module name ("conv1")
    int n_filters;                           // its out_channels (8 for CNNNet)
    int slices;                              // input channels per filter: in_channels / groups (3)
    int k_h, k_w;                            // kernel size (5, 5)
    int taps;                                // slices·k_h·k_w: one filter's weights (75)
    bool has_bias;
    bool from_train;                         // training images (else the test set)
    int first;                               // first image of the mini-batch
    int index[FG_BATCH];
    uint8_t labels[FG_BATCH];
    uint8_t rgb[FG_BATCH][32 * 32 * 3];      // interleaved, for the view
    float loss;                              // mean cross-entropy of the batch
    float *w;                                // (n_filters, slices, k_h, k_w) the layer's weight
    float *g;                                // (n_filters, slices, k_h, k_w) its gradient from net_backward
    float *gb;                               // (n_filters) the bias's gradient (zeros without a bias)
    float *g_norm;                           // (n_filters) |g| of each filter (L2)
    float w_max, g_max;                      // max |w|, max |g|: one scale per row of pictures
    WeightsInfo weights;
} FilterGradsExt;

#endif
