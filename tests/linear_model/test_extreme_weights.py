"""Issue 13 (items 3, 6, 7, 10): LogisticRegression with extreme weights, features and parameters.

Oracles: scikit-learn's LogisticRegression (the same objective, C sum_i s_i l_i + penalty, whose
minimiser is unchanged when every s_i is divided by m and C multiplied by m), the linear programme of complete
separation (tests/separation_lp.py), and the size of the memory a fit allocates (tracemalloc).
"""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from crossentropy.exceptions import PerfectSeparationWarning
from crossentropy.linear_model import LogisticRegression
from separation_lp import perfectly_separated


def _data(n_classes=2, seed=0):
    X, y = make_classification(n_samples=120, n_features=4, n_informative=3, n_redundant=0, n_classes=n_classes,
                               n_clusters_per_class=1, flip_y=0.15, random_state=seed)
    return X, y


def _rel(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.mark.parametrize("exponent", [1020, -1000])  # weights near 1e307 and 1e-301
@pytest.mark.parametrize("n_classes", [2, 3])
def test_huge_or_tiny_sample_weights_fit_like_sklearn_with_C_times_the_scale(exponent, n_classes):
    X, y = _data(n_classes)
    u = np.random.default_rng(1).uniform(0.5, 2.0, y.size)
    sw = np.ldexp(u, exponent)
    assert np.all(np.isfinite(sw)) and np.all(sw > 0)
    C0 = 0.7
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ours = LogisticRegression(C=float(np.ldexp(C0, -exponent)), tol=1e-10, max_iter=500).fit(X, y, sample_weight=sw)
    # C sum s_i l_i with s = u 2**e and C = C0 2**-e is C0 sum u_i l_i (u as sw holds it, exactly)
    ref = SkLogisticRegression(C=C0, solver="newton-cholesky", tol=1e-12, max_iter=10_000).fit(
        X, y, sample_weight=np.ldexp(sw, -exponent))
    assert ours.converged_
    assert _rel(ours.coef_, ref.coef_) <= 1e-6
    assert _rel(ours.intercept_, ref.intercept_) <= 1e-6


def test_subnormal_sample_weights_fit_the_intercept_only_model():
    """s = 1e-320 with C = 1: C s is 1e-320, the penalty dominates and the coefficients vanish; the
    unpenalised intercept is then the log-odds of the weighted class frequencies (a closed form)."""
    X, y = _data(2)
    sw = np.where(y == 1, 3e-320, 1e-320)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        est = LogisticRegression(tol=1e-12).fit(X, y, sample_weight=sw)
    assert np.all(np.abs(est.coef_) < 1e-200)
    expected = np.log(sw[y == 1].sum() / sw[y == 0].sum())
    assert est.intercept_[0] == pytest.approx(expected, rel=1e-6)


def test_huge_class_weights_fit_like_their_ratios():
    X, y = _data(2)
    big = 2.0 ** 1020
    ours = LogisticRegression(class_weight={0: big, 1: big / 2}, C=0.7 / big, tol=1e-10).fit(X, y)
    ref = SkLogisticRegression(class_weight={0: 1.0, 1: 0.5}, C=0.7, solver="newton-cholesky", tol=1e-12).fit(X, y)
    assert _rel(ours.coef_, ref.coef_) <= 1e-5


def test_huge_sample_and_class_weights_together():
    X, y = _data(2)
    ours = LogisticRegression(class_weight={0: 1e300, 1: 1e300}, penalty=None, tol=1e-10).fit(
        X, y, sample_weight=np.full(y.size, 1e300))
    ref = SkLogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12).fit(X, y)
    assert _rel(ours.coef_, ref.coef_) <= 1e-5


