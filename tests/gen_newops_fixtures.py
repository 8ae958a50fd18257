"""PyTorch reference fixtures for the ops the net files add (LeakyReLU, Tanh,
Sigmoid, Dropout, BatchNorm2d): tests/fixtures/newop_<kind>_<name>.safetensors.

Run from the repo root with Debian's torch:  /usr/bin/python3 tests/gen_newops_fixtures.py
As tests/gen_op_fixtures.py: inputs, parameters, outputs, a random dout and
the gradients of (out * dout).sum(); the configuration in the __metadata__
(strings). References are float64 computations from float32 inputs, except
Dropout's, which are PyTorch's own float32 F.dropout (its mask is read back
from the output, the inputs having no zeros, so the C side applies the same
mask and must match bit for bit). A BatchNorm2d fixture runs three training
steps (the running statistics after each), then an eval forward and backward.
Invalid configurations become newop_invalid_<kind>_<name> fixtures holding
PyTorch's error text and a key phrase convlab's message must contain.
Read by tests/test_newops.c.
"""
import os
import sys
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_fixture  # noqa: E402
from st_fixture import f32, report_written, torch_error  # noqa: E402

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
PREFIX = "newop_"
warnings.filterwarnings("ignore")
written = []


def away_from_zero(shape, gap=0.1):
    """randn values with |x| >= gap: away from the kinks at 0, and never 0 (so a
    dropped element is the only zero of a dropout output)."""
    v = torch.randn(shape, dtype=torch.float64)
    return f32(torch.sign(v) * (v.abs() + gap))


def save(kind, name, tensors, meta):
    """Writes the tensors widest dtype first (I64, then F32, then U8) so that each
    one starts at an offset aligned to its element size: C reads them in place."""
    path = os.path.join(OUT_DIR, f"{PREFIX}{kind}_{name}.safetensors")
    tensors = dict(sorted(tensors.items(), key=lambda kv: -kv[1].element_size()))
    st_fixture.save(path, tensors, {k: str(v) for k, v in meta.items()})
    written.append(path)


def grads_of(fn, x, *params):
    """out = fn(x); returns out, a random dout and d(out * dout).sum() w.r.t. x and params."""
    out = fn(x)
    dout = f32(torch.randn_like(out))
    grads = torch.autograd.grad((out * dout).sum(), (x,) + params)
    return out, dout, grads


# ---- LeakyReLU, Tanh, Sigmoid ---------------------------------------------------------

def activation_case(kind, name, shape, fn, meta=None, extremes=()):
    x = away_from_zero(shape)
    flat = x.view(-1)
    for i, v in enumerate(extremes):        # saturated values at the front
        flat[i] = v
    x.requires_grad_()
    out, dout, (dx,) = grads_of(fn, x)
    save(kind, name, {"x": x, "out": out, "dout": dout, "dx": dx}, dict(meta or {}, n=x.numel()))


def activation_fixtures():
    torch.manual_seed(2000)   # one seed per kind: adding a case never changes another kind's data
    for name, shape, slope in [("nchw_2x3x4x5_default", (2, 3, 4, 5), 0.01), ("vec9_slope0.2", (9,), 0.2),
                               ("mat3x7_slope0", (3, 7), 0.0), ("mat4x5_negative_slope", (4, 5), -0.5),
                               ("nchw_1x2x3x5_slope1.5", (1, 2, 3, 5), 1.5)]:
        activation_case("leakyrelu", name, shape, lambda x, s=slope: F.leaky_relu(x, s), dict(negative_slope=slope))
    torch.manual_seed(2001)
    big = (20.0, -20.0, 9.5, -9.5)
    for name, shape in [("nchw_2x3x4x5", (2, 3, 4, 5)), ("vec13", (13,)), ("mat4x9_saturated", (4, 9))]:
        activation_case("tanh", name, shape, torch.tanh, extremes=big if "saturated" in name else ())
    torch.manual_seed(2002)
    big = (100.0, -100.0, 30.0, -30.0, 15.0, -15.0)
    for name, shape in [("nchw_2x3x4x5", (2, 3, 4, 5)), ("vec13", (13,)), ("mat4x9_saturated", (4, 9))]:
        activation_case("sigmoid", name, shape, torch.sigmoid, extremes=big if "saturated" in name else ())


