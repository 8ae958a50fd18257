/* The window's CIFAR-10 download card (session/data_fetch.h): drawn over the
 * current screen while a fetch runs (what it does, a progress bar with the
 * bytes and percent, where the data goes, how to cancel) and after it failed
 * (the script's one-line error, how to retry). Drawing only reads the progress
 * copy it is given. English and Chinese.
 */
#ifndef CONVLAB_FETCH_PANEL_H
#define CONVLAB_FETCH_PANEL_H

#include "lesson/lesson.h"
#include "session/data_fetch.h"
#include "ui/draw.h"

// Draws the card for p (a running or failed fetch) centred on the canvas,
// over a veil that dims the screen below.
void fetch_panel_draw(Canvas *c, const FetchProgress *p, Lang lang);

// dir with $HOME written as "~" (shorter on screen; the same folder) into out.
void fetch_panel_short_dir(char *out, size_t n, const char *dir);

// The one-line note for the toast after a fetch ended (done: where the data
// is; cancelled: how much is kept and that D resumes) into out.
void fetch_panel_outcome(char *out, size_t n, const FetchProgress *p, Lang lang);

#endif
