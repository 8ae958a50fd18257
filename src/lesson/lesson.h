/* Lesson files (lessons/NN_name.lesson, format in lessons/README.md): a
 * header with the title in English and Chinese, then [step] sections, each
 * with its caption/explanation in both languages and a declarative scene
 * (key = value). Scene keys carry over from the previous step when the
 * scene kind stays the same, so a step only writes what it changes.
 * No SDL here: the parser is used by the window, --batch and the tests.
 */
#ifndef CONVLAB_LESSON_H
#define CONVLAB_LESSON_H

#include <stdbool.h>
#include <stdio.h>
#include "engine/error.h"

// The one language type: every lesson text, screen label and message comes in
// each of these (LANG_CODES gives "en", "zh").
typedef enum { LANG_EN, LANG_ZH, LANG_COUNT } Lang;
#define LESSON_MAX_KV 48        // keys per step (own + inherited)

typedef struct {
    char key[32];               // e.g. "stride", "kernel"
    char *value;                // trimmed UTF-8; owned by the lesson
    int line;                   // line in the file where it was written
    bool inherited;             // carried over from an earlier step
} LessonKV;

typedef struct {
    int line;                   // line of the [step] header
    char *caption[LANG_COUNT];// one line shown above the visual ("" if none)
    char *text[LANG_COUNT];   // the explanation panel (markup: **bold**, _{sub}, ^{sup})
    char kind[32];              // scene kind ("conv", "pool", ...): see scene.h
    LessonKV kv[LESSON_MAX_KV]; // scene keys
    int n_kv;
} LessonStep;

typedef struct {
    char path[512];             // as given to lesson_load
    char *title[LANG_COUNT];
    int number;                 // NN from the file name (0 if none)
    LessonStep *steps;          // (n_steps)
    int n_steps;
    int n_warnings;             // unknown keys etc. (already printed)
} Lesson;

// Parses path. On error returns -1 with "file:line: what was expected" in err.
// Warnings ("file:line: warning: unknown key 'x'") go to `warn` (may be NULL
// to count them silently). Ownership: free with lesson_free.
int lesson_load(Lesson *l, const char *path, FILE *warn, ClError *err);
// Same, from a string (name is used in messages).
int lesson_parse(Lesson *l, const char *name, const char *text, FILE *warn, ClError *err);
void lesson_free(Lesson *l);

// The value of key in step, or NULL. *line receives its file line (if not NULL).
const char *lesson_get(const LessonStep *st, const char *key, int *line);

// Typed getters: absent key -> fallback; a malformed value or one outside
// [lo, hi] -> -1 with "file:line: key: expected ..." in err.
int lesson_get_int(const Lesson *l, const LessonStep *st, const char *key, int fallback, int lo, int hi,
                   int *out, ClError *err);
// One or two integers ("2" or "2 1"): fills a and b (b = a if only one).
int lesson_get_int2(const Lesson *l, const LessonStep *st, const char *key, int fallback, int lo, int hi,
                    int *a, int *b, ClError *err);
int lesson_get_bool(const Lesson *l, const LessonStep *st, const char *key, bool fallback, bool *out, ClError *err);
// A grid literal: rows separated by ';' or newlines, numbers by spaces or ','.
// Ownership: *vals is malloc'ed (free it). Rows must have equal lengths.
int lesson_get_grid(const Lesson *l, const LessonStep *st, const char *key, float **vals, int *rows, int *cols,
                    ClError *err);
// One of the words in choices (NULL-terminated); returns its index via *out.
int lesson_get_choice(const Lesson *l, const LessonStep *st, const char *key, const char *const *choices,
                      int fallback, int *out, ClError *err);
// Whether the space-separated list `key` contains word.
bool lesson_list_has(const LessonStep *st, const char *key, const char *word);

// The Lang of a code ("en", "zh"), or -1 if unknown.
int lang_from_code(const char *code);
extern const char *const LANG_CODES[LANG_COUNT];

#endif
