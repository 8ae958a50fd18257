/* Private helpers shared by the dashboard's files (dashboard.c, dashboard_plot.c,
 * dashboard_maps.c). Not for other modules: use dashboard.h.
 */
#ifndef CONVLAB_DASHBOARD_INTERNAL_H
#define CONVLAB_DASHBOARD_INTERNAL_H

#include "ui/dashboard.h"

// Opaque fills and axis-aligned lines without per-pixel blending: SDL's
// software renderer blends every pixel of a fill when the renderer's blend
// mode is BLEND (~15 ms for a 1280x800 rect), so opaque colours switch the
// mode to NONE for the call. Translucent colours still blend.
void dash_fill(Canvas *c, Rect r, Rgba col);
void dash_outline(Canvas *c, Rect r, float thickness, Rgba col);
void dash_hline(Canvas *c, float x0, float x1, float y, float thickness, Rgba col);
void dash_vline(Canvas *c, float x, float y0, float y1, float thickness, Rgba col);
void dash_dashed_hline(Canvas *c, float x0, float x1, float y, float thickness, float dash, Rgba col);
void dash_dashed_vline(Canvas *c, float x, float y0, float y1, float thickness, float dash, Rgba col);

// Near-black or white text, whichever reads better on the fill colour.
Rgba dash_text_on(Rgba fill);
// en or zh, by lang (the DashboardView's language, handed down by dashboard_draw).
const char *dash_tr(Lang lang, const char *en, const char *zh);
// The snapshot's status or error line in lang.
const char *dash_message(const TrainSnapshot *s, Lang lang);
// A run's real settings for the legend, in lang ("loaded FILE" for a loaded run).
void dash_run_label(char *out, int n, const RunHistory *h, Lang lang);
// Class k's name in lang: CIFAR-10's own (airplane, automobile, ...) or Chinese.
const char *dash_class_name(Lang lang, int k);
// The colour of run number `run` (0-based) in every chart and legend.
Rgba dash_run_color(int run);
// Panel background, border and a bold title with an optional muted subtitle;
// returns the content rectangle under the title.
Rect dash_panel(Canvas *c, Rect r, const char *title, const char *subtitle);
// A batched thick polyline (logical coordinates).
void dash_polyline(Canvas *c, const float *xs, const float *ys, int n, float thickness, Rgba col);
// 1, 2 or 5 x 10^k close to range / target.
double dash_nice_step(double range, int target);
// An integer with thousands separators.
void dash_fmt_int(char *out, int n, long v);

void dash_draw_loss(Canvas *c, Rect panel, const TrainSnapshot *s, const DashboardView *v, FILE *dump);
void dash_draw_accuracy_chart(Canvas *c, Rect r, const TrainSnapshot *s, FILE *dump, Lang lang);
// conv1's filters and the feature maps of the chosen image, each with its colour
// bar (the ranges go to dump, which may be NULL).
void dash_draw_features(Canvas *c, Rect panel, const TrainSnapshot *s, Lang lang, FILE *dump);
// A CIFAR test image as interleaved RGB (32*32*3 bytes).
void dash_cifar_rgb(const Cifar *cifar, int index, uint8_t rgb[32 * 32 * 3]);
// Planar (3, 32, 32) bytes as interleaved RGB.
void dash_planar_rgb(const uint8_t *planar, uint8_t rgb[32 * 32 * 3]);

// The quit question over the whole screen (v->confirm_quit).
void dash_draw_quit_confirm(Canvas *c, const TrainSnapshot *s, const DashboardView *v);
// "an earlier run was saved on quit: O loads PATH" in v's language, into out.
const char *dash_autosave_offer_text(char *out, int n, const DashboardView *v);
// The confusion panel's grid and legend inside L->confusion (large: the C view,
// full names on both axes and counts in the cells).
void dash_layout_confusion(DashboardLayout *L, bool large, Lang lang);
// The width the confusion panel takes in a panel h px tall (counts, names in lang,
// the accuracy column): the dashboard's right column.
float dash_confusion_width(float h, Lang lang);
// The same for the C view (the matrix alone, h px tall, its colour bar at the right).
float dash_confusion_large_width(float h, Lang lang);
void dash_draw_confusion(Canvas *c, const DashboardLayout *L, const TrainSnapshot *s, const DashboardView *v, FILE *dump);
// "3 mini-batches/s" or "full speed" in lang.
void dash_fmt_speed(char *out, int n, double speed, Lang lang);
// optimizer.step()'s two lines for d (out[0] may be ""), written with as many
// digits as it takes for the operands to reproduce the results.
void dash_fmt_update(char out[2][200], const StepDetail *d, Lang lang);
// Lesson 9's five lines with the last mini-batch's numbers, in r.
void dash_draw_step_panel(Canvas *c, Rect r, const TrainSnapshot *s, const DashboardView *v, FILE *dump);
// F1 / ?: every key of the training screen over a shaded dashboard.
void dash_draw_help(Canvas *c, const DashboardView *v);

#endif
