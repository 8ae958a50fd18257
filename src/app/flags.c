/* The option table: parsing and --help, see flags.h. */
#include "app/flags.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// User text quoted in a message: control characters become '?' (the message
// stays one line) and long text is cut to 60 bytes with "...".
static const char *shown(char *buf, size_t cap, const char *s) {
    size_t n = 0, limit = cap - 4 < 60 ? cap - 4 : 60;
    for (; s[n] && n < limit; n++) buf[n] = (unsigned char)s[n] < 0x20 || s[n] == 0x7f ? '?' : s[n];
    strcpy(buf + n, s[n] ? "..." : "");
    return buf;
}

// ---- value parsers: each returns 0 or -1 with the reason in err ---------------

// A %g that prints integers without a decimal point and large bounds readably.
static const char *num_str(char *buf, size_t cap, double v) {
    snprintf(buf, cap, "%.15g", v);
    return buf;
}

static int parse_int(const Flag *f, void *target, const char *s, ClError *err) {
    char lo[32], hi[32], q[64];
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || v < (long long)f->min || v > (long long)f->max)
        return cl_fail(err, "%s must be an integer from %s to %s, got '%s'", f->name, num_str(lo, sizeof lo, f->min),
                       num_str(hi, sizeof hi, f->max), shown(q, sizeof q, s));
    *(int *)target = (int)v;
    return 0;
}

static int parse_u64(const Flag *f, void *target, const char *s, ClError *err) {
    char q[64];
    errno = 0;
    char *end;
    // strtoull accepts "-1" (as 2^64-1): refuse any sign explicitly.
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || s[0] == '-' || s[0] == '+' || s[0] == ' ')
        return cl_fail(err, "%s must be a whole number from 0 to 18446744073709551615, got '%s'", f->name,
                       shown(q, sizeof q, s));
    *(uint64_t *)target = (uint64_t)v;
    return 0;
}

static int parse_float(const Flag *f, void *target, const char *s, ClError *err) {
    char lo[32], hi[32], q[64];
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v))
        return cl_fail(err, "%s needs a number, got '%s'", f->name, shown(q, sizeof q, s));
    if (v < f->min || v > f->max) {
        if (f->min == 0 && v < 0) return cl_fail(err, "%s must not be negative, got %s", f->name, shown(q, sizeof q, s));
        return cl_fail(err, "%s must be between %s and %s, got %s", f->name, num_str(lo, sizeof lo, f->min),
                       num_str(hi, sizeof hi, f->max), shown(q, sizeof q, s));
    }
    *(double *)target = v;
    return 0;
}

static int parse_choice(const Flag *f, void *target, const char *s, ClError *err) {
    int index = 0;
    for (const char *c = f->choices; *c; index++) {
        size_t len = strcspn(c, "|");
        if (strlen(s) == len && strncmp(c, s, len) == 0) {
            *(int *)target = index;
            return 0;
        }
        c += len;
        if (*c == '|') c++;
    }
    char list[128], q[64];
    snprintf(list, sizeof list, "%s", f->choices);
    for (char *p = list; *p; p++) if (*p == '|') *p = '/';
    return cl_fail(err, "%s must be one of %s, got '%s'", f->name, list, shown(q, sizeof q, s));
}

static int parse_size(const Flag *f, void *target, const char *s, ClError *err) {
    char lo[32], hi[32], q[64];
    int w = 0, h = 0, used = 0;
    if (sscanf(s, "%d%*[xX]%d%n", &w, &h, &used) != 2 || s[used] != '\0' || w < f->min || w > f->max ||
        h < f->min || h > f->max)
        return cl_fail(err, "%s must be WIDTHxHEIGHT with each from %s to %s (e.g. 1280x720), got '%s'", f->name,
                       num_str(lo, sizeof lo, f->min), num_str(hi, sizeof hi, f->max), shown(q, sizeof q, s));
    ((int *)target)[0] = w;
    ((int *)target)[1] = h;
    return 0;
}

static int parse_value(const Flag *f, void *args, const char *s, ClError *err) {
    void *target = (char *)args + f->offset;
    switch (f->kind) {
    case FLAG_INT: return parse_int(f, target, s, err);
    case FLAG_U64: return parse_u64(f, target, s, err);
    case FLAG_FLOAT: return parse_float(f, target, s, err);
    case FLAG_CHOICE: return parse_choice(f, target, s, err);
    case FLAG_SIZE: return parse_size(f, target, s, err);
    case FLAG_CALL: return f->apply(args, s, err);
    case FLAG_STRING:
        if (s[0] == '\0') return cl_fail(err, "%s needs a non-empty value", f->name);
        *(const char **)target = s;
        return 0;
    case FLAG_BOOL: break;
    }
    return cl_fail(err, "%s takes no value", f->name);
}

// What a flag's value looks like, for "needs a value" messages.
static const char *value_hint(const Flag *f) {
    switch (f->kind) {
    case FLAG_INT: case FLAG_U64: return "an integer";
    case FLAG_FLOAT: return "a number";
    case FLAG_CHOICE: return f->choices;
    case FLAG_SIZE: return "WIDTHxHEIGHT";
    default: return f->value ? f->value : "a value";
    }
}

// ---- suggestions for misspelt flags ------------------------------------------------

