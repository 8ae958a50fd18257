/* Live parameters (lesson/adjust.h): the table of parameters a step may
 * declare in `adjust`, their keys and ranges, key presses turned into
 * overrides, and the step copy that scene_compute computes instead of the
 * step when overrides are present.
 */
#include "lesson/adjust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Every parameter a lesson may make adjustable. Letters avoid the player's
// own keys (P N L I T F Q). Ranges are the defaults; `name:lo..hi` narrows them.
// A letter may serve two parameters that never share a step (adjust_params
// refuses a step that declares both): K is kernel_size in the convolution
// lessons and the tutorial's break in lesson 10, as on the training screen.
static const AdjustParam PARAMS[] = {
    {"kernel_size", 'k', 1, 7, 3, false},
    {"stride", 's', 1, 4, 1, false},
    {"padding", 'a', 0, 4, 0, false},
    {"dilation", 'd', 1, 3, 1, false},
    {"output_padding", 'y', 0, 3, 0, false}, // ConvTranspose2d (lesson 12)
    {"in_channels", 'c', 1, 8, 1, false},
    {"out_channels", 'o', 1, 8, 1, false},
    {"groups", 'g', 1, 8, 1, false},
    {"bias", 'b', 0, 1, 1, true},
    {"ceil_mode", 'm', 0, 1, 0, true},
    {"input_size", 'w', 1, 12, 4, false},
    {"tutorial_break", 'k', 0, 1, 1, true},  // lesson 10: the tutorial's three causes of 9 %; K as on the training screen
    {"relu_logits", 'u', 0, 1, 1, true},     // U as on the training screen (R resets)
    {"epochs", 'e', 1, 3, 1, false},
};
#define N_PARAMS (int)(sizeof PARAMS / sizeof PARAMS[0])

int adjust_params(const Lesson *l, const LessonStep *st, AdjustParam out[ADJUST_MAX], ClError *err) {
    int line;
    const char *v = lesson_get(st, "adjust", &line);
    if (!v) return 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", v);
    int n = 0;
    for (char *save, *w = strtok_r(buf, " ,", &save); w; w = strtok_r(NULL, " ,", &save)) {
        char *colon = strchr(w, ':');
        if (colon) *colon = 0;
        int i = 0;
        while (i < N_PARAMS && strcmp(PARAMS[i].key, w) != 0) i++;
        if (i == N_PARAMS) {
            char names[256] = "";
            for (int j = 0; j < N_PARAMS; j++) { strcat(names, j ? ", " : ""); strcat(names, PARAMS[j].key); }
            return cl_fail(err, "%s:%d: adjust: unknown parameter '%s'; expected some of: %s", l->path, line, w, names);
        }
        if (n == ADJUST_MAX) return cl_fail(err, "%s:%d: adjust: more than %d parameters", l->path, line, ADJUST_MAX);
        AdjustParam p = PARAMS[i];
        for (int j = 0; j < n; j++)
            if (out[j].letter == p.letter)
                return cl_fail(err, "%s:%d: adjust: '%s' and '%s' share the key %c; declare one of them per step", l->path,
                               line, out[j].key, p.key, p.letter - 'a' + 'A');
        if (colon) {
            int lo, hi;
            if (sscanf(colon + 1, "%d..%d", &lo, &hi) != 2 || lo > hi || lo < PARAMS[i].lo || hi > PARAMS[i].hi)
                return cl_fail(err, "%s:%d: adjust: '%s:%s': expected a range LO..HI inside %d..%d", l->path, line, w,
                               colon + 1, PARAMS[i].lo, PARAMS[i].hi);
            p.lo = lo;
            p.hi = hi;
        }
        out[n++] = p;
    }
    return n;
}

static const char *override_of(const SceneOverrides *ov, const char *key) {
    if (!ov) return NULL;
    for (int i = 0; i < ov->n; i++)
        if (strcmp(ov->kv[i].key, key) == 0) return ov->kv[i].value;
    return NULL;
}

// The first integer of a value ("2" or "2 1"), or a boolean word.
static int parse_value(const char *v, const AdjustParam *p) {
    if (!v) return p->fallback;
    if (p->is_bool) return !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1");
    char *e;
    long x = strtol(v, &e, 10);
    return e == v ? p->fallback : (int)x;
}

int adjust_value(const LessonStep *st, const SceneOverrides *ov, const AdjustParam *p) {
    const char *o = override_of(ov, p->key);
    return parse_value(o ? o : lesson_get(st, p->key, NULL), p);
}

bool adjust_changed(const LessonStep *st, const SceneOverrides *ov, const AdjustParam *p) {
    return override_of(ov, p->key) && adjust_value(st, ov, p) != parse_value(lesson_get(st, p->key, NULL), p);
}

