/* The Chinese line above a PyTorch error: every error the lessons' live
 * parameters can raise has one, built from the engine's own messages.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/conv_transpose2d.h"
#include "ui/error_explain.h"

// The engine's message for a ConvTranspose2d setting (NULL when it is valid).
static const char *transpose_error(ClError *err, int padding, int output_padding) {
    ConvTranspose2dConfig c = {.in_channels = 1, .out_channels = 1, .kernel_h = 3, .kernel_w = 3, .stride_h = 2,
                               .stride_w = 2, .pad_h = padding, .pad_w = padding, .out_pad_h = output_padding,
                               .out_pad_w = output_padding, .dilation_h = 1, .dilation_w = 1, .groups = 1};
    int oh, ow;
    return conv_transpose2d_output_size(&c, 3, 3, &oh, &ow, err) == 0 ? NULL : err->msg;
}

Test(error_explain, transpose_errors_have_their_own_chinese_line) {
    ClError e1 = {0}, e2 = {0};
    const char *op = transpose_error(&e1, 1, 2), *crop = transpose_error(&e2, 4, 1);
    cr_assert(op && crop, "both settings must fail");
    const char *a = explain_pytorch_error(LANG_ZH, op), *b = explain_pytorch_error(LANG_ZH, crop);
    cr_assert(a && strstr(a, "output_padding"), "%s -> %s", op, a ? a : "(none)");
    cr_assert(b && strstr(b, "padding") && a != b, "%s -> %s", crop, b ? b : "(none)");
}

Test(error_explain, english_shows_pytorch_alone) {
    char out[256];
    format_pytorch_error(out, sizeof out, LANG_EN, "output padding must be smaller than either stride or dilation");
    cr_assert_str_eq(out, "output padding must be smaller than either stride or dilation");
    cr_assert_null(explain_pytorch_error(LANG_ZH, "something no rule knows"));
    format_pytorch_error(out, sizeof out, LANG_ZH, "output padding must be smaller than either stride or dilation");
    cr_assert(strstr(out, "PyTorch 原文：output padding"), "%s", out);
}
