/* The dashboard's hero panel: the loss curve. Every run overlaid; for the
 * current run the raw logged windows (thin), their moving average (thick) and
 * the test loss on the held-out test images (dots); epoch marks; x in epochs
 * (default: runs with different batch sizes line up) or images (X); y linear
 * or log (G). The title row says what the three lines are; the runs' legend
 * sits at a fixed place.
 * Called from dashboard.c; reads the snapshot only.
 */
#include "ui/dashboard_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    Rect plot;
    bool images;         // x in images trained (X), else in epochs
    double x_max;        // in x units
    double y_lo, y_hi;   // in plotted units (log10 of the loss when log)
    bool log;
} LossAxes;

static double point_xv(const LossAxes *a, const LossPoint *p) { return a->images ? (double)p->images : p->epoch_x; }
static float loss_x(const LossAxes *a, double xv) { return a->plot.x + (float)(xv / a->x_max) * a->plot.w; }
static float loss_y(const LossAxes *a, double loss) {
    double v = a->log ? log10(fmax(loss, 1e-6)) : loss;
    return a->plot.y + a->plot.h - (float)((v - a->y_lo) / (a->y_hi - a->y_lo)) * a->plot.h;
}

// The lowest and highest finite training and test loss of every run.
static void loss_range(const TrainSnapshot *s, double *lo, double *hi) {
    *lo = INFINITY, *hi = -INFINITY;
    for (int r = 0; r < s->n_runs; r++)
        for (int i = 0; i < s->runs[r].n_points; i++) {
            const LossPoint *p = &s->runs[r].points[i];
            double v[2] = {p->loss, p->test_loss};
            for (int k = 0; k < 2; k++)
                if (isfinite(v[k])) *lo = fmin(*lo, v[k]), *hi = fmax(*hi, v[k]);
        }
}

static void loss_axes(LossAxes *a, const TrainSnapshot *s, const DashboardView *v, Rect plot) {
    a->plot = plot;
    a->log = v->log_scale;
    a->images = v->x_images;
    // x follows the data (the furthest point of any run, or the current run's
    // progress, at least 5 log windows) with some room ahead, so the curve
    // fills the plot from the first minute instead of sitting in a corner.
    const RunHistory *cur = s->n_runs > 0 ? &s->runs[s->n_runs - 1] : NULL;
    double ipe = cur && cur->images_per_epoch > 0 ? cur->images_per_epoch : 1;
    double unit = a->images ? 1.0 : 1.0 / ipe;  // x units per image of the current run
    double far = (double)s->images_trained * unit;
    for (int r = 0; r < s->n_runs; r++) {
        const RunHistory *h = &s->runs[r];
        if (h->n_points > 0) far = fmax(far, point_xv(a, &h->points[h->n_points - 1]));
    }
    double planned = cur ? cur->config.epochs * ipe * unit : far;
    if (cur) far = fmax(far, fmin(planned, 5.0 * cur->config.log_every * cur->config.batch_size * unit));
    double want = far * 1.15;
    double step = dash_nice_step(want, 6);
    a->x_max = fmin(fmax(planned, far), ceil(want / step) * step);
    if (!(a->x_max > 0)) a->x_max = 1;
    double lo, hi;
    loss_range(s, &lo, &hi);
    if (!isfinite(lo)) lo = 1.0, hi = 2.5;  // nothing logged yet: ln(10) = 2.30 sits inside
    if (a->log) lo = log10(fmax(lo, 1e-4)), hi = log10(fmax(hi, 1e-4));
    double pad = fmax(0.05, (hi - lo) * 0.08);
    a->y_lo = a->log ? lo - pad : fmax(0.0, lo - pad);
    a->y_hi = hi + pad;
}

typedef enum { LINE_RAW, LINE_SMOOTH, LINE_TEST } LossLine;

// The thin raw line: the run's colour faded towards the background, less on a
// dark one (where a half-faded blue vanishes).
static Rgba raw_line_color(const Theme *th, Rgba col) {
    return rgba_mix(th->bg, col, rgba_luma(th->bg) < 0.5f ? 0.75f : 0.5f);
}

