/* Net files: the parser (PyTorch's constructor calls, bound as Python binds
 * arguments) and the shape inference (PyTorch's forward checks, in its order
 * and words). See netfile.h. Output sizes come from the engine's own
 * conv2d_output_size / maxpool2d_output_size / avgpool2d_output_size.
 */
#include "engine/netfile.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/textfile.h"

#define MAX_ARGS 16

// ---- messages --------------------------------------------------------------------

typedef struct {
    const char *path;
    int line;
    ClError *err;
    int indent;        // characters before the trimmed line: columns count from the line's start
} Where;

// "path:line: " + the message; returns -1.
static int fail_at(const Where *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail_at(const Where *w, const char *fmt, ...) {
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cl_fail(w->err, "%s:%d: %s", w->path, w->line, msg);
}

void netfile_format_float(char *out, size_t cap, double x) {
    // Python's repr: the shortest digits that read back, fixed notation for
    // 1e-4 <= |x| < 1e16 (with ".0" if integral), else d.ddde-XX.
    if (!isfinite(x)) { snprintf(out, cap, isnan(x) ? "nan" : x > 0 ? "inf" : "-inf"); return; }
    char buf[64];
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, x);
        if (strtod(buf, NULL) == x) break;
    }
    snprintf(buf, sizeof buf, "%.*e", prec - 1, x);
    int exp10 = atoi(strchr(buf, 'e') + 1);
    if (x != 0 && (exp10 < -4 || exp10 >= 16)) {
        char mant[32];
        snprintf(mant, sizeof mant, "%.*s", (int)(strchr(buf, 'e') - buf), buf);
        snprintf(out, cap, "%se%c%02d", mant, exp10 < 0 ? '-' : '+', abs(exp10));
        return;
    }
    int decimals = prec - 1 - exp10;
    snprintf(out, cap, "%.*f%s", decimals > 0 ? decimals : 0, x, decimals > 0 ? "" : ".0");
}

void netfile_format_shape(char *out, size_t cap, int batch, int c, int h, int w, bool flat) {
    if (flat) snprintf(out, cap, "[%d, %d]", batch, c);
    else snprintf(out, cap, "[%d, %d, %d, %d]", batch, c, h, w);
}

// ---- values: what an argument can be ------------------------------------------------

typedef enum { V_INT, V_FLOAT, V_BOOL, V_NONE, V_STR, V_WORD, V_TUPLE } ValueKind;

typedef struct {
    ValueKind kind;
    int64_t i;         // V_INT, V_BOOL
    double f;          // V_FLOAT
    int n;             // V_TUPLE: elements
    int64_t t[4];      // V_TUPLE: ints
    char s[40];        // V_STR, V_WORD
} Value;

typedef struct {
    char key[40];      // "" for a positional argument
    Value v;
} Arg;

// Python's text of a value, for messages ("3.5", "'same'", "(1, 2)").
static void format_value(char *out, size_t cap, const Value *v) {
    switch (v->kind) {
    case V_INT: snprintf(out, cap, "%lld", (long long)v->i); break;
    case V_FLOAT: netfile_format_float(out, cap, v->f); break;
    case V_BOOL: snprintf(out, cap, "%s", v->i ? "True" : "False"); break;
    case V_NONE: snprintf(out, cap, "None"); break;
    case V_STR: snprintf(out, cap, "'%s'", v->s); break;
    case V_WORD: snprintf(out, cap, "%s", v->s); break;
    case V_TUPLE: {
        size_t len = (size_t)snprintf(out, cap, "(");
        for (int k = 0; k < v->n && len < cap; k++)
            len += (size_t)snprintf(out + len, cap - len, "%s%lld", k ? ", " : "", (long long)v->t[k]);
        if (len < cap) snprintf(out + len, cap - len, v->n == 1 ? ",)" : ")");
        break;
    }
    }
}

// ---- the lexer and the expression grammar ------------------------------------------------

typedef struct {
    const char *p;     // the next character
    const char *start; // the line, for columns
    const Where *w;
} Lex;

static void skip_space(Lex *x) {
    while (*x->p == ' ' || *x->p == '\t') x->p++;
}

static bool accept(Lex *x, char c) {
    skip_space(x);
    if (*x->p != c) return false;
    x->p++;
    return true;
}

static bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

// An identifier into out (NUL-terminated); false if there is none.
static bool read_ident(Lex *x, char *out, size_t cap) {
    skip_space(x);
    if (!is_ident_start(*x->p)) return false;
    size_t n = 0;
    while (is_ident_char(*x->p)) {
        if (n + 1 < cap) out[n++] = *x->p;
        x->p++;
    }
    out[n] = 0;
    return true;
}

static int syntax_error(Lex *x, const char *expected) {
    skip_space(x);
    char near[24];
    snprintf(near, sizeof near, "%.20s", *x->p ? x->p : "the end of the line");
    return fail_at(x->w, "invalid syntax at column %d (near '%s'): expected %s; a layer line looks like "
                   "(conv1): Conv2d(3, 6, 5)", x->w->indent + (int)(x->p - x->start) + 1, near, expected);
}

typedef struct {
    bool is_float;
    int64_t i;
    double f;
} Num;

static double num_f(Num a) { return a.is_float ? a.f : (double)a.i; }

static int parse_sum(Lex *x, Num *out);

static int parse_number(Lex *x, Num *out) {
    const char *s = x->p;
    char *end;
    bool is_float = false;
    const char *q = s;
    while (*q >= '0' && *q <= '9') q++;
    if (*q == '.' || *q == 'e' || *q == 'E') is_float = true;
    if (is_float) {
        out->is_float = true;
        out->f = strtod(s, &end);
        if (end == s || !isfinite(out->f)) return syntax_error(x, "a number");
        x->p = end;
    } else {
        if (q - s > 1 && s[0] == '0')
            return fail_at(x->w, "leading zeros in decimal integer literals are not permitted (%.*s)", (int)(q - s), s);
        int64_t v = 0;
        for (const char *c = s; c < q; c++)
            if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *c - '0', &v))
                return fail_at(x->w, "the number %.*s is too large", (int)(q - s > 30 ? 30 : q - s), s);
        out->is_float = false;
        out->i = v;
        x->p = q;
    }
    if (is_ident_char(*x->p)) return syntax_error(x, "a number");
    return 0;
}

