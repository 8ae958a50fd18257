/* Rows of labelled grids for the backward and transposed-convolution views
 * (view_gradrow.h). Drawing only: every number comes from the Scene.
 */
#include "ui/view_gradrow.h"

#include <math.h>
#include <string.h>

const char *gradrow_tr(const ViewCtx *v, const char *en, const char *zh) { return v->lang == LANG_ZH ? zh : en; }

void gradrow_role(ViewCtx *v, Panel *p, HitRole role) {
    const Theme *th = v->th;
    p->hit = role;
    p->fill = role == HIT_INPUT ? th->input_cell : role == HIT_KERNEL ? th->kernel_cell : th->output_cell;
    p->strong = role == HIT_INPUT ? th->input : role == HIT_KERNEL ? th->kernel : th->output;
    p->mark_fill = rgba_mix(p->fill, p->strong, 0.45f);
}

float gradrow_layout(ViewCtx *v, Panel *p, int n, Rect r, float gap, float max_cell) {
    float cols = 0, rows = 0, gaps = 0;
    int present = 0;
    for (int i = 0; i < n; i++) {
        if (!p[i].g) continue;
        if (present) gaps += p[i].gap_before > 0 ? p[i].gap_before : gap;
        cols += (float)(p[i].g->cols + 2 * p[i].pad);
        rows = fmaxf(rows, (float)(p[i].g->rows + 2 * p[i].pad));
        present++;
    }
    if (!present) return 0;
    float label_h = v->th->font_body * 1.3f + 10;
    float cell = fminf(max_cell, (r.w - gaps) / cols);
    cell = fminf(cell, (r.h - label_h) / rows);
    cell = floorf(cell);
    float total = cols * cell + gaps;
    // a quarter pixel off the grid: 1-px cell lines (centred on cell edges) never round to zero width
    float x = floorf(r.x + (r.w - total) / 2) + 0.25f, mid = r.y + label_h + (r.h - label_h) / 2;
    bool first = true;
    for (int i = 0; i < n; i++) {
        if (!p[i].g) continue;
        if (!first && p[i].gap_before > 0) x += p[i].gap_before - gap; // x already moved by gap
        first = false;
        GridSpec *s = &p[i].spec;
        memset(s, 0, sizeof *s);
        s->v = p[i].g->v;
        s->rows = p[i].g->rows;
        s->cols = p[i].g->cols;
        s->pad_t = s->pad_b = s->pad_l = s->pad_r = p[i].pad;
        s->cell = cell;
        s->x = x;
        s->y = floorf(mid - (float)(s->rows + 2 * p[i].pad) * cell / 2) + 0.25f;
        s->fill = p[i].fill;
        s->strong = p[i].strong;
        s->heat = HEAT_NONE;
        s->decimals = p[i].g->v ? grid_decimals(p[i].g) : 0;
        s->n_visible = p[i].n_visible;
        s->values = true;
        s->mark = p[i].mark;
        s->mark_fill = p[i].mark_fill;
        s->mark_fill2 = v->th->argmax;
        x += (float)(s->cols + 2 * p[i].pad) * cell + gap;
    }
    return cell;
}

// Faded cells: a veil in the background colour, hatched, so a zero that is not data reads as such;
// the number sits on a plate in the middle, so no hatch line runs through its digits.
static void draw_dim(ViewCtx *v, const Panel *p) {
    if (!p->dim) return;
    const Theme *th = v->th;
    Rgba veil = th->bg, plate = th->bg;
    veil.a = 150;
    plate.a = 235;
    float cell = p->spec.cell, font = fminf(cell * 0.45f, th->font_cell * 1.3f);
    for (int i = 0; i < p->g->rows * p->g->cols; i++) {
        if (!p->dim[i]) continue;
        Rect cr = grid_cell_rect(&p->spec, i / p->g->cols, i % p->g->cols);
        draw_fill_rect(v->c, cr, veil);
        draw_hatch(v->c, cr, fmaxf(cell / 4, 4), 1, th->padding_hatch);
        if (!p->spec.values || font < 13 || (p->n_visible >= 0 && i >= p->n_visible)) continue;
        char buf[32];
        scene_fmt(buf, sizeof buf, p->g->v[i], p->spec.decimals);
        float tw, thh;
        text_measure(v->c, buf, font, false, &tw, &thh);
        float pw = fminf(cell - 4, tw + 8), ph = fminf(cell - 4, thh + 2); // hugs the number, hatch around it
        draw_fill_rect(v->c, (Rect){cr.x + (cell - pw) / 2, cr.y + (cell - ph) / 2, pw, ph}, plate);
        TextStyle st = text_style(v->c, font, th->text_muted);
        st.align = ALIGN_CENTER;
        st.vcenter = true;
        draw_text(v->c, cr.x + cell / 2, cr.y + cell / 2, buf, st);
    }
}

