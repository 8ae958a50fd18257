/* Drawing pieces shared by the views of lessons 8-10 (view_network.c,
 * view_training_loop.c, view_tutorial_bugs.c): feature maps of one layer as
 * heat maps, a vector as a heat strip, the 10 logits with their softmax, and a
 * code listing with highlighted lines. Values come from the scene (engine).
 */
#ifndef CONVLAB_VIEW_NETCOMMON_H
#define CONVLAB_VIEW_NETCOMMON_H

#include "ui/view.h"

// C maps of H x W (channel-major) laid out to fill r under a title, one
// common colour range (so channels compare), channel numbers under the maps
// (or names: one character per channel, e.g. "RGB"; NULL for numbers).
void netview_maps(ViewCtx *v, Rect r, const float *data, int C, int H, int W, HeatMode heat, const char *title,
                  const char *names);
// As netview_maps with cells of at most max_cell px (0: no limit), so maps of
// different layers keep one scale: a 14×14 map half the side of a 28×28 one.
void netview_maps_scaled(ViewCtx *v, Rect r, const float *data, int C, int H, int W, HeatMode heat, const char *title,
                         const char *names, float max_cell);
// The cell size (px) netview_maps would give C maps of H rows in r.
float netview_maps_fit_cell(ViewCtx *v, Rect r, int C, int H);
// A vector shown as rows x cols cells under a title.
void netview_vector(ViewCtx *v, Rect r, const float *data, int rows, int cols, HeatMode heat, const char *title);
// The 10 logits as signed bars and their softmax as percentages; the true
// label (label >= 0) is marked with "✓", the prediction with "◀".
void netview_logits(ViewCtx *v, Rect r, const float *logits, const float *probs, int label, const char *title);

// One line of a code listing; mark: 0 plain, 1 highlighted (accent),
// 2 "bug" (error colour), 3 "fixed" (output colour); the note says which in words.
typedef struct {
    const char *text;   // leading spaces indent
    int mark;
    const char *note;   // shown at the right end of the line, or NULL
} CodeLine;
// Draws the listing in a panel; returns its height.
float netview_code(ViewCtx *v, Rect r, const CodeLine *lines, int n, float size);

// Class name in the view's language.
const char *netview_class(ViewCtx *v, int k);

#endif