static double line_value(const LossPoint *p, LossLine which) {
    return which == LINE_RAW ? p->loss : which == LINE_SMOOTH ? p->smooth : p->test_loss;
}

// Averages points into buckets about 3 logical px wide so a long run costs
// the same to draw as a short one (test losses: NaN points are left out).
// Writes at most max points.
static int bucket_points(const LossAxes *a, const RunHistory *h, LossLine which, float *xs, float *ys, int max) {
    int n = 0, i = 0;
    while (i < h->n_points && n < max) {
        float x0 = loss_x(a, point_xv(a, &h->points[i]));
        double sum = 0, sx = 0;
        int k = 0;
        do { // at least the bucket's first point, so a point with no finite x cannot stall the loop
            double v = line_value(&h->points[i], which), xv = point_xv(a, &h->points[i]);
            if (isfinite(v) && isfinite(xv)) sum += v, sx += xv, k++;
            i++;
        } while (i < h->n_points && loss_x(a, point_xv(a, &h->points[i])) < x0 + 3.0f);
        if (k == 0) continue;
        xs[n] = loss_x(a, sx / k);
        ys[n] = loss_y(a, sum / k);
        n++;
    }
    return n;
}

// The one current-loss number, large, at the top right of the panel: the
// last logged window of the current run (what the tutorial prints), in the
// run's colour, with the test loss at the same point beside it.
// Returns the left edge of what it wrote (the panel's right edge when nothing).
static float draw_latest_loss(Canvas *c, Rect panel, const TrainSnapshot *s, const RunHistory *cur, Lang lang) {
    if (!cur || cur->n_points == 0) return panel.x + panel.w;
    const Theme *th = canvas_theme(c);
    const LossPoint *p = &cur->points[cur->n_points - 1];
    char buf[64];
    snprintf(buf, sizeof buf, "%.3f", (double)p->loss);
    TextStyle st = text_style(c, 30, dash_run_color(s->n_runs - 1));
    st.bold = true;
    st.align = ALIGN_RIGHT;
    float w = draw_text(c, panel.x + panel.w - 14, panel.y + 4, buf, st);
    TextStyle cs = text_style(c, 15, th->text_muted);
    cs.align = ALIGN_RIGHT;
    if (!isfinite(p->test_loss)) return panel.x + panel.w - 14 - w;
    snprintf(buf, sizeof buf, dash_tr(lang, "test %.3f", "测试 %.3f"), (double)p->test_loss);
    float tw = draw_text(c, panel.x + panel.w - 14 - w - 10, panel.y + 15, buf, cs);
    return panel.x + panel.w - 14 - w - 10 - tw;
}

// One horizontal grid line with its label left of the plot.
static void draw_loss_grid_line(Canvas *c, const LossAxes *a, double loss, const char *label, TextStyle lab) {
    float y = loss_y(a, loss);
    dash_hline(c, a->plot.x, a->plot.x + a->plot.w, y, 1, canvas_theme(c)->grid_line);
    draw_text(c, a->plot.x - 8, y, label, lab);
}

// Log scale: 1-2-5 per decade; a narrow range (a loss between 1.6 and 2.3)
// needs finer marks or it would show one label or none. One number format per
// axis: as many decimals as the finest mark needs.
static void draw_loss_log_grid(Canvas *c, const LossAxes *a, TextStyle lab) {
    static const double M3[] = {1, 2, 5}, M4[] = {1, 1.5, 2, 3, 5, 7}, M10[] = {1, 1.2, 1.4, 1.6, 1.8, 2, 2.5, 3, 4, 5, 6, 8};
    double span = a->y_hi - a->y_lo;
    const double *M = span > 1.5 ? M3 : span > 0.6 ? M4 : M10;
    int nm = span > 1.5 ? 3 : span > 0.6 ? 6 : 12;
    int decimals = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int e = (int)floor(a->y_lo) - 1; e <= (int)ceil(a->y_hi); e++)
            for (int m = 0; m < nm; m++) {
                double val = M[m] * pow(10, e), lv = log10(val);
                if (lv < a->y_lo || lv > a->y_hi) continue;
                if (pass == 0) {  // decimals that show this mark exactly
                    int d = 0;
                    while (d < 4 && fabs(val * pow(10, d) - round(val * pow(10, d))) > 1e-6) d++;
                    if (d > decimals) decimals = d;
                    continue;
                }
                char buf[32];
                snprintf(buf, sizeof buf, "%.*f", decimals, val);
                draw_loss_grid_line(c, a, val, buf, lab);
            }
}

