/* Live training: a recorder that keeps the history of runs and fills
 * snapshots, and a session that runs the Trainer on a pthread and hands
 * snapshots to the UI through a triple buffer (see train_session.h).
 * Used by the training screen (src/ui/dashboard*.c), by `--batch train
 * --dashboard` and by tests/test_train_session.c. No SDL.
 */
#include "session/train_session.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/checkpoint.h"
#include "session/autosave.h"
#include "engine/explain.h"

#define EVAL_BATCH 100

double train_clock_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void train_progress_resume(TrainProgress *p) {
    p->log_t = train_clock_seconds();
    p->log_images = p->images;
}

void train_progress_step(TrainProgress *p, int n) { p->images += n; }

double train_progress_log(TrainProgress *p) {
    double now = train_clock_seconds(), dt = now - p->log_t;
    double ips = dt > 0 ? (double)(p->images - p->log_images) / dt : 0;
    p->log_t = now;
    p->log_images = p->images;
    return ips;
}

/* ==== snapshots ============================================================ */

static void run_history_free(RunHistory *h) {
    free(h->points);
    memset(h, 0, sizeof *h);
}

// Deep copy of a run; dst's point array is reused or grown.
static void run_history_copy(RunHistory *dst, const RunHistory *src) {
    LossPoint *pts = dst->points;
    int cap = dst->cap_points;
    if (cap < src->n_points) {
        cap = src->n_points + 64;
        pts = cl_realloc(pts, (size_t)cap * sizeof *pts);
    }
    *dst = *src;
    dst->points = pts;
    dst->cap_points = cap;
    if (src->n_points > 0) memcpy(pts, src->points, (size_t)src->n_points * sizeof *pts);
}

void train_snapshot_free(TrainSnapshot *s) {
    for (int i = 0; i < TS_MAX_RUNS; i++) run_history_free(&s->runs[i]);
    free(s->test_pred);
    for (int i = 0; i < TS_FMAPS; i++) free(s->fmaps[i].data);
    memset(s, 0, sizeof *s);
}

void train_snapshot_copy(TrainSnapshot *dst, const TrainSnapshot *src) {
    // Keep dst's owned arrays, copy the plain fields, then the arrays.
    RunHistory runs[TS_MAX_RUNS];
    memcpy(runs, dst->runs, sizeof runs);
    uint8_t *test_pred = dst->test_pred;
    int old_n_test = dst->n_test;
    float *fdata[TS_FMAPS];
    int fsize[TS_FMAPS];
    for (int i = 0; i < TS_FMAPS; i++) {
        fdata[i] = dst->fmaps[i].data;
        fsize[i] = dst->fmaps[i].c * dst->fmaps[i].h * dst->fmaps[i].w;
    }
    *dst = *src;
    for (int i = 0; i < TS_MAX_RUNS; i++) {
        dst->runs[i] = runs[i];
        if (i < src->n_runs) run_history_copy(&dst->runs[i], &src->runs[i]);
        else dst->runs[i].n_points = 0;
    }
    if (old_n_test < src->n_test || test_pred == NULL) {
        test_pred = cl_realloc(test_pred, (size_t)(src->n_test > 0 ? src->n_test : 1));
    }
    dst->test_pred = test_pred;
    if (src->n_test > 0 && src->test_pred) memcpy(test_pred, src->test_pred, (size_t)src->n_test);
    for (int i = 0; i < TS_FMAPS; i++) {
        int n = src->fmaps[i].c * src->fmaps[i].h * src->fmaps[i].w;
        float *d = fdata[i];
        if (fsize[i] < n || d == NULL) {
            d = cl_realloc(d, (size_t)(n > 0 ? n : 1) * sizeof *d);
        }
        dst->fmaps[i].data = d;
        if (n > 0 && src->fmaps[i].data) memcpy(d, src->fmaps[i].data, (size_t)n * sizeof *d);
    }
}

bool train_config_same_run(const TrainConfig *a, const TrainConfig *b) {
    return a->epochs == b->epochs && a->batch_size == b->batch_size && a->optim.kind == b->optim.kind &&
           a->optim.lr == b->optim.lr && a->optim.momentum == b->optim.momentum && a->seed == b->seed &&
           a->relu_logits == b->relu_logits && a->tutorial_break == b->tutorial_break &&
           strcmp(a->net_file, b->net_file) == 0 && strcmp(a->net_text, b->net_text) == 0;
}

void train_config_label(char *out, int out_size, const TrainConfig *c) {
    int n = 0;
    char model[64];
    train_config_model(model, sizeof model, c);
    if (strcmp(model, "cnnnet") != 0 || c->net_note[0]) // CNNNet as shipped says nothing
        n = snprintf(out, (size_t)out_size, "%s%s%s, ", model, c->net_note[0] ? " " : "", c->net_note);
    if (n < 0 || n >= out_size) return;
    if (c->optim.kind == OPTIM_ADAM)
        n += snprintf(out + n, (size_t)(out_size - n), "Adam lr %g, batch %d", (double)c->optim.lr, c->batch_size);
    else
        n += snprintf(out + n, (size_t)(out_size - n), "SGD lr %g, mom %g, batch %d", (double)c->optim.lr,
                      (double)c->optim.momentum, c->batch_size);
    if (n < 0 || n >= out_size) return;
    if (c->relu_logits) n += snprintf(out + n, (size_t)(out_size - n), ", relu-logits");
    if (n < out_size && c->tutorial_break) snprintf(out + n, (size_t)(out_size - n), ", break");
}

void train_config_model(char *out, size_t cap, const TrainConfig *c) { netfile_model_name(out, cap, c->net_file); }

/* ==== recorder ============================================================= */

int train_recorder_init(TrainRecorder *r, const CifarSet *test, ClError *err) {
    memset(r, 0, sizeof *r);
    r->test = test;
    if (net_build_cnnnet(&r->eval_net, false, EVAL_BATCH, err) != 0) return -1;
    int n = test ? test->n : 0;
    r->test_pred = cl_calloc((size_t)(n > 0 ? n : 1), 1);
    r->probs = cl_calloc((size_t)EVAL_BATCH * NET_NUM_CLASSES, sizeof(float));
    r->test_loss_images = TS_TEST_LOSS_IMAGES;
    return 0;
}

