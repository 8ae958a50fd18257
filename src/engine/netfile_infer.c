/* Shape inference of a parsed net file on CIFAR-10's [N, 3, 32, 32] input:
 * what PyTorch's forward would compute or refuse, in its order and words, and
 * the state_dict (names, shapes, offsets in one flat block). See netfile.h.
 * The convolution and pooling output sizes are the engine's own
 * (conv2d_output_size, maxpool2d_output_size, avgpool2d_output_size).
 */
#include "engine/netfile.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

// The running shape: one image's (C, H, W), or (F, 1, 1) with flat for [N, F].
typedef struct {
    int c, h, w;
    bool flat;
} Shape;

typedef struct {
    NetSpec *spec;
    const LayerSpec *l;
    ClError *err;
} Ctx;

static int fail_layer(const Ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail_layer(const Ctx *x, const char *fmt, ...) {
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cl_fail(x->err, "%s:%d: %s", x->spec->path, x->l->line, msg);
}

static void shape_text(char *out, size_t cap, const Ctx *x, Shape s) {
    netfile_format_shape(out, cap, x->spec->batch, s.c, s.h, s.w, s.flat);
}

// ---- the state_dict -------------------------------------------------------------------

static void add_tensor(NetSpec *spec, int layer, const char *suffix, bool learnable, bool i64, int ndim,
                       const long *shape, long *param_offset, long *buffer_offset) {
    CL_ASSERT(spec->n_tensors < NETFILE_MAX_TENSORS);
    TensorSpec *t = &spec->tensors[spec->n_tensors++];
    memset(t, 0, sizeof *t);
    char prefix[NETFILE_NAME_MAX];
    memcpy(prefix, spec->layers[layer].name, sizeof prefix);
    snprintf(t->name, sizeof t->name, "%s.%s", prefix, suffix);
    t->learnable = learnable, t->i64 = i64, t->ndim = ndim, t->layer = layer;
    t->numel = 1;
    for (int d = 0; d < ndim; d++) t->shape[d] = shape[d], t->numel *= shape[d];
    if (learnable) t->offset = *param_offset, *param_offset += t->numel;
    else if (!i64) t->offset = *buffer_offset, *buffer_offset += t->numel;
    else t->offset = -1;
}

// The layer's tensors in PyTorch's order (weight, bias, running_mean,
// running_var, num_batches_tracked); learnable ones are counted in param_count.
static void add_layer_tensors(NetSpec *spec, int i, long *param_offset, long *buffer_offset) {
    LayerSpec *l = &spec->layers[i];
    l->first_tensor = spec->n_tensors;
    long start = *param_offset;
    if (l->first_use) {
        long w[4], b[1];
        switch (l->kind) {
        case LAYER_CONV2D: case LAYER_CONV_TRANSPOSE2D: {
            bool t = l->kind == LAYER_CONV_TRANSPOSE2D;
            w[0] = t ? l->in_channels : l->out_channels;
            w[1] = (t ? l->out_channels : l->in_channels) / l->groups;
            w[2] = l->kernel[0], w[3] = l->kernel[1], b[0] = l->out_channels;
            add_tensor(spec, i, "weight", true, false, 4, w, param_offset, buffer_offset);
            if (l->bias) add_tensor(spec, i, "bias", true, false, 1, b, param_offset, buffer_offset);
            break;
        }
        case LAYER_LINEAR:
            w[0] = l->out_features, w[1] = l->in_features, b[0] = l->out_features;
            add_tensor(spec, i, "weight", true, false, 2, w, param_offset, buffer_offset);
            if (l->bias) add_tensor(spec, i, "bias", true, false, 1, b, param_offset, buffer_offset);
            break;
        case LAYER_BATCHNORM2D:
            b[0] = l->num_features;
            if (l->affine) {
                add_tensor(spec, i, "weight", true, false, 1, b, param_offset, buffer_offset);
                add_tensor(spec, i, "bias", true, false, 1, b, param_offset, buffer_offset);
            }
            if (l->track_running_stats) {
                add_tensor(spec, i, "running_mean", false, false, 1, b, param_offset, buffer_offset);
                add_tensor(spec, i, "running_var", false, false, 1, b, param_offset, buffer_offset);
                add_tensor(spec, i, "num_batches_tracked", false, true, 0, b, param_offset, buffer_offset);
            }
            break;
        default: break;
        }
    }
    l->n_tensors = spec->n_tensors - l->first_tensor;
    l->param_count = *param_offset - start;
}

// ---- convolutions ---------------------------------------------------------------------------

// The checks of PyTorch's check_shape_forward that come before the output size.
static int check_conv_forward(const Ctx *x, Shape in, bool transposed) {
    const LayerSpec *l = x->l;
    char shape[64], wshape[80];
    shape_text(shape, sizeof shape, x, in);
    if (in.flat)
        return fail_layer(x, "Expected 3D (unbatched) or 4D (batched) input to %s, but got input of size: %s",
                          transposed ? "conv_transpose2d" : "conv2d", shape);
    if (l->padding_kind == NET_PAD_INT && (l->padding[0] < 0 || l->padding[1] < 0))
        return fail_layer(x, "negative padding is not supported");
    if (l->stride[0] <= 0 || l->stride[1] <= 0) return fail_layer(x, "non-positive stride is not supported");
    if (l->dilation[0] <= 0 || l->dilation[1] <= 0) return fail_layer(x, "non-positive dilation is not supported");
    int w0 = transposed ? l->in_channels : l->out_channels, w1 = (transposed ? l->out_channels : l->in_channels) / l->groups;
    snprintf(wshape, sizeof wshape, "[%d, %d, %d, %d]", w0, w1, l->kernel[0], l->kernel[1]);
    if (transposed && w1 == 0) return fail_layer(x, "non-empty 2D or 4D weight tensor expected, but got: %s", wshape);
    if (!transposed && w0 < l->groups)
        return fail_layer(x, "Given groups=%d, expected weight to be at least %d at dimension 0, but got weight of size %s "
                          "instead", l->groups, l->groups, wshape);
    int expected = transposed ? w0 : w1 * l->groups;
    if (in.c != expected)
        return fail_layer(x, "Given %s=%d, weight of size %s, expected input%s to have %d channels, but got %d channels "
                          "instead", transposed ? "transposed" : "groups", transposed ? 1 : l->groups, wshape, shape,
                          expected, in.c);
    if (l->kernel[0] <= 0 || l->kernel[1] <= 0)
        return fail_layer(x, "kernel size should be greater than zero, but got kernel_height: %d kernel_width: %d",
                          l->kernel[0], l->kernel[1]);
    return 0;
}

static int infer_conv2d(const Ctx *x, LayerSpec *l, Shape *s) {
    if (check_conv_forward(x, *s, false) != 0) return -1;
    Conv2dConfig *c = &l->conv;
    *c = conv2d_config(l->in_channels, l->out_channels, l->kernel[0], l->kernel[1]);
    c->stride_h = l->stride[0], c->stride_w = l->stride[1];
    c->dilation_h = l->dilation[0], c->dilation_w = l->dilation[1];
    c->groups = l->groups;
    c->has_bias = l->bias;
    ClError why = {{0}};
    if (l->padding_kind == NET_PAD_SAME) {
        if (conv2d_set_padding_same(c, &why) != 0) return fail_layer(x, "%s", why.msg);
    } else if (l->padding_kind == NET_PAD_INT) conv2d_set_padding(c, l->padding[0], l->padding[1]);
    long padded_h = (long)s->h + c->pad_top + c->pad_bottom, padded_w = (long)s->w + c->pad_left + c->pad_right;
    long span_h = (long)c->dilation_h * (c->kernel_h - 1) + 1, span_w = (long)c->dilation_w * (c->kernel_w - 1) + 1;
    if (padded_h < span_h || padded_w < span_w)
        return fail_layer(x, "Calculated padded input size per channel: (%ld x %ld). Kernel size: (%ld x %ld). Kernel size "
                          "can't be greater than actual input size", padded_h, padded_w, span_h, span_w);
    int oh, ow;
    if (conv2d_output_size(c, s->h, s->w, &oh, &ow, &why) != 0) return fail_layer(x, "%s", why.msg);
    *s = (Shape){l->out_channels, oh, ow, false};
    return 0;
}

// out = (H - 1)*s - 2p + d*(k - 1) + output_padding + 1, as torch.nn.ConvTranspose2d.
static int infer_conv_transpose2d(const Ctx *x, LayerSpec *l, Shape *s) {
    if (check_conv_forward(x, *s, true) != 0) return -1;
    if (l->output_padding[0] < 0 || l->output_padding[1] < 0) return fail_layer(x, "negative output_padding is not supported");
    for (int d = 0; d < 2; d++)
        if (l->output_padding[d] >= l->stride[d] && l->output_padding[d] >= l->dilation[d])
            return fail_layer(x, "output padding must be smaller than either stride or dilation, but got output_padding_height: "
                              "%d output_padding_width: %d stride_height: %d stride_width: %d dilation_height: %d "
                              "dilation_width: %d", l->output_padding[0], l->output_padding[1], l->stride[0], l->stride[1],
                              l->dilation[0], l->dilation[1]);
    long in[2] = {s->h, s->w}, out[2];
    for (int d = 0; d < 2; d++)
        out[d] = (in[d] - 1) * l->stride[d] - 2L * l->padding[d] + (long)l->dilation[d] * (l->kernel[d] - 1) +
                 l->output_padding[d] + 1;
    if (out[0] < 1 || out[1] < 1)
        return fail_layer(x, "Given input size per channel: (%ld x %ld). Calculated output size per channel: (%ld x %ld). "
                          "Output size is too small", in[0], in[1], out[0], out[1]);
    if (out[0] * out[1] > NETFILE_MAX_ACTIVATIONS)
        return fail_layer(x, "ConvTranspose2d: an output of %ld x %ld per channel is over convlab's limit", out[0], out[1]);
    Conv2dConfig *c = &l->conv; // the same fields, in ConvTranspose2d's meaning
    *c = conv2d_config(l->in_channels, l->out_channels, l->kernel[0], l->kernel[1]);
    c->stride_h = l->stride[0], c->stride_w = l->stride[1];
    c->dilation_h = l->dilation[0], c->dilation_w = l->dilation[1];
    c->groups = l->groups;
    c->has_bias = l->bias;
    conv2d_set_padding(c, l->padding[0], l->padding[1]);
    *s = (Shape){l->out_channels, (int)out[0], (int)out[1], false};
    return 0;
}

// ---- pooling, normalization, linear, flatten ---------------------------------------------------

static int infer_pool(const Ctx *x, LayerSpec *l, Shape *s, bool max) {
    if (s->flat)
        return max ? fail_layer(x, "non-empty 3D or 4D (batch mode) tensor expected for input")
                   : fail_layer(x, "Dimension out of range (expected to be in range of [-2, 1], but got -3)");
    Pool2dConfig *c = &l->pool;
    *c = pool2d_config(l->kernel[0], l->kernel[1]);
    c->stride_h = l->stride[0], c->stride_w = l->stride[1];
    c->pad_h = l->padding[0], c->pad_w = l->padding[1];
    c->dilation_h = l->dilation[0], c->dilation_w = l->dilation[1];
    c->ceil_mode = l->ceil_mode;
    c->count_include_pad = l->count_include_pad;
    ClError why = {{0}};
    int oh, ow;
    int rc = max ? maxpool2d_output_size(c, s->h, s->w, &oh, &ow, &why) : avgpool2d_output_size(c, s->h, s->w, &oh, &ow, &why);
    if (rc != 0) {
        // The engine's text is PyTorch's after "MaxPool2d: "; PyTorch's
        // too-small message also names the channels.
        const char *msg = strchr(why.msg, ':') ? strchr(why.msg, ':') + 2 : why.msg;
        int h, w, a, b;
        if (sscanf(msg, "Given input size: (%dx%d). Calculated output size: (%dx%d)", &h, &w, &a, &b) == 4)
            return fail_layer(x, "Given input size: (%dx%dx%d). Calculated output size: (%dx%dx%d). Output size is too small",
                              s->c, h, w, s->c, a, b);
        return fail_layer(x, "%s", msg);
    }
    s->h = oh, s->w = ow;
    return 0;
}

static int infer_batchnorm(const Ctx *x, const LayerSpec *l, const Shape *s) {
    if (s->flat) return fail_layer(x, "expected 4D input (got 2D input)");
    if (s->c != l->num_features && (l->track_running_stats || l->affine))
        return fail_layer(x, "%s should contain %d elements not %d", l->track_running_stats ? "running_mean" : "weight", s->c,
                          l->num_features);
    if ((long)x->spec->batch * s->h * s->w == 1)
        return fail_layer(x, "Expected more than 1 value per channel when training, got input size torch.Size([%d, %d, %d, %d])",
                          x->spec->batch, s->c, s->h, s->w);
    return 0;
}

static int infer_linear(const Ctx *x, const LayerSpec *l, Shape *s) {
    long rows = s->flat ? x->spec->batch : (long)x->spec->batch * s->c * s->h, cols = s->flat ? s->c : s->w;
    if (cols != l->in_features)
        return fail_layer(x, "mat1 and mat2 shapes cannot be multiplied (%ldx%ld and %dx%d)%s", rows, cols, l->in_features,
                          l->out_features, s->flat ? "" : "; HINT: add Flatten() before this Linear");
    if (!s->flat) {
        char shape[64];
        shape_text(shape, sizeof shape, x, *s);
        return fail_layer(x, "Linear on the 4-D input %s: PyTorch would apply it to the last dimension only; convlab's Linear "
                          "takes [N, features]: add Flatten() before it", shape);
    }
    if (l->out_features < 1) return fail_layer(x, "Linear: out_features must be at least 1, got %d", l->out_features);
    *s = (Shape){l->out_features, 1, 1, true};
    return 0;
}

// torch.flatten's checks; convlab flattens [N, C, H, W] to [N, C*H*W] only.
static int infer_flatten(const Ctx *x, const LayerSpec *l, Shape *s) {
    int ndim = s->flat ? 2 : 4, dims[2] = {l->start_dim, l->end_dim};
    for (int k = 0; k < 2; k++) {
        if (dims[k] < -ndim || dims[k] >= ndim)
            return fail_layer(x, "Dimension out of range (expected to be in range of [%d, %d], but got %d)", -ndim, ndim - 1,
                              dims[k]);
        if (dims[k] < 0) dims[k] += ndim;
    }
    if (dims[0] > dims[1]) return fail_layer(x, "flatten() has invalid args: start_dim cannot come after end_dim");
    if (dims[0] == dims[1]) return 0; // nothing to merge: torch returns the input
    if (dims[0] != 1 || dims[1] != ndim - 1)
        return fail_layer(x, "Flatten(start_dim=%d, end_dim=%d) is not supported: convlab flattens [N, C, H, W] to "
                          "[N, C*H*W] only; use Flatten()", l->start_dim, l->end_dim);
    *s = (Shape){s->c * s->h * s->w, 1, 1, true};
    return 0;
}

static int infer_layer(const Ctx *x, LayerSpec *l, Shape *s) {
    switch (l->kind) {
    case LAYER_CONV2D: return infer_conv2d(x, l, s);
    case LAYER_CONV_TRANSPOSE2D: return infer_conv_transpose2d(x, l, s);
    case LAYER_MAXPOOL2D: return infer_pool(x, l, s, true);
    case LAYER_AVGPOOL2D: return infer_pool(x, l, s, false);
    case LAYER_BATCHNORM2D: return infer_batchnorm(x, l, s);
    case LAYER_LINEAR: return infer_linear(x, l, s);
    case LAYER_FLATTEN: return infer_flatten(x, l, s);
    default: return 0; // elementwise: ReLU, LeakyReLU, Tanh, Sigmoid, Dropout
    }
}

int netfile_infer(NetSpec *spec, int batch, ClError *err) {
    if (batch < 1) return cl_fail(err, "%s: the batch size must be at least 1, got %d", spec->path, batch);
    spec->batch = batch;
    spec->n_tensors = 0;
    Shape s = {3, 32, 32, false};
    long params = 0, buffers = 0;
    for (int i = 0; i < spec->n_layers; i++) {
        LayerSpec *l = &spec->layers[i];
        Ctx x = {spec, l, err};
        l->in_c = s.c, l->in_h = s.h, l->in_w = s.w, l->in_flat = s.flat;
        if (infer_layer(&x, l, &s) != 0) return -1;
        l->out_c = s.c, l->out_h = s.h, l->out_w = s.w, l->out_flat = s.flat;
        if ((long)s.c * s.h * s.w > NETFILE_MAX_ACTIVATIONS)
            return fail_layer(&x, "%s gives %ld values per image, over convlab's limit of %ld", netfile_kind_name(l->kind),
                              (long)s.c * s.h * s.w, NETFILE_MAX_ACTIVATIONS);
        add_layer_tensors(spec, i, &params, &buffers);
        if (params > NETFILE_MAX_PARAMS)
            return fail_layer(&x, "the network has %ld parameters up to this layer, over convlab's limit of %ld", params,
                              NETFILE_MAX_PARAMS);
    }
    spec->n_params = params;
    spec->n_buffer_values = buffers;
    const LayerSpec *last = &spec->layers[spec->n_layers - 1];
    if (!s.flat || s.c != NETFILE_CLASSES) {
        char shape[64];
        netfile_format_shape(shape, sizeof shape, batch, s.c, s.h, s.w, s.flat);
        return cl_fail(err, "%s:%d: the network gives %s, but a CIFAR-10 classifier must end with [%d, %d] (one score per "
                       "class): make the last layer a Linear(..., %d)%s", spec->path, last->line, shape, batch,
                       NETFILE_CLASSES, NETFILE_CLASSES, s.flat ? "" : " after a Flatten()");
    }
    return 0;
}
