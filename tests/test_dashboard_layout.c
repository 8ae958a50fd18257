/* The training dashboard's layout at the sizes a classroom uses: every panel
 * inside the window and clear of the others, and the confusion matrix's cells
 * large enough for its counts at 1280x800 (a 3-digit count at 14 px needs
 * about 30 px), smaller but still drawn at 1024x640 and 800x600.
 */
#include <criterion/criterion.h>

#include "ui/dashboard.h"

static bool inside(Rect a, float w, float h) { return a.x >= 0 && a.y >= 0 && a.x + a.w <= w && a.y + a.h <= h; }
static bool overlap(Rect a, Rect b) {
    if (a.w <= 0 || a.h <= 0 || b.w <= 0 || b.h <= 0) return false;
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}
static bool contains(Rect outer, Rect in) {
    return in.x >= outer.x && in.y >= outer.y && in.x + in.w <= outer.x + outer.w && in.y + in.h <= outer.y + outer.h;
}

static void check_layout(float w, float h, bool interactive, Lang lang, float min_cell) {
    DashboardView v;
    dashboard_view_init(&v);
    v.interactive = interactive;
    v.lang = lang;
    DashboardLayout L;
    dashboard_layout(&L, w, h, &v);
    Rect panels[] = {L.top, L.loss, L.accuracy, L.confusion, L.features, L.predictions};
    int n = (int)(sizeof panels / sizeof panels[0]);
    for (int i = 0; i < n; i++) {
        cr_assert(panels[i].w > 0 && panels[i].h > 0, "%gx%g: panel %d is empty", w, h, i);
        cr_assert(inside(panels[i], w, h), "%gx%g: panel %d leaves the window", w, h, i);
        for (int j = i + 1; j < n; j++) cr_assert(!overlap(panels[i], panels[j]), "%gx%g: panels %d and %d overlap", w, h, i, j);
    }
    if (interactive)
        for (int i = 0; i < n; i++) cr_assert(!overlap(panels[i], L.hints), "%gx%g: panel %d covers the keys", w, h, i);
    cr_assert(contains(L.confusion, L.confusion_cells), "%gx%g: the matrix leaves its panel", w, h);
    cr_assert(contains(L.confusion, L.confusion_legend), "%gx%g: the colour bar leaves the panel", w, h);
    float cell = L.confusion_cells.w / 10;
    cr_assert(cell >= min_cell, "%gx%g: confusion cells of %.0f px (want >= %.0f)", w, h, cell, min_cell);
    cr_assert(L.n_pred_cells >= 4, "%gx%g: %d predictions", w, h, L.n_pred_cells);
    for (int i = 0; i < L.n_pred_cells; i++) cr_assert(contains(L.predictions, L.pred_cells[i]));
}

Test(dashboard_layout, every_panel_fits_and_the_matrix_has_room_for_counts) {
    for (int lang = 0; lang < 2; lang++) {
        check_layout(1280, 800, true, (Lang)lang, 34);   // the window
        check_layout(1280, 800, false, (Lang)lang, 34);  // the PNG
        check_layout(1024, 640, true, (Lang)lang, 22);
        check_layout(800, 600, true, (Lang)lang, 18);
    }
}

Test(dashboard_layout, the_c_view_gives_the_matrix_the_body) {
    DashboardView v;
    dashboard_view_init(&v);
    v.zoom_confusion = true;
    DashboardLayout L;
    dashboard_layout(&L, 1280, 800, &v);
    cr_assert(L.confusion_large);
    cr_assert(L.confusion_cells.w / 10 >= 45, "cells of %.0f px", L.confusion_cells.w / 10);
    cr_assert(contains(L.confusion, L.confusion_cells) && contains(L.confusion, L.confusion_legend));
    cr_assert(L.classes.w > 0 && !overlap(L.confusion, L.classes));
}
