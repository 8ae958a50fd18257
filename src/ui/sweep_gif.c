/* The window sweep as a GIF: see sweep_gif.h. */
#include "ui/sweep_gif.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui/gif_out.h"
#include "ui/player.h"

#define QUEUE_BYTES_MAX (256u << 20) // the drawing waits for the encoder beyond this

// A drawn frame as the rectangle that differs from the frame before (a sweep
// moves a window and fills a cell: small), so every frame can be drawn at once
// while the encoder catches up, in little memory.
typedef struct Patch {
    int x, y, w, h;            // the rectangle (w = 0: nothing changed)
    int delay_cs;
    uint8_t *rgba;             // (h, w, 4)
    struct Patch *next;
} Patch;

struct SweepGifJob {
    Screen *player;            // not owned; drawn on the caller's thread only
    Canvas *canvas;            // offscreen, the window's pixel size
    FILE *f;                   // path.tmp
    GifOut *g;
    char path[4096], tmp[4200];
    int w, h, fps;
    int cells;                 // window positions (0: a step without a window, one frame)
    int was;                   // the student's position (player_position), back after each frame
    int total, drawn;          // frames in all / handed to the encoder (caller's thread)
    uint8_t *prev;             // the last frame drawn (h, w, 4), caller's thread

    pthread_t encoder;
    bool encoder_started;
    pthread_mutex_t lock;      // guards everything below
    pthread_cond_t cv;         // a frame queued or taken, or the end
    Patch *head, *tail;        // frames waiting for the encoder, oldest first
    size_t queued_bytes;
    int encoded;
    bool no_more;              // nothing more will be queued
    bool cancelled;            // sweep_gif_end(cancel): drop the rest, write nothing
    bool finished;             // the encoder has closed the file
    bool draw_failed;          // a frame could not be drawn: draw_err says why
    ClError draw_err;
    int result;                // frames written, or -1
    ClError err;
};

int sweep_gif_positions(const Scene *sc) {
    int n = scene_position_count(sc);
    return n <= SWEEP_GIF_MAX && scene_position(sc) > 0 ? n : 0;
}

// Draws the player offscreen into a new (h, w, 4) buffer, or NULL.
static uint8_t *draw_frame(SweepGifJob *j, ClError *err) {
    canvas_begin_frame(j->canvas);
    j->player->draw(j->player, j->canvas);
    SDL_Surface *f = canvas_read_pixels(j->canvas);
    if (!f) { cl_fail(err, "cannot read the frame back: %s", SDL_GetError()); return NULL; }
    uint8_t *rgba = cl_malloc((size_t)f->w * f->h * 4);
    for (int y = 0; y < f->h; y++) memcpy(rgba + (size_t)y * f->w * 4, (uint8_t *)f->pixels + (size_t)y * f->pitch, (size_t)f->w * 4);
    SDL_FreeSurface(f);
    return rgba;
}

// Closes the GIF and the file and renames it into place (or removes it). Encoder thread.
static int finish_file(SweepGifJob *j, int rc, ClError *err) {
    if (gif_out_close(j->g, rc == 0 ? err : NULL) != 0) rc = -1;
    if (fclose(j->f) != 0 && rc == 0) rc = cl_fail(err, "%s: writing failed (%s); free some space", j->path, strerror(errno));
    if (rc == 0 && rename(j->tmp, j->path) != 0) rc = cl_fail(err, "%s: cannot rename into place (%s)", j->path, strerror(errno));
    if (rc != 0) unlink(j->tmp);
    return rc;
}

