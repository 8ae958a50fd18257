/* Scene kind "picture" (scene_picture.h): the conversion's numbers come from
 * engine/picture.c, the explanation from engine/explain.c on the chosen net
 * (scene_build_net: CNNNet unless --net FILE; Grad-CAM at its last Conv2d)
 * with the step's weights.
 */
#include "lesson/scene_picture.h"
#include "lesson/scene_facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const PICTURE_KEYS[] = {"focus", "weights", NULL};
static const char *const FOCUS_NAMES[] = {"original", "square", "pixels", "numbers", "saliency", "gradcam", NULL};

// The picture to show: the student's, else the step's CIFAR image as a Picture.
static int load_shown_picture(PictureScene *e, Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env,
                              ClError *err) {
    if (scene_load_image(sc, l, st, env, err) != 0) return -1;
    if (sc->image_index == SCENE_PICTURE_INDEX) {
        e->pic = *env->picture;
        e->own = true;
        return 0;
    }
    if (sc->image_index < 0) {
        if (sc->needs_data) return 0;
        return cl_fail(err, "%s:%d: scene 'picture' needs 'image = N' or 'image = class:NAME' for when no picture is loaded",
                       l->path, st->line);
    }
    if (picture_from_pixels(&e->pic, sc->image_rgb, 32, 32, 96, PIXELS_RGB, err) != 0) return -1;
    snprintf(e->pic.name, sizeof e->pic.name, "%s #%d", sc->class_name, sc->image_index);
    return 0;
}

static int explain_picture(PictureScene *e, const SceneEnv *env, const Lesson *l, const LessonStep *st, ClError *err) {
    Net net;
    if (scene_build_net(&net, env, 1, err) != 0) return -1;
    int rc = netlesson_weights(&net, l, st, &e->weights, err);
    if (rc == 0) rc = net_explain(&e->ex, &net, e->pic.input, -1, err);
    net_free(&net);
    e->have_explanation = rc == 0;
    return rc;
}

// {cam_layer}, {cam_maps}, {cam_map} for the texts: the chosen net's last Conv2d, where
// Grad-CAM looks (net_explain picks the same layer), known without data or a picture.
static int record_facts(Scene *sc, const SceneEnv *env, ClError *err) {
    Net net;
    if (scene_build_net(&net, env, 1, err) != 0) return -1;
    const Layer *last = NULL;
    for (int i = 0; i < net.n_layers; i++)
        if (net.layers[i].kind == LAYER_CONV2D) last = &net.layers[i];
    if (last) {
        scene_fact(sc, "cam_layer", "%s", last->name);
        scene_fact(sc, "cam_maps", "%d", last->out_c);
        scene_fact(sc, "cam_map", "%d\xC3\x97%d", last->out_h, last->out_w);
    }
    net_free(&net);
    return 0;
}

static int picture_compute(Scene *sc, const Lesson *l, const LessonStep *st, const SceneEnv *env, ClError *err) {
    PictureScene *e = cl_calloc(1, sizeof *e);
    sc->ext = e;
    sc->ext_free = free;
    int focus;
    if (lesson_get_choice(l, st, "focus", FOCUS_NAMES, 0, &focus, err) != 0) return -1;
    e->focus = (PictureFocus)focus;
    if (record_facts(sc, env, err) != 0 || load_shown_picture(e, sc, l, st, env, err) != 0) return -1;
    if (sc->needs_data) return 0;
    // the numbers: the red channel, normalised, of an 8x8 patch at the centre
    e->numbers_x = e->numbers_y = (PICTURE_SIDE - PICTURE_NUMBERS_SIDE) / 2;
    sc->input = grid_alloc(PICTURE_NUMBERS_SIDE, PICTURE_NUMBERS_SIDE);
    for (int y = 0; y < PICTURE_NUMBERS_SIDE; y++)
        for (int x = 0; x < PICTURE_NUMBERS_SIDE; x++)
            sc->input.v[y * PICTURE_NUMBERS_SIDE + x] = e->pic.input[(e->numbers_y + y) * PICTURE_SIDE + e->numbers_x + x];
    sc->normalized = true;
    sc->crop_x = e->numbers_x, sc->crop_y = e->numbers_y;
    snprintf(sc->input_name, sizeof sc->input_name, "red channel");
    if (e->focus >= PICFOCUS_SALIENCY && explain_picture(e, env, l, st, err) != 0) return -1;
    return 0;
}

static float max_of(const float *v, int n) {
    float m = 0;
    for (int i = 0; i < n; i++) m = v[i] > m ? v[i] : m;
    return m;
}

static void picture_dump(const Scene *sc, FILE *f) {
    const PictureScene *e = sc->ext;
    if (!e || sc->needs_data) return;
    const Picture *p = &e->pic;
    fprintf(f, "picture %s %dx%d own %d focus %s\n", p->name, p->src_w, p->src_h, e->own, FOCUS_NAMES[e->focus]);
    fprintf(f, "crop %d %d %d upscaled %d exact %d\n", p->crop_x, p->crop_y, p->crop_side, p->upscaled, p->exact_blocks);
    grid_dump("red channel normalized", &sc->input, f);
    if (e->have_explanation) {
        fprintf(f, "top %s %.4f saliency_max %.6g gradcam_max %.6g layer %s\n", CIFAR_TUTORIAL_CLASSES[e->ex.target],
                e->ex.probs[e->ex.target], max_of(e->ex.saliency, 1024), max_of(e->ex.gradcam, 1024), e->ex.cam_layer);
    }
}

static const SceneKind SCENE_PICTURE = {.name = "picture", .keys = PICTURE_KEYS, .compute = picture_compute, .dump = picture_dump};
SCENE_KIND_REGISTER(SCENE_PICTURE)