void train_recorder_free(TrainRecorder *r) {
    net_free(&r->eval_net);
    for (int i = 0; i < TS_MAX_RUNS; i++) run_history_free(&r->runs[i]);
    free(r->test_pred);
    free(r->probs);
    memset(r, 0, sizeof *r);
}

// The eval net gets t's weights (and its relu_logits: the bug changes the
// predictions, so the dashboard must show the buggy net as it is).
static void sync_eval_net(TrainRecorder *r, const Trainer *t) {
    if (r->eval_net.relu_logits != t->net.relu_logits || memcmp(r->eval_net.spec, t->net.spec, sizeof *t->net.spec) != 0) {
        ClError err;
        net_free(&r->eval_net);
        CL_ASSERT(net_clone(&r->eval_net, &t->net, EVAL_BATCH, &err) == 0);
    }
    memcpy(r->eval_net.params, t->net.params, (size_t)t->net.n_params * sizeof(float));
    if (t->net.n_buffers) memcpy(r->eval_net.buffers, t->net.buffers, (size_t)t->net.n_buffers * sizeof(float));
    net_set_training(&r->eval_net, false);
    net_set_threads(&r->eval_net, t->net.threads > 0 ? t->net.threads : 1);
}

// Images one epoch trains: the training set, or fewer when the tutorial's
// break ends every epoch after its first mini-batch.
static int run_images_per_epoch(const Trainer *t) {
    long full = (long)t->batches_per_epoch * t->config.batch_size;
    int n = t->train ? t->train->n : 0;
    return full < n ? (int)full : n;
}

void train_recorder_begin_run(TrainRecorder *r, const Trainer *t) {
    // A run that never logged a point (reset or settings changed before any
    // progress) is replaced rather than kept as an empty legend entry.
    if (r->n_runs > 0 && r->runs[r->n_runs - 1].n_points == 0 && r->runs[r->n_runs - 1].n_epochs_done == 0)
        run_history_free(&r->runs[--r->n_runs]);
    if (r->n_runs == TS_MAX_RUNS) {
        run_history_free(&r->runs[0]);
        memmove(&r->runs[0], &r->runs[1], (TS_MAX_RUNS - 1) * sizeof r->runs[0]);
        memset(&r->runs[TS_MAX_RUNS - 1], 0, sizeof r->runs[0]);
        r->n_runs--;
    }
    RunHistory *h = &r->runs[r->n_runs++];
    memset(h, 0, sizeof *h);
    h->serial = ++r->runs_begun;
    h->config = t->config;
    h->batches_per_epoch = t->batches_per_epoch;
    h->images_per_epoch = run_images_per_epoch(t);
    train_config_label(h->label, sizeof h->label, &t->config);
    r->smooth_acc = 0;
    r->smooth_n = 0;
    r->has_eval = false;
    r->eval_epoch = 0;
}

// The tutorial's printed position "[epoch, i]" of t's last step (both
// 1-based), whether or not the trainer has already rolled over to the next epoch.
static void last_step_position(const Trainer *t, int *epoch1, int *batch1) {
    if (t->batch_in_epoch == 0 && t->global_step > 0) {
        *epoch1 = t->epoch;
        *batch1 = t->batches_per_epoch;
    } else {
        *epoch1 = t->epoch + 1;
        *batch1 = t->batch_in_epoch;
    }
}

static double running_train_acc(const Trainer *t) {
    return t->epoch_seen > 0 ? 100.0 * (double)t->epoch_correct / (double)t->epoch_seen : -1.0;
}

// The mean cross-entropy of t's weights on the held-out subset (the first
// test_loss_images test images, always the same ones), so the plot can set the
// loss on unseen images beside the training loss. NaN without a test set.
static float recorder_test_loss(TrainRecorder *r, const Trainer *t) {
    int n = r->test ? r->test->n : 0;
    if (r->test_loss_images < n) n = r->test_loss_images;
    if (n <= 0) return NAN;
    sync_eval_net(r, t);
    float *input = cl_malloc((size_t)EVAL_BATCH * CIFAR_PIXELS * sizeof(float));
    uint8_t labels[EVAL_BATCH];
    int32_t idx[EVAL_BATCH];
    double sum = 0;
    for (int i = 0; i < n; i += EVAL_BATCH) {
        int cnt = n - i < EVAL_BATCH ? n - i : EVAL_BATCH;
        for (int k = 0; k < cnt; k++) idx[k] = i + k;
        cifar_normalize_batch(input, labels, r->test, idx, cnt);
        net_forward(&r->eval_net, input, cnt);
        sum += (double)net_loss(&r->eval_net, labels, cnt, NULL) * cnt;  // net_loss is the batch mean
    }
    free(input);
    return (float)(sum / n);
}

void train_recorder_log(TrainRecorder *r, const Trainer *t, float mean_loss, double images_per_sec) {
    CL_ASSERT(r->n_runs > 0);
    RunHistory *h = &r->runs[r->n_runs - 1];
    if (h->n_points == h->cap_points) {
        h->cap_points = h->cap_points ? 2 * h->cap_points : 256;
        h->points = cl_realloc(h->points, (size_t)h->cap_points * sizeof *h->points);
    }
    // TensorBoard's smoothing: an EMA started at 0, divided by (1 - w^n) so the
    // first points are not pulled towards 0.
    r->smooth_acc = TS_SMOOTH * r->smooth_acc + (1.0 - TS_SMOOTH) * mean_loss;
    r->smooth_n++;
    double debias = 1.0 - pow(TS_SMOOTH, r->smooth_n);
    LossPoint *p = &h->points[h->n_points++];
    p->step = t->global_step;
    last_step_position(t, &p->epoch, &p->batch);
    p->loss = mean_loss;
    p->smooth = (float)(r->smooth_acc / debias);
    p->train_acc = (float)running_train_acc(t);
    p->images_per_sec = images_per_sec;
    int ipe = h->images_per_epoch;
    long in_epoch = (long)p->batch * t->config.batch_size;
    p->images = (long)(p->epoch - 1) * ipe + (in_epoch < ipe ? in_epoch : ipe);
    p->epoch_x = ipe > 0 ? (double)p->images / ipe : 0;
    p->test_loss = recorder_test_loss(r, t);
}

