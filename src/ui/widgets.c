/* Widgets (see widgets.h): number grids, images, panels, formula line and the
 * tensor-volume view (widget_volume.c). Everything here is drawing only.
 */
#include "ui/widgets.h"

#include <cglm/cglm.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson/scene.h"

// ---- geometry helpers (cglm) ----------------------------------------------------

float ui_ease(float t) {
    if (t <= 0) return 0;
    if (t >= 1) return 1;
    return glm_ease_cubic_inout(t);
}

Rect rect_lerp(Rect a, Rect b, float t) {
    vec4 va = {a.x, a.y, a.w, a.h}, vb = {b.x, b.y, b.w, b.h}, out;
    glm_vec4_lerp(va, vb, t, out);
    return (Rect){out[0], out[1], out[2], out[3]};
}

bool rect_contains(Rect r, float x, float y) { return x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h; }

// ---- grids -----------------------------------------------------------------

Rect grid_cell_rect(const GridSpec *g, int r, int col) {
    return (Rect){g->x + (float)(col + g->pad_l) * g->cell, g->y + (float)(r + g->pad_t) * g->cell, g->cell, g->cell};
}

GridSpec grid_spec(const float *v, int rows, int cols, float x, float y, float cell, Rgba strong) {
    GridSpec g;
    memset(&g, 0, sizeof g);   // no padding, no marks, HEAT_NONE, font fitted to the cell
    g.v = v;
    g.rows = rows;
    g.cols = cols;
    g.x = x;
    g.y = y;
    g.cell = cell;
    g.strong = strong;
    g.n_visible = -1;
    g.values = true;
    return g;
}

Rect grid_rect(const GridSpec *g) {
    return (Rect){g->x, g->y, (float)(g->cols + g->pad_l + g->pad_r) * g->cell, (float)(g->rows + g->pad_t + g->pad_b) * g->cell};
}

float grid_value_font(const Canvas *c, float cell, int max_chars) {
    const Theme *th = canvas_theme(c);
    // DejaVu digits are ~0.64 em wide; leave a margin of 12% per side
    float by_width = cell * 0.84f / (0.62f * (float)(max_chars > 1 ? max_chars : 1));
    float by_height = cell * 0.52f;
    float f = fminf(fminf(by_width, by_height), th->font_cell * 1.6f);
    return f >= 13.0f ? f : 0.0f; // smaller numbers are unreadable on a projector: hover instead
}

Rgba grid_cell_color(const Canvas *c, const GridSpec *g, float v) {
    if (g->heat == HEAT_VIRIDIS) {
        float span = g->hi - g->lo;
        return theme_viridis(span > 0 ? (v - g->lo) / span : 0.5f);
    }
    if (g->heat == HEAT_GRAY) {
        float span = g->hi - g->lo, t = span > 0 ? (v - g->lo) / span : 0.5f;
        uint8_t k = (uint8_t)lrintf(255 * fminf(fmaxf(t, 0), 1));
        return (Rgba){k, k, k, 255};
    }
    if (g->heat == HEAT_DIVERGING) {
        float m = fmaxf(fabsf(g->hi), fabsf(g->lo));
        return theme_diverging(canvas_theme(c), m > 0 ? v / m : 0);
    }
    return g->fill;
}

// Row numbers left of the padded grid, column numbers under it, 0-based over
// the real cells (what "column 2" means in PyTorch); every second one when
// cells are too narrow for two digits.
static void draw_grid_indices(Canvas *c, const GridSpec *g) {
    const Theme *th = canvas_theme(c);
    Rect gr = grid_rect(g);
    char buf[16];
    float font = 14;
    int every = g->cell >= 22 ? 1 : g->cell >= 11 ? 2 : 4;
    TextStyle st = text_style(c, font, th->text_muted);
    st.vcenter = true;
    st.align = ALIGN_RIGHT;
    for (int r = 0; r < g->rows; r += every) {
        Rect cr = grid_cell_rect(g, r, 0);
        snprintf(buf, sizeof buf, "%d", r);
        draw_text(c, gr.x - 5, cr.y + cr.h / 2, buf, st);
    }
    st.align = ALIGN_CENTER;
    st.vcenter = false;
    for (int col = 0; col < g->cols; col += every) {
        Rect cr = grid_cell_rect(g, 0, col);
        snprintf(buf, sizeof buf, "%d", col);
        draw_text(c, cr.x + cr.w / 2, gr.y + gr.h + 3, buf, st);
    }
}

