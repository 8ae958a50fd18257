/* Live training for the training screen and for `--batch train --dashboard`.
 * No SDL here: the GUI, the batch command and the tests all use it.
 *
 *   TrainRecorder  records a run as it goes (logged losses, per-epoch test
 *                  accuracy, the last evaluation) and fills TrainSnapshots:
 *                  the plain data every dashboard panel draws from. The batch
 *                  command prints the very numbers the recorder keeps.
 *   TrainSession   owns a Trainer on a background pthread plus a recorder, and
 *                  hands snapshots to the UI through a triple buffer: the
 *                  trainer fills `back`, publishes it by swapping it with
 *                  `middle` under a mutex held for a pointer swap only, and the
 *                  UI takes `middle` with pthread_mutex_trylock, so the UI
 *                  never waits on training work.
 */
#ifndef CONVLAB_TRAIN_SESSION_H
#define CONVLAB_TRAIN_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include "engine/cifar.h"
#include "engine/error.h"
#include "engine/picture.h"
#include "engine/trainer.h"

#define TS_MAX_RUNS 6          // runs kept for the overlaid loss curves (oldest dropped)
#define TS_MAX_EPOCHS 200      // per-epoch accuracies kept per run
#define TS_PRED_IMAGES 8       // the predictions grid: the first 8 test images
#define TS_TOPK 3
#define TS_GUI_LOG_IMAGES 2000 // the GUI logs every 2,000 images (500 mini-batches of 4): 25 points an
                               // epoch at any batch size, and the test loss measured at each log point
                               // costs little (at every 800 images it cost ~40 % of training at batch 4)
#define TS_PUBLISH_SECONDS 0.25 // at most ~4 snapshots a second between log points

// One logged step: the same numbers the tutorial prints as "[epoch, i] loss: x".
typedef struct {
    long step;          // mini-batches done in the run (x axis)
    int epoch;          // 1-based epoch, as printed
    int batch;          // 1-based mini-batch within the epoch, as printed
    float loss;         // mean running loss over the logged window (= printed, = CSV)
    float smooth;       // debiased exponential moving average of `loss` (weight TS_SMOOTH)
    float train_acc;    // running-epoch training accuracy at this point, percent
    double images_per_sec; // throughput at this log point (= CSV)
    long images;        // images trained in the run at this point (x axis in images)
    double epoch_x;     // the same in epochs: images / images per epoch (x axis in epochs)
    float test_loss;    // mean cross-entropy on the held-out test images at this point; NaN = none
} LossPoint;

#define TS_TEST_LOSS_IMAGES 1000 // the held-out subset: test images 0..999, the same at every log point

#define TS_SMOOTH 0.6f

typedef struct {
    char label[96];          // "lr 0.001, mom 0.9, SGD, batch 4" (+ ", relu-logits", ", break")
    int serial;              // 1, 2, ... in the order the recorder began its runs: a reset that
                             // replaces an empty run still gets a new number (n_runs stays)
    TrainConfig config;
    int batches_per_epoch;
    int images_per_epoch;    // images one epoch trains (the training set, or a batch with the break)
    LossPoint *points;       // (n_points) owned
    int n_points, cap_points;
    int n_epochs_done;       // epochs with an evaluation
    float test_acc[TS_MAX_EPOCHS];  // test accuracy after epoch e+1, percent
    float train_acc[TS_MAX_EPOCHS]; // training accuracy over epoch e+1, percent
    long epoch_end_step[TS_MAX_EPOCHS]; // x position of the epoch mark
} RunHistory;

typedef enum {
    TS_IDLE,       // a run is set up, no step taken yet
    TS_RUNNING,
    TS_PAUSED,
    TS_FINISHED,   // all epochs done
    TS_ERROR,      // a step failed (message says why); reset to go on
} TrainState;

typedef struct {
    int index;               // into the test set
    uint8_t truth;
    uint8_t top[TS_TOPK];    // classes, most probable first
    float prob[TS_TOPK];     // softmax probabilities
} Prediction;

