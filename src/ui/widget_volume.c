/* Tensor volumes drawn to scale (widgets.h: VolumeSpec, VolumeScale), for the
 * conv2d views. An oblique (cabinet) projection keeps lengths exact: a row or
 * a column is `cell` px wherever it is, a channel is a slab `slab` px deep
 * along the depth axis, so volumes drawn with one scale compare by size the
 * way their shapes do (a 2x2 output beside a 6x6 input, 1 channel beside 4).
 *   screen(x, y, z) = origin + (x·cell + z·slab·DX, y·cell − z·slab·DY)
 * x: column, y: row (down), z: channel (0 in front, growing away).
 */
#include <math.h>

#include "ui/widgets.h"

// Where a volume's front face starts, and its scale.
typedef struct {
    float ox, oy;               // screen point of (column 0, row 0, channel 0) of the UNPADDED volume
    VolumeScale s;
} VolumeFrame;

static void project(const VolumeFrame *f, float x, float y, float z, float *sx, float *sy) {
    *sx = f->ox + x * f->s.cell + z * f->s.slab * VOLUME_DEPTH_DX;
    *sy = f->oy + y * f->s.cell - z * f->s.slab * VOLUME_DEPTH_DY;
}

static void fill_quad4(Canvas *c, const VolumeFrame *f, const float p[4][3], Rgba col) {
    float q[8];
    for (int i = 0; i < 4; i++) project(f, p[i][0], p[i][1], p[i][2], &q[2 * i], &q[2 * i + 1]);
    draw_fill_quad(c, q, col);
}

static void edge(Canvas *c, const VolumeFrame *f, float x0, float y0, float z0, float x1, float y1, float z1, float w,
                 Rgba col, bool dashed) {
    float a, b, d, e;
    project(f, x0, y0, z0, &a, &b);
    project(f, x1, y1, z1, &d, &e);
    if (dashed) draw_dashed_line(c, a, b, d, e, w, 5, col);
    else draw_line(c, a, b, d, e, w, col);
}

// The 9 visible edges of the box [x0,x1]x[y0,y1]x[z0,z1] (front, top, right faces).
static void box_edges(Canvas *c, const VolumeFrame *f, const float b[6], float w, Rgba col, bool dashed) {
    float x0 = b[0], x1 = b[1], y0 = b[2], y1 = b[3], z0 = b[4], z1 = b[5];
    edge(c, f, x0, y0, z0, x1, y0, z0, w, col, dashed); // front face
    edge(c, f, x0, y1, z0, x1, y1, z0, w, col, dashed);
    edge(c, f, x0, y0, z0, x0, y1, z0, w, col, dashed);
    edge(c, f, x1, y0, z0, x1, y1, z0, w, col, dashed);
    edge(c, f, x0, y0, z0, x0, y0, z1, w, col, dashed); // depth edges
    edge(c, f, x1, y0, z0, x1, y0, z1, w, col, dashed);
    edge(c, f, x1, y1, z0, x1, y1, z1, w, col, dashed);
    edge(c, f, x0, y0, z1, x1, y0, z1, w, col, dashed); // back of the top, back of the right side
    edge(c, f, x1, y0, z1, x1, y1, z1, w, col, dashed);
}

static void front_face(Canvas *c, const VolumeFrame *f, const float b[6], Rgba col) {
    float p[4][3] = {{b[0], b[2], b[4]}, {b[1], b[2], b[4]}, {b[1], b[3], b[4]}, {b[0], b[3], b[4]}};
    fill_quad4(c, f, p, col);
}

// The top (y = y0) and right (x = x1) faces between depths z0 and z1.
static void top_side_faces(Canvas *c, const VolumeFrame *f, const float b[6], float z0, float z1, Rgba base) {
    Rgba top = rgba_mix(base, (Rgba){255, 255, 255, base.a}, 0.35f);
    Rgba side = rgba_mix(base, (Rgba){0, 0, 0, base.a}, 0.15f);
    float t[4][3] = {{b[0], b[2], z0}, {b[1], b[2], z0}, {b[1], b[2], z1}, {b[0], b[2], z1}};
    float r[4][3] = {{b[1], b[2], z0}, {b[1], b[3], z0}, {b[1], b[3], z1}, {b[1], b[2], z1}};
    fill_quad4(c, f, t, top);
    fill_quad4(c, f, r, side);
}

