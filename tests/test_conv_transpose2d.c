/* Tests of src/engine/conv_transpose2d.c: every PyTorch fixture convt_* (forward,
 * all gradients, accumulation), PyTorch's rejections convt_invalid_*, the identity
 * "input-backward of a Conv2d = ConvTranspose2d with the same weight", exact
 * values on a hand-computed grid, and finite-difference checks of the backward.
 * Fixtures come from tests/gen_convtranspose_fixtures.py.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/conv2d.h"
#include "engine/conv_transpose2d.h"
#include "testutil.h"

#define ATOL 1e-5f
#define RTOL 1e-4f

static double max_abs_diff(const float *a, const float *b, long n) {
    double m = 0;
    for (long i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

static ConvTranspose2dConfig config_from_meta(const StFile *f) {
    ConvTranspose2dConfig c = conv_transpose2d_config(fixture_meta_int(f, "in_channels"), fixture_meta_int(f, "out_channels"),
                                                      fixture_meta_int(f, "kernel_h"), fixture_meta_int(f, "kernel_w"));
    c.stride_h = fixture_meta_int(f, "stride_h"), c.stride_w = fixture_meta_int(f, "stride_w");
    c.pad_h = fixture_meta_int(f, "pad_h"), c.pad_w = fixture_meta_int(f, "pad_w");
    c.out_pad_h = fixture_meta_int(f, "out_pad_h"), c.out_pad_w = fixture_meta_int(f, "out_pad_w");
    c.dilation_h = fixture_meta_int(f, "dilation_h"), c.dilation_w = fixture_meta_int(f, "dilation_w");
    c.groups = fixture_meta_int(f, "groups");
    c.has_bias = fixture_meta_int(f, "bias") != 0;
    return c;
}

// Compares got with want, records the worst |error| and reports which tensor differs.
static void expect_close(const char *fx, const char *what, const float *got, const float *want, long n, double *worst) {
    char label[256];
    snprintf(label, sizeof label, "%s %s", fx, what);
    cr_expect(allclose(got, want, n, ATOL, RTOL, label), "%s differs from PyTorch", label);
    *worst = fmax(*worst, max_abs_diff(got, want, n));
}

// One fixture: forward, backward, a second backward that must double every gradient.
static void check_fixture(const char *name, double worst[4]) {
    StFile f;
    fixture_open(&f, name);
    ConvTranspose2dConfig c = config_from_meta(&f);
    ClError err = {0};
    int N = fixture_meta_int(&f, "N"), H = fixture_meta_int(&f, "H"), W = fixture_meta_int(&f, "W"), OH, OW;
    cr_assert_eq(conv_transpose2d_output_size(&c, H, W, &OH, &OW, &err), 0, "%s: %s", name, err.msg);
    cr_assert(OH == fixture_meta_int(&f, "OH") && OW == fixture_meta_int(&f, "OW"), "%s: output %d x %d, PyTorch %d x %d",
              name, OH, OW, fixture_meta_int(&f, "OH"), fixture_meta_int(&f, "OW"));
    int64_t nx, nw, nout, nb = 0;
    const float *x = fixture_f32(&f, "x", &nx), *w = fixture_f32(&f, "weight", &nw);
    const float *want_out = fixture_f32(&f, "out", &nout), *dout = fixture_f32(&f, "dout", NULL);
    const float *want_dx = fixture_f32(&f, "dx", NULL), *want_dw = fixture_f32(&f, "dweight", NULL);
    const float *b = c.has_bias ? fixture_f32(&f, "bias", &nb) : NULL;
    const float *want_db = c.has_bias ? fixture_f32(&f, "dbias", NULL) : NULL;
    cr_assert_eq(nw, conv_transpose2d_param_count(&c) - nb, "%s: weight size", name);
    cr_assert_eq(nout, (int64_t)N * c.out_channels * OH * OW, "%s: out size", name);

    float *out = malloc(sizeof(float) * (size_t)nout);
    conv_transpose2d_forward(out, x, w, b, &c, N, H, W);
    expect_close(name, "out", out, want_out, nout, &worst[0]);
    float *dx = calloc((size_t)nx, sizeof(float)), *dw = calloc((size_t)nw, sizeof(float));
    float *db = calloc((size_t)nb + 1, sizeof(float));
    conv_transpose2d_backward(dx, dw, c.has_bias ? db : NULL, dout, x, w, &c, N, H, W);
    expect_close(name, "dx", dx, want_dx, nx, &worst[1]);
    expect_close(name, "dweight", dw, want_dw, nw, &worst[2]);
    if (c.has_bias) expect_close(name, "dbias", db, want_db, nb, &worst[3]);

    conv_transpose2d_backward(dx, dw, NULL, dout, x, w, &c, N, H, W);
    for (long i = 0; i < nx; i++) dx[i] *= 0.5f;
    for (long i = 0; i < nw; i++) dw[i] *= 0.5f;
    double ignore = 0;
    expect_close(name, "dx accumulated/2", dx, want_dx, nx, &ignore);
    expect_close(name, "dweight accumulated/2", dw, want_dw, nw, &ignore);
    free(out), free(dx), free(dw), free(db);
    st_free(&f);
}

Test(conv_transpose2d, pytorch_fixtures) {
    char **names;
    int n = fixture_list("convt_", &names);
    double worst[4] = {0};
    int valid = 0;
    for (int i = 0; i < n; i++) {
        bool config_case = strncmp(names[i], "convt_invalid_", 14) != 0 && strncmp(names[i], "convt_lesson1", 13) != 0;
        if (config_case) check_fixture(names[i], worst), valid++;
        free(names[i]);
    }
    free(names);
    cr_assert_geq(valid, 15, "expected the convt_* fixtures (run tests/gen_convtranspose_fixtures.py), found %d", valid);
    cr_log_info("conv_transpose2d: %d PyTorch fixtures, max |err| out %.3g dx %.3g dweight %.3g dbias %.3g", valid,
                worst[0], worst[1], worst[2], worst[3]);
}

Test(conv_transpose2d, rejects_what_pytorch_rejects) {
    char **names;
    int n = fixture_list("convt_invalid_", &names);
    cr_assert_geq(n, 12, "expected the convt_invalid_* fixtures, found %d", n);
    for (int i = 0; i < n; i++) {
        StFile f;
        fixture_open(&f, names[i]);
        ConvTranspose2dConfig c = config_from_meta(&f);
        ClError err = {0};
        int OH = -7, OW = -7;
        int rc = conv_transpose2d_output_size(&c, fixture_meta_int(&f, "H"), fixture_meta_int(&f, "W"), &OH, &OW, &err);
        const char *key = fixture_meta_str(&f, "key_phrase", "?");
        cr_expect_eq(rc, -1, "%s: accepted, but PyTorch says \"%s\"", names[i], fixture_meta_str(&f, "torch_error", "?"));
        cr_expect(strstr(err.msg, key) != NULL, "%s: message \"%s\" lacks PyTorch's phrase \"%s\"", names[i], err.msg, key);
        cr_expect(strchr(err.msg, '\n') == NULL, "%s: message is not one line", names[i]);
        st_free(&f);
        free(names[i]);
    }
    free(names);
}

// conv2d_backward's din for a Conv2d(C_in -> C_out, k, s, p, d, g) equals
// ConvTranspose2d(C_out -> C_in, same k, s, p, d, g) of dout with the same weight
// tensor (C_out, C_in/g, kH, kW), output_padding chosen to give back H x W.
static void check_backward_is_transpose(int IC, int OC, int H, int W, int k, int s, int p, int d, int g) {
    Conv2dConfig cc = conv2d_config(IC, OC, k, k);
    cc.stride_h = cc.stride_w = s, cc.dilation_h = cc.dilation_w = d, cc.groups = g, cc.has_bias = false;
    conv2d_set_padding(&cc, p, p);
    int OH, OW;
    cr_assert_eq(conv2d_output_size(&cc, H, W, &OH, &OW, NULL), 0);
    ConvTranspose2dConfig tc = conv_transpose2d_config(OC, IC, k, k);
    tc.stride_h = tc.stride_w = s, tc.pad_h = tc.pad_w = p, tc.dilation_h = tc.dilation_w = d, tc.groups = g;
    tc.has_bias = false;
    // the rows the strided conv never reached come back as output_padding
    tc.out_pad_h = H - ((OH - 1) * s - 2 * p + d * (k - 1) + 1);
    tc.out_pad_w = W - ((OW - 1) * s - 2 * p + d * (k - 1) + 1);
    int TH, TW;
    ClError err = {0};
    cr_assert_eq(conv_transpose2d_output_size(&tc, OH, OW, &TH, &TW, &err), 0, "%s", err.msg);
    cr_assert(TH == H && TW == W, "transpose gives %d x %d, want %d x %d", TH, TW, H, W);
    long nin = (long)IC * H * W, nout = (long)OC * OH * OW, nw = (long)OC * (IC / g) * k * k;
    float *x = test_rand_buf(nin, 1.0f), *w = test_rand_buf(nw, 1.0f), *gout = test_rand_buf(nout, 1.0f);
    float *din = calloc((size_t)nin, sizeof(float)), *t = malloc(sizeof(float) * (size_t)nin);
    conv2d_backward(din, NULL, NULL, gout, x, w, &cc, 1, H, W);
    conv_transpose2d_forward(t, gout, w, NULL, &tc, 1, OH, OW);
    cr_expect(allclose(t, din, nin, ATOL, RTOL, "transpose vs conv2d din"), "k%d s%d p%d d%d g%d", k, s, p, d, g);
    free(x), free(w), free(gout), free(din), free(t);
}

Test(conv_transpose2d, is_the_input_backward_of_conv2d) {
    check_backward_is_transpose(1, 1, 5, 5, 3, 1, 0, 1, 1);
    check_backward_is_transpose(2, 3, 7, 6, 3, 2, 1, 1, 1);
    check_backward_is_transpose(4, 2, 8, 9, 2, 3, 1, 2, 2);
}

// A 2x2 input, 2x2 kernel of 1,10,100,1000, stride 2: four disjoint scaled copies.
Test(conv_transpose2d, exact_stride2_scatter) {
    float in[4] = {1, 2, 3, 4}, w[4] = {1, 10, 100, 1000}, out[16];
    ConvTranspose2dConfig c = conv_transpose2d_config(1, 1, 2, 2);
    c.stride_h = c.stride_w = 2, c.has_bias = false;
    int OH, OW;
    cr_assert_eq(conv_transpose2d_output_size(&c, 2, 2, &OH, &OW, NULL), 0);
    cr_assert(OH == 4 && OW == 4);
    conv_transpose2d_forward(out, in, w, NULL, &c, 1, 2, 2);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++) {
            float want = in[(y / 2) * 2 + x / 2] * w[(y % 2) * 2 + x % 2];
            cr_expect_float_eq(out[y * 4 + x], want, 0, "out[%d,%d] = %g, want %g", y, x, out[y * 4 + x], want);
        }
    // stride 1 overlaps: the centre of a 3x3 output sums all four copies' taps
    c.stride_h = c.stride_w = 1;
    cr_assert_eq(conv_transpose2d_output_size(&c, 2, 2, &OH, &OW, NULL), 0);
    cr_assert(OH == 3 && OW == 3);
    conv_transpose2d_forward(out, in, w, NULL, &c, 1, 2, 2);
    cr_expect_float_eq(out[4], 1 * 1000 + 2 * 100 + 3 * 10 + 4 * 1, 0, "centre %g", out[4]);
}

typedef struct {
    ConvTranspose2dConfig c;
    int N, H, W;
} TConvCase;

static void tconv_case_forward(const void *op, float *out, const float *x, const float *w, const float *b) {
    const TConvCase *k = op;
    conv_transpose2d_forward(out, x, w, b, &k->c, k->N, k->H, k->W);
}
static void tconv_case_backward(const void *op, float *dx, float *dw, float *db, const float *dout, const float *x,
                                const float *w) {
    const TConvCase *k = op;
    conv_transpose2d_backward(dx, dw, db, dout, x, w, &k->c, k->N, k->H, k->W);
}

static void fd_check(ConvTranspose2dConfig c, int N, int H, int W) {
    TConvCase k = {c, N, H, W};
    int OH, OW;
    ClError err = {0};
    cr_assert_eq(conv_transpose2d_output_size(&c, H, W, &OH, &OW, &err), 0, "%s", err.msg);
    long nb = c.has_bias ? c.out_channels : 0;
    LayerFd l = {tconv_case_forward, tconv_case_backward, &k, (long)N * c.in_channels * H * W,
                 conv_transpose2d_param_count(&c) - nb, nb, (long)N * c.out_channels * OH * OW};
    char what[96];
    snprintf(what, sizeof what, "conv_transpose2d k%dx%d s%d p%d op%d d%d g%d", c.kernel_h, c.kernel_w, c.stride_h,
             c.pad_h, c.out_pad_h, c.dilation_h, c.groups);
    double e[3];
    layer_fd_check(&l, what, e);
    cr_log_info("%s FD: dx %.2g dw %.2g db %.2g", what, e[0], e[1], e[2]);
}

Test(conv_transpose2d, finite_differences) {
    fd_check(conv_transpose2d_config(2, 3, 3, 3), 2, 3, 4);
    ConvTranspose2dConfig s = conv_transpose2d_config(2, 2, 3, 2);
    s.stride_h = 2, s.stride_w = 3, s.pad_h = 1, s.pad_w = 0, s.out_pad_h = 1, s.out_pad_w = 2;
    fd_check(s, 1, 3, 3);
    ConvTranspose2dConfig g = conv_transpose2d_config(4, 2, 2, 3);
    g.groups = 2, g.dilation_h = 2, g.dilation_w = 1, g.pad_h = 1, g.has_bias = false;
    fd_check(g, 2, 3, 3);
}
