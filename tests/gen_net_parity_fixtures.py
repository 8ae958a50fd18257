"""PyTorch reference fixtures for networks built from net files (test_net_parity.c):
for each shipped net assets/nets/NAME.net, its torch twin is the module that
`convlab --batch export-pytorch` prints (tests/net_twin.py executes it), so the
same fixtures back two claims: the engine computes what PyTorch computes for
that net, and a state_dict saved by torch from the exported module loads into
convlab's --net NAME.net and means the same thing.

Run with Debian's PyTorch after `make`:  /usr/bin/python3 tests/gen_net_parity_fixtures.py
Writes to tests/fixtures/:
  netparity_batches.safetensors   pixels (21, 4, 3, 32, 32) U8 and labels (21, 4) U8:
                                  batches 0..19 train (step s uses batch s), 20 is the
                                  eval batch. CIFAR-like (smooth colour blobs plus
                                  noise) from a fixed torch generator, not CIFAR data;
                                  C normalizes them with cifar_normalize_batch, as
                                  ToTensor + Normalize(0.5, 0.5) here.
  netparity_NAME_init.safetensors the twin's state_dict after torch.manual_seed(0):
                                  exactly its keys (BatchNorm running_mean/var F32 and
                                  num_batches_tracked I64 scalars included), no
                                  __metadata__, data ordered as the safetensors
                                  package's save_file orders it (I64 before F32,
                                  then by name), i.e. as a PyTorch user saves it.
  netparity_NAME.safetensors      references, all in TRAIN mode from that state:
    logits (4, 10), loss (1)        step 1's forward on batch 0
    grad.T                          every parameter's gradient after step 1's backward
    step1.B                         every BatchNorm buffer after step 1's forward
    losses (20)                     the losses of 20 SGD steps (lr 0.01, momentum 0.9)
    final.T                         every state_dict entry after the 20 steps
    eval_logits (4, 10)             eval mode after the 20 steps, on batch 20
    init_eval_logits (4, 10)        eval mode from the init state, on batch 20 (also the
                                    logits of the plain exported module after
                                    load_state_dict(strict=True) of the _init file as
                                    written: check_exported_loads)
    rng_first (8) I64               the first rng_next() outputs for the dropout seed
  A tensor T of more than SAMPLE_MIN values (only the big Linear/Conv weights) is
  stored as T.sample = flat[::SAMPLE_STRIDE] and T.sums = (sum, sum |x|, sqrt(sum x^2))
  instead (computed in float64, stored as (3, 2) float32 pairs hi, lo with
  value = hi + lo, as there is no F64 in the fixtures), to keep each net's files under about 1.6 MB; the metadata holds
  sample_min and sample_stride. The metadata also records f32_vs_f64.GROUP:
  max |f32 - f64| / max |f64| over the group's tensors (f32_vs_f64_abs.GROUP:
  max |f32 - f64|), between this float32 run
  and the same run in float64 -- the size of float32 rounding along the
  trajectory, which the C tolerances must leave room for (the engine's float32
  rounding differs from torch's by about as much again) -- and spread.GROUP:
  max |run - reference| over SPREAD_RUNS runs of torch itself from the init
  weights times (1 + 2e-7 N(0, 1)), i.e. how far rounding-sized noise moves
  the trajectory once a ReLU or max-pool choice near its kink flips (~1e-7 for
  cnnnet, pytorch_tutorial, lenet5; ~5e-4 after 20 steps for small_vgg and
  dropout); the C test's atol for a group is at least 10x its spread.
  kink_margin.step1 / kink_margin.min: KinkMonitor's distance from a kink at
  step 1 and at the closest of the 20 steps (inf: no ReLU or max pool).

Dropout: PyTorch's own generator cannot be reproduced in C, so the twin's
nn.Dropout modules are replaced by EngineDropout, which draws its masks from a
Python copy of the engine's generator (src/engine/rng.c: splitmix64 seeding,
xoshiro256**, rng_uniform) as src/engine/dropout.c does (keep iff u >= p, one
draw per element, sample-major NCHW, nothing drawn for p = 0 or 1), seeded with
DROPOUT_SEED as net_seed_dropout does, and applies them as PyTorch's
_dropout_impl does (noise = mask; noise.div_(1 - p); out = x * noise).
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import net_twin  # noqa: E402
import st_fixture  # noqa: E402
from st_fixture import report_written  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
BATCH = 4
STEPS = 20
LR, MOMENTUM = 0.01, 0.9
TORCH_SEED = 0           # torch.manual_seed before building the twin: its default init
DATA_SEED = 20261201     # the image/label generator
DROPOUT_SEED = 42        # net_seed_dropout(net, DROPOUT_SEED) on the C side
SAMPLE_MIN = 16384       # tensors larger than this are stored as samples + sums
SAMPLE_STRIDE = 7        # prime: the samples do not line up with rows or channels
EVAL_BATCH = STEPS       # index of the eval batch in netparity_batches
SPREAD_RUNS = 8          # torch's own runs from float32-rounding-sized perturbations of init
SPREAD_NOISE = 2e-7      # relative (float32's epsilon is 1.2e-7)
written = []

# ---- the engine's generator and dropout, in Python ---------------------------------

M64 = (1 << 64) - 1


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class EngineRng:
    """src/engine/rng.c: xoshiro256** with its state filled by splitmix64(seed)."""

    def __init__(self, seed):
        x, self.s = seed & M64, []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M64
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(z ^ (z >> 31))

    def next(self):
        s = self.s
        result = (_rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 45)
        return result

    def uniform(self):
        """rng_uniform: the top 53 bits times 2^-53, a double in [0, 1)."""
        return (self.next() >> 11) * 2.0 ** -53

    def dropout_mask(self, p, n):
        """dropout_sample_mask: keep iff u >= p; no draws for p = 0 or 1."""
        if p == 0.0 or p == 1.0:
            return np.full(n, p == 0.0, dtype=bool)
        return np.array([self.uniform() >= p for _ in range(n)], dtype=bool)


class EngineDropout(nn.Module):
    """nn.Dropout(p) with the engine's masks. In training each call draws the
    whole batch's mask (N * features, in memory order) from the shared rng; the
    engine draws every Dropout layer's mask, in layer order, before the layers
    run, which is the same sequence of draws as long as each layer runs once
    per forward (true of the shipped nets: no repeated Dropout name)."""

    def __init__(self, p, rng):
        super().__init__()
        self.p, self.rng = p, rng

    def forward(self, x):
        if not self.training:
            return x
        keep = self.rng.dropout_mask(self.p, x.numel())
        noise = torch.from_numpy(keep.reshape(x.shape)).to(x.dtype)   # _dropout_impl: bernoulli_(1 - p),
        noise.div_(1 - self.p)                                       # div_(1 - p) in the tensor's dtype,
        return x * noise                                             # multiply (backward: dout * noise)


# ---- the twin, the data -------------------------------------------------------------

class KinkMonitor:
    """The distance of a forward from the kinks where a float32 rounding
    difference can flip a discrete choice: the smallest nonzero |input| of a
    ReLU, and the smallest nonzero gap between a max-pool window's two largest
    values. (Exact ties, the zeros after a ReLU, are broken alike by torch and
    the engine, and their gradient is zero anyway.) A flip changes one
    gradient value by about its upstream gradient: far beyond rounding."""

    def __init__(self):
        self.margin = math.inf

    def relu_input(self, x):
        a = x.detach().abs()
        if (a > 0).any():
            self.margin = min(self.margin, a[a > 0].min().item())

    def relu(self, x, inplace=False):
        self.relu_input(x)
        return F.relu(x, inplace=inplace)

    def relu_hook(self, module, inputs):
        self.relu_input(inputs[0])

    def pool_hook(self, module, inputs):
        x = inputs[0].detach()
        k, st = module.kernel_size, module.stride
        if module.dilation not in (1, (1, 1)) or module.ceil_mode:
            raise SystemExit("KinkMonitor: only undilated, floor-mode max pools")
        kh, kw = (k, k) if isinstance(k, int) else k
        sh, sw = (st, st) if isinstance(st, int) else st
        p = module.padding
        ph, pw = (p, p) if isinstance(p, int) else p
        x = F.pad(x, (pw, pw, ph, ph), value=-math.inf)  # MaxPool2d pads with minus infinity
        win = x.unfold(2, kh, sh).unfold(3, kw, sw).reshape(*x.shape[:2], -1, kh * kw)
        top = win.topk(2, dim=-1).values
        gap = top[..., 0] - top[..., 1]
        if (gap > 0).any():
            self.margin = min(self.margin, gap[gap > 0].min().item())


class _FWithMonitoredRelu:
    """torch.nn.functional with F.relu reporting to a KinkMonitor (the export
    calls F.relu for an unnamed ReLU(); named ones are modules, hooked)."""

    def __init__(self, monitor):
        self._monitor = monitor

    def __getattr__(self, name):
        return self._monitor.relu if name == "relu" else getattr(F, name)


def make_twin(name, rng, monitor=None):
    """The exported module of NAME.net, every nn.Dropout swapped for
    EngineDropout(rng); with a monitor, its ReLUs and max pools report to it
    (for a max pool used twice, each call)."""
    source = net_twin.export_source(name)
    assert "F.dropout" not in source, f"{name}: an unnamed Dropout is functional in the export; name it"
    namespace = {"__name__": "convlab_export_" + name}
    exec(compile(source, net_twin.net_path(name) + " (exported)", "exec"), namespace)
    torch.manual_seed(TORCH_SEED)
    net = namespace["Net"]()
    for child, module in list(net.named_children()):
        if isinstance(module, nn.Dropout):
            setattr(net, child, EngineDropout(module.p, rng))
        if monitor and isinstance(module, (nn.ReLU, nn.LeakyReLU)):  # both bend at 0
            module.register_forward_pre_hook(monitor.relu_hook)
        if monitor and isinstance(module, nn.MaxPool2d):
            module.register_forward_pre_hook(monitor.pool_hook)
    if monitor:
        namespace["F"] = _FWithMonitoredRelu(monitor)   # forward() looks F up in these globals
    return net


def make_batches():
    """21 batches of CIFAR-like uint8 images: 8x8 random colours upsampled
    bilinearly (smooth blobs, as photos are locally correlated) plus noise."""
    g = torch.Generator().manual_seed(DATA_SEED)
    n = (STEPS + 1) * BATCH
    coarse = torch.rand(n, 3, 8, 8, generator=g) * 255
    smooth = F.interpolate(coarse, size=(32, 32), mode="bilinear", align_corners=False)
    noisy = smooth + torch.randn(n, 3, 32, 32, generator=g) * 20
    pixels = noisy.round().clamp(0, 255).to(torch.uint8).reshape(STEPS + 1, BATCH, 3, 32, 32)
    labels = torch.randint(0, 10, (STEPS + 1, BATCH), generator=g).to(torch.uint8)
    return pixels.numpy(), labels.numpy()


def normalize(pixels_u8, dtype):
    """ToTensor then Normalize((0.5,)*3, (0.5,)*3), in float32 (then cast for the f64 run)."""
    x = torch.from_numpy(pixels_u8.astype(np.float32)).div(255)
    return ((x - 0.5) / 0.5).to(dtype)


def torch_saved(state):
    """state_dict -> numpy, ordered as safetensors' save_file lays data out:
    wider dtypes first (I64 before F32), then by name."""
    items = {k: v.detach().cpu().numpy() for k, v in state.items()}
    return dict(sorted(items.items(), key=lambda kv: (-kv[1].dtype.itemsize, kv[0])))


# ---- one run: step 1's gradients, 20 SGD steps, eval ---------------------------------

def run(name, init, pixels, labels, dtype, margins=None):
    """The whole reference trajectory of NAME from init in dtype; returns a dict
    of tensors. margins (a list): gets each training step's KinkMonitor margin."""
    monitor = KinkMonitor()
    net = make_twin(name, EngineRng(DROPOUT_SEED), monitor).to(dtype)
    net.load_state_dict(init, strict=True)
    out = {}
    net.eval()
    with torch.no_grad():
        out["init_eval_logits"] = net(normalize(pixels[EVAL_BATCH], dtype))
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
    crit = nn.CrossEntropyLoss()
    losses = []
    for s in range(STEPS):
        opt.zero_grad()
        monitor.margin = math.inf
        logits = net(normalize(pixels[s], dtype))
        if margins is not None:
            margins.append(monitor.margin)
        loss = crit(logits, torch.from_numpy(labels[s].astype(np.int64)))
        loss.backward()
        if s == 0:
            out["logits"], out["loss"] = logits.detach().clone(), loss.detach().reshape(1).clone()
            out.update({"grad." + k: p.grad.clone() for k, p in net.named_parameters()})
            out.update({"step1." + k: v.clone() for k, v in net.named_buffers()})
        opt.step()
        losses.append(loss.item())
    out["losses"] = torch.tensor(losses, dtype=dtype)
    out.update({"final." + k: v.detach().clone() for k, v in net.state_dict().items()})
    net.eval()
    with torch.no_grad():
        out["eval_logits"] = net(normalize(pixels[EVAL_BATCH], dtype))
    return out