// Evaluates the eval net (already synced) on the test set: per-image
// predictions, overall and per-class accuracy, confusion matrix.
static void evaluate_test_set(TrainRecorder *r) {
    EvalResult *e = &r->eval;
    memset(e, 0, sizeof *e);
    const CifarSet *set = r->test;
    int n = set ? set->n : 0;
    if (r->test_limit > 0 && r->test_limit < n) n = r->test_limit;
    float *input = cl_malloc((size_t)EVAL_BATCH * CIFAR_PIXELS * sizeof(float));
    uint8_t labels[EVAL_BATCH];
    int32_t idx[EVAL_BATCH];
    for (int i = 0; i < n; i += EVAL_BATCH) {
        if (r->cancel && __atomic_load_n(r->cancel, __ATOMIC_RELAXED)) break;  // quitting: results unused
        int cnt = n - i < EVAL_BATCH ? n - i : EVAL_BATCH;
        for (int k = 0; k < cnt; k++) idx[k] = i + k;
        cifar_normalize_batch(input, labels, set, idx, cnt);
        net_forward(&r->eval_net, input, cnt);
        net_predict(&r->eval_net, cnt, r->test_pred + i);
        for (int k = 0; k < cnt; k++) {
            int truth = labels[k], pred = r->test_pred[i + k];
            e->class_total[truth]++;
            e->confusion[truth][pred]++;
            if (truth == pred) { e->class_correct[truth]++; e->correct++; }
        }
    }
    free(input);
    e->n = n;
    e->accuracy = n > 0 ? 100.0 * e->correct / n : 0.0;
    for (int c = 0; c < CIFAR_CLASSES; c++)
        e->class_accuracy[c] = e->class_total[c] > 0 ? 100.0 * e->class_correct[c] / e->class_total[c] : 0.0;
}

const EvalResult *train_recorder_epoch_end(TrainRecorder *r, const Trainer *t, int epoch) {
    CL_ASSERT(r->n_runs > 0);
    sync_eval_net(r, t);
    evaluate_test_set(r);
    r->has_eval = true;
    r->eval_epoch = epoch;
    RunHistory *h = &r->runs[r->n_runs - 1];
    if (epoch >= 1 && epoch <= TS_MAX_EPOCHS && h->n_epochs_done < TS_MAX_EPOCHS) {
        int e = h->n_epochs_done++;
        h->test_acc[e] = (float)r->eval.accuracy;
        h->train_acc[e] = (float)running_train_acc(t);
        h->epoch_end_step[e] = t->global_step;
    }
    return &r->eval;
}

// Evaluates without recording an epoch (after loading a checkpoint).
static void recorder_evaluate_now(TrainRecorder *r, const Trainer *t) {
    sync_eval_net(r, t);
    evaluate_test_set(r);
    r->has_eval = true;
    r->eval_epoch = 0;
}

static void softmax_top3(const float *logits, Prediction *p) {
    float mx = logits[0];
    for (int k = 1; k < NET_NUM_CLASSES; k++) mx = logits[k] > mx ? logits[k] : mx;
    double prob[NET_NUM_CLASSES], sum = 0;
    for (int k = 0; k < NET_NUM_CLASSES; k++) sum += prob[k] = exp((double)(logits[k] - mx));
    for (int j = 0; j < TS_TOPK; j++) {
        int best = -1;
        for (int k = 0; k < NET_NUM_CLASSES; k++) {
            bool taken = false;
            for (int q = 0; q < j; q++) taken |= p->top[q] == k;
            if (!taken && (best < 0 || prob[k] > prob[best])) best = k;
        }
        p->top[j] = (uint8_t)best;
        p->prob[j] = (float)(prob[best] / sum);
    }
}

static void copy_feature_map(FeatureMap *fm, const Net *net, int li, int sample) {
    const Layer *l = &net->layers[li];
    const char *name = l->name;
    int n = l->out_c * l->out_h * l->out_w;
    if (fm->data == NULL || fm->c * fm->h * fm->w < n) {
        fm->data = cl_realloc(fm->data, (size_t)n * sizeof(float));
    }
    snprintf(fm->name, sizeof fm->name, "%s", name);
    fm->signed_values = l->kind == LAYER_CONV2D || l->kind == LAYER_LINEAR; // raw outputs; a ReLU (and a pool of it) is >= 0
    fm->c = l->out_c;
    fm->h = l->out_h;
    fm->w = l->out_w;
    memcpy(fm->data, net->acts[li + 1] + (size_t)sample * n, (size_t)n * sizeof(float));
}

// The layers the dashboard shows maps of: convolutions and pools, in net order.
static bool is_feature_layer(const Layer *l) {
    return l->kind == LAYER_CONV2D || l->kind == LAYER_MAXPOOL2D || l->kind == LAYER_AVGPOOL2D;
}

// The filters of the first Conv2d on the RGB input (groups 1, at most
// TS_MAX_FILTERS of them, kernels up to TS_MAX_FILTER_SIZE), else none.
static void copy_filters(FilterBank *fb, const Net *net) {
    memset(fb->name, 0, sizeof fb->name);
    fb->n = 0;
    const Layer *l = &net->layers[0];
    if (l->kind != LAYER_CONV2D || l->conv.in_channels != 3 || l->conv.groups != 1) return;
    if (l->conv.kernel_h > TS_MAX_FILTER_SIZE || l->conv.kernel_w > TS_MAX_FILTER_SIZE) return;
    snprintf(fb->name, sizeof fb->name, "%s", l->name);
    fb->n = l->conv.out_channels < TS_MAX_FILTERS ? l->conv.out_channels : TS_MAX_FILTERS;
    fb->kh = l->conv.kernel_h, fb->kw = l->conv.kernel_w;
    memcpy(fb->w, net->params + l->weight_offset, sizeof(float) * (size_t)(fb->n * 3 * fb->kh * fb->kw));
}

void train_recorder_set_picture(TrainRecorder *r, const Picture *p) {
    r->has_picture = p != NULL;
    if (!p) return;
    memcpy(r->picture_pixels, p->planes, sizeof r->picture_pixels);
    memcpy(r->picture_input, p->input, sizeof r->picture_input);
}

