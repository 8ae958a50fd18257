/* Chinese explanations of the PyTorch errors the live parameters of the
 * lessons can raise (Conv2d, ConvTranspose2d, MaxPool2d/AvgPool2d), matched by
 * the words of PyTorch's message (the engine copies them, see
 * src/engine/conv2d.c, conv_transpose2d.c, pool2d.c).
 */
#include <stdio.h>
#include <string.h>

#include "ui/error_explain.h"

typedef struct {
    const char *op;      // the op's prefix in the message ("" = any)
    const char *words;   // words of PyTorch's message
    const char *zh;      // what it means and what to do
} ErrorRule;

static const ErrorRule RULES[] = {
    {"", "output padding must be smaller", "output_padding 必须小于 stride（或 dilation）：把 output_padding 调小，或把 stride 调大。"},
    {"", "lower the padding", "padding 把输出裁得一格都不剩了：把 padding 调小，或把 stride、kernel_size 调大。"},
    {"", "pad should be at most half of kernel size", "池化的 padding 最多是 kernel_size 的一半：把 padding 调小，或把 kernel_size 调大。"},
    {"", "Output size is too small", "窗口比（补零后的）输入还大，算出的输出尺寸小于 1：把 kernel_size 调小，或加一点 padding。"},
    {"", "too small", "窗口比（补零后的）输入还大，算出的输出尺寸小于 1：把 kernel_size 或 dilation 调小，或加一点 padding。"},
    {"", "divisible by groups", "通道数必须能被 groups 整除：换一个能整除 in_channels 和 out_channels 的 groups。"},
    {"", "kernel size should be greater than zero", "kernel_size 必须大于 0。"},
    {"", "stride should be greater than zero", "stride 必须大于 0。"},
    {"", "dilation should be greater than zero", "dilation 必须大于 0。"},
    {"AvgPool2d", "dilation must be 1", "nn.AvgPool2d 没有 dilation 参数：dilation 只能是 1。"},
    {"", "must be positive", "通道数和输入尺寸都必须是正数。"},
};

const char *explain_pytorch_error(Lang lang, const char *msg) {
    if (lang != LANG_ZH || !msg) return NULL;
    for (size_t i = 0; i < sizeof RULES / sizeof RULES[0]; i++)
        if (strstr(msg, RULES[i].op) && strstr(msg, RULES[i].words)) return RULES[i].zh;
    return NULL;
}

void format_pytorch_error(char *out, size_t cap, Lang lang, const char *msg) {
    const char *zh = explain_pytorch_error(lang, msg);
    if (zh)
        snprintf(out, cap, "**%s**\n\nPyTorch 原文：%s", zh, msg);
    else
        snprintf(out, cap, "%s", msg);
}
