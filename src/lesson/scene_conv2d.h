/* The "conv2d" scene kind's data (scene_conv2d.c), shared with its view
 * (ui/view_conv2d.c) and the tests: a multi-channel torch.nn.Conv2d computed
 * by the engine, the PyTorch error of an invalid setting, and one window's
 * per-slice sums.
 */
#ifndef CONVLAB_SCENE_CONV2D_H
#define CONVLAB_SCENE_CONV2D_H

#include "lesson/scene.h"

#define CONV2D_MAX_SLICES 16

typedef struct {
    int view;                   // 0 volume, 1 planes (one row per input channel), 2 params (nn.Conv2d's settings)
    Conv2dConfig cfg;           // as the step (and the student's keys) set it
    int C, H, W;                // input volume (C may differ from in_channels: PyTorch's RuntimeError)
    float *in;                  // (C, H, W)
    bool from_image;            // the R, G, B planes of a CIFAR crop
    float *weight;              // (OC, IC/groups, k, k), NULL if invalid
    float *bias;                // (OC) or NULL
    int OH, OW;                 // output size (0 if invalid)
    float *out;                 // (OC, OH, OW) from conv2d_forward
    long params;                // conv2d_param_count, -1 if no module can be built
    char error[1024];           // what PyTorch would raise for this setting ("" if valid)
    int filter;                 // the output channel whose window is shown
    int first_channel;          // first input channel of that filter's group
    int n_slices;               // kernel slices of the filter (in_channels / groups)
    float slice_sum[CONV2D_MAX_SLICES]; // the window's sum per slice (conv2d_forward on one channel)
    float products[CONV2D_MAX_SLICES][81]; // (n_slices, k, k) the window's w·x per slice, kernel order
                                // (a padding cell reads 0); each slice's products add up to its Σ
} Conv2dScene;

#endif
