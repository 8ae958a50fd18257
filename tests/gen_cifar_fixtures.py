"""Writes tests/fixtures/cifar_normalize.safetensors: CIFAR records (CHW bytes,
as in the binary files) and the tutorial transform's output computed by the
exact code torchvision runs (torchvision is not in Debian, so its two steps are
copied here from torchvision/transforms/functional.py):
  ToTensor:  torch.from_numpy(pic.transpose((2, 0, 1))).contiguous().to(torch.float32).div(255)
  Normalize: tensor.sub_(mean[:, None, None]).div_(std[:, None, None]), mean = std = 0.5 as float32
Run with /usr/bin/python3 (it has torch) from the repo root or tests/."""
import os

import numpy as np
import torch

from st_fixture import save


def to_tensor(pic_hwc):
    img = torch.from_numpy(pic_hwc.transpose((2, 0, 1))).contiguous()
    return img.to(dtype=torch.get_default_dtype()).div(255)


def normalize(tensor, mean, std):
    mean = torch.as_tensor(mean, dtype=tensor.dtype)
    std = torch.as_tensor(std, dtype=tensor.dtype)
    return tensor.sub_(mean[:, None, None]).div_(std[:, None, None])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    rng = np.random.default_rng(0)
    n = 3
    records = rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)
    records[0].reshape(-1)[:256] = np.arange(256, dtype=np.uint8)  # every byte value once
    # torchvision's CIFAR10 holds images as HWC; convert each record like it does.
    out = np.stack([normalize(to_tensor(r.transpose(1, 2, 0).copy()), (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)).numpy()
                    for r in records])
    labels = np.array([3, 0, 9], dtype=np.uint8)
    save(os.path.join(here, "fixtures", "cifar_normalize.safetensors"),
         {"pixels": records, "labels": labels, "out": out.astype(np.float32)},
         {"torch": torch.__version__})


if __name__ == "__main__":
    main()
