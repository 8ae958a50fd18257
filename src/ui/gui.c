/* The window: SDL2 setup, the event loop and the screens (lesson player,
 * training). Redraws only when a screen says something changed or an
 * animation runs (SDL_WaitEventTimeout), so an idle window uses ~0 CPU.
 * Global keys: F/F11 fullscreen, F12 screenshot, Esc (leave fullscreen,
 * else quit), Q quit. CIFAR-10 is loaded after the first frame is shown.
 *
 *   convlab [--lesson FILE|N] [--step K] [--lang en|zh] [--theme light|dark]
 *           [--size WxH] [--data DIR] [--fullscreen]
 */
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <SDL2/SDL.h>

#include "engine/paths.h"
#include "app/app.h"
#include "engine/cifar.h"
#include "lesson/lesson.h"
#include "ui/sweep_gif.h"
#include "ui/draw.h"
#include "ui/player.h"
#include "ui/screen.h"
#include "ui/theme.h"

typedef struct {
    const char *lesson;     // --lesson FILE
    int step;               // --step K (1-based)
    Lang lang;
    const char *theme;
    int w, h;               // --size
    const char *data_dir;
    bool fullscreen;
    bool train;             // --train: open on the training screen
} GuiArgs;

static int usage(const char *msg, const char *arg) {
    fprintf(stderr, "convlab: %s%s%s; usage: convlab [--lesson FILE|N] [--step K] [--lang en|zh] [--theme light|dark] "
                    "[--size WxH] [--data DIR] [--fullscreen] [--train]\n", msg, arg ? " " : "", arg ? arg : "");
    return 2;
}

static int parse_args(int argc, char **argv, GuiArgs *a) {
    *a = (GuiArgs){NULL, 1, LANG_EN, "light", 1280, 800, paths_data_dir(NULL), false, false};
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(f, "--fullscreen") == 0) { a->fullscreen = true; continue; }
        if (strcmp(f, "--train") == 0) { a->train = true; continue; }
        if (!v) return usage("missing value after", f);
        if (strcmp(f, "--lesson") == 0) a->lesson = v;
        else if (strcmp(f, "--step") == 0) {
            char *e;
            long k = strtol(v, &e, 10);
            if (*e || k < 1) return usage("--step needs a step number >= 1, got", v);
            a->step = (int)k;
        } else if (strcmp(f, "--lang") == 0) {
            int l = lesson_lang_index(v);
            if (l < 0) return usage("--lang must be en or zh, got", v);
            a->lang = (Lang)l;
        } else if (strcmp(f, "--theme") == 0) {
            if (strcmp(v, "light") != 0 && strcmp(v, "dark") != 0) return usage("--theme must be light or dark, got", v);
            a->theme = v;
        } else if (strcmp(f, "--size") == 0) {
            if (sscanf(v, "%dx%d", &a->w, &a->h) != 2 || a->w < 320 || a->h < 200 || a->w > 16384 || a->h > 16384)
                return usage("--size must be WxH (at least 320x200), got", v);
        } else if (strcmp(f, "--data") == 0) a->data_dir = v;
        else return usage("unknown option", f);
        i++;
    }
    return 0;
}

static double now_s(void) { return (double)SDL_GetPerformanceCounter() / (double)SDL_GetPerformanceFrequency(); }

// CONVLAB_TIMING=1: prints how long each start-up phase took (for make bench).
static void phase(const char *what, double t_start) {
    static double last;
    if (!getenv("CONVLAB_TIMING")) return;
    double t = now_s();
    if (last == 0) last = t_start;
    fprintf(stderr, "  %-28s %6.1f ms (at %6.1f ms)\n", what, (t - last) * 1000, (t - t_start) * 1000);
    last = t;
}

// Renders the current screen offscreen at the window's pixel size and saves it.
// A short message at the bottom of the window (e.g. where a screenshot went).
static char TOAST[1100];
static double TOAST_UNTIL;

static void draw_toast(Canvas *c, double now) {
    if (now >= TOAST_UNTIL || !TOAST[0]) return;
    const Theme *th = canvas_theme(c);
    float w, h;
    text_measure(c, TOAST, th->font_body, false, &w, &h);
    float W = canvas_width(c), H = canvas_height(c);
    Rect box = {(W - w) / 2 - 16, H - th->formula_h - h - 40, w + 32, h + 16};
    draw_fill_round_rect(c, box, 8, th->title);
    draw_text(c, box.x + 16, box.y + 8, TOAST, text_style(c, th->font_body, th->bg));
}

