/* The lesson player (a Screen): top bar "Lesson n/N · Title  step k/K [en|zh]
 * ? help", the scene's view on the left, the explanation on the right, the
 * formula bar at the bottom; the lesson index; the help overlay. Update
 * (keys, time, animation) is kept apart from draw. A step's content is
 * scene_compute(lesson, step, image choice): history never matters, except
 * that a forward step animates from the previous scene for anim_ms.
 */
#include "engine/paths.h"
#include "ui/player.h"

#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lesson/lesson.h"
#include "lesson/netlesson.h"
#include "session/lesson_data.h"
#include "lesson/scene.h"
#include "ui/view.h"
#include "lesson/adjust.h"
#include "lesson/scene_facts.h"
#include "ui/adjust_bar.h"

static const float SPEEDS[] = {0.5f, 0.75f, 1.0f, 1.5f, 2.0f, 3.0f};
#define N_SPEEDS (int)(sizeof SPEEDS / sizeof SPEEDS[0])
#define AUTOPLAY_BASE_S 2.5   // seconds per step at speed 1
#define SWEEP_BASE_S AUTOPLAY_BASE_S // a sweep (J) moves at the auto-play speed: 2.5 s a position at 1x
#define CATCH_UP_MAX_S 4.0    // a step whose window skipped ahead slides there in at most this
#define INDEX_TOP 150.0f      // first row of the lesson index below the top bar
#define INDEX_ROW_H 50.0f     // 10 lessons fit above the key hints at 1280x800

typedef struct {
    char path[512];
    Lesson lesson;
    bool ok;
    char error[1024];           // load error if !ok
} LessonEntry;

// Where the last frame drew things: player_draw's only output, read by the
// next events (clicks, the wheel, the tooltip) and by lessons-check.
typedef struct {
    HitMap hits;                // grids of the last frame
    AdjustChip chips[ADJUST_MAX]; // where the adjust bar drew its chips (mouse: left up, right down)
    int n_chips;
    bool text_overflow;         // the explanation was clipped (too long for its panel)
} PlayerFrame;

typedef struct {
    ScreenContext *ctx;
    LessonEntry *lessons;       // (n_lessons)
    int n_lessons;
    int cur;                    // open lesson, -1 = the index
    int step;                   // 0-based step in the open lesson
    int index_sel;              // highlighted row on the index
    Scene scene;                // the current step's numbers
    Scene prev;                 // the previous step's, while animating
    bool have_prev;
    int image_offset;           // N / Shift+N
    int window_override;        // the window's position − 1 (a click, , . J, --position); -1: the
                                // step's own `window`; reset on every step change
    int zoom, zoom_cx, zoom_cy; // mouse-wheel zoom into the picture (0 = the lesson's crop); reset likewise
    SceneOverrides overrides;   // live parameters (the step's `adjust` keys); reset likewise
    // time
    double now;                 // last update time
    double anim_start;          // < 0: starts at the next update
    bool animating;             // a step transition runs (prev -> scene), ended by update
    float anim_t;               // its progress 0..1, set by update
    bool is_static;             // --batch: no animation, no tooltip
    bool autoplay;
    int speed;                  // index into SPEEDS
    double next_auto;           // when auto-play advances
    // the window's sweep (J, or a step's catch-up): the position moves one cell on
    // every sweep_dt seconds until it reaches sweep_to
    bool sweeping;
    int sweep_to;               // the sweep's last position (1-based)
    double sweep_dt, sweep_next;
    // overlays and input
    bool help;
    bool dirty;
    float mouse_x, mouse_y;
    bool mouse_in;
    PlayerFrame frame;          // what the last frame drew where (written by draw only)
    unsigned measure_gen;       // lesson_data_generation() when the scene was last computed
} Player;

// ---- lesson files ------------------------------------------------------------------

void player_free_files(char **files, int n) {
    for (int i = 0; i < n; i++) free(files[i]);
    free(files);
}

int player_find_lesson_files(char ***files, int *n, ClError *err) {
    *files = NULL;
    *n = 0;
    char pattern[4200];
    glob_t g;
    int rc = paths_find_resource(pattern, sizeof pattern - 9, "lessons") == 0 ? 0 : GLOB_NOMATCH;
    if (rc == 0) {
        strcat(pattern, "/*.lesson");
        rc = glob(pattern, 0, NULL, &g);
    }
    if (rc != 0) return cl_fail(err, "no lessons found (lessons/*.lesson next to the program, in the current folder or under PREFIX/share/convlab); HINT: run make install, or run convlab from the source tree");
    *files = cl_calloc(g.gl_pathc, sizeof(char *));
    for (size_t i = 0; i < g.gl_pathc; i++) {
        size_t l = strlen(g.gl_pathv[i]) + 1;
        (*files)[i] = cl_malloc(l);
        memcpy((*files)[i], g.gl_pathv[i], l);
    }
    *n = (int)g.gl_pathc;
    globfree(&g);
    return 0;
}

// ---- state changes ----------------------------------------------------------------

static SceneEnv env_of(Player *p) {
    return (SceneEnv){.cifar = p->ctx->cifar, .data_hint = p->ctx->cifar_error, .image_offset = p->image_offset,
                      .picture = p->ctx->picture, .use_picture = p->ctx->use_picture, .net = p->ctx->net,
                      .window_override = p->window_override, .zoom = p->zoom, .zoom_cx = p->zoom_cx, .zoom_cy = p->zoom_cy,
                      .data_loading = p->ctx->cifar_loading, .data = p->ctx->lesson_data,
                      .overrides = &p->overrides};
}

// p->scene from the state (lesson, step, position, image, live parameters); p->scene is empty.
static void compute_scene(Player *p) {
    if (p->cur >= 0 && p->lessons[p->cur].ok) {
        SceneEnv env = env_of(p);
        scene_compute(&p->scene, &p->lessons[p->cur].lesson, p->step, &env, NULL);
    }
    p->dirty = true;
}

static void recompute(Player *p, bool animate) {
    if (p->have_prev) scene_free(&p->prev);
    p->have_prev = false;
    if (animate && !p->is_static && p->scene.kind) {
        p->prev = p->scene; // keep the old numbers for the transition
        p->have_prev = true;
        memset(&p->scene, 0, sizeof p->scene);
        p->anim_start = -1;
        p->anim_t = 0;
        p->animating = true;
    } else {
        scene_free(&p->scene);
        p->animating = false;
    }
    compute_scene(p);
}

