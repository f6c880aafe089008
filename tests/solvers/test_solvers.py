"""Solvers against scikit-learn's LogisticRegression (an independent solver of the same objective)."""

import importlib
import sys
import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLogReg
from helpers import assert_close_scaled
from threadpoolctl import threadpool_limits

from crossentropy.objective import ElasticNet, LinearObjective
from crossentropy.solvers import SOLVERS, get_solver, gd, lbfgs, newton, proximal, sgd
from crossentropy.solvers._base import optimality
from crossentropy.objective._cd import cd_quadratic_l1

newton_module = sys.modules["crossentropy.solvers.newton"]


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1):
        yield


def _data(K, n=120, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    W = rng.normal(size=(K, d))
    y = np.argmax(X @ W.T + rng.gumbel(size=(n, K)), axis=1) if K > 2 else (X @ W[0] + rng.normal(size=n) > 0).astype(int)
    return X, y


def _sklearn_flat(X, y, *, C=1.0, l1_ratio=0.0, solver="newton-cholesky"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = SkLogReg(C=C, l1_ratio=l1_ratio, solver=solver, tol=1e-12, max_iter=100_000, random_state=0).fit(X, y)
    return np.hstack([m.coef_, m.intercept_[:, None]]).ravel()


def _objective(X, y, *, C=1.0, l1_ratio=0.0):
    n = X.shape[0]
    K = len(np.unique(y))
    return LinearObjective(X, y, n_classes=K, scale=1 / n, l2=(1 - l1_ratio) / (C * n), l1=l1_ratio / (C * n))


def _close(coef, ref, rtol=1e-5):
    assert_close_scaled(coef, ref, rtol)


@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("name, kwargs", [
    ("newton", {"step": "cholesky"}),
    ("newton", {"step": "cg"}),
    ("lbfgs", {}),
    ("gd", {}),
    ("proximal", {}),
])
def test_l2_solvers_match_sklearn(K, name, kwargs):
    X, y = _data(K)
    ref = _sklearn_flat(X, y, C=0.5)
    obj = _objective(X, y, C=0.5)
    res = SOLVERS[name](obj, np.zeros(obj.n_coef), tol=1e-10, max_iter=20_000, **kwargs)
    assert res.converged
    flat = res.coef if K == 2 else res.coef.reshape(K, -1)
    if K > 2:  # centre the intercepts as scikit-learn's symmetric solution has them
        flat = flat.copy()
        flat[:, -1] -= flat[:, -1].mean()
    _close(np.ravel(flat), ref)
    assert len(res.loss_curve) == res.n_iter


@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("name", ["newton", "proximal"])
def test_l1_and_elasticnet_match_saga_with_exact_zeros(K, l1_ratio, name):
    X, y = _data(K, n=150, d=6, seed=1)
    X[:, 4:] *= 0.05  # weak features the l1 term removes
    ref = _sklearn_flat(X, y, C=0.2, l1_ratio=l1_ratio, solver="saga")
    obj = _objective(X, y, C=0.2, l1_ratio=l1_ratio)
    res = SOLVERS[name](obj, np.zeros(obj.n_coef), tol=1e-10, max_iter=50_000)
    assert res.converged
    coef = res.coef.copy()
    if K > 2:
        coef = coef.reshape(K, -1)
        coef[:, -1] -= coef[:, -1].mean()
        coef = coef.ravel()
    _close(coef, ref, rtol=2e-5)
    ref_zero = np.abs(ref) < 1e-8
    assert ref_zero[obj.penalized].any()  # the problem has a sparse solution
    np.testing.assert_array_equal(coef == 0.0, ref_zero & obj.penalized)


def test_lbfgs_refuses_l1():
    X, y = _data(2)
    with pytest.raises(ValueError, match="l1"):
        lbfgs(_objective(X, y, l1_ratio=1.0), np.zeros(5))


def test_gd_is_the_textbook_update_and_its_curve_decreases():
    X, y = _data(2, n=80, d=3)
    obj = _objective(X, y)
    eta = 0.5
    res = gd(obj, np.zeros(4), learning_rate=eta, max_iter=2)
    # two steps by hand: w <- w - eta * grad
    w = np.zeros(4)
    for _ in range(2):
        w = w - eta * obj.loss_gradient(w)[1]
    np.testing.assert_allclose(res.coef, w, rtol=1e-14)
    res = gd(obj, np.zeros(4), learning_rate=eta, max_iter=5000, tol=1e-9)
    assert res.converged
    assert np.all(np.diff(res.loss_curve) <= 1e-15)
    _close(res.coef, _sklearn_flat(X, y))


def test_gd_with_line_search_from_a_too_large_step():
    X, y = _data(3, n=80, d=3)
    obj = _objective(X, y)
    res = gd(obj, np.zeros(obj.n_coef), learning_rate=50.0, line_search=True, max_iter=5000, tol=1e-8)
    assert res.converged and np.all(np.diff(res.loss_curve) <= 1e-13)


def test_sgd_approaches_the_optimum_and_resumes():
    X, y = _data(2, n=400, d=3)
    obj = _objective(X, y)
    best = newton(obj, np.zeros(4), tol=1e-10)
    f_star = obj.loss(best.coef)
    res = sgd(obj, np.zeros(4), batch_size=32, max_iter=60, tol=0.0, n_iter_no_change=10**6, random_state=0)
    assert obj.loss(res.coef) < f_star * (1 + 2e-3)
    assert res.state["t"] == 60 * 13
    again = sgd(obj, res.coef, batch_size=32, max_iter=1, random_state=1, state=res.state)
    assert again.state["t"] == res.state["t"] + 13 and again.state["eta0"] == res.state["eta0"]


def test_callback_sees_every_iteration():
    X, y = _data(3)
    obj = _objective(X, y)
    seen = []
    res = newton(obj, np.zeros(obj.n_coef), tol=1e-10, callback=lambda s: seen.append((s.n_iter, s.fun)))
    assert [i for i, _ in seen] == list(range(1, res.n_iter + 1))
    assert [v for _, v in seen] == res.loss_curve


def test_not_converged_is_reported():
    X, y = _data(3)
    res = gd(_objective(X, y), np.zeros(15), learning_rate=1e-3, max_iter=3)
    assert not res.converged and res.n_iter == 3


def test_warm_start_on_a_subsample_gives_the_same_minimum(monkeypatch):
    X, y = _data(3, n=600, d=4)
    obj = _objective(X, y)
    plain = newton(obj, np.zeros(obj.n_coef), tol=1e-10)
    monkeypatch.setattr(newton_module, "SUBSAMPLE_ROWS", 200)
    staged = newton(_objective(X, y), np.zeros(obj.n_coef), tol=1e-10)
    assert staged.converged
    np.testing.assert_allclose(staged.coef, plain.coef, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("K", [2, 4])
def test_preconditioner_is_exact_where_probabilities_are_constant(K):
    # at coef = 0 every row has p = 1/K, so the Hessian is exactly A ⊗ G (plus the penalty)
    X, y = _data(K, n=200, d=3)
    obj = LinearObjective(X, y, n_classes=K, scale=1 / 200, l2=0.0)
    coef = np.zeros(obj.n_coef)
    obj.loss_gradient(coef)
    M_inv = obj.preconditioner(coef)
    H = obj.hessian(coef)
    N = obj.null_space()
    v = np.random.default_rng(0).normal(size=coef.size)
    if N is not None:
        v -= N @ (N.T @ v)
    np.testing.assert_allclose(M_inv(H @ v), v, rtol=1e-8, atol=1e-8)


def test_coordinate_descent_solves_the_l1_quadratic():
    rng = np.random.default_rng(3)
    B = rng.normal(size=(8, 6))
    H = B.T @ B / 8
    g = rng.normal(size=6)
    theta = rng.normal(size=6)
    mask = np.array([True] * 5 + [False])
    l1 = 0.3
    d = cd_quadratic_l1(H, g, theta, mask, l1, rel_tol=1e-14, max_sweeps=100_000)
    u = theta + d
    grad = g + H @ d
    # optimality: grad + l1 * sign(u) = 0 where u != 0, |grad| <= l1 where u == 0 (masked)
    on = mask & (u != 0)
    np.testing.assert_allclose(grad[on] + l1 * np.sign(u[on]), 0, atol=1e-10)
    assert np.all(np.abs(grad[mask & (u == 0)]) <= l1 + 1e-10)
    np.testing.assert_allclose(grad[~mask], 0, atol=1e-10)


def test_optimality_is_the_min_norm_subgradient():
    class Obj:
        penalty = ElasticNet(l1=1.0)
        penalized = np.array([True, True, True, False])

    coef = np.array([0.0, 0.0, 2.0, 1.0])
    grad = np.array([0.5, -3.0, 0.25, 0.1])
    # entry 0: |0.5| <= 1 -> 0; entry 1: 3 - 1 = 2; entry 2: 0.25 + 1 = 1.25; entry 3: 0.1
    assert optimality(Obj(), coef, grad) == pytest.approx(2.0)


def test_get_solver_names_the_choices():
    assert get_solver("newton") is newton and get_solver("proximal") is proximal
    with pytest.raises(ValueError, match="solver must be one of"):
        get_solver("saga")


def test_lbfgs_takes_fewer_pairs_when_their_workspace_would_be_large(monkeypatch):
    """With millions of coefficients L-BFGS keeps fewer correction pairs, and still reaches the minimum."""
    lbfgs_module = importlib.import_module("crossentropy.solvers.lbfgs")  # the module, not the function

    assert lbfgs_module.auto_memory(1000) == 10
    # (2m + 5) n float64 numbers must fit: 768 MiB at n = 6.45e6 leaves m = 5, and never below 3
    assert lbfgs_module.auto_memory(6_450_000) == 5
    assert (2 * 5 + 5) * 6_450_000 * 8 <= lbfgs_module.WORKSPACE_BYTES < (2 * 6 + 5) * 6_450_000 * 8
    assert lbfgs_module.auto_memory(10**9) == 3
    X, y = _data(3)
    obj = _objective(X, y)
    reference = newton(obj, np.zeros(obj.n_coef), tol=1e-10)
    monkeypatch.setattr(lbfgs_module, "WORKSPACE_BYTES", 8 * obj.n_coef * 9)  # room for m = 2 -> floor 3
    assert lbfgs_module.auto_memory(obj.n_coef) == 3
    res = lbfgs_module.lbfgs(_objective(X, y), np.zeros(obj.n_coef), tol=1e-9, max_iter=2000)
    assert res.converged
    np.testing.assert_allclose(res.coef, reference.coef, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="memory must be a positive"):
        lbfgs_module.lbfgs(obj, np.zeros(obj.n_coef), memory=0)


def test_newton_stops_at_the_rounding_floor_of_float32_data_with_a_warning_that_says_so():
    # float32 X: the gradient cannot go below its float32 rounding (about 1.6e-7 here); a tol under
    # that floor ends in a few steps with converged_ False, not in max_iter identical steps
    from crossentropy import LogisticRegression
    from crossentropy.exceptions import ConvergenceWarning

    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 5)).astype(np.float32)
    y = (X @ np.array([1.0, -0.5, 0.25, 0.0, 2.0], dtype=np.float32) + rng.standard_normal(400) > 0).astype(int)
    with pytest.warns(ConvergenceWarning, match="rounding floor of the data's dtype \\(float32\\)"):
        est = LogisticRegression(class_weight={0: 2.0, 1: 0.5}, fit_intercept=False, tol=1e-12, max_iter=100).fit(X, y)
    assert not est.converged_ and est.n_iter_ < 20
    ref = LogisticRegression(class_weight={0: 2.0, 1: 0.5}, fit_intercept=False, tol=1e-10).fit(X.astype(np.float64), y)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-5)  # at the floor: float32's own accuracy
