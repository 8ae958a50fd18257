/* Live parameters: a step's `adjust` key names the scene keys a student may
 * change with the keyboard (`adjust = stride padding:0..3 kernel_size`).
 * A change is an OVERRIDE (key = value) that replaces the step's own value
 * when the scene is computed (scene_compute applies env->overrides), so the
 * state stays a pure function of (lesson, step, image, overrides) and every
 * kind gets live parameters without knowing about them. Used by the player
 * (letter keys, the hint bar), --batch --set and the tests. No SDL here.
 */
#ifndef CONVLAB_ADJUST_H
#define CONVLAB_ADJUST_H

#include <stdbool.h>
#include "lesson/lesson.h"
#include "lesson/scene.h"

// One parameter a key may change: its scene key, keyboard letter and range.
typedef struct {
    const char *key;        // scene key, e.g. "stride"
    char letter;            // lowercase keyboard letter; Shift+letter decreases
    int lo, hi;             // integer range (booleans: 0..1, shown false/true)
    int fallback;           // value when the step does not give the key
    bool is_bool;
} AdjustParam;

#define ADJUST_MAX 10

// The parameters a step declares (`adjust = name[:lo..hi] ...`), in order.
// Returns how many (0 without the key), or -1 with "file:line: ..." in err.
int adjust_params(const Lesson *l, const LessonStep *st, AdjustParam out[ADJUST_MAX], ClError *err);

// The value of p in step st under ov (override, else the step's key, else p's fallback).
int adjust_value(const LessonStep *st, const SceneOverrides *ov, const AdjustParam *p);
// Whether ov changes p away from the step's own value.
bool adjust_changed(const LessonStep *st, const SceneOverrides *ov, const AdjustParam *p);

// Applies a key press (lowercase letter; shift = decrease) to ov: returns true
// if a parameter of st changed (clamped to its range; booleans toggle).
bool adjust_key(SceneOverrides *ov, const Lesson *l, const LessonStep *st, char letter, bool shift);

// Sets key = value in ov (replacing an earlier value). -1 if ov is full.
int adjust_set(SceneOverrides *ov, const char *key, const char *value, ClError *err);
// Parses "key=value" (the --set flag) into ov.
int adjust_set_arg(SceneOverrides *ov, const char *arg, ClError *err);

// Checks ov against the parameters st declares in `adjust`: a value outside
// a declared range (or not a boolean for a boolean) is -1 with one line in err
// naming the key, the value and the range. Keys st does not declare pass.
int adjust_check_overrides(const Lesson *l, const LessonStep *st, const SceneOverrides *ov, ClError *err);

// Writes into *copy the step st with ov's values in place of its own keys
// (values point into ov, which must outlive the copy's use). Overridden keys
// keep the line of their own key, or of `adjust` if the step lacks them.
void adjust_apply(LessonStep *copy, const LessonStep *st, const SceneOverrides *ov);

// Expands {key} in a caption or text to the step's current value of that
// scene key (the override if any), so texts of live steps stay true:
// "stride={stride}". Markup _{x} and ^{x} and unknown keys are left alone.
// Returns out.
char *adjust_expand(char *out, size_t n, const char *text, const LessonStep *st, const SceneOverrides *ov);

#endif