// Linear scale: a nice step, labelled with the decimals the step needs.
static void draw_loss_linear_grid(Canvas *c, const LossAxes *a, TextStyle lab) {
    double step = dash_nice_step(a->y_hi - a->y_lo, 5);
    int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    for (double y0 = ceil(a->y_lo / step) * step; y0 <= a->y_hi + 1e-9; y0 += step) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.*f", decimals, y0);
        draw_loss_grid_line(c, a, y0, buf, lab);
    }
}

// An x tick label in one format for the whole axis: epochs with the decimals
// the step needs; images with thousands separators, or all in k past 10,000.
static void fmt_x_tick(char *out, int n, const LossAxes *a, double v, double step) {
    if (!a->images) {
        int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
        snprintf(out, (size_t)n, "%.*f", decimals, v);
    } else if (a->x_max >= 10000 && v != 0) {
        snprintf(out, (size_t)n, "%gk", v / 1000);
    } else {
        dash_fmt_int(out, n, (long)llround(v));
    }
}

// The x axis: ticks, labels (the last one kept inside the panel) and the caption.
static void draw_loss_x_axis(Canvas *c, const LossAxes *a, float right_limit, Lang lang) {
    const Theme *th = canvas_theme(c);
    Rect plot = a->plot;
    double xstep = dash_nice_step(a->x_max, 6);
    if (a->images) xstep = fmax(1.0, xstep);
    for (double x0 = 0; x0 <= a->x_max * (1 + 1e-9); x0 += xstep) {
        float x = loss_x(a, x0);
        dash_vline(c, x, plot.y + plot.h, plot.y + plot.h + 5, 1.5f, th->text_muted);
        char buf[32];
        fmt_x_tick(buf, sizeof buf, a, x0, xstep);
        float tw, thh;
        text_measure(c, buf, 17, false, &tw, &thh);
        TextStyle xl = text_style(c, 17, th->text_muted);
        xl.align = ALIGN_CENTER;
        if (x + tw / 2 > right_limit) xl.align = ALIGN_RIGHT, x = right_limit;  // the last tick, not clipped
        draw_text(c, x, plot.y + plot.h + 7, buf, xl);
    }
    TextStyle cap = text_style(c, 17, th->text);
    cap.align = ALIGN_CENTER;
    draw_text(c, plot.x + plot.w / 2, plot.y + plot.h + 24,
              a->images ? dash_tr(lang, "images trained   (X: epochs)", "已训练图片数   （X：轮）")
                        : dash_tr(lang, "epochs   (X: images)", "轮   （X：图片数）"), cap);
}

// Dashed lines at the current run's epoch ends; with many epochs only the
// last one is labelled, or the labels would overlap.
static void draw_epoch_marks(Canvas *c, const LossAxes *a, const RunHistory *cur, Lang lang) {
    if (!cur || cur->images_per_epoch <= 0) return;
    const Theme *th = canvas_theme(c);
    TextStyle el = text_style(c, 14, th->text_muted);
    el.align = ALIGN_RIGHT;
    for (int e = 1; e <= cur->config.epochs; e++) {
        double x0 = a->images ? (double)e * cur->images_per_epoch : (double)e;
        if (x0 > a->x_max * (1 + 1e-9)) break;
        float x = loss_x(a, x0);
        dash_dashed_vline(c, x, a->plot.y, a->plot.y + a->plot.h, 1.5f, 6, th->text_muted);
        char buf[32];
        snprintf(buf, sizeof buf, dash_tr(lang, "end of epoch %d", "第 %d 轮结束"), e);
        // at the top: a falling loss leaves it free, and the runs' legend holds the bottom left
        if (cur->config.epochs <= 12 || e == cur->config.epochs) draw_text(c, x - 4, a->plot.y + 4, buf, el);
    }
}