// A shown cell's fill: its value's colour, or its mark's (faded from the
// previous marks while the window slides).
static Rgba shown_fill(const Canvas *c, const GridSpec *g, int i) {
    Rgba base = grid_cell_color(c, g, g->v[i]);
    if (g->heat != HEAT_NONE || (!g->mark && !g->mark_from)) return base;
    Rgba now = g->mark && g->mark[i] ? (g->mark[i] == 2 ? g->mark_fill2 : g->mark_fill) : base;
    if (!g->mark_from || g->mark_t >= 1) return now;
    Rgba was = g->mark_from[i] ? (g->mark_from[i] == 2 ? g->mark_fill2 : g->mark_fill) : base;
    return rgba_mix(was, now, g->mark_t);
}

void widget_grid(Canvas *c, const GridSpec *g) {
    const Theme *th = canvas_theme(c);
    char buf[64];
    // the widest number (measured, at a reference size) decides the font, so
    // every cell uses one size and nothing touches the cell borders
    float font = g->font;
    if (font <= 0 && g->values && g->cell >= 13) {
        const float ref = 20;
        float maxw = 1;
        for (int i = 0; i < g->rows * g->cols; i++) {
            float w;
            scene_fmt(buf, sizeof buf, g->v[i], g->decimals);
            text_measure(c, buf, ref, false, &w, NULL);
            if (w > maxw) maxw = w;
        }
        font = fminf(fminf(ref * (g->cell - 6) * 0.92f / maxw, g->cell * 0.52f), th->font_cell * 1.6f); // 3 px + 4% air a side
        // numbers are >= 14 px at 1280x800 (the back of a lecture hall): take
        // less air rather than a smaller size while 14 px still fits
        if (font < GRID_MIN_FONT && maxw * GRID_MIN_FONT / ref <= g->cell - 3) font = GRID_MIN_FONT;
        if (font < 13) font = 0; // unreadable on a projector: hover instead
    }
    bool values = g->values && font > 0;
    float lw = g->cell >= 10 ? th->line_thin : 0;
    // padding rings: hatched grey cells with a "0"
    for (int r = -g->pad_t; r < g->rows + g->pad_b; r++)
        for (int col = -g->pad_l; col < g->cols + g->pad_r; col++) {
            if (r >= 0 && r < g->rows && col >= 0 && col < g->cols) continue;
            Rect cr = grid_cell_rect(g, r, col);
            draw_fill_rect(c, cr, th->padding_cell);
            draw_hatch(c, cr, fmaxf(g->cell / 4, 4), 1, th->padding_hatch);
            if (lw > 0) draw_rect_outline(c, cr, lw, th->padding_hatch);
            if (values) {
                TextStyle st = text_style(c, font, th->text_muted);
                st.align = ALIGN_CENTER;
                st.vcenter = true;
                draw_text(c, cr.x + cr.w / 2, cr.y + cr.h / 2, g->pad_text ? g->pad_text : "0", st);
            }
        }
    // cell fills: one nearest-neighbour image for big grids (one blit instead
    // of a rectangle per cell), rectangles for small ones
    int n = g->rows * g->cols;
    static uint8_t rgb[64 * 64 * 3];
    bool as_image = n > 64 && n <= 64 * 64;
    for (int i = 0; i < n; i++) {
        bool shown = g->n_visible < 0 || i < g->n_visible;
        Rgba fill = shown ? shown_fill(c, g, i) : th->empty_cell;
        if (as_image) { rgb[3 * i] = fill.r; rgb[3 * i + 1] = fill.g; rgb[3 * i + 2] = fill.b; }
        else draw_fill_rect(c, grid_cell_rect(g, i / g->cols, i % g->cols), fill);
    }
    Rect c00 = grid_cell_rect(g, 0, 0);
    Rect inner = {c00.x, c00.y, (float)g->cols * g->cell, (float)g->rows * g->cell};
    if (as_image) draw_image_rgb(c, inner, rgb, g->cols, g->rows);
    if (lw > 0) { // grid lines across the whole grid
        for (int r = 1; r < g->rows; r++) draw_fill_rect(c, (Rect){inner.x, inner.y + (float)r * g->cell - lw / 2, inner.w, lw}, th->grid_line);
        for (int col = 1; col < g->cols; col++) draw_fill_rect(c, (Rect){inner.x + (float)col * g->cell - lw / 2, inner.y, lw, inner.h}, th->grid_line);
    }
    if (values)
        for (int i = 0; i < n; i++) {
            if (!(g->n_visible < 0 || i < g->n_visible)) continue;
            Rect cr = grid_cell_rect(g, i / g->cols, i % g->cols);
            Rgba fill = shown_fill(c, g, i);
            scene_fmt(buf, sizeof buf, g->v[i], g->decimals);
            bool dark_fill = rgba_luma(fill) < 0.5f;
            bool dark_theme = rgba_luma(th->bg) < 0.5f;
            Rgba tc = dark_fill == dark_theme ? th->cell_text : th->cell_text_inv;
            TextStyle st = text_style(c, font, tc);
            st.align = ALIGN_CENTER;
            st.vcenter = true;
            draw_text(c, cr.x + cr.w / 2, cr.y + cr.h / 2, buf, st);
        }
    // frame around the real input (not the padding) in the role colour
    draw_rect_outline(c, inner, fmaxf(th->line_thin * 2, 2), g->strong);
    if (g->index_labels) draw_grid_indices(c, g);
}