static void screenshot(Screen *s, Canvas *win_canvas, const Theme *theme) {
    int w, h;
    SDL_GetRendererOutputSize(canvas_renderer(win_canvas), &w, &h);
    ClError err;
    Canvas *off = canvas_create_offscreen(w, h, theme, &err);
    if (!off) { fprintf(stderr, "convlab: screenshot: %s\n", err.msg); return; }
    canvas_begin_frame(off);
    s->draw(s, off);
    char path[512];
    const char *fixed = getenv("CONVLAB_SCREENSHOT");
    if (fixed && *fixed) snprintf(path, sizeof path, "%s", fixed);
    else {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(path, sizeof path, "convlab-%Y%m%d-%H%M%S.png", &tm);
    }
    if (canvas_save_png(off, path, &err) != 0) {
        fprintf(stderr, "convlab: %s\n", err.msg);
        snprintf(TOAST, sizeof TOAST, "\xE2\x9A\xA0 %s", err.msg);
    } else {
        char full[4096];
        if (!realpath(path, full)) snprintf(full, sizeof full, "%s", path);
        printf("screenshot: %s\n", full);
        snprintf(TOAST, sizeof TOAST, "screenshot: %.1000s", full);
    }
    TOAST_UNTIL = now_s() + 2.5;
    fflush(stdout);
    canvas_free(off);
}

// Shift+F12: the current step's window sweep as a GIF next to the screenshots.
static void save_sweep_gif(Screen *s, Canvas *win_canvas, const Theme *theme) {
    int w, h;
    SDL_GetRendererOutputSize(canvas_renderer(win_canvas), &w, &h);
    char path[512];
    const char *fixed = getenv("CONVLAB_SWEEP_GIF");
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    if (fixed && *fixed) snprintf(path, sizeof path, "%s", fixed);
    else strftime(path, sizeof path, "convlab-%Y%m%d-%H%M%S.gif", &tm);
    ClError err;
    int n = sweep_gif_write(s, theme, w, h, 2, path, &err);
    char full[4096];
    if (n < 0) { fprintf(stderr, "convlab: %s\n", err.msg); snprintf(TOAST, sizeof TOAST, "\xE2\x9A\xA0 %s", err.msg); }
    else {
        if (!realpath(path, full)) snprintf(full, sizeof full, "%s", path);
        printf("sweep GIF: %s (%d frames)\n", full, n);
        snprintf(TOAST, sizeof TOAST, "GIF: %.1000s (%d frames)", full, n);
    }
    TOAST_UNTIL = now_s() + 3.5;
    fflush(stdout);
}

