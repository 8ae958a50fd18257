/* Numbers of lessons 11 (conv_backward) and 12 (conv_transpose), the files in
 * lessons/: every dumped gradient equals conv2d_backward_reference run here
 * on the scene's own grids and PyTorch's gradients for the same grids
 * (fixtures convt_lesson11_step*, from tests/gen_convtranspose_fixtures.py);
 * dL/dinput equals the "full" grid convolved with the flipped kernel; each
 * formula's terms add up to the engine's value; the finite-difference step's
 * change is ε·gradient up to the squared loss's ε² term; lesson 12's outputs
 * equal PyTorch's ConvTranspose2d, step 1 reproduces lesson 11's dL/dinput,
 * an invalid live setting carries PyTorch's message; lesson 13 (pool_backward):
 * MaxPool2d/ReLU gradients equal PyTorch's and go to the argmax / x > 0 only; lesson 14:
 * the receptive field from a one-hot backward equals the size formula; lesson 15:
 * conv1's gradients are net_backward's; the largest passes a finite-difference check.
 */
#include <criterion/criterion.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/conv2d.h"
#include "lesson/adjust.h"
#include "lesson/lesson.h"
#include "lesson/scene.h"
#include "lesson/scene_conv_backward.h"
#include "lesson/scene_conv_transpose.h"
#include "lesson/scene_pool_backward.h"
#include "lesson/scene_receptive_field.h"
#include "lesson/scene_facts.h"
#include "lesson/scene_filter_grads.h"
#include "engine/net.h"
#include "testutil.h"

static Lesson L;

