/* Checks a step's `expect` claims against its dump: see expect.h. */
#include "lesson/expect.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GRIDS 64
#define MAX_LINES 512

// ---- the dump as a table -----------------------------------------------------------

typedef struct {
    char name[64];
    int rows, cols;
    int first;                  // its (rows, cols) cells start at Dump.numbers[first]
} DumpGrid;

typedef struct {
    char *text;                 // the whole dump (owned), split into lines in place
    char *lines[MAX_LINES];     // lines that are not grid rows
    int n_lines;
    DumpGrid grids[MAX_GRIDS];
    int n_grids;
    double *numbers;            // every grid's cells (owned)
    int n_numbers, cap_numbers;
} Dump;

static bool parse_number(const char *tok, size_t len, double *out) {
    char buf[64];
    if (len == 0 || len >= sizeof buf) return false;
    memcpy(buf, tok, len);
    buf[len] = 0;
    char *end;
    *out = strtod(buf, &end);
    return end != buf && *end == 0 && isfinite(*out);
}

// Appends the numbers of row to the dump's store; returns how many, or -1 if a
// token is not a number.
static int push_row(Dump *d, const char *row) {
    int n = 0;
    for (const char *p = row;;) {
        while (*p == ' ') p++;
        if (!*p) return n;
        size_t len = strcspn(p, " ");
        double v;
        if (!parse_number(p, len, &v)) return -1;
        if (d->n_numbers == d->cap_numbers) {
            d->cap_numbers = d->cap_numbers ? 2 * d->cap_numbers : 256;
            d->numbers = cl_realloc(d->numbers, sizeof *d->numbers * (size_t)d->cap_numbers);
        }
        d->numbers[d->n_numbers++] = v;
        n++;
        p += len;
    }
}

static void add_grid(Dump *d, const char *name, size_t name_len, int rows, int cols, int first) {
    if (d->n_grids == MAX_GRIDS) return;
    DumpGrid *g = &d->grids[d->n_grids++];
    snprintf(g->name, sizeof g->name, "%.*s", (int)name_len, name);
    g->rows = rows, g->cols = cols, g->first = first;
}

// Splits the dump into lines; "NAME RxC:" and its rows become a grid, a line
// of a word and numbers only becomes a 1xN grid too (and stays a line).
static void dump_parse(Dump *d, char *text) {
    memset(d, 0, sizeof *d);
    d->text = text;
    char *next = text;
    while (next && *next) {
        char *line = next, *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        next = nl ? nl + 1 : NULL;
        int rows, cols, used = 0;
        char *sp = strrchr(line, ' ');
        if (sp && sscanf(sp + 1, "%dx%d:%n", &rows, &cols, &used) == 2 && sp[1 + used] == 0 && rows >= 0 && cols >= 0) {
            int first = d->n_numbers;
            bool ok = true;
            for (int r = 0; r < rows && ok && next; r++) {
                char *row = next, *rn = strchr(row, '\n');
                if (rn) *rn = 0;
                next = rn ? rn + 1 : NULL;
                ok = push_row(d, row) == cols;
            }
            if (ok) add_grid(d, line, (size_t)(sp - line), rows, cols, first);
            continue;
        }
        if (d->n_lines < MAX_LINES) d->lines[d->n_lines++] = line;
        const char *rest = line + strcspn(line, " ");
        int first = d->n_numbers, n = *rest ? push_row(d, rest) : -1;
        if (n > 0) add_grid(d, line, strcspn(line, " "), 1, n, first);
        else d->n_numbers = first; // not a list of numbers
    }
}

static void dump_free(Dump *d) {
    free(d->text);
    free(d->numbers);
}

// ---- the expression language ---------------------------------------------------------

typedef struct {
    const char *p;              // the rest of the claim
    const Dump *d;
    const LessonStep *st;       // param(): the step's own keys ...
    const SceneOverrides *ov;   // ... under these live values (may be NULL)
    char err[300];              // non-empty: why the claim cannot be evaluated
} Expr;

static void skip_space(Expr *e) { while (*e->p == ' ' || *e->p == '\t') e->p++; }

