"""Proves that checkpoints move both ways between convlab and PyTorch:
  1. convlab trains briefly and saves A.safetensors;
  2. torch loads A into the tutorial's Net with load_state_dict(strict=True) and
     evaluates the first N test images: predictions must equal `convlab --batch
     eval --load A` (overall, per class, confusion matrix);
  3. torch writes A's state_dict back out; its tensors are byte-identical to A's;
  4. torch trains further (SGD, a few hundred mini-batches) and saves B; convlab
     evaluates B and must print exactly torch's numbers.
Not a CI test (it needs torch and the data); run it by hand:
  /usr/bin/python3 tests/checkpoint_roundtrip.py [--convlab ./convlab] [--data DIR] [--n 1000]
Exit status 0 when every check passes."""
import argparse
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_model_fixtures import CNNNet  # noqa: E402  (the tutorial's net, no ReLU on the logits by default)
from st_fixture import save  # noqa: E402

CLASSES = ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def load_safetensors(path):
    """A minimal reader (the safetensors package is not in Debian): name -> tensor, metadata."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = blob[8 + n:]
    out = {}
    for name, e in header.items():
        assert e["dtype"] == "F32", f"{name}: {e['dtype']}"
        b, end = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[b:end], dtype="<f4").copy()).reshape(e["shape"])
    return out, meta


def read_batch(path, n):
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, 3073)[:n]
    labels = torch.from_numpy(raw[:, 0].astype(np.int64))
    # ToTensor then Normalize((0.5,)*3, (0.5,)*3), in float32 as torchvision does.
    x = torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).copy()).to(torch.float32).div(255)
    x = x.sub_(0.5).div_(0.5)
    return x, labels


def torch_eval(net, x, labels):
    with torch.no_grad():
        pred = net(x).argmax(1)
    conf = np.zeros((10, 10), dtype=np.int64)
    for t, p in zip(labels.tolist(), pred.tolist()):
        conf[t, p] += 1
    return conf


def convlab_eval(convlab, ckpt, data, n):
    out = subprocess.run([convlab, "--batch", "eval", "--load", ckpt, "--data", data, "--test-limit", str(n)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"convlab eval failed ({out.returncode}): {out.stderr.strip()}")
    lines = out.stdout.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("Confusion matrix"))
    conf = np.array([[int(v) for v in lines[i + 2 + r].split()[1:]] for r in range(10)])
    acc = float(re.search(r"test images: ([\d.]+) %", out.stdout).group(1))
    return conf, acc


def check_same(what, conf_torch, conf_convlab):
    n = conf_torch.sum()
    acc_t = 100.0 * np.trace(conf_torch) / n
    acc_c = 100.0 * np.trace(conf_convlab) / n
    same = np.array_equal(conf_torch, conf_convlab)
    print(f"{what}: torch {acc_t:.2f} %, convlab {acc_c:.2f} % on {n} images; confusion matrices "
          f"{'identical' if same else 'DIFFER in %d images' % (np.abs(conf_torch - conf_convlab).sum() // 2)}")
    return same


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--convlab", default="./convlab")
    ap.add_argument("--data", default="data/cifar-10-batches-bin")
    ap.add_argument("--n", type=int, default=1000, help="test images compared")
    args = ap.parse_args()
    if not os.path.exists(os.path.join(args.data, "test_batch.bin")):
        sys.exit(f"no CIFAR-10 in {args.data}: run make data")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        a_path, a2_path, b_path = (os.path.join(tmp, f) for f in ("A.safetensors", "A2.safetensors", "B.safetensors"))
        # 1. convlab trains and saves.
        r = subprocess.run([args.convlab, "--batch", "train", "--data", args.data, "--train-limit", "4000",
                            "--test-limit", "100", "--epochs", "1", "--log-every", "100000", "--save", a_path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"convlab train failed ({r.returncode}): {r.stderr.strip()}")
        state, meta = load_safetensors(a_path)
        print(f"convlab checkpoint: {len(state)} tensors, metadata {meta}")

        # 2. into torch, strictly.
        net = CNNNet()
        result = net.load_state_dict(state, strict=True)
        print(f"torch load_state_dict(strict=True): {result}")
        x, labels = read_batch(os.path.join(args.data, "test_batch.bin"), args.n)
        conf_c, _ = convlab_eval(args.convlab, a_path, args.data, args.n)
        ok &= check_same("convlab-trained weights", torch_eval(net, x, labels), conf_c)

        # 3. back out of torch: byte-identical tensors.
        save(a2_path, net.state_dict(), {"format": "pt"})
        state2, _ = load_safetensors(a2_path)
        identical = all(torch.equal(state[k], state2[k]) for k in state) and list(state) == list(state2)
        print(f"torch re-save of the convlab checkpoint: tensors {'byte-identical' if identical else 'DIFFER'}")
        ok &= identical

        # 4. torch trains on, convlab evaluates torch's weights.
        xt, yt = read_batch(os.path.join(args.data, "data_batch_1.bin"), 2000)
        opt = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
        for i in range(0, 2000, 4):
            opt.zero_grad()
            F.cross_entropy(net(xt[i:i + 4]), yt[i:i + 4]).backward()
            opt.step()
        save(b_path, net.state_dict(), {"format": "pt"})
        conf_c, _ = convlab_eval(args.convlab, b_path, args.data, args.n)
        ok &= check_same("torch-trained weights", torch_eval(net, x, labels), conf_c)
    print("checkpoint round trip:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
