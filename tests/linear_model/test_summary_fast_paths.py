"""The summary's shortcuts: the identification proved from the weighted information, the spread from the Gram matrix.

Oracles: the scaled QR factor of ``numpy.linalg.qr`` (the residual norm of each column on the earlier
ones, the quantity of R's rule), and ``numpy.std`` of each column (float64, two passes) for
``odds_ratio_per_sd``.
"""

import numpy as np
import pytest

from crossentropy import LogisticRegression
from crossentropy.linear_model._aliasing import ALIAS_TOL, full_rank_from_weighted_gram


def _unweighted_pivots(X):
    Xn = X / np.linalg.norm(X, axis=0)
    return np.abs(np.diag(np.linalg.qr(Xn, mode="r")))


@pytest.mark.parametrize("seed", range(6))
def test_weighted_proof_implies_the_unweighted_rule(seed):
    rng = np.random.default_rng(seed)
    n, q = 300, 6
    X = np.column_stack([np.ones(n), rng.normal(size=(n, q - 1))])
    X[:, -1] = X[:, 1] + 10.0 ** -rng.uniform(1, 9) * rng.normal(size=n)  # nearly collinear, to varying degrees
    w = np.exp(rng.uniform(-rng.uniform(0, 12), 0, size=n))
    proved = full_rank_from_weighted_gram(X.T @ (w[:, None] * X), w)
    pivots = _unweighted_pivots(X)
    if proved:
        assert pivots.min() >= 1e-4
    if pivots.min() < ALIAS_TOL:
        assert not proved


def test_weighted_proof_refuses_zero_weights_and_exact_aliasing():
    X = np.column_stack([np.ones(5), np.arange(5.0)])
    assert full_rank_from_weighted_gram(X.T @ X, np.ones(5))
    assert not full_rank_from_weighted_gram(X.T @ X, np.r_[np.ones(4), 0.0])
    X3 = np.column_stack([X, X[:, 1] * 3 - 1])
    assert not full_rank_from_weighted_gram(X3.T @ X3, np.ones(5))


@pytest.mark.filterwarnings("ignore:solver .newton. did not converge")
@pytest.mark.parametrize("aliased", [False, True])
def test_odds_ratio_per_sd_equals_numpy_std_with_and_without_weights(aliased):
    """With an aliased column the spread comes from the aliasing check's Gram matrix (equal weights) or two
    passes (a column far from zero, unequal weights); without, from two passes."""
    rng = np.random.default_rng(3)
    n = 400
    X = np.column_stack([rng.normal(size=n), 1e6 + rng.normal(size=n), rng.normal(5.0, 2.0, size=n)])
    y = (X[:, 0] + 0.5 * (X[:, 2] - 5) + rng.logistic(size=n) > 0).astype(int)
    if aliased:
        X = np.column_stack([X, X[:, 0] - 2 * X[:, 2]])
    m = LogisticRegression(penalty=None, tol=1e-10, max_iter=500).fit(X, y)
    for w in (None, rng.integers(0, 4, size=n).astype(float)):
        s = m.summary(X, y, w)
        assert s.aliased == (("x4",) if aliased else ())
        ww = np.ones(n) if w is None else w
        mean = np.average(X, axis=0, weights=ww)
        sd = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=ww))
        np.testing.assert_allclose(s.frame["odds_ratio_per_sd"].to_numpy()[1:4],
                                   np.exp(s.frame["estimate"].to_numpy()[1:4] * sd[:3]), rtol=1e-9)
