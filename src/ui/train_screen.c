/* The training screen: a Screen (screen.h) that owns a TrainSession and draws
 * the dashboard from its snapshots. Keys: T start/pause, R reset, S save,
 * O open (the autosave first, if an earlier session left one), G log scale, Z loss curve full screen, and the settings keys (Tab L M B A E D U K W [ ] , ., Shift goes
 * back) that change the next run while training is stopped; Backspace goes
 * back to the lessons. Esc while a run exists asks first (Esc or Q quits), and
 * every way of quitting saves the run to the autosave (session/autosave.h). Clicking a confusion cell lists its test images;
 * clicking a picture shows its feature maps. The UI polls the session ~10
 * times a second and redraws only when a new snapshot arrived (the trainer
 * publishes at most ~4 a second plus log points), so nothing flickers.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/autosave.h"
#include "session/train_session.h"
#include "engine/paths.h"
#include "lesson/scene.h"
#include "ui/dashboard.h"
#include "ui/screen.h"

#define POLL_SECONDS 0.1

typedef struct {
    ScreenContext *ctx;       // not owned
    Cifar cifar;              // owned: training and test sets
    bool have_data;
    TrainSession *session;    // NULL without data
    const TrainSnapshot *snap;// the session's front buffer (valid until the next poll)
    TrainSnapshot empty;      // shown without a session
    uint64_t drawn_version;   // last snapshot version drawn
    DashboardView view;
    char status[1200];        // this screen's own message (no data, bad setting)
    char checkpoint[512];     // S saves here, O loads from here
    int edit_layer;           // the hidden layer W selected for width/kernel edits, or -1
    char autosave[512];       // quitting with a run saves it here (session/autosave.h)
    int speed_index;          // into TS_SPEED_STEPS: 0 full speed, higher slower (- / +)
    bool offer_autosave;      // an autosave from an earlier session exists: O loads it (once)
    char notice[700];         // a non-error line from this screen (the autosave offer)
    bool dirty;
} TrainScreen;

/* ==== settings ============================================================= */

static const float LR_STEPS[] = {0.0001f, 0.0003f, 0.001f, 0.003f, 0.01f, 0.03f, 0.1f};
static const float MOMENTUM_STEPS[] = {0.0f, 0.5f, 0.9f, 0.95f, 0.99f};
static const int BATCH_STEPS[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};

// The index of the preset nearest to v, moved by dir and wrapped.
static int step_float(const float *steps, int n, float v, int dir) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (fabsf(logf(steps[i] + 1e-6f) - logf(v + 1e-6f)) < fabsf(logf(steps[best] + 1e-6f) - logf(v + 1e-6f))) best = i;
    return ((best + dir) % n + n) % n;
}

// The next (dir 1) or previous net file of assets/nets/ after the current one
// ("" = CNNNet, which is assets/nets/cnnnet.net).
#define MAX_NETS 64
static void cycle_net(TrainConfig *c, int dir) {
    static char nets[MAX_NETS][256];
    int n = paths_list_resources(nets, MAX_NETS, "assets/nets", ".net");
    if (n == 0) return;
    char cur[64], name[64];
    netfile_model_name(cur, sizeof cur, c->net_file);
    int at = -1;
    for (int i = 0; i < n; i++) {
        netfile_model_name(name, sizeof name, nets[i]);
        if (strcmp(name, cur) == 0) at = i;
    }
    int next = at < 0 ? 0 : ((at + dir) % n + n) % n;
    snprintf(c->net_file, sizeof c->net_file, "%s", nets[next]);
}

// The settings keys (letters; SDL keycodes of letters are their ASCII codes), as change_setting handles them.
#define SETTING_KEYS "\tlmbaedukw[],."
static bool is_setting_key(SDL_Keycode k) { return k > 0 && k < 128 && strchr(SETTING_KEYS, (int)k) != NULL; }

