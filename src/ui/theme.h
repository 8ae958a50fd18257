/* The look of every screen: one colour per role (input blue, kernel orange,
 * output green, padding grey, argmax gold), heat-map colour maps, font sizes
 * and spacing, loaded from assets/theme-{light,dark}.theme (key = value lines).
 * Sizes are logical pixels at the 1280x800 reference; the Canvas scales them.
 */
#ifndef CONVLAB_THEME_H
#define CONVLAB_THEME_H

#include <stdint.h>
#include "engine/error.h"

typedef struct { uint8_t r, g, b, a; } Rgba;

typedef struct {
    char name[32];          // "light", "dark"
    // surfaces and text
    Rgba bg;                // window background
    Rgba panel;             // explanation panel / top bar / formula bar
    Rgba panel_border;      // separators between panels
    Rgba text;              // body text
    Rgba text_muted;        // secondary text (hints, units)
    Rgba title;             // lesson title
    Rgba accent;            // focus, selected language, links
    Rgba error;             // error messages (with an icon, never colour alone)
    // roles (fixed across every lesson)
    Rgba input;             // input / activations: strong (outlines, labels)
    Rgba input_cell;        // input cells: fill
    Rgba kernel;            // kernel / weights: strong; also the current-window outline
    Rgba kernel_cell;       // kernel cells: fill
    Rgba output;            // output / result: strong
    Rgba output_cell;       // output cells: fill
    Rgba padding_cell;      // padding zeros: fill (drawn hatched)
    Rgba padding_hatch;     // padding zeros: hatch lines
    Rgba skipped;           // positions a stride skips: hatch / cross colour
    Rgba argmax;            // max-pool argmax: gold fill
    Rgba argmax_outline;    // max-pool argmax: outline
    Rgba grid_line;         // thin lines between cells
    Rgba cell_text;         // numbers on light cells
    Rgba cell_text_inv;     // numbers on dark cells
    Rgba empty_cell;        // output cells not computed yet
    // diverging map for signed values: neg -> zero -> pos
    Rgba div_neg, div_zero, div_pos;
    // sizes in logical px at 1280x800
    float font_body;        // explanation text (>= 18)
    float font_title;       // lesson title (>= 28)
    float font_small;       // labels, hints
    float font_cell;        // numbers in grid cells (>= 14)
    float font_formula;     // formula bar
    float margin;           // outer margin
    float gap;              // between widgets
    float topbar_h;         // height of the top bar
    float formula_h;        // height of the formula bar
    float panel_frac;       // explanation panel width as a fraction of the window
    float line_thin;        // grid lines
    float line_thick;       // highlights, arrows
    float window_thick;     // current-window outline
    float anim_ms;          // step animation duration (200-400)
} Theme;

// Built-in defaults (the light theme) used before/without a file.
void theme_default_light(Theme *t);
void theme_default_dark(Theme *t);

// Loads a theme file over the defaults. Errors name file:line and the key;
// unknown keys are warned about on stderr (as darknet's cfg), not fatal.
int theme_load(Theme *t, const char *path, ClError *err);

// Finds and loads "light" or "dark" (assets/theme-NAME.theme next to the
// binary or under the cwd; falls back to the built-in defaults silently only
// if no file exists). Returns -1 on a broken file or an unknown name.
int theme_load_named(Theme *t, const char *name, ClError *err);

// The shipped themes, for the --theme option: THEME_NAMES[i] is choice i of
// THEME_CHOICES (assets/theme-NAME.theme).
#define THEME_CHOICES "light|dark"
extern const char *const THEME_NAMES[2];

// Colour maps: t in [0,1] for viridis; v in [-1,1] for the diverging map.
Rgba theme_viridis(float t);
Rgba theme_diverging(const Theme *th, float v);
// Linear blend a -> b by t in [0,1].
Rgba rgba_mix(Rgba a, Rgba b, float t);
// Perceived luminance 0..1 (to choose dark or light text on a fill).
float rgba_luma(Rgba c);

#endif