# ---- Dropout ----------------------------------------------------------------------------

def dropout_case(name, shape, p):
    x = away_from_zero(shape).float().requires_grad_()
    out = F.dropout(x, p, training=True)
    mask = out != 0
    if 0 < p < 1:   # the C side's formula is PyTorch's, bit for bit
        assert torch.equal(out, x * mask.float().div(1 - p)), f"dropout {name}: out is not x * mask / (1 - p)"
    dout = torch.randn_like(out)
    (dx,) = torch.autograd.grad((out * dout).sum(), (x,))
    save("dropout", name, {"x": x, "mask": mask.to(torch.uint8), "out": out, "dout": dout, "dx": dx},
         dict(p=repr(p), n=x.numel()))


def dropout_fixtures():
    torch.manual_seed(2003)
    dropout_case("nchw_2x3x4x5_p0.5", (2, 3, 4, 5), 0.5)
    dropout_case("mat4x30_p0.2", (4, 30), 0.2)
    dropout_case("vec64_p0.9", (64,), 0.9)
    dropout_case("mat3x10_p0.33", (3, 10), 0.33)
    dropout_case("mat2x8_p0", (2, 8), 0.0)         # identity
    dropout_case("mat2x8_p1", (2, 8), 1.0)         # everything zeroed


# ---- BatchNorm2d ------------------------------------------------------------------------

def bn_input(N, C, H, W, offset):
    """Channels with their own mean and spread (offset: a large mean next to a
    small spread, where a one-pass variance would cancel)."""
    if offset:
        return f32(5.0 + 0.1 * torch.randn(N, C, H, W, dtype=torch.float64))
    loc = torch.randn(1, C, 1, 1, dtype=torch.float64)
    scale = 0.5 + torch.rand(1, C, 1, 1, dtype=torch.float64) * 2
    return f32(loc + scale * torch.randn(N, C, H, W, dtype=torch.float64))


def bn_step(m, x, tensors, prefix):
    """One forward and backward; records out, dout and every gradient under prefix."""
    x = x.clone().requires_grad_()
    params = (m.weight, m.bias) if m.affine else ()
    out, dout, grads = grads_of(m, x, *params)
    tensors.update({prefix + "x": x, prefix + "out": out, prefix + "dout": dout, prefix + "dx": grads[0]})
    if m.affine:
        tensors.update({prefix + "dweight": grads[1], prefix + "dbias": grads[2]})


def bn_case(name, N, C, H, W, eps=1e-5, momentum=0.1, affine=True, track=True, offset=False, random_running=False):
    m = nn.BatchNorm2d(C, eps=eps, momentum=momentum, affine=affine, track_running_stats=track).double()
    t = {}
    with torch.no_grad():
        if affine:
            m.weight.copy_(f32(1 + 0.5 * torch.randn(C, dtype=torch.float64)))
            m.bias.copy_(f32(0.5 * torch.randn(C, dtype=torch.float64)))
            t.update(weight=m.weight.clone(), bias=m.bias.clone())
        if track and random_running:
            m.running_mean.copy_(f32(torch.randn(C, dtype=torch.float64)))
            m.running_var.copy_(f32(0.5 + torch.rand(C, dtype=torch.float64)))
        if track:
            t.update(running_mean_0=m.running_mean.clone(), running_var_0=m.running_var.clone())
    m.train()
    for step in (1, 2, 3):
        x = bn_input(N, C, H, W, offset)
        if step == 1:
            bn_step(m, x, t, "train_")
        else:
            with torch.no_grad():
                m(x)
            t[f"x{step}"] = x
        if track:
            t[f"running_mean_{step}"] = m.running_mean.clone()
            t[f"running_var_{step}"] = m.running_var.clone()
    if track:
        t["num_batches_tracked"] = m.num_batches_tracked.view(1).clone()
    m.eval()
    bn_step(m, bn_input(N, C, H, W, offset), t, "eval_")
    save("batchnorm2d", name, t, dict(N=N, C=C, H=H, W=W, eps=repr(eps), momentum=repr(momentum),
                                      affine=int(affine), track_running_stats=int(track), steps=3))