static double fail(Expr *e, const char *fmt, const char *what) {
    if (!e->err[0]) snprintf(e->err, sizeof e->err, fmt, what);
    return NAN;
}

// A raw argument: everything up to the next ',' or ')' at this level, trimmed.
static void raw_arg(Expr *e, char *out, size_t n) {
    skip_space(e);
    size_t len = strcspn(e->p, ",)");
    while (len > 0 && e->p[len - 1] == ' ') len--;
    snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), e->p);
    e->p += strcspn(e->p, ",)");
}

static bool expect_char(Expr *e, char c) {
    skip_space(e);
    if (*e->p != c) {
        char what[2] = {c, 0};
        fail(e, "expected '%s'", what);
        return false;
    }
    e->p++;
    return true;
}

static const DumpGrid *find_grid(Expr *e, const char *name) {
    for (int i = 0; i < e->d->n_grids; i++)
        if (strcmp(e->d->grids[i].name, name) == 0) return &e->d->grids[i];
    fail(e, "the dump has no grid '%s'", name);
    return NULL;
}

// The dump line that starts with the word L, or (L:K) whose second word is K.
static const char *find_line(Expr *e, const char *sel) {
    char first[64], second[64] = "";
    const char *colon = strchr(sel, ':');
    snprintf(first, sizeof first, "%.*s", (int)(colon ? (size_t)(colon - sel) : strlen(sel)), sel);
    if (colon) snprintf(second, sizeof second, "%s", colon + 1);
    for (int i = 0; i < e->d->n_lines; i++) {
        const char *ln = e->d->lines[i];
        size_t w = strcspn(ln, " ");
        if (w != strlen(first) || strncmp(ln, first, w) != 0) continue;
        if (!second[0]) return ln;
        const char *k = ln + w + (ln[w] == ' ');
        size_t kw = strcspn(k, " ");
        if (kw == strlen(second) && strncmp(k, second, kw) == 0) return ln;
    }
    fail(e, "the dump has no line '%s'", sel);
    return NULL;
}

// value(L, W): the number after the word W; item(L, k): the k-th number.
static double line_number(Expr *e, const char *line, const char *word, int index) {
    int n = 0;
    bool after = false;
    for (const char *p = line + strcspn(line, " "); *p;) {
        while (*p == ' ') p++;
        size_t len = strcspn(p, " ");
        double v;
        bool num = parse_number(p, len, &v);
        if (word && after) return num ? v : fail(e, "no number after '%s'", word);
        if (word && len == strlen(word) && strncmp(p, word, len) == 0) after = true;
        if (!word && num && n++ == index) return v;
        p += len;
    }
    return word ? fail(e, "no word '%s' on that line", word) : fail(e, "that line has fewer numbers%s", "");
}

static double parse_sum(Expr *e);

static double grid_reduce(const Dump *d, const DumpGrid *g, const char *fn, double arg) {
    int n = g->rows * g->cols;
    const double *cells = d->numbers + g->first;
    double acc = strcmp(fn, "min") == 0 ? INFINITY : strcmp(fn, "max") == 0 ? -INFINITY : 0;
    for (int i = 0; i < n; i++) {
        double v = cells[i];
        if (strcmp(fn, "sum") == 0) acc += v;
        else if (strcmp(fn, "min") == 0) acc = fmin(acc, v);
        else if (strcmp(fn, "max") == 0) acc = fmax(acc, v);
        else acc += fabs(v - arg) <= 1e-9 * fmax(1, fabs(arg)); // count
    }
    return acc;
}

// name(args...): the functions of expect.h.
// param(K): the step's current value of scene key K (the live override if
// any): its first number, or 1/0 for true/false, so a claim can follow the
// student's settings: rows(output) == floor((5 + 2*param(padding) - 3)/param(stride)) + 1.
static double param_value(Expr *e, const char *key) {
    const char *v = NULL;
    for (int i = 0; e->ov && i < e->ov->n && !v; i++)
        if (strcmp(e->ov->kv[i].key, key) == 0) v = e->ov->kv[i].value;
    if (!v && e->st) v = lesson_get(e->st, key, NULL);
    if (!v) return fail(e, "param(%s): the step gives that key no value; give it one in the step", key);
    if (strncmp(v, "true", 4) == 0) return 1;
    if (strncmp(v, "false", 5) == 0) return 0;
    char *end;
    double x = strtod(v, &end);
    return end == v ? fail(e, "param(%s) is not a number", key) : x;
}