// The next run's network as a spec: the edited text, else the file, else CNNNet.
static int settings_spec(const TrainConfig *c, NetSpec *spec, ClError *err) {
    char path[1024];
    const char *file = c->net_file;
    if (!file[0]) {
        if (paths_find_resource(path, sizeof path, NET_DEFAULT_FILE) != 0) return cl_fail(err, "%s not found", NET_DEFAULT_FILE);
        file = path;
    }
    if (c->net_text[0]) return netfile_parse(spec, file, c->net_text, c->batch_size, err);
    return netfile_load(spec, file, c->batch_size, err);
}

// W (Shift: back) selects the next hidden Conv2d or Linear; [ ] halve or
// double its width, , . make a Conv2d's kernel 2 smaller or larger. The
// edited net becomes the next run's; an impossible choice shows PyTorch's error.
static void edit_net(TrainScreen *t, SDL_Keycode k, int dir) {
    TrainConfig *c = &t->view.settings;
    static NetSpec spec;
    ClError err = {{0}};
    if (settings_spec(c, &spec, &err) != 0) { snprintf(t->status, sizeof t->status, "%s", err.msg); return; }
    int n = spec.n_layers, i = t->edit_layer;
    if (k == SDLK_w || !netfile_layer_is_hidden(&spec, i)) {
        for (int step = 0; step < n; step++) {
            i = ((i + (k == SDLK_w ? dir : 1)) % n + n) % n;
            if (netfile_layer_is_hidden(&spec, i)) break;
        }
        t->edit_layer = netfile_layer_is_hidden(&spec, i) ? i : -1;
        if (k == SDLK_w || t->edit_layer < 0) return;
    }
    LayerSpec *l = &spec.layers[i];
    int width = l->kind == LAYER_CONV2D ? l->out_channels : l->out_features;
    int rc;
    if (k == SDLK_LEFTBRACKET || k == SDLK_RIGHTBRACKET)
        rc = netfile_set_width(&spec, i, k == SDLK_RIGHTBRACKET ? width * 2 : (width + 1) / 2, &err);
    else if (l->kind != LAYER_CONV2D)
        rc = cl_fail(&err, "%s is a Linear: only a Conv2d has a kernel_size", l->name);
    else
        rc = netfile_set_kernel(&spec, i, l->kernel[0] + (k == SDLK_PERIOD ? 2 : -2), &err);
    if (rc != 0 || netfile_format_text(c->net_text, sizeof c->net_text, &spec) < 0) {
        snprintf(t->status, sizeof t->status, "%s", rc != 0 ? err.msg : "this net is too large to edit here");
        return;
    }
    char count[32];
    fmt_thousands(count, sizeof count, spec.n_params);
    snprintf(c->net_note, sizeof c->net_note, "(%s params)", count);
}

// The hint line of the net editing keys, from the next run's network.
static void describe_net_edit(TrainScreen *t) {
    static NetSpec spec;
    ClError err;
    t->view.net_edit[0] = 0;
    if (settings_spec(&t->view.settings, &spec, &err) != 0) return;
    int i = t->edit_layer;
    if (!netfile_layer_is_hidden(&spec, i)) {
        char count[32];
        fmt_thousands(count, sizeof count, spec.n_params);
        snprintf(t->view.net_edit, sizeof t->view.net_edit, "W edit a layer   %s parameters", count);
        return;
    }
    const LayerSpec *l = &spec.layers[i];
    char kernel[48] = "";
    if (l->kind == LAYER_CONV2D) snprintf(kernel, sizeof kernel, "   , . kernel %d", l->kernel[0]);
    char count[32];
    fmt_thousands(count, sizeof count, spec.n_params);
    snprintf(t->view.net_edit, sizeof t->view.net_edit, "W %s   [ ] width %d%s   %s parameters", l->name,
             l->kind == LAYER_CONV2D ? l->out_channels : l->out_features, kernel, count);
}

