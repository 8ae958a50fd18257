/* picture_probe (picture.h): a picture file's size and colour model from its
 * header, without decoding, so that a file claiming 30,000 x 30,000 pixels is
 * refused before anything is allocated, and a truncated file is named as such
 * instead of being decoded into a half-grey picture (libjpeg only warns).
 * Every read is bounds-checked (the fuzzer feeds it any bytes).
 */
#include "engine/picture.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CONVERT_HINT "convert it to PNG or JPEG (e.g. `convert FILE picture.png`)"

static unsigned be16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static unsigned le16(const uint8_t *p) { return (unsigned)p[1] << 8 | p[0]; }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint32_t le32(const uint8_t *p) { return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]; }

static int truncated(const char *name, const char *fmt, ClError *err) {
    return cl_fail(err, "%s: the %s file is truncated or damaged; save or download it again", name, fmt);
}

// ---- PNG: signature, IHDR, then every chunk up to IEND ---------------------------

static int probe_png(PictureHeader *h, const uint8_t *b, size_t n, const char *name, ClError *err) {
    if (n < 33 || be32(b + 8) != 13 || memcmp(b + 12, "IHDR", 4) != 0) return truncated(name, "PNG", err);
    uint32_t w = be32(b + 16), ht = be32(b + 20);
    h->width = w > 0x7fffffff ? 0x7fffffff : (int)w, h->height = ht > 0x7fffffff ? 0x7fffffff : (int)ht;
    h->bits = b[24];
    int type = b[25];
    h->grey = type == 0 || type == 4;
    h->has_alpha = type == 4 || type == 6;
    h->channels = type == 0 ? 1 : type == 4 ? 2 : type == 6 ? 4 : 3;
    // Walk the chunks: length, type, data, CRC. Running out before IEND = truncated.
    size_t pos = 8;
    for (;;) {
        if (n - pos < 12) return truncated(name, "PNG", err);
        uint32_t len = be32(b + pos);
        if (len > n - pos - 12) return truncated(name, "PNG", err);
        if (memcmp(b + pos + 4, "tRNS", 4) == 0) h->has_alpha = true;
        if (memcmp(b + pos + 4, "IEND", 4) == 0) return 0;
        pos += 12 + (size_t)len;
    }
}

// ---- JPEG: the marker segments, through the entropy-coded data, to EOI --------------

static bool is_sof(int m) { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC; }

// Skips entropy-coded data from pos: returns the position of the next marker's
// 0xFF (a byte FF followed by neither 00, a restart D0-D7 nor another FF), or n.
static size_t skip_scan(const uint8_t *b, size_t n, size_t pos) {
    while (pos + 1 < n) {
        if (b[pos] == 0xFF && b[pos + 1] != 0x00 && !(b[pos + 1] >= 0xD0 && b[pos + 1] <= 0xD7) && b[pos + 1] != 0xFF)
            return pos;
        pos++;
    }
    return n;
}

static int probe_jpeg(PictureHeader *h, const uint8_t *b, size_t n, const char *name, ClError *err) {
    size_t pos = 2;
    bool have_sof = false;
    for (;;) {
        while (pos < n && b[pos] == 0xFF && pos + 1 < n && b[pos + 1] == 0xFF) pos++;  // fill bytes
        if (pos + 2 > n || b[pos] != 0xFF) return truncated(name, "JPEG", err);
        int m = b[pos + 1];
        pos += 2;
        if (m == 0xD9) break;                                      // EOI
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) continue;       // no length
        if (pos + 2 > n) return truncated(name, "JPEG", err);
        unsigned len = be16(b + pos);
        if (len < 2 || len > n - pos) return truncated(name, "JPEG", err);
        if (is_sof(m) && !have_sof) {
            if (len < 8) return truncated(name, "JPEG", err);
            h->bits = b[pos + 2];
            h->height = (int)be16(b + pos + 3), h->width = (int)be16(b + pos + 5);
            h->channels = b[pos + 7];
            h->grey = h->channels == 1;
            h->cmyk = h->channels == 4;
            have_sof = true;
        }
        pos += len;
        if (m == 0xDA) pos = skip_scan(b, n, pos);                 // SOS: the compressed data follows
    }
    if (!have_sof) return truncated(name, "JPEG", err);
    return 0;
}

// ---- GIF: logical screen, then every block, counting the frames ----------------------

// Skips data sub-blocks (size byte, bytes) up to the 0 terminator; false if they run out.
static bool skip_sub_blocks(const uint8_t *b, size_t n, size_t *pos) {
    for (;;) {
        if (*pos >= n) return false;
        size_t len = b[(*pos)++];
        if (len == 0) return true;
        if (len > n - *pos) return false;
        *pos += len;
    }
}

