/* The live-parameter bar (ui/adjust_bar.h): key caps with the parameter's
 * name and current value; a value the student changed is drawn in the
 * accent colour and underlined (not colour alone). Chips that do not fit
 * one row wrap to a second (text stays >= 15 px for the projector); the
 * hint "Shift: down · R: reset" is shown when there is room (it is also in
 * the help overlay). Chips are also buttons: the player clicks them.
 */
#include "ui/adjust_bar.h"

#include <math.h>
#include <stdio.h>

#define BAR_PAD 10.0f
#define CHIP_GAP 18.0f

static void value_text(const AdjustParam *p, int v, char *buf, size_t n) {
    if (p->is_bool) snprintf(buf, n, "%s", v ? "True" : "False");
    else snprintf(buf, n, "%d", v);
}

// Width of chip i at font size `size`.
static float chip_width(Canvas *c, const AdjustParam *p, int v, float size) {
    char val[32];
    float w1, w2, h;
    value_text(p, v, val, sizeof val);
    text_measure(c, p->key, size, false, &w1, &h);
    text_measure(c, val, size, true, &w2, &h);
    return size * 1.6f + 5 + w1 + 6 + w2;
}

// Rows needed for the chips in `width` at `size` (greedy wrapping).
static int rows_needed(Canvas *c, const AdjustParam *ps, int n, const LessonStep *st, const SceneOverrides *ov,
                       float size, float width) {
    int rows = 1;
    float x = BAR_PAD;
    for (int i = 0; i < n; i++) {
        float w = chip_width(c, &ps[i], adjust_value(st, ov, &ps[i]), size);
        if (x > BAR_PAD && x + w > width - BAR_PAD) { rows++; x = BAR_PAD; }
        x += w + CHIP_GAP;
    }
    return rows;
}

static float font_size(const Canvas *c) { return canvas_theme(c)->font_body * 0.9f; }

float adjust_bar_height(const Canvas *c, const Lesson *l, const LessonStep *st) {
    AdjustParam ps[ADJUST_MAX];
    int n = adjust_params(l, st, ps, NULL);
    if (n <= 0) return 0;
    // the player's view area is ~62% of the width; a worst-case value width keeps the height stable
    float size = font_size(c), width = canvas_width(c) * 0.62f;
    int rows = rows_needed((Canvas *)c, ps, n, st, NULL, size, width);
    return size * 2.5f * (float)rows;
}

int adjust_bar_draw(Canvas *c, Rect r, Lang lang, const Lesson *l, const LessonStep *st, const SceneOverrides *ov,
                    AdjustChip *chips) {
    const Theme *th = canvas_theme(c);
    AdjustParam ps[ADJUST_MAX];
    int n = adjust_params(l, st, ps, NULL);
    if (n <= 0) return 0;
    float size = font_size(c), row_h = size * 2.5f;
    const char *hint = lang == LANG_ZH ? "Shift+键：减小 · R：恢复" : "Shift+key: down · R: reset";
    draw_fill_round_rect(c, r, 8, th->panel);
    float x = r.x + BAR_PAD, cy = r.y + row_h / 2;
    char val[32];
    for (int i = 0; i < n; i++) {
        int v = adjust_value(st, ov, &ps[i]);
        float w = chip_width(c, &ps[i], v, size);
        if (x > r.x + BAR_PAD && x + w > r.x + r.w - BAR_PAD) { x = r.x + BAR_PAD; cy += row_h; }
        bool changed = adjust_changed(st, ov, &ps[i]);
        char cap[4] = {(char)(ps[i].letter - 'a' + 'A'), 0};
        Rect kc = {x, cy - size * 0.8f, size * 1.6f, size * 1.6f};
        draw_fill_round_rect(c, kc, 5, th->kernel);
        TextStyle ks = text_style(c, size, th->bg);
        ks.bold = true;
        ks.align = ALIGN_CENTER;
        ks.vcenter = true;
        draw_text(c, kc.x + kc.w / 2, cy, cap, ks);
        float tx = x + kc.w + 5;
        TextStyle ns = text_style(c, size, th->text_muted);
        ns.vcenter = true;
        tx += draw_text(c, tx, cy, ps[i].key, ns) + 6;
        value_text(&ps[i], v, val, sizeof val);
        TextStyle vs = text_style(c, size, changed ? th->accent : th->text);
        vs.bold = true;
        vs.vcenter = true;
        float vw = draw_text(c, tx, cy, val, vs);
        if (changed) draw_line(c, tx, cy + size * 0.62f, tx + vw, cy + size * 0.62f, 2, th->accent); // not colour alone
        if (chips) chips[i] = (AdjustChip){{x - 4, cy - row_h / 2, w + 8, row_h}, ps[i].letter};
        x += w + CHIP_GAP;
    }
    // the hint, right-aligned on the last row, if it fits after the chips
    float hw, hh;
    float hint_size = fmaxf(size * 0.85f, canvas_theme(c)->font_small); // >= the label floor
    text_measure(c, hint, hint_size, false, &hw, &hh);
    if (x + hw <= r.x + r.w - BAR_PAD) {
        TextStyle hs = text_style(c, hint_size, th->text_muted);
        hs.vcenter = true;
        hs.align = ALIGN_RIGHT;
        draw_text(c, r.x + r.w - BAR_PAD, cy, hint, hs);
    }
    return n;
}