// Changes one setting of the next run (only while stopped). Returns false if the key is not a setting.
static bool change_setting(TrainScreen *t, SDL_Keycode k, bool back) {
    TrainConfig *c = &t->view.settings;
    int dir = back ? -1 : 1;
    switch (k) {
    case SDLK_l: c->optim.lr = LR_STEPS[step_float(LR_STEPS, 7, c->optim.lr, dir)]; break;
    case SDLK_m: c->optim.momentum = MOMENTUM_STEPS[step_float(MOMENTUM_STEPS, 5, c->optim.momentum, dir)]; break;
    case SDLK_b: {
        int i = 0;
        while (i < 8 && BATCH_STEPS[i] < c->batch_size) i++;
        c->batch_size = BATCH_STEPS[((i + dir) % 9 + 9) % 9];
        break;
    }
    case SDLK_a: {
        float lr = c->optim.lr, mom = c->optim.momentum;
        c->optim = optimizer_default_config(c->optim.kind == OPTIM_SGD ? OPTIM_ADAM : OPTIM_SGD);
        c->optim.lr = lr;
        c->optim.momentum = mom;
        break;
    }
    case SDLK_e: c->epochs = c->epochs + dir < 1 ? 1 : c->epochs + dir > 50 ? 50 : c->epochs + dir; break;
    case SDLK_d: c->seed = back && c->seed == 0 ? 0 : c->seed + (uint64_t)(int64_t)dir; break;
    case SDLK_u: c->relu_logits = !c->relu_logits; break;
    case SDLK_k: c->tutorial_break = !c->tutorial_break; break;
    case SDLK_TAB:
        cycle_net(c, dir);
        c->net_text[0] = c->net_note[0] = 0;
        t->edit_layer = -1;
        break;
    case SDLK_w: case SDLK_LEFTBRACKET: case SDLK_RIGHTBRACKET: case SDLK_COMMA: case SDLK_PERIOD:
        edit_net(t, k, dir);
        break;
    default: return false;
    }
    describe_net_edit(t);
    return true;
}

// Applies staged settings as a new run if they differ from the current one.
static void apply_settings(TrainScreen *t) {
    TrainConfig cur = train_session_config(t->session);
    t->view.settings.threads = cur.threads;
    t->view.settings.log_every = train_session_log_every(t->view.settings.batch_size);
    t->view.settings.shuffle = cur.shuffle;
    if (train_config_same_run(&cur, &t->view.settings)) return;
    ClError err;
    if (train_session_set_config(t->session, &t->view.settings, &err) != 0) {
        snprintf(t->status, sizeof t->status, "%s", err.msg);
        t->view.settings = cur;
    }
}

/* ==== narration: slow motion and single step ============================== */

// - / + change the speed (full, then slower down to 1 mini-batch a second);
// N runs one mini-batch and pauses, showing lesson 9's five lines with its numbers.
static bool handle_narration_key(TrainScreen *t, SDL_Keycode k, bool running) {
    bool slower = k == SDLK_MINUS || k == SDLK_KP_MINUS;
    bool faster = k == SDLK_PLUS || k == SDLK_EQUALS || k == SDLK_KP_PLUS;
    if (slower || faster) {
        t->speed_index += slower ? 1 : -1;
        if (t->speed_index < 0) t->speed_index = 0;
        if (t->speed_index >= TS_SPEEDS) t->speed_index = TS_SPEEDS - 1;
        train_session_set_speed(t->session, TS_SPEED_STEPS[t->speed_index]);
        t->view.show_step = t->speed_index > 0 || t->view.show_step;
        t->dirty = true;
        return true;
    }
    if (k == SDLK_n) {
        if (running) {
            snprintf(t->status, sizeof t->status, "%s",
                     t->ctx->lang == LANG_ZH ? "正在训练：按 T 暂停，再按 N 运行一个小批量"
                                             : "training is running: T pauses, then N runs one mini-batch");
        } else {
            apply_settings(t);
            train_session_step_once(t->session);
            t->view.show_step = true;
        }
        t->dirty = true;
        return true;
    }
    return false;
}

/* ==== Screen callbacks ===================================================== */

