/* Scene kind "pool_backward": the backward pass of MaxPool2d or ReLU on one
 * plane. MaxPool2d: out and the argmax from maxpool2d_forward (return_indices),
 * ∂L/∂x from maxpool2d_backward: each window's ∂L/∂out goes to its argmax
 * only, and an input cell that wins several windows receives their sum.
 * ReLU: out = relu_forward(x), ∂L/∂x = relu_backward: ∂L/∂out where x > 0, else 0.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/layers.h"
#include "engine/pool2d.h"
#include "lesson/scene_pool_backward.h"

static const char *const PB_KEYS[] = {"op", "kernel_size", "stride", "dout", "cell", NULL};
static const char *const OP_NAMES[] = {"maxpool", "relu", NULL};

static void pb_free(void *p) {
    PoolBackScene *e = p;
    grid_free(&e->dout);
    grid_free(&e->dinput);
    free(e);
}

// "R C" inside rows x cols (clamped after live changes), absent -> -1.
static int parse_cell(const Lesson *l, const LessonStep *st, int rows, int cols, bool clamp, int *r, int *c, ClError *err) {
    int line;
    const char *v = lesson_get(st, "cell", &line);
    *r = *c = -1;
    if (!v || strcmp(v, "none") == 0) return 0;
    if (sscanf(v, "%d %d", r, c) != 2) return cl_fail(err, "%s:%d: cell: expected 'ROW COL' or 'none', got '%s'", l->path, line, v);
    if (clamp) { *r = *r < rows ? *r : rows - 1; *c = *c < cols ? *c : cols - 1; }
    if (*r < 0 || *c < 0 || *r >= rows || *c >= cols)
        return cl_fail(err, "%s:%d: cell %d %d is outside the %dx%d grid; expected row 0..%d, col 0..%d", l->path, line, *r,
                       *c, rows, cols, rows - 1, cols - 1);
    return 0;
}

// ∂L/∂out from the `dout` key (must match the output; a live change keeps what fits, ones elsewhere).
static int read_dout(Scene *sc, PoolBackScene *e, const Lesson *l, const LessonStep *st, ClError *err) {
    int OH = sc->output.rows, OW = sc->output.cols, line = st->line;
    Grid g = {0};
    if (lesson_get(st, "dout", &line)) {
        if (lesson_get_grid(l, st, "dout", &g.v, &g.rows, &g.cols, err) != 0) return -1;
        if ((g.rows != OH || g.cols != OW) && !sc->adjusted) {
            int gr = g.rows, gc = g.cols;
            grid_free(&g);
            return cl_fail(err, "%s:%d: dout is %dx%d but the output is %dx%d; give one number per output cell", l->path,
                           line, gr, gc, OH, OW);
        }
    }
    e->dout = grid_alloc(OH, OW);
    for (int y = 0; y < OH; y++)
        for (int x = 0; x < OW; x++)
            e->dout.v[y * OW + x] = (g.v && y < g.rows && x < g.cols) ? g.v[y * g.cols + x] : 1.0f;
    grid_free(&g);
    return 0;
}

// MaxPool2d forward with indices, the size formula; an invalid live setting keeps PyTorch's message.
static int maxpool_forward(Scene *sc, PoolBackScene *e, const Lesson *l, const LessonStep *st, ClError *err) {
    int kh, kw, sh, sw, H = sc->input.rows, W = sc->input.cols, OH, OW;
    if (lesson_get_int2(l, st, "kernel_size", 2, 1, 8, &kh, &kw, err) != 0) return -1;
    if (lesson_get_int2(l, st, "stride", 0, 1, 8, &sh, &sw, err) != 0) return -1;
    Pool2dConfig c = pool2d_config(kh, kw);
    if (sh > 0) c.stride_h = sh, c.stride_w = sw; // absent: PyTorch's stride = kernel_size
    sc->pool = c;
    ClError pe;
    if (maxpool2d_output_size(&c, H, W, &OH, &OW, &pe) != 0) {
        if (!sc->adjusted) return cl_fail(err, "%s:%d: %s", l->path, st->line, pe.msg);
        snprintf(e->error, sizeof e->error, "%s", pe.msg);
        return 1;
    }
    sc->output = grid_alloc(OH, OW);
    sc->indices = cl_malloc(sizeof(int32_t) * (size_t)OH * OW);
    maxpool2d_forward(sc->output.v, sc->indices, sc->input.v, &c, 1, 1, H, W);
    scene_size_formula(sc->size_formula, sizeof sc->size_formula, H, W, 0, 0, 0, 0, kh, kw, c.stride_h, c.stride_w, 1, 1, OH, OW);
    return 0;
}

static int pb_compute(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err) {
    if (scene_parse_show(l, st, SHOW_INPUT | SHOW_OUTPUT | SHOW_FORMULA | SHOW_SIZE, &sc->show, err) != 0) return -1;
    if (scene_load_input(sc, l, st, env, true, err) != 0) return -1;
    if (sc->input.rows > 12 || sc->input.cols > 12)
        return cl_fail(err, "%s:%d: pool_backward: input %dx%d is larger than 12x12", l->path, st->line, sc->input.rows, sc->input.cols);
    PoolBackScene *e = cl_calloc(1, sizeof *e);
    sc->ext = e;
    sc->ext_free = pb_free;
    int op;
    if (lesson_get_choice(l, st, "op", OP_NAMES, PB_MAXPOOL, &op, err) != 0) return -1;
    e->op = (PoolBackOp)op;
    int H = sc->input.rows, W = sc->input.cols;
    if (e->op == PB_MAXPOOL) {
        int rc = maxpool_forward(sc, e, l, st, err);
        if (rc != 0) return rc < 0 ? -1 : 0;
    } else {
        sc->output = grid_alloc(H, W);
        relu_forward(sc->output.v, sc->input.v, (long)H * W);
    }
    if (read_dout(sc, e, l, st, err) != 0) return -1;
    e->dinput = grid_alloc(H, W);
    int OH = sc->output.rows, OW = sc->output.cols;
    if (e->op == PB_MAXPOOL) maxpool2d_backward(e->dinput.v, e->dout.v, sc->indices, 1, 1, H, W, OH, OW);
    else relu_backward(e->dinput.v, e->dout.v, sc->output.v, (long)H * W);
    if (parse_cell(l, st, OH, OW, sc->adjusted, &e->cell_r, &e->cell_c, err) != 0) return -1;
    if (e->cell_r < 0) return 0;
    char a[32], b[32];
    int i = e->cell_r * OW + e->cell_c;
    if (e->op == PB_RELU) { // "x[1,2] = −3 ≤ 0 → ∂L/∂x[1,2] = 0"
        float x = sc->input.v[i];
        scene_fmt(a, sizeof a, x, grid_decimals(&sc->input));
        scene_fmt(b, sizeof b, e->dinput.v[i], grid_decimals(&e->dinput));
        snprintf(sc->formula, sizeof sc->formula, ROLE_INPUT "x[%d,%d] = %s" ROLE_PLAIN " %s 0  \xE2\x86\x92  " ROLE_INPUT
                 "\xE2\x88\x82L/\xE2\x88\x82x[%d,%d]" ROLE_PLAIN " = %s" ROLE_INPUT "%s" ROLE_PLAIN, e->cell_r, e->cell_c, a,
                 x > 0 ? ">" : "\xE2\x89\xA4", e->cell_r, e->cell_c, x > 0 ? ROLE_OUTPUT "\xE2\x88\x82L/\xE2\x88\x82out" ROLE_PLAIN " = " : "", b);
        return 0;
    }
    int idx = sc->indices[i];
    e->arg_r = idx / W, e->arg_c = idx % W;
    for (int j = 0; j < OH * OW; j++) e->n_receivers += sc->indices[j] == idx;
    scene_fmt(a, sizeof a, sc->output.v[i], grid_decimals(&sc->output));
    scene_fmt(b, sizeof b, e->dout.v[i], grid_decimals(&e->dout));
    // "max = x[1,0] = 7  →  ∂L/∂x[1,0] += ∂L/∂out[0,0] = 2; the other cells of the window get 0"
    snprintf(sc->formula, sizeof sc->formula, "max = " ROLE_INPUT "x[%d,%d]" ROLE_PLAIN " = %s  \xE2\x86\x92  " ROLE_INPUT
             "\xE2\x88\x82L/\xE2\x88\x82x[%d,%d]" ROLE_PLAIN " += " ROLE_OUTPUT "\xE2\x88\x82L/\xE2\x88\x82out[%d,%d] = %s" ROLE_PLAIN,
             e->arg_r, e->arg_c, a, e->arg_r, e->arg_c, e->cell_r, e->cell_c, b);
    return 0;
}

static void pb_dump(const Scene *sc, FILE *f) {
    const PoolBackScene *e = sc->ext;
    fprintf(f, "op %s\n", OP_NAMES[e->op]);
    grid_dump("input", &sc->input, f);
    if (e->op == PB_MAXPOOL)
        fprintf(f, "kernel_size %d %d stride %d %d\n", sc->pool.kernel_h, sc->pool.kernel_w, sc->pool.stride_h, sc->pool.stride_w);
    if (e->error[0]) { fprintf(f, "pytorch-error %s\n", e->error); return; }
    grid_dump("output", &sc->output, f);
    if (sc->indices) {
        fprintf(f, "indices");
        for (int i = 0; i < sc->output.rows * sc->output.cols; i++) fprintf(f, " %d", sc->indices[i]);
        fputc('\n', f);
    }
    grid_dump("dout", &e->dout, f);
    grid_dump("dinput", &e->dinput, f);
    if (e->cell_r >= 0) fprintf(f, "cell %d %d", e->cell_r, e->cell_c);
    if (e->cell_r >= 0 && e->op == PB_MAXPOOL) fprintf(f, " argmax %d %d receivers %d", e->arg_r, e->arg_c, e->n_receivers);
    if (e->cell_r >= 0) fputc('\n', f);
}

static const SceneKind SCENE_POOL_BACKWARD = {.name = "pool_backward", .keys = PB_KEYS, .compute = pb_compute, .dump = pb_dump};
SCENE_KIND_REGISTER(SCENE_POOL_BACKWARD)
