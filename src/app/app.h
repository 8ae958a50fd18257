/* The commands of the convlab binary. app_main dispatches:
 *   convlab [--lang en|zh] [--size WxH] ...       the window (gui_main, window.c)
 *   convlab --batch train|eval ...                headless training (batch_train.c)
 *   convlab --batch render|lessons-check|lesson   headless lessons (batch_lesson.c)
 *   convlab --batch predict ...                   the student's own pictures (batch_predict.c)
 * Each returns the process exit status: 0 ok, 1 failure, 2 bad usage,
 * 130 interrupted.
 */
#ifndef CONVLAB_APP_H
#define CONVLAB_APP_H

int app_main(int argc, char **argv);

// argv[0] is the sub-command name ("train", "eval", ...).
int batch_train_main(int argc, char **argv);
int batch_eval_main(int argc, char **argv);
int batch_render_main(int argc, char **argv);
int batch_lessons_check_main(int argc, char **argv);
int batch_lesson_main(int argc, char **argv);
int batch_predict_main(int argc, char **argv);   // batch_predict.c
// Downloads CIFAR-10 (batch_fetch.c).
int batch_fetch_data_main(int argc, char **argv);
// A lesson as GIF, PDF or PNGs (export.c).
int batch_export_main(int argc, char **argv);

// The window. argv as given to the program (without --batch).
int gui_main(int argc, char **argv);

// Prints the full --help text to stdout.
void app_print_help(void);

// Every command, the window first (their option tables: app/flags.h).
typedef struct Command Command;
const Command *const *app_commands(int *n);

#endif
