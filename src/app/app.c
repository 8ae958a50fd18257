/* Command dispatch: see app.h. */
#include "app/app.h"

#include <stdio.h>
#include <string.h>

#include "engine/checkpoint.h"
#include "engine/kernels.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} BATCH_COMMANDS[] = {
    {"train", batch_train_main},
    {"eval", batch_eval_main},
    {"render", batch_render_main},
    {"lessons-check", batch_lessons_check_main},
    {"lesson", batch_lesson_main},
};

int app_main(int argc, char **argv) {
    ClError err = {{0}};
    if (kernels_init(&err) != 0) {   // a bad CONVLAB_ISA
        fprintf(stderr, "convlab: %s\n", err.msg);
        return 2;
    }
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("convlab %s\nkernels: %s\n", CONVLAB_VERSION, kernels_name());
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            app_print_help();
            return 0;
        }
    }
    if (argc >= 2 && strcmp(argv[1], "--batch") == 0) {
        if (argc < 3) {
            fprintf(stderr, "convlab: --batch needs a command: train, eval, render, lessons-check or lesson (see --help)\n");
            return 2;
        }
        for (size_t k = 0; k < sizeof BATCH_COMMANDS / sizeof BATCH_COMMANDS[0]; k++)
            if (strcmp(argv[2], BATCH_COMMANDS[k].name) == 0) return BATCH_COMMANDS[k].run(argc - 2, argv + 2);
        fprintf(stderr, "convlab: unknown batch command '%s'; use train, eval, render, lessons-check or lesson (see --help)\n", argv[2]);
        return 2;
    }
    return gui_main(argc, argv);
}
