/* The live-parameter bar (ui/adjust_bar.h): key caps with the parameter's
 * name and current value; a value the student changed is drawn in the
 * accent colour with an outline (not colour alone), and the last chip says
 * how to go back down (Shift) and back to the lesson's values (R).
 */
#include "ui/adjust_bar.h"

#include <math.h>
#include <stdio.h>

float adjust_bar_height(const Canvas *c, const Lesson *l, const LessonStep *st) {
    AdjustParam ps[ADJUST_MAX];
    if (adjust_params(l, st, ps, NULL) <= 0) return 0;
    return canvas_theme(c)->font_body * 2.4f;
}

void adjust_bar_draw(Canvas *c, Rect r, Lang lang, const Lesson *l, const LessonStep *st, const SceneOverrides *ov) {
    const Theme *th = canvas_theme(c);
    AdjustParam ps[ADJUST_MAX];
    int n = adjust_params(l, st, ps, NULL);
    if (n <= 0) return;
    float size = th->font_body, cy = r.y + r.h / 2, gap = 14;
    char name[64], val[32];
    const char *hint = lang == LANG_ZH ? "Shift+键：减小 · R：恢复" : "Shift+key: down · R: reset";
    // measure, and shrink the font until the chips fit the width
    for (int pass = 0; pass < 4; pass++) {
        float w = 0, tw, th_;
        for (int i = 0; i < n; i++) {
            snprintf(name, sizeof name, "%s", ps[i].key);
            int v = adjust_value(st, ov, &ps[i]);
            snprintf(val, sizeof val, "%s", ps[i].is_bool ? (v ? "True" : "False") : "");
            if (!ps[i].is_bool) snprintf(val, sizeof val, "%d", v);
            text_measure(c, name, size, false, &tw, &th_);
            w += tw;
            text_measure(c, val, size, true, &tw, &th_);
            w += tw + size * 1.6f + 26 + gap;
        }
        text_measure(c, hint, size * 0.85f, false, &tw, &th_);
        w += tw;
        if (w <= r.w || size <= 13) break;
        size *= 0.88f;
    }
    draw_fill_round_rect(c, r, 8, th->panel);
    float x = r.x + 10;
    for (int i = 0; i < n; i++) {
        int v = adjust_value(st, ov, &ps[i]);
        bool changed = adjust_changed(st, ov, &ps[i]);
        // key cap
        char cap[4] = {(char)(ps[i].letter - 'a' + 'A'), 0};
        float cw, ch;
        text_measure(c, cap, size, true, &cw, &ch);
        Rect kc = {x, cy - size * 0.8f, fmaxf(cw + 12, size * 1.6f), size * 1.6f};
        draw_fill_round_rect(c, kc, 5, th->kernel);
        TextStyle ks = text_style(c, size, th->bg);
        ks.bold = true;
        ks.align = ALIGN_CENTER;
        ks.vcenter = true;
        draw_text(c, kc.x + kc.w / 2, cy, cap, ks);
        x += kc.w + 6;
        TextStyle ns = text_style(c, size, th->text_muted);
        ns.vcenter = true;
        x += draw_text(c, x, cy, ps[i].key, ns) + 6;
        snprintf(val, sizeof val, "%s", ps[i].is_bool ? (v ? "True" : "False") : "");
        if (!ps[i].is_bool) snprintf(val, sizeof val, "%d", v);
        TextStyle vs = text_style(c, size, changed ? th->accent : th->text);
        vs.bold = true;
        vs.vcenter = true;
        float vw = draw_text(c, x, cy, val, vs);
        if (changed) draw_line(c, x, cy + size * 0.62f, x + vw, cy + size * 0.62f, 2, th->accent); // not colour alone
        x += vw + gap + 8;
    }
    TextStyle hs = text_style(c, size * 0.85f, th->text_muted);
    hs.vcenter = true;
    hs.align = ALIGN_RIGHT;
    draw_text(c, r.x + r.w - 10, cy, hint, hs);
}
