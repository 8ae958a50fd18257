/* `convlab --batch train` and `convlab --batch eval`: headless training and
 * evaluation of CNNNet on CIFAR-10, printing exactly the tutorial's lines
 * ("[1,  2000] loss: 2.214", "Finished Training", "Accuracy of ...") so that
 * scripts can parse them. Progress notes go to stderr; results to stdout.
 * Exit status: 0 ok, 1 failure (data, checkpoint, divergence), 2 bad usage,
 * 130 interrupted (SIGINT/SIGTERM: the current step finishes, --save is written).
 */
#include "engine/paths.h"
#include "app/app.h"

#include <errno.h>
#include <stddef.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/flags.h"
#include "session/autosave.h"
#include "session/train_session.h"
#include "ui/dashboard.h"
#include "ui/theme.h"
#include "engine/checkpoint.h"
#include "engine/cifar.h"
#include "engine/trainer.h"

#define DEFAULT_DATA paths_data_dir(NULL)
#define EVAL_BATCH 100   // evaluation only: per-image results do not depend on it
#define MAX_THREADS 256

// ---- interruption --------------------------------------------------------------

// Set by the first SIGINT/SIGTERM; the training loop stops after the current
// step. A second signal exits at once (a save in progress leaves only its
// temporary file: the previous checkpoint is never damaged).
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig) {
    if (stop_signal) {
        static const char msg[] = "\nconvlab: interrupted again; exiting now\n";
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)ignored;
        _exit(130);
    }
    stop_signal = sig;
}

static void install_stop_handlers(struct sigaction *old_int, struct sigaction *old_term) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
    // A parent may have started us with these blocked (or ignored: background
    // jobs of a script ignore SIGINT); Ctrl-C and kill must still stop the run.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void restore_stop_handlers(const struct sigaction *old_int, const struct sigaction *old_term) {
    sigaction(SIGINT, old_int, NULL);
    sigaction(SIGTERM, old_term, NULL);
}

// ---- small helpers ------------------------------------------------------------------


