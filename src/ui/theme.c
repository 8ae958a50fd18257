/* Themes: built-in light/dark defaults and the assets/theme-*.theme parser
 * (key = value, '#' comments, colours as #rrggbb or #rrggbbaa). Errors name
 * file:line; unknown keys are warnings. Colour maps: viridis and a
 * blue-white-red diverging map (both readable with red-green colour blindness).
 */
#include "engine/paths.h"
#include "ui/theme.h"

#include "engine/textfile.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static Rgba hex(uint32_t v) { return (Rgba){(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v, 255}; }

// Okabe-Ito based roles: blue 0072B2 (input), orange/vermillion (kernel),
// bluish green 009E73 (output), yellow-gold (argmax, always with an outline).
void theme_default_light(Theme *t) {
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "light");
    t->bg = hex(0xFAFAF7);          t->panel = hex(0xF0F1F4);     t->panel_border = hex(0xC9CDD4);
    t->text = hex(0x1B1F24);        t->text_muted = hex(0x5A6270); t->title = hex(0x10141A);
    t->accent = hex(0x0072B2);      t->error = hex(0xB00020);
    t->input = hex(0x0063A0);       t->input_cell = hex(0xD5E8F7);
    t->kernel = hex(0xD55E00);      t->kernel_cell = hex(0xFBE0BF);
    t->output = hex(0x007F5C);      t->output_cell = hex(0xCDEEE2);
    t->padding_cell = hex(0xE9E9E9); t->padding_hatch = hex(0xAAAAAA); t->skipped = hex(0x9A9A9A);
    t->argmax = hex(0xF5C518);      t->argmax_outline = hex(0x7A5C00);
    t->grid_line = hex(0x8E96A3);   t->cell_text = hex(0x111111); t->cell_text_inv = hex(0xFFFFFF);
    t->empty_cell = hex(0xF4F4F4);
    t->div_neg = hex(0x2166AC);     t->div_zero = hex(0xF7F7F7);  t->div_pos = hex(0xB2182B);
    t->font_body = 20; t->font_title = 28; t->font_small = 16; t->font_cell = 17; t->font_formula = 22;
    t->margin = 20; t->gap = 16; t->topbar_h = 56; t->formula_h = 64; t->panel_frac = 0.32f;
    t->line_thin = 1; t->line_thick = 3; t->window_thick = 5; t->anim_ms = 300;
}

void theme_default_dark(Theme *t) {
    theme_default_light(t);
    snprintf(t->name, sizeof t->name, "dark");
    t->bg = hex(0x1B1E23);          t->panel = hex(0x252931);     t->panel_border = hex(0x3C424D);
    t->text = hex(0xE9ECF0);        t->text_muted = hex(0xA3ABB8); t->title = hex(0xFFFFFF);
    t->accent = hex(0x56B4E9);      t->error = hex(0xFF6B6B);
    t->input = hex(0x56B4E9);       t->input_cell = hex(0x1D4466);
    t->kernel = hex(0xFF9F40);      t->kernel_cell = hex(0x6B4316);
    t->output = hex(0x3FD0A0);      t->output_cell = hex(0x17513F);
    t->padding_cell = hex(0x33373E); t->padding_hatch = hex(0x6A707A); t->skipped = hex(0x7A808A);
    t->argmax = hex(0xF5C518);      t->argmax_outline = hex(0xFFF3B0);
    t->grid_line = hex(0x5A616D);   t->cell_text = hex(0xF2F2F2); t->cell_text_inv = hex(0x111111);
    t->empty_cell = hex(0x2A2E35);
    t->div_neg = hex(0x4393C3);     t->div_zero = hex(0x2A2E35);  t->div_pos = hex(0xD6604D);
}

// ---- parser -----------------------------------------------------------------

typedef enum { F_COLOR, F_FLOAT } FieldKind;
#define COL(name) {#name, F_COLOR, offsetof(Theme, name), 0, 0}
#define NUM(name, lo, hi) {#name, F_FLOAT, offsetof(Theme, name), lo, hi}
static const struct { const char *key; FieldKind kind; size_t off; float lo, hi; } FIELDS[] = {
    COL(bg), COL(panel), COL(panel_border), COL(text), COL(text_muted), COL(title), COL(accent),
    COL(error), COL(input), COL(input_cell), COL(kernel), COL(kernel_cell), COL(output),
    COL(output_cell), COL(padding_cell), COL(padding_hatch), COL(skipped), COL(argmax),
    COL(argmax_outline), COL(grid_line), COL(cell_text), COL(cell_text_inv), COL(empty_cell),
    COL(div_neg), COL(div_zero), COL(div_pos),
    NUM(font_body, 18, 60), NUM(font_title, 28, 90), NUM(font_small, 12, 40), NUM(font_cell, 14, 40),
    NUM(font_formula, 16, 60), NUM(margin, 0, 200), NUM(gap, 0, 200), NUM(topbar_h, 30, 200),
    NUM(formula_h, 30, 300), NUM(panel_frac, 0.15f, 0.6f), NUM(line_thin, 0.5f, 10),
    NUM(line_thick, 1, 20), NUM(window_thick, 1, 20), NUM(anim_ms, 0, 2000),
};

