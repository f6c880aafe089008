"""linear_cross_entropy against PyTorch's F.linear_cross_entropy, the materialised core, finite
differences, and its memory bound (peak extra memory does not grow with N).

Oracles: ``torch.nn.functional.linear_cross_entropy`` (both its chunked path,
``options=LinearCrossEntropyOptions()``, and its reference path) with autograd, central finite
differences in float64, and tracemalloc for the memory bound.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import crossentropy as ce
from crossentropy._kernels.linear_engine import BLOCK_BYTES, SINGLE_MIN_ROWS, block_bytes, memory_budget, plan_blocks
from helpers import assert_close_scaled

torch = pytest.importorskip("torch")
F = torch.nn.functional

TOL = {np.float32: 1e-5, np.float64: 1e-11}


def _problem(rng, n, d, c, dtype, *, bias=True):
    X = rng.standard_normal((n, d)).astype(dtype)
    W = (rng.standard_normal((c, d)) / np.sqrt(d) * 2).astype(dtype)
    b = rng.standard_normal(c).astype(dtype) if bias else None
    y = rng.integers(0, c, n)
    return X, W, b, y


def _torch_lce(X, W, b, y, *, chunked=True, weight=None, ignore_index=None, label_smoothing=0.0, reduction="mean"):
    Xt = torch.from_numpy(X).requires_grad_()
    Wt = torch.from_numpy(W).requires_grad_()
    bt = None if b is None else torch.from_numpy(b).requires_grad_()
    wt = None if weight is None else torch.from_numpy(np.asarray(weight, dtype=X.dtype))
    chunked = chunked and label_smoothing == 0  # PyTorch's chunked path has no label smoothing
    loss = F.linear_cross_entropy(Xt, Wt, torch.from_numpy(y), linear_bias=bt, weight=wt, ignore_index=ignore_index,
                                  label_smoothing=label_smoothing, reduction=reduction,
                                  options=torch.nn.LinearCrossEntropyOptions() if chunked else None)
    loss.sum().backward()
    return loss.detach().numpy(), Xt.grad.numpy(), Wt.grad.numpy(), None if bt is None else bt.grad.numpy()


OPTIONS = [
    {},
    {"weight": "w"},
    {"ignore_index": 1},
    {"label_smoothing": 0.15},
    {"weight": "w", "ignore_index": 0, "label_smoothing": 0.1},
]
OPTION_IDS = ["plain", "weight", "ignore", "smooth", "all"]
# (rows, classes) per block: all classes in one block (one pass), and ragged class chunks (online lse)
BLOCKS = [None, (64, 97), (50, 256), 70]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("opts", OPTIONS, ids=OPTION_IDS)
@pytest.mark.parametrize("block", BLOCKS, ids=["auto", "64x97", "50x256", "rows70"])
def test_matches_torch(dtype, reduction, opts, block, rng):
    n, d, c = 211, 16, 256
    X, W, b, y = _problem(rng, n, d, c, dtype)
    y[::9] = 1  # ignored rows when ignore_index=1
    opts = dict(opts)
    if opts.get("weight") == "w":
        opts["weight"] = rng.uniform(0.2, 3.0, c)
    loss, (dX, dW, db) = ce.linear_cross_entropy(X, W, y, bias=b, reduction=reduction, return_grad=True,
                                                 block_size=block, **opts)
    t_loss, t_dX, t_dW, t_db = _torch_lce(X, W, b, y, reduction=reduction, chunked=False, **opts)
    tol = TOL[dtype]
    assert_close_scaled(loss, t_loss, tol)
    assert_close_scaled(dX, t_dX, tol)
    assert_close_scaled(dW, t_dW, tol)
    assert_close_scaled(db, t_db, tol)
    assert dX.dtype == dW.dtype == db.dtype == dtype
    value_only = ce.linear_cross_entropy(X, W, y, bias=b, reduction=reduction, block_size=block, **opts)
    assert_close_scaled(value_only, loss, tol)  # the loss-only pass gives the same value


@pytest.mark.parametrize("opts", OPTIONS[:3], ids=OPTION_IDS[:3])
@pytest.mark.parametrize("block", [None, (64, 97)], ids=["auto", "64x97"])
def test_matches_torch_chunked_path(opts, block, rng):
    """PyTorch's chunked path (``LinearCrossEntropyOptions()``, no label smoothing there), float32."""
    X, W, b, y = _problem(rng, 150, 16, 200, np.float32)
    y[::9] = 1
    opts = dict(opts)
    if opts.get("weight") == "w":
        opts["weight"] = rng.uniform(0.2, 3.0, 200)
    loss, grads = ce.linear_cross_entropy(X, W, y, bias=b, return_grad=True, block_size=block, **opts)
    ref = _torch_lce(X, W, b, y, chunked=True, **opts)
    for ours, theirs in zip((loss, *grads), ref):
        assert_close_scaled(ours, theirs, 1e-5)


