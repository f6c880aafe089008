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


@pytest.mark.parametrize("threads", [1, 3])
def test_spreads_of_a_large_coded_design_from_one_compiled_pass_equal_numpy_std(threads, monkeypatch):
    """Above SPREAD_KERNEL_ELEMENTS the numeric columns' spreads come from the features' moments about
    their first row (one compiled pass, here on one thread or split by rows over three): equal to
    numpy.std of the design written out, for a standardised column (scale and shift), a column far from
    zero, a column whose first row is a wild outlier (past the rounding rule: two passes) and zero
    weights; level columns get NaN."""
    from crossentropy._terms import TermColumn, TermMap
    from crossentropy.linear_model import _summary

    rng = np.random.default_rng(5)
    n = 70_000
    level = rng.integers(0, 3, n)
    U = np.column_stack([rng.normal(size=n), 1e6 + rng.normal(size=n), level == 0, level == 1, level == 2,
                         rng.normal(size=n)])
    U[0, 5] = 1e9  # the shift of this column is far from the rest of it
    tm = TermMap(6, (TermColumn("a", "numeric", (0,), mean=5.0, scale=2.0),
                     TermColumn("far", "numeric", (1,), mean=0.0, scale=1.0),
                     TermColumn("c", "categorical", (2, 3, 4), levels=("p", "q", "r"), reference="p"),
                     TermColumn("wild", "numeric", (5,), mean=-1.0, scale=0.5)))
    coding = tm.coding(fit_intercept=True, reference_coded=True)
    R = coding.rows(U)
    monkeypatch.setattr(_summary, "SPREAD_KERNEL_ELEMENTS", R.shape[0])  # this design counts as large
    read = []
    feature_moments = _summary._feature_moments
    monkeypatch.setattr(_summary, "_feature_moments", lambda *a: read.append(1) or feature_moments(*a))
    monkeypatch.setattr(_summary, "row_threads", lambda n, step: threads)
    split, parts = _summary.split_rows, []
    monkeypatch.setattr(_summary, "split_rows", lambda work, n, step, k: parts.append(len(out := split(work, n, step, k)))
                        or out)
    written = np.asarray(R)
    numeric = np.asarray(coding.kinds) == "numeric"
    for sw in (np.ones(n), rng.integers(0, 3, n).astype(float)):
        got = _summary._spread(R, sw, numeric)
        mean = np.average(written, axis=0, weights=sw)
        want = np.sqrt(np.average((written - mean) ** 2, axis=0, weights=sw))
        np.testing.assert_allclose(got[numeric], want[numeric], rtol=1e-9)
        assert np.isnan(got[~numeric]).all()
    assert len(read) == 2 and parts == [threads, threads]


@pytest.mark.filterwarnings("ignore:solver .newton. did not converge")
def test_a_large_summary_reports_odds_ratios_per_sd_of_numpy_std():
    rng = np.random.default_rng(6)
    n = 120_000
    X = np.column_stack([rng.normal(size=(n, 8)), 1e6 + rng.normal(size=n), rng.normal(5.0, 2.0, size=n)])
    y = (X[:, 0] + 0.5 * (X[:, 9] - 5) + rng.logistic(size=n) > 0).astype(int)
    m = LogisticRegression(penalty=None, tol=1e-10, max_iter=500).fit(X, y)
    s = m.summary(X, y)
    sd = X.std(axis=0)
    np.testing.assert_allclose(s.frame["odds_ratio_per_sd"].to_numpy()[1:],
                               np.exp(s.frame["estimate"].to_numpy()[1:] * sd), rtol=1e-9)
