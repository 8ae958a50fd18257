"""PyTorch reference for lesson 9's continuous training loop (test_lessons_network.c):
the `training_loop` scene with `after = 1` must show the second mini-batch trained
from the weights and momentum buffer that the first one left, as one
torch.optim.SGD(lr=0.001, momentum=0.9) does.

For each net (cnnnet, lenet5: no Dropout/BatchNorm, so no generator to mirror),
its twin (the module `convlab --batch export-pytorch` prints, tests/net_twin.py)
starts from tests/fixtures/netparity_NAME_init.safetensors (torch.manual_seed(0)
init, written by gen_net_parity_fixtures.py) and trains two mini-batches: the
netparity batches 0 and 1 (images 0-3 and 4-7 of the C test's set), in train
mode, as the lesson's loop body (zero_grad, forward, loss, backward, step).

Run with Debian's PyTorch after `make`:  /usr/bin/python3 tests/gen_lesson9_fixtures.py
Writes tests/fixtures/lesson9_loop_NAME.safetensors: `track` (2, 7) F32, one row
per mini-batch: loss, loss after the step (same batch), then for the followed
weight conv1.weight[0,0,0,0]: before, grad, momentum buffer before (0 on the
first step: there is none), momentum buffer after, after.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import net_twin  # noqa: E402
import st_fixture  # noqa: E402
from st_fixture import report_written  # noqa: E402

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
NETS = ("cnnnet", "lenet5")
LR, MOMENTUM = 0.001, 0.9
PARAM, INDEX = "conv1.weight", (0, 0, 0, 0)


def normalize(pixels_u8):
    """ToTensor then Normalize((0.5,)*3, (0.5,)*3), in float32, as cifar_normalize_batch."""
    x = torch.from_numpy(pixels_u8.astype(np.float32)).div(255)
    return (x - 0.5) / 0.5


def track(name, pixels, labels):
    """The two loop passes of NAME; returns the (2, 7) rows described above."""
    init, _ = st_fixture.load(os.path.join(FIX, f"netparity_{name}_init.safetensors"))
    net = net_twin.twin_class(name)()
    net.load_state_dict({k: torch.from_numpy(v) for k, v in init.items()}, strict=True)
    net.train()
    p = dict(net.named_parameters())[PARAM]
    opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
    criterion = nn.CrossEntropyLoss()
    rows = []
    for b in range(2):
        x = normalize(pixels[b])
        y = torch.from_numpy(labels[b].astype(np.int64))
        opt.zero_grad()
        loss = criterion(net(x), y)
        loss.backward()
        before, grad = p[INDEX].item(), p.grad[INDEX].item()
        buf = opt.state[p].get("momentum_buffer") if p in opt.state else None
        v_prev = 0.0 if buf is None else buf[INDEX].item()
        opt.step()
        v, after = opt.state[p]["momentum_buffer"][INDEX].item(), p[INDEX].item()
        with torch.no_grad():
            loss_after = criterion(net(x), y).item()
        rows.append([loss.item(), loss_after, before, grad, v_prev, v, after])
    return np.array(rows, dtype=np.float32)


def main():
    batches, _ = st_fixture.load(os.path.join(FIX, "netparity_batches.safetensors"))
    written = []
    for name in NETS:
        rows = track(name, batches["pixels"], batches["labels"])
        # the check the lesson states: the second pass continues the first
        assert rows[1, 2] == rows[0, 6] and rows[1, 4] == rows[0, 5], name
        path = os.path.join(FIX, f"lesson9_loop_{name}.safetensors")
        st_fixture.save(path, {"track": rows}, {"lr": str(LR), "momentum": str(MOMENTUM), "param": PARAM + "[0,0,0,0]"})
        print(name, rows.tolist())
        written.append(path)
    report_written(written)


if __name__ == "__main__":
    main()
