"""Newton with lazy Hessians (``state``): the same optimum, fewer Hessians, gap estimates kept honest."""

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.datasets import make_classification

from crossentropy.objective import L2, LinearObjective
from crossentropy.solvers import newton


def _objective(n=3000, d=12, seed=0, l2=1e-3):
    X, y = make_classification(n, d, n_informative=min(8, d - 2), n_redundant=0, random_state=seed)
    return LinearObjective(X, y, n_classes=2, scale=1.0 / n, l2=l2)


def _counting(obj, formed=None):
    formed = [] if formed is None else formed
    hessian = obj.hessian

    def counted(coef):
        formed.append(1)
        return hessian(coef)
    obj.hessian = counted
    return formed


def _optimum(obj):
    """The minimiser by scipy's trust-region Newton-CG, to its own tight tolerance."""
    res = minimize(lambda c: obj.loss_gradient(c), np.zeros(obj.n_coef), jac=True, hess=obj.hessian,
                   method="trust-exact", options={"gtol": 1e-13})
    return res.x, res.fun


@pytest.mark.parametrize("l2", [1e-1, 1e-3, 1e-6])
def test_lazy_newton_reaches_the_optimum(l2):
    obj = _objective(l2=l2)
    ref, f_ref = _optimum(obj)
    res = newton(obj, np.zeros(obj.n_coef), tol=1e-4, state={})
    assert res.converged
    f = obj.loss(res.coef)
    assert f - f_ref <= 1e-8 * abs(f_ref)  # the gap rule holds with kept Hessians too
    assert res.state["hessian"].shape == (obj.n_coef, obj.n_coef)


def test_a_kept_hessian_carries_along_penalties():
    base = _objective()
    lazy_formed = []
    state, coef, lazy = {}, np.zeros(base.n_coef), []
    for l2 in np.logspace(-1, -5, 9):
        obj = base.with_penalty(L2(l2))
        _counting(obj, lazy_formed)
        res = newton(obj, coef, tol=1e-6, state=state)
        coef, state = res.coef, res.state
        lazy.append(coef)
    fresh_base = _objective()
    fresh_formed = []
    coef = np.zeros(base.n_coef)
    for l2, c_lazy in zip(np.logspace(-1, -5, 9), lazy):
        fresh_obj = fresh_base.with_penalty(L2(l2))
        _counting(fresh_obj, fresh_formed)
        coef = newton(fresh_obj, coef, tol=1e-6).coef
        _, f_ref = _optimum(fresh_obj)
        assert fresh_obj.loss(c_lazy) - f_ref <= 1e-8 * abs(f_ref)  # what the gap rule promises
    assert 2 * len(lazy_formed) <= len(fresh_formed)


def test_state_of_another_shape_is_ignored():
    obj = _objective(d=5)
    res = newton(obj, np.zeros(obj.n_coef), tol=1e-8, state={"hessian": np.eye(3)})
    ref = newton(obj, np.zeros(obj.n_coef), tol=1e-8)
    assert res.converged
    np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-6)
