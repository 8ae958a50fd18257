/* Lessons 8-10's scene kinds (network, training_loop, tutorial_bugs) on a
 * small synthetic CIFAR set built in memory (no data files needed): the
 * shapes and parameter counts of CNNNet (conv1 -> 28, 76,922 in all), the
 * softmax summing to 1, the loss = mean of -log p[label], a named weight's
 * gradient and SGD step equal to the engine's own, the measured runs of
 * lesson 10 (mini-batches trained with the break, determinism, the same
 * numbers in the background and synchronously), and the errors with file:line.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/layers.h"
#include "engine/netfile.h"
#include "engine/safetensors.h"
#include "engine/optim.h"
#include "engine/trainer.h"
#include "lesson/lesson.h"
#include "lesson/netlesson.h"
#include "session/lesson_data.h"
#include "lesson/scene.h"
#include "lesson/scene_network.h"
#include "lesson/scene_training_loop.h"
#include "lesson/scene_tutorial_bugs.h"

static const char *HEADER = "title.en = T\ntitle.zh = 标题\n";

static void parse_ok(Lesson *l, const char *body) {
    static char text[8192];
    snprintf(text, sizeof text, "%s%s", HEADER, body);
    ClError err;
    cr_assert_eq(lesson_parse(l, "t.lesson", text, NULL, &err), 0, "%s", err.msg);
}

// A deterministic synthetic set: n images whose pixels depend on the label,
// so training has something to learn.
static void fill_set(CifarSet *s, int n, int salt) {
    s->n = n;
    s->labels = malloc((size_t)n);
    s->pixels = malloc((size_t)n * CIFAR_PIXELS);
    uint32_t r = 12345u + (uint32_t)salt;
    for (int i = 0; i < n; i++) {
        int lab = (i * 7 + salt) % CIFAR_CLASSES;
        s->labels[i] = (uint8_t)lab;
        for (int p = 0; p < CIFAR_PIXELS; p++) {
            r = r * 1664525u + 1013904223u;
            int ch = p / 1024, y = (p % 1024) / 32, x = p % 32;
            int base = ((lab * 25 + ch * 60 + (lab % 2 ? x : y) * 4) % 256);
            s->pixels[(size_t)i * CIFAR_PIXELS + p] = (uint8_t)((base + (int)(r >> 27)) % 256);
        }
    }
}

static Cifar *synthetic(int n_train, int n_test) {
    Cifar *c = calloc(1, sizeof *c);
    fill_set(&c->train, n_train, 1);
    fill_set(&c->test, n_test, 2);
    static const char *const NAMES[] = {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
    for (int k = 0; k < CIFAR_CLASSES; k++) snprintf(c->class_names[k], sizeof c->class_names[k], "%s", NAMES[k]);
    return c;
}

static void free_synthetic(Cifar *c) {
    cifar_free(c);
    free(c);
}

// The synchronous LessonData of --batch, over a folder without data_batch_1.bin
// (each Criterion test runs in its own process, which ends with the test).
static LessonData *sync_data(void) {
    static LessonData *d;
    if (!d) d = lesson_data_create("/nonexistent-convlab-dir", false);
    return d;
}

static SceneEnv env_with(const Cifar *c) {
    return (SceneEnv){.cifar = c, .data_hint = "no data", .window_override = -1, .data = sync_data()};
}

static void compute_ok(Scene *sc, const Lesson *l, int k, const SceneEnv *env) {
    ClError err;
    cr_assert_eq(scene_compute(sc, l, k, env, &err), 0, "%s", err.msg);
}

// ---- network (lesson 8) ---------------------------------------------------------

Test(lesson_network, shapes_formulas_and_parameter_counts_without_data) {
    Lesson l;
    parse_ok(&l, "[step]\nscene = network\nlayer = conv1\nimage = class:cat\n");
    SceneEnv env = env_with(NULL);
    Scene sc;
    compute_ok(&sc, &l, 0, &env);
    cr_assert(!sc.needs_data && !sc.error[0], "the table needs no data");
    const NetworkExt *e = sc.ext;
    cr_assert(e->no_data, "the maps say how to get the data");
    cr_assert(!e->have_acts);
    static const struct { const char *name; int c, h, w; long params; } WANT[] = {
        {"conv1", 8, 28, 28, 608}, {"relu1", 8, 28, 28, 0}, {"pool1", 8, 14, 14, 0}, {"conv2", 16, 12, 12, 1168},
        {"relu2", 16, 12, 12, 0}, {"pool2", 16, 6, 6, 0}, {"flatten", 576, 1, 1, 0}, {"fc1", 128, 1, 1, 73856},
        {"relu3", 128, 1, 1, 0}, {"fc2", 10, 1, 1, 1290},
    };
    cr_assert_eq(e->n_layers, 10);
    for (int i = 0; i < 10; i++) {
        const Layer *ly = &e->layers[i];
        cr_assert_str_eq(ly->name, WANT[i].name);
        cr_assert(ly->out_c == WANT[i].c && ly->out_h == WANT[i].h && ly->out_w == WANT[i].w, "%s: %dx%dx%d", ly->name,
                  ly->out_c, ly->out_h, ly->out_w);
        cr_assert_eq(ly->param_count, WANT[i].params, "%s params", ly->name);
    }
    cr_assert_eq(e->n_params, 76922);
    cr_assert_str_eq(e->size_formula[0], "⌊(32 − 5)/1⌋ + 1 = 28");
    cr_assert_str_eq(e->param_formula[0], "8·(3·5·5) + 8 = 608");
    cr_assert_str_eq(e->size_formula[2], "⌊(28 − 2)/2⌋ + 1 = 14");
    cr_assert_str_eq(e->param_formula[3], "16·(8·3·3) + 16 = 1,168");
    cr_assert_str_eq(e->size_formula[6], "16·6·6 = 576");
    cr_assert_str_eq(e->param_formula[7], "576·128 + 128 = 73,856");
    cr_assert_str_eq(e->total_formula, "608 + 1,168 + 73,856 + 1,290 = 76,922");
    char buf[2048];
    scene_strip_roles(buf, sizeof buf, sc.formula);
    cr_assert_str_eq(buf, "conv1: ⌊(32 − 5)/1⌋ + 1 = 28  →  8×28×28"); // C×H×W, as the texts
    char shape[48];
    network_shape_text(shape, sizeof shape, 16, 6, 6);
    cr_assert_str_eq(shape, "16×6×6");
    network_shape_text(shape, sizeof shape, 576, 1, 1);
    cr_assert_str_eq(shape, "576");
    scene_free(&sc);
    lesson_free(&l);
}

Test(lesson_network, activations_relu_pool_and_softmax) {
    Cifar *c = synthetic(8, 12);
    Lesson l;
    parse_ok(&l, "[step]\nscene = network\nlayer = fc2\nimage = 5\nextractor = true\n");
    SceneEnv env = env_with(c);
    Scene sc;
    compute_ok(&sc, &l, 0, &env);
    const NetworkExt *e = sc.ext;
    cr_assert(e->have_acts);
    // softmax of the logits sums to 1 and matches exp(z)/sum exp(z)
    const float *z = e->acts[10];
    double sum = 0, zmax = -INFINITY, den = 0;
    for (int k = 0; k < 10; k++) { sum += e->probs[k]; zmax = fmax(zmax, z[k]); }
    cr_assert_float_eq(sum, 1.0, 1e-5);
    for (int k = 0; k < 10; k++) den += exp(z[k] - zmax);
    for (int k = 0; k < 10; k++) cr_assert_float_eq(e->probs[k], exp(z[k] - zmax) / den, 1e-6);
    // relu1 = max(conv1, 0); pool1[c, y, x] = max of relu1's 2x2 block
    const float *conv1 = e->acts[1], *relu1 = e->acts[2], *pool1 = e->acts[3];
    for (long i = 0; i < e->acts_n[1]; i++) cr_assert_eq(relu1[i], conv1[i] > 0 ? conv1[i] : 0);
    for (int ch = 0; ch < 8; ch++)
        for (int y = 0; y < 14; y++)
            for (int x = 0; x < 14; x++) {
                const float *b = relu1 + ch * 784 + 2 * y * 28 + 2 * x;
                float m = fmaxf(fmaxf(b[0], b[1]), fmaxf(b[28], b[29]));
                cr_assert_eq(pool1[ch * 196 + y * 14 + x], m);
            }
    // the extractor has no ReLU: its output differs from the net's pool2 and can be negative
    cr_assert_eq(e->extract_n, 576);
    cr_assert_gt(e->extract_diff, 0);
    cr_assert_eq(sc.image_index, 5);
    cr_assert_eq(sc.image_label, c->test.labels[5]);
    scene_free(&sc);
    lesson_free(&l);
    free_synthetic(c);
}

Test(lesson_network, weights_seed_checkpoint_fallback_and_errors) {
    Cifar *c = synthetic(8, 12);
    Lesson l;
    parse_ok(&l, "[step]\nscene = network\nlayer = conv1\nimage = 0\nweights = init seed 0\n"
                 "[step]\nweights = init seed 3\n"
                 "[step]\nweights = checkpoint /nonexistent/trained.safetensors\n");
    SceneEnv env = env_with(c);
    Scene a, b, f;
    compute_ok(&a, &l, 0, &env);
    compute_ok(&b, &l, 1, &env);
    compute_ok(&f, &l, 2, &env);
    const NetworkExt *ea = a.ext, *eb = b.ext, *ef = f.ext;
    cr_assert_neq(memcmp(ea->acts[1], eb->acts[1], sizeof(float) * 6272), 0, "another seed, other weights");
    cr_assert(!ef->weights.from_checkpoint);
    cr_assert(ef->weights.fallback[0], "a missing checkpoint is said, not hidden");
    cr_assert_eq(memcmp(ea->acts[1], ef->acts[1], sizeof(float) * 6272), 0, "the fallback is init seed 0");
    scene_free(&a), scene_free(&b), scene_free(&f);
    lesson_free(&l);

    parse_ok(&l, "[step]\nscene = network\nweights = random\n[step]\nweights =\nlayer = conv9\n");
    Scene s;
    ClError err;
    cr_assert_eq(scene_compute(&s, &l, 0, &env, &err), -1);
    cr_assert(strstr(err.msg, "t.lesson:5: weights"), "%s", err.msg);
    scene_free(&s);
    cr_assert_eq(scene_compute(&s, &l, 1, &env, &err), -1);
    cr_assert(strstr(err.msg, "t.lesson:8: layer: unknown layer 'conv9'"), "%s", err.msg);
    scene_free(&s);
    lesson_free(&l);
    free_synthetic(c);
}

// ---- training_loop (lesson 9) ---------------------------------------------------------

Test(lesson_training_loop, loss_softmax_gradient_and_step_are_the_engines) {
    Cifar *c = synthetic(16, 12);
    Lesson l;
    parse_ok(&l, "[step]\nscene = training_loop\nphase = step\nbatch = 4\nparam = conv1.weight[2,1,3,4]\n");
    SceneEnv env = env_with(c);
    Scene sc;
    compute_ok(&sc, &l, 0, &env);
    const TrainLoopExt *e = sc.ext;
    cr_assert(e->from_train, "the mini-batch comes from the training images");
    double mean = 0;
    for (int i = 0; i < LOOP_BATCH; i++) {
        cr_assert_eq(e->index[i], 4 + i);
        cr_assert_eq(e->labels[i], c->train.labels[4 + i]);
        double s = 0;
        for (int k = 0; k < 10; k++) s += e->probs[i * 10 + k];
        cr_assert_float_eq(s, 1.0, 1e-5, "softmax row %d sums to %f", i, s);
        cr_assert_float_eq(e->nll[i], -log(e->probs[i * 10 + e->labels[i]]), 1e-5);
        mean += e->nll[i];
    }
    cr_assert_float_eq(e->loss, mean / 4, 1e-5, "the loss is the mean of -log p[label]");
    cr_assert_float_eq(e->loss, cross_entropy_forward(NULL, e->logits, e->labels, 4, 10), 1e-6);
    // the same mini-batch by hand with the engine: forward, backward, SGD
    Net net;
    ClError err;
    cr_assert_eq(net_build_cnnnet(&net, false, 4, &err), 0);
    net_init_params(&net, 0);
    float *in = malloc(sizeof(float) * 4 * CIFAR_PIXELS);
    uint8_t lab[4];
    int32_t idx[4] = {4, 5, 6, 7};
    cifar_normalize_batch(in, lab, &c->train, idx, 4);
    net_forward(&net, in, 4);
    net_backward(&net, lab, 4);
    long off = 2 * 75 + 1 * 25 + 3 * 5 + 4; // conv1.weight[2,1,3,4] in (8, 3, 5, 5)
    cr_assert_eq(e->w_before, net.params[off]);
    cr_assert_eq(e->grad, net.grads[off]);
    cr_assert_neq(e->grad, 0.0f);
    cr_assert_float_eq(e->w_after, e->w_before - 0.001f * e->grad, 1e-9, "first SGD step: w - lr*grad");
    cr_assert_eq(e->slice_at, 3 * 5 + 4);
    cr_assert_lt(e->loss_after, e->loss, "one small step down the gradient lowers this batch's loss");
    free(in);
    net_free(&net);
    scene_free(&sc);
    lesson_free(&l);
    free_synthetic(c);
}

Test(lesson_training_loop, test_images_without_a_training_file_and_errors) {
    Cifar *c = synthetic(0, 12); // only a test set, and data_dir has no data_batch_1.bin
    Lesson l;
    parse_ok(&l, "[step]\nscene = training_loop\nphase = loss\n[step]\nparam = conv1.weight[8,0,0,0]\n"
                 "[step]\nparam = conv1.weight[0,0,0,0]\nphase = later\n");
    SceneEnv env = env_with(c);
    Scene sc;
    compute_ok(&sc, &l, 0, &env);
    cr_assert(!((const TrainLoopExt *)sc.ext)->from_train, "falls back to the test set, and says so");
    scene_free(&sc);
    ClError err;
    cr_assert_eq(scene_compute(&sc, &l, 1, &env, &err), -1);
    cr_assert(strstr(err.msg, "t.lesson:7: param: 'conv1.weight[8,0,0,0]'"), "%s", err.msg);
    scene_free(&sc);
    cr_assert_eq(scene_compute(&sc, &l, 2, &env, &err), -1);
    cr_assert(strstr(err.msg, "t.lesson:10: phase"), "%s", err.msg);
    scene_free(&sc);
    SceneEnv none = env_with(NULL);
    compute_ok(&sc, &l, 0, &none);
    cr_assert(sc.needs_data, "without CIFAR-10 the step says how to get it");
    scene_free(&sc);
    lesson_free(&l);
    free_synthetic(c);
}

// ---- tutorial_bugs (lesson 10) --------------------------------------------------------

static const char *BUGS = "[step]\nscene = tutorial_bugs\nruns = break relu 1; relu 2; 1; 2\ntrain_images = 40\n"
                          "test_images = 20\nmeasured_epochs = 2\n";

Test(lesson_tutorial_bugs, runs_are_measured_with_the_trainer) {
    Cifar *c = synthetic(40, 20);
    Lesson l;
    parse_ok(&l, BUGS);
    SceneEnv env = env_with(c);
    Scene sc;
    compute_ok(&sc, &l, 0, &env);
    const BugsExt *e = sc.ext;
    cr_assert_eq(e->n_runs, 4);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(e->runs[i].state, MEASURE_DONE, "run %d: %s", i, e->runs[i].error);
        cr_assert(e->runs[i].accuracy >= 0 && e->runs[i].accuracy <= 100);
    }
    cr_assert_eq(e->runs[0].steps, 1, "the break stops each epoch after its first mini-batch");
    cr_assert_eq(e->runs[1].steps, 20, "2 epochs of 40 images in mini-batches of 4");
    cr_assert_eq(e->runs[2].steps, 10);
    cr_assert_eq(e->runs[3].steps, 20);
    // the same numbers as training by hand with the Trainer API and evaluate()
    TrainConfig cfg = train_config_default();
    cfg.epochs = 2;
    cfg.threads = 1;
    ClError err;
    Trainer t;
    cr_assert_eq(trainer_init(&t, &cfg, &c->train, &err), 0, "%s", err.msg);
    float loss;
    while (trainer_step(&t, &loss, &err) == 1) {}
    EvalResult ev;
    evaluate(&t.net, &c->test, 20, &ev);
    cr_assert_float_eq(e->runs[3].accuracy, ev.accuracy, 1e-9, "lesson %.2f vs trainer %.2f", e->runs[3].accuracy, ev.accuracy);
    trainer_free(&t);
    // recomputing the step gives the same numbers (cached or not, no history)
    Scene again;
    compute_ok(&again, &l, 0, &env);
    const BugsExt *e2 = again.ext;
    for (int i = 0; i < 4; i++) cr_assert_eq(e2->runs[i].accuracy, e->runs[i].accuracy);
    scene_free(&again);
    scene_free(&sc);
    lesson_free(&l);
    free_synthetic(c);
}

Test(lesson_tutorial_bugs, background_measurement_equals_the_synchronous_one) {
    Cifar *c = synthetic(40, 20);
    Cifar *copy = synthetic(40, 20); // the same data at other addresses: a separate cache entry
    Lesson l;
    parse_ok(&l, "[step]\nscene = tutorial_bugs\ntutorial_break = false\nrelu_logits = true\nepochs = 2\n"
                 "train_images = 40\ntest_images = 20\nmeasured_epochs = 2\nseed = 7\n");
    SceneEnv sync = env_with(copy);
    Scene want;
    compute_ok(&want, &l, 0, &sync);
    const BugsExt *w = want.ext;
    cr_assert(w->own_run);
    cr_assert_eq(w->runs[0].state, MEASURE_DONE);
    SceneEnv bg = env_with(c);
    bg.data = lesson_data_create("/nonexistent-convlab-dir", true); // the window's: a worker thread
    unsigned gen = lesson_data_generation(bg.data);
    Scene got;
    compute_ok(&got, &l, 0, &bg);
    cr_assert_eq(((const BugsExt *)got.ext)->runs[0].state, MEASURE_RUNNING, "the window does not wait");
    scene_free(&got);
    // wait (by time) for the worker
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        compute_ok(&got, &l, 0, &bg);
        if (((const BugsExt *)got.ext)->runs[0].state != MEASURE_RUNNING) break;
        scene_free(&got);
        clock_gettime(CLOCK_MONOTONIC, &now);
        cr_assert_lt(now.tv_sec - start.tv_sec, 60, "the background measurement never finished");
        struct timespec nap = {0, 20 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    // the last epoch's numbers are published a moment before the run is closed and the generation bumped
    while (lesson_data_generation(bg.data) == gen) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        cr_assert_lt(now.tv_sec - start.tv_sec, 60, "finishing must bump the generation the player polls");
        struct timespec nap = {0, 10 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    const BugsExt *g = got.ext;
    cr_assert_eq(g->runs[0].state, MEASURE_DONE);
    cr_assert_eq(g->runs[0].accuracy, w->runs[0].accuracy, "background %.2f vs now %.2f", g->runs[0].accuracy, w->runs[0].accuracy);
    cr_assert_eq(g->runs[0].steps, w->runs[0].steps);
    scene_free(&got);
    scene_free(&want);
    lesson_free(&l);
    lesson_data_free(bg.data); // joins the worker, which trains on its own copies
    free_synthetic(c);
    free_synthetic(copy);
}

Test(lesson_tutorial_bugs, errors_name_the_line_and_no_data_asks_for_it) {
    Lesson l;
    parse_ok(&l, "[step]\nscene = tutorial_bugs\nruns = break twice\n[step]\nruns = 3\nmeasured_epochs = 2\n"
                 "[step]\nruns = 1\n");
    Cifar *c = synthetic(8, 10);
    SceneEnv env = env_with(c);
    Scene sc;
    ClError err;
    cr_assert_eq(scene_compute(&sc, &l, 0, &env, &err), -1);
    cr_assert(strstr(err.msg, "t.lesson:5: runs: unknown word 'twice'"), "%s", err.msg);
    scene_free(&sc);
    cr_assert_eq(scene_compute(&sc, &l, 1, &env, &err), -1);
    cr_assert(strstr(err.msg, "more than measured_epochs"), "%s", err.msg);
    scene_free(&sc);
    SceneEnv none = env_with(NULL);
    compute_ok(&sc, &l, 2, &none);
    cr_assert(sc.needs_data);
    scene_free(&sc);
    lesson_free(&l);
    free_synthetic(c);
}

// ---- training_loop against PyTorch: one continuous loop ----------------------------------

// Lesson 9's loop on NAME's twin (tests/gen_lesson9_fixtures.py): images 0-7 are
// the netparity batches 0 and 1, the weights torch's init; the step with
// `after = 1` continues from the first step's weights and momentum buffer and
// matches torch.optim.SGD(lr=0.001, momentum=0.9) over the same two mini-batches.
static void check_loop_against_torch(const char *name) {
    StFile batches, ref;
    ClError err;
    char path[128];
    cr_assert_eq(st_read(&batches, "fixtures/netparity_batches.safetensors", &err), 0, "%s", err.msg);
    snprintf(path, sizeof path, "fixtures/lesson9_loop_%s.safetensors", name);
    cr_assert_eq(st_read(&ref, path, &err), 0, "%s", err.msg);
    const StTensor *px = st_find(&batches, "pixels"), *lab = st_find(&batches, "labels"), *tr = st_find(&ref, "track");
    cr_assert(px && lab && tr && st_numel(tr) == 14);
    Cifar *c = synthetic(8, 4);
    memcpy(c->train.pixels, px->data, (size_t)8 * CIFAR_PIXELS); // (batch, 4, 3, 32, 32): CIFAR's CHW per image
    memcpy(c->train.labels, lab->data, 8);
    NetSpec *spec = malloc(sizeof *spec);
    snprintf(path, sizeof path, "../assets/nets/%s.net", name);
    cr_assert_eq(netfile_load(spec, path, 4, &err), 0, "%s", err.msg);
    char body[512];
    snprintf(body, sizeof body, "[step]\nscene = training_loop\nphase = step\nbatch = 0\n"
             "weights = checkpoint fixtures/netparity_%s_init.safetensors\n[step]\nbatch = 4\nafter = 1\n", name);
    Lesson l;
    parse_ok(&l, body);
    SceneEnv env = env_with(c);
    env.net = strcmp(name, "cnnnet") ? spec : NULL;
    TrainLoopExt got[2];
    const float *want = tr->data;
    for (int k = 0; k < 2; k++) {
        Scene sc;
        compute_ok(&sc, &l, k, &env);
        got[k] = *(const TrainLoopExt *)sc.ext;
        scene_free(&sc);
        const TrainLoopExt *e = &got[k];
        const float *w = want + 7 * k;
        cr_assert(e->weights.from_checkpoint, "%s: %s", name, e->weights.fallback);
        cr_assert_eq(e->after, k);
        cr_assert_float_eq(e->loss, w[0], 2e-5, "%s step %d: loss %f vs torch %f", name, k, e->loss, w[0]);
        cr_assert_float_eq(e->loss_after, w[1], 2e-5, "%s step %d: loss after %f vs %f", name, k, e->loss_after, w[1]);
        cr_assert_float_eq(e->w_before, w[2], 1e-7, "%s step %d: before %.9f vs %.9f", name, k, e->w_before, w[2]);
        cr_assert_float_eq(e->grad, w[3], 2e-6, "%s step %d: grad %.9f vs %.9f", name, k, e->grad, w[3]);
        cr_assert_float_eq(e->v_prev, w[4], 2e-6, "%s step %d: v_prev %.9f vs %.9f", name, k, e->v_prev, w[4]);
        cr_assert_float_eq(e->v, w[5], 3e-6, "%s step %d: v %.9f vs %.9f", name, k, e->v, w[5]);
        cr_assert_float_eq(e->w_after, w[6], 1e-7, "%s step %d: after %.9f vs %.9f", name, k, e->w_after, w[6]);
    }
    cr_assert_eq(got[1].w_before, got[0].w_after, "the second mini-batch starts where the first step left the weight");
    cr_assert_eq(got[1].v_prev, got[0].v, "... and with its momentum buffer");
    cr_assert_neq(got[1].v, got[1].grad, "the momentum term is in the step");
    lesson_free(&l);
    free(spec);
    st_free(&ref);
    st_free(&batches);
    free_synthetic(c);
}

Test(lesson_training_loop, continues_as_pytorch_sgd_cnnnet) { check_loop_against_torch("cnnnet"); }
Test(lesson_training_loop, continues_as_pytorch_sgd_lenet5) { check_loop_against_torch("lenet5"); }

// A net without the step's param: its first conv/linear weight is followed, with a
// note; `after` needs the images before the batch.
Test(lesson_training_loop, user_net_without_the_param_and_after_errors) {
    Cifar *c = synthetic(12, 4);
    static const char NET[] = "(features): Conv2d(3, 4, 3, stride=2)\nReLU()\nFlatten()\n(head): Linear(4 * 15 * 15, 10)\n";
    NetSpec *spec = malloc(sizeof *spec);
    ClError err;
    cr_assert_eq(netfile_parse(spec, "mine.net", NET, 4, &err), 0, "%s", err.msg);
    Lesson l;
    parse_ok(&l, "[step]\nscene = training_loop\nphase = step\nbatch = 4\nafter = 1\n[step]\nbatch = 0\n");
    SceneEnv env = env_with(c);
    env.net = spec;
    Scene sc;
    compute_ok(&sc, &l, 0, &env);
    const TrainLoopExt *e = sc.ext;
    cr_assert_str_eq(e->param, "features.weight[0,0,0,0]");
    cr_assert(strstr(e->note, "conv1.weight[0,0,0,0]"), "%s", e->note);
    cr_assert_eq(e->slice_rows, 3);
    cr_assert_eq(e->n_params, 4 * 27 + 4 + 900 * 10 + 10);
    cr_assert_float_eq(e->v, 0.9f * e->v_prev + e->grad, 1e-8);
    scene_free(&sc);
    cr_assert_eq(scene_compute(&sc, &l, 1, &env, &err), -1);
    cr_assert(strstr(err.msg, "t.lesson:7: after = 1 needs 4 images before batch = 0"), "%s", err.msg);
    scene_free(&sc);
    lesson_free(&l);
    free(spec);
    free_synthetic(c);
}
