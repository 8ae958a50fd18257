/* The tutorial's training loop, one mini-batch per call, shared by the batch
 * CLI, the GUI's training thread and the lessons:
 *   for epoch in range(epochs):
 *       running_loss = 0.0
 *       for i, (inputs, labels) in enumerate(trainloader):   # reshuffled, drop_last=False
 *           zero_grad; loss = criterion(net(inputs), labels); backward; step
 *           running_loss += loss.item()
 *           if i % log_every == log_every - 1: print(running_loss / log_every); running_loss = 0
 * plus evaluate() over a test set (overall, per class, confusion matrix).
 */
#include "engine/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRAIN_MAX_BATCH 4096  // activations and their gradients cost ~180 KB per sample
#define EVAL_BATCH 256        // forward-only buffers: ~90 KB per sample

TrainConfig train_config_default(void) {
    TrainConfig c;
    memset(&c, 0, sizeof c);
    c.epochs = 2;
    c.batch_size = 4;
    c.optim = optimizer_default_config(OPTIM_SGD);
    c.optim.lr = 0.001f;
    c.optim.momentum = 0.9f;
    c.seed = 0;
    c.threads = 1;
    c.shuffle = true;
    c.log_every = 2000;
    return c;
}

int train_config_validate(const TrainConfig *c, ClError *err) {
    if (c->epochs < 1) return cl_fail(err, "epochs must be at least 1, got %d", c->epochs);
    if (c->batch_size < 1 || c->batch_size > TRAIN_MAX_BATCH)
        return cl_fail(err, "batch size must be between 1 and %d, got %d", TRAIN_MAX_BATCH, c->batch_size);
    if (c->threads < 1) return cl_fail(err, "threads must be at least 1, got %d", c->threads);
    if (c->log_every < 1) return cl_fail(err, "log interval must be at least 1 mini-batch, got %d", c->log_every);
    return optimizer_validate(&c->optim, err);
}

// Everything but the network: optimizer, order, batch buffers.
static void trainer_init_rest(Trainer *t, const TrainConfig *config, const CifarSet *train) {
    net_set_threads(&t->net, config->threads);
    net_set_training(&t->net, true);
    // The Dropout masks: a stream of their own, like the shuffle's below.
    net_seed_dropout(&t->net, config->seed ^ 0x9e3779b97f4a7c15ULL);
    optimizer_init(&t->opt, &config->optim, t->net.n_params);
    // A stream of its own, so the shuffle does not depend on how many numbers init drew.
    rng_seed(&t->rng, config->seed ^ 0xd1b54a32d192ed03ULL);
    int n = train ? train->n : 0;
    t->order = cl_malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++) t->order[i] = i;
    t->order_epoch = -1;
    t->batch_labels = cl_malloc((size_t)config->batch_size);
    t->batch_pred = cl_malloc((size_t)config->batch_size);
    t->batches_per_epoch = (n + config->batch_size - 1) / config->batch_size;
    if (config->tutorial_break && t->batches_per_epoch > 1) t->batches_per_epoch = 1;
    t->finished = t->batches_per_epoch == 0;
}

// The config's network: the edited text, else the file, else CNNNet.
static int build_config_net(Net *net, const TrainConfig *config, ClError *err) {
    if (!config->net_text[0])
        return config->net_file[0] ? net_build_file(net, config->net_file, config->relu_logits, config->batch_size, err)
                                   : net_build_cnnnet(net, config->relu_logits, config->batch_size, err);
    memset(net, 0, sizeof *net);
    NetSpec *spec = cl_malloc(sizeof *spec);
    int rc = netfile_parse(spec, config->net_file[0] ? config->net_file : NET_DEFAULT_FILE, config->net_text,
                           config->batch_size, err);
    if (rc == 0) rc = net_build(net, spec, config->relu_logits, config->batch_size, err);
    free(spec);
    return rc;
}

int trainer_init(Trainer *t, const TrainConfig *config, const CifarSet *train, ClError *err) {
    memset(t, 0, sizeof *t);
    if (train_config_validate(config, err) != 0) return -1;
    t->config = *config;
    t->train = train;
    if (build_config_net(&t->net, config, err) != 0) {
        net_free(&t->net);
        return -1;
    }
    net_init_params(&t->net, config->seed);
    trainer_init_rest(t, config, train);
    return 0;
}

