/* libFuzzer target: the lesson parser (lesson_parse, from memory) and every
 * step's scene computation (scene_compute + scene_dump), once without data and
 * once with a small synthetic CIFAR test set, as the window and --batch do.
 * Invariants: a parse or compute error is one non-empty line; a parsed lesson
 * has a title in both languages and at least one step whose kind exists; a
 * failed compute leaves its message in the scene. ASan/UBSan catch the rest.
 * Built and run by tests/fuzz/run.sh (make fuzz).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/lesson.h"
#include "lesson/scene.h"
#include "session/lesson_data.h"

#define FAKE_TEST_IMAGES 20

// An invariant that fails names itself before libFuzzer records the input.
#define CHECK(c) \
    do { \
        if (!(c)) { fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); abort(); } \
    } while (0)

static Cifar fake;      // 20 test images, labels i % 10, no training set
static FILE *sink;      // /dev/null for the dumps

static void init_once(void) {
    if (sink) return;
    sink = fopen("/dev/null", "w");
    CHECK(sink);
    fake.test.n = FAKE_TEST_IMAGES;
    fake.test.labels = malloc(FAKE_TEST_IMAGES);
    fake.test.pixels = malloc((size_t)FAKE_TEST_IMAGES * CIFAR_PIXELS);
    for (int i = 0; i < FAKE_TEST_IMAGES; i++) fake.test.labels[i] = (uint8_t)(i % CIFAR_CLASSES);
    for (size_t i = 0; i < (size_t)FAKE_TEST_IMAGES * CIFAR_PIXELS; i++) fake.test.pixels[i] = (uint8_t)(i * 37 % 251);
    static const char *const names[CIFAR_CLASSES] = {"airplane", "automobile", "bird", "cat", "deer",
                                                    "dog", "frog", "horse", "ship", "truck"};
    for (int c = 0; c < CIFAR_CLASSES; c++) snprintf(fake.class_names[c], sizeof fake.class_names[c], "%s", names[c]);
}

static void check_one_line(const char *msg) {
    CHECK(msg[0] != '\0' && !strchr(msg, '\n'));
}

static void compute_all(const Lesson *l, const Cifar *cifar) {
    static LessonData *data; // --batch's: measurements computed now (kept for the whole run)
    if (!data) data = lesson_data_create("/nonexistent-convlab-fuzz", false);
    SceneEnv env = {.cifar = cifar, .data_hint = "no data", .window_override = -1, .data = data};
    for (int k = 0; k < l->n_steps; k++) {
        Scene sc;
        ClError err = {{0}};
        if (scene_compute(&sc, l, k, &env, &err) != 0) {
            check_one_line(err.msg);
            CHECK(sc.error[0] != '\0');
        }
        scene_dump(&sc, sink);
        scene_free(&sc);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    init_once();
    // lesson_parse takes a C string, as lesson_load hands it one (it refuses NUL bytes).
    if (memchr(data, 0, size)) return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    Lesson l;
    ClError err = {{0}};
    if (lesson_parse(&l, "fuzz.lesson", text, NULL, &err) != 0) {
        check_one_line(err.msg);
        CHECK(!l.steps && l.n_steps == 0); // a failed parse owns nothing
    } else {
        CHECK(l.title[0] && l.title[1] && l.n_steps >= 1);
        for (int k = 0; k < l.n_steps; k++)
            CHECK(scene_kind_find(l.steps[k].kind));
        compute_all(&l, NULL);
        compute_all(&l, &fake);
        lesson_free(&l);
    }
    free(text);
    return 0;
}
