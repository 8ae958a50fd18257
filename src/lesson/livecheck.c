/* Stale numbers in live steps' texts: see livecheck.h. */
#include "lesson/livecheck.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHANGED 256

typedef struct {
    double from, to;            // the default's number and the setting's
    char where[64];             // the dump line's first words, e.g. "size out"
} Changed;

typedef struct {
    Changed c[MAX_CHANGED];
    int n;
} ChangeSet;

int livecheck_values(int out[LIVECHECK_MAX_VALUES], const AdjustParam *p, int skip) {
    int cand[3] = {p->lo, p->lo + (p->hi - p->lo) / 2, p->hi}, n = 0;
    if (p->hi - p->lo + 1 <= LIVECHECK_MAX_VALUES) {
        for (int v = p->lo; v <= p->hi; v++)
            if (v != skip) out[n++] = v;
        return n;
    }
    for (int i = 0; i < 3; i++)
        if (cand[i] != skip && (n == 0 || out[n - 1] != cand[i])) out[n++] = cand[i];
    return n;
}

// Splits a dump into its lines that are not grid rows; a grid header
// "NAME RxC:" stays (its R and C are numbers like any other), its rows go.
static int scalar_lines(char *text, char **lines, int max) {
    int n = 0, skip = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (skip > 0) { skip--; continue; }
        int r, c, used = 0;
        const char *sp = strrchr(line, ' ');
        if (sp && sscanf(sp + 1, "%dx%d:%n", &r, &c, &used) == 2 && sp[1 + used] == 0) skip = r;
        if (n < max) lines[n++] = line;
    }
    return n;
}

// The number a dump token holds ("4", "0.5", "4x4:" gives its two parts through part).
static bool token_number(const char *tok, size_t len, int part, double *v) {
    char buf[64];
    if (len == 0 || len >= sizeof buf) return false;
    memcpy(buf, tok, len);
    buf[len] = 0;
    int r, c, used = 0;
    if (sscanf(buf, "%dx%d:%n", &r, &c, &used) == 2 && buf[used] == 0) { *v = part ? c : r; return true; }
    if (part) return false;
    char *end;
    *v = strtod(buf, &end);
    return end != buf && *end == 0 && isfinite(*v);
}

static size_t word_len(const char *p) { return strcspn(p, " "); }

// The label of a line: its first word, and its second if that is not a number
// (so "fact out 4" and "fact in 5" are told apart, and "layer conv1 ...").
static void line_key(const char *line, char *out, size_t n) {
    size_t w1 = word_len(line);
    const char *second = line + w1 + (line[w1] == ' ');
    size_t w2 = word_len(second);
    double v;
    if (w2 && !token_number(second, w2, 0, &v)) snprintf(out, n, "%.*s %.*s", (int)w1, line, (int)w2, second);
    else snprintf(out, n, "%.*s", (int)w1, line);
}

// Compares two lines of the same label token by token; a number that differs joins set.
static void diff_line(ChangeSet *set, const char *a, const char *b, const char *key) {
    const char *p = a, *q = b;
    while (*p && *q) {
        while (*p == ' ') p++;
        while (*q == ' ') q++;
        size_t lp = word_len(p), lq = word_len(q);
        for (int part = 0; part < 2; part++) {
            double x, y;
            if (!token_number(p, lp, part, &x) || !token_number(q, lq, part, &y)) continue;
            if (fabs(x - y) <= 1e-9 * fmax(1, fabs(x)) || set->n == MAX_CHANGED) continue;
            bool flag = strncmp(key, "fact ", 5) == 0 && (x == 0 || x == 1) && (y == 0 || y == 1);
            if (flag) continue; // a yes/no fact ({same_pred?...}) is no number a text writes
            Changed *c = &set->c[set->n++];
            c->from = x, c->to = y;
            snprintf(c->where, sizeof c->where, "%s", key);
        }
        p += lp, q += lq;
    }
}

// Every number of base's scalar lines that `at` changes (lines matched by label and order).
static void collect_changes(ChangeSet *set, const Scene *base, const Scene *at) {
    enum { MAXL = 2048 };
    static char *la[MAXL], *lb[MAXL];
    char *ta = scene_dump_text(base), *tb = scene_dump_text(at);
    int na = scalar_lines(ta, la, MAXL), nb = scalar_lines(tb, lb, MAXL);
    bool *used = calloc((size_t)nb + 1, 1);
    for (int i = 0; i < na; i++) {
        char ka[64], kb[64];
        line_key(la[i], ka, sizeof ka);
        for (int j = 0; j < nb; j++) {
            if (used[j]) continue;
            line_key(lb[j], kb, sizeof kb);
            if (strcmp(ka, kb) != 0) continue;
            used[j] = true;
            diff_line(set, la[i], lb[j], ka);
            break;
        }
    }
    free(used);
    free(ta);
    free(tb);
}

