/* The dashboard's confusion matrix: rows are the true classes, columns the
 * predicted ones, over the last test-set evaluation. Each cell's colour is its
 * share of the row (row-normalised, so a class with few images reads like the
 * others; the colour bar says so), the diagonal (correct answers) is outlined,
 * and each cell shows its count of test images wherever the digits fit at 14 px
 * or more. Right of each row: the class's accuracy (the diagonal's share of the
 * row). Full class names on both axes (the column names in two staggered
 * lines); only when the cells are too narrow for them do the columns carry
 * numbers. C shows the matrix alone, large. Called from dashboard.c.
 */
#include "ui/dashboard_internal.h"
#include "ui/widgets.h"

#include <math.h>
#include <stdio.h>

#define CONF_PAD 8.0f           // panel edge to the contents
#define CONF_TITLE 34.0f        // the panel's title line
#define CONF_COL_LABELS 40.0f   // two staggered lines of column names over the grid
#define CONF_LEGEND 44.0f       // the colour bar under the grid: gap, bar, its values
#define CONF_CAPTION 24.0f      // the line at the bottom
#define CONF_ACC_W 70.0f        // the accuracy column right of the grid (the C view: CONF_ACC_W_LARGE)
#define CONF_ACC_W_LARGE 92.0f
#define CONF_MIN_COUNT_FONT 14.0f
#define CONF_MAX_CELL 38.0f

// Room for the row names: "automobile" at 16 px, or two Chinese characters.
static float row_label_w(Lang lang, bool large) {
    return lang == LANG_ZH ? (large ? 76 : 64) : (large ? 130 : 96);
}

float dash_confusion_width(float h, Lang lang) {
    float cell = floorf(fminf((h - CONF_TITLE - CONF_COL_LABELS - CONF_LEGEND - CONF_CAPTION - CONF_PAD) / 10, CONF_MAX_CELL));
    if (cell < 8) cell = 8;
    return 2 * CONF_PAD + row_label_w(lang, false) + 10 * cell + CONF_ACC_W;
}

float dash_confusion_large_width(float h, Lang lang) {
    float cell = floorf((h - CONF_TITLE - 52 - CONF_CAPTION - CONF_PAD) / 10);
    if (cell < 8) cell = 8;
    return 2 * CONF_PAD + row_label_w(lang, true) + 10 * cell + CONF_ACC_W_LARGE + 110;
}

void dash_layout_confusion(DashboardLayout *L, bool large, Lang lang) {
    Rect p = L->confusion;
    float label_w = row_label_w(lang, large), label_h = large ? 52 : CONF_COL_LABELS;
    // the large view's colour bar stands right of the accuracy column; the normal view's lies under the grid
    float legend_w = large ? 110 : 0, legend_h = large ? 0 : CONF_LEGEND;
    float top = p.y + CONF_TITLE;
    float acc_w = large ? CONF_ACC_W_LARGE : CONF_ACC_W;
    float cell = floorf(fminf((p.w - 2 * CONF_PAD - label_w - acc_w - legend_w) / 10,
                              (p.h - CONF_TITLE - label_h - legend_h - CONF_CAPTION - CONF_PAD) / 10));
    if (!large) cell = fminf(cell, CONF_MAX_CELL);
    if (cell < 1) cell = 1;
    L->confusion_cells = (Rect){p.x + CONF_PAD + label_w, top + label_h, cell * 10, cell * 10};
    Rect g = L->confusion_cells;
    L->confusion_legend = large ? (Rect){g.x + g.w + acc_w + 8, g.y, 22, g.h}
                                : (Rect){g.x, g.y + g.h + 10, fminf(g.w, 260), 12};
    L->confusion_large = large;
}

// The colour bar: what share of its row a cell's colour means (0 .. 100 %).
static void draw_confusion_legend(Canvas *c, Rect r, bool large, Lang lang, FILE *dump) {
    const Theme *th = canvas_theme(c);
    ColourBar b = {.heat = HEAT_VIRIDIS, .lo = 0, .hi = 1, .decimals = 0, .scale = 100, .unit = " %", .mid = true,
                   .vertical = large, .font = large ? 17 : 15};
    widget_colour_bar_draw(c, r, &b);
    TextStyle cs = text_style(c, large ? 16 : 15, th->text_muted);
    const char *what = dash_tr(lang, "share of the row", "占该行的比例");
    if (large) {  // over the bar, kept inside the panel
        cs.align = ALIGN_RIGHT;
        draw_text(c, r.x + 100, r.y - 46, what, cs);
    }
    else {
        cs.vcenter = true;
        draw_text(c, r.x + r.w + 16, r.y + r.h / 2, what, cs);
    }
    if (dump) fprintf(dump, "confusion_legend lo=0 hi=100 unit=%% vertical=%d\n", large ? 1 : 0);
}

