/* The line reader of the project's text files: see textfile.h. */
#include "engine/textfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *text_trim(char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n')) *--e = 0;
    return s;
}

bool text_valid_utf8(const char *s) {
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        int n = *u < 0x80 ? 0 : (*u & 0xE0) == 0xC0 ? 1 : (*u & 0xF0) == 0xE0 ? 2 : (*u & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0) return false;
        u++;
        for (int i = 0; i < n; i++, u++)
            if ((*u & 0xC0) != 0x80) return false;
    }
    return true;
}

int text_file_read(const char *path, const char *what, size_t max_bytes, char **text, ClError *err) {
    *text = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return cl_fail(err, "%s: cannot open %s: %s", path, what, strerror(errno));
    char *buf = cl_malloc(max_bytes + 1);
    size_t n = fread(buf, 1, max_bytes + 1, f);
    bool failed = ferror(f);
    fclose(f);
    int rc = 0;
    if (failed) rc = cl_fail(err, "%s: cannot read %s: %s", path, what, strerror(errno));
    else if (n > max_bytes) rc = cl_fail(err, "%s: not a %s (larger than %zu bytes)", path, what, max_bytes);
    else {
        buf[n] = 0;
        if (memchr(buf, 0, n)) rc = cl_fail(err, "%s: contains NUL bytes; not a text file", path);
        else if (!text_valid_utf8(buf)) rc = cl_fail(err, "%s: not valid UTF-8; HINT: save the file as UTF-8", path);
    }
    if (rc != 0) { free(buf); return rc; }
    *text = buf;
    return 0;
}

void text_reader_init(TextReader *r, const char *path, const char *text) {
    r->path = path;
    r->next = text;
    r->number = 0;
    r->buf[0] = 0;
}

int text_reader_next(TextReader *r, TextLine *line, ClError *err) {
    for (;;) {
        if (!*r->next) return 0;
        const char *e = strchr(r->next, '\n');
        size_t n = e ? (size_t)(e - r->next) : strlen(r->next);
        r->number++;
        if (n >= sizeof r->buf) return cl_fail(err, "%s:%d: line longer than %zu bytes", r->path, r->number, sizeof r->buf - 1);
        memcpy(r->buf, r->next, n);
        r->buf[n] = 0;
        r->next = e ? e + 1 : r->next + n;
        *line = (TextLine){.number = r->number, .indented = r->buf[0] == ' ' || r->buf[0] == '\t'};
        line->text = text_trim(r->buf);
        if (line->text[0] == '#') continue;
        line->blank = line->text[0] == 0;
        char *eq = strchr(line->text, '=');
        if (eq) {
            memcpy(r->split, line->text, strlen(line->text) + 1);
            char *split_eq = r->split + (eq - line->text);
            *split_eq = 0;
            line->key = text_trim(r->split);
            line->value = text_trim(split_eq + 1);
        }
        return 1;
    }
}
