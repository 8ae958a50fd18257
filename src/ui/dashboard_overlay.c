/* The training screen's overlays, drawn over the dashboard from the view and
 * the snapshot only: the quit question (Esc during a run) and the autosave
 * offer. Called from dashboard.c.
 */
#include "ui/dashboard_internal.h"

#include <stdio.h>
#include <string.h>

// A centred box with a bold first line and wrapped lines under it.
static void draw_centered_box(Canvas *c, float w, const char *title, const char *body, Rgba frame) {
    const Theme *th = canvas_theme(c);
    float W = canvas_width(c), H = canvas_height(c);
    TextStyle ts = text_style(c, 26, th->title);
    ts.bold = true;
    TextStyle bs = text_style(c, 20, th->text);
    float bh = draw_text_wrapped(c, 0, 0, w - 48, body, bs, 1.3f, false);
    Rect box = {(W - w) / 2, (H - bh - 90) / 2, w, bh + 90};
    dash_fill(c, box, th->panel);
    dash_outline(c, box, 3, frame);
    draw_text(c, box.x + 24, box.y + 18, title, ts);
    draw_text_wrapped(c, box.x + 24, box.y + 62, w - 48, body, bs, 1.3f, true);
}

void dash_draw_quit_confirm(Canvas *c, const TrainSnapshot *s, const DashboardView *v) {
    Lang lang = v->lang;
    char steps[32], body[900];
    dash_fmt_int(steps, sizeof steps, s->step);
    snprintf(body, sizeof body,
             dash_tr(lang, "The run (%s mini-batches) is saved to %s before the program ends; O loads it next time.\n"
                           "Esc or Q: save and quit  ·  any other key: stay",
                     "本次训练（%s 个小批量）会在退出前保存到 %s；下次按 O 载入。\n"
                     "Esc 或 Q：保存并退出  ·  其他任意键：留下"),
             steps, v->autosave_path ? v->autosave_path : "convlab-autosave.safetensors");
    draw_centered_box(c, fminf(760, canvas_width(c) - 40), dash_tr(lang, "Quit?", "退出？"), body,
                      canvas_theme(c)->accent);
}

const char *dash_autosave_offer_text(char *out, int n, const DashboardView *v) {
    snprintf(out, (size_t)n, dash_tr(v->lang, "an earlier run was saved on quit: O loads %s", "上次退出时保存了训练：按 O 载入 %s"),
             v->autosave_offer);
    return out;
}

/* ==== F1 / ?: the training screen's keys ==================================== */

// Every key of the training screen: the key (en, zh; NULL = the same) and what
// it does (en, zh). Keep in step with train_screen.c's handle_key.
static const char *const TRAIN_KEYS[][4] = {
    {"T", NULL, "start / pause training", "开始 / 暂停训练"},
    {"N", NULL, "one mini-batch, then pause: lesson 9's five lines with its numbers", "一个小批量后暂停：第 9 课的五行代码和它的数值"},
    {"−  /  +", NULL, "slower / faster: full speed down to 1 mini-batch a second", "慢一些 / 快一些：从全速到每秒 1 个小批量"},
    {"R", NULL, "reset: new weights from the seed", "重置：用种子重新初始化权重"},
    {"S", NULL, "save a checkpoint", "保存检查点"},
    {"O", NULL, "open a checkpoint (the autosave first, if there is one)", "打开检查点（有自动保存时先打开它）"},
    {"G", NULL, "loss axis: linear / log", "损失坐标：线性 / 对数"},
    {"X", NULL, "loss x axis: epochs / images trained", "损失横轴：轮 / 已训练图片数"},
    {"Z", NULL, "the loss curve alone, full size", "只显示损失曲线（放大）"},
    {"C", NULL, "the confusion matrix alone, large", "只显示混淆矩阵（放大）"},
    {"L  M  B  A", NULL, "lr, momentum, batch size, SGD / Adam (while stopped)", "学习率、动量、批大小、SGD / Adam（停止时）"},
    {"E  D  U  K", NULL, "epochs, seed, ReLU on the logits, the tutorial's break", "轮数、种子、logits 上的 ReLU、教程的 break"},
    {"Tab  W  [ ]  , .", NULL, "the net, a hidden layer, its width, a Conv2d's kernel (while stopped)",
     "网络、隐藏层、它的宽度、Conv2d 的卷积核（停止时）"},
    {"Shift + letter", "Shift + 字母", "the setting goes back one step", "设置往回调一档"},
    {"click a cell", "点击格子", "confusion matrix: its test pictures (PgUp / PgDn)", "混淆矩阵格子：它的测试图片（PgUp / PgDn）"},
    {"click a picture", "点击图片", "its feature maps in “Inside the network”", "在“网络内部”显示它的特征图"},
    {"Backspace", NULL, "back to the lessons", "回到课程"},
    {"F / F11", NULL, "fullscreen", "全屏"},
    {"F12", NULL, "save a screenshot (PNG)", "保存截图（PNG）"},
    {"F1 / ?", NULL, "this help (Esc closes it)", "本帮助（Esc 关闭）"},
    {"Esc / Q", NULL, "quit; a run is saved first (Esc asks)", "退出；先保存训练（Esc 会先询问）"},
};

void dash_draw_help(Canvas *c, const DashboardView *v) {
    const Theme *th = canvas_theme(c);
    Lang lang = v->lang;
    float W = canvas_width(c), H = canvas_height(c);
    Rgba shade = th->bg;
    shade.a = 215;
    draw_fill_rect(c, (Rect){0, 0, W, H}, shade);
    int n = (int)(sizeof TRAIN_KEYS / sizeof TRAIN_KEYS[0]);
    float fs = 19, row = fs * 1.7f, bw = fminf(W - 60, 1000), bh = row * (float)n + 96;
    if (bh > H - 20) row = (H - 20 - 96) / (float)n, bh = H - 20;
    Rect box = {(W - bw) / 2, fmaxf(10, (H - bh) / 2), bw, bh};
    dash_fill(c, box, th->panel);
    dash_outline(c, box, 2.5f, th->accent);
    TextStyle ts = text_style(c, 26, th->title);
    ts.bold = true;
    draw_text(c, box.x + 28, box.y + 18, dash_tr(lang, "Training screen: keys", "训练界面：按键"), ts);
    TextStyle ks = text_style(c, fs, th->kernel);
    ks.bold = true;
    TextStyle ds = text_style(c, fs, th->text);
    float y = box.y + 72, kx = box.x + 28, dx = box.x + 28 + fminf(230, bw * 0.28f);
    for (int i = 0; i < n; i++, y += row) {
        const char *key = lang == LANG_ZH && TRAIN_KEYS[i][1] ? TRAIN_KEYS[i][1] : TRAIN_KEYS[i][0];
        draw_text(c, kx, y, key, ks);
        draw_text(c, dx, y, TRAIN_KEYS[i][lang == LANG_ZH ? 3 : 2], ds);
    }
}
