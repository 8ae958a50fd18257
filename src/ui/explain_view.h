/* What the network looked at, drawn: a picture, its 32x32 input, the
 * saliency map and Grad-CAM side by side (viridis, each scaled to its own
 * maximum; Grad-CAM blended over the 32x32). Used by --batch predict
 * --explain (a PNG, one row per picture) and by the lesson views.
 */
#ifndef CONVLAB_EXPLAIN_VIEW_H
#define CONVLAB_EXPLAIN_VIEW_H

#include "engine/explain.h"
#include "engine/picture.h"
#include "ui/draw.h"

// rgb (32, 32, 3) = viridis of map (32, 32) scaled by its maximum; with base
// (32, 32, 3) not NULL the colours are blended 60 % over it.
void explain_colour_map(uint8_t *rgb, const float *map, const uint8_t *base);

// Draws one row into r: the picture with its crop outlined, the 32x32, the
// saliency and the Grad-CAM, each captioned; title above (e.g. "cat 63.2 %").
void explain_draw_row(Canvas *c, Rect r, const Picture *p, const Explanation *ex, const char *title);

// Writes n rows (pictures[i], ex[i], titles[i]) into a PNG at path.
int explain_render_png(const char *path, const Picture *pictures, const Explanation *ex, const char *const *titles,
                       int n, ClError *err);

#endif
