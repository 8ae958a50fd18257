/* The Canvas (see draw.h): shapes through SDL_RenderGeometry, text through
 * SDL2_ttf with a per-canvas cache of rendered runs (keyed by text, size,
 * weight, font and colour), images
 * through nearest-neighbour textures cached by content, PNGs via IMG_SavePNG.
 * Fonts come from fontconfig: DejaVu Sans for Latin runs, Noto Sans CJK SC
 * for CJK runs; a line mixing both is drawn run by run on a common baseline.
 */
#include "ui/draw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <SDL2/SDL_image.h>
#include <SDL2/SDL_ttf.h>
#include <fontconfig/fontconfig.h>

#define REF_W 1280.0f
#define REF_H 800.0f
#define TEXT_CACHE 1024      // rendered runs kept per canvas
#define IMAGE_CACHE 64       // image textures kept per canvas
#define FONT_CACHE 48        // (family, bold, px) TTF_Font handles
#define CLIP_DEPTH 8

// ---- fonts (process-wide) ---------------------------------------------------------

typedef enum { FAM_LATIN, FAM_CJK } Family;

static struct {
    bool ready;
    char path[2][2][512];    // [family][bold]
    int index[2][2];         // face index inside a .ttc
    struct { Family fam; bool bold; int px; TTF_Font *font; } open[FONT_CACHE];
    int n_open;
} FONTS;

// Asks fontconfig for `pattern`; accepts the match only if it covers codepoint
// `must_have` (fontconfig always returns *some* font).
static int fc_find(const char *pattern, FcChar32 must_have, char *path, size_t n, int *index) {
    FcPattern *pat = FcNameParse((const FcChar8 *)pattern);
    if (!pat) return -1;
    FcConfigSubstitute(NULL, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    FcResult res;
    FcPattern *m = FcFontMatch(NULL, pat, &res);
    FcPatternDestroy(pat);
    if (!m) return -1;
    FcChar8 *file = NULL;
    FcCharSet *cs = NULL;
    int idx = 0, ok = -1;
    if (FcPatternGetString(m, FC_FILE, 0, &file) == FcResultMatch &&
        FcPatternGetCharSet(m, FC_CHARSET, 0, &cs) == FcResultMatch && FcCharSetHasChar(cs, must_have)) {
        FcPatternGetInteger(m, FC_INDEX, 0, &idx);
        snprintf(path, n, "%s", (const char *)file);
        *index = idx;
        ok = 0;
    }
    FcPatternDestroy(m);
    return ok;
}

// fontconfig keeps its parsed configuration for the whole process; release it
// at exit so leak checkers (make check) see a clean exit.
static void fc_release(void) { FcFini(); }

int draw_init_fonts(ClError *err) {
    if (FONTS.ready) return 0;
    if (!FcInit()) return cl_fail(err, "fontconfig failed to initialise; HINT: apt-get install fontconfig");
    static bool registered;
    if (!registered) { atexit(fc_release); registered = true; }
    // Latin: DejaVu Sans must cover U+2212 (minus) and U+230A (floor) used in formulas.
    static const char *LATIN[2] = {"DejaVu Sans", "DejaVu Sans:bold"};
    static const char *CJK[2] = {"Noto Sans CJK SC:lang=zh-cn", "Noto Sans CJK SC:bold:lang=zh-cn"};
    for (int b = 0; b < 2; b++) {
        if (fc_find(LATIN[b], 0x230A, FONTS.path[FAM_LATIN][b], sizeof FONTS.path[0][0], &FONTS.index[FAM_LATIN][b]) != 0)
            return cl_fail(err, "no Latin font with formula symbols found via fontconfig (wanted '%s'); "
                           "HINT: apt-get install fonts-dejavu-core (or run make deps)", LATIN[b]);
        if (fc_find(CJK[b], 0x5377 /* 卷 */, FONTS.path[FAM_CJK][b], sizeof FONTS.path[0][0], &FONTS.index[FAM_CJK][b]) != 0)
            return cl_fail(err, "no Chinese (CJK) font found via fontconfig (wanted '%s'); "
                           "HINT: apt-get install fonts-noto-cjk (or run make deps)", CJK[b]);
    }
    if (!TTF_WasInit() && TTF_Init() != 0) return cl_fail(err, "SDL_ttf: %s", TTF_GetError());
    FONTS.ready = true;
    return 0;
}

void draw_shutdown_fonts(void) {
    for (int i = 0; i < FONTS.n_open; i++) TTF_CloseFont(FONTS.open[i].font);
    FONTS.n_open = 0;
    if (FONTS.ready && TTF_WasInit()) TTF_Quit();
    FONTS.ready = false;
}

static TTF_Font *font_get(Family fam, bool bold, int px) {
    if (px < 4) px = 4;
    for (int i = 0; i < FONTS.n_open; i++)
        if (FONTS.open[i].fam == fam && FONTS.open[i].bold == bold && FONTS.open[i].px == px) return FONTS.open[i].font;
    TTF_Font *f = TTF_OpenFontIndex(FONTS.path[fam][bold], px, FONTS.index[fam][bold]);
    CL_ASSERT(f != NULL); // the file was found by draw_init_fonts
    TTF_SetFontHinting(f, TTF_HINTING_LIGHT);
    if (FONTS.n_open == FONT_CACHE) { // evict the oldest
        TTF_CloseFont(FONTS.open[0].font);
        memmove(&FONTS.open[0], &FONTS.open[1], sizeof FONTS.open[0] * (FONT_CACHE - 1));
        FONTS.n_open--;
    }
    FONTS.open[FONTS.n_open].fam = fam;
    FONTS.open[FONTS.n_open].bold = bold;
    FONTS.open[FONTS.n_open].px = px;
    FONTS.open[FONTS.n_open].font = f;
    FONTS.n_open++;
    return f;
}

// ---- canvas -----------------------------------------------------------------

typedef struct {
    uint64_t key;            // hash of (text, px, bold, family); 0 = empty slot
    SDL_Texture *tex;
    int w, h;                // output px
    int ascent;              // output px
    long last_used;          // frame number
} TextEntry;

typedef struct {
    uint64_t key;
    SDL_Texture *tex;
    long last_used;
} ImageEntry;

struct Canvas {
    SDL_Renderer *ren;
    SDL_Window *win;         // NULL offscreen
    SDL_Surface *surface;    // offscreen target, else NULL
    const Theme *theme;
    int out_w, out_h;        // output pixels
    float scale;             // output px per logical px
    long frame;
    TextEntry text[TEXT_CACHE];
    ImageEntry images[IMAGE_CACHE];
    long hits, misses;
    SDL_Rect clips[CLIP_DEPTH];
    int n_clips;
    TextLog *log;            // tests: every drawn text, or NULL
};

static void canvas_refresh_size(Canvas *c) {
    if (c->surface) { c->out_w = c->surface->w; c->out_h = c->surface->h; }
    else SDL_GetRendererOutputSize(c->ren, &c->out_w, &c->out_h);
    if (c->out_w < 1) c->out_w = 1;
    if (c->out_h < 1) c->out_h = 1;
    c->scale = fminf((float)c->out_w / REF_W, (float)c->out_h / REF_H);
    if (c->scale < 0.25f) c->scale = 0.25f;
}

static Canvas *canvas_new(SDL_Renderer *ren, const Theme *theme) {
    Canvas *c = cl_calloc(1, sizeof *c);
    c->ren = ren;
    c->theme = theme;
    SDL_SetRenderDrawBlendMode(ren, SDL_BLENDMODE_BLEND);
    return c;
}

Canvas *canvas_create_window(SDL_Window *win, const Theme *theme, ClError *err) {
    SDL_Renderer *ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_ACCELERATED);
    if (!ren) ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    if (!ren) { cl_fail(err, "cannot create a renderer: %s", SDL_GetError()); return NULL; }
    Canvas *c = canvas_new(ren, theme);
    c->win = win;
    canvas_refresh_size(c);
    return c;
}