// The picture's part of a snapshot (after the feature maps, which were its):
// its top three and saliency / Grad-CAM with the eval net's current weights.
static void fill_picture(TrainRecorder *r, TrainSnapshot *out) {
    out->has_picture = r->has_picture;
    if (!r->has_picture) return;
    memcpy(out->fmap_pixels, r->picture_pixels, sizeof out->fmap_pixels);
    out->fmap_image = -1;
    out->fmap_truth = 255;
    static Explanation ex;  // the recorder's thread only
    ClError err;
    if (net_explain(&ex, &r->eval_net, r->picture_input, -1, &err) != 0) {
        out->has_picture = false;
        return;
    }
    out->picture_pred.index = -1;
    out->picture_pred.truth = 255;
    softmax_top3(ex.logits, &out->picture_pred);
    memcpy(out->picture_saliency, ex.saliency, sizeof out->picture_saliency);
    memcpy(out->picture_gradcam, ex.gradcam, sizeof out->picture_gradcam);
}

void train_recorder_fill(TrainRecorder *r, const Trainer *t, int fmap_image, TrainSnapshot *out) {
    out->config = t->config;
    out->n_runs = r->n_runs;
    for (int i = 0; i < TS_MAX_RUNS; i++) {
        if (i < r->n_runs) run_history_copy(&out->runs[i], &r->runs[i]);
        else out->runs[i].n_points = 0;
    }
    int n_test = r->test ? r->test->n : 0;
    if (out->test_pred == NULL || out->n_test < n_test) {
        out->test_pred = cl_realloc(out->test_pred, (size_t)(n_test > 0 ? n_test : 1));
    }
    out->n_test = n_test;
    out->has_eval = r->has_eval;
    out->eval_epoch = r->eval_epoch;
    out->eval = r->eval;
    if (r->has_eval && n_test > 0) memcpy(out->test_pred, r->test_pred, (size_t)n_test);

    copy_filters(&out->filters, &t->net);

    // One forward of the grid images plus the chosen image.
    out->n_pred = 0;
    if (n_test == 0) {
        for (int i = 0; i < TS_FMAPS; i++) out->fmaps[i].c = out->fmaps[i].h = out->fmaps[i].w = 0;
        return;
    }
    sync_eval_net(r, t);
    int n_pred = n_test < TS_PRED_IMAGES ? n_test : TS_PRED_IMAGES;
    if (fmap_image < 0 || fmap_image >= n_test) fmap_image = 0;
    int32_t idx[TS_PRED_IMAGES + 1];
    uint8_t labels[TS_PRED_IMAGES + 1];
    for (int i = 0; i < n_pred; i++) idx[i] = i;
    idx[n_pred] = fmap_image;
    float *input = cl_malloc((size_t)(n_pred + 1) * CIFAR_PIXELS * sizeof(float));
    cifar_normalize_batch(input, labels, r->test, idx, n_pred + 1);
    if (r->has_picture) memcpy(input + (size_t)n_pred * CIFAR_PIXELS, r->picture_input, sizeof r->picture_input);
    const float *logits = net_forward(&r->eval_net, input, n_pred + 1);
    free(input);
    for (int i = 0; i < n_pred; i++) {
        out->pred[i].index = i;
        out->pred[i].truth = labels[i];
        softmax_top3(logits + i * NET_NUM_CLASSES, &out->pred[i]);
    }
    out->n_pred = n_pred;
    for (int i = 0; i < n_pred; i++)
        memcpy(out->pred_pixels[i], r->test->pixels + (size_t)i * CIFAR_PIXELS, CIFAR_PIXELS);
    memcpy(out->fmap_pixels, r->test->pixels + (size_t)fmap_image * CIFAR_PIXELS, CIFAR_PIXELS);
    out->fmap_image = fmap_image;
    out->fmap_truth = labels[n_pred];
    int shown = 0;
    for (int i = 0; i < r->eval_net.n_layers && shown < TS_FMAPS; i++)
        if (is_feature_layer(&r->eval_net.layers[i])) copy_feature_map(&out->fmaps[shown++], &r->eval_net, i, n_pred);
    for (; shown < TS_FMAPS; shown++) out->fmaps[shown].c = out->fmaps[shown].h = out->fmaps[shown].w = 0;
    fill_picture(r, out);
}

/* ==== session ============================================================== */

typedef struct {
    bool reset;
    bool set_config;
    TrainConfig config;
    bool save;
    char save_path[512];
    bool load;
    char load_path[512];
} Commands;

struct TrainSession {
    const Cifar *cifar;             // not owned
    pthread_t thread;
    bool thread_started;

    // ---- control, under ctl: the UI writes requests, the thread takes them
    pthread_mutex_t ctl;
    pthread_cond_t ctl_cond;        // signalled on every request
    bool quit;
    volatile int cancel;            // set (atomically) by destroy: stops an evaluation in progress
    bool want_run;                  // T toggles; the thread clears it when a run ends
    int fmap_image;                 // chosen test image for the feature maps
    bool fmap_changed;
    Picture *picture;               // the student's picture (owned copy), or NULL
    bool picture_changed;
    Commands cmd;                   // pending one-shot requests
    unsigned long requests;         // counts every request, so the thread never sleeps through one
    TrainConfig config;             // the configuration the UI last set
    double speed;                   // mini-batches per second (0 = full speed)
    bool step_once;                 // N: one mini-batch, then pause

    // ---- the thread's own state (the UI never touches it)
    Trainer trainer;
    bool trainer_ok;
    TrainRecorder rec;
    TrainState state;
    char message[1200];
    char message_zh[1300];          // the same in Chinese (say)
    bool message_error;             // message reports a failure (save, load)
    int fmap_thread;                // the thread's copy of fmap_image
    double elapsed;                 // training seconds of this run
    double last_tick;               // for elapsed
    double last_publish;
    long images_at_publish;
    TrainProgress progress;         // images of this run, images/s between log points
    double ips;                     // images/s over the last publish interval
    int evaluated_epochs;           // epochs already evaluated in this run
    double thread_speed;            // the thread's copy of speed
    double next_step_at;            // slow motion: train_clock_seconds() of the next mini-batch
    StepDetail detail;              // the last mini-batch's numbers

