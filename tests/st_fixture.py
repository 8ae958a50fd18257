"""Writes safetensors files without the safetensors package (not in Debian):
an 8-byte little-endian header length, a JSON header, then raw data.
Used by the gen_*_fixtures.py scripts; the C side reads them with src/engine/safetensors.c.
Also the small helpers every fixture generator shares."""
import os
import json
import struct

import numpy as np

_DTYPES = {np.dtype("float32"): "F32", np.dtype("int64"): "I64", np.dtype("int32"): "I32", np.dtype("uint8"): "U8"}


def save(path, tensors, metadata=None):
    """tensors: dict name -> numpy array (or torch tensor); metadata: dict str -> str."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, arr in tensors.items():
        if hasattr(arr, "detach"):
            arr = arr.detach().cpu().numpy()
        # np.ascontiguousarray makes a 0-d array 1-d; a scalar (num_batches_tracked)
        # keeps shape [] as torch and the safetensors package write it.
        arr = np.asarray(arr) if np.ndim(arr) == 0 else np.ascontiguousarray(arr)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        blob = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": _DTYPES[arr.dtype], "shape": list(arr.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load(path):
    """Reads a safetensors file back: (dict name -> numpy array, metadata dict)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__", {})
    names = {v: k for k, v in _DTYPES.items()}
    data, out = blob[8 + n:], {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(data[b:end], dtype=names[e["dtype"]].newbyteorder("<")).reshape(e["shape"]).copy()
    return out, meta


def pair(v):
    """An int or an (h, w) pair, as PyTorch's constructors take them, as a pair."""
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def f32(t):
    """Rounds to float32 and back to float64: the inputs C sees, exactly."""
    return t.float().double()


def torch_error(fn):
    """The first line of the error PyTorch raises for fn(); fails if it raises none."""
    try:
        fn()
    except (RuntimeError, ValueError) as e:
        return str(e).splitlines()[0]
    raise AssertionError("PyTorch accepted an invalid configuration")


def report_written(written):
    """One line: how many fixture files were written, their size, the largest."""
    total = sum(os.path.getsize(p) for p in written)
    biggest = max(written, key=os.path.getsize)
    print(f"wrote {len(written)} fixtures, {total / 1024:.1f} KiB in all, largest {os.path.basename(biggest)} "
          f"{os.path.getsize(biggest) / 1024:.1f} KiB")