static bool is_letter(unsigned char c) { return isalpha(c) || c == '_'; }

// A constant of a formula, not a value of the scene: a coefficient written
// before '·' (the 2 of 2·p) or the "+ 1" after ⌋ or ) of a size formula.
// The last character before q that is not a space or a no-break space (q > text), or text.
static const char *back_over_space(const char *text, const char *q) {
    while (q > text) {
        if (q[-1] == ' ') q--;
        else if (q - text >= 2 && (unsigned char)q[-2] == 0xc2 && (unsigned char)q[-1] == 0xa0) q -= 2;
        else break;
    }
    return q;
}

static bool formula_constant(const char *text, const char *p, const char *end) {
    if (strncmp(end, "\xc2\xb7", 2) == 0) return true; // '·'
    if (end - p != 1 || *p != '1') return false;
    const char *q = back_over_space(text, p);
    bool minus = q - text >= 3 && strncmp(q - 3, "\xe2\x88\x92", 3) == 0; // k − 1: a constant of d·(k − 1) + 1
    if (minus) return true;
    if (q == text || q[-1] != '+') return false;
    q = back_over_space(text, q - 1);
    return (q > text && q[-1] == ')') || (q - text >= 3 && strncmp(q - 3, "\xe2\x8c\x8b", 3) == 0); // ')' or '⌋'
}

// Reports the literal numbers of one text (outside {...}) found in set.
// Whether v is one of the step's `constants` (numbers its texts write that are
// not the scene's: "a 5×5 kernel has almost three times the weights of a 3×3 one").
static bool is_constant(const char *constants, double v) {
    for (const char *p = constants; p && *p;) {
        char *end;
        double c = strtod(p, &end);
        if (end == p) { p++; continue; }
        if (fabs(c - v) <= 1e-9 * fmax(1, fabs(v))) return true;
        p = end;
    }
    return false;
}

static int scan_text(const char *text, const ChangeSet *set, const char *constants, const char *path, int line, int k,
                     const char *lang, const char *label, FILE *report) {
    double told[32];
    int n_told = 0;
    int problems = 0, depth = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '{') { depth++; continue; }
        if (*p == '}') { if (depth) depth--; continue; }
        if (depth || !isdigit((unsigned char)*p)) continue;
        bool ident = p > text && (is_letter((unsigned char)p[-1]) || p[-1] == '.') &&
                     !(p[-1] == 'x' && p - 1 > text && isdigit((unsigned char)p[-2]));
        char *end;
        double v = strtod(p, &end);
        if (end > p && end[-1] == '.') end--; // "is 4." ends a sentence
        bool word = is_letter((unsigned char)*end) && !(*end == 'x' && isdigit((unsigned char)end[1]));
        if (!ident && !word && !formula_constant(text, p, end)) {
            bool neg = (p > text && p[-1] == '-') || (p - text >= 3 && memcmp(p - 3, "\xe2\x88\x92", 3) == 0);
            if (neg) v = -v;
            bool skip = is_constant(constants, v);
            for (int i = 0; i < n_told && !skip; i++) skip = told[i] == v; // one line per number and text
            for (int i = 0; i < set->n && !skip; i++) {
                if (fabs(set->c[i].from - v) > 1e-9 * fmax(1, fabs(v))) continue;
                if (n_told < 32) told[n_told++] = v;
                fprintf(report, "%s:%d: step %d (%s) at %s: the text writes %.*s, which this setting changes to %g "
                        "(dump line '%s'); write it as a {key} or say it without the number\n",
                        path, line, k + 1, lang, label, (int)(end - p), p, set->c[i].to, set->c[i].where);
                problems++;
                break;
            }
        }
        p = end - 1;
    }
    return problems;
}

int livecheck_stale(const Lesson *l, int k, const Scene *base, const Scene *at, const char *label, FILE *report) {
    static ChangeSet set;
    set.n = 0;
    collect_changes(&set, base, at);
    if (!set.n) return 0;
    const LessonStep *st = &l->steps[k];
    const char *constants = lesson_get(st, "constants", NULL);
    int problems = 0;
    for (int lang = 0; lang < LANG_COUNT; lang++) {
        problems += scan_text(st->caption[lang], &set, constants, l->path, st->line, k, LANG_CODES[lang], label, report);
        problems += scan_text(st->text[lang], &set, constants, l->path, st->line, k, LANG_CODES[lang], label, report);
    }
    return problems;
}
