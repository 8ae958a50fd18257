/* Headless lessons: --batch render (a step's frame as PNG, drawn by the same
 * player code as the window, on an offscreen software canvas),
 * --batch lessons-check (parse every lesson, compute every step, check both
 * languages; one line per problem) and --batch lesson --dump (each step's
 * numbers as text: the tests' view of a lesson).
 */
#include <glob.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/paths.h"
#include "app/app.h"
#include "app/flags.h"
#include "engine/cifar.h"
#include "lesson/lesson.h"
#include "lesson/scene.h"
#include "lesson/adjust.h"
#include "lesson/expect.h"
#include "lesson/livecheck.h"
#include "lesson/scene_facts.h"
#include "session/lesson_data.h"
#include "ui/draw.h"
#include "ui/picture_load.h"
#include "ui/player.h"
#include "ui/theme.h"

#define DEFAULT_DATA paths_data_dir(NULL)

typedef struct {
    const char *lesson, *out, *data;
    int theme;          // index into THEME_NAMES
    int step;           // 1-based, 0 = all / not given
    int size[2];        // --size W, H
    int image;          // --image N: which image of the step's choice
    const char *picture;        // --image FILE: the student's picture in place of the step's CIFAR image
    const char *net;            // --net FILE: lesson 8's network
    int lang;           // a Lang
    bool dump;
    bool data_given;
    SceneOverrides overrides;   // --set KEY=VALUE: live parameters (lesson/adjust.h)
    long position;              // --position P: the window's position (1-based), checked against the step's count
    bool position_given;
} BatchArgs;

// --image N (which image of the step's choice) or --image FILE (the student's picture).
static int apply_image(void *args, const char *value, ClError *err) {
    BatchArgs *a = args;
    char *end;
    long k = strtol(value, &end, 10);
    if (end == value || *end) { a->picture = value; return 0; }
    if (k < 0 || k > 9999)
        return cl_fail(err, "--image needs 0..9999 (which image of the step's choice) or a picture file, got '%s'", value);
    a->image = (int)k;
    return 0;
}

// --position P: any integer here; render says which positions the step has.
static int apply_position(void *args, const char *value, ClError *err) {
    BatchArgs *a = args;
    char *end;
    long p = strtol(value, &end, 10);
    if (end == value || *end) return cl_fail(err, "--position needs a window position (1, 2, ...), got '%s'", value);
    a->position = p;
    a->position_given = true;
    return 0;
}

static int apply_set(void *args, const char *value, ClError *err) {
    return adjust_set_arg(&((BatchArgs *)args)->overrides, value, err);
}

// The rows render and lesson share.
#define LESSON_FLAG {"--lesson", FLAG_STRING, offsetof(BatchArgs, lesson), .value = "FILE", .help = "the lesson file"}
#define STEP_FLAG {"--step", FLAG_INT, offsetof(BatchArgs, step), 1, 100000, .value = "K", .help = "the step (1-based)"}
#define IMAGE_FLAG {"--image", FLAG_CALL, .apply = apply_image, .value = "N|FILE", \
    .help = "N: the step's N-th next image, as pressing N that many times (0 = as written);\n" \
            "FILE: your own picture (PNG, JPEG, ...) in place of the step's CIFAR image\n(./12 for a file named 12)"}
#define SET_FLAG {"--set", FLAG_CALL, .apply = apply_set, .value = "KEY=VALUE", \
    .help = "a live parameter of the step (its `adjust` keys, e.g. stride=2),\nas if changed with its key in the window (outside the step's range: exit 2); repeatable"}
#define NET_FLAG {"--net", FLAG_STRING, offsetof(BatchArgs, net), .value = "FILE", \
    .help = "the network lessons 8 and 14-16 use, as a net file (default CNNNet)"}
#define DATA_FLAG {"--data", FLAG_STRING, offsetof(BatchArgs, data), .seen = FLAG_SEEN(BatchArgs, data_given), \
    .value = "DIR", .help = "CIFAR-10 binary batches (default data/cifar-10-batches-bin)"}

