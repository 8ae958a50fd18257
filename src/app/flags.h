/* A small table-driven command-line flag parser for the batch commands.
 * Each command lists its flags in a table (name, kind, target, range); one call
 * parses argv into the targets. Every problem (unknown flag, missing value,
 * non-numeric value, value out of range, unknown choice) returns -1 with one
 * line naming the flag and what it accepts; the caller prints it and exits 2.
 * Both `--flag value` and `--flag=value` are accepted; a later flag wins.
 */
#ifndef CONVLAB_FLAGS_H
#define CONVLAB_FLAGS_H

#include <stdbool.h>
#include <stdint.h>
#include "engine/error.h"

typedef enum {
    FLAG_BOOL,    // no value; sets *(bool *)target = true
    FLAG_INT,     // *(int *)target, within [min, max]
    FLAG_U64,     // *(uint64_t *)target, decimal, within [0, 2^64-1]
    FLAG_FLOAT,   // *(double *)target, finite, within [min, max]
    FLAG_STRING,  // *(const char **)target = the argv string (not copied), non-empty
    FLAG_CHOICE,  // *(int *)target = index of the value in choices ("sgd|adam")
    FLAG_SIZE,    // ((int *)target)[0..1] = W, H from "WxH", each within [min, max]
} FlagKind;

typedef struct {
    const char *name;     // "--epochs"
    FlagKind kind;
    void *target;
    double min, max;      // FLAG_INT, FLAG_FLOAT, FLAG_SIZE: inclusive range
    const char *choices;  // FLAG_CHOICE: "sgd|adam"
    bool *seen;           // optional: set to true when the flag is given
} Flag;

// Parses argv[first..argc). Positional (non-flag) arguments go to positional
// (up to max_positional, in order; count in *n_positional); with
// max_positional == 0 any positional argument is an error. `command` prefixes
// nothing; it names the command in messages ("train").
int flags_parse(const Flag *flags, int n_flags, int argc, char **argv, int first,
                const char **positional, int max_positional, int *n_positional,
                const char *command, ClError *err);

#endif