static int n_steps(const Player *p) {
    return p->cur >= 0 && p->lessons[p->cur].ok ? p->lessons[p->cur].lesson.n_steps : 1;
}

// ---- the window's position and its sweep ------------------------------------------

static double sweep_interval(const Player *p) { return SWEEP_BASE_S / SPEEDS[p->speed]; }

// The window at position pos (1-based; 0: the step's own `window`), sliding there if animate.
static void go_position(Player *p, int pos, bool animate) {
    p->window_override = pos > 0 ? pos - 1 : -1;
    recompute(p, animate);
}

// Starts a sweep from position `from` (shown now) to `to`, one position every dt seconds.
static void start_sweep(Player *p, int from, int to, double dt) {
    go_position(p, from, true);
    p->sweeping = from < to;
    p->sweep_to = to;
    p->sweep_dt = dt;
    p->sweep_next = p->now + dt;
}

// J: plays the sweep from the next position (from the first after the last,
// or when no window is shown) to the last; J again stops it where it is.
static void toggle_sweep(Player *p) {
    int n = scene_position_count(&p->scene), pos = scene_position(&p->scene);
    if (p->sweeping || n == 0) { p->sweeping = false; p->dirty = true; return; }
    start_sweep(p, pos == 0 || pos == n ? 1 : pos + 1, n, sweep_interval(p));
}

// , / .: the window one position back / forward (from `window = all` forward starts
// again at 1, back is the last; from `none` both give 1).
static void step_position(Player *p, int dir) {
    int n = scene_position_count(&p->scene), pos = scene_position(&p->scene);
    p->sweeping = false;
    if (n == 0) return;
    bool all = pos == 0 && p->scene.n_filled >= n;
    int next = pos == 0 ? (all && dir < 0 ? n : 1) : pos + dir;
    if (next < 1 || next > n || next == pos) return;
    go_position(p, next, true);
}

// Advances a running sweep to the position due at `now` (several if frames came
// late, so a catch-up keeps its length); true if the window moved.
static bool advance_sweep(Player *p, double now) {
    if (!p->sweeping) return false;
    int pos = scene_position(&p->scene), next = pos;
    for (; now >= p->sweep_next && next < p->sweep_to; p->sweep_next += p->sweep_dt) next++;
    if (pos == 0 || next > scene_position_count(&p->scene)) { p->sweeping = false; return false; }
    if (next != pos) go_position(p, next, true);
    if (next >= p->sweep_to) {
        p->sweeping = false;
        p->next_auto = now + AUTOPLAY_BASE_S / SPEEDS[p->speed]; // auto-play waits for the sweep
    }
    return next != pos;
}

// True if a and b sweep the same grid (the same kind over the same input and output sizes).
static bool same_sweep(const Scene *a, const Scene *b) {
    return a->kind == b->kind && a->input.rows == b->input.rows && a->input.cols == b->input.cols &&
           a->output.rows == b->output.rows && a->output.cols == b->output.cols;
}

static void go_step(Player *p, int step) {
    int K = n_steps(p);
    if (step < 0) step = 0;
    if (step > K - 1) step = K - 1;
    bool forward_one = step == p->step + 1;
    if (step == p->step && p->window_override < 0 && p->zoom == 0 && p->overrides.n == 0) return;
    p->step = step;
    p->window_override = -1;
    p->zoom = 0;
    p->overrides.n = 0;
    p->sweeping = false;
    int from = forward_one ? scene_position(&p->scene) : 0;
    recompute(p, forward_one);
    // No step skips positions without showing them: when the window jumped
    // ahead (2 → 9), it slides on from where it was through every position.
    int to = scene_position(&p->scene);
    if (from > 0 && to > from + 1 && p->have_prev && same_sweep(&p->prev, &p->scene)) {
        p->window_override = from; // position from + 1
        scene_free(&p->scene);
        compute_scene(p);
        p->sweeping = true;
        p->sweep_to = to;
        p->sweep_dt = fmin(sweep_interval(p), CATCH_UP_MAX_S / (double)(to - from));
        p->sweep_next = p->now + p->sweep_dt;
    }
}

static void go_lesson(Player *p, int lesson, int step) {
    if (lesson < -1) lesson = -1;
    if (lesson >= p->n_lessons) lesson = p->n_lessons - 1;
    p->cur = lesson;
    if (lesson >= 0) p->index_sel = lesson;
    p->step = 0;
    p->window_override = -1;
    p->sweeping = false;
    p->zoom = 0;
    p->overrides.n = 0;
    p->image_offset = 0;
    p->step = step < 0 ? 0 : step;
    if (p->step > n_steps(p) - 1) p->step = n_steps(p) - 1;
    recompute(p, false);
}

int player_open(Screen *s, int lesson, int step) {
    Player *p = s->self;
    if (lesson < -1 || lesson >= p->n_lessons) return -1;
    go_lesson(p, lesson, step);
    return 0;
}

void player_picture_changed(Screen *s) {
    Player *p = s->self;
    if (p->cur >= 0) recompute(p, false);
    p->dirty = true;
}

void player_set_image_offset(Screen *s, int offset) {
    Player *p = s->self;
    p->image_offset = offset;
    recompute(p, false);
}

void player_set_overrides(Screen *s, const SceneOverrides *ov) {
    Player *p = s->self;
    p->overrides = *ov;
    recompute(p, false);
}

void player_set_position(Screen *s, int position) {
    Player *p = s->self;
    p->sweeping = false;
    go_position(p, position, false);
}

int player_position(Screen *s, int *count) {
    Player *p = s->self;
    if (count) *count = scene_position_count(&p->scene);
    return scene_position(&p->scene);
}

void player_set_static(Screen *s, bool is_static) { ((Player *)s->self)->is_static = is_static; }
int player_current_lesson(Screen *s) { return ((Player *)s->self)->cur; }
int player_lesson_count(Screen *s) { return ((Player *)s->self)->n_lessons; }
int player_step_count(Screen *s) {
    Player *p = s->self;
    return p->cur >= 0 ? n_steps(p) : 0;
}
const char *player_lesson_error(Screen *s) {
    Player *p = s->self;
    return p->cur >= 0 && !p->lessons[p->cur].ok ? p->lessons[p->cur].error : "";
}

