/* Tests of net.c: the CNNNet layer table (names, shapes, parameter counts,
 * state_dict offsets), PyTorch's default init, the kept activations, one
 * forward/backward and 50 SGD steps of the Trainer against the PyTorch twin
 * (fixtures/model_*.safetensors from gen_model_fixtures.py), and a finite-
 * difference check of the whole net's gradient away from ReLU/max-pool kinks.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cifar.h"
#include "engine/net.h"
#include "engine/trainer.h"
#include "testutil.h"
#include "testutil_net.h"

// ---- helpers ------------------------------------------------------------------------

static void build(Net *net, bool relu_logits, int max_batch) {
    ClError err = {0};
    cr_assert_eq(net_build_cnnnet(net, relu_logits, max_batch, &err), 0, "%s", err.msg);
}

// Copies the fixture tensors "<prefix><state_dict name>" into dst (n_params),
// checking each shape: the same job as a checkpoint load, by name.
static void load_by_name(const Net *net, float *dst, const StFile *f, const char *prefix) {
    NetTensor ts[NET_MAX_TENSORS];
    int n = net_tensors(net, ts);
    for (int k = 0; k < n; k++) {
        char name[96];
        snprintf(name, sizeof name, "%s%.31s", prefix, ts[k].name);
        const StTensor *t = st_find(f, name);
        cr_assert(t != NULL, "fixture has no %s", name);
        cr_assert_eq(t->ndim, ts[k].ndim, "%s: rank", name);
        for (int d = 0; d < t->ndim; d++) cr_assert_eq(t->shape[d], ts[k].shape[d], "%s: dim %d", name, d);
        cr_assert_eq(t->dtype, ST_F32);
        memcpy(dst + ts[k].offset, t->data, sizeof(float) * (size_t)ts[k].numel);
    }
}

// Batch b of the fixture's raw images, normalized as the trainer does.
static void fixture_batch(const StFile *f, int b, float *x, uint8_t *labels) {
    int64_t npix, nlab;
    const StTensor *pt = st_find(f, "pixels"), *lt = st_find(f, "labels");
    cr_assert(pt && lt && pt->dtype == ST_U8 && lt->dtype == ST_U8);
    npix = st_numel(pt), nlab = st_numel(lt);
    int batch = (int)lt->shape[1];
    cr_assert_eq(npix, nlab * CIFAR_PIXELS);
    CifarSet set = {.n = batch, .labels = (uint8_t *)lt->data + (size_t)b * batch, .pixels = (uint8_t *)pt->data + (size_t)b * batch * CIFAR_PIXELS};
    cifar_normalize_batch(x, labels, &set, NULL, batch);
}

static float max_abs_diff(const float *a, const float *b, long n, long *where) {
    float worst = 0;
    for (long i = 0; i < n; i++) {
        float d = fabsf(a[i] - b[i]);
        if (d > worst || isnan(d)) worst = d, *where = i;
    }
    return worst;
}

// ---- the layer table ------------------------------------------------------------------

Test(net, layer_table_is_cnnnet) {
    Net net;
    build(&net, false, 4);
    struct { const char *name; LayerKind kind; int c, h, w; long params, woff, boff; } want[] = {
        {"conv1", LAYER_CONV2D, 8, 28, 28, 608, 0, 600},
        {"relu1", LAYER_RELU, 8, 28, 28, 0, -1, -1},
        {"pool1", LAYER_MAXPOOL2D, 8, 14, 14, 0, -1, -1},
        {"conv2", LAYER_CONV2D, 16, 12, 12, 1168, 608, 1760},
        {"relu2", LAYER_RELU, 16, 12, 12, 0, -1, -1},
        {"pool2", LAYER_MAXPOOL2D, 16, 6, 6, 0, -1, -1},
        {"flatten", LAYER_FLATTEN, 576, 1, 1, 0, -1, -1},
        {"fc1", LAYER_LINEAR, 128, 1, 1, 73856, 1776, 75504},
        {"relu3", LAYER_RELU, 128, 1, 1, 0, -1, -1},
        {"fc2", LAYER_LINEAR, 10, 1, 1, 1290, 75632, 76912},
    };
    int n = (int)(sizeof want / sizeof want[0]);
    cr_assert_eq(net.n_layers, n);
    cr_assert_eq(net.n_params, 76922);
    cr_assert(net.in_c == 3 && net.in_h == 32 && net.in_w == 32);
    long total = 0;
    for (int i = 0; i < n; i++) {
        const Layer *l = &net.layers[i];
        cr_assert_str_eq(l->name, want[i].name);
        cr_assert_eq(l->kind, want[i].kind, "%s kind", l->name);
        cr_assert(l->out_c == want[i].c && l->out_h == want[i].h && l->out_w == want[i].w,
                  "%s: output %dx%dx%d", l->name, l->out_c, l->out_h, l->out_w);
        cr_assert_eq(l->param_count, want[i].params, "%s params", l->name);
        cr_assert_eq(l->weight_offset, want[i].woff, "%s weight offset", l->name);
        cr_assert_eq(l->bias_offset, want[i].boff, "%s bias offset", l->name);
        if (i > 0) cr_assert(l->in_c == net.layers[i - 1].out_c && l->in_h == net.layers[i - 1].out_h);
        total += l->param_count;
    }
    cr_assert_eq(total, 76922);
    const Layer *c1 = net_find_layer(&net, "conv1");
    cr_assert(c1 && c1->conv.in_channels == 3 && c1->conv.out_channels == 8 && c1->conv.kernel_h == 5);
    const Layer *p2 = net_find_layer(&net, "pool2");
    cr_assert(p2 && p2->pool.kernel_h == 2 && p2->pool.stride_h == 2);
    const Layer *f1 = net_find_layer(&net, "fc1");
    cr_assert(f1 && f1->in_features == 576 && f1->out_features == 128);
    cr_assert_null(net_find_layer(&net, "fc3"));
    cr_assert_null(net_find_layer(&net, "relu_logits"));
    net_free(&net);

    build(&net, true, 1);
    cr_assert_eq(net.n_layers, n + 1);
    cr_assert_str_eq(net.layers[n].name, "relu_logits");
    cr_assert_eq(net.layers[n].kind, LAYER_RELU);
    cr_assert_eq(net.n_params, 76922);
    net_free(&net);
}

Test(net, tensors_are_the_state_dict) {
    Net net;
    build(&net, false, 1);
    NetTensor ts[NET_MAX_TENSORS];
    cr_assert_eq(net_tensors(&net, ts), 8);
    struct { const char *name; int ndim; int64_t shape[4]; } want[] = {
        {"conv1.weight", 4, {8, 3, 5, 5}}, {"conv1.bias", 1, {8}},
        {"conv2.weight", 4, {16, 8, 3, 3}}, {"conv2.bias", 1, {16}},
        {"fc1.weight", 2, {128, 576}}, {"fc1.bias", 1, {128}},
        {"fc2.weight", 2, {10, 128}}, {"fc2.bias", 1, {10}},
    };
    long offset = 0;
    for (int k = 0; k < 8; k++) {
        cr_assert_str_eq(ts[k].name, want[k].name);
        cr_assert_eq(ts[k].ndim, want[k].ndim, "%s", ts[k].name);
        long numel = 1;
        for (int d = 0; d < ts[k].ndim; d++) {
            cr_assert_eq(ts[k].shape[d], want[k].shape[d], "%s dim %d", ts[k].name, d);
            numel *= ts[k].shape[d];
        }
        cr_assert_eq(ts[k].numel, numel, "%s numel", ts[k].name);
        cr_assert_eq(ts[k].offset, offset, "%s offset: tensors must tile the block in order", ts[k].name);
        offset += numel;
    }
    cr_assert_eq(offset, net.n_params);
    net_free(&net);
}

Test(net, bad_batch_size_is_an_error) {
    Net net;
    ClError err = {0};
    cr_assert_eq(net_build_cnnnet(&net, false, 0, &err), -1);
    cr_assert(strstr(err.msg, "batch size") != NULL, "%s", err.msg);
    net_free(&net);
}

// ---- init -------------------------------------------------------------------------------

Test(net, init_is_pytorch_default_and_seeded) {
    Net a, b;
    build(&a, false, 1);
    build(&b, false, 1);
    net_init_params(&a, 123);
    net_init_params(&b, 123);
    cr_assert_eq(memcmp(a.params, b.params, sizeof(float) * (size_t)a.n_params), 0, "same seed, different weights");
    net_init_params(&b, 124);
    cr_assert_neq(memcmp(a.params, b.params, sizeof(float) * (size_t)a.n_params), 0);

    NetTensor ts[NET_MAX_TENSORS];
    int n = net_tensors(&a, ts);
    long fan_in[8] = {75, 75, 72, 72, 576, 576, 128, 128};
    for (int k = 0; k < n; k++) {
        double bound = 1.0 / sqrt((double)fan_in[k]);
        const float *p = a.params + ts[k].offset;
        double lo = INFINITY, hi = -INFINITY, sum = 0;
        for (long i = 0; i < ts[k].numel; i++) {
            cr_assert(fabs(p[i]) <= bound, "%s[%ld] = %g outside +-%g", ts[k].name, i, p[i], bound);
            lo = fmin(lo, p[i]), hi = fmax(hi, p[i]), sum += p[i];
        }
        if (ts[k].numel >= 100) {  // a large sample spans the interval and centres on 0
            cr_assert(lo < -0.9 * bound && hi > 0.9 * bound, "%s spans [%g, %g] of +-%g", ts[k].name, lo, hi, bound);
            cr_assert(fabs(sum / ts[k].numel) < 0.1 * bound, "%s mean %g", ts[k].name, sum / ts[k].numel);
        }
    }
    net_free(&a);
    net_free(&b);
}

// ---- forward: kept activations ---------------------------------------------------------

Test(net, forward_keeps_every_activation_and_pool_indices) {
    Net net;
    build(&net, false, 3);
    net_init_params(&net, 5);
    float x[3 * CIFAR_PIXELS];
    for (int i = 0; i < 3 * CIFAR_PIXELS; i++) x[i] = (float)sin(i * 0.37) * 0.9f;
    net_forward(&net, x, 3);
    cr_assert_eq(memcmp(net.acts[0], x, sizeof x), 0);
    // acts[1] is conv1 of the input, acts[2] its ReLU
    static float conv1[3 * 8 * 28 * 28];
    const Layer *c1 = &net.layers[0];
    conv2d_forward(conv1, x, net.params + c1->weight_offset, net.params + c1->bias_offset, &c1->conv, 3, 32, 32);
    cr_assert_eq(memcmp(net.acts[1], conv1, sizeof conv1), 0);
    for (int i = 0; i < 3 * 8 * 28 * 28; i++) cr_assert_eq(net.acts[2][i], conv1[i] > 0 ? conv1[i] : 0);
    // pool1 (layer 2): every output is the input at its argmax, the max of its 2x2 window
    const float *in = net.acts[2], *out = net.acts[3];
    const int32_t *idx = net.pool_indices[2];
    cr_assert_not_null(idx);
    for (int p = 0; p < 3 * 8; p++)
        for (int o = 0; o < 14 * 14; o++) {
            int oy = o / 14, ox = o % 14, k = idx[p * 196 + o];
            int y = k / 28, xx = k % 28;
            cr_assert(y / 2 == oy && xx / 2 == ox, "argmax %d outside window (%d,%d)", k, oy, ox);
            cr_assert_eq(out[p * 196 + o], in[p * 784 + k]);
        }
    cr_assert_null(net.pool_indices[0]);
    cr_assert_not_null(net.pool_indices[5]);
    cr_assert_eq(net.acts[7], net.acts[6], "flatten is a view");
    cr_assert_eq(net_logits(&net), net.acts[net.n_layers]);
    net_free(&net);
}

// Each sample's logits do not depend on the rest of the batch, or on max_batch.
Test(net, samples_are_independent_of_batch) {
    Net net;
    build(&net, false, 4);
    net_init_params(&net, 8);
    float x[4 * CIFAR_PIXELS];
    for (int i = 0; i < 4 * CIFAR_PIXELS; i++) x[i] = (float)cos(i * 0.11) * 0.8f;
    float batch_logits[40];
    memcpy(batch_logits, net_forward(&net, x, 4), sizeof batch_logits);
    ClError err = {0};
    cr_assert_eq(net_set_max_batch(&net, 1, &err), 0);
    for (int n = 0; n < 4; n++) {
        const float *one = net_forward(&net, x + n * CIFAR_PIXELS, 1);
        cr_assert(allclose(one, batch_logits + n * 10, 10, 1e-6f, 1e-5f, "single-sample logits"));
    }
    net_free(&net);
}

Test(net, predict_takes_the_first_maximum) {
    Net net;
    build(&net, true, 2);
    float *logits = net.acts[net.n_layers];
    float rows[20] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.1f, 0.5f, 0.2f, 0.5f, 0, 0, 0, 0, 0, 0};
    memcpy(logits, rows, sizeof rows);
    uint8_t pred[2];
    net_predict(&net, 2, pred);
    cr_assert_eq(pred[0], 0, "all-zero logits (the seed's ReLU) must predict class 0, like torch.max");
    cr_assert_eq(pred[1], 1);
    net_free(&net);
}

// ---- PyTorch parity -----------------------------------------------------------------------

static void check_one_step(bool relu_logits, const char *fixture) {
    StFile init, ref;
    fixture_open(&init, "model_sgd50.safetensors");
    fixture_open(&ref, fixture);
    Net net;
    build(&net, relu_logits, 4);
    load_by_name(&net, net.params, &init, "init.");
    float x[4 * CIFAR_PIXELS];
    uint8_t labels[4];
    fixture_batch(&init, 0, x, labels);
    const float *logits = net_forward(&net, x, 4);
    cr_assert(allclose(logits, fixture_f32(&ref, "logits", NULL), 40, 1e-6f, 1e-4f, "logits"));
    float loss = net_loss(&net, labels, 4, NULL);
    float want_loss = fixture_f32(&ref, "loss", NULL)[0];
    cr_assert(fabsf(loss - want_loss) < 1e-6f, "loss %.9g, torch %.9g", loss, want_loss);
    net_backward(&net, labels, 4);
    float *want = malloc(sizeof(float) * (size_t)net.n_params);
    load_by_name(&net, want, &ref, "grad.");
    NetTensor ts[NET_MAX_TENSORS];
    int n = net_tensors(&net, ts);
    for (int k = 0; k < n; k++) {
        char what[64];
        snprintf(what, sizeof what, "grad %.31s", ts[k].name);
        cr_assert(allclose(net.grads + ts[k].offset, want + ts[k].offset, ts[k].numel, 1e-6f, 1e-4f, what), "%s", what);
    }
    long where = 0;
    fprintf(stderr, "net one step%s: |loss diff| %.3g, max |grad diff| %.3g\n", relu_logits ? " (relu logits)" : "",
            fabsf(loss - want_loss), max_abs_diff(net.grads, want, net.n_params, &where));
    // a second backward gives the same gradients: zero_grad is part of it
    net_backward(&net, labels, 4);
    cr_assert(allclose(net.grads, want, net.n_params, 1e-6f, 1e-4f, "second backward"));
    free(want);
    net_free(&net);
    st_free(&init);
    st_free(&ref);
}

Test(net, forward_backward_matches_pytorch) { check_one_step(false, "model_grads.safetensors"); }
Test(net, forward_backward_with_relu_logits_matches_pytorch) { check_one_step(true, "model_grads_relu_logits.safetensors"); }

// The 50 steps go through trainer_step, the step --batch train and the
// training screen run (normalize, forward, loss, backward, the checked and
// threaded optimizer step), not a test-only loop. The fixture's 10 batches of
// 4 become a 40-image training set in file order, so epoch e's mini-batch i is
// fixture batch i, as step s uses batch s % 10 in the PyTorch twin.
static void check_fifty_trainer_steps(int threads) {
    StFile f;
    fixture_open(&f, "model_sgd50.safetensors");
    int steps = fixture_meta_int(&f, "steps"), distinct = fixture_meta_int(&f, "distinct_batches");
    const float *want_losses = fixture_f32(&f, "losses", NULL);
    const StTensor *pt = st_find(&f, "pixels"), *lt = st_find(&f, "labels");
    cr_assert(pt && lt && pt->dtype == ST_U8 && lt->dtype == ST_U8);
    int batch = (int)lt->shape[1];
    cr_assert_eq(batch, 4);
    cr_assert_eq(steps % distinct, 0, "the fixture's steps must be whole epochs");
    CifarSet train = {.n = distinct * batch, .labels = (uint8_t *)lt->data, .pixels = (uint8_t *)pt->data};

    TrainConfig c = train_config_default();   // SGD lr 0.001 momentum 0.9, batch 4, as the fixture
    c.epochs = steps / distinct;
    c.shuffle = false;
    c.threads = threads;
    Trainer t;
    ClError err = {0};
    cr_assert_eq(trainer_init(&t, &c, &train, &err), 0, "%s", err.msg);
    cr_assert_eq(t.batches_per_epoch, distinct);
    load_by_name(&t.net, t.net.params, &f, "init.");
    float worst_loss = 0;
    int worst_step = 0;
    for (int s = 0; s < steps; s++) {
        float loss = NAN;
        cr_assert_eq(trainer_step(&t, &loss, &err), 1, "step %d: %s", s + 1, err.msg);
        float d = fabsf(loss - want_losses[s]);
        if (d > worst_loss || isnan(d)) worst_loss = d, worst_step = s;
    }
    cr_assert(t.finished, "the trainer should be done after %d steps", steps);
    float *want = malloc(sizeof(float) * (size_t)t.net.n_params);
    load_by_name(&t.net, want, &f, "final.");
    long where = 0;
    float worst_w = max_abs_diff(t.net.params, want, t.net.n_params, &where);
    fprintf(stderr, "trainer 50 SGD steps (%d threads): max |loss diff| %.3g (step %d), max |weight diff| %.3g "
            "(param %ld: %.9g vs %.9g)\n", threads, worst_loss, worst_step + 1, worst_w, where,
            t.net.params[where], want[where]);
    cr_assert(worst_loss < 1e-5f, "loss at step %d differs from PyTorch by %g", worst_step + 1, worst_loss);
    cr_assert(allclose(t.net.params, want, t.net.n_params, 1e-6f, 1e-4f, "final weights after 50 SGD steps"));
    // and the run actually moved the weights (the comparison is not trivially true)
    const float *init = fixture_f32(&f, "init.fc1.weight", NULL);
    const Layer *fc1 = net_find_layer(&t.net, "fc1");
    cr_assert(max_abs_diff(t.net.params + fc1->weight_offset, init, 576 * 128, &where) > 1e-4f);
    free(want);
    trainer_free(&t);
    st_free(&f);
}

// One thread: optimizer_step_checked; two: the threaded check-then-commit update.
Test(net, fifty_trainer_sgd_steps_match_pytorch) { check_fifty_trainer_steps(1); }
Test(net, fifty_trainer_sgd_steps_on_two_threads_match_pytorch) { check_fifty_trainer_steps(2); }

// ---- finite differences over the whole net ------------------------------------------------

Test(net, gradient_matches_finite_differences) {
    StFile f;
    fixture_open(&f, "model_sgd50.safetensors");
    Net net;
    build(&net, false, 4);
    load_by_name(&net, net.params, &f, "init.");
    float x[4 * CIFAR_PIXELS];
    uint8_t labels[4];
    fixture_batch(&f, 1, x, labels);
    // float forward: smaller steps than 1e-3 drown in rounding noise (~1e-8 in the loss)
    NetFdOptions o = {.what = "net", .picks = 10, .eps = 1e-3f, .rtol = 2e-3, .atol = 1e-5};
    NetFdResult r = net_fd_check(&net, x, labels, 4, &o);
    cr_assert(r.checked >= 80, "only %d parameters away from kinks", r.checked);
    net_free(&net);
    st_free(&f);
}
