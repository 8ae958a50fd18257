/* Scene kind "network" (lesson 8): a network end to end, CNNNet unless the
 * student chose another (--net FILE). The layer table comes from the
 * engine's own net (scene_build_net: shapes and parameter counts),
 * each row with its size formula; with an image, net_forward runs it and the
 * step keeps every layer's activation for that image (feature maps), the
 * softmax of the logits, and optionally the tutorial's "feature extractor"
 * nn.Sequential(*list(net.children())[:4]) = conv1, pool1, conv2, pool2
 * (no ReLU: the tutorial's ReLUs are F.relu calls, not children).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/layers.h"
#include "lesson/netlesson.h"
#include "lesson/scene_network.h"

static const char *const KEYS[] = {"layer", "weights", "extractor", "about", NULL};

// "8×28×28" in PyTorch's order (C×H×W, as the lessons' texts and lesson 6
// write it); a vector is just its length.
void network_shape_text(char *buf, size_t n, int c, int h, int w) {
    if (h == 1 && w == 1) snprintf(buf, n, "%d", c);
    else snprintf(buf, n, "%d\xC3\x97%d\xC3\x97%d", c, h, w);
}

static void network_free(void *p) {
    NetworkExt *e = p;
    for (int i = 0; i <= NET_MAX_LAYERS; i++) free(e->acts[i]);
    free(e->extract);
    free(e);
}

// "⌊(32 − 5)/1⌋ + 1 = 28" for a window of k with stride s, padding p (both
// sides together) and dilation d; the padding and the dilated span
// d·(k − 1) + 1 appear only when they are not 0 and 1. ceil: ⌈⌉ (ceil_mode).
static void window_formula(char *out, size_t n, int in, int pad, int k, int d, int s, bool ceil, int result) {
    char padded[32] = "", span[48];
    if (pad) snprintf(padded, sizeof padded, " + %d", pad);
    if (d == 1) snprintf(span, sizeof span, "%d", k);
    else snprintf(span, sizeof span, "(%d\xC2\xB7(%d \xE2\x88\x92 1) + 1)", d, k);
    snprintf(out, n, "%s(%d%s \xE2\x88\x92 %s)/%d%s + 1 = %d", ceil ? "\xE2\x8C\x88" : "\xE2\x8C\x8A", in, padded, span, s,
             ceil ? "\xE2\x8C\x89" : "\xE2\x8C\x8B", result);
}

// The size formula and the parameter formula of one layer, from the layer's fields.
static void layer_formulas(const Layer *l, char *size, size_t ns, char *params, size_t np) {
    char b[32], bias[48] = "";
    fmt_thousands(b, sizeof b, l->param_count);
    snprintf(params, np, "0");
    switch (l->kind) {
    case LAYER_CONV2D: {
        const Conv2dConfig *c = &l->conv;
        window_formula(size, ns, l->in_h, c->pad_top + c->pad_bottom, c->kernel_h, c->dilation_h, c->stride_h, false, l->out_h);
        if (c->has_bias) snprintf(bias, sizeof bias, " + %d", c->out_channels);
        if (c->groups == 1)
            snprintf(params, np, "%d\xC2\xB7(%d\xC2\xB7%d\xC2\xB7%d)%s = %s", c->out_channels, c->in_channels, c->kernel_h,
                     c->kernel_w, bias, b);
        else
            snprintf(params, np, "%d\xC2\xB7(%d/%d\xC2\xB7%d\xC2\xB7%d)%s = %s", c->out_channels, c->in_channels, c->groups,
                     c->kernel_h, c->kernel_w, bias, b);
        break;
    }
    case LAYER_CONV_TRANSPOSE2D: {
        const ConvTranspose2dConfig *c = &l->tconv;
        snprintf(size, ns, "(%d \xE2\x88\x92 1)\xC2\xB7%d \xE2\x88\x92 %d + %d\xC2\xB7(%d \xE2\x88\x92 1) + %d + 1 = %d", l->in_h,
                 c->stride_h, 2 * c->pad_h, c->dilation_h, c->kernel_h, c->out_pad_h, l->out_h);
        if (c->has_bias) snprintf(bias, sizeof bias, " + %d", c->out_channels);
        snprintf(params, np, "%d\xC2\xB7(%d\xC2\xB7%d\xC2\xB7%d)%s = %s", c->in_channels, c->out_channels / c->groups, c->kernel_h,
                 c->kernel_w, bias, b);
        break;
    }
    case LAYER_MAXPOOL2D: case LAYER_AVGPOOL2D: {
        const Pool2dConfig *c = &l->pool;
        window_formula(size, ns, l->in_h, 2 * c->pad_h, c->kernel_h, l->kind == LAYER_MAXPOOL2D ? c->dilation_h : 1, c->stride_h,
                       c->ceil_mode, l->out_h);
        break;
    }
    case LAYER_BATCHNORM2D:
        snprintf(size, ns, "(x \xE2\x88\x92 \xCE\xBC)/\xE2\x88\x9A(\xCF\x83\xC2\xB2 + \xCE\xB5)\xC2\xB7\xCE\xB3 + \xCE\xB2");
        if (l->bn.affine) snprintf(params, np, "2\xC2\xB7%d = %s", l->in_c, b);
        break;
    case LAYER_FLATTEN:
        snprintf(size, ns, "%d\xC2\xB7%d\xC2\xB7%d = %d", l->in_c, l->in_h, l->in_w, l->out_c);
        break;
    case LAYER_LINEAR:
        if (l->bias_offset >= 0) snprintf(bias, sizeof bias, " + %d", l->out_features);
        snprintf(size, ns, "%d \xE2\x86\x92 %d", l->in_features, l->out_features);
        snprintf(params, np, "%d\xC2\xB7%d%s = %s", l->in_features, l->out_features, bias, b);
        break;
    case LAYER_RELU: snprintf(size, ns, "max(0, x)"); break;
    case LAYER_LEAKY_RELU: snprintf(size, ns, "x > 0 ? x : %g\xC2\xB7x", (double)l->negative_slope); break;
    case LAYER_TANH: snprintf(size, ns, "tanh(x)"); break;
    case LAYER_SIGMOID: snprintf(size, ns, "1/(1 + e^\xE2\x88\x92x)"); break;
    case LAYER_DROPOUT: snprintf(size, ns, "p = %g (training only)", l->p); break;
    case LAYER_KINDS: break;
    }
}

// The layer table from the engine's net: each layer with its size and
// parameter formulas, and the total "608 + 1,168 + 73,856 + 1,290 = 76,922"
// over the learnable layers.
static void fill_layer_table(NetworkExt *e, const Net *net) {
    e->n_layers = net->n_layers;
    memcpy(e->layers, net->layers, sizeof net->layers);
    e->n_params = net->n_params;
    for (int i = 0; i < net->n_layers; i++)
        layer_formulas(&net->layers[i], e->size_formula[i], sizeof e->size_formula[i], e->param_formula[i], sizeof e->param_formula[i]);
    size_t k = 0;
    for (int i = 0; i < net->n_layers; i++) {
        if (net->layers[i].param_count == 0) continue;
        char t[32];
        fmt_thousands(t, sizeof t, net->layers[i].param_count);
        k += (size_t)snprintf(e->total_formula + k, sizeof e->total_formula - k, "%s%s", k ? " + " : "", t);
        if (k >= sizeof e->total_formula) k = sizeof e->total_formula - 1;
    }
    char tot[32];
    fmt_thousands(tot, sizeof tot, net->n_params);
    snprintf(e->total_formula + k, sizeof e->total_formula - k, " = %s", tot);
}

// `layer = NAME | input | none`: which row the step is about.
static int read_focus(NetworkExt *e, const Net *net, bool env_net_chosen, const Lesson *l, const LessonStep *st,
                      ClError *err) {
    int line;
    const char *focus = lesson_get(st, "layer", &line);
    e->focus = NETWORK_FOCUS_NONE;
    if (!focus || strcmp(focus, "none") == 0) return 0;
    if (strcmp(focus, "input") == 0) {
        e->focus = NETWORK_FOCUS_INPUT;
        return 0;
    }
    if (strcmp(focus, "last") == 0) { // the logits, whatever the last layer's name
        e->focus = net->n_layers - 1;
        return 0;
    }
    const Layer *fl = net_find_layer(net, focus);
    int role = fl || !env_net_chosen ? -1 : network_role_layer(net, focus);
    if (role >= 0) { // the lesson names CNNNet's layer: show the chosen net's layer in the same role
        e->focus = role;
        e->focus_mapped = true;
        snprintf(e->focus_wanted, sizeof e->focus_wanted, "%.31s", focus);
        return 0;
    }
    if (!fl && env_net_chosen) {
        e->focus_missing = true; // the lesson names CNNNet's layer; the chosen net shows its whole table
        snprintf(e->focus_wanted, sizeof e->focus_wanted, "%.31s", focus);
        return 0;
    }
    if (!fl) {
        char names[256] = "input";
        for (int i = 0; i < e->n_layers; i++) { strncat(names, ", ", sizeof names - strlen(names) - 1); strncat(names, e->layers[i].name, sizeof names - strlen(names) - 1); }
        return cl_fail(err, "%s:%d: layer: unknown layer '%s'; expected none, last, %s", l->path, line, focus, names);
    }
    e->focus = (int)(fl - net->layers);
    return 0;
}

// Copies of every activation of the forward pass (acts[0] is the input),
// since the net is freed when the step is computed.
static void keep_activations(NetworkExt *e, const Net *net, const float *input) {
    e->have_acts = true;
    e->acts_n[0] = CIFAR_PIXELS;
    e->acts[0] = cl_malloc(sizeof(float) * CIFAR_PIXELS);
    memcpy(e->acts[0], input, sizeof(float) * CIFAR_PIXELS);
    for (int i = 0; i < net->n_layers; i++) {
        const Layer *ly = &net->layers[i];
        long n = (long)ly->out_c * ly->out_h * ly->out_w;
        e->acts_n[i + 1] = n;
        e->acts[i + 1] = cl_malloc(sizeof(float) * (size_t)n);
        memcpy(e->acts[i + 1], net->acts[i + 1], sizeof(float) * (size_t)n);
    }
}

// The tutorial's nn.Sequential(conv1, pool1, conv2, pool2): the same engine
// ops with no ReLU in between, and how far its output is from the real
// pool2 (the tutorial's point: the children are not the forward pass).
static void run_extractor(NetworkExt *e, const Net *net, const float *input) {
    const Layer *c1 = net_find_layer(net, "conv1"), *p1 = net_find_layer(net, "pool1");
    const Layer *c2 = net_find_layer(net, "conv2"), *p2 = net_find_layer(net, "pool2");
    // CNNNet's children; another net has its own (the step then shows its table only).
    if (!c1 || !p1 || !c2 || !p2 || c1->kind != LAYER_CONV2D || c2->kind != LAYER_CONV2D || p1->kind != LAYER_MAXPOOL2D ||
        p2->kind != LAYER_MAXPOOL2D || c1 - net->layers != 0)
        return;
    float *a1 = cl_malloc(sizeof(float) * (size_t)(c1->out_c * c1->out_h * c1->out_w));
    float *b1 = cl_malloc(sizeof(float) * (size_t)(p1->out_c * p1->out_h * p1->out_w));
    float *a2 = cl_malloc(sizeof(float) * (size_t)(c2->out_c * c2->out_h * c2->out_w));
    int32_t *ix = cl_malloc(sizeof(int32_t) * (size_t)(c1->out_c * c1->out_h * c1->out_w));
    long n2 = (long)p2->out_c * p2->out_h * p2->out_w;
    e->extract = cl_malloc(sizeof(float) * (size_t)n2);
    e->extract_n = n2;
    conv2d_forward(a1, input, net->params + c1->weight_offset, net->params + c1->bias_offset, &c1->conv, 1, 32, 32);
    maxpool2d_forward(b1, ix, a1, &p1->pool, 1, p1->in_c, p1->in_h, p1->in_w);
    conv2d_forward(a2, b1, net->params + c2->weight_offset, net->params + c2->bias_offset, &c2->conv, 1, c2->in_h, c2->in_w);
    maxpool2d_forward(e->extract, ix, a2, &p2->pool, 1, p2->in_c, p2->in_h, p2->in_w);
    const float *pool2 = e->acts[(p2 - net->layers) + 1];
    for (long i = 0; i < n2; i++) {
        e->extract_diff += fabsf(e->extract[i] - pool2[i]) > 1e-6f;
        e->extract_negative += e->extract[i] < 0;
    }
    free(a1), free(b1), free(a2), free(ix);
}

// The step's test image through the net: activations, softmax, prediction.
static void forward_image(NetworkExt *e, Net *net, const Scene *sc, const SceneEnv *env) {
    float input[CIFAR_PIXELS];
    scene_image_input(input, sc, env); // a CIFAR image or the student's picture
    uint8_t label = sc->image_label >= 0 ? (uint8_t)sc->image_label : 0; // probs do not depend on it
    net_forward(net, input, 1);
    keep_activations(e, net, input);
    cross_entropy_forward(e->probs, net_logits(net), &label, 1, NET_NUM_CLASSES);
    uint8_t pred;
    net_predict(net, 1, &pred);
    e->pred = pred;
    if (e->extractor) run_extractor(e, net, input);
}

// Formula bar: the focused layer's size and parameter formulas, else the total.
static void write_network_formulas(Scene *sc, const NetworkExt *e) {
    if (e->focus < 0) {
        snprintf(sc->size_formula, sizeof sc->size_formula, ROLE_KERNEL "params" ROLE_PLAIN " = %s", e->total_formula);
        return;
    }
    const Layer *fl = &e->layers[e->focus];
    char shape[48];
    network_shape_text(shape, sizeof shape, fl->out_c, fl->out_h, fl->out_w);
    snprintf(sc->formula, sizeof sc->formula, ROLE_OUTPUT "%s" ROLE_PLAIN ": %s  \xE2\x86\x92  " ROLE_OUTPUT "%s",
             fl->name, e->size_formula[e->focus], shape);
    if (fl->param_count > 0)
        snprintf(sc->size_formula, sizeof sc->size_formula, ROLE_KERNEL "params" ROLE_PLAIN " = %s", e->param_formula[e->focus]);
    else
        snprintf(sc->size_formula, sizeof sc->size_formula, ROLE_KERNEL "params" ROLE_PLAIN " = 0");
}

// Everything that needs the net, which is freed on every path out.
static int compute_with_net(Scene *sc, NetworkExt *e, Net *net, const Lesson *l, const LessonStep *st,
                            const SceneEnv *env, ClError *err) {
    fill_layer_table(e, net);
    if (read_focus(e, net, env && env->net, l, st, err) != 0) return -1;
    bool extractor;
    if (lesson_get_bool(l, st, "extractor", false, &extractor, err) != 0) return -1;
    e->extractor = extractor;
    int about_line;
    const char *about = lesson_get(st, "about", &about_line);
    if (about && strcmp(about, "cnnnet") != 0 && strcmp(about, "any") != 0)
        return cl_fail(err, "%s:%d: about: expected 'cnnnet' (the text describes CNNNet itself) or 'any', got '%s'", l->path,
                       about_line, about);
    e->about_cnnnet = about && strcmp(about, "cnnnet") == 0;
    if (netlesson_weights(net, l, st, &e->weights, err) != 0) return -1;
    if (scene_load_image(sc, l, st, env, err) != 0) return -1;
    if (sc->needs_data) { // the table and the formulas need no data: keep them, say how to get the maps
        e->no_data = true;
        snprintf(e->data_hint, sizeof e->data_hint, "%s", sc->error);
        sc->needs_data = false;
        sc->error[0] = 0;
        sc->image_index = -1;
    }
    if (sc->image_index >= 0) forward_image(e, net, sc, env);
    return 0;
}

static int network_compute(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err) {
    if (scene_parse_show(l, st, SHOW_FORMULA | SHOW_SIZE | SHOW_IMAGE, &sc->show, err) != 0) return -1;
    NetworkExt *e = cl_calloc(1, sizeof *e);
    sc->ext = e;
    sc->ext_free = network_free;
    Net net;
    if (scene_build_net(&net, env, 1, err) != 0) return -1;
    net_model_name(e->model, sizeof e->model, &net);
    int rc = compute_with_net(sc, e, &net, l, st, env, err);
    net_free(&net);
    if (rc != 0) return -1;
    write_network_formulas(sc, e);
    network_record_facts(sc, e);
    return 0;
}

static void dump_values(const char *name, const float *v, long n, FILE *f) {
    float lo = INFINITY, hi = -INFINITY;
    double sum = 0;
    for (long i = 0; i < n; i++) { lo = fminf(lo, v[i]); hi = fmaxf(hi, v[i]); sum += v[i]; }
    fprintf(f, "%s n %ld min %.6g max %.6g mean %.6g first", name, n, (double)lo, (double)hi, sum / (double)(n ? n : 1));
    for (long i = 0; i < n && i < 6; i++) fprintf(f, " %.6g", (double)v[i]);
    fputc('\n', f);
}

static void network_dump(const Scene *sc, FILE *f) {
    const NetworkExt *e = sc->ext;
    if (!e) return;
    fprintf(f, "net %s\ninput 3x32x32\n", e->model);
    if (e->focus_missing) fprintf(f, "focus_missing %s\n", e->focus_wanted);
    if (e->focus_mapped) fprintf(f, "focus_mapped %s %s\n", e->focus_wanted, e->layers[e->focus].name);
    if (e->about_cnnnet) fprintf(f, "about cnnnet\n");
    for (int i = 0; i < e->n_layers; i++) {
        const Layer *l = &e->layers[i];
        fprintf(f, "layer %s out %dx%dx%d params %ld size %s params_formula %s\n", l->name, l->out_c, l->out_h, l->out_w,
                l->param_count, e->size_formula[i], e->param_formula[i]);
    }
    fprintf(f, "params_total %ld = %s\n", e->n_params, e->total_formula);
    if (e->no_data) fprintf(f, "needs-data for the feature maps: %s\n", e->data_hint);
    fprintf(f, "focus %s\n", e->focus == NETWORK_FOCUS_INPUT ? "input" : e->focus >= 0 ? e->layers[e->focus].name : "none");
    fprintf(f, "weights %s", e->weights.from_checkpoint ? "checkpoint" : "init");
    if (e->weights.from_checkpoint) fprintf(f, " %s", e->weights.path);
    else fprintf(f, " seed %llu", (unsigned long long)e->weights.seed);
    if (e->weights.fallback[0]) fprintf(f, " (fallback: %s)", e->weights.fallback);
    fputc('\n', f);
    if (!e->have_acts) return;
    if (e->focus == NETWORK_FOCUS_INPUT) dump_values("act input", e->acts[0], e->acts_n[0], f);
    else if (e->focus >= 0) {
        char name[48];
        snprintf(name, sizeof name, "act %s", e->layers[e->focus].name);
        dump_values(name, e->acts[e->focus + 1], e->acts_n[e->focus + 1], f);
    }
    double s = 0;
    fprintf(f, "softmax");
    for (int k = 0; k < NET_NUM_CLASSES; k++) { fprintf(f, " %.6f", (double)e->probs[k]); s += e->probs[k]; }
    fprintf(f, "\nsoftmax_sum %.6f\npredicted %d\n", s, e->pred);
    if (e->extract) {
        dump_values("extractor", e->extract, e->extract_n, f);
        fprintf(f, "extractor_differs %d negative %d\n", e->extract_diff, e->extract_negative);
    }
}

static const SceneKind SCENE_NETWORK = {.name = "network", .keys = KEYS, .compute = network_compute, .dump = network_dump};
SCENE_KIND_REGISTER(SCENE_NETWORK)
