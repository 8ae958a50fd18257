/* picture_load_file (picture_load.h): read the bytes, probe the header,
 * decode with SDL2_image from memory, convert to RGBA32, hand the pixels to
 * the engine's conversion, and say what was done in the picture's note.
 */
#include "ui/picture_load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <SDL2/SDL.h>
#include <SDL2/SDL_image.h>

// The file's bytes (regular file, not empty, at most PICTURE_MAX_FILE_BYTES).
// Ownership: free(*bytes).
static int read_picture_file(uint8_t **bytes, size_t *n, const char *path, ClError *err) {
    struct stat st;
    if (stat(path, &st) != 0) return cl_fail(err, "%s: cannot open (%s); check the path", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) return cl_fail(err, "%s: is a folder; give one picture file (PNG, JPEG, ...)", path);
    if (!S_ISREG(st.st_mode)) return cl_fail(err, "%s: is not a regular file; give a picture file", path);
    if (st.st_size > PICTURE_MAX_FILE_BYTES)
        return cl_fail(err, "%s: %lld MB is larger than convlab reads (%ld MB); scale the picture down first", path,
                       (long long)st.st_size >> 20, PICTURE_MAX_FILE_BYTES >> 20);
    FILE *f = fopen(path, "rb");
    if (!f) return cl_fail(err, "%s: cannot open (%s); check the permissions", path, strerror(errno));
    *n = (size_t)st.st_size;
    *bytes = cl_malloc(*n ? *n : 1);
    size_t got = fread(*bytes, 1, *n, f);
    fclose(f);
    if (got != *n) {
        free(*bytes);
        return cl_fail(err, "%s: could not read the whole file; check the disk", path);
    }
    return 0;
}

static const char *sdl_type(PictureFormat f) {
    switch (f) {
    case PICTURE_PNG: return "PNG";
    case PICTURE_JPEG: return "JPG";
    case PICTURE_GIF: return "GIF";
    case PICTURE_BMP: return "BMP";
    case PICTURE_WEBP: return "WEBP";
    default: return "TGA";
    }
}

// SDL2_image's loaders for f are present (the WebP one is optional).
static int check_decoder(PictureFormat f, const char *path, ClError *err) {
    int need = f == PICTURE_PNG ? IMG_INIT_PNG : f == PICTURE_JPEG ? IMG_INIT_JPG : f == PICTURE_WEBP ? IMG_INIT_WEBP : 0;
    if (need && (IMG_Init(need) & need) != need)
        return cl_fail(err, "%s: this SDL2_image cannot read %s (%s); convert it to PNG", path, picture_format_name(f),
                       IMG_GetError());
    return 0;
}

static void append_note(char *note, size_t n, const char *text) {
    size_t len = strlen(note), t = strlen(text);
    if (len && len + 3 < n) memcpy(note + len, "; ", 2), len += 2;
    if (t > n - len - 1) t = n - len - 1;
    memcpy(note + len, text, t);
    note[len + t] = 0;
}

// What the decoding did that the student should know, before the engine's own note.
static void describe(Picture *p, const PictureHeader *h) {
    char note[sizeof p->note] = "";
    char buf[96];
    if (h->format == PICTURE_GIF && h->frames > 1) {
        snprintf(buf, sizeof buf, "animated GIF (%d frames): the first frame", h->frames);
        append_note(note, sizeof note, buf);
    }
    if (h->format == PICTURE_WEBP && h->frames > 1) append_note(note, sizeof note, "animated WebP: the first frame");
    if (h->bits == 16) append_note(note, sizeof note, "16 bits per channel, reduced to 8");
    if (h->grey) append_note(note, sizeof note, "grey: the same value in R, G and B");
    if (h->has_alpha) append_note(note, sizeof note, "transparent parts shown over grey 128");
    if (p->note[0]) append_note(note, sizeof note, p->note);
    snprintf(p->note, sizeof p->note, "%s", note);
    p->was_grey = h->grey;
    p->had_alpha = h->has_alpha;
}

// Decodes bytes (already probed as h) and converts them into out.
static int decode_probed(Picture *out, const uint8_t *bytes, size_t n, const PictureHeader *h, const char *path,
                         ClError *err) {
    if (check_decoder(h->format, path, err) != 0) return -1;
    SDL_RWops *rw = SDL_RWFromConstMem(bytes, (int)n);
    SDL_Surface *s = rw ? IMG_LoadTyped_RW(rw, 1, sdl_type(h->format)) : NULL;
    if (!s && h->format == PICTURE_WEBP && h->frames > 1)
        return cl_fail(err, "%s: an animated WebP, which this SDL2_image cannot read; take its first frame: "
                            "`convert 'FILE[0]' first.png`", path);
    if (!s)
        return cl_fail(err, "%s: cannot decode the %s (%s); save it again or convert it to PNG", path,
                       picture_format_name(h->format), IMG_GetError());
    // The decoder must agree with the header the limits were checked on (a GIF's
    // first frame may be smaller than its screen).
    bool agrees = h->format == PICTURE_GIF ? s->w <= h->width && s->h <= h->height
                                           : s->w == h->width && s->h == h->height;
    if (!agrees) {
        int w = s->w, ht = s->h;
        SDL_FreeSurface(s);
        return cl_fail(err, "%s: decoded as %d x %d but the header says %d x %d; the file is damaged, save it again",
                       path, w, ht, h->width, h->height);
    }
    SDL_Surface *rgba = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_RGBA32, 0);
    SDL_FreeSurface(s);
    if (!rgba) return cl_fail(err, "%s: cannot convert the pixels to RGBA (%s)", path, SDL_GetError());
    int rc = 0;
    if (SDL_LockSurface(rgba) != 0) rc = cl_fail(err, "%s: cannot read the pixels (%s)", path, SDL_GetError());
    else {
        rc = picture_from_pixels(out, rgba->pixels, rgba->w, rgba->h, rgba->pitch, PIXELS_RGBA, err);
        SDL_UnlockSurface(rgba);
        if (rc != 0) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err->msg);
            rc = cl_fail(err, "%s: %s", path, why);
        }
    }
    SDL_FreeSurface(rgba);
    return rc;
}

int picture_load_file(Picture *out, const char *path, ClError *err) {
    memset(out, 0, sizeof *out);
    uint8_t *bytes = NULL;
    size_t n = 0;
    if (read_picture_file(&bytes, &n, path, err) != 0) return -1;
    PictureHeader h;
    int rc = picture_probe(&h, bytes, n, path, err);
    if (rc == 0) rc = decode_probed(out, bytes, n, &h, path, err);
    free(bytes);
    if (rc != 0) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    describe(out, &h);
    const char *base = strrchr(path, '/');
    snprintf(out->name, sizeof out->name, "%s", base ? base + 1 : path);
    return 0;
}
