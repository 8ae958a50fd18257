/* The live-parameter bar: one chip per parameter a step declares in `adjust`
 * ([S] stride 2), drawn by the player under the scene's view, so students see
 * which keys change what and which values differ from the lesson's.
 */
#ifndef CONVLAB_ADJUST_BAR_H
#define CONVLAB_ADJUST_BAR_H

#include "lesson/adjust.h"
#include "ui/draw.h"
#include "ui/screen.h"

// Height the bar needs (0 if the step declares no parameters).
float adjust_bar_height(const Canvas *c, const Lesson *l, const LessonStep *st);
// Where a chip was drawn, for mouse clicks (left: up, right: down).
typedef struct {
    Rect r;
    char letter;                // the parameter's key
} AdjustChip;

// Draws the bar into r (its bottom strip of the view area); fills chips
// (ADJUST_MAX, may be NULL) and returns how many.
int adjust_bar_draw(Canvas *c, Rect r, Lang lang, const Lesson *l, const LessonStep *st, const SceneOverrides *ov,
                    AdjustChip *chips);

#endif