static const Flag RENDER_FLAGS[] = {
    LESSON_FLAG, STEP_FLAG,
    {"--out", FLAG_STRING, offsetof(BatchArgs, out), .value = "PNG", .help = "where the frame goes"},
    {"--size", FLAG_SIZE, offsetof(BatchArgs, size), 320, 8192, .value = "WxH", .help = "the frame's size (default 1280x800)"},
    {"--lang", FLAG_CHOICE, offsetof(BatchArgs, lang), .choices = "en|zh", .help = "language of the text (default en)"},
    {"--theme", FLAG_CHOICE, offsetof(BatchArgs, theme), .choices = THEME_CHOICES, .value = "NAME",
     .help = "a theme file from assets/ (colours, sizes, spacing)"},
    {"--position", FLAG_CALL, .apply = apply_position, .value = "P",
     .help = "the window at position P (1-based, row by row over the output cells), as\n"
             "the , . keys put it; only for steps with a sliding window"},
    IMAGE_FLAG, SET_FLAG, NET_FLAG, DATA_FLAG,
};

const Command RENDER_COMMAND = {
    .name = "render", .usage = "--lesson FILE --step K [--position P] [--size WxH] [--lang en|zh] [--theme NAME]\n"
                               "                       [--image N|FILE] [--set KEY=VALUE] [--net FILE] [--data DIR] --out PNG",
    .summary = "Writes exactly the frame the window shows at step K of a lesson into PNG.",
    .flags = RENDER_FLAGS, .n_flags = FLAG_COUNT(RENDER_FLAGS),
    .run = batch_render_main,
};

static const Flag LESSON_FLAGS[] = {
    LESSON_FLAG,
    {"--dump", FLAG_BOOL, offsetof(BatchArgs, dump), .help = "print each step's computed numbers (required)"},
    {"--step", FLAG_INT, offsetof(BatchArgs, step), 1, 100000, .value = "K", .help = "only step K"},
    IMAGE_FLAG, SET_FLAG, NET_FLAG, DATA_FLAG,
};

const Command LESSON_COMMAND = {
    .name = "lesson", .usage = "--lesson FILE --dump [--step K] [--image N|FILE] [--set KEY=VALUE] [--net FILE] [--data DIR]",
    .summary = "Prints each step's computed numbers as text.",
    .flags = LESSON_FLAGS, .n_flags = FLAG_COUNT(LESSON_FLAGS),
    .run = batch_lesson_main,
};

static const Flag CHECK_FLAGS[] = {
    {"--net", FLAG_STRING, offsetof(BatchArgs, net), .value = "FILE",
     .help = "compute the steps that follow --net (lessons 8, 9, 14-16) with this net file and\n"
             "check their claims and texts with it (default CNNNet)"},
    {"--data", FLAG_STRING, offsetof(BatchArgs, data), .seen = FLAG_SEEN(BatchArgs, data_given), .value = "DIR",
     .help = "CIFAR-10 for the steps that show its images (default data/cifar-10-batches-bin)"},
};

const Command LESSONS_CHECK_COMMAND = {
    .name = "lessons-check", .usage = "[--net FILE] [--data DIR] [FILES...]",
    .summary = "Parses every lesson (default: all in lessons/) and runs every step's computation;\n"
               "a step with live settings (`adjust`) is computed again at other values of each\n"
               "(every value of a small range, else its ends and middle), where its claims must\n"
               "hold and its texts may write no number the setting changes; prints one line\n"
               "per problem and exits 1 if there are any.",
    .flags = CHECK_FLAGS, .n_flags = FLAG_COUNT(CHECK_FLAGS), .max_positional = 4096,
    .run = batch_lessons_check_main,
};

static int bad_usage(const char *cmd, const char *msg, const char *arg) {
    fprintf(stderr, "convlab --batch %s: %s%s%s (see convlab --help)\n", cmd, msg, arg ? " " : "", arg ? arg : "");
    return 2;
}

