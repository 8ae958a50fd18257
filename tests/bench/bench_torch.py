#!/usr/bin/python3
"""PyTorch side of `make bench`: the same CNNNet workloads as bench_engine.c,
timed the honest way (tensors preloaded and normalized, no DataLoader, a plain
loop over mini-batches, torch.set_num_threads matching ours).

bench_engine.c starts this script once and sends one request per line, so that
both engines are measured turn by turn on a machine whose load drifts:
  train <batch> <threads> <seconds> [NET]  -> prints "<images/s>" (NET: a shipped
                                       net's twin from tests/net_twin.py; default CNNNet)
  eval <batch> <threads> <seconds>    -> prints "<images/s>"
Each measurement runs whole mini-batches until <seconds> have passed (at least
one pass of 2 batches), so a loaded machine cannot stretch the benchmark.
With arguments `--standalone RUNS` it prints a small table by itself instead.
Random data of CIFAR-10's shape: throughput does not depend on the values.
"""
import os
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from gen_model_fixtures import CNNNet  # noqa: E402  (the engine's twin, shared with the parity fixtures)
import net_twin  # noqa: E402  (any shipped net's twin, from convlab's own export)


torch.manual_seed(0)
DATA = torch.rand(10000, 3, 32, 32) * 2 - 1
LABELS = torch.randint(0, 10, (len(DATA),))
TRAINERS = {}  # (net name, batch) -> (net, optimizer, criterion, input batches, label batches), kept warm


def trainer(batch, name=None):
    if (name, batch) not in TRAINERS:
        net = net_twin.twin_class(name)() if name else CNNNet()
        net.train()
        opt = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
        n = len(DATA) // batch * batch
        TRAINERS[(name, batch)] = (net, opt, nn.CrossEntropyLoss(), list(DATA[:n].split(batch)), list(LABELS[:n].split(batch)))
    return TRAINERS[(name, batch)]


def train_rate(batch, threads, seconds, name=None):
    torch.set_num_threads(threads)
    net, opt, crit, xs, ys = trainer(batch, name)
    images, i = 0, 0
    t0 = time.perf_counter()
    while True:
        x, y = xs[i], ys[i]
        opt.zero_grad()
        loss = crit(net(x), y)
        loss.backward()
        opt.step()
        loss.item()  # the tutorial reads the loss every step
        images += len(x)
        i = (i + 1) % len(xs)
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds and i >= 2:
            return images / elapsed


EVAL_NET = CNNNet().eval()


def eval_rate(batch, threads, seconds):
    torch.set_num_threads(threads)
    xs = list(DATA.split(batch))
    images, i = 0, 0
    t0 = time.perf_counter()
    with torch.no_grad():
        while True:
            EVAL_NET(xs[i]).argmax(1)
            images += len(xs[i])
            i = (i + 1) % len(xs)
            elapsed = time.perf_counter() - t0
            if elapsed >= seconds and i >= 2:
                return images / elapsed


def serve():
    print("ready", flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        kind, batch, threads, seconds = parts[0], int(parts[1]), int(parts[2]), float(parts[3])
        name = parts[4] if len(parts) > 4 else None
        rate = train_rate(batch, threads, seconds, name) if kind == "train" else eval_rate(batch, threads, seconds)
        print("%.1f" % rate, flush=True)


def standalone(runs):
    for threads in (1, 2):
        for batch in (4, 64):
            train_rate(batch, threads, 0.2)
            rates = [train_rate(batch, threads, 1.0) for _ in range(runs)]
            print("train batch %d threads %d: %s images/s" % (batch, threads, " ".join("%.0f" % r for r in rates)))
    eval_rate(1000, 2, 0.2)
    rates = [eval_rate(1000, 2, 1.0) for _ in range(runs)]
    print("eval batch 1000 threads 2: %s images/s" % " ".join("%.0f" % r for r in rates))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--standalone":
        standalone(int(sys.argv[2]))
    else:
        serve()