@pytest.mark.parametrize("block", [None, (37, 41), (1000, 7)])
def test_equals_materialised_core_without_bias(block, rng):
    X, W, _, y = _problem(rng, 150, 9, 60, np.float64, bias=False)
    y[::4] = -100
    opts = {"ignore_index": -100, "label_smoothing": 0.05, "weight": rng.uniform(0.5, 2, 60)}
    loss, (dX, dW, db) = ce.linear_cross_entropy(X, W, y, return_grad=True, block_size=block, **opts)
    ref, G = ce.cross_entropy(X @ W.T, y, return_grad=True, **opts)
    assert db is None
    assert_close_scaled(loss, ref, 1e-12)
    assert_close_scaled(dX, G @ W, 1e-12)
    assert_close_scaled(dW, G.T @ X, 1e-12)
    t_loss, t_dX, t_dW, _ = _torch_lce(X, W, None, y, chunked=False, **opts)  # the reference path too
    assert_close_scaled(loss, t_loss, 1e-12)
    assert_close_scaled(dW, t_dW, 1e-12)


def test_large_logits_and_float32_chunks(rng):
    """Logits in the hundreds, classes chunked: the online log-sum-exp must rescale without overflow."""
    X, W, b, y = _problem(rng, 120, 8, 300, np.float32)
    W *= 60
    loss, (dX, dW, db) = ce.linear_cross_entropy(X, W, y, bias=b, return_grad=True, block_size=(32, 64))
    assert np.isfinite(loss) and all(np.isfinite(a).all() for a in (dX, dW, db))
    t_loss, t_dX, t_dW, t_db = _torch_lce(X, W, b, y)
    for ours, ref in ((loss, t_loss), (dX, t_dX), (dW, t_dW), (db, t_db)):
        assert_close_scaled(ours, ref, 1e-5)


def test_gradients_match_central_differences(rng):
    X, W, b, y = _problem(rng, 13, 4, 6, np.float64)
    opts = {"label_smoothing": 0.2, "weight": rng.uniform(0.5, 2, 6), "block_size": (5, 4)}
    _, (dX, dW, db) = ce.linear_cross_entropy(X, W, y, bias=b, return_grad=True, **opts)
    h = 1e-6
    for arr, grad in ((X, dX), (W, dW), (b, db)):
        num = np.empty_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + h
            up = ce.linear_cross_entropy(X, W, y, bias=b, **opts)
            arr[idx] = old - h
            down = ce.linear_cross_entropy(X, W, y, bias=b, **opts)
            arr[idx] = old
            num[idx] = (up - down) / (2 * h)
        np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-8)


def test_all_ignored_mean_is_zero(rng):
    X, W, b, y = _problem(rng, 10, 3, 5, np.float64)
    y[:] = -1
    loss, (dX, dW, db) = ce.linear_cross_entropy(X, W, y, bias=b, ignore_index=-1, return_grad=True)
    assert loss == 0.0
    assert not dX.any() and not dW.any() and not db.any()


def test_float16_inputs_compute_in_float32(rng):
    X, W, b, y = _problem(rng, 20, 4, 7, np.float32)
    loss16 = ce.linear_cross_entropy(X.astype(np.float16), W.astype(np.float16), y)
    loss32 = ce.linear_cross_entropy(X.astype(np.float16).astype(np.float32), W.astype(np.float16).astype(np.float32), y)
    assert loss16 == pytest.approx(loss32, rel=1e-6)


def test_plan_blocks_respects_budget():
    rows, chunk = plan_blocks(16_384, 65_536, 4, n_features=256, n_threads=2)
    assert chunk == 65_536 and rows >= SINGLE_MIN_ROWS  # one pass
    assert block_bytes(rows, chunk, 65_536, 256, 4, 2) <= memory_budget(16_384, 65_536, 256, 4) <= BLOCK_BYTES
    rows, chunk = plan_blocks(10_000, 10**6, 4)
    assert rows >= 256 and chunk < 10**6 and rows * chunk * 4 <= BLOCK_BYTES
    assert plan_blocks(10, 5, 8) == (10, 5)
    assert plan_blocks(100, 50, 8, (7, 3)) == (7, 3)


# ------------------------------------------------------------------------------------------ memory


