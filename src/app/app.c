/* Command dispatch: see app.h. */
#include "app/app.h"
#include "app/flags.h"
#include "engine/version.h"
#include "engine/kernels.h"

#include <stdio.h>
#include <string.h>

static const Command *const COMMANDS[] = {
    &WINDOW_COMMAND, &TRAIN_COMMAND, &EVAL_COMMAND, &RENDER_COMMAND, &LESSONS_CHECK_COMMAND, &LESSON_COMMAND,
    &PREDICT_COMMAND, &NET_INFO_COMMAND, &EXPORT_PYTORCH_COMMAND, &EXPORT_COMMAND, &FETCH_DATA_COMMAND,
};
#define N_COMMANDS (int)(sizeof COMMANDS / sizeof COMMANDS[0])

const Command *const *app_commands(int *n) {
    *n = N_COMMANDS;
    return COMMANDS;
}

// "train, eval, render, lessons-check or lesson"
static const char *batch_names(char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = 0;
    for (int k = 1; k < N_COMMANDS; k++)
        len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s", COMMANDS[k]->name,
                                k == N_COMMANDS - 1 ? "" : k == N_COMMANDS - 2 ? " or " : ", ");
    return buf;
}

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
        char names[256];
        if (argc < 3) {
            fprintf(stderr, "convlab: --batch needs a command: %s (see --help)\n", batch_names(names, sizeof names));
            return 2;
        }
        for (int k = 1; k < N_COMMANDS; k++)
            if (strcmp(argv[2], COMMANDS[k]->name) == 0) return COMMANDS[k]->run(argc - 2, argv + 2);
        fprintf(stderr, "convlab: unknown batch command '%s'; use %s (see --help)\n", argv[2], batch_names(names, sizeof names));
        return 2;
    }
    return WINDOW_COMMAND.run(argc, argv);
}
