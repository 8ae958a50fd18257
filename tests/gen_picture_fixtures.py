"""PyTorch reference fixtures for the picture explanations (test_picture.c):
saliency (|d logit / d input|, max over channels) and Grad-CAM at conv2 of
the engine's CNNNet twin (gen_model_fixtures.CNNNet), for a few seeded
pictures and target classes.

Grad-CAM as pytorch-grad-cam computes it for target_layers=[model.conv2]:
A = conv2's output (before the ReLU), alpha_k = mean over (i, j) of
d logit / d A_k, cam = relu(sum_k alpha_k A_k), then bilinear upsampling to
32x32 with F.interpolate(align_corners=False) (no min-max normalisation here).

Run with Debian's PyTorch:  /usr/bin/python3 tests/gen_picture_fixtures.py
Writes tests/fixtures/picture_explain.safetensors (400 KB, most of it fc1.weight).
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

import st_fixture
from gen_model_fixtures import CNNNet, normalize

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
N_PICTURES = 4


def explain(net, pixels, target):
    """pixels (3, 32, 32) uint8; target class or -1 for the top one."""
    x = normalize(pixels[None]).clone().requires_grad_(True)
    acts = {}

    def keep(module, inputs, out):
        out.retain_grad()
        acts["A"] = out

    handle = net.conv2.register_forward_hook(keep)
    logits = net(x)
    handle.remove()
    k = int(logits[0].argmax()) if target < 0 else target
    logits[0, k].backward()
    A, dA = acts["A"][0].detach(), acts["A"].grad[0]
    alpha = dA.mean(dim=(1, 2))
    cam = F.relu((alpha[:, None, None] * A).sum(0))
    up = F.interpolate(cam[None, None], size=(32, 32), mode="bilinear", align_corners=False)[0, 0]
    grad = x.grad[0]
    return {"logits": logits[0].detach(), "target": np.array([k], dtype=np.int64), "input_grad": grad,
            "saliency": grad.abs().amax(0), "cam_weights": alpha, "cam": cam, "gradcam": up}


def main():
    torch.manual_seed(14)
    net = CNNNet()
    # Larger than the default init so the logits (and the maps) are not near zero.
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(2.0)
    rng = np.random.default_rng(14)
    pixels = rng.integers(0, 256, size=(N_PICTURES, 3, 32, 32), dtype=np.uint8)
    targets = [-1, -1, 3, 8]
    tensors = {k: v for k, v in net.state_dict().items()}
    tensors["pixels"] = pixels
    for i in range(N_PICTURES):
        for name, v in explain(net, pixels[i], targets[i]).items():
            tensors[f"{i}.{name}"] = v
        print(f"picture {i}: target {int(tensors[f'{i}.target'][0])}, cam max {float(tensors[f'{i}.cam'].max()):.4g}, "
              f"saliency max {float(tensors[f'{i}.saliency'].max()):.4g}")
    st_fixture.save(os.path.join(OUT, "picture_explain.safetensors"), tensors, {"pictures": N_PICTURES})


if __name__ == "__main__":
    main()