// The test loss of a run: dots joined by a thin line.
static void draw_test_line(Canvas *c, const LossAxes *a, const RunHistory *h, Rgba col, bool current, float *xs,
                           float *ys, int max_pts) {
    int n = bucket_points(a, h, LINE_TEST, xs, ys, max_pts);
    dash_polyline(c, xs, ys, n, current ? 1.5f : 1.0f, col);
    int every = n > 60 ? (n + 59) / 60 : 1;  // at most ~60 dots
    for (int i = 0; i < n; i++)
        if (i % every == 0 || i == n - 1) draw_fill_circle(c, xs[i], ys[i], current ? 4.0f : 2.5f, col);
}

// The curves, clipped to the plot: older runs first, the current one on top.
// Older runs show only their smoothed curve and test loss: less clutter.
static void draw_loss_curves(Canvas *c, const LossAxes *a, const TrainSnapshot *s, FILE *dump) {
    const Theme *th = canvas_theme(c);
    canvas_push_clip(c, a->plot);
    int max_pts = (int)a->plot.w + 2;
    float *xs = cl_malloc(sizeof(float) * (size_t)max_pts), *ys = cl_malloc(sizeof(float) * (size_t)max_pts);
    for (int r = 0; r < s->n_runs; r++) {
        const RunHistory *h = &s->runs[r];
        Rgba col = dash_run_color(r);
        Rgba faint = raw_line_color(th, col);  // opaque: blending costs in software rendering
        bool current = r == s->n_runs - 1;
        int n;
        if (current) {
            n = bucket_points(a, h, LINE_RAW, xs, ys, max_pts);
            dash_polyline(c, xs, ys, n, 2.0f, faint);
        }
        n = bucket_points(a, h, LINE_SMOOTH, xs, ys, max_pts);
        dash_polyline(c, xs, ys, n, current ? 5.0f : 3.5f, current ? col : rgba_mix(th->bg, col, 0.7f));
        if (n == 1) draw_fill_circle(c, xs[0], ys[0], 4, col);
        draw_test_line(c, a, h, current ? rgba_mix(th->text, col, 0.55f) : faint, current, xs, ys, max_pts);
        if (dump)
            for (int i = 0; i < h->n_points; i++)
                fprintf(dump, "loss run=%d epoch=%d batch=%d step=%ld value=%.3f smooth=%.3f test=%.3f\n", r + 1,
                        h->points[i].epoch, h->points[i].batch, h->points[i].step, (double)h->points[i].loss,
                        (double)h->points[i].smooth, (double)h->points[i].test_loss);
    }
    free(xs);
    free(ys);
    canvas_pop_clip(c);
}

// Before the first logged point the plot says when one comes (with no run
// at all the screen around it says why).
static void draw_loss_waiting(Canvas *c, const LossAxes *a, const TrainSnapshot *s, const DashboardView *v,
                              const RunHistory *cur) {
    Lang lang = v->lang;
    if (!cur || cur->n_points != 0 || s->n_runs != 1) return;
    TextStyle big = text_style(c, 26, canvas_theme(c)->text_muted);
    big.align = ALIGN_CENTER;
    big.vcenter = true;
    char msg[128];
    int every = cur->config.log_every;
    if (s->state == TS_IDLE && v->interactive) snprintf(msg, sizeof msg, "%s", dash_tr(lang, "press T to start training", "按 T 开始训练"));
    else if (s->state == TS_RUNNING || s->state == TS_PAUSED)
        snprintf(msg, sizeof msg, dash_tr(lang, "the first point comes after %d mini-batches", "第一个点在 %d 个小批量之后"), every);
    else snprintf(msg, sizeof msg, "%s", dash_tr(lang, "no logged step", "没有记录"));
    draw_text(c, a->plot.x + a->plot.w / 2, a->plot.y + a->plot.h / 2, msg, big);
}

