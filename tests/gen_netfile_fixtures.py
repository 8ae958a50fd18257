#!/usr/bin/python3
"""Checks convlab's net files against PyTorch 1.13 and writes two small fixtures
that tests/test_netfile.c compares with the parser, so the C tests need no Python.

For every assets/nets/*.net and tests/fixtures/netfile_kinds.net:
  - builds the module printed by `./convlab --batch export-pytorch --net FILE`,
  - runs its forward() one line at a time on a [4, 3, 32, 32] input (one line per
    layer of the file) and compares each output shape and the parameter count of
    each layer with `./convlab --batch net-info --tensors`, and its state_dict
    (names, dtypes, shapes) with net-info's list,
  - loads a state_dict built from net-info's list with strict=True,
  - writes per layer: line, output shape, parameters; per tensor: name, dtype,
    shape (tests/fixtures/netfile_shapes.txt), all from torch.
For every bad net in ERROR_CASES: builds it in torch (each line evaluated as the
constructor call it is, then forward on [4, 3, 32, 32]), records torch's message
and the failing line, and checks that convlab's net-info reports
"FILE:LINE: <torch's message>" (tests/fixtures/netfile_errors.txt).

Run from the repository root after `make`:  /usr/bin/python3 tests/gen_netfile_fixtures.py
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONVLAB = os.path.join(ROOT, "convlab")
BATCH = 4

# name -> net text; each must fail in torch at construction or in forward.
ERROR_CASES = {
    "linear_size": "(conv1): Conv2d(3, 6, 5)\nReLU()\n(pool): MaxPool2d(2, 2)\n(conv2): Conv2d(6, 16, 5)\nReLU()\n"
                   "(pool): MaxPool2d(2, 2)\nFlatten()\n(fc1): Linear(576, 120)\nReLU()\n(fc2): Linear(120, 10)\n",
    "conv_channels": "(conv1): Conv2d(3, 6, 5)\n(pool): MaxPool2d(2, 2)\n(conv2): Conv2d(8, 16, 3)\nFlatten()\n"
                     "(fc): Linear(1728, 10)\n",
    "pool_too_small": "(conv1): Conv2d(3, 16, 5, stride=2)\n(pool): MaxPool2d(2)\n(pool): MaxPool2d(2)\n"
                      "(pool): MaxPool2d(2)\n(pool): MaxPool2d(2)\nFlatten()\n(fc): Linear(16, 10)\n",
    "avgpool_too_small": "(conv1): Conv2d(3, 16, 31)\n(pool): AvgPool2d(3)\nFlatten()\n(fc): Linear(16, 10)\n",
    "conv_kernel_too_big": "(conv1): Conv2d(3, 6, 5)\n(conv2): Conv2d(6, 6, 29)\nFlatten()\n(fc): Linear(6, 10)\n",
    "linear_4d": "(conv1): Conv2d(3, 6, 5)\n(fc1): Linear(576, 10)\n",
    "batchnorm_features": "(conv1): Conv2d(3, 6, 5)\n(bn1): BatchNorm2d(8)\nFlatten()\n(fc): Linear(4704, 10)\n",
    "batchnorm_affine_features": "(conv1): Conv2d(3, 6, 5)\n(bn1): BatchNorm2d(8, track_running_stats=False)\n",
    "batchnorm_2d": "Flatten()\n(bn1): BatchNorm2d(3072)\n(fc): Linear(3072, 10)\n",
    "groups": "(conv1): Conv2d(3, 6, 3, groups=2)\n",
    "groups_out": "(conv1): Conv2d(4, 6, 3, groups=4)\n",
    "groups_zero": "(conv1): Conv2d(3, 6, 3, groups=0)\n",
    "same_strided": "(conv1): Conv2d(3, 6, 3, stride=2, padding='same')\n",
    "padding_string": "(conv1): Conv2d(3, 6, 3, padding='full')\n",
    "padding_mode": "(conv1): Conv2d(3, 6, 3, padding_mode='mirror')\n",
    "transpose_padding_mode": "(up): ConvTranspose2d(3, 6, 2, padding_mode='reflect')\n",
    "pool_pad": "(conv1): Conv2d(3, 6, 5)\n(pool): MaxPool2d(3, padding=2)\n",
    "avgpool_pad": "(pool): AvgPool2d(2, padding=2)\n",
    "pool_stride_zero": "(pool): MaxPool2d(2, stride=0)\n",
    "unexpected_keyword": "(conv1): Conv2d(3, 6, 5, strid=2)\n",
    "missing_kernel": "(conv1): Conv2d(3, 6)\n",
    "missing_three": "(conv1): Conv2d()\n",
    "missing_linear": "Flatten()\n(fc): Linear(3072)\n",
    "missing_pool": "(pool): MaxPool2d()\n",
    "missing_batchnorm": "(bn): BatchNorm2d()\n",
    "too_many_positional": "(conv1): Conv2d(3, 6, 5, 1, 0, 1, 1, True, 'zeros', None, None, 7)\n",
    "relu_positional": "ReLU(True, 2)\n",
    "tanh_argument": "Tanh(1)\n",
    "multiple_values": "(conv1): Conv2d(3, 6, 5, in_channels=3)\n",
    "flatten_keyword": "Flatten(start=1)\n",
    "dropout_p": "Dropout(1.5)\n",
    "dropout_p_int": "Dropout(p=2)\n",
    "negative_channels": "(conv1): Conv2d(3, -6, 5)\n",
    "negative_features": "Flatten()\n(fc): Linear(3072, -10)\n",
    "zero_out_channels": "(conv1): Conv2d(3, 0, 5)\n",
    "conv_after_flatten": "Flatten()\n(conv1): Conv2d(3, 6, 5)\n",
    "maxpool_after_flatten": "Flatten()\nMaxPool2d(2)\n",
    "avgpool_after_flatten": "Flatten()\nAvgPool2d(2)\n",
    "negative_padding": "(conv1): Conv2d(3, 6, 5, padding=-1)\n",
    "negative_stride": "(conv1): Conv2d(3, 6, 5, stride=-1)\n",
    "zero_dilation": "(conv1): Conv2d(3, 6, 5, dilation=0)\n",
    "pool_dilation_zero": "MaxPool2d(2, dilation=0)\n",
    "pool_negative_pad": "MaxPool2d(3, padding=-1)\n",
    "transpose_channels": "(up): ConvTranspose2d(6, 3, 2)\n",
    "transpose_output_padding": "(up): ConvTranspose2d(3, 3, 2, output_padding=1)\n",
    "transpose_too_small": "(up): ConvTranspose2d(3, 3, 2, padding=17)\n",
    "flatten_range": "Flatten(5)\n",
    "flatten_order": "Flatten(3, 1)\n",
    "undefined_name": "(conv1): Conv2d(3, n, 5)\n",
}


def run(*args):
    p = subprocess.run([CONVLAB, "--batch", *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def parse_net_info(out):
    """net-info --tensors -> ([(line, shape, params)], [(name, dtype, shape)], total)."""
    layers, tensors, total = [], [], None
    for row in out.splitlines():
        m = re.match(r"^\s*(\d+)\s+\S+\s+.*?\s+(\[[\d, ]+\])\s+([\d,]+)$", row)
        if m:
            layers.append((int(m.group(1)), m.group(2), int(m.group(3).replace(",", ""))))
            continue
        m = re.match(r"^total parameters: ([\d,]+)$", row)
        if m:
            total = int(m.group(1).replace(",", ""))
            continue
        m = re.match(r"^  (\S+) (F32|I64) (\[[\d, ]*\])( buffer)?$", row)
        if m:
            tensors.append((m.group(1), m.group(2), m.group(3)))
    return layers, tensors, total


def shape_text(shape):
    return "[" + ", ".join(str(d) for d in shape) + "]"


def check_net(path):
    """Returns the fixture block of one net, from torch; fails on a mismatch with net-info."""
    rc, source, err = run("export-pytorch", "--net", path)
    assert rc == 0, f"export-pytorch {path}: {err}"
    rc, info, err = run("net-info", "--net", path, "--tensors")
    assert rc == 0, f"net-info {path}: {err}"
    layers, tensors, total = parse_net_info(info)
    scope = {"__name__": "convlab_export"}
    exec(compile(source, path, "exec"), scope)
    model = scope["Net"]()
    model.train()
    # forward(), one line per layer of the file, evaluated in order.
    body = source.split("def forward(self, x):\n", 1)[1].split("        return x", 1)[0]
    steps = [ln.strip().split("  #")[0] for ln in body.splitlines() if ln.strip()]
    assert len(steps) == len(layers), f"{path}: {len(steps)} forward lines, {len(layers)} layers"
    torch.manual_seed(0)
    x = torch.randn(BATCH, 3, 32, 32)
    out = []
    seen = set()
    for (line, shape, params), step in zip(layers, steps):
        assert step.startswith("x = ")
        x = eval(step[4:], {"torch": torch, "F": torch.nn.functional, "self": model, "x": x})
        m = re.match(r"self\.(\w+)\(x\)", step[4:])
        n = 0
        if m and m.group(1) not in seen:
            seen.add(m.group(1))
            n = sum(p.numel() for p in getattr(model, m.group(1)).parameters())
        assert shape_text(x.shape) == shape, f"{path}:{line}: torch {shape_text(x.shape)}, convlab {shape}"
        assert n == params, f"{path}:{line}: torch {n} parameters, convlab {params}"
        out.append(f"layer {line} {shape_text(x.shape)} {n}")
    torch_total = sum(p.numel() for p in model.parameters())
    assert torch_total == total, f"{path}: torch {torch_total} parameters, convlab {total}"
    sd = model.state_dict()
    names = [(k, "I64" if v.dtype == torch.int64 else "F32", shape_text(v.shape)) for k, v in sd.items()]
    assert names == tensors, f"{path}: state_dict\n torch   {names}\n convlab {tensors}"
    # strict loading of a state_dict with convlab's names and shapes
    fake = {}
    for name, dtype, shape in tensors:
        dims = [int(d) for d in shape.strip("[]").split(",") if d.strip()]
        fake[name] = torch.zeros(dims, dtype=torch.int64 if dtype == "I64" else torch.float32)
    scope["Net"]().load_state_dict(fake, strict=True)
    block = [f"net {os.path.relpath(path, ROOT)} {torch_total}"] + out
    block += [f"tensor {n} {d} {s}" for n, d, s in names]
    return block + ["end"]


def torch_error(text):
    """(line number, message) of torch's first error for a net text, as __init__ then forward."""
    ns = {k: getattr(nn, k) for k in dir(nn)}
    ns["nn"] = nn
    modules = []
    for number, raw in enumerate(text.splitlines(), 1):
        call = re.sub(r"^\(\w+\):\s*", "", raw.split("#")[0].strip())
        if not call:
            continue
        try:
            modules.append((number, eval(call, ns)))
        except Exception as e:  # construction: TypeError, ValueError, RuntimeError
            return number, str(e)
    x = torch.zeros(BATCH, 3, 32, 32)
    for number, m in modules:
        try:
            x = m(x)
        except Exception as e:
            return number, str(e)
    raise AssertionError(f"torch accepts:\n{text}")


