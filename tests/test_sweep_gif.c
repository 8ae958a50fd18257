/* The window's Shift+F12 export (ui/sweep_gif.c) without a window: the
 * frame-at-a-time job with its encoder thread writes the same GIF as the
 * one-go call even when the player is drawn for the screen between its frames
 * (as the window does), one frame per window position; a cancel leaves no
 * file, not even the temporary one.
 */
#include <criterion/criterion.h>
#include <gif_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui/draw.h"
#include "ui/player.h"
#include "ui/sweep_gif.h"
#include "ui/theme.h"

static Theme THEME;
static ScreenContext CTX;
static char DIR_[64];

static Screen *open_step(int step) {
    ClError err;
    cr_assert_eq(draw_init_fonts(&err), 0, "%s", err.msg);
    theme_default_light(&THEME);
    CTX = (ScreenContext){.lang = LANG_EN, .data_dir = "", .cifar_error = "no data", .theme_name = "light", .theme = &THEME};
    Screen *s = player_create_for(&CTX, "golden/02_convolution.lesson", step, &err);
    cr_assert_not_null(s, "%s", err.msg);
    snprintf(DIR_, sizeof DIR_, "/tmp/convlab-test-gif.XXXXXX");
    cr_assert(mkdtemp(DIR_));
    return s;
}

static void path_of(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", DIR_, name); }

static void cleanup(Screen *s) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", DIR_);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", DIR_);
    s->destroy(s);
}

static int gif_frames(const char *path) {
    int e = 0;
    GifFileType *g = DGifOpenFileName(path, &e);
    cr_assert_not_null(g, "%s: not a GIF (%d)", path, e);
    cr_assert_eq(DGifSlurp(g), GIF_OK);
    int n = g->ImageCount;
    DGifCloseFile(g, &e);
    return n;
}

static long file_bytes(const char *path, char **out) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    *out = malloc((size_t)n);
    cr_assert_eq(fread(*out, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return n;
}

Test(sweep_gif, the_job_between_screen_frames_writes_what_the_one_go_call_writes) {
    Screen *s = open_step(1); // step 2: a 3x3 output, the window at each of 9 positions
    char a[128], b[128];
    path_of(a, sizeof a, "one-go.gif");
    path_of(b, sizeof b, "job.gif");
    ClError err;
    cr_assert_eq(sweep_gif_write(s, &THEME, 320, 200, 2, a, &err), 9, "%s", err.msg);
    Canvas *screen = canvas_create_offscreen(640, 400, &THEME, &err);
    cr_assert_not_null(screen, "%s", err.msg);
    SweepGifJob *j = sweep_gif_begin(s, &THEME, 320, 200, 2, b, &err);
    cr_assert_not_null(j, "%s", err.msg);
    int steps = 0;
    while (sweep_gif_next(j)) { // the window draws its own frame between the export's
        canvas_begin_frame(screen);
        s->draw(s, screen);
        steps++;
    }
    cr_assert_eq(steps, 8);
    while (!sweep_gif_done(j)) usleep(1000);
    int done, total;
    sweep_gif_progress(j, &done, &total);
    cr_assert_eq(done, 9);
    cr_assert_eq(total, 9);
    cr_assert_str_eq(sweep_gif_path(j), b);
    cr_assert_eq(sweep_gif_end(j, false, &err), 9, "%s", err.msg);
    canvas_free(screen);
    cr_assert_eq(gif_frames(b), 9);
    char *x, *y;
    long nx = file_bytes(a, &x), ny = file_bytes(b, &y);
    cr_assert(nx > 0 && nx == ny && memcmp(x, y, (size_t)nx) == 0, "the two GIFs differ (%ld and %ld bytes)", nx, ny);
    free(x);
    free(y);
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", b);
    cr_assert(access(tmp, F_OK) != 0, "the temporary file was left");
    cleanup(s);
}

Test(sweep_gif, a_cancel_leaves_no_file) {
    Screen *s = open_step(1);
    char p[128], tmp[160];
    path_of(p, sizeof p, "cancel.gif");
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    ClError err;
    SweepGifJob *j = sweep_gif_begin(s, &THEME, 320, 200, 2, p, &err);
    cr_assert_not_null(j, "%s", err.msg);
    cr_assert(access(tmp, F_OK) == 0, "the job writes into path.tmp");
    cr_assert(sweep_gif_next(j));
    cr_assert_eq(sweep_gif_end(j, true, &err), -1);
    cr_assert(strstr(err.msg, "cancelled"), "%s", err.msg);
    cr_assert(access(p, F_OK) != 0 && access(tmp, F_OK) != 0, "a cancelled export left a file");
    // a cancel after every frame was drawn (only encoding left) also writes nothing
    j = sweep_gif_begin(s, &THEME, 320, 200, 2, p, &err);
    while (sweep_gif_next(j)) {}
    sweep_gif_end(j, true, &err);
    cr_assert(access(p, F_OK) != 0 && access(tmp, F_OK) != 0, "a cancel during the encoding left a file");
    cleanup(s);
}

Test(sweep_gif, an_unwritable_path_fails_at_once) {
    Screen *s = open_step(1);
    ClError err;
    cr_assert_null(sweep_gif_begin(s, &THEME, 320, 200, 2, "/nonexistent-dir/x.gif", &err));
    cr_assert(strstr(err.msg, "/nonexistent-dir/x.gif: cannot write"), "%s", err.msg);
    cleanup(s);
}
