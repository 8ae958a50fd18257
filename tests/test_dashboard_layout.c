/* The training dashboard's layout at the sizes a classroom uses: every panel
 * inside the window and clear of the others, and the confusion matrix's cells
 * large enough for its counts (a 3-digit count at 14 px needs about 30 px).
 * The canvas scales a window to a logical size of at least 1280x800
 * (draw.c: px = min(w/1280, h/800)), so a 1024x640 window lays out at
 * 1280x800, an 800x600 one at 1280x960 and a 16:9 one at 1422x800; the
 * smaller logical sizes are checked too, for windows shrunk below that.
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
        check_layout(1280, 800, true, (Lang)lang, 34);   // the window at 1280x800 or 1024x640
        check_layout(1280, 800, false, (Lang)lang, 34);  // the PNG
        check_layout(1280, 960, true, (Lang)lang, 34);   // 800x600, 4:3 projectors
        check_layout(1422, 800, true, (Lang)lang, 34);   // 16:9
        check_layout(1280, 1024, true, (Lang)lang, 34);  // 5:4
        check_layout(1024, 640, true, (Lang)lang, 22);   // logical sizes of windows shrunk below that
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

/* ---- golden frames of the dashboard from a made-up snapshot ----------------
 * Fixed numbers (no training, so engine changes cannot move them): a run of 20
 * logged points over 2 epochs, an evaluation of 1,000 images, 8 predictions,
 * conv1's filters and four feature maps. Compared whole (no masked panel). */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>
#include "golden.h"

static void fill_run(TrainSnapshot *s) {
    s->n_runs = 1;
    RunHistory *h = &s->runs[0];
    h->serial = 1;
    h->config = s->config;
    h->batches_per_epoch = 250, h->images_per_epoch = 1000;
    h->n_points = h->cap_points = 20;
    h->points = calloc(20, sizeof *h->points);
    for (int i = 0; i < 20; i++) {
        LossPoint *p = &h->points[i];
        p->step = 25 * (i + 1), p->epoch = i / 10 + 1, p->batch = 25 * (i % 10 + 1);
        p->loss = 2.3f - 0.6f * (1 - expf(-i / 6.0f)) + 0.03f * (float)((i * 7) % 5 - 2) / 2;
        p->smooth = 2.3f - 0.6f * (1 - expf(-i / 7.0f));
        p->test_loss = p->smooth + 0.02f;
        p->images = 100L * (i + 1), p->epoch_x = (i + 1) / 10.0, p->images_per_sec = 4000;
    }
    h->n_epochs_done = 2;
    h->test_acc[0] = 31.4f, h->test_acc[1] = 42.7f;
    h->epoch_end_step[0] = 250, h->epoch_end_step[1] = 500;
}

static void fill_eval(TrainSnapshot *s) {
    s->has_eval = true, s->eval_epoch = 2;
    EvalResult *e = &s->eval;
    e->n = 1000;
    for (int t = 0; t < 10; t++) {
        int left = 100;
        for (int p = 0; p < 10; p++) {
            int v = p == t ? 30 + 5 * t : (t * 3 + p * 7) % 9;
            if (p == 9) v = left;
            e->confusion[t][p] = v, left -= v;
        }
        e->class_total[t] = 100;
        e->class_correct[t] = e->confusion[t][t];
        e->class_accuracy[t] = e->confusion[t][t];
        e->correct += e->confusion[t][t];
    }
    e->accuracy = e->correct / 10.0;
}

static void fill_pictures(TrainSnapshot *s) {
    s->n_pred = TS_PRED_IMAGES;
    for (int i = 0; i < TS_PRED_IMAGES; i++) {
        Prediction *p = &s->pred[i];
        p->index = i, p->truth = (uint8_t)(i % 10);
        p->top[0] = (uint8_t)((i * 3) % 10), p->top[1] = (uint8_t)((i * 3 + 1) % 10), p->top[2] = (uint8_t)((i * 3 + 4) % 10);
        p->prob[0] = 0.5f - 0.03f * i, p->prob[1] = 0.2f, p->prob[2] = 0.1f;
        for (int k = 0; k < CIFAR_PIXELS; k++) s->pred_pixels[i][k] = (uint8_t)((k * (i + 3) + k / 1024 * 80) & 255);
    }
    s->fmap_image = 0, s->fmap_truth = 0;
    for (int k = 0; k < CIFAR_PIXELS; k++) s->fmap_pixels[k] = (uint8_t)((k % 32) * 8);
    FilterBank *fb = &s->filters;
    snprintf(fb->name, sizeof fb->name, "conv1");
    fb->n = 8, fb->kh = fb->kw = 5;
    for (int i = 0; i < 8 * 3 * 25; i++) fb->w[i] = sinf(0.37f * i);
    static const int C[4] = {8, 8, 16, 16}, H[4] = {28, 14, 10, 5};
    static const char *const N[4] = {"conv1", "pool1", "conv2", "pool2"};
    for (int m = 0; m < 4; m++) {
        FeatureMap *fm = &s->fmaps[m];
        snprintf(fm->name, sizeof fm->name, "%s", N[m]);
        fm->c = C[m], fm->h = fm->w = H[m], fm->signed_values = m % 2 == 0;
        int n = fm->c * fm->h * fm->w;
        fm->data = malloc(sizeof(float) * (size_t)n);
        for (int i = 0; i < n; i++) {
            float v = sinf(0.11f * i) * (1 + m);
            fm->data[i] = fm->signed_values ? v : fabsf(v);
        }
    }
}

static void golden_dashboard(const char *name, Lang lang, const char *theme) {
    TrainSnapshot s;
    memset(&s, 0, sizeof s);
    s.config = train_config_default();
    s.state = TS_FINISHED;
    s.epoch = 2, s.batch_in_epoch = s.batches_per_epoch = 250;
    s.step = s.total_steps = 500;
    s.images_per_sec = 4000, s.elapsed_s = 7, s.eta_s = 0, s.running_train_acc = 40.5;
    fill_run(&s);
    fill_eval(&s);
    fill_pictures(&s);
    char png[64];
    snprintf(png, sizeof png, "/tmp/convlab_dash_golden_%d.png", (int)getpid());
    ClError err = {0};
    cr_assert_eq(dashboard_write_png(png, NULL, &s, NULL, GOLDEN_W, GOLDEN_H, lang, theme, &err), 0, "%s", err.msg);
    SDL_Surface *got = golden_load_rgba(png);
    cr_assert_not_null(got);
    unlink(png);
    golden_set_mask(false);
    golden_check(name, got);
    golden_set_mask(true);
    train_snapshot_free(&s);
}

Test(dashboard_golden, light_en) { golden_dashboard("dashboard_en", LANG_EN, "light"); }
Test(dashboard_golden, dark_zh) { golden_dashboard("dashboard_zh_dark", LANG_ZH, "dark"); }