def check_groups(ref):
    """The reference tensors by the check (and tolerance) the C test applies to them."""
    floats = [k for k in ref if ref[k].is_floating_point()]
    return {"logits": ["logits"], "loss": ["loss"], "grads": [k for k in floats if k.startswith("grad.")],
            "step1": [k for k in floats if k.startswith("step1.")], "losses": ["losses"],
            "final": [k for k in floats if k.startswith("final.")], "eval_logits": ["eval_logits"],
            "init_eval_logits": ["init_eval_logits"]}


def spread_of(name, init, pixels, labels, ref):
    """max |run - ref| per check group over SPREAD_RUNS runs of torch itself from
    init * (1 + SPREAD_NOISE * N(0, 1)): how far float32 rounding alone moves
    the trajectory. Small for a smooth one; large for a chaotic one (small_vgg:
    a ReLU right after BatchNorm sees ~1e5 inputs per step spread around 0, so
    one of them is within rounding of the kink most steps, and a flipped one
    changes a gradient by its upstream value, which later steps amplify)."""
    worst = {}
    for r in range(SPREAD_RUNS):
        g = torch.Generator().manual_seed(1000 + r)
        noisy = {k: v * (1 + SPREAD_NOISE * torch.randn(v.shape, generator=g)) if v.is_floating_point() else v
                 for k, v in init.items()}
        out = run(name, noisy, pixels, labels, torch.float32)
        for group, keys in check_groups(ref).items():
            d = max((out[k] - ref[k]).abs().max().item() for k in keys) if keys else 0.0
            worst[group] = max(worst.get(group, 0.0), d)
    return worst


