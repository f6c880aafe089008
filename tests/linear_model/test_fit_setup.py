"""The one fit set-up of LogisticRegression (linear_model/_setup.py) against scikit-learn.

Oracles: scikit-learn's ``compute_class_weight`` (with ``sample_weight``) for the class weights and
scikit-learn's ``LogisticRegression`` (tight tolerance) for the fit with class and sample weights;
the objective's scaling is checked against scikit-learn's objective written out in float64.
"""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.utils.class_weight import compute_class_weight

from crossentropy import LogisticRegression
from crossentropy.linear_model import _setup
from crossentropy.objective import LinearObjective


def _rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / max(1e-300, np.max(np.abs(b))))


def _imbalanced(n_classes, n=200, d=4, seed=0):
    """Unequal classes whose sample weights depend on the class: weighted and plain counts differ."""
    rng = np.random.default_rng(seed)
    p = np.array([0.55, 0.3, 0.15][:n_classes])
    y = rng.choice(n_classes, size=n, p=p / p.sum())
    X = rng.standard_normal((n, d))
    X[:, 0] += y
    X[:, 1] -= 0.5 * y
    sw = rng.uniform(0.2, 2.0, n) * (1.0 + 1.5 * y)
    return X, y, sw


_DICTS = {2: {0: 2.0, 1: 0.5}, 3: {0: 2.0, 1: 0.5, 2: 1.5}}


@pytest.mark.parametrize("n_classes", [2, 3])
def test_class_weights_equal_sklearn_compute_class_weight_with_sample_weight(n_classes):
    _, y, sw = _imbalanced(n_classes)
    classes = np.arange(n_classes)
    counts = np.bincount(y, weights=sw, minlength=n_classes)
    for cw in ("balanced", _DICTS[n_classes]):
        ours, total = _setup.class_weights(cw, classes, counts)
        ref = compute_class_weight(cw, classes=classes, y=y, sample_weight=sw)
        np.testing.assert_allclose(ours, ref, rtol=1e-13)
        assert total == pytest.approx(float(np.sum(ref[y] * sw)), rel=1e-13)
        np.testing.assert_allclose(_setup.row_weights(cw, classes, y, sw), ref[y] * sw, rtol=1e-13)
    with pytest.raises(ValueError, match="positive sum"):
        _setup.class_weights(None, classes, np.zeros(n_classes))


@pytest.mark.parametrize("penalty, rho", [("l2", 0.0), ("l1", 1.0), ("elasticnet", 0.3), (None, 0.0)])
def test_scaled_objective_is_sklearns_objective_over_C_S(penalty, rho):
    """J = (C sum s_i l_i + (1-rho)/2 |w|^2 + rho |w|_1) / (C S), written out in float64."""
    X, y, sw = _imbalanced(2, n=60, d=3, seed=1)
    C = 0.7
    S = float(sw.sum())
    obj = LinearObjective(X, y, sw, n_classes=2, **_setup.penalty_terms(penalty, C, rho, S))
    theta = np.array([0.3, -0.2, 0.5, 0.1])
    w, b = theta[:3], theta[3]
    z = X @ w + b
    nll = np.sum(sw * (np.logaddexp(0, z) - y * z))
    pen = 0.0 if penalty is None else (1 - rho) * 0.5 * w @ w + rho * np.abs(w).sum()
    expected = (C * nll + pen) / (C * S) if penalty is not None else nll / S
    assert obj.loss(theta) + obj.nonsmooth(theta) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("kind", ["balanced", "dict"])
def test_in_memory_fit_with_class_and_sample_weights_equals_sklearn(n_classes, kind):
    X, y, sw = _imbalanced(n_classes, seed=2)
    cw = "balanced" if kind == "balanced" else _DICTS[n_classes]
    ours = LogisticRegression(class_weight=cw, C=0.5, tol=1e-10, max_iter=500).fit(X, y, sw)
    ref = SkLogisticRegression(class_weight=cw, C=0.5, solver="newton-cholesky", tol=1e-12,
                               max_iter=10_000).fit(X, y, sw)
    assert ours.converged_
    assert _rel(ours.coef_, ref.coef_) <= 1e-6
    assert _rel(ours.intercept_, ref.intercept_) <= 1e-6


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("kind", ["balanced", "dict"])
def test_dask_fit_with_class_and_sample_weights_equals_in_memory(n_classes, kind):
    """Dask and in-memory share the set-up: "balanced" counts the sample weights on both (issue 11)."""
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    X, y, sw = _imbalanced(n_classes, seed=12)
    cw = "balanced" if kind == "balanced" else _DICTS[n_classes]
    tight = dict(class_weight=cw, tol=1e-10, max_iter=500)
    Xd = da.from_array(X, chunks=((70, 60, 70), 4))
    yd, swd = da.from_array(y, chunks=70), da.from_array(sw, chunks=50)  # realigned to X's chunks
    with dask.config.set(scheduler="synchronous"):
        ours = LogisticRegression(**tight).fit(Xd, yd, swd)
    mem = LogisticRegression(**tight).fit(X, y, sw)
    sk = SkLogisticRegression(class_weight=cw, solver="newton-cholesky", tol=1e-12, max_iter=10_000).fit(X, y, sw)
    assert ours.converged_ and mem.converged_
    assert _rel(ours.coef_, mem.coef_) <= 1e-6 and _rel(ours.intercept_, mem.intercept_) <= 1e-6
    assert _rel(ours.coef_, sk.coef_) <= 1e-6 and _rel(ours.intercept_, sk.intercept_) <= 1e-6


def test_check_params_returns_rho_and_names_the_argument():
    assert LogisticRegression(penalty="elasticnet", l1_ratio=0.25)._check_params() == 0.25
    assert LogisticRegression(penalty="l1")._check_params() == 1.0
    assert LogisticRegression(penalty=None)._check_params() == 0.0
    with pytest.raises(TypeError, match="C must be a real number"):
        LogisticRegression(C="1")._check_params()
    with pytest.raises(TypeError, match="max_iter must be an integer"):
        LogisticRegression(max_iter=True)._check_params()
    with pytest.raises(ValueError, match="solver must be 'auto' or one of"):
        LogisticRegression(solver="saga")._check_params()
    with pytest.raises(ValueError, match="persist must be one of"):
        LogisticRegression().fit([[0.0], [1.0]], [0, 1], persist="sometimes")