static int parse_primary(Lex *x, Num *out) {
    skip_space(x);
    if (accept(x, '-')) {
        if (parse_primary(x, out) != 0) return -1;
        if (out->is_float) out->f = -out->f;
        else if (__builtin_sub_overflow((int64_t)0, out->i, &out->i)) return fail_at(x->w, "a number is too large");
        return 0;
    }
    if (accept(x, '+')) return parse_primary(x, out);
    if (accept(x, '(')) {
        if (parse_sum(x, out) != 0) return -1;
        return accept(x, ')') ? 0 : syntax_error(x, "')'");
    }
    if ((*x->p >= '0' && *x->p <= '9') || (*x->p == '.' && x->p[1] >= '0' && x->p[1] <= '9')) return parse_number(x, out);
    char word[40];
    const char *at = x->p;
    if (read_ident(x, word, sizeof word)) {
        x->p = at;
        return fail_at(x->w, "name '%s' is not defined", word); // Python's NameError
    }
    return syntax_error(x, "a value");
}

// a * b, a // b with Python's int semantics (overflow is an error).
static int apply_op(Lex *x, char op, Num *a, Num b) {
    if (!a->is_float && !b.is_float) {
        bool over = false;
        if (op == '*') over = __builtin_mul_overflow(a->i, b.i, &a->i);
        else if (op == '+') over = __builtin_add_overflow(a->i, b.i, &a->i);
        else if (op == '-') over = __builtin_sub_overflow(a->i, b.i, &a->i);
        else {
            if (b.i == 0) return fail_at(x->w, "integer division or modulo by zero");
            if (a->i == INT64_MIN && b.i == -1) over = true;
            else {
                int64_t q = a->i / b.i;
                if ((a->i % b.i != 0) && ((a->i < 0) != (b.i < 0))) q--;
                a->i = q;
            }
        }
        return over ? fail_at(x->w, "a number is too large") : 0;
    }
    double fa = num_f(*a), fb = num_f(b);
    if (op == '/' && fb == 0) return fail_at(x->w, "float floor division by zero");
    a->f = op == '*' ? fa * fb : op == '+' ? fa + fb : op == '-' ? fa - fb : floor(fa / fb);
    a->is_float = true;
    return isfinite(a->f) ? 0 : fail_at(x->w, "a number is too large");
}

static int parse_product(Lex *x, Num *out) {
    if (parse_primary(x, out) != 0) return -1;
    for (;;) {
        skip_space(x);
        char op;
        if (x->p[0] == '/' && x->p[1] == '/') op = '/', x->p += 2;
        else if (x->p[0] == '*' && x->p[1] != '*') op = '*', x->p++;
        else return 0;
        Num b;
        if (parse_primary(x, &b) != 0 || apply_op(x, op, out, b) != 0) return -1;
    }
}

static int parse_sum(Lex *x, Num *out) {
    if (parse_product(x, out) != 0) return -1;
    for (;;) {
        skip_space(x);
        char op = *x->p;
        if (op != '+' && op != '-') return 0;
        x->p++;
        Num b;
        if (parse_product(x, &b) != 0 || apply_op(x, op, out, b) != 0) return -1;
    }
}

static void value_from_num(Value *v, Num n) {
    memset(v, 0, sizeof *v);
    if (n.is_float) v->kind = V_FLOAT, v->f = n.f;
    else v->kind = V_INT, v->i = n.i;
}

// A tuple of ints "(5, 5)"; *is_tuple false (and the lexer back) if the
// parenthesis opens an expression instead.
static int parse_tuple(Lex *x, Value *v, bool *is_tuple) {
    const char *save = x->p;
    *is_tuple = false;
    accept(x, '(');
    memset(v, 0, sizeof *v);
    v->kind = V_TUPLE;
    if (accept(x, ')')) return (*is_tuple = true, 0); // ()
    for (;;) {
        Num n;
        if (parse_sum(x, &n) != 0) return -1;
        if (!*is_tuple && !accept(x, ',')) { x->p = save; return 0; } // "(16 * 5) * 5"
        *is_tuple = true;
        if (n.is_float) return fail_at(x->w, "a size tuple holds ints, got a float");
        if (v->n == 4) return fail_at(x->w, "a size tuple has at most 2 elements here");
        v->t[v->n++] = n.i;
        if (accept(x, ')')) return 0;
        if (v->n > 1 && !accept(x, ',')) return syntax_error(x, "',' or ')'");
        if (accept(x, ')')) return 0;
    }
}

static int parse_value(Lex *x, Value *v) {
    skip_space(x);
    memset(v, 0, sizeof *v);
    char q = *x->p;
    if (q == '\'' || q == '"') {
        const char *e = strchr(x->p + 1, q);
        if (!e) return syntax_error(x, "a closing quote");
        if (e - x->p - 1 >= (long)sizeof v->s) return fail_at(x->w, "a string argument is too long");
        v->kind = V_STR;
        memcpy(v->s, x->p + 1, (size_t)(e - x->p - 1));
        x->p = e + 1;
        return 0;
    }
    if (is_ident_start(q)) {
        const char *at = x->p;
        char word[40];
        read_ident(x, word, sizeof word);
        if (strcmp(word, "True") == 0 || strcmp(word, "False") == 0) v->kind = V_BOOL, v->i = word[0] == 'T';
        else if (strcmp(word, "None") == 0) v->kind = V_NONE;
        else {
            v->kind = V_WORD; // print(model) writes padding=same unquoted; anywhere else a NameError
            snprintf(v->s, sizeof v->s, "%s", word);
            skip_space(x);
            if (*x->p && *x->p != ',' && *x->p != ')') { x->p = at; Num n; return parse_sum(x, &n); }
        }
        return 0;
    }
    if (q == '(') {
        bool is_tuple;
        if (parse_tuple(x, v, &is_tuple) != 0) return -1;
        if (is_tuple) return 0;
    }
    Num n;
    if (parse_sum(x, &n) != 0) return -1;
    value_from_num(v, n);
    return 0;
}

