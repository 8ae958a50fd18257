/* A Screen is one full-window view driven by gui.c: the lesson player
 * (player.c) and the training dashboard (dashboard*.c, train_*.c). gui.c owns the
 * window, the Canvas and the event loop; it forwards every event to the
 * current screen and acts on the returned ScreenAction. Update is separate
 * from draw (raylib's habit): update(now) advances animations and returns
 * whether a redraw is needed; draw(canvas) only draws.
 *
 * Keys gui.c handles itself when a screen returns SCREEN_UNHANDLED:
 *   F / F11 fullscreen, F12 screenshot, Esc (leave fullscreen, else quit), Q quit.
 */
#ifndef CONVLAB_SCREEN_H
#define CONVLAB_SCREEN_H

#include <stdbool.h>
#include <SDL2/SDL.h>
#include "engine/cifar.h"
#include "engine/error.h"
#include "engine/picture.h"
#include "ui/draw.h"

typedef enum {
    SCREEN_UNHANDLED,      // gui.c applies its global keys
    SCREEN_HANDLED,        // consumed; gui.c calls update/draw as usual
    SCREEN_QUIT,           // leave the program (exit status 0)
    SCREEN_SHOW_TRAINING,  // switch to the training screen (T in the player)
    SCREEN_SHOW_LESSONS,   // switch back to the lesson player
} ScreenAction;

typedef enum { LANG_EN = 0, LANG_ZH = 1 } Lang;

// What gui.c shares with every screen. Screens may change lang (L key).
typedef struct {
    Lang lang;                // current UI language
    const char *data_dir;     // CIFAR-10 directory (default data/cifar-10-batches-bin)
    const Cifar *cifar;       // test set + class names, or NULL without data
    const char *cifar_error;  // why cifar is NULL ("" if loaded)
    const char *theme_name;   // "light" or "dark"
    int argc;                 // the program's arguments (screens may read their flags)
    char **argv;
    const Picture *picture;   // the student's own picture (--image FILE, a dropped file), or NULL
    bool use_picture;         // lesson steps show it in place of their CIFAR image (V toggles)
} ScreenContext;

typedef struct Screen Screen;
struct Screen {
    const char *name;   // "lessons", "training"
    void *self;         // the screen's own state
    // Handles one SDL event (mouse coordinates: canvas_window_to_logical).
    ScreenAction (*handle_event)(Screen *s, const SDL_Event *ev, Canvas *c);
    // Advances time-based state to `now` (seconds, monotonic). Returns true if
    // the screen must be redrawn; sets *wake_after to the seconds until it wants
    // the next update without an event (< 0: only after an event).
    bool (*update)(Screen *s, double now, double *wake_after);
    // Draws the whole window (begin/end frame are done by the caller).
    void (*draw)(Screen *s, Canvas *c);
    // Writes the window title, e.g. "convlab — Lesson 2/10 · step 5/23".
    void (*title)(Screen *s, char *buf, int n);
    // Called when the screen becomes current again (after a switch).
    void (*activate)(Screen *s, double now);
    // Frees the screen (stopping and joining any thread it started).
    void (*destroy)(Screen *s);
};

// The lesson player (player.c). files: lesson paths in order (n >= 0).
// Ownership: destroy through s->destroy.
Screen *player_screen_create(ScreenContext *ctx, char **files, int n, ClError *err);

// The training screen, provided by the dashboard*.c / train_*.c files. Declared weak so
// the program links before that screen exists; gui.c checks it for NULL.
Screen *train_screen_create(ScreenContext *ctx, ClError *err) __attribute__((weak));

#endif
