"""The PyTorch reference for convlab's accuracy claims: the tutorial recipe
(CNNNet, batch 4, SGD lr 0.001 momentum 0.9, shuffled DataLoader, seed 0) on
the real CIFAR-10 binaries, read straight from data/cifar-10-batches-bin with
numpy and transformed exactly as ToTensor + Normalize((0.5,)*3, (0.5,)*3).
A measurement, not a test: CI does not run it (2 epochs take a few minutes).

  /usr/bin/python3 tests/reference_accuracy.py                     # 2 epochs
  /usr/bin/python3 tests/reference_accuracy.py --relu-logits --tutorial-break
Prints the tutorial's lines ([epoch, i] loss, per-class accuracy) so the output
compares line by line with `convlab --batch train`.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_model_fixtures import CNNNet  # noqa: E402  (the same twin the parity fixtures use)

CLASSES = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def read_batches(paths, limit):
    """Official binary format: per record 1 label byte, then 3,072 pixel bytes (R, G, B planes)."""
    recs = np.concatenate([np.fromfile(p, dtype=np.uint8).reshape(-1, 3073) for p in paths])
    if limit > 0:
        recs = recs[:limit]
    labels = torch.from_numpy(recs[:, 0].astype(np.int64))
    pixels = torch.from_numpy(np.ascontiguousarray(recs[:, 1:]).reshape(-1, 3, 32, 32))
    return pixels, labels


def normalize(u8):
    """ToTensor then Normalize(0.5, 0.5) in float32, as torchvision computes it."""
    return (u8.float().div(255) - 0.5) / 0.5


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(HERE, "..", "data", "cifar-10-batches-bin"))
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--log-every", type=int, default=2000)
    ap.add_argument("--train-limit", type=int, default=0)
    ap.add_argument("--test-limit", type=int, default=0)
    ap.add_argument("--relu-logits", action="store_true", help="the seed's ReLU on the output layer")
    ap.add_argument("--tutorial-break", action="store_true", help="the seed's break after the first mini-batch")
    ap.add_argument("--save", help="write the trained state_dict (torch.save) here")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    train_x, train_y = read_batches([os.path.join(args.data, "data_batch_%d.bin" % i) for i in range(1, 6)],
                                    args.train_limit)
    test_x, test_y = read_batches([os.path.join(args.data, "test_batch.bin")], args.test_limit)

    # The tutorial's order of random draws: seed, build the net (init), then each
    # epoch's iteration of a shuffled DataLoader (RandomSampler) draws a permutation.
    torch.manual_seed(args.seed)
    net = CNNNet(relu_logits=args.relu_logits)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(train_x, train_y),
                                         batch_size=args.batch_size, shuffle=True, num_workers=0)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum)

    start = time.time()
    for epoch in range(args.epochs):
        running_loss = 0.0
        for i, (inputs, labels) in enumerate(loader, 0):
            optimizer.zero_grad()
            loss = criterion(net(normalize(inputs)), labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            if i % args.log_every == args.log_every - 1:
                print(f"[{epoch + 1}, {i + 1:5d}] loss: {running_loss / args.log_every:.3f}", flush=True)
                running_loss = 0.0
            if args.tutorial_break:
                break
    train_seconds = time.time() - start
    print("Finished Training")
    if args.save:
        torch.save(net.state_dict(), args.save)

    correct_pred = {c: 0 for c in CLASSES}
    total_pred = {c: 0 for c in CLASSES}
    correct = total = 0
    with torch.no_grad():
        for s in range(0, len(test_y), 1000):
            outputs = net(normalize(test_x[s:s + 1000]))
            _, predicted = torch.max(outputs, 1)
            labels = test_y[s:s + 1000]
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
            for label, pred in zip(labels, predicted):
                total_pred[CLASSES[label]] += 1
                correct_pred[CLASSES[label]] += int(label == pred)
    print(f"Accuracy of the network on the {total} test images: {100 * correct / total:.2f} %")
    for c in CLASSES:
        acc = 100 * correct_pred[c] / total_pred[c] if total_pred[c] else 0.0
        print(f"Accuracy of {c:5s} : {acc:.1f} %")
    print(f"(training took {train_seconds:.1f} s, {args.threads} threads, torch {torch.__version__})")


if __name__ == "__main__":
    main()
