/* Tensor volumes are drawn to scale (ui/widget_volume.c): volumes that share
 * a VolumeScale compare by drawn size the way their shapes do, channels are
 * slabs that follow the channel count, and everything fits the box given.
 */
#include <criterion/criterion.h>

#include "ui/widgets.h"

static VolumeSpec vol(int C, int H, int W, int pad) { return (VolumeSpec){.C = C, .H = H, .W = W, .pad = pad}; }

// Lesson 6: a 3x6x6 input and a 2x2x2 output; the output is smaller, one cell size for both.
Test(volume, smaller_shape_is_drawn_smaller_on_one_scale) {
    VolumeSpec in = vol(3, 6, 6, 0), out = vol(2, 2, 2, 0);
    const VolumeSpec *both[2] = {&in, &out};
    VolumeScale s = volume_scale_fit(both, 2, 460, 70, 380, 40, 12);
    float wi, hi, wo, ho;
    volume_extent(&in, s, &wi, &hi);
    volume_extent(&out, s, &wo, &ho);
    cr_assert_lt(wo, wi);
    cr_assert_lt(ho, hi);
    cr_assert_leq(wi + 70 + wo, 460 + 0.01f, "side by side they fit: %g", (double)(wi + 70 + wo));
    cr_assert_leq(hi, 380 + 0.01f);
    cr_assert_float_eq(s.slab, s.cell, 1e-4, "cells large enough: a channel is as deep as a cell");
    // the front faces differ exactly by the shapes: 6 cells against 2
    cr_assert_float_eq(wi - 3 * s.slab * VOLUME_DEPTH_DX, 3 * (wo - 2 * s.slab * VOLUME_DEPTH_DX), 1e-3);
}

// Lesson 5: 32x32 planes make thin cells; channels still get visible slabs, 1 vs 3 vs 4 deep.
Test(volume, channels_are_visible_slabs_that_follow_the_count) {
    VolumeSpec in = vol(3, 32, 32, 0), out1 = vol(1, 30, 30, 0), out4 = vol(4, 30, 30, 0);
    const VolumeSpec *pair[2] = {&in, &out4};
    VolumeScale s = volume_scale_fit(pair, 2, 640, 70, 500, 40, 22);
    cr_assert_geq(s.slab, 22 - 1e-4, "a channel is at least 22 px deep: %g", (double)s.slab);
    cr_assert_lt(s.cell, s.slab);
    float w1, w3, w4;
    volume_extent(&out1, s, &w1, NULL);
    volume_extent(&in, s, &w3, NULL);
    volume_extent(&out4, s, &w4, NULL);
    float d1 = w1 - 30 * s.cell, d3 = w3 - 32 * s.cell, d4 = w4 - 30 * s.cell; // drawn depth
    cr_assert_float_eq(d3, 3 * d1, 1e-3);
    cr_assert_float_eq(d4, 4 * d1, 1e-3);
    cr_assert_leq(w3 + 70 + w4, 640 + 0.01f);
}

// Padding rings are part of the drawn volume, at the same cell size.
Test(volume, padding_widens_the_volume_by_its_rings) {
    VolumeSpec a = vol(3, 6, 6, 0), b = vol(3, 6, 6, 2);
    VolumeScale s = {10, 10};
    float wa, wb;
    volume_extent(&a, s, &wa, NULL);
    volume_extent(&b, s, &wb, NULL);
    cr_assert_float_eq(wb - wa, 4 * 10, 1e-4);
}
