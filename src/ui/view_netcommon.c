/* Shared drawing for the network lessons (see view_netcommon.h): heat-map
 * feature maps with one colour range per layer, vectors, logits with softmax,
 * and code listings. Only draws; every number comes from the Scene.
 */
#include "ui/view_netcommon.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const CLASS_EN[CIFAR_CLASSES] = {"airplane", "automobile", "bird", "cat", "deer",
                                                     "dog", "frog", "horse", "ship", "truck"};

const char *netview_class(ViewCtx *v, int k) { return k >= 0 && k < CIFAR_CLASSES ? ui_tr(v->lang, CLASS_EN[k]) : "?"; }

static void range_of(const float *d, long n, float *lo, float *hi) {
    *lo = INFINITY, *hi = -INFINITY;
    for (long i = 0; i < n; i++) { *lo = fminf(*lo, d[i]); *hi = fmaxf(*hi, d[i]); }
    if (*hi <= *lo) *hi = *lo + 1e-6f;
}

// Title line plus the colour range "range −1.02 … 0.72"; returns the height used.
static float title_and_range(ViewCtx *v, Rect r, const char *title, float lo, float hi, HeatMode heat) {
    const Theme *th = v->th;
    TextStyle st = text_style(v->c, th->font_body * 0.9f, th->text);
    st.bold = true;
    float h = draw_text_wrapped(v->c, r.x, r.y, r.w, title, st, 1.2f, true);
    char a[32], b[32], buf[160];
    scene_fmt(a, sizeof a, lo, 2);
    scene_fmt(b, sizeof b, hi, 2);
    snprintf(buf, sizeof buf, v->lang == LANG_ZH ? "颜色范围 %s … %s（%s）" : "colour range %s … %s (%s)", a, b,
             heat == HEAT_DIVERGING ? (v->lang == LANG_ZH ? "蓝负、白零、红正" : "blue −, white 0, red +")
                                    : (v->lang == LANG_ZH ? "深色小、黄色大" : "dark low, yellow high"));
    TextStyle ms = text_style(v->c, th->font_small, th->text_muted);
    float mh = draw_text_wrapped(v->c, r.x, r.y + h + 2, r.w, buf, ms, 1.2f, true);
    // and the colours themselves, when there is room for a bar and its numbers
    float bar_w = fminf(r.w * 0.6f, 240);
    if (r.h > 160 && bar_w >= 80) {
        widget_colour_bar(v->c, (Rect){r.x, r.y + h + mh + 6, bar_w, 10}, heat, lo, hi, 2);
        mh += 10 + th->font_small * 1.25f + 6;
    }
    return h + mh + 8;
}

// One heat-map grid of data (rows x cols, top-left at x, y, squares of side
// `cell`) in the colour range [lo, hi], outlined; returns its spec for the hit map.
static GridSpec heat_grid(ViewCtx *v, const float *data, int rows, int cols, float x, float y, float cell, HeatMode heat,
                          float lo, float hi) {
    GridSpec s = grid_spec(data, rows, cols, x, y, cell, v->th->input);
    s.heat = heat;
    s.lo = lo;
    s.hi = hi;
    s.values = false;
    widget_grid(v->c, &s);
    draw_rect_outline(v->c, grid_rect(&s), 1, v->th->panel_border);
    return s;
}

// The column count that gives C maps of H rows the largest side in g; *side gets it.
static int best_columns(const ViewCtx *v, Rect g, int C, float *side) {
    float gap = 10, label_h = v->th->font_small * 1.3f;
    int best_cols = 1;
    float best = 0;
    for (int cols = 1; cols <= C; cols++) {
        int rows = (C + cols - 1) / cols;
        float s = fminf((g.w - (float)(cols - 1) * gap) / (float)cols, (g.h - (float)rows * (label_h + gap)) / (float)rows);
        if (s > best) best = s, best_cols = cols;
    }
    *side = best;
    return best_cols;
}

float netview_maps_fit_cell(ViewCtx *v, Rect r, int C, int H) {
    const Theme *th = v->th;
    // the title and range lines and the colour bar above the maps (as title_and_range draws them, one line each)
    float top = th->font_body * 0.9f * 1.2f + 2 + th->font_small * 1.2f + 10 + th->font_small * 1.25f + 6 + 8;
    float side;
    best_columns(v, (Rect){r.x, r.y + top, r.w, r.h - top}, C, &side);
    return floorf(side / (float)H * 4) / 4;
}