// ---- events -------------------------------------------------------------------

// The output cell whose window is centred nearest the input cell (r, c).
static int window_for_input_cell(const Scene *sc, const SceneWindow *w, int r, int c) {
    int best = 0;
    float best_d = INFINITY;
    for (int oy = 0; oy < sc->output.rows; oy++)
        for (int ox = 0; ox < sc->output.cols; ox++) {
            float cy = (float)(oy * w->stride_h - w->pad_top) + (float)(w->field_h - 1) / 2;
            float cx = (float)(ox * w->stride_w - w->pad_left) + (float)(w->field_w - 1) / 2;
            float d = (cy - (float)r) * (cy - (float)r) + (cx - (float)c) * (cx - (float)c);
            if (d < best_d - 1e-4f) { best_d = d; best = oy * sc->output.cols + ox; }
        }
    return best;
}

static void click(Player *p, float x, float y) {
    int r, c;
    const HitGrid *g = hitmap_find(&p->frame.hits, x, y, &r, &c);
    SceneWindow w;
    if (!g || !scene_window(&p->scene, &w)) return;
    int target;
    if (g->role == HIT_INPUT) target = window_for_input_cell(&p->scene, &w, r, c);
    else if (g->role == HIT_OUTPUT) target = r * p->scene.output.cols + c;
    else return;
    p->sweeping = false;
    go_position(p, target + 1, true);
}

// Mouse wheel over a picture's grid: halve (in) or double (out) the crop
// around the pixel under the mouse; the whole 32x32 picture is the limit.
static void wheel_zoom(Player *p, float x, float y, int dir) {
    int r, c;
    const HitGrid *g = hitmap_find(&p->frame.hits, x, y, &r, &c);
    if (!g || g->role != HIT_INPUT || !p->scene.from_image || p->scene.needs_data) return;
    if (p->scene.input_is_feature) return; // a feature map, not the picture's pixels
    int side = p->scene.input.cols > p->scene.input.rows ? p->scene.input.cols : p->scene.input.rows;
    int next = dir > 0 ? side / 2 : side * 2;
    if (next < 4) next = 4;
    if (next >= 32) next = 32;
    if (next == side) return;
    p->zoom = next;
    p->zoom_cx = p->scene.crop_x + c;
    p->zoom_cy = p->scene.crop_y + r;
    p->window_override = -1;
    p->sweeping = false;
    recompute(p, false);
}

static void toggle_autoplay(Player *p) {
    p->autoplay = !p->autoplay;
    p->next_auto = p->now + AUTOPLAY_BASE_S / SPEEDS[p->speed];
    p->dirty = true;
}

// A click on a chip of the adjust bar: its parameter up (left) or down (right, Shift).
static bool click_chip(Player *p, float x, float y, const SDL_MouseButtonEvent *b) {
    const Lesson *les = &p->lessons[p->cur].lesson;
    for (int i = 0; i < p->frame.n_chips; i++) {
        if (!rect_contains(p->frame.chips[i].r, x, y)) continue;
        bool down = b->button != SDL_BUTTON_LEFT || (SDL_GetModState() & KMOD_SHIFT);
        if (adjust_key(&p->overrides, les, &les->steps[p->step], p->frame.chips[i].letter, down)) {
            p->window_override = -1;
            p->sweeping = false;
            recompute(p, true);
        }
        return true;
    }
    return false;
}

static ScreenAction player_mouse(Player *p, const SDL_Event *ev, Canvas *c) {
    float x, y;
    switch (ev->type) {
    case SDL_MOUSEMOTION:
        canvas_window_to_logical(c, ev->motion.x, ev->motion.y, &p->mouse_x, &p->mouse_y);
        p->mouse_in = true;
        p->dirty = true; // the tooltip follows the mouse
        return SCREEN_HANDLED;
    case SDL_MOUSEBUTTONDOWN:
        canvas_window_to_logical(c, ev->button.x, ev->button.y, &x, &y);
        if (p->cur >= 0 && p->lessons[p->cur].ok && click_chip(p, x, y, &ev->button)) return SCREEN_HANDLED;
        if (ev->button.button != SDL_BUTTON_LEFT) return SCREEN_UNHANDLED;
        if (p->cur < 0) { // a row of the index
            float top = canvas_theme(c)->topbar_h + INDEX_TOP;
            int i = (int)floorf((y - top) / INDEX_ROW_H);
            if (i >= 0 && i < p->n_lessons) go_lesson(p, i, 0);
        } else {
            click(p, x, y);
        }
        return SCREEN_HANDLED;
    case SDL_MOUSEWHEEL:
        if (p->cur < 0 || ev->wheel.y == 0) return SCREEN_UNHANDLED;
        wheel_zoom(p, p->mouse_x, p->mouse_y, ev->wheel.y > 0 ? 1 : -1);
        return SCREEN_HANDLED;
    default:
        return SCREEN_UNHANDLED;
    }
}

static void change_speed(Player *p, int delta) {
    int next = p->speed + delta;
    if (next >= 0 && next < N_SPEEDS) p->speed = next;
    p->next_auto = p->now + AUTOPLAY_BASE_S / SPEEDS[p->speed];
    p->dirty = true;
}

// Steps, lessons and the index: Right/Space/PageDown/Enter, Left/Backspace/
// PageUp, Down/Up, Home/End, I, 1-9. Returns false if k is none of them.
static bool navigation_key(Player *p, SDL_Keycode k) {
    switch (k) {
    case SDLK_RIGHT: case SDLK_SPACE: case SDLK_PAGEDOWN: case SDLK_RETURN: case SDLK_KP_ENTER:
        if (p->cur < 0) go_lesson(p, p->index_sel, 0);
        else go_step(p, p->step + 1);
        return true;
    case SDLK_LEFT: case SDLK_BACKSPACE: case SDLK_PAGEUP:
        if (p->cur >= 0) go_step(p, p->step - 1);
        return true;
    case SDLK_DOWN:
        if (p->cur < 0) { if (p->index_sel < p->n_lessons - 1) p->index_sel++; p->dirty = true; }
        else if (p->cur < p->n_lessons - 1) go_lesson(p, p->cur + 1, 0);
        return true;
    case SDLK_UP:
        if (p->cur < 0) { if (p->index_sel > 0) p->index_sel--; p->dirty = true; }
        else if (p->cur > 0) go_lesson(p, p->cur - 1, 0);
        return true;
    case SDLK_HOME: if (p->cur >= 0) go_step(p, 0); return true;
    case SDLK_END: if (p->cur >= 0) go_step(p, n_steps(p) - 1); return true;
    case SDLK_i: go_lesson(p, -1, 0); return true;
    default: break;
    }
    int digit = k >= SDLK_1 && k <= SDLK_9 ? (int)(k - SDLK_1) : k >= SDLK_KP_1 && k <= SDLK_KP_9 ? (int)(k - SDLK_KP_1) : -1;
    if (digit < 0) return false;
    if (digit < p->n_lessons) go_lesson(p, digit, 0);
    return true;
}

