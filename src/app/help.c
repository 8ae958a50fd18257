/* STUB: the --help text; replaced by its owner. */
#include "app/app.h"
#include <stdio.h>
void app_print_help(void) { puts("usage: convlab [--batch train|eval|render|lessons-check|lesson ...]"); }
