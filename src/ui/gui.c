/* STUB: the window; replaced by its owner. */
#include "app/app.h"
#include <stdio.h>
int gui_main(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "convlab: the window is not built yet\n"); return 1; }
