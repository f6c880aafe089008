"""The float32 fit's memory: evenly spaced rows as a view, Gram blocks from a byte budget (oracles: NumPy float64)."""

import numpy as np

from crossentropy.objective import LinearObjective
from crossentropy.objective import sums


def test_evenly_spaced_rows_are_a_view_with_the_objective_of_those_rows():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, 6)).astype(np.float32)
    y = (rng.random(1000) < 0.4).astype(int)
    obj = LinearObjective(X, y, n_classes=2, scale=1 / 1000, l2=1e-3)
    rows = np.arange(3, 1000, 7)
    sub = obj.subsample(rows)
    assert np.shares_memory(sub.X, X)  # no copy of X's rows
    coef = rng.normal(0, 0.3, 7)
    Xr, yr = X[rows].astype(np.float64), y[rows]
    z = Xr @ coef[:6] + coef[6]
    # the definition: the rows' mean loss (rescaled to estimate the whole) plus the l2 term
    f = np.sum(np.logaddexp(0, z) - yr * z) / rows.size + 0.5e-3 * coef[:6] @ coef[:6]
    np.testing.assert_allclose(sub.loss(coef), f, rtol=1e-6)


def test_gram_in_small_blocks_matches_numpy(monkeypatch):
    monkeypatch.setattr(sums, "GRAM_BLOCK_BYTES", 64 * 5 * 4)  # 64-row blocks: many of them, and a ragged last
    rng = np.random.default_rng(1)
    X = rng.standard_normal((1000, 5))
    h = rng.uniform(0, 0.25, 1000)
    Xi = np.c_[X, np.ones(1000)]
    ref = Xi.T @ (h[:, None] * Xi)
    np.testing.assert_allclose(sums.gram(X, h, True), ref, rtol=1e-12)
    np.testing.assert_allclose(sums.gram(X.astype(np.float32), h, True), Xi.astype(np.float32).astype(np.float64).T
                               @ (h[:, None] * Xi.astype(np.float32).astype(np.float64)), rtol=2e-5)
