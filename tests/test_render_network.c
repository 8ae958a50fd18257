/* Golden frames of lessons 8, 9 and 10 (the network, the training loop, the
 * tutorial's 9 %), drawn with a small synthetic CIFAR set built in memory so
 * the pictures, feature maps, logits and measured bars appear without the
 * data files (the images are patterns, the numbers the engine's). Compared
 * as in test_render.c (shared code in golden.c): 8x8 block means within a
 * tolerance, the top bar and the explanation panel masked; a failure writes
 * tests/out/NAME.png and NAME.diff.png; CONVLAB_UPDATE_GOLDEN=1 rewrites
 * them. The lessons are frozen copies in tests/golden/ (lesson 10's measured
 * on 40/20 images).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/cifar.h"
#include "golden.h"

// Smooth synthetic pictures (a coloured blob per class on a gradient) so the
// maps look like maps; deterministic, the same on every machine.
static void fill_set(CifarSet *s, int n, int salt) {
    s->n = n;
    s->labels = malloc((size_t)n);
    s->pixels = malloc((size_t)n * CIFAR_PIXELS);
    for (int i = 0; i < n; i++) {
        int lab = (i * 3 + salt) % CIFAR_CLASSES;
        s->labels[i] = (uint8_t)lab;
        float cx = 8 + (float)((lab * 5 + i) % 16), cy = 8 + (float)((lab * 7 + 2 * i) % 16);
        for (int ch = 0; ch < 3; ch++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++) {
                    float d = sqrtf((x - cx) * (x - cx) + (y - cy) * (y - cy));
                    float blob = d < 9 ? 1 - d / 9 : 0;
                    float v = 40 + 3.0f * (float)(ch == 0 ? x : ch == 1 ? y : 31 - x) + 150 * blob * (float)(((lab + ch) % 3) + 1) / 3;
                    s->pixels[(size_t)i * CIFAR_PIXELS + ch * 1024 + y * 32 + x] = (uint8_t)fminf(255, v);
                }
    }
}

static Cifar *synthetic(void) {
    static Cifar c;
    static bool made;
    if (!made) { // kept for the process: lesson 10's measurement cache refers to it
        fill_set(&c.train, 40, 1);
        fill_set(&c.test, 20, 0);
        static const char *const NAMES[] = {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
        for (int k = 0; k < CIFAR_CLASSES; k++) snprintf(c.class_names[k], sizeof c.class_names[k], "%s", NAMES[k]);
        made = true;
    }
    return &c;
}

// Renders lesson `file` at `step` (1-based) in lang, with the synthetic set or without data.
static SDL_Surface *render(const char *file, int step, Lang lang, bool with_data) {
    return golden_render(&(GoldenFrame){file, step, lang, false, with_data ? synthetic() : NULL, NULL});
}

static void golden(const char *name, const char *file, int step, Lang lang, bool with_data) {
    golden_check(name, render(file, step, lang, with_data));
}

Test(network_golden, table_en) { golden("08_step1_en", "golden/08_cnnnet.lesson", 1, LANG_EN, true); }
Test(network_golden, conv1_maps_zh) { golden("08_step3_zh", "golden/08_cnnnet.lesson", 3, LANG_ZH, true); }
Test(network_golden, logits_en) { golden("08_step10_en", "golden/08_cnnnet.lesson", 10, LANG_EN, true); }
Test(network_golden, extractor_zh) { golden("08_step11_zh", "golden/08_cnnnet.lesson", 11, LANG_ZH, true); }
Test(network_golden, conv1_without_data_en) { golden("08_step3_nodata_en", "golden/08_cnnnet.lesson", 3, LANG_EN, false); }
Test(network_golden, loop_softmax_zh) { golden("09_step4_zh", "golden/09_training.lesson", 4, LANG_ZH, true); }
Test(network_golden, loop_sgd_step_en) { golden("09_step6_en", "golden/09_training.lesson", 6, LANG_EN, true); }
Test(network_golden, bugs_epochs_en) { golden("10_step4_en", "golden/10_why_9_percent.lesson", 4, LANG_EN, true); }
Test(network_golden, bugs_reference_zh) { golden("10_step5_zh", "golden/10_why_9_percent.lesson", 5, LANG_ZH, true); }

// The comparison must be able to fail: another layer's maps do not pass as conv1's.
Test(network_golden, comparison_detects_another_layer) {
    SDL_Surface *want = golden_load_rgba("golden/08_step3_zh.png");
    cr_assert_not_null(want);
    SDL_Surface *got = render("golden/08_cnnnet.lesson", 5, LANG_ZH, true);
    cr_assert_gt(golden_compare(got, want, NULL), GOLDEN_MAX_BAD_FRAC, "pool1 must not pass as conv1");
    SDL_FreeSurface(got);
    SDL_FreeSurface(want);
}

// Lesson 14: the receptive field of pool2 / pool1 cells drawn on the picture.
Test(network_golden, receptive_field_pool2_en) { golden("14_step4_en", "golden/14_receptive_field.lesson", 4, LANG_EN, true); }
Test(network_golden, receptive_field_pool1_zh) { golden("14_step2_zh", "golden/14_receptive_field.lesson", 2, LANG_ZH, true); }
// Lesson 15: conv1's filters and their gradients after one backward on the synthetic mini-batch.
Test(network_golden, conv1_gradients_en) { golden("15_step1_en", "golden/15_conv1_gradients.lesson", 1, LANG_EN, true); }
