/* View of the "tutorial_bugs" scene kind (lesson 10): the tutorial's code
 * with its three causes of 9 % marked as bug (red) or fixed (green) for the
 * step's configuration, the live measurements as accuracy bars (with the
 * 10 % chance line, mini-batches trained, the most predicted class), and,
 * if asked, the reference PyTorch measurements on the full data, labelled
 * as such. A run still training in the window shows "measuring…".
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson/scene_tutorial_bugs.h"
#include "ui/view.h"
#include "ui/view_netcommon.h"

static void run_label(ViewCtx *v, const BugRun *r, char *buf, size_t n) {
    bool zh = v->lang == LANG_ZH;
    snprintf(buf, n, "%s \xC2\xB7 %s \xC2\xB7 %d %s", r->tutorial_break ? "break" : (zh ? "无 break" : "no break"),
             r->relu_logits ? (zh ? "ReLU(logits)" : "ReLU(logits)") : (zh ? "原始 logits" : "plain logits"), r->epochs,
             zh ? "轮" : (r->epochs == 1 ? "epoch" : "epochs"));
}

static float draw_code(ViewCtx *v, const BugRun *cur, Rect r) {
    bool zh = v->lang == LANG_ZH;
    static char epoch_line[64];
    snprintf(epoch_line, sizeof epoch_line, "for epoch in range(%d):", cur->epochs);
    CodeLine code[] = {
        {"def forward(self, x):   # class CNNNet", 0, NULL},
        {"    ...", 0, NULL},
        {cur->relu_logits ? "    x = F.relu(self.fc2(x))" : "    x = self.fc2(x)", cur->relu_logits ? 2 : 3,
         cur->relu_logits ? (zh ? "✗ logits 上的 ReLU" : "✗ ReLU on the logits") : (zh ? "✓ 已去掉 ReLU" : "✓ ReLU removed")},
        {epoch_line, cur->epochs == 1 ? 2 : 3,
         cur->epochs == 1 ? (zh ? "✗ 只训练 1 轮" : "✗ a single epoch") : (zh ? "✓ 多训练几轮" : "✓ more epochs")},
        {"    for i, data in enumerate(trainloader, 0):", 0, NULL},
        {"        ...   # zero_grad, forward, loss, backward, step", 0, NULL},
        {cur->tutorial_break ? "        break" : "        # (no break)", cur->tutorial_break ? 2 : 3,
         cur->tutorial_break ? (zh ? "✗ 第一个小批量后就 break" : "✗ break after the first mini-batch") : (zh ? "✓ 已删除 break" : "✓ break removed")},
    };
    return netview_code(v, r, code, 7, 17);
}

// The bar chart's geometry, shared by the live rows, the chance line and the references.
typedef struct {
    float bar_x, bar_w;   // where 0 % starts and how wide 100 % is
    float bar_h, row;     // bar height and row pitch (smaller with the references below)
    float top;            // y of the first live row
    float text;           // run labels, notes and references: 18 px at 1280x800
} BarLayout;

// A section heading in the body font, bold.
static TextStyle heading_style(ViewCtx *v) {
    TextStyle hs = text_style(v->c, v->th->font_body * 0.9f, v->th->text);
    hs.bold = true;
    return hs;
}

// "Measured live: ..." with the data sizes and the key to the chance line; returns the y below.
static float draw_live_header(ViewCtx *v, const BugsExt *e, Rect a, float y) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    bool zh = v->lang == LANG_ZH;
    char buf[400], tn[32], sn[32];
    fmt_thousands(tn, sizeof tn, e->train_n);
    fmt_thousands(sn, sizeof sn, e->test_n);
    draw_text(c, a.x, y, zh ? "现场测量：由本引擎现在训练并评估" : "Measured live: trained and evaluated now by the engine", heading_style(v));
    y += th->font_body * 1.3f;
    snprintf(buf, sizeof buf, zh ? "前 %s 张训练图像，前 %s 张测试图像，seed 0" : "first %s training images, first %s test images, seed 0", tn, sn);
    TextStyle ns = text_style(c, th->font_body * 0.9f, th->text_muted); // 18 px: read from the back of the room
    draw_text(c, a.x, y, buf, ns);
    TextStyle cs = text_style(c, th->font_body * 0.9f, th->error);
    cs.align = ALIGN_RIGHT;
    cs.bold = true;
    const char *key = zh ? "红色虚线：随机猜 = 10 %" : "red dashes: chance, 10 %";
    float dw, kw, lh = th->font_body * 0.9f * 1.5f;
    text_measure(c, buf, ns.size, false, &dw, NULL);
    text_measure(c, key, cs.size, true, &kw, NULL);
    if (dw + kw + 16 > a.w) y += lh; // both do not fit on one line: the key goes under the data sizes
    draw_text(c, a.x + a.w, y, key, cs);
    return y + lh + 4;
}

// A finished run: its accuracy bar (the current run outlined), the value,
// and a note with the mini-batches trained and, when one class dominates
// (>= 30 %), which one: the symptom of the ReLU on the logits.
static void draw_done_bar(ViewCtx *v, const BugsExt *e, const BugRun *r, bool cur, const BarLayout *b, float y) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    bool zh = v->lang == LANG_ZH;
    char buf[400];
    Rect bar = {b->bar_x, y + 2, b->bar_w * (float)(r->accuracy / 100.0), b->bar_h};
    draw_fill_rect(c, bar, cur ? th->output : rgba_mix(th->output, th->bg, 0.35f));
    if (cur) draw_rect_outline(c, bar, 2, th->text);
    snprintf(buf, sizeof buf, "%.1f %%", r->accuracy);
    TextStyle vs = text_style(c, th->font_body * 0.9f, th->text);
    vs.bold = true;
    vs.vcenter = true;
    draw_text(c, bar.x + bar.w + 8, y + 2 + b->bar_h / 2, buf, vs);
    char mb[32];
    fmt_thousands(mb, sizeof mb, r->steps);
    int k = snprintf(buf, sizeof buf, "%s", cur && e->own_run ? (zh ? "你的选择 · " : "your choice · ") : "");
    k += snprintf(buf + k, sizeof buf - (size_t)k, zh ? "训练了 %s 个小批量" : r->steps == 1 ? "%s mini-batch trained" : "%s mini-batches trained", mb);
    if (r->top_share >= 30 && k < (int)sizeof buf) {
        if (zh) snprintf(buf + k, sizeof buf - (size_t)k, " · %.1f%% 的测试图像被预测为“%s”", r->top_share, netview_class(v, r->top_class));
        else snprintf(buf + k, sizeof buf - (size_t)k, " · %.1f%% of the test images → %s", r->top_share, netview_class(v, r->top_class));
    }
    TextStyle ss = text_style(c, b->text, th->text_muted);
    float nw;
    text_measure(c, buf, ss.size, false, &nw, NULL);
    float right = v->area.x + v->area.w, nx = b->bar_x;
    if (nx + nw > right) { // a long note: the label size, and moved left to stay inside the view
        ss.size = th->font_small;
        text_measure(c, buf, ss.size, false, &nw, NULL);
        nx = fmaxf(v->area.x + 4, fminf(nx, right - nw));
    }
    draw_text(c, nx, y + b->bar_h + 5, buf, ss);
}

// A run still measuring (or failed): a hatched track with its state; the
// state is a field of the run, never guessed from a message.
static void draw_pending_bar(ViewCtx *v, const BugsExt *e, const BugRun *r, Rect track, const BarLayout *b, float y) {
    const Theme *th = v->th;
    bool zh = v->lang == LANG_ZH;
    char buf[400];
    draw_hatch(v->c, track, 10, 1.5f, th->panel_border);
    if (r->state == MEASURE_FAILED) snprintf(buf, sizeof buf, "\xE2\x9A\xA0 %s", r->error);
    else snprintf(buf, sizeof buf, zh ? "正在测量… 已完成 %d/%d 轮" : "measuring… %d of %d epochs done", r->epochs_done, e->measured_epochs);
    TextStyle ms = text_style(v->c, b->text, r->state == MEASURE_FAILED ? th->error : th->accent);
    ms.vcenter = true;
    ms.bold = true;
    draw_text(v->c, b->bar_x + 8, y + 2 + b->bar_h / 2, buf, ms);
}

// One live run at y: its label (bold for the step's own run), track and bar.
static void draw_run_row(ViewCtx *v, const BugsExt *e, int i, const BarLayout *b, float x, float y) {
    const Theme *th = v->th;
    const BugRun *r = &e->runs[i];
    bool cur = i == e->n_runs - 1;
    char buf[400];
    run_label(v, r, buf, sizeof buf);
    TextStyle ls = text_style(v->c, b->text, th->text);
    ls.bold = cur;
    ls.vcenter = true;
    draw_text(v->c, x + 4, y + 2 + b->bar_h / 2, buf, ls);
    Rect track = {b->bar_x, y + 2, b->bar_w, b->bar_h};
    draw_fill_rect(v->c, track, rgba_mix(th->bg, th->panel_border, 0.35f));
    if (r->state == MEASURE_DONE) draw_done_bar(v, e, r, cur, b, y);
    else draw_pending_bar(v, e, r, track, b, y);
}

// PyTorch's numbers on the full data, hatched and labelled as not live.
static void draw_reference(ViewCtx *v, Rect a, const BarLayout *b, float y) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    bool zh = v->lang == LANG_ZH;
    char buf[64];
    draw_text(c, a.x, y, zh ? "参考测量（不是现场计算）" : "Reference measurements (not live)", heading_style(v));
    y += th->font_body * 1.3f;
    TextStyle rs = text_style(c, b->text, th->text_muted);
    draw_text(c, a.x, y, zh ? "PyTorch，全部 50,000 张训练图像，10,000 张测试图像" : "PyTorch, all 50,000 training and 10,000 test images", rs);
    y += b->text * 1.5f;
    static const struct { const char *en, *zh; double acc; bool approx; } REF[] = {
        {"break · ReLU(logits) · tutorial", "break · ReLU(logits) · 教程原样", 10.0, true},
        {"no break · plain logits · 2 epochs", "无 break · 原始 logits · 2 轮", 59.1, false},
        {"no break · plain logits · 10 epochs", "无 break · 原始 logits · 10 轮", 62.6, false},
        {"no break · ReLU(logits) · 10 epochs", "无 break · ReLU(logits) · 10 轮", 62.8, false},
    };
    float pitch = fmaxf(26, b->text * 1.45f);
    for (int i = 0; i < 4; i++, y += pitch) {
        TextStyle ls = text_style(c, b->text, th->text);
        ls.vcenter = true;
        draw_text(c, a.x + 4, y + 10, zh ? REF[i].zh : REF[i].en, ls);
        Rect bar = {b->bar_x, y + 2, b->bar_w * (float)(REF[i].acc / 100.0), 16};
        draw_fill_rect(c, bar, rgba_mix(th->input, th->bg, 0.25f));
        draw_hatch(c, bar, 8, 1, th->bg);
        snprintf(buf, sizeof buf, "%s%.1f %%", REF[i].approx ? "\xE2\x89\x88 " : "", REF[i].acc);
        draw_text(c, bar.x + bar.w + 8, y + 10, buf, ls);
    }
}

static void draw_bugs(ViewCtx *v, const Scene *sc) {
    const BugsExt *e = sc->ext;
    if (!e) return;
    Rect a = v->area;
    float y = a.y + draw_code(v, &e->runs[e->n_runs - 1], (Rect){a.x, a.y, a.w, 0}) + 14;
    y = draw_live_header(v, e, a, y);
    float label_w = 312;
    for (int i = 0; i < e->n_runs; i++) { // the widest run label (bold: the own run) and a gap
        char buf[400];
        float w;
        run_label(v, &e->runs[i], buf, sizeof buf);
        text_measure(v->c, buf, v->th->font_body * 0.9f, true, &w, NULL);
        label_w = fmaxf(label_w, w + 16);
    }
    BarLayout b = {a.x + label_w, a.w - label_w - 90, e->reference ? 22 : 30, e->reference ? 50 : 68, y,
                   v->th->font_body * 0.9f}; // 18 px at 1280x800 with or without the references
    // the note under a bar must clear the next bar in either script (CJK glyphs are taller)
    float note_h;
    text_measure(v->c, "\xE8\xAE\xAD Ag", b.text, false, NULL, &note_h);
    b.row = fmaxf(b.row, b.bar_h + 5 + note_h + 5);
    for (int i = 0; i < e->n_runs; i++, y += b.row) draw_run_row(v, e, i, &b, a.x, y);
    // chance: 10 classes (dashes across each bar only, so the notes under the bars stay readable)
    float cx = b.bar_x + b.bar_w * 0.10f;
    for (int i = 0; i < e->n_runs; i++)
        draw_dashed_line(v->c, cx, b.top - 2 + (float)i * b.row, cx, b.top + b.bar_h + 6 + (float)i * b.row, 2, 5, v->th->error);
    y += 6;
    if (e->reference) draw_reference(v, a, &b, y);
}

static const SceneView VIEW_TUTORIAL_BUGS = {"tutorial_bugs", draw_bugs, false};
SCENE_VIEW_REGISTER(VIEW_TUTORIAL_BUGS)
