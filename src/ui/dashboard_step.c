/* The step panel: lesson 9's five lines of the training loop with the
 * numbers of the last mini-batch the engine ran (its loss, the gradient of
 * one watched weight, the momentum buffer and the update), for narration in
 * slow motion (- / +) or one mini-batch at a time (N). It takes the place of
 * the confusion matrix and the feature maps while shown. Reads the snapshot only.
 */
#include "ui/dashboard_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

// "3 mini-batches/s" or "full speed".
void dash_fmt_speed(char *out, int n, double speed, Lang lang) {
    if (speed <= 0) snprintf(out, (size_t)n, "%s", dash_tr(lang, "full speed", "全速"));
    else snprintf(out, (size_t)n, dash_tr(lang, "%g mini-batches/s", "每秒 %g 个小批量"), speed);
}

// A number for the big screen: %.*g, with a real minus sign (U+2212), in
// parentheses when negative so "0.9·(−0.0015)" reads as a product.
static void fmt_num(char *out, int n, const char *fmt, double v, bool paren) {
    char raw[40];
    snprintf(raw, sizeof raw, fmt, fabs(v));
    if (v < 0) snprintf(out, (size_t)n, paren ? "(−%s)" : "−%s", raw);
    else snprintf(out, (size_t)n, "%s", raw);
}

// Written with `digits` (decimals if fixed, else significant digits).
static double written(double v, bool fixed, int digits) {
    char buf[64];
    snprintf(buf, sizeof buf, fixed ? "%.*f" : "%.*g", digits, v);
    return strtod(buf, NULL);
}

// The precision, of those in `tries` (best first), at which a = b + k*c holds
// for the numbers as written: the float32 engine rounds every operation (by up
// to half a unit in the 8th significant digit), so at some precisions the
// written operands would give a last digit other than the written result's
// (lesson 9 once showed 0.023386 − 0.001·(−0.006256) = 0.0233919, which is
// 0.0233923); fewer digits absorb the rounding.
static int reproducing_digits(double a, double b, double k, double c, bool fixed, const int *tries, int n) {
    for (int i = 0; i < n; i++) {
        int d = tries[i];
        int od = d + (fixed ? 2 : 1);  // operands carry more digits than the result
        if (written(written(b, fixed, od) + k * written(c, fixed, od), fixed, d) == written(a, fixed, d)) return d;
    }
    return tries[n - 1];
}

// The update lines of optimizer.step(): SGD's two equations with numbers
// that reproduce, or Adam's before and after.
void dash_fmt_update(char out[2][200], const StepDetail *d, Lang lang) {
    const OptimizerConfig *o = &d->optim;
    double mu = o->momentum, lr = o->lr;
    // v: the momentum buffer (the first step copies the gradient); w: the weight
    static const int V_TRIES[] = {5, 4, 6, 3}, W_TRIES[] = {8, 7, 6, 5};
    int vd = d->first || mu == 0 ? 5 : reproducing_digits(d->v_after, d->grad, mu, d->v_before, false, V_TRIES, 4);
    double v_used = mu == 0 ? d->grad : d->v_after;
    double v_written = written(v_used, false, vd);  // the w line uses v as written on the v line
    int wd = W_TRIES[3];
    for (int i = 0; i < 4; i++)
        if (written(written(d->w_before, true, W_TRIES[i] + 2) - lr * v_written, true, W_TRIES[i]) ==
            written(d->w_after, true, W_TRIES[i])) {
            wd = W_TRIES[i];
            break;
        }
    char w0[48], w1[48], v0[48], v1[48], g[48], fmt[16];
    snprintf(fmt, sizeof fmt, "%%.%df", wd + 2);
    fmt_num(w0, sizeof w0, fmt, d->w_before, false);
    snprintf(fmt, sizeof fmt, "%%.%df", wd);
    fmt_num(w1, sizeof w1, fmt, d->w_after, false);
    snprintf(fmt, sizeof fmt, "%%.%dg", vd + (d->first || mu == 0 ? 0 : 1));
    fmt_num(v0, sizeof v0, fmt, d->v_before, true);
    fmt_num(g, sizeof g, fmt, d->grad, true);
    snprintf(fmt, sizeof fmt, "%%.%dg", vd);
    fmt_num(v1, sizeof v1, fmt, v_used, true);
    if (o->kind == OPTIM_ADAM) {
        snprintf(out[0], 200, "%s", dash_tr(lang, "Adam: w ← w − lr·m̂ / (√v̂ + ε)", "Adam：w ← w − lr·m̂ / (√v̂ + ε)"));
        snprintf(out[1], 200, "w: %s → %s", w0, w1);
    } else if (mu != 0) {
        if (d->first) snprintf(out[0], 200, dash_tr(lang, "v ← grad = %s  (the first step)", "v ← grad = %s（第一步）"), g);
        else snprintf(out[0], 200, "v ← %g·v + grad = %g·%s + %s = %s", mu, mu, v0, g, v1);
        snprintf(out[1], 200, "w ← w − lr·v = %s − %g·%s = %s", w0, lr, v1, w1);
    } else {
        out[0][0] = 0;
        snprintf(out[1], 200, "w ← w − lr·grad = %s − %g·%s = %s", w0, lr, g, w1);
    }
}

