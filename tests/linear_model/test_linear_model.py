"""LogisticRegression against scikit-learn's (coefficients at a tight tolerance), and its behaviour."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.linear_model import LogisticRegression as SkLogReg
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from crossentropy import ConvergenceWarning, LogisticRegression


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1):
        yield


def _standardised(loader, rows=None):
    X, y = loader(return_X_y=True)
    if rows is not None:
        idx = np.random.default_rng(0).choice(len(y), rows, replace=False)
        X, y = X[idx], y[idx]
    return StandardScaler().fit_transform(X), y


def _sparse_problem(K):
    rng = np.random.default_rng(7)
    X = sparse.random(300, 40, density=0.2, format="csr", random_state=7, data_rvs=rng.standard_normal)
    W = rng.normal(size=(K, 40))
    y = np.argmax(X @ W.T + rng.gumbel(size=(300, K)), axis=1)
    return X, y


DATASETS = {
    "breast_cancer": lambda: _standardised(load_breast_cancer),
    "iris": lambda: _standardised(load_iris),
    "digits": lambda: _standardised(load_digits),
    "digits400": lambda: _standardised(load_digits, rows=400),
    "sparse_binary": lambda: _sparse_problem(2),
    "sparse_softmax": lambda: _sparse_problem(3),  # odd K: with even K the l1 minimiser need not be unique
}

_PEN = {"l2": dict(penalty="l2"), "l1": dict(penalty="l1"), "elasticnet": dict(penalty="elasticnet", l1_ratio=0.5)}
_SK_RATIO = {"l2": 0.0, "l1": 1.0, "elasticnet": 0.5}


def _sklearn(X, y, penalty, C, sample_weight=None, class_weight=None):
    solver = "newton-cholesky" if penalty == "l2" else "saga"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SkLogReg(C=C, l1_ratio=_SK_RATIO[penalty], solver=solver, tol=1e-10 if penalty == "l2" else 1e-9,
                        max_iter=100_000, class_weight=class_weight, random_state=0).fit(X, y, sample_weight=sample_weight)


def _assert_same_fit(ours, ref, rtol=1e-5):
    scale = max(np.abs(ref.coef_).max(), np.abs(ref.intercept_).max())
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=rtol, atol=rtol * scale)
    np.testing.assert_array_equal(ours.classes_, ref.classes_)


@pytest.mark.parametrize("name, penalty, C", [
    ("breast_cancer", "l2", 1.0), ("iris", "l2", 1.0), ("digits", "l2", 1.0), ("sparse_binary", "l2", 1.0),
    ("sparse_softmax", "l2", 0.3),
    ("breast_cancer", "l1", 0.1), ("iris", "l1", 0.5), ("digits400", "l1", 0.05), ("sparse_binary", "l1", 0.5),
    ("sparse_softmax", "l1", 0.5),
    ("breast_cancer", "elasticnet", 0.1), ("iris", "elasticnet", 0.5), ("digits400", "elasticnet", 0.05),
    ("sparse_binary", "elasticnet", 0.5), ("sparse_softmax", "elasticnet", 0.5),
])
def test_coefficients_equal_sklearn(name, penalty, C):
    X, y = DATASETS[name]()
    ref = _sklearn(X, y, penalty, C)
    ours = LogisticRegression(C=C, tol=1e-10, max_iter=1000, **_PEN[penalty]).fit(X, y)
    assert ours.converged_
    _assert_same_fit(ours, ref)
    if penalty != "l2":  # the support of the l1 fit is scikit-learn's, with exact zeros
        assert (ref.coef_ == 0).any()
        np.testing.assert_array_equal(ours.coef_ == 0, ref.coef_ == 0)


@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
def test_weighted_fit_equals_sklearn(penalty):
    X, y = _standardised(load_breast_cancer)
    w = np.random.default_rng(2).uniform(0.1, 3.0, size=len(y))
    ref = _sklearn(X, y, penalty, 0.2, sample_weight=w, class_weight="balanced")
    ours = LogisticRegression(C=0.2, tol=1e-10, class_weight="balanced", **_PEN[penalty]).fit(X, y, sample_weight=w)
    _assert_same_fit(ours, ref)


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "proximal"])
def test_every_solver_reaches_the_same_softmax_fit(solver):
    X, y = _standardised(load_iris)
    ref = _sklearn(X, y, "l2", 1.0)
    ours = LogisticRegression(solver=solver, tol=1e-10, max_iter=5000).fit(X, y)
    _assert_same_fit(ours, ref)


def test_unpenalised_softmax_is_centred_like_sklearn():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 3))
    y = np.argmax(X @ rng.normal(size=(3, 4)) + rng.gumbel(size=(300, 4)) * 2, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SkLogReg(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    ours = LogisticRegression(penalty=None, tol=1e-10).fit(X, y)
    _assert_same_fit(ours, ref)
    np.testing.assert_allclose(ours.coef_.sum(axis=0), 0, atol=1e-12)


def test_gd_reaches_the_optimum_with_a_decreasing_curve():
    X, y = _standardised(load_breast_cancer)
    X = X[:, :5]
    ref = _sklearn(X, y, "l2", 1.0)
    ours = LogisticRegression(solver="gd", learning_rate=1.0, tol=1e-8, max_iter=20_000).fit(X, y)
    assert ours.converged_ and ours.n_iter_ == len(ours.loss_curve_)
    assert np.all(np.diff(ours.loss_curve_) <= 1e-14)
    _assert_same_fit(ours, ref, rtol=1e-5)


def test_predictions_labels_and_probabilities():
    X, y = _standardised(load_iris)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    ours = LogisticRegression(tol=1e-10).fit(X, labels)
    ref = SkLogReg(tol=1e-10, solver="newton-cholesky").fit(X, labels)
    assert list(ours.classes_) == ["setosa", "versicolor", "virginica"]
    P = ours.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(P, ref.predict_proba(X), atol=1e-4)
    np.testing.assert_allclose(ours.predict_log_proba(X), np.log(P), atol=1e-12)
    assert ours.decision_function(X).shape == (150, 3)
    np.testing.assert_array_equal(ours.predict(X), ours.classes_[np.argmax(P, axis=1)])
    assert ours.score(X, labels) == pytest.approx(np.mean(ours.predict(X) == labels))
    Xb, yb = _standardised(load_breast_cancer)
    binary = LogisticRegression().fit(Xb, yb)
    assert binary.coef_.shape == (1, 30) and binary.intercept_.shape == (1,)
    z = binary.decision_function(Xb)
    assert z.shape == (569,)
    np.testing.assert_allclose(binary.predict_proba(Xb)[:, 1], 1 / (1 + np.exp(-z)))
    assert np.isfinite(binary.predict_log_proba(Xb * 1e4)).all()


def test_pandas_and_float32_inputs():
    X, y = _standardised(load_breast_cancer)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(30)])
    ours = LogisticRegression(tol=1e-8).fit(frame, y)
    assert list(ours.feature_names_in_) == list(frame.columns) and ours.n_features_in_ == 30
    f32 = LogisticRegression(tol=1e-6).fit(X.astype(np.float32), y)
    assert f32.decision_function(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(f32.coef_, ours.coef_, rtol=1e-3, atol=1e-3)


def test_callback_verbose_and_convergence_warning(capsys):
    X, y = _standardised(load_digits, rows=300)
    seen = []
    model = LogisticRegression(verbose=1).fit(X, y, callback=lambda s: seen.append((s.n_iter, s.fun)))
    assert [i for i, _ in seen] == list(range(1, model.n_iter_ + 1))
    assert [v for _, v in seen] == model.loss_curve_
    assert "objective" in capsys.readouterr().out
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        LogisticRegression(solver="lbfgs", max_iter=2).fit(X, y)


def test_warm_start_resumes_from_the_previous_fit():
    X, y = _standardised(load_iris)
    model = LogisticRegression(warm_start=True, tol=1e-8).fit(X, y)
    first = model.n_iter_
    model.fit(X, y)
    assert model.n_iter_ < first and model.n_iter_ <= 1


def test_partial_fit_sgd():
    X, y = _standardised(load_breast_cancer)
    assert not hasattr(LogisticRegression(), "partial_fit")
    model = LogisticRegression(solver="sgd", random_state=0)
    with pytest.raises(ValueError, match="classes"):
        model.partial_fit(X[:100], y[:100])
    n = len(y)
    stream = LogisticRegression(solver="sgd", random_state=0)
    for start in range(0, n, 100):  # a stream of chunks, each seen once
        stream.partial_fit(X[start:start + 100], y[start:start + 100], classes=[0, 1])
    assert stream.score(X, y) >= 0.9
    # on a well-conditioned problem, epochs of partial_fit approach scikit-learn's optimum
    from crossentropy.objective import LinearObjective

    rng = np.random.default_rng(5)
    X = rng.normal(size=(500, 4))
    y = (X @ [1.0, -2.0, 0.5, 0.0] + rng.logistic(size=500) > 0).astype(int)
    ref = _sklearn(X, y, "l2", 1.0)
    obj = LinearObjective(X, y, n_classes=2, scale=1 / 500, l2=1 / 500)
    value = lambda m: obj.loss(np.append(m.coef_.ravel(), m.intercept_))  # noqa: E731
    for _ in range(30):
        model.partial_fit(X, y, classes=[0, 1])
    assert model.sgd_state_["t"] == 30 * 2
    assert value(model) <= value(ref) * 1.01


@pytest.mark.parametrize("kwargs, fit_args, match", [
    ({}, "nan", "X"),
    ({}, "inf", "X"),
    ({}, "one_class", "class"),
    ({}, "lengths", "X and y"),
    ({}, "negative_weight", "sample_weight"),
    ({"penalty": "l1", "solver": "lbfgs"}, None, "newton"),
    ({"solver": "saga"}, None, "solver"),
    ({"C": -1.0}, None, "C"),
    ({"penalty": "elasticnet"}, None, "l1_ratio"),
    ({"penalty": "l3"}, None, "penalty"),
    ({"max_iter": 0}, None, "max_iter"),
    ({"tol": -1.0}, None, "tol"),
    ({"learning_rate": 0.0}, None, "learning_rate"),
    ({"batch_size": 0}, None, "batch_size"),
])
def test_bad_input_raises_value_error_naming_the_argument(kwargs, fit_args, match):
    X = np.arange(12.0).reshape(6, 2)
    y = np.array([0, 1, 0, 1, 0, 1])
    w = None
    if fit_args == "nan":
        X[2, 1] = np.nan
    elif fit_args == "inf":
        X[0, 0] = np.inf
    elif fit_args == "one_class":
        y = np.zeros(6, dtype=int)
    elif fit_args == "lengths":
        y = y[:5]
    elif fit_args == "negative_weight":
        w = np.array([1.0, 1.0, -0.5, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=match):
        LogisticRegression(**kwargs).fit(X, y, sample_weight=w)