Canvas *canvas_create_offscreen(int w, int h, const Theme *theme, ClError *err) {
    if (w < 16 || h < 16 || w > 16384 || h > 16384) { cl_fail(err, "canvas size %dx%d out of range (16..16384)", w, h); return NULL; }
    // ARGB8888 like SDL_ttf's glyphs and the textures made from them, so text
    // blits take SDL's fast same-format alpha path
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!s) { cl_fail(err, "cannot allocate a %dx%d surface: %s", w, h, SDL_GetError()); return NULL; }
    SDL_Renderer *ren = SDL_CreateSoftwareRenderer(s);
    if (!ren) { SDL_FreeSurface(s); cl_fail(err, "cannot create a software renderer: %s", SDL_GetError()); return NULL; }
    Canvas *c = canvas_new(ren, theme);
    c->surface = s;
    canvas_refresh_size(c);
    return c;
}

void canvas_free(Canvas *c) {
    if (!c) return;
    for (int i = 0; i < TEXT_CACHE; i++) if (c->text[i].tex) SDL_DestroyTexture(c->text[i].tex);
    for (int i = 0; i < IMAGE_CACHE; i++) if (c->images[i].tex) SDL_DestroyTexture(c->images[i].tex);
    SDL_DestroyRenderer(c->ren);
    if (c->surface) SDL_FreeSurface(c->surface);
    free(c);
}

void canvas_begin_frame(Canvas *c) {
    canvas_refresh_size(c);
    c->frame++;
    c->n_clips = 0;
    SDL_RenderSetClipRect(c->ren, NULL);
    Rgba bg = c->theme->bg;
    SDL_SetRenderDrawBlendMode(c->ren, SDL_BLENDMODE_NONE);
    SDL_SetRenderDrawColor(c->ren, bg.r, bg.g, bg.b, 255);
    SDL_RenderClear(c->ren);
}

void canvas_end_frame(Canvas *c) {
    if (c->win) SDL_RenderPresent(c->ren);
}