// The letters of the adjust bar (live parameters; R resets them).
static bool adjust_letter(Player *p, SDL_Keycode k, bool shift) {
    if (p->cur < 0 || !p->lessons[p->cur].ok || k < SDLK_a || k > SDLK_z || p->scene.needs_data) return false;
    const Lesson *les = &p->lessons[p->cur].lesson;
    if (k == SDLK_r && p->overrides.n > 0) { p->overrides.n = 0; recompute(p, false); return true; }
    if (!adjust_key(&p->overrides, les, &les->steps[p->step], (char)k, shift)) return false;
    p->window_override = -1;
    p->sweeping = false;
    recompute(p, true);
    return true;
}

static ScreenAction player_key(Screen *s, Player *p, const SDL_KeyboardEvent *key) {
    SDL_Keycode k = key->keysym.sym;
    bool shift = key->keysym.mod & KMOD_SHIFT, help_key = k == SDLK_F1 || k == SDLK_SLASH || k == SDLK_QUESTION;
    if (p->help && (k == SDLK_ESCAPE || help_key)) { p->help = false; p->dirty = true; return SCREEN_HANDLED; }
    if (help_key) { p->help = true; p->dirty = true; return SCREEN_HANDLED; }
    if (navigation_key(p, k)) return SCREEN_HANDLED;
    switch (k) {
    case SDLK_p: toggle_autoplay(p); return SCREEN_HANDLED;
    case SDLK_j: if (p->cur >= 0) toggle_sweep(p); return SCREEN_HANDLED;
    case SDLK_PERIOD: if (p->cur >= 0) step_position(p, +1); return SCREEN_HANDLED;
    case SDLK_COMMA: if (p->cur >= 0) step_position(p, -1); return SCREEN_HANDLED;
    case SDLK_PLUS: case SDLK_EQUALS: case SDLK_KP_PLUS: change_speed(p, +1); return SCREEN_HANDLED;
    case SDLK_MINUS: case SDLK_KP_MINUS: change_speed(p, -1); return SCREEN_HANDLED;
    case SDLK_l:
        p->ctx->lang = p->ctx->lang == LANG_EN ? LANG_ZH : LANG_EN;
        p->dirty = true;
        return SCREEN_HANDLED;
    case SDLK_n: // walks CIFAR (and leaves the student's picture for it)
        if (p->cur >= 0 && p->scene.from_image) {
            p->ctx->use_picture = false;
            player_set_image_offset(s, p->image_offset + (shift ? -1 : 1));
        }
        return SCREEN_HANDLED;
    case SDLK_v: // the student's picture <-> the step's CIFAR image
        if (p->ctx->picture) p->ctx->use_picture = !p->ctx->use_picture;
        player_picture_changed(s);
        return SCREEN_HANDLED;
    case SDLK_t: return SCREEN_SHOW_TRAINING;
    default: break;
    }
    return adjust_letter(p, k, shift) ? SCREEN_HANDLED : SCREEN_UNHANDLED;
}

static ScreenAction player_event(Screen *s, const SDL_Event *ev, Canvas *c) {
    Player *p = s->self;
    if (ev->type == SDL_WINDOWEVENT && ev->window.event == SDL_WINDOWEVENT_LEAVE) {
        p->mouse_in = false;
        p->dirty = true;
        return SCREEN_HANDLED;
    }
    if (ev->type == SDL_KEYDOWN) return player_key(s, p, &ev->key);
    return player_mouse(p, ev, c);
}

// The step transition's progress at now; it ends after the theme's anim_ms.
static void advance_animation(Player *p, double now, double *wake_after) {
    if (p->anim_start < 0) p->anim_start = now;
    double ms = p->ctx->theme ? p->ctx->theme->anim_ms : 300;
    p->anim_t = (float)fmin(1.0, (now - p->anim_start) * 1000.0 / fmax(ms, 1));
    if (p->anim_t >= 1) p->animating = false;
    else *wake_after = 1.0 / 120; // as soon as the next frame can be drawn
}

static bool player_update(Screen *s, double now, double *wake_after) {
    Player *p = s->self;
    p->now = now;
    *wake_after = -1;
    bool redraw = p->dirty;
    p->dirty = false;
    // a background measurement (lesson 10's trainings) finished: recompute the step to show it
    LessonData *data = p->ctx->lesson_data;
    unsigned gen = data ? lesson_data_generation(data) : 0;
    if (gen != p->measure_gen && !p->animating) {
        p->measure_gen = gen;
        if (p->cur >= 0) recompute(p, false);
        redraw = true;
    }
    if (data && lesson_data_busy(data)) *wake_after = 0.25; // poll while it trains (the worker never touches the UI)
    if (p->sweeping && advance_sweep(p, now)) {
        p->dirty = false;
        redraw = true;
    }
    if (p->autoplay && p->sweeping) {
        p->next_auto = fmax(p->next_auto, now + AUTOPLAY_BASE_S / SPEEDS[p->speed]);
    } else if (p->autoplay) {
        if (p->cur < 0 || p->step >= n_steps(p) - 1) {
            p->autoplay = p->cur >= 0 && p->step < n_steps(p) - 1; // stops at the last step
            redraw = true;
        } else if (now >= p->next_auto) {
            go_step(p, p->step + 1);
            p->dirty = false;
            p->next_auto = now + AUTOPLAY_BASE_S / SPEEDS[p->speed];
            redraw = true;
        }
        if (p->autoplay) *wake_after = fmax(0.0, p->next_auto - now);
    }
    if (p->sweeping) { // (auto-play may have started a step's catch-up just now)
        double wait = fmax(0.0, p->sweep_next - now);
        *wake_after = *wake_after < 0 ? wait : fmin(*wake_after, wait);
    }
    if (p->animating) advance_animation(p, now, wake_after);
    if (p->animating || p->have_prev) redraw = true; // the frame that ends it is drawn too
    if (!p->animating && p->have_prev) { scene_free(&p->prev); p->have_prev = false; }
    return redraw;
}

