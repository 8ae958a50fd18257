/* Shared by the lessons on the whole network (scene kinds network,
 * training_loop, tutorial_bugs): the `weights` key, and the two entry points
 * to the driver's LessonData (see netlesson.h).
 */
#include "lesson/netlesson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/checkpoint.h"

// ---- weights ------------------------------------------------------------------

int netlesson_weights(Net *net, const Lesson *l, const LessonStep *st, WeightsInfo *wi, ClError *err) {
    memset(wi, 0, sizeof *wi);
    int line;
    const char *v = lesson_get(st, "weights", &line);
    if (!v || !v[0]) { net_init_params(net, 0); return 0; }
    if (strncmp(v, "init", 4) == 0) {
        unsigned long long seed = 0;
        const char *rest = v + 4;
        while (*rest == ' ') rest++;
        if (*rest && sscanf(rest, "seed %llu", &seed) != 1)
            return cl_fail(err, "%s:%d: weights: expected 'init' or 'init seed N', got '%s'", l->path, line, v);
        wi->seed = seed;
        net_init_params(net, seed);
        return 0;
    }
    if (strncmp(v, "checkpoint ", 11) == 0) {
        const char *path = v + 11;
        while (*path == ' ') path++;
        snprintf(wi->path, sizeof wi->path, "%s", path);
        ClError cerr;
        if (checkpoint_load(net, path, &cerr) == 0) { wi->from_checkpoint = true; return 0; }
        snprintf(wi->fallback, sizeof wi->fallback, "%s", cerr.msg);
        net_init_params(net, 0);
        return 0;
    }
    return cl_fail(err, "%s:%d: weights: expected 'init [seed N]' or 'checkpoint PATH', got '%s'", l->path, line, v);
}

// ---- the driver's LessonData ---------------------------------------------------------

const CifarSet *netlesson_train_set(const SceneEnv *env, char *why, size_t n) {
    if (env->cifar && env->cifar->train.n > 0) return &env->cifar->train;
    if (env->data) return env->data->train_set(env->data, why, n);
    if (why) snprintf(why, n, "no training images were given to the lessons");
    return NULL;
}

void netlesson_measure(const SceneEnv *env, const MeasureKey *key, const CifarSet *train, const CifarSet *test,
                       MeasureResult *out) {
    if (env->data) { env->data->measure(env->data, key, train, test, out); return; }
    memset(out, 0, sizeof *out);
    out->state = MEASURE_FAILED;
    snprintf(out->error, sizeof out->error, "no measurements were given to the lessons");
}