def test_float32_features_too_large_for_float32_products_fit_in_float64():
    X, y = _data(2)
    k = 2.0 ** 100  # X * 2**100 fits float32 (max 2**128) but its squares do not
    X32 = (X * k).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ours = LogisticRegression(penalty=None, tol=1e-10).fit(X32, y)
    # without a penalty, coef(X * k) = coef(X) / k: the oracle fits the same float32 values divided by k
    ref = SkLogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12).fit(X32.astype(np.float64) / k, y)
    assert np.all(np.isfinite(ours.coef_))
    assert _rel(ours.coef_ * k, ref.coef_) <= 1e-5
    assert ours.score(X32, y) == pytest.approx(ref.score(X32.astype(np.float64) / k, y))


def test_features_whose_products_overflow_float64_are_refused_naming_X():
    X, y = _data(2)
    with pytest.raises(ValueError, match=r"X holds values up to 1e\+200 .*scale the features"):
        LogisticRegression().fit(X * 1e200 / np.abs(X).max(), y)


@pytest.mark.parametrize("C", [float("inf"), float("nan"), 0.0, -1.0])
def test_C_is_checked_before_the_data(C):
    with pytest.raises(ValueError, match="C must be"):
        LogisticRegression(C=C).fit("not data at all", None)
    with pytest.raises(ValueError, match="C must be"):
        LogisticRegression(C=C)._check_params()


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "gd", "proximal", "sgd"])
def test_huge_max_iter_allocates_nothing_per_iteration(solver):
    X, y = _data(3)
    X = (X - X.mean(0)) / X.std(0)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = LogisticRegression(solver=solver, max_iter=10**10, tol=1e-3,
                                     penalty="l1" if solver == "proximal" else "l2").fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(est.loss_curve_) == est.n_iter_ < 10**6
    assert peak < 64 * 2**20  # an array of 10**10 floats would be 80 GB


def _separable():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


def test_fit_warns_on_perfectly_separated_classes():
    """The warning comes from the unpenalised fit (the margins of its coefficients, no linear programme);
    the linear programme of complete separation is the oracle; summary() repeats the warning."""
    X, y = _separable()  # separated by construction: y = [x0 + x1/2 > 0]
    X3 = np.vstack([X, X + [10.0, 0.0]]); y3 = np.concatenate([y, np.full(y.size, 2)])  # a third, shifted class
    for XX, yy in ((X, y), (X3, y3)):
        assert perfectly_separated(XX, yy, np.ones(yy.size), len(set(yy)), True)
        with pytest.warns(PerfectSeparationWarning, match="maximum-likelihood estimate does not exist"):
            est = LogisticRegression(penalty=None).fit(XX, yy)
        assert est.separation_ == "complete" and not est.converged_
        with pytest.warns(PerfectSeparationWarning):
            est.summary(XX, yy)


def test_fit_and_summary_do_not_warn_on_overlapping_classes():
    X, y = _data(3)
    X = np.vstack([X, X[:1]]); y = np.append(y, (y[0] + 1) % 3)  # one point in two classes: not separable
    assert not perfectly_separated(X, y, np.ones(y.size), 3, True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        est = LogisticRegression(penalty=None, tol=1e-10).fit(X, y)
        est.summary(X, y)
    assert est.separation_ is None and est.converged_


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 0.0])
def test_learning_rate_is_named_when_refused(value):
    with pytest.raises(ValueError, match="learning_rate must be"):
        LogisticRegression(solver="gd", learning_rate=value).fit("not data", None)


@pytest.mark.parametrize("value, accepted", [(1e152, True), (1e154, False), (3.0, True)])
def test_feature_range_rule_where_the_sum_of_squares_overflows(value, accepted):
    # 50 x 4 entries of ``value``: sum x^2 (2e306 for 1e152) overflows the quick bound, so the rule
    # falls back to max|x| itself; the oracle is the rule written out, n max|x|^2 <= max(float64) / 16
    from crossentropy.linear_model._weights import check_feature_range

    X = np.full((50, 4), value)
    X[7, 2] = -value
    assert (50 * value**2 <= np.finfo(np.float64).max / 16) == accepted
    if accepted:
        assert check_feature_range(X) is X
    else:
        with pytest.raises(ValueError, match="X holds values up to"):
            check_feature_range(X)