float widget_label_above(Canvas *c, Rect r, const char *text, Rgba color, float size) {
    float w, h;
    text_measure(c, text, size, true, &w, &h);
    TextStyle st = text_style(c, size, color);
    st.bold = true;
    st.align = ALIGN_CENTER;
    draw_text(c, r.x + r.w / 2, r.y - h - 6, text, st);
    return h + 6;
}

// ---- images -----------------------------------------------------------------

void widget_image(Canvas *c, Rect dst, const uint8_t *rgb, int w, int h, const char *caption) {
    const Theme *th = canvas_theme(c);
    draw_image_rgb(c, dst, rgb, w, h);
    draw_rect_outline(c, (Rect){dst.x - 2, dst.y - 2, dst.w + 4, dst.h + 4}, 2, th->panel_border);
    if (caption && *caption) {
        TextStyle st = text_style(c, th->font_body, th->text);
        st.bold = true;
        st.align = ALIGN_CENTER;
        draw_text(c, dst.x + dst.w / 2, dst.y + dst.h + 8, caption, st);
    }
}

// ---- panels and text ----------------------------------------------------------------

Rect widget_panel(Canvas *c, Rect r, const char *heading) {
    return widget_panel_sized(c, r, heading, canvas_theme(c)->font_body * 1.15f);
}

