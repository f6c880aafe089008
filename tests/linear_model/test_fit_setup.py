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


def _sklearn_error(X, y):
    with pytest.raises(ValueError) as info:
        SkLogisticRegression().fit(X, y)
    return str(info.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("layout", ["C float64", "F float64", "float32", "csr"])
def test_a_non_finite_entry_of_X_is_refused_with_scikit_learns_message(bad, layout):
    """One pass over X proves it finite (a finite sum of squares, or maximum and minimum); a NaN or an
    infinite entry anywhere gets the message scikit-learn's own LogisticRegression gives, word for word."""
    from scipy import sparse

    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 4))
    X[217, 2] = bad
    y = (rng.random(300) < 0.5).astype(int)
    X = {"C float64": X, "F float64": np.asfortranarray(X), "float32": X.astype(np.float32),
         "csr": sparse.csr_matrix(X)}[layout]
    with pytest.raises(ValueError) as ours:
        LogisticRegression().fit(X, y)
    assert str(ours.value) == _sklearn_error(X, y)


def test_finite_features_whose_squares_overflow_are_refused_by_the_range_rule_not_as_non_finite():
    X = np.array([[1e200, 0.0], [0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])
    with pytest.raises(ValueError, match=r"X holds values up to 1e\+200 in absolute value"):
        LogisticRegression().fit(X, [0, 1, 0, 1])


@pytest.mark.parametrize("labels", [(0, 1), (False, True), (-1.0, 1.0), (3, 7), (2.0, 5.0, 9.0), ("a", "b")])
def test_the_classes_read_from_y_are_scikit_learns_and_code_y_alike(labels):
    """classes_ and the fit equal scikit-learn's for numeric, boolean and string labels (the numeric
    ones take the classes from one sort of y)."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 3))
    codes = np.argmax(X[:, :len(labels)] + rng.logistic(size=(400, len(labels))), axis=1)
    y = np.asarray(labels)[codes]
    ours = LogisticRegression(tol=1e-10).fit(X, y)
    ref = SkLogisticRegression(tol=1e-10, max_iter=1000).fit(X, y)
    np.testing.assert_array_equal(ours.classes_, ref.classes_)
    assert ours.classes_.dtype == ref.classes_.dtype
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


@pytest.mark.parametrize("y", [np.array([0.5, 1.5, 0.5, 2.0]), np.array([1.0, 1.0, 1.0, 1.0])])
def test_a_continuous_or_single_class_y_is_refused_as_scikit_learn_refuses_it(y):
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(ValueError) as ours:
        LogisticRegression().fit(X, y)
    if len(np.unique(y)) > 1:
        assert str(ours.value) == _sklearn_error(X, y)
    else:
        assert "one class" in str(ours.value) and "one class" in _sklearn_error(X, y)
