/* The window sweep of a lesson step as an animated GIF: every window position
 * (player_set_position, the same stepping as the , . J keys) of a step with a
 * sliding window, drawn by the player exactly as the window shows it
 * (Shift+F12 in the window; --batch export uses the count).
 */
#ifndef CONVLAB_SWEEP_GIF_H
#define CONVLAB_SWEEP_GIF_H

#include "lesson/scene.h"
#include "ui/screen.h"
#include "ui/theme.h"

#define SWEEP_HOLD_CS 200   // the last frame of a step stays 2 s, to be read
#define SWEEP_GIF_MAX 100   // longer sweeps (a 30x30 output) are one frame: minutes of GIF otherwise

// Window positions of a scene's sweep in a GIF: scene_position_count for steps that
// show a window and have at most SWEEP_GIF_MAX positions, else 0 (one frame).
int sweep_gif_positions(const Scene *sc);
// Writes the player's current step, swept over every window position (1/fps s
// each, the last SWEEP_HOLD_CS), as a w x h looping GIF at path (a temporary
// file renamed into place). A step without a window gives one frame. Leaves
// the window where it was. Returns the number of frames, or -1.
int sweep_gif_write(Screen *player, const Theme *theme, int w, int h, int fps, const char *path, ClError *err);

#endif