static int all_cores(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

// An output file's folder must exist and be writable before a long run starts.
static int check_output_path(const char *flag, const char *path, ClError *err) {
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    const char *dir = dirname(copy);
    if (access(dir, W_OK) != 0)
        return cl_fail(err, "%s %s: cannot write into folder '%s' (%s); create it or choose another path", flag, path,
                       dir, strerror(errno));
    return 0;
}

static int usage_error(const char *msg) {
    fprintf(stderr, "convlab: %s\n", msg);
    return 2;
}

static int failure(const char *msg) {
    fprintf(stderr, "convlab: %s\n", msg);
    return 1;
}

// ---- results in the tutorial's format ----------------------------------------------

// Accuracy block: the overall line, one line per class (tutorial's short
// names, right-aligned in 5 as its '%5s'), then the confusion matrix.
static void print_eval(const EvalResult *e) {
    printf("Accuracy of the network on the %d test images: %.2f %%\n", e->n, e->accuracy);
    for (int k = 0; k < CIFAR_CLASSES; k++) {
        if (e->class_total[k] > 0) printf("Accuracy of %5s : %.1f %%\n", CIFAR_TUTORIAL_CLASSES[k], e->class_accuracy[k]);
        else printf("Accuracy of %5s : n/a (no test images of this class)\n", CIFAR_TUTORIAL_CLASSES[k]);
    }
    printf("Confusion matrix (rows: true class, columns: predicted class):\n");
    printf("%5s", "");
    for (int k = 0; k < CIFAR_CLASSES; k++) printf(" %5s", CIFAR_TUTORIAL_CLASSES[k]);
    printf("\n");
    for (int r = 0; r < CIFAR_CLASSES; r++) {
        printf("%5s", CIFAR_TUTORIAL_CLASSES[r]);
        for (int c = 0; c < CIFAR_CLASSES; c++) printf(" %5d", e->confusion[r][c]);
        printf("\n");
    }
}

// Evaluates a copy of net on test with a larger batch than training uses (the
// same code path for `train` and `eval`, so both print the same numbers).
static int evaluate_copy(const Net *net, int threads, const CifarSet *test, EvalResult *out, ClError *err) {
    Net copy;
    if (net_clone(&copy, net, EVAL_BATCH, err) != 0) return -1;
    net_set_threads(&copy, threads);
    evaluate(&copy, test, 0, out);
    net_free(&copy);
    return 0;
}

// ---- train -----------------------------------------------------------------------------

typedef struct {
    const char *data_dir;
    int epochs, batch_size;
    double lr, momentum, weight_decay;
    int optimizer;            // 0 sgd, 1 adam
    bool nesterov;
    uint64_t seed;
    int threads;
    int train_limit, test_limit;
    bool no_shuffle, relu_logits, tutorial_break;
    const char *net, *load, *save, *csv, *dashboard;
    int log_every;
    int size[2];              // dashboard PNG size (default 1280x800)
    int lang;                 // a Lang (the index of --lang en|zh)
    int theme;                // the dashboard's theme: an index into THEME_NAMES
    bool lr_seen, momentum_seen, threads_seen;
} TrainArgs;

static const Flag TRAIN_FLAGS[] = {
    {"--net", FLAG_STRING, offsetof(TrainArgs, net), .value = "FILE",
     .help = "the network, as a net file in PyTorch's words (default\nassets/nets/cnnnet.net; with --load, the net the checkpoint records)"},
    {"--data", FLAG_STRING, offsetof(TrainArgs, data_dir), .value = "DIR",
     .help = "CIFAR-10 binary batches (default data/cifar-10-batches-bin;\n`make data` downloads them there)"},
    {"--epochs", FLAG_INT, offsetof(TrainArgs, epochs), 1, 100000, .value = "N", .help = "passes over the training set (default 2)"},
    {"--batch-size", FLAG_INT, offsetof(TrainArgs, batch_size), 1, 4096, .value = "B",
     .help = "images per mini-batch, 1..4096 (default 4)"},
    {"--lr", FLAG_FLOAT, offsetof(TrainArgs, lr), 0, 1e6, .seen = FLAG_SEEN(TrainArgs, lr_seen), .value = "X",
     .help = "learning rate, >= 0 (default 0.001)"},
    {"--momentum", FLAG_FLOAT, offsetof(TrainArgs, momentum), 0, 1e6, .seen = FLAG_SEEN(TrainArgs, momentum_seen),
     .value = "X", .help = "SGD momentum, >= 0 (default 0.9; SGD only)"},
    {"--weight-decay", FLAG_FLOAT, offsetof(TrainArgs, weight_decay), 0, 1e6, .value = "X",
     .help = "L2 penalty added to the gradient, as torch.optim (default 0)"},
    {"--nesterov", FLAG_BOOL, offsetof(TrainArgs, nesterov), .help = "Nesterov momentum (SGD only; needs momentum > 0)"},
    {"--optimizer", FLAG_CHOICE, offsetof(TrainArgs, optimizer), .choices = "sgd|adam",
     .help = "default sgd; adam uses PyTorch's defaults (betas 0.9, 0.999)"},
    {"--seed", FLAG_U64, offsetof(TrainArgs, seed), .value = "S", .help = "seeds the initial weights and the shuffling (default 0)"},
    {"--threads", FLAG_INT, offsetof(TrainArgs, threads), 1, MAX_THREADS, .seen = FLAG_SEEN(TrainArgs, threads_seen),
     .value = "T", .help = "worker threads (default: all cores)"},
    {"--train-limit", FLAG_INT, offsetof(TrainArgs, train_limit), 1, 50000, .value = "N",
     .help = "train on the first N training images only (1..50000)"},
    {"--test-limit", FLAG_INT, offsetof(TrainArgs, test_limit), 1, 10000, .value = "N",
     .help = "evaluate on the first N test images only (1..10000)"},
    {"--no-shuffle", FLAG_BOOL, offsetof(TrainArgs, no_shuffle), .help = "keep the file order instead of reshuffling every epoch"},
    {"--load", FLAG_STRING, offsetof(TrainArgs, load), .value = "CKPT",
     .help = "start from the weights of a checkpoint (.safetensors);\nthe optimizer state starts fresh"},
    {"--save", FLAG_STRING, offsetof(TrainArgs, save), .value = "CKPT",
     .help = "write the trained weights there (also on Ctrl-C or divergence)"},
    {"--log-every", FLAG_INT, offsetof(TrainArgs, log_every), 1, 1000000000, .value = "N",
     .help = "mini-batches per printed loss line (default 2000)"},
    {"--csv", FLAG_STRING, offsetof(TrainArgs, csv), .value = "FILE",
     .help = "one row per printed loss line: epoch,step,loss,images_per_sec\n(step counts mini-batches from the start of the run)"},
    {"--relu-logits", FLAG_BOOL, offsetof(TrainArgs, relu_logits), .help = "the tutorial seed's bug: a ReLU on the output layer"},
    {"--tutorial-break", FLAG_BOOL, offsetof(TrainArgs, tutorial_break),
     .help = "the tutorial seed's bug: `break` after the first mini-batch\nof each epoch"},
    {"--dashboard", FLAG_STRING, offsetof(TrainArgs, dashboard), .value = "PNG",
     .help = "also draw the training dashboard, as the window shows it at the\nend of the run, into PNG (with --size WxH, --lang en|zh, --theme NAME)"},
    {"--size", FLAG_SIZE, offsetof(TrainArgs, size), 160, 8192, .value = "WxH", .help = "the dashboard PNG's size (default 1280x800)"},
    {"--lang", FLAG_CHOICE, offsetof(TrainArgs, lang), .choices = "en|zh", .help = "the dashboard's labels (default en)"},
    {"--theme", FLAG_CHOICE, offsetof(TrainArgs, theme), .choices = THEME_CHOICES, .value = "NAME",
     .help = "the dashboard's colours: light (default, for projectors) or dark"},
};

const Command TRAIN_COMMAND = {
    .name = "train", .usage = "[OPTIONS]",
    .summary = "Trains a network (CNNNet unless --net FILE) on CIFAR-10 without a window.",
    .flags = TRAIN_FLAGS, .n_flags = FLAG_COUNT(TRAIN_FLAGS),
    .notes = "Output (stdout), in the PyTorch tutorial's format:\n"
             "  [1,  2000] loss: 2.214                      every --log-every mini-batches:\n"
             "                                              [epoch, mini-batch] mean loss since the last line\n"
             "  Finished Training\n"
             "  Accuracy of the network on the 10000 test images: 55.31 %\n"
             "  Accuracy of plane : 61.2 %                  one line per class: plane car bird cat\n"
             "                                              deer dog frog horse ship truck\n"
             "  Confusion matrix (rows: true class, columns: predicted class):\n"
             "                                              a 10x10 table of image counts\n"
             "  Trained 100000 images in 60.0 s: 1667 images/s (2 threads)\n"
             "Progress notes and errors go to stderr.",
    .run = batch_train_main,
};

static int parse_train_args(TrainArgs *a, int argc, char **argv, ClError *err) {
    memset(a, 0, sizeof *a);
    a->data_dir = DEFAULT_DATA;
    a->epochs = 2, a->batch_size = 4, a->lr = 0.001, a->momentum = 0.9, a->log_every = 2000;
    a->size[0] = 1280, a->size[1] = 800; // the dashboard PNG
    if (flags_parse(&TRAIN_COMMAND, a, argc, argv, 1, NULL, NULL, err) != 0) return -1;
    if (!a->threads_seen) a->threads = all_cores();
    if (a->optimizer == 1 && a->momentum_seen)
        return cl_fail(err, "train: --momentum is for --optimizer sgd; Adam uses PyTorch's betas (0.9, 0.999)");
    if (a->optimizer == 1 && a->nesterov) return cl_fail(err, "train: --nesterov is for --optimizer sgd");
    if (a->net && strlen(a->net) >= sizeof ((TrainConfig *)0)->net_file)
        return cl_fail(err, "train: --net %.40s...: the path is too long", a->net);
    return 0;
}

static TrainConfig config_from_args(const TrainArgs *a) {
    TrainConfig c = train_config_default();
    c.epochs = a->epochs;
    c.batch_size = a->batch_size;
    if (a->optimizer == 1) {
        c.optim = optimizer_default_config(OPTIM_ADAM);
        c.optim.lr = (float)a->lr; // default 0.001, as Adam's own
    } else {
        c.optim = optimizer_default_config(OPTIM_SGD);
        c.optim.lr = (float)a->lr;
        c.optim.momentum = (float)a->momentum;
        c.optim.nesterov = a->nesterov;
    }
    c.optim.weight_decay = (float)a->weight_decay;
    c.seed = a->seed;
    c.threads = a->threads;
    c.shuffle = !a->no_shuffle;
    c.relu_logits = a->relu_logits;
    if (a->net) snprintf(c.net_file, sizeof c.net_file, "%s", a->net);
    c.tutorial_break = a->tutorial_break;
    c.log_every = a->log_every;
    return c;
}

// Saves t's weights with the run's metadata. Returns 0 or -1 (message printed).
static int save_weights(const Trainer *t, const char *path) {
    StMeta meta[TRAIN_META_COUNT];
    train_checkpoint_meta(meta, t);  // the same metadata the training screen's saves carry
    ClError err = {0};
    if (checkpoint_save_meta(&t->net, path, meta, TRAIN_META_COUNT, &err) != 0) {
        fprintf(stderr, "convlab: %s\n", err.msg);
        return -1;
    }
    fprintf(stderr, "convlab: saved the weights after %ld mini-batches to %s\n", t->global_step, path);
    return 0;
}

// Saves on an early stop, unless no step ran (then an older file is kept as is).
static int save_on_stop(const Trainer *t, const char *path) {
    if (!path) return 0;
    if (t->global_step == 0) {
        fprintf(stderr, "convlab: no mini-batch was trained; %s was not written\n", path);
        return 0;
    }
    return save_weights(t, path);
}

typedef struct {
    FILE *csv;
    bool csv_failed;
    TrainRecorder rec;
    bool use_rec;
    double t_start;
    TrainProgress progress;   // images trained, images/s between log lines
} RunState;

// After each step: the tutorial's log line, the CSV row, the dashboard's record.
static void after_step(RunState *rs, Trainer *t) {
    train_progress_step(&rs->progress, t->last_batch_n);
    float mean;
    if (trainer_take_log(t, &mean)) {
        double ips = train_progress_log(&rs->progress);
        printf("[%d, %5d] loss: %.3f\n", t->epoch + 1, t->batch_in_epoch, mean);
        fflush(stdout);
        if (rs->csv && fprintf(rs->csv, "%d,%ld,%.6f,%.1f\n", t->epoch + 1, t->global_step, mean, ips) < 0)
            rs->csv_failed = true;
        if (rs->use_rec) train_recorder_log(&rs->rec, t, mean, ips);
    }
    if (rs->use_rec && t->batch_in_epoch == t->batches_per_epoch) train_recorder_epoch_end(&rs->rec, t, t->epoch + 1);
}

static int finish_csv(RunState *rs, const char *path) {
    if (!rs->csv) return 0;
    int bad = rs->csv_failed | (fclose(rs->csv) != 0);
    rs->csv = NULL;
    if (bad) {
        fprintf(stderr, "convlab: writing %s failed (%s); is the disk full?\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int render_dashboard(RunState *rs, const Trainer *t, const TrainArgs *a) {
    TrainSnapshot snap;
    memset(&snap, 0, sizeof snap);
    train_recorder_fill(&rs->rec, t, 0, &snap);
    snap.state = TS_FINISHED;
    snap.config = t->config;
    snap.epoch = t->epoch + 1;
    snap.batch_in_epoch = t->batch_in_epoch;
    snap.batches_per_epoch = t->batches_per_epoch;
    snap.step = snap.total_steps = t->global_step;
    snap.elapsed_s = train_clock_seconds() - rs->t_start;
    snap.images_per_sec = snap.elapsed_s > 0 ? (double)rs->progress.images / snap.elapsed_s : 0;
    snap.images_trained = rs->progress.images;
    snap.eta_s = 0;
    snap.running_train_acc = t->epoch_seen > 0 ? 100.0 * (double)t->epoch_correct / (double)t->epoch_seen : -1;
    ClError err = {0};
    // CONVLAB_DASHBOARD_DUMP=FILE also writes the numbers drawn (tests compare
    // them with the printout and the CSV).
    const char *dump = getenv("CONVLAB_DASHBOARD_DUMP");
    int rc = dashboard_write_png(a->dashboard, dump && *dump ? dump : NULL, &snap, NULL, a->size[0], a->size[1],
                                 (Lang)a->lang, THEME_NAMES[a->theme], &err);
    train_snapshot_free(&snap);
    if (rc != 0) {
        fprintf(stderr, "convlab: %s\n", err.msg);
        return -1;
    }
    fprintf(stderr, "convlab: wrote the dashboard to %s\n", a->dashboard);
    return 0;
}

// Trains until done, a divergence or a stop signal. Returns the exit status.
static int run_training(Trainer *t, RunState *rs, const TrainArgs *a, const Cifar *data) {
    rs->t_start = train_clock_seconds();
    train_progress_resume(&rs->progress);
    ClError err = {0};
    for (;;) {
        if (stop_signal) {
            fprintf(stderr, "convlab: interrupted by %s after %ld mini-batches (epoch %d, mini-batch %d)\n",
                    stop_signal == SIGINT ? "SIGINT" : "SIGTERM", t->global_step, t->epoch + 1, t->batch_in_epoch);
            finish_csv(rs, a->csv);
            save_on_stop(t, a->save);
            return 130;
        }
        float loss;
        int rc = trainer_step(t, &loss, &err);
        if (rc == 0) break;
        if (rc < 0) {
            fprintf(stderr, "convlab: %s\n", err.msg);
            finish_csv(rs, a->csv);
            if (a->save) fprintf(stderr, "convlab: keeping the last good weights (before the failed step)\n");
            save_on_stop(t, a->save);
            return 1;
        }
        after_step(rs, t);
    }
    double train_s = train_clock_seconds() - rs->t_start;
    printf("Finished Training\n");
    fflush(stdout);
    int status = 0;
    if (finish_csv(rs, a->csv) != 0) status = 1;
    if (a->save && save_weights(t, a->save) != 0) status = 1;

    EvalResult eval;
    if (rs->use_rec && rs->rec.has_eval) {
        eval = rs->rec.eval; // the evaluation the dashboard shows, after the last epoch
    } else if (evaluate_copy(&t->net, t->config.threads, &data->test, &eval, &err) != 0) {
        return failure(err.msg);
    }
    print_eval(&eval);
    printf("Trained %ld images in %.1f s: %.0f images/s (%d thread%s)\n", rs->progress.images, train_s,
           train_s > 0 ? (double)rs->progress.images / train_s : 0.0, t->config.threads, t->config.threads > 1 ? "s" : "");
    fflush(stdout);
    if (rs->use_rec && render_dashboard(rs, t, a) != 0) status = 1;
    if (stop_signal) return 130; // interrupted during the evaluation: results are out, weights saved
    return status;
}

static int train_command(const TrainArgs *a, const TrainConfig *config);

int batch_train_main(int argc, char **argv) {
    TrainArgs a;
    ClError err = {0};
    if (parse_train_args(&a, argc, argv, &err) != 0) return usage_error(err.msg);
    TrainConfig config = config_from_args(&a);
    if (train_config_validate(&config, &err) != 0) {
        fprintf(stderr, "convlab: train: %s\n", err.msg);
        return 2;
    }
    if ((a.save && check_output_path("--save", a.save, &err) != 0) ||
        (a.csv && check_output_path("--csv", a.csv, &err) != 0) ||
        (a.dashboard && check_output_path("--dashboard", a.dashboard, &err) != 0))
        return usage_error(err.msg);

    // From here on a stop signal is handled: during loading it takes effect
    // before the first step (and then nothing is saved).
    struct sigaction old_int, old_term;
    install_stop_handlers(&old_int, &old_term);
    int status = train_command(&a, &config);
    restore_stop_handlers(&old_int, &old_term);
    return status;
}

// A trainer from fresh weights, or from --load's checkpoint and the net it
// records (or --net's); a note when --relu-logits differs from the record.
static int start_trainer(Trainer *t, const TrainArgs *a, const TrainConfig *config, const Cifar *data, ClError *err) {
    if (!a->load) return trainer_init(t, config, &data->train, err);
    Net net;
    CheckpointMeta meta;
    if (checkpoint_open_net(&net, a->load, a->net, a->relu_logits, config->batch_size, &meta, err) != 0) return -1;
    const char *rl = checkpoint_meta_get(&meta, "relu_logits");
    if (rl && (strcmp(rl, "1") == 0) != a->relu_logits)
        fprintf(stderr, "convlab: note: %s was trained %s --relu-logits, this run is %s it\n", a->load,
                strcmp(rl, "1") == 0 ? "with" : "without", a->relu_logits ? "with" : "without");
    if (trainer_init_net(t, config, &data->train, &net, err) != 0) return -1;
    fprintf(stderr, "convlab: loaded the weights of %s\n", a->load);
    return 0;
}

// Loads data (and --load), trains, prints, saves. Returns the exit status.
static int train_command(const TrainArgs *a_in, const TrainConfig *config_in) {
    const TrainArgs a = *a_in;
    const TrainConfig config = *config_in;
    ClError err = {0};
    Cifar data;
    if (cifar_load(&data, a.data_dir, a.train_limit, a.test_limit, &err) != 0) return failure(err.msg);

    Trainer t;
    int status = 0;
    RunState rs;
    memset(&rs, 0, sizeof rs);
    if (start_trainer(&t, &a, &config, &data, &err) != 0) {
        cifar_free(&data);
        return failure(err.msg);
    }
    if (a.csv) {
        rs.csv = fopen(a.csv, "w");
        if (!rs.csv) {
            status = failure("--csv: cannot create the file; check the path");
            goto done;
        }
        fprintf(rs.csv, "epoch,step,loss,images_per_sec\n");
    }
    if (a.dashboard) {
        if (train_recorder_init(&rs.rec, &data.test, &err) != 0) {
            status = failure(err.msg);
            goto done;
        }
        rs.use_rec = true;
        train_recorder_begin_run(&rs.rec, &t);
    }
    char label[160];
    train_config_label(label, sizeof label, &config);
    char model[64];
    net_model_name(model, sizeof model, &t.net);
    fprintf(stderr, "convlab: training %s (%ld parameters) on %d images (%d test), %d epoch%s, %s, seed %llu, %d thread%s\n",
            model, t.net.n_params, data.train.n, data.test.n, config.epochs, config.epochs > 1 ? "s" : "", label,
            (unsigned long long)config.seed, config.threads, config.threads > 1 ? "s" : "");

    status = run_training(&t, &rs, &a, &data);
done:
    if (rs.csv) fclose(rs.csv);
    if (rs.use_rec) train_recorder_free(&rs.rec);
    trainer_free(&t);
    cifar_free(&data);
    return status;
}

// ---- eval ------------------------------------------------------------------------------

typedef struct {
    const char *data_dir, *load, *net;
    int test_limit, threads;
    bool relu_logits, relu_seen, threads_seen;
} EvalArgs;

static const Flag EVAL_FLAGS[] = {
    {"--load", FLAG_STRING, offsetof(EvalArgs, load), .value = "CKPT", .help = "the checkpoint to evaluate (required)"},
    {"--net", FLAG_STRING, offsetof(EvalArgs, net), .value = "FILE",
     .help = "its network as a net file (default: the net the checkpoint\nrecords; CNNNet for a checkpoint without one)"},
    {"--data", FLAG_STRING, offsetof(EvalArgs, data_dir), .value = "DIR", .help = "CIFAR-10 binary batches (as for train)"},
    {"--test-limit", FLAG_INT, offsetof(EvalArgs, test_limit), 1, 10000, .value = "N",
     .help = "evaluate on the first N test images only"},
    {"--threads", FLAG_INT, offsetof(EvalArgs, threads), 1, MAX_THREADS, .seen = FLAG_SEEN(EvalArgs, threads_seen),
     .value = "T", .help = "worker threads (default: all cores)"},
    {"--relu-logits", FLAG_BOOL, offsetof(EvalArgs, relu_logits), .seen = FLAG_SEEN(EvalArgs, relu_seen),
     .help = "evaluate with the ReLU on the logits (default: as recorded in the checkpoint)"},
};

const Command EVAL_COMMAND = {
    .name = "eval", .usage = "--load CKPT [--net FILE] [--data DIR] [--test-limit N] [--threads T] [--relu-logits]",
    .summary = "Evaluates a checkpoint on the test set and prints the accuracy block above.\n"
               "A checkpoint saved with --relu-logits is evaluated with it (recorded in the file).",
    .flags = EVAL_FLAGS, .n_flags = FLAG_COUNT(EVAL_FLAGS),
    .run = batch_eval_main,
};

int batch_eval_main(int argc, char **argv) {
    EvalArgs a = {.data_dir = DEFAULT_DATA};
    ClError err = {0};
    if (flags_parse(&EVAL_COMMAND, &a, argc, argv, 1, NULL, NULL, &err) != 0) return usage_error(err.msg);
    const char *load = a.load, *data_dir = a.data_dir;
    int test_limit = a.test_limit, threads = a.threads;
    bool relu_logits = a.relu_logits, relu_seen = a.relu_seen;
    if (!load) return usage_error("eval: --load CKPT is required (a checkpoint written by --batch train --save)");
    if (!a.threads_seen) threads = all_cores();

    // The checkpoint records its net and whether it was trained with the ReLU
    // on the logits; that changes the predictions, so it is honoured unless overridden.
    Net net;
    if (checkpoint_open_net(&net, load, a.net, relu_seen ? relu_logits : -1, 1, NULL, &err) != 0) return failure(err.msg);
    Cifar data;
    if (cifar_load_test(&data, data_dir, test_limit, &err) != 0) {
        net_free(&net);
        return failure(err.msg);
    }
    EvalResult eval;
    int status = 0;
    if (evaluate_copy(&net, threads, &data.test, &eval, &err) != 0) {
        status = failure(err.msg);
    } else {
        print_eval(&eval);
    }
    net_free(&net);
    cifar_free(&data);
    return status;
}