void dash_draw_step_panel(Canvas *c, Rect r, const TrainSnapshot *s, const DashboardView *v, FILE *dump) {
    Lang lang = v->lang;
    const Theme *th = canvas_theme(c);
    const StepDetail *d = &s->last_step;
    char sub[160], speed[64];
    dash_fmt_speed(speed, sizeof speed, s->speed, lang);
    if (d->valid) {
        char step[32];
        dash_fmt_int(step, sizeof step, d->step);
        snprintf(sub, sizeof sub, dash_tr(lang, "step %s · %d images, %d right · %s", "第 %s 步 · %d 张图片，对 %d 张 · %s"),
                 step, d->n, d->correct, speed);
    } else {
        snprintf(sub, sizeof sub, "%s", speed);
    }
    Rect in = dash_panel(c, r, dash_tr(lang, "One mini-batch, as in lesson 9", "一个小批量，和第 9 课一样"), sub);
    if (!d->valid) {
        TextStyle ws = text_style(c, 20, th->text_muted);
        draw_text(c, in.x + 10, in.y + 10, dash_tr(lang, "no mini-batch yet: N runs one, T trains", "还没有小批量：N 运行一个，T 开始训练"), ws);
        return;
    }
    char lines[5][200], upd[2][200];
    dash_fmt_update(upd, d, lang);
    snprintf(lines[0], sizeof lines[0], "%s.grad = 0", d->param);
    snprintf(lines[1], sizeof lines[1], dash_tr(lang, "%d × 10 logits", "%d × 10 个 logits"), d->n);
    snprintf(lines[2], sizeof lines[2], "loss = %.4f", (double)d->loss);
    char g[48];
    fmt_num(g, sizeof g, "%.5g", d->grad, false);
    snprintf(lines[3], sizeof lines[3], "∂loss/∂w = %s", g);
    snprintf(lines[4], sizeof lines[4], "%s", dash_tr(lang, "updates w:", "更新 w："));
    static const char *const CODE[5] = {"optimizer.zero_grad()", "outputs = net(inputs)", "loss = criterion(outputs, labels)",
                                        "loss.backward()", "optimizer.step()"};
    // the largest font (up to 19 px) at which code and numbers fit side by side,
    // and the update's two equations, indented, on the full width under them
    float code_w = 0, num_w = 0, upd_w = 0, w, h;
    for (int i = 0; i < 5; i++) {
        text_measure(c, CODE[i], 19, true, &w, &h), code_w = fmaxf(code_w, w);
        text_measure(c, lines[i], 19, false, &w, &h), num_w = fmaxf(num_w, w);
    }
    for (int i = 0; i < 2; i++) text_measure(c, upd[i], 19, false, &w, &h), upd_w = fmaxf(upd_w, w);
    float fit = fminf((in.w - 44) / (code_w + num_w), (in.w - 60) / upd_w);
    float fs = fmaxf(6, fminf(19, fminf(in.h / 8.6f, 19 * fit))), row = fs * 1.4f;  // a tiny window: small, never < 0
    float cx = in.x + 10, nx = cx + code_w * fs / 19 + 24;
    TextStyle cs = text_style(c, fs, th->kernel);
    cs.bold = true;
    TextStyle ns = text_style(c, fs, th->text);
    canvas_push_clip(c, in);
    float y = in.y + 4;
    for (int i = 0; i < 5; i++, y += row) {
        draw_text(c, cx, y, CODE[i], cs);
        draw_text(c, nx, y, lines[i], ns);
    }
    for (int i = 0; i < 2; i++)
        if (upd[i][0]) draw_text(c, cx + 40, y, upd[i], ns), y += row;
    TextStyle ms = text_style(c, fminf(16, fs), th->text_muted);
    snprintf(lines[0], sizeof lines[0], dash_tr(lang, "w = %s, the first weight of conv1's first filter",
                                                "w = %s，conv1 第一个卷积核的第一个权重"), d->param);
    draw_text(c, cx, y + 4, lines[0], ms);
    canvas_pop_clip(c);
    if (dump)
        fprintf(dump, "step %ld loss=%.6f grad=%.9g w_before=%.9g v_before=%.9g v_after=%.9g w_after=%.9g\n", d->step,
                (double)d->loss, (double)d->grad, (double)d->w_before, (double)d->v_before, (double)d->v_after,
                (double)d->w_after);
}