bool adjust_key(SceneOverrides *ov, const Lesson *l, const LessonStep *st, char letter, bool shift) {
    AdjustParam ps[ADJUST_MAX];
    int n = adjust_params(l, st, ps, NULL);
    for (int i = 0; i < n; i++) {
        if (ps[i].letter != letter) continue;
        int v = adjust_value(st, ov, &ps[i]), nv;
        if (ps[i].is_bool) nv = !v;
        else nv = v + (shift ? -1 : 1);
        if (nv < ps[i].lo) nv = ps[i].lo;
        if (nv > ps[i].hi) nv = ps[i].hi;
        if (nv == v) return false;
        char buf[32];
        snprintf(buf, sizeof buf, "%s", ps[i].is_bool ? (nv ? "true" : "false") : "");
        if (!ps[i].is_bool) snprintf(buf, sizeof buf, "%d", nv);
        return adjust_set(ov, ps[i].key, buf, NULL) == 0;
    }
    return false;
}

int adjust_set(SceneOverrides *ov, const char *key, const char *value, ClError *err) {
    if (strlen(key) >= sizeof ov->kv[0].key || strlen(value) >= sizeof ov->kv[0].value)
        return cl_fail(err, "override %s=%s is too long", key, value);
    int i = 0;
    while (i < ov->n && strcmp(ov->kv[i].key, key) != 0) i++;
    if (i == ov->n) {
        if (ov->n == SCENE_MAX_OVERRIDES) return cl_fail(err, "more than %d overrides", SCENE_MAX_OVERRIDES);
        ov->n++;
    }
    snprintf(ov->kv[i].key, sizeof ov->kv[i].key, "%s", key);
    snprintf(ov->kv[i].value, sizeof ov->kv[i].value, "%s", value);
    return 0;
}

int adjust_set_arg(SceneOverrides *ov, const char *arg, ClError *err) {
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) return cl_fail(err, "--set needs KEY=VALUE (a scene key, e.g. stride=2), got '%s'", arg);
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)(eq - arg), arg);
    return adjust_set(ov, key, eq + 1, err);
}

int adjust_check_overrides(const Lesson *l, const LessonStep *st, const SceneOverrides *ov, ClError *err) {
    AdjustParam ps[ADJUST_MAX];
    int n = adjust_params(l, st, ps, err);
    if (n < 0) return -1;
    for (int i = 0; i < n; i++) {
        const char *v = override_of(ov, ps[i].key);
        if (!v) continue;
        if (ps[i].is_bool) {
            static const char *const WORDS[] = {"true", "false", "yes", "no", "on", "off", "1", "0"};
            bool ok = false;
            for (size_t w = 0; w < sizeof WORDS / sizeof WORDS[0]; w++) ok |= strcmp(v, WORDS[w]) == 0;
            if (!ok) return cl_fail(err, "--set %s=%s: expected true or false", ps[i].key, v);
            continue;
        }
        char *e;
        long x = strtol(v, &e, 10);
        while (*e == ' ') e++;
        if (e == v || *e || x < ps[i].lo || x > ps[i].hi)
            return cl_fail(err, "--set %s=%s is out of this step's range: expected %s %d..%d (%s:%d)", ps[i].key, v,
                           ps[i].key, ps[i].lo, ps[i].hi, l->path, st->line);
    }
    return 0;
}

void adjust_apply(LessonStep *copy, const LessonStep *st, const SceneOverrides *ov) {
    *copy = *st;
    if (!ov) return;
    int adjust_line = st->line;
    lesson_get(st, "adjust", &adjust_line);
    for (int i = 0; i < ov->n; i++) {
        int k = 0;
        while (k < copy->n_kv && strcmp(copy->kv[k].key, ov->kv[i].key) != 0) k++;
        if (k == copy->n_kv) {
            if (k == LESSON_MAX_KV) continue;
            copy->n_kv++;
            snprintf(copy->kv[k].key, sizeof copy->kv[k].key, "%s", ov->kv[i].key);
            copy->kv[k].line = adjust_line;
            copy->kv[k].inherited = false;
        }
        copy->kv[k].value = (char *)ov->kv[i].value; // read-only: the copy is never freed
    }
}

char *adjust_expand(char *out, size_t n, const char *text, const LessonStep *st, const SceneOverrides *ov) {
    size_t k = 0;
    for (const char *p = text; *p && k + 1 < n; p++) {
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        bool markup = p > text && (p[-1] == '_' || p[-1] == '^');
        if (close && !markup && close - p - 1 > 0 && close - p - 1 < 32) {
            char key[32];
            snprintf(key, sizeof key, "%.*s", (int)(close - p - 1), p + 1);
            const char *v = override_of(ov, key);
            if (!v) v = lesson_get(st, key, NULL);
            if (v) {
                k += (size_t)snprintf(out + k, n - k, "%s", v);
                if (k >= n) k = n - 1;
                p = close;
                continue;
            }
        }
        out[k++] = *p;
    }
    out[k] = 0;
    return out;
}
