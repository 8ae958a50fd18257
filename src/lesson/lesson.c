/* The lesson file parser (format: lessons/README.md). Line-oriented like
 * darknet's cfg: "[step]" opens a section, "key = value" sets a key,
 * indented lines continue the previous value, '#' starts a comment line.
 * Errors name file:line and what was expected; unknown keys are warnings.
 * The lines come from the project's one text reader (engine/textfile.h).
 */
#include "lesson/lesson.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/textfile.h"
#include "lesson/scene.h"

const char *const LANG_CODES[LANG_COUNT] = {"en", "zh"};

int lang_from_code(const char *code) {
    for (int i = 0; i < LANG_COUNT; i++)
        if (strcmp(code, LANG_CODES[i]) == 0) return i;
    return -1;
}

// True if the UTF-8 sequence ending before p (or starting at p) is CJK: such
// continuation lines are joined without a space.
static bool cjk_lead_byte(unsigned char c) { return c >= 0xE2 && c <= 0xEF; }

// Appends a continuation line to *v: with a space between Latin words, with
// nothing between CJK characters.
static void append_continuation(char **v, const char *more) {
    size_t a = strlen(*v), b = strlen(more);
    bool cjk_join = false;
    if (a >= 3 && cjk_lead_byte((unsigned char)(*v)[a - 3])) cjk_join = true;
    if (b >= 1 && cjk_lead_byte((unsigned char)more[0])) cjk_join = true;
    if (a > 0 && (*v)[a - 1] == 'n' && a >= 2 && (*v)[a - 2] == '\\') cjk_join = true; // after a "\n"
    char *n = cl_malloc(a + b + 2);
    memcpy(n, *v, a);
    size_t k = a;
    if (a > 0 && !cjk_join) n[k++] = ' ';
    memcpy(n + k, more, b + 1);
    free(*v);
    *v = n;
}

// Turns the two characters "\n" into a newline, in place.
static void unescape_newlines(char *s) {
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] == 'n') { *w++ = '\n'; r++; }
        else *w++ = *r;
    }
    *w = 0;
}

void lesson_free(Lesson *l) {
    for (int i = 0; i < LANG_COUNT; i++) free(l->title[i]);
    for (int s = 0; s < l->n_steps; s++) {
        LessonStep *st = &l->steps[s];
        for (int i = 0; i < LANG_COUNT; i++) { free(st->caption[i]); free(st->text[i]); }
        for (int k = 0; k < st->n_kv; k++) free(st->kv[k].value);
    }
    free(l->steps);
    memset(l, 0, sizeof *l);
}

static LessonKV *kv_find(LessonStep *st, const char *key) {
    for (int k = 0; k < st->n_kv; k++)
        if (strcmp(st->kv[k].key, key) == 0) return &st->kv[k];
    return NULL;
}

// Carries the previous step's scene keys into st if the kind is unchanged.
static void inherit(LessonStep *st, const LessonStep *prev) {
    if (!prev || strcmp(st->kind, prev->kind) != 0) return;
    for (int k = 0; k < prev->n_kv; k++) {
        if (kv_find(st, prev->kv[k].key) || strcmp(prev->kv[k].key, "expect") == 0 ||
            strcmp(prev->kv[k].key, "constants") == 0) continue; // a claim is about its own step
        if (st->n_kv == LESSON_MAX_KV) break;
        LessonKV *d = &st->kv[st->n_kv++];
        *d = prev->kv[k];
        d->value = cl_strdup(prev->kv[k].value);
        d->inherited = true;
    }
}

// Finishes a step: applies the default kind, checks it, inherits.
static int finish_step(Lesson *l, LessonStep *st, ClError *err) {
    if (!st->kind[0]) {
        if (l->n_steps > 1) snprintf(st->kind, sizeof st->kind, "%s", l->steps[l->n_steps - 2].kind);
        else snprintf(st->kind, sizeof st->kind, "text");
    }
    for (int i = 0; i < LANG_COUNT; i++) {
        if (!st->caption[i]) st->caption[i] = cl_strdup("");
        if (!st->text[i]) st->text[i] = cl_strdup("");
    }
    inherit(st, l->n_steps > 1 ? &l->steps[l->n_steps - 2] : NULL);
    return 0;
}

// ---- the parser: one TextLine at a time ------------------------------------------

typedef struct {
    Lesson *l;
    const char *name;           // the file, for messages
    FILE *warn;                 // warnings go here (may be NULL)
    LessonStep *cur;            // the step being read; NULL in the header
    char **cont;                // the value an indented line continues, or NULL
    int cap;                    // steps allocated
} LessonParser;

