"""crossentropy.torch: autograd Functions over the CPU kernels, against PyTorch's own losses.

Oracles: ``torch.autograd.gradcheck`` (central finite differences of our forward, float64) for every
Function and option; PyTorch's ``F.cross_entropy``, ``F.binary_cross_entropy_with_logits`` and
``F.cross_entropy(X @ W.T + b)`` / the chunked ``F.linear_cross_entropy`` for values and gradients
(float64 to 1e-12 relative, float32 to 1e-5 relative and 1e-6 absolute: float32 rounding of sums over
up to 64 terms). The training-loop test runs both sides in child processes and compares losses
and the steps' peak resident memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import crossentropy.torch as cet
import crossentropy.torch.functions as cet_functions
import crossentropy.torch.linear as cet_linear

HERE = Path(__file__).resolve().parent
SRC = str(HERE.parents[1] / "src")
REDUCTIONS = ("mean", "sum", "none")
TOL = {torch.float64: dict(rtol=1e-12, atol=1e-14), torch.float32: dict(rtol=1e-5, atol=1e-6)}


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _grad_out(loss, dtype, seed=1):
    """A grad_output with negative entries too (per row for "none")."""
    if loss.ndim == 0:
        return torch.tensor(-0.7, dtype=dtype)
    return torch.randn(loss.shape, generator=_gen(seed), dtype=dtype)


# ------------------------------------------------------------------------------------ gradcheck (float64)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [{}, {"weight": True, "ignore_index": 2, "label_smoothing": 0.2}])
def test_cross_entropy_gradcheck(reduction, options):
    x = torch.randn(5, 4, generator=_gen(), dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 2, 3, 1, 2])
    kw = dict(options, reduction=reduction)
    if kw.pop("weight", False):
        kw["weight"] = torch.tensor([0.5, 2.0, 1.0, 3.0], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a: cet.cross_entropy(a, y, **kw), (x,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_gradcheck_probabilities_and_spatial(reduction):
    x = torch.randn(2, 3, 4, generator=_gen(), dtype=torch.float64, requires_grad=True)
    q = torch.softmax(torch.randn(2, 3, 4, generator=_gen(1), dtype=torch.float64), dim=1)
    y = torch.randint(0, 3, (2, 4), generator=_gen(2))
    assert torch.autograd.gradcheck(lambda a: cet.cross_entropy(a, q, reduction=reduction), (x,))
    assert torch.autograd.gradcheck(lambda a: cet.cross_entropy(a, y, reduction=reduction, label_smoothing=0.1),
                                    (x,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_gradcheck(reduction):
    x = torch.randn(4, 3, generator=_gen(), dtype=torch.float64, requires_grad=True)
    t = torch.rand(4, 3, generator=_gen(1), dtype=torch.float64)
    w = torch.rand(4, 1, generator=_gen(2), dtype=torch.float64) + 0.5
    pw = torch.tensor([0.5, 1.0, 3.0], dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda a: cet.binary_cross_entropy_with_logits(a, t, weight=w, pos_weight=pw, reduction=reduction), (x,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [{}, {"weight": True, "ignore_index": 1, "label_smoothing": 0.15}])
def test_linear_cross_entropy_gradcheck(reduction, options):
    X = torch.randn(6, 3, generator=_gen(), dtype=torch.float64, requires_grad=True)
    W = torch.randn(4, 3, generator=_gen(1), dtype=torch.float64, requires_grad=True)
    b = torch.randn(4, generator=_gen(2), dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 1, 3, 2, 1, 0])
    kw = dict(options, reduction=reduction)
    if kw.pop("weight", False):
        kw["weight"] = torch.tensor([0.5, 2.0, 1.0, 3.0], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a, w, c: cet.linear_cross_entropy(a, w, y, linear_bias=c, **kw),
                                    (X, W, b))


# ------------------------------------------------------------------------------------ against PyTorch


def _compare(ours, theirs, inputs, dtype):
    """Loss and the gradients of ``grad_output``-weighted loss equal between the two callables."""
    a = ours(*inputs)
    b = theirs(*inputs)
    torch.testing.assert_close(a, b, **TOL[dtype])
    g = _grad_out(a, dtype)
    ga = torch.autograd.grad(a, inputs, g)
    gb = torch.autograd.grad(b, inputs, g)
    for p, q in zip(ga, gb):
        torch.testing.assert_close(p, q, **TOL[dtype])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_equals_torch(dtype, reduction):
    x = (3 * torch.randn(40, 7, generator=_gen(), dtype=dtype)).requires_grad_()
    y = torch.randint(0, 7, (40,), generator=_gen(1))
    y[::5] = -100
    w = torch.rand(7, generator=_gen(2), dtype=dtype) + 0.1
    for kw in ({}, {"weight": w, "label_smoothing": 0.1}):
        _compare(lambda a: cet.cross_entropy(a, y, reduction=reduction, **kw),
                 lambda a: F.cross_entropy(a, y, reduction=reduction, **kw), (x,), dtype)
    q = torch.softmax(torch.randn(40, 7, generator=_gen(3), dtype=dtype), dim=1)
    _compare(lambda a: cet.cross_entropy(a, q, reduction=reduction, weight=w),
             lambda a: F.cross_entropy(a, q, reduction=reduction, weight=w), (x,), dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_equals_torch(dtype, reduction):
    x = (4 * torch.randn(30, 3, generator=_gen(), dtype=dtype)).requires_grad_()
    t = (torch.rand(30, 3, generator=_gen(1)) > 0.5).to(dtype)
    w = torch.rand(30, 3, generator=_gen(2), dtype=dtype)
    pw = torch.tensor([0.5, 1.0, 4.0], dtype=dtype)
    _compare(lambda a: cet.binary_cross_entropy_with_logits(a, t, weight=w, pos_weight=pw, reduction=reduction),
             lambda a: F.binary_cross_entropy_with_logits(a, t, weight=w, pos_weight=pw, reduction=reduction),
             (x,), dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_linear_cross_entropy_equals_torch(dtype, reduction):
    X = torch.randn(64, 16, generator=_gen(), dtype=dtype, requires_grad=True)
    W = (torch.randn(50, 16, generator=_gen(1), dtype=dtype) / 4).requires_grad_()
    b = torch.randn(50, generator=_gen(2), dtype=dtype, requires_grad=True)
    y = torch.randint(0, 50, (64,), generator=_gen(3))
    y[::7] = -100
    cw = torch.rand(50, generator=_gen(4), dtype=dtype) + 0.1
    for kw in ({}, {"weight": cw, "label_smoothing": 0.1}):
        _compare(lambda a, w, c: cet.linear_cross_entropy(a, w, y, linear_bias=c, reduction=reduction, **kw),
                 lambda a, w, c: F.cross_entropy(a @ w.T + c, y, reduction=reduction, **kw), (X, W, b), dtype)
    _compare(lambda a, w: cet.linear_cross_entropy(a, w, y, reduction=reduction),
             lambda a, w: F.linear_cross_entropy(a, w, y, reduction=reduction,
                                                 options=torch.nn.LinearCrossEntropyOptions()), (X, W), dtype)


def test_module_uses_the_callers_linear_layer():
    torch.manual_seed(0)
    head = torch.nn.Linear(8, 20, dtype=torch.float64)
    h = torch.randn(12, 8, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 20, (12,))
    ours = cet.LinearCrossEntropyLoss(head, label_smoothing=0.05)(h, y)
    ours.backward()
    grads = [p.grad.clone() for p in (h, head.weight, head.bias)]
    for p in (h, head.weight, head.bias):
        p.grad = None
    F.cross_entropy(head(h), y, label_smoothing=0.05).backward()
    for p, g in zip((h, head.weight, head.bias), grads):
        torch.testing.assert_close(g, p.grad, rtol=1e-12, atol=1e-14)
    free = cet.LinearCrossEntropyLoss(reduction="sum")(h, y, head.weight, head.bias)
    torch.testing.assert_close(free, F.cross_entropy(head(h), y, reduction="sum"), rtol=1e-12, atol=0)
    with pytest.raises(ValueError, match="linear_weight"):
        cet.LinearCrossEntropyLoss()(h, y)


def test_retain_graph_gives_the_same_gradient_twice():
    x = torch.randn(6, 5, generator=_gen(), requires_grad=True)
    loss = cet.cross_entropy(x, torch.tensor([0, 1, 2, 3, 4, 0]))
    first = torch.autograd.grad(loss, x, retain_graph=True)[0].clone()
    second = torch.autograd.grad(loss, x)[0]
    x.grad = None
    F.cross_entropy(x, torch.tensor([0, 1, 2, 3, 4, 0])).backward()
    torch.testing.assert_close(first, x.grad, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(second, x.grad, rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------------------------------ no copies


def _recording(monkeypatch, module, name, seen):
    kernel = getattr(module, name)

    def wrapped(*args, **kwargs):
        seen["inputs"] = [a for a in args if isinstance(a, np.ndarray)]
        out = kernel(*args, **kwargs)
        if kwargs.get("return_grad"):
            grads = out[1] if isinstance(out[1], tuple) else (out[1],)
            seen["grads"] = [g for g in grads if g is not None]
        return out

    monkeypatch.setattr(module, name, wrapped)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_kernels_read_and_write_the_tensors_memory(monkeypatch, dtype):
    seen = {}
    _recording(monkeypatch, cet_functions, "_ce_kernel", seen)
    x = torch.randn(8, 5, generator=_gen(), dtype=dtype, requires_grad=True)
    cet.cross_entropy(x, torch.randint(0, 5, (8,), generator=_gen(1))).backward()
    assert seen["inputs"][0].ctypes.data == x.data_ptr()
    assert seen["grads"][0].ctypes.data == x.grad.data_ptr()  # the kernel's gradient became x.grad

    _recording(monkeypatch, cet_linear, "_lce_kernel", seen)
    X = torch.randn(8, 4, generator=_gen(), dtype=dtype, requires_grad=True)
    W = torch.randn(6, 4, generator=_gen(1), dtype=dtype, requires_grad=True)
    cet.linear_cross_entropy(X, W, torch.randint(0, 6, (8,), generator=_gen(2))).backward()
    assert [a.ctypes.data for a in seen["inputs"][:2]] == [X.data_ptr(), W.data_ptr()]
    assert [g.ctypes.data for g in seen["grads"]] == [X.grad.data_ptr(), W.grad.data_ptr()]


def test_non_contiguous_input_is_made_contiguous():
    base = torch.randn(5, 8, generator=_gen(), dtype=torch.float64)
    x = base.T.requires_grad_()  # (8, 5), column-major
    y = torch.randint(0, 5, (8,), generator=_gen(1))
    cet.cross_entropy(x, y).backward()
    ours = x.grad.clone()
    x.grad = None
    F.cross_entropy(x, y).backward()
    torch.testing.assert_close(ours, x.grad, rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------------------------ bad input


def test_other_devices_are_refused_with_the_alternative():
    x = torch.empty(4, 3, device="meta")
    with pytest.raises(ValueError, match=r"'meta'.*torch\.nn\.functional\.cross_entropy"):
        cet.cross_entropy(x, torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"'meta'.*binary_cross_entropy_with_logits"):
        cet.binary_cross_entropy_with_logits(x, torch.zeros(4, 3))
    with pytest.raises(ValueError, match=r"linear_weight.*'meta'.*F?\.?linear_cross_entropy"):
        cet.linear_cross_entropy(torch.zeros(4, 3), torch.empty(5, 3, device="meta"), torch.zeros(4, dtype=torch.long))


def test_unsupported_options_raise_clear_errors():
    X, W = torch.randn(4, 3), torch.randn(5, 3)
    with pytest.raises(TypeError, match="class-probability"):
        cet.linear_cross_entropy(X, W, torch.rand(4, 5))
    with pytest.raises(ValueError, match="2-D"):
        cet.linear_cross_entropy(X.reshape(2, 2, 3), W, torch.zeros(2, 2, dtype=torch.long))
    with pytest.raises(TypeError, match="float32 or float64"):
        cet.cross_entropy(torch.randn(4, 3).half(), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="reduction"):
        cet.cross_entropy(torch.randn(4, 3), torch.zeros(4, dtype=torch.long), reduction="avg")
    with pytest.raises(TypeError, match="same dtype"):
        cet.linear_cross_entropy(X, W.double(), torch.zeros(4, dtype=torch.long))
    with pytest.raises(TypeError, match="linear_bias"):
        cet.linear_cross_entropy(X, W, torch.zeros(4, dtype=torch.long), linear_bias=torch.zeros(5, dtype=torch.float64))


# ------------------------------------------------------------------------------------ training loop


def _side(side, n, d, c, steps):
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    res = subprocess.run([sys.executable, str(HERE / "_lm_head_step.py"), side, str(n), str(d), str(c), str(steps)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the resident memory from /proc")
def test_training_loop_matches_torch_chunked_with_less_memory():
    """A language-model head (256 tokens, hidden 64, vocabulary 65,536: 16 MB of weights), three SGD steps.

    The benchmark (benchmarks/bench_torch.py) runs the full size, 8,192 tokens × 512 × 32,768."""
    ours = _side("ours", 256, 64, 65_536, 3)
    theirs = _side("torch", 256, 64, 65_536, 3)
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-5, atol=0)
    assert ours["losses"][-1] < ours["losses"][0]
    assert ours["peak_kb"] < theirs["peak_kb"], (ours, theirs)


def test_import_crossentropy_does_not_import_torch():
    code = ("import sys, crossentropy, crossentropy.losses\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n"
            "import crossentropy.torch as cet\n"
            "assert 'torch' in sys.modules and cet.linear_cross_entropy.__module__ == 'crossentropy.torch.linear'\n")
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 0, res.stderr