// Parses cmd's flags into a (defaults first); returns 0, or 2 after a message.
static int parse(const Command *cmd, int argc, char **argv, BatchArgs *a, const char **files, int *n_files) {
    *a = (BatchArgs){.data = DEFAULT_DATA, .size = {1280, 800}};
    ClError err;
    if (flags_parse(cmd, a, argc, argv, 1, files, n_files, &err) != 0) {
        fprintf(stderr, "convlab --batch %s\n", err.msg);
        return 2;
    }
    return 0;
}

// --set values against the ranges step `step` (1-based) of the lesson declares
// in `adjust`: prints one line and returns 2 for a value outside, else 0.
static int check_set_ranges(const char *path, int step, const SceneOverrides *ov) {
    if (!ov->n) return 0;
    Lesson l;
    ClError err;
    if (lesson_load(&l, path, NULL, &err) != 0) return 0; // the player reports it
    int rc = 0;
    if (step >= 1 && step <= l.n_steps && adjust_check_overrides(&l, &l.steps[step - 1], ov, &err) != 0) {
        fprintf(stderr, "convlab --batch render: %s\n", err.msg);
        rc = 2;
    }
    lesson_free(&l);
    return rc;
}

// Loads the test set if the directory exists; an explicit --data must load.
static int load_data(const BatchArgs *a, Cifar *c, char *why, size_t n) {
    ClError err;
    if (cifar_load_test(c, a->data, 0, &err) == 0) { why[0] = 0; return 1; }
    snprintf(why, n, "%s", err.msg);
    if (a->data_given) { fprintf(stderr, "convlab: %s\n", err.msg); return -1; }
    return 0;
}

// --image FILE: the student's picture into *p (a note on stderr); 0, or -1 after the message.
static int load_picture_arg(const BatchArgs *a, Picture *p) {
    if (!a->picture) return 0;
    ClError err;
    if (picture_load_file(p, a->picture, &err) != 0) {
        fprintf(stderr, "convlab: %s\n", err.msg);
        return -1;
    }
    if (p->note[0]) fprintf(stderr, "convlab: %s: %s\n", a->picture, p->note);
    return 0;
}

// --net FILE into *net (a message and -1 if it does not parse).
static int load_net_arg(const BatchArgs *a, NetSpec *net) {
    ClError err;
    if (!a->net || netfile_load(net, a->net, 1, &err) == 0) return 0;
    fprintf(stderr, "convlab: %s\n", err.msg);
    return -1;
}

// --position P on the open step: 0, or 2 after one line naming P and the step's positions.
static int set_position_arg(Screen *s, const BatchArgs *a) {
    ClError err;
    if (scene_check_position(player_scene(s), a->position, &err) != 0) {
        fprintf(stderr, "convlab --batch render: --%s\n", err.msg);
        return 2;
    }
    player_set_position(s, (int)a->position);
    return 0;
}