static void player_activate(Screen *s, double now) {
    Player *p = s->self;
    p->now = now;
    p->dirty = true;
}

static void player_title(Screen *s, char *buf, int n) {
    Player *p = s->self;
    if (p->cur < 0) snprintf(buf, (size_t)n, "convlab \xE2\x80\x94 lesson index");
    else {
        int len = snprintf(buf, (size_t)n, "convlab \xE2\x80\x94 Lesson %d/%d \xC2\xB7 step %d/%d", p->cur + 1, p->n_lessons,
                           p->step + 1, n_steps(p));
        int count = scene_position_count(&p->scene), pos = scene_position(&p->scene);
        if (pos > 0 && len > 0 && len < n) snprintf(buf + len, (size_t)(n - len), " \xC2\xB7 position %d/%d", pos, count);
    }
}

// ---- drawing ------------------------------------------------------------------------

static TextStyle ts(Canvas *c, float size, Rgba col, bool bold) {
    TextStyle st = text_style(c, size, col);
    st.bold = bold;
    return st;
}

// "position 7/36" (▶ while the sweep plays), or "36 positions" when the step
// shows no window; right-aligned at x. Returns the x left of it.
static float draw_position(const Player *p, Canvas *c, float x, float cy) {
    const Theme *th = canvas_theme(c);
    Lang L = p->ctx->lang;
    int n = scene_position_count(&p->scene), pos = scene_position(&p->scene);
    if (n == 0) return x;
    char buf[128];
    if (pos > 0) snprintf(buf, sizeof buf, "%s%s %d/%d", p->sweeping ? "\xE2\x96\xB6 " : "", ui_tr(L, "position"), pos, n);
    else snprintf(buf, sizeof buf, "%d %s", n, ui_tr(L, "positions"));
    TextStyle st = ts(c, th->font_body, pos > 0 ? (p->sweeping ? th->accent : th->text) : th->text_muted, pos > 0);
    st.vcenter = true;
    st.align = ALIGN_RIGHT;
    return x - draw_text(c, x, cy, buf, st) - 24;
}

static void draw_topbar(const Player *p, Canvas *c) {
    const Theme *th = canvas_theme(c);
    Lang L = p->ctx->lang;
    float W = canvas_width(c), h = th->topbar_h;
    draw_fill_rect(c, (Rect){0, 0, W, h}, th->panel);
    draw_line(c, 0, h, W, h, 1.5f, th->panel_border);
    float cy = h / 2;
    // right side first, so the title can be clipped to what is left
    float x = W - th->margin;
    TextStyle st = ts(c, th->font_body, th->text_muted, false);
    st.vcenter = true;
    st.align = ALIGN_RIGHT;
    char buf[1200];
    snprintf(buf, sizeof buf, "? %s", ui_tr(L, "help"));
    x -= draw_text(c, x, cy, buf, st) + 28;
    // [en|zh]: the current one in a filled pill and bold (not colour alone)
    const char *codes[2] = {"en", "zh"};
    for (int i = 1; i >= 0; i--) {
        float w, hh;
        text_measure(c, codes[i], th->font_body, true, &w, &hh);
        Rect pill = {x - w - 16, cy - hh / 2 - 3, w + 16, hh + 6};
        bool on = (int)L == i;
        if (on) draw_fill_round_rect(c, pill, 6, th->accent);
        else draw_rect_outline(c, pill, 1.5f, th->panel_border);
        TextStyle ps = ts(c, th->font_body, on ? th->bg : th->text_muted, on);
        ps.align = ALIGN_CENTER;
        ps.vcenter = true;
        draw_text(c, pill.x + pill.w / 2, cy, codes[i], ps);
        x = pill.x - 4;
    }
    x -= 24;
    if (p->cur >= 0) {
        snprintf(buf, sizeof buf, "%s %d/%d", ui_tr(L, "step"), p->step + 1, n_steps(p));
        st.color = th->text;
        st.bold = true;
        x -= draw_text(c, x, cy, buf, st) + 24;
        x = draw_position(p, c, x, cy);
        if (p->autoplay) {
            snprintf(buf, sizeof buf, "\xE2\x96\xB6 %s %g\xC3\x97", ui_tr(L, "auto-play"), (double)SPEEDS[p->speed]);
            st.color = th->accent;
            x -= draw_text(c, x, cy, buf, st) + 24;
        }
    }
    // left: Lesson n/N · Title
    if (p->cur >= 0) {
        const LessonEntry *e = &p->lessons[p->cur];
        const char *title = e->ok ? e->lesson.title[L] : e->path;
        if (L == LANG_ZH) snprintf(buf, sizeof buf, "第 %d/%d 课 \xC2\xB7 %s", p->cur + 1, p->n_lessons, title);
        else snprintf(buf, sizeof buf, "Lesson %d/%d \xC2\xB7 %s", p->cur + 1, p->n_lessons, title);
    } else {
        snprintf(buf, sizeof buf, "convlab \xC2\xB7 %s", ui_tr(L, "Lesson index"));
    }
    canvas_push_clip(c, (Rect){0, 0, x, h});
    float size = th->font_title, tw; // a long title gets smaller (down to the body size) before it is cut
    for (text_measure(c, buf, size, true, &tw, NULL); tw > x - th->margin - 8 && size > th->font_body; size -= 1)
        text_measure(c, buf, size - 1, true, &tw, NULL);
    TextStyle tst = ts(c, size, th->title, true);
    tst.vcenter = true;
    draw_text(c, th->margin, cy, buf, tst);
    canvas_pop_clip(c);
    // progress through the lesson: a thin bar under the top bar
    if (p->cur >= 0 && n_steps(p) > 1)
        draw_fill_rect(c, (Rect){0, h - 4, W * (float)(p->step + 1) / (float)n_steps(p), 4}, th->accent);
}

