/* Tests of src/engine/conv2d.c: every PyTorch fixture op_conv2d_* (forward, all
 * gradients, accumulation), PyTorch's rejections op_invalid_conv2d_*, exact values
 * on hand-computed grids, and finite-difference checks of the backward.
 * Fixtures come from tests/gen_op_fixtures.py.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/conv2d.h"
#include "testutil.h"

#define ATOL 1e-5f
#define RTOL 1e-4f

// ---- helpers --------------------------------------------------------------------


static double max_abs_diff(const float *a, const float *b, long n) {
    double m = 0;
    for (long i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

// Builds the config a fixture describes; padding is "same" or "ph,pw".
static Conv2dConfig config_from_meta(const StFile *f, ClError *err, int *rc) {
    Conv2dConfig c = conv2d_config(fixture_meta_int(f, "in_channels"), fixture_meta_int(f, "out_channels"),
                                   fixture_meta_int(f, "kernel_h"), fixture_meta_int(f, "kernel_w"));
    c.stride_h = fixture_meta_int(f, "stride_h");
    c.stride_w = fixture_meta_int(f, "stride_w");
    c.dilation_h = fixture_meta_int(f, "dilation_h");
    c.dilation_w = fixture_meta_int(f, "dilation_w");
    c.groups = fixture_meta_int(f, "groups");
    c.has_bias = st_meta(f, "bias") ? fixture_meta_int(f, "bias") != 0 : true;
    const char *pad = fixture_meta_str(f, "padding", "0,0");
    *rc = 0;
    if (strcmp(pad, "same") == 0) {
        *rc = conv2d_set_padding_same(&c, err);
    } else {
        int ph = 0, pw = 0;
        cr_assert(sscanf(pad, "%d,%d", &ph, &pw) == 2, "bad padding metadata \"%s\"", pad);
        conv2d_set_padding(&c, ph, pw);
    }
    return c;
}

// ---- PyTorch fixtures -------------------------------------------------------------

// One fixture: forward, then backward twice (the second pass must double every
// gradient, since backward accumulates), then backward with NULL outputs.
static void check_fixture(const char *name, double *worst) {
    StFile f;
    fixture_open(&f, name);
    ClError err = {0};
    int rc;
    Conv2dConfig c = config_from_meta(&f, &err, &rc);
    cr_assert_eq(rc, 0, "%s: %s", name, err.msg);
    cr_assert_eq(c.pad_top, fixture_meta_int(&f, "pad_top"), "%s: pad_top", name);
    cr_assert_eq(c.pad_bottom, fixture_meta_int(&f, "pad_bottom"), "%s: pad_bottom", name);
    cr_assert_eq(c.pad_left, fixture_meta_int(&f, "pad_left"), "%s: pad_left", name);
    cr_assert_eq(c.pad_right, fixture_meta_int(&f, "pad_right"), "%s: pad_right", name);
    int N = fixture_meta_int(&f, "N"), H = fixture_meta_int(&f, "H"), W = fixture_meta_int(&f, "W");
    int OH, OW;
    cr_assert_eq(conv2d_output_size(&c, H, W, &OH, &OW, &err), 0, "%s: %s", name, err.msg);
    cr_assert(OH == fixture_meta_int(&f, "OH") && OW == fixture_meta_int(&f, "OW"),
              "%s: output %d x %d, PyTorch %d x %d", name, OH, OW, fixture_meta_int(&f, "OH"), fixture_meta_int(&f, "OW"));

    int64_t nx, nw, nout, nb = 0;
    const float *x = fixture_f32(&f, "x", &nx);
    const float *w = fixture_f32(&f, "weight", &nw);
    const float *want_out = fixture_f32(&f, "out", &nout);
    const float *dout = fixture_f32(&f, "dout", NULL);
    const float *want_dx = fixture_f32(&f, "dx", NULL);
    const float *want_dw = fixture_f32(&f, "dweight", NULL);
    const float *b = c.has_bias ? fixture_f32(&f, "bias", &nb) : NULL;
    const float *want_db = c.has_bias ? fixture_f32(&f, "dbias", NULL) : NULL;
    cr_assert_eq(nx, (int64_t)N * c.in_channels * H * W, "%s: x size", name);
    cr_assert_eq(nout, (int64_t)N * c.out_channels * OH * OW, "%s: out size", name);
    cr_assert_eq(nw, conv2d_param_count(&c) - nb, "%s: weight size", name);

    float *out = malloc(sizeof(float) * (size_t)nout);
    conv2d_forward(out, x, w, b, &c, N, H, W);
    char what[256];
    snprintf(what, sizeof what, "%s out", name);
    cr_expect(allclose(out, want_out, nout, ATOL, RTOL, what), "%s: forward differs from PyTorch", name);
    worst[0] = fmax(worst[0], max_abs_diff(out, want_out, nout));

    float *dx = calloc((size_t)nx, sizeof(float)), *dw = calloc((size_t)nw, sizeof(float));
    float *db = calloc((size_t)nb + 1, sizeof(float));
    conv2d_backward(dx, dw, c.has_bias ? db : NULL, dout, x, w, &c, N, H, W);
    snprintf(what, sizeof what, "%s dx", name);
    cr_expect(allclose(dx, want_dx, nx, ATOL, RTOL, what), "%s: dx differs", name);
    snprintf(what, sizeof what, "%s dweight", name);
    cr_expect(allclose(dw, want_dw, nw, ATOL, RTOL, what), "%s: dweight differs", name);
    worst[1] = fmax(worst[1], max_abs_diff(dx, want_dx, nx));
    worst[2] = fmax(worst[2], max_abs_diff(dw, want_dw, nw));
    if (c.has_bias) {
        snprintf(what, sizeof what, "%s dbias", name);
        cr_expect(allclose(db, want_db, nb, ATOL, RTOL, what), "%s: dbias differs", name);
        worst[3] = fmax(worst[3], max_abs_diff(db, want_db, nb));
    }

    // Accumulation: a second pass adds the same gradient again.
    conv2d_backward(dx, dw, c.has_bias ? db : NULL, dout, x, w, &c, N, H, W);
    float *twice = malloc(sizeof(float) * (size_t)(nx > nw ? nx : nw));
    for (long i = 0; i < nx; i++) twice[i] = 2.0f * want_dx[i];
    snprintf(what, sizeof what, "%s dx accumulated", name);
    cr_expect(allclose(dx, twice, nx, 2 * ATOL, RTOL, what), "%s: backward does not accumulate into din", name);
    for (long i = 0; i < nw; i++) twice[i] = 2.0f * want_dw[i];
    snprintf(what, sizeof what, "%s dweight accumulated", name);
    cr_expect(allclose(dw, twice, nw, 2 * ATOL, RTOL, what), "%s: backward does not accumulate into dweight", name);

    // NULL outputs are skipped; the remaining one is still right.
    memset(dw, 0, sizeof(float) * (size_t)nw);
    conv2d_backward(NULL, dw, NULL, dout, x, w, &c, N, H, W);
    snprintf(what, sizeof what, "%s dweight alone", name);
    cr_expect(allclose(dw, want_dw, nw, ATOL, RTOL, what), "%s: dweight with din=NULL differs", name);

    free(out), free(dx), free(dw), free(db), free(twice);
    st_free(&f);
}

Test(conv2d, pytorch_fixtures) {
    char **names;
    int n = fixture_list("op_conv2d_", &names);
    cr_assert_geq(n, 20, "expected the op_conv2d_* fixtures (run tests/gen_op_fixtures.py), found %d", n);
    double worst[4] = {0};
    for (int i = 0; i < n; i++) {
        check_fixture(names[i], worst);
        free(names[i]);
    }
    free(names);
    cr_log_info("conv2d: %d PyTorch fixtures, max |err| out %.3g dx %.3g dweight %.3g dbias %.3g",
                n, worst[0], worst[1], worst[2], worst[3]);
}

Test(conv2d, rejects_what_pytorch_rejects) {
    char **names;
    int n = fixture_list("op_invalid_conv2d_", &names);
    cr_assert_geq(n, 10, "expected the op_invalid_conv2d_* fixtures, found %d", n);
    for (int i = 0; i < n; i++) {
        StFile f;
        fixture_open(&f, names[i]);
        ClError err = {0};
        int rc, OH = -7, OW = -7;
        Conv2dConfig c = config_from_meta(&f, &err, &rc);
        if (rc == 0) rc = conv2d_output_size(&c, fixture_meta_int(&f, "H"), fixture_meta_int(&f, "W"), &OH, &OW, &err);
        const char *key = fixture_meta_str(&f, "key_phrase", "?");
        cr_expect_eq(rc, -1, "%s: accepted, but PyTorch says \"%s\"", names[i], fixture_meta_str(&f, "torch_error", "?"));
        cr_expect(strstr(err.msg, key) != NULL, "%s: message \"%s\" lacks PyTorch's phrase \"%s\"", names[i], err.msg, key);
        cr_expect(strchr(err.msg, '\n') == NULL, "%s: message is not one line", names[i]);
        st_free(&f);
        free(names[i]);
    }
    free(names);
}

// ---- exact values -------------------------------------------------------------------

// in = 1..9 on a 3x3 grid, a 2x2 kernel of ones: each output is a window sum.
Test(conv2d, exact_window_sums) {
    float in[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 1, 1, 1}, b = 0.5f, out[16];
    Conv2dConfig c = conv2d_config(1, 1, 2, 2);
    conv2d_forward(out, in, w, &b, &c, 1, 3, 3);
    float want[4] = {12.5f, 16.5f, 24.5f, 28.5f};
    for (int i = 0; i < 4; i++) cr_expect_float_eq(out[i], want[i], 0, "out[%d] = %g, want %g", i, out[i], want[i]);

    // Padding 1 adds the zero border: the corners see only one input each.
    conv2d_set_padding(&c, 1, 1);
    int OH, OW;
    cr_assert_eq(conv2d_output_size(&c, 3, 3, &OH, &OW, NULL), 0);
    cr_assert(OH == 4 && OW == 4);
    conv2d_forward(out, in, w, NULL, &c, 1, 3, 3);
    float want_pad[16] = {1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9};
    for (int i = 0; i < 16; i++) cr_expect_float_eq(out[i], want_pad[i], 0, "padded out[%d] = %g, want %g", i, out[i], want_pad[i]);
}

// Stride 2 and dilation 2 on a 5x5 ramp: taps are picked by hand.
Test(conv2d, exact_stride_dilation) {
    float in[25], out[4];
    for (int i = 0; i < 25; i++) in[i] = (float)i;
    float w[4] = {1, 10, 100, 1000};   // a 2x2 kernel that encodes which tap read what
    Conv2dConfig c = conv2d_config(1, 1, 2, 2);
    c.dilation_h = c.dilation_w = 2;
    c.stride_h = c.stride_w = 2;
    int OH, OW;
    cr_assert_eq(conv2d_output_size(&c, 5, 5, &OH, &OW, NULL), 0);
    cr_assert(OH == 2 && OW == 2, "got %d x %d", OH, OW);
    conv2d_forward(out, in, w, NULL, &c, 1, 5, 5);
    // out[oy,ox] = in[2oy,2ox] + 10 in[2oy,2ox+2] + 100 in[2oy+2,2ox] + 1000 in[2oy+2,2ox+2]
    for (int oy = 0; oy < 2; oy++)
        for (int ox = 0; ox < 2; ox++) {
            int y = 2 * oy, x = 2 * ox;
            float want = in[y * 5 + x] + 10 * in[y * 5 + x + 2] + 100 * in[(y + 2) * 5 + x] + 1000 * in[(y + 2) * 5 + x + 2];
            cr_expect_float_eq(out[oy * 2 + ox], want, 0, "out[%d,%d] = %g, want %g", oy, ox, out[oy * 2 + ox], want);
        }
}

// Groups: output channel oc sees only the input channels of its group.
Test(conv2d, exact_groups) {
    // 4 input channels, each a constant plane of value 1, 2, 3, 4 (2x2 each); 1x1 kernels of ones.
    float in[16], w[4] = {1, 1, 1, 1}, out[8];
    for (int ch = 0; ch < 4; ch++)
        for (int i = 0; i < 4; i++) in[ch * 4 + i] = (float)(ch + 1);
    Conv2dConfig c = conv2d_config(4, 2, 1, 1);
    c.groups = 2;   // oc 0 <- ic 0,1 ; oc 1 <- ic 2,3
    conv2d_forward(out, in, w, NULL, &c, 1, 2, 2);
    for (int i = 0; i < 4; i++) {
        cr_expect_float_eq(out[i], 3.0f, 0, "group 0 out[%d] = %g", i, out[i]);
        cr_expect_float_eq(out[4 + i], 7.0f, 0, "group 1 out[%d] = %g", i, out[4 + i]);
    }
}

Test(conv2d, padding_same_and_counts) {
    ClError err = {0};
    Conv2dConfig c = conv2d_config(3, 8, 4, 5);
    cr_assert_eq(conv2d_set_padding_same(&c, &err), 0);
    cr_expect(c.pad_top == 1 && c.pad_bottom == 2 && c.pad_left == 2 && c.pad_right == 2,
              "k4x5 same: %d %d %d %d", c.pad_top, c.pad_bottom, c.pad_left, c.pad_right);
    c.dilation_h = 3;   // total 9: 4 top, 5 bottom
    cr_assert_eq(conv2d_set_padding_same(&c, &err), 0);
    cr_expect(c.pad_top == 4 && c.pad_bottom == 5, "k4 d3 same: %d %d", c.pad_top, c.pad_bottom);
    int OH, OW;
    cr_assert_eq(conv2d_output_size(&c, 7, 6, &OH, &OW, &err), 0, "%s", err.msg);
    cr_expect(OH == 7 && OW == 6, "same keeps the size, got %d x %d", OH, OW);
    c.stride_w = 2;
    cr_expect_eq(conv2d_set_padding_same(&c, &err), -1);
    cr_expect(strstr(err.msg, "padding='same' is not supported for strided convolutions") != NULL, "%s", err.msg);

    // CNNNet's layers (issue 2): 608 and 1,168 parameters.
    Conv2dConfig conv1 = conv2d_config(3, 8, 5, 5), conv2 = conv2d_config(8, 16, 3, 3);
    cr_expect_eq(conv2d_param_count(&conv1), 608);
    cr_expect_eq(conv2d_param_count(&conv2), 1168);
    Conv2dConfig g = conv2d_config(4, 6, 3, 3);
    g.groups = 2;
    g.has_bias = false;
    cr_expect_eq(conv2d_param_count(&g), 6 * 2 * 9);
}

// ---- finite differences ------------------------------------------------------------

typedef struct {
    Conv2dConfig c;
    int N, H, W;
} ConvCase;

static void conv_case_forward(const void *op, float *out, const float *x, const float *w, const float *b) {
    const ConvCase *k = op;
    conv2d_forward(out, x, w, b, &k->c, k->N, k->H, k->W);
}
static void conv_case_backward(const void *op, float *dx, float *dw, float *db, const float *dout, const float *x,
                               const float *w) {
    const ConvCase *k = op;
    conv2d_backward(dx, dw, db, dout, x, w, &k->c, k->N, k->H, k->W);
}

static void fd_check(Conv2dConfig c, int N, int H, int W) {
    ConvCase k = {c, N, H, W};
    int OH, OW;
    ClError err = {0};
    cr_assert_eq(conv2d_output_size(&c, H, W, &OH, &OW, &err), 0, "%s", err.msg);
    long nb = c.has_bias ? c.out_channels : 0;
    LayerFd l = {conv_case_forward, conv_case_backward, &k, (long)N * c.in_channels * H * W,
                 conv2d_param_count(&c) - nb, nb, (long)N * c.out_channels * OH * OW};
    char what[96];
    snprintf(what, sizeof what, "k %dx%d s %d d %d g %d", c.kernel_h, c.kernel_w, c.stride_h, c.dilation_h, c.groups);
    double e[3];
    layer_fd_check(&l, what, e);
}

Test(conv2d, finite_differences) {
    Conv2dConfig a = conv2d_config(2, 3, 3, 3);
    fd_check(a, 2, 5, 6);

    Conv2dConfig strided = conv2d_config(3, 2, 3, 2);
    strided.stride_h = 2, strided.stride_w = 3;
    conv2d_set_padding(&strided, 1, 2);
    fd_check(strided, 1, 7, 8);

    Conv2dConfig grouped = conv2d_config(4, 6, 3, 3);
    grouped.groups = 2, grouped.dilation_h = 2, grouped.dilation_w = 1;
    conv2d_set_padding(&grouped, 2, 1);
    fd_check(grouped, 2, 6, 5);

    Conv2dConfig depthwise = conv2d_config(3, 3, 2, 2);
    depthwise.groups = 3, depthwise.has_bias = false;
    cr_assert_eq(conv2d_set_padding_same(&depthwise, NULL), 0);
    fd_check(depthwise, 1, 4, 5);
}
