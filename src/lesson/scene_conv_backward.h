/* The "conv_backward" scene kind's data (scene_conv_backward.c), shared with
 * its view (ui/view_conv_backward.c) and the tests: one Conv2d on one plane,
 * the loss L = Σ dout ⊙ out (so dL/dout = dout) or, with a `target`, the
 * squared error L = ½ Σ (out − target)² (dL/dout = out − target), and the engine's gradients
 * from conv2d_backward, with one gradient cell written out as a sum of
 * products and an optional finite-difference check of one weight.
 */
#ifndef CONVLAB_SCENE_CONV_BACKWARD_H
#define CONVLAB_SCENE_CONV_BACKWARD_H

#include "lesson/scene.h"

typedef enum { CB_FORWARD, CB_CHAIN, CB_DKERNEL, CB_DINPUT, CB_FD, CB_ALL } ConvBackFocus;

#define CB_MAX_TERMS 144             // a dL/dk cell of a 12x12 input with a 1x1 kernel: every output

typedef struct {
    ConvBackFocus focus;        // what the step looks at (the `focus` key)
    Grid dout;                  // (OH, OW) dL/dout: the `dout` key, or out − target
    Grid target;                // (OH, OW) the squared error's target, or empty (linear loss)
    Grid dkernel;               // (KH, KW) conv2d_backward's dweight
    Grid dinput;                // (H, W)  conv2d_backward's din
    Grid full;                  // (H + d(KH-1), W + d(KW-1)) dout with s-1 zeros between cells and
                                // d(k-1)-p zeros around: dinput = full ⊛ flipped kernel (dilation d)
    uint8_t *full_real;         // (full) 1 where a dout value sits (else a zero that was inserted)
    int full_off_y, full_off_x; // where dout[0,0] lands in full: d(k-1) - p (may be negative)
    Grid kflip;                 // (KH, KW) the kernel rotated by 180°
    int cell_r, cell_c;         // the gradient cell in focus (kernel cell; input cell for dinput)
    int out_r, out_c;           // the output cell of the chain rule (chain focus)
    // the focus cell's sum: value = Σ a[i]·b[i]; (ay, ax) and (by, bx) are the factors' cells
    int n_terms;
    float ta[CB_MAX_TERMS], tb[CB_MAX_TERMS];
    int ay[CB_MAX_TERMS], ax[CB_MAX_TERMS], by[CB_MAX_TERMS], bx[CB_MAX_TERMS];
    float value;                // the engine's gradient at the focus cell
    float loss;                 // L (double-accumulated)
    float eps;                  // the finite-difference nudge of kernel[cell]
    float loss_nudged;          // L with kernel[cell] + eps (conv2d_forward again)
    float fd_change;            // loss_nudged - loss
    float fd_predicted;         // eps * dkernel[cell]
} ConvBackScene;

#endif