static void draw_index(const Player *p, Canvas *c) {
    const Theme *th = canvas_theme(c);
    Lang L = p->ctx->lang;
    float W = canvas_width(c), x = 120, top = th->topbar_h + 40;
    draw_text(c, x, top, "convlab", ts(c, th->font_title * 1.5f, th->title, true));
    draw_text(c, x, top + 56, L == LANG_ZH ? "在真实的 CIFAR-10 图像上一步一步看懂卷积神经网络" :
                                             "Convolutional networks, step by step, on real CIFAR-10 images",
              ts(c, th->font_body, th->text_muted, false));
    float row_h = INDEX_ROW_H, y = th->topbar_h + INDEX_TOP;
    if (p->n_lessons == 0)
        draw_text(c, x, y, "No lessons found: lessons/*.lesson", ts(c, th->font_body, th->error, true));
    for (int i = 0; i < p->n_lessons; i++) {
        const LessonEntry *e = &p->lessons[i];
        Rect row = {x - 16, y + (float)i * row_h, W - 2 * x + 32, row_h - 8};
        bool sel = i == p->index_sel;
        if (sel) {
            draw_fill_round_rect(c, row, 8, th->panel);
            draw_rect_outline(c, row, 2.5f, th->accent);
        }
        char buf[1200];
        snprintf(buf, sizeof buf, "%d", i + 1);
        TextStyle st = ts(c, th->font_body * 1.15f, th->accent, true);
        st.vcenter = true;
        draw_text(c, row.x + 20, row.y + row.h / 2, buf, st);
        st.color = e->ok ? th->text : th->error;
        st.bold = sel;
        if (e->ok) snprintf(buf, sizeof buf, "%s", e->lesson.title[L]);
        else snprintf(buf, sizeof buf, "\xE2\x9A\xA0 %s", e->error);
        canvas_push_clip(c, (Rect){row.x, row.y, row.w - 160, row.h});
        draw_text(c, row.x + 64, row.y + row.h / 2, buf, st);
        canvas_pop_clip(c);
        if (e->ok) {
            snprintf(buf, sizeof buf, L == LANG_ZH ? "%d 步" : "%d steps", e->lesson.n_steps);
            TextStyle ms = ts(c, th->font_body, th->text_muted, false);
            ms.vcenter = true;
            ms.align = ALIGN_RIGHT;
            draw_text(c, row.x + row.w - 20, row.y + row.h / 2, buf, ms);
        }
    }
    float hy = canvas_height(c) - th->margin - th->font_body * 1.5f;
    TextStyle hs = ts(c, th->font_body, th->text_muted, false);
    hs.align = ALIGN_CENTER;
    draw_text(c, W / 2, hy, L == LANG_ZH ? "↑↓ 选择 · Enter / → 打开 · 1–9 直接打开 · L 切换语言 · ? 帮助" :
                                           "↑↓ choose · Enter / → open · 1–9 open directly · L language · ? help", hs);
}

static void draw_help(const Player *p, Canvas *c) {
    const Theme *th = canvas_theme(c);
    Lang L = p->ctx->lang;
    float W = canvas_width(c), H = canvas_height(c);
    Rgba shade = th->bg;
    shade.a = 215;
    draw_fill_rect(c, (Rect){0, 0, W, H}, shade);
    static const char *const KEYS[][3] = {
        {"→  Space  PageDown", "next step", "下一步"},
        {"←  Backspace  PageUp", "previous step", "上一步"},
        {"↓ / ↑", "next / previous lesson", "下一课 / 上一课"},
        {"Home / End", "first / last step", "第一步 / 最后一步"},
        {"P", "auto-play on / off", "自动播放 开 / 关"},
        {", / .", "the window one position back / forward", "窗口后退 / 前进一个位置"},
        {"J", "play / stop the window's sweep (speed: + / −)", "播放 / 停止窗口的滑动（速度：+ / −）"},
        {"+ / −", "play speed", "播放速度"},
        {"1 – 9", "jump to a lesson", "跳到某一课"},
        {"I", "lesson index", "课程目录"},
        {"N / Shift+N", "next / previous image", "下一张 / 上一张图像"},
        {"L", "English / 中文", "English / 中文"},
        {"T", "train live (training screen)", "实时训练（训练界面）"},
        {"mouse", "click the input: move the window; hover: a cell's value", "点击输入：移动窗口；悬停：显示数值"},
        {"wheel", "over a picture's numbers: zoom in / out", "在图像数值上：放大 / 缩小"},
        {"F / F11", "fullscreen", "全屏"},
        {"F12", "save a screenshot (PNG)", "保存截图（PNG）"},
        {"Shift+F12", "save this step's window sweep (GIF)", "保存本步窗口滑动动画（GIF）"},
        {"K S A D C O …", "bar's parameters up; Shift / right-click: down; R: reset", "参数栏的参数增大；Shift / 右键：减小；R：恢复"},
        {"F1 / ?", "this help", "本帮助"},
        {"Esc / Q", "quit (Esc leaves fullscreen first)", "退出（Esc 先退出全屏）"},
    };
    int n = (int)(sizeof KEYS / sizeof KEYS[0]);
    float row = fminf(th->font_body * 1.75f, (H - 40 - 110) / (float)n); // every row fits the height
    float bw = fminf(W - 80, 900), bh = row * (float)n + 110;
    Rect box = {(W - bw) / 2, fmaxf(20, (H - bh) / 2), bw, bh};
    draw_fill_round_rect(c, box, 12, th->panel);
    draw_rect_outline(c, box, 2.5f, th->accent);
    draw_text(c, box.x + 32, box.y + 22, L == LANG_ZH ? "按键" : "Keys", ts(c, th->font_title, th->title, true));
    float y = box.y + 80;
    for (int i = 0; i < n; i++, y += row) {
        draw_text(c, box.x + 32, y, KEYS[i][0], ts(c, th->font_body, th->kernel, true));
        draw_text(c, box.x + 32 + bw * 0.34f, y, KEYS[i][1 + L], ts(c, th->font_body, th->text, false));
    }
}