int trainer_init_net(Trainer *t, const TrainConfig *config, const CifarSet *train, Net *net, ClError *err) {
    memset(t, 0, sizeof *t);
    if (train_config_validate(config, err) != 0 || net_set_max_batch(net, config->batch_size, err) != 0) {
        net_free(net);
        return -1;
    }
    t->config = *config;
    t->config.relu_logits = net->relu_logits;
    t->train = train;
    t->net = *net;
    memset(net, 0, sizeof *net);
    trainer_init_rest(t, config, train);
    return 0;
}

void trainer_free(Trainer *t) {
    net_free(&t->net);
    optimizer_free(&t->opt);
    free(t->order);
    free(t->batch_labels);
    free(t->batch_pred);
    t->order = NULL, t->batch_labels = NULL, t->batch_pred = NULL;
}

// ---- the optimizer step on the net's threads ------------------------------------------

#define MAX_PIECES 8   // net_parallel_for's pieces

typedef struct {
    Optimizer *opt;
    float *params;
    const float *grads;
    bool commit;            // false: check each range; true: update it
    bool bad[MAX_PIECES];   // per piece: its range would become non-finite
} OptimizerJob;

static void optimizer_range(void *arg, int piece, long lo, long hi) {
    OptimizerJob *job = arg;
    // A view of [lo, hi): the same step count and settings, state offset.
    Optimizer view = *job->opt;
    view.n = hi - lo;
    view.state1 = view.state1 ? view.state1 + lo : NULL;
    view.state2 = view.state2 ? view.state2 + lo : NULL;
    if (job->commit) optimizer_step(&view, job->params + lo, job->grads + lo);
    else job->bad[piece] = optimizer_check(&view, job->params + lo, job->grads + lo) != 0;
}

// optimizer_step_checked split across the net's threads: every range is
// checked before any is updated, so a refused step still changes nothing.
// The update is elementwise, so the result is the same as one thread's.
static int optimizer_step_checked_threaded(Trainer *t) {
    Net *net = &t->net;
    if (net->threads <= 1) return optimizer_step_checked(&t->opt, net->params, net->grads);
    OptimizerJob job;
    memset(&job, 0, sizeof job);
    job.opt = &t->opt, job.params = net->params, job.grads = net->grads;
    net_parallel_for(net, optimizer_range, &job, net->n_params);
    for (int i = 0; i < MAX_PIECES; i++)
        if (job.bad[i]) return -1;
    job.commit = true;
    net_parallel_for(net, optimizer_range, &job, net->n_params);
    t->opt.t++;
    return 0;
}

// Names the likely cause of a non-finite loss or update. Called only on failure.
static int divergence_error(const Trainer *t, const char *what, ClError *err) {
    const Net *net = &t->net;
    long step = t->global_step + 1;
    int epoch = t->epoch + 1, batch = t->batch_in_epoch + 1;
    for (long i = 0; i < net->n_params; i++)
        if (!isfinite(net->params[i]))
            return cl_fail(err, "%s at step %ld (epoch %d, mini-batch %d): the weights already contain NaN or Inf; "
                           "load a good checkpoint or start from fresh weights", what, step, epoch, batch);
    return cl_fail(err, "%s at step %ld (epoch %d, mini-batch %d): learning rate %g is too high; lower --lr "
                   "(weights and optimizer state are as before this step)", what, step, epoch, batch,
                   (double)t->config.optim.lr);
}

