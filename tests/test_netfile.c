/* Tests of src/engine/netfile.c and netfile_infer.c: every shipped net (and
 * fixtures/netfile_kinds.net) against torch's shapes, parameter counts and
 * state_dict (fixtures/netfile_shapes.txt), torch's error texts at torch's
 * line for 49 bad nets (fixtures/netfile_errors.txt), both written by
 * tests/gen_netfile_fixtures.py; then convlab's own messages (names, unknown
 * layers, limits, syntax), the engine configs a Net will be built from, the
 * canonical call round trip and Python's float repr.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/netfile.h"
#include "engine/textfile.h"

// ---- helpers -------------------------------------------------------------------------

static NetSpec *parse_ok(const char *text) {
    NetSpec *s = malloc(sizeof *s);
    ClError err = {{0}};
    cr_assert_eq(netfile_parse(s, "t.net", text, 4, &err), 0, "%s", err.msg);
    return s;
}

// The message of a net text that must fail (batch 4).
static void expect_error(const char *text, const char *want) {
    NetSpec *s = malloc(sizeof *s);
    ClError err = {{0}};
    int rc = netfile_parse(s, "t.net", text, 4, &err);
    free(s);
    cr_assert_eq(rc, -1, "accepted: %s", text);
    cr_assert_str_eq(err.msg, want, "for: %s\n got: %s", text, err.msg);
    cr_assert(!strchr(err.msg, '\n'));
}

static char *read_fixture(const char *path) {
    char *text;
    ClError err = {{0}};
    cr_assert_eq(text_file_read(path, "fixture", 1 << 20, &text, &err), 0, "%s", err.msg);
    return text;
}

// "\n" escapes of the error fixture back to newlines (in place).
static void unescape(char *s) {
    char *o = s;
    for (; *s; s++) {
        if (s[0] == '\\' && s[1] == 'n') *o++ = '\n', s++;
        else *o++ = *s;
    }
    *o = 0;
}

// ---- against torch -------------------------------------------------------------------------

static void check_tensor(const NetSpec *s, int k, const char *line) {
    char name[96], dtype[8], shape[64], got[64];
    cr_assert_eq(sscanf(line, "tensor %95s %7s %63[^\n]", name, dtype, shape), 3, "%s", line);
    cr_assert(k < s->n_tensors, "%s: fewer tensors than torch (%s)", s->path, name);
    const TensorSpec *t = &s->tensors[k];
    cr_assert_str_eq(t->name, name);
    cr_assert_str_eq(t->i64 ? "I64" : "F32", dtype, "%s", name);
    size_t len = (size_t)snprintf(got, sizeof got, "[");
    for (int d = 0; d < t->ndim; d++) len += (size_t)snprintf(got + len, sizeof got - len, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
    snprintf(got + len, sizeof got - len, "]");
    cr_assert_str_eq(got, shape, "%s", name);
}

Test(netfile, shipped_nets_match_torch) {
    char *text = read_fixture("fixtures/netfile_shapes.txt");
    TextReader r;
    TextLine line;
    ClError err = {{0}};
    text_reader_init(&r, "netfile_shapes.txt", text);
    NetSpec *s = malloc(sizeof *s);
    int nets = 0, layer = 0, tensor = 0;
    while (text_reader_next(&r, &line, &err) == 1) {
        char path[256], shape[64], got[64];
        long total, params;
        int number;
        if (sscanf(line.text, "net %255s %ld", path, &total) == 2) {
            char rel[300];
            snprintf(rel, sizeof rel, "../%s", path);
            cr_assert_eq(netfile_load(s, rel, 4, &err), 0, "%s", err.msg);
            cr_assert_eq(s->n_params, total, "%s: %ld parameters, torch %ld", path, s->n_params, total);
            layer = tensor = 0;
            nets++;
        } else if (sscanf(line.text, "layer %d %63[^]]] %ld", &number, shape, &params) == 3) {
            cr_assert(layer < s->n_layers);
            const LayerSpec *l = &s->layers[layer++];
            strcat(shape, "]");
            netfile_format_shape(got, sizeof got, 4, l->out_c, l->out_h, l->out_w, l->out_flat);
            cr_assert_eq(l->line, number);
            cr_assert_str_eq(got, shape, "%s:%d", s->path, number);
            cr_assert_eq(l->param_count, params, "%s:%d", s->path, number);
        } else if (strncmp(line.text, "tensor ", 7) == 0) {
            check_tensor(s, tensor++, line.text);
        } else if (strcmp(line.text, "end") == 0) {
            cr_assert_eq(layer, s->n_layers, "%s: layer count", s->path);
            cr_assert_eq(tensor, s->n_tensors, "%s: tensor count", s->path);
        }
    }
    cr_assert_eq(nets, 6, "the fixture lists the five shipped nets and netfile_kinds.net");
    free(s);
    free(text);
}

Test(netfile, errors_are_torchs_at_torchs_line) {
    char *text = read_fixture("fixtures/netfile_errors.txt");
    TextReader r;
    TextLine line;
    ClError err = {{0}};
    text_reader_init(&r, "netfile_errors.txt", text);
    char name[64] = "", want[1024] = "";
    int number = 0, cases = 0;
    NetSpec *s = malloc(sizeof *s);
    while (text_reader_next(&r, &line, &err) == 1) {
        if (strncmp(line.text, "case ", 5) == 0) snprintf(name, sizeof name, "%s", line.text + 5);
        else if (sscanf(line.text, "line %d", &number) == 1) continue;
        else if (strncmp(line.text, "torch ", 6) == 0) snprintf(want, sizeof want, "%s.net:%d: %s", name, number, line.text + 6);
        else if (strncmp(line.text, "text ", 5) == 0) {
            char path[80], net[2048];
            snprintf(path, sizeof path, "%s.net", name);
            snprintf(net, sizeof net, "%s", line.text + 5);
            unescape(net);
            ClError e = {{0}};
            cr_assert_eq(netfile_parse(s, path, net, 4, &e), -1, "%s: accepted", name);
            cr_assert_eq(strncmp(e.msg, want, strlen(want)), 0, "%s:\n want %s\n got  %s", name, want, e.msg);
            cases++;
        }
    }
    cr_assert_geq(cases, 45);
    free(s);
    free(text);
}

// ---- convlab's own messages --------------------------------------------------------------------

Test(netfile, names_required_unique_and_python_attributes) {
    expect_error("Conv2d(3, 6, 5)\n", "t.net:1: Conv2d has parameters, so it needs a name: write (name): Conv2d(3, 6, 5); "
                 "the name is its state_dict prefix (name.weight)");
    expect_error("(c): Conv2d(3, 6, 5)\n(c): Conv2d(6, 6, 1)\n", "t.net:2: the name 'c' is already used at line 1; a layer "
                 "with parameters needs a name of its own (its state_dict prefix)");
    expect_error("(c): Conv2d(3, 6, 5)\n(c): ReLU()\n", "t.net:2: the name 'c' is already used at line 1; a layer with "
                 "parameters needs a name of its own (its state_dict prefix)");
    expect_error("(p): MaxPool2d(2, 2)\n(p): MaxPool2d(3)\n", "t.net:2: 'p' is MaxPool2d(2, stride=2) at line 1; a repeated "
                 "name is the same module, so it must be the same layer (or give this one another name)");
    expect_error("(0): Conv2d(3, 6, 5)\n", "t.net:1: the name '0' is not a Python identifier (letters, digits and _, not "
                 "starting with a digit); export-pytorch makes it an attribute, self.NAME");
    expect_error("(forward): Conv2d(3, 6, 5)\n", "t.net:1: the name 'forward' cannot be an attribute of an nn.Module (it is "
                 "one of nn.Module's own); choose another name");
    expect_error("(class): ReLU()\n", "t.net:1: the name 'class' cannot be an attribute of an nn.Module (it is a Python "
                 "keyword); choose another name");
    expect_error("(bn): BatchNorm2d(3, affine=False)\nBatchNorm2d(3, affine=False)\n",
                 "t.net:2: BatchNorm2d has parameters, so it needs a name: write (name): BatchNorm2d(3, affine=False); "
                 "the name is its state_dict prefix (name.weight)");
    // the same parameter-free name twice is one module, written once in the export
    NetSpec *s = parse_ok("(p): MaxPool2d(2)\n(p): MaxPool2d(2)\n(p): MaxPool2d(2)\nFlatten()\n(fc): Linear(48, 10)\n");
    cr_assert(s->layers[0].first_use && !s->layers[1].first_use && !s->layers[2].first_use);
    free(s);
}

Test(netfile, unknown_layers_and_print_model_lines) {
    const char *known = "convlab knows Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, BatchNorm2d, Linear, ReLU, LeakyReLU, "
                        "Tanh, Sigmoid, Dropout, Flatten";
    char want[512];
    snprintf(want, sizeof want, "t.net:2: unknown layer 'Conv3d'; %s", known);
    expect_error("# a comment\n(c): Conv3d(3, 6, 5)\n", want);
    snprintf(want, sizeof want, "t.net:1: Sequential is not supported: write its layers one per line instead; %s", known);
    expect_error("(features): Sequential(\n", want);
    expect_error("Net(\n", "t.net:1: 'Net(' looks like the first line of print(model); a net file lists only the layers, "
                 "one per line in the order forward() runs them (add ReLU() and Flatten() lines for F.relu and torch.flatten)");
    expect_error(")\n", "t.net:1: ')' looks like the last line of print(model); a net file lists only the layers, one per line");
    expect_error("# nothing\n\n", "t.net: no layers; a net file has one layer per line, e.g. (conv1): Conv2d(3, 6, 5)");
}

Test(netfile, convlab_limits_and_unsupported_arguments) {
    expect_error("(c): Conv2d(3, 6, 5, padding_mode='reflect')\n",
                 "t.net:1: Conv2d: padding_mode='reflect' is not supported by convlab; only 'zeros' (zero padding)");
    expect_error("(p): AvgPool2d(2, divisor_override=3)\n",
                 "t.net:1: AvgPool2d: divisor_override is not supported by convlab (the divisor is the window's size); remove it");
    expect_error("(c): Conv2d(3, 6, 5, device='cuda')\n",
                 "t.net:1: Conv2d: device is not supported by convlab (it computes on the CPU); remove it");
    expect_error("MaxPool2d(2, return_indices=True)\n", "t.net:1: MaxPool2d: return_indices=True is not supported in a net "
                 "file (the next layer would get a tuple); convlab keeps the indices anyway");
    expect_error("(c): Conv2d(3, 100000, 5)\n", "t.net:1: Conv2d: out_channels = 100000 is out of convlab's range (at most 65536)");
    expect_error("(c): Conv2d(3, 6, 5000)\n", "t.net:1: Conv2d: kernel_size = 5000 is out of convlab's range (at most 4096)");
    expect_error("(c): Conv2d(3, 6, 5.5)\n", "t.net:1: Conv2d: kernel_size must be an int or an (h, w) pair of ints, got 5.5");
    expect_error("(c): Conv2d(3, 6, 5, bias=1)\n", "t.net:1: Conv2d: bias must be True or False, got 1");
    expect_error("Flatten()\n(fc1): Linear(3072, 10000)\n(fc2): Linear(10000, 10000)\n",
                 "t.net:3: the network has 130740000 parameters up to this layer, over convlab's limit of 50000000");
    expect_error("(c): Conv2d(3, 8192, 3, padding=1)\n", "t.net:1: Conv2d gives 8388608 values per image, over convlab's "
                 "limit of 4194304");
    char big[NETFILE_MAX_LAYERS * 8 + 64] = "";
    for (int i = 0; i <= NETFILE_MAX_LAYERS; i++) strcat(big, "ReLU()\n");
    expect_error(big, "t.net:65: more than 64 layers (convlab's limit)");
    expect_error("(c): Conv2d(3, 6, 5)\nFlatten()\n(fc): Linear(4704, 12)\n", "t.net:3: the network gives [4, 12], but a "
                 "CIFAR-10 classifier must end with [4, 10] (one score per class): make the last layer a Linear(..., 10)");
    expect_error("(c): Conv2d(3, 10, 32)\n", "t.net:1: the network gives [4, 10, 1, 1], but a CIFAR-10 classifier must end "
                 "with [4, 10] (one score per class): make the last layer a Linear(..., 10) after a Flatten()");
    expect_error("(c): Conv2d(3, 6, 28)\n(fc): Linear(5, 10)\n", "t.net:2: Linear on the 4-D input [4, 6, 5, 5]: PyTorch "
                 "would apply it to the last dimension only; convlab's Linear takes [N, features]: add Flatten() before it");
    expect_error("Flatten(2)\n", "t.net:1: Flatten(start_dim=2, end_dim=-1) is not supported: convlab flattens [N, C, H, W] "
                 "to [N, C*H*W] only; use Flatten()");
    expect_error("(bn): BatchNorm2d(3, eps=0)\n", "t.net:1: BatchNorm2d: eps must be positive (it keeps the division finite), got 0");
}

Test(netfile, batch_one_batchnorm_on_one_value) {
    NetSpec *s = malloc(sizeof *s);
    ClError err = {{0}};
    cr_assert_eq(netfile_parse(s, "t.net", "(c): Conv2d(3, 6, 32)\n(bn): BatchNorm2d(6)\nFlatten()\n(fc): Linear(6, 10)\n", 1,
                               &err), -1);
    cr_assert_str_eq(err.msg, "t.net:2: Expected more than 1 value per channel when training, got input size "
                     "torch.Size([1, 6, 1, 1])");
    free(s);
}

Test(netfile, syntax_errors_name_the_column) {
    expect_error("(c): Conv2d(3, 6, 5\n", "t.net:1: invalid syntax at column 20 (near 'the end of the line'): expected ',' "
                 "or ')'; a layer line looks like (conv1): Conv2d(3, 6, 5)");
    expect_error("(c): Conv2d(3, 6, 5) x\n", "t.net:1: invalid syntax at column 22 (near 'x'): expected the end of the line "
                 "after ')'; a layer line looks like (conv1): Conv2d(3, 6, 5)");
    expect_error("  \t(c): Conv2d(3, 6, 5) x\n", "t.net:1: invalid syntax at column 25 (near 'x'): expected the end of the "
                 "line after ')'; a layer line looks like (conv1): Conv2d(3, 6, 5)");
    expect_error("(c): Conv2d(3, 6, kernel_size=5, 1)\n", "t.net:1: positional argument follows keyword argument");
    expect_error("(c): Conv2d(3, 6, 5, stride=1, stride=2)\n", "t.net:1: keyword argument repeated: stride");
    expect_error("(c): Conv2d(3, 6, 05)\n", "t.net:1: leading zeros in decimal integer literals are not permitted (05)");
    expect_error("Flatten()\n(fc): Linear(99999999999 * 99999999999, 10)\n", "t.net:2: a number is too large");
    expect_error("Flatten()\n(fc): Linear(3072 // 0, 10)\n", "t.net:2: integer division or modulo by zero");
}

// ---- what a Net is built from ------------------------------------------------------------------

Test(netfile, engine_configs_and_arithmetic) {
    NetSpec *s = parse_ok("# header\n(c1): nn.Conv2d(3, 4, (3, 5), padding='same')   # comment\n"
                          "(c2): Conv2d(in_channels=4, out_channels=8, kernel_size=4, stride=(2, 2), padding=(1, 0))\n"
                          "(p): MaxPool2d(kernel_size=3, stride=None, padding=1, ceil_mode=True)\n"
                          "Flatten()\n(fc): Linear((8 * 6) * 6 + 0, 2 * 5 - 0)\n");
    const LayerSpec *c1 = &s->layers[0], *c2 = &s->layers[1], *p = &s->layers[2];
    cr_assert_eq(c1->line, 2);
    cr_assert_str_eq(c1->text, "nn.Conv2d(3, 4, (3, 5), padding='same')");
    cr_assert_eq(c1->padding_kind, NET_PAD_SAME);
    cr_assert(c1->conv.pad_top == 1 && c1->conv.pad_bottom == 1 && c1->conv.pad_left == 2 && c1->conv.pad_right == 2);
    cr_assert(c1->out_c == 4 && c1->out_h == 32 && c1->out_w == 32);
    cr_assert(c2->conv.stride_h == 2 && c2->conv.pad_top == 1 && c2->conv.pad_left == 0 && c2->conv.has_bias);
    cr_assert(c2->out_h == 16 && c2->out_w == 15);
    cr_assert(p->stride_none && p->pool.stride_h == 3 && p->pool.pad_h == 1 && p->pool.ceil_mode);
    cr_assert(p->out_h == 6 && p->out_w == 6, "%d x %d", p->out_h, p->out_w);
    cr_assert_eq(s->layers[4].in_features, 288);
    cr_assert_eq(s->n_params, (4 * 3 * 15 + 4) + (8 * 4 * 16 + 8) + (288 * 10 + 10));
    // weight then bias, one after the other in one block, as net.c lays it out
    cr_assert_eq(s->tensors[0].offset, 0);
    cr_assert_eq(s->tensors[1].offset, 180);
    cr_assert_eq(s->tensors[2].offset, 184);
    free(s);
}

Test(netfile, canonical_call_round_trips) {
    NetSpec *s = parse_ok("(c): Conv2d(3, 8, kernel_size=(5, 5), stride=(1, 1), padding=(1, 1), bias=True)\n"
                          "(bn): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
                          "(a): LeakyReLU(negative_slope=0.2)\n(p): AvgPool2d(kernel_size=2, stride=2, padding=0)\n"
                          "(d): Dropout(p=0.5, inplace=False)\n(f): Flatten(start_dim=1, end_dim=-1)\n"
                          "(fc): Linear(in_features=1800, out_features=10, bias=False)\n");
    const char *want[] = {"Conv2d(3, 8, 5, padding=1)", "BatchNorm2d(8)", "LeakyReLU(negative_slope=0.2)",
                          "AvgPool2d(2, stride=2)", "Dropout()", "Flatten()", "Linear(1800, 10, bias=False)"};
    char text[2048] = "", call[256];
    for (int i = 0; i < s->n_layers; i++) {
        netfile_format_call(call, sizeof call, &s->layers[i]);
        cr_assert_str_eq(call, want[i]);
        snprintf(text + strlen(text), sizeof text - strlen(text), "(%s): %s\n", s->layers[i].name, call);
    }
    NetSpec *again = parse_ok(text);
    cr_assert_eq(again->n_params, s->n_params);
    for (int i = 0; i < s->n_layers; i++) {
        netfile_format_call(call, sizeof call, &again->layers[i]);
        cr_assert_str_eq(call, want[i]);
    }
    free(again);
    free(s);
}

Test(netfile, python_float_repr) {
    const struct { double x; const char *s; } cases[] = {
        {0.1, "0.1"}, {1e-5, "1e-05"}, {2.0, "2.0"}, {0.01, "0.01"}, {1e16, "1e+16"}, {123456.5, "123456.5"},
        {0.0001, "0.0001"}, {0.00001234, "1.234e-05"}, {-0.25, "-0.25"}, {0, "0.0"}};
    char buf[64];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        netfile_format_float(buf, sizeof buf, cases[k].x);
        cr_assert_str_eq(buf, cases[k].s);
    }
}

Test(netfile, infer_again_after_a_width_change) {
    NetSpec *s = parse_ok("(c): Conv2d(3, 6, 5)\nFlatten()\n(fc): Linear(4704, 10)\n");
    s->layers[0].out_channels = 8; // a wider conv: the next layer does not follow by itself
    ClError err = {{0}};
    cr_assert_eq(netfile_infer(s, 4, &err), -1);
    cr_assert_str_eq(err.msg, "t.net:3: mat1 and mat2 shapes cannot be multiplied (4x6272 and 4704x10)");
    s->layers[2].in_features = 6272;
    cr_assert_eq(netfile_infer(s, 4, &err), 0, "%s", err.msg);
    cr_assert_eq(s->n_params, 8 * 75 + 8 + 6272 * 10 + 10);
    free(s);
}

Test(netfile, model_name_is_the_file_name_without_net) {
    char name[64];
    netfile_model_name(name, sizeof name, "assets/nets/lenet5.net");
    cr_assert_str_eq(name, "lenet5");
    netfile_model_name(name, sizeof name, "my.model");
    cr_assert_str_eq(name, "my.model", "only a .net suffix is dropped");
    netfile_model_name(name, sizeof name, "");
    cr_assert_str_eq(name, NET_DEFAULT_MODEL, "no file chosen: CNNNet");
    netfile_model_name(name, sizeof name, NULL);
    cr_assert_str_eq(name, "cnnnet");
}
