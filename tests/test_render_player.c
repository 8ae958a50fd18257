/* The lesson player driven by synthetic SDL events on an offscreen canvas,
 * with a fake clock: keys step through lessons, auto-play advances by time
 * (not by frames), an animation ends after the theme's duration, a click on
 * the input moves the window, the mouse wheel zooms into a picture.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/cifar.h"
#include "testutil_player.h"

static Theme THEME;
static ScreenContext CTX;
static Canvas *CANVAS;

static Screen *open_player(const char *lesson, int step) {
    Screen *s;
    return player_open_offscreen(&s, &CANVAS, &CTX, &THEME, lesson, step, 1280, 800);
}

static void close_player(Screen *s) { player_close_offscreen(s, CANVAS); }

static ScreenAction key(Screen *s, SDL_Keycode k, Uint16 mod) { return player_send_key(s, CANVAS, k, mod); }

static void draw(Screen *s) {
    canvas_begin_frame(CANVAS);
    s->draw(s, CANVAS);
}

static const char *title(Screen *s) {
    static char buf[256];
    s->title(s, buf, sizeof buf);
    return buf;
}

Test(player, presentation_keys_step_and_switch_lessons) {
    Screen *s = open_player("golden/02_convolution.lesson", 0);
    cr_assert(strstr(title(s), "step 1/10"), "%s", title(s));
    key(s, SDLK_RIGHT, 0);
    key(s, SDLK_SPACE, 0);
    key(s, SDLK_PAGEDOWN, 0);
    cr_assert(strstr(title(s), "step 4/10"), "Right, Space, PageDown: %s", title(s));
    key(s, SDLK_LEFT, 0);
    key(s, SDLK_BACKSPACE, 0);
    cr_assert(strstr(title(s), "step 2/10"), "Left, Backspace: %s", title(s));
    key(s, SDLK_PAGEUP, 0);
    key(s, SDLK_PAGEUP, 0); // stays at the first step
    cr_assert(strstr(title(s), "step 1/10"), "%s", title(s));
    key(s, SDLK_END, 0);
    cr_assert(strstr(title(s), "step 10/10"), "%s", title(s));
    key(s, SDLK_HOME, 0);
    cr_assert(strstr(title(s), "step 1/10"), "%s", title(s));
    cr_assert_eq(key(s, SDLK_l, 0), SCREEN_HANDLED);
    cr_assert_eq(CTX.lang, LANG_ZH, "L switches the language");
    cr_assert_eq(key(s, SDLK_q, 0), SCREEN_UNHANDLED, "Q is the window's (quit)");
    cr_assert_eq(key(s, SDLK_F11, 0), SCREEN_UNHANDLED, "F11 is the window's (fullscreen)");
    cr_assert_eq(key(s, SDLK_i, 0), SCREEN_HANDLED);
    cr_assert(strstr(title(s), "lesson index"), "I opens the index: %s", title(s));
    close_player(s);
}

Test(player, autoplay_advances_by_time_not_frames) {
    Screen *s = open_player("golden/02_convolution.lesson", 0);
    double wake;
    s->update(s, 100.0, &wake);
    key(s, SDLK_p, 0);
    for (int i = 0; i < 50; i++) s->update(s, 100.0 + i * 0.01, &wake); // 50 updates within 0.5 s
    cr_assert(strstr(title(s), "step 1/"), "no advance before the interval: %s", title(s));
    cr_assert(wake > 0 && wake <= 2.5, "asks to be woken for the next step (%g s)", wake);
    s->update(s, 103.0, &wake);
    cr_assert(strstr(title(s), "step 2/"), "advanced after 2.5 s: %s", title(s));
    key(s, SDLK_p, 0); // off
    s->update(s, 110.0, &wake);
    cr_assert(strstr(title(s), "step 2/"), "%s", title(s));
    close_player(s);
}

Test(player, animation_runs_for_the_theme_duration_then_idles) {
    Screen *s = open_player("golden/02_convolution.lesson", 1);
    double wake;
    s->update(s, 10.0, &wake);
    draw(s);
    s->update(s, 10.01, &wake);
    cr_assert_lt(wake, 0, "idle: no wake-up without an event");
    key(s, SDLK_RIGHT, 0);
    cr_assert(s->update(s, 20.0, &wake), "a step starts an animation");
    cr_assert_geq(wake, 0);
    draw(s);
    cr_assert(s->update(s, 20.1, &wake), "still animating at 100 ms");
    draw(s);
    s->update(s, 20.0 + THEME.anim_ms / 1000.0 + 0.01, &wake);
    draw(s); // the frame at the end of the animation ends it
    cr_assert_not(s->update(s, 21.0, &wake), "settled: nothing to redraw");
    cr_assert_lt(wake, 0);
    close_player(s);
}

Test(player, click_on_the_input_moves_the_window) {
    Screen *s = open_player("golden/02_convolution.lesson", 1); // window 0 0 on the 5x5 grid
    draw(s);
    cr_assert_eq(player_scene(s)->win_oy, 0);
    float x, y;
    cr_assert(player_cell_center(s, HIT_INPUT, 4, 4, &x, &y));
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_MOUSEBUTTONDOWN;
    ev.button.button = SDL_BUTTON_LEFT;
    ev.button.x = (int)x;
    ev.button.y = (int)y;
    s->handle_event(s, &ev, CANVAS);
    const Scene *sc = player_scene(s);
    cr_assert(sc->win_oy == 2 && sc->win_ox == 2, "the bottom-right cell selects window (2,2), got (%d,%d)", sc->win_oy, sc->win_ox);
    cr_assert_float_eq(sc->window_value, 6.0f, 1e-6, "the engine's value at (2,2)");
    cr_assert(strstr(title(s), "step 2/"), "a click does not change the step");
    draw(s);
    cr_assert(player_cell_center(s, HIT_OUTPUT, 0, 1, &x, &y));
    ev.button.x = (int)x;
    ev.button.y = (int)y;
    s->handle_event(s, &ev, CANVAS);
    sc = player_scene(s);
    cr_assert(sc->win_oy == 0 && sc->win_ox == 1, "a click on an output cell selects it");
    key(s, SDLK_RIGHT, 0);
    key(s, SDLK_LEFT, 0);
    cr_assert(player_scene(s)->win_oy == 0 && player_scene(s)->win_ox == 0, "going back shows the step as written");
    close_player(s);
}

Test(player, wheel_zooms_into_the_picture_numbers) {
    static Cifar cifar;
    ClError err;
    if (cifar_load_test(&cifar, "../data/cifar-10-batches-bin", 0, &err) != 0) cr_skip_test("no CIFAR-10 (make data): %s", err.msg);
    Screen *s = open_player("golden/02_convolution.lesson", 9); // the whole 32x32 red channel
    CTX.cifar = &cifar;
    CTX.cifar_error = "";
    player_set_image_offset(s, 0); // recompute with the data
    draw(s);
    cr_assert_eq(player_scene(s)->input.cols, 32);
    float x, y;
    cr_assert(player_cell_center(s, HIT_INPUT, 20, 8, &x, &y));
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_MOUSEMOTION;
    ev.motion.x = (int)x;
    ev.motion.y = (int)y;
    s->handle_event(s, &ev, CANVAS);
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_MOUSEWHEEL;
    ev.wheel.y = 1;
    s->handle_event(s, &ev, CANVAS);
    const Scene *sc = player_scene(s);
    cr_assert_eq(sc->input.cols, 16, "one notch in: 16x16");
    cr_assert(sc->crop_y <= 20 && 20 < sc->crop_y + 16 && sc->crop_x <= 8 && 8 < sc->crop_x + 16, "around the pixel under the mouse");
    cr_assert_eq(sc->output.cols, 14, "the engine recomputed the output for the crop");
    draw(s);
    s->handle_event(s, &ev, CANVAS);
    cr_assert_eq(player_scene(s)->input.cols, 8, "two notches: 8x8");
    close_player(s);
    cifar_free(&cifar);
}
