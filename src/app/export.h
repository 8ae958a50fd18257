/* --batch export (export.c): a lesson as an animated GIF (export_gif.c), a
 * PDF handout (export_pdf.c) or numbered PNGs. The frames are drawn by the
 * player exactly as --batch render draws them; the writers only encode.
 * Every writer writes into a FILE the caller opened on a temporary file and
 * renames into place only after a successful close, so a failure (full disk,
 * Ctrl-C) never leaves a file at the output path.
 */
#ifndef CONVLAB_EXPORT_H
#define CONVLAB_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "engine/error.h"
#include "ui/gif_out.h"   // the GIF writer (the window uses it too)

// ---- PDF (cairo + pango) -------------------------------------------------------

typedef struct PdfOut PdfOut;

// Starts an A4 portrait PDF on f (not closed by the writer).
PdfOut *pdf_out_open(FILE *f, ClError *err);
// One page: heading (bold), the frame rgba (h, w, 4) at full resolution scaled
// to the page width, the caption (bold) and the text (lesson markup **bold**,
// _{sub}, ^{sup}) as selectable text; CJK through fontconfig's fallback.
int pdf_out_add_page(PdfOut *p, const uint8_t *rgba, int w, int h, const char *heading,
                     const char *caption, const char *text, ClError *err);
// Finishes the document and frees p (also after an error; then returns -1).
int pdf_out_close(PdfOut *p, ClError *err);

// Lesson markup to Pango markup (escaped; ** -> <b>, _{x} -> <sub>, ^{x} -> <sup>).
// Ownership: free().
char *export_pango_markup(const char *lesson_text);

#endif