typedef struct {
    char name[32];           // the layer's name in the net ("conv1", "pool1", ...)
    int c, h, w;
    float *data;             // (c, h, w) owned
    bool signed_values;      // may be negative (a convolution's output, before its ReLU)
} FeatureMap;

#define TS_FMAPS 4           // the first four convolution/pooling outputs of the net

// The first Conv2d that reads the RGB image: its filters, drawn as colour images.
#define TS_MAX_FILTERS 16
#define TS_MAX_FILTER_SIZE 11
typedef struct {
    char name[32];           // "conv1"; "" when the net has no such layer
    int n, kh, kw;           // filters shown (<= TS_MAX_FILTERS) and their size
    float w[TS_MAX_FILTERS * 3 * TS_MAX_FILTER_SIZE * TS_MAX_FILTER_SIZE]; // (n, 3, kh, kw)
} FilterBank;

// The numbers of one mini-batch for lesson 9's five lines (zero_grad, forward,
// loss, backward, step), on one watched weight, conv1.weight[0,0,0,0]:
// SGD: v = momentum * v_before + grad (v = grad on the first step), w_after = w_before - lr * v.
typedef struct {
    bool valid;              // a step has run in this run
    long step;               // its number in the run (1-based = global_step after it)
    int epoch, batch;        // the tutorial's printed position
    int n;                   // images in the mini-batch
    int correct;             // of them predicted right
    float loss;              // its mean cross-entropy
    char param[72];          // "conv1.weight[0,0,0,0]"
    float w_before, grad, v_before, v_after, w_after; // the watched weight, its gradient, the momentum buffer
    bool first;              // the optimizer's first step (SGD: v = grad; Adam: fresh moments)
    OptimizerConfig optim;   // lr, momentum, kind
} StepDetail;

#define TS_SPEEDS 6
// Speeds for narration: mini-batches per second, 0 = full speed (the first).
extern const double TS_SPEED_STEPS[TS_SPEEDS];

typedef struct {
    uint64_t version;        // increases with every published snapshot
    TrainState state;
    char message[1200];       // last status or error line ("" = none)
    char message_zh[1300];    // the same in Chinese ("" = only the English one)
    bool message_error;       // the message reports a failure (save, load, a failed step)
    TrainConfig config;      // the current run's

    // progress
    int epoch;               // 1-based epoch in progress (or last one when finished)
    int batch_in_epoch, batches_per_epoch;
    long step, total_steps;  // mini-batches done / planned in the current run
    double images_per_sec;   // over the last publish interval
    double elapsed_s;        // training time of the run, pauses excluded
    double eta_s;            // at the current speed; < 0 = unknown
    double running_train_acc;// training accuracy of the running epoch, percent; < 0 = none yet
    long images_trained;     // in the current run

    // runs; runs[n_runs - 1] is the current one
    int n_runs;
    RunHistory runs[TS_MAX_RUNS];

    // the last test-set evaluation (after an epoch)
    bool has_eval;
    int eval_epoch;          // 1-based epoch it follows
    EvalResult eval;
    int n_test;
    uint8_t *test_pred;      // (n_test) predicted class of every test image, owned

    // predictions grid (always current)
    int n_pred;
    Prediction pred[TS_PRED_IMAGES];
    uint8_t pred_pixels[TS_PRED_IMAGES][CIFAR_PIXELS]; // their raw pictures (3, 32, 32), so a
                                                       // snapshot draws without the data set

    // the first layer's filters
    FilterBank filters;

    // feature maps of one chosen test image
    int fmap_image;
    uint8_t fmap_truth;
    uint8_t fmap_pixels[CIFAR_PIXELS]; // (3, 32, 32) raw picture
    FeatureMap fmaps[TS_FMAPS];        // of the student's picture instead when has_picture

    double speed;            // mini-batches per second asked for (0 = full speed)
    StepDetail last_step;    // the numbers of the last mini-batch (the step panel)

    // the student's picture (train_session_set_picture), judged by the current weights:
    // the feature maps above are its maps (fmap_image = -1), and these explain the top class
    bool has_picture;
    Prediction picture_pred;           // index -1, truth 255 (unknown)
    float picture_saliency[32 * 32];   // (32, 32) max_c |d logit / d input| (engine/explain.h)
    float picture_gradcam[32 * 32];    // (32, 32) Grad-CAM at the last Conv2d
} TrainSnapshot;