SDL_Surface *canvas_read_pixels(Canvas *c) {
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, c->out_w, c->out_h, 32, SDL_PIXELFORMAT_RGBA32);
    if (!s) return NULL;
    if (c->surface) {
        SDL_FreeSurface(s);
        return SDL_ConvertSurfaceFormat(c->surface, SDL_PIXELFORMAT_RGBA32, 0);
    } else if (SDL_RenderReadPixels(c->ren, NULL, SDL_PIXELFORMAT_RGBA32, s->pixels, s->pitch) != 0) {
        SDL_FreeSurface(s);
        return NULL;
    }
    return s;
}

int canvas_save_png(Canvas *c, const char *path, ClError *err) {
    SDL_Surface *s = canvas_read_pixels(c);
    if (!s) return cl_fail(err, "cannot read the frame back: %s", SDL_GetError());
    int rc = IMG_SavePNG(s, path);
    SDL_FreeSurface(s);
    if (rc != 0) return cl_fail(err, "%s: cannot write PNG: %s; HINT: check the directory exists and is writable", path, IMG_GetError());
    return 0;
}

float canvas_width(const Canvas *c) { return (float)c->out_w / c->scale; }
float canvas_height(const Canvas *c) { return (float)c->out_h / c->scale; }
float canvas_scale(const Canvas *c) { return c->scale; }
const Theme *canvas_theme(const Canvas *c) { return c->theme; }
void canvas_set_theme(Canvas *c, const Theme *theme) { c->theme = theme; }
SDL_Renderer *canvas_renderer(Canvas *c) { return c->ren; }

void canvas_window_to_logical(const Canvas *c, int wx, int wy, float *lx, float *ly) {
    int ww = c->out_w, wh = c->out_h;
    if (c->win) SDL_GetWindowSize(c->win, &ww, &wh);
    float px = (float)wx * (float)c->out_w / (float)(ww > 0 ? ww : 1);
    float py = (float)wy * (float)c->out_h / (float)(wh > 0 ? wh : 1);
    *lx = px / c->scale;
    *ly = py / c->scale;
}

void canvas_cache_stats(const Canvas *c, long *hits, long *misses) {
    *hits = c->hits;
    *misses = c->misses;
}

// Logical rect -> output pixels, snapping both edges so neighbours tile exactly.
static SDL_Rect to_px(const Canvas *c, Rect r) {
    int x0 = (int)lrintf(r.x * c->scale), y0 = (int)lrintf(r.y * c->scale);
    int x1 = (int)lrintf((r.x + r.w) * c->scale), y1 = (int)lrintf((r.y + r.h) * c->scale);
    return (SDL_Rect){x0, y0, x1 - x0, y1 - y0};
}

void canvas_push_clip(Canvas *c, Rect r) {
    SDL_Rect pr = to_px(c, r);
    if (c->n_clips > 0) SDL_IntersectRect(&pr, &c->clips[c->n_clips - 1], &pr);
    CL_ASSERT(c->n_clips < CLIP_DEPTH);
    c->clips[c->n_clips++] = pr;
    SDL_RenderSetClipRect(c->ren, &pr);
}

void canvas_pop_clip(Canvas *c) {
    CL_ASSERT(c->n_clips > 0);
    c->n_clips--;
    SDL_RenderSetClipRect(c->ren, c->n_clips ? &c->clips[c->n_clips - 1] : NULL);
}

// ---- shapes -----------------------------------------------------------------

