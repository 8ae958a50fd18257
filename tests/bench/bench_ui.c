/* `make bench`: the lesson player's start-up and frame times.
 *  - launch to first frame: ./convlab is started with
 *    CONVLAB_EXIT_AFTER_FIRST_FRAME=1 (it exits right after presenting its
 *    first frame, before CIFAR-10 is loaded) and the wall time from fork to
 *    exit is measured; needs a display (DISPLAY), e.g. under xvfb-run.
 *    Always: the in-process equivalent on the offscreen canvas (fonts,
 *    lessons, first draw), which is what --batch render pays.
 *  - frame render time at 1280x800: every step of the shipped lessons drawn
 *    repeatedly on the offscreen software renderer (the slowest target), and
 *    on a hidden window if there is a display; median and p95.
 * Targets (issue 4): first frame < 300 ms without the data, < 8 ms per frame.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <SDL2/SDL.h>

#include "engine/cifar.h"
#include "ui/draw.h"
#include "ui/player.h"
#include "ui/theme.h"

#define FRAMES_PER_STEP 8
#define LAUNCH_RUNS 5

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *ms, int n) {
    if (n == 0) { printf("  %-48s no samples\n", what); return; }
    qsort(ms, (size_t)n, sizeof *ms, cmp_double);
    int p95 = (int)(0.95 * (n - 1) + 0.5);
    printf("  %-48s median %7.2f ms   p95 %7.2f ms   (n=%d, min %.2f, max %.2f)\n", what, ms[n / 2], ms[p95], n,
           ms[0], ms[n - 1]);
}

// The binary to launch: $CONVLAB_BIN, else ./convlab (make bench builds it).
static const char *convlab_bin(void) {
    const char *b = getenv("CONVLAB_BIN");
    return b && *b ? b : "./convlab";
}

// Wall time of `./convlab --lesson ...` until it exits after its first frame.
static double launch_once(void) {
    fflush(stdout); // the child must not inherit (and print again) buffered output
    double t0 = bench_now();
    pid_t pid = fork();
    if (pid == 0) {
        setenv("CONVLAB_EXIT_AFTER_FIRST_FRAME", "1", 1);
        freopen("/dev/null", "w", stdout);
        execl(convlab_bin(), "convlab", "--lesson", "lessons/02_convolution.lesson", "--step", "2", (char *)NULL);
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
    return (bench_now() - t0) * 1000.0;
}

// CPU seconds of this thread: frame cost without the other processes' load.
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// Draws every step of every lesson FRAMES_PER_STEP times on c; fills ms
// (wall time) and cpu_ms (this thread's CPU time).
static double CPU_MS[4096];
static int frames(Canvas *c, ScreenContext *ctx, double *ms, int cap, bool present) {
    ClError err;
    Screen *s = player_create_for(ctx, NULL, 0, &err);
    if (!s) return 0;
    player_set_static(s, true);
    int n = 0;
    double budget_end = bench_now() + 30.0; // some steps compute a lot (trainings): bound the bench
    for (int l = 0; l < player_lesson_count(s); l++) {
        player_open(s, l, 0);
        int K = player_step_count(s);
        for (int k = 0; k < K && bench_now() < budget_end; k++) {
            player_open(s, l, k); // computing the step is not part of the frame time
            for (int f = 0; f < FRAMES_PER_STEP && n < cap; f++) {
                double t0 = bench_now(), c0 = cpu_now();
                canvas_begin_frame(c);
                s->draw(s, c);
                if (present) canvas_end_frame(c);
                CPU_MS[n] = (cpu_now() - c0) * 1000.0;
                ms[n++] = (bench_now() - t0) * 1000.0;
            }
        }
    }
    s->destroy(s);
    return n;
}

static const char *load_average(void) {
    static char buf[64] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(buf, sizeof buf, f)) snprintf(buf, sizeof buf, "?");
        fclose(f);
        buf[strcspn(buf, " ")] = 0;
    }
    return buf;
}

void bench_ui(void) {
    printf("\n== lesson player (bench_ui) ==\n");
    static double ms[4096];
    ClError err;
    static Theme theme;
    theme_default_light(&theme);

    // in-process first frame: fonts + lessons + one draw (no data)
    double t0 = bench_now();
    if (draw_init_fonts(&err) != 0) { printf("  fonts: %s\n", err.msg); return; }
    ScreenContext ctx = {.lang = LANG_EN, .data_dir = "", .cifar_error = "no data", .theme_name = "light"};
    Screen *s = player_create_for(&ctx, "lessons/02_convolution.lesson", 1, &err);
    Canvas *c = canvas_create_offscreen(1280, 800, &theme, &err);
    if (!s || !c) { printf("  setup: %s\n", err.msg); return; }
    canvas_begin_frame(c);
    s->draw(s, c);
    printf("  %-48s %7.1f ms\n", "first frame offscreen (fonts, lessons, draw)", (bench_now() - t0) * 1000.0);
    s->destroy(s);

    // launch to first frame of the real window
    if (getenv("DISPLAY") && access(convlab_bin(), X_OK) == 0) {
        int n = 0;
        for (int i = 0; i < LAUNCH_RUNS; i++) {
            double t = launch_once();
            if (t >= 0) ms[n++] = t;
        }
        report("launch to first frame, window (no data)", ms, n);
    } else {
        printf("  %-48s skipped (no DISPLAY or ./convlab; run make bench under xvfb-run)\n", "launch to first frame, window");
    }

    // frame times, without and with CIFAR-10
    int n = frames(c, &ctx, ms, 4096, false);
    report("frame 1280x800 offscreen, no data", ms, n);
    report("  the same, CPU time of the drawing thread", CPU_MS, n);
    static Cifar cifar;
    bool have = cifar_load_test(&cifar, "data/cifar-10-batches-bin", 0, &err) == 0;
    if (have) {
        ScreenContext dctx = ctx;
        dctx.cifar = &cifar;
        dctx.cifar_error = "";
        n = frames(c, &dctx, ms, 4096, false);
        report("frame 1280x800 offscreen, CIFAR-10 steps", ms, n);
        report("  the same, CPU time of the drawing thread", CPU_MS, n);
    }
    canvas_free(c);
    printf("  (wall times include waiting for the CPU when other processes run; load average %s)\n", load_average());
    if (getenv("DISPLAY") && SDL_InitSubSystem(SDL_INIT_VIDEO) == 0) {
        SDL_Window *w = SDL_CreateWindow("convlab bench", 0, 0, 1280, 800, SDL_WINDOW_HIDDEN);
        Canvas *wc = w ? canvas_create_window(w, &theme, &err) : NULL;
        if (wc) {
            ScreenContext wctx = ctx;
            if (have) { wctx.cifar = &cifar; wctx.cifar_error = ""; }
            n = frames(wc, &wctx, ms, 4096, true);
            report("frame 1280x800 window renderer (draw+present)", ms, n);
            canvas_free(wc);
        }
        if (w) SDL_DestroyWindow(w);
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
    }
    if (have) cifar_free(&cifar);
}
