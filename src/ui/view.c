/* The view registry, the hit map, the UI strings (en/zh) and the pieces every
 * view shares (the picture with its crop, centred messages).
 */
#include "ui/view.h"
#include "ui/error_explain.h"
#include "ui/fetch_panel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_VIEWS 32
static const SceneView *VIEWS[MAX_VIEWS];
static int N_VIEWS;

void scene_view_register(const SceneView *v) {
    CL_ASSERT(N_VIEWS < MAX_VIEWS);
    VIEWS[N_VIEWS++] = v;
}

const SceneView *scene_view_find(const char *kind) {
    for (int i = 0; i < N_VIEWS; i++)
        if (strcmp(VIEWS[i]->kind, kind) == 0) return VIEWS[i];
    return NULL;
}

void hitmap_add(HitMap *h, const GridSpec *g, HitRole role, const char *name, int y0, int x0) {
    if (!h || h->n == HIT_MAX) return;
    HitGrid *e = &h->grids[h->n++];
    e->spec = *g;
    e->role = role;
    snprintf(e->name, sizeof e->name, "%s", name);
    e->coord_y0 = y0;
    e->coord_x0 = x0;
}

const HitGrid *hitmap_find(const HitMap *h, float x, float y, int *r, int *col) {
    for (int i = h->n - 1; i >= 0; i--) {
        const GridSpec *g = &h->grids[i].spec;
        Rect c00 = grid_cell_rect(g, 0, 0);
        float fx = (x - c00.x) / g->cell, fy = (y - c00.y) / g->cell;
        if (fx >= 0 && fy >= 0 && fx < (float)g->cols && fy < (float)g->rows) {
            *r = (int)fy;
            *col = (int)fx;
            return &h->grids[i];
        }
    }
    return NULL;
}

// ---- UI strings -----------------------------------------------------------------

static const char *const TR[][2] = {
    {"Lesson", "第"},
    {"step", "步骤"},
    {"help", "帮助"},
    {"input", "输入"},
    {"kernel", "卷积核"},
    {"output", "输出"},
    {"products", "逐元素乘积"},
    {"feature map", "特征图"},
    {"red channel", "红色通道"},
    {"green channel", "绿色通道"},
    {"blue channel", "蓝色通道"},
    {"gray", "灰度"},
    {"max pooling", "最大池化"},
    {"average pooling", "平均池化"},
    {"global max pooling", "全局最大池化"},
    {"pixel values 0–255", "像素值 0–255"},
    {"normalized to −1…1, as the network sees them", "归一化到 −1…1（网络看到的值）"},
    {"stride", "步幅"},
    {"padding", "填充"},
    {"window positions", "窗口位置"},
    {"position", "位置"},
    {"positions", "个位置"},
    {"This step uses CIFAR-10 images", "这一步需要 CIFAR-10 图像"},
    {"Lesson index", "课程目录"},
    {"auto-play", "自动播放"},
    {"airplane", "飞机"}, {"automobile", "汽车"}, {"bird", "鸟"}, {"cat", "猫"}, {"deer", "鹿"},
    {"dog", "狗"}, {"frog", "青蛙"}, {"horse", "马"}, {"ship", "船"}, {"truck", "卡车"},
    {"This step cannot be shown", "这一步无法显示"},
    {"PyTorch raises an error", "PyTorch 会报错"},
    {"no view for this scene kind", "此场景类型没有视图"},
    {"R", "R（红）"}, {"G", "G（绿）"}, {"B", "B（蓝）"},
    {"press N for the next image", "按 N 换下一张图像"},
    {"V: your picture / CIFAR · N: next CIFAR image", "V：你的图片 / CIFAR · N：下一张 CIFAR 图像"},
    {"max", "最大值"},
    {"argmax (return_indices)", "最大值位置（return_indices）"},
};

const char *ui_tr(Lang lang, const char *en) {
    if (lang == LANG_EN) return en;
    for (size_t i = 0; i < sizeof TR / sizeof TR[0]; i++)
        if (strcmp(TR[i][0], en) == 0) return TR[i][1];
    return en;
}

// ---- shared pieces ---------------------------------------------------------------

void view_message(ViewCtx *v, const char *heading, const char *body, Rgba heading_color) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    float w = fminf(v->area.w - 40, 720);
    Rect box = {v->area.x + (v->area.w - w) / 2, v->area.y + v->area.h * 0.22f, w, 0};
    TextStyle hs = text_style(c, th->font_title, heading_color);
    hs.bold = true;
    TextStyle bs = text_style(c, th->font_body * 1.1f, th->text);
    float hh = draw_text_wrapped(c, 0, 0, w - 48, heading, hs, 1.25f, false);
    float bh = draw_text_wrapped(c, 0, 0, w - 48, body, bs, 1.45f, false);
    box.h = hh + bh + 64;
    draw_fill_round_rect(c, box, 12, th->panel);
    draw_rect_outline(c, box, 3, heading_color);
    draw_text_wrapped(c, box.x + 24, box.y + 22, w - 48, heading, hs, 1.25f, true);
    draw_text_wrapped(c, box.x + 24, box.y + 22 + hh + 14, w - 48, body, bs, 1.45f, true);
}

void view_image_caption(char *buf, size_t n, const ViewCtx *v, const Scene *sc, bool short_form) {
    if (sc->image_index == SCENE_PICTURE_INDEX && short_form)
        snprintf(buf, n, "%s", sc->class_name);
    else if (sc->image_index == SCENE_PICTURE_INDEX)
        snprintf(buf, n, "%s: %s", v->lang == LANG_ZH ? "你的图片" : "your picture", sc->class_name);
    else
        snprintf(buf, n, "%s  #%d", ui_tr(v->lang, sc->class_name), sc->image_index);
}

