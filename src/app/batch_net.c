/* `convlab --batch net-info --net FILE` and `convlab --batch export-pytorch
 * --net FILE`: a net file's layer table (shapes, parameters, state_dict) and
 * the same network as a complete PyTorch module, whose attributes carry the
 * file's names so that load_state_dict(..., strict=True) takes a state_dict
 * with the spec's names. Exit status: 0 ok, 1 a bad net file, 2 bad usage.
 */
#include "app/app.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/flags.h"
#include "engine/netfile.h"

typedef struct {
    const char *net;
    int batch_size;
    bool tensors;
} NetArgs;

static const Flag NET_INFO_FLAGS[] = {
    {"--net", FLAG_STRING, offsetof(NetArgs, net), .value = "FILE", .help = "the net file (assets/nets/*.net; required)"},
    {"--batch-size", FLAG_INT, offsetof(NetArgs, batch_size), 1, 65536, .value = "N",
     .help = "the batch N of the shapes and of PyTorch's messages (default 4)"},
    {"--tensors", FLAG_BOOL, offsetof(NetArgs, tensors), .help = "also list the state_dict: name, dtype, shape"},
};

static const Flag EXPORT_FLAGS[] = {
    {"--net", FLAG_STRING, offsetof(NetArgs, net), .value = "FILE", .help = "the net file to export (required)"},
};

static int net_info_main(int argc, char **argv);
static int export_pytorch_main(int argc, char **argv);

const Command NET_INFO_COMMAND = {
    .name = "net-info", .usage = "--net FILE [--batch-size N] [--tensors]",
    .summary = "Checks a net file and prints its layers on CIFAR-10's [N, 3, 32, 32] input.\n"
               "A net file has one layer per line as PyTorch's print(model) writes it, e.g.\n"
               "(conv1): Conv2d(3, 6, 5), ReLU(), (pool): MaxPool2d(2, 2), Flatten(),\n"
               "(fc1): Linear(16 * 5 * 5, 120); '#' starts a comment. Layers: Conv2d,\n"
               "ConvTranspose2d, MaxPool2d, AvgPool2d, BatchNorm2d, Linear, ReLU, LeakyReLU,\n"
               "Tanh, Sigmoid, Dropout, Flatten. A layer with parameters needs a (name), unique;\n"
               "the last layer gives 10 outputs. Limits: 64 layers, 50,000,000 parameters,\n"
               "4,194,304 values per image after any layer, 65,536 channels or features.",
    .flags = NET_INFO_FLAGS, .n_flags = FLAG_COUNT(NET_INFO_FLAGS),
    .notes = "Output: one line per layer: line, name, the layer as written, output shape,\n"
             "parameters; then \"total parameters: 62,006\". A bad file: exit 1 with\n"
             "\"FILE:LINE: message\" (PyTorch's own words where it has them).",
    .run = net_info_main,
};

const Command EXPORT_PYTORCH_COMMAND = {
    .name = "export-pytorch", .usage = "--net FILE",
    .summary = "Prints the net file as a complete Python module: class Net(nn.Module) with the\n"
               "file's names as attributes and forward() in file order, so that\n"
               "Net().load_state_dict(state_dict, strict=True) takes convlab's tensor names.",
    .flags = EXPORT_FLAGS, .n_flags = FLAG_COUNT(EXPORT_FLAGS),
    .run = export_pytorch_main,
};

// ---- shared ---------------------------------------------------------------------------

// Parses the flags and loads the net into *spec (heap: it is 100 KB).
static int load_net(const Command *cmd, NetArgs *a, int argc, char **argv, NetSpec **spec) {
    ClError err = {{0}};
    *spec = NULL;
    if (flags_parse(cmd, a, argc, argv, 1, NULL, NULL, &err) != 0) {
        fprintf(stderr, "convlab: %s\n", err.msg);
        return 2;
    }
    if (!a->net) {
        fprintf(stderr, "convlab: %s: --net FILE is required (for example assets/nets/cnnnet.net)\n", cmd->name);
        return 2;
    }
    *spec = cl_malloc(sizeof **spec);
    if (netfile_load(*spec, a->net, a->batch_size, &err) != 0) {
        fprintf(stderr, "convlab: %s\n", err.msg);
        free(*spec);
        *spec = NULL;
        return 1;
    }
    return 0;
}

// 62006 -> "62,006"
static void format_count(char *out, size_t cap, long n) {
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%ld", n), o = 0;
    for (int k = 0; k < len && o + 2 < (int)cap; k++) {
        if (k > 0 && (len - k) % 3 == 0) out[o++] = ',';
        out[o++] = digits[k];
    }
    out[o] = 0;
}

// ---- net-info --------------------------------------------------------------------------

static void print_table(const NetSpec *s) {
    int name_w = 4, text_w = 5;
    for (int i = 0; i < s->n_layers; i++) {
        int n = (int)strlen(s->layers[i].name), t = (int)strlen(s->layers[i].text);
        name_w = n > name_w ? n : name_w;
        text_w = t > text_w ? t : text_w;
    }
    char shape[64], count[32];
    printf("%s: %d layers on a [%d, 3, 32, 32] input\n", s->path, s->n_layers, s->batch);
    printf("%4s  %-*s  %-*s  %-18s  %10s\n", "line", name_w, "name", text_w, "layer", "output", "parameters");
    for (int i = 0; i < s->n_layers; i++) {
        const LayerSpec *l = &s->layers[i];
        netfile_format_shape(shape, sizeof shape, s->batch, l->out_c, l->out_h, l->out_w, l->out_flat);
        format_count(count, sizeof count, l->param_count);
        printf("%4d  %-*s  %-*s  %-18s  %10s\n", l->line, name_w, l->name[0] ? l->name : "-", text_w, l->text, shape, count);
    }
    format_count(count, sizeof count, s->n_params);
    printf("total parameters: %s\n", count);
}

