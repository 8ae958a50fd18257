/* View of the "network" scene kind (lesson 8): CNNNet's layer table (the
 * tutorial's shape walk-through, each row with its size formula and its
 * parameter count, the focused layer highlighted) and, with an image, that
 * image's activations at the focused layer: feature maps as heat maps
 * (signed: blue-white-red, after ReLU/pooling: viridis), the 576 flattened
 * values, the 128 hidden units, or the 10 logits with their softmax.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson/scene_network.h"
#include "ui/view.h"
#include "ui/view_netcommon.h"

static const char *const CLASS_EN[CIFAR_CLASSES] = {"airplane", "automobile", "bird", "cat", "deer",
                                                     "dog", "frog", "horse", "ship", "truck"};

static bool is_relu(const Layer *l) { return l->kind == LAYER_RELU; }

// The PyTorch module of a row: "Conv2d(3, 8, 5)".
static void module_text(const Layer *l, char *buf, size_t n) {
    char extra[64] = "";
    switch (l->kind) {
    case LAYER_CONV2D:
        if (l->conv.stride_h != 1) snprintf(extra, sizeof extra, ", stride=%d", l->conv.stride_h);
        if (l->conv.pad_top) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ", padding=%d", l->conv.pad_top);
        snprintf(buf, n, "Conv2d(%d, %d, %d%s)", l->conv.in_channels, l->conv.out_channels, l->conv.kernel_h, extra);
        break;
    case LAYER_CONV_TRANSPOSE2D:
        snprintf(buf, n, "ConvTranspose2d(%d, %d, %d)", l->tconv.in_channels, l->tconv.out_channels, l->tconv.kernel_h);
        break;
    case LAYER_MAXPOOL2D: snprintf(buf, n, "MaxPool2d(%d, %d)", l->pool.kernel_h, l->pool.stride_h); break;
    case LAYER_AVGPOOL2D: snprintf(buf, n, "AvgPool2d(%d, %d)", l->pool.kernel_h, l->pool.stride_h); break;
    case LAYER_BATCHNORM2D: snprintf(buf, n, "BatchNorm2d(%d)", l->in_c); break;
    case LAYER_FLATTEN: snprintf(buf, n, "flatten(x, 1)"); break;
    case LAYER_LINEAR: snprintf(buf, n, "Linear(%d, %d)", l->in_features, l->out_features); break;
    case LAYER_RELU: snprintf(buf, n, "F.relu"); break;
    case LAYER_LEAKY_RELU: snprintf(buf, n, "F.leaky_relu"); break;
    case LAYER_TANH: snprintf(buf, n, "torch.tanh"); break;
    case LAYER_SIGMOID: snprintf(buf, n, "torch.sigmoid"); break;
    case LAYER_DROPOUT: snprintf(buf, n, "Dropout(%g)", l->p); break;
    case LAYER_KINDS: buf[0] = 0; break;
    }
}

// The row a layer belongs to: a ReLU is folded into the layer before it.
static int row_of(const NetworkExt *e, int layer) {
    while (layer > 0 && is_relu(&e->layers[layer])) layer--;
    return layer;
}

// The table's font and column positions, shared by its header, rows and total.
typedef struct {
    bool compact;                         // maps below: ReLUs folded, counts only
    float fs, row_h, relu_h;              // font size, layer row and ReLU row heights
    float x_name, x_mod, x_out, x_size;   // left edges of the columns
    float x_par;                          // right edge of the parameter column
    bool counts_only;                     // parameter counts instead of formulas (they did not fit)
} TableLayout;

// A row's parameter cell: the full formula in the overview, the count when compact.
static void param_text(const NetworkExt *e, int i, bool compact, char *buf, size_t n) {
    const Layer *l = &e->layers[i];
    if (l->param_count && !compact) snprintf(buf, n, "%s", e->param_formula[i]);
    else fmt_thousands(buf, n, l->param_count);
}

// Columns from the widest text of each, at the largest font (<= the design
// size) that fits the width: CJK headers and long formulas must not collide.
static TableLayout fit_table(ViewCtx *v, const NetworkExt *e, Rect a, bool compact) {
    Canvas *c = v->c;
    TableLayout t = {compact, 18, compact ? 26 : 40, 27, a.x + 10, 0, 0, 0, a.x + a.w - 10, false};
    for (;; t.fs -= 1) {
        float w_name = 0, w_mod = 0, w_out = 0, w_size = 0, w_par = 0, tw, th_;
        char buf[160];
        for (int i = 0; i < e->n_layers; i++) {
            const Layer *l = &e->layers[i];
            if (is_relu(l)) continue;
            text_measure(c, l->name, t.fs, true, &tw, &th_);
            w_name = fmaxf(w_name, tw + (compact ? 72 : 0)); // room for the "+ReLU" / "no ReLU" tag
            module_text(l, buf, sizeof buf);
            text_measure(c, buf, t.fs, false, &tw, &th_);
            w_mod = fmaxf(w_mod, tw);
            network_shape_text(buf, sizeof buf, l->out_c, l->out_h, l->out_w);
            text_measure(c, buf, t.fs, true, &tw, &th_);
            w_out = fmaxf(w_out, tw);
            text_measure(c, e->size_formula[i], t.fs, false, &tw, &th_);
            w_size = fmaxf(w_size, tw);
            param_text(e, i, compact || t.counts_only, buf, sizeof buf);
            text_measure(c, buf, t.fs, true, &tw, &th_);
            w_par = fmaxf(w_par, tw);
        }
        t.x_mod = t.x_name + w_name + 16;
        t.x_out = compact ? t.x_mod : t.x_mod + w_mod + 16;
        t.x_size = t.x_out + w_out + 16;
        bool fits = t.x_size + w_size + 20 <= t.x_par - w_par;
        if (fits || (t.fs <= 16 && t.counts_only)) break; // 16: the label floor
        if (t.fs <= 16) t.counts_only = true, t.fs = 19;   // a wider net: counts, not formulas (the bar has them)
    }
    // A deeper net than CNNNet: rows shrink (and the font with them) so every layer fits the height.
    int rows = 1, relus = 0; // the input row
    for (int i = 0; i < e->n_layers; i++) {
        if (!is_relu(&e->layers[i])) rows++;
        else if (!compact) relus++;
    }
    float room = a.h - 2.2f * t.fs - 3 * t.fs - (compact ? a.h * 0.45f : 0); // header, total; maps below
    float need = rows * t.row_h + relus * t.relu_h;
    if (need > room && room > 0) {
        float k = room / need;
        t.row_h *= k, t.relu_h *= k;
        t.fs = fminf(t.fs, fmaxf(11, t.row_h * 0.62f));
    }
    return t;
}

// The column headings and the rule under them; returns the y below.
static float draw_table_header(ViewCtx *v, const TableLayout *t, Rect a) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    bool zh = v->lang == LANG_ZH;
    float y = a.y;
    TextStyle hs = text_style(c, t->fs, th->text_muted);
    hs.bold = true;
    draw_text(c, t->x_name, y, zh ? "层" : "layer", hs);
    if (!t->compact) draw_text(c, t->x_mod, y, "PyTorch", hs);
    draw_text(c, t->x_out, y, zh ? "输出" : "output", hs);
    draw_text(c, t->x_size, y, zh ? "尺寸公式" : "size formula", hs);
    hs.align = ALIGN_RIGHT;
    draw_text(c, t->x_par, y, zh ? "参数个数" : "parameters", hs);
    y += t->fs * 1.5f;
    draw_line(c, a.x, y, a.x + a.w, y, 1.5f, th->panel_border);
    return y + 3;
}

// The first row: the input image, which has no module and no parameters.
static void draw_input_row(ViewCtx *v, const TableLayout *t, float cy, TextStyle st) {
    const Theme *th = v->th;
    bool zh = v->lang == LANG_ZH;
    st.bold = true;
    st.color = th->input;
    draw_text(v->c, t->x_name, cy, zh ? "输入" : "input", st);
    st.bold = false;
    st.color = th->text;
    if (!t->compact) draw_text(v->c, t->x_mod, cy, zh ? "CIFAR 图像" : "CIFAR image", st);
    draw_text(v->c, t->x_out, cy, "3\xC3\x97" "32\xC3\x97" "32", st); // C×H×W
    st.color = th->text_muted;
    draw_text(v->c, t->x_size, cy, zh ? "RGB 三个通道" : "RGB: 3 channels", st);
    st.align = ALIGN_RIGHT;
    draw_text(v->c, t->x_par, cy, "\xE2\x80\x94", st);
}

// Layer i's row: name (with the folded "+ReLU" tag when compact), module,
// output shape, size formula, parameters. Layers with weights are in the
// kernel colour, the others in the output colour.
static void draw_layer_row(ViewCtx *v, const NetworkExt *e, const TableLayout *t, int i, float cy, bool focused,
                           TextStyle st) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    const Layer *l = &e->layers[i];
    bool relu = is_relu(l);
    bool relu_next = t->compact && i + 1 < e->n_layers && is_relu(&e->layers[i + 1]);
    char buf[160], shape[48];
    st.bold = !relu;
    st.color = relu ? th->text_muted : l->param_count ? th->kernel : th->output;
    float w = draw_text(c, t->x_name + (relu ? 12 : 0), cy, l->name, st);
    st.bold = false;
    st.color = relu ? th->text_muted : th->text;
    if (!t->compact) {
        module_text(l, buf, sizeof buf);
        draw_text(c, t->x_mod, cy, buf, st);
    } else if (i == e->n_layers - 1 && l->kind == LAYER_LINEAR) { // the tutorial's ReLU on fc2, left out
        TextStyle rs = st;
        rs.size = th->font_small;
        rs.color = th->text_muted;
        draw_text(c, t->x_name + w + 5, cy, v->lang == LANG_ZH ? "无 ReLU" : "no ReLU", rs);
    } else if (relu_next) {
        TextStyle rs = st;
        rs.size = th->font_small;
        rs.color = (e->focus == i + 1) ? th->accent : th->text_muted;
        rs.bold = e->focus == i + 1;
        draw_text(c, t->x_name + w + 5, cy, "+ReLU", rs);
    }
    network_shape_text(shape, sizeof shape, l->out_c, l->out_h, l->out_w);
    st.bold = focused;
    draw_text(c, t->x_out, cy, shape, st);
    st.bold = false;
    st.color = th->text_muted;
    draw_text(c, t->x_size, cy, e->size_formula[i], st);
    st.align = ALIGN_RIGHT;
    st.color = l->param_count ? th->text : th->text_muted;
    st.bold = l->param_count > 0;
    param_text(e, i, t->compact || t->counts_only, buf, sizeof buf);
    draw_text(c, t->x_par, cy, buf, st);
}

// The tutorial's F.relu on fc2's output, which this net leaves out (a ReLU on
// the logits is one of lesson 10's bugs): a thin struck-through row in the
// overview, a "no ReLU" tag on fc2 when compact. Returns the row's height.
static float draw_left_out_relu(ViewCtx *v, const TableLayout *t, float y, Rect a) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    bool zh = v->lang == LANG_ZH;
    TextStyle st = text_style(c, fmaxf(th->font_small, t->fs - 1), th->text_muted);
    st.vcenter = true;
    float cy = y + t->relu_h / 2;
    float w = draw_text(c, t->x_name + 12, cy, "F.relu", st);
    draw_line(c, t->x_name + 10, cy, t->x_name + 14 + w, cy, 1.5f, th->text_muted);
    draw_text(c, t->x_mod, cy, zh ? "教程有，这里去掉了" : "in the tutorial, left out here", st);
    draw_text(c, t->x_size, cy, zh ? "logits 上的 ReLU 是个错误（第 10 课）" : "a ReLU on the logits is a bug (lesson 10)", st);
    (void)a;
    return t->relu_h;
}

// Row i (-1: the input) at y, with its background (feature-extractor tint,
// focus highlight); returns its height.
static float draw_table_row(ViewCtx *v, const NetworkExt *e, const TableLayout *t, int i, int focus_row, float y,
                            Rect a) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    bool relu = i >= 0 && is_relu(&e->layers[i]);
    float h = relu ? t->relu_h : t->row_h;
    Rect row = {a.x, y, a.w, h};
    bool focused = (i == -1 && focus_row == NETWORK_FOCUS_INPUT) || (i >= 0 && i == focus_row);
    bool in_extractor = e->extractor && e->extract && i >= 0 && i <= 5; // conv1 .. pool2 (layers 0-5 of CNNNet)
    if (in_extractor) draw_fill_rect(c, row, rgba_mix(th->bg, th->output, 0.14f));
    if (focused) {
        draw_fill_round_rect(c, row, 6, rgba_mix(th->bg, th->accent, 0.16f));
        draw_rect_outline(c, row, 2.5f, th->accent);
    }
    TextStyle st = text_style(c, relu ? fmaxf(th->font_small, t->fs - 1) : t->fs, th->text);
    st.vcenter = true;
    if (i < 0) draw_input_row(v, t, y + h / 2, st);
    else draw_layer_row(v, e, t, i, y + h / 2, focused, st);
    return h;
}

// Lesson 8's extractor step: "green rows: the feature extractor" and beside
// or under it the tutorial's code line, whole, in a code box: one line at the
// largest size from the small font down to 14 px that fits, else broken after
// "nn.Sequential(". Returns the y below.
static float draw_extractor_code(ViewCtx *v, const TableLayout *t, Rect a, float y) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    static const char CODE[] = "nn.Sequential(*list(net.children())[:4])";
    TextStyle es = text_style(c, th->font_small, th->output);
    es.bold = true;
    const char *lab = v->lang == LANG_ZH ? "绿色底的行：特征提取器" : "green rows: the feature extractor";
    float lw, lh, cw, ch, x0 = t->x_name, avail = a.x + a.w - x0;
    text_measure(c, lab, th->font_small, true, &lw, &lh);
    float size = th->font_small;
    text_measure(c, CODE, size, false, &cw, &ch);
    bool beside = lw + 14 + cw + 36 <= avail; // the label and the box on one row
    while (!beside && size > 14 && cw + 36 > avail) {
        size -= 1;
        text_measure(c, CODE, size, false, &cw, &ch);
    }
    float box_y = y;
    if (beside) {
        float row_h = size * 1.45f + 16;
        es.vcenter = true;
        draw_text(c, x0, y + row_h / 2, lab, es);
        x0 += lw + 14;
        avail -= lw + 14;
    } else {
        draw_text(c, x0, y, lab, es);
        box_y = y + th->font_small * 1.35f;
    }
    CodeLine one[] = {{CODE, 3, NULL}};
    CodeLine two[] = {{"nn.Sequential(", 3, NULL}, {"    *list(net.children())[:4])", 3, NULL}};
    bool fits = cw + 36 <= avail;
    float h = netview_code(v, (Rect){x0, box_y, fits ? cw + 36 : avail, 0}, fits ? one : two, fits ? 1 : 2, size);
    return box_y + h + 6;
}

// The total under the table and, for lesson 8's extractor step, what the
// green rows mean; returns the y below.
static float draw_table_total(ViewCtx *v, const NetworkExt *e, const TableLayout *t, Rect a, float y) {
    Canvas *c = v->c;
    const Theme *th = v->th;
    bool zh = v->lang == LANG_ZH;
    draw_line(c, a.x, y + 2, a.x + a.w, y + 2, 1.5f, th->panel_border);
    y += 6;
    char tot[480];
    snprintf(tot, sizeof tot, "%s %s", zh ? "合计" : "total", e->total_formula);
    TextStyle ts = text_style(c, t->fs, th->text);
    ts.bold = true;
    ts.align = ALIGN_RIGHT;
    draw_text(c, t->x_par, y, tot, ts);
    y += t->fs * 1.4f;
    bool other = strcmp(e->model, "cnnnet") != 0;
    if (other && (e->about_cnnnet || e->focus_mapped || e->focus_missing)) { // --net: say what the text is about
        TextStyle ns = text_style(c, th->font_small, th->output);
        ns.bold = true;
        char note[200];
        if (e->focus_mapped)
            snprintf(note, sizeof note, zh ? "%s 没有 %s：显示作用相同的 %s" : "%s has no %s: showing %s, the layer in the same role",
                     e->model, e->focus_wanted, e->layers[e->focus].name);
        else if (e->focus_missing)
            snprintf(note, sizeof note, zh ? "%s 没有 %s：显示整个层表" : "%s has no %s: the whole table is shown", e->model, e->focus_wanted);
        else
            snprintf(note, sizeof note, zh ? "%s：表格、公式和特征图属于这个网络；右侧文字讲的是 CNNNet"
                                           : "%s: the table, formulas and maps are this net's; the text describes CNNNet", e->model);
        draw_text(c, t->x_name, y, note, ns);
        y += th->font_small * 1.4f;
        if (e->about_cnnnet && (e->focus_mapped || e->focus_missing)) {
            draw_text(c, t->x_name, y, zh ? "右侧文字讲的是 CNNNet" : "the text describes CNNNet", ns);
            y += th->font_small * 1.4f;
        }
    }
    if (e->extractor && e->extract) y = draw_extractor_code(v, t, a, y);
    return y;
}

// Draws the table; returns its bottom. Overview: every layer of the engine's
// table (ReLUs as thin rows) with the PyTorch module and the full parameter
// formula. compact (maps below): ReLUs folded as "+ReLU" tags, counts only.
static float draw_table(ViewCtx *v, const NetworkExt *e, Rect a, bool compact) {
    TableLayout t = fit_table(v, e, a, compact);
    float y = draw_table_header(v, &t, a);
    int focus_row = e->focus >= 0 && compact ? row_of(e, e->focus) : e->focus;
    for (int i = -1; i < e->n_layers; i++) {
        if (compact && i >= 0 && is_relu(&e->layers[i])) continue;
        y += draw_table_row(v, e, &t, i, focus_row, y, a);
    }
    // the last Linear (fc2) without the tutorial's ReLU after it
    if (!compact && strcmp(e->model, "cnnnet") == 0 && e->n_layers > 0 && e->layers[e->n_layers - 1].kind == LAYER_LINEAR) y += draw_left_out_relu(v, &t, y, a);
    return draw_table_total(v, e, &t, a, y);
}

// The weights line: untrained (seed), trained (checkpoint), or the fallback note.
static float draw_weights_note(ViewCtx *v, const NetworkExt *e, float x, float y, float w) {
    char buf[1400];
    bool zh = v->lang == LANG_ZH;
    Rgba col = v->th->text_muted;
    if (e->weights.from_checkpoint)
        snprintf(buf, sizeof buf, zh ? "权重：已训练（%s）" : "weights: trained (%s)", e->weights.path);
    else if (e->weights.fallback[0]) {
        snprintf(buf, sizeof buf, zh ? "\xE2\x9A\xA0 找不到训练好的权重 %s，这里显示未训练的权重（init seed 0）。在训练界面（T）训练后按 S 保存。"
                                     : "\xE2\x9A\xA0 no trained weights at %s: showing untrained ones (init seed 0). Train on the T screen, then press S to save them.",
                 e->weights.path);
        col = v->th->error;
    } else
        snprintf(buf, sizeof buf, zh ? "权重：未训练（随机初始化，seed %llu）" : "weights: untrained (random init, seed %llu)",
                 (unsigned long long)e->weights.seed);
    TextStyle st = text_style(v->c, v->th->font_small, col);
    return draw_text_wrapped(v->c, x, y, w, buf, st, 1.3f, true);
}


// One scale for every step's feature maps: the largest cell at which the
// input's 3 maps of 32×32 and every layer's maps (more than one row) fit m,
// so a 14×14 map is drawn half the side of a 28×28 one.
static float lesson_map_cell(ViewCtx *v, const NetworkExt *e, Rect m) {
    float cell = netview_maps_fit_cell(v, m, 3, 32);
    for (int i = 0; i < e->n_layers; i++) {
        const Layer *l = &e->layers[i];
        if (l->out_h > 1) cell = fminf(cell, netview_maps_fit_cell(v, m, l->out_c, l->out_h));
    }
    return cell;
}

static void draw_network(ViewCtx *v, const Scene *sc) {
    const NetworkExt *e = sc->ext;
    if (!e) return;
    Canvas *c = v->c;
    const Theme *th = v->th;
    Rect a = v->area;
    bool zh = v->lang == LANG_ZH;
    bool maps = e->have_acts && e->focus != NETWORK_FOCUS_NONE;
    bool compact = maps || (e->no_data && e->focus != NETWORK_FOCUS_NONE); // room for the maps or the "make data" note
    float bottom = draw_table(v, e, (Rect){a.x, a.y, a.w, a.h}, compact);
    if (!maps) {
        float y = bottom + 8 + draw_weights_note(v, e, a.x + 10, bottom + 8, a.w - 20);
        if (e->no_data && e->focus != NETWORK_FOCUS_NONE) { // the maps need the pictures
            char body[800];
            snprintf(body, sizeof body, zh ? "这一步的特征图需要 CIFAR-10 图像。下载数据（约 170 MB）：**make data**\n%s"
                                           : "The feature maps of this step need CIFAR-10 images. Download them (about 170 MB): **make data**\n%s",
                     e->data_hint);
            Rect box = {a.x + 10, y + 14, a.w - 20, 0};
            TextStyle bs = text_style(c, th->font_body, th->text);
            box.h = draw_text_wrapped(c, 0, 0, box.w - 32, body, bs, 1.4f, false) + 28;
            draw_fill_round_rect(c, box, 10, th->panel);
            draw_rect_outline(c, box, 2.5f, th->accent);
            draw_text_wrapped(c, box.x + 16, box.y + 14, box.w - 32, body, bs, 1.4f, true);
        }
        return;
    }
    // the picture on the left, the focused layer's values on the right
    Rect rest = {a.x, bottom + 10, a.w, a.y + a.h - bottom - 10};
    float note_h = th->font_small * 3.3f;
    rest.h -= note_h;
    float side = fminf(fminf(rest.h - th->font_body * 2.2f, 160), a.w * 0.22f);
    side = fmaxf(64, floorf(side / 32) * 32);
    char cap[96];
    view_image_caption(cap, sizeof cap, v, sc, true);
    widget_image(c, (Rect){rest.x + 6, rest.y + 24, side, side}, sc->image_rgb, 32, 32, cap);
    Rect m = {rest.x + side + 36, rest.y, rest.x + rest.w - (rest.x + side + 36), rest.h};
    draw_arrow(c, rest.x + side + 10, rest.y + 24 + side / 2, m.x - 4, rest.y + 24 + side / 2, th->line_thick, 10, th->text_muted);
    char title[200], shape[48];
    float cell = lesson_map_cell(v, e, m);
    if (e->focus == NETWORK_FOCUS_INPUT) {
        snprintf(title, sizeof title, zh ? "输入：3 个通道（归一化到 −1…1）" : "input: 3 channels (normalized to −1…1)");
        netview_maps_scaled(v, m, e->acts[0], 3, 32, 32, HEAT_DIVERGING, title, "RGB", cell);
    } else {
        const Layer *l = &e->layers[e->focus];
        const float *act = e->acts[e->focus + 1];
        network_shape_text(shape, sizeof shape, l->out_c, l->out_h, l->out_w);
        bool nonneg = l->kind == LAYER_RELU || l->kind == LAYER_MAXPOOL2D || l->kind == LAYER_FLATTEN;
        if (l->kind == LAYER_LINEAR && l->out_c == NET_NUM_CLASSES) {
            snprintf(title, sizeof title, zh ? "%s：10 个 logits 及其 softmax" : "%s: the 10 logits and their softmax", l->name);
            netview_logits(v, m, act, e->probs, sc->image_label, title);
        } else if (e->extractor && e->extract) {
            // the net's pool2 (after ReLU) next to the Sequential's output (no ReLU)
            Rect left = {m.x, m.y, m.w / 2 - 8, m.h}, right = {m.x + m.w / 2 + 8, m.y, m.w / 2 - 8, m.h};
            snprintf(title, sizeof title, zh ? "网络的 pool2（有 ReLU）" : "the net's pool2 (ReLU)");
            netview_maps(v, left, act, l->out_c, l->out_h, l->out_w, HEAT_VIRIDIS, title, NULL);
            snprintf(title, sizeof title, zh ? "Sequential 的输出（无 ReLU）" : "the Sequential (no ReLU)");
            netview_maps(v, right, e->extract, l->out_c, l->out_h, l->out_w, HEAT_DIVERGING, title, NULL);
        } else if (l->out_h == 1 && l->out_w == 1) {
            // a vector: the flattened 576 as 16 rows of 36 (one row per channel), 128 as 8 x 16
            int rows = l->kind == LAYER_FLATTEN ? e->layers[e->focus - 1].out_c : 8;
            if (l->out_c % rows) // another net's width (84, 120): the divisor nearest a square, so no value is left out
                for (rows = (int)sqrtf((float)l->out_c); rows > 1 && l->out_c % rows; rows--) {}
            int cols = l->out_c / rows;
            snprintf(title, sizeof title, zh ? "%s：%d 个数（每行 %d 个）" : "%s: %d numbers (%d per row)", l->name, l->out_c, cols);
            netview_vector(v, m, act, rows, cols, nonneg ? HEAT_VIRIDIS : HEAT_DIVERGING, title);
        } else {
            snprintf(title, sizeof title, zh ? "%s：%d 张 %d×%d 的特征图（%s）" : "%s: %d feature maps of %d×%d (%s)", l->name, l->out_c,
                     l->out_h, l->out_w, shape);
            netview_maps_scaled(v, m, act, l->out_c, l->out_h, l->out_w, nonneg ? HEAT_VIRIDIS : HEAT_DIVERGING, title,
                                NULL, cell);
        }
    }
    draw_weights_note(v, e, a.x + 10, a.y + a.h - note_h, a.w - 20);
    (void)CLASS_EN;
}

static const SceneView VIEW_NETWORK = {"network", draw_network, false};
SCENE_VIEW_REGISTER(VIEW_NETWORK)