Rect widget_panel_sized(Canvas *c, Rect r, const char *heading, float size) {
    const Theme *th = canvas_theme(c);
    draw_fill_round_rect(c, r, 10, th->panel);
    Rect in = {r.x + 18, r.y + 16, r.w - 36, r.h - 32};
    if (heading && *heading) {
        TextStyle st = text_style(c, size, th->title);
        st.bold = true;
        float hh = draw_text_wrapped(c, in.x, in.y, in.w, heading, st, 1.25f, true);
        in.y += hh + 10;
        in.h -= hh + 10;
        draw_line(c, in.x, in.y - 5, in.x + in.w, in.y - 5, 1.5f, th->panel_border);
        in.y += 6;
        in.h -= 6;
    }
    return in;
}

float widget_text_block(Canvas *c, Rect r, const char *text, float size, float min_size, Rgba color) {
    TextStyle st = text_style(c, size, color);
    float s = size;
    for (; s > min_size; s -= 1) {
        st.size = s;
        if (draw_text_wrapped(c, r.x, r.y, r.w, text, st, 1.4f, false) <= r.h) break;
    }
    st.size = s;
    canvas_push_clip(c, r);
    float h = draw_text_wrapped(c, r.x, r.y, r.w, text, st, 1.4f, true);
    canvas_pop_clip(c);
    // the wrapped height ends with the last line's spacing; what the eye sees
    // ends at its glyphs (line height of the taller font, Latin or CJK)
    float hl, hc;
    text_measure(c, "M", s, false, NULL, &hl);
    text_measure(c, "\xE4\xB8\xAD", s, false, NULL, &hc); // 中
    return h > 0 ? h - 0.4f * fmaxf(hl, hc) : 0;
}

// Splits the formula into role segments and draws (or measures) them.
static float formula_pass(Canvas *c, float x, float y, const char *f, float size, bool draw) {
    const Theme *th = canvas_theme(c);
    Rgba col = th->text;
    char seg[1024];
    float cx = x;
    const char *p = f;
    while (*p) {
        size_t n = 0;
        while (p[n] && (unsigned char)p[n] > 4 && n < sizeof seg - 1) n++;
        memcpy(seg, p, n);
        seg[n] = 0;
        if (n) {
            TextStyle st = text_style(c, size, col);
            st.vcenter = true;
            st.bold = col.r != th->text.r || col.g != th->text.g || col.b != th->text.b;
            if (draw) cx += draw_text(c, cx, y, seg, st);
            else { float w; text_measure(c, seg, size, st.bold, &w, NULL); cx += w; }
        }
        p += n;
        if (*p && (unsigned char)*p <= 4) {
            switch (*p) {
            case 1: col = th->input; break;
            case 2: col = th->kernel; break;
            case 3: col = th->output; break;
            default: col = th->text; break;
            }
            p++;
        }
    }
    return cx - x;
}

float widget_formula(Canvas *c, float x, float y_center, float width, const char *formula, float size,
                     float min_size, TextAlign align) {
    float s = size, w = formula_pass(c, 0, 0, formula, s, false);
    while (w > width && s > min_size) {
        s = fmaxf(min_size, s - 1);
        w = formula_pass(c, 0, 0, formula, s, false);
    }
    float x0 = align == ALIGN_CENTER ? x + (width - w) / 2 : align == ALIGN_RIGHT ? x + width - w : x;
    canvas_push_clip(c, (Rect){x, y_center - s * 1.5f, width, s * 3});
    formula_pass(c, x0, y_center, formula, s, true);
    canvas_pop_clip(c);
    return w;
}
// The text of value v on bar b.
static void colour_bar_text(char *out, size_t n, const ColourBar *b, float v) {
    char num[32];
    if (v == 0) snprintf(num, sizeof num, "0");  // the centre of a diverging bar: 0 is exact
    else scene_fmt(num, sizeof num, v * (b->scale != 0 ? b->scale : 1), b->decimals);
    snprintf(out, n, "%s%s", num, b->unit ? b->unit : "");
}

