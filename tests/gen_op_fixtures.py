"""PyTorch reference fixtures for the engine's ops (conv2d, max/avg/global max
pooling, ReLU, Linear, cross-entropy): tests/fixtures/op_<kind>_<name>.safetensors.

Run from the repo root with Debian's torch:  /usr/bin/python3 tests/gen_op_fixtures.py
Each fixture holds the inputs, parameters, outputs (indices as I64), a random
dout and the gradients of (out * dout).sum(); its configuration is in the
__metadata__ (strings). References are computed in float64 from float32 inputs,
so they measure only convlab's float32 rounding. Invalid configurations become
op_invalid_<kind>_<name> fixtures holding PyTorch's error text and a key phrase
of it that convlab's message must contain. Read by tests/test_{conv2d,pool2d,layers}.c.
"""
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_fixture  # noqa: E402
from st_fixture import f32, pair, report_written, torch_error  # noqa: E402

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
warnings.filterwarnings("ignore")
written = []


def distinct_values(shape, gap=0.02):
    """Values with pairwise gaps >= gap (a shuffled, centred ladder): no ties
    in max pooling and room for finite-difference steps."""
    n = int(np.prod(shape))
    ladder = (torch.randperm(n).double() - n / 2) * gap
    return f32(ladder.view(shape))


def save(kind, name, tensors, meta):
    """Writes the tensors widest dtype first (I64, then F32, then U8) so that each
    one starts at an offset aligned to its element size: C reads them in place."""
    path = os.path.join(OUT_DIR, f"op_{kind}_{name}.safetensors")
    tensors = dict(sorted(tensors.items(), key=lambda kv: -kv[1].element_size()))
    st_fixture.save(path, tensors, {k: str(v) for k, v in meta.items()})
    written.append(path)


# ---- conv2d ---------------------------------------------------------------------

def conv_case(name, N, IC, OC, H, W, k, stride=1, padding=0, dilation=1, groups=1, bias=True):
    kh, kw = pair(k)
    sh, sw = pair(stride)
    dh, dw = pair(dilation)
    m = nn.Conv2d(IC, OC, (kh, kw), stride=(sh, sw), padding=padding, dilation=(dh, dw), groups=groups, bias=bias).double()
    with torch.no_grad():
        m.weight.copy_(f32(m.weight))
        if bias:
            m.bias.copy_(f32(m.bias))
    x = f32(torch.randn(N, IC, H, W, dtype=torch.float64)).requires_grad_()
    out = m(x)
    dout = f32(torch.randn_like(out))
    (out * dout).sum().backward()
    if padding == "same":
        th, tw = dh * (kh - 1), dw * (kw - 1)
        pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
        pad_str = "same"
    else:
        ph, pw = pair(padding)
        pads = (ph, ph, pw, pw)
        pad_str = f"{ph},{pw}"
    tensors = {"x": x, "weight": m.weight, "out": out, "dout": dout, "dx": x.grad, "dweight": m.weight.grad}
    if bias:
        tensors.update(bias=m.bias, dbias=m.bias.grad)
    save("conv2d", name, tensors, dict(
        N=N, in_channels=IC, out_channels=OC, H=H, W=W, kernel_h=kh, kernel_w=kw, stride_h=sh, stride_w=sw,
        padding=pad_str, pad_top=pads[0], pad_bottom=pads[1], pad_left=pads[2], pad_right=pads[3],
        dilation_h=dh, dilation_w=dw, groups=groups, bias=int(bias), OH=out.shape[2], OW=out.shape[3]))