// Esc leaves fullscreen first (app/window.c does that when the key is not taken).
static bool fullscreen(const SDL_KeyboardEvent *key) {
    SDL_Window *w = SDL_GetWindowFromID(key->windowID);
    return w && (SDL_GetWindowFlags(w) & (SDL_WINDOW_FULLSCREEN | SDL_WINDOW_FULLSCREEN_DESKTOP));
}

static ScreenAction handle_key(TrainScreen *t, const SDL_KeyboardEvent *key) {
    SDL_Keycode k = key->keysym.sym;
    bool shift = key->keysym.mod & KMOD_SHIFT;
    if (k == SDLK_BACKSPACE) return SCREEN_SHOW_LESSONS;
    if (t->view.confirm_quit) {  // the question on screen: Esc or Q quits (and saves), anything else stays
        t->view.confirm_quit = false;
        t->dirty = true;
        return k == SDLK_ESCAPE || k == SDLK_q ? SCREEN_QUIT : SCREEN_HANDLED;
    }
    bool help_key = k == SDLK_F1 || k == SDLK_SLASH || k == SDLK_QUESTION;
    if (help_key || (t->view.show_help && k == SDLK_ESCAPE)) {  // F1 / ? toggle the keys; Esc closes them
        t->view.show_help = help_key && !t->view.show_help;
        t->dirty = true;
        return SCREEN_HANDLED;
    }
    if (k == SDLK_ESCAPE && t->view.cell_truth >= 0) {
        t->view.cell_truth = t->view.cell_pred = -1;
        t->dirty = true;
        return SCREEN_HANDLED;
    }
    if (k == SDLK_ESCAPE && t->session && t->snap->step > 0 && !fullscreen(key)) {
        t->view.confirm_quit = true;  // a run exists: ask before quitting
        t->dirty = true;
        return SCREEN_HANDLED;
    }
    if (k == SDLK_g) { t->view.log_scale = !t->view.log_scale; t->dirty = true; return SCREEN_HANDLED; }
    if (k == SDLK_c) { t->view.zoom_confusion = !t->view.zoom_confusion; t->dirty = true; return SCREEN_HANDLED; }
    if (k == SDLK_x) { t->view.x_images = !t->view.x_images; t->dirty = true; return SCREEN_HANDLED; }
    if (k == SDLK_z) { t->view.zoom_loss = !t->view.zoom_loss; t->dirty = true; return SCREEN_HANDLED; }
    if (k == SDLK_PAGEDOWN || k == SDLK_PAGEUP) {
        if (t->view.cell_truth >= 0) {
            t->view.cell_page += k == SDLK_PAGEDOWN ? 1 : -1;
            if (t->view.cell_page < 0) t->view.cell_page = 0;
            t->dirty = true;
        }
        return SCREEN_HANDLED;
    }
    if (!t->session) return k == SDLK_t || k == SDLK_r ? SCREEN_HANDLED : SCREEN_UNHANDLED;
    bool running = train_session_running(t->session);
    t->status[0] = 0;
    if (handle_narration_key(t, k, running)) return SCREEN_HANDLED;
    switch (k) {
    case SDLK_t:
        if (!running) apply_settings(t);
        if (!running && t->speed_index == 0) t->view.show_step = false;  // full speed: the matrix and maps return
        train_session_toggle(t->session);
        t->view.settings_locked = !running;
        t->dirty = true;
        return SCREEN_HANDLED;
    case SDLK_r:
        if (running) train_session_pause(t->session);
        t->view.settings_locked = false;
        if (!running) {
            TrainConfig cur = train_session_config(t->session);
            t->view.settings.threads = cur.threads, t->view.settings.log_every = train_session_log_every(t->view.settings.batch_size);
            t->view.settings.shuffle = cur.shuffle;
            if (!train_config_same_run(&cur, &t->view.settings)) { apply_settings(t); return SCREEN_HANDLED; }
        }
        train_session_reset(t->session);
        return SCREEN_HANDLED;
    case SDLK_s: train_session_save(t->session, t->checkpoint); return SCREEN_HANDLED;
    case SDLK_o:
        train_session_load(t->session, t->offer_autosave ? t->autosave : t->checkpoint);
        t->offer_autosave = false;
        t->notice[0] = 0;
        t->view.settings_locked = false;
        return SCREEN_HANDLED;
    default: break;
    }
    if (is_setting_key(k)) {
        if (running) {
            snprintf(t->status, sizeof t->status, "%s",
                     t->ctx->lang == LANG_ZH ? "正在训练：先按 T 暂停，再改设置" : "training is running: press T to pause before changing settings");
        } else {
            change_setting(t, k, shift);
        }
        t->dirty = true;
        return SCREEN_HANDLED;
    }
    return SCREEN_UNHANDLED;
}