static void draw_tooltip(const Player *p, Canvas *c) {
    if (!p->mouse_in || p->is_static || p->help) return;
    int r, col;
    const HitGrid *g = hitmap_find(&p->frame.hits, p->mouse_x, p->mouse_y, &r, &col);
    if (!g) return;
    const Theme *th = canvas_theme(c);
    Rect cr = grid_cell_rect(&g->spec, r, col);
    draw_rect_outline(c, cr, th->line_thick, th->text);
    char num[64], buf[160];
    float v = g->spec.v[r * g->spec.cols + col];
    scene_fmt(num, sizeof num, v, fabsf(v - roundf(v)) < 1e-6f ? 0 : 4);
    snprintf(buf, sizeof buf, "%s [%d, %d] = %s", g->name, r + g->coord_y0, col + g->coord_x0, num);
    float w, h;
    text_measure(c, buf, th->font_body, true, &w, &h);
    float x = p->mouse_x + 18, y = p->mouse_y + 22;
    if (x + w + 20 > canvas_width(c)) x = p->mouse_x - w - 30;
    if (y + h + 12 > canvas_height(c)) y = p->mouse_y - h - 24;
    Rect box = {x, y, w + 20, h + 12};
    draw_fill_round_rect(c, box, 6, th->title);
    draw_text(c, x + 10, y + 6, buf, ts(c, th->font_body, th->bg, true));
}

// The formula bar along the bottom: the window's products on the left, the
// output-size formula on the right. Returns the y where the bar starts (H if none).
static float draw_formula_bar(Canvas *c, const Scene *sc) {
    const Theme *th = canvas_theme(c);
    float W = canvas_width(c), H = canvas_height(c);
    bool products = (sc->show & SHOW_FORMULA) && sc->formula[0], size = (sc->show & SHOW_SIZE) && sc->size_formula[0];
    if (sc->error[0] || (!products && !size)) return H;
    Rect fb = {0, H - th->formula_h, W, th->formula_h};
    draw_fill_rect(c, fb, th->panel);
    draw_line(c, 0, fb.y, W, fb.y, 1.5f, th->panel_border);
    float inner = W - 2 * th->margin, cy = fb.y + fb.h / 2;
    bool both = products && size;
    float right_w = 0; // the size formula takes what it needs (at most 40%), the products the rest
    if (both) {
        char plain[512];
        scene_strip_roles(plain, sizeof plain, sc->size_formula);
        text_measure(c, plain, th->font_formula, false, &right_w, NULL);
        right_w = fminf(right_w + 4, inner * 0.4f);
    }
    if (products)
        widget_formula(c, th->margin, cy, inner - right_w - (both ? 24 : 0), sc->formula, th->font_formula, 14, ALIGN_LEFT);
    if (size) {
        if (both) draw_line(c, W - th->margin - right_w - 12, fb.y + 12, W - th->margin - right_w - 12, fb.y + fb.h - 12, 1.5f, th->panel_border);
        widget_formula(c, both ? W - th->margin - right_w : th->margin, cy, both ? right_w : inner, sc->size_formula,
                       th->font_formula, 15, both ? ALIGN_RIGHT : ALIGN_LEFT);
    }
    return fb.y;
}

// The explanation panel (right, or centred across the width for text-only
// steps) with the step's caption and text, {key} expanded to the live values and the scene's facts (the chosen net's names and sizes).
// Returns the panel; *overflow: the text did not fit even at 18 px.
static Rect draw_explanation(Canvas *c, const Player *p, const LessonStep *st, bool text_only, float top, float bottom,
                             bool *overflow) {
    const Theme *th = canvas_theme(c);
    Lang L = p->ctx->lang;
    float W = canvas_width(c);
    float panel_w = text_only ? fminf(W - 2 * th->margin, 980) : fmaxf(W * th->panel_frac, 340);
    Rect panel = text_only ? (Rect){(W - panel_w) / 2, top + 20, panel_w, bottom - top - 40}
                           : (Rect){W - th->margin - panel_w, top, panel_w, bottom - top};
    char caption_buf[512], text_buf[4096];
    const char *caption = scene_expand_text(caption_buf, sizeof caption_buf, st->caption[L], st, &p->overrides, &p->scene);
    const char *text = scene_expand_text(text_buf, sizeof text_buf, st->text[L], st, &p->overrides, &p->scene);
    if (text_only) { // as tall as its text (at least 40% of the height), centred
        TextStyle hs = text_style(c, th->font_body * 1.4f, th->title); // larger than its 1.25× body
        hs.bold = true;
        float need = draw_text_wrapped(c, 0, 0, panel_w - 36, caption, hs, 1.25f, false) + 32 +
                     draw_text_wrapped(c, 0, 0, panel_w - 36, text, text_style(c, th->font_body * 1.25f, th->text), 1.4f, false) + 60;
        float h = fminf(panel.h, fmaxf(need, panel.h * 0.4f));
        panel.y += (panel.h - h) / 2;
        panel.h = h;
    }
    Rect in = widget_panel_sized(c, panel, caption, th->font_body * (text_only ? 1.4f : 1.15f));
    float text_h = widget_text_block(c, in, text, text_only ? th->font_body * 1.25f : th->font_body, 18, th->text);
    *overflow = text_h > in.h + 0.5f;
    return panel;
}

// The step's visual in area, with the adjust bar of live parameters under it;
// the chips and grids drawn are recorded in f.
static void draw_visual(Canvas *c, const Player *p, const Lesson *les, const LessonStep *st, Rect area, PlayerFrame *f) {
    const Theme *th = canvas_theme(c);
    Lang L = p->ctx->lang;
    const Scene *sc = &p->scene;
    float bar_h = sc->needs_data ? 0 : adjust_bar_height(c, les, st); // nothing to adjust without the data
    if (bar_h > 0) {
        area.h -= bar_h + th->gap / 2;
        f->n_chips = adjust_bar_draw(c, (Rect){area.x, area.y + area.h + th->gap / 2, area.w, bar_h}, L, les, st,
                                     &p->overrides, f->chips);
    }
    bool transition = p->animating && p->have_prev;
    ViewCtx v = {c, th, L, area, transition ? &p->prev : NULL, transition ? ui_ease(p->anim_t) : 1, &f->hits,
                 p->ctx->can_fetch ? p->ctx->data_dir : NULL};
    view_draw_scene(&v, sc);
    if (sc->from_image && !sc->needs_data && !p->is_static) {
        TextStyle hs = ts(c, th->font_small, th->text_muted, false);
        hs.align = ALIGN_RIGHT;
        draw_text(c, area.x + area.w, area.y + area.h - th->font_small * 1.3f,
                  ui_tr(L, p->ctx->picture ? "V: your picture / CIFAR · N: next CIFAR image" : "press N for the next image"), hs);
    }
}

