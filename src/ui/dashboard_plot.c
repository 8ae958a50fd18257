/* The dashboard's charts: the loss curve (the hero panel: runs overlaid, raw
 * and smoothed, epoch marks, linear or log y) and the per-epoch accuracy chart,
 * plus the helpers they need beyond draw.h (a batched thick polyline, nice
 * axis ticks). Called from dashboard.c.
 */
#include "ui/dashboard_internal.h"

#include "lesson/scene.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Okabe-Ito: colour-blind safe, readable on light and dark backgrounds.
Rgba dash_run_color(int run) {
    static const Rgba P[6] = {{0, 114, 178, 255}, {230, 159, 0, 255}, {0, 158, 115, 255},
                              {213, 94, 0, 255},  {204, 121, 167, 255}, {86, 180, 233, 255}};
    return P[run % 6];
}

/* ==== helpers ============================================================== */

void dash_fill(Canvas *c, Rect r, Rgba col) {
    SDL_Renderer *ren = canvas_renderer(c);
    if (col.a == 255) SDL_SetRenderDrawBlendMode(ren, SDL_BLENDMODE_NONE);
    draw_fill_rect(c, r, col);
    if (col.a == 255) SDL_SetRenderDrawBlendMode(ren, SDL_BLENDMODE_BLEND);
}

void dash_outline(Canvas *c, Rect r, float t, Rgba col) {
    dash_fill(c, (Rect){r.x, r.y, r.w, t}, col);
    dash_fill(c, (Rect){r.x, r.y + r.h - t, r.w, t}, col);
    dash_fill(c, (Rect){r.x, r.y + t, t, r.h - 2 * t}, col);
    dash_fill(c, (Rect){r.x + r.w - t, r.y + t, t, r.h - 2 * t}, col);
}

void dash_hline(Canvas *c, float x0, float x1, float y, float t, Rgba col) {
    dash_fill(c, (Rect){x0, y - t / 2, x1 - x0, fmaxf(t, 1.0f / canvas_scale(c))}, col);
}

void dash_vline(Canvas *c, float x, float y0, float y1, float t, Rgba col) {
    dash_fill(c, (Rect){x - t / 2, y0, fmaxf(t, 1.0f / canvas_scale(c)), y1 - y0}, col);
}

void dash_dashed_hline(Canvas *c, float x0, float x1, float y, float t, float dash, Rgba col) {
    for (float x = x0; x < x1; x += 2 * dash) dash_hline(c, x, fminf(x + dash, x1), y, t, col);
}

void dash_dashed_vline(Canvas *c, float x, float y0, float y1, float t, float dash, Rgba col) {
    for (float y = y0; y < y1; y += 2 * dash) dash_vline(c, x, y, fminf(y + dash, y1), t, col);
}

// A thick polyline in one SDL_RenderGeometry call: one quad per segment,
// extended by half the thickness at both ends so joints have no gaps.
void dash_polyline(Canvas *c, const float *xs, const float *ys, int n, float thickness, Rgba col) {
    if (n < 2) return;
    float s = canvas_scale(c);
    float half = fmaxf(thickness, 1.0f / s) * 0.5f;
    SDL_Vertex *v = cl_malloc(sizeof(SDL_Vertex) * 4 * (size_t)(n - 1));
    int *idx = cl_malloc(sizeof(int) * 6 * (size_t)(n - 1));
    int nv = 0, ni = 0;
    SDL_Color sc = {col.r, col.g, col.b, col.a};
    for (int i = 0; i + 1 < n; i++) {
        float x0 = xs[i], y0 = ys[i], x1 = xs[i + 1], y1 = ys[i + 1];
        float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
        if (len < 1e-4f) continue;
        float ux = dx / len * half, uy = dy / len * half;  // along, half thickness
        float nx = -uy, ny = ux;                            // across
        x0 -= ux, y0 -= uy, x1 += ux, y1 += uy;
        float q[8] = {x0 + nx, y0 + ny, x1 + nx, y1 + ny, x1 - nx, y1 - ny, x0 - nx, y0 - ny};
        for (int k = 0; k < 4; k++) {
            v[nv + k].position.x = q[2 * k] * s;
            v[nv + k].position.y = q[2 * k + 1] * s;
            v[nv + k].color = sc;
            v[nv + k].tex_coord.x = v[nv + k].tex_coord.y = 0;
        }
        static const int Q[6] = {0, 1, 2, 0, 2, 3};
        for (int k = 0; k < 6; k++) idx[ni + k] = nv + Q[k];
        nv += 4, ni += 6;
    }
    SDL_Renderer *ren = canvas_renderer(c);
    if (col.a == 255) SDL_SetRenderDrawBlendMode(ren, SDL_BLENDMODE_NONE);
    if (ni > 0) SDL_RenderGeometry(ren, NULL, v, nv, idx, ni);
    if (col.a == 255) SDL_SetRenderDrawBlendMode(ren, SDL_BLENDMODE_BLEND);
    free(v);
    free(idx);
}

