/* picture_drop_event (picture_drop.h). A backend that sends SDL_DROPFILE
 * without SDL_DROPBEGIN/COMPLETE gets each file loaded as it comes.
 */
#include "ui/picture_drop.h"

#include <stdio.h>
#include <string.h>

#include "ui/picture_load.h"

static int load_dropped(const char *path, Picture *out, char *msg, size_t n) {
    static Picture tmp;  // a failed load must not clear the picture already shown
    ClError err = {0};
    if (picture_load_file(&tmp, path, &err) != 0) {
        snprintf(msg, n, "%s", err.msg);
        return 0;
    }
    *out = tmp;
    snprintf(msg, n, "your picture: %s (%d×%d)%s%s; V switches between it and CIFAR", out->name, out->src_w, out->src_h,
             out->note[0] ? "; " : "", out->note);
    return 1;
}

int picture_drop_event(PictureDrop *d, const SDL_Event *ev, Picture *out, char *msg, size_t n) {
    msg[0] = 0;
    switch (ev->type) {
    case SDL_DROPBEGIN:
        d->in_drop = true, d->files = 0, d->first[0] = 0;
        return 0;
    case SDL_DROPFILE: {
        char *file = ev->drop.file;
        int rc = 0;
        if (!d->in_drop) rc = file ? load_dropped(file, out, msg, n) : 0;
        else if (d->files++ == 0 && file) snprintf(d->first, sizeof d->first, "%s", file);
        SDL_free(file);
        return rc;
    }
    case SDL_DROPTEXT:
        SDL_free(ev->drop.file);
        snprintf(msg, n, "dropped text is not a picture; drop one picture file (PNG, JPEG, GIF, BMP, WebP, TGA)");
        return 0;
    case SDL_DROPCOMPLETE:
        if (!d->in_drop) return 0;
        d->in_drop = false;
        if (d->files > 1) {
            snprintf(msg, n, "%d files dropped at once; drop one picture at a time", d->files);
            return 0;
        }
        if (d->files == 1) return load_dropped(d->first, out, msg, n);
        return 0;
    default:
        return 0;
    }
}
