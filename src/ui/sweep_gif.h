/* The window sweep of a lesson step as an animated GIF: every output cell of
 * a conv or pool step in turn, drawn by the player exactly as the window
 * shows it (Shift+F12 in the window; --batch export uses the count).
 */
#ifndef CONVLAB_SWEEP_GIF_H
#define CONVLAB_SWEEP_GIF_H

#include "lesson/scene.h"
#include "ui/screen.h"
#include "ui/theme.h"

#define SWEEP_HOLD_CS 200   // the last frame of a step stays 2 s, to be read

// Window positions of a scene's sweep: OH*OW for conv/pool steps that show a
// window, 0 for every other step (and for steps that could not be computed).
int sweep_gif_positions(const Scene *sc);
// Writes the player's current step, swept over every window position (1/fps s
// each, the last SWEEP_HOLD_CS), as a w x h looping GIF at path (a temporary
// file renamed into place). A step without a window gives one frame. Leaves
// the step showing its own window. Returns the number of frames, or -1.
int sweep_gif_write(Screen *player, const Theme *theme, int w, int h, int fps, const char *path, ClError *err);

#endif
