/* The one drawing layer of convlab. A Canvas wraps an SDL_Renderer that is
 * either a window's or a software renderer on an SDL_Surface (--batch render,
 * tests), so the window and the PNG come from the same code.
 *
 * Coordinates are LOGICAL pixels: the reference window is 1280x800 and the
 * canvas scales everything by canvas_scale() = min(out_w/1280, out_h/800)
 * (HiDPI doubles it). canvas_width/height give the logical size, which is
 * 1280x800 only when the aspect matches; lay out against those.
 * Text is SDL2_ttf with fonts found through fontconfig (DejaVu Sans for Latin,
 * Noto Sans CJK for strings containing CJK); rendered runs are cached.
 */
#ifndef CONVLAB_DRAW_H
#define CONVLAB_DRAW_H

#include <stdbool.h>
#include <stdint.h>
#include <SDL2/SDL.h>
#include "engine/error.h"
#include "ui/theme.h"

typedef struct { float x, y, w, h; } Rect;   // logical px

typedef struct Canvas Canvas;

typedef enum { ALIGN_LEFT, ALIGN_CENTER, ALIGN_RIGHT } TextAlign;

typedef struct {
    float size;         // logical px (theme->font_body etc.)
    bool bold;
    Rgba color;
    TextAlign align;    // horizontal alignment relative to x
    bool vcenter;       // y is the vertical centre instead of the top
} TextStyle;

// ---- lifetime ---------------------------------------------------------------

// Initialises SDL_ttf and finds the fonts via fontconfig. Fails with a message
// naming the Debian package to install (fonts-dejavu-core, fonts-noto-cjk).
int draw_init_fonts(ClError *err);
// Releases what draw_init_fonts opened (after every canvas is freed).
void draw_shutdown_fonts(void);

// A canvas on a window's renderer (accelerated, vsync off). Ownership: free with canvas_free.
Canvas *canvas_create_window(SDL_Window *win, const Theme *theme, ClError *err);
// A canvas on an offscreen w x h RGBA surface with SDL's software renderer.
Canvas *canvas_create_offscreen(int w, int h, const Theme *theme, ClError *err);
void canvas_free(Canvas *c);

// ---- frames -----------------------------------------------------------------

// Starts a frame: refreshes the output size and scale, clears to theme->bg.
void canvas_begin_frame(Canvas *c);
// Ends a frame: presents it on a window; no-op offscreen.
void canvas_end_frame(Canvas *c);
// Writes the current frame (the last drawn) as a PNG (SDL2_image IMG_SavePNG).
int canvas_save_png(Canvas *c, const char *path, ClError *err);
// Copies the current frame into a new RGBA32 surface. Ownership: SDL_FreeSurface.
SDL_Surface *canvas_read_pixels(Canvas *c);

// Logical size, scale (output px per logical px) and theme.
float canvas_width(const Canvas *c);
float canvas_height(const Canvas *c);
float canvas_scale(const Canvas *c);
const Theme *canvas_theme(const Canvas *c);
void canvas_set_theme(Canvas *c, const Theme *theme);
SDL_Renderer *canvas_renderer(Canvas *c);
// Converts window (mouse event) coordinates into logical coordinates.
void canvas_window_to_logical(const Canvas *c, int wx, int wy, float *lx, float *ly);

// Clip all drawing to r (logical); canvas_pop_clip restores the previous clip (depth 8).
void canvas_push_clip(Canvas *c, Rect r);
void canvas_pop_clip(Canvas *c);

// ---- shapes -----------------------------------------------------------------

void draw_fill_rect(Canvas *c, Rect r, Rgba col);
// Outline drawn INSIDE r with the given logical thickness.
void draw_rect_outline(Canvas *c, Rect r, float thickness, Rgba col);
// Fill with a rounded look (corner radius in logical px).
void draw_fill_round_rect(Canvas *c, Rect r, float radius, Rgba col);
// Diagonal hatch lines clipped to r (spacing between lines in logical px).
void draw_hatch(Canvas *c, Rect r, float spacing, float thickness, Rgba col);
// A thick line segment (a quad).
void draw_line(Canvas *c, float x0, float y0, float x1, float y1, float thickness, Rgba col);
// A thick dashed line segment.
void draw_dashed_line(Canvas *c, float x0, float y0, float x1, float y1, float thickness, float dash, Rgba col);
// A line with a filled triangular head at (x1, y1).
void draw_arrow(Canvas *c, float x0, float y0, float x1, float y1, float thickness, float head, Rgba col);
// A filled triangle / convex quad (points in logical px).
void draw_fill_triangle(Canvas *c, const float xy[6], Rgba col);
void draw_fill_quad(Canvas *c, const float xy[8], Rgba col);
void draw_fill_circle(Canvas *c, float cx, float cy, float radius, Rgba col);

// ---- text -------------------------------------------------------------------

// Draws one line of UTF-8 at (x, y) (top or centre per style); returns its width.
float draw_text(Canvas *c, float x, float y, const char *utf8, TextStyle st);
// Width and height of one line in logical px.
void text_measure(Canvas *c, const char *utf8, float size, bool bold, float *w, float *h);
// Word-wraps utf8 into width (CJK wraps between any two characters, "\n"
// forces a break); draws it from the top-left if draw is true. Returns the
// height used. Markup: **bold** toggles bold; _{x} / ^{x} draw x as a
// subscript / superscript.
float draw_text_wrapped(Canvas *c, float x, float y, float width, const char *utf8,
                        TextStyle st, float line_spacing, bool draw);
// A text style from the theme for the given size.
TextStyle text_style(const Canvas *c, float size, Rgba color);

// ---- images -----------------------------------------------------------------

// Draws a w x h RGB (3 bytes/pixel, interleaved) or gray (1 byte) image into dst
// with nearest-neighbour scaling. Textures are cached by the pixel content.
void draw_image_rgb(Canvas *c, Rect dst, const uint8_t *rgb, int w, int h);
void draw_image_gray(Canvas *c, Rect dst, const uint8_t *gray, int w, int h);

// ---- text log (tests) ------------------------------------------------------------

// One drawn line or word: its UTF-8 text (cut at 159 bytes), its box and size (logical px).
typedef struct { char text[160]; Rect box; float size; } TextLogEntry;
// Caller-owned storage: entries[0..cap), n counts every draw (also those beyond cap).
typedef struct { TextLogEntry *entries; int cap, n; } TextLog;
// Appends every later draw_text (each word of draw_text_wrapped) to log; NULL stops.
// Lets tests read what a frame says and how large (labels, sizes, line breaks).
void canvas_set_text_log(Canvas *c, TextLog *log);

// Frame statistics: text cache hits and misses since creation (for the bench).
void canvas_cache_stats(const Canvas *c, long *hits, long *misses);

#endif
