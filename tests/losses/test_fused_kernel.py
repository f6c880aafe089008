"""The fused numba cross-entropy kernel against PyTorch, the NumPy reference rows and float64 exp.

Oracles: ``torch.nn.functional.cross_entropy`` with autograd (values and gradients), NumPy's float64
``exp`` for the vectorised exponentials, and ``losses._rows.hard_rows(..., fused=False)`` (the NumPy
reference the kernel replaces) for the options PyTorch has no direct form of (per-row weights).
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numba import njit

import crossentropy as ce
from crossentropy import _kernels
from crossentropy._kernels import fused_hard_rows, row_groups
from crossentropy._kernels._simd import exp_f32, exp_f64, fmax
from crossentropy.losses import _rows
from helpers import assert_close_scaled, torch_cross_entropy

torch = pytest.importorskip("torch")
F = torch.nn.functional

TOL = {np.float32: 1e-5, np.float64: 1e-12}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("opts", [
    {},
    {"weight": "w"},
    {"ignore_index": 3},
    {"label_smoothing": 0.2},
    {"weight": "w", "ignore_index": 0, "label_smoothing": 0.1},
], ids=["plain", "weight", "ignore", "smooth", "all"])
def test_matches_torch(dtype, reduction, opts, rng):
    n, c = 203, 37  # ragged against the row groups
    x = (4 * rng.standard_normal((n, c))).astype(dtype)
    y = rng.integers(0, c, n)
    opts = dict(opts)
    if opts.get("weight") == "w":
        opts["weight"] = rng.uniform(0.2, 3.0, c)
    loss, grad = ce.cross_entropy(x, y, return_grad=True, reduction=reduction, **opts)
    t_loss, t_grad = torch_cross_entropy(x, y, reduction=reduction, **opts)
    assert_close_scaled(loss, t_loss, TOL[dtype])
    assert_close_scaled(grad, t_grad, TOL[dtype])
    assert grad.dtype == dtype


@pytest.mark.parametrize("n", [1, 2, 7, 8, 9, 33, 257])
@pytest.mark.parametrize("c", [1, 2, 9, 1000])
def test_ragged_shapes_match_torch(n, c, rng):
    """Row counts around the number of row groups, classes around the SIMD width, C = 1."""
    x = (3 * rng.standard_normal((n, c))).astype(np.float32)
    y = rng.integers(0, c, n)
    loss, grad = ce.cross_entropy(x, y, return_grad=True, label_smoothing=0.05)
    t_loss, t_grad = torch_cross_entropy(x, y, label_smoothing=0.05)
    assert_close_scaled(loss, t_loss, 1e-5)
    assert_close_scaled(grad, t_grad, 1e-5)
    assert row_groups(n) <= n


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_finite_and_exact(dtype, rng):
    """Logits of ±1e4 (float32 exp underflows in most of the row): finite, equal to PyTorch."""
    x = rng.uniform(-1e4, 1e4, (64, 50)).astype(dtype)
    x[:, 7] = 1e4  # a tie at the maximum in every row
    y = rng.integers(0, 50, 64)
    loss, grad = ce.cross_entropy(x, y, return_grad=True, label_smoothing=0.1)
    t_loss, t_grad = torch_cross_entropy(x, y, label_smoothing=0.1)
    assert np.isfinite(loss) and np.isfinite(grad).all()
    assert_close_scaled(loss, t_loss, TOL[dtype])
    assert_close_scaled(grad, t_grad, TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("eps", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_fused_equals_numpy_reference_with_row_weights(dtype, eps, weighted, rng):
    """Per-row (sample) weights, as the linear-model objective passes them, and a scale."""
    n, c = 150, 23
    x = (2 * rng.standard_normal((n, c))).astype(dtype)
    y = rng.integers(0, c, n).astype(np.intp)
    keep = rng.uniform(0, 2, n)
    keep[::5] = 0.0
    w = rng.uniform(0.1, 2, c) if weighted else None
    l_ref, g_ref = _rows.hard_rows(x, y, keep, w, eps, True, scale=0.37, fused=False)
    l_fus, g_fus = _rows.hard_rows(x, y, keep, w, eps, True, scale=0.37)
    assert_close_scaled(l_fus, l_ref, TOL[dtype])
    assert_close_scaled(g_fus, g_ref, TOL[dtype])
    assert l_fus.dtype == dtype  # the reference promotes to float64 with float row weights and smoothing
    l_only, g_none = _rows.hard_rows(x, y, keep, w, eps, False)
    assert g_none is None
    assert_close_scaled(l_only, l_ref, TOL[dtype])


@given(n=st.integers(1, 40), c=st.integers(1, 40), eps=st.sampled_from([0.0, 0.1, 1.0]), seed=st.integers(0, 2**31))
def test_property_fused_equals_reference(n, c, eps, seed):
    rng = np.random.default_rng(seed)
    x = (5 * rng.standard_normal((n, c))).astype(np.float32)
    y = rng.integers(0, c, n).astype(np.intp)
    keep = rng.random(n) < 0.8
    l_ref, g_ref = _rows.hard_rows(x, y, keep, None, eps, True, fused=False)
    l_fus, g_fus = fused_hard_rows(x, y, keep, None, eps, True)
    assert_close_scaled(l_fus, l_ref, 2e-5)
    # gradient entries are p - q with |p - q| <= 1: float32 rounding of the reference is ~1e-7 absolute
    # (with C = 1 the exact gradient is 0, which the kernel gets and the reference misses by 2e-8)
    np.testing.assert_allclose(g_fus, g_ref, rtol=2e-5, atol=1e-6)


# ------------------------------------------------------------------------------------------ out=


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_out_in_place_over_logits(dtype, rng):
    x = (3 * rng.standard_normal((300, 41))).astype(dtype)
    y = rng.integers(0, 41, 300)
    t_loss, t_grad = torch_cross_entropy(x, y, label_smoothing=0.1, ignore_index=2)
    buf = x.copy()
    loss, grad = ce.cross_entropy(buf, y, return_grad=True, out=buf, label_smoothing=0.1, ignore_index=2)
    assert grad is buf
    assert_close_scaled(loss, t_loss, TOL[dtype])
    assert_close_scaled(buf, t_grad, TOL[dtype])


def test_out_separate_buffer_and_logits_untouched(rng):
    x = rng.standard_normal((100, 10)).astype(np.float32)
    x0 = x.copy()
    y = rng.integers(0, 10, 100)
    out = np.full_like(x, np.nan)
    loss, grad = ce.cross_entropy(x, y, return_grad=True, out=out)
    assert grad is out
    np.testing.assert_array_equal(x, x0)
    assert_close_scaled(out, torch_cross_entropy(x, y)[1], 1e-5)


@pytest.mark.parametrize("case", ["overlap", "fortran", "float16", "axis1", "soft"])
def test_out_through_fallback_paths(case, rng):
    """Layouts the kernel cannot write directly still fill ``out`` with the right gradient."""
    y = rng.integers(0, 6, 40)
    if case == "overlap":  # out overlaps the logits shifted by one row: computed aside, then copied
        base = rng.standard_normal((41, 6))
        x, out = base[1:], base[:-1]
        ref = ce.cross_entropy(x.copy(), y, return_grad=True)[1]
    elif case == "fortran":
        x = np.asfortranarray(rng.standard_normal((40, 6)))
        out = np.empty_like(x, order="F")
        ref = torch_cross_entropy(np.ascontiguousarray(x), y)[1]
    elif case == "float16":
        x = rng.standard_normal((40, 6)).astype(np.float16)
        out = np.empty_like(x)
        ref = torch_cross_entropy(x.astype(np.float32), y)[1]
    elif case == "axis1":
        x = rng.standard_normal((40, 6, 3))
        y = rng.integers(0, 6, (40, 3))
        out = np.empty_like(x)
        loss, grad = ce.cross_entropy(x, y, axis=1, return_grad=True, out=out)
        xt = torch.from_numpy(x).requires_grad_()
        F.cross_entropy(xt, torch.from_numpy(y)).backward()
        assert grad is out
        assert_close_scaled(out, xt.grad.numpy(), 1e-12)
        return
    else:
        x = rng.standard_normal((40, 6))
        q = rng.dirichlet(np.ones(6), 40)
        out = np.empty_like(x)
        grad = ce.cross_entropy(x, q, return_grad=True, out=out)[1]
        xt = torch.from_numpy(x).requires_grad_()
        F.cross_entropy(xt, torch.from_numpy(q)).backward()
        assert grad is out
        assert_close_scaled(out, xt.grad.numpy(), 1e-12)
        return
    grad = ce.cross_entropy(x, y, return_grad=True, out=out)[1]
    assert grad is out
    assert_close_scaled(out, ref, 1e-3 if case == "float16" else 1e-12)


def test_read_only_logits(rng):
    x = rng.standard_normal((50, 9)).astype(np.float32)
    y = rng.integers(0, 9, 50)
    x.flags.writeable = False
    loss, grad = ce.cross_entropy(x, y, return_grad=True)
    t_loss, t_grad = torch_cross_entropy(x, y)
    assert_close_scaled(loss, t_loss, 1e-5)
    assert_close_scaled(grad, t_grad, 1e-5)


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"out": np.empty((4, 3))}, ValueError, "return_grad"),
    ({"out": [[0.0] * 3] * 4, "return_grad": True}, TypeError, "out must be a numpy.ndarray"),
    ({"out": np.empty((4, 4)), "return_grad": True}, ValueError, "shape"),
    ({"out": np.empty((4, 3), np.float32), "return_grad": True}, ValueError, "dtype"),
])
def test_out_validation(kwargs, exc, words):
    with pytest.raises(exc, match=words):
        ce.cross_entropy(np.zeros((4, 3)), np.array([0, 1, 2, 0]), **kwargs)


def test_out_read_only_rejected():
    out = np.empty((4, 3))
    out.flags.writeable = False
    with pytest.raises(ValueError, match="out must be writeable"):
        ce.cross_entropy(np.zeros((4, 3)), np.array([0, 1, 2, 0]), return_grad=True, out=out)


# ------------------------------------------------------------------------------------------ exp / max


@njit
def _map_exp32(x, out):
    for i in range(x.size):
        out[i] = exp_f32(x[i])


@njit
def _map_exp64(x, out):
    for i in range(x.size):
        out[i] = exp_f64(x[i])


@njit
def _max_reduce(x):
    m = x[0]
    for i in range(x.size):
        m = fmax(m, x[i])
    return m


def test_exp_f32_within_two_ulp_of_float64_exp(rng):
    x = np.concatenate([rng.uniform(-87.3, 88.7, 200_000), np.linspace(-1, 1, 1001), [0.0, -87.3, 88.7]]).astype(np.float32)
    out = np.empty_like(x)
    _map_exp32(x, out)
    ref = np.exp(x.astype(np.float64))
    ulp = np.spacing(ref.astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(out - ref) / ulp) <= 2.0
    tiny = np.array([-87.34, -100.0, -1e4, -np.float32(3e38)], np.float32)
    out_tiny = np.empty_like(tiny)
    _map_exp32(tiny, out_tiny)
    assert (out_tiny == 0).all()


def test_exp_f64_within_two_ulp_of_numpy(rng):
    x = np.concatenate([rng.uniform(-708.3, 709.7, 200_000), np.linspace(-1, 1, 1001), [0.0]])
    out = np.empty_like(x)
    _map_exp64(x, out)
    ref = np.exp(x)
    assert np.max(np.abs(out - ref) / np.spacing(ref)) <= 2.0
    tiny = np.array([-708.4, -800.0, -1e300])
    out_tiny = np.empty_like(tiny)
    _map_exp64(tiny, out_tiny)
    assert (out_tiny == 0).all()


def test_fmax_reduction_equals_numpy_max(rng):
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal(1001).astype(dtype)
        assert _max_reduce(x) == x.max()
        x[500] = 7.5
        assert _max_reduce(x) == 7.5


def test_concurrent_calls_from_threads_match_torch(rng):
    """Dask's threaded workers launch the kernels at once: every thread still gets PyTorch's numbers."""
    from concurrent.futures import ThreadPoolExecutor

    xs = [(3 * rng.standard_normal((400, 30))).astype(np.float32) for _ in range(6)]
    y = rng.integers(0, 30, 400)
    refs = [torch_cross_entropy(x, y, label_smoothing=0.1)[1] for x in xs]

    def work(i):
        return [ce.cross_entropy(xs[i], y, return_grad=True, label_smoothing=0.1)[1] for _ in range(10)]

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(work, range(6)))
    for grads, ref in zip(results, refs):
        for g in grads:
            assert_close_scaled(g, ref, 1e-5)


@pytest.mark.parametrize("preset", [None, "ACTIVE"])
def test_openmp_threads_wait_passively_unless_the_user_chose(preset):
    """numba's OpenMP threads must not spin between kernels (they took the cores from BLAS); a user's choice stays.

    Judged by libgomp itself (``OMP_DISPLAY_ENV=VERBOSE`` prints the spin count it runs with: 0 for
    PASSIVE, 300000 by default, more for ACTIVE), while ``os.environ`` stays as the user left it.
    """
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env["OMP_DISPLAY_ENV"] = "VERBOSE"
    if preset is not None:
        env["OMP_WAIT_POLICY"] = preset
    code = ("import os, numpy as np, crossentropy as ce; "
            "ce.cross_entropy(np.zeros((4096, 64), np.float32), np.zeros(4096, np.intp), return_grad=True); "
            "import numba; print(os.environ.get('OMP_WAIT_POLICY'), numba.threading_layer())")
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    out = res.stdout.split()
    assert out[0] == str(preset)  # the process environment is not touched
    assert out[1] in ("omp", "tbb", "workqueue")
    spin = [line.split("=", 1)[1].strip().strip("'") for line in res.stderr.splitlines()
            if line.strip().startswith("GOMP_SPINCOUNT")]
    if out[1] == "omp" and spin:
        assert spin[0] == "0" if preset is None else int(spin[0]) > 300000


# ------------------------------------------------------------------ the loss does not depend on where the gradient lies
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_classes", [4, 7, 33])
def test_loss_is_the_same_wherever_the_gradient_buffer_lies(dtype, n_classes):
    # LLVM runs the scalar loop (another summation order) when the written gradient row starts just
    # after the read logits row; that once moved the loss by an ulp depending on numpy's allocation
    rng = np.random.default_rng(n_classes)
    n = 6
    rows = (2 * rng.standard_normal((n, n_classes))).astype(dtype)
    y = rng.integers(0, n_classes, n)
    keep = np.ones(n)
    plain, _ = fused_hard_rows(rows.copy(), y, keep, None, 0.3, False)
    far, g_far = fused_hard_rows(rows.copy(), y, keep, None, 0.3, True, out=np.empty_like(rows))
    np.testing.assert_array_equal(far, plain)
    size = n * n_classes
    for gap in (0, 1, 3, 8, 16, 64):
        big = np.zeros(2 * size + gap, dtype)
        x = big[:size].reshape(n, n_classes)
        x[:] = rows
        out = big[size + gap:].reshape(n, n_classes)
        loss, grad = fused_hard_rows(x, y, keep, None, 0.3, True, out=out)
        assert grad is out
        np.testing.assert_array_equal(loss, plain)
        np.testing.assert_array_equal(grad, g_far)
        assert not _kernels._starts_just_after(_kernels._gradient_buffer(x), x)


_SAME_WITH_AND_WITHOUT_GRADIENT = """
import numpy as np
from crossentropy._kernels import fused_hard_rows
bad = []
for C in (4, 7, 33, 257):
    for dtype in (np.float32, np.float64):
        rng = np.random.default_rng(C)
        rows = (2 * rng.standard_normal((6, C))).astype(dtype)
        y = rng.integers(0, C, 6)
        keep = np.ones(6)
        plain, _ = fused_hard_rows(rows.copy(), y, keep, None, 0.3, False)
        far, _ = fused_hard_rows(rows.copy(), y, keep, None, 0.3, True, out=np.empty_like(rows))
        inplace = rows.copy()
        own, _ = fused_hard_rows(inplace, y, keep, None, 0.3, True, out=inplace)
        if not (np.array_equal(far, plain) and np.array_equal(own, plain)):
            bad.append((C, np.dtype(dtype).name))
print(bad)
"""


def test_loss_is_the_same_with_and_without_gradient_when_compiled_afresh(tmp_path):
    # compiled in a process with an empty numba cache, the loops are inlined and vectorised otherwise
    # than when their callees come from the cache: the loss must not depend on it (a cold cache once
    # gave a loss an ulp away from the same call without the gradient)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", _SAME_WITH_AND_WITHOUT_GRADIENT], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]", proc.stdout
