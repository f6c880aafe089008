"""The built-in penalties against their definitions, and ``with_penalty`` against building the objective anew."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossentropy.objective import ElasticNet, L2, LinearObjective, make_penalty

finite = st.floats(-10, 10, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=1, max_size=6), st.floats(0.01, 3), st.floats(0, 2), st.floats(0, 2))
def test_elastic_net_prox_and_subgradient_meet_the_optimality_conditions(x, step, l1, l2):
    """u = prox(x) minimises |u - x|^2 / (2 step) + l1 |u|_1 on the penalised entries: x - u lies in
    step * l1 * d|u|; at u the minimum-norm subgradient of 0.5 |u - x|^2 / step + P_n is 0."""
    x = np.array(x)
    mask = np.arange(x.size) % 3 != 2
    p = ElasticNet(l2=l2, l1=l1)
    u = p.prox(x, step, mask)
    np.testing.assert_array_equal(u[~mask], x[~mask])
    r = (x - u)[mask] / step
    on = u[mask] != 0
    np.testing.assert_allclose(r[on], l1 * np.sign(u[mask][on]), rtol=1e-12, atol=1e-12)
    assert np.all(np.abs(r[~on]) <= l1 * (1 + 1e-12) + 1e-12)
    assert np.max(np.abs(p.subgradient(u, (u - x) / step, mask)), initial=0.0) <= 1e-9 * max(1.0, np.abs(x).max() / step)


@settings(max_examples=40, deadline=None)
@given(st.lists(finite, min_size=2, max_size=6), st.floats(0, 2), st.floats(0, 2))
def test_penalty_terms_are_the_definition(c, l2, l1):
    c = np.array(c)
    mask = np.arange(c.size) != c.size - 1
    w = c[mask]
    for p in (make_penalty(l2, l1), ElasticNet(l2=l2, l1=l1)):
        value, grad, hess = p.smooth_terms(c, mask)
        assert value == pytest.approx(0.5 * l2 * float(np.sum(w**2)), rel=1e-14, abs=1e-300)
        np.testing.assert_allclose(grad, np.where(mask, l2 * c, 0.0), rtol=1e-15)
        np.testing.assert_allclose(hess, np.where(mask, l2, 0.0), rtol=1e-15)
        assert p.nonsmooth(c, mask) == pytest.approx(l1 * float(np.sum(np.abs(w))), rel=1e-14, abs=1e-300)
        assert p.smooth == (l1 == 0)
    assert isinstance(make_penalty(l2, 0.0), L2)


@pytest.mark.parametrize("K", [2, 4])
def test_with_penalty_equals_an_objective_built_anew(K):
    """The derived objective shares the data side and its caches, yet every number is that of an
    objective built from scratch with the new penalty; the first objective keeps its own."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(300, 5)), rng.integers(0, K, size=300)
    first = LinearObjective(X, y, n_classes=K, scale=1 / 300, l2=0.5)
    theta = rng.normal(scale=0.3, size=first.n_coef)
    v = rng.normal(size=first.n_coef)
    f_first = first.loss_gradient(theta)
    first.hessp(theta, v)
    M_first = first.preconditioner(theta)  # the penalty-dependent factors are built here
    derived = first.with_penalty(L2(0.01))
    fresh = LinearObjective(X, y, n_classes=K, scale=1 / 300, l2=0.01)
    f_fresh = fresh.loss_gradient(theta)
    f_derived = derived.loss_gradient(theta)  # from the shared cache of the first objective's evaluation
    assert f_derived[0] == f_fresh[0]
    np.testing.assert_array_equal(f_derived[1], f_fresh[1])
    np.testing.assert_array_equal(derived.hessp(theta, v), fresh.hessp(theta, v))
    np.testing.assert_array_equal(derived.hessian_diag(theta), fresh.hessian_diag(theta))
    np.testing.assert_allclose(derived.preconditioner(theta)(v), fresh.preconditioner(theta)(v), rtol=1e-12)
    assert derived.X is first.X and first.penalty == L2(0.5)
    assert first.loss_gradient(theta)[0] == f_first[0]
    np.testing.assert_array_equal(first.preconditioner(theta)(v), M_first(v))