// Opaque colours draw without blending: SDL's software renderer blends every
// pixel of a blended fill one by one, while an opaque fill is a memset-like copy.
static void set_color(Canvas *c, Rgba col) {
    SDL_SetRenderDrawBlendMode(c->ren, col.a == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(c->ren, col.r, col.g, col.b, col.a);
}

void draw_fill_rect(Canvas *c, Rect r, Rgba col) {
    SDL_Rect pr = to_px(c, r);
    // A rectangle thinner than a pixel where it lands (a 1 px grid line on a
    // window scaled below 1) still covers one: rounding made every other line vanish.
    if (r.w > 0 && pr.w == 0) pr.w = 1;
    if (r.h > 0 && pr.h == 0) pr.h = 1;
    if (pr.w <= 0 || pr.h <= 0) return;
    set_color(c, col);
    SDL_RenderFillRect(c->ren, &pr);
}

void draw_rect_outline(Canvas *c, Rect r, float thickness, Rgba col) {
    SDL_Rect pr = to_px(c, r);
    int t = (int)lrintf(thickness * c->scale);
    if (t < 1) t = 1;
    if (pr.w <= 0 || pr.h <= 0) return;
    if (2 * t >= pr.w || 2 * t >= pr.h) { set_color(c, col); SDL_RenderFillRect(c->ren, &pr); return; }
    SDL_Rect e[4] = {{pr.x, pr.y, pr.w, t}, {pr.x, pr.y + pr.h - t, pr.w, t},
                     {pr.x, pr.y + t, t, pr.h - 2 * t}, {pr.x + pr.w - t, pr.y + t, t, pr.h - 2 * t}};
    set_color(c, col);
    SDL_RenderFillRects(c->ren, e, 4);
}

static void geometry(Canvas *c, const float *xy, int n_pts, const int *idx, int n_idx, Rgba col) {
    SDL_Vertex v[64];
    CL_ASSERT(n_pts <= 64);
    for (int i = 0; i < n_pts; i++) {
        v[i].position.x = xy[2 * i] * c->scale;
        v[i].position.y = xy[2 * i + 1] * c->scale;
        v[i].color = (SDL_Color){col.r, col.g, col.b, col.a};
        v[i].tex_coord.x = v[i].tex_coord.y = 0;
    }
    SDL_RenderGeometry(c->ren, NULL, v, n_pts, idx, n_idx);
}

void draw_fill_triangle(Canvas *c, const float xy[6], Rgba col) {
    static const int idx[3] = {0, 1, 2};
    geometry(c, xy, 3, idx, 3, col);
}

void draw_fill_quad(Canvas *c, const float xy[8], Rgba col) {
    static const int idx[6] = {0, 1, 2, 0, 2, 3};
    geometry(c, xy, 4, idx, 6, col);
}

void draw_line(Canvas *c, float x0, float y0, float x1, float y1, float thickness, Rgba col) {
    float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
    if (len < 1e-6f) return;
    float t_px = fmaxf(thickness * c->scale, 1.0f);
    // axis-aligned: a rectangle (exact and fast on every renderer)
    if (fabsf(dx) < 1e-4f || fabsf(dy) < 1e-4f) {
        float h = t_px / c->scale * 0.5f;
        Rect r = fabsf(dy) < 1e-4f ? (Rect){fminf(x0, x1), y0 - h, fabsf(dx), 2 * h} : (Rect){x0 - h, fminf(y0, y1), 2 * h, fabsf(dy)};
        draw_fill_rect(c, r, col);
        return;
    }
    // Thin diagonal lines: parallel 1-px lines. SDL's software renderer fills a
    // triangle by testing every pixel of its bounding box, so a long diagonal
    // quad costs its whole bounding box; lines cost their length.
    if (c->surface && t_px <= 4.5f) {
        int n = (int)lrintf(t_px);
        float nx = -dy / len, ny = dx / len, s = c->scale;
        set_color(c, col);
        for (int i = 0; i < n; i++) {
            float o = (float)i - (float)(n - 1) * 0.5f;
            SDL_RenderDrawLineF(c->ren, x0 * s + nx * o, y0 * s + ny * o, x1 * s + nx * o, y1 * s + ny * o);
        }
        return;
    }
    float half = t_px / c->scale * 0.5f; // at least one output pixel wide
    float nx = -dy / len * half, ny = dx / len * half;
    float q[8] = {x0 + nx, y0 + ny, x1 + nx, y1 + ny, x1 - nx, y1 - ny, x0 - nx, y0 - ny};
    draw_fill_quad(c, q, col);
}

void draw_dashed_line(Canvas *c, float x0, float y0, float x1, float y1, float thickness, float dash, Rgba col) {
    float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
    if (len < 1e-6f || dash <= 0) return;
    for (float s = 0; s < len; s += 2 * dash) {
        float e = fminf(s + dash, len);
        draw_line(c, x0 + dx * s / len, y0 + dy * s / len, x0 + dx * e / len, y0 + dy * e / len, thickness, col);
    }
}

void draw_arrow(Canvas *c, float x0, float y0, float x1, float y1, float thickness, float head, Rgba col) {
    float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
    if (len < 1e-6f) return;
    float ux = dx / len, uy = dy / len;
    float bx = x1 - ux * head, by = y1 - uy * head; // base of the head
    draw_line(c, x0, y0, bx + ux * 1.0f, by + uy * 1.0f, thickness, col);
    float w = head * 0.55f;
    float t[6] = {x1, y1, bx - uy * w, by + ux * w, bx + uy * w, by - ux * w};
    draw_fill_triangle(c, t, col);
}

void draw_fill_circle(Canvas *c, float cx, float cy, float radius, Rgba col) {
    enum { SEG = 24 };
    float xy[2 * (SEG + 1)];
    int idx[3 * SEG];
    xy[0] = cx; xy[1] = cy;
    for (int i = 0; i < SEG; i++) {
        float a = (float)i * 6.2831853f / SEG;
        xy[2 + 2 * i] = cx + radius * cosf(a);
        xy[3 + 2 * i] = cy + radius * sinf(a);
        idx[3 * i] = 0; idx[3 * i + 1] = 1 + i; idx[3 * i + 2] = 1 + (i + 1) % SEG;
    }
    geometry(c, xy, SEG + 1, idx, 3 * SEG, col);
}

// Rounded corners as scanlines in output pixels: exact on every renderer
// (the software renderer's triangles leave spikes at fan edges).
void draw_fill_round_rect(Canvas *c, Rect r, float radius, Rgba col) {
    SDL_Rect pr = to_px(c, r);
    int rad = (int)lrintf(fminf(radius, fminf(r.w, r.h) * 0.5f) * c->scale);
    if (pr.w <= 0 || pr.h <= 0) return;
    if (rad < 2) { draw_fill_rect(c, r, col); return; }
    set_color(c, col);
    SDL_Rect mid = {pr.x, pr.y + rad, pr.w, pr.h - 2 * rad};
    SDL_RenderFillRect(c->ren, &mid);
    for (int i = 0; i < rad; i++) {
        float dy = (float)rad - (float)i - 0.5f; // distance from the corner centre to this row's middle
        int inset = (int)lrintf((float)rad - sqrtf(fmaxf((float)rad * (float)rad - dy * dy, 0)));
        SDL_Rect top = {pr.x + inset, pr.y + i, pr.w - 2 * inset, 1};
        SDL_Rect bottom = {pr.x + inset, pr.y + pr.h - 1 - i, pr.w - 2 * inset, 1};
        SDL_RenderFillRect(c->ren, &top);
        SDL_RenderFillRect(c->ren, &bottom);
    }
}

void draw_hatch(Canvas *c, Rect r, float spacing, float thickness, Rgba col) {
    canvas_push_clip(c, r);
    for (float d = -r.h; d < r.w; d += spacing)
        draw_line(c, r.x + d, r.y + r.h, r.x + d + r.h, r.y, thickness, col);
    canvas_pop_clip(c);
}

// ---- text -------------------------------------------------------------------

static uint64_t fnv1a(const void *data, size_t n, uint64_t h) {
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 1099511628211ull; }
    return h;
}

