/* What a lesson step shows: a Scene holds every number on screen, computed
 * by the ENGINE's ops (conv2d_forward, maxpool2d_forward with indices, ...)
 * from (lesson, step, image choice) alone, so going back is exact and the
 * tests can check the numbers without a window (--batch lesson --dump).
 *
 * Scene kinds are a registry: each kind lives in its own file
 * (scene_conv.c, scene_pool.c, ...) and registers itself with
 * SCENE_KIND_REGISTER, so a new kind is a NEW file; its drawing code is a
 * SceneView registered the same way in src/ui/ (see ui/view.h).
 */
#ifndef CONVLAB_SCENE_H
#define CONVLAB_SCENE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "engine/cifar.h"
#include "engine/net.h"
#include "engine/conv2d.h"
#include "engine/picture.h"
#include "engine/pool2d.h"
#include "lesson/lesson.h"

#define SCENE_MAX_TERMS 64          // products listed for one window (kernel cells)
#define SCENE_PICTURE_INDEX CIFAR_RECORDS_PER_FILE // Scene.image_index of the student's own picture

// Formula strings may carry role markers that the UI colours and dump strips:
#define ROLE_INPUT  "\x01"          // following text in the input colour
#define ROLE_KERNEL "\x02"          // ... kernel colour
#define ROLE_OUTPUT "\x03"          // ... output colour
#define ROLE_PLAIN  "\x04"          // back to the text colour

// Panels a step can show (the `show` key): bit flags.
enum {
    SHOW_INPUT = 1 << 0,    // the input grid
    SHOW_KERNEL = 1 << 1,   // the kernel grid
    SHOW_OUTPUT = 1 << 2,   // the output grid
    SHOW_PRODUCTS = 1 << 3, // the window's element-wise products
    SHOW_IMAGE = 1 << 4,    // the CIFAR picture (with the crop marked)
    SHOW_PLANES = 1 << 5,   // the R, G, B planes of the picture
    SHOW_FORMULA = 1 << 6,  // the formula bar
    SHOW_SIZE = 1 << 7,     // the output-size formula
    SHOW_ORIGINS = 1 << 8,  // the window positions (stride) and skipped cells
    SHOW_INDICES = 1 << 9,  // row and column numbers (0-based) along the input grid
};

typedef struct {
    int rows, cols;
    float *v;               // (rows, cols) row-major; owned by the Scene
} Grid;

// Live parameter changes (a step's `adjust` key, lesson/adjust.h): scene
// key = value pairs that replace the step's own values when it is computed.
#define SCENE_MAX_OVERRIDES 10
typedef struct {
    int n;
    struct { char key[32]; char value[32]; } kv[SCENE_MAX_OVERRIDES];
} SceneOverrides;

typedef struct LessonData LessonData;

// Inputs the scene depends on besides the lesson step.
typedef struct {
    const Cifar *cifar;     // test set, or NULL without data
    const char *data_hint;  // why cifar is NULL (shown to the student)
    int image_offset;       // N / Shift+N: which image of the step's choice (0 = as written)
    int window_override;    // >= 0: the window position − 1 (output cell, row-major) chosen by the
                            // student (a click, the sweep keys) or --position; -1: the step's `window`
    int zoom;               // > 0: the student zoomed: a zoom x zoom crop of the image replaces `crop`
    int zoom_cx, zoom_cy;   // centre of that crop (image pixels)
    bool data_loading;      // cifar is NULL because the driver is still loading it (not missing)
    LessonData *data;       // lessons 8-10's training images and measurements (lesson/netlesson.h),
                            // owned by the driver; NULL: those steps say so
    const SceneOverrides *overrides; // live parameter changes (`adjust`), or NULL
    const Picture *picture;     // the student's own picture (--image FILE, a dropped file), or NULL
    bool use_picture;           // steps that show a CIFAR image show the picture instead
    const NetSpec *net;         // the chosen network (--net FILE), or NULL for CNNNet
} SceneEnv;

typedef struct SceneKind SceneKind;

// Named values a step's caption or text may write as {key} (scene_facts.h):
// what the kind computed from the chosen net ({layer} = "conv1", {rf} = "12"),
// so a text stays true for any network. Filled by compute, printed by the dump.
#define SCENE_MAX_FACTS 48
typedef struct {
    int n;
    struct { char key[24]; char value[160]; } kv[SCENE_MAX_FACTS];
} SceneFacts;

