"""PyTorch reference fixtures for the engine's ConvTranspose2d
(src/engine/conv_transpose2d.c): tests/fixtures/convt_<name>.safetensors.

Run from the repo root with Debian's torch:  /usr/bin/python3 tests/gen_convtranspose_fixtures.py
Each fixture holds x, weight (C_in, C_out/groups, kH, kW), bias, out, a random
dout and the gradients of (out * dout).sum(); the configuration is in the
__metadata__. References are computed in float64 from float32 inputs, so they
measure only convlab's float32 rounding. Invalid configurations become
convt_invalid_<name> fixtures with PyTorch's error text and a key phrase that
convlab's message must contain. Read by tests/test_conv_transpose2d.c.

Also convt_lesson<NN>_step<K>: every step of lessons 11, 12 and 13, with the grids
read from `./convlab --batch lesson --dump` (build convlab first) and PyTorch's
Conv2d gradients (lesson 11), ConvTranspose2d output (lesson 12) or MaxPool2d/ReLU
gradients (lesson 13), read by
tests/test_lessons_backward.c.
(Separate from gen_op_fixtures.py, which deletes every op_* file it rewrites.)
"""
import os
import subprocess
import sys
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_fixture  # noqa: E402
from st_fixture import f32, pair, torch_error  # noqa: E402

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
warnings.filterwarnings("ignore")
written = []


def save(name, tensors, meta):
    path = os.path.join(OUT_DIR, f"convt_{name}.safetensors")
    tensors = dict(sorted(tensors.items(), key=lambda kv: -kv[1].element_size()))
    st_fixture.save(path, tensors, {k: str(v) for k, v in meta.items()})
    written.append(path)


def config_meta(IC, OC, k, stride, padding, output_padding, dilation, groups, bias):
    kh, kw = pair(k)
    sh, sw = pair(stride)
    ph, pw = pair(padding)
    oph, opw = pair(output_padding)
    dh, dw = pair(dilation)
    return dict(in_channels=IC, out_channels=OC, kernel_h=kh, kernel_w=kw, stride_h=sh, stride_w=sw, pad_h=ph,
                pad_w=pw, out_pad_h=oph, out_pad_w=opw, dilation_h=dh, dilation_w=dw, groups=groups, bias=int(bias))


def case(name, N, IC, OC, H, W, k, stride=1, padding=0, output_padding=0, dilation=1, groups=1, bias=True):
    m = nn.ConvTranspose2d(IC, OC, k, stride=stride, padding=padding, output_padding=output_padding,
                           dilation=dilation, groups=groups, bias=bias).double()
    with torch.no_grad():
        m.weight.copy_(f32(m.weight))
        if bias:
            m.bias.copy_(f32(m.bias))
    x = f32(torch.randn(N, IC, H, W, dtype=torch.float64)).requires_grad_()
    out = m(x)
    dout = f32(torch.randn_like(out))
    (out * dout).sum().backward()
    t = {"x": x, "weight": m.weight, "out": out, "dout": dout, "dx": x.grad, "dweight": m.weight.grad}
    if bias:
        t.update(bias=m.bias, dbias=m.bias.grad)
    meta = config_meta(IC, OC, k, stride, padding, output_padding, dilation, groups, bias)
    meta.update(N=N, H=H, W=W, OH=out.shape[2], OW=out.shape[3])
    save(name, t, meta)


def valid_fixtures():
    torch.manual_seed(1100)
    case("basic_k3", 1, 1, 1, 3, 3, 3)
    case("c2to3_k2", 1, 2, 3, 4, 4, 2)
    case("stride2", 1, 2, 2, 3, 3, 3, stride=2)
    case("stride2_pad1", 2, 2, 3, 4, 4, 3, stride=2, padding=1)
    case("stride2_pad1_outpad1", 1, 2, 2, 4, 4, 3, stride=2, padding=1, output_padding=1)
    case("stride3_outpad2", 1, 1, 2, 3, 3, 2, stride=3, output_padding=2)
    case("dilation2", 1, 2, 2, 4, 4, 3, dilation=2)
    case("dilation3_outpad2_stride1", 1, 1, 1, 3, 3, 2, dilation=3, output_padding=2)   # op < d is enough
    case("groups2", 1, 4, 6, 4, 3, 3, padding=1, groups=2)
    case("depthwise", 2, 3, 3, 3, 4, 2, stride=2, groups=3)
    case("nonsquare", 2, 2, 3, 3, 5, (2, 3), stride=(2, 1), padding=(1, 0), output_padding=(1, 0), dilation=(1, 2))
    case("nonsquare_input", 1, 1, 2, 2, 5, 3, stride=(1, 2), padding=(0, 1), output_padding=(0, 1))
    case("batch3_nobias", 3, 2, 2, 3, 3, 3, stride=2, bias=False)
    case("k1_stride2", 1, 2, 2, 3, 3, 1, stride=2, output_padding=1)
    case("pad_crops_all_but_centre", 1, 1, 1, 2, 2, 3, padding=1)
    case("g2_s2_p1_op1_d2", 2, 4, 4, 3, 4, 3, stride=2, padding=1, output_padding=1, dilation=2, groups=2)
    case("s2_p1_op1_3x3", 1, 1, 1, 3, 3, 3, stride=2, padding=1, output_padding=1)


