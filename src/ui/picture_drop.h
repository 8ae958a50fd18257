/* Files dropped on the window (SDL_DROPBEGIN, SDL_DROPFILE..., SDL_DROPCOMPLETE):
 * exactly one picture file is loaded as the student's picture; a folder,
 * several files at once or a file that is not a readable picture give one
 * line for the screen instead. Called by gui.c's event loop.
 */
#ifndef CONVLAB_PICTURE_DROP_H
#define CONVLAB_PICTURE_DROP_H

#include <stdbool.h>
#include <stddef.h>
#include <SDL2/SDL.h>
#include "engine/picture.h"

typedef struct {
    bool in_drop;       // between SDL_DROPBEGIN and SDL_DROPCOMPLETE
    int files;          // SDL_DROPFILE events in this drop
    char first[4096];   // the first file's path
} PictureDrop;

// Feeds one event. Returns 1 when a dropped picture was loaded into *out
// (msg: what it became), 0 otherwise (msg: the problem, or "" if the event
// was not a finished drop). Frees SDL's file strings.
int picture_drop_event(PictureDrop *d, const SDL_Event *ev, Picture *out, char *msg, size_t n);

#endif