int gui_main(int argc, char **argv) {
    double t_start = now_s();
    GuiArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc;
    ClError err;
    static Theme theme;
    if (theme_load_named(&theme, a.theme, &err) != 0) { fprintf(stderr, "convlab: %s\n", err.msg); return 1; }
    // X11 converts the UTF-8 window title through the C library's locale: without
    // a UTF-8 LC_CTYPE the "—" and "·" in the title are lost (only LC_CTYPE changes)
    if (!setlocale(LC_CTYPE, "") || strcmp(nl_langinfo(CODESET), "UTF-8") != 0) setlocale(LC_CTYPE, "C.UTF-8");
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_TIMER) != 0) {
        fprintf(stderr, "convlab: cannot open a window: %s; HINT: run under a desktop session or use --batch\n", SDL_GetError());
        return 1;
    }
    // Without a display SDL 2.26 falls back to its invisible "offscreen" driver: the
    // app would run unseen until killed. Refuse unless that driver was asked for.
    const char *driver = SDL_GetCurrentVideoDriver();
    if (driver && (strcmp(driver, "offscreen") == 0 || strcmp(driver, "dummy") == 0) && !getenv("SDL_VIDEODRIVER")) {
        fprintf(stderr, "convlab: no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset); "
                        "HINT: run it in a desktop session, under xvfb-run, or use --batch\n");
        SDL_Quit();
        return 1;
    }
    phase("SDL_Init (video)", t_start);
    if (draw_init_fonts(&err) != 0) { fprintf(stderr, "convlab: %s\n", err.msg); SDL_Quit(); return 1; }
    phase("fonts (fontconfig, ttf)", t_start);
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "1");
    SDL_Window *win = SDL_CreateWindow("convlab", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, a.w, a.h,
                                       SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI |
                                           (a.fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0));
    if (!win) { fprintf(stderr, "convlab: cannot create the window: %s\n", SDL_GetError()); SDL_Quit(); return 1; }
    SDL_SetWindowMinimumSize(win, 640, 400);
    phase("window", t_start);
    Canvas *canvas = canvas_create_window(win, &theme, &err);
    if (!canvas) { fprintf(stderr, "convlab: %s\n", err.msg); SDL_DestroyWindow(win); SDL_Quit(); return 1; }
    phase("renderer", t_start);

    static Cifar cifar;
    static char cifar_error[1100] = "CIFAR-10 is loading...";
    ScreenContext ctx = {a.lang, a.data_dir, NULL, cifar_error, a.theme, argc, argv};
    Screen *lessons = player_create_for(&ctx, a.lesson, a.step - 1, &err);
    if (!lessons) { fprintf(stderr, "convlab: %s\n", err.msg); canvas_free(canvas); SDL_DestroyWindow(win); SDL_Quit(); return 1; }
    Screen *train = NULL, *cur = lessons;
    cur->activate(cur, now_s());
    if (a.train && train_screen_create) { // the training screen as a screen of its own
        if (!(train = train_screen_create(&ctx, &err))) fprintf(stderr, "convlab: %s\n", err.msg);
        else { cur = train; cur->activate(cur, now_s()); }
    }
    phase("lessons (parse, first scene)", t_start);

    bool quit = false, first = true, redraw = true, want_shot = false, want_gif = false;
    char title[256] = "";
    double wake = 0;
    while (!quit) {
        SDL_Event ev;
        int timeout = redraw ? 0 : wake < 0 ? -1 : (int)(wake * 1000.0 + 0.5);
        int got = timeout < 0 ? SDL_WaitEvent(&ev) : SDL_WaitEventTimeout(&ev, timeout);
        while (got) {
            ScreenAction act = cur->handle_event(cur, &ev, canvas);
            if (ev.type == SDL_QUIT) quit = true;
            if (ev.type == SDL_WINDOWEVENT && (ev.window.event == SDL_WINDOWEVENT_SIZE_CHANGED ||
                                               ev.window.event == SDL_WINDOWEVENT_EXPOSED)) redraw = true;
            if (act == SCREEN_QUIT) quit = true;
            else if (act == SCREEN_SHOW_TRAINING && train_screen_create) {
                if (!train && !(train = train_screen_create(&ctx, &err))) fprintf(stderr, "convlab: %s\n", err.msg);
                if (train) { cur = train; cur->activate(cur, now_s()); redraw = true; }
            } else if (act == SCREEN_SHOW_LESSONS) {
                cur = lessons;
                cur->activate(cur, now_s());
                redraw = true;
            } else if (act == SCREEN_UNHANDLED && ev.type == SDL_KEYDOWN) {
                SDL_Keycode k = ev.key.keysym.sym;
                bool fs = SDL_GetWindowFlags(win) & (SDL_WINDOW_FULLSCREEN | SDL_WINDOW_FULLSCREEN_DESKTOP);
                if (k == SDLK_f || k == SDLK_F11) { SDL_SetWindowFullscreen(win, fs ? 0 : SDL_WINDOW_FULLSCREEN_DESKTOP); redraw = true; }
                else if (k == SDLK_F12 && (ev.key.keysym.mod & KMOD_SHIFT) && cur == lessons) want_gif = true;
                else if (k == SDLK_F12) want_shot = true;
                else if (k == SDLK_ESCAPE) { if (fs) { SDL_SetWindowFullscreen(win, 0); redraw = true; } else quit = true; }
                else if (k == SDLK_q) quit = true;
            }
            got = SDL_PollEvent(&ev);
        }
        if (quit) break;
        if (cur->update(cur, now_s(), &wake)) redraw = true;
        if (redraw) {
            canvas_begin_frame(canvas);
            cur->draw(cur, canvas);
            draw_toast(canvas, now_s());
            canvas_end_frame(canvas);
            redraw = false;
            char t[256];
            cur->title(cur, t, sizeof t);
            if (strcmp(t, title) != 0) { SDL_SetWindowTitle(win, t); snprintf(title, sizeof title, "%s", t); }
        }
        if (want_shot) { screenshot(cur, canvas, &theme); want_shot = false; redraw = true; }
        if (want_gif) { save_sweep_gif(cur, canvas, &theme); want_gif = false; redraw = true; }
        if (TOAST[0] && now_s() >= TOAST_UNTIL) { TOAST[0] = 0; redraw = true; } // take the message away
        if (TOAST[0] && (wake < 0 || wake > TOAST_UNTIL - now_s())) wake = TOAST_UNTIL - now_s();
        if (first) {
            first = false;
            phase("first frame drawn+presented", t_start);
            if (getenv("CONVLAB_EXIT_AFTER_FIRST_FRAME")) { // make bench: launch-to-first-frame, without the teardown
                fflush(stdout);
                fflush(stderr);
                _exit(0);
            }
            // the data comes after the first frame, so the window appears at once
            if (cifar_load_test(&cifar, a.data_dir, 0, &err) == 0) { ctx.cifar = &cifar; cifar_error[0] = 0; }
            else snprintf(cifar_error, sizeof cifar_error, "%s", err.msg);
            player_set_image_offset(lessons, 0); // recompute the step with the data
            redraw = true;
        }
    }
    if (train) train->destroy(train);
    lessons->destroy(lessons);
    canvas_free(canvas);
    draw_shutdown_fonts();
    SDL_DestroyWindow(win);
    SDL_Quit();
    if (ctx.cifar) cifar_free(&cifar);
    return 0;
}
