/* The one reader of the project's text files: lessons (lessons/NAME.lesson),
 * themes (assets/theme-NAME.theme) and, next, network files. It reads a whole file
 * (size-limited, no NUL bytes, valid UTF-8) and hands it out line by line with
 * the line number, trimmed, split at the first '=' into key and value, and
 * says whether the line was indented (a continuation) or blank; '#' comment
 * lines are skipped. What a key means is the caller's business; the caller's
 * messages name path:line.
 *
 * Layer: engine (no SDL), so every layer above can use it.
 */
#ifndef CONVLAB_TEXTFILE_H
#define CONVLAB_TEXTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include "engine/error.h"

#define TEXT_LINE_MAX 4096   // bytes in one line

typedef struct {
    int number;              // 1-based line number in the file
    bool blank;              // nothing but white space (ends a continuation)
    bool indented;           // began with a space or a tab
    char *text;              // the trimmed line, whole (points into the reader)
    char *key, *value;       // a copy split at the first '=', each trimmed; NULL without '='
} TextLine;

typedef struct {
    const char *path;        // named in messages
    const char *next;        // the text not read yet
    int number;              // lines read so far
    char buf[TEXT_LINE_MAX]; // the current line
    char split[TEXT_LINE_MAX]; // its copy split into key and value
} TextReader;

// Reads the file at path into *text (NUL-terminated, owned by the caller:
// free()). what names the kind of file in messages ("lesson file"). Refuses
// files over max_bytes, with NUL bytes or with invalid UTF-8.
int text_file_read(const char *path, const char *what, size_t max_bytes, char **text, ClError *err);

// True if s is valid UTF-8.
bool text_valid_utf8(const char *s);

// Starts reading text (which must outlive the reader); path names it in messages.
void text_reader_init(TextReader *r, const char *path, const char *text);

// The next line that is not a '#' comment: 1 and *line, 0 at the end, or -1
// with "path:N: line longer than ..." in err.
int text_reader_next(TextReader *r, TextLine *line, ClError *err);

// s without leading and trailing white space (in place).
char *text_trim(char *s);

#endif