static void warn_at(LessonParser *ps, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void warn_at(LessonParser *ps, int line, const char *fmt, ...) {
    ps->l->n_warnings++;
    if (!ps->warn) return;
    fprintf(ps->warn, "%s:%d: warning: ", ps->name, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(ps->warn, fmt, ap);
    va_end(ap);
    fputc('\n', ps->warn);
}

#define UNKNOWN_HEADER_KEY "unknown header key '%s' (expected title.en, title.zh or a [step])"

// "[step]": finishes the current step and opens the next.
static int parse_section(LessonParser *ps, const TextLine *ln, ClError *err) {
    Lesson *l = ps->l;
    if (strcmp(ln->text, "[step]") != 0)
        return cl_fail(err, "%s:%d: expected a section header '[step]', got '%s'", ps->name, ln->number, ln->text);
    if (ps->cur && finish_step(l, ps->cur, err) != 0) return -1;
    if (l->n_steps == ps->cap) {
        ps->cap = ps->cap ? 2 * ps->cap : 16;
        l->steps = cl_realloc(l->steps, sizeof *l->steps * (size_t)ps->cap);
    }
    ps->cur = &l->steps[l->n_steps++];
    memset(ps->cur, 0, sizeof *ps->cur);
    ps->cur->line = ln->number;
    return 0;
}

// A language-suffixed text key (title.en, caption.zh, text.en): its slot, or
// NULL if the key is not one in this place.
static char **text_slot(LessonParser *ps, const char *key, int lang) {
    size_t stem = strcspn(key, ".");
    if (!ps->cur) return stem == 5 && strncmp(key, "title", 5) == 0 ? &ps->l->title[lang] : NULL;
    if (stem == 7 && strncmp(key, "caption", 7) == 0) return &ps->cur->caption[lang];
    if (stem == 4 && strncmp(key, "text", 4) == 0) return &ps->cur->text[lang];
    return NULL;
}

static int parse_text_key(LessonParser *ps, const TextLine *ln, int lang, ClError *err) {
    char **slot = text_slot(ps, ln->key, lang);
    if (!slot) {
        if (!ps->cur) warn_at(ps, ln->number, UNKNOWN_HEADER_KEY, ln->key);
        else warn_at(ps, ln->number, "unknown key '%s' (text keys are caption.en/zh and text.en/zh)", ln->key);
        return 0;
    }
    if (*slot && ps->cur) return cl_fail(err, "%s:%d: '%s' given twice in this step", ps->name, ln->number, ln->key);
    free(*slot);
    *slot = cl_strdup(ln->value);
    ps->cont = slot;
    return 0;
}

// A scene key of the current step ("scene = conv", "stride = 2", ...).
static int parse_scene_key(LessonParser *ps, const TextLine *ln, ClError *err) {
    LessonStep *cur = ps->cur;
    const char *key = ln->key;
    if (strcmp(key, "scene") == 0) {
        if (!scene_kind_find(ln->value)) {
            char names[256];
            scene_kind_names(names, sizeof names);
            return cl_fail(err, "%s:%d: unknown scene kind '%s'; expected one of: %s", ps->name, ln->number, ln->value, names);
        }
        snprintf(cur->kind, sizeof cur->kind, "%s", ln->value);
        return 0;
    }
    if (strlen(key) >= sizeof cur->kv[0].key) return cl_fail(err, "%s:%d: key '%s' is too long", ps->name, ln->number, key);
    if (kv_find(cur, key)) return cl_fail(err, "%s:%d: '%s' given twice in this step", ps->name, ln->number, key);
    if (cur->n_kv == LESSON_MAX_KV)
        return cl_fail(err, "%s:%d: more than %d scene keys in one step", ps->name, ln->number, LESSON_MAX_KV);
    LessonKV *kv = &cur->kv[cur->n_kv++];
    snprintf(kv->key, sizeof kv->key, "%s", key);
    kv->value = cl_strdup(ln->value);
    kv->line = ln->number;
    ps->cont = &kv->value;
    return 0;
}

static int parse_line(LessonParser *ps, const TextLine *ln, ClError *err) {
    if (ln->blank) { ps->cont = NULL; return 0; }
    if (ln->indented && ps->cont) { append_continuation(ps->cont, ln->text); return 0; }
    ps->cont = NULL;
    if (ln->text[0] == '[') return parse_section(ps, ln, err);
    if (!ln->key) return cl_fail(err, "%s:%d: expected 'key = value' or '[step]', got '%s'", ps->name, ln->number, ln->text);
    if (!ln->key[0]) return cl_fail(err, "%s:%d: expected a key before '='", ps->name, ln->number);
    const char *dot = strchr(ln->key, '.');
    if (dot) {
        int lang = lang_from_code(dot + 1);
        if (lang < 0) return cl_fail(err, "%s:%d: '%s': expected a language suffix .en or .zh", ps->name, ln->number, ln->key);
        return parse_text_key(ps, ln, lang, err);
    }
    if (!ps->cur) {
        warn_at(ps, ln->number, UNKNOWN_HEADER_KEY, ln->key);
        return 0;
    }
    return parse_scene_key(ps, ln, err);
}

// After the last line: the titles and at least one step must be there; "\n"
// escapes in texts; unknown scene keys are warned about where written (an
// inherited key is not reported twice).
static int finish_lesson(LessonParser *ps, int last_line, ClError *err) {
    Lesson *l = ps->l;
    if (ps->cur && finish_step(l, ps->cur, err) != 0) return -1;
    for (int i = 0; i < LANG_COUNT; i++)
        if (!l->title[i])
            return cl_fail(err, "%s:1: missing title.%s in the header (before the first [step])", ps->name, LANG_CODES[i]);
    if (l->n_steps == 0) return cl_fail(err, "%s:%d: expected at least one [step]", ps->name, last_line);
    for (int i = 0; i < LANG_COUNT; i++) unescape_newlines(l->title[i]);
    for (int s = 0; s < l->n_steps; s++) {
        LessonStep *st = &l->steps[s];
        for (int i = 0; i < LANG_COUNT; i++) { unescape_newlines(st->caption[i]); unescape_newlines(st->text[i]); }
        const SceneKind *k = scene_kind_find(st->kind);
        for (int j = 0; j < st->n_kv; j++)
            if (!st->kv[j].inherited && !scene_kind_knows(k, st->kv[j].key))
                warn_at(ps, st->kv[j].line, "unknown key '%s' for scene '%s' (ignored)", st->kv[j].key, st->kind);
    }
    return 0;
}

int lesson_parse(Lesson *l, const char *name, const char *text, FILE *warn, ClError *err) {
    memset(l, 0, sizeof *l);
    snprintf(l->path, sizeof l->path, "%s", name);
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    if (isdigit((unsigned char)base[0])) l->number = atoi(base);
    if (!text_valid_utf8(text)) return cl_fail(err, "%s: not valid UTF-8; HINT: save the file as UTF-8", name);
    LessonParser ps = {.l = l, .name = name, .warn = warn};
    TextReader r;
    text_reader_init(&r, name, text);
    TextLine ln;
    int rc;
    while ((rc = text_reader_next(&r, &ln, err)) == 1 && (rc = parse_line(&ps, &ln, err)) == 0) {}
    if (rc == 0) rc = finish_lesson(&ps, r.number, err);
    if (rc != 0) lesson_free(l); // the one exit for every error: nothing half-built is kept
    return rc;
}

int lesson_load(Lesson *l, const char *path, FILE *warn, ClError *err) {
    char *text;
    if (text_file_read(path, "lesson file", 1 << 22, &text, err) != 0) return -1;
    int rc = lesson_parse(l, path, text, warn, err);
    free(text);
    return rc;
}

// ---- getters ----------------------------------------------------------------

const char *lesson_get(const LessonStep *st, const char *key, int *line) {
    for (int k = 0; k < st->n_kv; k++)
        if (strcmp(st->kv[k].key, key) == 0) {
            if (line) *line = st->kv[k].line;
            return st->kv[k].value[0] ? st->kv[k].value : NULL; // "key =" clears an inherited key
        }
    return NULL;
}

static int parse_int(const char *s, const char **end, long *out) {
    char *e;
    errno = 0;
    long v = strtol(s, &e, 10);
    if (e == s || errno) return -1;
    *out = v;
    *end = e;
    return 0;
}

int lesson_get_int2(const Lesson *l, const LessonStep *st, const char *key, int fallback, int lo, int hi,
                    int *a, int *b, ClError *err) {
    int line;
    const char *v = lesson_get(st, key, &line);
    if (!v) { *a = *b = fallback; return 0; }
    long x, y;
    const char *e;
    if (parse_int(v, &e, &x) != 0) goto bad;
    while (*e == ' ' || *e == ',') e++;
    if (*e) {
        if (parse_int(e, &e, &y) != 0) goto bad;
        while (*e == ' ') e++;
        if (*e) goto bad;
    } else {
        y = x;
    }
    if (x < lo || x > hi || y < lo || y > hi)
        return cl_fail(err, "%s:%d: %s = %s is out of range; expected %d..%d", l->path, line, key, v, lo, hi);
    *a = (int)x;
    *b = (int)y;
    return 0;
bad:
    return cl_fail(err, "%s:%d: %s: expected one or two integers, got '%s'", l->path, line, key, v);
}

int lesson_get_int(const Lesson *l, const LessonStep *st, const char *key, int fallback, int lo, int hi,
                   int *out, ClError *err) {
    int line;
    const char *v = lesson_get(st, key, &line);
    if (!v) { *out = fallback; return 0; }
    long x;
    const char *e;
    if (parse_int(v, &e, &x) != 0 || *e) return cl_fail(err, "%s:%d: %s: expected an integer, got '%s'", l->path, line, key, v);
    if (x < lo || x > hi)
        return cl_fail(err, "%s:%d: %s = %ld is out of range; expected %d..%d", l->path, line, key, x, lo, hi);
    *out = (int)x;
    return 0;
}

int lesson_get_bool(const Lesson *l, const LessonStep *st, const char *key, bool fallback, bool *out, ClError *err) {
    int line;
    const char *v = lesson_get(st, key, &line);
    if (!v) { *out = fallback; return 0; }
    if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1")) { *out = true; return 0; }
    if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0")) { *out = false; return 0; }
    return cl_fail(err, "%s:%d: %s: expected true or false, got '%s'", l->path, line, key, v);
}

int lesson_get_choice(const Lesson *l, const LessonStep *st, const char *key, const char *const *choices,
                      int fallback, int *out, ClError *err) {
    int line;
    const char *v = lesson_get(st, key, &line);
    if (!v) { *out = fallback; return 0; }
    for (int i = 0; choices[i]; i++)
        if (strcmp(v, choices[i]) == 0) { *out = i; return 0; }
    char list[256] = "";
    for (int i = 0; choices[i]; i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, choices[i], sizeof list - strlen(list) - 1);
    }
    return cl_fail(err, "%s:%d: %s: expected one of %s, got '%s'", l->path, line, key, list, v);
}

bool lesson_list_has(const LessonStep *st, const char *key, const char *word) {
    const char *v = lesson_get(st, key, NULL);
    if (!v) return false;
    size_t n = strlen(word);
    for (const char *p = v; (p = strstr(p, word)); p += n) {
        bool start = p == v || p[-1] == ' ' || p[-1] == ',';
        bool end = p[n] == 0 || p[n] == ' ' || p[n] == ',';
        if (start && end) return true;
    }
    return false;
}

int lesson_get_grid(const Lesson *l, const LessonStep *st, const char *key, float **vals, int *rows, int *cols,
                    ClError *err) {
    int line;
    const char *v = lesson_get(st, key, &line);
    *vals = NULL;
    *rows = *cols = 0;
    if (!v) return cl_fail(err, "%s:%d: step needs '%s' (a grid such as '1 2; 3 4')", l->path, st->line, key);
    int cap = 64, n = 0, r = 0, c_in_row = 0, ncols = -1;
    float *out = cl_malloc(sizeof(float) * (size_t)cap);
    const char *p = v;
    for (;;) {
        while (*p == ' ' || *p == ',' || *p == '\t') p++;
        if (*p == ';' || *p == '\n' || *p == 0) {
            if (c_in_row > 0) {
                if (ncols >= 0 && c_in_row != ncols) {
                    free(out);
                    return cl_fail(err, "%s:%d: %s: row %d has %d numbers but row 1 has %d; expected equal rows",
                                   l->path, line, key, r + 1, c_in_row, ncols);
                }
                ncols = c_in_row;
                r++;
                c_in_row = 0;
            }
            if (!*p) break;
            p++;
            continue;
        }
        // accept the typographic minus U+2212 too
        bool neg = false;
        if ((unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x88 && (unsigned char)p[2] == 0x92) { neg = true; p += 3; }
        char *e;
        float x = strtof(p, &e);
        if (e == p || !isfinite(x)) {
            free(out);
            return cl_fail(err, "%s:%d: %s: expected a number at '%.12s'", l->path, line, key, p);
        }
        if (n == cap) { cap *= 2; out = cl_realloc(out, sizeof(float) * (size_t)cap); }
        out[n++] = neg ? -x : x;
        c_in_row++;
        p = e;
    }
    if (n == 0) { free(out); return cl_fail(err, "%s:%d: %s: expected at least one number", l->path, line, key); }
    if (r > 64 || ncols > 64) { free(out); return cl_fail(err, "%s:%d: %s: grid larger than 64x64", l->path, line, key); }
    *vals = out;
    *rows = r;
    *cols = ncols;
    return 0;
}
