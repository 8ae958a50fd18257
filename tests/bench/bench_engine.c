/* `make bench`: the engine's throughput (issue 3). Trains CNNNet through the
 * Trainer (the path the CLI and the GUI use) at batch 4 and 64 with 1 and 2
 * threads, evaluates through evaluate(), and measures the peak memory of a
 * real `convlab --batch train` run. When /usr/bin/python3 has torch, runs
 * tests/bench/bench_torch.py as a child and alternates the two engines run by
 * run (the machine's load drifts), printing medians, spreads and ratios.
 * A measurement = whole steps until BENCH_SECONDS have passed. No pass/fail.
 */
#include "bench.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/cifar.h"
#include "engine/kernels.h"
#include "engine/trainer.h"

#define RUNS 5
#define BENCH_SECONDS 0.6
#define DATA_DIR "data/cifar-10-batches-bin"
#define TRAIN_IMAGES 10000
#define FLOP_PER_TRAIN_IMAGE 4.3e6   // 1.42 forward + ~2.9 backward (issue 3)
#define FLOP_PER_EVAL_IMAGE 1.42e6
#define PEAK_FLOPS_PER_CORE 150e9    // fp32 AVX-512, 2 FMA units (issue 3: ~300 GFLOP/s for 2 cores)

// ---- the PyTorch child ---------------------------------------------------------------

typedef struct {
    pid_t pid;
    FILE *to, *from;   // requests, answers
} Torch;

// Starts bench_torch.py; returns 0 if it answered "ready".
static int torch_start(Torch *t) {
    memset(t, 0, sizeof *t);
    if (access("/usr/bin/python3", X_OK) != 0) return -1;
    int req[2], ans[2];
    if (pipe(req) != 0) return -1;
    if (pipe(ans) != 0) { close(req[0]), close(req[1]); return -1; }
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(req[0], 0);
        dup2(ans[1], 1);
        close(req[0]), close(req[1]), close(ans[0]), close(ans[1]);
        if (!freopen("/dev/null", "w", stderr)) _exit(127);
        execl("/usr/bin/python3", "python3", "tests/bench/bench_torch.py", (char *)NULL);
        _exit(127);
    }
    close(req[0]), close(ans[1]);
    t->pid = pid;
    t->to = fdopen(req[1], "w");
    t->from = fdopen(ans[0], "r");
    char line[64];
    if (!t->to || !t->from || !fgets(line, sizeof line, t->from) || strncmp(line, "ready", 5) != 0) {
        if (t->to) fclose(t->to);
        if (t->from) fclose(t->from);
        waitpid(pid, NULL, 0);
        t->pid = 0;
        return -1;
    }
    return 0;
}

static double torch_rate_net(Torch *t, const char *kind, int batch, int threads, const char *net) {
    if (!t->pid) return 0;
    fprintf(t->to, "%s %d %d %.2f %s\n", kind, batch, threads, BENCH_SECONDS, net ? net : "");
    fflush(t->to);
    char line[64];
    if (!fgets(line, sizeof line, t->from)) return 0;
    return atof(line);
}

static double torch_rate(Torch *t, const char *kind, int batch, int threads) {
    return torch_rate_net(t, kind, batch, threads, NULL);
}

static void torch_stop(Torch *t) {
    if (!t->pid) return;
    fclose(t->to);  // EOF ends its loop
    fclose(t->from);
    waitpid(t->pid, NULL, 0);
    t->pid = 0;
}

// ---- our side -------------------------------------------------------------------------

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Whole training steps until BENCH_SECONDS have passed: images per second.
static double our_train_rate(Trainer *t) {
    int steps = 0;
    long images = 0;
    double t0 = bench_now(), elapsed;
    ClError err;
    do {
        float loss;
        if (trainer_step(t, &loss, &err) != 1) {
            fprintf(stderr, "bench_engine: training step failed: %s\n", err.msg);
            return 0;
        }
        images += t->last_batch_n;
        steps++;
        elapsed = bench_now() - t0;
    } while (elapsed < BENCH_SECONDS || steps < 2);
    return (double)images / elapsed;
}

// evaluate() over 1,000-image windows of the test set until BENCH_SECONDS have passed.
static double our_eval_rate(Net *net, const CifarSet *test) {
    long images = 0;
    int start = 0, windows = 0;
    double t0 = bench_now(), elapsed;
    do {
        int count = test->n - start < 1000 ? test->n - start : 1000;
        CifarSet window = {.n = count, .labels = test->labels + start, .pixels = test->pixels + (size_t)start * CIFAR_PIXELS};
        EvalResult r;
        evaluate(net, &window, 0, &r);
        images += r.n;
        start = start + count >= test->n ? 0 : start + count;
        windows++;
        elapsed = bench_now() - t0;
    } while (elapsed < BENCH_SECONDS || windows < 2);
    return (double)images / elapsed;
}

