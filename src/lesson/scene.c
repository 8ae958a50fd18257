/* Scene registry and the helpers every kind shares: the `show` list, the
 * input (grid literal or a CIFAR crop), number formatting and the dump.
 * The kinds themselves live in scene_*.c and register at start-up.
 */
#include "lesson/scene.h"
#include "lesson/adjust.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// ---- registry ---------------------------------------------------------------

#define MAX_KINDS 32
static const SceneKind *KINDS[MAX_KINDS];
static int N_KINDS;

void scene_kind_register(const SceneKind *k) {
    CL_ASSERT(N_KINDS < MAX_KINDS);
    CL_ASSERT(scene_kind_find(k->name) == NULL); // two kinds with one name
    KINDS[N_KINDS++] = k;
}

const SceneKind *scene_kind_find(const char *name) {
    for (int i = 0; i < N_KINDS; i++)
        if (strcmp(KINDS[i]->name, name) == 0) return KINDS[i];
    return NULL;
}

void scene_kind_names(char *buf, size_t n) {
    buf[0] = 0;
    for (int i = 0; i < N_KINDS; i++) {
        strncat(buf, i ? ", " : "", n - strlen(buf) - 1);
        strncat(buf, KINDS[i]->name, n - strlen(buf) - 1);
    }
}

const char *const SCENE_COMMON_KEYS[] = {"show", "image", "channel", "crop", "values", "input", "adjust", "expect", "constants", NULL};

bool scene_kind_knows(const SceneKind *k, const char *key) {
    for (int i = 0; SCENE_COMMON_KEYS[i]; i++)
        if (strcmp(SCENE_COMMON_KEYS[i], key) == 0) return true;
    if (k && k->keys)
        for (int i = 0; k->keys[i]; i++)
            if (strcmp(k->keys[i], key) == 0) return true;
    return false;
}

// ---- grids and numbers -------------------------------------------------------

Grid grid_alloc(int rows, int cols) {
    return (Grid){rows, cols, cl_calloc((size_t)(rows > 0 ? rows : 1) * (size_t)(cols > 0 ? cols : 1), sizeof(float))};
}

void grid_free(Grid *g) {
    free(g->v);
    memset(g, 0, sizeof *g);
}

char *scene_fmt(char *buf, size_t n, float v, int decimals) {
    char tmp[64];
    if (v == 0) v = 0; // no "-0"
    if (decimals <= 0) snprintf(tmp, sizeof tmp, "%.0f", fabsf(v)); // (a grid with decimals shows 1.00, not 1: aligned columns)
    else snprintf(tmp, sizeof tmp, "%.*f", decimals, fabsf(v));
    bool neg = v < 0 && strcmp(tmp, "0") != 0 && strspn(tmp, "0.") != strlen(tmp);
    snprintf(buf, n, "%s%s", neg ? "\xE2\x88\x92" : "", tmp); // U+2212 minus sign
    return buf;
}

// 19273856 -> "19,273,856"; a negative value gets an ASCII minus.
void fmt_thousands(char *buf, size_t n, long v) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%ld", v < 0 ? -v : v);
    size_t len = strlen(tmp), k = 0;
    if (v < 0 && k + 1 < n) buf[k++] = '-';
    for (size_t i = 0; i < len && k + 2 < n; i++) {
        buf[k++] = tmp[i];
        if ((len - i - 1) % 3 == 0 && i + 1 < len) buf[k++] = ',';
    }
    buf[k] = 0;
}

// 0 for integers, 1 if every value is exact with one decimal (3.5), else 2
// (1 when values reach 10, to keep cells narrow).
int grid_decimals(const Grid *g) {
    int d = 0;
    bool big = false;
    for (int i = 0; i < g->rows * g->cols; i++) {
        float a = fabsf(g->v[i]);
        if (a >= 10) big = true;
        if (fabsf(a - roundf(a)) < 1e-5f * fmaxf(1, a)) continue;
        float t = a * 10;
        if (d < 1) d = 1;
        if (fabsf(t - roundf(t)) >= 1e-4f * fmaxf(1, t)) d = 2;
    }
    return d == 2 && big ? 1 : d;
}