// Whether the full names fit over the columns in two staggered lines: each name
// clears its neighbours on the same line (two cells away).
static bool column_names_fit(Canvas *c, float cell, float size, Lang lang) {
    float w[CIFAR_CLASSES];
    for (int k = 0; k < CIFAR_CLASSES; k++) text_measure(c, dash_class_name(lang, k), size, false, &w[k], NULL);
    for (int k = 0; k + 2 < CIFAR_CLASSES; k++)
        if ((w[k] + w[k + 2]) / 2 + 6 > 2 * cell) return false;
    return w[0] / 2 <= cell * 0.5f + row_label_w(lang, false) - 4;  // the first name stays clear of the row names
}

// Row names left of the grid; the columns' names in two staggered lines over
// it, or their numbers (then the rows carry them too) when the names do not fit.
static void draw_confusion_axes(Canvas *c, Rect g, float cell, bool large, Lang lang) {
    const Theme *th = canvas_theme(c);
    float col_size = large ? 17 : 15;
    bool names = large || column_names_fit(c, cell, col_size, lang);
    TextStyle rl = text_style(c, large ? 19 : fminf(16, fmaxf(14, cell * 0.7f)), th->text);
    rl.align = ALIGN_RIGHT;
    rl.vcenter = true;
    TextStyle cl = text_style(c, col_size, th->text_muted);
    cl.align = ALIGN_CENTER;
    float line = large ? 23 : 19;
    for (int k = 0; k < CIFAR_CLASSES; k++) {
        char buf[48];
        if (names) snprintf(buf, sizeof buf, "%s", dash_class_name(lang, k));
        else snprintf(buf, sizeof buf, "%s %d", dash_class_name(lang, k), k);
        draw_text(c, g.x - 6, g.y + cell * (k + 0.5f), buf, rl);
        if (names) draw_text(c, g.x + cell * (k + 0.5f), g.y - (k % 2 ? line : 2 * line) - 1, dash_class_name(lang, k), cl);
        else {
            snprintf(buf, sizeof buf, "%d", k);
            draw_text(c, g.x + cell * (k + 0.5f), g.y - line - 1, buf, cl);
        }
    }
}

// The size of the counts in cells of this size, or 0 when the widest count
// (max_count's digits) does not fit at 14 px.
static float count_font(Canvas *c, float cell, bool large, int max_count) {
    char buf[16];
    snprintf(buf, sizeof buf, "%d", max_count);
    for (char *p = buf; *p; p++) *p = '0';  // all digits are as wide as 0 (tabular)
    for (float size = fminf(large ? 20 : 17, floorf(cell * 0.46f)); size >= CONF_MIN_COUNT_FONT; size -= 1) {
        float w;
        text_measure(c, buf, size, true, &w, NULL);
        if (w <= cell - 5) return size;
    }
    return 0;
}

// Row t's cells: the colour of each one's share of the row and, at font size
// fs > 0, its count (bold on the diagonal). Writes the counts drawn to dump.
static void draw_confusion_row(Canvas *c, Rect g, float cell, int t, const TrainSnapshot *s, float fs, FILE *dump) {
    const Theme *th = canvas_theme(c);
    int row = 0;
    for (int p = 0; p < CIFAR_CLASSES; p++) row += s->eval.confusion[t][p];
    if (dump && fs > 0) fprintf(dump, "confusion_text %d:", t);
    for (int p = 0; p < CIFAR_CLASSES; p++) {
        Rect r = {g.x + p * cell, g.y + t * cell, cell - 1, cell - 1};
        float f = row > 0 ? (float)s->eval.confusion[t][p] / row : 0;
        Rgba fill = theme_viridis(f);
        dash_fill(c, r, fill);
        if (t == p) dash_outline(c, r, 2, th->cell_text_inv);  // the diagonal: correct answers
        if (fs <= 0) continue;
        char buf[16];
        snprintf(buf, sizeof buf, "%d", s->eval.confusion[t][p]);
        TextStyle ns = text_style(c, fs, dash_text_on(fill));
        ns.bold = t == p;
        ns.align = ALIGN_CENTER;
        ns.vcenter = true;
        draw_text(c, r.x + r.w / 2, r.y + r.h / 2, buf, ns);
        if (dump) fprintf(dump, " %s", buf);
    }
    if (dump && fs > 0) fprintf(dump, " size=%.0f cell=%.0f\n", (double)fs, (double)cell);
}