def conv_fixtures():
    torch.manual_seed(1000)   # one seed per kind: adding a case never changes another kind's data
    conv_case("basic_k3", 1, 3, 4, 5, 5, 3)
    conv_case("stride2_pad1", 2, 3, 4, 7, 7, 3, stride=2, padding=1)
    conv_case("stride3_pad2", 1, 2, 3, 8, 9, 3, stride=3, padding=2)
    conv_case("stride2_drops_edge", 1, 2, 2, 6, 6, 3, stride=2)          # last row/col never read
    conv_case("nonsquare_k2x3", 2, 2, 3, 6, 7, (2, 3), stride=(1, 2), padding=(1, 0))
    conv_case("nonsquare_k3x1_s3x1", 1, 3, 2, 9, 5, (3, 1), stride=(3, 1), padding=(0, 2))
    conv_case("dilation2_pad2", 1, 2, 3, 9, 8, 3, dilation=2, padding=2)
    conv_case("dilation1x2_stride2x1", 2, 2, 2, 7, 9, 3, stride=(2, 1), dilation=(1, 2), padding=1)
    conv_case("groups2", 1, 4, 6, 6, 5, 3, padding=1, groups=2)
    conv_case("depthwise", 2, 3, 3, 5, 6, 3, padding=1, groups=3)
    conv_case("depthwise_mult2", 1, 3, 6, 6, 6, 3, stride=2, padding=1, groups=3)
    conv_case("groups2_s2_d2_p2_nobias", 2, 4, 4, 9, 8, 3, stride=2, padding=2, dilation=2, groups=2, bias=False)
    conv_case("nobias_s2", 1, 3, 4, 7, 6, 3, stride=2, bias=False)
    conv_case("same_k3", 1, 3, 4, 6, 5, 3, padding="same")
    conv_case("same_k4_even", 1, 2, 3, 6, 7, 4, padding="same")           # total 3: 1 top, 2 bottom
    conv_case("same_k2_even", 2, 2, 2, 5, 5, 2, padding="same")           # total 1: all bottom/right
    conv_case("same_k4x2", 1, 2, 2, 7, 6, (4, 2), padding="same")
    conv_case("same_k2x3_dil2", 1, 2, 3, 6, 6, (2, 3), padding="same", dilation=2)
    conv_case("same_k4_dil3_groups2", 1, 4, 2, 9, 9, 4, padding="same", dilation=3, groups=2)
    conv_case("kernel1x1_s2", 2, 4, 3, 5, 6, 1, stride=2)
    conv_case("kernel_equals_input", 2, 3, 4, 4, 5, (4, 5))
    conv_case("cnnnet_conv1_like", 3, 3, 8, 10, 10, 5)
    conv_case("cnnnet_conv2_like", 1, 8, 16, 6, 6, 3)
    conv_case("batch3_odd", 3, 1, 2, 5, 3, 2, stride=1, padding=2)
    conv_case("k1_pad2_border_is_bias", 1, 2, 3, 3, 4, 1, padding=2)        # pure-padding outputs = bias
    conv_case("s3_d2_p2_k3x2", 2, 3, 2, 8, 7, (3, 2), stride=3, padding=(2, 1), dilation=2)


# ---- pooling --------------------------------------------------------------------

def pool_meta(N, C, H, W, k, stride, padding, dilation, ceil_mode, out):
    kh, kw = pair(k)
    sh, sw = pair(stride if stride is not None else k)
    ph, pw = pair(padding)
    dh, dw = pair(dilation)
    return dict(N=N, C=C, H=H, W=W, kernel_h=kh, kernel_w=kw, stride_h=sh, stride_w=sw, pad_h=ph, pad_w=pw,
                dilation_h=dh, dilation_w=dw, ceil_mode=int(ceil_mode), OH=out.shape[2], OW=out.shape[3])