def sets_sorted(msg):
    """Python prints a set in hash order, which changes from run to run: sort it."""
    return re.sub(r"\{('[^']*'(?:, '[^']*')*)\}", lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}", msg)


def check_errors():
    block, failed = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in ERROR_CASES.items():
            line, msg = torch_error(text)
            path = os.path.join(tmp, name + ".net")
            with open(path, "w") as f:
                f.write(text)
            rc, _, err = run("net-info", "--net", path)
            got = err.strip().splitlines()[-1] if err.strip() else ""
            want = f"convlab: {path}:{line}: {msg}"
            if rc != 1 or not sets_sorted(got).startswith(sets_sorted(want)):
                failed.append(f"{name}:\n torch   {want}\n convlab {got}")
                continue
            msg = got[len(f"convlab: {path}:{line}: "):][:len(msg)]  # convlab's order of a set
            block += [f"case {name}", f"line {line}", f"torch {msg}", "text " + text.replace("\n", "\\n")]
    assert not failed, "\n".join(failed)
    return block


def read_safetensors(path):
    """A safetensors file's F32 tensors as a state_dict (the format: u64 header size, JSON, data)."""
    import json
    import struct
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", name
        a, b = t["data_offsets"]
        out[name] = torch.frombuffer(bytearray(blob[8 + n + a:8 + n + b]), dtype=torch.float32).reshape(t["shape"])
    return out