static int edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40) return 99;
    int row[41];
    for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static const Flag *closest_flag(const Flag *flags, int n, const char *name) {
    const Flag *best = NULL;
    int best_d = 3; // suggest only near misses
    for (int i = 0; i < n; i++) {
        int d = edit_distance(name, flags[i].name);
        if (d < best_d) best_d = d, best = &flags[i];
    }
    return best;
}

// ---- the parser -----------------------------------------------------------------------

// The flag named by arg ("--name" or "--name=value"), or NULL.
static const Flag *find_flag(const Command *cmd, const char *arg, size_t name_len) {
    for (int k = 0; k < cmd->n_flags; k++)
        if (strlen(cmd->flags[k].name) == name_len && strncmp(cmd->flags[k].name, arg, name_len) == 0) return &cmd->flags[k];
    return NULL;
}

static int unknown_flag(const Command *cmd, const char *command, const char *arg, size_t name_len, ClError *err) {
    char name[64], q[64];
    snprintf(name, sizeof name, "%.*s", (int)(name_len < 60 ? name_len : 60), arg);
    const Flag *near = closest_flag(cmd->flags, cmd->n_flags, name);
    shown(q, sizeof q, name);
    if (near) return cl_fail(err, "%s: unknown option '%s'; did you mean %s? (see convlab --help)", command, q, near->name);
    return cl_fail(err, "%s: unknown option '%s' (see convlab --help)", command, q);
}

int flags_parse(const Command *cmd, void *args, int argc, char **argv, int first, const char **positional,
                int *n_positional, ClError *err) {
    const char *command = cmd->name ? cmd->name : "convlab";
    if (n_positional) *n_positional = 0;
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        char q[64];
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            if (arg[0] == '-' && arg[1] != '\0' && strcmp(arg, "--") != 0)
                return cl_fail(err, "%s: unknown option '%s' (options start with --; see convlab --help)", command,
                               shown(q, sizeof q, arg));
            if (n_positional && *n_positional < cmd->max_positional) {
                positional[(*n_positional)++] = arg;
                continue;
            }
            return cl_fail(err, "%s: unexpected argument '%s' (see convlab --help)", command, shown(q, sizeof q, arg));
        }
        const char *eq = strchr(arg, '=');
        size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        const Flag *f = find_flag(cmd, arg, name_len);
        if (!f) return unknown_flag(cmd, command, arg, name_len, err);
        if (f->kind == FLAG_BOOL) {
            if (eq) return cl_fail(err, "%s: %s takes no value", command, f->name);
            *(bool *)((char *)args + f->offset) = true;
        } else {
            // A following "--flag" is the next option, not this one's value.
            const char *value = eq ? eq + 1 : (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0 ? argv[++i] : NULL);
            if (!value) return cl_fail(err, "%s: %s needs a value (%s)", command, f->name, value_hint(f));
            ClError why;
            if (parse_value(f, args, value, &why) != 0) return cl_fail(err, "%s: %s", command, why.msg);
        }
        if (f->seen) *(bool *)((char *)args + f->seen - 1) = true;
    }
    return 0;
}

// ---- --help from the same tables ---------------------------------------------------------

#define HELP_INDENT "      "
#define HELP_COLUMN 28   // where an option's text starts

// Writes text with each line (split at '\n') after `first`, later lines indented to `indent`.
static void print_lines(FILE *f, const char *text, const char *indent) {
    for (const char *line = text; *line;) {
        size_t n = strcspn(line, "\n");
        fprintf(f, "%s%.*s\n", line == text ? "" : indent, (int)n, line);
        line += n;
        if (*line == '\n') line++;
    }
}

static void print_flag(FILE *f, const Flag *fl) {
    char head[96];
    const char *value = fl->value ? fl->value : fl->kind == FLAG_CHOICE ? fl->choices : NULL;
    char choices[64];
    if (value == fl->choices && value) { // "sgd|adam" as written on the command line
        snprintf(choices, sizeof choices, "%s", value);
        value = choices;
    }
    snprintf(head, sizeof head, "%s%s%s", fl->name, value ? " " : "", value ? value : "");
    int pad = HELP_COLUMN - 6 - (int)strlen(head);
    fprintf(f, HELP_INDENT "%s%*s", head, pad > 1 ? pad : 1, "");
    if (pad <= 1) fprintf(f, "\n" HELP_INDENT "%*s", HELP_COLUMN - 6, "");
    print_lines(f, fl->help ? fl->help : "", HELP_INDENT "                      ");
}

void help_print_commands(FILE *f, const Command *const *cmds, int n) {
    for (int i = 0; i < n; i++) {
        const Command *c = cmds[i];
        if (c->name) fprintf(f, "  convlab --batch %s%s%s\n", c->name, c->usage[0] ? " " : "", c->usage);
        else fprintf(f, "  convlab %s\n", c->usage);
        fputs(HELP_INDENT, f);
        print_lines(f, c->summary, HELP_INDENT);
        for (int k = 0; k < c->n_flags; k++) print_flag(f, &c->flags[k]);
        if (c->notes) {
            fputs("\n", f);
            fputs(HELP_INDENT, f);
            print_lines(f, c->notes, HELP_INDENT);
        }
        fputs("\n", f);
    }
}
