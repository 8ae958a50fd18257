/* Pieces the sliding-window views share (view_conv.c, view_conv2d.c): the
 * arrow that carries a window's sum into the output cell being filled, and
 * the tint that moves with the window over the cells it reads.
 */
#include <math.h>

#include "ui/view.h"

// The arrow never crosses a filled cell: the cells filled so far come before
// (r, c) in row-major order, so it enters column 0 from the left, and any
// other cell (or any, when it starts on the lane) from below, through the
// cells of later rows (still empty).
void view_arrow_into_cell(ViewCtx *v, float x0, float y0, const GridSpec *g, int r, int c, Rgba col) {
    Canvas *cv = v->c;
    float t = v->th->line_thick, head = 14, inset = v->th->window_thick;
    Rect cell = grid_cell_rect(g, r, c), gr = grid_rect(g);
    if (c == 0 && fabsf(y0 - view_arrow_lane_y(g)) > 1) { // (from the lane itself the wire is the way in)
        draw_arrow(cv, x0, y0, cell.x - inset, cell.y + cell.h / 2, t, head, col);
        return;
    }
    // a wire: into the gap left of the grid, down below it, along to the column, up into the cell
    float gx = gr.x - 16, below = view_arrow_lane_y(g), cx = cell.x + cell.w / 2;
    draw_line(cv, x0, y0, gx, y0, t, col);
    draw_line(cv, gx, y0 - t / 2, gx, below + t / 2, t, col);
    draw_line(cv, gx - t / 2, below, cx + t / 2, below, t, col);
    draw_arrow(cv, cx, below, cx, cell.y + cell.h + inset, t, head, col);
}

float view_arrow_lane_y(const GridSpec *g) {
    Rect gr = grid_rect(g);
    return gr.y + gr.h + 26; // room for the arrow up into a cell of the last row
}

void view_tint_cells(ViewCtx *v, const GridSpec *g, const int *iy, const int *ix, int n, Rgba col, float alpha) {
    if (alpha <= 0) return;
    Rgba tint = col;
    tint.a = (uint8_t)lrintf(fminf(1, alpha) * (float)col.a);
    for (int i = 0; i < n; i++) draw_fill_rect(v->c, grid_cell_rect(g, iy[i], ix[i]), tint);
}