int trainer_step(Trainer *t, float *loss_out, ClError *err) {
    if (t->finished) return 0;
    if (t->batch_in_epoch == t->batches_per_epoch) t->epoch++, t->batch_in_epoch = 0;
    if (t->batch_in_epoch == 0 && t->order_epoch != t->epoch) {
        // A new epoch: a fresh permutation (like DataLoader's RandomSampler), fresh running sums.
        int n = t->train->n;
        for (int i = 0; i < n; i++) t->order[i] = i;
        if (t->config.shuffle) rng_shuffle(&t->rng, t->order, n);
        t->order_epoch = t->epoch;
        t->running_loss = 0, t->running_count = 0;
        t->epoch_correct = t->epoch_seen = 0;
        t->log_pending = false;
    }
    int bs = t->config.batch_size;
    int start = t->batch_in_epoch * bs;
    int count = t->train->n - start < bs ? t->train->n - start : bs;  // drop_last=False
    // Straight into the net's input, which net_forward then reads in place (no copy).
    Net *net = &t->net;
    cifar_normalize_batch(net->acts[0], t->batch_labels, t->train, t->order + start, count);

    net_set_training(net, true);
    if (net_check_batch(net, count, err) != 0) return -1;
    net_forward(net, net->acts[0], count);
    float loss = net_loss(net, t->batch_labels, count, NULL);
    if (!isfinite(loss)) return divergence_error(t, isnan(loss) ? "loss became NaN" : "loss became infinite", err);
    net_predict(net, count, t->batch_pred);
    net_backward(net, t->batch_labels, count);
    if (optimizer_step_checked_threaded(t) != 0)
        return divergence_error(t, "the update would make the weights NaN or infinite", err);

    // The step is committed: update the bookkeeping.
    for (int i = 0; i < count; i++) t->epoch_correct += t->batch_pred[i] == t->batch_labels[i];
    t->epoch_seen += count;
    t->last_loss = loss;
    t->last_batch_n = count;
    t->running_loss += loss;
    t->running_count++;
    t->batch_in_epoch++;
    t->global_step++;
    if (t->batch_in_epoch % t->config.log_every == 0) {
        t->log_pending = true;
        t->log_mean = (float)(t->running_loss / t->config.log_every);
        t->running_loss = 0, t->running_count = 0;
    }
    if (t->batch_in_epoch == t->batches_per_epoch && t->epoch + 1 == t->config.epochs) t->finished = true;
    if (loss_out) *loss_out = loss;
    return 1;
}

int trainer_take_log(Trainer *t, float *mean_loss) {
    if (!t->log_pending) return 0;
    t->log_pending = false;
    if (mean_loss) *mean_loss = t->log_mean;
    return 1;
}

// Images start + [lo, hi) of the set into the net's input (a lookup per
// byte, on the net's threads: each image's values are its own).
typedef struct {
    const CifarSet *set;
    int start;
    float *input;
    uint8_t *labels;
} NormalizeJob;

static void normalize_range(void *arg, int piece, long lo, long hi) {
    const NormalizeJob *job = arg;
    long first = job->start + lo;
    // idx NULL means records 0..n of the set passed: pass the part as a set.
    CifarSet part = {.n = (int)(hi - lo), .labels = job->set->labels + first,
                     .pixels = job->set->pixels + (size_t)first * CIFAR_PIXELS};
    cifar_normalize_batch(job->input + (size_t)lo * CIFAR_PIXELS, job->labels + lo, &part, NULL, part.n);
}

void evaluate(Net *net, const CifarSet *set, int limit, EvalResult *out) {
    memset(out, 0, sizeof *out);
    int n = limit > 0 && limit < set->n ? limit : set->n;
    // Bigger batches than training's amortize per-call work; the buffers are
    // reserved once and stay with the net (about 23 MB).
    if (net->max_batch < EVAL_BATCH) net_reserve_forward_batch(net, EVAL_BATCH, NULL);  // cannot fail: 256 >= 1
    int batch = net->max_batch;
    bool training = net->training;
    net_set_training(net, false);  // model.eval(): Dropout off, BatchNorm2d's running statistics
    uint8_t *labels = cl_malloc((size_t)batch);
    uint8_t *pred = cl_malloc((size_t)batch);
    for (int start = 0; start < n; start += batch) {
        int count = n - start < batch ? n - start : batch;
        NormalizeJob job = {set, start, net->acts[0], labels};
        net_parallel_for(net, normalize_range, &job, count);
        net_forward(net, net->acts[0], count);
        net_predict(net, count, pred);
        for (int i = 0; i < count; i++) {
            out->confusion[labels[i]][pred[i]]++;
            out->class_total[labels[i]]++;
            if (pred[i] == labels[i]) out->class_correct[labels[i]]++, out->correct++;
        }
    }
    out->n = n;
    out->accuracy = n ? 100.0 * out->correct / n : 0;
    for (int k = 0; k < CIFAR_CLASSES; k++)
        out->class_accuracy[k] = out->class_total[k] ? 100.0 * out->class_correct[k] / out->class_total[k] : 0;
    free(labels);
    free(pred);
    net_set_training(net, training);
}
