/* View of scene kind "picture" (lesson/scene_picture.h): the student's
 * picture with the square the network sees, the 32x32 blown up crisp, the
 * normalised numbers of a patch; or the 32x32, its saliency map and Grad-CAM
 * with the top three classes. The focused panel has the thick outline.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson/scene_picture.h"
#include "ui/explain_view.h"
#include "ui/view.h"

static const char *tr(const ViewCtx *v, const char *en, const char *zh) { return v->lang == LANG_ZH ? zh : en; }

// The full CIFAR-10 class names, as the training screen writes them (ui_tr: Chinese).
static const char *const CLASS_EN[CIFAR_CLASSES] = {"airplane", "automobile", "bird", "cat", "deer",
                                                     "dog", "frog", "horse", "ship", "truck"};

// A panel's heading above r, bold in the focus colour when focused; the outline too.
static void panel_frame(ViewCtx *v, Rect r, const char *heading, bool focused) {
    const Theme *th = v->th;
    if (focused) draw_rect_outline(v->c, (Rect){r.x - 6, r.y - 6, r.w + 12, r.h + 12}, 4, th->kernel);
    TextStyle st = text_style(v->c, th->font_body, focused ? th->kernel : th->text);
    st.bold = focused;
    st.align = ALIGN_CENTER;
    draw_text(v->c, r.x + r.w / 2, r.y - th->font_body * 1.9f, heading, st);
}

// A caption under r, wrapped; returns its height.
static float caption(ViewCtx *v, Rect r, const char *text) {
    TextStyle st = text_style(v->c, v->th->font_small, v->th->text_muted);
    st.align = ALIGN_CENTER;
    return draw_text_wrapped(v->c, r.x - 20, r.y + r.h + 12, r.w + 40, text, st, 1.3f, true);
}

static void draw_conversion(ViewCtx *v, const Scene *sc, const PictureScene *e, Rect a) {
    const Theme *th = v->th;
    const Picture *p = &e->pic;
    float gap = 50, side = fminf((a.w - 2 * gap) / 3, a.h - 170);
    side = floorf(side / 32) * 32;
    float x = a.x + (a.w - 3 * side - 2 * gap) / 2, y = a.y + fmaxf(70, (a.h - side) / 2 - 40);
    char buf[256];
    // 1. the whole picture, fitted, with the square
    Rect r1 = {x, y, side, side};
    float s = side / (float)(p->preview_w > p->preview_h ? p->preview_w : p->preview_h);
    Rect img = {r1.x + (side - s * p->preview_w) / 2, r1.y + (side - s * p->preview_h) / 2, s * p->preview_w, s * p->preview_h};
    draw_image_rgb(v->c, img, p->preview, p->preview_w, p->preview_h);
    float k = img.w / (float)p->src_w;
    draw_rect_outline(v->c, (Rect){img.x + k * p->crop_x, img.y + k * p->crop_y, k * p->crop_side, k * p->crop_side}, 3, th->kernel);
    panel_frame(v, r1, tr(v, "your picture", "你的图片"), e->focus <= PICFOCUS_SQUARE);
    snprintf(buf, sizeof buf, tr(v, "%s, %d×%d; the square: %d×%d at (%d, %d)", "%s，%d×%d；正方形：%d×%d，位于 (%d, %d)"),
             p->name, p->src_w, p->src_h, p->crop_side, p->crop_side, p->crop_x, p->crop_y);
    caption(v, r1, buf);
    // 2. the 32x32, crisp, with the patch of numbers marked
    Rect r2 = {x + side + gap, y, side, side};
    draw_arrow(v->c, r1.x + side + 8, y + side / 2, r2.x - 8, y + side / 2, th->line_thick, 10, th->text_muted);
    draw_image_rgb(v->c, r2, p->rgb, 32, 32);
    float px = side / 32;
    draw_rect_outline(v->c, (Rect){r2.x + px * e->numbers_x, r2.y + px * e->numbers_y, px * PICTURE_NUMBERS_SIDE,
                                   px * PICTURE_NUMBERS_SIDE}, 2, th->input);
    panel_frame(v, r2, tr(v, "the network's 32×32", "网络的 32×32"), e->focus == PICFOCUS_PIXELS);
    if (p->upscaled)
        snprintf(buf, sizeof buf, tr(v, "scaled UP from %d×%d (nearest neighbour): pixels repeat",
                                     "从 %d×%d 放大（最近邻）：像素会重复"), p->crop_side, p->crop_side);
    else if (p->crop_side == 32)
        snprintf(buf, sizeof buf, "%s", tr(v, "already 32×32: taken as it is", "已经是 32×32：原样使用"));
    else if (p->exact_blocks)
        snprintf(buf, sizeof buf, tr(v, "each pixel = the mean of %d×%d pixels of the square",
                                     "每个像素 = 正方形中 %d×%d 个像素的平均"), p->crop_side / 32, p->crop_side / 32);
    else
        snprintf(buf, sizeof buf, tr(v, "each pixel = the area-weighted mean of %.2f×%.2f pixels",
                                     "每个像素 = %.2f×%.2f 个像素的面积加权平均"), p->crop_side / 32.0, p->crop_side / 32.0);
    caption(v, r2, buf);
    // 3. the numbers: red channel, normalised
    GridSpec g;
    memset(&g, 0, sizeof g);
    g.v = sc->input.v, g.rows = sc->input.rows, g.cols = sc->input.cols;
    g.decimals = 1, g.n_visible = -1, g.values = true, g.font = th->font_cell;
    g.cell = side / (float)g.cols;
    g.heat = HEAT_DIVERGING, g.lo = -1, g.hi = 1, g.strong = th->input;
    g.x = x + 2 * (side + gap), g.y = y;
    draw_arrow(v->c, r2.x + side + 8, y + side / 2, g.x - 8, y + side / 2, th->line_thick, 10, th->text_muted);
    widget_grid(v->c, &g);
    hitmap_add(v->hits, &g, HIT_OTHER, ui_tr(v->lang, "red channel"), e->numbers_y, e->numbers_x);
    Rect r3 = grid_rect(&g);
    panel_frame(v, r3, tr(v, "its numbers", "它的数值"), e->focus == PICFOCUS_NUMBERS);
    snprintf(buf, sizeof buf, tr(v, "red channel of the marked 6×6, normalised: (p/255 − 0.5)/0.5", "标出的 6×6 的红色通道，归一化：(p/255 − 0.5)/0.5"));
    float ch = caption(v, r3, buf);
    widget_colour_bar(v->c, (Rect){r3.x, r3.y + r3.h + 12 + ch + 8, r3.w, 10}, HEAT_DIVERGING, -1, 1, 0); // what red and blue mean
    if (p->note[0] || !e->own) {
        TextStyle st = text_style(v->c, th->font_small, e->own ? th->text_muted : th->accent);
        const char *msg = e->own ? p->note
                                 : tr(v, "No picture of yours yet: start with --image FILE or drop a picture on the window.",
                                      "还没有你的图片：用 --image FILE 启动，或把图片拖到窗口上。");
        draw_text_wrapped(v->c, a.x + 20, a.y + a.h - th->font_small * 5, a.w - 40, msg, st, 1.3f, true);
    }
}

static void draw_explanation(ViewCtx *v, const PictureScene *e, Rect a) {
    const Theme *th = v->th;
    const Picture *p = &e->pic;
    const Explanation *ex = &e->ex;
    float gap = 50, side = floorf(fminf((a.w - 2 * gap) / 3, a.h - 190) / 32) * 32;
    float x = a.x + (a.w - 3 * side - 2 * gap) / 2, y = a.y + fmaxf(90, (a.h - side) / 2 - 30);
    uint8_t sal[32 * 32 * 3], cam[32 * 32 * 3];
    explain_colour_map(sal, ex->saliency, NULL);
    explain_colour_map(cam, ex->gradcam, p->rgb);
    Rect r[3] = {{x, y, side, side}, {x + side + gap, y, side, side}, {x + 2 * (side + gap), y, side, side}};
    draw_image_rgb(v->c, r[0], p->rgb, 32, 32);
    draw_image_rgb(v->c, r[1], sal, 32, 32);
    draw_image_rgb(v->c, r[2], cam, 32, 32);
    char buf[256];
    panel_frame(v, r[0], tr(v, "the 32×32 input", "32×32 输入"), false);
    panel_frame(v, r[1], tr(v, "saliency", "显著图"), e->focus == PICFOCUS_SALIENCY);
    snprintf(buf, sizeof buf, "Grad-CAM (%s)", ex->cam_layer);
    panel_frame(v, r[2], buf, e->focus == PICFOCUS_GRADCAM);
    caption(v, r[1], tr(v, "max over R, G, B of |∂\xC2\xA0logit / ∂\xC2\xA0pixel|; bright = a small change there moves the score most",
                        "R、G、B 中 |∂\xC2\xA0logit / ∂\xC2\xA0像素| 的最大值；越亮 = 那里的小变化最能改变分数"));
    snprintf(buf, sizeof buf, tr(v, "ReLU(Σ α_{k} A_{k}) at %s (%d×%d), bilinear to 32×32, over the picture",
                                 "%s 处的 ReLU(Σ α_{k} A_{k})（%d×%d），双线性放大到 32×32，叠在图片上"),
             ex->cam_layer, ex->cam_h, ex->cam_w);
    caption(v, r[2], buf);
    // the top three, as --batch predict prints them
    int order[3] = {-1, -1, -1};
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < NET_NUM_CLASSES; k++) {
            bool used = false;
            for (int j = 0; j < i; j++) used |= order[j] == k;
            if (!used && (order[i] < 0 || ex->probs[k] > ex->probs[order[i]])) order[i] = k;
        }
    snprintf(buf, sizeof buf, tr(v, "the network says: %s %.1f %%, %s %.1f %%, %s %.1f %%", "网络认为：%s %.1f %%，%s %.1f %%，%s %.1f %%"),
             ui_tr(v->lang, CLASS_EN[order[0]]), 100 * ex->probs[order[0]], ui_tr(v->lang, CLASS_EN[order[1]]),
             100 * ex->probs[order[1]], ui_tr(v->lang, CLASS_EN[order[2]]), 100 * ex->probs[order[2]]);
    TextStyle st = text_style(v->c, th->font_body * 1.1f, th->title);
    st.bold = true;
    draw_text(v->c, x, a.y + 10, buf, st);
    char wbuf[300];
    snprintf(wbuf, sizeof wbuf, "%s %s", tr(v, "weights:", "权重："), e->weights.path);
    char fbuf[1200];
    const char *miss = strstr(e->weights.fallback, ": cannot open");
    if (v->lang == LANG_ZH && miss) // the OS's English words explained: no checkpoint there yet
        snprintf(fbuf, sizeof fbuf, "未训练的权重（随机初始化，种子 0）：还没有检查点 %.*s（在训练界面训练后按 S 保存）",
                 (int)(miss - e->weights.fallback), e->weights.fallback);
    else
        snprintf(fbuf, sizeof fbuf, "%s %.1000s", tr(v, "untrained weights (random init, seed 0):", "未训练的权重（随机初始化，种子 0）："),
                 e->weights.fallback);
    const char *w = e->weights.fallback[0] ? fbuf
                    : e->weights.from_checkpoint ? wbuf
                                                 : tr(v, "untrained weights (random init): the maps mean little until the net is trained",
                                                      "未训练的权重（随机初始化）：训练之前这些图意义不大");
    TextStyle ws = text_style(v->c, th->font_small, th->text_muted);
    draw_text_wrapped(v->c, a.x + 20, a.y + a.h - th->font_small * 5, a.w - 40, w, ws, 1.3f, true);
}

static void draw_picture_scene(ViewCtx *v, const Scene *sc) {
    const PictureScene *e = sc->ext;
    if (!e) return;
    if (e->focus >= PICFOCUS_SALIENCY && e->have_explanation) draw_explanation(v, e, v->area);
    else draw_conversion(v, sc, e, v->area);
}

static const SceneView VIEW_PICTURE = {"picture", draw_picture_scene, false};
SCENE_VIEW_REGISTER(VIEW_PICTURE)
