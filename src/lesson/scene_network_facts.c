/* Lesson 8's texts for any network: the facts of the "network" scene
 * (scene_facts.h) computed from the engine's layer table, and the layer in
 * the same role when the chosen net lacks a name the lesson was written with
 * (CNNNet's pool1 is the tutorial net's first `pool`).
 */
#include <stdio.h>
#include <string.h>

#include "lesson/scene_facts.h"
#include "lesson/scene_network.h"

// The role of a layer kind: layers of one role stand in for each other.
typedef enum { ROLE_CONV, ROLE_POOL, ROLE_ACT, ROLE_FLAT, ROLE_FC, ROLE_NORM, ROLE_DROP, ROLE_NONE } LayerRole;

static LayerRole role_of(LayerKind k) {
    switch (k) {
    case LAYER_CONV2D: case LAYER_CONV_TRANSPOSE2D: return ROLE_CONV;
    case LAYER_MAXPOOL2D: case LAYER_AVGPOOL2D: return ROLE_POOL;
    case LAYER_RELU: case LAYER_LEAKY_RELU: case LAYER_TANH: case LAYER_SIGMOID: return ROLE_ACT;
    case LAYER_FLATTEN: return ROLE_FLAT;
    case LAYER_LINEAR: return ROLE_FC;
    case LAYER_BATCHNORM2D: return ROLE_NORM;
    case LAYER_DROPOUT: return ROLE_DROP;
    case LAYER_KINDS: break;
    }
    return ROLE_NONE;
}

// Index of the k-th (0-based) layer of role r, or of the last one when k < 0; -1 if none.
static int nth_of_role(const Layer *layers, int n, LayerRole r, int k) {
    int seen = 0, last = -1;
    for (int i = 0; i < n; i++) {
        if (role_of(layers[i].kind) != r) continue;
        if (seen++ == k) return i;
        last = i;
    }
    return k < 0 ? last : -1;
}

int network_role_layer(const Net *net, const char *cnnnet_name) {
    Net ref;
    ClError err;
    if (net_build_cnnnet(&ref, false, 1, &err) != 0) return -1;
    const Layer *l = net_find_layer(&ref, cnnnet_name);
    int found = -1;
    if (l) {
        LayerRole r = role_of(l->kind);
        int k = 0, i = (int)(l - ref.layers);
        for (int j = 0; j < i; j++) k += role_of(ref.layers[j].kind) == r;
        bool last = nth_of_role(ref.layers, ref.n_layers, r, -1) == i;
        found = nth_of_role(net->layers, net->n_layers, r, last ? -1 : k);
    }
    net_free(&ref);
    return found;
}

#define NBSP "\xC2\xA0"

// "Conv2d(3, 8, 5)", "Conv2d(16, 32, 3, padding=1, bias=False)", "MaxPool2d(2, 2)", ...
static void call_text(char *buf, size_t n, const Layer *l) {
    switch (l->kind) {
    case LAYER_CONV2D: {
        const Conv2dConfig *c = &l->conv;
        // no-break spaces inside the positional part (as the lesson files write it); the
        // keyword arguments may wrap to the next line in a narrow panel
        int k = snprintf(buf, n, "Conv2d(%d," NBSP "%d," NBSP "%d", c->in_channels, c->out_channels, c->kernel_h);
        if (c->stride_h != 1) k += snprintf(buf + k, n - (size_t)k, ", stride=%d", c->stride_h);
        if (c->pad_top) k += snprintf(buf + k, n - (size_t)k, ", padding=%d", c->pad_top);
        if (c->groups != 1) k += snprintf(buf + k, n - (size_t)k, ", groups=%d", c->groups);
        snprintf(buf + k, n - (size_t)k, "%s)", c->has_bias ? "" : ", bias=False");
        break;
    }
    case LAYER_MAXPOOL2D: snprintf(buf, n, "MaxPool2d(%d," NBSP "%d)", l->pool.kernel_h, l->pool.stride_h); break;
    case LAYER_AVGPOOL2D: snprintf(buf, n, "AvgPool2d(%d," NBSP "%d)", l->pool.kernel_h, l->pool.stride_h); break;
    case LAYER_LINEAR: snprintf(buf, n, "Linear(%d," NBSP "%d)", l->in_features, l->out_features); break;
    case LAYER_RELU: snprintf(buf, n, "F.relu"); break;
    case LAYER_LEAKY_RELU: snprintf(buf, n, "F.leaky_relu"); break;
    case LAYER_TANH: snprintf(buf, n, "torch.tanh"); break;
    case LAYER_SIGMOID: snprintf(buf, n, "torch.sigmoid"); break;
    case LAYER_FLATTEN: snprintf(buf, n, "torch.flatten(x," NBSP "1)"); break;
    default: snprintf(buf, n, "%s", netfile_kind_name(l->kind)); break;
    }
}

// src with every space a no-break space (U+00A0): a call or a size formula that the
// text wrap must not split, as the lesson files write them.
static void no_break(char *out, size_t n, const char *src) {
    size_t k = 0;
    for (const char *p = src; *p && k + 3 < n; p++) {
        if (*p == ' ') out[k++] = (char)0xC2, out[k++] = (char)0xA0;
        else out[k++] = *p;
    }
    out[k] = 0;
}

