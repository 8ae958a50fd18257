/* Editing a parsed network as the training screen does: a hidden layer's
 * width (a Conv2d's out_channels, a hidden Linear's out_features) or a
 * Conv2d's kernel_size. The layers that read that output follow, as a person
 * editing the PyTorch code would make them: the BatchNorm2d layers after it
 * take the new num_features, the next Conv2d the new in_channels, and the
 * next Linear after a Flatten the new in_features (C*H*W). Then the shapes are
 * inferred again; a choice that cannot work (a map that shrinks to nothing, a
 * groups count that no longer divides) fails with PyTorch's words and leaves
 * the spec as it was.
 */
#include "engine/netfile.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool has_weights(LayerKind k) { return k == LAYER_CONV2D || k == LAYER_CONV_TRANSPOSE2D || k == LAYER_LINEAR; }

bool netfile_layer_is_hidden(const NetSpec *spec, int i) {
    if (i < 0 || i >= spec->n_layers) return false;
    LayerKind k = spec->layers[i].kind;
    if (k != LAYER_CONV2D && k != LAYER_LINEAR) return false;
    for (int j = i + 1; j < spec->n_layers; j++)
        if (has_weights(spec->layers[j].kind)) return true;
    return false; // the last layer with weights gives the 10 classes
}

// The line number netfile_infer's error names ("path:LINE: ..."), or 0.
static int error_line(const NetSpec *spec, const ClError *err) {
    size_t n = strlen(spec->path);
    if (strncmp(err->msg, spec->path, n) != 0 || err->msg[n] != ':') return 0;
    return atoi(err->msg + n + 1);
}

// After layer i's output changed: for a width (channels set), BatchNorm2d
// layers take the new channel count up to the next Conv2d, which takes it as
// its in_channels; the first Linear after i takes the size it is given (a
// hidden Linear's width, or C*H*W after the Flatten), known once the shapes
// before it are inferred again: it is set when inference stops there, then
// inference is retried.
static int infer_following(NetSpec *t, int i, int channels, ClError *err) {
    int linear = -1;
    bool fed = channels <= 0; // the kernel edit keeps the channels
    for (int j = i + 1; j < t->n_layers; j++) {
        LayerSpec *l = &t->layers[j];
        if (l->kind == LAYER_LINEAR && linear < 0) linear = j;
        if (fed || l->kind == LAYER_LINEAR) continue;
        if (l->kind == LAYER_BATCHNORM2D) l->num_features = channels;
        else if (l->kind == LAYER_CONV2D || l->kind == LAYER_CONV_TRANSPOSE2D) l->in_channels = channels, fed = true;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        ClError why = {{0}};
        if (netfile_infer(t, t->batch, &why) == 0) return 0;
        LayerSpec *c = linear >= 0 ? &t->layers[linear] : NULL;
        if (attempt == 0 && c && error_line(t, &why) == c->line && c->in_flat && c->in_features != c->in_c) {
            c->in_features = c->in_c;
            continue;
        }
        return cl_fail(err, "%s", why.msg);
    }
    return cl_fail(err, "%s: the edit did not settle", t->path);
}

// Runs the edit on a copy; on success the copy replaces spec, and every
// layer whose arguments changed is written anew (the others keep their text,
// e.g. "Linear(16 * 5 * 5, 120)").
static int commit_edit(NetSpec *spec, NetSpec *t, int i, int channels, ClError *err) {
    if (infer_following(t, i, channels, err) != 0) {
        free(t);
        return -1;
    }
    for (int j = 0; j < t->n_layers; j++) {
        char before[NETFILE_TEXT_MAX], after[NETFILE_TEXT_MAX];
        netfile_format_call(before, sizeof before, &spec->layers[j]);
        netfile_format_call(after, sizeof after, &t->layers[j]);
        if (strcmp(before, after) != 0) snprintf(t->layers[j].text, sizeof t->layers[j].text, "%s", after);
    }
    *spec = *t;
    free(t);
    return 0;
}

int netfile_set_width(NetSpec *spec, int i, int width, ClError *err) {
    if (!netfile_layer_is_hidden(spec, i))
        return cl_fail(err, "layer %d is not a hidden Conv2d or Linear (the last one gives the %d classes)", i + 1, NETFILE_CLASSES);
    if (width < 1 || width > NETFILE_MAX_WIDTH)
        return cl_fail(err, "a width must be between 1 and %d, got %d", NETFILE_MAX_WIDTH, width);
    NetSpec *t = cl_malloc(sizeof *t);
    *t = *spec;
    if (t->layers[i].kind == LAYER_CONV2D) t->layers[i].out_channels = width;
    else t->layers[i].out_features = width;
    return commit_edit(spec, t, i, t->layers[i].kind == LAYER_CONV2D ? width : 0, err);
}

int netfile_set_kernel(NetSpec *spec, int i, int k, ClError *err) {
    if (i < 0 || i >= spec->n_layers || spec->layers[i].kind != LAYER_CONV2D)
        return cl_fail(err, "layer %d is not a Conv2d", i + 1);
    if (k < 1 || k > NETFILE_MAX_WINDOW) return cl_fail(err, "a kernel_size must be between 1 and %d, got %d", NETFILE_MAX_WINDOW, k);
    NetSpec *t = cl_malloc(sizeof *t);
    *t = *spec;
    t->layers[i].kernel[0] = t->layers[i].kernel[1] = k;
    return commit_edit(spec, t, i, 0, err);
}
