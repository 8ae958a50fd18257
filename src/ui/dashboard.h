/* The training dashboard: every panel of the training screen drawn from one
 * TrainSnapshot (src/session/train_session.h) with the Canvas drawing layer, so the
 * window (train_screen.c) and `--batch train --dashboard PNG` share the code.
 *
 *   +------------------------------------------------------------------+
 *   | progress: state · epoch · step · images/s · elapsed · ETA · bar  |
 *   +--------------------------------------+---------------------------+
 *   | LOSS CURVE (the hero: runs overlaid, | accuracy                  |
 *   |  raw + smoothed + test, epoch marks) +---------------------------+
 *   |                                      | CONFUSION MATRIX: counts, |
 *   +----------------+---------------------+ full names, each class's  |
 *   | filters +      | predictions grid    | accuracy, row-share bar   |
 *   | feature maps   | (or lesson 9's step)| (as wide as it needs)     |
 *   +----------------+---------------------+---------------------------+
 *   | keys and settings                                                |
 *   +------------------------------------------------------------------+
 * C shows the matrix alone beside the per-class bars; Z the loss alone.
 */
#ifndef CONVLAB_DASHBOARD_H
#define CONVLAB_DASHBOARD_H

#include <stdbool.h>
#include <stdio.h>
#include "session/train_session.h"
#include "engine/cifar.h"
#include "lesson/lesson.h"
#include "ui/draw.h"

// What the screen adds to the snapshot: view options and selections.
typedef struct {
    bool log_scale;          // loss y axis in log scale (G)
    bool zoom_loss;          // the loss curve fills the screen (Z), for the back row
    bool zoom_confusion;     // the confusion matrix fills the screen, with counts (C)
    bool show_step;          // N was pressed: the step panel stays until T runs at full speed
    bool x_images;           // loss x axis in images trained (X), else in epochs (the default)
    int cell_truth, cell_pred; // selected confusion cell, or -1: the predictions panel lists its images
    int cell_page;           // page of the selected cell's images
    bool interactive;        // draw the key hints (the window); false for --batch PNGs
    bool settings_locked;    // training runs: settings hints are greyed out
    TrainConfig settings;    // the settings the next run will use (shown in the hints)
    char net_edit[200];      // the net editing hint: "W conv1  [ ] width 8  , . kernel 5  76,922 parameters"
    const char *status;      // a line from the screen (e.g. "no training data"), or NULL
    Lang lang;               // language of the labels (class names stay the tutorial's)
    bool show_help;          // F1 / ?: the overlay listing every key of the screen
    bool confirm_quit;       // Esc during a run: the question "quit? the run is saved to ..." is shown
    const char *autosave_path; // where quitting saves the run
    const char *autosave_offer; // an earlier session's autosave O loads, or NULL
} DashboardView;

typedef struct {
    Rect top, loss, accuracy, classes, confusion, features, predictions, hints;
    Rect confusion_cells;    // the 10x10 grid inside the confusion panel
    Rect confusion_legend;   // its colour bar (share of the row)
    bool confusion_large;    // the C view: full names on both axes, counts in the cells
    Rect pred_cells[TS_PRED_IMAGES]; // images of the predictions grid
    int n_pred_cells;        // cells the grid has room for (the student's picture takes the last)
    int pred_lines;          // text lines beside each image: 4, or 3 in low rows
    float pred_text_w;       // width of the text lines right of each image
    Rect cell_images;        // area listing a confusion cell's images
    int cell_cols, cell_rows;// grid of that list
} DashboardLayout;

void dashboard_view_init(DashboardView *v);
// Panel rectangles for a canvas of logical size w x h (zoomed: only top, loss
// and hints; the other panels get zero size and are not drawn).
void dashboard_layout(DashboardLayout *L, float w, float h, const DashboardView *v);

// Draws the whole dashboard (the caller does begin/end frame). cifar gives the
// test pictures and class names (may be NULL: pictures are left out). If dump
// is not NULL, every number drawn is also written to it as "key value" lines,
// so tests can compare the picture's numbers with the CSV and the printout.
void dashboard_draw(Canvas *c, const TrainSnapshot *s, const DashboardView *v, const Cifar *cifar, FILE *dump);

// What a click at logical (x, y) hits.
typedef enum { HIT_NONE, HIT_CONFUSION_CELL, HIT_PREDICTION, HIT_CELL_IMAGE, HIT_LOSS } DashboardHitKind;
typedef struct {
    DashboardHitKind kind;
    int truth, pred;         // HIT_CONFUSION_CELL
    int test_index;          // HIT_PREDICTION: the test image; HIT_CELL_IMAGE: position in the cell's list
} DashboardHit;
DashboardHit dashboard_hit(const Canvas *c, const TrainSnapshot *s, const DashboardView *v, float x, float y);

// Test images whose truth and prediction are the given classes, in order:
// fills idx (up to max) from the snapshot's last evaluation; returns the total count.
int dashboard_cell_images(const TrainSnapshot *s, const Cifar *cifar, int truth, int pred, int *idx, int max);

// Renders the dashboard into a w x h PNG offscreen with the theme named
// theme_name (assets/theme-NAME.theme; NULL = light; fonts are initialised if
// needed), labels in lang. dump_path (may be NULL) receives the numbers drawn.
int dashboard_write_png(const char *png_path, const char *dump_path, const TrainSnapshot *s, const Cifar *cifar,
                        int w, int h, Lang lang, const char *theme_name, ClError *err);

#endif