static int probe_gif(PictureHeader *h, const uint8_t *b, size_t n, const char *name, ClError *err) {
    if (n < 13) return truncated(name, "GIF", err);
    h->width = (int)le16(b + 6), h->height = (int)le16(b + 8);
    h->bits = 8, h->channels = 3;
    size_t pos = 13;
    if (b[10] & 0x80) pos += 3u << ((b[10] & 7) + 1);
    for (;;) {
        if (pos >= n) return truncated(name, "GIF", err);
        int kind = b[pos++];
        if (kind == 0x3B) break;                                   // trailer
        if (kind == 0x21) {                                        // extension: label, sub-blocks
            if (pos >= n) return truncated(name, "GIF", err);
            // graphic control extension: label F9, size 4, packed fields (bit 0: transparency)
            if (b[pos] == 0xF9) h->has_alpha = h->has_alpha || (pos + 2 < n && (b[pos + 2] & 1));
            pos++;
            if (!skip_sub_blocks(b, n, &pos)) return truncated(name, "GIF", err);
        } else if (kind == 0x2C) {                                 // image: descriptor, table, LZW data
            if (n - pos < 10) return truncated(name, "GIF", err);
            int fw = (int)le16(b + pos + 4), fh = (int)le16(b + pos + 6), flags = b[pos + 8];
            if (h->frames == 0 && (fw > h->width || fh > h->height)) h->width = fw, h->height = fh;
            pos += 9;
            if (flags & 0x80) pos += 3u << ((flags & 7) + 1);
            pos++;                                                 // LZW minimum code size
            if (pos > n || !skip_sub_blocks(b, n, &pos)) return truncated(name, "GIF", err);
            h->frames++;
        } else {
            return truncated(name, "GIF", err);
        }
    }
    if (h->frames == 0) return cl_fail(err, "%s: the GIF file has no picture in it; " CONVERT_HINT, name);
    return 0;
}

// ---- BMP, WebP, TGA: fixed headers, and the data they promise must be there -----------

static int probe_bmp(PictureHeader *h, const uint8_t *b, size_t n, const char *name, ClError *err) {
    if (n < 26) return truncated(name, "BMP", err);
    uint32_t dib = le32(b + 14), offset = le32(b + 10);
    long w, ht;
    unsigned bpp, compression = 0;
    if (dib == 12) {
        w = le16(b + 18), ht = le16(b + 20), bpp = n >= 26 ? le16(b + 24) : 0;
    } else {
        if (n < 34) return truncated(name, "BMP", err);
        w = (int32_t)le32(b + 18), ht = (int32_t)le32(b + 22), bpp = le16(b + 28), compression = le32(b + 30);
    }
    if (ht < 0) ht = -ht;
    if (w < 0) w = 0;
    h->width = w > 0x7fffffff ? 0x7fffffff : (int)w, h->height = ht > 0x7fffffff ? 0x7fffffff : (int)ht;
    h->bits = 8, h->channels = bpp == 32 ? 4 : 3, h->has_alpha = bpp == 32;
    if (offset > n) return truncated(name, "BMP", err);
    if ((compression == 0 || compression == 3) && bpp >= 1 && bpp <= 32 && h->width <= PICTURE_MAX_SIDE &&
        h->height <= PICTURE_MAX_SIDE) {
        uint64_t row = ((uint64_t)bpp * (uint64_t)h->width + 31) / 32 * 4;
        if ((uint64_t)offset + row * (uint64_t)h->height > n) return truncated(name, "BMP", err);
    }
    return 0;
}

static int probe_webp(PictureHeader *h, const uint8_t *b, size_t n, const char *name, ClError *err) {
    if (n < 30 || (uint64_t)le32(b + 4) + 8 > n) return truncated(name, "WebP", err);
    h->bits = 8, h->channels = 3;
    if (memcmp(b + 12, "VP8 ", 4) == 0) {
        if (b[23] != 0x9D || b[24] != 0x01 || b[25] != 0x2A) return truncated(name, "WebP", err);
        h->width = (int)(le16(b + 26) & 0x3FFF), h->height = (int)(le16(b + 28) & 0x3FFF);
    } else if (memcmp(b + 12, "VP8L", 4) == 0) {
        if (b[20] != 0x2F) return truncated(name, "WebP", err);
        uint32_t v = le32(b + 21);
        h->width = (int)(v & 0x3FFF) + 1, h->height = (int)((v >> 14) & 0x3FFF) + 1;
        h->has_alpha = (v >> 28) & 1;
    } else if (memcmp(b + 12, "VP8X", 4) == 0) {
        h->has_alpha = (b[20] & 0x10) != 0;
        h->frames = (b[20] & 0x02) ? 2 : 1;  // animated: at least two
        h->width = (int)((uint32_t)b[24] | (uint32_t)b[25] << 8 | (uint32_t)b[26] << 16) + 1;
        h->height = (int)((uint32_t)b[27] | (uint32_t)b[28] << 8 | (uint32_t)b[29] << 16) + 1;
    } else {
        return truncated(name, "WebP", err);
    }
    return 0;
}

