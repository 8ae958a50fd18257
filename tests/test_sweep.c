/* The window's sweep (issue 13): the position is part of the state. Every
 * step with a sliding window (conv, pool, conv2d) has one position per output
 * cell; each position shows that cell's window, its engine value and the
 * cells before it filled; a position out of range is a one-line error; the
 * frame at a position is a pure function of the state (drawn twice, the same
 * pixels); the player's , . J keys step and play the sweep by the clock, and
 * a forward step whose window jumped ahead slides through the skipped cells.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/cifar.h"
#include "lesson/lesson.h"
#include "lesson/scene.h"
#include "testutil_player.h"

static bool has_window(const Scene *sc) {
    const char *k = sc->kind->name;
    return !sc->error[0] && sc->output.rows > 0 &&
           (strcmp(k, "conv") == 0 || strcmp(k, "pool") == 0 || strcmp(k, "conv2d") == 0);
}

// Every step of the lesson: the count is the output size (0 without a window),
// and each position p (all of them up to 100, then every 37th) is cell p - 1.
static void check_lesson_positions(const char *path, const Cifar *cifar, int *n_swept) {
    Lesson l;
    ClError err;
    cr_assert_eq(lesson_load(&l, path, NULL, &err), 0, "%s", err.msg);
    for (int k = 0; k < l.n_steps; k++) {
        SceneEnv env = {.cifar = cifar, .data_hint = "no data", .window_override = -1};
        Scene sc;
        cr_assert_eq(scene_compute(&sc, &l, k, &env, &err), 0, "%s step %d: %s", path, k + 1, err.msg);
        int n = scene_position_count(&sc), OH = sc.output.rows, OW = sc.output.cols;
        bool win = has_window(&sc);
        cr_assert_eq(n, win ? OH * OW : 0, "%s step %d (%s): %d positions for a %dx%d output", path, k + 1,
                     sc.kind->name, n, OH, OW);
        Grid out = {OH, OW, NULL};
        if (win) {
            out.v = cl_malloc(sizeof(float) * (size_t)(OH * OW));
            memcpy(out.v, sc.output.v, sizeof(float) * (size_t)(OH * OW));
        }
        scene_free(&sc);
        for (int p = 1; p <= n; p += p < 100 ? 1 : 37) {
            env.window_override = p - 1;
            cr_assert_eq(scene_compute(&sc, &l, k, &env, &err), 0, "%s", err.msg);
            cr_assert_eq(scene_position(&sc), p, "%s step %d: position %d shows %d", path, k + 1, p, scene_position(&sc));
            cr_assert(sc.win_oy == (p - 1) / OW && sc.win_ox == (p - 1) % OW);
            cr_assert_eq(sc.n_filled, p, "%s step %d position %d: the cells before it stay filled", path, k + 1, p);
            cr_assert_float_eq(sc.window_value, out.v[p - 1], 1e-6, "the engine's output at the window");
            scene_free(&sc);
            (*n_swept)++;
        }
        free(out.v);
    }
    lesson_free(&l);
}

Test(sweep, position_count_is_the_output_size_in_every_window_step) {
    static Cifar cifar;
    ClError err;
    bool have = cifar_load_test(&cifar, "../data/cifar-10-batches-bin", 0, &err) == 0;
    int swept = 0;
    const char *files[] = {"../lessons/02_convolution.lesson", "../lessons/03_stride.lesson", "../lessons/04_padding.lesson",
                           "../lessons/05_multichannel.lesson", "../lessons/06_conv2d_params.lesson",
                           "../lessons/07_pooling.lesson", "../lessons/01_parameters.lesson"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) check_lesson_positions(files[i], have ? &cifar : NULL, &swept);
    cr_assert_gt(swept, 300, "positions checked: %d", swept);
    if (have) cifar_free(&cifar);
}

Test(sweep, position_out_of_range_names_the_position_and_the_count) {
    Lesson l;
    ClError err;
    cr_assert_eq(lesson_load(&l, "golden/02_convolution.lesson", NULL, &err), 0, "%s", err.msg);
    SceneEnv env = {.data_hint = "no data", .window_override = -1};
    Scene sc;
    cr_assert_eq(scene_compute(&sc, &l, 5, &env, &err), 0, "%s", err.msg); // step 6: a 3x3 output
    cr_assert_eq(scene_check_position(&sc, 9, &err), 0);
    cr_assert_eq(scene_check_position(&sc, 10, &err), -1);
    cr_assert_str_eq(err.msg, "position 10: this step has 9 window positions (1-9)");
    cr_assert_eq(scene_check_position(&sc, 0, &err), -1);
    cr_assert_str_eq(err.msg, "position 0: this step has 9 window positions (1-9)");
    scene_free(&sc);
    lesson_free(&l);
    cr_assert_eq(lesson_load(&l, "golden/01_parameters.lesson", NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(scene_compute(&sc, &l, 0, &env, &err), 0, "%s", err.msg);
    cr_assert_eq(scene_check_position(&sc, 1, &err), -1);
    cr_assert(strstr(err.msg, "position 1: step 1 has no sliding window"), "%s", err.msg);
    scene_free(&sc);
    lesson_free(&l);
}

// ---- the player ---------------------------------------------------------------------

static Theme THEME;
static ScreenContext CTX;
static Canvas *CANVAS;

static Screen *open_player(const char *lesson, int step) {
    Screen *s;
    return player_open_offscreen(&s, &CANVAS, &CTX, &THEME, lesson, step, 800, 600);
}

static void close_player(Screen *s) { player_close_offscreen(s, CANVAS); }

static void key(Screen *s, SDL_Keycode k) { player_send_key(s, CANVAS, k, 0); }

// The frame's pixels (a copy; free it).
static uint8_t *frame(Screen *s, size_t *n) {
    canvas_begin_frame(CANVAS);
    s->draw(s, CANVAS);
    SDL_Surface *f = canvas_read_pixels(CANVAS);
    cr_assert_not_null(f);
    *n = (size_t)f->pitch * (size_t)f->h;
    uint8_t *px = cl_malloc(*n);
    memcpy(px, f->pixels, *n);
    SDL_FreeSurface(f);
    return px;
}

Test(sweep, the_frame_at_a_position_is_a_pure_function_of_the_state) {
    Screen *s = open_player("golden/02_convolution.lesson", 5);
    player_set_static(s, true);
    size_t n1, n2, n3;
    player_set_position(s, 5);
    uint8_t *a = frame(s, &n1);
    player_set_position(s, 2); // elsewhere, then back: the same pixels
    uint8_t *b = frame(s, &n2);
    player_set_position(s, 5);
    uint8_t *c = frame(s, &n3);
    cr_assert(n1 == n3 && memcmp(a, c, n1) == 0, "position 5 drawn twice differs");
    cr_assert(n1 == n2 && memcmp(a, b, n1) != 0, "positions 5 and 2 draw the same frame");
    int count;
    cr_assert_eq(player_position(s, &count), 5);
    cr_assert_eq(count, 9);
    free(a);
    free(b);
    free(c);
    close_player(s);
}

static const char *title(Screen *s) {
    static char buf[256];
    s->title(s, buf, sizeof buf);
    return buf;
}

Test(sweep, keys_step_the_window_and_play_its_sweep_by_the_clock) {
    Screen *s = open_player("golden/02_convolution.lesson", 1); // window 0 0: position 1 of 9
    double wake;
    s->update(s, 50.0, &wake);
    cr_assert(strstr(title(s), "position 1/9"), "%s", title(s));
    key(s, SDLK_PERIOD);
    key(s, SDLK_PERIOD);
    cr_assert_eq(player_position(s, NULL), 3, ". . moves two positions on");
    key(s, SDLK_COMMA);
    cr_assert_eq(player_position(s, NULL), 2, ", moves one back");
    cr_assert(strstr(title(s), "step 2/10 · position 2/9"), "%s", title(s));
    key(s, SDLK_j); // plays 3, 4, ... 9 at the auto-play speed (2.5 s a position at 1x)
    cr_assert_eq(player_position(s, NULL), 3, "J starts at the next position");
    int last = 3;
    for (double t = 50.0; t < 70.0; t += 0.05) { // 7 positions: 17.5 s
        s->update(s, t, &wake);
        int pos = player_position(s, NULL);
        cr_assert(pos == last || pos == last + 1, "the sweep skipped from %d to %d", last, pos);
        last = pos;
    }
    cr_assert_eq(last, 9, "the sweep ends at the last position");
    cr_assert_eq(player_scene(s)->n_filled, 9);
    key(s, SDLK_PERIOD);
    cr_assert_eq(player_position(s, NULL), 9, "no position after the last");
    cr_assert(strstr(title(s), "step 2/"), "the sweep stays in its step: %s", title(s));
    key(s, SDLK_j); // from the last, J starts again at 1, and J again stops it
    cr_assert_eq(player_position(s, NULL), 1);
    key(s, SDLK_j);
    s->update(s, 80.0, &wake);
    cr_assert_eq(player_position(s, NULL), 1, "stopped");
    close_player(s);
}

Test(sweep, a_step_whose_window_jumps_ahead_slides_through_every_skipped_position) {
    Screen *s = open_player("golden/02_convolution.lesson", 4); // step 5: window 1 0 = position 4
    double wake;
    s->update(s, 10.0, &wake);
    cr_assert_eq(player_position(s, NULL), 4);
    key(s, SDLK_RIGHT); // step 6 says window 2 2 = position 9
    cr_assert(strstr(title(s), "step 6/"), "%s", title(s));
    cr_assert_eq(player_position(s, NULL), 5, "the window goes on from where it was");
    bool seen[10] = {false};
    for (double t = 10.0; t < 16.0; t += 0.02) {
        s->update(s, t, &wake);
        seen[player_position(s, NULL)] = true;
    }
    for (int p = 5; p <= 9; p++) cr_assert(seen[p], "position %d was never shown", p);
    cr_assert_eq(player_position(s, NULL), 9, "it ends at the step's own window");
    key(s, SDLK_LEFT); // going back is exact: the step as written, no sweep
    cr_assert_eq(player_position(s, NULL), 4);
    close_player(s);
}

// The colour of pixel (x, y) of the frame drawn now.
static SDL_Color pixel_at(Screen *s, int x, int y) {
    canvas_begin_frame(CANVAS);
    s->draw(s, CANVAS);
    SDL_Surface *f = canvas_read_pixels(CANVAS);
    cr_assert_not_null(f);
    Uint32 v;
    memcpy(&v, (uint8_t *)f->pixels + (size_t)y * f->pitch + (size_t)x * 4, 4);
    SDL_Color col;
    SDL_GetRGBA(v, f->format, &col.r, &col.g, &col.b, &col.a);
    SDL_FreeSurface(f);
    return col;
}

static bool between(int a, int m, int b) { return (a < b && a < m && m < b) || (b < a && b < m && m < a); }

Test(sweep, the_cells_under_the_window_fade_while_it_slides) {
    Screen *s = open_player("golden/02_convolution.lesson", 1); // window 0 0
    double wake;
    s->update(s, 10.0, &wake);
    pixel_at(s, 0, 0); // lays the grids out
    float x0, y0, x1, y1;
    cr_assert(player_cell_center(s, HIT_INPUT, 0, 0, &x0, &y0) && player_cell_center(s, HIT_INPUT, 0, 1, &x1, &y1));
    float cell = x1 - x0, k = canvas_scale(CANVAS); // (logical px -> the frame's px)
    int px = (int)((x0 - cell / 2 + 6) * k), py = (int)((y0 - cell / 2 + 6) * k); // inside input cell (0, 0), off its number
    SDL_Color in_window = pixel_at(s, px, py);
    key(s, SDLK_PERIOD); // the window slides to position 2: cell (0, 0) leaves it
    s->update(s, 10.0, &wake);
    s->update(s, 10.0 + THEME.anim_ms / 2000.0, &wake);
    SDL_Color mid = pixel_at(s, px, py);
    s->update(s, 12.0, &wake);
    SDL_Color left = pixel_at(s, px, py);
    cr_assert(in_window.r != left.r || in_window.g != left.g || in_window.b != left.b, "the window's cell looks like the others");
    bool fading = between(in_window.r, mid.r, left.r) || between(in_window.g, mid.g, left.g) || between(in_window.b, mid.b, left.b);
    cr_assert(fading, "half-way the cell is (%d,%d,%d), not between (%d,%d,%d) and (%d,%d,%d)", mid.r, mid.g, mid.b,
              in_window.r, in_window.g, in_window.b, left.r, left.g, left.b);
    close_player(s);
}