// Right of the grid: each class's accuracy (its row's diagonal share), the
// numbers the per-class bars show.
static void draw_accuracy_column(Canvas *c, Rect g, float cell, bool large, const TrainSnapshot *s, Lang lang, FILE *dump) {
    const Theme *th = canvas_theme(c);
    TextStyle hs = text_style(c, large ? 16 : 14, th->text_muted);
    hs.align = ALIGN_RIGHT;
    float right = g.x + g.w + (large ? CONF_ACC_W_LARGE : CONF_ACC_W) - 4;
    draw_text(c, right, g.y - (large ? 23 : 19) - 1, dash_tr(lang, "correct", "正确率"), hs);
    TextStyle as = text_style(c, large ? 19 : fminf(15, fmaxf(14, cell * 0.6f)), th->output);
    as.bold = true;
    as.align = ALIGN_RIGHT;
    as.vcenter = true;
    for (int k = 0; k < CIFAR_CLASSES; k++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.1f %%", s->eval.class_accuracy[k]);
        draw_text(c, right, g.y + cell * (k + 0.5f), buf, as);
        if (dump) fprintf(dump, "class %s %.1f\n", CIFAR_TUTORIAL_CLASSES[k], s->eval.class_accuracy[k]);
    }
}

void dash_draw_confusion(Canvas *c, const DashboardLayout *L, const TrainSnapshot *s, const DashboardView *v,
                         FILE *dump) {
    Lang lang = v->lang;
    const Theme *th = canvas_theme(c);
    bool large = L->confusion_large;
    char sub[96];
    char n[16];
    dash_fmt_int(n, sizeof n, s->eval.n);
    if (s->has_eval) snprintf(sub, sizeof sub, dash_tr(lang, "%s test images", "%s 张测试图片"), n);
    else snprintf(sub, sizeof sub, "%s", dash_tr(lang, "after epoch 1", "第 1 轮后显示"));
    dash_panel(c, L->confusion, dash_tr(lang, "Confusion matrix", "混淆矩阵"), sub);
    Rect g = L->confusion_cells;
    float cell = g.w / 10;
    draw_confusion_axes(c, g, cell, large, lang);
    int max_count = 0;
    for (int t = 0; t < CIFAR_CLASSES; t++)
        for (int p = 0; p < CIFAR_CLASSES; p++) max_count = s->eval.confusion[t][p] > max_count ? s->eval.confusion[t][p] : max_count;
    float fs = s->has_eval ? count_font(c, cell, large, max_count) : 0;
    for (int t = 0; t < CIFAR_CLASSES; t++) {
        if (!s->has_eval) {
            for (int p = 0; p < CIFAR_CLASSES; p++) dash_fill(c, (Rect){g.x + p * cell, g.y + t * cell, cell - 1, cell - 1}, th->empty_cell);
            continue;
        }
        draw_confusion_row(c, g, cell, t, s, fs, dump);
        if (dump) {
            fprintf(dump, "confusion %d:", t);
            for (int p = 0; p < CIFAR_CLASSES; p++) fprintf(dump, " %d", s->eval.confusion[t][p]);
            fputc('\n', dump);
        }
    }
    if (s->has_eval) draw_accuracy_column(c, g, cell, large, s, lang, dump);
    draw_confusion_legend(c, L->confusion_legend, large, lang, dump);
    if (v->cell_truth >= 0 && v->cell_pred >= 0 && !large) {
        Rect r = {g.x + v->cell_pred * cell - 2, g.y + v->cell_truth * cell - 2, cell + 3, cell + 3};
        dash_outline(c, r, 3, th->accent);
    }
    TextStyle cap = text_style(c, large ? 17 : 15, th->text_muted);
    const char *line = large ? dash_tr(lang, "rows: true class · columns: predicted · counts of test images · C: back",
                                       "行：真实类别 · 列：预测类别 · 格中为测试图片数 · C：返回")
                     : fs > 0 ? (v->interactive ? dash_tr(lang, "rows: true · columns: predicted · click a cell: its pictures",
                                                          "行：真实 · 列：预测 · 点击格子看图片")
                                                : dash_tr(lang, "rows: true class · columns: predicted · counts of test images",
                                                          "行：真实类别 · 列：预测类别 · 格中为测试图片数"))
                     : v->interactive ? dash_tr(lang, "rows: true · columns: predicted · C: counts",
                                                "行：真实 · 列：预测 · C：放大看数目")
                                      : dash_tr(lang, "rows: true class · columns: predicted", "行：真实类别 · 列：预测类别");
    canvas_push_clip(c, (Rect){L->confusion.x, L->confusion.y, L->confusion.w - 4, L->confusion.h});
    draw_text(c, L->confusion.x + 10, L->confusion.y + L->confusion.h - 23, line, cap);
    canvas_pop_clip(c);
}
