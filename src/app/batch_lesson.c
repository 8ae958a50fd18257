/* Headless lessons: --batch render (a step's frame as PNG, drawn by the same
 * player code as the window, on an offscreen software canvas),
 * --batch lessons-check (parse every lesson, compute every step, check both
 * languages; one line per problem) and --batch lesson --dump (each step's
 * numbers as text: the tests' view of a lesson).
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/paths.h"
#include "app/app.h"
#include "engine/cifar.h"
#include "lesson/lesson.h"
#include "lesson/scene.h"
#include "lesson/adjust.h"
#include "ui/draw.h"
#include "ui/player.h"
#include "ui/theme.h"

#define DEFAULT_DATA paths_data_dir(NULL)

typedef struct {
    const char *lesson, *out, *data, *theme;
    int step;           // 1-based, 0 = all / not given
    int w, h, image;
    Lang lang;
    bool dump;
    bool data_given;
    SceneOverrides overrides;   // --set KEY=VALUE: live parameters (lesson/adjust.h)
} BatchArgs;

static int bad_usage(const char *cmd, const char *msg, const char *arg) {
    fprintf(stderr, "convlab --batch %s: %s%s%s (see convlab --help)\n", cmd, msg, arg ? " " : "", arg ? arg : "");
    return 2;
}

// Parses the flags shared by render and lesson; returns 0, or 2 after a message.
static int parse(int argc, char **argv, BatchArgs *a) {
    *a = (BatchArgs){NULL, NULL, DEFAULT_DATA, "light", 0, 1280, 800, 0, LANG_EN, false, false, {0}};
    const char *cmd = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(f, "--dump") == 0) { a->dump = true; continue; }
        if (!v) return bad_usage(cmd, "missing value after", f);
        char *e;
        if (strcmp(f, "--lesson") == 0) a->lesson = v;
        else if (strcmp(f, "--out") == 0) a->out = v;
        else if (strcmp(f, "--data") == 0) { a->data = v; a->data_given = true; }
        else if (strcmp(f, "--set") == 0) {
            ClError serr;
            if (adjust_set_arg(&a->overrides, v, &serr) != 0) return bad_usage(cmd, serr.msg, NULL);
        }
        else if (strcmp(f, "--step") == 0) {
            long k = strtol(v, &e, 10);
            if (*e || k < 1) return bad_usage(cmd, "--step needs a step number >= 1, got", v);
            a->step = (int)k;
        } else if (strcmp(f, "--image") == 0) {
            long k = strtol(v, &e, 10);
            if (*e || k < 0 || k > 9999) return bad_usage(cmd, "--image needs 0..9999 (which image of the step's choice), got", v);
            a->image = (int)k;
        } else if (strcmp(f, "--size") == 0) {
            if (sscanf(v, "%dx%d", &a->w, &a->h) != 2 || a->w < 320 || a->h < 200 || a->w > 8192 || a->h > 8192)
                return bad_usage(cmd, "--size must be WxH between 320x200 and 8192x8192, got", v);
        } else if (strcmp(f, "--lang") == 0) {
            int l = lesson_lang_index(v);
            if (l < 0) return bad_usage(cmd, "--lang must be en or zh, got", v);
            a->lang = (Lang)l;
        } else if (strcmp(f, "--theme") == 0) {
            if (strcmp(v, "light") != 0 && strcmp(v, "dark") != 0) return bad_usage(cmd, "--theme must be light or dark, got", v);
            a->theme = v;
        } else return bad_usage(cmd, "unknown option", f);
        i++;
    }
    return 0;
}

// Loads the test set if the directory exists; an explicit --data must load.
static int load_data(const BatchArgs *a, Cifar *c, char *why, size_t n) {
    ClError err;
    if (cifar_load_test(c, a->data, 0, &err) == 0) { why[0] = 0; return 1; }
    snprintf(why, n, "%s", err.msg);
    if (a->data_given) { fprintf(stderr, "convlab: %s\n", err.msg); return -1; }
    return 0;
}

int batch_render_main(int argc, char **argv) {
    BatchArgs a;
    if (parse(argc, argv, &a)) return 2;
    if (!a.lesson) return bad_usage("render", "needs --lesson FILE", NULL);
    if (!a.step) return bad_usage("render", "needs --step K", NULL);
    if (!a.out) return bad_usage("render", "needs --out PNG", NULL);
    ClError err;
    static Theme theme;
    if (theme_load_named(&theme, a.theme, &err) != 0) { fprintf(stderr, "convlab: %s\n", err.msg); return 1; }
    if (draw_init_fonts(&err) != 0) { fprintf(stderr, "convlab: %s\n", err.msg); return 1; }
    static Cifar cifar;
    char why[1100];
    int have = load_data(&a, &cifar, why, sizeof why);
    if (have < 0) return 1;
    ScreenContext ctx = {a.lang, a.data, have ? &cifar : NULL, why, a.theme, argc, argv};
    Screen *s = player_create_for(&ctx, a.lesson, 0, &err);
    if (!s) { fprintf(stderr, "convlab: %s\n", err.msg); return 1; }
    int rc = 0;
    if (player_lesson_error(s)[0]) {
        fprintf(stderr, "%s\n", player_lesson_error(s));
        rc = 1;
    } else if (a.step > player_step_count(s)) {
        fprintf(stderr, "convlab --batch render: --step %d is beyond the lesson's %d steps\n", a.step, player_step_count(s));
        rc = 2;
    }
    if (rc == 0) {
        player_set_static(s, true);
        Canvas *c = canvas_create_offscreen(a.w, a.h, &theme, &err);
        if (!c) { fprintf(stderr, "convlab: %s\n", err.msg); rc = 1; }
        else {
            // reopen at the step (player_create_for opened step 0), then the image choice
            player_open(s, player_current_lesson(s), a.step - 1);
            if (a.image) player_set_image_offset(s, a.image);
            if (a.overrides.n) player_set_overrides(s, &a.overrides);
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
    draw_shutdown_fonts();
    if (have > 0) cifar_free(&cifar);
    return rc;
}

// ---- lessons-check --------------------------------------------------------------

static const char *CHECK_DATA_DIR; // --data for the steps that read training images

static Canvas *CHECK_CANVAS;      // 1280x800 offscreen, or NULL without fonts (layout not checked)

// Draws every step in both languages as the window would at 1280x800 and
// reports explanations that do not fit their panel (a student would see them cut).
static int check_layout(const char *path, const Lesson *l, const Cifar *cifar, const char *why) {
    ScreenContext ctx = {LANG_EN, CHECK_DATA_DIR, cifar, why, "light", 0, NULL};
    ClError err;
    Screen *s = player_create_for(&ctx, path, 0, &err);
    if (!s) return 0; // already reported by the parser
    player_set_static(s, true);
    int problems = 0, pos = player_current_lesson(s);
    for (int lang = 0; lang < LESSON_LANGS; lang++) {
        ctx.lang = (Lang)lang;
        for (int k = 0; k < l->n_steps; k++) {
            player_open(s, pos, k);
            canvas_begin_frame(CHECK_CANVAS);
            s->draw(s, CHECK_CANVAS);
            if (player_text_overflow(s)) {
                printf("%s:%d: step %d (%s): the explanation does not fit its panel at 1280x800; shorten it or split the step\n",
                       path, l->steps[k].line, k + 1, LESSON_LANG_CODES[lang]);
                problems++;
            }
        }
    }
    s->destroy(s);
    return problems;
}

static int check_file(const char *path, const Cifar *cifar, const char *why, int *needs_data, int *n_steps) {
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
    for (int lang = 0; lang < LESSON_LANGS; lang++)
        if (!l.title[lang][0]) { printf("%s:1: empty title.%s\n", path, LESSON_LANG_CODES[lang]); problems++; }
    SceneEnv env = {.cifar = cifar, .data_hint = why, .window_override = -1, .data_dir = CHECK_DATA_DIR};
    for (int k = 0; k < l.n_steps; k++) {
        const LessonStep *st = &l.steps[k];
        // both languages: if one has a caption/text the other must too
        for (int lang = 0; lang < LESSON_LANGS; lang++) {
            int other = 1 - lang;
            if (!st->caption[lang][0] && st->caption[other][0]) {
                printf("%s:%d: step %d has caption.%s but no caption.%s\n", path, st->line, k + 1, LESSON_LANG_CODES[other], LESSON_LANG_CODES[lang]);
                problems++;
            }
            if (!st->text[lang][0] && st->text[other][0]) {
                printf("%s:%d: step %d has text.%s but no text.%s\n", path, st->line, k + 1, LESSON_LANG_CODES[other], LESSON_LANG_CODES[lang]);
                problems++;
            }
        }
        if (!st->caption[0][0] && !st->text[0][0]) { printf("%s:%d: step %d has no caption or text\n", path, st->line, k + 1); problems++; }
        Scene sc;
        if (scene_compute(&sc, &l, k, &env, &err) != 0) { printf("%s\n", err.msg); problems++; }
        else if (sc.needs_data) (*needs_data)++;
        scene_free(&sc);
    }
    *n_steps += l.n_steps;
    if (CHECK_CANVAS) problems += check_layout(path, &l, cifar, why);
    lesson_free(&l);
    return problems;
}

int batch_lessons_check_main(int argc, char **argv) {
    BatchArgs a = {.data = DEFAULT_DATA};
    int first_file = 1;
    if (argc >= 3 && strcmp(argv[1], "--data") == 0) { a.data = argv[2]; a.data_given = true; first_file = 3; }
    CHECK_DATA_DIR = a.data;
    for (int i = first_file; i < argc; i++)
        if (argv[i][0] == '-') return bad_usage("lessons-check", "unknown option (give lesson files, or --data DIR first)", argv[i]);
    char **files = NULL;
    int n = 0;
    ClError err;
    if (first_file < argc) { files = argv + first_file; n = argc - first_file; }
    else if (player_find_lesson_files(&files, &n, &err) != 0) { printf("%s\n", err.msg); return 1; }
    static Cifar cifar;
    char why[1100];
    int have = load_data(&a, &cifar, why, sizeof why);
    if (have < 0) return 1;
    int problems = 0, needs_data = 0, steps = 0;
    static Theme theme;
    theme_default_light(&theme);
    if (draw_init_fonts(&err) == 0) CHECK_CANVAS = canvas_create_offscreen(1280, 800, &theme, &err);
    if (!CHECK_CANVAS) fprintf(stderr, "note: layout not checked: %s\n", err.msg);
    for (int i = 0; i < n; i++) problems += check_file(files[i], have ? &cifar : NULL, why, &needs_data, &steps);
    if (CHECK_CANVAS) { canvas_free(CHECK_CANVAS); CHECK_CANVAS = NULL; draw_shutdown_fonts(); }
    if (needs_data) fprintf(stderr, "note: %d steps use CIFAR-10 images, which are not loaded (%s); their numbers were not checked\n", needs_data, why);
    printf("%s: %d lesson files, %d steps, %d problems\n", problems ? "FAILED" : "OK", n, steps, problems);
    if (first_file >= argc) player_free_files(files, n);
    if (have > 0) cifar_free(&cifar);
    return problems ? 1 : 0;
}

// ---- lesson --dump ------------------------------------------------------------------

int batch_lesson_main(int argc, char **argv) {
    BatchArgs a;
    if (parse(argc, argv, &a)) return 2;
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
    SceneEnv env = {.cifar = have ? &cifar : NULL, .data_hint = why, .image_offset = a.image, .window_override = -1,
                    .data_dir = a.data, .overrides = &a.overrides};
    int rc = 0;
    printf("lesson %s\ntitle.en %s\ntitle.zh %s\nsteps %d\n", a.lesson, l.title[0], l.title[1], l.n_steps);
    for (int k = 0; k < l.n_steps; k++) {
        if (a.step && k != a.step - 1) continue;
        Scene sc;
        printf("== step %d/%d\n", k + 1, l.n_steps);
        if (scene_compute(&sc, &l, k, &env, &err) != 0) rc = 1;
        scene_dump(&sc, stdout);
        scene_free(&sc);
    }
    lesson_free(&l);
    if (have > 0) cifar_free(&cifar);
    return rc;
}
