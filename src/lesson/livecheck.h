/* Texts and claims that follow live settings (lessons-check, issue 13).
 * A step that declares `adjust` lets the student change scene keys; its
 * texts must stay true at every allowed value. lessons-check computes the
 * step again at other values of each setting (livecheck_values) and
 *  - evaluates its `expect` claims there (expect_check_at; param(K) reads the
 *    live value, so a claim is written in terms of the settings), and
 *  - looks for STALE numbers (livecheck_stale): a number the scene changes
 *    under the setting (a number on a dump line that is not a grid row, or a
 *    grid's size) that a text writes literally at the default. Such a number
 *    must come from a {key} (a fact or a scene key) so it follows the setting.
 * No SDL here.
 */
#ifndef CONVLAB_LIVECHECK_H
#define CONVLAB_LIVECHECK_H

#include <stdio.h>
#include "lesson/adjust.h"
#include "lesson/lesson.h"
#include "lesson/scene.h"

#define LIVECHECK_MAX_VALUES 5

// The values of p lessons-check tries besides `skip` (the step's own value):
// every value of a range of at most 5, else its ends and its middle. Returns how many.
int livecheck_values(int out[LIVECHECK_MAX_VALUES], const AdjustParam *p, int skip);

// Reports (one line each, "path:line: step K (en) at padding=3: ...") every
// literal number in step k's captions and texts, outside {key}s, that equals a
// number of base's dump which the dump of `at` (the same step under a live
// setting, named by label) changes. Returns how many.
int livecheck_stale(const Lesson *l, int k, const Scene *base, const Scene *at, const char *label, FILE *report);

#endif