def _peak_extra(n, d, c, block):
    """tracemalloc peak of one loss+grad call minus its outputs and inputs (NumPy reports to tracemalloc)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d), dtype=np.float32)
    W = rng.standard_normal((c, d), dtype=np.float32)
    b = rng.standard_normal(c, dtype=np.float32)
    y = rng.integers(0, c, n)
    ce.linear_cross_entropy(X[:50], W, y[:50], bias=b, return_grad=True, block_size=block)  # compile, warm
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        _, (dX, dW, db) = ce.linear_cross_entropy(X, W, y, bias=b, return_grad=True, block_size=block)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - base - dX.nbytes - dW.nbytes - db.nbytes


@pytest.mark.parametrize("block", [(256, 2048), (256, 700)], ids=["one-pass", "class-chunks"])
def test_peak_extra_memory_does_not_grow_with_n(block):
    d, c = 16, 2048
    small = _peak_extra(1_000, d, c, block)
    large = _peak_extra(8_000, d, c, block)
    logits_large = 8_000 * c * 4
    per_row = 64  # O(N) vectors: target copy, row weights, per-row losses (8 bytes each, a few of them)
    assert large <= small + per_row * 7_000 + 256 * 1024, (small, large)
    assert large < logits_large / 10, (large, logits_large)


# ------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("args, kwargs, exc, words", [
    ((np.zeros((3, 2)), np.zeros((4, 3)), [0, 1, 2]), {}, ValueError, "W must have shape"),
    ((np.zeros(3), np.zeros((4, 3)), [0]), {}, ValueError, "X must be 2-D"),
    ((np.zeros((3, 2)), np.zeros((0, 2)), [0, 1, 2]), {}, ValueError, "W has no rows"),
    ((np.zeros((3, 2)), np.zeros((4, 2)), [0.0, 1.0, 2.0]), {}, TypeError, "target must hold integer"),
    ((np.zeros((3, 2)), np.zeros((4, 2)), [0, 1]), {}, ValueError, r"target must have shape \(3,\)"),
    ((np.zeros((3, 2)), np.zeros((4, 2)), [0, 1, 4]), {}, ValueError, "target holds class indices outside"),
    ((np.zeros((3, 2)), np.zeros((4, 2)), [0, 1, 2]), {"bias": np.zeros(3)}, ValueError, "bias must have shape"),
    ((np.zeros((3, 2)), np.zeros((4, 2)), [0, 1, 2]), {"block_size": 0}, ValueError, "block_size must be positive"),
    ((np.zeros((3, 2)), np.zeros((4, 2)), [0, 1, 2]), {"block_size": (4, 2.5)}, TypeError, "block_size"),
    ((np.zeros((3, 2)), np.zeros((4, 2)), [0, 1, 2]), {"reduction": "avg"}, ValueError, "reduction"),
    ((np.zeros((3, 2)), np.zeros((4, 2)), [0, 1, 2]), {"label_smoothing": 2.0}, ValueError, "label_smoothing"),
    ((np.array([[np.nan, 0.0]]), np.zeros((4, 2)), [0]), {}, ValueError, "X must be finite"),
    ((np.zeros((0, 2)), np.zeros((4, 2)), np.zeros(0, int)), {}, ValueError, "empty"),
])
def test_bad_input(args, kwargs, exc, words):
    with pytest.raises(exc, match=words):
        ce.linear_cross_entropy(*args, **kwargs)


def test_empty_sum_is_zero():
    loss, (dX, dW, db) = ce.linear_cross_entropy(np.zeros((0, 2)), np.ones((4, 2)), np.zeros(0, int),
                                                 bias=np.zeros(4), reduction="sum", return_grad=True)
    assert loss == 0.0 and dX.shape == (0, 2) and not dW.any() and not db.any()


# ------------------------------------------------------------------------------------------ class-split product


@pytest.mark.parametrize("free", [1, 2])
@pytest.mark.parametrize("accumulate", [False, True])
def test_class_split_product_equals_matmul_and_restores_threads(accumulate, free, rng, monkeypatch):
    """dX_B = G_B W with 2 BLAS threads: one BLAS call while both cores are free, split over classes
    between single-threaded BLAS calls when another process holds one (the free cores forced)."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from crossentropy._kernels import products

    monkeypatch.setattr(products, "cores_left_free", lambda: free)
    pools = []
    real_pool = products._pool
    monkeypatch.setattr(products, "_pool", lambda n: pools.append(n) or real_pool(n))
    G = rng.standard_normal((37, 2 * products.MIN_SPLIT + 11))
    W = rng.standard_normal((G.shape[1], 5))
    out = rng.standard_normal((37, 5))
    expected = (out if accumulate else 0) + G @ W
    with threadpool_limits(limits=2, user_api="blas"):
        products.product_over_classes(G, W, out, accumulate=accumulate)
        threads = {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    assert threads == {2}
    assert pools == ([2, 2] if free == 1 else [])  # a part for each worker, only when a core is taken


@pytest.mark.parametrize("free", [1, 2])
def test_many_classes_split_path_matches_torch(free, rng, monkeypatch):
    """Either path of dX_B = G_B W (the free cores forced) gives PyTorch's loss and gradients."""
    from crossentropy._kernels import products

    monkeypatch.setattr(products, "cores_left_free", lambda: free)
    X, W, b, y = _problem(rng, 90, 8, 9001, np.float32)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=2, user_api="blas"):
        loss, (dX, dW, db) = ce.linear_cross_entropy(X, W, y, bias=b, return_grad=True)
    ref = _torch_lce(X, W, b, y, chunked=False)
    for ours, theirs in zip((loss, dX, dW, db), ref):
        assert_close_scaled(ours, theirs, 1e-5)
