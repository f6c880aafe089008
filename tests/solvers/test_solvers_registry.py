"""The solver registry's name check and the optional abilities of an objective (protocols)."""

import sys
import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLogReg

from crossentropy.objective import LinearObjective
from crossentropy.solvers import (L1_SOLVERS, SOLVERS, Preconditioned, SolvesSubsample, Subsampled, check_solver,
                                  get_solver, newton, sgd)

newton_module = sys.modules["crossentropy.solvers.newton"]


@pytest.mark.parametrize("bad", ["bfgs", "", None, 3, "Newton"])
def test_check_solver_names_solver_and_the_choices(bad):
    with pytest.raises(ValueError, match=r"solver must be one of \['gd', 'lbfgs', 'newton', 'proximal', 'sgd'\]"):
        check_solver(bad)
    with pytest.raises(ValueError, match="solver"):
        get_solver(bad)


def test_check_solver_l1_auto_and_choices():
    for name in SOLVERS:
        assert check_solver(name) == name
        if name in L1_SOLVERS:
            assert check_solver(name, l1=True) == name
        else:
            with pytest.raises(ValueError, match=f"solver={name!r} cannot handle an l1 term"):
                check_solver(name, l1=True)
    assert check_solver("auto", auto=True, l1=True) == "auto"
    with pytest.raises(ValueError, match="solver must be one of"):
        check_solver("auto")
    with pytest.raises(ValueError, match=r"solver must be 'auto' or one of \['lbfgs', 'newton'\], got 'sgd'"):
        check_solver("sgd", auto=True, choices=("newton", "lbfgs"))


class Bare:
    """Only the required protocol of a solver's objective: no subsample, preconditioner or diagonal."""

    def __init__(self, inner):
        self._inner = inner
        self.n_coef, self.n_samples = inner.n_coef, inner.n_samples
        self.penalty, self.penalized = inner.penalty, inner.penalized

    def loss(self, coef):
        return self._inner.loss(coef)

    def loss_gradient(self, coef):
        return self._inner.loss_gradient(coef)

    def loss_gradient_hessian(self, coef):
        return self._inner.loss_gradient_hessian(coef)

    def hessian(self, coef):
        return self._inner.hessian(coef)

    def hessp(self, coef, v):
        return self._inner.hessp(coef, v)

    def nonsmooth(self, coef):
        return self._inner.nonsmooth(coef)

    def null_space(self):
        return self._inner.null_space()


def _problem(K, n=400, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.argmax(X @ rng.normal(size=(d, K)) + rng.gumbel(size=(n, K)), axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = SkLogReg(C=1.0, solver="newton-cholesky" if K == 2 else "lbfgs", tol=1e-12, max_iter=10_000).fit(X, y)
    ref = np.hstack([m.coef_, m.intercept_[:, None]]).ravel()
    return LinearObjective(X, y, n_classes=K, scale=1 / n, l2=1 / n), ref


@pytest.mark.parametrize("K, step", [(2, "cholesky"), (3, "cg")])
def test_newton_without_optional_abilities_has_no_warm_start_and_the_same_minimum(monkeypatch, K, step):
    obj, ref = _problem(K)
    monkeypatch.setattr(newton_module, "SUBSAMPLE_ROWS", 100)  # the full objective would warm-start
    calls, original = [], LinearObjective.subsample
    monkeypatch.setattr(LinearObjective, "subsample", lambda self, rows: calls.append(len(rows)) or original(self, rows))
    bare = Bare(obj)
    assert isinstance(obj, Subsampled) and isinstance(obj, Preconditioned)
    assert not isinstance(bare, (Subsampled, SolvesSubsample, Preconditioned))
    res = newton(bare, np.zeros(obj.n_coef), tol=1e-10, step=step)
    assert res.converged and calls == []
    coef = res.coef.reshape(-1, obj.n_features + 1).copy()
    coef[:, -1] -= coef[:, -1].mean() if K > 2 else 0.0  # scikit-learn's centred intercepts
    np.testing.assert_allclose(coef.ravel(), ref, rtol=1e-6, atol=1e-6 * np.abs(ref).max())
    newton(obj, np.zeros(obj.n_coef), tol=1e-10, step=step)
    assert calls  # the full objective did take the warm start


def test_sgd_needs_minibatches():
    obj, _ = _problem(2, n=50)
    with pytest.raises(TypeError, match="batch_loss_gradient"):
        sgd(Bare(obj), np.zeros(obj.n_coef))