void grid_dump(const char *name, const Grid *g, FILE *f) {
    fprintf(f, "%s %dx%d:\n", name, g->rows, g->cols);
    for (int r = 0; r < g->rows; r++) {
        fputs(" ", f);
        for (int c = 0; c < g->cols; c++) fprintf(f, " %g", (double)g->v[r * g->cols + c]);
        fputc('\n', f);
    }
}

void scene_strip_roles(char *out, size_t n, const char *s) {
    size_t k = 0;
    for (; *s && k + 1 < n; s++)
        if ((unsigned char)*s > 4) out[k++] = *s;
    out[k] = 0;
}

static const char *const CLASS_NAMES[CIFAR_CLASSES] = {"airplane", "automobile", "bird", "cat", "deer",
                                                        "dog", "frog", "horse", "ship", "truck"};

int scene_class_index(const char *name) {
    for (int i = 0; i < CIFAR_CLASSES; i++)
        if (strcmp(name, CLASS_NAMES[i]) == 0 || strcmp(name, CIFAR_TUTORIAL_CLASSES[i]) == 0) return i;
    return -1;
}

// ---- shared keys -----------------------------------------------------------------

static const struct { const char *word; unsigned flag; } SHOW_WORDS[] = {
    {"input", SHOW_INPUT}, {"kernel", SHOW_KERNEL}, {"output", SHOW_OUTPUT}, {"products", SHOW_PRODUCTS},
    {"image", SHOW_IMAGE}, {"planes", SHOW_PLANES}, {"formula", SHOW_FORMULA}, {"size", SHOW_SIZE},
    {"origins", SHOW_ORIGINS}, {"indices", SHOW_INDICES},
};

int scene_parse_show(const Lesson *l, const LessonStep *st, unsigned fallback, unsigned *out, ClError *err) {
    int line;
    const char *v = lesson_get(st, "show", &line);
    if (!v) { *out = fallback; return 0; }
    unsigned flags = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", v);
    for (char *save, *w = strtok_r(buf, " ,", &save); w; w = strtok_r(NULL, " ,", &save)) {
        size_t i = 0, n = sizeof SHOW_WORDS / sizeof SHOW_WORDS[0];
        while (i < n && strcmp(SHOW_WORDS[i].word, w) != 0) i++;
        if (i == n)
            return cl_fail(err, "%s:%d: show: unknown panel '%s'; expected input, kernel, output, products, image, "
                                "planes, formula, size, origins", l->path, line, w);
        flags |= SHOW_WORDS[i].flag;
    }
    *out = flags;
    return 0;
}

// image = 12 | class:cat [n]  -> test-set index (the image_offset-th match for a class)
int scene_load_image(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err) {
    int line;
    const char *v = lesson_get(st, "image", &line);
    sc->image_index = -1;
    if (!v) return 0;
    sc->from_image = true;
    int cls = -1, nth = 0;
    long idx = -1;
    if (strncmp(v, "class:", 6) == 0) {
        char name[32];
        if (sscanf(v + 6, "%31s %d", name, &nth) < 1 || (cls = scene_class_index(name)) < 0)
            return cl_fail(err, "%s:%d: image: unknown class in '%s'; expected class:NAME with NAME one of airplane, "
                                "automobile, bird, cat, deer, dog, frog, horse, ship, truck", l->path, line, v);
        if (nth < 0) return cl_fail(err, "%s:%d: image: the image number after the class must be >= 0", l->path, line);
    } else {
        char *e;
        idx = strtol(v, &e, 10);
        if (e == v || *e)
            return cl_fail(err, "%s:%d: image: expected a test-set index (0..9999) or class:NAME, got '%s'", l->path, line, v);
        if (idx < 0 || idx >= CIFAR_RECORDS_PER_FILE)
            return cl_fail(err, "%s:%d: image = %ld is beyond the CIFAR-10 test set; expected 0..9999", l->path, line, idx);
    }
    if (env->use_picture && env->picture) { // the student's picture stands in for the CIFAR image
        sc->image_index = SCENE_PICTURE_INDEX;
        sc->image_label = -1;
        snprintf(sc->class_name, sizeof sc->class_name, "%.31s", env->picture->name[0] ? env->picture->name : "picture");
        memcpy(sc->image_rgb, env->picture->rgb, sizeof sc->image_rgb);
        return 0;
    }
    if (!env->cifar) {
        scene_set_needs_data(sc, env);
        if (cls >= 0) snprintf(sc->class_name, sizeof sc->class_name, "%s", CLASS_NAMES[cls]);
        return 0;
    }
    const CifarSet *set = &env->cifar->test;
    if (cls >= 0) {
        // the (nth + image_offset)-th image of the class, wrapping around
        int count = 0;
        for (int i = 0; i < set->n; i++) count += set->labels[i] == cls;
        if (count == 0) return cl_fail(err, "%s:%d: image: no '%s' image in the loaded test set", l->path, line, CLASS_NAMES[cls]);
        int want = ((nth + env->image_offset) % count + count) % count;
        for (int i = 0; i < set->n; i++)
            if (set->labels[i] == cls && want-- == 0) { idx = i; break; }
    } else {
        if (idx >= set->n)
            return cl_fail(err, "%s:%d: image = %ld is beyond the loaded test set (%d images)", l->path, line, idx, set->n);
        idx = ((idx + env->image_offset) % set->n + set->n) % set->n;
    }
    sc->image_index = (int)idx;
    sc->image_label = set->labels[idx];
    snprintf(sc->class_name, sizeof sc->class_name, "%s",
             env->cifar->class_names[sc->image_label][0] ? env->cifar->class_names[sc->image_label] : CLASS_NAMES[sc->image_label]);
    const uint8_t *px = set->pixels + (size_t)idx * CIFAR_PIXELS;
    for (int i = 0; i < 32 * 32; i++)
        for (int ch = 0; ch < 3; ch++) sc->image_rgb[3 * i + ch] = px[ch * 1024 + i];
    return 0;
}

