/* convlab entry point: dispatches to the batch commands or the window. */
#include "app/app.h"

int main(int argc, char **argv) { return app_main(argc, argv); }