def scaled_diff(a, b):
    """max |a - b| / max |b|: a's error relative to the tensor's scale (b the f64 run)."""
    a, b = a.double(), b.double()
    return ((a - b).abs().max() / b.abs().max().clamp(min=1e-30)).item()


def compact(tensors):
    """Replaces each tensor over SAMPLE_MIN values by its strided sample and sums."""
    out = {}
    for k, v in tensors.items():
        if v.dtype == torch.int64 or v.numel() <= SAMPLE_MIN:
            out[k] = v
            continue
        flat = v.reshape(-1).double()
        out[k + ".sample"] = v.reshape(-1)[::SAMPLE_STRIDE].clone()
        sums = torch.stack([flat.sum(), flat.abs().sum(), flat.pow(2).sum().sqrt()])
        hi = sums.float()
        out[k + ".sums"] = torch.stack([hi, (sums - hi.double()).float()], 1)   # (3, 2): hi + lo, ~48 bits
    return out


def check_exported_loads(name, path, pixels, want):
    """The file as written loads into the plain exported module (its own nn.Dropout)
    with load_state_dict(strict=True) and gives the same eval logits: the path
    of a user who saves the exported module's state_dict for convlab."""
    tensors, meta = st_fixture.load(path)
    assert not meta, f"{path}: a torch-saved file has no metadata"
    module = net_twin.twin_class(name)()
    module.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=True)
    module.eval()
    with torch.no_grad():
        got = module(normalize(pixels[EVAL_BATCH], torch.float32))
    assert torch.equal(got, want), f"{name}: the exported module's logits from {path} differ"


