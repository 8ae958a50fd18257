/* The "receptive_field" scene kind's data (scene_receptive_field.c), shared
 * with its view (ui/view_receptive_field.c) and the tests: which pixels of
 * the 32x32 input can influence one cell of CNNNet's conv1, pool1, conv2 or
 * pool2, from the engine's backward of a one-hot at that cell.
 */
#ifndef CONVLAB_SCENE_RECEPTIVE_FIELD_H
#define CONVLAB_SCENE_RECEPTIVE_FIELD_H

#include "lesson/scene.h"

#define RF_LAYERS 4                 // conv1, pool1, conv2, pool2

typedef struct {
    int layer;                      // 0..3: conv1, pool1, conv2, pool2
    int map_h, map_w;               // that layer's output size (net_build_cnnnet's table)
    int cell_r, cell_c;             // the one-hot's position in it
    float paths[32 * 32];           // (32, 32) the backward of the one-hot: how many paths reach each pixel
    int y0, x0, h, w;               // bounding box of paths > 0: the receptive field
    int rf[RF_LAYERS];              // the size formula's result per layer: r += (k − 1)·j, j *= s
    int jump[RF_LAYERS];            // pixels between neighbouring cells of each layer (j)
    int kernel[RF_LAYERS], stride[RF_LAYERS]; // the layers' kernel sizes and strides
} ReceptiveFieldScene;

#endif
