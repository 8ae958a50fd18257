/* Scene kind "filter_grads": one real backward through CNNNet. A mini-batch
 * of 4 training images goes through net_forward, net_loss and net_backward
 * (zero_grad + loss.backward(), as trainer_step); the step keeps conv1's
 * eight 3x5x5 filters and their gradients, which the view draws as pictures
 * side by side, and conv1.bias's gradients.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/net.h"
#include "lesson/scene_filter_grads.h"

static const char *const KEYS[] = {"batch", "weights", NULL};

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

static int fg_compute(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err) {
    if (scene_parse_show(l, st, SHOW_FORMULA, &sc->show, err) != 0) return -1;
    FilterGradsExt *e = cl_calloc(1, sizeof *e);
    sc->ext = e;
    sc->ext_free = free;
    if (lesson_get_int(l, st, "batch", 0, 0, 9996, &e->first, err) != 0) return -1;
    Net net;
    if (net_build_cnnnet(&net, false, FG_BATCH, err) != 0) return -1;
    if (netlesson_weights(&net, l, st, &e->weights, err) != 0) { net_free(&net); return -1; }
    const CifarSet *set = pick_batch(sc, e, env);
    if (!set) { net_free(&net); return 0; }
    if (e->first + FG_BATCH > set->n) {
        net_free(&net);
        return cl_fail(err, "%s:%d: batch = %d: the loaded set has only %d images", l->path, st->line, e->first, set->n);
    }
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
    net_forward(&net, input, FG_BATCH);                   // outputs = net(inputs)
    e->loss = net_loss(&net, e->labels, FG_BATCH, NULL);  // loss = criterion(outputs, labels)
    net_backward(&net, e->labels, FG_BATCH);              // optimizer.zero_grad(); loss.backward()
    free(input);
    const Layer *c1 = net_find_layer(&net, "conv1");
    CL_ASSERT(c1 && c1->param_count == FG_FILTERS * FG_TAPS + FG_FILTERS);
    memcpy(e->w, net.params + c1->weight_offset, sizeof e->w);
    memcpy(e->g, net.grads + c1->weight_offset, sizeof e->g);
    memcpy(e->gb, net.grads + c1->bias_offset, sizeof e->gb);
    net_free(&net);
    for (int f = 0; f < FG_FILTERS; f++) {
        double s = 0;
        for (int i = 0; i < FG_TAPS; i++) {
            float w = e->w[f * FG_TAPS + i], g = e->g[f * FG_TAPS + i];
            e->w_max = fmaxf(e->w_max, fabsf(w));
            e->g_max = fmaxf(e->g_max, fabsf(g));
            s += (double)g * g;
        }
        e->g_norm[f] = (float)sqrt(s);
    }
    int big = 0;
    for (int f = 1; f < FG_FILTERS; f++) big = e->g_norm[f] > e->g_norm[big] ? f : big;
    snprintf(sc->formula, sizeof sc->formula,
             "loss = %.4f    max |" ROLE_KERNEL "\xE2\x88\x82L/\xE2\x88\x82w" ROLE_PLAIN "| = %.3g    max |w| = %.3g    "
             "max\xE2\x82\x96 \xE2\x80\x96\xE2\x88\x82L/\xE2\x88\x82w[k]\xE2\x80\x96 = \xE2\x80\x96\xE2\x88\x82L/\xE2\x88\x82w[%d]\xE2\x80\x96 = %.3g",
             (double)e->loss, (double)e->g_max, (double)e->w_max, big, (double)e->g_norm[big]);
    return 0;
}

static void fg_dump(const Scene *sc, FILE *f) {
    const FilterGradsExt *e = sc->ext;
    fprintf(f, "batch %d %s images", e->first, e->from_train ? "train" : "test");
    for (int i = 0; i < FG_BATCH; i++) fprintf(f, " %d:%d", e->index[i], e->labels[i]);
    fprintf(f, "\nloss %.6f w_max %g g_max %g\n", (double)e->loss, (double)e->w_max, (double)e->g_max);
    for (int k = 0; k < FG_FILTERS; k++) {
        fprintf(f, "filter %d grad_norm %g bias_grad %g\n", k, (double)e->g_norm[k], (double)e->gb[k]);
        for (int c = 0; c < 3; c++) {
            Grid gw = {5, 5, (float *)e->w + k * FG_TAPS + c * 25}, gg = {5, 5, (float *)e->g + k * FG_TAPS + c * 25};
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
