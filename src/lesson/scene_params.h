/* The "params" scene kind's data (scene_params.c), shared with its view
 * (ui/view_params.c) and the tests: a Linear layer and a convolution that map
 * the same input to the same outputs, their parameter counts, and for small
 * grids each output's weights (the convolution's read off the engine).
 */
#ifndef CONVLAB_SCENE_PARAMS_H
#define CONVLAB_SCENE_PARAMS_H

#include <stddef.h>
#include "lesson/scene.h"

typedef struct {
    int mode;                   // 0: the Linear layer alone, 1: Linear and Conv2d side by side
    int n, f;                   // input n x n (per channel), kernel f x f
    Conv2dConfig cfg;           // the convolution (in/out channels, bias)
    int OH, OW;                 // its output size (conv2d_output_size)
    long conv_params;           // conv2d_param_count
    long fc_in, fc_out;         // the Linear layer: in_features = C·n·n, out_features = outputs
    long fc_params;             // fc_in·fc_out (+ fc_out biases)
    bool drawable;              // small enough to draw every output's weights
    float *fc_w;                // (fc_out, n, n) seeded: each output has its own
    float *conv_w;              // (OH·OW, n, n) the convolution as a matrix (conv2d_backward, one-hot), or NULL
    long conv_nonzero;          // non-zero entries of that matrix (OH·OW·f·f without padding)
} ParamsScene;


#endif