// Frees the arrays a snapshot owns and zeroes it.
void train_snapshot_free(TrainSnapshot *s);
// Deep copy (dst's arrays are reused/grown). dst must be zeroed or a snapshot.
void train_snapshot_copy(TrainSnapshot *dst, const TrainSnapshot *src);
// True if a and b train the same run: applying b to a run of a continues it
// (threads, logging and shuffling do not count); otherwise a new run starts.
bool train_config_same_run(const TrainConfig *a, const TrainConfig *b);
// "lr 0.001, mom 0.9, SGD, batch 4, relu-logits" for a legend.
// The network's name of a config: its net file without folder and ".net" ("cnnnet" by default).
void train_config_model(char *out, size_t cap, const TrainConfig *c);
void train_config_label(char *out, int out_size, const TrainConfig *c);

/* ---- TrainRecorder: history and snapshots, no threads ---------------------- */

typedef struct {
    const CifarSet *test;    // not owned; evaluation, predictions and feature maps
    int test_limit;          // images evaluated after each epoch (<= 0: all)
    int test_loss_images;    // the held-out subset measured at each log point (0: none)
    Net eval_net;            // owned: a copy of the trainer's weights, larger batches
    int n_runs;
    RunHistory runs[TS_MAX_RUNS];
    int runs_begun;          // the last run's serial
    double smooth_acc;       // EMA state of the current run
    int smooth_n;
    bool has_eval;
    int eval_epoch;
    EvalResult eval;
    uint8_t *test_pred;      // (test->n)
    float *probs;            // scratch (eval batch, 10)
    const volatile int *cancel; // if set and *cancel != 0, an evaluation stops early (quitting)
    bool has_picture;        // the student's picture replaces the chosen test image
    uint8_t picture_pixels[CIFAR_PIXELS]; // (3, 32, 32) its 32x32 planes
    float picture_input[CIFAR_PIXELS];    // (3, 32, 32) normalised
} TrainRecorder;

// test may have n == 0 (no evaluation then). Ownership: free with train_recorder_free.
int train_recorder_init(TrainRecorder *r, const CifarSet *test, ClError *err);
void train_recorder_free(TrainRecorder *r);
// Starts a new curve for t's configuration (drops the oldest beyond TS_MAX_RUNS;
// replaces the current run if it has no point yet).
void train_recorder_begin_run(TrainRecorder *r, const Trainer *t);
// Records one log line (the value trainer_take_log returned) after t's last step,
// with the test loss of t's weights on the first test_loss_images test images.
void train_recorder_log(TrainRecorder *r, const Trainer *t, float mean_loss, double images_per_sec);
// Evaluates t's weights on the test set after epoch `epoch` (1-based) and
// records test and training accuracy. Returns the evaluation (owned by r),
// which the batch command prints.
const EvalResult *train_recorder_epoch_end(TrainRecorder *r, const Trainer *t, int epoch);
// The student's picture for the feature maps and explanations (NULL: back to the test image).
void train_recorder_set_picture(TrainRecorder *r, const Picture *p);
// Fills everything except version/state/message/progress timing: runs, the
// last evaluation, predictions, filters, the feature maps of test image fmap_image.
void train_recorder_fill(TrainRecorder *r, const Trainer *t, int fmap_image, TrainSnapshot *out);

// Fills the progress fields (epoch, step, totals, running training accuracy,
// images/s, elapsed, ETA) from t; for the batch command, which has no session.
void train_snapshot_fill_progress(TrainSnapshot *out, const Trainer *t, double elapsed_s, double images_per_sec);

/* ---- TrainSession: the background thread -------------------------------- */