// Decodes one UTF-8 codepoint at s (advancing *len bytes); invalid bytes map to U+FFFD.
static uint32_t utf8_next(const char *s, int *len) {
    const uint8_t *u = (const uint8_t *)s;
    if (u[0] < 0x80) { *len = 1; return u[0]; }
    if ((u[0] & 0xE0) == 0xC0 && (u[1] & 0xC0) == 0x80) { *len = 2; return ((u[0] & 0x1Fu) << 6) | (u[1] & 0x3Fu); }
    if ((u[0] & 0xF0) == 0xE0 && (u[1] & 0xC0) == 0x80 && (u[2] & 0xC0) == 0x80) {
        *len = 3;
        return ((u[0] & 0x0Fu) << 12) | ((u[1] & 0x3Fu) << 6) | (u[2] & 0x3Fu);
    }
    if ((u[0] & 0xF8) == 0xF0 && (u[1] & 0xC0) == 0x80 && (u[2] & 0xC0) == 0x80 && (u[3] & 0xC0) == 0x80) {
        *len = 4;
        return ((u[0] & 0x07u) << 18) | ((u[1] & 0x3Fu) << 12) | ((u[2] & 0x3Fu) << 6) | (u[3] & 0x3Fu);
    }
    *len = 1;
    return 0xFFFD;
}

// CJK ideographs, kana, CJK punctuation, full-width forms: drawn with the CJK font.
static bool is_cjk(uint32_t cp) {
    return (cp >= 0x2E80 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFFEF) || (cp >= 0x20000 && cp <= 0x2FFFF);
}

// Renders (or finds) one single-font run; returns the cache entry.
// The colour is part of the key: glyphs are rendered in their colour, because
// colour-modulated blits take SDL's slow generic path in software.
static TextEntry *text_run(Canvas *c, const char *s, int nbytes, Family fam, bool bold, int px, Rgba col) {
    uint64_t key = fnv1a(s, (size_t)nbytes, 1469598103934665603ull);
    uint32_t meta[4] = {(uint32_t)px, (uint32_t)bold, (uint32_t)fam,
                        ((uint32_t)col.r << 16) | ((uint32_t)col.g << 8) | col.b};
    key = fnv1a(meta, sizeof meta, key) | 1;
    unsigned slot = (unsigned)(key % TEXT_CACHE);
    // open addressing, 8 probes; the least recently used probe slot is replaced
    TextEntry *victim = &c->text[slot];
    for (int p = 0; p < 8; p++) {
        TextEntry *e = &c->text[(slot + (unsigned)p) % TEXT_CACHE];
        if (e->key == key) { e->last_used = c->frame; c->hits++; return e; }
        if (!e->key) { victim = e; break; }
        if (e->last_used < victim->last_used) victim = e;
    }
    c->misses++;
    if (victim->tex) SDL_DestroyTexture(victim->tex);
    memset(victim, 0, sizeof *victim);
    char buf[1024];
    int n = nbytes < (int)sizeof buf - 1 ? nbytes : (int)sizeof buf - 1;
    memcpy(buf, s, (size_t)n);
    buf[n] = 0;
    TTF_Font *f = font_get(fam, bold, px);
    victim->key = key;
    victim->last_used = c->frame;
    victim->ascent = TTF_FontAscent(f);
    SDL_Surface *surf = n ? TTF_RenderUTF8_Blended(f, buf, (SDL_Color){col.r, col.g, col.b, 255}) : NULL;
    if (surf) {
        victim->tex = SDL_CreateTextureFromSurface(c->ren, surf);
        victim->w = surf->w;
        victim->h = surf->h;
        SDL_FreeSurface(surf);
        if (victim->tex) SDL_SetTextureBlendMode(victim->tex, SDL_BLENDMODE_BLEND);
    } else {
        victim->w = 0;
        victim->h = TTF_FontHeight(f);
    }
    return victim;
}