void gradrow_draw(ViewCtx *v, Panel *p, int n) {
    const Theme *th = v->th;
    for (int i = 0; i < n; i++) {
        if (!p[i].g) continue;
        widget_grid(v->c, &p[i].spec);
        draw_dim(v, &p[i]);
        if (p[i].label) widget_label_above(v->c, grid_rect(&p[i].spec), p[i].label, p[i].strong, th->font_body);
        hitmap_add(v->hits, &p[i].spec, p[i].hit, p[i].label ? p[i].label : "", 0, 0);
        float t = th->window_thick;
        for (int k = 0; k < p[i].n_outline; k++) {
            Rect cr = grid_cell_rect(&p[i].spec, p[i].oy[k], p[i].ox[k]);
            draw_rect_outline(v->c, (Rect){cr.x - t / 2, cr.y - t / 2, cr.w + t, cr.h + t}, t, p[i].strong);
        }
        if (p[i].window.w > 0) { // slides from the previous step's window (cglm lerp), as the conv view's
            Rect w = p[i].window;
            if (p[i].window_from.w > 0 && p[i].t < 1) w = rect_lerp(p[i].window_from, w, p[i].t);
            Rect c00 = grid_cell_rect(&p[i].spec, 0, 0);
            float cs = p[i].spec.cell;
            Rect wr = {c00.x + w.x * cs - t / 2, c00.y + w.y * cs - t / 2, w.w * cs + t, w.h * cs + t};
            draw_rect_outline(v->c, wr, t, th->kernel);
        }
    }
}

void gradrow_place_under(Panel *q, const Panel *p, float y) {
    GridSpec s = p->spec;
    s.v = q->g->v;
    s.rows = q->g->rows;
    s.cols = q->g->cols;
    s.x += (float)p->pad * s.cell;
    s.y = y;
    s.pad_t = s.pad_b = s.pad_l = s.pad_r = 0;
    s.fill = q->fill;
    s.strong = q->strong;
    s.decimals = grid_decimals(q->g);
    s.n_visible = q->n_visible;
    s.mark = q->mark;
    s.mark_fill = q->mark_fill;
    q->spec = s;
}

void gradrow_symbol(ViewCtx *v, const Panel *a, const Panel *b, const char *sym) {
    if (!a->g || !b->g) return;
    Rect ra = grid_rect(&a->spec), rb = grid_rect(&b->spec);
    TextStyle st = text_style(v->c, v->th->font_title * 1.1f, v->th->text_muted);
    st.align = ALIGN_CENTER;
    st.vcenter = true;
    float ya = ra.y + ra.h / 2, yb = rb.y + rb.h / 2;
    draw_text(v->c, (ra.x + ra.w + rb.x) / 2, (ya + yb) / 2, sym, st);
}

void gradrow_arrow(ViewCtx *v, const Panel *a, const Panel *b, const char *text, Rgba col) {
    if (!a->g || !b->g) return;
    Rect ra = grid_rect(&a->spec), rb = grid_rect(&b->spec);
    bool right = rb.x > ra.x;
    float x0 = right ? ra.x + ra.w + 8 : ra.x - 8, x1 = right ? rb.x - 8 : rb.x + rb.w + 8;
    float y = (ra.y + ra.h / 2 + rb.y + rb.h / 2) / 2;
    draw_arrow(v->c, x0, y, x1, y, v->th->line_thick * 1.5f, 14, col);
    if (text) {
        TextStyle st = text_style(v->c, v->th->font_body * 0.9f, col);
        st.align = ALIGN_CENTER;
        st.bold = true;
        draw_text(v->c, (x0 + x1) / 2, y - v->th->font_body * 1.6f, text, st);
    }
}
