"""The reduction and dtype contract of every loss, the one documented difference from PyTorch, and the
``make demo`` script.

- "mean"/"sum" return a numpy.float64 scalar, accumulated in float64 even for float32 input;
  "none" returns an array of the input's dtype; gradients come in the logits' dtype.
- float16 works: the result is close to the float64 result on the same values.
- every target ignored with "mean": 0.0 and a zero gradient (PyTorch: NaN).
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import crossentropy as ce
from helpers import assert_close_scaled

torch = pytest.importorskip("torch")
F = torch.nn.functional

ROOT = Path(__file__).resolve().parents[2]
DTYPES = [np.float16, np.float32, np.float64]
RNG = np.random.default_rng(2024)
XM = RNG.standard_normal((6, 4))  # multiclass logits
YM = RNG.integers(0, 4, 6)
XB = RNG.standard_normal((6, 3))  # binary logits
TB = RNG.integers(0, 2, (6, 3)).astype(float)

LOSSES = {
    "cross_entropy": lambda x, r: ce.cross_entropy(x, YM, reduction=r),
    "cross_entropy-proba": lambda x, r: ce.cross_entropy(x, ce.softmax(XM).astype(x.dtype), reduction=r),
    "nll_loss": lambda x, r: ce.nll_loss(ce.log_softmax(x), YM, reduction=r),
    "softmax_focal_loss": lambda x, r: ce.softmax_focal_loss(x, YM, reduction=r),
    "binary_cross_entropy_with_logits": lambda x, r: ce.binary_cross_entropy_with_logits(x[:, :3], TB.astype(x.dtype),
                                                                                        reduction=r),
    "binary_cross_entropy": lambda x, r: ce.binary_cross_entropy(ce.sigmoid(x[:, :3]), TB.astype(x.dtype), reduction=r),
    "sigmoid_focal_loss": lambda x, r: ce.sigmoid_focal_loss(x[:, :3], TB.astype(x.dtype), reduction=r),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", list(LOSSES))
def test_reduction_types_and_float16_accuracy(name, dtype):
    x = XM.astype(dtype)
    ref64 = LOSSES[name](x.astype(np.float64), "none")  # float64 on the very same values
    for reduction in ("mean", "sum"):
        value = LOSSES[name](x, reduction)
        assert type(value) is np.float64
    none = LOSSES[name](x, "none")
    assert isinstance(none, np.ndarray) and none.dtype == dtype
    rtol = {np.float16: 2e-3, np.float32: 1e-6, np.float64: 1e-15}[dtype]
    assert_close_scaled(none, ref64, rtol)
    np.testing.assert_allclose(LOSSES[name](x, "sum"), ref64.sum(), rtol=rtol)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradients_in_the_logits_dtype(dtype, reduction):
    x = XM.astype(dtype)
    _, g = ce.cross_entropy(x, YM, reduction=reduction, return_grad=True, label_smoothing=0.1, weight=[1, 2, 3, 4])
    _, g64 = ce.cross_entropy(XM, YM, reduction=reduction, return_grad=True, label_smoothing=0.1, weight=[1, 2, 3, 4])
    assert g.dtype == dtype and g.shape == x.shape
    tol = {np.float16: 2e-3, np.float32: 1e-6, np.float64: 1e-15}[dtype]
    assert_close_scaled(g, g64, tol)
    _, gb = ce.binary_cross_entropy_with_logits(x, (XM > 0).astype(dtype), reduction=reduction, return_grad=True)
    assert gb.dtype == dtype and gb.shape == x.shape


def test_float32_sum_is_accumulated_in_float64():
    """1e6 equal float32 losses: the float64 sum is n times one of them; a float32 sum is off by ~1e-7."""
    n = 1_000_000
    x = np.zeros((n, 2), np.float32)
    x[:, 0] = 0.1
    y = np.zeros(n, np.int64)
    one = ce.cross_entropy(x[:1], y[:1], reduction="sum")
    assert ce.cross_entropy(x, y, reduction="sum") == pytest.approx(n * one, rel=1e-10)
    assert ce.cross_entropy(x, y) == pytest.approx(one, rel=1e-10)
    float32_sum = np.sum(np.full(n, np.float32(one)), dtype=np.float32)
    assert abs(float32_sum - n * one) > 1e-10 * n * one  # so this test tells the two apart


@pytest.mark.parametrize("opts", [{}, {"weight": [1.0, 2.0, 3.0]}, {"label_smoothing": 0.2},
                                  {"weight": [1.0, 2.0, 3.0], "label_smoothing": 0.2}], ids=str)
def test_all_ignored_mean_is_zero_where_torch_gives_nan(opts):
    """The one deliberate difference from PyTorch, documented in cross_entropy's docstring and the README."""
    x = RNG.standard_normal((4, 3))
    y = np.full(4, -100)
    loss, grad = ce.cross_entropy(x, y, ignore_index=-100, return_grad=True, **opts)
    torch_opts = {k: torch.tensor(v, dtype=torch.float64) if k == "weight" else v for k, v in opts.items()}
    xt = torch.tensor(x, requires_grad=True)
    ref = F.cross_entropy(xt, torch.tensor(y), ignore_index=-100, **torch_opts)
    assert torch.isnan(ref)  # PyTorch's 0/0
    assert loss == 0.0 and type(loss) is np.float64
    np.testing.assert_array_equal(grad, np.zeros_like(x))
    # "sum" and "none" agree with PyTorch
    for reduction in ("sum", "none"):
        ours = ce.cross_entropy(x, y, ignore_index=-100, reduction=reduction, **opts)
        np.testing.assert_array_equal(ours, F.cross_entropy(torch.tensor(x), torch.tensor(y), ignore_index=-100,
                                                            reduction=reduction, **torch_opts).numpy())
    assert ce.nll_loss(ce.log_softmax(x), y, ignore_index=-100) == 0.0