typedef struct { int start, len; Family fam; } Run;

// Splits s into maximal runs of one family. Returns the number of runs (<= max).
static int split_runs(const char *s, Run *runs, int max) {
    int n = 0, i = 0;
    while (s[i] && n < max) {
        int l;
        Family fam = is_cjk(utf8_next(s + i, &l)) ? FAM_CJK : FAM_LATIN;
        int start = i;
        while (s[i]) {
            uint32_t cp = utf8_next(s + i, &l);
            Family f2 = is_cjk(cp) ? FAM_CJK : FAM_LATIN;
            // spaces and ASCII punctuation stay with the current run
            if (f2 != fam && !(cp == ' ')) break;
            i += l;
        }
        runs[n++] = (Run){start, i - start, fam};
    }
    return n;
}

static int px_of(const Canvas *c, float size) {
    int px = (int)lrintf(size * c->scale);
    return px < 4 ? 4 : px;
}

void text_measure(Canvas *c, const char *utf8, float size, bool bold, float *w, float *h) {
    Run runs[64];
    int n = split_runs(utf8, runs, 64), px = px_of(c, size);
    int tw = 0, th = TTF_FontHeight(font_get(FAM_LATIN, bold, px));
    for (int i = 0; i < n; i++) {
        TextEntry *e = text_run(c, utf8 + runs[i].start, runs[i].len, runs[i].fam, bold, px, (Rgba){0, 0, 0, 255});
        tw += e->w;
        if (e->h > th) th = e->h;
    }
    if (w) *w = (float)tw / c->scale;
    if (h) *h = (float)th / c->scale;
}

void canvas_set_text_log(Canvas *c, TextLog *log) { c->log = log; }

static void log_text(TextLog *log, const char *utf8, Rect box, float size) {
    if (log->n < log->cap) {
        TextLogEntry *e = &log->entries[log->n];
        snprintf(e->text, sizeof e->text, "%s", utf8);
        e->box = box;
        e->size = size;
    }
    log->n++;
}

// Draws runs on a common baseline: the line's own (max ascent of its runs), or
// with `mixed` the baseline of a line that could hold both fonts, so that the
// separately drawn words of a wrapped CJK + Latin paragraph line up.
static float draw_text_impl(Canvas *c, float x, float y, const char *utf8, TextStyle st, bool mixed) {
    Run runs[64];
    int n = split_runs(utf8, runs, 64), px = px_of(c, st.size);
    TextEntry *es[64];
    int tw = 0, asc = TTF_FontAscent(font_get(FAM_LATIN, st.bold, px)), th = TTF_FontHeight(font_get(FAM_LATIN, st.bold, px));
    if (mixed) {
        int a2 = TTF_FontAscent(font_get(FAM_CJK, st.bold, px));
        if (a2 > asc) asc = a2;
    }
    for (int i = 0; i < n; i++) {
        es[i] = text_run(c, utf8 + runs[i].start, runs[i].len, runs[i].fam, st.bold, px, st.color);
        tw += es[i]->w;
        if (es[i]->ascent > asc) asc = es[i]->ascent;
        if (es[i]->h > th) th = es[i]->h;
    }
    float px_x = x * c->scale, px_y = y * c->scale;
    if (st.align == ALIGN_CENTER) px_x -= (float)tw * 0.5f;
    else if (st.align == ALIGN_RIGHT) px_x -= (float)tw;
    if (st.vcenter) px_y -= (float)th * 0.5f;
    int cx = (int)lrintf(px_x), cy = (int)lrintf(px_y);
    if (c->log) log_text(c->log, utf8, (Rect){px_x / c->scale, px_y / c->scale, (float)tw / c->scale, (float)th / c->scale}, st.size);
    for (int i = 0; i < n; i++) {
        if (es[i]->tex) {
            SDL_SetTextureAlphaMod(es[i]->tex, st.color.a);
            // align the runs on a common baseline
            SDL_Rect dst = {cx, cy + (asc - es[i]->ascent), es[i]->w, es[i]->h};
            SDL_RenderCopy(c->ren, es[i]->tex, NULL, &dst);
        }
        cx += es[i]->w;
    }
    return (float)tw / c->scale;
}

float draw_text(Canvas *c, float x, float y, const char *utf8, TextStyle st) { return draw_text_impl(c, x, y, utf8, st, false); }

TextStyle text_style(const Canvas *c, float size, Rgba color) {
    (void)c;
    return (TextStyle){size, false, color, ALIGN_LEFT, false};
}

// ---- wrapped text with light markup ---------------------------------------------

typedef struct {
    const char *s;      // start in the source
    int len;            // bytes
    bool bold, sub, sup;
    bool space_before;  // a breakable space precedes this atom
    bool newline;       // forced break before this atom
    float w;            // logical width
    bool attach;        // closing punctuation: never starts a line, moves with the atom before it
} Atom;

#define MAX_ATOMS 1024

