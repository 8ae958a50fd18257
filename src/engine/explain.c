/* Saliency and Grad-CAM (see explain.h): one forward, then the backward pass
 * from a one-hot gradient on the explained logit instead of the loss.
 */
#include "engine/explain.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/layers.h"

void resize_bilinear(float *dst, int oh, int ow, const float *src, int h, int w) {
    float sy = (float)h / (float)oh, sx = (float)w / (float)ow;
    for (int oy = 0; oy < oh; oy++) {
        float ry = sy * ((float)oy + 0.5f) - 0.5f;
        if (ry < 0) ry = 0;
        int y0 = (int)ry, dy = y0 < h - 1 ? 1 : 0;
        float ly = ry - (float)y0;
        for (int ox = 0; ox < ow; ox++) {
            float rx = sx * ((float)ox + 0.5f) - 0.5f;
            if (rx < 0) rx = 0;
            int x0 = (int)rx, dx = x0 < w - 1 ? 1 : 0;
            float lx = rx - (float)x0;
            const float *p = src + (size_t)y0 * w + x0;
            dst[(size_t)oy * ow + ox] = (1 - ly) * ((1 - lx) * p[0] + lx * p[dx]) +
                                        ly * ((1 - lx) * p[dy * w] + lx * p[dy * w + dx]);
        }
    }
}

static int last_conv_layer(const Net *net) {
    int last = -1;
    for (int i = 0; i < net->n_layers; i++)
        if (net->layers[i].kind == LAYER_CONV2D) last = i;
    return last;
}

// Backward of sample 0 from dacts[n_layers] down to the input: every layer but
// the first through net_layer_backward (its parameter gradients go to scratch),
// then the first convolution's input gradient into din (3, 32, 32).
static void backward_to_input(Net *net, float *din, float *scratch) {
    for (int i = net->n_layers - 1; i >= 1; i--) net_layer_backward(net, i, scratch, 0, 1);
    const Layer *l0 = &net->layers[0];
    memset(din, 0, sizeof(float) * (size_t)(l0->in_c * l0->in_h * l0->in_w));
    CL_ASSERT(l0->kind == LAYER_CONV2D);
    conv2d_backward_reference(din, NULL, NULL, net->dacts[1], net->acts[0], net->params + l0->weight_offset, &l0->conv,
                              1, l0->in_h, l0->in_w);
}

static void fill_saliency(Explanation *out) {
    int hw = EXPLAIN_SIDE * EXPLAIN_SIDE;
    for (int i = 0; i < hw; i++) {
        float m = 0;
        for (int c = 0; c < 3; c++) m = fmaxf(m, fabsf(out->input_grad[c * hw + i]));
        out->saliency[i] = m;
    }
}

static void fill_gradcam(Explanation *out, const Net *net, int L) {
    const Layer *l = &net->layers[L];
    int K = l->out_c, hw = l->out_h * l->out_w;
    const float *A = net->acts[L + 1], *dA = net->dacts[L + 1];
    snprintf(out->cam_layer, sizeof out->cam_layer, "%s", l->name);
    out->cam_c = K, out->cam_h = l->out_h, out->cam_w = l->out_w;
    for (int k = 0; k < K; k++) {
        double s = 0;
        for (int j = 0; j < hw; j++) s += dA[k * hw + j];
        out->cam_weights[k] = (float)(s / hw);
    }
    for (int j = 0; j < hw; j++) {
        float v = 0;
        for (int k = 0; k < K; k++) v += out->cam_weights[k] * A[k * hw + j];
        out->cam[j] = v > 0 ? v : 0;
    }
    resize_bilinear(out->gradcam, EXPLAIN_SIDE, EXPLAIN_SIDE, out->cam, l->out_h, l->out_w);
}

int net_explain(Explanation *out, Net *net, const float *input, int target, ClError *err) {
    memset(out, 0, sizeof *out);
    if (net->in_c != 3 || net->in_h != EXPLAIN_SIDE || net->in_w != EXPLAIN_SIDE)
        return cl_fail(err, "explain: the net takes %dx%dx%d inputs, not 3x32x32", net->in_c, net->in_h, net->in_w);
    int L = last_conv_layer(net);
    if (L < 0) return cl_fail(err, "explain: the net has no convolution layer for Grad-CAM");
    if (net->layers[0].kind != LAYER_CONV2D) // backward_to_input ends with the first layer's conv2d_backward
        return cl_fail(err, "explain: the saliency map needs a net whose first layer is a Conv2d; %s is a %s", net->layers[0].name,
                       netfile_kind_name(net->layers[0].kind));
    const Layer *l = &net->layers[L];
    if (l->out_c > EXPLAIN_MAX_CAM_CHANNELS || l->out_h * l->out_w > EXPLAIN_MAX_CAM_CELLS)
        return cl_fail(err, "explain: %s's output (%d x %d x %d) is larger than Grad-CAM's buffers", l->name, l->out_c,
                       l->out_h, l->out_w);
    const float *z = net_forward(net, input, 1);
    memcpy(out->logits, z, sizeof out->logits);
    uint8_t dummy = 0;
    cross_entropy_forward(out->probs, z, &dummy, 1, NET_NUM_CLASSES);
    if (target < 0) {
        uint8_t pred;
        net_predict(net, 1, &pred);
        target = pred;
    }
    if (target >= NET_NUM_CLASSES) return cl_fail(err, "explain: class %d is not one of the %d", target, NET_NUM_CLASSES);
    out->target = target;
    // d logit[target] / d logits = one-hot: the gradient the backward starts from.
    float *dz = net->dacts[net->n_layers];
    memset(dz, 0, sizeof(float) * NET_NUM_CLASSES);
    dz[target] = 1;
    float *scratch = cl_calloc((size_t)net->n_params, sizeof(float));
    backward_to_input(net, out->input_grad, scratch);
    free(scratch);
    fill_saliency(out);
    fill_gradcam(out, net, L);
    return 0;
}