typedef struct TrainSession TrainSession;

// The mini-batches between two of the GUI's log points at this batch size:
// TS_GUI_LOG_IMAGES images, at least 1.
int train_session_log_every(int batch_size);
// The GUI's defaults: the tutorial's recipe, log every TS_GUI_LOG_IMAGES images,
// threads = cores - 1 (at least 1) so the UI keeps a core.
TrainConfig train_session_default_config(void);

// Sets up a session on cifar (not owned; must outlive the session) with the
// first run ready (TS_IDLE) and starts the thread, which waits for start.
// Returns NULL and fills err on failure. Ownership: train_session_destroy.
TrainSession *train_session_create(const TrainConfig *config, const Cifar *cifar, ClError *err);
// Stops training, joins the thread and frees everything. NULL is a no-op.
void train_session_destroy(TrainSession *s);
// Quitting: stops the thread (after its current mini-batch) and, if the
// current run took a step, saves it to path atomically with the run metadata
// of --batch train --save. Returns 1 saved (*steps_out = its steps), 0 nothing
// to save, -1 failed (err says why). Only destroy may follow.
int train_session_stop_and_save(TrainSession *s, const char *path, long *steps_out, ClError *err);

// These queue a request and return at once; the thread carries it out between
// two mini-batches and the result shows in a later snapshot (state, message).
void train_session_start(TrainSession *s);   // run (or resume); a finished run stays finished
void train_session_pause(TrainSession *s);
void train_session_toggle(TrainSession *s);  // T: start if not running, else pause
void train_session_reset(TrainSession *s);   // R: a new run, new initial weights from the seed
void train_session_save(TrainSession *s, const char *path);  // S: checkpoint_save
void train_session_load(TrainSession *s, const char *path);  // O: checkpoint_load, then evaluate
void train_session_choose_image(TrainSession *s, int test_index); // feature maps of this image
void train_session_set_picture(TrainSession *s, const Picture *p); // copied; NULL: none (the test image)

// Slow motion: at most steps_per_second mini-batches a second (0 = full speed).
void train_session_set_speed(TrainSession *s, double steps_per_second);
// Single step: runs exactly one mini-batch and pauses (only while not
// running; ignored while training or when the run is finished).
void train_session_step_once(TrainSession *s);

// Changes the configuration; only while not running. Starts a new run with
// the new settings (the previous curve stays in the legend). Returns -1 with
// a message if training is running or the configuration is invalid.
int train_session_set_config(TrainSession *s, const TrainConfig *config, ClError *err);
// The configuration of the current run (a copy).
TrainConfig train_session_config(TrainSession *s);
// True while the thread is training (as last requested).
bool train_session_running(TrainSession *s);

// The newest published snapshot, never blocking: if the trainer is publishing
// at this moment, returns the previous one. The pointer stays valid until the
// next call; call from one thread only (the UI). Never NULL.
const TrainSnapshot *train_session_snapshot(TrainSession *s);
// Blocks until a snapshot with version > after_version is published or
// timeout_s passes (tests and batch use; not the UI). Returns the newest.
const TrainSnapshot *train_session_wait(TrainSession *s, uint64_t after_version, double timeout_s);

// ---- progress: the one bookkeeper of a run's images and throughput ----------------
// --batch train (its log lines and CSV) and the training screen count the same
// way, so the images/s they print and draw mean the same thing.

typedef struct {
    long images;            // images trained in the run so far
    double log_t;           // train_clock_seconds() at the last log point (or the resume)
    long log_images;        // images at that point
} TrainProgress;

// Monotonic seconds (CLOCK_MONOTONIC), the clock of every duration above.
double train_clock_seconds(void);
// Starts (or resumes) counting now: the next throughput is measured from here.
void train_progress_resume(TrainProgress *p);
// A mini-batch of n images was trained.
void train_progress_step(TrainProgress *p, int n);
// A log point: images/s since the previous one (0 if no time passed); the next starts now.
double train_progress_log(TrainProgress *p);

#endif
