/* The networks of assets/nets/ built by the engine: each one's gradient
 * against finite differences in training mode (BatchNorm2d's batch
 * statistics, Dropout with a fixed mask), results that do not depend on the
 * thread count, and the checkpoint round trip through the net the checkpoint
 * records. PyTorch parity for each net is in test_net_parity.c.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/checkpoint.h"
#include "engine/net.h"
#include "engine/rng.h"
#include "testutil.h"
#include "testutil_net.h"

static const char *NETS[] = {"cnnnet", "pytorch_tutorial", "lenet5", "small_vgg", "dropout"};
#define N_NETS (int)(sizeof NETS / sizeof NETS[0])
#define BATCH 4
#define DROPOUT_SEED 7

static void build_named(Net *net, const char *name, int max_batch) {
    char path[256];
    snprintf(path, sizeof path, "../assets/nets/%s.net", name);
    if (access(path, R_OK) != 0) snprintf(path, sizeof path, "../tests/nets/%s.net", name); // the tests' own nets
    ClError err = {0};
    cr_assert_eq(net_build_file(net, path, false, max_batch, &err), 0, "%s", err.msg);
}

// A fixed batch: inputs uniform in [-1, 1] (the range of normalized pixels), labels 0..9.
static void fixed_batch(float *x, uint8_t *labels, int N, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed);
    for (long i = 0; i < (long)N * 3 * 32 * 32; i++) x[i] = (float)(2 * rng_uniform(&r) - 1);
    for (int n = 0; n < N; n++) labels[n] = (uint8_t)rng_below(&r, 10);
}

// ---- finite differences ------------------------------------------------------------------

// Checks 12 entries per tensor (the 6 largest gradients and 6 spread out).
static void check_net_gradient(const char *name) {
    Net net;
    build_named(&net, name, BATCH);
    net_init_params(&net, 3);
    net_set_training(&net, true);
    float *x = malloc(sizeof(float) * BATCH * 3 * 32 * 32);
    uint8_t labels[BATCH];
    fixed_batch(x, labels, BATCH, 11);
    NetFdOptions o = {.what = name, .picks = 6, .eps = 1e-3f, .rtol = 3e-3, .atol = 2e-5, .reseed_dropout = true,
                      .dropout_seed = DROPOUT_SEED};
    NetFdResult r = net_fd_check(&net, x, labels, BATCH, &o);
    // BatchNorm2d spreads a weight's change over every ReLU after it, so more steps cross a kink there.
    cr_assert(r.checked >= 3 * r.learnable, "%s: only %d parameters away from kinks", name, r.checked);
    free(x);
    net_free(&net);
}

Test(net_files, cnnnet_gradient_matches_finite_differences) { check_net_gradient("cnnnet"); }
Test(net_files, tutorial_gradient_matches_finite_differences) { check_net_gradient("pytorch_tutorial"); }
Test(net_files, lenet5_gradient_matches_finite_differences) { check_net_gradient("lenet5"); }
Test(net_files, small_vgg_gradient_matches_finite_differences) { check_net_gradient("small_vgg"); }
Test(net_files, dropout_gradient_matches_finite_differences) { check_net_gradient("dropout"); }
Test(net_files, every_kind_gradient_matches_finite_differences) { check_net_gradient("every_kind"); }

// ---- threads, modes -------------------------------------------------------------------------

// One training step's gradients, BatchNorm2d statistics and masks on 1 and 2 threads.
Test(net_files, results_do_not_depend_on_the_thread_count) {
    for (int k = 0; k < N_NETS; k++) {
        Net a, b;
        build_named(&a, NETS[k], 6);
        build_named(&b, NETS[k], 6);
        net_set_threads(&b, 2);
        net_init_params(&a, 5), net_init_params(&b, 5);
        net_set_training(&a, true), net_set_training(&b, true);
        net_seed_dropout(&a, 9), net_seed_dropout(&b, 9);
        float *x = malloc(sizeof(float) * 6 * 3 * 32 * 32);
        uint8_t labels[6];
        fixed_batch(x, labels, 6, 4);
        net_forward(&a, x, 6), net_forward(&b, x, 6);
        net_backward(&a, labels, 6), net_backward(&b, labels, 6);
        cr_assert(memcmp(a.grads, b.grads, sizeof(float) * (size_t)a.n_params) == 0, "%s: gradients differ", NETS[k]);
        cr_assert(memcmp(net_logits(&a), net_logits(&b), sizeof(float) * 60) == 0, "%s: logits differ", NETS[k]);
        if (a.n_buffers)
            cr_assert(memcmp(a.buffers, b.buffers, sizeof(float) * (size_t)a.n_buffers) == 0, "%s: running stats", NETS[k]);
        free(x);
        net_free(&a);
        net_free(&b);
    }
}

// Eval mode: no Dropout, BatchNorm2d's running statistics, which it leaves alone.
Test(net_files, eval_mode_is_deterministic_and_leaves_buffers) {
    for (int k = 0; k < N_NETS; k++) {
        Net net;
        build_named(&net, NETS[k], BATCH);
        net_init_params(&net, 2);
        float x[BATCH * 3 * 32 * 32], first[BATCH * 10];
        uint8_t labels[BATCH];
        fixed_batch(x, labels, BATCH, 8);
        memcpy(first, net_forward(&net, x, BATCH), sizeof first);
        cr_assert(memcmp(first, net_forward(&net, x, BATCH), sizeof first) == 0, "%s: eval differs run to run", NETS[k]);
        for (long i = 0; i < net.n_buffers; i++) cr_assert(net.buffers[i] == 0 || net.buffers[i] == 1, "%s", NETS[k]);
        for (int i = 0; i < net.n_layers; i++) cr_assert_eq(net.batches_tracked[i], 0);
        net_free(&net);
    }
}

// A batch of one through BatchNorm2d over 1x1 maps is PyTorch's error, not NaN.
Test(net_files, batch_norm_of_one_value_is_refused) {
    NetSpec spec;
    ClError err = {0};
    const char *text = "(conv1): Conv2d(3, 4, 32)\n(bn1): BatchNorm2d(4)\nFlatten()\n(fc): Linear(4, 10)\n";
    cr_assert_eq(netfile_parse(&spec, "bn1x1.net", text, 2, &err), 0, "%s", err.msg);
    Net net;
    cr_assert_eq(net_build(&net, &spec, false, 2, &err), 0, "%s", err.msg);
    net_set_training(&net, true);
    cr_assert_eq(net_check_batch(&net, 2, &err), 0, "%s", err.msg);
    cr_assert_eq(net_check_batch(&net, 1, &err), -1);
    cr_assert(strstr(err.msg, "Expected more than 1 value per channel when training") != NULL, "%s", err.msg);
    net_set_training(&net, false);
    cr_assert_eq(net_check_batch(&net, 1, &err), 0, "eval uses the running statistics: %s", err.msg);
    net_free(&net);
}

// ---- the net a checkpoint records ---------------------------------------------------------------

// The canonical text of each shipped net parses back to the same network.
Test(net_files, net_text_round_trips) {
    for (int k = 0; k < N_NETS; k++) {
        Net net;
        build_named(&net, NETS[k], 1);
        static char text[ST_META_VALUE_MAX];
        cr_assert_gt(net_format_text(text, sizeof text, &net), 0);
        NetSpec spec;
        ClError err = {0};
        cr_assert_eq(netfile_parse(&spec, "round-trip", text, 1, &err), 0, "%s: %s\n%s", NETS[k], err.msg, text);
        cr_assert_eq(spec.n_layers, net.spec->n_layers);
        cr_assert_eq(spec.n_params, net.n_params);
        cr_assert_eq(spec.n_tensors, net.spec->n_tensors);
        for (int t = 0; t < spec.n_tensors; t++) {
            cr_assert_str_eq(spec.tensors[t].name, net.spec->tensors[t].name);
            cr_assert_eq(spec.tensors[t].numel, net.spec->tensors[t].numel);
        }
        for (int i = 0; i < spec.n_layers; i++)
            cr_assert_eq(spec.layers[i].out_c * spec.layers[i].out_h * spec.layers[i].out_w,
                         net.layers[i].out_c * net.layers[i].out_h * net.layers[i].out_w, "%s layer %d", NETS[k], i);
        net_free(&net);
    }
}

// Save after a training step, open without a net file: the same net, weights,
// running statistics and num_batches_tracked; with the wrong net file, the
// tensors that differ are named.
Test(net_files, checkpoint_records_its_net) {
    Net net;
    build_named(&net, "small_vgg", BATCH);
    net_init_params(&net, 1);
    net_set_training(&net, true);
    float x[BATCH * 3 * 32 * 32];
    uint8_t labels[BATCH];
    fixed_batch(x, labels, BATCH, 3);
    net_forward(&net, x, BATCH);
    char dir[] = "/tmp/convlab-test-netfiles.XXXXXX", path[512];
    cr_assert(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/small_vgg.safetensors", dir);
    ClError err = {0};
    cr_assert_eq(checkpoint_save(&net, path, &err), 0, "%s", err.msg);
    Net back;
    CheckpointMeta meta;
    cr_assert_eq(checkpoint_open_net(&back, path, NULL, -1, BATCH, &meta, &err), 0, "%s", err.msg);
    cr_assert_str_eq(checkpoint_meta_get(&meta, "model"), "small_vgg");
    char model[64];
    net_model_name(model, sizeof model, &back);
    cr_assert_str_eq(model, "small_vgg", "the net read back from the checkpoint keeps its name");
    cr_assert(strstr(back.spec->path, "small_vgg.safetensors[net]") != NULL, "messages name where it came from: %s",
              back.spec->path);
    cr_assert_eq(back.n_params, net.n_params);
    cr_assert(memcmp(back.params, net.params, sizeof(float) * (size_t)net.n_params) == 0);
    cr_assert(memcmp(back.buffers, net.buffers, sizeof(float) * (size_t)net.n_buffers) == 0);
    cr_assert_eq(back.batches_tracked[1], 1, "bn1 counted one batch");
    net_set_training(&net, false);
    float logits[BATCH * 10];
    memcpy(logits, net_forward(&net, x, BATCH), sizeof logits);
    cr_assert(memcmp(logits, net_forward(&back, x, BATCH), sizeof logits) == 0, "eval logits after the round trip");
    net_free(&back);
    cr_assert_eq(checkpoint_open_net(&back, path, "../assets/nets/cnnnet.net", -1, BATCH, NULL, &err), -1);
    cr_assert(strstr(err.msg, "missing tensors conv1.bias, conv2.bias") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "leave out --net") != NULL, "%s", err.msg);
    net_free(&net);
    remove(path);
    rmdir(dir);
}