int scene_load_input(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, bool need_input,
                     ClError *err) {
    static const char *const CHANNELS[] = {"r", "g", "b", "gray", NULL};
    static const char *const CHANNEL_NAMES[] = {"red channel", "green channel", "blue channel", "gray"};
    static const char *const VALUES[] = {"raw", "normalized", NULL};
    int line;
    if (lesson_get(st, "input", &line)) {
        if (lesson_get(st, "image", NULL) && lesson_get(st, "crop", NULL))
            return cl_fail(err, "%s:%d: give either input (a grid) or image with crop, not both", l->path, line);
        snprintf(sc->input_name, sizeof sc->input_name, "input");
        return lesson_get_grid(l, st, "input", &sc->input.v, &sc->input.rows, &sc->input.cols, err);
    }
    if (scene_load_image(sc, l, st, env, err) != 0) return -1;
    if (!lesson_get(st, "image", NULL)) {
        if (need_input) return cl_fail(err, "%s:%d: this step needs an input: 'input = 1 2; 3 4' or 'image = N'", l->path, st->line);
        return 0;
    }
    int values;
    if (lesson_get_choice(l, st, "channel", CHANNELS, 0, &sc->channel, err) != 0) return -1;
    if (lesson_get_choice(l, st, "values", VALUES, 0, &values, err) != 0) return -1;
    sc->normalized = values == 1;
    snprintf(sc->input_name, sizeof sc->input_name, "%s", CHANNEL_NAMES[sc->channel]);
    // crop = x y w h inside the 32x32 picture (default: all of it)
    int cx = 0, cy = 0, cw = 32, ch = 32;
    const char *crop = lesson_get(st, "crop", &line);
    if (crop) {
        char *e;
        long v[4];
        const char *p = crop;
        for (int i = 0; i < 4; i++) {
            v[i] = strtol(p, &e, 10);
            if (e == p) return cl_fail(err, "%s:%d: crop: expected four integers 'x y w h', got '%s'", l->path, line, crop);
            p = e;
        }
        cx = (int)v[0]; cy = (int)v[1]; cw = (int)v[2]; ch = (int)v[3];
        if (cx < 0 || cy < 0 || cw < 1 || ch < 1 || cx + cw > 32 || cy + ch > 32)
            return cl_fail(err, "%s:%d: crop %d %d %d %d leaves the 32x32 image; expected x+w <= 32 and y+h <= 32",
                           l->path, line, cx, cy, cw, ch);
    }
    if (env->zoom > 0) { // the mouse wheel's zoom: a square around the pixel under the mouse
        cw = ch = env->zoom < 32 ? env->zoom : 32;
        cx = env->zoom_cx - cw / 2;
        cy = env->zoom_cy - ch / 2;
        cx = cx < 0 ? 0 : cx > 32 - cw ? 32 - cw : cx;
        cy = cy < 0 ? 0 : cy > 32 - ch ? 32 - ch : cy;
    }
    sc->crop_x = cx;
    sc->crop_y = cy;
    sc->input = grid_alloc(ch, cw);
    if (sc->needs_data) return 0; // zeros; the view shows how to get the data
    // Normalized values come from the engine's transform (cifar_normalize_batch).
    float norm[CIFAR_PIXELS];
    scene_image_input(norm, sc, env);
    for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++) {
            int p = (cy + y) * 32 + (cx + x);
            float v;
            if (sc->channel == 3) {
                v = sc->normalized ? (norm[p] + norm[1024 + p] + norm[2048 + p]) / 3.0f
                                   : roundf((sc->image_rgb[3 * p] + sc->image_rgb[3 * p + 1] + sc->image_rgb[3 * p + 2]) / 3.0f);
            } else {
                v = sc->normalized ? norm[sc->channel * 1024 + p] : (float)sc->image_rgb[3 * p + sc->channel];
            }
            sc->input.v[y * cw + x] = v;
        }
    return 0;
}

