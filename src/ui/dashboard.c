/* The training dashboard: layout, the progress line, accuracy, per-class bars,
 * confusion matrix, predictions grid, key hints, hit testing, and the offscreen
 * PNG for --batch. The loss and accuracy charts are in dashboard_plot.c, the
 * filters and feature maps in dashboard_maps.c. See dashboard.h.
 */
#include "ui/dashboard_internal.h"


#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARGIN 12.0f

const char *dash_tr(Lang lang, const char *en, const char *zh) { return lang == LANG_ZH ? zh : en; }

// The snapshot's message in lang (the session writes both; errors from the
// engine stay English after a Chinese lead-in).
const char *dash_message(const TrainSnapshot *s, Lang lang) {
    return lang == LANG_ZH && s->message_zh[0] ? s->message_zh : s->message;
}

// CIFAR-10's own names (batches.meta.txt), as the lessons write them; the
// dumps keep the tutorial's short names, which the batch printout uses.
const char *dash_class_name(Lang lang, int k) {
    static const char *const EN[CIFAR_CLASSES] = {"airplane", "automobile", "bird", "cat", "deer",
                                                  "dog", "frog", "horse", "ship", "truck"};
    static const char *const ZH[CIFAR_CLASSES] = {"飞机", "汽车", "鸟", "猫", "鹿", "狗", "青蛙", "马", "船", "卡车"};
    if (k < 0 || k >= CIFAR_CLASSES) return "?";
    return lang == LANG_ZH ? ZH[k] : EN[k];
}

// Near-black or white, whichever reads better on fill.
Rgba dash_text_on(Rgba fill) {
    return rgba_luma(fill) > 0.5f ? (Rgba){17, 17, 17, 255} : (Rgba){255, 255, 255, 255};
}
#define GAP 10.0f

void dashboard_view_init(DashboardView *v) {
    memset(v, 0, sizeof *v);
    v->cell_truth = v->cell_pred = -1;
    v->interactive = true;
    v->settings = train_config_default();
}

/* ==== layout =============================================================== */

// The predictions grid inside L->predictions: one or two columns of cells, each a
// picture with four text lines beside it (guess, truth, the next two), or three
// lines (the next two on one line) when the rows are low; and the area that lists
// a confusion cell's images (thumbnails of 40 px).
static void layout_predictions(DashboardLayout *L) {
    Rect pin = {L->predictions.x + 8, L->predictions.y + 34, L->predictions.w - 16, L->predictions.h - 40};
    int cols = pin.w >= 2 * 193 ? 2 : 1;
    int rows = TS_PRED_IMAGES / 2;
    float cw = pin.w / cols, ch = pin.h / rows;
    L->pred_lines = ch >= 66 ? 4 : 3;
    float img = floorf(fminf(fminf(cw * 0.22f, 56), fmaxf(ch - 6, 8)));  // >= 32 px: a CIFAR picture at least 1:1
    L->n_pred_cells = cols * rows;
    for (int i = 0; i < TS_PRED_IMAGES; i++)
        L->pred_cells[i] = i < L->n_pred_cells ? (Rect){pin.x + (i % cols) * cw, pin.y + (i / cols) * ch, img, img}
                                               : (Rect){0, 0, 0, 0};
    L->pred_text_w = cw - img - 10;  // 8 px after the picture, 2 before the next column
    L->cell_images = (Rect){pin.x, pin.y + 22, pin.w, pin.h - 22};
    L->cell_cols = (int)((L->cell_images.w + 4) / 44);
    L->cell_rows = (int)((L->cell_images.h + 4) / 44);
    if (L->cell_cols < 1) L->cell_cols = 1;
    if (L->cell_rows < 1) L->cell_rows = 1;
}

