/* Rows of labelled number grids joined by symbols (⊛, →, ←, =): the
 * building block of the backward and transposed-convolution views
 * (view_conv_backward.c, view_conv_transpose.c). A Panel says what one grid
 * shows (values, role colours, padding rings, marked cells, outlined cells);
 * gradrow_layout places panels in a row at one cell size, gradrow_draw draws
 * them and records them in the hit map. Drawing only.
 */
#ifndef CONVLAB_VIEW_GRADROW_H
#define CONVLAB_VIEW_GRADROW_H

#include "ui/view.h"

#define GR_MAX_OUTLINES 64

typedef struct {
    const Grid *g;              // the numbers (NULL: the panel is absent)
    int pad;                    // zero rings drawn around it (hatched)
    const uint8_t *mark;        // (rows, cols) 1: role-tinted fill, 2: gold (or NULL)
    const uint8_t *dim;         // (rows, cols) 1: drawn faded (e.g. cropped or inserted zeros) (or NULL)
    int n_visible;              // cells with numbers (row-major); -1 all
    Rgba fill, strong;          // the role's colours
    Rgba mark_fill;             // fill of marked cells
    const char *label;          // above the grid
    int n_outline;              // cells outlined in `strong` (thick): the result cell, the window
    int oy[GR_MAX_OUTLINES], ox[GR_MAX_OUTLINES];
    Rect window;                // an extra thick outline (kernel colour) in cell units: x, y, w, h; w 0 = none
    Rect window_from;           // while animating: the previous step's window (cell units), w 0 = none
    float t;                    // eased progress 0..1 from window_from to window
    HitRole hit;
    float gap_before;           // > 0: the gap before this panel instead of the row's gap (room for a label)
    GridSpec spec;              // filled by gradrow_layout
} Panel;

// Places n panels left to right centred in r, joined by gaps of `gap` px, at
// one cell size (at most max_cell). Returns the cell size used.
float gradrow_layout(ViewCtx *v, Panel *p, int n, Rect r, float gap, float max_cell);
// Draws the panels, their labels, outlines and windows, and records them in the hit map.
void gradrow_draw(ViewCtx *v, Panel *p, int n);
// Places q (laid out by nobody) under p at height y: same cell size, under p's unpadded cells.
void gradrow_place_under(Panel *q, const Panel *p, float y);
// A symbol (⊛, =, →) centred between two panels.
void gradrow_symbol(ViewCtx *v, const Panel *a, const Panel *b, const char *sym);
// An arrow from panel a to panel b with a text above it (the direction of the data).
void gradrow_arrow(ViewCtx *v, const Panel *a, const Panel *b, const char *text, Rgba col);
// The role colours of input, kernel or output on a panel.
void gradrow_role(ViewCtx *v, Panel *p, HitRole role);
// en or zh by the view's language.
const char *gradrow_tr(const ViewCtx *v, const char *en, const char *zh);

#endif