void view_source_patch(const Scene *sc, int *rows, int *cols) {
    *rows = sc->input.rows + (sc->input_is_feature ? sc->kernel.rows - 1 : 0);
    *cols = sc->input.cols + (sc->input_is_feature ? sc->kernel.cols - 1 : 0);
}

void view_picture(ViewCtx *v, const Scene *sc, Rect dst, Rect to_grid) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    char cap[96];
    view_image_caption(cap, sizeof cap, v, sc, false);
    widget_image(c, dst, sc->image_rgb, 32, 32, cap);
    if (sc->input.rows && !sc->needs_data && !sc->input_is_feature) {
        // the pixels under the crop are the input's cells: hover shows a pixel's
        // value, the mouse wheel zooms into it, a click moves the window there
        GridSpec px;
        memset(&px, 0, sizeof px);
        px.v = sc->input.v;
        px.rows = sc->input.rows;
        px.cols = sc->input.cols;
        px.cell = dst.w / 32;
        px.x = dst.x + (float)sc->crop_x * px.cell;
        px.y = dst.y + (float)sc->crop_y * px.cell;
        hitmap_add(v->hits, &px, HIT_INPUT, ui_tr(v->lang, sc->input_name), sc->crop_y, sc->crop_x);
    }
    int ph, pw; // the box is the pixels the input comes from
    view_source_patch(sc, &ph, &pw);
    if (sc->input.rows && (ph < 32 || pw < 32)) {
        float px = dst.w / 32;
        Rect crop = {dst.x + (float)sc->crop_x * px, dst.y + (float)sc->crop_y * px, (float)pw * px, (float)ph * px};
        if (to_grid.w > 0 && to_grid.y > dst.y + dst.h) { // grid below: crop's bottom corners -> grid's top corners
            draw_dashed_line(c, crop.x, crop.y + crop.h, to_grid.x, to_grid.y, 1.5f, 6, th->input);
            draw_dashed_line(c, crop.x + crop.w, crop.y + crop.h, to_grid.x + to_grid.w, to_grid.y, 1.5f, 6, th->input);
        } else if (to_grid.w > 0) { // grid to the right: crop's right corners -> grid's left corners
            draw_dashed_line(c, crop.x + crop.w, crop.y, to_grid.x, to_grid.y, 1.5f, 6, th->input);
            draw_dashed_line(c, crop.x + crop.w, crop.y + crop.h, to_grid.x, to_grid.y + to_grid.h, 1.5f, 6, th->input);
        }
        draw_rect_outline(c, (Rect){crop.x - 2, crop.y - 2, crop.w + 4, crop.h + 4}, 3, th->cell_text_inv);
        draw_rect_outline(c, crop, 2, th->input);
    }
}

void view_draw_scene(ViewCtx *v, const Scene *sc) {
    if (sc->data_loading) { // the window loads the data after its first frame
        TextStyle st = text_style(v->c, v->th->font_body * 1.2f, v->th->text_muted);
        st.align = ALIGN_CENTER;
        st.vcenter = true;
        draw_text(v->c, v->area.x + v->area.w / 2, v->area.y + v->area.h / 2,
                  v->lang == LANG_ZH ? "正在载入 CIFAR-10 …" : "Loading CIFAR-10 …", st);
        return;
    }
    if (sc->needs_data) {
        char body[6000];
        if (v->fetch_dir) { // the window downloads it itself and shows the step when it is there
            char dir[4200];
            fetch_panel_short_dir(dir, sizeof dir, v->fetch_dir);
            // "DIR: no such directory" says nothing the offer does not; any other problem is shown
            bool missing = strstr(sc->error, "no such directory") != NULL;
            snprintf(body, sizeof body, "%s\n%s\n\n%s%s%s",
                     v->lang == LANG_ZH ? "按 **D** 立即下载 CIFAR-10（约 170 MB），保存到" : "Press **D** to download CIFAR-10 now (about 170 MB) into",
                     dir, v->lang == LANG_ZH ? "或在终端运行 **convlab --batch fetch-data**。" : "or run **convlab --batch fetch-data** in a terminal.",
                     missing ? "" : "\n\n", missing ? "" : sc->error);
        } else
            snprintf(body, sizeof body, "%s\n\n%s",
                     v->lang == LANG_ZH ? "下载数据（约 170 MB）后重新打开这一课：\n**make data**" : "Download it (about 170 MB), then reopen this lesson:\n**make data**",
                     sc->error);
        view_message(v, ui_tr(v->lang, "This step uses CIFAR-10 images"), body, v->th->accent);
        return;
    }
    if (sc->error[0]) {
        char head[128];
        // with live parameters (`adjust`) the error is the student's setting: PyTorch's words, no file:line
        const char *msg = sc->error, *at = strstr(msg, ".lesson:");
        if (sc->adjusted && at && strstr(at + 8, ": ")) msg = strstr(at + 8, ": ") + 2;
        snprintf(head, sizeof head, "\xE2\x9A\xA0 %s", ui_tr(v->lang, sc->adjusted ? "PyTorch raises an error" : "This step cannot be shown"));
        char body[1024];
        format_pytorch_error(body, sizeof body, sc->adjusted ? v->lang : LANG_EN, msg); // in Chinese: what it means
        view_message(v, head, body, v->th->error);
        return;
    }
    const SceneView *view = scene_view_find(sc->kind->name);
    if (!view) { view_message(v, sc->kind->name, ui_tr(v->lang, "no view for this scene kind"), v->th->error); return; }
    view->draw(v, sc);
}