    // ---- the exchange: three buffers, swapped under xchg
    pthread_mutex_t xchg;
    pthread_cond_t xchg_cond;       // broadcast on publish (train_session_wait)
    TrainSnapshot bufs[3];
    TrainSnapshot *back;            // the thread's
    TrainSnapshot *middle;          // the newest published
    TrainSnapshot *front;           // the UI's
    bool middle_fresh;
    uint64_t version;
};

// Sets the status line in English and Chinese from two formats of the same
// arguments (the dashboard shows the one of its language).
static void say(TrainSession *s, const char *en, const char *zh, ...) __attribute__((format(printf, 2, 4)));
static void say(TrainSession *s, const char *en, const char *zh, ...) {
    va_list ap, ap2;
    va_start(ap, zh);
    va_copy(ap2, ap);
    vsnprintf(s->message, sizeof s->message, en, ap);
    vsnprintf(s->message_zh, sizeof s->message_zh, zh, ap2);
    va_end(ap2);
    va_end(ap);
}

int train_session_log_every(int batch_size) {
    int n = batch_size > 0 ? TS_GUI_LOG_IMAGES / batch_size : 1;
    return n > 0 ? n : 1;
}

TrainConfig train_session_default_config(void) {
    TrainConfig c = train_config_default();
    c.log_every = train_session_log_every(c.batch_size);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    c.threads = cores > 1 ? (int)cores - 1 : 1;
    return c;
}

void train_snapshot_fill_progress(TrainSnapshot *out, const Trainer *t, double elapsed_s, double images_per_sec) {
    int e1, b1;
    last_step_position(t, &e1, &b1);
    out->epoch = t->global_step == 0 ? 1 : e1;
    out->batch_in_epoch = t->global_step == 0 ? 0 : b1;
    out->batches_per_epoch = t->batches_per_epoch;
    out->step = t->global_step;
    out->total_steps = (long)t->batches_per_epoch * t->config.epochs;
    out->running_train_acc = running_train_acc(t);
    out->images_per_sec = images_per_sec;
    out->elapsed_s = elapsed_s;
    // ETA from the mean speed of the run so far (steady, unlike the last interval).
    double steps_per_s = elapsed_s > 0 ? (double)t->global_step / elapsed_s : 0;
    out->eta_s = t->finished ? 0 : steps_per_s > 0 ? (double)(out->total_steps - t->global_step) / steps_per_s : -1.0;
}

// Fills the back buffer from the thread's state and swaps it into middle.
static void publish(TrainSession *s) {
    TrainSnapshot *b = s->back;
    double now = train_clock_seconds();
    if (s->trainer_ok) train_recorder_fill(&s->rec, &s->trainer, s->fmap_thread, b);
    const Trainer *t = &s->trainer;
    b->state = s->state;
    snprintf(b->message, sizeof b->message, "%s", s->message);
    snprintf(b->message_zh, sizeof b->message_zh, "%s", s->message[0] ? s->message_zh : "");
    b->message_error = s->message_error || s->state == TS_ERROR;
    double dt = now - s->last_publish;
    if (s->state == TS_RUNNING && dt > 0.05) s->ips = (double)(s->progress.images - s->images_at_publish) / dt;
    if (s->state != TS_RUNNING && s->state != TS_FINISHED) s->ips = 0.0;
    s->last_publish = now;
    s->images_at_publish = s->progress.images;
    if (s->trainer_ok) {
        train_snapshot_fill_progress(b, t, s->elapsed, s->ips);
    } else {
        b->n_runs = s->rec.n_runs;
        b->epoch = 1;
        b->batch_in_epoch = b->batches_per_epoch = 0;
        b->step = b->total_steps = 0;
        b->running_train_acc = -1;
        b->n_pred = 0;
    }
    b->images_trained = s->progress.images;
    if (s->state == TS_FINISHED) b->eta_s = 0;
    b->speed = s->thread_speed;
    b->last_step = s->detail;

    pthread_mutex_lock(&s->xchg);
    b->version = ++s->version;
    s->back = s->middle;
    s->middle = b;
    s->middle_fresh = true;
    pthread_cond_broadcast(&s->xchg_cond);
    pthread_mutex_unlock(&s->xchg);
}

// Publishes "evaluating..." first: a full test set takes seconds, and the
// screen should say why the step counter stopped.
static void announce_evaluation(TrainSession *s) {
    int n = s->rec.test ? s->rec.test->n : 0;
    if (s->rec.test_limit > 0 && s->rec.test_limit < n) n = s->rec.test_limit;
    char count[32];
    if (n >= 1000) snprintf(count, sizeof count, "%d,%03d", n / 1000, n % 1000);
    else snprintf(count, sizeof count, "%d", n);
    say(s, "evaluating on %s test images...", "正在用 %s 张测试图片评估……", count);
    publish(s);
}

// The trainer is new: a new curve, idle, clocks at zero.
static void begin_run(TrainSession *s) {
    s->trainer_ok = true;
    train_recorder_begin_run(&s->rec, &s->trainer);
    s->state = TS_IDLE;
    s->elapsed = 0;
    s->progress = (TrainProgress){0};
    s->images_at_publish = 0;
    s->ips = 0;
    s->evaluated_epochs = 0;
    memset(&s->detail, 0, sizeof s->detail);
}

// A fresh trainer for config (new initial weights from its seed) and a new curve.
static void new_run(TrainSession *s, const TrainConfig *config_in) {
    TrainConfig config_copy = *config_in;  // config_in may point into the trainer freed below
    const TrainConfig *config = &config_copy;
    if (s->trainer_ok) trainer_free(&s->trainer);
    s->trainer_ok = false;
    ClError err;
    if (trainer_init(&s->trainer, config, &s->cifar->train, &err) != 0) {
        s->state = TS_ERROR;
        say(s, "%s", "出错：%s", err.msg);
        return;
    }
    begin_run(s);
}

