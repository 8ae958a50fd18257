/* --batch export --lesson FILE --format gif|pdf|png --out PATH [--lang en|zh]
 * [--theme NAME] [--size WxH] [--fps N] [--data DIR]: a lesson for slides and
 * handouts. The frames come from the player on an offscreen canvas, exactly
 * as --batch render draws them; the GIF also sweeps the window over every
 * output cell of the steps that have one (conv and pool). Output is written to
 * a temporary file (or, for png, temporary names) in the target folder and
 * renamed into place only when complete: an unwritable path, a full disk or
 * Ctrl-C leaves nothing at PATH, and the error is one line.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <SDL2/SDL_image.h>

#include "app/app.h"
#include "app/export.h"
#include "app/flags.h"
#include "session/lesson_data.h"
#include "engine/cifar.h"
#include "engine/paths.h"
#include "lesson/lesson.h"
#include "ui/draw.h"
#include "ui/player.h"
#include "ui/sweep_gif.h"
#include "ui/theme.h"

enum { FMT_GIF, FMT_PDF, FMT_PNG };

typedef struct {
    const char *lesson, *out, *data;
    int format, lang, theme, fps;
    int size[2];
} ExportArgs;

static volatile sig_atomic_t INTERRUPTED;
static void on_signal(int sig) { (void)sig; INTERRUPTED = 1; }

// The writer state of one export: exactly one of gif/pdf, or png's folder.
typedef struct {
    const ExportArgs *a;
    const Lesson *lesson;
    FILE *f;                // the temporary file (gif, pdf)
    char tmp[4200];         // its name
    GifOut *gif;
    PdfOut *pdf;
    char **pngs;            // (n_pngs) PNG files written so far (removed on failure)
    int n_pngs;
    int frames;
} Export;

static int usage(const char *msg) {
    fprintf(stderr, "convlab --batch export: %s (see convlab --help)\n", msg);
    return 2;
}

static const Flag EXPORT_FLAGS[] = {
    {"--lesson", FLAG_STRING, offsetof(ExportArgs, lesson), .value = "FILE|N", .help = "the lesson (a file or its number)"},
    {"--format", FLAG_CHOICE, offsetof(ExportArgs, format), .choices = "gif|pdf|png",
     .help = "gif: every step, and every window position of the steps that show a window (the\n"
             "sweep, up to 100 positions), looping, a palette chosen per frame; each step's last\n"
             "frame stays 2 s;\n"
             "pdf: one A4 page per step: the frame at full resolution, the caption and the\n"
             "text as selectable text in the chosen language;\n"
             "png: PATH is a folder: step-01.png, step-02.png, ..."},
    {"--out", FLAG_STRING, offsetof(ExportArgs, out), .value = "PATH",
     .help = "the file (gif, pdf) or folder (png); it appears only when complete"},
    {"--lang", FLAG_CHOICE, offsetof(ExportArgs, lang), .choices = "en|zh", .help = "language of the text (default en)"},
    {"--theme", FLAG_CHOICE, offsetof(ExportArgs, theme), .choices = THEME_CHOICES, .value = "NAME",
     .help = "light (default) or dark"},
    {"--size", FLAG_SIZE, offsetof(ExportArgs, size), 320, 4096, .value = "WxH", .help = "frame size in pixels (default 1280x800)"},
    {"--fps", FLAG_INT, offsetof(ExportArgs, fps), 1, 50, .value = "N",
     .help = "window positions per second in the GIF, 1..50 (default 2)"},
    {"--data", FLAG_STRING, offsetof(ExportArgs, data), .value = "DIR", .help = "CIFAR-10 (default: see DATA below)"},
};

const Command EXPORT_COMMAND = {
    .name = "export", .usage = "--lesson FILE|N --format gif|pdf|png --out PATH [--lang en|zh]\n"
                               "                       [--theme NAME] [--size WxH] [--fps N] [--data DIR]",
    .summary = "A lesson for slides and handouts, drawn as --batch render draws it.\n"
               "A full disk or Ctrl-C leaves nothing at PATH.",
    .flags = EXPORT_FLAGS, .n_flags = FLAG_COUNT(EXPORT_FLAGS),
    .run = batch_export_main,
};

static int parse_args(ExportArgs *a, int argc, char **argv) {
    *a = (ExportArgs){.format = -1, .fps = 2, .size = {1280, 800}};
    ClError err;
    if (flags_parse(&EXPORT_COMMAND, a, argc, argv, 1, NULL, NULL, &err) != 0) {
        fprintf(stderr, "convlab --batch %s (see convlab --help)\n", err.msg);
        return 2;
    }
    if (!a->lesson) return usage("needs --lesson FILE (or a lesson number)");
    if (a->format < 0) return usage("needs --format gif, pdf or png");
    if (!a->out) return usage("needs --out PATH (a file for gif and pdf, a folder for png)");
    return 0;
}

// ---- output files: temporary, then renamed ------------------------------------

// Opens a temporary file next to path ("DIR/.NAME.XXXXXX").
static FILE *open_temp(char *tmp, size_t n, const char *path, ClError *err) {
    const char *slash = strrchr(path, '/');
    int dl = slash ? (int)(slash - path + 1) : 0;
    if (snprintf(tmp, n, "%.*s.%s.XXXXXX", dl, path, slash ? slash + 1 : path) >= (int)n)
        { cl_fail(err, "%s: path is too long", path); return NULL; }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        cl_fail(err, "%s: cannot write there (%s); choose a folder that exists and is writable", path, strerror(errno));
        return NULL;
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) { close(fd); unlink(tmp); cl_fail(err, "%s: %s", path, strerror(errno)); }
    return f;
}

// Flushes, syncs and closes f, then renames tmp to path; removes tmp on failure.
static int commit_temp(FILE *f, const char *tmp, const char *path, ClError *err) {
    int rc = 0;
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) rc = cl_fail(err, "%s: writing failed (%s); free some space and try again", path, strerror(errno));
    if (fclose(f) != 0 && rc == 0) rc = cl_fail(err, "%s: writing failed (%s); free some space and try again", path, strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0) rc = cl_fail(err, "%s: cannot rename the finished file into place (%s)", path, strerror(errno));
    if (rc != 0) unlink(tmp);
    return rc;
}

static int export_begin(Export *x, int w, int h, ClError *err) {
    if (x->a->format == FMT_PNG) {
        if (mkdir(x->a->out, 0777) != 0 && errno != EEXIST)
            return cl_fail(err, "%s: cannot create the folder (%s); choose a writable place", x->a->out, strerror(errno));
        struct stat st;
        if (stat(x->a->out, &st) != 0 || !S_ISDIR(st.st_mode)) return cl_fail(err, "%s: is not a folder; --format png writes one PNG per step into a folder", x->a->out);
        return 0;
    }
    x->f = open_temp(x->tmp, sizeof x->tmp, x->a->out, err);
    if (!x->f) return -1;
    if (x->a->format == FMT_GIF) x->gif = gif_out_open(x->f, w, h, err);
    else x->pdf = pdf_out_open(x->f, err);
    if (x->gif || x->pdf) return 0;
    fclose(x->f);
    unlink(x->tmp);
    x->f = NULL;
    return -1;
}

// Closes the writer; on success renames the file into place. On failure
// (ok == false or a close error) removes everything this export wrote.
static int export_end(Export *x, bool ok, ClError *err) {
    ClError e2;
    ClError *e = ok ? err : &e2;
    int rc = ok ? 0 : -1;
    if (x->gif && gif_out_close(x->gif, e) != 0) rc = -1;
    if (x->pdf && pdf_out_close(x->pdf, e) != 0) rc = -1;
    if (x->f) {
        if (rc == 0) rc = commit_temp(x->f, x->tmp, x->a->out, err);
        else { fclose(x->f); unlink(x->tmp); }
    }
    for (int i = 0; i < x->n_pngs; i++) {
        if (rc != 0) unlink(x->pngs[i]);
        free(x->pngs[i]);
    }
    free(x->pngs);
    return rc;
}

// Writes one PNG step-NN.png into the folder, through a temporary name.
static int write_png(Export *x, SDL_Surface *s, int step, ClError *err) {
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/step-%02d.png", x->a->out, step + 1);
    snprintf(tmp, sizeof tmp, "%s/.step-%02d.png.tmp", x->a->out, step + 1);
    SDL_RWops *rw = SDL_RWFromFile(tmp, "wb");
    if (!rw) return cl_fail(err, "%s: cannot write (%s); choose a writable folder", tmp, SDL_GetError());
    int rc = IMG_SavePNG_RW(s, rw, 0);
    FILE *fp = rw->type == SDL_RWOPS_STDFILE ? rw->hidden.stdio.fp : NULL;
    if (rc == 0 && fp && (fflush(fp) != 0 || fsync(fileno(fp)) != 0)) rc = -1;
    if (SDL_RWclose(rw) != 0) rc = -1;
    if (rc != 0) { unlink(tmp); return cl_fail(err, "%s: writing the PNG failed; the disk may be full: free some space and try again", path); }
    if (rename(tmp, path) != 0) { unlink(tmp); return cl_fail(err, "%s: cannot rename into place (%s)", path, strerror(errno)); }
    x->pngs = realloc(x->pngs, sizeof(char *) * (size_t)(x->n_pngs + 1));
    CL_ASSERT(x->pngs);
    x->pngs[x->n_pngs++] = strdup(path);
    return 0;
}

// Hands one drawn frame to the writer. delay_cs: GIF display time.
static int emit(Export *x, Canvas *c, int step, int delay_cs, ClError *err) {
    SDL_Surface *s = canvas_read_pixels(c);
    if (!s) return cl_fail(err, "cannot read the frame back: %s", SDL_GetError());
    int rc = 0;
    if (x->a->format == FMT_PNG) rc = write_png(x, s, step, err);
    else {
        // tightly packed (h, w, 4) copy: the surface pitch may be padded
        uint8_t *rgba = cl_malloc((size_t)s->w * s->h * 4);
        for (int y = 0; y < s->h; y++) memcpy(rgba + (size_t)y * s->w * 4, (uint8_t *)s->pixels + (size_t)y * s->pitch, (size_t)s->w * 4);
        if (x->gif) rc = gif_out_add(x->gif, rgba, delay_cs, err);
        else {
            const LessonStep *st = &x->lesson->steps[step];
            char heading[1024];
            snprintf(heading, sizeof heading, "%s · %d/%d", x->lesson->title[x->a->lang], step + 1, x->lesson->n_steps);
            rc = pdf_out_add_page(x->pdf, rgba, s->w, s->h, heading, st->caption[x->a->lang], st->text[x->a->lang], err);
        }
        free(rgba);
    }
    SDL_FreeSurface(s);
    x->frames++;
    return rc;
}

static void draw_frame(Screen *s, Canvas *c) {
    canvas_begin_frame(c);
    s->draw(s, c);
}

// Every step (and for the GIF every window position) through the writer.
static int export_steps(Export *x, Screen *s, Canvas *c, ClError *err) {
    int pos = player_current_lesson(s), n = player_step_count(s), frame_cs = 100 / x->a->fps;
    for (int k = 0; k < n; k++) {
        player_open(s, pos, k);
        const Scene *sc = player_scene(s);
        if (sc && sc->error[0] && !sc->needs_data) return cl_fail(err, "%s", sc->error);
        int sweep = x->a->format == FMT_GIF ? sweep_gif_positions(sc) : 0;
        for (int at = 1; at <= (sweep ? sweep : 1); at++) {
            if (INTERRUPTED) return cl_fail(err, "interrupted; nothing was written to %s", x->a->out);
            if (sweep) player_set_position(s, at);
            draw_frame(s, c);
            bool last = !sweep || at == sweep;
            if (emit(x, c, k, last && frame_cs < SWEEP_HOLD_CS ? SWEEP_HOLD_CS : frame_cs, err) != 0) return -1;
        }
    }
    return 0;
}

// Loads the lesson file the player opened (for the PDF's title, captions and
// texts): the path as given, or for a lesson number its file in lessons/.
static int load_lesson_text(Lesson *l, Screen *s, const char *given, ClError *err) {
    if (lesson_load(l, given, NULL, err) == 0) return 0;
    char **files;
    int n, pos = player_current_lesson(s);
    if (player_find_lesson_files(&files, &n, err) != 0) return -1;
    int rc = pos >= 0 && pos < n ? lesson_load(l, files[pos], NULL, err) : cl_fail(err, "%s: no such lesson", given);
    player_free_files(files, n);
    return rc;
}

// Opens the lesson in the player, draws and writes every frame; 0 or -1.
static int run_export(const ExportArgs *a, ScreenContext *ctx, const Theme *theme, ClError *err) {
    Screen *s = player_create_for(ctx, a->lesson, 0, err);
    if (!s) return -1;
    int rc = -1;
    Lesson l;
    Canvas *c = NULL;
    if (player_lesson_error(s)[0]) cl_fail(err, "%s", player_lesson_error(s));
    else if (load_lesson_text(&l, s, a->lesson, err) == 0) {
        player_set_static(s, true);
        c = canvas_create_offscreen(a->size[0], a->size[1], theme, err);
        if (c) {
            Export x = {.a = a, .lesson = &l};
            if (export_begin(&x, a->size[0], a->size[1], err) == 0) {
                int ok = export_steps(&x, s, c, err) == 0;
                rc = export_end(&x, ok, err) == 0 ? 0 : -1;
                if (rc == 0) {
                    struct stat st;
                    const char *what = a->format == FMT_GIF ? "frames" : a->format == FMT_PDF ? "pages" : "PNGs";
                    if (a->format != FMT_PNG && stat(a->out, &st) == 0)
                        printf("wrote %s: %d %s, %lld bytes\n", a->out, x.frames, what, (long long)st.st_size);
                    else printf("wrote %s: %d %s\n", a->out, x.frames, what);
                }
            }
            canvas_free(c);
        }
        lesson_free(&l);
    }
    s->destroy(s);
    return rc;
}

int batch_export_main(int argc, char **argv) {
    ExportArgs a;
    if (parse_args(&a, argc, argv) != 0) return 2;
    ClError err;
    static Theme theme;
    if (theme_load_named(&theme, THEME_NAMES[a.theme], &err) != 0 || draw_init_fonts(&err) != 0) {
        fprintf(stderr, "convlab: %s\n", err.msg);
        return 1;
    }
    // Lessons without CIFAR-10 still export: their image steps show how to get it.
    static Cifar cifar;
    char why[1100] = "";
    const char *dir = paths_data_dir(a.data);
    bool have = cifar_load_test(&cifar, dir, 0, &err) == 0;
    if (!have) {
        if (a.data) { fprintf(stderr, "convlab: %s\n", err.msg); draw_shutdown_fonts(); return 1; }
        snprintf(why, sizeof why, "%s", err.msg);
        fprintf(stderr, "note: CIFAR-10 is not loaded, image steps show how to get it (%s)\n", err.msg);
    }
    LessonData *data = lesson_data_create(dir, false); // as --batch render: measurements computed now
    ScreenContext ctx = {.lang = (Lang)a.lang, .data_dir = dir, .cifar = have ? &cifar : NULL, .cifar_error = why,
                         .lesson_data = data, .theme_name = THEME_NAMES[a.theme], .theme = &theme};
    // Ctrl-C / SIGTERM stop between frames and remove the temporary output; a
    // file-size limit (ulimit -f) must fail the write, not kill the process.
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGXFSZ, SIG_IGN);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = run_export(&a, &ctx, &theme, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != 0) fprintf(stderr, "convlab: %s\n", err.msg);
    else fprintf(stderr, "export took %.1f s\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9);
    lesson_data_free(data);
    draw_shutdown_fonts();
    if (have) cifar_free(&cifar);
    return rc == 0 ? 0 : INTERRUPTED ? 130 : 1;
}