void scene_image_input(float *out, const Scene *sc, const SceneEnv *env) {
    if (sc->image_index == SCENE_PICTURE_INDEX) {
        CL_ASSERT(env->picture);
        memcpy(out, env->picture->input, sizeof env->picture->input);
        return;
    }
    int32_t idx = sc->image_index;
    CL_ASSERT(env->cifar && idx >= 0 && idx < env->cifar->test.n);
    cifar_normalize_batch(out, NULL, &env->cifar->test, &idx, 1);
}

// ---- driver -------------------------------------------------------------------

void scene_free(Scene *sc) {
    grid_free(&sc->input);
    grid_free(&sc->kernel);
    grid_free(&sc->output);
    free(sc->indices);
    if (sc->ext && sc->ext_free) sc->ext_free(sc->ext);
    memset(sc, 0, sizeof *sc);
}

int scene_compute(Scene *sc, const Lesson *l, int k, const SceneEnv *env, ClError *err) {
    memset(sc, 0, sizeof *sc);
    CL_ASSERT(k >= 0 && k < l->n_steps);
    const LessonStep *st = &l->steps[k];
    sc->step = k;
    sc->win_oy = sc->win_ox = -1;
    sc->image_index = -1;
    sc->kind = scene_kind_find(st->kind);
    CL_ASSERT(sc->kind); // the parser checked the name
    ClError local;
    if (!err) err = &local;
    cl_error_clear(err);
    // live parameters: compute a copy of the step with the overrides' values
    LessonStep adjusted;
    AdjustParam ps[ADJUST_MAX];
    if (adjust_params(l, st, ps, err) < 0) { snprintf(sc->error, sizeof sc->error, "%s", err->msg); return -1; }
    if (env && env->overrides && env->overrides->n > 0) {
        adjust_apply(&adjusted, st, env->overrides);
        st = &adjusted;
        sc->adjusted = true;
    }
    if (sc->kind->compute(sc, l, st, env, err) != 0) {
        snprintf(sc->error, sizeof sc->error, "%s", err->msg);
        sc->needs_data = false;
        return -1;
    }
    // a window the student put somewhere (a click, , . J, --position) shows its
    // sum of products in the formula bar even where the step itself shows none
    if (env && env->window_override >= 0 && scene_position(sc) > 0) sc->show |= SHOW_FORMULA;
    return 0;
}

char *scene_dump_text(const Scene *sc) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CL_ASSERT(f != NULL);
    scene_dump(sc, f);
    fclose(f);
    return text;
}