def test_losses_do_not_modify_their_inputs():
    x, y, t = XM.copy(), YM.copy(), TB.copy()
    ce.cross_entropy(x, y, label_smoothing=0.1, return_grad=True)
    ce.cross_entropy(x, ce.softmax(x), return_grad=True)
    ce.binary_cross_entropy_with_logits(x[:, :3], t, label_smoothing=0.1, return_grad=True)
    np.testing.assert_array_equal(x, XM)
    np.testing.assert_array_equal(y, YM)
    np.testing.assert_array_equal(t, TB)


def test_none_outputs_are_writable_arrays():
    for out in (ce.binary_cross_entropy_with_logits(XB, TB, reduction="none"),
                ce.cross_entropy(XM, YM, reduction="none"),
                ce.binary_cross_entropy_with_logits(XB, TB, return_grad=True)[1],
                ce.binary_cross_entropy_with_logits(0.3, 1.0, reduction="none")):
        assert isinstance(out, np.ndarray) and out.flags.writeable


def test_seed_table_demo_prints_the_log_loss_and_sigmoid():
    """`make demo` runs examples/seed_table.py: its numbers are -log(p), -log(1-p) and 1/(1+e^-z)."""
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "seed_table.py")], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    rows = [line.split() for line in out.splitlines()]
    loss_rows = [r for r in rows if len(r) == 3 and _is_number(r[0])]
    sigmoid_rows = [r for r in rows if len(r) == 2 and _is_number(r[0])]
    assert len(loss_rows) >= 5 and len(sigmoid_rows) >= 5
    for p, j1, j0 in loss_rows:
        p, j1, j0 = float(p), float(j1), float(j0)
        assert j1 == pytest.approx(-math.log(p), abs=6e-5)
        assert j0 == pytest.approx(-math.log1p(-p), abs=6e-5)
    for z, s in sigmoid_rows:
        assert float(s) == pytest.approx(1 / (1 + math.exp(-float(z))), abs=6e-7)


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True
