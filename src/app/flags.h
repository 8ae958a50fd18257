/* The one command-line option table. Every command (the window and each
 * `--batch` command) is a Command: its options as a static table of Flags
 * (name, kind, where the value goes in the command's argument struct, range,
 * help text), its usage line and notes. flags_parse() parses argv with that
 * table and help_print() writes --help (and the man page's source) from the
 * same tables, so the parser and the help cannot drift apart.
 *
 * Every problem (unknown flag, missing value, non-numeric value, value out of
 * range, unknown choice) returns -1 with one line naming the flag and what it
 * accepts; the caller prints it and exits 2. Both `--flag value` and
 * `--flag=value` are accepted; a later flag wins.
 *
 * Layer: app. Includes engine/error.h only (the fuzzer builds it without SDL).
 */
#ifndef CONVLAB_FLAGS_H
#define CONVLAB_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "engine/error.h"

typedef enum {
    FLAG_BOOL,    // no value; sets the bool to true
    FLAG_INT,     // int, within [min, max]
    FLAG_U64,     // uint64_t, decimal, within [0, 2^64-1]
    FLAG_FLOAT,   // double, finite, within [min, max]
    FLAG_STRING,  // const char * = the argv string (not copied), non-empty
    FLAG_CHOICE,  // int = index of the value in choices ("sgd|adam")
    FLAG_SIZE,    // int[2] = W, H from "WxH", each within [min, max]
    FLAG_CALL,    // apply(args, value): repeatable options such as --set KEY=VALUE
} FlagKind;

typedef struct {
    const char *name;     // "--epochs"
    FlagKind kind;
    size_t offset;        // where the value goes: offsetof(the command's argument struct, field)
    double min, max;      // FLAG_INT, FLAG_FLOAT, FLAG_SIZE: inclusive range
    const char *choices;  // FLAG_CHOICE: "sgd|adam"
    size_t seen;          // FLAG_SEEN(T, field): a bool set when the flag is given; 0 none
    int (*apply)(void *args, const char *value, ClError *err); // FLAG_CALL
    const char *value;    // the value's name in --help ("N", "FILE"); NULL: none or the choices
    const char *help;     // --help text; '\n' starts a continuation line
} Flag;

// The offset+1 of a `bool` field that records whether a flag was given.
#define FLAG_SEEN(type, field) (offsetof(type, field) + 1)

typedef struct Command {
    const char *name;       // "train" (convlab --batch train); NULL: the window
    const char *usage;      // the arguments after the command in the usage line
    const char *summary;    // what it does; '\n' starts a new line
    const Flag *flags;      // (n_flags) its options, in --help order
    int n_flags;
    int max_positional;     // positional arguments it takes (0: none)
    const char *notes;      // text after the options (output format, keys), or NULL
    int (*run)(int argc, char **argv); // argv[0] is the command's name
} Command;

// The commands, defined beside their code (window.c, batch_*.c, export.c).
extern const Command WINDOW_COMMAND, TRAIN_COMMAND, EVAL_COMMAND, RENDER_COMMAND, LESSONS_CHECK_COMMAND, LESSON_COMMAND;
extern const Command PREDICT_COMMAND, NET_INFO_COMMAND, EXPORT_PYTORCH_COMMAND, EXPORT_COMMAND, FETCH_DATA_COMMAND;

// The number of entries of a static Flag array.
#define FLAG_COUNT(array) ((int)(sizeof(array) / sizeof((array)[0])))

// Parses argv[first..argc) into args (the command's argument struct, whose
// defaults the caller has set). Positional (non-flag) arguments go to
// positional (up to cmd->max_positional, in order; count in *n_positional).
// Returns 0, or -1 with one line in err that starts with the command's name.
int flags_parse(const Command *cmd, void *args, int argc, char **argv, int first, const char **positional,
                int *n_positional, ClError *err);

// Writes the --help text of every command in cmds (in order) to f; the
// sections after the commands are the caller's.
void help_print_commands(FILE *f, const Command *const *cmds, int n);

#endif
