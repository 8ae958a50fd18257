/* Scene kind "training_loop" (lesson 9): one real mini-batch of 4 images
 * through the tutorial's loop with the engine's functions, exactly as
 * trainer_step does it: net_forward, net_loss (softmax cross-entropy),
 * net_backward (zero_grad + backward), optimizer_step (SGD lr 0.001,
 * momentum 0.9), on the chosen net (scene_build_net) in training mode. With
 * `after = N` the same optimizer first trains the N mini-batches before this
 * one, so the step continues the loop: its weights and momentum buffer are
 * the ones the previous step left. Shows the logits, the softmax, the loss,
 * one named weight's gradient, momentum buffer and value before and after
 * the step, and the loss after it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/layers.h"
#include "engine/optim.h"
#include "lesson/scene_facts.h"
#include "lesson/scene_training_loop.h"

static const char *const KEYS[] = {"phase", "batch", "after", "weights", "param", "lr", "momentum", NULL};
#define LOOP_MAX_AFTER 64
static const char *const PHASES[] = {"zero_grad", "forward", "loss", "backward", "step", "all", NULL};

// "conv1.weight[0,0,0,0]" -> offset into the flat block; fills the tensor.
static int find_param(const Net *net, const char *spec, NetTensor *t_out, long *offset, int idx[4]) {
    char name[NETFILE_NAME_MAX + 32];
    const char *br = strchr(spec, '[');
    size_t len = br ? (size_t)(br - spec) : strlen(spec);
    if (len == 0 || len >= sizeof name) return -1;
    memcpy(name, spec, len);
    name[len] = 0;
    NetTensor ts[NET_MAX_TENSORS];
    int n = net_tensors(net, ts);
    for (int i = 0; i < n; i++) {
        if (strcmp(ts[i].name, name) != 0) continue;
        for (int d = 0; d < 4; d++) idx[d] = 0;
        if (br) {
            const char *p = br + 1;
            for (int d = 0; d < ts[i].ndim; d++) {
                char *e;
                long v = strtol(p, &e, 10);
                if (e == p || v < 0 || v >= ts[i].shape[d]) return -1;
                idx[d] = (int)v;
                p = e;
                while (*p == ',' || *p == ' ') p++;
            }
            if (*p != ']') return -1;
        }
        long off = 0;
        for (int d = 0; d < ts[i].ndim; d++) off = off * ts[i].shape[d] + idx[d];
        *t_out = ts[i];
        *offset = ts[i].offset + off;
        return 0;
    }
    return -1;
}

// phase, batch, lr, momentum and param (the weight whose update is shown).
static int read_loop_keys(TrainLoopExt *e, const Lesson *l, const LessonStep *st, ClError *err) {
    int phase;
    if (lesson_get_choice(l, st, "phase", PHASES, PHASE_ALL, &phase, err) != 0) return -1;
    e->phase = (LoopPhase)phase;
    if (lesson_get_int(l, st, "batch", 0, 0, 9996, &e->first, err) != 0) return -1;
    if (lesson_get_int(l, st, "after", 0, 0, LOOP_MAX_AFTER, &e->after, err) != 0) return -1;
    int line;
    if (e->first < LOOP_BATCH * e->after) {
        lesson_get(st, "after", &line);
        return cl_fail(err, "%s:%d: after = %d needs %d images before batch = %d; expected batch >= %d", l->path, line,
                       e->after, LOOP_BATCH * e->after, e->first, LOOP_BATCH * e->after);
    }
    const char *lr = lesson_get(st, "lr", &line), *mom = lesson_get(st, "momentum", NULL);
    e->lr = lr ? strtof(lr, NULL) : 0.001f;
    e->momentum = mom ? strtof(mom, NULL) : 0.9f;
    if (!(e->lr >= 0) || !(e->momentum >= 0))
        return cl_fail(err, "%s:%d: lr and momentum must be numbers >= 0", l->path, line ? line : st->line);
    const char *param = lesson_get(st, "param", &line);
    snprintf(e->param, sizeof e->param, "%s", param ? param : "conv1.weight[0,0,0,0]");
    return 0;
}

// The mini-batch's set: training images if they can be read, else the test
// set (the view says which); NULL with sc->needs_data when there is no data.
// N / Shift+N move to the next / previous mini-batch of 4, wrapping inside the set.
static const CifarSet *pick_loop_set(Scene *sc, TrainLoopExt *e, const Lesson *l, const LessonStep *st,
                                     const SceneEnv *env, ClError *err) {
    char why[1024] = "";
    const CifarSet *set = env->cifar ? netlesson_train_set(env, why, sizeof why) : NULL;
    e->from_train = set != NULL;
    if (!set && env->cifar) set = &env->cifar->test;
    if (!set) {
        scene_set_needs_data(sc, env);
        return NULL;
    }
    if (e->first + LOOP_BATCH > set->n) {
        cl_fail(err, "%s:%d: batch = %d: the loaded set has only %d images", l->path, st->line, e->first, set->n);
        return NULL;
    }
    sc->from_image = true;
    if (env->image_offset) { // the earlier mini-batches stay the ones before it
        long lo = (long)LOOP_BATCH * e->after, span = set->n - LOOP_BATCH + 1 - lo;
        e->first = (int)(lo + ((((long)e->first - lo + 4L * env->image_offset) % span) + span) % span);
    }
    return set;
}

// The batch's pictures (interleaved RGB for the view) and, into input, the
// tensor the trainer would feed: (4, 3, 32, 32), normalized.
static void load_loop_batch(TrainLoopExt *e, const CifarSet *set, float *input) {
    int32_t idx[LOOP_BATCH];
    for (int i = 0; i < LOOP_BATCH; i++) {
        idx[i] = e->first + i;
        e->index[i] = idx[i];
        const uint8_t *px = set->pixels + (size_t)idx[i] * CIFAR_PIXELS;
        for (int p = 0; p < 32 * 32; p++)
            for (int ch = 0; ch < 3; ch++) e->rgb[i][3 * p + ch] = px[ch * 1024 + p];
    }
    cifar_normalize_batch(input, e->labels, set, idx, LOOP_BATCH);
}

// Where the kernel slice [o, c, :, :] around the weight starts in the flat block.
static long slice_base(const NetTensor *pt, const int pidx[4]) {
    return pt->offset + ((long)pidx[0] * pt->shape[1] + pidx[1]) * pt->shape[2] * pt->shape[3];
}

// Each forward of the mini-batch starting at image `first` draws its Dropout
// masks from a generator seeded by `first` alone, so the loss after the step
// sees the same masks as the one before it (no effect on nets without Dropout).
static void seed_batch_masks(Net *net, int first) { net_seed_dropout(net, 0x9e3779b97f4a7c15ULL ^ (uint64_t)first); }

// The `after` mini-batches before e->first, trained with the step's optimizer
// as the loop trained them: forward, loss, zero_grad + backward, step.
static void train_earlier_batches(const TrainLoopExt *e, Net *net, Optimizer *opt, const CifarSet *set, float *input) {
    for (int b = 0; b < e->after; b++) {
        int32_t idx[LOOP_BATCH];
        uint8_t labels[LOOP_BATCH];
        int first = e->first - LOOP_BATCH * (e->after - b);
        for (int i = 0; i < LOOP_BATCH; i++) idx[i] = first + i;
        cifar_normalize_batch(input, labels, set, idx, LOOP_BATCH);
        seed_batch_masks(net, first);
        net_forward(net, input, LOOP_BATCH);
        net_loss(net, labels, LOOP_BATCH, NULL);
        net_backward(net, labels, LOOP_BATCH);
        optimizer_step(opt, net->params, net->grads);
    }
}

// Copies the kernel slice [o, c, :, :] holding the weight (conv weights only) into to.
static void copy_slice(const TrainLoopExt *e, const NetTensor *pt, const int pidx[4], const float *from, float *to) {
    long base = slice_base(pt, pidx);
    for (int i = 0; i < e->slice_rows * e->slice_cols && i < 64; i++) to[i] = from[base + i];
}

// The loop body, as trainer_step runs it, with the shown weight (and, for a
// conv weight, its kernel slice) and its momentum buffer read before and
// after optimizer.step(); opt carries the earlier mini-batches' state.
static void run_loop_body(TrainLoopExt *e, Net *net, Optimizer *opt, const float *input, const NetTensor *pt, long poff,
                          const int pidx[4]) {
    seed_batch_masks(net, e->first);
    const float *logits = net_forward(net, input, LOOP_BATCH);           // outputs = net(inputs)
    memcpy(e->logits, logits, sizeof e->logits);
    e->loss = net_loss(net, e->labels, LOOP_BATCH, e->probs);            // loss = criterion(outputs, labels)
    net_predict(net, LOOP_BATCH, e->pred);
    for (int i = 0; i < LOOP_BATCH; i++) e->nll[i] = -logf(e->probs[i * NET_NUM_CLASSES + e->labels[i]]);
    net_backward(net, e->labels, LOOP_BATCH);                            // zero_grad(); loss.backward()
    e->w_before = net->params[poff];
    e->grad = net->grads[poff];
    e->v_prev = opt->t > 0 && opt->state1 ? opt->state1[poff] : 0;
    e->slice_at = -1;
    if (pt->ndim == 4) {
        e->slice_rows = (int)pt->shape[2];
        e->slice_cols = (int)pt->shape[3];
        copy_slice(e, pt, pidx, net->params, e->slice_w);
        copy_slice(e, pt, pidx, net->grads, e->slice_g);
        e->slice_at = pidx[2] * e->slice_cols + pidx[3];
        snprintf(e->slice_name, sizeof e->slice_name, "%s[%d,%d,:,:]", pt->name, pidx[0], pidx[1]);
    }
    optimizer_step(opt, net->params, net->grads);                        // optimizer.step()
    e->w_after = net->params[poff];
    e->v = opt->state1 ? opt->state1[poff] : e->grad;
    if (pt->ndim == 4) copy_slice(e, pt, pidx, net->params, e->slice_after);
    seed_batch_masks(net, e->first);
    net_forward(net, input, LOOP_BATCH);                                 // the same batch once more
    e->loss_after = net_loss(net, e->labels, LOOP_BATCH, NULL);
}

// Every formula's operands reproduce its result: a student who redoes the
// arithmetic with the numbers on screen gets the number after "=". The
// functions below pick the fewest decimals (from the design's) at which the
// engine's result, rounded, equals the shown operands' result, rounded alike.

// Whether x is far from a rounding midpoint at d decimals (no tie that a
// student could round the other way).
static bool clear_of_tie(double x, int d) {
    double f = fabs(x) * pow(10, d);
    return fabs(f - floor(f) - 0.5) > 1e-6;
}

// Decimals for (a + b + c + d) / 4 = loss.
static int mean_decimals(const float *terms, float mean) {
    for (int d = 3; d <= 8; d++) {
        char t[32], got[32], want[32];
        double s = 0;
        for (int i = 0; i < LOOP_BATCH; i++) {
            snprintf(t, sizeof t, "%.*f", d, (double)terms[i]);
            s += atof(t);
        }
        snprintf(got, sizeof got, "%.*f", d, s / LOOP_BATCH);
        snprintf(want, sizeof want, "%.*f", d, (double)mean);
        if (strcmp(got, want) == 0 && clear_of_tie(s / LOOP_BATCH, d)) return d;
    }
    return 8;
}

// Decimals for mu·v_prev + grad = v (mu as written, %g): the operands get one
// more than the result, so their rounding (up to 0.95 of a unit of theirs)
// stays a tenth of the result's unit and rarely flips its last digit.
static int momentum_decimals(float v_prev, float mu, float grad, float v) {
    char m[32];
    snprintf(m, sizeof m, "%g", (double)mu);
    for (int d = 6; d <= 10; d++) {
        char a[32], b[32], got[32], want[32];
        snprintf(a, sizeof a, "%.*f", d + 1, (double)v_prev);
        snprintf(b, sizeof b, "%.*f", d + 1, (double)grad);
        double shown = atof(m) * atof(a) + atof(b);
        snprintf(got, sizeof got, "%.*f", d, shown);
        snprintf(want, sizeof want, "%.*f", d, (double)v);
        if (strcmp(got, want) == 0 && clear_of_tie(shown, d)) return d;
    }
    return 10;
}

// Decimals for w − lr·v = w' (lr as written, %g; v as the formula shows it).
static int sgd_decimals(float w, float lr, double v_shown, float w_after) {
    char l[32];
    snprintf(l, sizeof l, "%g", (double)lr);
    for (int d = 6; d <= 10; d++) {
        char a[32], got[32], want[32];
        snprintf(a, sizeof a, "%.*f", d, (double)w);
        double shown = atof(a) - atof(l) * v_shown;
        snprintf(got, sizeof got, "%.*f", d, shown);
        snprintf(want, sizeof want, "%.*f", d, (double)w_after);
        if (strcmp(got, want) == 0 && clear_of_tie(shown, d)) return d;
    }
    return 10;
}

// The step's two lines: v ← mu·v + grad (with the numbers once a buffer
// exists; on the first step v is grad) and w ← w − lr·v with v as shown.
static void write_step_formula(Scene *sc, const TrainLoopExt *e) {
    char vp[32], g[32], v[32], w0[32], w1[32], ascii[32], mom[160] = "", rule[48];
    bool first = e->after == 0;
    int dv = first ? 6 : momentum_decimals(e->v_prev, e->momentum, e->grad, e->v);
    if (first) { // buf = grad: the gradient's own digits (6 significant, as the backward step shows it)
        scene_fmt(v, sizeof v, e->v, 6);
        snprintf(ascii, sizeof ascii, "%.6f", (double)e->v);
    } else {
        scene_fmt(vp, sizeof vp, e->v_prev, dv + 1);
        scene_fmt(g, sizeof g, e->grad, dv + 1);
        scene_fmt(v, sizeof v, e->v, dv);
        snprintf(ascii, sizeof ascii, "%.*f", dv, (double)e->v);
        snprintf(mom, sizeof mom, " = %g \xC2\xB7 (%s) + (%s) = " ROLE_OUTPUT "%s" ROLE_PLAIN, (double)e->momentum, vp, g, v);
    }
    if (first) snprintf(mom, sizeof mom, " = " ROLE_OUTPUT "%s" ROLE_PLAIN, v);
    if (first) snprintf(rule, sizeof rule, "grad");
    else snprintf(rule, sizeof rule, "%g\xC2\xB7v_prev + grad", (double)e->momentum);
    int d = sgd_decimals(e->w_before, e->lr, atof(ascii), e->w_after);
    scene_fmt(w0, sizeof w0, e->w_before, d);
    scene_fmt(w1, sizeof w1, e->w_after, d);
    snprintf(sc->formula, sizeof sc->formula,
             ROLE_OUTPUT "v" ROLE_PLAIN " \xE2\x86\x90 %s%s;   " ROLE_KERNEL "w" ROLE_PLAIN
             " \xE2\x86\x90 w \xE2\x88\x92 lr\xC2\xB7v = %s \xE2\x88\x92 %g \xC2\xB7 (%s) = " ROLE_KERNEL "%s",
             rule, mom, w0, (double)e->lr, v, w1);
}

// The formula bar: the arithmetic of the phase shown.
static void write_loop_formula(Scene *sc, const TrainLoopExt *e) {
    char a[4][32];
    switch (e->phase) {
    case PHASE_ZERO_GRAD:
        snprintf(sc->formula, sizeof sc->formula, ROLE_KERNEL "%s" ROLE_PLAIN ".grad = 0", e->param);
        break;
    case PHASE_FORWARD:
        snprintf(sc->formula, sizeof sc->formula, "outputs = net(inputs):  4 \xC3\x97 10 " ROLE_OUTPUT "logits");
        break;
    case PHASE_LOSS:
    {
        int d = mean_decimals(e->nll, e->loss);
        char m[32];
        for (int i = 0; i < LOOP_BATCH; i++) snprintf(a[i], sizeof a[i], "%.*f", d, (double)e->nll[i]);
        snprintf(m, sizeof m, "%.*f", d, (double)e->loss);
        snprintf(sc->formula, sizeof sc->formula, "loss = (" ROLE_OUTPUT "%s" ROLE_PLAIN " + " ROLE_OUTPUT "%s" ROLE_PLAIN
                 " + " ROLE_OUTPUT "%s" ROLE_PLAIN " + " ROLE_OUTPUT "%s" ROLE_PLAIN ") / 4 = " ROLE_OUTPUT "%s",
                 a[0], a[1], a[2], a[3], m);
    }
        break;
    case PHASE_BACKWARD:
    {
        char g[32];
        scene_fmt(g, sizeof g, e->grad, 6);
        snprintf(sc->formula, sizeof sc->formula, "\xE2\x88\x82loss/\xE2\x88\x82" ROLE_KERNEL "%s" ROLE_PLAIN " = " ROLE_OUTPUT "%s",
                 e->param, g);
    }
        break;
    case PHASE_STEP:
    case PHASE_ALL:
        write_step_formula(sc, e);
        break;
    }
}

// The weight followed: the step's `param` in the chosen net. A name that
// CNNNet lacks is the lesson's mistake (an error naming the tensors); one
// that only the user's net (--net) lacks falls back to that net's first
// conv or linear weight at index 0, with a note on screen.
static int resolve_param(TrainLoopExt *e, const Net *net, const Lesson *l, const LessonStep *st, const SceneEnv *env,
                         NetTensor *pt, long *poff, int pidx[4], ClError *err) {
    if (find_param(net, e->param, pt, poff, pidx) == 0) return 0;
    NetTensor ts[NET_MAX_TENSORS];
    int n = net_tensors(net, ts);
    if (env->net) {
        for (int i = 0; i < n; i++) {
            if (!ts[i].learnable || ts[i].ndim < 2) continue; // a Conv2d's or Linear's weight
            char spec[sizeof e->param];
            snprintf(spec, sizeof spec, "%s[%s]", ts[i].name, ts[i].ndim == 4 ? "0,0,0,0" : "0,0");
            snprintf(e->note, sizeof e->note, "%s|%s", e->param, spec); // the view words it in its language
            snprintf(e->param, sizeof e->param, "%s", spec);
            return find_param(net, e->param, pt, poff, pidx);
        }
    }
    char names[512] = "";
    size_t k = 0;
    for (int i = 0; i < n && k + 2 < sizeof names; i++)
        if (ts[i].learnable) k += (size_t)snprintf(names + k, sizeof names - k, "%s%s", k ? ", " : "", ts[i].name);
    int line;
    bool given = lesson_get(st, "param", &line) != NULL;
    return cl_fail(err, "%s:%d: param: '%s' is not a weight of %s; expected NAME[i,j,...] with NAME one of %s "
                        "and indices inside its shape", l->path, given ? line : st->line, e->param, e->net_name, names);
}

// What the texts may say about this batch on the chosen net: whether every
// image got the same prediction ({same_pred}: 1/0) and how many are right
// ({n_right}), so "the same class for every image" is only said when true.
static void record_loop_facts(Scene *sc, const TrainLoopExt *e) {
    int same = 1, right = 0;
    for (int i = 0; i < LOOP_BATCH; i++) {
        same &= e->pred[i] == e->pred[0];
        right += e->pred[i] == e->labels[i];
    }
    scene_fact(sc, "same_pred", "%d", same);
    scene_fact(sc, "n_right", "%d", right);
}

static int loop_compute(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err) {
    if (scene_parse_show(l, st, SHOW_FORMULA, &sc->show, err) != 0) return -1;
    TrainLoopExt *e = cl_calloc(1, sizeof *e);
    sc->ext = e;
    sc->ext_free = free;
    if (read_loop_keys(e, l, st, err) != 0) return -1;
    Net net;
    if (scene_build_net(&net, env, LOOP_BATCH, err) != 0) return -1;
    net_model_name(e->net_name, sizeof e->net_name, &net);
    e->n_params = net.n_params;
    NetTensor pt;
    long poff;
    int pidx[4];
    if (resolve_param(e, &net, l, st, env, &pt, &poff, pidx, err) != 0 ||
        netlesson_weights(&net, l, st, &e->weights, err) != 0) {
        net_free(&net);
        return -1;
    }
    const CifarSet *set = pick_loop_set(sc, e, l, st, env, err);
    if (!set) {
        net_free(&net);
        return sc->needs_data ? 0 : -1;
    }
    net_set_training(&net, true); // module.train(), as the trainer: Dropout drops, BatchNorm2d uses batch statistics
    OptimizerConfig oc = optimizer_default_config(OPTIM_SGD);
    oc.lr = e->lr;
    oc.momentum = e->momentum;
    Optimizer opt; // one optimizer for the whole loop: its momentum buffer carries over
    optimizer_init(&opt, &oc, net.n_params);
    float *input = cl_malloc(sizeof(float) * LOOP_BATCH * CIFAR_PIXELS);
    e->w_init = net.params[poff];
    train_earlier_batches(e, &net, &opt, set, input);
    load_loop_batch(e, set, input);
    run_loop_body(e, &net, &opt, input, &pt, poff, pidx);
    record_loop_facts(sc, e);
    free(input);
    optimizer_free(&opt);
    net_free(&net);
    write_loop_formula(sc, e);
    return 0;
}

static void loop_dump(const Scene *sc, FILE *f) {
    const TrainLoopExt *e = sc->ext;
    if (!e) return;
    fprintf(f, "phase %s\nnet %s params %ld\nset %s first %d after %d\n", PHASES[e->phase], e->net_name, e->n_params,
            e->from_train ? "train" : "test", e->first, e->after);
    if (e->note[0]) fprintf(f, "note param %s is not in this net; following %s\n", e->param, strchr(e->note, '|') + 1);
    for (int i = 0; i < LOOP_BATCH; i++) {
        fprintf(f, "sample %d index %d label %d pred %d nll %.6f\n  logits", i, e->index[i], e->labels[i], e->pred[i], (double)e->nll[i]);
        double s = 0;
        for (int k = 0; k < NET_NUM_CLASSES; k++) fprintf(f, " %.6f", (double)e->logits[i * NET_NUM_CLASSES + k]);
        fprintf(f, "\n  softmax");
        for (int k = 0; k < NET_NUM_CLASSES; k++) { fprintf(f, " %.6f", (double)e->probs[i * NET_NUM_CLASSES + k]); s += e->probs[i * NET_NUM_CLASSES + k]; }
        fprintf(f, "\n  softmax_sum %.6f\n", s);
    }
    fprintf(f, "loss %.6f\nloss_after_step %.6f\n", (double)e->loss, (double)e->loss_after);
    fprintf(f, "param %s init %.8f before %.8f grad %.8f v_prev %.8f v %.8f after %.8f lr %g momentum %g\n", e->param,
            (double)e->w_init, (double)e->w_before, (double)e->grad, (double)e->v_prev, (double)e->v, (double)e->w_after, (double)e->lr,
            (double)e->momentum);
}

static const SceneKind SCENE_TRAINING_LOOP = {.name = "training_loop", .keys = KEYS, .compute = loop_compute, .dump = loop_dump};
SCENE_KIND_REGISTER(SCENE_TRAINING_LOOP)