static ScreenAction train_handle_event(Screen *s, const SDL_Event *ev, Canvas *c) {
    TrainScreen *t = s->self;
    if (ev->type == SDL_KEYDOWN) return handle_key(t, &ev->key);
    if (ev->type == SDL_MOUSEBUTTONDOWN && ev->button.button == SDL_BUTTON_LEFT) {
        float x, y;
        canvas_window_to_logical(c, ev->button.x, ev->button.y, &x, &y);
        DashboardHit h = dashboard_hit(c, t->snap, &t->view, x, y);
        if (h.kind == HIT_CONFUSION_CELL) {
            bool same = h.truth == t->view.cell_truth && h.pred == t->view.cell_pred;
            t->view.cell_truth = same ? -1 : h.truth;
            t->view.cell_pred = same ? -1 : h.pred;
            t->view.cell_page = 0;
            t->dirty = true;
        } else if (h.kind == HIT_PREDICTION && t->session) {
            train_session_choose_image(t->session, h.test_index);
        } else if (h.kind == HIT_CELL_IMAGE && t->session) {
            int want = h.test_index, n = want + 1;
            int *idx = cl_malloc(sizeof(int) * (size_t)n);
            if (idx && dashboard_cell_images(t->snap, &t->cifar, t->view.cell_truth, t->view.cell_pred, idx, n) > want)
                train_session_choose_image(t->session, idx[want]);
            free(idx);
        }
        return SCREEN_HANDLED;
    }
    return SCREEN_UNHANDLED;
}

static bool train_update(Screen *s, double now, double *wake_after) {
    TrainScreen *t = s->self;
    (void)now;
    *wake_after = t->session ? POLL_SECONDS : -1;
    if (t->session) {
        t->snap = train_session_snapshot(t->session);
        if (t->snap->version != t->drawn_version) t->dirty = true;
        bool running = t->snap->state == TS_RUNNING;
        if (t->view.settings_locked != running) { t->view.settings_locked = running; t->dirty = true; }
    }
    t->view.autosave_offer = t->offer_autosave ? t->notice : NULL;  // what the next draw shows
    t->view.autosave_path = t->autosave;
    bool redraw = t->dirty;
    return redraw;
}

static void train_draw(Screen *s, Canvas *c) {
    TrainScreen *t = s->self;
    t->view.status = t->status;
    t->view.lang = t->ctx->lang;  // follows the language chosen in the lessons
    dashboard_draw(c, t->snap, &t->view, t->have_data ? &t->cifar : NULL, NULL);
    t->drawn_version = t->snap->version;
    t->dirty = false;
}

static void train_title(Screen *s, char *buf, int n) {
    TrainScreen *t = s->self;
    const TrainSnapshot *p = t->snap;
    static const char *const STATE[] = {"ready", "training", "paused", "finished", "error"};
    // a loaded run says which file its weights came from ("loaded convlab-autosave.safetensors")
    const char *label = p->n_runs > 0 ? p->runs[p->n_runs - 1].label : "";
    bool loaded = strncmp(label, "loaded ", 7) == 0;
    snprintf(buf, (size_t)n, "convlab — Training%s%s · epoch %d/%d · step %ld/%ld · %s", loaded ? " · " : "",
             loaded ? label : "", p->epoch, p->config.epochs, p->step, p->total_steps, STATE[p->state]);
}

