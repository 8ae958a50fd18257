/* View of the "training_loop" scene kind (lesson 9): the tutorial's loop as
 * code with the current line highlighted, the 4 images of the mini-batch,
 * and the phase's numbers: logits (4 x 10), softmax with the true class
 * outlined and -log p, or one kernel slice's weights, gradients and change.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson/scene_training_loop.h"
#include "ui/view.h"
#include "ui/view_netcommon.h"

// The full CIFAR-10 class names, as lesson 8, the training screen and the confusion matrix write them.
static const char *const CLASS_EN[CIFAR_CLASSES] = {"airplane", "automobile", "bird", "cat", "deer",
                                                     "dog", "frog", "horse", "ship", "truck"};

static const char *short_class(ViewCtx *v, int k) { return ui_tr(v->lang, CLASS_EN[k]); }

// The 4 images in a row with "label" and "→ prediction" under each.
static void draw_batch(ViewCtx *v, const TrainLoopExt *e, Rect r, bool show_pred) {
    const Theme *th = v->th;
    float gap = 14, side = fminf((r.w - 3 * gap) / 4, r.h - th->font_small * 3.2f);
    side = floorf(side / 32) * 32 > 64 ? floorf(side / 32) * 32 : side;
    float x = r.x + (r.w - (4 * side + 3 * gap)) / 2;
    for (int i = 0; i < LOOP_BATCH; i++, x += side + gap) {
        Rect img = {x, r.y, side, side};
        draw_image_rgb(v->c, img, e->rgb[i], 32, 32);
        draw_rect_outline(v->c, img, 1.5f, th->panel_border);
        TextStyle st = text_style(v->c, th->font_small, th->text);
        st.align = ALIGN_CENTER;
        st.bold = true;
        draw_text(v->c, x + side / 2, r.y + side + 3, short_class(v, e->labels[i]), st);
        if (show_pred) {
            char buf[96];
            bool ok = e->pred[i] == e->labels[i];
            snprintf(buf, sizeof buf, "\xE2\x86\x92 %s %s", short_class(v, e->pred[i]), ok ? "\xE2\x9C\x93" : "\xE2\x9C\x97");
            st.bold = false;
            st.color = ok ? th->output : th->error;
            draw_text(v->c, x + side / 2, r.y + side + 3 + th->font_small * 1.3f, buf, st);
        }
    }
}

// A 4 x 10 table (logits or softmax in %) with class headers, thumbnails as
// row headers, and outlines on the true class (gold) or the argmax.
static void draw_table(ViewCtx *v, const TrainLoopExt *e, Rect r, const float *vals, int decimals, HeatMode heat,
                       bool mark_label, const char *title, bool nll_column) {
    const Theme *th = v->th;
    TextStyle ts = text_style(v->c, th->font_body * 0.9f, th->text);
    ts.bold = true;
    float y = r.y + draw_text_wrapped(v->c, r.x, r.y, r.w, title, ts, 1.2f, true) + 6;
    float head_w = 56, extra = nll_column ? 96 : 0;
    float bar_h = th->font_small * 1.3f + 16; // the colour bar under the table
    float cell = floorf(fminf((r.w - head_w - extra) / 10, fminf(64, (r.y + r.h - y - 30 - bar_h - th->font_small * 1.3f) / 4)));
    // a full class name wider than its column: the headers take two staggered rows
    bool stagger = false;
    for (int k = 0; k < 10; k++) {
        float w;
        text_measure(v->c, short_class(v, k), th->font_small, false, &w, NULL);
        stagger = stagger || w > cell - 4;
    }
    float gx = r.x + head_w, gy = y + th->font_small * (stagger ? 2.6f : 1.5f);
    TextStyle hs = text_style(v->c, th->font_small, th->text_muted);
    hs.align = ALIGN_CENTER;
    for (int k = 0; k < 10; k++)
        draw_text(v->c, gx + cell * ((float)k + 0.5f), y + (stagger && k % 2 ? th->font_small * 1.15f : 0), short_class(v, k), hs);
    GridSpec g = grid_spec(vals, LOOP_BATCH, NET_NUM_CLASSES, gx, gy, cell, th->output);
    g.heat = heat;
    float lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < 40; i++) lo = fminf(lo, vals[i]), hi = fmaxf(hi, vals[i]);
    g.lo = lo;
    g.hi = hi;
    g.decimals = decimals;
    g.font = cell >= 60 ? 15 : 0;
    widget_grid(v->c, &g);
    hitmap_add(v->hits, &g, HIT_OUTPUT, title, 0, 0);
    for (int i = 0; i < LOOP_BATCH; i++) {
        Rect cr = {r.x + 4, gy + cell * (float)i + 3, cell - 6, cell - 6};
        if (cr.w > head_w - 8) cr.w = cr.h = head_w - 8;
        draw_image_rgb(v->c, cr, e->rgb[i], 32, 32);
        int k = mark_label ? e->labels[i] : e->pred[i];
        Rect mc = grid_cell_rect(&g, i, k);
        draw_rect_outline(v->c, (Rect){mc.x - 1, mc.y - 1, mc.w + 2, mc.h + 2}, 3.5f, mark_label ? th->argmax_outline : th->text);
        if (nll_column) {
            char buf[64];
            snprintf(buf, sizeof buf, "%.3f", (double)e->nll[i]);
            TextStyle ns = text_style(v->c, th->font_body * 0.85f, th->output);
            ns.vcenter = true;
            ns.bold = true;
            draw_text(v->c, gx + cell * 10 + 14, gy + cell * ((float)i + 0.5f), buf, ns);
        }
    }
    if (nll_column) {
        TextStyle ns = text_style(v->c, th->font_small, th->text_muted);
        draw_text(v->c, gx + cell * 10 + 14, y, "\xE2\x88\x92log p", ns);
    }
    TextStyle ls = text_style(v->c, th->font_small, th->text_muted);
    draw_text(v->c, gx, gy + cell * 4 + 6,
              mark_label ? (v->lang == LANG_ZH ? "金框：正确类别（标签）" : "gold frame: the true class (the label)")
                         : (v->lang == LANG_ZH ? "粗框：最大的 logit（预测）" : "thick frame: the largest logit (the prediction)"), ls);
    // what the colours mean (a diverging map is symmetric about 0)
    float bw = fminf(cell * 4, 240), by = gy + cell * 4 + 10 + th->font_small * 1.3f;
    widget_colour_bar(v->c, (Rect){gx + cell * 10 - bw, by, bw, 10}, heat, lo, hi, decimals);
}

// One kernel slice as a grid of numbers (already scaled), the named cell outlined.
static void draw_slice(ViewCtx *v, const TrainLoopExt *e, const float *vals, float x, float y, float cell, const char *label,
                       Rgba strong, int decimals) {
    const Theme *th = v->th;
    GridSpec g = grid_spec(vals, e->slice_rows, e->slice_cols, x, y, cell, strong);
    g.heat = HEAT_DIVERGING;
    float m = 1e-9f;
    for (int i = 0; i < g.rows * g.cols; i++) m = fmaxf(m, fabsf(vals[i]));
    g.lo = -m;
    g.hi = m;
    g.decimals = decimals;
    g.font = cell >= 40 ? 14 : 0;
    widget_grid(v->c, &g);
    widget_label_above(v->c, grid_rect(&g), label, strong, th->font_small);
    Rect gr = grid_rect(&g);
    widget_colour_bar(v->c, (Rect){gr.x, gr.y + gr.h + 6, gr.w, 10}, HEAT_DIVERGING, -m, m, decimals);
    if (e->slice_at >= 0) {
        Rect cr = grid_cell_rect(&g, e->slice_at / g.cols, e->slice_at % g.cols);
        draw_rect_outline(v->c, cr, th->window_thick, th->kernel);
    }
    hitmap_add(v->hits, &g, HIT_OTHER, label, 0, 0);
}

static void draw_weights_phase(ViewCtx *v, const TrainLoopExt *e, Rect r) {
    const Theme *th = v->th;
    bool zh = v->lang == LANG_ZH;
    if (e->slice_rows == 0) return;
    float w[64], g[64], d[64];
    int n = e->slice_rows * e->slice_cols;
    for (int i = 0; i < n; i++) {
        w[i] = e->slice_w[i];
        g[i] = e->phase == PHASE_ZERO_GRAD ? 0 : e->slice_g[i] * 1e3f;
        d[i] = (e->slice_after[i] - e->slice_w[i]) * 1e6f;
    }
    int panels = e->phase == PHASE_STEP || e->phase == PHASE_ALL ? 3 : 2;
    float cell = floorf(fminf(58, fminf((r.w - (float)(panels - 1) * 50) / (float)(panels * e->slice_cols), (r.h - 150) / (float)e->slice_rows)));
    float gw = cell * (float)e->slice_cols, total = (float)panels * gw + (float)(panels - 1) * 50;
    float x = r.x + (r.w - total) / 2, y = r.y + 34;
    char name[160];
    snprintf(name, sizeof name, zh ? "权重 %s" : "weights %s", e->slice_name);
    draw_slice(v, e, w, x, y, cell, name, th->kernel, 2);
    draw_slice(v, e, g, x + gw + 50, y, cell, zh ? "梯度 (×10⁻³)" : "gradient (×10⁻³)", th->output, 1);
    if (panels == 3)
        draw_slice(v, e, d, x + 2 * (gw + 50), y, cell, zh ? "这一步的变化 (×10⁻⁶)" : "change by the step (×10⁻⁶)", th->input, 1);
    // the named weight in words
    char buf[700];
    float ty = y + cell * (float)e->slice_rows + 16 + 10 + th->font_small * 1.3f; // under the colour bars
    if (e->phase == PHASE_ZERO_GRAD)
        snprintf(buf, sizeof buf, zh ? "%s = %.6f，它的 .grad = 0：zero_grad() 清掉上一个小批量留下的梯度。"
                                     : "%s = %.6f and its .grad = 0: zero_grad() clears what the previous mini-batch left.",
                 e->param, (double)e->w_before);
    else if (e->phase == PHASE_BACKWARD) {
        char gs[32];
        scene_fmt(gs, sizeof gs, e->grad, 6); // a typographic minus, as everywhere on screen
        snprintf(buf, sizeof buf, zh ? "∂loss/∂%s = %s：把这个权重增大一点，loss 大约按这个斜率变化。"
                                     : "∂loss/∂%s = %s: nudging this weight up changes the loss at about this slope.",
                 e->param, gs);
    }
    else if (e->after == 0)
        snprintf(buf, sizeof buf, zh ? "%s：%.7f → %.7f。第一步还没有动量缓冲，所以 v = grad，变化 = −lr·grad。同一批图像的 loss：%.5f → %.5f"
                                     : "%s: %.7f → %.7f. The first step has no momentum buffer yet, so v = grad and the change is −lr·grad. Loss on the same batch: %.5f → %.5f",
                 e->param, (double)e->w_before, (double)e->w_after, (double)e->loss, (double)e->loss_after);
    else if (zh) {
        char prev[64]; // "上一个小批量", "前 3 个小批量"
        if (e->after == 1) snprintf(prev, sizeof prev, "上一个小批量");
        else snprintf(prev, sizeof prev, "前 %d 个小批量", e->after);
        snprintf(buf, sizeof buf, "%s：%.7f → %.7f。v 是动量缓冲：%s留下的 v_prev 乘以 %g 再加上这次的 grad（见下方公式栏），变化 = −lr·v。同一批图像的 loss：%.5f → %.5f",
                 e->param, (double)e->w_before, (double)e->w_after, prev, (double)e->momentum, (double)e->loss,
                 (double)e->loss_after);
    }
    else {
        char prev[64]; // "the previous mini-batch", "the 3 earlier mini-batches"
        if (e->after == 1) snprintf(prev, sizeof prev, "the previous mini-batch");
        else snprintf(prev, sizeof prev, "the %d earlier mini-batches", e->after);
        snprintf(buf, sizeof buf, "%s: %.7f → %.7f. v is the momentum buffer: the v_prev that %s left, times %g, plus this grad (formula bar); the change is −lr·v. Loss on the same batch: %.5f → %.5f",
                 e->param, (double)e->w_before, (double)e->w_after, prev, (double)e->momentum, (double)e->loss,
                 (double)e->loss_after);
    }
    TextStyle st = text_style(v->c, th->font_body * 0.9f, th->text);
    draw_text_wrapped(v->c, r.x + 8, ty, r.w - 16, buf, st, 1.3f, true);
}

static void draw_loop(ViewCtx *v, const Scene *sc) {
    const TrainLoopExt *e = sc->ext;
    if (!e) return;
    const Theme *th = v->th;
    Rect a = v->area;
    bool zh = v->lang == LANG_ZH;
    CodeLine code[] = {
        {"for i, (inputs, labels) in enumerate(trainloader):", 0, NULL},
        {"    optimizer.zero_grad()", e->phase == PHASE_ZERO_GRAD, "1"},
        {"    outputs = net(inputs)", e->phase == PHASE_FORWARD, "2"},
        {"    loss = criterion(outputs, labels)", e->phase == PHASE_LOSS, "3"},
        {"    loss.backward()", e->phase == PHASE_BACKWARD, "4"},
        {"    optimizer.step()", e->phase == PHASE_STEP, "5"},
    };
    if (e->phase == PHASE_ALL)
        for (int i = 1; i < 6; i++) code[i].mark = 1;
    float code_w = fminf(a.w * 0.56f, 470);
    float ch = netview_code(v, (Rect){a.x, a.y, code_w, 0}, code, 6, 17);
    // the mini-batch beside the code
    Rect br = {a.x + code_w + 16, a.y, a.w - code_w - 16, ch};
    draw_batch(v, e, br, e->phase != PHASE_ZERO_GRAD);
    char src[400];
    snprintf(src, sizeof src, e->from_train ? (zh ? "训练集 data_batch_1 的第 %d–%d 张图像" : "training images %d–%d of data_batch_1")
                                            : (zh ? "测试集的第 %d–%d 张图像（没有训练集文件）" : "test images %d–%d (no training file found)"),
             e->first, e->first + 3);
    char count[32], more[400];
    fmt_thousands(count, sizeof count, e->n_params);
    // the default net's file is cnnnet.net; the lessons call it by its class name
    const char *net_name = strcmp(e->net_name, "cnnnet") == 0 ? "CNNNet" : e->net_name;
    size_t k = strlen(src);
    k += (size_t)snprintf(src + k, sizeof src - k, zh ? " · 网络 %s（%s 个参数）" : " · net %s (%s parameters)", net_name, count);
    if (e->after > 0 && k < sizeof src)
        // a line of its own: it is the sentence a continuing step is about (and a
        // Chinese line may otherwise break inside 小批量)
        snprintf(src + k, sizeof src - k, zh ? "\n同一个优化器已训练了前 %d 个小批量" : "\nThe same optimizer trained %d mini-batch%s before this one.",
                 e->after, zh || e->after == 1 ? "" : "es");
    TextStyle ss = text_style(v->c, th->font_small, th->text_muted);
    float sy = a.y + ch + 6;
    sy += draw_text_wrapped(v->c, a.x + 4, sy, a.w - 8, src, ss, 1.2f, true);
    if (e->note[0]) {
        const char *bar = strchr(e->note, '|');
        snprintf(more, sizeof more, zh ? "这个网络没有 %.*s，改为跟踪它的第一个权重 %s。" : "This net has no %.*s: following its first weight, %s.",
                 (int)(bar - e->note), e->note, bar + 1);
        ss.color = th->error;
        sy += draw_text_wrapped(v->c, a.x + 4, sy, a.w - 8, more, ss, 1.2f, true);
    }
    Rect body = {a.x, sy + 6, a.w, a.y + a.h - (sy + 6)};
    char title[200];
    float pct[40];
    switch (e->phase) {
    case PHASE_FORWARD:
        snprintf(title, sizeof title, zh ? "outputs：每张图像 10 个 logits（未训练的网络：都接近 0）" : "outputs: 10 logits per image (an untrained net: all near 0)");
        draw_table(v, e, body, e->logits, 3, HEAT_DIVERGING, false, title, false);
        break;
    case PHASE_LOSS:
        for (int i = 0; i < 40; i++) pct[i] = e->probs[i] * 100;
        snprintf(title, sizeof title, zh ? "softmax（%%）：每行加起来是 100 %%；loss 取正确类别的 −log p" : "softmax (%%): each row sums to 100 %%; the loss takes −log p of the true class");
        draw_table(v, e, body, pct, 1, HEAT_VIRIDIS, true, title, true);
        break;
    default:
        draw_weights_phase(v, e, body);
        break;
    }
}

static const SceneView VIEW_TRAINING_LOOP = {"training_loop", draw_loop, false};
SCENE_VIEW_REGISTER(VIEW_TRAINING_LOOP)
