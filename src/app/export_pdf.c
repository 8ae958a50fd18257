/* The PDF writer of --batch export: see export.h. Cairo draws the pages
 * (the frame as an embedded full-resolution image), Pango lays out the text
 * (real text in the PDF, so it can be selected, searched and copied; Chinese
 * through fontconfig's fallback to Noto Sans CJK).
 */
#include <cairo-pdf.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>

#include "app/export.h"

#define PAGE_W 595.0   // A4 portrait, points
#define PAGE_H 842.0
#define MARGIN 42.0

struct PdfOut {
    FILE *f;
    bool write_failed;
    cairo_surface_t *surface;
    cairo_t *cr;
};

// cairo's output callback: fwrite into the caller's FILE.
static cairo_status_t write_bytes(void *closure, const unsigned char *data, unsigned int n) {
    PdfOut *p = closure;
    if (fwrite(data, 1, n, p->f) != n) { p->write_failed = true; return CAIRO_STATUS_WRITE_ERROR; }
    return CAIRO_STATUS_SUCCESS;
}

PdfOut *pdf_out_open(FILE *f, ClError *err) {
    PdfOut *p = cl_calloc(1, sizeof *p);
    p->f = f;
    p->surface = cairo_pdf_surface_create_for_stream(write_bytes, p, PAGE_W, PAGE_H);
    cairo_pdf_surface_set_metadata(p->surface, CAIRO_PDF_METADATA_CREATOR, "convlab");
    p->cr = cairo_create(p->surface);
    if (cairo_status(p->cr) != CAIRO_STATUS_SUCCESS) {
        cl_fail(err, "cannot start the PDF: %s", cairo_status_to_string(cairo_status(p->cr)));
        pdf_out_close(p, NULL);
        return NULL;
    }
    return p;
}

// Appends s to the growing buffer with Pango markup escaping.
static void put_escaped(char **o, size_t *len, size_t *cap, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const char *rep = s[i] == '<' ? "&lt;" : s[i] == '>' ? "&gt;" : s[i] == '&' ? "&amp;" : NULL;
        size_t k = rep ? strlen(rep) : 1;
        if (*len + k + 1 > *cap) { *cap = (*cap + k + 1) * 2; *o = realloc(*o, *cap); CL_ASSERT(*o); }
        memcpy(*o + *len, rep ? rep : &s[i], k);
        *len += k;
    }
    (*o)[*len] = 0;
}

char *export_pango_markup(const char *t) {
    size_t len = 0, cap = strlen(t) * 2 + 16;
    char *o = cl_malloc(cap);
    o[0] = 0;
    bool bold = false;
    const char *close_tag = NULL; // inside _{...} or ^{...}
    for (const char *c = t; *c; c++) {
        const char *tag = NULL;
        if (c[0] == '*' && c[1] == '*') { tag = bold ? "</b>" : "<b>"; bold = !bold; c++; }
        else if (!close_tag && (c[0] == '_' || c[0] == '^') && c[1] == '{') {
            tag = c[0] == '_' ? "<sub>" : "<sup>";
            close_tag = c[0] == '_' ? "</sub>" : "</sup>";
            c++;
        } else if (close_tag && c[0] == '}') { tag = close_tag; close_tag = NULL; }
        if (tag) {
            size_t k = strlen(tag);
            if (len + k + 1 > cap) { cap = (cap + k + 1) * 2; o = realloc(o, cap); CL_ASSERT(o); }
            memcpy(o + len, tag, k + 1);
            len += k;
        } else put_escaped(&o, &len, &cap, c, 1);
    }
    // unbalanced markup in a lesson must not make the whole text vanish
    const char *tails[2] = {close_tag, bold ? "</b>" : NULL};
    for (int i = 0; i < 2; i++)
        if (tails[i]) {
            size_t k = strlen(tails[i]);
            if (len + k + 1 > cap) { cap = len + k + 1; o = realloc(o, cap); CL_ASSERT(o); }
            memcpy(o + len, tails[i], k + 1);
            len += k;
        }
    return o;
}

// Lays out markup at (x, y) within width; returns the height used (points).
static double draw_markup(cairo_t *cr, double x, double y, double width, const char *markup, const char *font) {
    PangoLayout *layout = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(font);
    pango_layout_set_font_description(layout, fd);
    pango_layout_set_width(layout, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_markup(layout, markup, -1);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, layout);
    int w, h;
    pango_layout_get_size(layout, &w, &h);
    pango_font_description_free(fd);
    g_object_unref(layout);
    return (double)h / PANGO_SCALE;
}

// The frame as a cairo image (RGB24 is 0x00RRGGBB native-endian per pixel).
static cairo_surface_t *frame_surface(const uint8_t *rgba, int w, int h) {
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) return img;
    cairo_surface_flush(img);
    uint8_t *dst = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (int y = 0; y < h; y++) {
        uint32_t *row = (uint32_t *)(dst + (size_t)y * stride);
        const uint8_t *s = rgba + (size_t)y * w * 4;
        for (int x = 0; x < w; x++) row[x] = (uint32_t)s[4 * x] << 16 | (uint32_t)s[4 * x + 1] << 8 | s[4 * x + 2];
    }
    cairo_surface_mark_dirty(img);
    return img;
}

int pdf_out_add_page(PdfOut *p, const uint8_t *rgba, int w, int h, const char *heading,
                     const char *caption, const char *text, ClError *err) {
    cairo_t *cr = p->cr;
    const double width = PAGE_W - 2 * MARGIN;
    double y = MARGIN;
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    char *m = export_pango_markup(heading);
    y += draw_markup(cr, MARGIN, y, width, m, "DejaVu Sans, Noto Sans CJK SC Bold 10") + 8;
    free(m);
    cairo_surface_t *img = frame_surface(rgba, w, h);
    double scale = width / w;
    cairo_save(cr);
    cairo_translate(cr, MARGIN, y);
    cairo_scale(cr, scale, scale);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
    y += h * scale + 16;
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    if (caption && caption[0]) {
        m = export_pango_markup(caption);
        y += draw_markup(cr, MARGIN, y, width, m, "DejaVu Sans, Noto Sans CJK SC Bold 13") + 8;
        free(m);
    }
    if (text && text[0]) {
        m = export_pango_markup(text);
        draw_markup(cr, MARGIN, y, width, m, "DejaVu Sans, Noto Sans CJK SC 11");
        free(m);
    }
    cairo_show_page(cr);
    cairo_status_t st = cairo_status(cr);
    if (p->write_failed) return cl_fail(err, "writing the PDF failed (the disk may be full)");
    if (st != CAIRO_STATUS_SUCCESS) return cl_fail(err, "drawing a PDF page: %s", cairo_status_to_string(st));
    return 0;
}

int pdf_out_close(PdfOut *p, ClError *err) {
    cairo_destroy(p->cr);
    cairo_surface_finish(p->surface);
    cairo_status_t st = cairo_surface_status(p->surface);
    cairo_surface_destroy(p->surface);
    int rc = 0;
    if (p->write_failed) rc = err ? cl_fail(err, "writing the PDF failed (the disk may be full)") : -1;
    else if (st != CAIRO_STATUS_SUCCESS) rc = err ? cl_fail(err, "finishing the PDF: %s", cairo_status_to_string(st)) : -1;
    free(p);
    // Pango's font map and cairo's font caches hold fontconfig objects; drop
    // them so draw_shutdown_fonts' FcFini finds fontconfig unused.
    pango_cairo_font_map_set_default(NULL);
    cairo_debug_reset_static_data();
    return rc;
}