int batch_render_main(int argc, char **argv) {
    BatchArgs a;
    if (parse(&RENDER_COMMAND, argc, argv, &a, NULL, NULL)) return 2;
    if (!a.lesson) return bad_usage("render", "needs --lesson FILE", NULL);
    if (!a.step) return bad_usage("render", "needs --step K", NULL);
    if (!a.out) return bad_usage("render", "needs --out PNG", NULL);
    ClError err;
    static Theme theme;
    if (theme_load_named(&theme, THEME_NAMES[a.theme], &err) != 0) { fprintf(stderr, "convlab: %s\n", err.msg); return 1; }
    if (draw_init_fonts(&err) != 0) { fprintf(stderr, "convlab: %s\n", err.msg); return 1; }
    static Cifar cifar;
    char why[1100];
    int have = load_data(&a, &cifar, why, sizeof why);
    if (have < 0) return 1;
    LessonData *data = lesson_data_create(a.data, false); // --batch: measurements computed now, exactly
    ScreenContext ctx = {.lang = (Lang)a.lang, .data_dir = a.data, .cifar = have ? &cifar : NULL, .cifar_error = why,
                         .lesson_data = data, .theme_name = THEME_NAMES[a.theme], .argc = argc, .argv = argv};
    static Picture picture;
    if (load_picture_arg(&a, &picture) != 0) {
        lesson_data_free(data);
        if (have > 0) cifar_free(&cifar);
        return 1;
    }
    if (a.picture) ctx.picture = &picture, ctx.use_picture = true;
    static NetSpec net;
    if (load_net_arg(&a, &net) != 0) {
        lesson_data_free(data);
        if (have > 0) cifar_free(&cifar);
        return 1;
    }
    if (a.net) ctx.net = &net, ctx.net_file = a.net;
    Screen *s = player_create_for(&ctx, a.lesson, 0, &err);
    if (!s) lesson_data_free(data);
    if (!s) { fprintf(stderr, "convlab: %s\n", err.msg); return 1; }
    int rc = 0;
    if (player_lesson_error(s)[0]) {
        fprintf(stderr, "%s\n", player_lesson_error(s));
        rc = 1;
    } else if (a.step > player_step_count(s)) {
        fprintf(stderr, "convlab --batch render: --step %d is beyond the lesson's %d steps\n", a.step, player_step_count(s));
        rc = 2;
    } else if (check_set_ranges(a.lesson, a.step, &a.overrides) != 0) {
        rc = 2;
    }
    if (rc == 0) {
        player_set_static(s, true);
        // reopen at the step (player_create_for opened step 0), then the image choice
        player_open(s, player_current_lesson(s), a.step - 1);
        if (a.image) player_set_image_offset(s, a.image);
        if (a.overrides.n) player_set_overrides(s, &a.overrides);
        if (a.position_given) rc = set_position_arg(s, &a);
    }
    if (rc == 0) {
        Canvas *c = canvas_create_offscreen(a.size[0], a.size[1], &theme, &err);
        if (!c) { fprintf(stderr, "convlab: %s\n", err.msg); rc = 1; }
        else {
            canvas_begin_frame(c);
            s->draw(s, c);
            if (canvas_save_png(c, a.out, &err) != 0) { fprintf(stderr, "convlab: %s\n", err.msg); rc = 1; }
            canvas_free(c);
            // A step that cannot be computed (stride 0, a kernel larger than the padded
            // input, ...) is drawn with its message as the window shows it, but --batch
            // must not pass it off as a good frame: say it and exit 1 (issue 7).
            const Scene *sc = player_scene(s);
            if (rc == 0 && sc && sc->error[0] && !sc->needs_data) {
                fprintf(stderr, "%s\n", sc->error);
                rc = 1;
            }
        }
    }
    s->destroy(s);
    lesson_data_free(data);
    draw_shutdown_fonts();
    if (have > 0) cifar_free(&cifar);
    return rc;
}

// ---- lessons-check --------------------------------------------------------------

static const char *CHECK_DATA_DIR; // --data for the steps that read training images
static LessonData *CHECK_DATA;     // their training images and measurements, computed now

static const NetSpec *CHECK_NET;  // --net FILE, or NULL for CNNNet
static char CHECK_NET_NAME[300];  // "--net FILE", named in its problems
static Canvas *CHECK_CANVAS;      // 1280x800 offscreen, or NULL without fonts (layout not checked)

// The explanation of step k (open in s) at the other values of each live setting
// (livecheck_values): a text that grows with its {key}s and choices must still fit.
static int check_layout_settings(Screen *s, const Lesson *l, int k, Lang lang) {
    AdjustParam ps[ADJUST_MAX];
    int n = adjust_params(l, &l->steps[k], ps, NULL), problems = 0;
    for (int i = 0; i < n; i++) {
        int vals[LIVECHECK_MAX_VALUES];
        int nv = livecheck_values(vals, &ps[i], adjust_value(&l->steps[k], NULL, &ps[i]));
        for (int j = 0; j < nv; j++) {
            SceneOverrides ov = {0};
            char value[16];
            ClError err;
            snprintf(value, sizeof value, ps[i].is_bool ? (vals[j] ? "true" : "false") : "%d", vals[j]);
            adjust_set(&ov, ps[i].key, value, &err);
            player_set_overrides(s, &ov);
            canvas_begin_frame(CHECK_CANVAS);
            s->draw(s, CHECK_CANVAS);
            if (player_text_overflow(s)) {
                printf("%s:%d: step %d (%s) at %s=%s: the explanation does not fit its panel at 1280x800; shorten it\n",
                       l->path, l->steps[k].line, k + 1, LANG_CODES[lang], ps[i].key, value);
                problems++;
            }
        }
    }
    if (n > 0) {
        SceneOverrides none = {0};
        player_set_overrides(s, &none);
    }
    return problems;
}