void dashboard_layout(DashboardLayout *L, float w, float h, const DashboardView *v) {
    bool interactive = v->interactive;
    memset(L, 0, sizeof *L);
    float top_h = 44, hints_h = interactive ? 56 : 0;
    L->top = (Rect){MARGIN, MARGIN, w - 2 * MARGIN, top_h};
    L->hints = (Rect){MARGIN, h - MARGIN - hints_h, w - 2 * MARGIN, hints_h};
    float y0 = MARGIN + top_h + GAP;
    float y1 = interactive ? L->hints.y - GAP : h - MARGIN;
    float body_h = y1 - y0;
    // Right: the test accuracy over the confusion matrix, as wide as the matrix needs for
    // its counts (dash_confusion_width); left: the loss (the hero) over the feature maps and
    // the predictions.
    float avail = w - 2 * MARGIN - GAP;
    float acc_h = fminf(fmaxf(floorf(body_h * 0.22f), 110), 150);
    float conf_h = body_h - acc_h - GAP;
    float right_w = fminf(dash_confusion_width(conf_h, v->lang), floorf(avail * 0.5f));
    float left_w = avail - right_w;
    float right_x = MARGIN + left_w + GAP;
    L->accuracy = (Rect){right_x, y0, right_w, acc_h};
    L->confusion = (Rect){right_x, y0 + acc_h + GAP, right_w, conf_h};
    float loss_h = floorf(body_h * (body_h >= 600 ? 0.47f : 0.45f));
    L->loss = (Rect){MARGIN, y0, left_w, loss_h};
    float by = y0 + loss_h + GAP, bh = y1 - by;
    // predictions: two columns of 193 px when they fit beside 270 px of maps, else one
    float pred_w = left_w - 2 * 193 - 16 - GAP >= 270 ? 2 * 193 + 16 : fminf(260, floorf(left_w * 0.45f));
    L->features = (Rect){MARGIN, by, left_w - pred_w - GAP, bh};
    L->predictions = (Rect){MARGIN + left_w - pred_w, by, pred_w, bh};

    dash_layout_confusion(L, false, v->lang);
    layout_predictions(L);
    if (v->zoom_confusion && !v->zoom_loss) {  // the confusion matrix alone, large, with counts
        Rect none = {0, 0, 0, 0};
        // the grid is as tall as the body; the per-class bars take the width left over
        float zw = fminf(w - 2 * MARGIN, dash_confusion_large_width(body_h, v->lang));
        L->confusion = (Rect){MARGIN, y0, zw, body_h};
        L->classes = zw + GAP + 200 < w - 2 * MARGIN ? (Rect){MARGIN + zw + GAP, y0, w - 2 * MARGIN - zw - GAP, body_h} : none;
        L->loss = L->accuracy = L->features = L->predictions = none;
        L->cell_images = none;
        L->n_pred_cells = 0;
        for (int i = 0; i < TS_PRED_IMAGES; i++) L->pred_cells[i] = none;
        dash_layout_confusion(L, true, v->lang);
    }
    if (v->zoom_loss) {  // the hero alone
        Rect none = {0, 0, 0, 0};
        L->loss = (Rect){MARGIN, y0, w - 2 * MARGIN, body_h};
        L->accuracy = L->classes = L->confusion = L->features = L->predictions = none;
        L->confusion_cells = L->cell_images = none;
        L->n_pred_cells = 0;
        for (int i = 0; i < TS_PRED_IMAGES; i++) L->pred_cells[i] = none;
    }
}

Rect dash_panel(Canvas *c, Rect r, const char *title, const char *subtitle) {
    const Theme *th = canvas_theme(c);
    dash_fill(c, r, th->panel);
    dash_outline(c, r, 1, th->panel_border);
    TextStyle ts = text_style(c, 19, th->title);
    ts.bold = true;
    float tw = draw_text(c, r.x + 10, r.y + 6, title, ts);
    if (subtitle && subtitle[0]) {  // only when it fits whole: a cut word misleads
        TextStyle ss = text_style(c, 14, th->text_muted);
        float sw;
        text_measure(c, subtitle, 14, false, &sw, NULL);
        if (r.x + 10 + tw + 10 + sw <= r.x + r.w - 8) draw_text(c, r.x + 10 + tw + 10, r.y + 11, subtitle, ss);
    }
    return (Rect){r.x + 8, r.y + 34, r.w - 16, r.h - 40};
}

/* ==== progress line ======================================================== */

