"""CIFAR-10 test accuracy of each shipped net's PyTorch twin (the module
`convlab --batch export-pytorch` writes) trained with the tutorial's recipe:
batch 4, SGD lr 0.001 momentum 0.9, shuffled, ToTensor + Normalize(0.5, 0.5),
torch.manual_seed before building the net. The reference numbers for what
`convlab --batch train --net FILE` should reach. A measurement, not a test:
CI does not run it (minutes per net).

  make && nice -n 10 /usr/bin/python3 tests/bench/twin_accuracy.py [--nets small_vgg,dropout] [--epochs 2]
"""
import argparse
import os
import sys
import time

import torch
import torch.nn as nn

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TESTS)
import net_twin  # noqa: E402
from reference_accuracy import normalize, read_batches  # noqa: E402  (CIFAR binaries, the same transform)


def train_and_test(name, train, test, args):
    """Trains the twin of assets/nets/NAME.net; returns (test accuracy %, training seconds)."""
    torch.manual_seed(args.seed)
    net = net_twin.twin_class(name)()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*train), batch_size=args.batch_size,
                                         shuffle=True, num_workers=0)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum)
    start = time.time()
    net.train()
    for epoch in range(args.epochs):
        running = 0.0
        for i, (inputs, labels) in enumerate(loader, 0):
            optimizer.zero_grad()
            loss = criterion(net(normalize(inputs)), labels)
            loss.backward()
            optimizer.step()
            running += loss.item()
            if i % 2000 == 1999:
                print(f"  {name} [{epoch + 1}, {i + 1:5d}] loss: {running / 2000:.3f}", flush=True)
                running = 0.0
    seconds = time.time() - start
    net.eval()
    correct = 0
    with torch.no_grad():
        for s in range(0, len(test[1]), 1000):
            pred = net(normalize(test[0][s:s + 1000])).argmax(1)
            correct += (pred == test[1][s:s + 1000]).sum().item()
    return 100.0 * correct / len(test[1]), seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(TESTS, "..", "data", "cifar-10-batches-bin"))
    ap.add_argument("--nets", default=",".join(net_twin.SHIPPED))
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--train-limit", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    train = read_batches([os.path.join(args.data, f"data_batch_{i}.bin") for i in range(1, 6)], args.train_limit)
    test = read_batches([os.path.join(args.data, "test_batch.bin")], 0)
    results = []
    for name in args.nets.split(","):
        acc, seconds = train_and_test(name, train, test, args)
        print(f"{name}: {acc:.2f} % on {len(test[1])} test images after {args.epochs} epochs "
              f"({seconds:.0f} s, {args.threads} thread(s))", flush=True)
        results.append((name, acc))
    print("net accuracy: " + ", ".join(f"{n} {a:.2f} %" for n, a in results))
    print(f"(torch {torch.__version__}, seed {args.seed}, batch {args.batch_size}, lr {args.lr}, "
          f"momentum {args.momentum})")


if __name__ == "__main__":
    main()
