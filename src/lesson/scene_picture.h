/* Scene kind "picture" (lesson 11): how the student's own picture becomes
 * the network's 32x32 input, and what the network looked at. Without a
 * loaded picture the step's CIFAR `image` stands in (its conversion is the
 * identity, and the view says how to bring a picture).
 *   focus = original | square | pixels | numbers | saliency | gradcam
 *   weights = init [seed N] | checkpoint PATH     (for saliency and Grad-CAM)
 */
#ifndef CONVLAB_SCENE_PICTURE_H
#define CONVLAB_SCENE_PICTURE_H

#include "engine/explain.h"
#include "engine/picture.h"
#include "lesson/netlesson.h"

typedef enum { PICFOCUS_ORIGINAL, PICFOCUS_SQUARE, PICFOCUS_PIXELS, PICFOCUS_NUMBERS, PICFOCUS_SALIENCY,
               PICFOCUS_GRADCAM } PictureFocus;

#define PICTURE_NUMBERS_SIDE 6   // the patch of normalised numbers shown (centre of the 32x32)

typedef struct {
    Picture pic;                 // the student's picture, or the CIFAR image converted (identity)
    bool own;                    // pic is the student's picture
    PictureFocus focus;
    int numbers_x, numbers_y;    // top-left of the numbers patch in the 32x32
    bool have_explanation;       // saliency/gradcam focus: ex is filled
    Explanation ex;
    WeightsInfo weights;
} PictureScene;

#endif
