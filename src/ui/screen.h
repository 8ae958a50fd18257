/* A Screen is one full-window view driven by app/window.c: the lesson player
 * (player.c) and the training dashboard (dashboard*.c, train_*.c). app/window.c owns the
 * window, the Canvas and the event loop; it forwards every event to the
 * current screen and acts on the returned ScreenAction. Update is separate
 * from draw (raylib's habit): update(now) advances animations and returns
 * whether a redraw is needed; draw(canvas) only draws.
 *
 * Keys app/window.c handles itself when a screen returns SCREEN_UNHANDLED:
 *   F / F11 fullscreen, F12 screenshot, Esc (leave fullscreen, else quit), Q quit.
 */
#ifndef CONVLAB_SCREEN_H
#define CONVLAB_SCREEN_H

#include <stdbool.h>
#include "engine/netfile.h"
#include <SDL2/SDL.h>
#include "engine/cifar.h"
#include "engine/error.h"
#include "lesson/lesson.h"
#include "lesson/netlesson.h"
#include "engine/picture.h"
#include "ui/draw.h"

typedef enum {
    SCREEN_UNHANDLED,      // app/window.c applies its global keys
    SCREEN_HANDLED,        // consumed; app/window.c calls update/draw as usual
    SCREEN_QUIT,           // leave the program (exit status 0)
    SCREEN_SHOW_TRAINING,  // switch to the training screen (T in the player)
    SCREEN_SHOW_LESSONS,   // switch back to the lesson player
} ScreenAction;

// What app/window.c shares with every screen. Screens may change lang (L key).
typedef struct {
    Lang lang;                // current UI language
    const char *data_dir;     // CIFAR-10 directory (default data/cifar-10-batches-bin)
    const Cifar *cifar;       // test set + class names, or NULL without data
    const char *cifar_error;  // why cifar is NULL ("" if loaded)
    bool cifar_loading;       // cifar is NULL only because it is still being loaded
    LessonData *lesson_data;  // lessons 8-10's training images and measurements (session/lesson_data.h);
                              // owned by the driver (window.c, batch_lesson.c), outlives the screens
    const char *theme_name;   // "light" or "dark"
    const Theme *theme;       // its values (animation timing), or NULL for the defaults
    int argc;                 // the program's arguments (screens may read their flags)
    char **argv;
    const Picture *picture;   // the student's own picture (--image FILE, a dropped file), or NULL
    bool use_picture;         // lesson steps show it in place of their CIFAR image (V toggles)
    const NetSpec *net;       // --net FILE: the network of lesson 8 and the training screen; NULL: CNNNet
    const char *net_file;     // its path (the training screen builds its runs from it), or NULL
    bool can_fetch;           // the driver downloads CIFAR-10 into data_dir when D is pressed (the window)
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

// The training screen (train_screen.c, drawn by dashboard*.c).
// Ownership: destroy through s->destroy.
Screen *train_screen_create(ScreenContext *ctx, ClError *err);

#endif