// Where a sliding window sits: output cell (oy, ox) reads the input rows
// oy*stride_h - pad_top ... + field_h - 1 (field = dilation*(kernel-1)+1).
typedef struct {
    int stride_h, stride_w, pad_top, pad_left, field_h, field_w;
} SceneWindow;

typedef struct {
    const SceneKind *kind;
    int step;                   // 0-based
    unsigned show;              // SHOW_* flags
    char error[1024];           // non-empty: could not compute (shown in place of the visual)
    bool needs_data;            // the error is "no CIFAR data" (not a lesson bug)
    bool data_loading;          // needs_data only because the driver is still loading it

    // ---- input: a literal grid or one channel of a CIFAR crop ----
    Grid input;                 // (H, W) unpadded
    char input_name[64];        // "input", "red channel" ... (English; UI translates roles)
    bool from_image;            // input comes from a CIFAR image
    bool input_is_feature;      // ... through a feature kernel: its cells are not the picture's pixels
    int image_index;            // test-set index, SCENE_PICTURE_INDEX for the student's picture, -1 if none
    int image_label;            // 0..9; -1 for the student's picture (no known class)
    char class_name[32];        // "cat"
    uint8_t image_rgb[32 * 32 * 3]; // interleaved RGB for the image view
    int channel;                // 0 R, 1 G, 2 B, 3 gray (mean)
    int crop_x, crop_y;         // crop's top-left inside the 32x32 image
    bool normalized;            // values are (p/255-0.5)/0.5 rather than 0..255

    // ---- convolution ----
    Grid kernel;                // (KH, KW), empty if none
    float bias;
    Conv2dConfig conv;          // 1 in/out channel
    Grid output;                // (OH, OW) the full engine output
    int win_oy, win_ox;         // current window (output position); -1 = none
    int n_filled;               // output cells shown as computed (row-major), 0..OH*OW
    // the current window's products, in kernel order
    int n_terms;
    float term_in[SCENE_MAX_TERMS], term_w[SCENE_MAX_TERMS];
    int term_iy[SCENE_MAX_TERMS], term_ix[SCENE_MAX_TERMS]; // input coords (may be in the padding)
    float window_value;         // the engine's output at the window

    // ---- pooling ----
    int pool_kind;              // 0 max, 1 avg, 2 global max
    Pool2dConfig pool;
    int32_t *indices;           // (OH*OW) argmax flat y*W+x from maxpool2d_forward, or NULL

    // ---- text for the formula bar ----
    char formula[1024];         // the window's arithmetic, with ROLE_* markers
    char size_formula[512];     // e.g. "out = ⌊(5 + 2·0 − 3)/1⌋ + 1 = 3"

    SceneFacts facts;           // {key} values for the step's texts (scene_facts.h)
    bool adjusted;              // computed with overrides: an error is the student's setting, not the file's
    void *ext;                  // kind-specific data (new kinds); freed with ext_free
    void (*ext_free)(void *ext);
} Scene;

struct SceneKind {
    const char *name;           // the `scene = ` value
    const char *const *keys;    // scene keys this kind reads (NULL-terminated)
    // Fills sc from the step. Lesson errors -> -1 and "file:line: ..." in err.
    // A missing CIFAR set is not an error: set sc->needs_data and sc->error.
    int (*compute)(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err);
    // Prints the numbers (tests' view), one item per line.
    void (*dump)(const Scene *sc, FILE *f);
    // Kinds with a sliding window: its geometry for the computed sc (NULL: none).
    void (*window)(const Scene *sc, SceneWindow *w);
};

// ---- the registry ---------------------------------------------------------------

void scene_kind_register(const SceneKind *k);
const SceneKind *scene_kind_find(const char *name);
// Comma-separated names of every kind, for error messages.
void scene_kind_names(char *buf, size_t n);
// True if key is a scene key for kind k (common keys included).
bool scene_kind_knows(const SceneKind *k, const char *key);
// Registers a kind at program start: SCENE_KIND_REGISTER(SCENE_CONV) in its file.
#define SCENE_KIND_REGISTER(var) \
    __attribute__((constructor)) static void register_##var(void) { scene_kind_register(&var); }

// ---- computing -----------------------------------------------------------------