def bn_fixtures():
    torch.manual_seed(2004)
    bn_case("n2_c3_4x5", 2, 3, 4, 5)
    bn_case("n4_c2_3x3_eps1e-3_mom0.3", 4, 2, 3, 3, eps=1e-3, momentum=0.3)
    bn_case("n3_c4_2x5_noaffine", 3, 4, 2, 5, affine=False)
    bn_case("n2_c3_5x2_cumulative", 2, 3, 5, 2, momentum=None)
    bn_case("n1_c2_3x4_single_sample", 1, 2, 3, 4)
    bn_case("n5_c3_1x1", 5, 3, 1, 1)                           # BN on 1x1 maps: statistics over the batch only
    bn_case("n2_c2_3x3_notrack", 2, 2, 3, 3, track=False)      # eval uses the batch's statistics too
    bn_case("n2_c4_3x2_notrack_noaffine", 2, 4, 3, 2, affine=False, track=False)
    bn_case("n2_c2_4x4_offset", 2, 2, 4, 4, offset=True, random_running=True)
    bn_case("n3_c2_2x3_mom1_eps0.1", 3, 2, 2, 3, eps=0.1, momentum=1.0, random_running=True)
    bn_case("n2_c3_3x3_mom0", 2, 3, 3, 3, momentum=0.0, random_running=True)   # running stats never move
    bn_case("n4_c6_7x6", 4, 6, 7, 6, eps=1e-4, momentum=0.05)


# ---- invalid configurations -------------------------------------------------------------

def invalid_case(kind, name, fn, key, meta):
    msg = torch_error(fn)
    assert key in msg, f"{kind} {name}: key phrase {key!r} not in PyTorch's message {msg!r}"
    save("invalid", f"{kind}_{name}", {"marker": torch.zeros(1)}, dict(meta, torch_error=msg, key_phrase=key))


def invalid_bn(name, key, num_features, N, C, H, W, training, affine=True, track=True):
    def run():
        m = nn.BatchNorm2d(num_features, affine=affine, track_running_stats=track)
        m.train(training)
        m(torch.randn(N, C, H, W))
    invalid_case("batchnorm2d", name, run, key, dict(num_features=num_features, N=N, C=C, H=H, W=W,
                                                     training=int(training), affine=int(affine),
                                                     track_running_stats=int(track)))


def invalid_fixtures():
    torch.manual_seed(2005)
    invalid_bn("channels_tracked", "running_mean should contain 4 elements not 3", 3, 2, 4, 5, 5, True)
    invalid_bn("channels_tracked_eval", "running_mean should contain 6 elements not 3", 3, 2, 6, 5, 5, False)
    invalid_bn("channels_affine_untracked", "weight should contain 4 elements not 3", 3, 2, 4, 5, 5, True,
               track=False)
    invalid_bn("one_value_per_channel", "Expected more than 1 value per channel when training, got input size "
               "torch.Size([1, 3, 1, 1])", 3, 1, 3, 1, 1, True)
    invalid_bn("one_value_untracked_eval", "Expected more than 1 value per channel when training", 2, 1, 2, 1, 1,
               False, track=False)
    for name, p in [("p_over_1", 1.5), ("p_negative", -0.1)]:
        invalid_case("dropout", name, lambda p=p: nn.Dropout(p),
                     f"dropout probability has to be between 0 and 1, but got {p}", dict(p=repr(p)))


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for old in os.listdir(OUT_DIR):
        if old.startswith(PREFIX) and old.endswith(".safetensors"):
            os.remove(os.path.join(OUT_DIR, old))
    activation_fixtures()
    dropout_fixtures()
    bn_fixtures()
    invalid_fixtures()
    report_written(written)


if __name__ == "__main__":
    main()
