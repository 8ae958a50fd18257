/* The lesson player on an offscreen canvas, for the tests that drive it with
 * synthetic SDL events (test_render_player.c, test_sweep.c).
 */
#ifndef CONVLAB_TESTUTIL_PLAYER_H
#define CONVLAB_TESTUTIL_PLAYER_H

#include "ui/draw.h"
#include "ui/player.h"
#include "ui/theme.h"
#include "ui/view.h"

// Opens lesson (a path) at step (0-based) in the light theme, English, with no
// data, and a w x h offscreen canvas into *canvas; ctx and theme must outlive
// the screen. Fails the test if either cannot be made.
Screen *player_open_offscreen(Screen **out, Canvas **canvas, ScreenContext *ctx, Theme *theme, const char *lesson,
                              int step, int w, int h);
// Frees both.
void player_close_offscreen(Screen *s, Canvas *canvas);
// A key press with modifiers mod, handled by s on canvas.
ScreenAction player_send_key(Screen *s, Canvas *canvas, SDL_Keycode k, Uint16 mod);

#endif