// Draws every step in both languages as the window would at 1280x800 and
// reports explanations that do not fit their panel (a student would see them cut).
static int check_layout(const char *path, const Lesson *l, const Cifar *cifar, const char *why) {
    ScreenContext ctx = {.lang = LANG_EN, .data_dir = CHECK_DATA_DIR, .cifar = cifar, .cifar_error = why,
                         .lesson_data = CHECK_DATA, .theme_name = "light", .net = CHECK_NET};
    ClError err;
    Screen *s = player_create_for(&ctx, path, 0, &err);
    if (!s) return 0; // already reported by the parser
    player_set_static(s, true);
    int problems = 0, pos = player_current_lesson(s);
    for (int lang = 0; lang < LANG_COUNT; lang++) {
        ctx.lang = (Lang)lang;
        for (int k = 0; k < l->n_steps; k++) {
            player_open(s, pos, k);
            canvas_begin_frame(CHECK_CANVAS);
            s->draw(s, CHECK_CANVAS);
            if (player_text_overflow(s)) {
                printf("%s:%d: step %d (%s): the explanation does not fit its panel at 1280x800; shorten it or split the step\n",
                       path, l->steps[k].line, k + 1, LANG_CODES[lang]);
                problems++;
            } else {
                problems += check_layout_settings(s, l, k, (Lang)lang);
            }
        }
    }
    s->destroy(s);
    return problems;
}

// A {key} in a caption or text that names no fact of the computed scene and no scene key of
// its step would reach the screen as written: expand them (scene_expand_text) and report
// what is left (not _{x} / ^{x}). ov/label: a live setting tried (NULL: the step's own),
// where a fact the scene does not record (it shows PyTorch's error) must not be used either.
static int check_placeholders(const char *path, const LessonStep *st, int k, const Scene *sc, const SceneOverrides *ov,
                              const char *label) {
    int problems = 0;
    for (int lang = 0; lang < LANG_COUNT; lang++) {
        const char *src[2] = {st->caption[lang], st->text[lang]};
        for (int i = 0; i < 2; i++) {
            static char buf[8192];
            scene_expand_text(buf, sizeof buf, src[i], st, ov, sc);
            for (const char *q = strchr(buf, '{'); q; q = strchr(q + 1, '{')) {
                if (q > buf && (q[-1] == '_' || q[-1] == '^')) continue;
                const char *end = strchr(q, '}');
                printf("%s:%d: step %d (%s)%s%s: '%.*s' names no scene key of this step%s; give the key a value in the step\n",
                       path, st->line, k + 1, LANG_CODES[lang], label ? " at " : "", label ? label : "",
                       end ? (int)(end - q + 1) : 1, q, label ? " there (a {error?...|...} choice can say why)" : "");
                problems++;
            }
        }
    }
    return problems;
}

static int CHECK_SETTINGS;        // settings tried (one key at one value), for the summary

// Whether sc shows PyTorch's error for its setting (a `pytorch-error` dump line):
// that setting's lesson is the error itself, so its claims are not checked there.
static bool shows_pytorch_error(const Scene *sc) {
    char *text = scene_dump_text(sc);
    bool yes = text && (strncmp(text, "pytorch-error", 13) == 0 || strstr(text, "\npytorch-error"));
    free(text);
    return yes;
}

