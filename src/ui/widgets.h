/* Widgets every lesson screen draws with (on a Canvas, in logical px):
 * number grids with role colours, heat maps and zero-padding rings; CIFAR
 * images and feature maps; arrows; text panels; the formula line with role
 * colours; 3-D tensor volumes drawn to scale. Geometry and easing
 * use cglm. Widgets only draw: state and numbers come from the Scene.
 */
#ifndef CONVLAB_WIDGETS_H
#define CONVLAB_WIDGETS_H

#include <stdbool.h>
#include "ui/draw.h"

typedef enum { HEAT_NONE, HEAT_VIRIDIS, HEAT_DIVERGING, HEAT_GRAY } HeatMode; // GRAY: pixel brightness lo..hi

typedef struct {
    const float *v;             // (rows, cols) values
    int rows, cols;
    int pad_t, pad_b, pad_l, pad_r; // zero rings drawn around the grid (hatched "0")
    float x, y;                 // top-left of the PADDED grid
    float cell;                 // cell size (logical px)
    Rgba fill;                  // cell fill for HEAT_NONE
    Rgba strong;                // frame colour (the role's strong colour)
    HeatMode heat;
    float lo, hi;               // value range for the heat map (diverging: |hi|)
    int decimals;               // for the numbers (see scene_fmt)
    int n_visible;              // only the first n cells (row-major) show values; -1 = all
    bool values;                // draw numbers (auto-off when cells are too small)
    float font;                 // number size; 0 = fit to the cell (>= theme font_cell when possible)
    const uint8_t *mark;        // (rows, cols) 1 = fill with mark_fill (the window), 2 = mark_fill2
                                // (the argmax); only on HEAT_NONE grids (heat colours carry values); or NULL
    Rgba mark_fill, mark_fill2;
    const uint8_t *mark_from;   // the marks the grid fades from while the window slides, or NULL
    float mark_t;               // 0..1: how far the fade from mark_from to mark has come
    const char *pad_text;       // text in padding cells, NULL for 0 (max pooling pads with minus infinity)
    bool index_labels;          // row numbers left, column numbers under the grid (0-based, as PyTorch
                                // indexes; padding cells unnumbered); callers leave GRID_INDEX_GUTTER free
} GridSpec;

// What a colour bar shows: a heat map's range and how its values are written.
typedef struct {
    HeatMode heat;              // the map's colours (viridis, diverging or gray)
    float lo, hi;               // its value range (a diverging map: made -max|v| .. +max|v|)
    int decimals;               // digits of the values written (as scene_fmt)
    float scale;                // values are written times this (100: a share in %); 0 = 1
    const char *unit;           // written after each value (" %"), or NULL
    bool mid;                   // also mark the middle value (0 is marked anyway when in range)
    bool vertical;              // lo at the bottom, hi at the top, values right of the bar;
                                // else lo left, hi right, values under the bar
    float font;                 // size of the values; 0 = the theme's font_small
} ColourBar;

// The colour bar b in r (r is the ramp; the values go outside it: under it, or
// right of a vertical one): what a colour means, beside the map.
void widget_colour_bar_draw(Canvas *c, Rect r, const ColourBar *b);
// A horizontal colour bar in r for a heat map's range lo..hi (a diverging map:
// -max|v| .. +max|v|, 0 marked), with the ends' values (decimals as scene_fmt)
// written under it (widget_colour_bar_draw with those settings).
void widget_colour_bar(Canvas *c, Rect r, HeatMode heat, float lo, float hi, int decimals);

// The smallest size of numbers in cells when they fit (logical px at 1280x800).
#define GRID_MIN_FONT 14

// Room (logical px) index labels take left of and under a grid.
#define GRID_INDEX_GUTTER 24

// A grid of v (rows, cols) at (x, y) with every value shown and the rest
// zero (no padding, HEAT_NONE, no fill): callers set what differs.
GridSpec grid_spec(const float *v, int rows, int cols, float x, float y, float cell, Rgba strong);
// Draws the grid (padding rings, cells, numbers, frame).
void widget_grid(Canvas *c, const GridSpec *g);
// The rect of cell (r, c) in unpadded coordinates (negative / >= size = padding).
Rect grid_cell_rect(const GridSpec *g, int r, int col);
// Rect of the whole padded grid.
Rect grid_rect(const GridSpec *g);
// A fitting font size for numbers in cells of this size (0 if too small to read).
float grid_value_font(const Canvas *c, float cell, int max_chars);

