/* Facts a scene records for its texts, and the {key} expansion that reads
 * them before the step's own keys (scene_facts.h).
 */
#include "lesson/scene_facts.h"

#include <stdarg.h>
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

char *scene_expand_text(char *out, size_t n, const char *text, const LessonStep *st, const SceneOverrides *ov,
                        const Scene *sc) {
    char facts_done[8192];
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