// Step k at other values of each setting it declares in `adjust`
// (livecheck_values): its claims must hold there (param() reads the value)
// and its texts may not write a number that the setting changes
// (livecheck_stale); a {key} there follows the setting. One line per problem.
static int check_settings(const Lesson *l, int k, const SceneEnv *env0, const Scene *base, bool no_data, int *n_claims) {
    AdjustParam ps[ADJUST_MAX];
    ClError err;
    int n = adjust_params(l, &l->steps[k], ps, &err), problems = 0;
    for (int i = 0; i < n; i++) {
        int vals[LIVECHECK_MAX_VALUES];
        int nv = livecheck_values(vals, &ps[i], adjust_value(&l->steps[k], NULL, &ps[i]));
        bool stale_told = false; // one setting's stale numbers are enough to show the text does not follow
        for (int j = 0; j < nv; j++) {
            SceneOverrides ov = {0};
            char value[16], label[64];
            if (ps[i].is_bool) snprintf(value, sizeof value, "%s", vals[j] ? "true" : "false");
            else snprintf(value, sizeof value, "%d", vals[j]);
            snprintf(label, sizeof label, "%s=%s", ps[i].key, value);
            adjust_set(&ov, ps[i].key, value, &err);
            SceneEnv env = *env0;
            env.overrides = &ov;
            Scene sc;
            CHECK_SETTINGS++;
            // a combination PyTorch refuses (MaxPool2d's pad > kernel/2) cannot be computed: the step says so
            if (scene_compute(&sc, l, k, &env, &err) != 0) { scene_free(&sc); continue; }
            // an invalid combination shows PyTorch's message in the step, as the window does: nothing to check
            if (!sc.needs_data && !sc.error[0])
                problems += check_placeholders(l->path, &l->steps[k], k, &sc, &ov, label);
            if (!sc.needs_data && !sc.error[0] && !shows_pytorch_error(&sc)) {
                int checked = 0;
                problems += expect_check_at(l, k, &sc, &ov, label, CHECK_NET != NULL, no_data, stdout, &checked);
                *n_claims += checked;
                if (!stale_told) {
                    int stale = livecheck_stale(l, k, base, &sc, label, stdout);
                    problems += stale;
                    stale_told = stale > 0;
                }
            }
            scene_free(&sc);
        }
    }
    return problems;
}

// With --net: step k computed with CNNNet as well; a text that writes a number
// the chosen net changes (CNNNet's 608 where the net has 448) is stale, except
// in a step marked `about = cnnnet` (its text describes CNNNet itself).
static int check_net_numbers(const Lesson *l, int k, const SceneEnv *env0, const Scene *with_net) {
    const char *about = lesson_get(&l->steps[k], "about", NULL);
    if (about && strcmp(about, "cnnnet") == 0) return 0;
    SceneEnv env = *env0;
    env.net = NULL;
    Scene cnn;
    ClError err;
    int problems = 0;
    if (scene_compute(&cnn, l, k, &env, &err) == 0 && !cnn.error[0] && !cnn.needs_data)
        problems = livecheck_stale(l, k, &cnn, with_net, CHECK_NET_NAME, stdout);
    scene_free(&cnn);
    return problems;
}