// What the three kinds of line are, in the panel's title row (it never
// covers the data): swatch and word for the raw windows, the moving average
// and the test loss, drawn in the current run's colour. Returns the width used.
// The test line's words lose their image count when the whole key would pass max_x.
static float draw_line_key(Canvas *c, float x, float cy, float max_x, const TrainSnapshot *s, Lang lang) {
    const Theme *th = canvas_theme(c);
    Rgba cur = dash_run_color(s->n_runs > 0 ? s->n_runs - 1 : 0);
    char held[16], test[96];
    dash_fmt_int(held, sizeof held, TS_TEST_LOSS_IMAGES);
    snprintf(test, sizeof test, dash_tr(lang, "test, %s images", "测试，%s 张"), held);
    const char *words[3] = {dash_tr(lang, "window mean", "窗口平均"), dash_tr(lang, "smoothed", "平滑"), test};
    float total = 0;
    for (int i = 0; i < 3; i++) {
        float w;
        text_measure(c, words[i], 15, false, &w, NULL);
        total += 30 + w + 18;
    }
    if (x + total - 18 > max_x) words[2] = dash_tr(lang, "test", "测试");
    TextStyle ks = text_style(c, 15, th->text);
    ks.vcenter = true;
    float x0 = x;
    for (int i = 0; i < 3; i++) {
        if (i == 0) dash_hline(c, x, x + 24, cy, 2, raw_line_color(th, cur));
        else if (i == 1) dash_hline(c, x, x + 24, cy, 5, cur);
        else {
            Rgba tc = rgba_mix(th->text, cur, 0.55f);
            dash_hline(c, x, x + 24, cy, 1.5f, tc);
            draw_fill_circle(c, x + 12, cy, 4, tc);
        }
        x += 30;
        x += draw_text(c, x, cy, words[i], ks) + 18;
    }
    return x - x0;
}

void dash_run_label(char *out, int n, const RunHistory *h, Lang lang) {
    if (strncmp(h->label, "loaded ", 7) == 0) {  // a checkpoint's weights: its file, not a recipe
        snprintf(out, (size_t)n, dash_tr(lang, "loaded %s", "载入 %s"), h->label + 7);
        return;
    }
    const TrainConfig *c = &h->config;
    char opt[64];
    if (c->optim.kind == OPTIM_ADAM) snprintf(opt, sizeof opt, "Adam lr %g", (double)c->optim.lr);
    else snprintf(opt, sizeof opt, dash_tr(lang, "SGD lr %g, momentum %g", "SGD 学习率 %g，动量 %g"), (double)c->optim.lr,
                  (double)c->optim.momentum);
    char net[200] = "", model[64];
    train_config_model(model, sizeof model, c);
    if (strcmp(model, "cnnnet") != 0 || c->net_note[0]) // the net, unless CNNNet as shipped
        snprintf(net, sizeof net, "%s%s%s, ", model, c->net_note[0] ? " " : "", c->net_note);
    snprintf(out, (size_t)n, dash_tr(lang, "%s%s, batch %d, %d epoch%s, seed %llu%s%s", "%s%s，批大小 %d，%d 轮%s，种子 %llu%s%s"),
             net, opt, c->batch_size, c->epochs, lang == LANG_ZH || c->epochs == 1 ? "" : "s", (unsigned long long)c->seed, c->relu_logits ? ", relu-logits" : "",
             c->tutorial_break ? ", break" : "");
}

