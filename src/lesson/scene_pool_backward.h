/* The "pool_backward" scene kind's data (scene_pool_backward.c), shared with
 * its view (ui/view_pool_backward.c) and the tests: MaxPool2d or ReLU on one
 * plane and where its backward sends ∂L/∂out, from the engine's
 * maxpool2d_backward (to the argmax only) and relu_backward (only where the
 * input was positive).
 */
#ifndef CONVLAB_SCENE_POOL_BACKWARD_H
#define CONVLAB_SCENE_POOL_BACKWARD_H

#include "lesson/scene.h"

typedef enum { PB_MAXPOOL, PB_RELU } PoolBackOp;

typedef struct {
    PoolBackOp op;              // the `op` key
    char error[1024];           // PyTorch's message for an invalid live setting ("" if valid)
    Grid dout;                  // (OH, OW) ∂L/∂out: the `dout` key (all ones without it)
    Grid dinput;                // (H, W) the engine's backward
    int cell_r, cell_c;         // the focus: an output cell (maxpool) or an input cell (relu); -1 none
    int arg_r, arg_c;           // maxpool: the focus window's argmax (input cell)
    int n_receivers;            // maxpool: windows whose argmax is that input cell (they add up there)
} PoolBackScene;

#endif
