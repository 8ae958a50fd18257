/* The dashboard's per-epoch accuracy chart, plus the drawing helpers every
 * dashboard file needs beyond draw.h (opaque fills, a batched thick polyline,
 * nice axis ticks). The loss curve is in dashboard_loss.c. Called from dashboard.c.
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

/* ==== accuracy per epoch ===================================================== */

void dash_draw_accuracy_chart(Canvas *c, Rect r, const TrainSnapshot *s, FILE *dump, Lang lang) {
    const Theme *th = canvas_theme(c);
    Rect plot = {r.x + 40, r.y + 6, r.w - 48, r.h - 30};
    int max_epochs = 1;
    for (int i = 0; i < s->n_runs; i++) {
        if (s->runs[i].config.epochs > max_epochs) max_epochs = s->runs[i].config.epochs;
    }
    dash_fill(c, plot, th->bg);
    TextStyle lab = text_style(c, 14, th->text_muted);  // numbers >= 14 px
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
    // at the right end: the last epoch, usually well above chance, leaves it free
    TextStyle cl = text_style(c, 14, th->text_muted);
    cl.align = ALIGN_RIGHT;
    draw_text(c, plot.x + plot.w - 4, chance - 17, dash_tr(lang, "chance 10%", "随机猜测 10%"), cl);
    TextStyle xl = text_style(c, 14, th->text_muted);
    xl.align = ALIGN_CENTER;
    float dx = plot.w / (float)max_epochs;
    int label_every = max_epochs <= 10 ? 1 : max_epochs <= 20 ? 2 : 5;
    for (int e = 1; e <= max_epochs; e++) {
        if (e % label_every && e != 1) continue;
        char buf[16];
        snprintf(buf, sizeof buf, "%d", e);
        draw_text(c, plot.x + dx * (e - 0.5f), plot.y + plot.h + 3, buf, xl);
    }
    TextStyle ec = text_style(c, 14, th->text_muted);
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
        bool current = i == s->n_runs - 1;  // older runs faint, the current one on top with its values
        Rgba col = current ? dash_run_color(i) : rgba_mix(th->bg, dash_run_color(i), 0.45f);
        dash_polyline(c, xs, ys, h->n_epochs_done, current ? 3 : 2, col);
        for (int e = 0; e < h->n_epochs_done; e++) draw_fill_circle(c, xs[e], ys[e], current ? 4.5f : 3, col);
        if (!current) continue;
        TextStyle vs = text_style(c, 14, col);
        vs.bold = true;
        vs.align = ALIGN_CENTER;
        for (int e = 0; e < h->n_epochs_done; e++) {
            char buf[16];
            snprintf(buf, sizeof buf, "%.0f%%", (double)h->test_acc[e]);
            float ty = ys[e] - 22 < plot.y ? ys[e] + 6 : ys[e] - 21;
            draw_text(c, xs[e], ty, buf, vs);
        }
    }
    dash_outline(c, plot, 1, th->panel_border);
}