def ceil_drops(H, k, s, p, d):
    """True when ceil_mode's start-inside rule removes a window on this axis."""
    naive = -(-(H + 2 * p - d * (k - 1) - 1) // s) + 1
    return (naive - 1) * s >= H + p


def maxpool_case(name, N, C, H, W, k, stride=None, padding=0, dilation=1, ceil_mode=False, negative=False,
                 expect_drop=False):
    x = distinct_values((N, C, H, W))
    if negative:
        x = x - x.max() - 1.0    # all < 0: the -inf padding must never win
    x.requires_grad_()
    out, idx = F.max_pool2d(x, k, stride, padding, dilation, ceil_mode=ceil_mode, return_indices=True)
    dout = f32(torch.randn_like(out))
    (out * dout).sum().backward()
    meta = pool_meta(N, C, H, W, k, stride, padding, dilation, ceil_mode, out)
    drops = ceil_mode and (ceil_drops(H, meta["kernel_h"], meta["stride_h"], meta["pad_h"], meta["dilation_h"]) or
                           ceil_drops(W, meta["kernel_w"], meta["stride_w"], meta["pad_w"], meta["dilation_w"]))
    assert drops == expect_drop, f"maxpool {name}: ceil drop is {drops}, expected {expect_drop}"
    meta["ceil_drops_last"] = int(drops)
    save("maxpool", name, {"indices": idx, "x": x, "out": out, "dout": dout, "dx": x.grad}, meta)


def maxpool_fixtures():
    torch.manual_seed(1001)   # one seed per kind: adding a case never changes another kind's data
    maxpool_case("k2_cnnnet", 2, 3, 6, 6, 2)
    maxpool_case("k3_s2_p1", 1, 2, 7, 7, 3, 2, 1)
    maxpool_case("k3_s2_p1_ceil", 2, 2, 6, 6, 3, 2, 1, ceil_mode=True)
    maxpool_case("k2_ceil_odd", 1, 2, 5, 5, 2, ceil_mode=True)
    maxpool_case("k2_floor_odd", 1, 2, 5, 5, 2, ceil_mode=False)
    maxpool_case("k3_s3_p1_ceil_drops", 1, 2, 5, 5, 3, 3, 1, ceil_mode=True, expect_drop=True)
    maxpool_case("k2_s2_p1_ceil_drops", 1, 1, 5, 5, 2, 2, 1, ceil_mode=True, expect_drop=True)
    maxpool_case("k4_s3_p2_ceil_drops_h_only", 1, 2, 7, 6, 4, 3, 2, ceil_mode=True, expect_drop=True)
    maxpool_case("dil2_k3_s1_p1", 1, 2, 7, 6, 3, 1, 1, dilation=2)
    maxpool_case("dil2_k2_s2_ceil", 2, 1, 7, 7, 2, 2, 0, dilation=2, ceil_mode=True)
    maxpool_case("dil2x1_k3_s2_p1_ceil", 1, 2, 8, 7, 3, 2, 1, dilation=(2, 1), ceil_mode=True)
    maxpool_case("nonsquare_k2x3_s1x2_p1", 1, 2, 5, 7, (2, 3), (1, 2), 1)
    maxpool_case("k2_s3_skips", 1, 2, 8, 8, 2, 3)
    maxpool_case("k3_s1_overlap", 2, 2, 5, 6, 3, 1)
    maxpool_case("negative_pad1", 1, 2, 5, 5, 3, 2, 1, negative=True)
    maxpool_case("negative_pad1_ceil", 1, 2, 6, 6, 2, 2, 1, negative=True, ceil_mode=True)
    maxpool_case("k1", 1, 2, 3, 4, 1)
    maxpool_case("k3_s2_floor_even", 1, 1, 8, 8, 3, 2)
    maxpool_case("k3_s2_ceil_even", 1, 1, 8, 8, 3, 2, ceil_mode=True)
    maxpool_case("k2x4_p1x2_half_kernel_pad", 1, 2, 6, 7, (2, 4), 1, (1, 2))   # pad == k/2 per axis is allowed
    maxpool_case("tiny_2x1_k3_p1", 2, 1, 2, 1, 3, 1, 1)                         # input smaller than the kernel


def avgpool_case(name, N, C, H, W, k, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    x = f32(torch.randn(N, C, H, W, dtype=torch.float64)).requires_grad_()
    out = F.avg_pool2d(x, k, stride, padding, ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    dout = f32(torch.randn_like(out))
    (out * dout).sum().backward()
    meta = pool_meta(N, C, H, W, k, stride, padding, 1, ceil_mode, out)
    meta["count_include_pad"] = int(count_include_pad)
    save("avgpool", name, {"x": x, "out": out, "dout": dout, "dx": x.grad}, meta)


def avgpool_fixtures():
    torch.manual_seed(1002)   # one seed per kind: adding a case never changes another kind's data
    shapes = [
        ("k2_cnnnet", 2, 2, 6, 6, 2, None, 0),
        ("k3_s2_p1", 1, 2, 7, 7, 3, 2, 1),
        ("k3_s2_p1_even", 1, 2, 6, 6, 3, 2, 1),     # ceil adds a window clipped at H + p
        ("k2_odd", 1, 2, 5, 5, 2, None, 0),         # ceil adds a window past the input
        ("k3_s3_p1", 1, 1, 5, 5, 3, 3, 1),          # ceil's drop rule
        ("k3x2_s2x1_p1x0", 2, 1, 5, 6, (3, 2), (2, 1), (1, 0)),
        ("k3_s1_p1", 1, 2, 5, 4, 3, 1, 1),
        ("k4_s3_p2", 1, 1, 7, 8, 4, 3, 2),
    ]
    for (name, N, C, H, W, k, s, p) in shapes:
        for ceil_mode in (False, True):
            for cip in (True, False):
                suffix = ("_ceil" if ceil_mode else "_floor") + ("_cip" if cip else "_nocip")
                avgpool_case(name + suffix, N, C, H, W, k, s, p, ceil_mode, cip)
    avgpool_case("k4x2_p2x1_half_kernel_pad", 1, 2, 6, 7, (4, 2), 1, (2, 1), False, False)
    for cip in (True, False):
        avgpool_case("tiny_1x2_k3_p1" + ("_cip" if cip else "_nocip"), 1, 2, 1, 2, 3, 1, 1, True, cip)


def globalmax_fixtures():
    torch.manual_seed(1003)   # one seed per kind: adding a case never changes another kind's data
    for name, (N, C, H, W), negative in [("n2_c3_5x4", (2, 3, 5, 4), False), ("n1_c4_7x3_negative", (1, 4, 7, 3), True),
                                         ("n3_c2_1x1", (3, 2, 1, 1), False), ("n1_c2_1x6", (1, 2, 1, 6), False)]:
        x = distinct_values((N, C, H, W))
        if negative:
            x = x - x.max() - 1.0
        x.requires_grad_()
        out, idx = F.adaptive_max_pool2d(x, 1, return_indices=True)
        dout = f32(torch.randn_like(out))
        (out * dout).sum().backward()
        save("globalmax", name, {"indices": idx, "x": x, "out": out, "dout": dout, "dx": x.grad},
             dict(N=N, C=C, H=H, W=W))


# ---- ReLU, Linear, cross-entropy -------------------------------------------------

def relu_fixtures():
    torch.manual_seed(1004)   # one seed per kind: adding a case never changes another kind's data
    for name, shape in [("nchw_2x3x4x5", (2, 3, 4, 5)), ("vec7", (7,)), ("mat4x9", (4, 9))]:
        v = torch.randn(shape, dtype=torch.float64)
        x = f32(torch.sign(v) * (v.abs() + 0.1)).requires_grad_()   # |x| >= 0.1: away from the kink
        out = torch.relu(x)
        dout = f32(torch.randn_like(out))
        (out * dout).sum().backward()
        save("relu", name, {"x": x, "out": out, "dout": dout, "dx": x.grad}, dict(n=x.numel()))


def linear_fixtures():
    torch.manual_seed(1005)   # one seed per kind: adding a case never changes another kind's data
    for name, (N, IN, OUT, bias) in [("n3_5to4", (3, 5, 4, True)), ("n1_12to10", (1, 12, 10, True)),
                                     ("n4_7to3_nobias", (4, 7, 3, False)), ("n2_64to16", (2, 64, 16, True))]:
        m = nn.Linear(IN, OUT, bias=bias).double()
        with torch.no_grad():
            m.weight.copy_(f32(m.weight))
            if bias:
                m.bias.copy_(f32(m.bias))
        x = f32(torch.randn(N, IN, dtype=torch.float64)).requires_grad_()
        out = m(x)
        dout = f32(torch.randn_like(out))
        (out * dout).sum().backward()
        t = {"x": x, "weight": m.weight, "out": out, "dout": dout, "dx": x.grad, "dweight": m.weight.grad}
        if bias:
            t.update(bias=m.bias, dbias=m.bias.grad)
        save("linear", name, t, dict(N=N, in_features=IN, out_features=OUT, bias=int(bias)))


def xent_fixtures():
    torch.manual_seed(1006)   # one seed per kind: adding a case never changes another kind's data
    cases = [("n4_k10", 4, 10, 1.0, None), ("n1_k3", 1, 3, 1.0, None), ("n5_k10_large_logits", 5, 10, 60.0, None),
             ("n6_k10_same_label", 6, 10, 2.0, 7), ("n3_k2", 3, 2, 3.0, None)]
    for name, N, K, scale, fixed in cases:
        logits = f32(torch.randn(N, K, dtype=torch.float64) * scale).requires_grad_()
        labels = torch.full((N,), fixed) if fixed is not None else torch.randint(0, K, (N,))
        loss = nn.CrossEntropyLoss()(logits, labels)
        loss.backward()
        probs = torch.softmax(logits, 1)
        save("xent", name, {"logits": logits, "labels": labels.to(torch.uint8), "loss": loss.view(1),
                            "probs": probs, "dlogits": logits.grad}, dict(N=N, K=K))


# ---- invalid configurations -----------------------------------------------------

def invalid_case(kind, name, fn, key, meta):
    msg = torch_error(fn)
    assert key in msg, f"{kind} {name}: key phrase {key!r} not in PyTorch's message {msg!r}"
    meta = dict(meta, torch_error=msg, key_phrase=key)
    # A one-element tensor: the fixture format wants at least one tensor.
    save("invalid", f"{kind}_{name}", {"marker": torch.zeros(1)}, meta)


def invalid_conv(name, key, IC, OC, H, W, k, stride=1, padding=0, dilation=1, groups=1):
    kh, kw = pair(k)
    sh, sw = pair(stride)
    dh, dw = pair(dilation)

    def run():
        m = nn.Conv2d(IC, OC, (kh, kw), stride=(sh, sw), padding=padding, dilation=(dh, dw), groups=groups)
        m(torch.randn(1, IC, H, W))
    pad = "same" if padding == "same" else "%d,%d" % pair(padding)
    invalid_case("conv2d", name, run, key, dict(in_channels=IC, out_channels=OC, H=H, W=W, kernel_h=kh, kernel_w=kw,
                                                stride_h=sh, stride_w=sw, padding=pad, dilation_h=dh, dilation_w=dw,
                                                groups=groups))


def invalid_pool(kind, name, key, H, W, k, stride=None, padding=0, dilation=1, ceil_mode=False):
    kh, kw = pair(k)
    sh, sw = pair(stride if stride is not None else k)
    ph, pw = pair(padding)
    dh, dw = pair(dilation)
    x = torch.randn(1, 2, H, W)
    if kind == "maxpool":
        run = lambda: nn.MaxPool2d(k, stride, padding, dilation, ceil_mode=ceil_mode)(x)  # noqa: E731
    else:
        run = lambda: nn.AvgPool2d(k, stride, padding, ceil_mode=ceil_mode)(x)  # noqa: E731
    invalid_case(kind, name, run, key, dict(H=H, W=W, kernel_h=kh, kernel_w=kw, stride_h=sh, stride_w=sw, pad_h=ph,
                                            pad_w=pw, dilation_h=dh, dilation_w=dw, ceil_mode=int(ceil_mode)))


def invalid_fixtures():
    torch.manual_seed(1007)   # one seed per kind: adding a case never changes another kind's data
    invalid_conv("in_not_divisible", "in_channels must be divisible by groups", 3, 4, 5, 5, 2, groups=2)
    invalid_conv("out_not_divisible", "out_channels must be divisible by groups", 4, 3, 5, 5, 2, groups=2)
    invalid_conv("groups_zero", "groups must be a positive integer", 4, 4, 5, 5, 2, groups=0)
    invalid_conv("same_strided", "padding='same' is not supported for strided convolutions", 3, 4, 5, 5, 3,
                 stride=2, padding="same")
    invalid_conv("kernel_too_big", "Kernel size can't be greater than actual input size", 3, 4, 3, 3, 5)
    invalid_conv("dilated_kernel_too_big", "Kernel size can't be greater than actual input size", 3, 4, 3, 3, 3,
                 dilation=2)
    invalid_conv("kernel_too_big_w_only", "Kernel size can't be greater than actual input size", 1, 1, 6, 3, (2, 4))
    invalid_conv("stride_zero", "non-positive stride is not supported", 3, 4, 5, 5, 3, stride=0)
    invalid_conv("stride_negative", "non-positive stride is not supported", 3, 4, 5, 5, 3, stride=(1, -1))
    invalid_conv("dilation_zero", "dilation should be greater than zero", 3, 4, 5, 5, 3, dilation=0)
    invalid_conv("kernel_zero", "kernel size should be greater than zero", 3, 4, 5, 5, (0, 3))
    invalid_conv("padding_negative", "negative padding is not supported", 3, 4, 5, 5, 3, padding=-1)
    for kind in ("maxpool", "avgpool"):
        invalid_pool(kind, "pad_over_half", "pad should be at most half of kernel size, but got pad=2 and kernel_size=3",
                     5, 5, 3, padding=2)
        invalid_pool(kind, "pad_over_half_h_only", "pad should be at most half of kernel size", 5, 5, 3, 1, (2, 0))
        invalid_pool(kind, "pad_over_half_w_only", "pad should be at most half of kernel size", 5, 5, 3, 1, (0, 2))
        invalid_pool(kind, "pad_over_half_nonsquare", "pad should be at most half of kernel size, but got pad=2 and kernel_size=2",
                     6, 7, (2, 4), 1, (2, 1))
        invalid_pool(kind, "pad_over_half_k2", "pad should be at most half of kernel size", 5, 5, 2, 1, 2)
        invalid_pool(kind, "output_too_small", "Output size is too small", 3, 3, 4)
        invalid_pool(kind, "stride_zero", "stride should not be zero", 5, 5, 2, 0)
        invalid_pool(kind, "stride_negative", "stride should be greater than zero", 5, 5, 2, -1)
        invalid_pool(kind, "kernel_zero_default_stride", "stride should not be zero", 5, 5, 0)
        invalid_pool(kind, "kernel_zero", "kernel size should be greater than zero", 5, 5, 0, 1)
        invalid_pool(kind, "pad_negative", "pad must be non-negative", 5, 5, 2, 1, -1)
    invalid_pool("maxpool", "dilation_zero", "dilation should be greater than zero", 5, 5, 2, dilation=0)
    invalid_pool("maxpool", "dilated_too_small", "Output size is too small", 3, 3, 2, dilation=3)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for old in os.listdir(OUT_DIR):
        if old.startswith("op_") and old.endswith(".safetensors"):
            os.remove(os.path.join(OUT_DIR, old))
    conv_fixtures()
    maxpool_fixtures()
    avgpool_fixtures()
    globalmax_fixtures()
    relu_fixtures()
    linear_fixtures()
    xent_fixtures()
    invalid_fixtures()
    report_written(written)


if __name__ == "__main__":
    main()