// ---- peak memory of a real run ------------------------------------------------------------

// Directory of this executable (build/<dir>/), where convlab is built too.
static void sibling_path(char *out, size_t size, const char *name) {
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) { snprintf(out, size, "./%s", name); return; }
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash) *slash = 0;
    snprintf(out, size, "%s/%s", self, name);
}

// Max resident set (MB) of `convlab --batch train` on the full data set:
// one mini-batch per epoch (--tutorial-break), then the 10,000-image test.
static double peak_memory_mb(const char *convlab, const char *batch_size, const char *threads) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(127);
        execl(convlab, "convlab", "--batch", "train", "--epochs", "1", "--tutorial-break", "--batch-size", batch_size,
              "--threads", threads, (char *)NULL);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
    return (double)ru.ru_maxrss / 1024.0;
}

// ---- the table ---------------------------------------------------------------------------------

static void print_row(const char *what, int threads, double *ours, double *theirs, bool have_torch, double flop) {
    double lo = ours[0], hi = ours[0];
    for (int i = 1; i < RUNS; i++) lo = ours[i] < lo ? ours[i] : lo, hi = ours[i] > hi ? ours[i] : hi;
    double m = median(ours, RUNS);
    printf("  %-22s %d   %8.0f  (%6.0f-%6.0f)  ", what, threads, m, lo, hi);
    if (flop > 0) printf("%5.1f%%", 100.0 * m * flop / (PEAK_FLOPS_PER_CORE * threads));
    else printf("%6s", "-"); // (FLOP counted for CNNNet only)
    if (have_torch) {
        double tlo = theirs[0], thi = theirs[0];
        for (int i = 1; i < RUNS; i++)
            tlo = theirs[i] < tlo ? theirs[i] : tlo, thi = theirs[i] > thi ? theirs[i] : thi;
        double tm = median(theirs, RUNS);
        printf("   %8.0f  (%6.0f-%6.0f)   %5.1fx", tm, tlo, thi, tm > 0 ? m / tm : 0.0);
    }
    printf("\n");
    fflush(stdout);
}

// One row per shipped net (assets/nets/): training at batch 4 on 2 threads
// against its PyTorch twin (convlab's own export of the file).
static void bench_nets(Torch *torch, const Cifar *data, bool have_torch) {
    static const char *const NETS[] = {"cnnnet", "pytorch_tutorial", "lenet5", "small_vgg", "dropout"};
    for (int k = 0; k < (int)(sizeof NETS / sizeof NETS[0]); k++) {
        TrainConfig c = train_config_default();
        c.threads = 2;
        c.epochs = 1000000;
        snprintf(c.net_file, sizeof c.net_file, "assets/nets/%s.net", NETS[k]);
        Trainer t;
        ClError err;
        if (trainer_init(&t, &c, &data->train, &err) != 0) {
            printf("  %s: %s\n", NETS[k], err.msg);
            continue;
        }
        double ours[RUNS], theirs[RUNS] = {0};
        for (int i = 0; i < 20; i++) trainer_step(&t, NULL, &err);  // warm-up
        torch_rate_net(torch, "train", 4, 2, NETS[k]);
        for (int r = 0; r < RUNS; r++) {
            ours[r] = our_train_rate(&t);
            theirs[r] = torch_rate_net(torch, "train", 4, 2, NETS[k]);
        }
        trainer_free(&t);
        char what[64];
        snprintf(what, sizeof what, "%.16s, batch 4", NETS[k]);
        print_row(what, 2, ours, theirs, have_torch, 0);
    }
}

