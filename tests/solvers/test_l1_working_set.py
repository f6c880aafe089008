"""Proximal Newton on working sets (l1) against FISTA and scikit-learn's saga and liblinear."""

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import LogisticRegression as SkLogReg
from threadpoolctl import threadpool_limits

from crossentropy import LogisticRegression
from crossentropy.objective import LinearObjective
from crossentropy.objective import _cd
from crossentropy.solvers import newton, proximal
from crossentropy.solvers.working_set import violations


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1):
        yield


def _wide(n=400, d=300, sparse_X=False, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if sparse_X:
        X = sparse.csr_matrix(X * (rng.random((n, d)) < 0.1))
    w = np.zeros(d)
    w[:10] = rng.normal(0, 2, 10)
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ w)))).astype(int)
    return X, y


def _objective(X, y, C, fi):
    n = X.shape[0]
    return LinearObjective(X, y, n_classes=2, fit_intercept=fi, scale=1.0 / n, l1=1.0 / (C * n))


def _guarded(obj):
    """The objective, with the full Hessian refused and the sizes of the Hessian blocks recorded."""
    sizes = []
    block = obj.hessian_block

    def hessian(*args, **kwargs):
        raise AssertionError("the working-set path formed the full Hessian")

    def hessian_block(coef, idx):
        sizes.append(len(idx))
        return block(coef, idx)

    obj.hessian, obj.hessian_block = hessian, hessian_block
    return obj, sizes


def _sklearn(X, y, C, fi, solver, tol):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = SkLogReg(C=C, l1_ratio=1.0, solver=solver, fit_intercept=fi, tol=tol, max_iter=200_000,
                     random_state=0).fit(X, y)
    return np.r_[m.coef_[0], m.intercept_] if fi else m.coef_[0]


@pytest.mark.parametrize("sparse_X", [False, True])
def test_working_set_matches_proximal_and_saga(sparse_X, monkeypatch):
    X, y = _wide(sparse_X=sparse_X)
    C, fi = 0.1, True
    obj, sizes = _guarded(_objective(X, y, C, fi))
    columns = _cd.cd_columns_l1  # sparse X: the steps read X's columns, no block is formed

    def by_columns(Xc, cols, intercept, *args, **kwargs):
        sizes.append(len(cols) + intercept)
        return columns(Xc, cols, intercept, *args, **kwargs)

    monkeypatch.setattr(_cd, "cd_columns_l1", by_columns)
    ws = newton(obj, np.zeros(X.shape[1] + 1), tol=1e-11)
    fista = proximal(_objective(X, y, C, fi), np.zeros(X.shape[1] + 1), tol=1e-11, max_iter=100_000)
    saga = _sklearn(X, y, C, fi, "saga", 1e-14)
    assert ws.converged and fista.converged
    assert max(sizes) < X.shape[1]  # never the whole width
    support = np.flatnonzero(ws.coef[:-1])
    assert 0 < support.size < 60
    np.testing.assert_array_equal(support, np.flatnonzero(fista.coef[:-1]))
    np.testing.assert_array_equal(support, np.flatnonzero(saga[:-1]))
    np.testing.assert_allclose(ws.coef, fista.coef, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ws.coef, saga, rtol=0, atol=1e-7)


def test_working_set_matches_liblinear_without_intercept():
    # without an intercept liblinear's l1 objective is scikit-learn's (and ours)
    X, y = _wide(n=300, d=200, seed=1)
    C = 0.1
    ws = newton(_objective(X, y, C, False), np.zeros(X.shape[1]), tol=1e-11)
    # liblinear at tol=1e-8 ends 6e-9 from our tol=1e-11 optimum in milliseconds; at 1e-9 its
    # coordinate descent runs for about a minute without getting closer than the assertion needs
    lib = _sklearn(X, y, C, False, "liblinear", 1e-8)
    assert ws.converged
    np.testing.assert_array_equal(np.flatnonzero(ws.coef), np.flatnonzero(lib))
    np.testing.assert_allclose(ws.coef, lib, rtol=0, atol=1e-6)


def test_auto_picks_the_working_set_for_wide_l1():
    X, y = _wide(d=2500, n=300, seed=2)
    clf = LogisticRegression(penalty="l1", C=0.2, tol=1e-10).fit(X, y)
    assert clf.solver_ == "newton"
    obj = _objective(X, y, 0.2, True)
    flat = np.r_[clf.coef_[0], clf.intercept_]
    g = obj.loss_gradient(flat)[1]
    assert violations(obj, flat, g).max() <= 1e-9  # optimal on every coordinate, not just the working set
    assert 0 < np.count_nonzero(clf.coef_) < 100


def test_violations_is_zero_exactly_at_an_optimum():
    X, y = _wide(n=200, d=150, seed=3)
    obj = _objective(X, y, 0.1, True)
    saga = _sklearn(X, y, 0.1, True, "saga", 1e-13)
    v = violations(obj, saga, obj.loss_gradient(saga)[1])
    assert v.max() <= 1e-8
    v0 = violations(obj, np.zeros_like(saga), obj.loss_gradient(np.zeros_like(saga))[1])
    assert v0.max() > 1e-3


@pytest.mark.parametrize("intercept", [False, True])
def test_column_steps_meet_the_models_optimality_conditions(intercept):
    # the oracle: the subgradient conditions of the l1-penalised quadratic model, with its Hessian
    # formed densely in NumPy from the definition
    rng = np.random.default_rng(4)
    n, d = 300, 40
    X = sparse.random(n, d, density=0.2, format="csc", random_state=5)
    cols = np.array([1, 4, 5, 9, 17, 30, 38])
    h = rng.uniform(0.01, 0.25, n) / n
    Xt = X[:, cols].toarray()
    if intercept:
        Xt = np.c_[Xt, np.ones(n)]
    p = Xt.shape[1]
    g, theta = rng.normal(0, 0.05, p), rng.normal(0, 0.5, p) * (rng.random(p) < 0.5)
    mask = np.ones(p, bool)
    mask[-1] = not intercept
    l2, l1 = np.where(mask, 1e-3, 0.0), 0.02
    delta = _cd.cd_columns_l1(X, cols, intercept, h, g, theta, mask, l2, l1, rel_tol=1e-13)
    H = Xt.T @ (h[:, None] * Xt) + np.diag(l2)
    grad, u = g + H @ delta, theta + delta
    viol = np.where(~mask, np.abs(grad), np.where(u != 0, np.abs(grad + l1 * np.sign(u)), np.maximum(np.abs(grad) - l1, 0)))
    assert viol.max() <= 1e-10
    assert 0 < np.count_nonzero(u[mask]) < mask.sum()  # both kinds of coordinate are exercised