// A step of 1, 2 or 5 times a power of ten near range / target.
double dash_nice_step(double range, int target) {
    if (range <= 0) return 1;
    double raw = range / target, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

// "12,500" (the dashboard's name for fmt_thousands)
void dash_fmt_int(char *out, int n, long v) { fmt_thousands(out, (size_t)n, v); }

// "12,500" or "12.5k" for axis labels
static void fmt_axis_steps(char *out, int n, double v) {
    if (v >= 10000) snprintf(out, (size_t)n, "%gk", v / 1000);
    else dash_fmt_int(out, n, (long)llround(v));
}

/* ==== loss curve =========================================================== */

typedef struct {
    Rect plot;
    double x_max;
    double y_lo, y_hi;   // in plotted units (log10 of the loss when log)
    bool log;
} LossAxes;

static float loss_x(const LossAxes *a, double step) { return a->plot.x + (float)(step / a->x_max) * a->plot.w; }
static float loss_y(const LossAxes *a, double loss) {
    double v = a->log ? log10(fmax(loss, 1e-6)) : loss;
    return a->plot.y + a->plot.h - (float)((v - a->y_lo) / (a->y_hi - a->y_lo)) * a->plot.h;
}

static void loss_axes(LossAxes *a, const TrainSnapshot *s, bool log_scale, Rect plot) {
    a->plot = plot;
    a->log = log_scale;
    // x follows the data (the furthest logged step of any run, or the current
    // step) with some room ahead, so the curve fills the plot from the first
    // minute instead of sitting in the corner of a 25,000-step axis.
    double far = (double)s->step;
    double lo = INFINITY, hi = -INFINITY;
    for (int r = 0; r < s->n_runs; r++) {
        const RunHistory *h = &s->runs[r];
        if (h->n_points > 0) far = fmax(far, (double)h->points[h->n_points - 1].step);
        if (r == s->n_runs - 1 && h->config.log_every > 0) far = fmax(far, 5.0 * h->config.log_every);
        for (int i = 0; i < h->n_points; i++) {
            double v = h->points[i].loss;
            if (!isfinite(v)) continue;
            lo = fmin(lo, v), hi = fmax(hi, v);
        }
    }
    double planned = s->total_steps > 0 ? (double)s->total_steps : far;
    double want = far * 1.15;
    double step = dash_nice_step(want, 6);
    a->x_max = fmax(10.0, fmin(fmax(planned, far), ceil(want / step) * step));
    if (!isfinite(lo)) lo = 1.0, hi = 2.5;  // nothing logged yet: ln(10) = 2.30 sits inside
    if (log_scale) {
        lo = log10(fmax(lo, 1e-4)), hi = log10(fmax(hi, 1e-4));
        double pad = fmax(0.05, (hi - lo) * 0.08);
        a->y_lo = lo - pad, a->y_hi = hi + pad;
    } else {
        double pad = fmax(0.05, (hi - lo) * 0.08);
        a->y_lo = fmax(0.0, lo - pad), a->y_hi = hi + pad;
    }
}

// Averages points into buckets about 3 logical px wide so a long run costs
// the same to draw as a short one. Writes at most max points.
static int bucket_points(const LossAxes *a, const RunHistory *h, bool smooth, float *xs, float *ys, int max) {
    int n = 0;
    float bucket_w = 3.0f;
    int i = 0;
    while (i < h->n_points && n < max) {
        float x0 = loss_x(a, (double)h->points[i].step);
        double sum = 0, sx = 0;
        int k = 0;
        while (i < h->n_points && loss_x(a, (double)h->points[i].step) < x0 + bucket_w) {
            double v = smooth ? h->points[i].smooth : h->points[i].loss;
            sum += v, sx += (double)h->points[i].step;
            i++, k++;
        }
        xs[n] = loss_x(a, sx / k);
        ys[n] = loss_y(a, sum / k);
        n++;
    }
    return n;
}

// The latest logged loss, large, at the top right of the panel.
static void draw_latest_loss(Canvas *c, Rect panel, const TrainSnapshot *s, const RunHistory *cur) {
    if (!cur || cur->n_points == 0) return;
    char buf[64];
    snprintf(buf, sizeof buf, "%.3f", (double)cur->points[cur->n_points - 1].loss);
    TextStyle st = text_style(c, 30, dash_run_color(s->n_runs - 1));
    st.bold = true;
    st.align = ALIGN_RIGHT;
    draw_text(c, panel.x + panel.w - 14, panel.y + 4, buf, st);
}

// One horizontal grid line with its label left of the plot.
static void draw_loss_grid_line(Canvas *c, const LossAxes *a, double loss, const char *label, TextStyle lab) {
    float y = loss_y(a, loss);
    dash_hline(c, a->plot.x, a->plot.x + a->plot.w, y, 1, canvas_theme(c)->grid_line);
    draw_text(c, a->plot.x - 8, y, label, lab);
}

// Log scale: 1-2-5 per decade; a narrow range (a loss between 1.6 and 2.3)
// needs finer marks or it would show one label or none.
static void draw_loss_log_grid(Canvas *c, const LossAxes *a, TextStyle lab) {
    static const double M3[] = {1, 2, 5}, M4[] = {1, 1.5, 2, 3, 5, 7}, M10[] = {1, 1.2, 1.4, 1.6, 1.8, 2, 2.5, 3, 4, 5, 6, 8};
    double span = a->y_hi - a->y_lo;
    const double *M = span > 1.5 ? M3 : span > 0.6 ? M4 : M10;
    int nm = span > 1.5 ? 3 : span > 0.6 ? 6 : 12;
    for (int e = (int)floor(a->y_lo) - 1; e <= (int)ceil(a->y_hi); e++) {
        for (int m = 0; m < nm; m++) {
            double val = M[m] * pow(10, e), lv = log10(val);
            if (lv < a->y_lo || lv > a->y_hi) continue;
            char buf[32];
            snprintf(buf, sizeof buf, "%g", val);
            draw_loss_grid_line(c, a, val, buf, lab);
        }
    }
}

// Linear scale: a nice step, two decimals once the step is below 0.1.
static void draw_loss_linear_grid(Canvas *c, const LossAxes *a, TextStyle lab) {
    double step = dash_nice_step(a->y_hi - a->y_lo, 5);
    for (double y0 = ceil(a->y_lo / step) * step; y0 <= a->y_hi + 1e-9; y0 += step) {
        char buf[32];
        snprintf(buf, sizeof buf, step < 0.1 ? "%.2f" : "%.1f", y0);
        draw_loss_grid_line(c, a, y0, buf, lab);
    }
}

// The x axis in whole mini-batches: ticks, labels and the axis caption.
static void draw_loss_x_axis(Canvas *c, const LossAxes *a, Lang lang) {
    const Theme *th = canvas_theme(c);
    Rect plot = a->plot;
    TextStyle xl = text_style(c, 17, th->text_muted);
    xl.align = ALIGN_CENTER;
    double xstep = fmax(1.0, dash_nice_step(a->x_max, 6));
    for (double x0 = 0; x0 <= a->x_max + 1e-9; x0 += xstep) {
        float x = loss_x(a, x0);
        dash_vline(c, x, plot.y + plot.h, plot.y + plot.h + 5, 1.5f, th->text_muted);
        char buf[32];
        fmt_axis_steps(buf, sizeof buf, x0);
        draw_text(c, x, plot.y + plot.h + 7, buf, xl);
    }
    TextStyle cap = text_style(c, 17, th->text);
    cap.align = ALIGN_CENTER;
    draw_text(c, plot.x + plot.w / 2, plot.y + plot.h + 24, dash_tr(lang, "mini-batches", "小批量"), cap);
}

// Dashed lines at the current run's epoch ends; with many epochs only the
// last one is labelled, or the labels would overlap.
static void draw_epoch_marks(Canvas *c, const LossAxes *a, const RunHistory *cur, Lang lang) {
    if (!cur || cur->batches_per_epoch <= 0) return;
    const Theme *th = canvas_theme(c);
    TextStyle el = text_style(c, 14, th->text_muted);
    el.align = ALIGN_RIGHT;
    for (int e = 1; e <= cur->config.epochs; e++) {
        double x0 = (double)e * cur->batches_per_epoch;
        if (x0 > a->x_max) break;
        float x = loss_x(a, x0);
        dash_dashed_vline(c, x, a->plot.y, a->plot.y + a->plot.h, 1.5f, 6, th->text_muted);
        char buf[32];
        snprintf(buf, sizeof buf, dash_tr(lang, "end of epoch %d", "第 %d 轮结束"), e);
        if (cur->config.epochs <= 12 || e == cur->config.epochs) draw_text(c, x - 4, a->plot.y + 2, buf, el);
    }
}

// The curves, clipped to the plot: older runs first, the current one on top.
// Older runs show only their smoothed curve: less clutter, less to draw.
static void draw_loss_curves(Canvas *c, const LossAxes *a, const TrainSnapshot *s, FILE *dump) {
    const Theme *th = canvas_theme(c);
    canvas_push_clip(c, a->plot);
    int max_pts = (int)a->plot.w + 2;
    float *xs = cl_malloc(sizeof(float) * (size_t)max_pts), *ys = cl_malloc(sizeof(float) * (size_t)max_pts);
    for (int r = 0; r < s->n_runs; r++) {
        const RunHistory *h = &s->runs[r];
        Rgba col = dash_run_color(r);
        Rgba faint = rgba_mix(th->bg, col, 0.4f);  // opaque: blending costs in software rendering
        bool current = r == s->n_runs - 1;
        int n;
        if (current) {
            n = bucket_points(a, h, false, xs, ys, max_pts);
            dash_polyline(c, xs, ys, n, 2.0f, faint);
        }
        n = bucket_points(a, h, true, xs, ys, max_pts);
        dash_polyline(c, xs, ys, n, current ? 5.0f : 3.5f, col);
        if (n == 1) draw_fill_circle(c, xs[0], ys[0], 4, col);
        if (dump)
            for (int i = 0; i < h->n_points; i++)
                fprintf(dump, "loss run=%d epoch=%d batch=%d step=%ld value=%.3f smooth=%.3f\n", r + 1,
                        h->points[i].epoch, h->points[i].batch, h->points[i].step, (double)h->points[i].loss,
                        (double)h->points[i].smooth);
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

// Of the plot's four inner corners, the one whose box (w, h) covers the
// fewest smoothed points (usually bottom left: loss curves start high on the
// left and fall).
static Rect pick_legend_corner(const LossAxes *a, const TrainSnapshot *s, float bw, float bh) {
    Rect plot = a->plot;
    Rect corners[4] = {{plot.x + 10, plot.y + plot.h - 10 - bh, bw, bh},
                       {plot.x + plot.w - 10 - bw, plot.y + 24, bw, bh},
                       {plot.x + plot.w - 10 - bw, plot.y + plot.h - 10 - bh, bw, bh},
                       {plot.x + 10, plot.y + 24, bw, bh}};
    int best = 0, best_count = -1;
    for (int k = 0; k < 4; k++) {
        int count = 0;
        for (int r = 0; r < s->n_runs; r++)
            for (int i = 0; i < s->runs[r].n_points; i++) {
                float x = loss_x(a, (double)s->runs[r].points[i].step);
                float y = loss_y(a, s->runs[r].points[i].smooth);
                count += x >= corners[k].x - 6 && x <= corners[k].x + bw + 6 && y >= corners[k].y - 6 &&
                         y <= corners[k].y + bh + 6;
            }
        if (best_count < 0 || count < best_count) best = k, best_count = count;
    }
    return corners[best];
}

// The legend inside the plot: swatch, run number, label, last smoothed value.
static void draw_loss_legend(Canvas *c, const LossAxes *a, const TrainSnapshot *s, FILE *dump, Lang lang) {
    if (s->n_runs <= 0) return;
    const Theme *th = canvas_theme(c);
    float lh = 22, lw = 0;
    char lines[TS_MAX_RUNS][160];
    for (int r = 0; r < s->n_runs; r++) {
        const RunHistory *h = &s->runs[r];
        if (h->n_points > 0)
            snprintf(lines[r], sizeof lines[r], dash_tr(lang, "run %d: %s  (%.3f)", "第 %d 次：%s  (%.3f)"), r + 1, h->label,
                     (double)h->points[h->n_points - 1].smooth);
        else
            snprintf(lines[r], sizeof lines[r], dash_tr(lang, "run %d: %s", "第 %d 次：%s"), r + 1, h->label);
        float w, hh;
        text_measure(c, lines[r], 15, r == s->n_runs - 1, &w, &hh);
        lw = fmaxf(lw, w);
    }
    Rect box = pick_legend_corner(a, s, lw + 48, lh * s->n_runs + 10);
    dash_fill(c, box, th->panel);
    dash_outline(c, box, 1, th->panel_border);
    for (int r = 0; r < s->n_runs; r++) {
        float y = box.y + 5 + lh * r + lh / 2;
        dash_hline(c, box.x + 8, box.x + 34, y, 5, dash_run_color(r));
        TextStyle ls = text_style(c, 15, th->text);
        ls.vcenter = true;
        ls.bold = r == s->n_runs - 1;
        draw_text(c, box.x + 40, y, lines[r], ls);
        if (dump) fprintf(dump, "legend %s\n", lines[r]);
    }
}

void dash_draw_loss(Canvas *c, Rect panel, const TrainSnapshot *s, const DashboardView *v, FILE *dump) {
    Lang lang = v->lang;
    const Theme *th = canvas_theme(c);
    Rect content = dash_panel(c, panel, dash_tr(lang, "Training loss", "训练损失"),
                              v->log_scale ? dash_tr(lang, "cross-entropy per logged window · log scale", "交叉熵，每个记录窗口的平均 · 对数坐标")
                                           : dash_tr(lang, "cross-entropy, mean of each logged window", "交叉熵，每个记录窗口的平均"));
    const RunHistory *cur = s->n_runs > 0 ? &s->runs[s->n_runs - 1] : NULL;
    draw_latest_loss(c, panel, s, cur);

    Rect plot = {content.x + 62, content.y + 6, content.w - 62 - 14, content.h - 6 - 46};
    // A window shrunk to a few pixels leaves no plot (w <= 0 made max_pts negative
    // and malloc huge in draw_loss_curves: found by tests/sh/harden_gui_xvfb.sh under ASan).
    if (plot.w < 1 || plot.h < 1) return;
    LossAxes a;
    loss_axes(&a, s, v->log_scale, plot);
    dash_fill(c, plot, th->bg);

    TextStyle lab = text_style(c, 17, th->text_muted);
    lab.align = ALIGN_RIGHT;
    lab.vcenter = true;
    if (a.log) draw_loss_log_grid(c, &a, lab);
    else draw_loss_linear_grid(c, &a, lab);
    draw_loss_x_axis(c, &a, lang);
    draw_epoch_marks(c, &a, cur, lang);
    draw_loss_curves(c, &a, s, dump);
    dash_outline(c, plot, 1.5f, th->panel_border);
    draw_loss_waiting(c, &a, s, v, cur);
    draw_loss_legend(c, &a, s, dump, lang);
}

/* ==== accuracy per epoch ===================================================== */

void dash_draw_accuracy_chart(Canvas *c, Rect r, const TrainSnapshot *s, FILE *dump, Lang lang) {
    const Theme *th = canvas_theme(c);
    Rect plot = {r.x + 40, r.y + 6, r.w - 48, r.h - 30};
    int max_epochs = 1;
    for (int i = 0; i < s->n_runs; i++) {
        if (s->runs[i].config.epochs > max_epochs) max_epochs = s->runs[i].config.epochs;
    }
    dash_fill(c, plot, th->bg);
    TextStyle lab = text_style(c, 13, th->text_muted);
    lab.align = ALIGN_RIGHT;
    lab.vcenter = true;
    for (int p = 0; p <= 100; p += 50) {
        float y = plot.y + plot.h - plot.h * p / 100.0f;
        dash_hline(c, plot.x, plot.x + plot.w, y, 1, th->grid_line);
        char buf[16];
        snprintf(buf, sizeof buf, "%d%%", p);
        draw_text(c, plot.x - 4, y, buf, lab);
    }
    float chance = plot.y + plot.h * 0.9f;  // 10 %: guessing
    dash_dashed_hline(c, plot.x, plot.x + plot.w, chance, 1.5f, 5, th->text_muted);
    TextStyle cl = text_style(c, 12, th->text_muted);
    cl.align = ALIGN_RIGHT;
    cl.align = ALIGN_LEFT;
    draw_text(c, plot.x + 4, chance - 15, dash_tr(lang, "chance 10%", "随机猜测 10%"), cl);
    TextStyle xl = text_style(c, 13, th->text_muted);
    xl.align = ALIGN_CENTER;
    float dx = plot.w / (float)max_epochs;
    int label_every = max_epochs <= 10 ? 1 : max_epochs <= 20 ? 2 : 5;
    for (int e = 1; e <= max_epochs; e++) {
        if (e % label_every && e != 1) continue;
        char buf[16];
        snprintf(buf, sizeof buf, "%d", e);
        draw_text(c, plot.x + dx * (e - 0.5f), plot.y + plot.h + 3, buf, xl);
    }
    TextStyle ec = text_style(c, 13, th->text_muted);
    ec.align = ALIGN_RIGHT;
    draw_text(c, plot.x - 4, plot.y + plot.h + 3, dash_tr(lang, "epoch", "轮"), ec);
    for (int i = 0; i < s->n_runs; i++) {
        const RunHistory *h = &s->runs[i];
        float xs[TS_MAX_EPOCHS], ys[TS_MAX_EPOCHS];
        for (int e = 0; e < h->n_epochs_done; e++) {
            xs[e] = plot.x + dx * (e + 0.5f);
            ys[e] = plot.y + plot.h - plot.h * h->test_acc[e] / 100.0f;
            if (dump) fprintf(dump, "test_acc run=%d epoch=%d value=%.2f\n", i + 1, e + 1, (double)h->test_acc[e]);
        }
        Rgba col = dash_run_color(i);
        dash_polyline(c, xs, ys, h->n_epochs_done, 3, col);
        for (int e = 0; e < h->n_epochs_done; e++) draw_fill_circle(c, xs[e], ys[e], 4.5f, col);
    }
    dash_outline(c, plot, 1, th->panel_border);
}
