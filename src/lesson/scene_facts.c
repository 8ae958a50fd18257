/* Facts a scene records for its texts, and the {key} expansion that reads
 * them before the step's own keys (scene_facts.h).
 */
#include "lesson/scene_facts.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "lesson/adjust.h"

void scene_fact(Scene *sc, const char *key, const char *fmt, ...) {
    SceneFacts *f = &sc->facts;
    int i = 0;
    while (i < f->n && strcmp(f->kv[i].key, key) != 0) i++;
    if (i == SCENE_MAX_FACTS) return;
    if (i == f->n) f->n++;
    snprintf(f->kv[i].key, sizeof f->kv[i].key, "%s", key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->kv[i].value, sizeof f->kv[i].value, fmt, ap);
    va_end(ap);
}

const char *scene_fact_get(const Scene *sc, const char *key) {
    for (int i = 0; sc && i < sc->facts.n; i++)
        if (strcmp(sc->facts.kv[i].key, key) == 0) return sc->facts.kv[i].value;
    return NULL;
}

// The current value of KEY for a choice: a fact, else the step's scene key; NULL if neither.
static const char *choice_value(char *buf, size_t n, const char *key, size_t len, const LessonStep *st,
                                const SceneOverrides *ov, const Scene *sc) {
    char k[32];
    snprintf(k, sizeof k, "%.*s", (int)(len < sizeof k ? len : sizeof k - 1), key);
    const char *v = scene_fact_get(sc, k);
    if (v) return v;
    char want[40];
    snprintf(want, sizeof want, "{%s}", k);
    adjust_expand(buf, n, want, st, ov);
    return strcmp(buf, want) == 0 ? NULL : buf;
}

// The closing '}' of the '{' at p, counting nested braces; NULL if none.
static const char *matching_brace(const char *p) {
    int depth = 0;
    for (; *p; p++) {
        if (*p == '{') depth++;
        else if (*p == '}' && --depth == 0) return p;
    }
    return NULL;
}

// {KEY|one|other}: "one" when KEY's value is 1, else "other" (English plurals:
// "{stride} {stride|cell|cells}"); {KEY?yes|no}: "yes" when the value is
// neither 0 nor false, else "no" (a sentence that holds only at some settings).
// The branch chosen may hold {key}s itself; they are expanded afterwards. A
// choice whose key is a fact of the images is left out while the scene waits
// for CIFAR-10 (needs_data): that sentence is about numbers not computed.
static void expand_choices(char *out, size_t n, const char *text, const LessonStep *st, const SceneOverrides *ov,
                           const Scene *sc) {
    size_t k = 0;
    for (const char *p = text; *p && k + 1 < n;) {
        const char *close = *p == '{' && !(p > text && (p[-1] == '_' || p[-1] == '^')) ? matching_brace(p) : NULL;
        size_t key_len = close ? strcspn(p + 1, "|?{}") : 0;
        char sep = close ? p[1 + key_len] : 0;
        char vbuf[64];
        const char *v = (sep == '|' || sep == '?') && key_len ? choice_value(vbuf, sizeof vbuf, p + 1, key_len, st, ov, sc) : NULL;
        if (!v && sc && sc->needs_data && (sep == '|' || sep == '?') && key_len) { p = close + 1; continue; }
        if (!v) { out[k++] = *p++; continue; }
        const char *a = p + 2 + key_len, *bar = a; // the first branch runs to the '|' at this level
        for (int depth = 0; bar < close && !(depth == 0 && *bar == '|'); bar++) depth += (*bar == '{') - (*bar == '}');
        const char *b = bar < close ? bar + 1 : close;
        double x = strtod(v, NULL);
        bool first = sep == '|' ? x == 1 && strncmp(v, "1", 1) == 0 : !(x == 0 && strspn(v, "0.") > 0) && strcmp(v, "false") != 0;
        const char *from = first ? a : b, *to = first ? bar : close;
        int w = snprintf(out + k, n - k, "%.*s", (int)(to - from), from);
        k += w > 0 ? (size_t)w : 0;
        if (k >= n) k = n - 1;
        p = close + 1;
    }
    out[k] = 0;
}

char *scene_expand_text(char *out, size_t n, const char *text, const LessonStep *st, const SceneOverrides *ov,
                        const Scene *sc) {
    char facts_done[8192], chosen[8192];
    expand_choices(chosen, sizeof chosen, text, st, ov, sc);
    for (int pass = 0; pass < 3 && strpbrk(chosen, "|?"); pass++) { // choices inside the branch chosen
        expand_choices(facts_done, sizeof facts_done, chosen, st, ov, sc);
        if (strcmp(facts_done, chosen) == 0) break;
        snprintf(chosen, sizeof chosen, "%s", facts_done);
    }
    text = chosen;
    const char *src = text;
    if (sc && sc->facts.n > 0) { // first the facts, leaving markup and unknown keys as written
        size_t k = 0;
        for (const char *p = text; *p && k + 1 < sizeof facts_done; p++) {
            const char *close = *p == '{' ? strchr(p, '}') : NULL;
            bool markup = p > text && (p[-1] == '_' || p[-1] == '^');
            if (close && !markup && close - p - 1 > 0 && close - p - 1 < 24) {
                char key[24];
                snprintf(key, sizeof key, "%.*s", (int)(close - p - 1), p + 1);
                const char *v = scene_fact_get(sc, key);
                if (v) {
                    k += (size_t)snprintf(facts_done + k, sizeof facts_done - k, "%s", v);
                    if (k >= sizeof facts_done) k = sizeof facts_done - 1;
                    p = close;
                    continue;
                }
            }
            facts_done[k++] = *p;
        }
        facts_done[k] = 0;
        src = facts_done;
    }
    return adjust_expand(out, n, src, st, ov);
}
