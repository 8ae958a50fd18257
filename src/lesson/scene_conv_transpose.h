/* The "conv_transpose" scene kind's data (scene_conv_transpose.c), shared
 * with its view (ui/view_conv_transpose.c) and the tests: one
 * torch.nn.ConvTranspose2d on one plane computed by the engine, the full
 * (uncropped) result that padding crops, the PyTorch error of an invalid
 * setting, one input cell's stamp and one output cell's sum of products.
 */
#ifndef CONVLAB_SCENE_CONV_TRANSPOSE_H
#define CONVLAB_SCENE_CONV_TRANSPOSE_H

#include "engine/conv_transpose2d.h"
#include "lesson/scene.h"

#define CT_MAX_TERMS 64

typedef struct {
    ConvTranspose2dConfig cfg;  // 1 -> 1 channel, as the step (and the student's keys) set it
    char error[1024];           // what PyTorch would raise for this setting ("" if valid)
    Grid full;                  // (OH + 2p_h, OW + 2p_w) the same op with padding 0: output = full cropped by p
    int stamp_r, stamp_c;       // input cell whose scaled kernel copy is shown (-1: none)
    Grid partial;               // (full) the full result from the input cells up to the stamp (row-major), or empty
    int n_stamped;              // input cells that have stamped so far (0..H*W; all = H*W)
    int n_terms;                // the window's sum: out[win] = Σ x[iy,ix]·k[ky,kx]
    float tx[CT_MAX_TERMS], tk[CT_MAX_TERMS];
    int iy[CT_MAX_TERMS], ix[CT_MAX_TERMS], ky[CT_MAX_TERMS], kx[CT_MAX_TERMS];
} ConvTransposeScene;

#endif