void netview_maps(ViewCtx *v, Rect r, const float *data, int C, int H, int W, HeatMode heat, const char *title,
                  const char *names) {
    netview_maps_scaled(v, r, data, C, H, W, heat, title, names, 0);
}

void netview_maps_scaled(ViewCtx *v, Rect r, const float *data, int C, int H, int W, HeatMode heat, const char *title,
                         const char *names, float max_cell) {
    const Theme *th = v->th;
    float lo, hi;
    range_of(data, (long)C * H * W, &lo, &hi);
    float top = title_and_range(v, r, title, lo, hi, heat);
    Rect g = {r.x, r.y + top, r.w, r.h - top};
    float gap = 10, label_h = th->font_small * 1.3f, best;
    int best_cols = best_columns(v, g, C, &best);
    float cell = floorf(best / (float)H * 4) / 4; // map side = cell * H
    if (max_cell > 0) cell = fminf(cell, max_cell);
    if (cell < 0.5f) cell = 0.5f;
    float side = cell * (float)H;
    int cols = best_cols, rows = (C + cols - 1) / cols;
    float total_w = (float)cols * side + (float)(cols - 1) * gap;
    float x0 = g.x + (g.w - total_w) / 2, y0 = g.y;
    (void)rows;
    for (int ch = 0; ch < C; ch++) {
        int rr = ch / cols, cc = ch % cols;
        GridSpec s = heat_grid(v, data + (size_t)ch * H * W, H, W, x0 + (float)cc * (side + gap),
                               y0 + (float)rr * (side + label_h + gap), cell, heat, lo, hi);
        char buf[16];
        if (names && (int)strlen(names) == C) snprintf(buf, sizeof buf, "%c", names[ch]);
        else snprintf(buf, sizeof buf, "%d", ch);
        TextStyle ls = text_style(v->c, th->font_small, th->text_muted);
        ls.align = ALIGN_CENTER;
        draw_text(v->c, s.x + side / 2, s.y + side + 2, buf, ls);
        if (ch < 4) {
            char name[48];
            snprintf(name, sizeof name, "%s %d", v->lang == LANG_ZH ? "通道" : "channel", ch);
            hitmap_add(v->hits, &s, HIT_OTHER, name, 0, 0);
        }
    }
}

void netview_vector(ViewCtx *v, Rect r, const float *data, int rows, int cols, HeatMode heat, const char *title) {
    float lo, hi;
    range_of(data, (long)rows * cols, &lo, &hi);
    float top = title_and_range(v, r, title, lo, hi, heat);
    float cell = floorf(fminf(r.w / (float)cols, (r.h - top - 10) / (float)rows));
    if (cell > 40) cell = 40;
    GridSpec s = heat_grid(v, data, rows, cols, r.x + (r.w - cell * (float)cols) / 2, r.y + top + 4, cell, heat, lo, hi);
    hitmap_add(v->hits, &s, HIT_OTHER, v->lang == LANG_ZH ? "值" : "value", 0, 0);
}

