"""The reported design read in blocks of rows, and the Grams and HC2/HC3 leverages split over threads.

Oracles: NumPy's product for the triangular one; the design written out from the documented coding (a numeric term is ``scale * u + mean``,
a level term its indicator, the constant 1) with NumPy; the weighted Gram ``X.T @ (h * X)`` in
float64; Long and Ervin's binary HC3 (residual over one minus the leverage); statsmodels' ``Logit``
for the summary's standard errors; tracemalloc for the memory of a summary.
"""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

from crossentropy import LogisticRegression
from crossentropy import _blas
from crossentropy._terms import TermColumn, TermMap
from crossentropy.linear_model import _covariance
from crossentropy.linear_model._covariance import covariance
from crossentropy.linear_model._design import FittedDesign
from crossentropy.objective import sums


def _coded(rng, n=300):
    """Features of a numeric column (standardised), a 3-level column (one indicator per level) and a
    second numeric column, with their term map; and the design written out by hand."""
    raw_a, raw_b = rng.normal(5.0, 2.0, n), rng.normal(-1.0, 0.5, n)
    level = rng.integers(0, 3, n)
    U = np.column_stack([(raw_a - 5.0) / 2.0, level == 0, level == 1, level == 2, (raw_b + 1.0) / 0.5]).astype(float)
    tm = TermMap(5, (TermColumn("a", "numeric", (0,), mean=5.0, scale=2.0),
                     TermColumn("c", "categorical", (1, 2, 3), levels=("p", "q", "r"), reference="p"),
                     TermColumn("b", "numeric", (4,), mean=-1.0, scale=0.5)))
    coding = tm.coding(fit_intercept=True, reference_coded=True)
    by_hand = np.column_stack([np.ones(n), 2.0 * U[:, 0] + 5.0, level == 1, level == 2, 0.5 * U[:, 4] - 1.0])
    return U, coding, by_hand