static void print_tensors(const NetSpec *s) {
    printf("state_dict: %d tensors\n", s->n_tensors);
    for (int k = 0; k < s->n_tensors; k++) {
        const TensorSpec *t = &s->tensors[k];
        printf("  %s %s [", t->name, t->i64 ? "I64" : "F32");
        for (int d = 0; d < t->ndim; d++) printf("%s%lld", d ? ", " : "", (long long)t->shape[d]);
        printf("]%s\n", t->learnable ? "" : " buffer");
    }
}

static int net_info_main(int argc, char **argv) {
    NetArgs a = {.batch_size = 4};
    NetSpec *spec;
    int rc = load_net(&NET_INFO_COMMAND, &a, argc, argv, &spec);
    if (rc != 0) return rc;
    print_table(spec);
    if (a.tensors) print_tensors(spec);
    free(spec);
    return 0;
}

// ---- export-pytorch ---------------------------------------------------------------------

static void pair_text(char *out, size_t cap, const int v[2]) {
    if (v[0] == v[1]) snprintf(out, cap, "%d", v[0]);
    else snprintf(out, cap, "(%d, %d)", v[0], v[1]);
}

// The functional call of an unnamed parameter-free layer (as the tutorial's
// forward writes F.relu and torch.flatten).
static void functional_call(char *out, size_t cap, const LayerSpec *l) {
    char f[40], k[24], s[24], p[24], d[24];
    pair_text(k, sizeof k, l->kernel);
    pair_text(s, sizeof s, l->stride);
    pair_text(p, sizeof p, l->padding);
    pair_text(d, sizeof d, l->dilation);
    const char *inplace = l->inplace ? ", inplace=True" : "";
    switch (l->kind) {
    case LAYER_RELU: snprintf(out, cap, "F.relu(x%s)", inplace); break;
    case LAYER_LEAKY_RELU:
        netfile_format_float(f, sizeof f, l->negative_slope);
        snprintf(out, cap, "F.leaky_relu(x, %s%s)", f, inplace);
        break;
    case LAYER_TANH: snprintf(out, cap, "torch.tanh(x)"); break;
    case LAYER_SIGMOID: snprintf(out, cap, "torch.sigmoid(x)"); break;
    case LAYER_DROPOUT:
        netfile_format_float(f, sizeof f, l->p);
        snprintf(out, cap, "F.dropout(x, p=%s, training=self.training%s)", f, inplace);
        break;
    case LAYER_FLATTEN:
        if (l->end_dim == -1) snprintf(out, cap, "torch.flatten(x, %d)", l->start_dim);
        else snprintf(out, cap, "torch.flatten(x, %d, %d)", l->start_dim, l->end_dim);
        break;
    case LAYER_MAXPOOL2D:
        snprintf(out, cap, "F.max_pool2d(x, %s, stride=%s, padding=%s, dilation=%s, ceil_mode=%s)", k, s, p, d,
                 l->ceil_mode ? "True" : "False");
        break;
    case LAYER_AVGPOOL2D:
        snprintf(out, cap, "F.avg_pool2d(x, %s, stride=%s, padding=%s, ceil_mode=%s, count_include_pad=%s)", k, s, p,
                 l->ceil_mode ? "True" : "False", l->count_include_pad ? "True" : "False");
        break;
    case LAYER_BATCHNORM2D: // no state: always the batch's statistics
        netfile_format_float(f, sizeof f, l->eps);
        snprintf(out, cap, "F.batch_norm(x, None, None, training=True, eps=%s)", f);
        break;
    default: CL_ASSERT(0 && "a layer with parameters has a name"); // check_name guarantees it
    }
}

static void print_module(const NetSpec *s) {
    char count[32], call[256], shape[64];
    format_count(count, sizeof count, s->n_params);
    printf("# %s as a PyTorch module, written by convlab --batch export-pytorch.\n", s->path);
    printf("# Input: CIFAR-10 images [N, 3, 32, 32], normalized; output: [N, 10] logits.\n");
    printf("# %s parameters; the state_dict names are the net file's, so\n", count);
    printf("# Net().load_state_dict(state_dict, strict=True) takes a convlab checkpoint's tensors.\n");
    printf("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n");
    printf("class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n");
    for (int i = 0; i < s->n_layers; i++) {
        const LayerSpec *l = &s->layers[i];
        if (!l->name[0] || !l->first_use) continue;
        netfile_format_call(call, sizeof call, l);
        printf("        self.%s = nn.%s  # line %d: %s\n", l->name, call, l->line, l->text);
    }
    printf("\n    def forward(self, x):\n");
    for (int i = 0; i < s->n_layers; i++) {
        const LayerSpec *l = &s->layers[i];
        if (l->name[0]) snprintf(call, sizeof call, "self.%s(x)", l->name);
        else functional_call(call, sizeof call, l);
        if (l->out_flat) snprintf(shape, sizeof shape, "[N, %d]", l->out_c);
        else snprintf(shape, sizeof shape, "[N, %d, %d, %d]", l->out_c, l->out_h, l->out_w);
        printf("        x = %s  # %s\n", call, shape);
    }
    printf("        return x\n\n\n");
    printf("if __name__ == \"__main__\":\n    model = Net()\n    print(model)\n");
    printf("    print(sum(p.numel() for p in model.parameters()), \"parameters\")\n");
}

static int export_pytorch_main(int argc, char **argv) {
    NetArgs a = {.batch_size = 4};
    NetSpec *spec;
    int rc = load_net(&EXPORT_PYTORCH_COMMAND, &a, argc, argv, &spec);
    if (rc != 0) return rc;
    print_module(spec);
    free(spec);
    return 0;
}
