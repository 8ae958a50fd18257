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
// (sweep_gif_begin, _next until false, then _end.)
int sweep_gif_write(Screen *player, const Theme *theme, int w, int h, int fps, const char *path, ClError *err);

// ---- the same, a frame at a time (the window stays responsive) -------------------
// The frames are drawn on the caller's thread (the player and the fonts are
// the window's), one per sweep_gif_next; a thread of the job quantizes and
// encodes them (most of the time) into path.tmp, renamed into place at the end.
typedef struct SweepGifJob SweepGifJob;

// Opens path.tmp and starts the encoder for the player's current step.
// Returns NULL with err if the file or the canvas cannot be made.
SweepGifJob *sweep_gif_begin(Screen *player, const Theme *theme, int w, int h, int fps, const char *path, ClError *err);
// Draws the next frame (the step shows that window position for it and its own
// window again after it) and hands it to the encoder, waiting while it is two
// frames behind. Returns true while frames remain to be drawn.
bool sweep_gif_next(SweepGifJob *j);
// Frames encoded so far and in all (for "writing GIF… 40/225").
void sweep_gif_progress(SweepGifJob *j, int *encoded, int *total);
// The path the GIF goes to.
const char *sweep_gif_path(const SweepGifJob *j);
// True when every frame is drawn and encoded and the file is written (or failed).
bool sweep_gif_done(SweepGifJob *j);
// Ends the job (cancel: no more frames are drawn or encoded, the temporary
// file is removed), waits for the encoder (at most the frame it encodes) and frees j. Returns the number of frames written to path,
// or -1 with err (also after a cancel).
int sweep_gif_end(SweepGifJob *j, bool cancel, ClError *err);

#endif