// The padding: a ghost box around the volume, its front ring hatched like
// the zero rings of the grids.
static void draw_padding(Canvas *c, const VolumeFrame *f, const VolumeSpec *v) {
    float p = (float)v->pad, C = (float)v->C;
    float b[6] = {-p, (float)v->W + p, -p, (float)v->H + p, 0, C};
    Rgba bg = canvas_theme(c)->bg;
    Rgba ghost = rgba_mix(v->color, bg, 0.88f);
    ghost.a = 90;
    front_face(c, f, b, ghost);
    top_side_faces(c, f, b, 0, C, ghost);
    float x0, y0, x1, y1;
    project(f, -p, -p, 0, &x0, &y0);
    project(f, (float)v->W + p, (float)v->H + p, 0, &x1, &y1);
    float cw = p * f->s.cell;
    Rgba hatch = rgba_mix(v->color, bg, 0.55f);
    draw_hatch(c, (Rect){x0, y0, x1 - x0, cw}, 7, 1, hatch);
    draw_hatch(c, (Rect){x0, y1 - cw, x1 - x0, cw}, 7, 1, hatch);
    draw_hatch(c, (Rect){x0, y0 + cw, cw, y1 - y0 - 2 * cw}, 7, 1, hatch);
    draw_hatch(c, (Rect){x1 - cw, y0 + cw, cw, y1 - y0 - 2 * cw}, 7, 1, hatch);
    box_edges(c, f, b, 1.2f, rgba_mix(v->color, bg, 0.3f), true);
}

// The volume itself: front face, then one top and right strip per channel
// (its own colour, a line between slabs).
static void draw_body(Canvas *c, const VolumeFrame *f, const VolumeSpec *v, uint8_t alpha) {
    float b[6] = {0, (float)v->W, 0, (float)v->H, 0, (float)v->C};
    Rgba plain = rgba_mix(v->color, canvas_theme(c)->bg, 0.68f); // a tint of the role colour on either theme
    for (int k = 0; k < v->C; k++) {
        Rgba col = v->slab_colors ? v->slab_colors[k] : plain;
        col.a = alpha;
        if (k == 0) front_face(c, f, b, col);
        top_side_faces(c, f, b, (float)k, (float)k + 1, col);
    }
    Rgba line = rgba_mix(v->color, canvas_theme(c)->bg, 0.25f);
    if (f->s.slab >= 4)
        for (int k = 1; k < v->C; k++) {
            float z = (float)k;
            edge(c, f, 0, 0, z, (float)v->W, 0, z, 1, line, false);
            edge(c, f, (float)v->W, 0, z, (float)v->W, (float)v->H, z, 1, line, false);
        }
}

static void draw_sub(Canvas *c, const VolumeFrame *f, const VolumeSpec *v) {
    float b[6] = {v->x0, v->x0 + v->dx, v->y0, v->y0 + v->dy, v->c0, v->c0 + v->dc};
    Rgba col = v->sub_color;
    front_face(c, f, b, col);
    top_side_faces(c, f, b, b[4], b[5], col);
    box_edges(c, f, b, 2.2f, rgba_mix(col, (Rgba){0, 0, 0, 255}, 0.3f), false);
}

void volume_extent(const VolumeSpec *v, VolumeScale s, float *w, float *h) {
    float p = 2.0f * (float)v->pad;
    if (w) *w = ((float)v->W + p) * s.cell + (float)v->C * s.slab * VOLUME_DEPTH_DX;
    if (h) *h = ((float)v->H + p) * s.cell + (float)v->C * s.slab * VOLUME_DEPTH_DY;
}

