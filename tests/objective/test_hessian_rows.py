"""Second-order terms of float64 X in float32 without a copy of X: Hessian-vector products against PyTorch
autograd, their memory against X's size, the input Gram against NumPy."""

import tracemalloc

import numpy as np
import pytest
from scipy import sparse

from crossentropy.objective import LinearObjective, n_coef
from crossentropy.objective import _second_order
from crossentropy.objective._second_order import CastRows

torch = pytest.importorskip("torch")


def _torch_hvp(X, y, sw, coef, v, K, fit_intercept, scale):
    """H v of scale * sum_i s_i CE_i at coef, by autograd in float64 (the flat class-major layout)."""
    Xt = torch.from_numpy(np.hstack([X, np.ones((X.shape[0], 1))]) if fit_intercept else X)
    st = torch.from_numpy(sw)
    yt = torch.from_numpy(y.astype(np.int64))

    def f(w):
        if K == 2:
            z = Xt @ w
            return scale * (st * torch.nn.functional.binary_cross_entropy_with_logits(
                z, yt.double(), reduction="none")).sum()
        Z = Xt @ w.reshape(K, -1).T
        return scale * (st * torch.nn.functional.cross_entropy(Z, yt, reduction="none")).sum()

    return torch.autograd.functional.hvp(f, torch.from_numpy(coef), torch.from_numpy(v))[1].numpy()


@pytest.mark.parametrize("K", [2, 4])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_float32_hessp_of_float64_x_equals_autograd(rng, K, fit_intercept, monkeypatch):
    # blocks of a few rows: many blocks, split over two threads, each cast into its own buffer (a cache
    # of 1 KB: the float32 copy does not fit, so none is made)
    monkeypatch.setattr(_second_order, "HESSP_BLOCK_BYTES", 64 * 8)
    monkeypatch.setattr(_second_order, "last_level_cache_bytes", lambda: 1024)
    n, d = 3_000, 7
    X = rng.normal(size=(n, d)) * 2
    y = rng.integers(0, K, size=n)
    sw = rng.uniform(0.2, 2.0, size=n)
    obj = LinearObjective(X, y, sw, n_classes=K, fit_intercept=fit_intercept, scale=1 / n, hessian_dtype="float32")
    coef = rng.normal(size=n_coef(d, K, fit_intercept)) * 0.3
    v = rng.normal(size=coef.size)
    obj.loss_gradient(coef)  # the evaluation Hessian-vector products reuse
    assert isinstance(obj._Xh, CastRows) and obj._Xh.shape == (n, d + fit_intercept)
    ref = _torch_hvp(X, y, sw, coef, v, K, fit_intercept, 1 / n)
    ours = obj.hessp(coef, v)
    np.testing.assert_allclose(ours, ref, rtol=2e-5, atol=2e-5 * np.abs(ref).max())
    exact = LinearObjective(X, y, sw, n_classes=K, fit_intercept=fit_intercept, scale=1 / n, hessian_dtype="float64")
    exact.loss_gradient(coef)
    np.testing.assert_allclose(exact.hessp(coef, v), ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("K", [2, 3])
def test_hessp_of_large_float64_x_keeps_no_float32_copy(rng, K, monkeypatch):
    # 40,000 x 50 float64 (16 MB) takes float32 second-order terms under "auto"; a copy would hold 8 MB,
    # more than the last-level cache of 4 MB said here
    monkeypatch.setattr(_second_order, "last_level_cache_bytes", lambda: 4 << 20)
    n, d = 40_000, 50
    X = rng.normal(size=(n, d))
    y = rng.integers(0, K, size=n)
    obj = LinearObjective(X, y, n_classes=K, scale=1 / n)
    coef = rng.normal(size=n_coef(d, K, True)) * 0.1
    v = rng.normal(size=coef.size)
    obj.loss_gradient(coef)
    tracemalloc.start()
    try:
        ours = obj.hessp(coef, v)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert obj.hessian_dtype == np.float32
    assert peak < X.nbytes / 4, f"hessp held {peak} bytes at its peak; X has {X.nbytes}"
    ref = _torch_hvp(X, y, np.ones(n), coef, v, K, True, 1 / n)
    np.testing.assert_allclose(ours, ref, rtol=2e-5, atol=2e-5 * np.abs(ref).max())


@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_input_gram_is_the_weighted_mean_outer_product(rng, weights, dtype):
    n, d = 20_000, 6  # three blocks of gathered rows
    X = rng.normal(size=(n, d))
    sw = rng.uniform(0.2, 2.0, size=n) if weights else None
    obj = LinearObjective(X, rng.integers(0, 3, size=n), sw, n_classes=3, hessian_dtype=dtype)
    s = np.ones(n) if sw is None else sw
    Xa = np.hstack([X, np.ones((n, 1))])
    ref = Xa.T @ (Xa * s[:, None]) / s.sum()
    rtol = 1e-12 if dtype == "float64" else 1e-6
    np.testing.assert_allclose(obj._input_gram(), ref, rtol=rtol, atol=rtol * np.abs(ref).max())
    Xs = X.copy()
    Xs[Xs < 0.5] = 0
    sp = LinearObjective(sparse.csr_matrix(Xs), obj.y, sw, n_classes=3)._input_gram()
    Xsa = np.hstack([Xs, np.ones((n, 1))])
    np.testing.assert_allclose(sp, Xsa.T @ (Xsa * s[:, None]) / s.sum(), rtol=1e-12, atol=1e-12)


def test_cast_rows_fill_what_numpy_casts(rng):
    X = rng.normal(size=(9, 4)) * 1e3
    scale = rng.uniform(0.5, 2, size=3)
    for ones in (False, True):
        rows = CastRows(X, np.float32, ones)
        assert rows.shape == (9, 4 + ones) and rows.dtype == np.float32
        expected = np.hstack([X[2:5], np.ones((3, 1))]) if ones else X[2:5]
        out = rows.fill_rows(2, 5, np.empty((3, 4 + ones), np.float32))
        np.testing.assert_array_equal(out, expected.astype(np.float32))
        out = rows.fill_rows(2, 5, np.empty((3, 4 + ones), np.float32), scale)
        np.testing.assert_array_equal(out, (expected * scale[:, None]).astype(np.float32))


@pytest.mark.parametrize("cache, kept", [(32 << 20, True), (1 << 20, False)])
def test_a_float32_copy_is_kept_only_when_it_fits_in_the_last_level_cache(rng, cache, kept, monkeypatch):
    # 20,000 x 100 float64 under "auto": float32 second-order terms; the copy with its column of ones
    # holds 20,000 x 101 x 4 = 8.1 MB
    monkeypatch.setattr(_second_order, "last_level_cache_bytes", lambda: cache)
    X = rng.normal(size=(20_000, 100))
    y = rng.integers(0, 3, size=20_000)
    obj = LinearObjective(X, y, n_classes=3, scale=1 / 20_000)
    assert obj.hessian_dtype == np.float32
    Xh = obj._Xh
    assert isinstance(Xh, np.ndarray) == kept and Xh.shape == (20_000, 101) and Xh.dtype == np.float32
    if kept:
        np.testing.assert_array_equal(Xh, np.hstack([X, np.ones((20_000, 1))]).astype(np.float32))
    coef = rng.normal(size=3 * 101) * 0.1
    v = rng.normal(size=coef.size)
    obj.loss_gradient(coef)
    ref = _torch_hvp(X, y, np.ones(20_000), coef, v, 3, True, 1 / 20_000)
    np.testing.assert_allclose(obj.hessp(coef, v), ref, rtol=2e-5, atol=2e-5 * np.abs(ref).max())
