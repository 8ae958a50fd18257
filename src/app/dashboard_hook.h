/* The hook between `convlab --batch train ... --dashboard PNG` (batch_train.c)
 * and the training dashboard's renderer (src/ui/dashboard*.c, which implements
 * dashboard_render_png with the same drawing code as the window).
 * Declared weak: until the renderer is linked in, the symbol is NULL and the
 * batch command refuses --dashboard before training, with a clear message.
 */
#ifndef CONVLAB_DASHBOARD_HOOK_H
#define CONVLAB_DASHBOARD_HOOK_H

#include "app/train_session.h"
#include "engine/error.h"

// Draws the dashboard of snap (as filled by train_recorder_fill at the end of
// the run) into a width x height PNG at path (width/height 0: the renderer's
// default size), text in lang ("en" or "zh"). Returns 0, or -1 with err.
int dashboard_render_png(const char *path, const TrainSnapshot *snap, int width, int height,
                         const char *lang, ClError *err) __attribute__((weak));

#endif