// One value of the bar at t (0 = lo end, 1 = hi end): a tick and the value written
// beside it, outside the ramp.
static void draw_colour_bar_mark(Canvas *c, Rect r, const ColourBar *b, float t, float v, TextAlign end_align) {
    const Theme *th = canvas_theme(c);
    float size = b->font > 0 ? b->font : th->font_small;
    TextStyle st = text_style(c, size, th->text_muted);
    char buf[40];
    colour_bar_text(buf, sizeof buf, b, v);
    if (b->vertical) {
        float y = r.y + r.h * (1 - t);
        draw_line(c, r.x + r.w, y, r.x + r.w + 4, y, 1.5f, th->text_muted);
        st.vcenter = true;
        draw_text(c, r.x + r.w + 6, y, buf, st);
    } else {
        float x = r.x + r.w * t;  // the ends need no tick: the values sit under them
        if (t > 0 && t < 1) draw_line(c, x, r.y + r.h, x, r.y + r.h + 2, 1, th->text_muted);
        st.align = end_align;
        draw_text(c, x, r.y + r.h + 2, buf, st);
    }
}

// Whether the middle value at t clears the two end values under a horizontal bar
// (a narrow bar writes only its ends).
static bool middle_mark_fits(Canvas *c, Rect r, const ColourBar *b, float lo, float hi, float t, float v) {
    float size = b->font > 0 ? b->font : canvas_theme(c)->font_small, wl, wh, wm;
    char buf[40];
    colour_bar_text(buf, sizeof buf, b, lo);
    text_measure(c, buf, size, false, &wl, NULL);
    colour_bar_text(buf, sizeof buf, b, hi);
    text_measure(c, buf, size, false, &wh, NULL);
    colour_bar_text(buf, sizeof buf, b, v);
    text_measure(c, buf, size, false, &wm, NULL);
    float x = r.x + r.w * t;
    return x - wm / 2 >= r.x + wl + 4 && x + wm / 2 <= r.x + r.w - wh - 4;
}

void widget_colour_bar_draw(Canvas *c, Rect r, const ColourBar *b) {
    const Theme *th = canvas_theme(c);
    float lo = b->lo, hi = b->hi;
    // The colours grid_cell_color gives: a diverging map is symmetric about 0 (±max |value|).
    if (b->heat == HEAT_DIVERGING) hi = fmaxf(fabsf(lo), fabsf(hi)), lo = -hi;
    GridSpec g = {.heat = b->heat, .lo = lo, .hi = hi};
    float len = b->vertical ? r.h : r.w;
    int steps = (int)fmaxf(len / 2, 2);
    for (int i = 0; i < steps; i++) {
        float v = lo + (hi - lo) * ((float)i + 0.5f) / (float)steps;
        float a = (float)i / (float)steps, d = 1.0f / (float)steps;
        Rect cell = b->vertical ? (Rect){r.x, r.y + r.h * (1 - a - d), r.w, r.h * d + 0.5f}
                                : (Rect){r.x + r.w * a, r.y, r.w * d + 0.5f, r.h};
        draw_fill_rect(c, cell, grid_cell_color(c, &g, v));
    }
    draw_rect_outline(c, r, 1, th->panel_border);
    draw_colour_bar_mark(c, r, b, 0, lo, ALIGN_LEFT);
    draw_colour_bar_mark(c, r, b, 1, hi, ALIGN_RIGHT);
    float t = lo < 0 && hi > 0 ? -lo / (hi - lo) : 0.5f;
    if ((lo < 0 && hi > 0) || b->mid) {
        float v = lo < 0 && hi > 0 ? 0 : (lo + hi) / 2;
        if (b->vertical || middle_mark_fits(c, r, b, lo, hi, t, v)) draw_colour_bar_mark(c, r, b, t, v, ALIGN_CENTER);
    }
}

void widget_colour_bar(Canvas *c, Rect r, HeatMode heat, float lo, float hi, int decimals) {
    ColourBar b = {.heat = heat, .lo = lo, .hi = hi, .decimals = decimals};
    widget_colour_bar_draw(c, r, &b);
}