// The argument list after '(' up to and including ')'.
static int parse_args(Lex *x, Arg *args, int *n_args) {
    *n_args = 0;
    bool keywords = false;
    for (;;) {
        if (accept(x, ')')) break;
        if (*n_args == MAX_ARGS) return fail_at(x->w, "more than %d arguments", MAX_ARGS);
        Arg *a = &args[(*n_args)++];
        memset(a, 0, sizeof *a);
        const char *save = x->p;
        char key[40];
        if (read_ident(x, key, sizeof key) && accept(x, '=') && *x->p != '=') {
            for (int k = 0; k < *n_args - 1; k++)
                if (strcmp(args[k].key, key) == 0) return fail_at(x->w, "keyword argument repeated: %s", key);
            snprintf(a->key, sizeof a->key, "%s", key);
            keywords = true;
        } else {
            x->p = save;
            if (keywords) return fail_at(x->w, "positional argument follows keyword argument");
        }
        if (parse_value(x, &a->v) != 0) return -1;
        if (accept(x, ')')) break;
        if (!accept(x, ',')) return syntax_error(x, "',' or ')'");
    }
    skip_space(x);
    return *x->p ? syntax_error(x, "the end of the line after ')'") : 0;
}

// ---- the layers' signatures (torch 1.13) and Python's argument binding ----------------------

typedef struct {
    const char *name;            // "Conv2d"
    const char *qualname;        // whose __init__ Python names in a TypeError ("_MaxPoolNd")
    const char *const params[12];// in order; NULL-terminated
    int n_required;
} Signature;