def check_convlab_checkpoint():
    """A checkpoint written by convlab loads strictly into the export of cnnnet.net."""
    data = os.path.join(ROOT, "data/cifar-10-batches-bin")
    if not os.path.isdir(data):
        print("skip: no CIFAR-10 for a convlab checkpoint (make data)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = os.path.join(tmp, "c.safetensors")
        rc, _, err = run("train", "--epochs", "1", "--train-limit", "8", "--test-limit", "10", "--save", ckpt, "--data", data)
        assert rc == 0, err
        rc, source, err = run("export-pytorch", "--net", os.path.join(ROOT, "assets/nets/cnnnet.net"))
        scope = {"__name__": "convlab_export"}
        exec(source, scope)
        scope["Net"]().load_state_dict(read_safetensors(ckpt), strict=True)
    print("ok a convlab checkpoint loads into the export of cnnnet.net with strict=True")


def main():
    if not os.access(CONVLAB, os.X_OK):
        sys.exit("build ./convlab first (make)")
    nets = sorted(glob.glob(os.path.join(ROOT, "assets/nets/*.net"))) + [os.path.join(ROOT, "tests/fixtures/netfile_kinds.net")]
    head = f"# written by tests/gen_netfile_fixtures.py with torch {torch.__version__}; do not edit\n"
    lines = []
    for path in nets:
        lines += check_net(path)
        print(f"ok {os.path.relpath(path, ROOT)}: {lines[-(len(lines) - lines.index([l for l in lines if l.startswith('net ')][-1]))]}")
    with open(os.path.join(ROOT, "tests/fixtures/netfile_shapes.txt"), "w") as f:
        f.write(head + "# net FILE TOTAL / layer LINE SHAPE PARAMS / tensor NAME DTYPE SHAPE / end\n" + "\n".join(lines) + "\n")
    check_convlab_checkpoint()
    errors = check_errors()
    with open(os.path.join(ROOT, "tests/fixtures/netfile_errors.txt"), "w") as f:
        f.write(head + "# case NAME / line N / torch MESSAGE / text NET (\\n between lines)\n" + "\n".join(errors) + "\n")
    print(f"ok {len(nets)} nets, {len(ERROR_CASES)} error texts match torch")


if __name__ == "__main__":
    main()
