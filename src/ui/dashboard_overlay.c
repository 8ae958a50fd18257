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
