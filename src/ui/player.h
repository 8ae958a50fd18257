/* The lesson player screen (player.c): the lesson index, then one lesson at a
 * time, stepped with presentation-software keys. The same draw code makes
 * the window's frames and the --batch render PNGs.
 */
#ifndef CONVLAB_PLAYER_H
#define CONVLAB_PLAYER_H

#include "lesson/scene.h"
#include "ui/screen.h"

// Finds lessons/*.lesson (under the cwd, else next to the binary), sorted by
// name. Ownership: free each string and the array (player_free_files).
int player_find_lesson_files(char ***files, int *n, ClError *err);
void player_free_files(char **files, int n);

// The player over every lessons/*.lesson; if lesson_file is given it is
// opened (added to the list if it is not one of them) at step `step`
// (0-based), else the index is shown. lesson_file may also be a number N:
// the lesson file numbered N (07_pooling.lesson for 7), else the N-th one.
// Ownership: s->destroy.
Screen *player_create_for(ScreenContext *ctx, const char *lesson_file, int step, ClError *err);

// Opens lesson `lesson` (0-based position, -1 = the index) at step `step`
// (0-based; clamped). Without animation. Returns -1 if lesson is out of range.
int player_open(Screen *s, int lesson, int step);
// Recomputes the open step after ctx->picture / ctx->use_picture changed.
void player_picture_changed(Screen *s);
// N / Shift+N: which image of the step's choice is shown.
void player_set_image_offset(Screen *s, int offset);
// Live parameters (a step's `adjust` keys, lesson/adjust.h) for the open step;
// reset by any step or lesson change. (--batch render --set, tests.)
void player_set_overrides(Screen *s, const SceneOverrides *ov);
// The window at `position` (1-based: output cell row·OW + col + 1; 0: as the
// step's `window` says), as a click or the , . keys put it; stops a sweep; reset
// by any step change (--batch render --position, the sweep GIF, --batch export).
void player_set_position(Screen *s, int position);
// The open step's window position (1-based; 0: none shown) and in *count
// (may be NULL) how many it has (0: the step has no sliding window).
int player_position(Screen *s, int *count);
// Disables animations and the hover tooltip (for --batch render and tests).
void player_set_static(Screen *s, bool is_static);
// The open lesson's position (-1 = the index).
int player_current_lesson(Screen *s);
// Number of lessons, and of steps in the open lesson (0 on the index).
int player_lesson_count(Screen *s);
int player_step_count(Screen *s);
// The open lesson's load error ("" if it loaded), for --batch render.
const char *player_lesson_error(Screen *s);
// After a draw: true if the explanation did not fit its panel even at 18 px.
bool player_text_overflow(Screen *s);
// The numbers on screen now (tests, scripted demos). Valid until the next event.
const Scene *player_scene(Screen *s);
// Centre (logical px) of cell (r, c) of the last drawn grid with hit role
// `role` (ui/view.h HitRole); false if no such grid was drawn.
bool player_cell_center(Screen *s, int role, int r, int c, float *x, float *y);

#endif