// Computes step k of l into sc (sc is cleared first; free with scene_free).
// Returns -1 on a lesson error (message in err and in sc->error).
int scene_compute(Scene *sc, const Lesson *l, int k, const SceneEnv *env, ClError *err);
void scene_free(Scene *sc);
// Dumps sc in the text format of --batch lesson --dump.
void scene_dump(const Scene *sc, FILE *f);
// The same dump as one string (for the checks that read it back); free it.
char *scene_dump_text(const Scene *sc);

// ---- helpers for kinds ------------------------------------------------------------

// The keys every kind understands (show, image, channel, crop, values, input).
extern const char *const SCENE_COMMON_KEYS[];
// Parses `show` into SHOW_* flags (fallback if absent).
int scene_parse_show(const Lesson *l, const LessonStep *st, unsigned fallback, unsigned *out, ClError *err);
// Loads sc->input from `input = grid` or from `image/channel/crop/values`.
// With need_input false a step without either is fine.
int scene_load_input(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, bool need_input,
                     ClError *err);
// Loads only the picture (image key) into sc->image_*; no key -> image_index = -1.
// With env->use_picture and a picture, a step's image is the student's picture.
int scene_load_image(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err);
// The loaded image as the network sees it: out (3, 32, 32), normalised as the tutorial
// (the CIFAR record through cifar_normalize_batch, or the picture's own input).
void scene_image_input(float *out, const Scene *sc, const SceneEnv *env);
// The step's network: env->net (--net FILE), else CNNNet. Ownership: net_free.
int scene_build_net(Net *net, const SceneEnv *env, int max_batch, ClError *err);
// The output cells whose window reads no padding (with stride 1 exactly the
// output the same layer gives without padding): rows r0 .. r0+nr−1,
// columns c0 .. c0+nc−1. False without a sliding window, or when no window
// touches the padding.
bool scene_unpadded_region(const Scene *sc, int *r0, int *c0, int *nr, int *nc);
Grid grid_alloc(int rows, int cols);
void grid_free(Grid *g);
// Prints "name RxC:" and the rows (%g) to f.
void grid_dump(const char *name, const Grid *g, FILE *f);
// Formats v for a cell with `decimals` (0: "6"; 2: "6.00", so a column aligns); a negative
// value gets the typographic minus U+2212. Returns buf.
char *scene_fmt(char *buf, size_t n, float v, int decimals);
// 76922 -> "76,922": parameter and image counts (lessons, views and the dashboard).
void fmt_thousands(char *buf, size_t n, long v);
// Decimals a grid needs (0 if all integers, else 1 or 2).
int grid_decimals(const Grid *g);
// Copies s into out without ROLE_* markers.
void scene_strip_roles(char *out, size_t n, const char *s);
// Reads the `window` key ("ROW COL" | all | none; env->window_override wins)
// into *oy/*ox (-1: no window) and *filled (output cells shown as computed).
int scene_parse_window(const Lesson *l, const LessonStep *st, const SceneEnv *env, int OH, int OW, int *oy,
                       int *ox, int *filled, ClError *err);
// "out = ⌊(n + 2·p − f)/s⌋ + 1 = o" for one axis, or both when they differ.
void scene_size_formula(char *buf, size_t n, int H, int W, int pt, int pb, int pl, int pr, int KH, int KW,
                        int sh, int sw, int dh, int dw, int OH, int OW);
// Fills sc->formula with the window's products "1·1 + 0·2 + … = 6" (role-coloured).
void scene_products_formula(Scene *sc, const char *result_suffix);
// The index of class name in the CIFAR class list (also accepts the tutorial's short names), or -1.
int scene_class_index(const char *name);

// The sliding window of sc's kind, if it has one (conv, pool, conv2d).
bool scene_window(const Scene *sc, SceneWindow *w);
// Window positions of sc's sweep: one per output cell (row-major), for the kinds
// with a sliding window; 0 for every other scene and for one that could not be computed.
int scene_position_count(const Scene *sc);
// The position of sc's window, 1-based (output cell row·OW + col + 1); 0 when no
// window is shown (`window = all` or `none`, or no window at all).
int scene_position(const Scene *sc);
// 0 if position (1-based) is one of sc's window positions; else -1 and one line in
// err naming it and the count: "position 40: this step has 36 window positions (1-36)".
int scene_check_position(const Scene *sc, long position, ClError *err);

// Marks sc as waiting for CIFAR-10: needs_data, data_loading from env, and
// env->data_hint (or how to get the data) as the error. For scene kinds.
void scene_set_needs_data(Scene *sc, const SceneEnv *env);

#endif
