/* Scene views: how each scene kind (lesson/scene.h) is drawn in the main area
 * of the lesson screen. A view registers itself from its own file with
 * SCENE_VIEW_REGISTER, so a new scene kind = scene_KIND.c + view_KIND.c.
 * Views record the grids they drew in a HitMap, which gives the player mouse
 * hover (value tooltips) and click-to-move-the-window for free.
 * Also: the UI strings in English and Chinese (ui_tr).
 */
#ifndef CONVLAB_VIEW_H
#define CONVLAB_VIEW_H

#include "lesson/scene.h"
#include "ui/draw.h"
#include "ui/screen.h"
#include "ui/widgets.h"

typedef enum { HIT_INPUT, HIT_KERNEL, HIT_OUTPUT, HIT_OTHER } HitRole;

typedef struct {
    GridSpec spec;              // where and how the grid was drawn (unpadded cells are hit)
    HitRole role;
    char name[64];              // shown in the tooltip ("input", "红色通道" ...)
    int coord_y0, coord_x0;     // added to the cell coordinates in the tooltip (crop offset)
} HitGrid;

#define HIT_MAX 12
typedef struct {
    HitGrid grids[HIT_MAX];
    int n;
} HitMap;

// Everything a view needs to draw one scene.
typedef struct {
    Canvas *c;
    const Theme *th;
    Lang lang;
    Rect area;                  // the main visual area (logical px)
    const Scene *prev;          // the previous step's scene while animating, else NULL
    float t;                    // eased animation progress 0..1 (1 = settled)
    HitMap *hits;               // grids drawn (may be NULL)
    const char *fetch_dir;      // non-NULL: D downloads CIFAR-10 into this folder (the "no data" message says so)
} ViewCtx;

typedef struct {
    const char *kind;           // the scene kind it draws
    void (*draw)(ViewCtx *v, const Scene *sc);
    bool wide_text;             // true: without a picture the explanation takes the main area
} SceneView;

void scene_view_register(const SceneView *v);
const SceneView *scene_view_find(const char *kind);
#define SCENE_VIEW_REGISTER(var) \
    __attribute__((constructor)) static void register_view_##var(void) { scene_view_register(&var); }

// Draws sc with its registered view, or the error / "get the data" message.
void view_draw_scene(ViewCtx *v, const Scene *sc);

// Records a grid in the hit map.
void hitmap_add(HitMap *h, const GridSpec *g, HitRole role, const char *name, int y0, int x0);
// Finds the grid cell under (x, y); returns the grid or NULL and sets *r, *col.
const HitGrid *hitmap_find(const HitMap *h, float x, float y, int *r, int *col);

// The UI string for English text en in lang (en itself if untranslated).
const char *ui_tr(Lang lang, const char *en);

// Shared pieces of the conv/pool views: the CIFAR picture with its crop
// marked, and zoom lines from the crop to the grid drawn at `to`.
void view_picture(ViewCtx *v, const Scene *sc, Rect dst, Rect to_grid);
// The patch of the 32x32 picture the scene's input comes from, in pixels: the
// input's size, or for a feature map relu(conv(patch, k)) ("valid", stride 1)
// that size plus k - 1 (its receptive field in the picture).
void view_source_patch(const Scene *sc, int *rows, int *cols);
// The caption under a step's image: "cat  #12", or the student's picture's file name
// ("your picture: NAME" unless short_form).
void view_image_caption(char *buf, size_t n, const ViewCtx *v, const Scene *sc, bool short_form);
// The arrow from (x0, y0) (a Σ, a + junction) into cell (r, c) of the output grid g,
// routed so that it crosses no cell filled before it (view_window.c).
void view_arrow_into_cell(ViewCtx *v, float x0, float y0, const GridSpec *g, int r, int c, Rgba col);
// The y of the lane below grid g that view_arrow_into_cell's wire runs along.
float view_arrow_lane_y(const GridSpec *g);
// Fills the n cells (iy[i], ix[i]) of g (padding included) with col at alpha × its
// alpha: the window's tint, faded in and out while the window slides.
void view_tint_cells(ViewCtx *v, const GridSpec *g, const int *iy, const int *ix, int n, Rgba col, float alpha);
// Centre message in the area (errors, missing data), with a heading.
void view_message(ViewCtx *v, const char *heading, const char *body, Rgba heading_color);

#endif
