/* Scene kinds "text" (an explanation, optionally beside a CIFAR picture) and
 * "image" (a CIFAR picture, its R/G/B planes and a crop of one channel as
 * numbers, raw 0-255 or normalized as the network sees them).
 */
#include <string.h>

#include "lesson/scene.h"

static const char *const NO_KEYS[] = {NULL};

static int text_compute(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err) {
    if (scene_parse_show(l, st, lesson_get(st, "image", NULL) ? SHOW_IMAGE : 0, &sc->show, err) != 0) return -1;
    return scene_load_input(sc, l, st, env, false, err);
}

static int image_compute(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err) {
    if (scene_parse_show(l, st, SHOW_IMAGE | SHOW_INPUT, &sc->show, err) != 0) return -1;
    if (!lesson_get(st, "image", NULL))
        return cl_fail(err, "%s:%d: scene 'image' needs 'image = N' or 'image = class:NAME'", l->path, st->line);
    return scene_load_input(sc, l, st, env, false, err);
}

static void image_dump(const Scene *sc, FILE *f) {
    if (sc->input.rows) grid_dump(sc->input_name, &sc->input, f);
}

static const SceneKind SCENE_TEXT = {.name = "text", .keys = NO_KEYS, .compute = text_compute, .dump = image_dump};
static const SceneKind SCENE_IMAGE = {.name = "image", .keys = NO_KEYS, .compute = image_compute, .dump = image_dump};
SCENE_KIND_REGISTER(SCENE_TEXT)
SCENE_KIND_REGISTER(SCENE_IMAGE)
