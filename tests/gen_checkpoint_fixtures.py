"""Writes the checkpoint fixtures of tests/test_checkpoint.c with PyTorch:
  ckpt_torch_cnnnet.safetensors     a torch CNNNet state_dict (seed 0), as a
                                    PyTorch user would save it for convlab
  ckpt_torch_cnnnet_io.safetensors  an input batch and torch's logits for it, so
                                    the C test checks that the loaded weights
                                    mean the same thing (layouts, flatten order)
  ckpt_bad_header_len.safetensors   small corrupt files, also the seed corpus of
  ckpt_bad_json.safetensors         the safetensors fuzzer
Other corrupt cases (wrong shape or dtype, truncated, missing or extra tensor) are made by the C test from a good file in a temp dir.
Run with /usr/bin/python3 (it has torch): python3 tests/gen_checkpoint_fixtures.py"""
import json
import os
import struct

import torch

from gen_model_fixtures import CNNNet, state as state_of  # the engine's twin; CNNNet() has no ReLU on the logits
from st_fixture import save

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")


def write_raw(name, header_bytes, data=b"", length=None):
    """A safetensors-like file with an arbitrary (possibly wrong) header length."""
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes) if length is None else length))
        f.write(header_bytes)
        f.write(data)


def main():
    torch.manual_seed(0)
    net = CNNNet()
    state = state_of(net)
    assert list(state) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                           "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    save(os.path.join(OUT, "ckpt_torch_cnnnet.safetensors"), state,
         {"format": "pt", "written_by": "torch " + torch.__version__})

    x = torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        logits = net(x)
    save(os.path.join(OUT, "ckpt_torch_cnnnet_io.safetensors"), {"input": x, "logits": logits})

    # Header length far beyond the file.
    header = json.dumps({"conv1.bias": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}}).encode()
    write_raw("ckpt_bad_header_len.safetensors", header, b"\0" * 32, length=1 << 40)
    # Header that is not JSON (a truncated object).
    write_raw("ckpt_bad_json.safetensors", b'{"conv1.bias": {"dtype": "F32", "shape": [8', b"\0" * 32)


if __name__ == "__main__":
    main()