static int parse_color(const char *s, Rgba *out) {
    if (*s != '#') return -1;
    s++;
    size_t n = strlen(s);
    if (n != 6 && n != 8) return -1;
    for (size_t i = 0; i < n; i++) if (!isxdigit((unsigned char)s[i])) return -1;
    unsigned long v = strtoul(s, NULL, 16);
    if (n == 6) *out = hex((uint32_t)v);
    else *out = (Rgba){(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return 0;
}

// Sets the theme field `key` from val; unknown keys only warn (a newer theme
// file still loads).
static int theme_set(Theme *t, const char *path, int line, const char *key, const char *val, ClError *err) {
    if (strcmp(key, "name") == 0) { snprintf(t->name, sizeof t->name, "%s", val); return 0; }
    size_t k = 0, nf = sizeof FIELDS / sizeof FIELDS[0];
    while (k < nf && strcmp(FIELDS[k].key, key) != 0) k++;
    if (k == nf) { fprintf(stderr, "%s:%d: warning: unknown theme key '%s' (ignored)\n", path, line, key); return 0; }
    if (FIELDS[k].kind == F_COLOR) {
        if (parse_color(val, (Rgba *)((char *)t + FIELDS[k].off)) != 0)
            return cl_fail(err, "%s:%d: %s: expected a colour #rrggbb or #rrggbbaa, got '%s'", path, line, key, val);
        return 0;
    }
    char *end;
    float v = strtof(val, &end);
    if (end == val || *text_trim(end) || !(v >= FIELDS[k].lo && v <= FIELDS[k].hi))
        return cl_fail(err, "%s:%d: %s: expected a number in [%g, %g], got '%s'", path, line, key, FIELDS[k].lo,
                       FIELDS[k].hi, val);
    *(float *)((char *)t + FIELDS[k].off) = v;
    return 0;
}

int theme_load(Theme *t, const char *path, ClError *err) {
    char *text;
    ClError why;
    if (text_file_read(path, "theme file", 1 << 16, &text, &why) != 0)
        return cl_fail(err, "%s; HINT: use --theme light|dark or restore assets/", why.msg);
    TextReader r;
    text_reader_init(&r, path, text);
    TextLine ln;
    int rc;
    while ((rc = text_reader_next(&r, &ln, err)) == 1) {
        if (ln.blank) continue;
        if (!ln.key) { rc = cl_fail(err, "%s:%d: expected 'key = value', got '%s'", path, ln.number, ln.text); break; }
        char *cmt = strstr(ln.value, " #"); // " #" after a value starts a comment
        if (cmt) { *cmt = 0; text_trim(ln.value); }
        if ((rc = theme_set(t, path, ln.number, ln.key, ln.value, err)) != 0) break;
    }
    free(text);
    return rc < 0 ? -1 : 0;
}

// assets/ of the resource root (engine/paths.h: the source tree or the install).
static int find_asset(char *out, size_t n, const char *rel) { return paths_find_resource(out, n, rel); }

const char *const THEME_NAMES[2] = {"light", "dark"};

int theme_load_named(Theme *t, const char *name, ClError *err) {
    if (strcmp(name, "light") == 0) theme_default_light(t);
    else if (strcmp(name, "dark") == 0) theme_default_dark(t);
    else return cl_fail(err, "unknown theme '%s'; use light or dark", name);
    char rel[64], path[600];
    snprintf(rel, sizeof rel, "assets/theme-%s.theme", name);
    if (find_asset(path, sizeof path, rel) != 0) return 0; // built-in defaults equal the shipped files
    return theme_load(t, path, err);
}

// ---- colour maps --------------------------------------------------------------

Rgba rgba_mix(Rgba a, Rgba b, float t) {
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    return (Rgba){(uint8_t)lrintf(a.r + (b.r - a.r) * t), (uint8_t)lrintf(a.g + (b.g - a.g) * t),
                  (uint8_t)lrintf(a.b + (b.b - a.b) * t), (uint8_t)lrintf(a.a + (b.a - a.a) * t)};
}

float rgba_luma(Rgba c) { return (0.2126f * c.r + 0.7152f * c.g + 0.0722f * c.b) / 255.0f; }

// viridis sampled at 9 points (matplotlib's table), linearly interpolated.
Rgba theme_viridis(float t) {
    static const uint32_t V[9] = {0x440154, 0x472D7B, 0x3B528B, 0x2C728E, 0x21918C,
                                  0x28AE80, 0x5EC962, 0xADDC30, 0xFDE725};
    if (!(t > 0)) t = 0;
    if (t > 1) t = 1;
    float x = t * 8;
    int i = (int)x;
    if (i >= 8) return hex(V[8]);
    return rgba_mix(hex(V[i]), hex(V[i + 1]), x - (float)i);
}

Rgba theme_diverging(const Theme *th, float v) {
    if (!(v == v)) v = 0;
    if (v < 0) return rgba_mix(th->div_zero, th->div_neg, fminf(-v, 1));
    return rgba_mix(th->div_zero, th->div_pos, fminf(v, 1));
}