static int check_file(const char *path, const Cifar *cifar, const char *why, int *needs_data, int *n_steps, int *n_claims) {
    int problems = 0;
    Lesson l;
    ClError err;
    // warnings are problems here: capture them line by line
    char *wbuf = NULL;
    size_t wlen = 0;
    FILE *w = open_memstream(&wbuf, &wlen);
    int rc = lesson_load(&l, path, w, &err);
    fclose(w);
    if (wlen) { fputs(wbuf, stdout); for (size_t i = 0; i < wlen; i++) problems += wbuf[i] == '\n'; }
    free(wbuf);
    if (rc != 0) { printf("%s\n", err.msg); return problems + 1; }
    for (int lang = 0; lang < LANG_COUNT; lang++)
        if (!l.title[lang][0]) { printf("%s:1: empty title.%s\n", path, LANG_CODES[lang]); problems++; }
    SceneEnv env = {.cifar = cifar, .data_hint = why, .window_override = -1, .data = CHECK_DATA, .net = CHECK_NET};
    for (int k = 0; k < l.n_steps; k++) {
        const LessonStep *st = &l.steps[k];
        // both languages: if one has a caption/text the other must too
        for (int lang = 0; lang < LANG_COUNT; lang++) {
            int other = 1 - lang;
            if (!st->caption[lang][0] && st->caption[other][0]) {
                printf("%s:%d: step %d has caption.%s but no caption.%s\n", path, st->line, k + 1, LANG_CODES[other], LANG_CODES[lang]);
                problems++;
            }
            if (!st->text[lang][0] && st->text[other][0]) {
                printf("%s:%d: step %d has text.%s but no text.%s\n", path, st->line, k + 1, LANG_CODES[other], LANG_CODES[lang]);
                problems++;
            }
        }
        if (!st->caption[0][0] && !st->text[0][0]) { printf("%s:%d: step %d has no caption or text\n", path, st->line, k + 1); problems++; }
        Scene sc;
        int checked = 0;
        if (scene_compute(&sc, &l, k, &env, &err) != 0) { printf("%s\n", err.msg); problems++; }
        else if (sc.needs_data) (*needs_data)++;
        else {
            problems += expect_check_at(&l, k, &sc, NULL, CHECK_NET ? CHECK_NET_NAME : NULL, CHECK_NET != NULL, cifar == NULL,
                                        stdout, &checked);
            if (!sc.error[0]) problems += check_settings(&l, k, &env, &sc, cifar == NULL, n_claims);
            if (!sc.error[0] && CHECK_NET) problems += check_net_numbers(&l, k, &env, &sc);
        }
        problems += check_placeholders(path, st, k, &sc, NULL, NULL);
        *n_claims += checked;
        scene_free(&sc);
    }
    *n_steps += l.n_steps;
    if (CHECK_CANVAS) problems += check_layout(path, &l, cifar, why);
    lesson_free(&l);
    return problems;
}

int batch_lessons_check_main(int argc, char **argv) {
    BatchArgs a;
    const char **given = cl_calloc((size_t)argc + 1, sizeof *given);
    int n_given = 0;
    if (parse(&LESSONS_CHECK_COMMAND, argc, argv, &a, given, &n_given)) { free(given); return 2; }
    CHECK_DATA_DIR = a.data;
    char **files = NULL;
    int n = 0;
    ClError err;
    if (n_given > 0) { files = (char **)given; n = n_given; }
    else if (player_find_lesson_files(&files, &n, &err) != 0) { printf("%s\n", err.msg); free(given); return 1; }
    static Cifar cifar;
    char why[1100];
    int have = load_data(&a, &cifar, why, sizeof why);
    if (have < 0) { if (n_given == 0) player_free_files(files, n); free(given); return 1; }
    int problems = 0, needs_data = 0, steps = 0, claims = 0;
    static Theme theme;
    theme_default_light(&theme);
    if (draw_init_fonts(&err) == 0) CHECK_CANVAS = canvas_create_offscreen(1280, 800, &theme, &err);
    if (!CHECK_CANVAS) fprintf(stderr, "note: layout not checked: %s\n", err.msg);
    static NetSpec net;
    if (load_net_arg(&a, &net) != 0) {
        if (n_given == 0) player_free_files(files, n);
        free(given);
        if (have > 0) cifar_free(&cifar);
        return 1;
    }
    CHECK_NET = a.net ? &net : NULL;
    snprintf(CHECK_NET_NAME, sizeof CHECK_NET_NAME, "--net %s", a.net ? a.net : "");
    CHECK_DATA = lesson_data_create(a.data, false);
    for (int i = 0; i < n; i++) problems += check_file(files[i], have ? &cifar : NULL, why, &needs_data, &steps, &claims);
    lesson_data_free(CHECK_DATA);
    CHECK_DATA = NULL;
    if (CHECK_CANVAS) { canvas_free(CHECK_CANVAS); CHECK_CANVAS = NULL; draw_shutdown_fonts(); }
    if (needs_data) fprintf(stderr, "note: %d steps use CIFAR-10 images, which are not loaded (%s); their numbers were not checked\n", needs_data, why);
    printf("%s: %d lesson files, %d steps, %d claims checked, %d live settings tried, %d problems\n",
           problems ? "FAILED" : "OK", n, steps, claims, CHECK_SETTINGS, problems);
    if (n_given == 0) player_free_files(files, n);
    free(given);
    if (have > 0) cifar_free(&cifar);
    return problems ? 1 : 0;
}