// A new run from a checkpoint and the net it records (or CNNNet): the
// current settings, its weights. On failure the current run stays.
static int load_run(TrainSession *s, const char *path, ClError *err) {
    TrainConfig c = s->trainer.config;
    Net net;
    if (checkpoint_open_net(&net, path, NULL, -1, c.batch_size, NULL, err) != 0) return -1;
    trainer_free(&s->trainer);
    s->trainer_ok = false;
    if (trainer_init_net(&s->trainer, &c, &s->cifar->train, &net, err) != 0) {
        s->state = TS_ERROR;
        return -1;
    }
    begin_run(s);
    return 0;
}

static void do_commands(TrainSession *s, Commands *cmd) {
    s->message_error = false;
    if (cmd->set_config) {
        new_run(s, &cmd->config);
        if (s->state != TS_ERROR) say(s, "new run: %s", "新的训练：%s", s->rec.runs[s->rec.n_runs - 1].label);
    } else if (cmd->reset) {
        new_run(s, s->trainer_ok ? &s->trainer.config : &cmd->config);
        if (s->state != TS_ERROR) say(s, "reset: new weights from seed %llu", "重置：用种子 %llu 重新初始化权重",
                                      (unsigned long long)s->trainer.config.seed);
    }
    if (cmd->load && s->trainer_ok) {
        ClError err;
        if (load_run(s, cmd->load_path, &err) != 0) {
            say(s, "%s", "载入失败：%s", err.msg);
            s->message_error = true;
        } else if (s->trainer_ok) {
            RunHistory *h = &s->rec.runs[s->rec.n_runs - 1];
            const char *base = strrchr(cmd->load_path, '/');
            snprintf(h->label, sizeof h->label, "loaded %.80s", base ? base + 1 : cmd->load_path);
            announce_evaluation(s);
            recorder_evaluate_now(&s->rec, &s->trainer);
            say(s, "loaded %s: test accuracy %.2f %%", "已载入 %s：测试准确率 %.2f %%", cmd->load_path,
                     s->rec.eval.accuracy);
        }
    }
    if (cmd->save && s->trainer_ok) {
        ClError err;
        StMeta meta[TRAIN_META_COUNT];
        train_checkpoint_meta(meta, &s->trainer);
        if (checkpoint_save_meta(&s->trainer.net, cmd->save_path, meta, TRAIN_META_COUNT, &err) != 0) {
            say(s, "%s", "保存失败：%s", err.msg);
            s->message_error = true;
        } else
            say(s, "saved %s (step %ld)", "已保存 %s（第 %ld 步）", cmd->save_path, s->trainer.global_step);
    }
}

// The run ended (finished or failed): clear the run request before the
// snapshot saying so is published, so the UI never sees "finished" while
// train_session_running() still says yes.
static void run_ended(TrainSession *s) {
    pthread_mutex_lock(&s->ctl);
    s->want_run = false;
    pthread_mutex_unlock(&s->ctl);
}

/* ==== slow motion and single step ========================================== */

const double TS_SPEED_STEPS[TS_SPEEDS] = {0, 100, 30, 10, 3, 1};

// The watched weight for the step panel: the first entry of the net's first
// learnable tensor (CNNNet: conv1.weight[0,0,0,0]). Records its values before the step.
static long detail_before(StepDetail *d, const Trainer *t) {
    const TensorSpec *w = &t->net.spec->tensors[0];
    long i = w->learnable ? w->offset : 0;
    char index[24] = "";
    for (int k = 0; k < w->ndim; k++) strcat(index, k ? ",0" : "0");
    snprintf(d->param, sizeof d->param, "%.40s[%s]", w->name, index);
    d->w_before = t->net.params[i];
    d->v_before = t->opt.state1 ? t->opt.state1[i] : 0;
    d->first = t->opt.t == 0;
    return i;
}

// After a committed step: its loss, position, the weight's gradient (net.grads
// holds this mini-batch's until the next backward), buffer and new value.
static void detail_after(StepDetail *d, const Trainer *t, long i, float loss) {
    d->valid = true;
    d->step = t->global_step;
    last_step_position(t, &d->epoch, &d->batch);
    d->n = t->last_batch_n;
    d->correct = 0;
    for (int k = 0; k < t->last_batch_n; k++) d->correct += t->batch_pred[k] == t->batch_labels[k];
    d->loss = loss;
    d->grad = t->net.grads[i];
    d->v_after = t->opt.state1 ? t->opt.state1[i] : d->grad;
    d->w_after = t->net.params[i];
    d->optim = t->config.optim;
}

// Slow motion: true when the next mini-batch is due (always at full speed);
// then schedules the one after.
static bool slow_motion_due(TrainSession *s) {
    if (s->thread_speed <= 0) return true;
    double now = train_clock_seconds();
    if (now < s->next_step_at) return false;
    s->next_step_at = now + 1.0 / s->thread_speed;  // from now: no burst after a pause
    return true;
}

// Sleeps on ctl_cond until `when` (train_clock_seconds) or a request. Caller holds ctl.
static void wait_until_locked(TrainSession *s, double when) {
    double dt = when - train_clock_seconds();
    if (dt <= 0) return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double secs = (double)ts.tv_sec + ts.tv_nsec * 1e-9 + dt;
    ts.tv_sec = (time_t)secs;
    ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
    pthread_cond_timedwait(&s->ctl_cond, &s->ctl, &ts);
}

static bool train_one_step(TrainSession *s);

// Idle or paused -> running: the clocks and the publish counters start from now.
static void start_running(TrainSession *s) {
    s->state = TS_RUNNING;
    s->message[0] = 0;
    s->message_error = false;
    s->last_tick = train_clock_seconds();
    train_progress_resume(&s->progress);
    s->last_publish = s->last_tick;
    s->images_at_publish = s->progress.images;
}

// N while stopped: exactly one mini-batch (with its log line and epoch-end
// evaluation if they fall on it), then paused again.
static void run_single_step(TrainSession *s) {
    start_running(s);
    train_one_step(s);
    if (s->state == TS_RUNNING) {
        s->elapsed += train_clock_seconds() - s->last_tick;
        s->state = TS_PAUSED;
    }
}

