/* The training loop of the tutorial, one mini-batch at a time, so that the
 * batch CLI, the GUI's training thread and the lessons drive the same code:
 *   for epoch: for each mini-batch: zero_grad, forward, loss, backward, step
 * plus evaluation on the test set (overall, per class, confusion matrix).
 */
#ifndef CONVLAB_TRAINER_H
#define CONVLAB_TRAINER_H

#include <stdbool.h>
#include <stdint.h>
#include "engine/cifar.h"
#include "engine/error.h"
#include "engine/net.h"
#include "engine/optim.h"
#include "engine/rng.h"

typedef struct {
    int epochs;              // 2
    int batch_size;          // 4
    OptimizerConfig optim;   // SGD lr 0.001 momentum 0.9
    uint64_t seed;           // initial weights and shuffling
    int threads;             // engine worker threads (>= 1)
    bool shuffle;            // reshuffle the training set every epoch
    char net_file[256];      // the network's net file; "" for CNNNet (assets/nets/cnnnet.net)
    char net_text[4096];     // that net as edited (widths, kernels: net_format_text), or "" as the file says
    char net_note[64];       // what the edit changed, for the run's label ("conv1 16"), or ""
    bool relu_logits;        // the seed's ReLU on the output layer
    bool tutorial_break;     // the seed's `break` after the first mini-batch of each epoch
    int log_every;           // mini-batches per logged running loss (2000)
} TrainConfig;

// The tutorial's recipe (the table in `convlab --help`).
TrainConfig train_config_default(void);
// Rejects bad values (epochs < 1, batch size < 1, ...) with a one-line message.
int train_config_validate(const TrainConfig *c, ClError *err);

typedef struct {
    int n;                                    // images evaluated
    int correct;
    double accuracy;                          // percent, 0..100
    int class_total[CIFAR_CLASSES];
    int class_correct[CIFAR_CLASSES];
    double class_accuracy[CIFAR_CLASSES];     // percent
    int confusion[CIFAR_CLASSES][CIFAR_CLASSES]; // [truth][predicted]
} EvalResult;

typedef struct {
    TrainConfig config;
    const CifarSet *train;   // not owned
    Net net;                 // owned
    Optimizer opt;           // owned
    Rng rng;                 // shuffling
    int32_t *order;          // (train->n) this epoch's record order
    uint8_t *batch_labels;   // (batch_size)
    int epoch;               // 0-based epoch in progress
    int batch_in_epoch;      // mini-batches done in this epoch
    int batches_per_epoch;   // ceil(train->n / batch_size), or 1 with tutorial_break
    long global_step;        // mini-batches done in all
    double running_loss;     // sum of losses since the last log line
    int running_count;       // mini-batches in running_loss
    long epoch_correct, epoch_seen; // training accuracy of the running epoch
    float last_loss;
    bool finished;           // all epochs done
    int order_epoch;         // the epoch `order` was shuffled for (-1: none yet)
    uint8_t *batch_pred;     // (batch_size) argmax of the last mini-batch's logits
    int last_batch_n;        // samples in the last mini-batch (the last one of an epoch may be short)
    bool log_pending;        // a log line is due (see trainer_take_log)
    float log_mean;          // its mean loss: running_loss / log_every, as the tutorial prints
} Trainer;

// Builds the net, initializes weights from config->seed and the optimizer.
// Ownership: free with trainer_free. train may have n == 0 only for eval use.
int trainer_init(Trainer *t, const TrainConfig *config, const CifarSet *train, ClError *err);
// The same for a network built (and loaded) by the caller, e.g. from a
// checkpoint: takes *net over (its parameters are not re-initialized; the
// batch buffers are resized for config->batch_size). config->net_file is not used.
int trainer_init_net(Trainer *t, const TrainConfig *config, const CifarSet *train, Net *net, ClError *err);
void trainer_free(Trainer *t);

// Runs one mini-batch (advancing epochs as needed) and returns its loss in
// *loss. After it, (epoch, batch_in_epoch) are the tutorial's (epoch, i + 1)
// of that mini-batch; a new epoch starts (and reshuffles) on the next call. Returns 1 if a step ran, 0 if training had already finished, -1 on
// error (e.g. the loss became NaN: err names the step and the likely cause,
// and the weights are rolled back to before the step).
int trainer_step(Trainer *t, float *loss, ClError *err);

// If a log line is due after the last step, returns 1 and the mean running
// loss. As the tutorial: the running sum restarts every epoch, and a line is
// due when (i + 1) % log_every == 0 for the in-epoch index i, so the last
// (n mod log_every) losses of an epoch are never printed.
int trainer_take_log(Trainer *t, float *mean_loss);

// Evaluates net on the first `limit` records of set (<= 0: all) in batches of
// at least 256 (the first call grows the net's forward buffers with
// net_reserve_forward_batch, so acts pointers change once), normalizing
// straight into net->acts[0]. Allocates nothing per batch.
void evaluate(Net *net, const CifarSet *set, int limit, EvalResult *out);

#endif