// ---- lesson --dump ------------------------------------------------------------------

// The step's captions and texts as the window shows them ({key} expanded with the
// scene's facts and the live values), one line each, paragraphs as "\n".
static void print_texts(const LessonStep *st, const SceneOverrides *ov, const Scene *sc) {
    static const char *const WHAT[2] = {"caption", "text"};
    for (int i = 0; i < 2; i++)
        for (int lang = 0; lang < LANG_COUNT; lang++) {
            const char *raw = i == 0 ? st->caption[lang] : st->text[lang];
            if (!raw || !raw[0]) continue;
            static char buf[8192];
            scene_expand_text(buf, sizeof buf, raw, st, ov, sc);
            printf("%s.%s ", WHAT[i], LANG_CODES[lang]);
            for (const char *p = buf; *p; p++)
                if (*p == '\n') fputs("\\n", stdout);
                else putchar(*p);
            putchar('\n');
        }
}

int batch_lesson_main(int argc, char **argv) {
    BatchArgs a;
    if (parse(&LESSON_COMMAND, argc, argv, &a, NULL, NULL)) return 2;
    if (!a.lesson) return bad_usage("lesson", "needs --lesson FILE", NULL);
    if (!a.dump) return bad_usage("lesson", "needs --dump (print each step's numbers)", NULL);
    static Cifar cifar;
    char why[1100];
    int have = load_data(&a, &cifar, why, sizeof why);
    if (have < 0) return 1;
    Lesson l;
    ClError err;
    if (lesson_load(&l, a.lesson, stderr, &err) != 0) { fprintf(stderr, "%s\n", err.msg); return 1; }
    if (a.step > l.n_steps) { lesson_free(&l); return bad_usage("lesson", "--step is beyond the lesson's steps", NULL); }
    for (int k = 0; k < l.n_steps; k++) {
        if (a.step && k != a.step - 1) continue;
        if (adjust_check_overrides(&l, &l.steps[k], &a.overrides, &err) != 0) {
            fprintf(stderr, "convlab --batch lesson: %s\n", err.msg);
            lesson_free(&l);
            return 2;
        }
    }
    static Picture picture;
    if (load_picture_arg(&a, &picture) != 0) {
        lesson_free(&l);
        if (have > 0) cifar_free(&cifar);
        return 1;
    }
    static NetSpec net;
    if (load_net_arg(&a, &net) != 0) {
        lesson_free(&l);
        if (have > 0) cifar_free(&cifar);
        return 1;
    }
    LessonData *data = lesson_data_create(a.data, false);
    SceneEnv env = {.cifar = have ? &cifar : NULL, .data_hint = why, .image_offset = a.image, .window_override = -1,
                    .data = data, .overrides = &a.overrides, .picture = a.picture ? &picture : NULL,
                    .use_picture = a.picture != NULL, .net = a.net ? &net : NULL};
    int rc = 0;
    printf("lesson %s\ntitle.en %s\ntitle.zh %s\nsteps %d\n", a.lesson, l.title[0], l.title[1], l.n_steps);
    for (int k = 0; k < l.n_steps; k++) {
        if (a.step && k != a.step - 1) continue;
        Scene sc;
        printf("== step %d/%d\n", k + 1, l.n_steps);
        if (scene_compute(&sc, &l, k, &env, &err) != 0) rc = 1;
        scene_dump(&sc, stdout);
        print_texts(&l.steps[k], &a.overrides, &sc);
        scene_free(&sc);
    }
    lesson_free(&l);
    lesson_data_free(data);
    if (have > 0) cifar_free(&cifar);
    return rc;
}