// One mini-batch plus its log line and epoch-end evaluation. Returns false
// when the run has ended (finished or failed).
static bool train_one_step(TrainSession *s) {
    Trainer *t = &s->trainer;
    float loss;
    ClError err;
    long watched = detail_before(&s->detail, t);
    int rc = trainer_step(t, &loss, &err);
    if (rc > 0) detail_after(&s->detail, t, watched, loss);
    if (rc < 0) {
        s->state = TS_ERROR;
        say(s, "%s", "出错：%s", err.msg);
        run_ended(s);
        return false;
    }
    if (rc == 0) {
        s->state = TS_FINISHED;
        run_ended(s);
        return false;
    }
    int e1, b1;
    last_step_position(t, &e1, &b1);
    train_progress_step(&s->progress, t->last_batch_n); // the last mini-batch of an epoch may be short

    float mean;
    bool logged = false;
    if (trainer_take_log(t, &mean)) {
        train_recorder_log(&s->rec, t, mean, train_progress_log(&s->progress));
        logged = true;
    }
    bool epoch_done = b1 == t->batches_per_epoch && e1 > s->evaluated_epochs;
    if (epoch_done) {
        // Evaluation time is not training time.
        double t0 = train_clock_seconds();
        s->elapsed += t0 - s->last_tick;
        announce_evaluation(s);
        train_recorder_epoch_end(&s->rec, t, e1);
        s->message[0] = 0;
        s->evaluated_epochs = e1;
        s->last_tick = train_clock_seconds();
    }
    if (t->finished) {
        s->state = TS_FINISHED;
        say(s, "Finished Training", "训练完成（Finished Training）");
        run_ended(s);
    }
    if (logged || epoch_done || t->finished || s->thread_speed > 0 ||
        train_clock_seconds() - s->last_publish >= TS_PUBLISH_SECONDS) {
        double now = train_clock_seconds();
        s->elapsed += now - s->last_tick;
        s->last_tick = now;
        publish(s);
    }
    return s->state == TS_RUNNING;
}

static void *session_thread(void *arg) {
    TrainSession *s = arg;
    pthread_mutex_lock(&s->ctl);
    while (!s->quit) {
        Commands cmd = s->cmd;
        memset(&s->cmd, 0, sizeof s->cmd);
        cmd.config = cmd.set_config ? cmd.config : s->config;
        unsigned long seen = s->requests;
        bool run = s->want_run;
        bool step_once = s->step_once;
        s->step_once = false;
        bool speed_changed = s->thread_speed != s->speed;
        s->thread_speed = s->speed;
        bool changed = s->fmap_changed || s->picture_changed || speed_changed;
        s->fmap_changed = false;
        s->fmap_thread = s->fmap_image;
        if (s->picture_changed) train_recorder_set_picture(&s->rec, s->picture);
        s->picture_changed = false;
        pthread_mutex_unlock(&s->ctl);

        if (cmd.reset || cmd.set_config || cmd.save || cmd.load) {
            do_commands(s, &cmd);
            changed = true;
        }
        if (run && (s->state == TS_IDLE || s->state == TS_PAUSED)) {
            start_running(s);
            changed = true;
        } else if (run && (s->state == TS_FINISHED || s->state == TS_ERROR)) {
            if (s->state == TS_FINISHED) say(s, "finished: press R for a new run", "已完成：按 R 开始新的训练");
            run_ended(s);  // the request is answered
            changed = true;
        } else if (!run && s->state == TS_RUNNING) {
            s->elapsed += train_clock_seconds() - s->last_tick;
            s->state = TS_PAUSED;
            changed = true;
        }

        if (step_once && !run && (s->state == TS_IDLE || s->state == TS_PAUSED)) {
            run_single_step(s);
            changed = true;
        }
        bool ran = false;
        if (s->state == TS_RUNNING && slow_motion_due(s)) {
            ran = true;
            train_one_step(s);  // publishes when due
            if (s->state != TS_RUNNING) changed = true;
        }
        if (changed && !(ran && s->state == TS_RUNNING)) publish(s);

        pthread_mutex_lock(&s->ctl);
        if (s->state != TS_RUNNING && !s->quit && s->requests == seen)
            pthread_cond_wait(&s->ctl_cond, &s->ctl);
        else if (s->state == TS_RUNNING && s->thread_speed > 0 && !s->quit && s->requests == seen)
            wait_until_locked(s, s->next_step_at);  // slow motion: a request still wakes it
    }
    pthread_mutex_unlock(&s->ctl);
    return NULL;
}

TrainSession *train_session_create(const TrainConfig *config, const Cifar *cifar, ClError *err) {
    if (train_config_validate(config, err) != 0) return NULL;
    TrainSession *s = cl_calloc(1, sizeof *s);
    s->cifar = cifar;
    s->config = *config;
    if (train_recorder_init(&s->rec, &cifar->test, err) != 0) {
        free(s);
        return NULL;
    }
    s->rec.cancel = &s->cancel;
    pthread_mutex_init(&s->ctl, NULL);
    pthread_cond_init(&s->ctl_cond, NULL);
    pthread_mutex_init(&s->xchg, NULL);
    pthread_cond_init(&s->xchg_cond, NULL);
    s->back = &s->bufs[0];
    s->middle = &s->bufs[1];
    s->front = &s->bufs[2];
    new_run(s, config);
    if (s->state == TS_ERROR) {
        cl_fail(err, "%s", s->message);
        train_session_destroy(s);
        return NULL;
    }
    s->last_publish = train_clock_seconds();
    publish(s);
    train_session_snapshot(s);  // the UI's first snapshot, before the thread exists
    if (pthread_create(&s->thread, NULL, session_thread, s) != 0) {
        cl_fail(err, "cannot start the training thread: %s", strerror(errno));
        train_session_destroy(s);
        return NULL;
    }
    s->thread_started = true;
    return s;
}

// The end of every command from the UI: counts the request (the thread sees
// it changed), wakes the training thread and releases the control lock taken
// by the caller.
static void request_and_unlock(TrainSession *s) {
    s->requests++;
    pthread_cond_signal(&s->ctl_cond);
    pthread_mutex_unlock(&s->ctl);
}

