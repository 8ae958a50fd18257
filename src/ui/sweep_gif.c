/* The window sweep as a GIF: see sweep_gif.h. */
#include "ui/sweep_gif.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui/gif_out.h"
#include "ui/player.h"

int sweep_gif_positions(const Scene *sc) {
    int n = scene_position_count(sc);
    return n <= SWEEP_GIF_MAX && scene_position(sc) > 0 ? n : 0;
}

// Draws the player offscreen and appends the frame to g.
static int add_frame(GifOut *g, Screen *s, Canvas *c, int delay_cs, ClError *err) {
    canvas_begin_frame(c);
    s->draw(s, c);
    SDL_Surface *f = canvas_read_pixels(c);
    if (!f) return cl_fail(err, "cannot read the frame back: %s", SDL_GetError());
    uint8_t *rgba = cl_malloc((size_t)f->w * f->h * 4);
    for (int y = 0; y < f->h; y++) memcpy(rgba + (size_t)y * f->w * 4, (uint8_t *)f->pixels + (size_t)y * f->pitch, (size_t)f->w * 4);
    int rc = gif_out_add(g, rgba, delay_cs, err);
    free(rgba);
    SDL_FreeSurface(f);
    return rc;
}

int sweep_gif_write(Screen *s, const Theme *theme, int w, int h, int fps, const char *path, ClError *err) {
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return cl_fail(err, "%s: path is too long", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return cl_fail(err, "%s: cannot write (%s); run convlab from a writable folder", path, strerror(errno));
    Canvas *c = canvas_create_offscreen(w, h, theme, err);
    GifOut *g = c ? gif_out_open(f, w, h, err) : NULL;
    int n = g ? sweep_gif_positions(player_scene(s)) : 0, frames = 0, rc = g ? 0 : -1;
    int was = player_position(s, NULL); // the student's position, back afterwards
    player_set_static(s, true);
    for (int pos = 1; rc == 0 && pos <= (n ? n : 1); pos++) {
        if (n) player_set_position(s, pos);
        bool last = pos == (n ? n : 1);
        rc = add_frame(g, s, c, last ? SWEEP_HOLD_CS : 100 / fps, err);
        frames++;
    }
    player_set_position(s, was);
    player_set_static(s, false);
    if (g && gif_out_close(g, rc == 0 ? err : NULL) != 0) rc = -1;
    if (c) canvas_free(c);
    if (fclose(f) != 0 && rc == 0) rc = cl_fail(err, "%s: writing failed (%s); free some space", path, strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0) rc = cl_fail(err, "%s: cannot rename into place (%s)", path, strerror(errno));
    if (rc != 0) { unlink(tmp); return -1; }
    return frames;
}
