/* The "receptive_field" scene kind's data (scene_receptive_field.c), shared
 * with its view (ui/view_receptive_field.c) and the tests: which pixels of
 * the 32x32 input can influence one cell of a spatial layer (Conv2d,
 * MaxPool2d, AvgPool2d) of the chosen net (CNNNet unless --net FILE), from
 * the engine's backward of a one-hot at that cell, next to the size formula
 * computed from the layers' real kernel, stride, padding and dilation.
 */
#ifndef CONVLAB_SCENE_RECEPTIVE_FIELD_H
#define CONVLAB_SCENE_RECEPTIVE_FIELD_H

#include "engine/netfile.h"
#include "lesson/scene.h"

#define RF_MAX_LAYERS 24            // spatial layers listed (a net file has at most 64 layers)

// One spatial layer of the net, in order, with the size formula along one axis
// (rows; the columns are the same for square kernels and are kept in *_w):
// r_out = r_in + (k_eff − 1)·j_in, j_out = j_in·s, start_out = start_in − p·j_in,
// k_eff = d·(k − 1) + 1. Cell c of the layer sees input pixels start + c·j ... + r − 1.
typedef struct {
    char name[NETFILE_NAME_MAX];    // the net file's module name ("conv1", "pool", "features.0")
    const char *kind;               // "Conv2d", "MaxPool2d", "AvgPool2d"
    int net_index;                  // index in the net's layer table
    int out_c, out_h, out_w;        // its output shape (C, H, W)
    int k_h, k_w, s_h, s_w, p_h, p_w, d_h, d_w; // kernel, stride, padding (top/left), dilation
    int rf_h, rf_w;                 // receptive field size from the formula
    int jump_h, jump_w;             // pixels between neighbouring cells of its output (j_out)
    int start_h, start_w;           // first input pixel row/col seen by cell 0 (may be < 0: padding)
} RfLayer;

typedef struct {
    int n_layers;                   // spatial layers before the first Flatten/Linear
    RfLayer layers[RF_MAX_LAYERS];
    int layer;                      // the focus: index into layers
    char missing[NETFILE_NAME_MAX]; // the step's `layer`, which the chosen net lacks ("" if it has it)
    int map_h, map_w;               // that layer's output size
    int cell_r, cell_c;             // the one-hot's position in it
    float paths[32 * 32];           // (32, 32) the backward of the one-hot: how many paths reach each pixel
    int y0, x0, h, w;               // bounding box of paths > 0: the receptive field
} ReceptiveFieldScene;

// The rows/cols the formula says cell (r, c) of layer i sees, clipped to the 32x32 image:
// *y0, *x0 and the size *h x *w (what the one-hot backward must find).
void rf_formula_box(const ReceptiveFieldScene *e, int i, int r, int c, int *y0, int *x0, int *h, int *w);

#endif