static void train_activate(Screen *s, double now) {
    TrainScreen *t = s->self;
    (void)now;
    // the student's picture, as the lessons last showed it, goes into "Inside the network"
    if (t->session) train_session_set_picture(t->session, t->ctx->use_picture ? t->ctx->picture : NULL);
    t->dirty = true;
}

// Quitting (Esc confirmed, Q, closing the window, SIGTERM: every way ends
// here): a run that took a step is saved first, so no run is lost.
static void autosave_on_quit(TrainScreen *t) {
    if (!t->session) return;
    ClError err;
    long steps = 0;
    int rc = train_session_stop_and_save(t->session, t->autosave, &steps, &err);
    if (rc > 0)
        fprintf(stderr, "convlab: saved the run (%ld mini-batches) to %s; O on the training screen loads it\n", steps,
                t->autosave);
    else if (rc < 0)
        fprintf(stderr, "convlab: could not save the run on quit: %s\n", err.msg);
}

static void train_destroy(Screen *s) {
    TrainScreen *t = s->self;
    autosave_on_quit(t);
    train_session_destroy(t->session);  // stops and joins the training thread
    if (t->have_data) cifar_free(&t->cifar);
    train_snapshot_free(&t->empty);
    free(t);
    free(s);
}

// The status without data: in the window, that D downloads it (without a
// session D is not the seed key: the window gets it), and the reason unless it
// is only that the folder is not there.
static void describe_no_data(char *out, size_t n, const ScreenContext *ctx, const char *dir, const char *why) {
    bool zh = ctx->lang == LANG_ZH, missing = strstr(why, "no such directory") != NULL;
    if (!ctx->can_fetch) { snprintf(out, n, "no training data: %s", why); return; }
    snprintf(out, n, zh ? "还没有训练数据。按 D 立即下载 CIFAR-10（约 170 MB），保存到 %s。%s%s"
                        : "No training data yet. Press D to download CIFAR-10 now (about 170 MB) into %s.%s%s",
             dir, missing ? "" : "\n", missing ? "" : why);
}

Screen *train_screen_create(ScreenContext *ctx, ClError *err) {
    TrainScreen *t = cl_calloc(1, sizeof *t);
    t->ctx = ctx;
    dashboard_view_init(&t->view);
    t->view.settings = train_session_default_config();
    t->edit_layer = -1;
    if (ctx->net_file) snprintf(t->view.settings.net_file, sizeof t->view.settings.net_file, "%s", ctx->net_file);
    describe_net_edit(t);
    const char *ck = getenv("CONVLAB_CHECKPOINT");
    snprintf(t->checkpoint, sizeof t->checkpoint, "%s", ck && *ck ? ck : "convlab-checkpoint.safetensors");
    autosave_path(t->autosave, sizeof t->autosave);
    t->offer_autosave = autosave_exists(t->autosave);
    if (t->offer_autosave)
        snprintf(t->notice, sizeof t->notice, "%s", t->autosave);
    // The screen trains on the whole training set; the lessons only load the test set.
    ClError derr;
    const char *dir = ctx->data_dir ? ctx->data_dir : paths_data_dir(NULL);
    if (cifar_load(&t->cifar, dir, 0, 0, &derr) == 0) {
        t->have_data = true;
        t->session = train_session_create(&t->view.settings, &t->cifar, &derr);
        if (!t->session) snprintf(t->status, sizeof t->status, "%s", derr.msg);
    } else {
        describe_no_data(t->status, sizeof t->status, ctx, dir, derr.msg);
    }
    t->empty.config = t->view.settings;
    t->empty.epoch = 1;
    t->empty.running_train_acc = -1;
    t->empty.eta_s = -1;
    t->snap = t->session ? train_session_snapshot(t->session) : &t->empty;
    t->dirty = true;
    Screen *s = cl_calloc(1, sizeof *s);
    s->name = "training";
    s->self = t;
    s->handle_event = train_handle_event;
    s->update = train_update;
    s->draw = train_draw;
    s->title = train_title;
    s->activate = train_activate;
    s->destroy = train_destroy;
    (void)err;  // without data the screen still opens and says why
    return s;
}
