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


@pytest.mark.parametrize("d, kept", [(12, False), (159, True)])
def test_a_kept_hessian_is_replaced_when_a_new_one_costs_less(d, kept):
    """A kept Hessian that contracts the decrement well but needs 5 more steps to the gap test is kept
    where a new Hessian costs more than those steps (160 coefficients: 10 passes) and replaced where it
    costs less (13 coefficients: one pass, and ``LAZY_STEPS`` steps after it)."""
    import sys

    module = sys.modules["crossentropy.solvers.newton"]
    obj = _objective(n=400, d=d)
    assert module.hessian_passes(obj) == max(1.0, obj.n_coef / module.GRAM_COLUMNS_PER_PASS)
    lazy = module._LazyHessian(obj, {})
    coef = np.zeros(obj.n_coef)
    lazy.at(coef)  # formed here
    lazy.at(coef)  # kept
    ratio, steps = 0.03, 5
    rng = np.random.default_rng(0)
    s = 1e-3 * rng.standard_normal(obj.n_coef)
    y = obj.hessian(coef) @ s
    trusted = lazy.stepped(1.0, 1.0, ratio, ratio ** (steps + 1), s, y)
    assert (steps <= module.LAZY_STEPS + module.hessian_passes(obj)) == kept
    assert trusted == kept and (lazy.data is not None) == kept