// Closing punctuation that must not start a line (kinsoku).
static bool no_break_before(uint32_t cp) {
    return cp == 0xFF0C || cp == 0x3002 || cp == 0x3001 || cp == 0xFF1B || cp == 0xFF1A || cp == 0xFF1F ||
           cp == 0xFF01 || cp == 0xFF09 || cp == 0x300D || cp == 0x300F || cp == 0x201D || cp == ',' ||
           cp == '.' || cp == ')' || cp == ';' || cp == ':' || cp == 0x2019;
}

// Opening punctuation that must not end a line: it moves to the next line
// with the atom after it.
static bool no_break_after(uint32_t cp) {
    return cp == 0xFF08 || cp == 0x300C || cp == 0x300E || cp == 0x201C || cp == 0x2018 || cp == 0x300A ||
           cp == 0x3010 || cp == '(' || cp == '[';
}

// A formula's operator standing alone between spaces ("7 − 3", "+ 1"): a line
// never breaks next to it, except before an "=" / "≈" that follows a formula
// (a long one may wrap there), so "out = ⌊(7 − 3)/1⌋ + 1" stays on one line.
static int math_operator(const char *s, int len) {
    static const char *const OPS[] = {"+", "\xE2\x88\x92", "\xC3\x97", "\xC2\xB7", "/", "=", "\xE2\x89\x88"};
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        if ((int)strlen(OPS[i]) == len && memcmp(s, OPS[i], (size_t)len) == 0) return i >= 5 ? 2 : 1; // 2: = and ≈
    return 0;
}

// Whether the line may not break between atom `prev` and the atom `a` after
// it: a no-break space (U+00A0) at their seam, an opening bracket before, or
// a formula operator on either side (before "=" after a formula it may).
static bool glued(const Atom *prev, const Atom *a) {
    if (prev->len >= 2 && (uint8_t)prev->s[prev->len - 2] == 0xC2 && (uint8_t)prev->s[prev->len - 1] == 0xA0) return true;
    if (a->len >= 2 && (uint8_t)a->s[0] == 0xC2 && (uint8_t)a->s[1] == 0xA0) return true;
    int l = 0;
    const char *last = prev->s + prev->len - 1; // the previous atom's last character
    while (last > prev->s && ((uint8_t)*last & 0xC0) == 0x80) last--;
    uint32_t cp = utf8_next(last, &l);
    if (no_break_after(cp) && (cp > 0x7F || prev->len == 1)) return true; // "（" / a lone "(": not "f(" of code
    if (math_operator(prev->s, prev->len)) return true;
    int op = math_operator(a->s, a->len);
    // "=" after a formula may start a line; after a lone name ("out = ...") it stays with it
    bool prev_formula = prev->attach; // the end of a chain, or one word joined by no-break spaces
    for (int i = 0; i + 1 < prev->len && !prev_formula; i++)
        prev_formula = (uint8_t)prev->s[i] == 0xC2 && (uint8_t)prev->s[i + 1] == 0xA0;
    return op == 1 || (op == 2 && !prev_formula);
}

// Tokenises into atoms: Latin words, single CJK characters (breakable between
// any two), markup toggles applied to the following atoms.
static int atomize(const char *s, Atom *atoms, int max) {
    int n = 0;
    bool bold = false, space = false, nl = false;
    while (*s && n < max) {
        if (s[0] == '*' && s[1] == '*') { bold = !bold; s += 2; continue; }
        if (*s == '\n') { nl = true; space = false; s++; continue; }
        if (*s == ' ' || *s == '\t') { space = true; s++; continue; }
        if ((s[0] == '_' || s[0] == '^') && s[1] == '{') {
            const char *e = strchr(s + 2, '}');
            if (e) {
                atoms[n++] = (Atom){s + 2, (int)(e - s - 2), bold, s[0] == '_', s[0] == '^', false, nl, 0, false};
                nl = false;
                s = e + 1;
                continue;
            }
        }
        int l;
        uint32_t cp = utf8_next(s, &l);
        Atom a = {s, 0, bold, false, false, space, nl, 0, n > 0 && !space && !nl && no_break_before(cp)};
        if (is_cjk(cp)) {
            a.len = l;
        } else {
            const char *e = s;
            while (*e && *e != ' ' && *e != '\t' && *e != '\n' && !(e[0] == '*' && e[1] == '*') &&
                   !((e[0] == '_' || e[0] == '^') && e[1] == '{')) {
                int l2;
                if (is_cjk(utf8_next(e, &l2)) && e != s) break;
                e += l2;
            }
            a.len = (int)(e - s);
        }
        // glue closing punctuation to the previous atom
        if (n > 0 && !space && !nl && no_break_before(cp) && atoms[n - 1].s + atoms[n - 1].len == s &&
            atoms[n - 1].bold == bold && !atoms[n - 1].sub && !atoms[n - 1].sup) {
            atoms[n - 1].len += a.len;
        } else {
            if (n > 0 && !nl && glued(&atoms[n - 1], &a)) a.attach = true; // moves with the atom before it
            atoms[n++] = a;
        }
        s += a.len;
        space = nl = false;
    }
    return n;
}