// Takes frames off the queue and encodes them until no more come, then writes the file.
static void *encode_frames(void *arg) {
    SweepGifJob *j = arg;
    ClError err = {{0}};
    int rc = 0, n = 0;
    uint8_t *frame = cl_calloc((size_t)j->w * j->h, 4); // the patches applied in order
    pthread_mutex_lock(&j->lock);
    for (;;) {
        while (!j->head && !j->no_more) pthread_cond_wait(&j->cv, &j->lock);
        Patch *pt = j->head;
        if (!pt) break;
        j->head = pt->next;
        if (!j->head) j->tail = NULL;
        j->queued_bytes -= (size_t)pt->w * pt->h * 4;
        bool stop = j->cancelled;
        pthread_cond_broadcast(&j->cv);
        pthread_mutex_unlock(&j->lock);
        for (int y = 0; y < pt->h; y++)
            memcpy(frame + ((size_t)(pt->y + y) * j->w + pt->x) * 4, pt->rgba + (size_t)y * pt->w * 4, (size_t)pt->w * 4);
        if (rc == 0 && !stop) rc = gif_out_add(j->g, frame, pt->delay_cs, &err); // after an error or a cancel: only drained
        free(pt->rgba);
        free(pt);
        pthread_mutex_lock(&j->lock);
        if (rc == 0 && !stop) j->encoded = ++n;
    }
    free(frame);
    bool complete = j->drawn == j->total && !j->cancelled;
    pthread_mutex_unlock(&j->lock); // (draw_failed is only set before no_more)
    if (rc == 0 && j->draw_failed) err = j->draw_err, rc = -1;
    else if (rc == 0 && !complete) rc = cl_fail(&err, "%s: cancelled, nothing was written", j->path);
    rc = finish_file(j, rc, &err);
    pthread_mutex_lock(&j->lock);
    j->result = rc == 0 ? n : -1;
    j->err = err;
    j->finished = true;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

SweepGifJob *sweep_gif_begin(Screen *s, const Theme *theme, int w, int h, int fps, const char *path, ClError *err) {
    SweepGifJob *j = cl_calloc(1, sizeof *j);
    j->player = s, j->w = w, j->h = h, j->fps = fps;
    if (snprintf(j->path, sizeof j->path, "%s", path) >= (int)sizeof j->path) { free(j); cl_fail(err, "%s: path is too long", path); return NULL; }
    snprintf(j->tmp, sizeof j->tmp, "%s.tmp", path);
    if (!(j->f = fopen(j->tmp, "wb"))) {
        cl_fail(err, "%s: cannot write (%s); run convlab from a writable folder", path, strerror(errno));
        free(j);
        return NULL;
    }
    j->canvas = canvas_create_offscreen(w, h, theme, err);
    j->g = j->canvas ? gif_out_open(j->f, w, h, err) : NULL;
    if (!j->g) {
        if (j->canvas) canvas_free(j->canvas);
        fclose(j->f);
        unlink(j->tmp);
        free(j);
        return NULL;
    }
    j->cells = sweep_gif_positions(player_scene(s));
    j->was = player_position(s, NULL);
    j->total = j->cells ? j->cells : 1;
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cv, NULL);
    j->encoder_started = pthread_create(&j->encoder, NULL, encode_frames, j) == 0;
    if (!j->encoder_started) {
        cl_fail(err, "cannot start the GIF encoder thread");
        gif_out_close(j->g, NULL);
        fclose(j->f);
        unlink(j->tmp);
        canvas_free(j->canvas);
        pthread_cond_destroy(&j->cv);
        pthread_mutex_destroy(&j->lock);
        free(j);
        return NULL;
    }
    return j;
}

// The rectangle where rgba differs from prev (the whole frame without prev) as a patch.
static Patch *make_patch(const SweepGifJob *j, const uint8_t *rgba, int delay_cs) {
    int x0 = 0, y0 = 0, x1 = j->w, y1 = j->h;
    if (j->prev) {
        x0 = j->w, y0 = j->h, x1 = 0, y1 = 0;
        for (int y = 0; y < j->h; y++) {
            const uint32_t *a = (const uint32_t *)(rgba + (size_t)y * j->w * 4), *b = (const uint32_t *)(j->prev + (size_t)y * j->w * 4);
            if (memcmp(a, b, (size_t)j->w * 4) == 0) continue;
            if (y < y0) y0 = y;
            y1 = y + 1;
            for (int x = 0; x < j->w; x++)
                if (a[x] != b[x]) { if (x < x0) x0 = x; if (x + 1 > x1) x1 = x + 1; }
        }
        if (y1 == 0) x0 = y0 = x1 = y1 = 0; // nothing changed
    }
    Patch *pt = cl_calloc(1, sizeof *pt);
    *pt = (Patch){.x = x0, .y = y0, .w = x1 - x0, .h = y1 - y0, .delay_cs = delay_cs};
    pt->rgba = cl_malloc((size_t)(pt->w > 0 ? pt->w : 1) * (pt->h > 0 ? pt->h : 1) * 4);
    for (int y = 0; y < pt->h; y++)
        memcpy(pt->rgba + (size_t)y * pt->w * 4, rgba + ((size_t)(y0 + y) * j->w + x0) * 4, (size_t)pt->w * 4);
    return pt;
}