static const Signature SIGNATURES[LAYER_KINDS] = {
    [LAYER_CONV2D] = {"Conv2d", "Conv2d", {"in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
                     "groups", "bias", "padding_mode", "device", "dtype"}, 3},
    [LAYER_CONV_TRANSPOSE2D] = {"ConvTranspose2d", "ConvTranspose2d", {"in_channels", "out_channels", "kernel_size",
                               "stride", "padding", "output_padding", "groups", "bias", "dilation", "padding_mode",
                               "device", "dtype"}, 3},
    [LAYER_MAXPOOL2D] = {"MaxPool2d", "_MaxPoolNd", {"kernel_size", "stride", "padding", "dilation", "return_indices",
                        "ceil_mode"}, 1},
    [LAYER_AVGPOOL2D] = {"AvgPool2d", "AvgPool2d", {"kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                        "divisor_override"}, 1},
    [LAYER_BATCHNORM2D] = {"BatchNorm2d", "_BatchNorm", {"num_features", "eps", "momentum", "affine",
                          "track_running_stats", "device", "dtype"}, 1},
    [LAYER_LINEAR] = {"Linear", "Linear", {"in_features", "out_features", "bias", "device", "dtype"}, 2},
    [LAYER_RELU] = {"ReLU", "ReLU", {"inplace"}, 0},
    [LAYER_LEAKY_RELU] = {"LeakyReLU", "LeakyReLU", {"negative_slope", "inplace"}, 0},
    [LAYER_TANH] = {"Tanh", "Module", {NULL}, 0},
    [LAYER_SIGMOID] = {"Sigmoid", "Module", {NULL}, 0},
    [LAYER_DROPOUT] = {"Dropout", "_DropoutNd", {"p", "inplace"}, 0},
    [LAYER_FLATTEN] = {"Flatten", "Flatten", {"start_dim", "end_dim"}, 0},
};

const char *netfile_kind_name(LayerKind kind) { return kind < LAYER_KINDS ? SIGNATURES[kind].name : "?"; }

static int n_params_of(const Signature *s) {
    int n = 0;
    while (n < 12 && s->params[n]) n++;
    return n;
}

// Python's "missing 2 required positional arguments: 'a' and 'b'" list.
static void missing_list(char *out, size_t cap, const char *const *names, int n) {
    size_t len = 0;
    out[0] = 0;
    for (int k = 0; k < n && len < cap; k++)
        len += (size_t)snprintf(out + len, cap - len, "%s'%s'", k == 0 ? "" : n == 2 ? " and " : k == n - 1 ? ", and " : ", ",
                                names[k]);
}

// Binds args to slots[k] (NULL: not given) as Python does, with its TypeErrors.
static int bind_args(const Where *w, const Signature *s, const Arg *args, int n_args, const Value **slots) {
    int np = n_params_of(s), n_pos = 0;
    for (int k = 0; k < 12; k++) slots[k] = NULL;
    for (int a = 0; a < n_args; a++)
        if (!args[a].key[0]) {
            if (n_pos < np) slots[n_pos] = &args[a].v;
            n_pos++;
        }
    for (int a = 0; a < n_args; a++) {
        if (!args[a].key[0]) continue;
        int k = 0;
        while (k < np && strcmp(s->params[k], args[a].key) != 0) k++;
        if (k == np) return fail_at(w, "%s.__init__() got an unexpected keyword argument '%s'", s->qualname, args[a].key);
        if (slots[k]) return fail_at(w, "%s.__init__() got multiple values for argument '%s'", s->qualname, args[a].key);
        slots[k] = &args[a].v;
    }
    if (n_pos > np) {
        if (s->n_required == np)
            return fail_at(w, "%s.__init__() takes %d positional argument%s but %d were given", s->qualname, np + 1,
                           np == 0 ? "" : "s", n_pos + 1);
        return fail_at(w, "%s.__init__() takes from %d to %d positional arguments but %d were given", s->qualname,
                       s->n_required + 1, np + 1, n_pos + 1);
    }
    const char *missing[12];
    int n_missing = 0;
    for (int k = 0; k < s->n_required; k++)
        if (!slots[k]) missing[n_missing++] = s->params[k];
    if (n_missing) {
        char list[256];
        missing_list(list, sizeof list, missing, n_missing);
        return fail_at(w, "%s.__init__() missing %d required positional argument%s: %s", s->qualname, n_missing,
                       n_missing == 1 ? "" : "s", list);
    }
    return 0;
}

// ---- reading one argument -------------------------------------------------------------

typedef struct {
    const Where *w;
    const char *layer;           // "Conv2d"
    const Signature *sig;
    const Value **slots;
} ArgReader;

static int slot_of(const ArgReader *r, const char *name) {
    for (int k = 0; k < 12 && r->sig->params[k]; k++)
        if (strcmp(r->sig->params[k], name) == 0) return k;
    CL_ASSERT(0 && "no such parameter");
    return -1;
}

static const Value *given(const ArgReader *r, const char *name) { return r->slots[slot_of(r, name)]; }

static int type_error(const ArgReader *r, const char *name, const Value *v, const char *what) {
    char text[64];
    format_value(text, sizeof text, v);
    if (v->kind == V_WORD) return fail_at(r->w, "name '%s' is not defined", v->s);
    return fail_at(r->w, "%s: %s must be %s, got %s", r->layer, name, what, text);
}

static int check_range(const ArgReader *r, const char *name, int64_t v, int64_t limit) {
    if (v > limit || v < -limit)
        return fail_at(r->w, "%s: %s = %lld is out of convlab's range (at most %lld)", r->layer, name, (long long)v,
                       (long long)limit);
    return 0;
}

static int read_int(const ArgReader *r, const char *name, int dflt, int64_t limit, int *out) {
    const Value *v = given(r, name);
    if (!v) return (*out = dflt, 0);
    if (v->kind != V_INT) return type_error(r, name, v, "an int");
    if (check_range(r, name, v->i, limit) != 0) return -1;
    *out = (int)v->i;
    return 0;
}

// An int or an (h, w) pair of ints.
static int read_pair(const ArgReader *r, const char *name, int dflt, int out[2]) {
    const Value *v = given(r, name);
    if (!v) return (out[0] = out[1] = dflt, 0);
    int64_t a, b;
    if (v->kind == V_INT) a = b = v->i;
    else if (v->kind == V_TUPLE && v->n == 2) a = v->t[0], b = v->t[1];
    else return type_error(r, name, v, "an int or an (h, w) pair of ints");
    if (check_range(r, name, a, NETFILE_MAX_WINDOW) != 0 || check_range(r, name, b, NETFILE_MAX_WINDOW) != 0) return -1;
    out[0] = (int)a, out[1] = (int)b;
    return 0;
}

static int read_bool(const ArgReader *r, const char *name, bool dflt, bool *out) {
    const Value *v = given(r, name);
    if (!v) return (*out = dflt, 0);
    if (v->kind != V_BOOL) return type_error(r, name, v, "True or False");
    *out = v->i != 0;
    return 0;
}

static int read_float(const ArgReader *r, const char *name, double dflt, double *out) {
    const Value *v = given(r, name);
    if (!v) return (*out = dflt, 0);
    if (v->kind == V_INT) *out = (double)v->i;
    else if (v->kind == V_FLOAT) *out = v->f;
    else return type_error(r, name, v, "a number");
    if (!isfinite(*out)) return type_error(r, name, v, "a finite number");
    return 0;
}

// A string argument (print(model) writes it unquoted) into out; "" if not given.
static int read_string(const ArgReader *r, const char *name, char *out, size_t cap) {
    const Value *v = given(r, name);
    out[0] = 0;
    if (!v) return 0;
    if (v->kind != V_STR && v->kind != V_WORD) return type_error(r, name, v, "a string");
    snprintf(out, cap, "%s", v->s);
    return 0;
}

// Arguments convlab takes but only at their default (device, dtype, divisor_override).
static int refuse_unless_none(const ArgReader *r, const char *name, const char *why) {
    const Value *v = given(r, name);
    if (v && v->kind != V_NONE) return fail_at(r->w, "%s: %s is not supported by convlab (%s); remove it", r->layer, name, why);
    return 0;
}

// ---- the constructors: arguments, then __init__'s own checks -----------------------------

static long floor_div_l(long a, long b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// torch.empty's error for a negative size in shape (n dims).
static int check_negative_dims(const Where *w, const long *shape, int n) {
    for (int k = 0; k < n; k++) {
        if (shape[k] >= 0) continue;
        char dims[128];
        size_t len = 0;
        for (int d = 0; d < n; d++) len += (size_t)snprintf(dims + len, sizeof dims - len, "%s%ld", d ? ", " : "", shape[d]);
        return fail_at(w, "Trying to create tensor with negative dimension %ld: [%s]", shape[k], dims);
    }
    return 0;
}

static int read_padding_mode(const ArgReader *r, LayerSpec *l, bool transposed) {
    char mode[40];
    if (read_string(r, "padding_mode", mode, sizeof mode) != 0) return -1;
    if (!mode[0] || strcmp(mode, "zeros") == 0) return 0;
    if (transposed) return fail_at(r->w, "Only \"zeros\" padding mode is supported for ConvTranspose2d");
    static const char *const MODES[] = {"reflect", "replicate", "circular"};
    for (int k = 0; k < 3; k++)
        if (strcmp(mode, MODES[k]) == 0)
            return fail_at(r->w, "Conv2d: padding_mode='%s' is not supported by convlab; only 'zeros' (zero padding)", mode);
    return fail_at(r->w, "padding_mode must be one of {'zeros', 'reflect', 'replicate', 'circular'}, but got padding_mode='%s'",
                   mode);
}

// Conv2d's padding: an int, an (h, w) pair, 'same' or 'valid'; *bad_string is
// the invalid string, checked after the groups as __init__ does.
static int read_conv_padding(const ArgReader *r, LayerSpec *l, char *bad_string, size_t cap) {
    const Value *v = given(r, "padding");
    bad_string[0] = 0;
    l->padding_kind = NET_PAD_INT;
    if (v && (v->kind == V_STR || v->kind == V_WORD)) {
        l->padding[0] = l->padding[1] = 0;
        if (strcmp(v->s, "same") == 0) l->padding_kind = NET_PAD_SAME;
        else if (strcmp(v->s, "valid") == 0) l->padding_kind = NET_PAD_VALID;
        else snprintf(bad_string, cap, "%s", v->s);
        return 0;
    }
    return read_pair(r, "padding", 0, l->padding);
}

static int read_conv(const ArgReader *r, LayerSpec *l, bool transposed) {
    const Where *w = r->w;
    char bad_padding[40] = "";
    if (transposed && read_padding_mode(r, l, true) != 0) return -1;
    if (read_int(r, "in_channels", 0, NETFILE_MAX_WIDTH, &l->in_channels) != 0 ||
        read_int(r, "out_channels", 0, NETFILE_MAX_WIDTH, &l->out_channels) != 0 ||
        read_pair(r, "kernel_size", 0, l->kernel) != 0 || read_pair(r, "stride", 1, l->stride) != 0 ||
        (transposed ? read_pair(r, "padding", 0, l->padding) : read_conv_padding(r, l, bad_padding, sizeof bad_padding)) != 0 ||
        read_pair(r, "dilation", 1, l->dilation) != 0 || read_int(r, "groups", 1, NETFILE_MAX_WIDTH, &l->groups) != 0 ||
        read_bool(r, "bias", true, &l->bias) != 0 || refuse_unless_none(r, "device", "it computes on the CPU") != 0 ||
        refuse_unless_none(r, "dtype", "it computes in float32") != 0)
        return -1;
    if (transposed && read_pair(r, "output_padding", 0, l->output_padding) != 0) return -1;
    if (l->groups <= 0) return fail_at(w, "groups must be a positive integer");
    if (l->in_channels % l->groups != 0) return fail_at(w, "in_channels must be divisible by groups");
    if (l->out_channels % l->groups != 0) return fail_at(w, "out_channels must be divisible by groups");
    if (bad_padding[0]) return fail_at(w, "Invalid padding string '%s', should be one of {'valid', 'same'}", bad_padding);
    if (l->padding_kind == NET_PAD_SAME && (l->stride[0] != 1 || l->stride[1] != 1))
        return fail_at(w, "padding='same' is not supported for strided convolutions");
    if (!transposed && read_padding_mode(r, l, false) != 0) return -1;
    long shape[4] = {transposed ? l->in_channels : l->out_channels,
                     floor_div_l(transposed ? l->out_channels : l->in_channels, l->groups), l->kernel[0], l->kernel[1]};
    return check_negative_dims(w, shape, 4);
}

static int read_pool(const ArgReader *r, LayerSpec *l, bool max) {
    const Value *s = given(r, "stride");
    l->stride_none = !s || s->kind == V_NONE;
    if (read_pair(r, "kernel_size", 0, l->kernel) != 0 || read_pair(r, "padding", 0, l->padding) != 0 ||
        read_bool(r, "ceil_mode", false, &l->ceil_mode) != 0)
        return -1;
    if (!l->stride_none && read_pair(r, "stride", 0, l->stride) != 0) return -1;
    if (l->stride_none) l->stride[0] = l->kernel[0], l->stride[1] = l->kernel[1];
    l->dilation[0] = l->dilation[1] = 1;
    l->count_include_pad = true;
    if (max) {
        if (read_pair(r, "dilation", 1, l->dilation) != 0 || read_bool(r, "return_indices", false, &l->return_indices) != 0)
            return -1;
        if (l->return_indices)
            return fail_at(r->w, "MaxPool2d: return_indices=True is not supported in a net file (the next layer would get "
                           "a tuple); convlab keeps the indices anyway");
        return 0;
    }
    if (read_bool(r, "count_include_pad", true, &l->count_include_pad) != 0) return -1;
    return refuse_unless_none(r, "divisor_override", "the divisor is the window's size");
}

static int read_batchnorm(const ArgReader *r, LayerSpec *l) {
    const Value *m = given(r, "momentum");
    l->momentum_none = m && m->kind == V_NONE;
    if (read_int(r, "num_features", 0, NETFILE_MAX_WIDTH, &l->num_features) != 0 ||
        read_float(r, "eps", 1e-5, &l->eps) != 0 || read_bool(r, "affine", true, &l->affine) != 0 ||
        read_bool(r, "track_running_stats", true, &l->track_running_stats) != 0 ||
        refuse_unless_none(r, "device", "it computes on the CPU") != 0 ||
        refuse_unless_none(r, "dtype", "it computes in float32") != 0)
        return -1;
    if (!l->momentum_none && read_float(r, "momentum", 0.1, &l->momentum) != 0) return -1;
    if (l->momentum_none) l->momentum = 0;
    if (!(l->eps > 0)) return fail_at(r->w, "BatchNorm2d: eps must be positive (it keeps the division finite), got %g", l->eps);
    if (!l->momentum_none && (l->momentum < 0 || l->momentum > 1))
        return fail_at(r->w, "BatchNorm2d: momentum must be between 0 and 1 (or None), got %g", l->momentum);
    long shape[1] = {l->num_features};
    return (l->affine || l->track_running_stats) ? check_negative_dims(r->w, shape, 1) : 0;
}

static int read_simple(const ArgReader *r, LayerSpec *l) {
    const Value *v;
    switch (l->kind) {
    case LAYER_LINEAR: {
        if (read_int(r, "in_features", 0, NETFILE_MAX_WIDTH, &l->in_features) != 0 ||
            read_int(r, "out_features", 0, NETFILE_MAX_WIDTH, &l->out_features) != 0 ||
            read_bool(r, "bias", true, &l->bias) != 0 || refuse_unless_none(r, "device", "it computes on the CPU") != 0 ||
            refuse_unless_none(r, "dtype", "it computes in float32") != 0)
            return -1;
        long shape[2] = {l->out_features, l->in_features};
        return check_negative_dims(r->w, shape, 2);
    }
    case LAYER_RELU: return read_bool(r, "inplace", false, &l->inplace);
    case LAYER_LEAKY_RELU:
        return read_float(r, "negative_slope", 0.01, &l->negative_slope) != 0 ? -1 : read_bool(r, "inplace", false, &l->inplace);
    case LAYER_DROPOUT:
        if (read_float(r, "p", 0.5, &l->p) != 0 || read_bool(r, "inplace", false, &l->inplace) != 0) return -1;
        if (l->p < 0 || l->p > 1) {
            char text[64];
            v = given(r, "p");
            format_value(text, sizeof text, v);
            return fail_at(r->w, "dropout probability has to be between 0 and 1, but got %s", text);
        }
        return 0;
    case LAYER_FLATTEN:
        return read_int(r, "start_dim", 1, 64, &l->start_dim) != 0 ? -1 : read_int(r, "end_dim", -1, 64, &l->end_dim);
    default: return 0; // Tanh, Sigmoid: no arguments
    }
}

static int read_arguments(LayerSpec *l, const Where *w, const Arg *args, int n_args) {
    const Signature *sig = &SIGNATURES[l->kind];
    const Value *slots[12];
    if (bind_args(w, sig, args, n_args, slots) != 0) return -1;
    ArgReader r = {w, sig->name, sig, slots};
    switch (l->kind) {
    case LAYER_CONV2D: return read_conv(&r, l, false);
    case LAYER_CONV_TRANSPOSE2D: return read_conv(&r, l, true);
    case LAYER_MAXPOOL2D: return read_pool(&r, l, true);
    case LAYER_AVGPOOL2D: return read_pool(&r, l, false);
    case LAYER_BATCHNORM2D: return read_batchnorm(&r, l);
    default: return read_simple(&r, l);
    }
}

// ---- one line --------------------------------------------------------------------------

static const char *const MODULE_ATTRIBUTES[] = { // dir(nn.Module) in torch 1.13, without _names, and training
    "T_destination", "add_module", "apply", "bfloat16", "buffers", "children", "cpu", "cuda", "double",
    "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer", "get_extra_state", "get_parameter",
    "get_submodule", "half", "ipu", "load_state_dict", "modules", "named_buffers", "named_children", "named_modules",
    "named_parameters", "parameters", "register_backward_hook", "register_buffer", "register_forward_hook",
    "register_forward_pre_hook", "register_full_backward_hook", "register_load_state_dict_post_hook",
    "register_module", "register_parameter", "requires_grad_", "set_extra_state", "share_memory", "state_dict", "to",
    "to_empty", "train", "type", "xpu", "zero_grad", "training"};
static const char *const PY_KEYWORDS[] = {"False", "None", "True", "and", "as", "assert", "async", "await", "break",
    "class", "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield"};

static bool in_list(const char *s, const char *const *list, size_t n) {
    for (size_t k = 0; k < n; k++)
        if (strcmp(s, list[k]) == 0) return true;
    return false;
}

// "(conv1):" at the start of the line into l->name.
static int parse_name(Lex *x, LayerSpec *l) {
    const Where *w = x->w;
    skip_space(x);
    const char *open = x->p;
    if (*x->p != '(') return 0;
    x->p++;
    skip_space(x);
    const char *s = x->p;
    while (*x->p && *x->p != ')' && *x->p != ':' && *x->p != '(') x->p++;
    if (*x->p != ')') { x->p = open; return syntax_error(x, "a name in parentheses, then ':', as in (conv1): Conv2d(3, 6, 5)"); }
    int n = (int)(x->p - s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    x->p++;
    if (!accept(x, ':')) return syntax_error(x, "':' after the name");
    bool ident = n > 0 && is_ident_start(s[0]);
    for (int k = 0; k < n; k++) ident = ident && is_ident_char(s[k]);
    if (!ident)
        return fail_at(w, "the name '%.*s' is not a Python identifier (letters, digits and _, not starting with a digit); "
                       "export-pytorch makes it an attribute, self.NAME", n > 40 ? 40 : n, s);
    if (n >= NETFILE_NAME_MAX) return fail_at(w, "the name '%.*s...' is longer than %d characters", 20, s, NETFILE_NAME_MAX - 1);
    memcpy(l->name, s, (size_t)n);
    l->name[n] = 0;
    if (l->name[0] == '_' || in_list(l->name, MODULE_ATTRIBUTES, sizeof MODULE_ATTRIBUTES / sizeof *MODULE_ATTRIBUTES) ||
        in_list(l->name, PY_KEYWORDS, sizeof PY_KEYWORDS / sizeof *PY_KEYWORDS))
        return fail_at(w, "the name '%s' cannot be an attribute of an nn.Module (it is %s); choose another name", l->name,
                       l->name[0] == '_' ? "private, starting with _" :
                       in_list(l->name, PY_KEYWORDS, sizeof PY_KEYWORDS / sizeof *PY_KEYWORDS) ? "a Python keyword"
                                                                                               : "one of nn.Module's own");
    return 0;
}

static int unknown_layer(const Where *w, const char *kind, const char *rest) {
    char known[256];
    size_t len = 0;
    for (int k = 0; k < LAYER_KINDS; k++)
        len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", k ? ", " : "", SIGNATURES[k].name);
    if (strcmp(kind, "Sequential") == 0 || strcmp(kind, "ModuleList") == 0)
        return fail_at(w, "%s is not supported: write its layers one per line instead; convlab knows %s", kind, known);
    const char *r = rest;
    while (*r == ' ' || *r == '\t') r++;
    if (r[0] == '(' && r[1] == 0)
        return fail_at(w, "'%s(' looks like the first line of print(model); a net file lists only the layers, one per line "
                       "in the order forward() runs them (add ReLU() and Flatten() lines for F.relu and torch.flatten)", kind);
    return fail_at(w, "unknown layer '%s'; convlab knows %s", kind, known);
}

// One layer line (a comment already cut off) into *l.
static int parse_line(LayerSpec *l, const Where *w, const char *text) {
    memset(l, 0, sizeof *l);
    l->line = w->line;
    Lex x = {text, text, w};
    if (strcmp(text, ")") == 0)
        return fail_at(w, "')' looks like the last line of print(model); a net file lists only the layers, one per line");
    if (parse_name(&x, l) != 0) return -1;
    skip_space(&x);
    const char *call = x.p;
    if (strncmp(x.p, "torch.nn.", 9) == 0) x.p += 9;
    else if (strncmp(x.p, "nn.", 3) == 0) x.p += 3;
    char kind[40];
    if (!read_ident(&x, kind, sizeof kind)) return syntax_error(&x, "a layer such as Conv2d(3, 6, 5)");
    int k = 0;
    while (k < LAYER_KINDS && strcmp(SIGNATURES[k].name, kind) != 0) k++;
    if (k == LAYER_KINDS) return unknown_layer(w, kind, x.p);
    l->kind = (LayerKind)k;
    snprintf(l->text, sizeof l->text, "%.*s", NETFILE_TEXT_MAX - 1, call); // parse_netfile checked the length
    if (!accept(&x, '(')) return syntax_error(&x, "'(' after the layer's name");
    Arg args[MAX_ARGS];
    int n_args;
    if (parse_args(&x, args, &n_args) != 0) return -1;
    return read_arguments(l, w, args, n_args);
}

// The line without a trailing '#' comment (outside quotes), trimmed, into buf.
static void cut_comment(char *buf, size_t cap, const char *text) {
    snprintf(buf, cap, "%s", text);
    char quote = 0;
    for (char *p = buf; *p; p++) {
        if (quote) { if (*p == quote) quote = 0; }
        else if (*p == '\'' || *p == '"') quote = *p;
        else if (*p == '#') { *p = 0; break; }
    }
    char *t = text_trim(buf);
    memmove(buf, t, strlen(t) + 1);
}

bool netfile_layer_has_state(const LayerSpec *l) {
    switch (l->kind) {
    case LAYER_CONV2D: case LAYER_CONV_TRANSPOSE2D: case LAYER_LINEAR: return true;
    case LAYER_BATCHNORM2D: return l->affine || l->track_running_stats;
    default: return false;
    }
}

// Names: required and unique for layers with a state_dict; a parameter-free
// name may repeat, as the same module (the same constructor call).
static int check_name(NetSpec *spec, int i, ClError *err) {
    LayerSpec *l = &spec->layers[i];
    Where w = {spec->path, l->line, err, 0};
    l->first_use = true;
    if (!l->name[0]) {
        if (!netfile_layer_has_state(l)) return 0;
        return fail_at(&w, "%s has parameters, so it needs a name: write (name): %s; the name is its state_dict prefix "
                       "(name.weight)", netfile_kind_name(l->kind), l->text);
    }
    for (int j = 0; j < i; j++) {
        const LayerSpec *o = &spec->layers[j];
        if (strcmp(o->name, l->name) != 0 || !o->first_use) continue;
        if (netfile_layer_has_state(l) || netfile_layer_has_state(o))
            return fail_at(&w, "the name '%s' is already used at line %d; a layer with parameters needs a name of its own "
                           "(its state_dict prefix)", l->name, o->line);
        char a[160], b[160];
        netfile_format_call(a, sizeof a, o);
        netfile_format_call(b, sizeof b, l);
        if (strcmp(a, b) != 0)
            return fail_at(&w, "'%s' is %s at line %d; a repeated name is the same module, so it must be the same layer "
                           "(or give this one another name)", l->name, a, o->line);
        l->first_use = false;
        return 0;
    }
    return 0;
}

int netfile_parse(NetSpec *spec, const char *path, const char *text, int batch, ClError *err) {
    memset(spec, 0, sizeof *spec);
    snprintf(spec->path, sizeof spec->path, "%s", path);
    netfile_model_name(spec->model, sizeof spec->model, path);
    TextReader rd;
    text_reader_init(&rd, spec->path, text);
    TextLine line;
    int rc;
    char buf[TEXT_LINE_MAX];
    while ((rc = text_reader_next(&rd, &line, err)) == 1) {
        cut_comment(buf, sizeof buf, line.text);
        if (!buf[0]) continue;
        Where w = {spec->path, line.number, err, (int)(line.text - rd.buf)};
        if (spec->n_layers == NETFILE_MAX_LAYERS)
            return fail_at(&w, "more than %d layers (convlab's limit)", NETFILE_MAX_LAYERS);
        if (strlen(buf) >= NETFILE_TEXT_MAX) return fail_at(&w, "a layer line longer than %d characters", NETFILE_TEXT_MAX - 1);
        if (parse_line(&spec->layers[spec->n_layers], &w, buf) != 0) return -1;
        if (check_name(spec, spec->n_layers, err) != 0) return -1;
        spec->n_layers++;
    }
    if (rc < 0) return -1;
    if (spec->n_layers == 0)
        return cl_fail(err, "%s: no layers; a net file has one layer per line, e.g. (conv1): Conv2d(3, 6, 5)", path);
    return netfile_infer(spec, batch, err);
}

int netfile_load(NetSpec *spec, const char *path, int batch, ClError *err) {
    char *text;
    memset(spec, 0, sizeof *spec);
    if (text_file_read(path, "net file", NETFILE_MAX_BYTES, &text, err) != 0) return -1;
    int rc = netfile_parse(spec, path, text, batch, err);
    free(text);
    return rc;
}

// ---- the canonical constructor call ----------------------------------------------------------

typedef struct {
    char *out;
    size_t cap, len;
} Buf;

static void put(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(Buf *b, const char *fmt, ...) {
    if (b->len >= b->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->out + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n > 0) b->len += (size_t)n;
    if (b->len >= b->cap) b->len = b->cap - 1; // truncated: out[len - 1] stays readable
}

// ", name=v" (or "v" first) for a pair argument: an int when square.
static void put_pair(Buf *b, const char *name, const int v[2]) {
    const char *sep = b->out[b->len - 1] == '(' ? "" : ", ";
    if (v[0] == v[1]) put(b, "%s%s%s%d", sep, name, name[0] ? "=" : "", v[0]);
    else put(b, "%s%s%s(%d, %d)", sep, name, name[0] ? "=" : "", v[0], v[1]);
}

static void put_float(Buf *b, const char *name, double x) {
    char f[40];
    netfile_format_float(f, sizeof f, x);
    put(b, "%s%s=%s", b->out[b->len - 1] == '(' ? "" : ", ", name, f);
}

static void put_flag(Buf *b, const char *name, bool v) { put(b, "%s%s=%s", b->out[b->len - 1] == '(' ? "" : ", ", name, v ? "True" : "False"); }

static bool pair_is(const int v[2], int x) { return v[0] == x && v[1] == x; }

static void format_conv(Buf *b, const LayerSpec *l, bool transposed) {
    put(b, "%d, %d", l->in_channels, l->out_channels);
    put_pair(b, "", l->kernel);
    if (!pair_is(l->stride, 1)) put_pair(b, "stride", l->stride);
    if (l->padding_kind == NET_PAD_SAME) put(b, ", padding='same'");
    else if (l->padding_kind == NET_PAD_VALID) put(b, ", padding='valid'");
    else if (!pair_is(l->padding, 0)) put_pair(b, "padding", l->padding);
    if (transposed && !pair_is(l->output_padding, 0)) put_pair(b, "output_padding", l->output_padding);
    if (!transposed && !pair_is(l->dilation, 1)) put_pair(b, "dilation", l->dilation);
    if (l->groups != 1) put(b, ", groups=%d", l->groups);
    if (!l->bias) put(b, ", bias=False");
    if (transposed && !pair_is(l->dilation, 1)) put_pair(b, "dilation", l->dilation);
}

static void format_pool(Buf *b, const LayerSpec *l, bool max) {
    put_pair(b, "", l->kernel);
    if (!l->stride_none) put_pair(b, "stride", l->stride);
    if (!pair_is(l->padding, 0)) put_pair(b, "padding", l->padding);
    if (max && !pair_is(l->dilation, 1)) put_pair(b, "dilation", l->dilation);
    if (l->ceil_mode) put(b, ", ceil_mode=True");
    if (!max && !l->count_include_pad) put(b, ", count_include_pad=False");
}

void netfile_format_call(char *out, size_t cap, const LayerSpec *l) {
    Buf b = {out, cap, 0};
    out[0] = 0;
    put(&b, "%s(", netfile_kind_name(l->kind));
    switch (l->kind) {
    case LAYER_CONV2D: format_conv(&b, l, false); break;
    case LAYER_CONV_TRANSPOSE2D: format_conv(&b, l, true); break;
    case LAYER_MAXPOOL2D: format_pool(&b, l, true); break;
    case LAYER_AVGPOOL2D: format_pool(&b, l, false); break;
    case LAYER_BATCHNORM2D:
        put(&b, "%d", l->num_features);
        if (l->eps != 1e-5) put_float(&b, "eps", l->eps);
        if (l->momentum_none) put(&b, ", momentum=None");
        else if (l->momentum != 0.1) put_float(&b, "momentum", l->momentum);
        if (!l->affine) put(&b, ", affine=False");
        if (!l->track_running_stats) put(&b, ", track_running_stats=False");
        break;
    case LAYER_LINEAR:
        put(&b, "%d, %d", l->in_features, l->out_features);
        if (!l->bias) put(&b, ", bias=False");
        break;
    case LAYER_LEAKY_RELU:
        if (l->negative_slope != 0.01) put_float(&b, "negative_slope", l->negative_slope);
        if (l->inplace) put_flag(&b, "inplace", true);
        break;
    case LAYER_DROPOUT:
        if (l->p != 0.5) put_float(&b, "p", l->p);
        if (l->inplace) put_flag(&b, "inplace", true);
        break;
    case LAYER_RELU:
        if (l->inplace) put_flag(&b, "inplace", true);
        break;
    case LAYER_FLATTEN:
        if (l->start_dim != 1 || l->end_dim != -1) put(&b, "start_dim=%d, end_dim=%d", l->start_dim, l->end_dim);
        break;
    default: break;
    }
    put(&b, ")");
}

int netfile_format_text(char *out, size_t cap, const NetSpec *spec) {
    size_t len = 0;
    if (cap) out[0] = 0;
    for (int i = 0; i < spec->n_layers; i++) {
        const LayerSpec *l = &spec->layers[i];
        char call[NETFILE_TEXT_MAX + 64];
        netfile_format_call(call, sizeof call, l);
        int n = l->name[0] ? snprintf(out + len, cap - len, "(%s): %s\n", l->name, call)
                           : snprintf(out + len, cap - len, "%s\n", call);
        if (n < 0 || (size_t)n >= cap - len) return -1;
        len += (size_t)n;
    }
    return (int)len;
}

void netfile_model_name(char *out, size_t cap, const char *path) {
    const char *base = path && path[0] ? path : NET_DEFAULT_MODEL ".net";
    if (strrchr(base, '/')) base = strrchr(base, '/') + 1;
    size_t len = strlen(base);
    if (len > 4 && strcmp(base + len - 4, ".net") == 0) len -= 4;
    snprintf(out, cap, "%.*s", (int)len, base);
}