// The runs, always at the bottom left of the plot (a falling loss leaves it
// empty): swatch and each run's real settings, the current one in bold.
static void draw_loss_legend(Canvas *c, const LossAxes *a, const TrainSnapshot *s, FILE *dump, Lang lang) {
    if (s->n_runs <= 0) return;
    const Theme *th = canvas_theme(c);
    float lh = 21, fs = 15, lw = 0;
    char lines[TS_MAX_RUNS][240];
    for (int r = 0; r < s->n_runs; r++) {
        char label[200];
        dash_run_label(label, sizeof label, &s->runs[r], lang);
        snprintf(lines[r], sizeof lines[r], dash_tr(lang, "run %d: %s", "第 %d 次：%s"), r + 1, label);
        float w, hh;
        text_measure(c, lines[r], fs, r == s->n_runs - 1, &w, &hh);
        lw = fmaxf(lw, w);
    }
    // Long labels (another net, an edited one): a smaller font, down to 11 px, before the box clips them.
    float room = a->plot.w - 20 - 48;
    if (lw > room && lw > 0) {
        float k = fmaxf(11.0f / fs, room / lw * 0.96f);  // glyph widths do not scale exactly with the size
        fs *= k, lw *= k;
    }
    float bw = fminf(lw + 48, a->plot.w - 20), bh = lh * (float)s->n_runs + 10;
    Rect box = {a->plot.x + 10, a->plot.y + a->plot.h - 10 - bh, bw, bh};
    dash_fill(c, box, th->panel);
    dash_outline(c, box, 1, th->panel_border);
    canvas_push_clip(c, box);
    TextStyle ls = text_style(c, fs, th->text);
    ls.vcenter = true;
    for (int r = 0; r < s->n_runs; r++) {
        float y = box.y + 5 + lh * r + lh / 2;
        dash_hline(c, box.x + 8, box.x + 34, y, 5, dash_run_color(r));
        ls.bold = r == s->n_runs - 1;
        draw_text(c, box.x + 40, y, lines[r], ls);
        if (dump) fprintf(dump, "legend %s\n", lines[r]);
    }
    canvas_pop_clip(c);
}

void dash_draw_loss(Canvas *c, Rect panel, const TrainSnapshot *s, const DashboardView *v, FILE *dump) {
    Lang lang = v->lang;
    const Theme *th = canvas_theme(c);
    Rect content = dash_panel(c, panel, dash_tr(lang, "Loss", "损失"), v->log_scale ? dash_tr(lang, "log", "对数") : "");
    float tw, th_;
    text_measure(c, dash_tr(lang, "Loss", "损失"), 19, true, &tw, &th_);
    const RunHistory *cur = s->n_runs > 0 ? &s->runs[s->n_runs - 1] : NULL;
    float latest_x = draw_latest_loss(c, panel, s, cur, lang);
    draw_line_key(c, panel.x + 10 + tw + (v->log_scale ? 60 : 24), panel.y + 17, latest_x - 14, s, lang);

    Rect plot = {content.x + 62, content.y + 6, content.w - 62 - 14, content.h - 6 - 46};
    // A window shrunk to a few pixels leaves no plot (w <= 0 made max_pts negative
    // and malloc huge in draw_loss_curves: found by tests/sh/harden_gui_xvfb.sh under ASan).
    if (plot.w < 1 || plot.h < 1) return;
    LossAxes a;
    loss_axes(&a, s, v, plot);
    dash_fill(c, plot, th->bg);

    TextStyle lab = text_style(c, 17, th->text_muted);
    lab.align = ALIGN_RIGHT;
    lab.vcenter = true;
    if (a.log) draw_loss_log_grid(c, &a, lab);
    else draw_loss_linear_grid(c, &a, lab);
    draw_loss_x_axis(c, &a, panel.x + panel.w - 10, lang);
    draw_epoch_marks(c, &a, cur, lang);
    draw_loss_curves(c, &a, s, dump);
    dash_outline(c, plot, 1.5f, th->panel_border);
    draw_loss_waiting(c, &a, s, v, cur);
    draw_loss_legend(c, &a, s, dump, lang);
}
