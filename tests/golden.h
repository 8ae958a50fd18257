/* Golden frames shared by test_render.c, test_lessons_golden.c and
 * test_render_network.c: a lesson step drawn offscreen by the same code as
 * the window, compared with tests/golden/NAME.png in 8x8 blocks (block means
 * within a tolerance, text-only regions masked) so font rasterisation does
 * not fail a test while a moved window, a wrong colour or a missing grid does.
 */
#ifndef CONVLAB_GOLDEN_H
#define CONVLAB_GOLDEN_H

#include <stdbool.h>
#include <SDL2/SDL.h>

#include "engine/cifar.h"
#include "ui/draw.h"
#include "ui/screen.h"

#define GOLDEN_W 1280
#define GOLDEN_H 800
#define GOLDEN_BLOCK 8
#define GOLDEN_BLOCK_TOL 28.0     // mean |difference| per channel in a block
#define GOLDEN_MAX_BAD_FRAC 0.004 // of the compared blocks

// One frame to draw: a lesson step as the player shows it.
typedef struct {
    const char *lesson; // lesson file, relative to tests/
    int step;           // 1-based
    Lang lang;
    bool dark;          // dark theme, else light
    const Cifar *cifar; // data the lesson may show, or NULL (draws the "no data" text)
    const char *set;    // a live parameter "name=value" as its key would set it, or NULL
} GoldenFrame;

// Draws the frame into a new GOLDEN_W x GOLDEN_H RGBA32 surface; fails the
// current test (cr_assert) if the lesson cannot be opened. Ownership: free it.
SDL_Surface *golden_render(const GoldenFrame *f);

// Every later golden_render appends the texts it draws to log (NULL: stop).
void golden_set_text_log(TextLog *log);

// Text-only regions: the top bar and the explanation panel (right 34%).
bool golden_masked(int x, int y);
// Whether golden_masked masks anything (default on; the dashboard has no text-only panel).
void golden_set_mask(bool on);

// Fraction of the unmasked 8x8 blocks whose mean differs by more than
// GOLDEN_BLOCK_TOL in some channel. a, b: RGBA32, GOLDEN_W x GOLDEN_H. If diff
// is not NULL, paints each block's difference into it (bad blocks red).
double golden_compare(SDL_Surface *a, SDL_Surface *b, SDL_Surface *diff);

// Loads a PNG as RGBA32, or NULL if it cannot be read.
SDL_Surface *golden_load_rgba(const char *path);

// Checks got against tests/golden/NAME.png (at most GOLDEN_MAX_BAD_FRAC bad
// blocks); on failure writes tests/out/NAME.png and NAME.diff.png.
// CONVLAB_UPDATE_GOLDEN=1 rewrites the golden instead. Frees got.
void golden_check(const char *name, SDL_Surface *got);

#endif
