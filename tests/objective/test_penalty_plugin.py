"""A penalty defined only here plugs into the objective and every solver, with no solver file touched.

The penalty is a weighted l2, :math:`P(\\theta) = \\tfrac12 \\sum_j v_j \\theta_j^2` over the penalised entries.
The oracle is SciPy's L-BFGS-B (tight tolerances) on the same objective written out below in float64
from its definition (log-sum-exp of the logits minus the true class's logit, averaged, plus P), with
its own analytic gradient: nothing of the package computes it.
"""

from dataclasses import dataclass

import numpy as np
import pytest
from scipy import optimize
from scipy.special import logsumexp

from crossentropy.linear_model._problem import FitProblem, SolverSettings, run_solver
from crossentropy.objective import LinearObjective, Penalty
from crossentropy.solvers import SOLVERS


@dataclass(frozen=True)
class WeightedL2(Penalty):
    """0.5 * sum_j v_j theta_j^2 on the penalised entries (``weights`` over the whole flat vector)."""

    weights: tuple

    @property
    def is_zero(self):
        return not any(self.weights)

    def smooth_terms(self, coef, mask):
        v = np.where(mask, np.asarray(self.weights, dtype=np.float64), 0.0)
        return 0.5 * float(np.sum(v * coef * coef)), v * coef, v


def _data(K, n=150, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.argmax(X @ rng.normal(size=(d, K)) + rng.gumbel(size=(n, K)), axis=1)
    return X, y


def _weights(K, d, seed=1):
    """Per-entry weights of the flat vector [W | b] (rows of d + 1, the intercept last: never penalised)."""
    rows = 1 if K == 2 else K
    return np.random.default_rng(seed).uniform(0.05, 0.5, size=(rows, d + 1)).ravel()


def _reference(X, y, K, v):
    """argmin of (1/n) sum_i CE_i + 0.5 sum_j v_j theta_j^2 (intercepts free), by L-BFGS-B in float64."""
    n, d = X.shape
    rows = 1 if K == 2 else K
    free = np.zeros((rows, d + 1), dtype=bool)
    free[:, d] = True
    v = np.where(free.ravel(), 0.0, v)
    Xt = np.hstack([X, np.ones((n, 1))])
    onehot = np.eye(K)[y]

    def fun(theta):
        T = theta.reshape(rows, d + 1)
        if K == 2:
            z = Xt @ T[0]
            loss = np.mean(np.logaddexp(0.0, z) - y * z)
            r = (1.0 / (1.0 + np.exp(-z)) - y) / n
            g = (Xt.T @ r)[None, :]
        else:
            Z = Xt @ T.T
            loss = np.mean(logsumexp(Z, axis=1) - Z[np.arange(n), y])
            P = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
            g = (P - onehot).T @ Xt / n
        return loss + 0.5 * np.sum(v * theta**2), g.ravel() + v * theta

    res = optimize.minimize(fun, np.zeros(rows * (d + 1)), jac=True, method="L-BFGS-B",
                            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 50_000, "maxcor": 30})
    return res.x, fun(res.x)[0]


def _centred(theta, K, d):
    """Softmax intercepts are free along their mean: compare them centred."""
    if K == 2:
        return theta
    T = theta.reshape(K, d + 1).copy()
    T[:, d] -= T[:, d].mean()
    return T.ravel()


@pytest.fixture(scope="module", params=[2, 3], ids=["binary", "softmax"])
def case(request):
    K = request.param
    X, y = _data(K)
    v = _weights(K, X.shape[1])
    ref, f_ref = _reference(X, y, K, v)
    return K, X, y, v, ref, f_ref


SMOOTH_SOLVERS = [name for name in SOLVERS]  # every solver runs a smooth penalty
STEPS = {"newton": ["cholesky", "cg"]}


@pytest.mark.parametrize("name,step", [(n, s) for n in SMOOTH_SOLVERS for s in STEPS.get(n, [None])])
def test_weighted_l2_with_every_solver_matches_scipy(case, name, step):
    K, X, y, v, ref, f_ref = case
    n, d = X.shape
    obj = LinearObjective(X, y, n_classes=K, scale=1.0 / n, penalty=WeightedL2(tuple(v)))
    f0 = obj.loss(np.zeros(obj.n_coef))
    kwargs = {"step": step} if step else {}
    if name == "sgd":  # its decaying steps approach the optimum without a gradient test: the gap is checked
        kwargs.update(random_state=0, learning_rate=0.5, batch_size=n, n_iter_no_change=10_000)
        res = SOLVERS[name](obj, np.zeros(obj.n_coef), max_iter=500, tol=0.0, **kwargs)
        assert obj.loss(res.coef) - f_ref <= 1e-9 * (f0 - f_ref)
        return
    res = SOLVERS[name](obj, np.zeros(obj.n_coef), max_iter=100_000, tol=1e-10, **kwargs)
    assert res.converged
    assert obj.loss(res.coef) == pytest.approx(f_ref, rel=1e-11)
    np.testing.assert_allclose(_centred(res.coef, K, d), _centred(ref, K, d), rtol=0, atol=1e-6)


def test_weighted_l2_value_gradient_and_hessian_are_the_definition(case):
    K, X, y, v, ref, f_ref = case
    n, d = X.shape
    obj = LinearObjective(X, y, n_classes=K, scale=1.0 / n, penalty=WeightedL2(tuple(v)))
    theta = np.random.default_rng(5).normal(scale=0.3, size=obj.n_coef)
    plain = LinearObjective(X, y, n_classes=K, scale=1.0 / n)
    v0 = np.where(obj.penalized, v, 0.0)
    f, g = obj.loss_gradient(theta)
    assert f == pytest.approx(plain.loss(theta) + 0.5 * np.sum(v0 * theta**2), rel=1e-14)
    # central differences of the whole objective
    h = 1e-6
    fd = np.array([(obj.loss(theta + h * e) - obj.loss(theta - h * e)) / (2 * h) for e in np.eye(obj.n_coef)])
    np.testing.assert_allclose(g, fd, rtol=0, atol=1e-8)
    u = np.random.default_rng(6).normal(size=obj.n_coef)
    np.testing.assert_allclose(obj.hessp(theta, u), plain.hessp(theta, u) + v0 * u, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.diag(obj.hessian(theta)), np.diag(plain.hessian(theta)) + v0, rtol=1e-12)


def test_the_estimator_records_and_a_path_take_the_new_penalty(case):
    """The problem/result records run it (any solver by name), and with_penalty moves one data side
    between penalties without changing the first objective."""
    K, X, y, v, ref, f_ref = case
    n, d = X.shape
    base = LinearObjective(X, y, n_classes=K, scale=1.0 / n, l2=1.0)
    obj = base.with_penalty(WeightedL2(tuple(v)))
    assert base.penalty.strength == 1.0 and obj.X is base.X
    problem = FitProblem(obj, np.arange(K), None, 1.0, 0.0)
    result = run_solver(problem, SolverSettings(tol=1e-10), solver="newton")
    assert result.converged and result.fun == pytest.approx(f_ref, rel=1e-11)
    rows = 1 if K == 2 else K
    T = _centred(ref, K, d).reshape(rows, d + 1)
    np.testing.assert_allclose(result.coef, T[:, :d], rtol=0, atol=1e-6)
    np.testing.assert_allclose(result.intercept, T[:, d], rtol=0, atol=1e-6)