// The whole-net facts: its name, the parameter total and its sum, how many layers of each role.
static void record_net_facts(Scene *sc, const NetworkExt *e) {
    scene_fact(sc, "net", "%s", strcmp(e->model, "cnnnet") == 0 ? "CNNNet" : e->model);
    char b[32];
    fmt_thousands(b, sizeof b, e->n_params);
    scene_fact(sc, "total", "%s", b);
    char sum[400];
    snprintf(sum, sizeof sum, "%s", e->total_formula);
    char *eq = strrchr(sum, '=');
    if (eq && eq > sum) eq[-1] = 0; // "608 + 1,168 + 73,856 + 1,290" without " = 76,922"
    int terms = 1;
    for (const char *p = sum; (p = strstr(p, " + ")) != NULL; p += 3) terms++;
    if (terms > 5) { // the text wrap keeps a sum in one piece: more terms would not fit the panel
        char *second_plus = strstr(strstr(sum, " + ") + 3, " + "), *last_plus = sum;
        for (char *p = sum; (p = strstr(p, " + ")) != NULL; p += 3) last_plus = p;
        char tail[64];
        snprintf(tail, sizeof tail, "%s", last_plus + 3);
        snprintf(second_plus, sizeof sum - (size_t)(second_plus - sum), " + \xE2\x80\xA6 + %s", tail); // "a + b + … + z"
    }
    scene_fact(sc, "total_sum", "%s", sum);
    int n_conv = 0, n_pool = 0, n_fc = 0;
    for (int i = 0; i < e->n_layers; i++) {
        LayerRole r = role_of(e->layers[i].kind);
        n_conv += r == ROLE_CONV, n_pool += r == ROLE_POOL, n_fc += r == ROLE_FC;
    }
    scene_fact(sc, "n_conv", "%d", n_conv);
    scene_fact(sc, "n_pool", "%d", n_pool);
    scene_fact(sc, "n_linear", "%d", n_fc);
    int c1 = nth_of_role(e->layers, e->n_layers, ROLE_CONV, 0);
    if (c1 >= 0) {
        scene_fact(sc, "first_conv", "%s", e->layers[c1].name);
        fmt_thousands(b, sizeof b, e->layers[c1].param_count);
        scene_fact(sc, "first_conv_params", "%s", b);
    }
}

// The focused layer's facts: names, shapes, its size and parameter formulas.
static void record_focus_facts(Scene *sc, const NetworkExt *e) {
    const Layer *l = &e->layers[e->focus];
    char b[160], nb[160];
    scene_fact(sc, "name", "%s", l->name);
    scene_fact(sc, "kind", "%s", netfile_kind_name(l->kind));
    // 1 for a ReLU: "negatives become 0" is said only of it (lenet5's Tanh keeps them)
    scene_fact(sc, "is_relu", "%d", l->kind == LAYER_RELU);
    call_text(b, sizeof b, l);
    scene_fact(sc, "call", "%s", b);
    network_shape_text(b, sizeof b, l->out_c, l->out_h, l->out_w);
    scene_fact(sc, "out", "%s", b);
    network_shape_text(b, sizeof b, l->in_c, l->in_h, l->in_w);
    scene_fact(sc, "in", "%s", b);
    scene_fact(sc, "map", "%d\xC3\x97%d", l->out_h, l->out_w);
    scene_fact(sc, "channels", "%d", l->out_c);
    scene_fact(sc, "in_channels", "%d", l->in_c);
    scene_fact(sc, "out_h", "%d", l->out_h);
    scene_fact(sc, "in_c", "%d", l->in_c), scene_fact(sc, "in_h", "%d", l->in_h), scene_fact(sc, "in_w", "%d", l->in_w);
    snprintf(b, sizeof b, "%s", e->size_formula[e->focus]);
    char *eq = strrchr(b, '=');
    if (eq && eq > b && l->kind != LAYER_LEAKY_RELU) eq[-1] = 0; // "⌊(32 − 5)/1⌋ + 1" without " = 28"
    no_break(nb, sizeof nb, b);
    scene_fact(sc, "size", "%s", nb);
    scene_fact(sc, "formula", "%s", e->size_formula[e->focus]);
    fmt_thousands(b, sizeof b, l->param_count);
    scene_fact(sc, "params", "%s", b);
    scene_fact(sc, "param_formula", "%s", e->param_formula[e->focus]);
    scene_fact(sc, "share", "%.0f %%", e->n_params ? 100.0 * (double)l->param_count / (double)e->n_params : 0.0);
    scene_fact(sc, "prev", "%s", e->focus > 0 ? e->layers[e->focus - 1].name : "input");
    if (l->kind == LAYER_CONV2D) {
        const Conv2dConfig *c = &l->conv;
        scene_fact(sc, "kernels", "%d", c->out_channels);
        scene_fact(sc, "kshape", "%d\xC3\x97%d\xC3\x97%d", c->in_channels / c->groups, c->kernel_h, c->kernel_w);
        scene_fact(sc, "k", "%d\xC3\x97%d", c->kernel_h, c->kernel_w);
        scene_fact(sc, "stride", "%d", c->stride_h);
        scene_fact(sc, "padding", "%d", c->pad_top);
    } else if (l->kind == LAYER_MAXPOOL2D || l->kind == LAYER_AVGPOOL2D) {
        scene_fact(sc, "k", "%d\xC3\x97%d", l->pool.kernel_h, l->pool.kernel_w);
        scene_fact(sc, "stride", "%d", l->pool.stride_h);
    } else if (l->kind == LAYER_LINEAR) {
        scene_fact(sc, "in_features", "%d", l->in_features);
        scene_fact(sc, "out_features", "%d", l->out_features);
    } else if (l->kind == LAYER_FLATTEN) {
        scene_fact(sc, "features", "%d", l->out_c);
    }
}

void network_record_facts(Scene *sc, const NetworkExt *e) {
    record_net_facts(sc, e);
    if (e->focus >= 0) record_focus_facts(sc, e);
}