void bench_engine(void) {
    printf("engine (issue 3): images/s, median of %d runs of %.1f s (min-max); %% of fp32 peak (%.0f GFLOP/s per core)\n",
           RUNS, BENCH_SECONDS, PEAK_FLOPS_PER_CORE / 1e9);
    signal(SIGPIPE, SIG_IGN);
    // Real CIFAR-10 if present, else random bytes of the same shape.
    Cifar data;
    memset(&data, 0, sizeof data);
    ClError err;
    struct stat st;
    bool real = stat(DATA_DIR, &st) == 0 && cifar_load(&data, DATA_DIR, TRAIN_IMAGES, 10000, &err) == 0;
    if (!real) {
        Rng rng;
        rng_seed(&rng, 1);
        CifarSet *sets[2] = {&data.train, &data.test};
        for (int s = 0; s < 2; s++) {
            sets[s]->n = s == 0 ? TRAIN_IMAGES : 10000;
            sets[s]->labels = cl_malloc((size_t)sets[s]->n);
            sets[s]->pixels = cl_malloc((size_t)sets[s]->n * CIFAR_PIXELS);
            for (long i = 0; i < sets[s]->n; i++) sets[s]->labels[i] = (uint8_t)(rng_next(&rng) % 10);
            for (long i = 0; i < (long)sets[s]->n * CIFAR_PIXELS; i++) sets[s]->pixels[i] = (uint8_t)rng_next(&rng);
        }
    }
    Torch torch;
    bool have_torch = torch_start(&torch) == 0;
    printf("  kernels: %s (CONVLAB_ISA=avx512|avx2|sse2|neon|scalar forces a tier)\n", kernels_name());
    printf("  data: %s; PyTorch: %s\n", real ? DATA_DIR : "random bytes (no " DATA_DIR ")",
           have_torch ? "/usr/bin/python3 tests/bench/bench_torch.py, alternating run by run" : "not available");
    printf("  %-22s %s   %-26s %6s", "workload", "T", "convlab images/s", "%peak");
    if (have_torch) printf("   %-26s %7s", "PyTorch images/s", "ratio");
    printf("\n");

    static const int batches[] = {4, 64}, thread_counts[] = {1, 2};
    for (int ti = 0; ti < 2; ti++)
        for (int bi = 0; bi < 2; bi++) {
            int batch = batches[bi], threads = thread_counts[ti];
            TrainConfig c = train_config_default();
            c.batch_size = batch;
            c.threads = threads;
            c.epochs = 1000000;
            Trainer t;
            if (trainer_init(&t, &c, &data.train, &err) != 0) {
                printf("  trainer_init failed: %s\n", err.msg);
                continue;
            }
            double ours[RUNS], theirs[RUNS] = {0};
            for (int i = 0; i < 20; i++) trainer_step(&t, NULL, &err);  // warm-up
            torch_rate(&torch, "train", batch, threads);
            for (int r = 0; r < RUNS; r++) {
                ours[r] = our_train_rate(&t);
                theirs[r] = torch_rate(&torch, "train", batch, threads);
            }
            trainer_free(&t);
            char what[64];
            snprintf(what, sizeof what, "train, batch %d", batch);
            print_row(what, threads, ours, theirs, have_torch, FLOP_PER_TRAIN_IMAGE);
        }
    bench_nets(&torch, &data, have_torch);
    for (int threads = 1; threads <= 2; threads++) {
        Net net;
        if (net_build_cnnnet(&net, false, 4, &err) != 0) continue;
        net_init_params(&net, 0);
        net_set_threads(&net, threads);
        double ours[RUNS], theirs[RUNS] = {0};
        our_eval_rate(&net, &data.test);
        if (threads == 2) torch_rate(&torch, "eval", 1000, threads);
        for (int r = 0; r < RUNS; r++) {
            ours[r] = our_eval_rate(&net, &data.test);
            if (threads == 2) theirs[r] = torch_rate(&torch, "eval", 1000, threads);
        }
        net_free(&net);
        print_row("eval, 10k test images", threads, ours, theirs, have_torch && threads == 2, FLOP_PER_EVAL_IMAGE);
    }
    torch_stop(&torch);
    if (have_torch)
        printf("  (PyTorch evaluates in batches of 1,000; convlab's evaluate() picks its own batch size)\n");
    cifar_free(&data);

    char convlab[4200];
    sibling_path(convlab, sizeof convlab, "convlab");
    if (stat(DATA_DIR "/data_batch_5.bin", &st) != 0 || access(convlab, X_OK) != 0) {
        printf("  peak memory: skipped (needs %s and %s)\n", DATA_DIR, convlab);
        return;
    }
    static const char *mem_runs[][2] = {{"4", "2"}, {"64", "2"}, {"4", "1"}};
    for (int i = 0; i < 3; i++) {
        double mb = peak_memory_mb(convlab, mem_runs[i][0], mem_runs[i][1]);
        printf("  peak memory of `convlab --batch train` (50k train + 10k test images, batch %s, %s thread%s): ",
               mem_runs[i][0], mem_runs[i][1], mem_runs[i][1][0] == '1' ? "" : "s");
        if (mb < 0) printf("run failed\n");
        else printf("%.0f MB (ru_maxrss)\n", mb);
    }
}