// A label centred above r (e.g. "input 5×5"), in the role colour; returns its height.
float widget_label_above(Canvas *c, Rect r, const char *text, Rgba color, float size);

// An RGB 32x32 image (or any w x h) drawn crisp into dst with a caption under it.
void widget_image(Canvas *c, Rect dst, const uint8_t *rgb, int w, int h, const char *caption);

// Heat-map colour of v for a spec (viridis or diverging), or the role fill.
Rgba grid_cell_color(const Canvas *c, const GridSpec *g, float v);

// A rounded panel with an optional heading; returns the inner rect.
Rect widget_panel(Canvas *c, Rect r, const char *heading);
// As widget_panel with the heading at size px (a text-only step's body is larger than a panel's).
Rect widget_panel_sized(Canvas *c, Rect r, const char *heading, float size);
// Explanation text (markup as draw_text_wrapped) inside r; shrinks the font
// down to min_size if it would not fit. Returns the height the text covers
// (to its last glyphs): more than r.h means it was clipped.
float widget_text_block(Canvas *c, Rect r, const char *text, float size, float min_size, Rgba color);
// A formula line with ROLE_* markers (lesson/scene.h) coloured by role, fitted
// into width by shrinking from size down to min_size. Returns the width drawn.
float widget_formula(Canvas *c, float x, float y_center, float width, const char *formula, float size,
                     float min_size, TextAlign align);

// A tensor volume C x H x W drawn to scale in an oblique (cabinet) projection
// (widget_volume.c): rows and columns `cell` px, each channel a slab `slab` px
// deep along the depth axis (up and to the right), channel 0 in front. All
// volumes of a frame share one VolumeScale, so a 2x2 output is drawn smaller
// than a 6x6 input and a 1-channel volume thinner than a 4-channel one.
typedef struct {
    int C, H, W;                // volume size (channels, rows, columns)
    int pad;                    // zero rings around H x W, drawn as a pale frame (0: none)
    bool sub;                   // draw the sub-box
    float c0, y0, x0, dc, dy, dx; // sub-box [c0, c0+dc) x [y0, y0+dy) x [x0, x0+dx), unpadded
                                // coordinates (y0, x0 < 0 reach into the padding); float: animated
    Rgba color, sub_color;      // edges (the role's colour) and the sub-box
    const Rgba *slab_colors;    // (C) fill of each channel's slab, or NULL (color, lightened)
    const char *label;          // under the volume, e.g. "input 3×32×32"
} VolumeSpec;

typedef struct {
    float cell;                 // px per row / column
    float slab;                 // px per channel along the depth axis
} VolumeScale;

// The depth axis per px of slab (x right, y down): up and to the right.
#define VOLUME_DEPTH_DX 0.62f
#define VOLUME_DEPTH_DY 0.46f

// The px a volume covers (padding and depth included, label excluded) at scale s.
void volume_extent(const VolumeSpec *v, VolumeScale s, float *w, float *h);
// One scale for n volumes drawn side by side in a box of width w (gap px
// between them) and height h: cells at most max_cell px, slabs at least
// min_slab px (as thick as a cell when cells are larger), smaller when the
// channels would not fit.
VolumeScale volume_scale_fit(const VolumeSpec *const *v, int n, float w, float gap, float h, float max_cell,
                             float min_slab);
// Draws v with the top-left corner of its (padded) front face at (x, y) at
// scale s; the label goes under the whole volume. Returns its rect (label excluded).
Rect widget_volume_at(Canvas *c, float x, float y, const VolumeSpec *v, VolumeScale s);
// Draws v alone, as large as fits, centred in area (label included).
void widget_volume(Canvas *c, Rect area, const VolumeSpec *v);

// Eases t in [0,1] (cubic in-out, cglm's glm_ease_cubic_inout).
float ui_ease(float t);
// Interpolates two rects (cglm glm_vec4_lerp).
Rect rect_lerp(Rect a, Rect b, float t);
// Whether point (x, y) lies in r.
bool rect_contains(Rect r, float x, float y);

#endif
