/* STUB: replaced by its owner. */
#include "app/app.h"
#include <stdio.h>
int batch_train_main(int argc, char **argv) { (void)argc; fprintf(stderr, "convlab: %s is not built yet\n", argv[0]); return 1; }
int batch_eval_main(int argc, char **argv) { (void)argc; fprintf(stderr, "convlab: %s is not built yet\n", argv[0]); return 1; }