// A subscript's or superscript's size: 0.7 of the text, never below 14 px
// (the smallest readable at 1280x800).
static float script_size(float size) { return fmaxf(size * 0.7f, fminf(size, 14)); }

float draw_text_wrapped(Canvas *c, float x, float y, float width, const char *utf8, TextStyle st,
                        float line_spacing, bool draw) {
    static Atom atoms[MAX_ATOMS];
    int n = atomize(utf8, atoms, MAX_ATOMS);
    float space_w, line_h;
    text_measure(c, " ", st.size, false, &space_w, &line_h);
    int px = px_of(c, st.size), hc = TTF_FontHeight(font_get(FAM_CJK, st.bold, px));
    if ((float)hc / c->scale > line_h) line_h = (float)hc / c->scale; // room for either font
    float lh = line_h * line_spacing;
    char buf[512];
    for (int i = 0; i < n; i++) {
        int l = atoms[i].len < (int)sizeof buf - 1 ? atoms[i].len : (int)sizeof buf - 1;
        memcpy(buf, atoms[i].s, (size_t)l);
        buf[l] = 0;
        float sz = (atoms[i].sub || atoms[i].sup) ? script_size(st.size) : st.size;
        text_measure(c, buf, sz, st.bold || atoms[i].bold, &atoms[i].w, NULL);
    }
    float cx = 0, cy = 0;
    bool line_empty = true;
    for (int i = 0; i < n; i++) {
        Atom *a = &atoms[i];
        if (a->newline) { // "\n" starts a new paragraph: a line plus a little air
            cy += lh + (line_empty ? 0 : lh * 0.35f);
            cx = 0;
            line_empty = true;
        }
        float sp = (a->space_before && !line_empty) ? space_w : 0;
        float attached = 0; // punctuation, formulas: what must stay on this atom's line
        for (int j = i + 1; j < n && atoms[j].attach; j++) attached += atoms[j].w + (atoms[j].space_before ? space_w : 0);
        if (!line_empty && !a->attach && cx + sp + a->w + attached > width) {
            cy += lh;
            cx = 0;
            sp = 0;
            line_empty = true;
        }
        cx += sp;
        if (draw) {
            int l = a->len < (int)sizeof buf - 1 ? a->len : (int)sizeof buf - 1;
            memcpy(buf, a->s, (size_t)l);
            buf[l] = 0;
            TextStyle as = st;
            as.bold = st.bold || a->bold;
            as.align = ALIGN_LEFT;
            as.vcenter = false;
            float dy = 0;
            if (a->sub || a->sup) {
                as.size = script_size(st.size);
                dy = a->sub ? line_h * 0.38f : -line_h * 0.08f;
            }
            draw_text_impl(c, x + cx, y + cy + dy, buf, as, true);
        }
        cx += a->w;
        line_empty = false;
    }
    return n ? cy + lh : 0;
}

// ---- images -----------------------------------------------------------------

static void draw_image(Canvas *c, Rect dst, const uint8_t *px, int w, int h, int ch) {
    uint64_t key = fnv1a(px, (size_t)w * (size_t)h * (size_t)ch, 1469598103934665603ull);
    int meta[3] = {w, h, ch};
    key = fnv1a(meta, sizeof meta, key) | 1;
    ImageEntry *hit = NULL, *victim = &c->images[0];
    for (int i = 0; i < IMAGE_CACHE; i++) {
        if (c->images[i].key == key) { hit = &c->images[i]; break; }
        if (c->images[i].last_used < victim->last_used) victim = &c->images[i];
    }
    if (!hit) {
        if (victim->tex) SDL_DestroyTexture(victim->tex);
        victim->tex = SDL_CreateTexture(c->ren, SDL_PIXELFORMAT_RGBA32, SDL_TEXTUREACCESS_STATIC, w, h);
        victim->key = key;
        if (!victim->tex) return;
        uint8_t *rgba = cl_malloc((size_t)w * (size_t)h * 4);
        for (int i = 0; i < w * h; i++) {
            rgba[4 * i + 0] = px[ch * i];
            rgba[4 * i + 1] = px[ch * i + (ch == 3 ? 1 : 0)];
            rgba[4 * i + 2] = px[ch * i + (ch == 3 ? 2 : 0)];
            rgba[4 * i + 3] = 255;
        }
        SDL_UpdateTexture(victim->tex, NULL, rgba, w * 4);
        free(rgba);
        SDL_SetTextureScaleMode(victim->tex, SDL_ScaleModeNearest);
        hit = victim;
    }
    hit->last_used = c->frame;
    SDL_Rect d = to_px(c, dst);
    SDL_RenderCopy(c->ren, hit->tex, NULL, &d);
}

void draw_image_rgb(Canvas *c, Rect dst, const uint8_t *rgb, int w, int h) { draw_image(c, dst, rgb, w, h, 3); }
void draw_image_gray(Canvas *c, Rect dst, const uint8_t *gray, int w, int h) { draw_image(c, dst, gray, w, h, 1); }