void netview_logits(ViewCtx *v, Rect r, const float *logits, const float *probs, int label, const char *title) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    TextStyle tst = text_style(c, th->font_body * 0.9f, th->text);
    tst.bold = true;
    float y = r.y + draw_text_wrapped(c, r.x, r.y, r.w, title, tst, 1.2f, true) + 8;
    int pred = 0;
    float m = 1e-6f;
    for (int k = 0; k < CIFAR_CLASSES; k++) {
        if (logits[k] > logits[pred]) pred = k;
        m = fmaxf(m, fabsf(logits[k]));
    }
    float pmax = 1e-6f;
    for (int k = 0; k < CIFAR_CLASSES; k++) pmax = fmaxf(pmax, probs[k]);
    float row = fminf(30, (r.y + r.h - y - 26) / 10);
    float fs = fmaxf(16, fminf(18, row * 0.66f)); // class names >= the label floor
    float name_w = 112, logit_w = (r.w - name_w) * 0.46f, prob_x = r.x + name_w + logit_w + 20, prob_w = r.x + r.w - prob_x - 92;
    float zero_x = r.x + name_w + logit_w / 2;
    TextStyle hs = text_style(c, th->font_small, th->text_muted);
    hs.align = ALIGN_CENTER;
    draw_text(c, zero_x, y, "logit", hs);
    draw_text(c, prob_x + prob_w / 2 + 30, y, "softmax", hs);
    y += th->font_small * 1.4f;
    for (int k = 0; k < CIFAR_CLASSES; k++, y += row) {
        float cy = y + row / 2;
        bool is_label = k == label, is_pred = k == pred;
        if (is_label) draw_fill_rect(c, (Rect){r.x, y + 1, r.w, row - 2}, rgba_mix(th->bg, th->output, 0.15f));
        TextStyle st = text_style(c, fs, th->text);
        st.vcenter = true;
        st.bold = is_label || is_pred;
        char buf[64];
        snprintf(buf, sizeof buf, "%s%s", is_label ? "\xE2\x9C\x93 " : "", netview_class(v, k));
        draw_text(c, r.x + 4, cy, buf, st);
        // logit bar from the zero line
        float len = logits[k] / m * (logit_w / 2 - 52);
        Rgba col = logits[k] >= 0 ? th->div_pos : th->div_neg;
        Rect bar = len >= 0 ? (Rect){zero_x, y + 4, len, row - 8} : (Rect){zero_x + len, y + 4, -len, row - 8};
        draw_fill_rect(c, bar, col);
        scene_fmt(buf, sizeof buf, logits[k], 2);
        TextStyle vs = text_style(c, fmaxf(14, fs * 0.9f), th->text); // numbers >= 14 px
        vs.vcenter = true;
        vs.align = len >= 0 ? ALIGN_LEFT : ALIGN_RIGHT;
        draw_text(c, len >= 0 ? zero_x + len + 4 : zero_x + len - 4, cy, buf, vs);
        // softmax bar
        float pw = probs[k] / pmax * prob_w;
        draw_fill_rect(c, (Rect){prob_x, y + 4, pw, row - 8}, th->output);
        snprintf(buf, sizeof buf, "%.1f %%%s", (double)(probs[k] * 100), is_pred ? " \xE2\x97\x80" : "");
        vs.align = ALIGN_LEFT;
        vs.bold = is_pred;
        draw_text(c, prob_x + pw + 4, cy, buf, vs);
    }
    draw_line(c, zero_x, r.y + th->font_small * 1.4f + 30, zero_x, y, 1.5f, th->text_muted);
}

float netview_code(ViewCtx *v, Rect r, const CodeLine *lines, int n, float size) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    float row = size * 1.45f, h = row * (float)n + 16;
    draw_fill_round_rect(c, (Rect){r.x, r.y, r.w, h}, 8, th->panel);
    draw_rect_outline(c, (Rect){r.x, r.y, r.w, h}, 1.5f, th->panel_border);
    float space_w, hh;
    text_measure(c, "n", size, false, &space_w, &hh);
    for (int i = 0; i < n; i++) {
        float y = r.y + 8 + row * (float)i, cy = y + row / 2;
        const char *t = lines[i].text;
        int indent = 0;
        while (t[indent] == ' ') indent++;
        Rgba col = th->text;
        if (lines[i].mark == 1) {
            draw_fill_rect(c, (Rect){r.x + 4, y, r.w - 8, row}, rgba_mix(th->panel, th->accent, 0.22f));
            draw_fill_rect(c, (Rect){r.x + 4, y, 5, row}, th->accent);
        } else if (lines[i].mark == 2) {
            draw_fill_rect(c, (Rect){r.x + 4, y, r.w - 8, row}, rgba_mix(th->panel, th->error, 0.18f));
            draw_fill_rect(c, (Rect){r.x + 4, y, 5, row}, th->error);
        } else if (lines[i].mark == 3) {
            draw_fill_rect(c, (Rect){r.x + 4, y, r.w - 8, row}, rgba_mix(th->panel, th->output, 0.14f));
            draw_fill_rect(c, (Rect){r.x + 4, y, 5, row}, th->output);
        }
        TextStyle st = text_style(c, size, col);
        st.vcenter = true;
        st.bold = lines[i].mark == 1 || lines[i].mark == 2;
        float x = r.x + 18 + (float)indent * space_w * 1.1f;
        draw_text(c, x, cy, t + indent, st);
        if (lines[i].note) {
            TextStyle ns = text_style(c, th->font_small, lines[i].mark == 2 ? th->error : lines[i].mark == 3 ? th->output : th->accent);
            ns.vcenter = true;
            ns.bold = true;
            ns.align = ALIGN_RIGHT;
            draw_text(c, r.x + r.w - 12, cy, lines[i].note, ns);
        }
    }
    return h;
}
