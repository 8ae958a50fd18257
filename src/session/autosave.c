/* The autosave's path and the run metadata every checkpoint of a run carries
 * (see autosave.h).
 */
#include "session/autosave.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

void autosave_path(char *out, int out_size) {
    const char *env = getenv("CONVLAB_AUTOSAVE");
    snprintf(out, (size_t)out_size, "%s", env && *env ? env : AUTOSAVE_DEFAULT_NAME);
}

bool autosave_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void train_checkpoint_meta(StMeta out[TRAIN_META_COUNT], const Trainer *t) {
    static const char *const KEYS[TRAIN_META_COUNT] = {"epochs_done", "steps_done", "seed", "relu_logits"};
    for (int i = 0; i < TRAIN_META_COUNT; i++) snprintf(out[i].key, sizeof out[i].key, "%s", KEYS[i]);
    // an epoch counts as done once its last mini-batch ran
    snprintf(out[0].value, sizeof out[0].value, "%d", t->epoch + (t->batch_in_epoch == t->batches_per_epoch ? 1 : 0));
    snprintf(out[1].value, sizeof out[1].value, "%ld", t->global_step);
    snprintf(out[2].value, sizeof out[2].value, "%llu", (unsigned long long)t->config.seed);
    snprintf(out[3].value, sizeof out[3].value, "%d", t->config.relu_logits ? 1 : 0);
}