static void load(const char *name) {
    char path[256];
    ClError err;
    snprintf(path, sizeof path, "../lessons/%s", name);
    cr_assert_eq(lesson_load(&L, path, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(L.n_warnings, 0, "%s has warnings", name);
}

// Computes 1-based step k with an optional "key=value" override.
static int compute(Scene *sc, int k, const char *set) {
    SceneOverrides ov = {0};
    ClError err;
    if (set) cr_assert_eq(adjust_set_arg(&ov, set, &err), 0, "%s", err.msg);
    SceneEnv env = {.data_hint = "no data in tests", .window_override = -1, .overrides = &ov};
    return scene_compute(sc, &L, k - 1, &env, &err);
}

static bool same(const float *a, const float *b, long n, float tol, const char *what) {
    return allclose(a, b, n, tol, 0, what);
}

// The fixture's tensor `name` equals the grid (the lesson and the fixture still agree).
static void expect_fixture(const StFile *f, const char *name, const Grid *g, float tol, int step) {
    int64_t n;
    const float *want = fixture_f32(f, name, &n);
    char what[96];
    snprintf(what, sizeof what, "lesson 11 step %d %s vs PyTorch", step, name);
    cr_expect_eq(n, (int64_t)g->rows * g->cols, "%s: size %lld vs %dx%d", what, (long long)n, g->rows, g->cols);
    if (n == (int64_t)g->rows * g->cols) cr_expect(same(g->v, want, n, tol, what), "%s differs", what);
}

// One conv_backward step: the engine's gradients, recomputed and against PyTorch; full ⊛ flip; the terms.
static void check_backward_step(int k) {
    Scene sc;
    cr_assert_eq(compute(&sc, k, NULL), 0, "step %d: %s", k, sc.error);
    const ConvBackScene *e = sc.ext;
    int H = sc.input.rows, W = sc.input.cols;
    float *dx = calloc((size_t)H * W, sizeof(float)), *dk = calloc((size_t)sc.kernel.rows * sc.kernel.cols, sizeof(float));
    conv2d_backward_reference(dx, dk, NULL, e->dout.v, sc.input.v, sc.kernel.v, &sc.conv, 1, H, W);
    cr_expect(same(e->dkernel.v, dk, (long)sc.kernel.rows * sc.kernel.cols, 1e-5f, "dkernel"), "step %d: dkernel", k);
    cr_expect(same(e->dinput.v, dx, (long)H * W, 1e-5f, "dinput"), "step %d: dinput", k);
    // dL/dx = full ⊛ (kernel rotated 180°) with the conv's dilation, stride 1, no padding
    Conv2dConfig fc = conv2d_config(1, 1, sc.kernel.rows, sc.kernel.cols);
    fc.has_bias = false, fc.dilation_h = sc.conv.dilation_h, fc.dilation_w = sc.conv.dilation_w;
    float *viafull = malloc(sizeof(float) * (size_t)H * W);
    conv2d_forward_reference(viafull, e->full.v, e->kflip.v, NULL, &fc, 1, e->full.rows, e->full.cols);
    cr_expect(same(viafull, dx, (long)H * W, 1e-5f, "full conv"), "step %d: full ⊛ flipped kernel != dL/dx", k);
    if (e->n_terms && e->focus != CB_CHAIN) {
        double s = 0;
        for (int t = 0; t < e->n_terms; t++) s += (double)e->ta[t] * e->tb[t];
        cr_expect(fabs(s - e->value) < 1e-4, "step %d: terms add to %g, engine %g", k, s, (double)e->value);
    }
    char name[64];
    snprintf(name, sizeof name, "convt_lesson11_step%d.safetensors", k);
    StFile f;
    fixture_open(&f, name);
    expect_fixture(&f, "x", &sc.input, 0, k);
    expect_fixture(&f, "dout", &e->dout, 0, k);
    expect_fixture(&f, "out", &sc.output, 1e-5f, k);
    expect_fixture(&f, "dweight", &e->dkernel, 1e-5f, k);
    expect_fixture(&f, "dx", &e->dinput, 1e-5f, k);
    st_free(&f);
    free(dx), free(dk), free(viafull);
    scene_free(&sc);
}

Test(lesson11, every_gradient_is_conv2d_backward_and_pytorch) {
    load("11_conv_backward.lesson");
    int n_stride2 = 0, n_padded = 0;
    for (int k = 1; k <= L.n_steps; k++) {
        check_backward_step(k);
        Scene sc;
        compute(&sc, k, NULL);
        n_stride2 += sc.conv.stride_h == 2;
        n_padded += sc.conv.pad_top > 0;
        scene_free(&sc);
    }
    cr_expect_geq(L.n_steps, 3);
    cr_expect_geq(n_stride2, 1, "no step with stride 2");
    cr_expect_geq(n_padded, 1, "no step with padding");
    lesson_free(&L);
}

// The text's claim: the change agrees with ε·gradient to first order; for L = ½Σ(out − t)² the
// rest is exactly ½ε²·Σ x² over the input cells that multiply the nudged weight.
Test(lesson11, finite_difference_step) {
    load("11_conv_backward.lesson");
    int found = 0;
    for (int k = 1; k <= L.n_steps; k++) {
        Scene sc;
        compute(&sc, k, NULL);
        const ConvBackScene *e = sc.ext;
        if (e->focus == CB_FD) {
            found++;
            cr_expect(e->target.v != NULL, "the FD step should use the squared loss");
            double sx2 = 0;
            for (int oy = 0; oy < sc.output.rows; oy++)
                for (int ox = 0; ox < sc.output.cols; ox++) {
                    int iy = oy * sc.conv.stride_h - sc.conv.pad_top + e->cell_r, ix = ox * sc.conv.stride_w - sc.conv.pad_left + e->cell_c;
                    if (iy >= 0 && ix >= 0 && iy < sc.input.rows && ix < sc.input.cols) sx2 += pow(sc.input.v[iy * sc.input.cols + ix], 2);
                }
            double want = e->fd_predicted + 0.5 * (double)e->eps * e->eps * sx2;
            cr_expect(fabs(e->fd_change - want) < 1e-5, "change %g, ε·g + ½ε²Σx² = %g", (double)e->fd_change, want);
            cr_expect(fabs(e->fd_change - e->fd_predicted) < 0.2 * fabs(e->fd_predicted), "not first-order close");
            cr_expect(strstr(sc.formula, "L(k + ") != NULL, "formula: %s", sc.formula);
        }
        scene_free(&sc);
    }
    cr_expect_eq(found, 1);
    lesson_free(&L);
}

// Live stride/padding on the last step still give conv2d_backward's numbers.
Test(lesson11, live_parameters_recompute) {
    load("11_conv_backward.lesson");
    const char *sets[] = {"stride=2", "padding=2", "padding=1"};
    for (int i = 0; i < 3; i++) {
        Scene sc;
        cr_assert_eq(compute(&sc, L.n_steps, sets[i]), 0, "%s: %s", sets[i], sc.error);
        const ConvBackScene *e = sc.ext;
        int H = sc.input.rows, W = sc.input.cols;
        float *dx = calloc((size_t)H * W, sizeof(float));
        conv2d_backward_reference(dx, NULL, NULL, e->dout.v, sc.input.v, sc.kernel.v, &sc.conv, 1, H, W);
        cr_expect(same(e->dinput.v, dx, (long)H * W, 1e-5f, sets[i]), "%s: dinput", sets[i]);
        free(dx);
        scene_free(&sc);
    }
    lesson_free(&L);
}

// ---- lesson 12 -----------------------------------------------------------------------

Test(lesson12, outputs_are_pytorch_conv_transpose) {
    load("12_conv_transpose.lesson");
    int n_s2_op = 0;
    for (int k = 1; k <= L.n_steps; k++) {
        Scene sc;
        cr_assert_eq(compute(&sc, k, NULL), 0, "step %d: %s", k, sc.error);
        const ConvTransposeScene *e = sc.ext;
        cr_assert(!e->error[0], "step %d: %s", k, e->error);
        char name[64];
        snprintf(name, sizeof name, "convt_lesson12_step%d.safetensors", k);
        StFile f;
        fixture_open(&f, name);
        int64_t n;
        const float *want = fixture_f32(&f, "out", &n);
        cr_assert_eq(n, (int64_t)sc.output.rows * sc.output.cols, "step %d: output size", k);
        cr_expect(same(sc.output.v, want, n, 1e-5f, "lesson 12 output"), "step %d: output differs from PyTorch", k);
        // output = the full result with padding cropped
        for (int y = 0; y < sc.output.rows; y++)
            for (int x = 0; x < sc.output.cols; x++)
                cr_expect_float_eq(sc.output.v[y * sc.output.cols + x], e->full.v[(y + e->cfg.pad_h) * e->full.cols + x + e->cfg.pad_w],
                                   1e-6f, "step %d: crop at %d,%d", k, y, x);
        if (sc.win_oy >= 0) {
            double s = 0;
            for (int t = 0; t < e->n_terms; t++) s += (double)e->tx[t] * e->tk[t];
            cr_expect(fabs(s - sc.window_value) < 1e-5, "step %d: window terms %g vs %g", k, s, (double)sc.window_value);
        }
        n_s2_op += e->cfg.stride_h == 2 && e->cfg.out_pad_h > 0;
        st_free(&f);
        scene_free(&sc);
    }
    cr_expect_geq(n_s2_op, 1, "no step with stride 2 and output_padding");
    lesson_free(&L);
}

// Step 1's text: its output is lesson 11's dL/dinput (the dinput step's numbers).
Test(lesson12, step1_is_lesson11_dinput) {
    load("11_conv_backward.lesson");
    Scene b;
    cr_assert_eq(compute(&b, 5, NULL), 0, "%s", b.error);
    const ConvBackScene *e = b.ext;
    cr_assert_eq(e->focus, CB_DINPUT);
    Grid dx = grid_alloc(e->dinput.rows, e->dinput.cols), dout = grid_alloc(e->dout.rows, e->dout.cols);
    memcpy(dx.v, e->dinput.v, sizeof(float) * (size_t)dx.rows * dx.cols);
    memcpy(dout.v, e->dout.v, sizeof(float) * (size_t)dout.rows * dout.cols);
    Grid k11 = grid_alloc(b.kernel.rows, b.kernel.cols);
    memcpy(k11.v, b.kernel.v, sizeof(float) * (size_t)k11.rows * k11.cols);
    scene_free(&b);
    lesson_free(&L);
    load("12_conv_transpose.lesson");
    Scene t;
    cr_assert_eq(compute(&t, 1, NULL), 0, "%s", t.error);
    cr_expect(same(t.input.v, dout.v, (long)dout.rows * dout.cols, 0, "input = lesson 11's dL/dout"), "input");
    cr_expect(same(t.kernel.v, k11.v, (long)k11.rows * k11.cols, 0, "kernel = lesson 11's kernel"), "kernel");
    cr_assert(t.output.rows == dx.rows && t.output.cols == dx.cols, "output %dx%d", t.output.rows, t.output.cols);
    cr_expect(same(t.output.v, dx.v, (long)dx.rows * dx.cols, 1e-5f, "output = lesson 11's dL/dx"), "output");
    scene_free(&t);
    grid_free(&dx), grid_free(&dout), grid_free(&k11);
    lesson_free(&L);
}

// The live step: output_padding = stride and too much padding give PyTorch's messages in place.
Test(lesson12, invalid_live_settings_show_pytorch_errors) {
    load("12_conv_transpose.lesson");
    Scene sc;
    cr_assert_eq(compute(&sc, L.n_steps, "output_padding=2"), 0, "%s", sc.error);
    const ConvTransposeScene *e = sc.ext;
    cr_expect(strstr(e->error, "output padding must be smaller than either stride or dilation") != NULL, "%s", e->error);
    cr_expect_eq(sc.output.rows, 0);
    scene_free(&sc);
    cr_assert_eq(compute(&sc, L.n_steps, "padding=4"), 0, "%s", sc.error);
    e = sc.ext;
    cr_expect(strstr(e->error, "Output size is too small") != NULL, "padding 4: %s", e->error);
    scene_free(&sc);
    lesson_free(&L);
}

// ---- lesson 13 -----------------------------------------------------------------------

// Every step's ∂L/∂x equals PyTorch's for the same grids (MaxPool2d or ReLU), and the
// claims: max-pool gradients land on argmax cells only; ReLU passes none where x <= 0.
Test(lesson13, pool_and_relu_gradients_are_pytorch) {
    load("13_pool_relu_backward.lesson");
    int n_relu = 0, n_overlap_sum = 0;
    for (int k = 1; k <= L.n_steps; k++) {
        Scene sc;
        cr_assert_eq(compute(&sc, k, NULL), 0, "step %d: %s", k, sc.error);
        const PoolBackScene *e = sc.ext;
        char name[64];
        snprintf(name, sizeof name, "convt_lesson13_step%d.safetensors", k);
        StFile f;
        fixture_open(&f, name);
        int64_t n;
        const float *x = fixture_f32(&f, "x", &n), *dx = fixture_f32(&f, "dx", NULL);
        int HW = sc.input.rows * sc.input.cols;
        cr_assert_eq(n, HW, "step %d: input size", k);
        cr_expect(same(sc.input.v, x, HW, 0, "input"), "step %d: the lesson's input changed; regenerate the fixtures", k);
        cr_expect(same(e->dinput.v, dx, HW, 1e-6f, "dinput vs PyTorch"), "step %d: dL/dx differs from PyTorch", k);
        for (int i = 0; i < HW; i++) {
            bool is_arg = false;
            for (int j = 0; sc.indices && j < sc.output.rows * sc.output.cols; j++) is_arg |= sc.indices[j] == i;
            if (e->op == PB_MAXPOOL && !is_arg) cr_expect_float_eq(e->dinput.v[i], 0, 0, "step %d: gradient off the argmax at %d", k, i);
            if (e->op == PB_RELU && sc.input.v[i] <= 0) cr_expect_float_eq(e->dinput.v[i], 0, 0, "step %d: ReLU passed at x <= 0", k);
        }
        n_relu += e->op == PB_RELU;
        if (e->op == PB_MAXPOOL && e->cell_r >= 0 && e->n_receivers > 1) {
            double s = 0; // the overlapping step's claim: the winner gets the sum of its windows' gradients
            for (int j = 0; j < sc.output.rows * sc.output.cols; j++)
                if (sc.indices[j] == e->arg_r * sc.input.cols + e->arg_c) s += e->dout.v[j];
            cr_expect_float_eq(e->dinput.v[e->arg_r * sc.input.cols + e->arg_c], (float)s, 1e-6f, "step %d: sum", k);
            n_overlap_sum++;
        }
        st_free(&f);
        scene_free(&sc);
    }
    cr_expect_geq(n_relu, 1);
    cr_expect_geq(n_overlap_sum, 1, "no step where one input wins several windows");
    lesson_free(&L);
}

// ---- lesson 14 -----------------------------------------------------------------------

// The field found by the engine's backward of a one-hot equals the size formula
// (5, 6, 10, 12 for CNNNet's conv1, pool1, conv2, pool2) and sits where the cell's windows start.
Test(lesson14, backward_field_is_the_size_formula) {
    load("14_receptive_field.lesson");
    const int want[4] = {5, 6, 10, 12}, jump[4] = {1, 2, 2, 4};
    const char *names[4] = {"conv1", "pool1", "conv2", "pool2"};
    int seen = 0;
    for (int k = 1; k <= L.n_steps; k++) {
        Scene sc;
        cr_assert_eq(compute(&sc, k, NULL), 0, "step %d: %s", k, sc.error);
        const ReceptiveFieldScene *e = sc.ext;
        cr_assert_not_null(e);
        cr_assert_eq(e->n_layers, 4, "CNNNet has 4 spatial layers, the scene lists %d", e->n_layers);
        const RfLayer *f = &e->layers[e->layer];
        cr_expect_str_eq(f->name, names[e->layer]);
        cr_expect_eq(f->rf_h, want[e->layer], "step %d: formula %d", k, f->rf_h);
        cr_expect(e->h == want[e->layer] && e->w == want[e->layer], "step %d: backward field %dx%d, want %d", k, e->h, e->w, want[e->layer]);
        cr_expect(e->y0 == e->cell_r * jump[e->layer] && e->x0 == e->cell_c * jump[e->layer], "step %d: field at %d,%d", k, e->y0, e->x0);
        for (int y = 0; y < 32; y++) // every pixel inside the box is reached, none outside
            for (int x = 0; x < 32; x++) {
                bool in = y >= e->y0 && y < e->y0 + e->h && x >= e->x0 && x < e->x0 + e->w;
                cr_expect_eq(e->paths[y * 32 + x] > 0, in, "step %d: pixel %d,%d", k, y, x);
            }
        seen |= 1 << e->layer;
        scene_free(&sc);
    }
    cr_expect_eq(seen, 15, "lesson 14 should show conv1, pool1, conv2 and pool2");
    lesson_free(&L);
}

// Every shipped net (assets/nets/*.net), every spatial layer, the centre and the four
// corner cells: the one-hot backward's box is the formula's (start + c·j, size r, clipped
// to the picture: padding puts part of a corner cell's field outside it).
Test(lesson14, every_net_every_layer_backward_is_the_formula, .timeout = 120) {
    load("14_receptive_field.lesson");
    glob_t g;
    cr_assert_eq(glob("../assets/nets/*.net", 0, NULL, &g), 0);
    cr_assert_geq(g.gl_pathc, 5);
    int checked = 0;
    for (size_t n = 0; n < g.gl_pathc; n++) {
        static NetSpec spec;
        ClError err;
        cr_assert_eq(netfile_load(&spec, g.gl_pathv[n], 1, &err), 0, "%s", err.msg);
        for (int i = 0;; i++) {
            int cells[5][2] = {{-1, -1}, {0, 0}, {0, 1 << 20}, {1 << 20, 0}, {1 << 20, 1 << 20}};
            int n_layers = 0;
            for (int c = 0; c < 5; c++) {
                SceneOverrides ov = {0};
                char v[32];
                snprintf(v, sizeof v, "layer=%d", i + 1);
                cr_assert_eq(adjust_set_arg(&ov, v, &err), 0);
                SceneEnv env = {.data_hint = "no data in tests", .window_override = -1, .overrides = &ov, .net = &spec};
                Scene sc;
                if (c > 0) { // the corner: clamp to the map once its size is known
                    cr_assert_eq(scene_compute(&sc, &L, 0, &env, &err), 0, "%s", err.msg);
                    const ReceptiveFieldScene *e0 = sc.ext;
                    snprintf(v, sizeof v, "cell=%d %d", cells[c][0] ? e0->map_h - 1 : 0, cells[c][1] ? e0->map_w - 1 : 0);
                    scene_free(&sc);
                    cr_assert_eq(adjust_set_arg(&ov, v, &err), 0);
                }
                cr_assert_eq(scene_compute(&sc, &L, 0, &env, &err), 0, "%s layer %d: %s", g.gl_pathv[n], i + 1, err.msg);
                const ReceptiveFieldScene *e = sc.ext;
                n_layers = e->n_layers;
                cr_assert_eq(e->layer, i < n_layers ? i : n_layers - 1);
                int y0, x0, h, w;
                rf_formula_box(e, e->layer, e->cell_r, e->cell_c, &y0, &x0, &h, &w);
                cr_expect(e->y0 == y0 && e->x0 == x0 && e->h == h && e->w == w,
                          "%s %s cell %d,%d: backward rows %d+%d cols %d+%d, formula rows %d+%d cols %d+%d", g.gl_pathv[n],
                          e->layers[e->layer].name, e->cell_r, e->cell_c, e->y0, e->h, e->x0, e->w, y0, h, x0, w);
                cr_expect_str_eq(scene_fact_get(&sc, "layer"), e->layers[e->layer].name);
                checked++;
                scene_free(&sc);
            }
            if (i + 1 >= n_layers) break;
        }
    }
    cr_log_info("lesson 14: %d fields checked against the formula", checked);
    cr_expect_geq(checked, 5 * (4 + 4 + 5 + 6 + 4));
    globfree(&g);
    lesson_free(&L);
}

// ---- lesson 15 -----------------------------------------------------------------------

// A tiny deterministic "CIFAR" (random pixels): the scene's training images without the data files.
static Cifar *tiny_cifar(void) {
    static Cifar c;
    static bool made;
    if (made) return &c;
    uint64_t s = 12345;
    CifarSet *sets[2] = {&c.train, &c.test};
    for (int k = 0; k < 2; k++) {
        CifarSet *t = sets[k];
        t->n = 8;
        t->labels = malloc(8);
        t->pixels = malloc((size_t)8 * CIFAR_PIXELS);
        for (int i = 0; i < 8; i++) t->labels[i] = (uint8_t)((i * 7 + k) % CIFAR_CLASSES);
        for (long i = 0; i < 8L * CIFAR_PIXELS; i++) { s = s * 6364136223846793005ull + 1442695040888963407ull; t->pixels[i] = (uint8_t)(s >> 56); }
    }
    made = true;
    return &c;
}

// The scene's first-conv gradients are net_backward's for the same 4 images, and a central
// finite difference of the network's loss agrees with the largest of them: CNNNet's conv1
// (8 filters of 3x5x5) and, with --net, the small VGG's (16 of 3x3x3, no bias) and LeNet-5's.
static void check_first_conv_gradients(const char *net_file, const char *want_layer, int want_filters, int want_k) {
    load("15_conv1_gradients.lesson");
    Cifar *cf = tiny_cifar();
    static NetSpec spec;
    ClError err;
    if (net_file) cr_assert_eq(netfile_load(&spec, net_file, 1, &err), 0, "%s", err.msg);
    SceneEnv env = {.cifar = cf, .data_hint = "", .window_override = -1, .net = net_file ? &spec : NULL};
    Scene sc;
    cr_assert_eq(scene_compute(&sc, &L, 0, &env, &err), 0, "%s", err.msg);
    const FilterGradsExt *e = sc.ext;
    cr_assert(e->from_train && e->first == 0);
    cr_expect_str_eq(e->layer, want_layer);
    cr_expect_str_eq(scene_fact_get(&sc, "layer"), want_layer);
    cr_assert_eq(e->n_filters, want_filters);
    cr_assert(e->k_h == want_k && e->k_w == want_k && e->slices == 3 && e->taps == 3 * want_k * want_k);
    Net net;
    cr_assert_eq(scene_build_net(&net, &env, FG_BATCH, &err), 0, "%s", err.msg);
    net_init_params(&net, 0);
    const Layer *c1 = net_find_layer(&net, want_layer);
    long n = (long)e->n_filters * e->taps;
    cr_expect(same(e->w, net.params + c1->weight_offset, n, 0, "weight"), "weights differ from init seed 0");
    int32_t idx[FG_BATCH] = {0, 1, 2, 3};
    uint8_t labels[FG_BATCH];
    float *x = malloc(sizeof(float) * FG_BATCH * CIFAR_PIXELS);
    cifar_normalize_batch(x, labels, &cf->train, idx, FG_BATCH);
    net_forward(&net, x, FG_BATCH);
    float loss = net_loss(&net, labels, FG_BATCH, NULL);
    net_backward(&net, labels, FG_BATCH);
    cr_expect_float_eq(e->loss, loss, 1e-6f);
    cr_expect(same(e->g, net.grads + c1->weight_offset, n, 0, "grad"), "gradients differ from net_backward");
    // the largest gradient entry (float loss: small entries drown in rounding; test_net checks the rest)
    int big = 0;
    for (int i = 1; i < n; i++) big = fabsf(e->g[i]) > fabsf(e->g[big]) ? i : big;
    float *w = net.params + c1->weight_offset + big, w0 = *w, eps = 3e-3f;
    *w = w0 + eps;
    net_forward(&net, x, FG_BATCH);
    double lp = net_loss(&net, labels, FG_BATCH, NULL);
    *w = w0 - eps;
    net_forward(&net, x, FG_BATCH);
    double lm = net_loss(&net, labels, FG_BATCH, NULL);
    *w = w0;
    double fd = (lp - lm) / (2 * eps), g = e->g[big];
    cr_log_info("lesson 15 %s FD of %s.weight flat %d: %g, gradient %g", net_file ? net_file : "cnnnet", want_layer, big, fd, g);
    cr_expect(fabs(fd - g) <= 0.05 * fabs(g), "weight %d: finite difference %g, gradient %g", big, fd, g);
    free(x);
    net_free(&net);
    scene_free(&sc);
    lesson_free(&L);
}

Test(lesson15, conv1_gradients_are_the_nets_and_pass_fd) { check_first_conv_gradients(NULL, "conv1", 8, 5); }
Test(lesson15, small_vgg_first_conv_gradients) { check_first_conv_gradients("../assets/nets/small_vgg.net", "conv1", 16, 3); }
Test(lesson15, lenet5_first_conv_gradients) { check_first_conv_gradients("../assets/nets/lenet5.net", "conv1", 6, 5); }