def invalid(name, key, H, W, IC, OC, k, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    def run():
        m = nn.ConvTranspose2d(IC, OC, k, stride=stride, padding=padding, output_padding=output_padding,
                               dilation=dilation, groups=groups)
        m(torch.randn(1, IC, H, W))
    msg = torch_error(run)
    assert key in msg, f"{name}: key phrase {key!r} not in PyTorch's message {msg!r}"
    meta = config_meta(IC, OC, k, stride, padding, output_padding, dilation, groups, True)
    meta.update(H=H, W=W, torch_error=msg, key_phrase=key)
    save(f"invalid_{name}", {"marker": torch.zeros(1)}, meta)


def invalid_fixtures():
    torch.manual_seed(1101)
    op = "output padding must be smaller than either stride or dilation"
    invalid("outpad_eq_stride", op, 4, 4, 2, 2, 3, stride=2, output_padding=2)
    invalid("outpad1_stride1", op, 4, 4, 2, 2, 3, output_padding=1)
    invalid("outpad_w_only", op, 4, 4, 1, 1, 3, stride=2, output_padding=(1, 2))
    invalid("outpad_negative", "negative output_padding is not supported", 4, 4, 1, 1, 3, output_padding=-1)
    invalid("padding_negative", "negative padding is not supported", 4, 4, 1, 1, 3, padding=-1)
    invalid("stride_zero", "non-positive stride is not supported", 4, 4, 1, 1, 3, stride=0)
    invalid("dilation_zero", "dilation should be greater than zero", 4, 4, 1, 1, 3, dilation=0)
    invalid("kernel_zero", "kernel size should be greater than zero", 4, 4, 1, 1, (0, 3))
    invalid("groups_zero", "groups must be a positive integer", 4, 4, 2, 2, 3, groups=0)
    invalid("in_not_divisible", "in_channels must be divisible by groups", 4, 4, 3, 2, 3, groups=2)
    invalid("out_not_divisible", "out_channels must be divisible by groups", 4, 4, 2, 3, 3, groups=2)
    invalid("output_too_small", "Output size is too small", 1, 1, 1, 1, 3, padding=2)
    invalid("output_zero", "Output size is too small", 1, 1, 1, 1, 2, padding=1)


# ---- the lessons' own grids ---------------------------------------------------------

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def dump_steps(lesson):
    """Each step of `convlab --batch lesson --dump` as {grid name: tensor, 'line': {...}}."""
    out = subprocess.run([os.path.join(ROOT, "convlab"), "--batch", "lesson", "--lesson", lesson, "--dump"],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    steps, cur, grid, rows = [], None, None, []
    for line in out.splitlines():
        if line.startswith("== step"):
            cur = {}
            steps.append(cur)
            continue
        if cur is None:
            continue
        if line.startswith("  ") and grid:
            rows.append([float(v) for v in line.split()])
            if len(rows) == grid[1]:
                cur[grid[0]] = torch.tensor(rows, dtype=torch.float64)
                grid = None
            continue
        words = line.split()
        if len(words) == 2 and words[1].endswith(":") and "x" in words[1]:
            r, c = words[1][:-1].split("x")
            grid, rows = (words[0], int(r)), []
        elif words and words[0] in ("stride", "kernel_size"):
            cur["config"] = dict(zip(words[0::3], zip(map(int, words[1::3]), map(int, words[2::3]))))
        elif words and words[0] == "op":
            cur["op"] = words[1]
    return steps


def lesson11_fixtures():
    for k, st in enumerate(dump_steps("lessons/11_conv_backward.lesson"), 1):
        cfg = st["config"]
        x = st["input"].view(1, 1, *st["input"].shape).requires_grad_()
        w = st["kernel"].view(1, 1, *st["kernel"].shape).requires_grad_()
        out = F.conv2d(x, w, None, cfg["stride"], cfg["padding"], cfg["dilation"])
        dout = st["dout"].view_as(out)
        (out * dout).sum().backward()
        save(f"lesson11_step{k}", {"x": x, "weight": w, "out": out, "dout": dout, "dx": x.grad, "dweight": w.grad},
             dict(step=k, stride=cfg["stride"][0], padding=cfg["padding"][0], dilation=cfg["dilation"][0]))


def lesson12_fixtures():
    for k, st in enumerate(dump_steps("lessons/12_conv_transpose.lesson"), 1):
        cfg = st["config"]
        x = st["input"].view(1, 1, *st["input"].shape)
        w = st["kernel"].view(1, 1, *st["kernel"].shape)
        out = F.conv_transpose2d(x, w, None, cfg["stride"], cfg["padding"], cfg["output_padding"], 1, cfg["dilation"])
        save(f"lesson12_step{k}", {"x": x, "weight": w, "out": out},
             dict(step=k, stride=cfg["stride"][0], padding=cfg["padding"][0], output_padding=cfg["output_padding"][0],
                  dilation=cfg["dilation"][0]))


def lesson13_fixtures():
    for k, st in enumerate(dump_steps("lessons/13_pool_relu_backward.lesson"), 1):
        x = st["input"].view(1, 1, *st["input"].shape).requires_grad_()
        if st["op"] == "maxpool":
            cfg = st["config"]
            out = F.max_pool2d(x, cfg["kernel_size"], cfg["stride"])
        else:
            out = torch.relu(x)
        dout = st["dout"].view_as(out)
        (out * dout).sum().backward()
        save(f"lesson13_step{k}", {"x": x, "out": out, "dout": dout, "dx": x.grad}, dict(step=k, op=st["op"]))


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for old in os.listdir(OUT_DIR):
        if old.startswith("convt_") and old.endswith(".safetensors"):
            os.remove(os.path.join(OUT_DIR, old))
    valid_fixtures()
    invalid_fixtures()
    lesson11_fixtures()
    lesson12_fixtures()
    lesson13_fixtures()
    total = sum(os.path.getsize(p) for p in written)
    print(f"wrote {len(written)} fixtures, {total / 1024:.1f} KiB in all")


if __name__ == "__main__":
    main()