static void fmt_duration(char *out, int n, double s) {
    if (s < 0) { snprintf(out, (size_t)n, "–"); return; }
    long t = (long)llround(s);
    if (t >= 3600) snprintf(out, (size_t)n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(out, (size_t)n, "%ld:%02ld", t / 60, t % 60);
}

static void draw_progress(Canvas *c, Rect r, const TrainSnapshot *s, const DashboardView *v, FILE *dump) {
    Lang lang = v->lang;
    const Theme *th = canvas_theme(c);
    dash_fill(c, r, th->panel);
    dash_outline(c, r, 1, th->panel_border);
    const char *const STATE[] = {dash_tr(lang, "READY", "就绪"), dash_tr(lang, "TRAINING", "训练中"), dash_tr(lang, "PAUSED", "已暂停"),
                                 dash_tr(lang, "FINISHED", "已完成"), dash_tr(lang, "ERROR", "错误")};
    static const char *const STATE_EN[] = {"READY", "TRAINING", "PAUSED", "FINISHED", "ERROR"};
    Rgba scol = s->state == TS_RUNNING ? th->output : s->state == TS_ERROR ? th->error
              : s->state == TS_FINISHED ? th->input : th->kernel;
    // a badge: filled shape + word, so the state never rests on colour alone
    float x = r.x + 10, cy = r.y + r.h / 2;
    if (s->state == TS_RUNNING) {
        float tri[6] = {x, cy - 9, x + 16, cy, x, cy + 9};
        draw_fill_triangle(c, tri, scol);
    } else if (s->state == TS_PAUSED) {
        dash_fill(c, (Rect){x, cy - 9, 5, 18}, scol);
        dash_fill(c, (Rect){x + 10, cy - 9, 5, 18}, scol);
    } else {
        dash_fill(c, (Rect){x, cy - 8, 16, 16}, scol);
    }
    TextStyle st = text_style(c, 21, scol);
    st.bold = true;
    st.vcenter = true;
    x += 24;
    float state_w = 0;  // the widest state word: the numbers after it stay put when the state changes
    for (int i = 0; i < 5; i++) {
        float w, h;
        text_measure(c, STATE[i], 21, true, &w, &h);
        state_w = fmaxf(state_w, w);
    }
    draw_text(c, x, cy, STATE[s->state], st);
    x += state_w + 18;

    char steps[32], total[32], ips[32], el[32], eta[32];
    dash_fmt_int(steps, sizeof steps, s->step);
    dash_fmt_int(total, sizeof total, s->total_steps);
    dash_fmt_int(ips, sizeof ips, (long)llround(s->images_per_sec));
    fmt_duration(el, sizeof el, s->elapsed_s);
    fmt_duration(eta, sizeof eta, s->eta_s);
    int epochs = s->config.epochs;
    // Each field sits in a slot as wide as its widest value ("step 25,000 / 25,000",
    // "00,000 img/s", "0:00:00"), so nothing moves as the numbers change.
    char f[5][96], widest[5][96];
    snprintf(f[0], sizeof f[0], dash_tr(lang, "epoch %d/%d", "第 %d/%d 轮"), s->epoch, epochs);
    snprintf(widest[0], sizeof widest[0], dash_tr(lang, "epoch %d/%d", "第 %d/%d 轮"), epochs, epochs);
    snprintf(f[1], sizeof f[1], dash_tr(lang, "step %s / %s", "第 %s / %s 步"), steps, total);
    snprintf(widest[1], sizeof widest[1], dash_tr(lang, "step %s / %s", "第 %s / %s 步"), total, total);
    snprintf(f[2], sizeof f[2], dash_tr(lang, "%s img/s", "%s 张/秒"), ips);
    snprintf(widest[2], sizeof widest[2], dash_tr(lang, "%s img/s", "%s 张/秒"), "00,000");
    snprintf(f[3], sizeof f[3], dash_tr(lang, "elapsed %s", "已用 %s"), el);
    snprintf(widest[3], sizeof widest[3], dash_tr(lang, "elapsed %s", "已用 %s"), s->elapsed_s >= 3600 ? "0:00:00" : "00:00");
    snprintf(f[4], sizeof f[4], dash_tr(lang, "ETA %s", "剩余 %s"), eta);
    snprintf(widest[4], sizeof widest[4], dash_tr(lang, "ETA %s", "剩余 %s"), s->eta_s >= 3600 ? "0:00:00" : "00:00");
    for (int i = 0; i < 5; i++)  // the widest value written with 0s: DejaVu's digits all have the width of 0
        for (char *p = widest[i]; *p; p++)
            if (*p >= '1' && *p <= '9') *p = '0';
    TextStyle ls = text_style(c, 20, th->text);
    ls.vcenter = true;
    for (int i = 0; i < 5; i++) {
        float w, h;
        text_measure(c, widest[i], 20, false, &w, &h);
        draw_text(c, x, cy, f[i], ls);
        x += w + (i < 4 ? 14 : 0);
        if (i < 4) x += draw_text(c, x, cy, "·", ls) + 14;
    }
    if (dump) fprintf(dump, "progress epoch=%d/%d step=%ld total=%ld state=%s\n", s->epoch, epochs, s->step,
                      s->total_steps, STATE_EN[s->state]);

    // progress bar on the right, with the percentage written on it
    float bw = 200, bh = 22;
    Rect bar = {r.x + r.w - bw - 12, cy - bh / 2, bw, bh};
    double frac = s->total_steps > 0 ? (double)s->step / (double)s->total_steps : 0;
    if (frac > 1) frac = 1;
    dash_fill(c, bar, th->bg);
    dash_fill(c, (Rect){bar.x, bar.y, bar.w * (float)frac, bar.h}, th->output);
    dash_outline(c, bar, 1.5f, th->text_muted);
    char pct[16];
    snprintf(pct, sizeof pct, "%.0f %%", 100 * frac);
    // Written inside the filled part once it is wide enough, else just after it,
    // so the text never straddles the fill's edge (half of it would vanish).
    bool inside = frac > 0.5;
    TextStyle ps = text_style(c, 16, inside ? dash_text_on(th->output) : th->text);
    ps.bold = true;
    ps.align = inside ? ALIGN_RIGHT : ALIGN_LEFT;
    ps.vcenter = true;
    float fill_end = bar.x + bar.w * (float)frac;
    draw_text(c, inside ? fill_end - 8 : fill_end + 8, cy, pct, ps);
    (void)v;
}

/* ==== accuracy and per-class bars ========================================== */

static void draw_accuracy(Canvas *c, Rect panel, const TrainSnapshot *s, FILE *dump, Lang lang) {
    const Theme *th = canvas_theme(c);
    Rect in = dash_panel(c, panel, dash_tr(lang, "Accuracy", "准确率"), NULL);
    float tx = in.x + 4, colw = 190;
    TextStyle lab = text_style(c, 15, th->text_muted);
    TextStyle big = text_style(c, 32, th->output);
    big.bold = true;
    char buf[64];
    if (s->has_eval) {
        snprintf(buf, sizeof buf, s->eval_epoch > 0 ? dash_tr(lang, "test, after epoch %d", "测试集，第 %d 轮后")
                                                    : dash_tr(lang, "test (loaded weights)", "测试集（载入的权重）"), s->eval_epoch);
        draw_text(c, tx, in.y - 4, buf, lab);
        snprintf(buf, sizeof buf, "%.2f %%", s->eval.accuracy);
        draw_text(c, tx, in.y + 14, buf, big);
        if (dump) fprintf(dump, "accuracy test=%.2f n=%d epoch=%d\n", s->eval.accuracy, s->eval.n, s->eval_epoch);
    } else {
        draw_text(c, tx, in.y - 4, dash_tr(lang, "test: after epoch 1", "测试集：第 1 轮后"), lab);
        TextStyle dim = big;
        dim.color = th->text_muted;
        draw_text(c, tx, in.y + 14, "– %", dim);
    }
    TextStyle mid = text_style(c, 22, th->text);
    mid.bold = true;
    float y2 = in.y + 58;
    if (s->running_train_acc >= 0) {
        snprintf(buf, sizeof buf, dash_tr(lang, "training, epoch %d so far", "训练集，第 %d 轮至今"), s->epoch);
        draw_text(c, tx, y2, buf, lab);
        snprintf(buf, sizeof buf, "%.1f %%", s->running_train_acc);
        draw_text(c, tx, y2 + 18, buf, mid);
        if (dump) fprintf(dump, "accuracy train_running=%.1f epoch=%d\n", s->running_train_acc, s->epoch);
    } else {
        draw_text(c, tx, y2, dash_tr(lang, "training: not started", "训练：尚未开始"), lab);
    }
    Rect chart = {in.x + colw, in.y - 6, in.w - colw, in.h + 6};
    dash_draw_accuracy_chart(c, chart, s, dump, lang);
}

static void draw_classes(Canvas *c, Rect panel, const TrainSnapshot *s, FILE *dump, Lang lang) {
    const Theme *th = canvas_theme(c);
    char sub[64];
    if (s->has_eval)
        snprintf(sub, sizeof sub, s->eval_epoch > 0 ? dash_tr(lang, "test set, after epoch %d", "测试集，第 %d 轮后") : dash_tr(lang, "test set", "测试集"),
                 s->eval_epoch);
    else snprintf(sub, sizeof sub, "%s", dash_tr(lang, "shown after the first epoch", "第一轮结束后显示"));
    Rect in = dash_panel(c, panel, dash_tr(lang, "Accuracy per class", "各类别准确率"), sub);
    float row_h = in.h / 10, fs = fminf(19, row_h * 0.72f), name_w = 0;
    for (int k = 0; k < CIFAR_CLASSES; k++) {  // room for the widest name ("automobile")
        float w;
        text_measure(c, dash_class_name(lang, k), fs, false, &w, NULL);
        name_w = fmaxf(name_w, w + 14);
    }
    Rect track_all = {in.x + name_w, in.y, in.w - name_w - 4, in.h};
    for (int k = 0; k < CIFAR_CLASSES; k++)
        dash_fill(c, (Rect){track_all.x, in.y + k * row_h + 2, track_all.w, row_h - 4}, th->bg);
    // chance level (a random guess gets 10 %), under the bars and their numbers
    float x10 = track_all.x + track_all.w * 0.1f;
    dash_dashed_vline(c, x10, in.y, in.y + in.h, 1.5f, 4, th->text_muted);
    for (int k = 0; k < CIFAR_CLASSES; k++) {
        float y = in.y + k * row_h, cy = y + row_h / 2;
        TextStyle ns = text_style(c, fs, th->text);
        ns.align = ALIGN_RIGHT;
        ns.vcenter = true;
        draw_text(c, in.x + name_w - 8, cy, dash_class_name(lang, k), ns);
        Rect track = {track_all.x, y + 2, track_all.w, row_h - 4};
        if (!s->has_eval) continue;
        double acc = s->eval.class_accuracy[k];
        float bw = track.w * (float)(acc / 100.0);
        dash_fill(c, (Rect){track.x, track.y, bw, track.h}, th->output);
        char buf[32];
        snprintf(buf, sizeof buf, "%.1f %%", acc);
        float tw, thh;
        text_measure(c, buf, fs, true, &tw, &thh);
        TextStyle vs = text_style(c, fs, dash_text_on(th->output));
        vs.bold = true;
        vs.vcenter = true;
        if (bw > tw + 12) {  // on the bar, right-aligned inside its end
            vs.align = ALIGN_RIGHT;
            draw_text(c, track.x + bw - 6, cy, buf, vs);
        } else {             // beside a short bar
            vs.color = th->text;
            draw_text(c, track.x + bw + 6, cy, buf, vs);
        }
        if (dump) fprintf(dump, "class %s %.1f\n", CIFAR_TUTORIAL_CLASSES[k], acc);
    }
}

/* ==== predictions / a confusion cell's images ============================= */

int dashboard_cell_images(const TrainSnapshot *s, const Cifar *cifar, int truth, int pred, int *idx, int max) {
    if (!s->has_eval || !cifar) return 0;
    int n = s->eval.n < cifar->test.n ? s->eval.n : cifar->test.n, count = 0;
    for (int i = 0; i < n; i++) {
        if (cifar->test.labels[i] != truth || s->test_pred[i] != pred) continue;
        if (count < max) idx[count] = i;
        count++;
    }
    return count;
}

// The next two guesses under a cell's first lines: one per line (4 lines) or
// both on one line (3 lines), at y.
static void draw_runner_ups(Canvas *c, const DashboardLayout *L, const Prediction *p, float x, float y, Lang lang) {
    const Theme *th = canvas_theme(c);
    TextStyle ms = text_style(c, 14, th->text_muted);
    char buf[96];
    if (L->pred_lines >= 4) {
        for (int k = 1; k <= 2; k++) {
            snprintf(buf, sizeof buf, "%s %.0f%%", dash_class_name(lang, p->top[k]), 100.0 * p->prob[k]);
            draw_text(c, x, y + (k - 1) * 16, buf, ms);
        }
    } else {
        snprintf(buf, sizeof buf, "%s %.0f · %s %.0f", dash_class_name(lang, p->top[1]), 100.0 * p->prob[1],
                 dash_class_name(lang, p->top[2]), 100.0 * p->prob[2]);
        draw_text(c, x, y, buf, ms);
    }
}

// The student's picture in the predictions grid: what the net says now (no truth to check against).
static void draw_picture_prediction(Canvas *c, const DashboardLayout *L, const TrainSnapshot *s, Rect ir, FILE *dump, Lang lang) {
    const Theme *th = canvas_theme(c);
    const Prediction *p = &s->picture_pred;
    uint8_t rgb[32 * 32 * 3];
    dash_planar_rgb(s->fmap_pixels, rgb);
    draw_image_rgb(c, ir, rgb, 32, 32);
    dash_outline(c, ir, 2.5f, th->input);
    float tx = ir.x + ir.w + 8, ty = ir.y - 2;
    canvas_push_clip(c, (Rect){tx, ir.y - 2, L->pred_text_w, fmaxf(ir.h, 16.0f * L->pred_lines) + 8});
    char buf[96];
    snprintf(buf, sizeof buf, "%s %.0f%%", dash_class_name(lang, p->top[0]), 100.0 * p->prob[0]);
    TextStyle ps = text_style(c, 15, th->input);
    ps.bold = true;
    draw_text(c, tx, ty, buf, ps);
    draw_text(c, tx, ty + 16, dash_tr(lang, "your picture", "你的图片"), text_style(c, 14, th->text));
    draw_runner_ups(c, L, p, tx, ty + 32, lang);
    canvas_pop_clip(c);
    if (dump)
        fprintf(dump, "pred picture top=%s:%.3f,%s:%.3f,%s:%.3f\n", CIFAR_TUTORIAL_CLASSES[p->top[0]], (double)p->prob[0],
                CIFAR_TUTORIAL_CLASSES[p->top[1]], (double)p->prob[1], CIFAR_TUTORIAL_CLASSES[p->top[2]], (double)p->prob[2]);
}

static void draw_predictions(Canvas *c, const DashboardLayout *L, const TrainSnapshot *s, FILE *dump, Lang lang) {
    const Theme *th = canvas_theme(c);
    dash_panel(c, L->predictions, dash_tr(lang, "Predictions", "预测"),
               s->has_picture ? dash_tr(lang, "guess, truth, next two; yours last", "预测、真实、其次两个；最后是你的图片")
                              : dash_tr(lang, "test pictures: guess, truth, next two", "测试图片：预测、真实、其次两个"));
    int shown = s->n_pred < L->n_pred_cells ? s->n_pred : L->n_pred_cells;
    for (int i = 0; i < shown; i++) {
        if (s->has_picture && i == shown - 1) { // the last cell: the student's picture
            draw_picture_prediction(c, L, s, L->pred_cells[i], dump, lang);
            continue;
        }
        const Prediction *p = &s->pred[i];
        Rect ir = L->pred_cells[i];
        uint8_t rgb[32 * 32 * 3];
        dash_planar_rgb(s->pred_pixels[i], rgb);
        draw_image_rgb(c, ir, rgb, 32, 32);
        bool ok = p->top[0] == p->truth;
        Rgba col = ok ? th->output : th->error;
        dash_outline(c, ir, 2.5f, col);
        float tx = ir.x + ir.w + 8, ty = ir.y - 2;
        Rect cellr = {tx, ir.y - 2, L->pred_text_w, fmaxf(ir.h, 16.0f * L->pred_lines) + 8};
        canvas_push_clip(c, cellr);
        char buf[96];
        // The tutorial's GroundTruth / Predicted lines, with a mark that is not colour alone.
        snprintf(buf, sizeof buf, "%s %s %.0f%%", ok ? "✓" : "✗", dash_class_name(lang, p->top[0]), 100.0 * p->prob[0]);
        float gw;
        text_measure(c, buf, 15, true, &gw, NULL);
        TextStyle ps = text_style(c, gw <= L->pred_text_w ? 15 : 14, col);  // "✗ automobile 29%" in a narrow cell
        ps.bold = true;
        draw_text(c, tx, ty, buf, ps);
        snprintf(buf, sizeof buf, dash_tr(lang, "truth: %s", "真实：%s"), dash_class_name(lang, p->truth));
        TextStyle ts = text_style(c, 14, th->text);
        draw_text(c, tx, ty + 16, buf, ts);
        draw_runner_ups(c, L, p, tx, ty + 32, lang);
        canvas_pop_clip(c);
        if (s->fmap_image == p->index) dash_outline(c, (Rect){ir.x - 3, ir.y - 3, ir.w + 6, ir.h + 6}, 1.5f, th->input);
        if (dump)
            fprintf(dump, "pred %d truth=%s top=%s:%.3f,%s:%.3f,%s:%.3f\n", p->index, CIFAR_TUTORIAL_CLASSES[p->truth],
                    CIFAR_TUTORIAL_CLASSES[p->top[0]], (double)p->prob[0], CIFAR_TUTORIAL_CLASSES[p->top[1]],
                    (double)p->prob[1], CIFAR_TUTORIAL_CLASSES[p->top[2]], (double)p->prob[2]);
    }
}

static void draw_cell_images(Canvas *c, const DashboardLayout *L, const TrainSnapshot *s, const DashboardView *v,
                             const Cifar *cifar) {
    Lang lang = v->lang;
    const Theme *th = canvas_theme(c);
    char title[96];
    snprintf(title, sizeof title, dash_tr(lang, "true %s, predicted %s", "真实 %s，预测 %s"), dash_class_name(lang, v->cell_truth),
             dash_class_name(lang, v->cell_pred));
    Rect in = dash_panel(c, L->predictions, title, NULL);
    int max = L->cell_cols * L->cell_rows;
    if (max <= 0) return; // a window shrunk to a few pixels has no room for images
    int *idx = cl_malloc(sizeof(int) * (size_t)(max * (v->cell_page + 1)));
    int total = dashboard_cell_images(s, cifar, v->cell_truth, v->cell_pred, idx, max * (v->cell_page + 1));
    int first = max * v->cell_page;
    char line[96];
    snprintf(line, sizeof line, dash_tr(lang, "%d pictures%s · click one: its maps · Esc closes",
                                        "%d 张图片%s · 点击一张看特征图 · Esc 关闭"), total,
             total > max ? " (PgDn/PgUp)" : "");
    TextStyle ls = text_style(c, 14, th->text_muted);
    canvas_push_clip(c, (Rect){in.x, in.y - 6, in.w, 22});
    draw_text(c, in.x, in.y - 4, line, ls);
    canvas_pop_clip(c);
    for (int k = first; k < total && k < first + max; k++) {
        int j = k - first;
        Rect r = {L->cell_images.x + (j % L->cell_cols) * 44, L->cell_images.y + (j / L->cell_cols) * 44, 40, 40};
        uint8_t rgb[32 * 32 * 3];
        dash_cifar_rgb(cifar, idx[k], rgb);
        draw_image_rgb(c, r, rgb, 32, 32);
        if (idx[k] == s->fmap_image) dash_outline(c, r, 2.5f, th->input);
    }
    free(idx);
}

/* ==== hints ================================================================ */

// with_status: a status line takes the right end of the first line (the net editor's note gives way).
static void draw_hints(Canvas *c, Rect r, const TrainSnapshot *s, const DashboardView *v, bool with_status) {
    Lang lang = v->lang;
    const Theme *th = canvas_theme(c);
    dash_fill(c, r, th->panel);
    dash_outline(c, r, 1, th->panel_border);
    TextStyle ks = text_style(c, 17, th->text);
    const char *open = v->autosave_offer ? dash_tr(lang, "O open autosave", "O 打开自动保存") : dash_tr(lang, "O open", "O 打开");
    char keys[400];
    snprintf(keys, sizeof keys,
             dash_tr(lang, "T %s   N one step   −/+ speed   R reset   S save   %s   F1 all keys   Esc quit",
                     "T %s   N 单步   −/+ 速度   R 重置   S 保存   %s   F1 全部按键   Esc 退出"),
             s->state == TS_RUNNING ? dash_tr(lang, "pause", "暂停") : dash_tr(lang, "train", "训练"), open);
    draw_text(c, r.x + 10, r.y + 5, keys, ks);
    if (v->net_edit[0] && !with_status) {
        TextStyle es = text_style(c, 16, v->settings_locked ? th->text_muted : th->kernel);
        es.align = ALIGN_RIGHT;
        draw_text(c, r.x + r.w - 10, r.y + 5, v->net_edit, es);
    }
    const TrainConfig *k = &v->settings;
    char line[320], mom[32];
    if (k->optim.kind == OPTIM_ADAM) snprintf(mom, sizeof mom, "%s", dash_tr(lang, "– (SGD only)", "–（仅 SGD）"));
    else snprintf(mom, sizeof mom, "%g", (double)k->optim.momentum);
    char model[64];
    train_config_model(model, sizeof model, k);
    snprintf(line, sizeof line,
             dash_tr(lang, "Tab net %s   L lr %g   M momentum %s   B batch %d   A %s   E epochs %d   D seed %llu   U relu-logits %s   K break %s%s",
                     "Tab 网络 %s   L 学习率 %g   M 动量 %s   B 批大小 %d   A %s   E 轮数 %d   D 种子 %llu   U relu-logits %s   K break %s%s"),
             model, (double)k->optim.lr, mom, k->batch_size, k->optim.kind == OPTIM_ADAM ? "Adam" : "SGD",
             k->epochs, (unsigned long long)k->seed, k->relu_logits ? dash_tr(lang, "on", "开") : dash_tr(lang, "off", "关"), k->tutorial_break ? dash_tr(lang, "on", "开") : dash_tr(lang, "off", "关"),
             v->settings_locked ? dash_tr(lang, "   (pause to change)", "   （暂停后可改）") : dash_tr(lang, "   (Shift: back)", "   （Shift：反向）"));
    TextStyle ss = text_style(c, 16, v->settings_locked ? th->text_muted : th->kernel);
    draw_text(c, r.x + 10, r.y + 29, line, ss);
}

// An error, prominent: a wrapped box over the top of the loss plot.
static void draw_error_box(Canvas *c, Rect loss, const char *msg) {
    const Theme *th = canvas_theme(c);
    char buf[1300];
    snprintf(buf, sizeof buf, "⚠ %s", msg);
    float w = loss.w - 140;
    TextStyle st = text_style(c, 17, th->error);
    st.bold = true;
    float h = draw_text_wrapped(c, 0, 0, w, buf, st, 1.2f, false);
    Rect box = {loss.x + 70, loss.y + 44, w + 20, h + 12};
    dash_fill(c, box, th->bg);
    dash_outline(c, box, 2.5f, th->error);
    draw_text_wrapped(c, box.x + 10, box.y + 6, w, buf, st, 1.2f, true);
}

// A status line ("saved ...", "evaluating ..."): right end of the hints bar
// (or of the progress line in a PNG, which has no hints bar).
static void draw_status(Canvas *c, Rect bar, const char *msg) {
    const Theme *th = canvas_theme(c);
    Rect clip = {bar.x + bar.w * 0.5f, bar.y + 2, bar.w * 0.5f - 8, 26};
    TextStyle st = text_style(c, 16, th->accent);
    st.bold = true;
    st.align = ALIGN_RIGHT;
    canvas_push_clip(c, clip);
    draw_text(c, clip.x + clip.w, bar.y + 5, msg, st);
    canvas_pop_clip(c);
}

/* ==== the whole dashboard ================================================== */

// While stopped, whether T continues the run or starts a new one: the staged
// settings (v->settings) against the run's. Returns 2 (a new run), 1 (paused:
// it continues) or 0 (running, no run: nothing to say).
static int settings_notice(char *out, int n, const TrainSnapshot *s, const DashboardView *v) {
    if (s->state == TS_RUNNING || s->n_runs <= 0) return 0;
    Lang lang = v->lang;
    if (!train_config_same_run(&v->settings, &s->config))
        snprintf(out, (size_t)n, dash_tr(lang, "settings changed: T starts run %d (run %d stays in the legend)",
                                         "设置已改：T 开始第 %d 次训练（第 %d 次留在图例中）"), s->n_runs + 1, s->n_runs);
    else if (s->state == TS_PAUSED)
        snprintf(out, (size_t)n, dash_tr(lang, "paused: T continues run %d", "已暂停：T 继续第 %d 次训练"), s->n_runs);
    else return 0;
    return train_config_same_run(&v->settings, &s->config) ? 1 : 2;
}

void dashboard_draw(Canvas *c, const TrainSnapshot *s, const DashboardView *v, const Cifar *cifar, FILE *dump) {
    Lang lang = v->lang;
    char buf_notice[256];
    DashboardLayout L;
    dashboard_layout(&L, canvas_width(c), canvas_height(c), v);
    draw_progress(c, L.top, s, v, dump);
    if (v->zoom_confusion && !v->zoom_loss) {
        dash_draw_confusion(c, &L, s, v, dump);
        if (L.classes.w > 0) draw_classes(c, L.classes, s, NULL, lang);  // the matrix dumps the classes' numbers
    } else dash_draw_loss(c, L.loss, s, v, dump);
    if (!v->zoom_loss && !v->zoom_confusion) {
        draw_accuracy(c, L.accuracy, s, dump, lang);
        dash_draw_confusion(c, &L, s, v, dump);
        if (s->speed > 0 || v->show_step) {  // narration: lesson 9's loop in place of the maps and the predictions
            Rect r = {L.features.x, L.features.y, L.predictions.x + L.predictions.w - L.features.x, L.features.h};
            dash_draw_step_panel(c, r, s, v, dump);
        } else {
            dash_draw_features(c, L.features, s, lang, dump);
            if (v->cell_truth >= 0 && v->cell_pred >= 0 && cifar) draw_cell_images(c, &L, s, v, cifar);
            else draw_predictions(c, &L, s, dump, lang);
        }
    }
    // the status line: an error box over the loss, or one line at the right of the hints
    const char *status = NULL;
    char buf_offer[700];
    if (v->status && v->status[0]) draw_error_box(c, L.loss, v->status);
    else if (s->message_error && s->message[0]) draw_error_box(c, L.loss, dash_message(s, lang));
    else if (v->interactive && settings_notice(buf_notice, sizeof buf_notice, s, v) == 2) status = buf_notice;
    else if (s->message[0] && v->interactive) status = dash_message(s, lang);
    else if (v->interactive && settings_notice(buf_notice, sizeof buf_notice, s, v) == 1) status = buf_notice;
    else if (v->autosave_offer && v->interactive) status = dash_autosave_offer_text(buf_offer, sizeof buf_offer, v);
    if (v->interactive) draw_hints(c, L.hints, s, v, status != NULL);
    if (status) draw_status(c, L.hints, status);
    if (v->show_help) dash_draw_help(c, v);
    if (v->confirm_quit) dash_draw_quit_confirm(c, s, v);
}

DashboardHit dashboard_hit(const Canvas *c, const TrainSnapshot *s, const DashboardView *v, float x, float y) {
    DashboardHit h = {HIT_NONE, -1, -1, -1};
    DashboardLayout L;
    dashboard_layout(&L, canvas_width(c), canvas_height(c), v);
    Rect g = L.confusion_cells;
    if (x >= g.x && y >= g.y && x < g.x + g.w && y < g.y + g.h) {
        h.kind = HIT_CONFUSION_CELL;
        h.truth = (int)((y - g.y) / (g.h / 10));
        h.pred = (int)((x - g.x) / (g.w / 10));
        return h;
    }
    if (s->speed > 0 || v->show_step) {  // the step panel covers the pictures
        if (x >= L.loss.x && y >= L.loss.y && x < L.loss.x + L.loss.w && y < L.loss.y + L.loss.h) h.kind = HIT_LOSS;
        return h;
    }
    if (v->cell_truth >= 0 && v->cell_pred >= 0) {
        Rect r = L.cell_images;
        if (x >= r.x && y >= r.y && x < r.x + L.cell_cols * 44 && y < r.y + L.cell_rows * 44) {
            int j = (int)((y - r.y) / 44) * L.cell_cols + (int)((x - r.x) / 44);
            h.kind = HIT_CELL_IMAGE;
            // the position in the cell's list; the caller maps it with dashboard_cell_images
            h.test_index = L.cell_cols * L.cell_rows * v->cell_page + j;
        }
        return h;
    }
    int shown = s->n_pred < L.n_pred_cells ? s->n_pred : L.n_pred_cells;
    for (int i = 0; i < shown; i++) {
        Rect r = L.pred_cells[i];
        if (s->has_picture && i == shown - 1) continue;  // the student's picture, not a test image
        if (x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h) {
            h.kind = HIT_PREDICTION;
            h.test_index = s->pred[i].index;
            return h;
        }
    }
    if (x >= L.loss.x && y >= L.loss.y && x < L.loss.x + L.loss.w && y < L.loss.y + L.loss.h) h.kind = HIT_LOSS;
    return h;
}

int dashboard_write_png(const char *png_path, const char *dump_path, const TrainSnapshot *s, const Cifar *cifar,
                        int w, int h, Lang lang, const char *theme_name, ClError *err) {
    if (draw_init_fonts(err) != 0) return -1;
    Theme theme;
    if (theme_load_named(&theme, theme_name ? theme_name : "light", err) != 0) return -1;
    Canvas *c = canvas_create_offscreen(w, h, &theme, err);
    if (!c) return -1;
    FILE *dump = NULL;
    if (dump_path && !(dump = fopen(dump_path, "w"))) {
        canvas_free(c);
        return cl_fail(err, "cannot write %s: check the directory exists and is writable", dump_path);
    }
    DashboardView v;
    dashboard_view_init(&v);
    v.interactive = false;
    v.settings = s->config;
    v.lang = lang;
    canvas_begin_frame(c);
    dashboard_draw(c, s, &v, cifar, dump);
    canvas_end_frame(c);
    int rc = canvas_save_png(c, png_path, err);
    if (dump && fclose(dump) != 0 && rc == 0) rc = cl_fail(err, "cannot finish writing %s (disk full?)", dump_path);
    canvas_free(c);
    return rc;
}