// Reads the player's state and draws it; writes only p->frame (where things
// were drawn, for the next events), never the state.
static void player_draw(Screen *s, Canvas *c) {
    const Player *p = s->self;
    PlayerFrame *f = &((Player *)s->self)->frame;
    const Theme *th = canvas_theme(c);
    float W = canvas_width(c), H = canvas_height(c);
    memset(f, 0, sizeof *f);
    draw_topbar(p, c);
    const LessonEntry *e = p->cur >= 0 ? &p->lessons[p->cur] : NULL;
    float top = th->topbar_h + th->margin;
    if (!e) {
        draw_index(p, c);
    } else if (!e->ok) {
        ViewCtx v = {c, th, p->ctx->lang, (Rect){th->margin, top, W - 2 * th->margin, H - top - th->margin}, NULL, 1, &f->hits, NULL};
        view_message(&v, "\xE2\x9A\xA0 lesson file error", e->error, th->error);
    } else {
        const Scene *sc = &p->scene;
        const LessonStep *st = &e->lesson.steps[p->step];
        float bottom = draw_formula_bar(c, sc);
        bottom = bottom < H ? bottom - th->margin : H - th->margin;
        const SceneView *view = sc->kind ? scene_view_find(sc->kind->name) : NULL;
        bool text_only = view && view->wide_text && sc->image_index < 0 && !sc->needs_data && !sc->error[0];
        Rect panel = draw_explanation(c, p, st, text_only, top, bottom, &f->text_overflow);
        if (!text_only)
            draw_visual(c, p, &e->lesson, st, (Rect){th->margin, top, panel.x - th->gap - th->margin, bottom - top}, f);
        draw_tooltip(p, c);
    }
    if (p->help) draw_help(p, c);
}

static void player_destroy(Screen *s) {
    Player *p = s->self;
    scene_free(&p->scene);
    if (p->have_prev) scene_free(&p->prev);
    for (int i = 0; i < p->n_lessons; i++)
        if (p->lessons[i].ok) lesson_free(&p->lessons[i].lesson);
    free(p->lessons);
    free(p);
    free(s);
}

Screen *player_screen_create(ScreenContext *ctx, char **files, int n, ClError *err) {
    (void)err;
    Player *p = cl_calloc(1, sizeof *p);
    p->ctx = ctx;
    p->cur = -1;
    p->speed = 2;
    p->window_override = -1;
    p->lessons = cl_calloc((size_t)(n > 0 ? n : 1), sizeof *p->lessons);
    p->n_lessons = n;
    for (int i = 0; i < n; i++) {
        LessonEntry *e = &p->lessons[i];
        snprintf(e->path, sizeof e->path, "%s", files[i]);
        ClError le;
        e->ok = lesson_load(&e->lesson, files[i], stderr, &le) == 0;
        if (!e->ok) snprintf(e->error, sizeof e->error, "%s", le.msg);
    }
    Screen *s = cl_calloc(1, sizeof *s);
    s->name = "lessons";
    s->self = p;
    s->handle_event = player_event;
    s->update = player_update;
    s->draw = player_draw;
    s->title = player_title;
    s->activate = player_activate;
    s->destroy = player_destroy;
    p->dirty = true;
    return s;
}

Screen *player_create_for(ScreenContext *ctx, const char *lesson_file, int step, ClError *err) {
    char **files = NULL;
    int n = 0;
    ClError ferr;
    if (player_find_lesson_files(&files, &n, &ferr) != 0 && !lesson_file) fprintf(stderr, "convlab: %s\n", ferr.msg);
    int open = -1;
    if (lesson_file && *lesson_file && strspn(lesson_file, "0123456789") == strlen(lesson_file)) {
        // --lesson N: the lesson numbered N (file NN_name.lesson), else the N-th in the list
        int num = atoi(lesson_file);
        Screen *s = player_screen_create(ctx, files, n, err);
        player_free_files(files, n);
        Player *p = s->self;
        for (int i = 0; i < p->n_lessons && open < 0; i++)
            if (p->lessons[i].ok && p->lessons[i].lesson.number == num) open = i;
        if (open < 0 && num >= 1 && num <= p->n_lessons) open = num - 1;
        if (open < 0) {
            s->destroy(s);
            cl_fail(err, "--lesson %d: no such lesson (%d lessons in lessons/)", num, n);
            return NULL;
        }
        player_open(s, open, step);
        return s;
    }
    if (lesson_file) {
        if (access(lesson_file, R_OK) != 0) {
            player_free_files(files, n);
            cl_fail(err, "%s: cannot read the lesson file", lesson_file);
            return NULL;
        }
        char want[4096], have[4096];
        if (!realpath(lesson_file, want)) snprintf(want, sizeof want, "%s", lesson_file);
        for (int i = 0; i < n && open < 0; i++)
            if (realpath(files[i], have) && strcmp(have, want) == 0) open = i;
        if (open < 0) { // not one of lessons/: play it alone
            player_free_files(files, n);
            files = cl_calloc(1, sizeof(char *));
            size_t l = strlen(lesson_file) + 1;
            files[0] = cl_malloc(l);
            memcpy(files[0], lesson_file, l);
            n = 1;
            open = 0;
        }
    }
    Screen *s = player_screen_create(ctx, files, n, err);
    player_free_files(files, n);
    if (s && open >= 0) player_open(s, open, step);
    return s;
}

const Scene *player_scene(Screen *s) { return &((Player *)s->self)->scene; }

bool player_cell_center(Screen *s, int role, int r, int c, float *x, float *y) {
    Player *p = s->self;
    for (int i = 0; i < p->frame.hits.n; i++) {
        const HitGrid *g = &p->frame.hits.grids[i];
        if ((int)g->role != role || r < 0 || c < 0 || r >= g->spec.rows || c >= g->spec.cols) continue;
        Rect cr = grid_cell_rect(&g->spec, r, c);
        *x = cr.x + cr.w / 2;
        *y = cr.y + cr.h / 2;
        return true;
    }
    return false;
}

bool player_text_overflow(Screen *s) { return ((Player *)s->self)->frame.text_overflow; }
