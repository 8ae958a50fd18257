"""PyTorch reference fixtures for the model-level tests (test_net.c, test_optim.c):
a twin of the engine's CNNNet, its initial weights, fixed mini-batches, the losses
and final weights of 50 SGD steps, one forward/backward's logits, loss and every
gradient (with and without the seed's ReLU on the logits), and optimizer steps
(SGD with momentum/dampening/nesterov/weight decay, Adam) on a flat vector.

Run with Debian's PyTorch:  /usr/bin/python3 tests/gen_model_fixtures.py
Writes tests/fixtures/model_*.safetensors (about 1.4 MB in all). Images are
stored as raw CIFAR-style bytes so the C side normalizes them with
cifar_normalize_batch, exactly as torchvision's ToTensor + Normalize(0.5, 0.5).
"""
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import st_fixture

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")

N_DISTINCT_BATCHES = 10   # the 50 steps cycle through these: step s uses batch s % 10
BATCH = 4
STEPS = 50


class CNNNet(nn.Module):
    """The tutorial's network as the engine builds it (src/engine/net.c)."""

    def __init__(self, relu_logits=False):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(8, 16, 3)
        self.fc1 = nn.Linear(16 * 6 * 6, 128)
        self.fc2 = nn.Linear(128, 10)
        self.relu_logits = relu_logits

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return F.relu(x) if self.relu_logits else x


def normalize(pixels_u8):
    """torchvision ToTensor then Normalize((0.5,)*3, (0.5,)*3), in float32."""
    x = torch.from_numpy(pixels_u8.astype(np.float32)).div(255)
    return (x - 0.5) / 0.5


def state(net):
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def gen_sgd50(init, pixels, labels):
    net = CNNNet()
    net.load_state_dict(init)
    crit = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    losses = []
    for s in range(STEPS):
        b = s % N_DISTINCT_BATCHES
        opt.zero_grad()
        loss = crit(net(normalize(pixels[b])), torch.from_numpy(labels[b].astype(np.int64)))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    tensors = {"init." + k: v for k, v in init.items()}
    tensors.update({"final." + k: v for k, v in state(net).items()})
    tensors["pixels"] = pixels            # (10, 4, 3, 32, 32) uint8
    tensors["labels"] = labels            # (10, 4) uint8
    tensors["losses"] = np.array(losses, dtype=np.float32)
    meta = {"steps": STEPS, "batch": BATCH, "distinct_batches": N_DISTINCT_BATCHES, "lr": "0.001", "momentum": "0.9"}
    st_fixture.save(os.path.join(OUT, "model_sgd50.safetensors"), tensors, meta)
    return losses


def gen_grads(init, pixels, labels, relu_logits):
    """Logits, loss and every gradient of one forward/backward on batch 0."""
    net = CNNNet(relu_logits)
    net.load_state_dict(init)
    x = normalize(pixels[0])
    logits = net(x)
    loss = nn.CrossEntropyLoss()(logits, torch.from_numpy(labels[0].astype(np.int64)))
    loss.backward()
    tensors = {"logits": logits, "loss": loss.reshape(1)}
    tensors.update({"grad." + k: p.grad for k, p in net.named_parameters()})
    name = "model_grads_relu_logits.safetensors" if relu_logits else "model_grads.safetensors"
    st_fixture.save(os.path.join(OUT, name), tensors, {"relu_logits": int(relu_logits), "batch_index": 0})


# Optimizer configurations on a flat vector: name -> (class, kwargs)
OPTIM_CASES = {
    "sgd_plain": (torch.optim.SGD, dict(lr=0.1)),
    "sgd_momentum": (torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    "sgd_dampening_wd": (torch.optim.SGD, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    "sgd_nesterov_wd": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.02)),
    "adam_default": (torch.optim.Adam, dict()),
    "adam_custom_wd": (torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
}
OPTIM_N, OPTIM_STEPS = 512, 6


def gen_optim():
    g = torch.Generator().manual_seed(7)
    p0 = torch.randn(OPTIM_N, generator=g)
    grads = torch.randn(OPTIM_STEPS, OPTIM_N, generator=g) * torch.linspace(0.01, 3, OPTIM_N)
    tensors = {"params0": p0, "grads": grads}
    meta = {"n": OPTIM_N, "steps": OPTIM_STEPS}
    for name, (cls, kw) in OPTIM_CASES.items():
        p = nn.Parameter(p0.clone())
        opt = cls([p], **kw)
        after = []
        for s in range(OPTIM_STEPS):
            p.grad = grads[s].clone()
            opt.step()
            after.append(p.detach().clone())
        tensors[name + ".after"] = torch.stack(after)   # (steps, n)
        meta[name] = repr(kw)
    st_fixture.save(os.path.join(OUT, "model_optim.safetensors"), tensors, meta)


def main():
    torch.manual_seed(0)
    init = state(CNNNet())
    rs = np.random.RandomState(1234)
    pixels = rs.randint(0, 256, size=(N_DISTINCT_BATCHES, BATCH, 3, 32, 32)).astype(np.uint8)
    labels = rs.randint(0, 10, size=(N_DISTINCT_BATCHES, BATCH)).astype(np.uint8)
    losses = gen_sgd50(init, pixels, labels)
    gen_grads(init, pixels, labels, relu_logits=False)
    gen_grads(init, pixels, labels, relu_logits=True)
    gen_optim()
    print("sgd50 losses: first %.6f last %.6f" % (losses[0], losses[-1]))


if __name__ == "__main__":
    main()
