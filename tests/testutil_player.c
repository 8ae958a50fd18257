#include "testutil_player.h"

#include <criterion/criterion.h>
#include <string.h>

Screen *player_open_offscreen(Screen **out, Canvas **canvas, ScreenContext *ctx, Theme *theme, const char *lesson,
                              int step, int w, int h) {
    ClError err;
    cr_assert_eq(draw_init_fonts(&err), 0, "%s", err.msg);
    theme_default_light(theme);
    *ctx = (ScreenContext){.lang = LANG_EN, .data_dir = "", .cifar_error = "no data", .theme_name = "light", .theme = theme};
    *out = player_create_for(ctx, lesson, step, &err);
    cr_assert_not_null(*out, "%s", err.msg);
    *canvas = canvas_create_offscreen(w, h, theme, &err);
    cr_assert_not_null(*canvas, "%s", err.msg);
    return *out;
}

void player_close_offscreen(Screen *s, Canvas *canvas) {
    s->destroy(s);
    canvas_free(canvas);
}

ScreenAction player_send_key(Screen *s, Canvas *canvas, SDL_Keycode k, Uint16 mod) {
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_KEYDOWN;
    ev.key.keysym.sym = k;
    ev.key.keysym.mod = mod;
    return s->handle_event(s, &ev, canvas);
}