void scene_dump(const Scene *sc, FILE *f) {
    fprintf(f, "kind %s\n", sc->kind ? sc->kind->name : "?");
    if (sc->error[0]) fprintf(f, "%s %s\n", sc->needs_data ? "needs-data" : "error", sc->error);
    if (sc->image_index == SCENE_PICTURE_INDEX)
        fprintf(f, "image picture %s channel %d crop %d %d %s\n", sc->class_name, sc->channel, sc->crop_x, sc->crop_y,
                sc->normalized ? "normalized" : "raw");
    else if (sc->image_index >= 0)
        fprintf(f, "image %d %s channel %d crop %d %d %s\n", sc->image_index, sc->class_name, sc->channel, sc->crop_x,
                sc->crop_y, sc->normalized ? "normalized" : "raw");
    if (sc->kind && sc->kind->dump && !sc->error[0]) sc->kind->dump(sc, f);
    int n_pos = scene_position_count(sc);
    if (n_pos > 0) fprintf(f, "position %d of %d\n", scene_position(sc), n_pos); // 0: no window shown
    SceneWindow win;
    if (n_pos > 0 && scene_window(sc, &win)) fprintf(f, "field %d %d\n", win.field_h, win.field_w); // d·(k − 1) + 1
    int ur, uc, unr, unc;
    if (n_pos > 0 && scene_unpadded_region(sc, &ur, &uc, &unr, &unc)) // the output without padding, inside the border ring
        fprintf(f, "unpadded %d %d %d %d\nborder_cells %d\n", ur, uc, unr, unc, n_pos - unr * unc);
    char buf[1024];
    if (sc->formula[0]) { scene_strip_roles(buf, sizeof buf, sc->formula); fprintf(f, "formula %s\n", buf); }
    if (sc->size_formula[0]) { scene_strip_roles(buf, sizeof buf, sc->size_formula); fprintf(f, "size %s\n", buf); }
    for (int i = 0; i < sc->facts.n; i++) fprintf(f, "fact %s %s\n", sc->facts.kv[i].key, sc->facts.kv[i].value);
}

void scene_set_needs_data(Scene *sc, const SceneEnv *env) {
    sc->needs_data = true;
    sc->data_loading = env->data_loading;
    snprintf(sc->error, sizeof sc->error, "%s",
             env->data_hint && env->data_hint[0] ? env->data_hint : "CIFAR-10 is not downloaded. Run: make data");
}

bool scene_window(const Scene *sc, SceneWindow *w) {
    if (!sc->kind || !sc->kind->window || sc->output.rows == 0 || sc->error[0]) return false;
    sc->kind->window(sc, w);
    return true;
}

int scene_build_net(Net *net, const SceneEnv *env, int max_batch, ClError *err) {
    if (env && env->net) return net_build(net, env->net, false, max_batch, err);
    return net_build_cnnnet(net, false, max_batch, err);
}

// One axis of scene_unpadded_region: the first output index whose window
// starts at or after the input's first cell, and how many end inside it.
static void unpadded_axis(int n_in, int n_out, int stride, int pad, int field, int *first, int *count) {
    int lo = (pad + stride - 1) / stride;          // oy·s − p ≥ 0
    int hi = n_in - field + pad < 0 ? -1 : (n_in - field + pad) / stride; // oy·s − p + f − 1 ≤ n − 1
    if (hi > n_out - 1) hi = n_out - 1;
    *first = lo;
    *count = hi >= lo ? hi - lo + 1 : 0;
}

bool scene_unpadded_region(const Scene *sc, int *r0, int *c0, int *nr, int *nc) {
    SceneWindow w;
    if (!scene_window(sc, &w) || sc->input.rows == 0) return false;
    unpadded_axis(sc->input.rows, sc->output.rows, w.stride_h, w.pad_top, w.field_h, r0, nr);
    unpadded_axis(sc->input.cols, sc->output.cols, w.stride_w, w.pad_left, w.field_w, c0, nc);
    return *nr * *nc < sc->output.rows * sc->output.cols; // some window reads padding
}

int scene_position_count(const Scene *sc) {
    SceneWindow w;
    return scene_window(sc, &w) ? sc->output.rows * sc->output.cols : 0;
}

int scene_position(const Scene *sc) {
    if (sc->win_oy < 0 || scene_position_count(sc) == 0) return 0;
    return sc->win_oy * sc->output.cols + sc->win_ox + 1;
}

int scene_check_position(const Scene *sc, long position, ClError *err) {
    int n = scene_position_count(sc);
    if (n == 0)
        return cl_fail(err, "position %ld: step %d has no sliding window (its scene is '%s')", position, sc->step + 1,
                       sc->kind ? sc->kind->name : "?");
    if (position < 1 || position > n)
        return cl_fail(err, "position %ld: this step has %d window positions (1-%d)", position, n, n);
    return 0;
}