def test_a_coded_design_reads_as_the_design_written_out():
    rng = np.random.default_rng(0)
    U, coding, by_hand = _coded(rng)
    R = coding.rows(U)
    assert R.shape == by_hand.shape and coding.names == ("const", "a", "c[T.q]", "c[T.r]", "b")
    np.testing.assert_allclose(np.asarray(R), by_hand, rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(R[40:75], by_hand[40:75], rtol=1e-15, atol=1e-15)
    scale = rng.uniform(0.1, 3.0, 35)
    np.testing.assert_allclose(R.fill_rows(40, 75, np.empty((35, 5)), scale), by_hand[40:75] * scale[:, None],
                               rtol=1e-15, atol=1e-15)
    v, B = rng.standard_normal(5), rng.standard_normal((5, 3))
    np.testing.assert_allclose(R @ v, by_hand @ v, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(R @ B, by_hand @ B, rtol=1e-12, atol=1e-12)
    mask = rng.random(U.shape[0]) < 0.4
    np.testing.assert_allclose(np.asarray(R.take(mask)), by_hand[mask], rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(R.take(mask) @ v, by_hand[mask] @ v, rtol=1e-12, atol=1e-12)
    kept = R.columns([0, 1, 4])
    assert kept.coding.names == ("const", "a", "b")
    np.testing.assert_allclose(np.asarray(kept.take(mask)), by_hand[mask][:, [0, 1, 4]], rtol=1e-15, atol=1e-15)
    with pytest.raises(TypeError, match="blocks of rows"):
        R[:, 1]


def _record_splits(monkeypatch, module):
    calls = []
    real = module.split_rows

    def recording(work, n, step, threads):
        calls.append(threads)
        return real(work, n, step, threads)

    monkeypatch.setattr(module, "split_rows", recording)
    return calls


@pytest.mark.parametrize("kind", ["float64", "float32", "coded"])
@pytest.mark.parametrize("signs", ["nonnegative", "mixed"])
def test_a_gram_split_over_threads_equals_the_float64_definition(kind, signs, monkeypatch):
    rng = np.random.default_rng(1)
    n = 60_000  # four blocks of 512 kB at least: 13,107 rows of five float64 columns
    if kind == "coded":
        U, coding, by_hand = _coded(rng, n)
        X, dense = coding.rows(U), by_hand
    else:
        dense = rng.standard_normal((n, 12))
        X = dense.astype(kind)
        dense = X.astype(np.float64)
    h = rng.uniform(0.0, 2.0, n) - (0.5 if signs == "mixed" else 0.0)
    calls = _record_splits(monkeypatch, sums)
    with threadpool_limits(limits=2, user_api="blas"):
        if _blas.blas_threads() < 2:
            pytest.skip("the BLAS library does not take a second thread here")
        G = sums.gram(X, h, False)
    assert calls and calls[0] == 2
    ref = dense.T @ (h[:, None] * dense)
    rtol = 1e-5 if kind == "float32" else 1e-12
    np.testing.assert_allclose(G, ref, rtol=rtol, atol=rtol * np.abs(ref).max())
    np.testing.assert_array_equal(G, G.T)


def test_split_rows_keeps_the_parts_in_order_and_raises_the_first_parts_error():
    assert _blas.split_rows(lambda lo, hi: (lo, hi), 1000, 100, 3) == [(0, 300), (300, 600), (600, 1000)]
    assert _blas.split_rows(lambda lo, hi: (lo, hi), 1000, 100, 1) == [(0, 1000)]

    def failing(lo, hi):
        raise ValueError(f"rows {lo}..{hi}")

    with pytest.raises(ValueError, match=r"rows 0\.\.500"):
        _blas.split_rows(failing, 1000, 100, 2)


@pytest.mark.parametrize("product, triangle", [("times_lower", np.tril), ("times_upper", np.triu)])
@given(r=st.integers(0, 40), m=st.integers(1, 12), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_triangular_products_are_the_products_with_their_triangle(product, triangle, r, m, seed):
    """``T @ tril(L)`` (``T @ triu(U)``) in float64, whatever lies in the other triangle (not read)."""
    rng = np.random.default_rng(seed)
    T, M = rng.standard_normal((r, m)), rng.standard_normal((m, m))
    expected = T @ triangle(M)
    out = getattr(_blas, product)(T, M)
    assert out is T
    np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-13)


@given(cost=st.lists(st.integers(0, 1000), min_size=0, max_size=60), threads=st.integers(1, 4))
@settings(max_examples=60, deadline=None)
def test_weighted_bounds_cover_the_items_once_in_parts_of_balanced_cost(cost, threads):
    """Contiguous parts in order, each item in exactly one, at most ``threads`` of them; no part exceeds
    the even share by more than the largest item (the greedy cut's bound)."""
    cost = np.asarray(cost, dtype=np.int64)
    bounds = _blas.weighted_bounds(cost, threads)
    assert 2 <= len(bounds) <= max(1, threads) + 1
    assert bounds[0] == 0 and bounds[-1] == cost.size
    assert all(lo < hi for lo, hi in zip(bounds, bounds[1:])) or cost.size == 0
    if cost.size and cost.sum():
        sums = [cost[lo:hi].sum() for lo, hi in zip(bounds, bounds[1:])]
        assert max(sums) <= cost.sum() / threads + cost.max()


def test_split_at_runs_the_parts_in_threads_and_raises_the_first_error():
    import threading

    names = _blas.split_at(lambda lo, hi: threading.current_thread().name, [0, 4, 8])
    assert len(set(names)) == 2 and names[-1] == threading.current_thread().name  # the last part: the caller's

    def together(barrier):  # each part waits for the others: three parts run at once, on three threads
        def work(lo, hi):
            barrier.wait(10)
            return threading.current_thread()
        return work

    with _blas.for_own_threads(0):  # a block's workers: started once, the same for every split, gone after
        first = _blas.split_at(together(threading.Barrier(3)), [0, 3, 6, 9])
        again = _blas.split_at(together(threading.Barrier(3)), [0, 3, 6, 9])
        assert len(set(first)) == 3 and set(again) == set(first)
    assert not any(t.is_alive() for t in first[:2])

    def failing(lo, hi):
        raise ValueError(f"items {lo}..{hi}")

    with pytest.raises(ValueError, match=r"items 0\.\.4"):
        _blas.split_at(failing, [0, 4, 8])


def test_times_lower_releases_the_gil_and_refuses_what_it_cannot_write():
    import ctypes

    assert not _blas._dtrmm()._flags_ & ctypes._FUNCFLAG_PYTHONAPI  # a plain foreign call drops the GIL
    L = np.eye(3)
    for T, what in ((np.ones((3, 4))[:, :3], "C-ordered"), (np.ones((2, 3), dtype=np.float32), "float32"),
                    (np.ones((2, 4)), r"\(2, 4\)")):
        with pytest.raises(ValueError, match=what):
            _blas.times_lower(T, L)
    frozen = np.ones((2, 3))
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        _blas.times_lower(frozen, L)


def _as_a_large_product_on_a_quiet_machine(monkeypatch):
    """The covariance's products counted as large and both cores free (the test runner's other workers
    and a small design would otherwise keep BLAS, and so the split, at one thread)."""
    from crossentropy import _cores

    monkeypatch.setattr(_blas, "SMALL_PRODUCT", 0)
    monkeypatch.setattr(_cores, "free_cores", lambda **kwargs: 2)


@pytest.mark.parametrize("cov_type", ["HC2", "HC3"])
@pytest.mark.parametrize("coded", [False, True])
def test_binary_leverages_split_over_threads_match_long_and_ervin(cov_type, coded, monkeypatch):
    """Blocks of a few rows (a small BLOCK_BUDGET) so that 2,000 rows split over two threads."""
    rng = np.random.default_rng(2)
    U, coding, X = _coded(rng, 2_000)
    beta = np.array([-0.3, 0.2, 0.5, -0.4, 0.8])
    p = 1 / (1 + np.exp(-(X @ beta)))
    y = (rng.random(p.size) < p).astype(np.intp)
    d = FittedDesign(coding.rows(U) if coded else X, coding.names, coding.columns, beta, y, np.ones(y.size), 2)
    C = np.linalg.inv(X.T @ (X * (p * (1 - p))[:, None]))
    h = p * (1 - p) * np.einsum("ij,jk,ik->i", X, C, X)
    u = X * ((y - p) / (1 - h if cov_type == "HC3" else np.sqrt(1 - h)))[:, None]
    monkeypatch.setattr(_covariance, "BLOCK_BUDGET", 8 * 13 * 50)  # 50 rows a block
    _as_a_large_product_on_a_quiet_machine(monkeypatch)
    calls = _record_splits(monkeypatch, _covariance)
    with threadpool_limits(limits=2, user_api="blas"):
        if _blas.blas_threads() < 2:
            pytest.skip("the BLAS library does not take a second thread here")
        V = covariance(d, cov_type)
    assert calls == [2]
    np.testing.assert_allclose(V, C @ u.T @ u @ C, rtol=1e-9)


def test_a_leverage_of_one_is_named_when_the_rows_are_split(monkeypatch):
    """The first row of leverage 1 in the data's order, whichever thread found it."""
    rng = np.random.default_rng(3)
    n = 2_000
    X = np.column_stack([np.ones(n), rng.standard_normal(n), np.zeros(n), np.zeros(n)])
    X[1_500, 2] = 1.0  # rows 1,500 and 1,700 alone determine their columns' coefficients
    X[1_700, 3] = 1.0
    y = (rng.random(n) < 0.5).astype(np.intp)
    d = FittedDesign(X, ("const", "x", "e1", "e2"), (None, "x", "e1", "e2"), np.zeros(4), y, np.ones(n), 2)
    monkeypatch.setattr(_covariance, "BLOCK_BUDGET", 8 * 12 * 50)
    _as_a_large_product_on_a_quiet_machine(monkeypatch)
    calls = _record_splits(monkeypatch, _covariance)
    with threadpool_limits(limits=2, user_api="blas"), pytest.raises(ValueError, match="row 1500 has leverage 1"):
        covariance(d, "HC3")
    assert calls == [2]


def test_a_summary_forms_no_copy_of_the_design_and_matches_statsmodels():
    """HC3 standard errors of 150,000 x 30 against statsmodels; the summary's peak memory stays below
    X's size (the n x 31 design with its constant column is read in blocks, never formed; what it
    holds is a few n-vectors and the blocks of the threads)."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((150_000, 30))
    y = (X[:, :5].sum(axis=1) + rng.logistic(size=X.shape[0]) > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(penalty=None, tol=1e-10).fit(X, y)
    model.summary(X, y, cov_type="HC3")  # warm: imports and first calls
    tracemalloc.start()
    try:
        s = model.summary(X, y, cov_type="HC3")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes, f"summary peak {peak / 1e6:.1f} MB against X's {X.nbytes / 1e6:.1f} MB"
    ref = sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12, cov_type="HC0")
    p = ref.predict()
    Xc = sm.add_constant(X)
    C = np.linalg.inv(Xc.T @ (Xc * (p * (1 - p))[:, None]))
    h = p * (1 - p) * np.einsum("ij,jk,ik->i", Xc, C, Xc)
    u = Xc * ((y - p) / (1 - h))[:, None]
    se = np.sqrt(np.diag(C @ u.T @ u @ C))
    np.testing.assert_allclose(s.frame["estimate"].to_numpy(), ref.params, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(s.frame["std_err"].to_numpy(), se, rtol=1e-6)
