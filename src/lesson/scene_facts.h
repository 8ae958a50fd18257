/* Texts that follow the chosen network: a scene kind records named values it
 * computed (the first convolution's name, a layer's receptive field, the
 * parameter total) as facts, and a caption or text writes them as {key}, so
 * "one **{layer}** cell sees {rf}×{rf} pixels" is true for CNNNet and for any
 * --net FILE. Facts win over scene keys of the same name; other {key}s expand
 * as adjust_expand does (the step's live values). No SDL here.
 */
#ifndef CONVLAB_SCENE_FACTS_H
#define CONVLAB_SCENE_FACTS_H

#include <stddef.h>
#include "lesson/lesson.h"
#include "lesson/scene.h"

// Records fact key = printf(fmt, ...) in sc (a second call replaces the value;
// a full table drops the fact, which lessons-check then reports as a {key} left).
void scene_fact(Scene *sc, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
// The value of fact key, or NULL.
const char *scene_fact_get(const Scene *sc, const char *key);
// Expands {key} in text: sc's facts first (sc may be NULL), then the step's
// current scene keys (adjust_expand). _{x} and ^{x} stay markup. Returns out.
char *scene_expand_text(char *out, size_t n, const char *text, const LessonStep *st, const SceneOverrides *ov,
                        const Scene *sc);

#endif
