/* Scene kind "filter_grads": one real backward through the chosen net
 * (scene_build_net: CNNNet unless --net FILE). A mini-batch of 4 training
 * images goes through net_forward, net_loss and net_backward (zero_grad +
 * loss.backward(), as trainer_step); the step keeps the first Conv2d's
 * filters (CNNNet's conv1: eight 3x5x5) and their gradients, which the view
 * draws as pictures side by side, and its bias's gradients.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/net.h"
#include "lesson/scene_facts.h"
#include "lesson/scene_filter_grads.h"

static const char *const KEYS[] = {"batch", "weights", NULL};

static void fg_free(void *p) {
    FilterGradsExt *e = p;
    free(e->w), free(e->g), free(e->gb), free(e->g_norm);
    free(e);
}

// The net's first Conv2d, or NULL.
static const Layer *first_conv(const Net *net) {
    for (int i = 0; i < net->n_layers; i++)
        if (net->layers[i].kind == LAYER_CONV2D) return &net->layers[i];
    return NULL;
}

// Copies the first conv's weights and gradients out of the net (freed after compute).
static void keep_filters(FilterGradsExt *e, const Net *net, const Layer *c1) {
    long n = (long)e->n_filters * e->taps;
    e->w = cl_malloc(sizeof(float) * (size_t)n);
    e->g = cl_malloc(sizeof(float) * (size_t)n);
    e->gb = cl_calloc((size_t)e->n_filters, sizeof(float));
    e->g_norm = cl_calloc((size_t)e->n_filters, sizeof(float));
    memcpy(e->w, net->params + c1->weight_offset, sizeof(float) * (size_t)n);
    memcpy(e->g, net->grads + c1->weight_offset, sizeof(float) * (size_t)n);
    if (e->has_bias) memcpy(e->gb, net->grads + c1->bias_offset, sizeof(float) * (size_t)e->n_filters);
    for (int f = 0; f < e->n_filters; f++) {
        double s = 0;
        for (int i = 0; i < e->taps; i++) {
            float w = e->w[f * e->taps + i], g = e->g[f * e->taps + i];
            e->w_max = fmaxf(e->w_max, fabsf(w));
            e->g_max = fmaxf(e->g_max, fabsf(g));
            s += (double)g * g;
        }
        e->g_norm[f] = (float)sqrt(s);
    }
}

// {layer}, {filters}, {kernel}, ... for the texts (scene_facts.h), from the layer itself.
static void record_facts(Scene *sc, const FilterGradsExt *e) {
    scene_fact(sc, "layer", "%s", e->layer);
    scene_fact(sc, "filters", "%d", e->n_filters);
    scene_fact(sc, "slices", "%d", e->slices);
    scene_fact(sc, "kernel", "%d\xC3\x97%d", e->k_h, e->k_w);
    scene_fact(sc, "shape", "%d\xC3\x97%d\xC3\x97%d", e->slices, e->k_h, e->k_w);
    scene_fact(sc, "positions", "%d", e->k_h * e->k_w);
}

// The 4 images from the training set (else the test set), N / Shift+N moving by 4.
static const CifarSet *pick_batch(Scene *sc, FilterGradsExt *e, const SceneEnv *env) {
    char why[1024] = "";
    const CifarSet *set = env->cifar ? netlesson_train_set(env, why, sizeof why) : NULL;
    e->from_train = set != NULL;
    if (!set && env->cifar) set = &env->cifar->test;
    if (!set) {
        sc->needs_data = true;
        snprintf(sc->error, sizeof sc->error, "%s", env->data_hint && env->data_hint[0] ? env->data_hint : "CIFAR-10 is not downloaded. Run: make data");
        return NULL;
    }
    if (env->image_offset) {
        long span = set->n - FG_BATCH + 1;
        e->first = (int)((((long)e->first + 4L * env->image_offset) % span + span) % span);
    }
    return set;
}

// The layer's geometry, before any data is needed (the facts hold without CIFAR-10).
static int describe_layer(FilterGradsExt *e, const Layer **out, const Net *net, const Lesson *l, const LessonStep *st,
                          ClError *err) {
    const Layer *c1 = first_conv(net);
    if (!c1) return cl_fail(err, "%s:%d: scene 'filter_grads' needs a net with a Conv2d layer", l->path, st->line);
    snprintf(e->layer, sizeof e->layer, "%s", c1->name);
    e->n_filters = c1->conv.out_channels;
    e->slices = c1->conv.in_channels / c1->conv.groups;
    e->k_h = c1->conv.kernel_h, e->k_w = c1->conv.kernel_w;
    e->taps = e->slices * e->k_h * e->k_w;
    e->has_bias = c1->bias_offset >= 0;
    *out = c1;
    return 0;
}

// The 4 images through the net: loss and gradients (net_backward), as trainer_step.
static void run_backward(FilterGradsExt *e, Scene *sc, Net *net, const CifarSet *set) {
    sc->from_image = true;
    int32_t idx[FG_BATCH];
    for (int i = 0; i < FG_BATCH; i++) {
        idx[i] = e->first + i;
        e->index[i] = idx[i];
        const uint8_t *px = set->pixels + (size_t)idx[i] * CIFAR_PIXELS;
        for (int p = 0; p < 32 * 32; p++)
            for (int ch = 0; ch < 3; ch++) e->rgb[i][3 * p + ch] = px[ch * 1024 + p];
    }
    float *input = cl_malloc(sizeof(float) * FG_BATCH * CIFAR_PIXELS);
    cifar_normalize_batch(input, e->labels, set, idx, FG_BATCH);
    net_forward(net, input, FG_BATCH);                   // outputs = net(inputs)
    e->loss = net_loss(net, e->labels, FG_BATCH, NULL);  // loss = criterion(outputs, labels)
    net_backward(net, e->labels, FG_BATCH);              // optimizer.zero_grad(); loss.backward()
    free(input);
}

static int fg_compute(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err) {
    if (scene_parse_show(l, st, SHOW_FORMULA, &sc->show, err) != 0) return -1;
    FilterGradsExt *e = cl_calloc(1, sizeof *e);
    sc->ext = e;
    sc->ext_free = fg_free;
    if (lesson_get_int(l, st, "batch", 0, 0, 9996, &e->first, err) != 0) return -1;
    Net net;
    if (scene_build_net(&net, env, FG_BATCH, err) != 0) return -1;
    const Layer *c1 = NULL;
    if (describe_layer(e, &c1, &net, l, st, err) != 0 || netlesson_weights(&net, l, st, &e->weights, err) != 0) {
        net_free(&net);
        return -1;
    }
    record_facts(sc, e);
    const CifarSet *set = pick_batch(sc, e, env);
    if (!set) { net_free(&net); return 0; }
    if (e->first + FG_BATCH > set->n) {
        net_free(&net);
        return cl_fail(err, "%s:%d: batch = %d: the loaded set has only %d images", l->path, st->line, e->first, set->n);
    }
    run_backward(e, sc, &net, set);
    keep_filters(e, &net, c1);
    net_free(&net);
    int big = 0;
    for (int f = 1; f < e->n_filters; f++) big = e->g_norm[f] > e->g_norm[big] ? f : big;
    snprintf(sc->formula, sizeof sc->formula,
             "loss = %.4f    max |" ROLE_KERNEL "\xE2\x88\x82L/\xE2\x88\x82w" ROLE_PLAIN "| = %.3g    max |w| = %.3g    "
             "max\xE2\x82\x96 \xE2\x80\x96\xE2\x88\x82L/\xE2\x88\x82w[k]\xE2\x80\x96 = \xE2\x80\x96\xE2\x88\x82L/\xE2\x88\x82w[%d]\xE2\x80\x96 = %.3g",
             (double)e->loss, (double)e->g_max, (double)e->w_max, big, (double)e->g_norm[big]);
    return 0;
}

static void fg_dump(const Scene *sc, FILE *f) {
    const FilterGradsExt *e = sc->ext;
    fprintf(f, "layer %s filters %d slices %d kernel %d %d bias %d\n", e->layer, e->n_filters, e->slices, e->k_h, e->k_w,
            e->has_bias);
    if (!e->w) return; // no data: the layer only
    fprintf(f, "batch %d %s images", e->first, e->from_train ? "train" : "test");
    for (int i = 0; i < FG_BATCH; i++) fprintf(f, " %d:%d", e->index[i], e->labels[i]);
    fprintf(f, "\nloss %.6f w_max %g g_max %g\n", (double)e->loss, (double)e->w_max, (double)e->g_max);
    int plane = e->k_h * e->k_w;
    for (int k = 0; k < e->n_filters; k++) {
        fprintf(f, "filter %d grad_norm %g bias_grad %g\n", k, (double)e->g_norm[k], (double)e->gb[k]);
        for (int c = 0; c < e->slices; c++) {
            Grid gw = {e->k_h, e->k_w, e->w + k * e->taps + c * plane}, gg = {e->k_h, e->k_w, e->g + k * e->taps + c * plane};
            char n1[32], n2[32];
            snprintf(n1, sizeof n1, "w[%d,%d]", k, c);
            snprintf(n2, sizeof n2, "dw[%d,%d]", k, c);
            grid_dump(n1, &gw, f);
            grid_dump(n2, &gg, f);
        }
    }
}

static const SceneKind SCENE_FILTER_GRADS = {.name = "filter_grads", .keys = KEYS, .compute = fg_compute, .dump = fg_dump};
SCENE_KIND_REGISTER(SCENE_FILTER_GRADS)