// Hands a frame to the encoder (as a patch); waits only if very much is queued. Caller's thread.
static void queue_frame(SweepGifJob *j, uint8_t *rgba, int delay_cs) {
    Patch *pt = make_patch(j, rgba, delay_cs);
    free(j->prev);
    j->prev = rgba;
    pthread_mutex_lock(&j->lock);
    while (j->queued_bytes > QUEUE_BYTES_MAX && !j->finished) pthread_cond_wait(&j->cv, &j->lock);
    if (j->finished) { free(pt->rgba); free(pt); } // (the encoder has gone: nothing takes it)
    else {
        if (j->tail) j->tail->next = pt;
        else j->head = pt;
        j->tail = pt;
        j->queued_bytes += (size_t)pt->w * pt->h * 4;
    }
    j->drawn++;
    if (j->drawn == j->total) j->no_more = true;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->lock);
}

bool sweep_gif_next(SweepGifJob *j) {
    if (j->drawn >= j->total) return false; // (drawn: written under the lock, only by this thread)
    int cell = j->drawn;
    player_set_static(j->player, true);
    if (j->cells) player_set_position(j->player, cell + 1);
    ClError err;
    uint8_t *rgba = draw_frame(j, &err);
    if (j->cells) player_set_position(j->player, j->was); // the window shows the step as before
    player_set_static(j->player, false);
    if (!rgba) { // stop: the encoder writes nothing and reports err
        pthread_mutex_lock(&j->lock);
        j->draw_failed = true;
        j->draw_err = err;
        j->no_more = true;
        j->drawn = j->total + 1; // no further frame
        pthread_cond_broadcast(&j->cv);
        pthread_mutex_unlock(&j->lock);
        return false;
    }
    queue_frame(j, rgba, cell == j->total - 1 ? SWEEP_HOLD_CS : 100 / j->fps);
    return j->drawn < j->total;
}

void sweep_gif_progress(SweepGifJob *j, int *encoded, int *total) {
    pthread_mutex_lock(&j->lock);
    *encoded = j->encoded;
    *total = j->total;
    pthread_mutex_unlock(&j->lock);
}

const char *sweep_gif_path(const SweepGifJob *j) { return j->path; }

bool sweep_gif_done(SweepGifJob *j) {
    pthread_mutex_lock(&j->lock);
    bool done = j->finished;
    pthread_mutex_unlock(&j->lock);
    return done;
}

int sweep_gif_end(SweepGifJob *j, bool cancel, ClError *err) {
    pthread_mutex_lock(&j->lock);
    j->no_more = true;
    j->cancelled |= cancel && !j->finished; // the frame being encoded is finished, then nothing is written
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->lock);
    if (j->encoder_started) pthread_join(j->encoder, NULL);
    int n = j->result;
    free(j->prev);
    if (n < 0 && err) *err = j->err;
    canvas_free(j->canvas);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->lock);
    free(j);
    return n;
}

int sweep_gif_write(Screen *s, const Theme *theme, int w, int h, int fps, const char *path, ClError *err) {
    SweepGifJob *j = sweep_gif_begin(s, theme, w, h, fps, path, err);
    if (!j) return -1;
    while (sweep_gif_next(j)) {}
    return sweep_gif_end(j, false, err);
}