static double parse_call(Expr *e, const char *fn) {
    if (!expect_char(e, '(')) return NAN;
    if (strcmp(fn, "floor") == 0 || strcmp(fn, "ceil") == 0 || strcmp(fn, "abs") == 0) {
        double v = parse_sum(e);
        v = fn[0] == 'f' ? floor(v + 1e-9) : fn[0] == 'c' ? ceil(v - 1e-9) : fabs(v);
        return expect_char(e, ')') ? v : NAN;
    }
    char a[96];
    raw_arg(e, a, sizeof a);
    double r = NAN;
    if (strcmp(fn, "param") == 0) {
        r = param_value(e, a);
    } else if (strcmp(fn, "value") == 0 || strcmp(fn, "item") == 0) {
        const char *line = find_line(e, a);
        if (!expect_char(e, ',')) return NAN;
        char b[64];
        raw_arg(e, b, sizeof b);
        if (line) r = fn[0] == 'v' ? line_number(e, line, b, 0) : line_number(e, line, NULL, atoi(b));
    } else {
        const DumpGrid *g = find_grid(e, a);
        if (strcmp(fn, "cell") == 0) {
            int rc[2];
            for (int i = 0; i < 2; i++) {
                if (!expect_char(e, ',')) return NAN;
                double v = parse_sum(e);
                rc[i] = (int)v;
            }
            if (g && (rc[0] < 0 || rc[1] < 0 || rc[0] >= g->rows || rc[1] >= g->cols))
                return fail(e, "cell outside grid '%s'", a);
            if (g) r = e->d->numbers[g->first + rc[0] * g->cols + rc[1]];
        } else if (strcmp(fn, "count") == 0) {
            if (!expect_char(e, ',')) return NAN;
            double v = parse_sum(e);
            if (g) r = grid_reduce(e->d, g, "count", v);
        } else if (strcmp(fn, "rows") == 0 || strcmp(fn, "cols") == 0) {
            if (g) r = fn[0] == 'r' ? g->rows : g->cols;
        } else if (strcmp(fn, "sum") == 0 || strcmp(fn, "min") == 0 || strcmp(fn, "max") == 0) {
            if (g) r = grid_reduce(e->d, g, fn, 0);
        } else {
            return fail(e, "unknown function '%s' (cell, rows, cols, sum, min, max, count, value, item, param, floor, ceil, abs)", fn);
        }
    }
    return expect_char(e, ')') ? r : NAN;
}

static double parse_factor(Expr *e) {
    skip_space(e);
    if (*e->p == '-') { e->p++; return -parse_factor(e); }
    if (*e->p == '(') {
        e->p++;
        double v = parse_sum(e);
        return expect_char(e, ')') ? v : NAN;
    }
    if (isalpha((unsigned char)*e->p)) {
        char fn[16];
        size_t n = 0;
        while (isalpha((unsigned char)e->p[n]) && n + 1 < sizeof fn) n++;
        snprintf(fn, sizeof fn, "%.*s", (int)n, e->p);
        e->p += n;
        return parse_call(e, fn);
    }
    char *end;
    double v = strtod(e->p, &end);
    if (end == e->p) return fail(e, "expected a number or a function at '%.20s'", e->p);
    e->p = end;
    return v;
}

static double parse_product(Expr *e) {
    double v = parse_factor(e);
    for (;;) {
        skip_space(e);
        if (*e->p == '*') { e->p++; v *= parse_factor(e); }
        else if (*e->p == '/') { e->p++; v /= parse_factor(e); }
        else return v;
    }
}

