/* The download card: see fetch_panel.h. */
#include "ui/fetch_panel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/theme.h"

static const char *tr(Lang lang, const char *en, const char *zh) { return lang == LANG_ZH ? zh : en; }

void fetch_panel_short_dir(char *out, size_t n, const char *dir) {
    const char *home = getenv("HOME");
    size_t l = home ? strlen(home) : 0;
    if (l > 1 && strncmp(dir, home, l) == 0 && dir[l] == '/') snprintf(out, n, "~%s", dir + l);
    else snprintf(out, n, "%s", dir);
}

// The card's heading for the phase the fetch is in.
static const char *heading(const FetchProgress *p, Lang lang) {
    if (p->state == FETCH_FAILED) return tr(lang, "\xE2\x9A\xA0 The download failed", "\xE2\x9A\xA0 下载失败");
    if (p->phase == FETCH_VERIFYING) return tr(lang, "Checking the download (checksum) \xE2\x80\xA6", "正在校验下载的文件 \xE2\x80\xA6");
    if (p->phase == FETCH_UNPACKING) return tr(lang, "Unpacking CIFAR-10 \xE2\x80\xA6", "正在解压 CIFAR-10 \xE2\x80\xA6");
    return tr(lang, "Downloading CIFAR-10 \xE2\x80\xA6", "正在下载 CIFAR-10 \xE2\x80\xA6");
}

// The progress bar: filled to the fraction downloaded; hatched while the size is unknown.
static void draw_bar(Canvas *c, Rect r, const FetchProgress *p) {
    const Theme *th = canvas_theme(c);
    double f = p->phase >= FETCH_VERIFYING ? 1.0 : fetch_fraction(p);
    draw_fill_round_rect(c, r, 8, th->bg);
    if (f < 0) draw_hatch(c, r, 14, 3, rgba_mix(th->accent, th->bg, 0.55f));
    else if (f > 0) draw_fill_round_rect(c, (Rect){r.x, r.y, fmaxf(16, r.w * (float)f), r.h}, 8, th->accent);
    draw_rect_outline(c, r, 2, th->text_muted);
}

// Lays out (draw false) or draws the card's content from y; returns its height.
static float content(Canvas *c, float x, float y, float w, const FetchProgress *p, Lang lang, bool draw) {
    const Theme *th = canvas_theme(c);
    bool failed = p->state == FETCH_FAILED;
    TextStyle hs = text_style(c, th->font_title, failed ? th->error : th->title);
    hs.bold = true;
    TextStyle bs = text_style(c, th->font_body * 1.1f, th->text), ms = text_style(c, th->font_body, th->text_muted);
    float y0 = y;
    y += draw_text_wrapped(c, x, y, w, heading(p, lang), hs, 1.25f, draw) + 16;
    char dir[4200], buf[4400];
    fetch_panel_short_dir(dir, sizeof dir, p->dir);
    if (failed) {
        y += draw_text_wrapped(c, x, y, w, p->line, bs, 1.4f, draw) + 18;
        y += draw_text_wrapped(c, x, y, w, tr(lang, "**D**: try again \xC2\xB7 **Esc**: close", "**D**：重试 \xC2\xB7 **Esc**：关闭"), bs, 1.4f, draw);
        return y - y0;
    }
    float bar_h = th->font_body * 1.8f;
    if (draw) draw_bar(c, (Rect){x, y, w, bar_h}, p);
    y += bar_h + 12;
    fetch_format_amount(buf, sizeof buf, p);
    TextStyle as = text_style(c, th->font_body * 1.3f, th->text);
    as.bold = true;
    if (draw) draw_text(c, x, y, buf, as);
    y += th->font_body * 1.3f * 1.5f + 6;
    snprintf(buf, sizeof buf, "%s %s", tr(lang, "into", "保存到"), dir);
    y += draw_text_wrapped(c, x, y, w, buf, ms, 1.35f, draw) + 18;
    y += draw_text_wrapped(c, x, y, w,
                           tr(lang, "**Esc**: cancel (what has arrived is kept; D resumes)",
                              "**Esc**：取消（已下载的部分会保留，按 D 继续）"),
                           bs, 1.4f, draw);
    return y - y0;
}

void fetch_panel_draw(Canvas *c, const FetchProgress *p, Lang lang) {
    const Theme *th = canvas_theme(c);
    float W = canvas_width(c), H = canvas_height(c);
    Rgba veil = th->bg;
    veil.a = 200;
    draw_fill_rect(c, (Rect){0, 0, W, H}, veil);
    float w = fminf(W - 2 * th->margin, 820), pad = 32;
    float h = content(c, 0, 0, w - 2 * pad, p, lang, false) + 2 * pad;
    Rect box = {(W - w) / 2, fmaxf(th->margin, (H - h) / 2), w, h};
    draw_fill_round_rect(c, box, 14, th->panel);
    draw_rect_outline(c, box, 3, p->state == FETCH_FAILED ? th->error : th->accent);
    content(c, box.x + pad, box.y + pad, w - 2 * pad, p, lang, true);
}

void fetch_panel_outcome(char *out, size_t n, const FetchProgress *p, Lang lang) {
    char dir[4200];
    fetch_panel_short_dir(dir, sizeof dir, p->dir);
    if (p->state == FETCH_DONE) snprintf(out, n, "%s %s", tr(lang, "CIFAR-10 is ready in", "CIFAR-10 已就绪："), dir);
    else if (p->bytes > 0)
        snprintf(out, n, tr(lang, "Download cancelled: %.1f MB kept, D resumes", "下载已取消：已保留 %.1f MB，按 D 继续"),
                 (double)p->bytes / 1e6);
    else snprintf(out, n, "%s", tr(lang, "Download cancelled", "下载已取消"));
}