// The largest cell for slab thickness `slab` (0: slab = cell), or <= 0 if nothing fits.
static float fit_cell(const VolumeSpec *const *v, int n, float w, float gap, float h, float slab) {
    float cols = 0, depth = 0, cell = 1e9f;
    for (int i = 0; i < n; i++) {
        float rows = (float)(v[i]->H + 2 * v[i]->pad), C = (float)v[i]->C;
        cols += (float)(v[i]->W + 2 * v[i]->pad);
        depth += C;
        cell = slab > 0 ? fminf(cell, (h - C * slab * VOLUME_DEPTH_DY) / rows) : fminf(cell, h / (rows + C * VOLUME_DEPTH_DY));
    }
    float room = w - gap * (float)(n - 1);
    return fminf(cell, slab > 0 ? (room - depth * slab * VOLUME_DEPTH_DX) / cols : room / (cols + depth * VOLUME_DEPTH_DX));
}

VolumeScale volume_scale_fit(const VolumeSpec *const *v, int n, float w, float gap, float h, float max_cell,
                             float min_slab) {
    float cell = fminf(fit_cell(v, n, w, gap, h, 0), max_cell);
    if (cell >= min_slab) return (VolumeScale){cell, cell}; // true 3-D scale: a channel as deep as a cell
    // thin cells (32x32 planes): channels get min_slab, but never more than
    // half of the room, so the planes stay the larger part of the picture
    float depth = 0, cmax = 0;
    for (int i = 0; i < n; i++) depth += (float)v[i]->C, cmax = fmaxf(cmax, (float)v[i]->C);
    float slab = fminf(min_slab, fminf(0.5f * (w - gap * (float)(n - 1)) / (depth * VOLUME_DEPTH_DX), 0.5f * h / (cmax * VOLUME_DEPTH_DY)));
    cell = fminf(fit_cell(v, n, w, gap, h, slab), max_cell);
    return (VolumeScale){fmaxf(cell, 0.5f), fmaxf(slab, cell)};
}

Rect widget_volume_at(Canvas *c, float x, float y, const VolumeSpec *v, VolumeScale s) {
    const Theme *th = canvas_theme(c);
    float w, h;
    volume_extent(v, s, &w, &h);
    float p = (float)v->pad;
    VolumeFrame f = {x + p * s.cell, y + (float)v->C * s.slab * VOLUME_DEPTH_DY + p * s.cell, s};
    if (v->pad > 0) draw_padding(c, &f, v);
    bool inside = v->sub && v->c0 > 0.01f; // behind the front face: seen through it
    draw_body(c, &f, v, v->sub ? 200 : 255);
    float b[6] = {0, (float)v->W, 0, (float)v->H, 0, (float)v->C};
    if (v->sub && v->dc < (float)v->C - 0.01f) { // the channels the sub-box spans, outlined on the top and right faces
        float s0[6] = {0, (float)v->W, 0, (float)v->H, v->c0, v->c0 + v->dc};
        Rgba o = v->sub_color;
        edge(c, &f, 0, 0, s0[4], s0[1], 0, s0[4], 2, o, false);
        edge(c, &f, 0, 0, s0[5], s0[1], 0, s0[5], 2, o, false);
        edge(c, &f, s0[1], 0, s0[4], s0[1], s0[3], s0[4], 2, o, false);
        edge(c, &f, s0[1], 0, s0[5], s0[1], s0[3], s0[5], 2, o, false);
    }
    if (v->sub) draw_sub(c, &f, v);
    if (inside) {
        Rgba glass = v->slab_colors ? v->slab_colors[0] : rgba_mix(v->color, th->bg, 0.68f);
        glass.a = 60;
        front_face(c, &f, b, glass);
    }
    box_edges(c, &f, b, 1.5f, v->color, false);
    if (v->label) {
        TextStyle st = text_style(c, th->font_body, th->text);
        st.bold = true;
        st.align = ALIGN_CENTER;
        draw_text(c, x + w / 2, y + h + 6, v->label, st);
    }
    return (Rect){x, y, w, h};
}

void widget_volume(Canvas *c, Rect area, const VolumeSpec *v) {
    const Theme *th = canvas_theme(c);
    float label_h = v->label ? th->font_body * 1.8f : 0;
    const VolumeSpec *one[1] = {v};
    VolumeScale s = volume_scale_fit(one, 1, area.w * 0.9f, 0, (area.h - label_h) * 0.9f, 1e9f, 12);
    float w, h;
    volume_extent(v, s, &w, &h);
    widget_volume_at(c, area.x + (area.w - w) / 2, area.y + (area.h - label_h - h) / 2, v, s);
}
