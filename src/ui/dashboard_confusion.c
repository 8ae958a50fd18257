/* The dashboard's confusion matrix: rows are the true classes, columns the
 * predicted ones, over the last test-set evaluation. Each cell's colour is its
 * share of the row (row-normalised, so a class with few images reads like the
 * others; the colour bar says so), the diagonal (correct answers) is outlined.
 * In the dashboard the columns are numbered (the rows name them); C shows the
 * matrix alone, large, with every cell's count. Called from dashboard.c.
 */
#include "ui/dashboard_internal.h"

#include <math.h>
#include <stdio.h>

void dash_layout_confusion(DashboardLayout *L, bool large) {
    Rect p = L->confusion;
    Rect cin = {p.x + 8, p.y + 34, p.w - 16, p.h - 34 - 24};
    // row labels: full names; column labels: numbers (small) or full names in two staggered lines (large)
    float label_w = large ? 130 : 98, label_h = large ? 52 : 22, legend_w = large ? 110 : 52;
    float cell = floorf(fminf((cin.w - label_w - legend_w) / 10, (cin.h - label_h) / 10));
    if (cell < 1) cell = 1;
    L->confusion_cells = (Rect){cin.x + label_w, cin.y + label_h, cell * 10, cell * 10};
    L->confusion_legend = (Rect){L->confusion_cells.x + cell * 10 + 14, L->confusion_cells.y, large ? 22 : 14, cell * 10};
    L->confusion_large = large;
}

// The colour bar: 0 % of the row at the bottom, 100 % at the top.
static void draw_confusion_legend(Canvas *c, Rect r, bool large, Lang lang) {
    const Theme *th = canvas_theme(c);
    int steps = 48;
    for (int i = 0; i < steps; i++) {
        float f0 = (float)i / steps;
        dash_fill(c, (Rect){r.x, r.y + r.h * (1 - (float)(i + 1) / steps), r.w, r.h / steps + 1}, theme_viridis(f0 + 0.5f / steps));
    }
    dash_outline(c, r, 1, th->panel_border);
    TextStyle ls = text_style(c, large ? 17 : 14, th->text);
    ls.vcenter = true;
    static const int MARKS[] = {0, 50, 100};
    for (int k = 0; k < 3; k++) {
        float y = r.y + r.h * (1 - MARKS[k] / 100.0f);
        char buf[16];
        snprintf(buf, sizeof buf, "%d%%", MARKS[k]);
        dash_hline(c, r.x + r.w, r.x + r.w + 4, y, 1.5f, th->text);
        draw_text(c, r.x + r.w + 6, y, buf, ls);
    }
    if (large) {
        TextStyle cs = text_style(c, 16, th->text_muted);
        draw_text(c, r.x - 4, r.y - 46, dash_tr(lang, "share of the row", "占该行的比例"), cs);
    }
}

// Column labels: numbers over the cells (the row labels name them), or in the
// large view the full names in two staggered lines.
static void draw_confusion_axes(Canvas *c, Rect g, float cell, bool large, Lang lang) {
    const Theme *th = canvas_theme(c);
    TextStyle rl = text_style(c, large ? 19 : 14, th->text);
    rl.align = ALIGN_RIGHT;
    rl.vcenter = true;
    TextStyle cl = text_style(c, large ? 17 : 14, th->text_muted);
    cl.align = ALIGN_CENTER;
    for (int k = 0; k < CIFAR_CLASSES; k++) {
        char buf[48];
        if (large) snprintf(buf, sizeof buf, "%s", dash_class_name(lang, k));
        else snprintf(buf, sizeof buf, "%s %d", dash_class_name(lang, k), k);
        draw_text(c, g.x - 6, g.y + cell * (k + 0.5f), buf, rl);
        if (large) draw_text(c, g.x + cell * (k + 0.5f), g.y - (k % 2 ? 24 : 46), dash_class_name(lang, k), cl);
        else {
            snprintf(buf, sizeof buf, "%d", k);
            draw_text(c, g.x + cell * (k + 0.5f), g.y - 19, buf, cl);
        }
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
    float count_size = fminf(large ? 20 : 14, cell * 0.36f);
    for (int t = 0; t < CIFAR_CLASSES; t++) {
        int row = 0;
        if (s->has_eval)
            for (int p = 0; p < CIFAR_CLASSES; p++) row += s->eval.confusion[t][p];
        for (int p = 0; p < CIFAR_CLASSES; p++) {
            Rect r = {g.x + p * cell, g.y + t * cell, cell - 1, cell - 1};
            if (!s->has_eval) {
                dash_fill(c, r, th->empty_cell);
                continue;
            }
            float f = row > 0 ? (float)s->eval.confusion[t][p] / row : 0;
            Rgba fill = theme_viridis(f);
            dash_fill(c, r, fill);
            if (t == p) dash_outline(c, r, 2, th->cell_text_inv);  // the diagonal: correct answers
            if (large || cell >= 30) {  // the count, where it can be read
                char buf[16];
                snprintf(buf, sizeof buf, "%d", s->eval.confusion[t][p]);
                TextStyle ns = text_style(c, count_size, dash_text_on(fill));
                ns.bold = t == p;
                ns.align = ALIGN_CENTER;
                ns.vcenter = true;
                draw_text(c, r.x + r.w / 2, r.y + r.h / 2, buf, ns);
            }
        }
        if (dump && s->has_eval) {
            fprintf(dump, "confusion %d:", t);
            for (int p = 0; p < CIFAR_CLASSES; p++) fprintf(dump, " %d", s->eval.confusion[t][p]);
            fputc('\n', dump);
        }
    }
    draw_confusion_legend(c, L->confusion_legend, large, lang);
    if (v->cell_truth >= 0 && v->cell_pred >= 0 && !large) {
        Rect r = {g.x + v->cell_pred * cell - 2, g.y + v->cell_truth * cell - 2, cell + 3, cell + 3};
        dash_outline(c, r, 3, th->accent);
    }
    TextStyle cap = text_style(c, large ? 17 : 14, th->text_muted);
    const char *line = large ? dash_tr(lang, "rows: true class · columns: predicted · counts of test images · C: back",
                                       "行：真实类别 · 列：预测类别 · 格中为测试图片数 · C：返回")
                     : v->interactive ? dash_tr(lang, "rows: true · columns: predicted · C: counts",
                                                "行：真实 · 列：预测 · C：放大看数目")
                                      : dash_tr(lang, "rows: true class · columns: predicted", "行：真实类别 · 列：预测类别");
    draw_text(c, L->confusion.x + 10, L->confusion.y + L->confusion.h - 22, line, cap);
}