def gen_net(name, pixels, labels):
    twin = make_twin(name, EngineRng(DROPOUT_SEED))
    init = {k: v.detach().clone() for k, v in twin.state_dict().items()}
    init_path = os.path.join(OUT, f"netparity_{name}_init.safetensors")
    st_fixture.save(init_path, torch_saved(init))   # no metadata: as torch users save it
    written.append(init_path)

    margins = []
    ref = run(name, init, pixels, labels, torch.float32, margins)
    check_exported_loads(name, init_path, pixels, ref["init_eval_logits"])
    init64 = {k: (v.double() if v.is_floating_point() else v) for k, v in init.items()}
    ref64 = run(name, init64, pixels, labels, torch.float64)
    drift, drift_abs = {}, {}
    for group, keys in check_groups(ref).items():
        drift[group] = max((scaled_diff(ref[k], ref64[k]) for k in keys), default=0.0)
        drift_abs[group] = max(((ref[k].double() - ref64[k]).abs().max().item() for k in keys), default=0.0)
    spread = spread_of(name, init, pixels, labels, ref)
    g = EngineRng(DROPOUT_SEED)
    ref["rng_first"] = torch.tensor([np.int64(np.uint64(g.next()).view(np.int64)) for _ in range(8)], dtype=torch.int64)

    tensors = compact(ref)
    tensors = dict(sorted(tensors.items(), key=lambda kv: -kv[1].element_size()))  # aligned: C reads in place
    n_params = sum(p.numel() for p in twin.parameters())
    meta = {"net": net_twin.net_path(name), "n_params": n_params, "batch": BATCH, "steps": STEPS,
            "lr": LR, "momentum": MOMENTUM, "torch_seed": TORCH_SEED, "dropout_seed": DROPOUT_SEED,
            "eval_batch": EVAL_BATCH, "sample_min": SAMPLE_MIN, "sample_stride": SAMPLE_STRIDE,
            "torch": torch.__version__}
    meta.update({"f32_vs_f64." + k: f"{v:.3g}" for k, v in drift.items()})
    meta.update({"f32_vs_f64_abs." + k: f"{v:.3g}" for k, v in drift_abs.items()})
    meta.update({"spread." + k: f"{v:.3g}" for k, v in spread.items()})
    meta["spread_runs"], meta["spread_noise"] = SPREAD_RUNS, SPREAD_NOISE
    # KinkMonitor: how close step 1 and the closest step came to a ReLU/max-pool kink
    meta["kink_margin.step1"], meta["kink_margin.min"] = f"{margins[0]:.3g}", f"{min(margins):.3g}"
    path = os.path.join(OUT, f"netparity_{name}.safetensors")
    st_fixture.save(path, tensors, meta)
    written.append(path)
    print(f"{name}: {n_params} parameters, loss {ref['losses'][0]:.4f} -> {ref['losses'][-1]:.4f}; "
          "f32 vs f64 (scaled/abs) " + ", ".join(f"{k} {v:.2g}/{drift_abs[k]:.2g}" for k, v in drift.items()))
    print(f"  {name} spread of {SPREAD_RUNS} perturbed torch runs: " + ", ".join(f"{k} {v:.2g}" for k, v in spread.items()))


def main():
    torch.set_num_threads(1)
    pixels, labels = make_batches()
    path = os.path.join(OUT, "netparity_batches.safetensors")
    st_fixture.save(path, {"pixels": pixels, "labels": labels},
                    {"batch": BATCH, "train_batches": STEPS, "eval_batch": EVAL_BATCH, "seed": DATA_SEED})
    written.append(path)
    # names on the command line: only those nets (the shared batches are written again, identically)
    for name in sys.argv[1:] or net_twin.SHIPPED + net_twin.TEST_NETS:
        gen_net(name, pixels, labels)
    report_written(written)


if __name__ == "__main__":
    main()