// Stops the training thread (after its current mini-batch) and joins it; from
// then on the trainer is the caller's. A second call does nothing.
static void stop_thread(TrainSession *s) {
    if (!s->thread_started) return;
    __atomic_store_n(&s->cancel, 1, __ATOMIC_RELAXED);
    pthread_mutex_lock(&s->ctl);
    s->quit = true;
    request_and_unlock(s);
    pthread_join(s->thread, NULL);  // the thread checks quit after every mini-batch
    s->thread_started = false;
}

void train_session_destroy(TrainSession *s) {
    if (!s) return;
    stop_thread(s);
    if (s->trainer_ok) trainer_free(&s->trainer);
    train_recorder_free(&s->rec);
    for (int i = 0; i < 3; i++) train_snapshot_free(&s->bufs[i]);
    free(s->picture);
    pthread_mutex_destroy(&s->ctl);
    pthread_cond_destroy(&s->ctl_cond);
    pthread_mutex_destroy(&s->xchg);
    pthread_cond_destroy(&s->xchg_cond);
    free(s);
}

static void set_want_run(TrainSession *s, int how) {  // 0 pause, 1 start, 2 toggle
    pthread_mutex_lock(&s->ctl);
    s->want_run = how == 2 ? !s->want_run : how == 1;
    request_and_unlock(s);
}

void train_session_start(TrainSession *s) { set_want_run(s, 1); }
void train_session_pause(TrainSession *s) { set_want_run(s, 0); }
void train_session_toggle(TrainSession *s) { set_want_run(s, 2); }

void train_session_reset(TrainSession *s) {
    pthread_mutex_lock(&s->ctl);
    s->want_run = false;
    s->cmd.reset = true;
    request_and_unlock(s);
}

void train_session_save(TrainSession *s, const char *path) {
    pthread_mutex_lock(&s->ctl);
    s->cmd.save = true;
    snprintf(s->cmd.save_path, sizeof s->cmd.save_path, "%s", path);
    request_and_unlock(s);
}

void train_session_load(TrainSession *s, const char *path) {
    pthread_mutex_lock(&s->ctl);
    s->want_run = false;
    s->cmd.load = true;
    snprintf(s->cmd.load_path, sizeof s->cmd.load_path, "%s", path);
    request_and_unlock(s);
}

void train_session_choose_image(TrainSession *s, int test_index) {
    pthread_mutex_lock(&s->ctl);
    s->fmap_image = test_index;
    s->fmap_changed = true;
    if (s->picture) { // a chosen test image takes the picture's place until the screen is entered again
        free(s->picture);
        s->picture = NULL;
        s->picture_changed = true;
    }
    request_and_unlock(s);
}

void train_session_set_picture(TrainSession *s, const Picture *p) {
    pthread_mutex_lock(&s->ctl);
    if (p) {
        if (!s->picture) s->picture = cl_malloc(sizeof *s->picture);
        *s->picture = *p;
    } else {
        free(s->picture);
        s->picture = NULL;
    }
    s->picture_changed = true;
    request_and_unlock(s);
}

void train_session_set_speed(TrainSession *s, double steps_per_second) {
    pthread_mutex_lock(&s->ctl);
    s->speed = steps_per_second > 0 ? steps_per_second : 0;
    request_and_unlock(s);
}

void train_session_step_once(TrainSession *s) {
    pthread_mutex_lock(&s->ctl);
    if (!s->want_run) s->step_once = true;
    request_and_unlock(s);
}

int train_session_set_config(TrainSession *s, const TrainConfig *config, ClError *err) {
    if (train_config_validate(config, err) != 0) return -1;
    if (config->epochs > TS_MAX_EPOCHS)
        return cl_fail(err, "epochs %d is more than the training screen keeps (%d); use --batch train for longer runs",
                       config->epochs, TS_MAX_EPOCHS);
    pthread_mutex_lock(&s->ctl);
    if (s->want_run) {
        pthread_mutex_unlock(&s->ctl);
        return cl_fail(err, "training is running: press T to pause before changing settings");
    }
    s->config = *config;
    s->cmd.set_config = true;
    s->cmd.config = *config;
    request_and_unlock(s);
    return 0;
}

TrainConfig train_session_config(TrainSession *s) {
    pthread_mutex_lock(&s->ctl);
    TrainConfig c = s->config;
    pthread_mutex_unlock(&s->ctl);
    return c;
}

bool train_session_running(TrainSession *s) {
    pthread_mutex_lock(&s->ctl);
    bool r = s->want_run;
    pthread_mutex_unlock(&s->ctl);
    return r;
}

// Takes middle into front if it is newer. Caller holds xchg.
static void take_fresh_locked(TrainSession *s) {
    if (s->middle_fresh) {
        TrainSnapshot *f = s->front;
        s->front = s->middle;
        s->middle = f;
        s->middle_fresh = false;
    }
}

const TrainSnapshot *train_session_snapshot(TrainSession *s) {
    if (pthread_mutex_trylock(&s->xchg) == 0) {
        take_fresh_locked(s);
        pthread_mutex_unlock(&s->xchg);
    }
    return s->front;
}

const TrainSnapshot *train_session_wait(TrainSession *s, uint64_t after_version, double timeout_s) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    double secs = (double)deadline.tv_sec + deadline.tv_nsec * 1e-9 + timeout_s;
    deadline.tv_sec = (time_t)secs;
    deadline.tv_nsec = (long)((secs - (double)deadline.tv_sec) * 1e9);
    pthread_mutex_lock(&s->xchg);
    while (s->version <= after_version) {
        if (pthread_cond_timedwait(&s->xchg_cond, &s->xchg, &deadline) == ETIMEDOUT) break;
    }
    take_fresh_locked(s);
    pthread_mutex_unlock(&s->xchg);
    return s->front;
}

/* ==== quitting: the autosave ================================================ */

int train_session_stop_and_save(TrainSession *s, const char *path, long *steps_out, ClError *err) {
    stop_thread(s);
    if (steps_out) *steps_out = 0;
    if (!s->trainer_ok || s->trainer.global_step == 0) return 0;  // no run: nothing to lose
    StMeta meta[TRAIN_META_COUNT];
    train_checkpoint_meta(meta, &s->trainer);
    if (checkpoint_save_meta(&s->trainer.net, path, meta, TRAIN_META_COUNT, err) != 0) return -1;
    if (steps_out) *steps_out = s->trainer.global_step;
    return 1;
}
