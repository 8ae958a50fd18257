/* `convlab --batch predict --load CKPT --image FILE... [--explain PNG]`: the
 * class probabilities of the student's own pictures, one line per file,
 *   FILE: cat 63.2 %, dog 20.1 %, frog 5.0 %
 * (the top three, the tutorial's class names, one decimal; stdout), and with
 * --explain a PNG of each picture, its 32x32, the saliency and Grad-CAM.
 * A file that cannot be read gets one line on stderr naming it and the fix;
 * the others are still predicted, and the exit status is 1.
 * CNNNet only for now: the net files of issue 11 do not exist yet.
 */
#include "app/app.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/flags.h"
#include "ui/picture_load.h"
#include "engine/checkpoint.h"
#include "engine/cifar.h"
#include "engine/explain.h"
#include "ui/explain_view.h"

#define MAX_PICTURES 64

typedef struct {
    const char *load, *explain, *net;
    bool relu_logits, relu_seen;
    const char *files[MAX_PICTURES];
    int n_files;
} PredictArgs;

static int add_image(void *args, const char *value, ClError *err) {
    PredictArgs *a = args;
    if (a->n_files == MAX_PICTURES) return cl_fail(err, "at most %d pictures per run", MAX_PICTURES);
    a->files[a->n_files++] = value;
    return 0;
}

static const Flag PREDICT_FLAGS[] = {
    {"--load", FLAG_STRING, offsetof(PredictArgs, load), .value = "CKPT", .help = "the checkpoint (required)"},
    {"--net", FLAG_STRING, offsetof(PredictArgs, net), .value = "FILE",
     .help = "its network as a net file (default: the net the checkpoint\nrecords; CNNNet for a checkpoint without one)"},
    {"--image", FLAG_CALL, .apply = add_image, .value = "FILE...",
     .help = "PNG, JPEG, GIF (first frame), BMP, WebP or TGA files; each becomes\n"
             "the 32x32 input as the lessons show: the largest centred square,\n"
             "averaged down (pictures under 32x32 are scaled up, and say so),\n"
             "transparency over grey 128; at most 40 megapixels"},
    {"--explain", FLAG_STRING, offsetof(PredictArgs, explain), .value = "PNG",
     .help = "also write each picture, its 32x32, the saliency map\n(|d logit / d input|) and Grad-CAM at the last Conv2d side by side"},
    {"--relu-logits", FLAG_BOOL, offsetof(PredictArgs, relu_logits), .seen = FLAG_SEEN(PredictArgs, relu_seen),
     .help = "as for eval (default: what the checkpoint records)"},
};

const Command PREDICT_COMMAND = {
    .name = "predict", .usage = "--load CKPT [--net FILE] --image FILE... [--explain PNG] [--relu-logits]",
    .summary = "The network's top three classes for your own pictures, one line per file:\n"
               "  cat.jpg: cat 63.2 %, dog 20.1 %, frog 5.0 %",
    .flags = PREDICT_FLAGS, .n_flags = FLAG_COUNT(PREDICT_FLAGS), .max_positional = MAX_PICTURES,
    .notes = "A file that cannot be read gets one line on stderr and exit status 1.",
    .run = batch_predict_main,
};

// --image FILE [FILE...]: the files after the first --image are positional arguments.
static int parse_predict_args(PredictArgs *a, int argc, char **argv, ClError *err) {
    memset(a, 0, sizeof *a);
    const char *more[MAX_PICTURES];
    int n_more = 0;
    if (flags_parse(&PREDICT_COMMAND, a, argc, argv, 1, more, &n_more, err) != 0) return -1;
    if (n_more > 0 && a->n_files == 0)
        return cl_fail(err, "predict: pictures are given with --image FILE..., got '%s'", more[0]);
    for (int i = 0; i < n_more; i++)
        if (add_image(a, more[i], err) != 0) return cl_fail(err, "predict: at most %d pictures per run", MAX_PICTURES);
    if (!a->load) return cl_fail(err, "predict: --load CKPT is required (a checkpoint written by --batch train --save)");
    if (a->n_files == 0) return cl_fail(err, "predict: --image FILE is required (one or more picture files)");
    return 0;
}

// "cat 63.2 %, dog 20.1 %, frog 5.0 %": the three largest, ties to the lower class.
static void format_top3(char *buf, size_t n, const float *probs) {
    int order[NET_NUM_CLASSES];
    for (int k = 0; k < NET_NUM_CLASSES; k++) order[k] = k;
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < NET_NUM_CLASSES; j++)
            if (probs[order[j]] > probs[order[i]]) {
                int t = order[i];
                order[i] = order[j], order[j] = t;
            }
    snprintf(buf, n, "%s %.1f %%, %s %.1f %%, %s %.1f %%", CIFAR_TUTORIAL_CLASSES[order[0]], 100.0 * probs[order[0]],
             CIFAR_TUTORIAL_CLASSES[order[1]], 100.0 * probs[order[1]], CIFAR_TUTORIAL_CLASSES[order[2]],
             100.0 * probs[order[2]]);
}

// The checkpoint's network and weights for one sample (--net's or the one it
// records); honours its relu_logits record unless --relu-logits is given.
static int load_net(Net *net, const PredictArgs *a, ClError *err) {
    return checkpoint_open_net(net, a->load, a->net, a->relu_seen ? a->relu_logits : -1, 1, NULL, err);
}

int batch_predict_main(int argc, char **argv) {
    PredictArgs a;
    ClError err = {0};
    if (parse_predict_args(&a, argc, argv, &err) != 0) {
        fprintf(stderr, "convlab: %s\n", err.msg);
        return 2;
    }
    Net net;
    if (load_net(&net, &a, &err) != 0) {
        fprintf(stderr, "convlab: %s\n", err.msg);
        return 1;
    }
    Picture *pics = cl_calloc((size_t)a.n_files, sizeof(Picture));
    Explanation *ex = cl_calloc((size_t)a.n_files, sizeof(Explanation));
    char (*titles)[256] = cl_calloc((size_t)a.n_files, sizeof *titles);
    const char **title_ptrs = cl_calloc((size_t)a.n_files, sizeof(char *));
    int status = 0, n_ok = 0;
    for (int i = 0; i < a.n_files; i++) {
        Picture *p = &pics[n_ok];
        if (picture_load_file(p, a.files[i], &err) != 0 || net_explain(&ex[n_ok], &net, p->input, -1, &err) != 0) {
            fprintf(stderr, "convlab: %s\n", err.msg);
            status = 1;
            continue;
        }
        if (p->note[0]) fprintf(stderr, "convlab: %s: %s\n", a.files[i], p->note);
        char top[160];
        format_top3(top, sizeof top, ex[n_ok].probs);
        printf("%s: %s\n", a.files[i], top);
        snprintf(titles[n_ok], sizeof titles[n_ok], "%.40s: %.150s", p->name, top);
        title_ptrs[n_ok] = titles[n_ok];
        n_ok++;
    }
    fflush(stdout);
    if (a.explain && n_ok > 0) {
        if (explain_render_png(a.explain, pics, ex, title_ptrs, n_ok, &err) != 0) {
            fprintf(stderr, "convlab: --explain %s: %s\n", a.explain, err.msg);
            status = 1;
        } else {
            fprintf(stderr, "convlab: wrote the explanation of %d picture%s to %s\n", n_ok, n_ok > 1 ? "s" : "", a.explain);
        }
    }
    free(title_ptrs);
    free(titles);
    free(ex);
    free(pics);
    net_free(&net);
    return status;
}