static bool has_tga_name(const char *name) {
    size_t len = strlen(name);
    return len >= 4 && strcasecmp(name + len - 4, ".tga") == 0;
}

static int probe_tga(PictureHeader *h, const uint8_t *b, size_t n, const char *name, ClError *err) {
    if (n < 18) return truncated(name, "TGA", err);
    int type = b[2], bpp = b[16];
    if (b[1] > 1 || !(type == 1 || type == 2 || type == 3 || type == 9 || type == 10 || type == 11))
        return cl_fail(err, "%s: not a TGA picture convlab can read (image type %d); " CONVERT_HINT, name, type);
    h->width = (int)le16(b + 12), h->height = (int)le16(b + 14);
    h->bits = 8, h->grey = type == 3 || type == 11;
    h->channels = h->grey ? 1 : 3, h->has_alpha = (b[17] & 0x0F) != 0 || bpp == 32;
    if (type >= 1 && type <= 3) {
        uint64_t cmap = b[1] ? (uint64_t)le16(b + 5) * ((b[7] + 7u) / 8) : 0;
        uint64_t need = 18u + b[0] + cmap + (uint64_t)h->width * (uint64_t)h->height * ((bpp + 7u) / 8);
        if (need > n) return truncated(name, "TGA", err);
    }
    return 0;
}

// ---- dispatch and limits ------------------------------------------------------------------

static PictureFormat sniff(const uint8_t *b, size_t n, const char *name) {
    if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0) return PICTURE_PNG;
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return PICTURE_JPEG;
    if (n >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0)) return PICTURE_GIF;
    if (n >= 2 && b[0] == 'B' && b[1] == 'M') return PICTURE_BMP;
    if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0) return PICTURE_WEBP;
    if (has_tga_name(name)) return PICTURE_TGA;
    return PICTURE_UNKNOWN;
}

int picture_probe(PictureHeader *out, const uint8_t *bytes, size_t n, const char *name, ClError *err) {
    memset(out, 0, sizeof *out);
    out->frames = 1;
    if (!name) name = "picture";
    if (n == 0) return cl_fail(err, "%s: the file is empty; choose a PNG, JPEG, GIF, BMP, WebP or TGA picture", name);
    out->format = sniff(bytes, n, name);
    int rc;
    switch (out->format) {
    case PICTURE_PNG: rc = probe_png(out, bytes, n, name, err); break;
    case PICTURE_JPEG: rc = probe_jpeg(out, bytes, n, name, err); break;
    case PICTURE_GIF: out->frames = 0, rc = probe_gif(out, bytes, n, name, err); break;
    case PICTURE_BMP: rc = probe_bmp(out, bytes, n, name, err); break;
    case PICTURE_WEBP: rc = probe_webp(out, bytes, n, name, err); break;
    case PICTURE_TGA: rc = probe_tga(out, bytes, n, name, err); break;
    default:
        return cl_fail(err, "%s: not a picture convlab can read (PNG, JPEG, GIF, BMP, WebP or TGA); " CONVERT_HINT, name);
    }
    if (rc != 0) return rc;
    const char *f = picture_format_name(out->format);
    if (out->width < 1 || out->height < 1)
        return cl_fail(err, "%s: the %s header says %d x %d pixels; the file is damaged, save it again", name, f,
                       out->width, out->height);
    if (out->width > PICTURE_MAX_SIDE || out->height > PICTURE_MAX_SIDE ||
        (long long)out->width * out->height > PICTURE_MAX_PIXELS)
        return cl_fail(err, "%s: the %s header says %d x %d pixels, above convlab's limit of %ld megapixels "
                            "(%d per side); scale it down first (e.g. `convert FILE -resize 2000x2000 small.png`)",
                       name, f, out->width, out->height, PICTURE_MAX_PIXELS / 1000000, PICTURE_MAX_SIDE);
    if (out->cmyk)
        return cl_fail(err, "%s: a CMYK JPEG (for print); convlab reads RGB pictures: "
                            "`convert FILE -colorspace sRGB picture.jpg`", name);
    if (out->format == PICTURE_JPEG && out->bits != 8)
        return cl_fail(err, "%s: a %d-bit JPEG; convlab reads 8-bit JPEGs: " CONVERT_HINT, name, out->bits);
    return 0;
}
