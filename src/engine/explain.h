/* What the network looked at: a saliency map and Grad-CAM for one input,
 * computed with the engine's own backward pass (net_layer_backward for every
 * layer above the first; conv2d_backward_reference for the first layer's
 * input gradient, which training never needs). Training's net_backward is
 * untouched, so its speed is too. Called by --batch predict and the lessons.
 *
 *   saliency[y, x] = max_c | d logit[k] / d input[c, y, x] |   (Simonyan et al. 2014)
 *   Grad-CAM at the last convolution layer, A = its output (K, h, w) before
 *   the ReLU, as pytorch-grad-cam's target_layers=[model.conv2] hooks it:
 *     alpha_k = mean_{i,j} d logit[k] / d A[k, i, j]
 *     cam     = ReLU(sum_k alpha_k A_k)                      (h, w) = (12, 12) for CNNNet
 *     gradcam = bilinear upsampling of cam to 32x32 with half-pixel centres,
 *               as F.interpolate(mode='bilinear', align_corners=False)
 *   (pytorch-grad-cam then min-max normalises for display; the views do that,
 *   the numbers here are unnormalised).
 */
#ifndef CONVLAB_EXPLAIN_H
#define CONVLAB_EXPLAIN_H

#include "engine/error.h"
#include "engine/net.h"

#define EXPLAIN_SIDE 32
#define EXPLAIN_MAX_CAM_CHANNELS 256
#define EXPLAIN_MAX_CAM_CELLS (64 * 64)

typedef struct {
    int target;                           // the class explained (the top class unless asked)
    float logits[NET_NUM_CLASSES];        // (10) the net's output
    float probs[NET_NUM_CLASSES];         // (10) softmax of the logits
    float input_grad[3 * EXPLAIN_SIDE * EXPLAIN_SIDE];   // (3, 32, 32) d logit[target] / d input
    float saliency[EXPLAIN_SIDE * EXPLAIN_SIDE];         // (32, 32) max over channels of |input_grad|
    char cam_layer[16];                   // "conv2": the last convolution layer
    int cam_c, cam_h, cam_w;              // its output shape (16, 12, 12)
    float cam_weights[EXPLAIN_MAX_CAM_CHANNELS];         // (cam_c) alpha_k
    float cam[EXPLAIN_MAX_CAM_CELLS];     // (cam_h, cam_w) ReLU of the weighted sum
    float gradcam[EXPLAIN_SIDE * EXPLAIN_SIDE];          // (32, 32) cam upsampled bilinearly
} Explanation;

// Runs net on one normalised input (3, 32, 32) and explains class `target`
// (-1: the top class, torch.argmax's first maximum). Overwrites the net's
// activations and activation gradients of sample 0 (not net->grads).
int net_explain(Explanation *out, Net *net, const float *input, int target, ClError *err);

// dst (oh, ow) = bilinear resize of src (h, w), align_corners=False (PyTorch's
// half-pixel rule, source index clamped at 0).
void resize_bilinear(float *dst, int oh, int ow, const float *src, int h, int w);

#endif
