/* Scene kind "receptive_field": the pixels of a 32x32 CIFAR-10 image that can
 * influence one cell of a spatial layer (Conv2d, MaxPool2d, AvgPool2d) of the
 * chosen net (scene_build_net: CNNNet unless --net FILE), every such layer
 * before the first Flatten/Linear, with its module name from the net file.
 * A one-hot at that cell is sent backward with the engine's ops:
 * conv2d_backward with every weight 1 (any weight may be nonzero); a pooling
 * layer is the same all-ones window with its kernel, stride, padding and
 * dilation (any cell of a window may be its max, and an average reads them
 * all); the layers in between (ReLU, BatchNorm2d, Tanh, Dropout, ...) pass the
 * gradient through. The nonzero pixels are the receptive field; each counts
 * the paths from it to the cell. The size formula r_out = r_in + (k_eff − 1)·j_in,
 * j_out = j_in·s (k_eff = d·(k − 1) + 1) gives the same box (tests check it).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/net.h"
#include "lesson/scene_facts.h"
#include "lesson/scene_receptive_field.h"

static const char *const RF_KEYS[] = {"layer", "cell", NULL};

// The all-ones window of a conv or pool layer as a 1-channel Conv2d whose output is the
// layer's (out_h, out_w): a pool's ceil_mode becomes extra bottom/right padding.
static Conv2dConfig ones_window(const Layer *ly) {
    if (ly->kind == LAYER_CONV2D) {
        Conv2dConfig c = ly->conv;
        c.in_channels = c.out_channels = 1, c.groups = 1, c.has_bias = false;
        return c;
    }
    const Pool2dConfig *p = &ly->pool;
    Conv2dConfig c = conv2d_config(1, 1, p->kernel_h, p->kernel_w);
    c.has_bias = false;
    c.stride_h = p->stride_h, c.stride_w = p->stride_w;
    c.dilation_h = ly->kind == LAYER_MAXPOOL2D ? p->dilation_h : 1;
    c.dilation_w = ly->kind == LAYER_MAXPOOL2D ? p->dilation_w : 1;
    c.pad_top = p->pad_h, c.pad_left = p->pad_w;
    int eff_h = c.dilation_h * (c.kernel_h - 1) + 1, eff_w = c.dilation_w * (c.kernel_w - 1) + 1;
    int pb = (ly->out_h - 1) * c.stride_h + eff_h - ly->in_h - c.pad_top; // the last window's end
    int pr = (ly->out_w - 1) * c.stride_w + eff_w - ly->in_w - c.pad_left;
    c.pad_bottom = pb > 0 ? pb : 0, c.pad_right = pr > 0 ? pr : 0;
    return c;
}

static bool is_window_layer(const Layer *ly) {
    return ly->kind == LAYER_CONV2D || ly->kind == LAYER_MAXPOOL2D || ly->kind == LAYER_AVGPOOL2D;
}

// One layer backward on a 1-channel map: g (out_h, out_w) -> din (in_h, in_w), zeroed first.
static void layer_backward(float *din, const float *g, const Layer *ly) {
    memset(din, 0, sizeof(float) * (size_t)ly->in_h * ly->in_w);
    if (!is_window_layer(ly)) { // ReLU, BatchNorm2d, ... keep the map's shape and can pass anything
        memcpy(din, g, sizeof(float) * (size_t)ly->in_h * ly->in_w);
        return;
    }
    Conv2dConfig c = ones_window(ly);
    float *ones = cl_malloc(sizeof(float) * (size_t)(c.kernel_h * c.kernel_w));
    for (int i = 0; i < c.kernel_h * c.kernel_w; i++) ones[i] = 1.0f;
    float *x = cl_calloc((size_t)ly->in_h * ly->in_w, sizeof(float)); // din does not depend on x
    conv2d_backward(din, NULL, NULL, g, x, ones, &c, 1, ly->in_h, ly->in_w);
    free(x);
    free(ones);
}

// The one-hot at (cell) of the focus layer sent back to the input.
static void backward_one_hot(ReceptiveFieldScene *e, const Net *net) {
    int target = e->layers[e->layer].net_index;
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

// The spatial layers of the net in order (before the first Flatten, Linear or
// ConvTranspose2d), each with its size formula accumulated from the input.
static void list_layers(ReceptiveFieldScene *e, const Net *net) {
    int r_h = 1, r_w = 1, j_h = 1, j_w = 1, s0_h = 0, s0_w = 0;
    for (int i = 0; i < net->n_layers && e->n_layers < RF_MAX_LAYERS; i++) {
        const Layer *ly = &net->layers[i];
        if (ly->kind == LAYER_FLATTEN || ly->kind == LAYER_LINEAR || ly->kind == LAYER_CONV_TRANSPOSE2D) break;
        if (!is_window_layer(ly)) continue;
        RfLayer *r = &e->layers[e->n_layers++];
        snprintf(r->name, sizeof r->name, "%s", ly->name);
        r->kind = ly->kind == LAYER_CONV2D ? "Conv2d" : ly->kind == LAYER_MAXPOOL2D ? "MaxPool2d" : "AvgPool2d";
        r->net_index = i;
        r->out_c = ly->out_c, r->out_h = ly->out_h, r->out_w = ly->out_w;
        Conv2dConfig c = ones_window(ly);
        r->k_h = c.kernel_h, r->k_w = c.kernel_w, r->s_h = c.stride_h, r->s_w = c.stride_w;
        r->p_h = c.pad_top, r->p_w = c.pad_left, r->d_h = c.dilation_h, r->d_w = c.dilation_w;
        s0_h -= r->p_h * j_h, s0_w -= r->p_w * j_w;
        r_h += c.dilation_h * (c.kernel_h - 1) * j_h, r_w += c.dilation_w * (c.kernel_w - 1) * j_w;
        j_h *= c.stride_h, j_w *= c.stride_w;
        r->rf_h = r_h, r->rf_w = r_w, r->jump_h = j_h, r->jump_w = j_w, r->start_h = s0_h, r->start_w = s0_w;
    }
}

void rf_formula_box(const ReceptiveFieldScene *e, int i, int r, int c, int *y0, int *x0, int *h, int *w) {
    const RfLayer *ly = &e->layers[i];
    int a = ly->start_h + r * ly->jump_h, b = a + ly->rf_h - 1;
    int p = ly->start_w + c * ly->jump_w, q = p + ly->rf_w - 1;
    a = a < 0 ? 0 : a, p = p < 0 ? 0 : p, b = b > 31 ? 31 : b, q = q > 31 ? 31 : q;
    *y0 = a, *x0 = p, *h = b - a + 1, *w = q - p + 1;
}

// "5×5": a size, rows × columns.
static void size_text(char *buf, size_t n, int h, int w) { snprintf(buf, n, "%d\xC3\x97%d", h, w); }

// `layer = NAME | N | last`: a module name (its first spatial layer of that name), the N-th
// spatial layer (1-based) or the last. A name or number the chosen net (--net) does not have
// shows its last spatial layer and says so (the lesson was written for CNNNet).
static int read_layer(ReceptiveFieldScene *e, const Lesson *l, const LessonStep *st, bool net_chosen, ClError *err) {
    int line = 0;
    const char *v = lesson_get(st, "layer", &line);
    e->layer = 0;
    if (!v || !v[0]) return 0;
    if (strcmp(v, "last") == 0) { e->layer = e->n_layers - 1; return 0; }
    char *end;
    long k = strtol(v, &end, 10);
    if (end != v && !*end) {
        if (k >= 1 && k <= e->n_layers) { e->layer = (int)k - 1; return 0; }
    } else {
        for (int i = 0; i < e->n_layers; i++)
            if (strcmp(e->layers[i].name, v) == 0) { e->layer = i; return 0; }
    }
    if (net_chosen) {
        e->layer = e->n_layers - 1;
        snprintf(e->missing, sizeof e->missing, "%.31s", v);
        return 0;
    }
    char names[512] = "";
    for (int i = 0; i < e->n_layers; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", e->layers[i].name);
    return cl_fail(err, "%s:%d: layer = %s: expected a spatial layer of the net (%s), its number 1-%d, or last", l->path,
                   line, v, names, e->n_layers);
}

// "pool2: RF = 1 + (5 − 1)·1 + (2 − 1)·1 + (3 − 1)·2 + (2 − 1)·2 = 12" up to the focus
// layer (rows; k_eff for a dilated window), and where the cell's field lies.
static void write_formulas(Scene *sc, const ReceptiveFieldScene *e) {
    size_t n = 0, cap = sizeof sc->formula;
    const RfLayer *f = &e->layers[e->layer];
    n += (size_t)snprintf(sc->formula, cap, "%s: RF = 1", f->name);
    int j = 1;
    for (int i = 0; i <= e->layer && n < cap; i++) {
        const RfLayer *ly = &e->layers[i];
        n += (size_t)snprintf(sc->formula + n, cap - n, " + (%d \xE2\x88\x92 1)\xC2\xB7%d", ly->d_h * (ly->k_h - 1) + 1, j);
        j = ly->jump_h;
    }
    if (n < cap) snprintf(sc->formula + n, cap - n, " = " ROLE_KERNEL "%d" ROLE_PLAIN, f->rf_h);
    snprintf(sc->size_formula, sizeof sc->size_formula, "%s[%d,%d] \xE2\x86\x90 %s %d..%d, %s %d..%d", f->name, e->cell_r,
             e->cell_c, "rows", e->y0, e->y0 + e->h - 1, "cols", e->x0, e->x0 + e->w - 1);
}

// The name of the first layer with parameters after net layer i (what reads its
// output), or "the output".
static const char *next_learnable(const Net *net, int i) {
    for (int k = i + 1; k < net->n_layers; k++)
        if (net->layers[k].param_count > 0) return net->layers[k].name;
    return "the output";
}

// The numbers the lesson's texts name ({layer}, {field}, ...; scene_facts.h), from the
// focus layer and the one before it, so the text is true for any net.
static void record_facts(Scene *sc, const ReceptiveFieldScene *e, const Net *net) {
    const RfLayer *f = &e->layers[e->layer], *p = e->layer > 0 ? &e->layers[e->layer - 1] : NULL;
    char b[32];
    scene_fact(sc, "layer", "%s", f->name);
    scene_fact(sc, "kind", "%s", f->kind);
    size_text(b, sizeof b, f->out_h, f->out_w);
    scene_fact(sc, "map", "%s", b);
    scene_fact(sc, "shape", "%d\xC3\x97%d\xC3\x97%d", f->out_c, f->out_h, f->out_w);
    fmt_thousands(b, sizeof b, (long)f->out_c * f->out_h * f->out_w);
    scene_fact(sc, "numbers", "%s", b);
    size_text(b, sizeof b, f->k_h, f->k_w);
    scene_fact(sc, "kernel", "%s", b);
    scene_fact(sc, "keff", "%d", f->d_h * (f->k_h - 1) + 1);
    scene_fact(sc, "stride", "%d", f->s_h);
    scene_fact(sc, "rf", "%d", f->rf_h);
    size_text(b, sizeof b, f->rf_h, f->rf_w);
    scene_fact(sc, "field", "%s", b);
    size_text(b, sizeof b, e->h, e->w);
    scene_fact(sc, "measured", "%s", b);
    scene_fact(sc, "clip", "%d", f->rf_h - e->h); // formula rows that fall outside the picture (padding)
    scene_fact(sc, "jump", "%d", f->jump_h);
    scene_fact(sc, "jump_in", "%d", p ? p->jump_h : 1);
    scene_fact(sc, "prev", "%s", p ? p->name : "input");
    scene_fact(sc, "prev_rf", "%d", p ? p->rf_h : 1);
    scene_fact(sc, "prev_stride", "%d", p ? p->s_h : 1);
    scene_fact(sc, "grow", "%d", f->rf_h - (p ? p->rf_h : 1));
    scene_fact(sc, "overlap", "%d", f->rf_h - f->jump_h);
    scene_fact(sc, "next", "%s", next_learnable(net, f->net_index));
    scene_fact(sc, "first", "%s", e->layers[0].name);
}

static int rf_compute(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err) {
    if (scene_parse_show(l, st, SHOW_IMAGE | SHOW_FORMULA | SHOW_SIZE, &sc->show, err) != 0) return -1;
    if (scene_load_image(sc, l, st, env, err) != 0) return -1;
    ReceptiveFieldScene *e = cl_calloc(1, sizeof *e);
    sc->ext = e;
    sc->ext_free = free;
    Net net;
    if (scene_build_net(&net, env, 1, err) != 0) return -1;
    list_layers(e, &net);
    int rc = 0;
    if (e->n_layers == 0)
        rc = cl_fail(err, "%s:%d: the net has no Conv2d or pooling layer before its first Flatten/Linear: no receptive field to show",
                     l->path, st->line);
    if (rc == 0) rc = read_layer(e, l, st, env && env->net, err);
    if (rc != 0) { net_free(&net); return -1; }
    e->map_h = e->layers[e->layer].out_h, e->map_w = e->layers[e->layer].out_w;
    int line;
    const char *v = lesson_get(st, "cell", &line);
    e->cell_r = e->map_h / 2, e->cell_c = e->map_w / 2;
    if (v && (sscanf(v, "%d %d", &e->cell_r, &e->cell_c) != 2 || e->cell_r < 0 || e->cell_c < 0 ||
              e->cell_r >= e->map_h || e->cell_c >= e->map_w)) {
        net_free(&net);
        return cl_fail(err, "%s:%d: cell: expected 'ROW COL' inside %s's %dx%d map, got '%s'", l->path, line,
                       e->layers[e->layer].name, e->map_h, e->map_w, v);
    }
    backward_one_hot(e, &net);
    record_facts(sc, e, &net);
    net_free(&net);
    write_formulas(sc, e);
    return 0;
}

static void rf_dump(const Scene *sc, FILE *f) {
    const ReceptiveFieldScene *e = sc->ext;
    const RfLayer *fl = &e->layers[e->layer];
    for (int i = 0; i < e->n_layers; i++) {
        const RfLayer *r = &e->layers[i];
        fprintf(f, "rf_layer %s %s kernel %d %d stride %d %d padding %d %d dilation %d %d rf %d %d jump %d %d start %d %d\n",
                r->name, r->kind, r->k_h, r->k_w, r->s_h, r->s_w, r->p_h, r->p_w, r->d_h, r->d_w, r->rf_h, r->rf_w,
                r->jump_h, r->jump_w, r->start_h, r->start_w);
    }
    if (e->missing[0]) fprintf(f, "layer_missing %s\n", e->missing);
    fprintf(f, "layer %s map %dx%d cell %d %d\n", fl->name, e->map_h, e->map_w, e->cell_r, e->cell_c);
    int y0, x0, h, w;
    rf_formula_box(e, e->layer, e->cell_r, e->cell_c, &y0, &x0, &h, &w);
    fprintf(f, "field rows %d..%d cols %d..%d size %dx%d formula %d\n", e->y0, e->y0 + e->h - 1, e->x0, e->x0 + e->w - 1,
            e->h, e->w, fl->rf_h);
    fprintf(f, "formula_box rows %d..%d cols %d..%d size %dx%d\n", y0, y0 + h - 1, x0, x0 + w - 1, h, w);
    Grid g = {32, 32, (float *)e->paths};
    grid_dump("paths", &g, f);
}

static const SceneKind SCENE_RECEPTIVE_FIELD = {.name = "receptive_field", .keys = RF_KEYS, .compute = rf_compute, .dump = rf_dump};
SCENE_KIND_REGISTER(SCENE_RECEPTIVE_FIELD)