static double parse_sum(Expr *e) {
    double v = parse_product(e);
    for (;;) {
        skip_space(e);
        if (*e->p == '+') { e->p++; v += parse_product(e); }
        else if (*e->p == '-' && e->p[1] != '=') { e->p++; v -= parse_product(e); }
        else return v;
    }
}

// "==" and "!=" allow the 6 significant digits the dump prints (%g).
static bool compare(double a, const char *op, double b) {
    bool eq = fabs(a - b) <= 5e-6 * fmax(fabs(a), fabs(b)) + 1e-12;
    if (strcmp(op, "==") == 0) return eq;
    if (strcmp(op, "!=") == 0) return !eq;
    if (strcmp(op, "<=") == 0) return a <= b || eq;
    if (strcmp(op, ">=") == 0) return a >= b || eq;
    if (strcmp(op, "<") == 0) return a < b && !eq;
    return a > b && !eq;
}

// Evaluates one claim; returns 1 true, 0 false (lhs, rhs set), -1 malformed (why in err).
static int eval_claim(const Dump *d, const LessonStep *st, const SceneOverrides *ov, const char *claim, double *lhs,
                      double *rhs, char *err, size_t n) {
    Expr e = {.p = claim, .d = d, .st = st, .ov = ov};
    *lhs = parse_sum(&e);
    skip_space(&e);
    static const char *const OPS[] = {"==", "!=", "<=", ">=", "<", ">"};
    const char *op = NULL;
    for (int i = 0; i < 6 && !op; i++)
        if (strncmp(e.p, OPS[i], strlen(OPS[i])) == 0) op = OPS[i];
    if (!op && !e.err[0]) snprintf(e.err, sizeof e.err, "expected a comparison (== != < <= > >=)");
    if (op) e.p += strlen(op);
    if (op) *rhs = parse_sum(&e);
    skip_space(&e);
    if (!e.err[0] && *e.p) snprintf(e.err, sizeof e.err, "unexpected '%.20s' at the end", e.p);
    if (e.err[0]) { snprintf(err, n, "%s", e.err); return -1; }
    return compare(*lhs, op, *rhs) ? 1 : 0;
}

// ---- checking a step -------------------------------------------------------------------

int expect_check_at(const Lesson *l, int k, const Scene *sc, const SceneOverrides *ov, const char *at, bool other_net,
                    bool no_data, FILE *report, int *n_checked) {
    int line = l->steps[k].line, failures = 0, checked = 0;
    const char *claims = lesson_get(&l->steps[k], "expect", &line);
    if (n_checked) *n_checked = 0;
    if (!claims) return 0;
    char *text = scene_dump_text(sc);
    Dump d;
    dump_parse(&d, text);
    char *all = cl_strdup(claims);
    char where[160] = "";
    if (at && at[0]) snprintf(where, sizeof where, " at %s", at);
    for (char *claim = strtok(all, ";"); claim; claim = strtok(NULL, ";")) {
        while (*claim == ' ') claim++;
        if (!*claim) continue;
        if (strncmp(claim, "cnnnet:", 7) == 0) { // a number of CNNNet itself: not a claim about another net
            if (other_net) continue;
            claim += 7;
            while (*claim == ' ') claim++;
        }
        double a = 0, b = 0;
        char why[320];
        int r = eval_claim(&d, &l->steps[k], ov, claim, &a, &b, why, sizeof why);
        if (r < 0 && no_data && strncmp(why, "the dump has no ", 16) == 0) continue; // a number of the images
        checked++;
        if (r == 1) continue;
        failures++;
        if (r < 0) fprintf(report, "%s:%d: step %d%s: expect '%s': %s\n", l->path, line, k + 1, where, claim, why);
        else fprintf(report, "%s:%d: step %d%s: expect '%s' is false: %g vs %g\n", l->path, line, k + 1, where, claim, a, b);
    }
    free(all);
    dump_free(&d);
    if (n_checked) *n_checked = checked;
    return failures;
}

int expect_check(const Lesson *l, int k, const Scene *sc, bool no_data, FILE *report, int *n_checked) {
    return expect_check_at(l, k, sc, NULL, NULL, false, no_data, report, n_checked);
}
