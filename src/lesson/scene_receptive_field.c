/* Scene kind "receptive_field": the pixels of a 32x32 CIFAR-10 image that can
 * influence one cell of CNNNet's conv1, pool1, conv2 or pool2 (lesson 8's
 * network, its layer table from net_build_cnnnet). A one-hot at that cell is
 * sent backward with the engine's ops: conv2d_backward with every weight 1
 * (any weight may be nonzero) and, for max pooling, avgpool2d_backward scaled
 * by the window size (any cell of a window may be its max). The nonzero
 * pixels are the receptive field; each counts the paths from it to the cell.
 * The size formula r_out = r_in + (k − 1)·j_in, j_out = j_in·s gives the same size.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/net.h"
#include "lesson/scene_receptive_field.h"

static const char *const RF_KEYS[] = {"layer", "cell", NULL};
static const char *const RF_NAMES[] = {"conv1", "pool1", "conv2", "pool2", NULL};

// One layer backward on a 1-channel map: g (out_h, out_w) -> din (in_h, in_w), zeroed first.
static void layer_backward(float *din, const float *g, const Layer *ly) {
    memset(din, 0, sizeof(float) * (size_t)ly->in_h * ly->in_w);
    if (ly->kind == LAYER_CONV2D) {
        Conv2dConfig c = ly->conv;
        c.in_channels = c.out_channels = 1, c.groups = 1, c.has_bias = false;
        float ones[64];
        for (int i = 0; i < c.kernel_h * c.kernel_w; i++) ones[i] = 1.0f;
        float *x = cl_calloc((size_t)ly->in_h * ly->in_w, sizeof(float)); // din does not depend on x
        conv2d_backward(din, NULL, NULL, g, x, ones, &c, 1, ly->in_h, ly->in_w);
        free(x);
    } else if (ly->kind == LAYER_MAXPOOL2D) {
        avgpool2d_backward(din, g, &ly->pool, 1, 1, ly->in_h, ly->in_w);
        for (int i = 0; i < ly->in_h * ly->in_w; i++) din[i] *= (float)(ly->pool.kernel_h * ly->pool.kernel_w);
    } else {
        memcpy(din, g, sizeof(float) * (size_t)ly->in_h * ly->in_w); // ReLU can pass anything (x > 0)
    }
}

// The one-hot at (cell) of layer `target` (a net layer index) sent back to the input.
static void backward_one_hot(ReceptiveFieldScene *e, const Net *net, int target) {
    const Layer *t = &net->layers[target];
    float *g = cl_calloc((size_t)t->out_h * t->out_w, sizeof(float));
    g[e->cell_r * t->out_w + e->cell_c] = 1.0f;
    for (int i = target; i >= 0; i--) {
        const Layer *ly = &net->layers[i];
        float *din = cl_malloc(sizeof(float) * (size_t)ly->in_h * ly->in_w);
        layer_backward(din, g, ly);
        free(g);
        g = din;
    }
    memcpy(e->paths, g, sizeof e->paths);
    free(g);
    int y1 = -1, x1 = -1;
    e->y0 = e->x0 = 32;
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++)
            if (e->paths[y * 32 + x] > 0) {
                e->y0 = y < e->y0 ? y : e->y0, e->x0 = x < e->x0 ? x : e->x0;
                y1 = y > y1 ? y : y1, x1 = x > x1 ? x : x1;
            }
    e->h = y1 - e->y0 + 1, e->w = x1 - e->x0 + 1;
}

// "RF = 1 + (5 − 1)·1 + (2 − 1)·1 + (3 − 1)·2 + (2 − 1)·2 = 12" up to the focus layer.
static void size_formula(Scene *sc, const ReceptiveFieldScene *e) {
    size_t n = 0, cap = sizeof sc->formula;
    n += (size_t)snprintf(sc->formula, cap, "%s: RF = 1", RF_NAMES[e->layer]);
    int j = 1;
    for (int i = 0; i <= e->layer && n < cap; i++) {
        n += (size_t)snprintf(sc->formula + n, cap - n, " + (%d \xE2\x88\x92 1)\xC2\xB7%d", e->kernel[i], j);
        j *= e->stride[i];
    }
    if (n < cap) snprintf(sc->formula + n, cap - n, " = " ROLE_KERNEL "%d" ROLE_PLAIN, e->rf[e->layer]);
    snprintf(sc->size_formula, sizeof sc->size_formula, "%s[%d,%d] \xE2\x86\x90 %s %d..%d, %s %d..%d", RF_NAMES[e->layer],
             e->cell_r, e->cell_c, "rows", e->y0, e->y0 + e->h - 1, "cols", e->x0, e->x0 + e->w - 1);
}

static int rf_compute(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err) {
    if (scene_parse_show(l, st, SHOW_IMAGE | SHOW_FORMULA | SHOW_SIZE, &sc->show, err) != 0) return -1;
    if (scene_load_image(sc, l, st, env, err) != 0) return -1;
    ReceptiveFieldScene *e = cl_calloc(1, sizeof *e);
    sc->ext = e;
    sc->ext_free = free;
    if (lesson_get_choice(l, st, "layer", RF_NAMES, 0, &e->layer, err) != 0) return -1;
    Net net;
    if (net_build_cnnnet(&net, false, 1, err) != 0) return -1;
    // conv1 relu1 pool1 conv2 relu2 pool2: the spatial layers are 0, 2, 3, 5
    static const int SPATIAL[RF_LAYERS] = {0, 2, 3, 5};
    int r = 1, j = 1;
    for (int i = 0; i < RF_LAYERS; i++) {
        const Layer *ly = &net.layers[SPATIAL[i]];
        e->kernel[i] = ly->kind == LAYER_CONV2D ? ly->conv.kernel_h : ly->pool.kernel_h;
        e->stride[i] = ly->kind == LAYER_CONV2D ? ly->conv.stride_h : ly->pool.stride_h;
        r += (e->kernel[i] - 1) * j;
        e->jump[i] = j *= e->stride[i];
        e->rf[i] = r;
    }
    const Layer *t = &net.layers[SPATIAL[e->layer]];
    e->map_h = t->out_h, e->map_w = t->out_w;
    int line;
    const char *v = lesson_get(st, "cell", &line);
    e->cell_r = e->map_h / 2, e->cell_c = e->map_w / 2;
    if (v && (sscanf(v, "%d %d", &e->cell_r, &e->cell_c) != 2 || e->cell_r < 0 || e->cell_c < 0 ||
              e->cell_r >= e->map_h || e->cell_c >= e->map_w)) {
        net_free(&net);
        return cl_fail(err, "%s:%d: cell: expected 'ROW COL' inside %s's %dx%d map, got '%s'", l->path, line,
                       RF_NAMES[e->layer], e->map_h, e->map_w, v);
    }
    backward_one_hot(e, &net, SPATIAL[e->layer]);
    net_free(&net);
    size_formula(sc, e);
    return 0;
}

static void rf_dump(const Scene *sc, FILE *f) {
    const ReceptiveFieldScene *e = sc->ext;
    fprintf(f, "layer %s map %dx%d cell %d %d\n", RF_NAMES[e->layer], e->map_h, e->map_w, e->cell_r, e->cell_c);
    fprintf(f, "field rows %d..%d cols %d..%d size %dx%d formula %d\n", e->y0, e->y0 + e->h - 1, e->x0, e->x0 + e->w - 1,
            e->h, e->w, e->rf[e->layer]);
    Grid g = {32, 32, (float *)e->paths};
    grid_dump("paths", &g, f);
}

static const SceneKind SCENE_RECEPTIVE_FIELD = {.name = "receptive_field", .keys = RF_KEYS, .compute = rf_compute, .dump = rf_dump};
SCENE_KIND_REGISTER(SCENE_RECEPTIVE_FIELD)
