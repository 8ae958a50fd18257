/* An animated GIF writer (gif_out.c): giflib writes the file, libimagequant
 * chooses each frame's palette. Used by --batch export and by the window's
 * Shift+F12 (the current step's window sweep, sweep_gif.c).
 */
#ifndef CONVLAB_GIF_OUT_H
#define CONVLAB_GIF_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "engine/error.h"

typedef struct GifOut GifOut;

// Starts a looping w x h animated GIF on f (not closed by the writer).
GifOut *gif_out_open(FILE *f, int w, int h, ClError *err);
// Adds a frame: rgba (h, w, 4) tightly packed, shown delay_cs hundredths of a
// second. Only the rectangle that differs from the previous frame is encoded,
// with its own 256-colour palette chosen for it (no fixed palette: heat maps
// keep their gradients).
int gif_out_add(GifOut *g, const uint8_t *rgba, int delay_cs, ClError *err);
// Writes the trailer and frees g (also after an error; then returns -1).
int gif_out_close(GifOut *g, ClError *err);

#endif
