"""Analytic gradients against central finite differences (float64).

For ``reduction="none"`` the returned gradient is that of the sum of the per-element losses, so the
finite difference is taken of that sum. Step h = 1e-5: truncation error O(h²) ≈ 1e-10 and rounding
error O(eps/h) ≈ 1e-11, well inside the tolerance (rtol 1e-6, atol 1e-8).
"""

from __future__ import annotations

import numpy as np
import pytest

import crossentropy as ce

H = 1e-5


def fd_grad(f, x, h=H):
    """Central differences of sum(f(x)) with respect to every entry of x."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        g[idx] = (np.sum(f(xp)) - np.sum(f(xm))) / (2 * h)
    return g


def assert_grad_matches(analytic, numeric):
    assert analytic.shape == numeric.shape and analytic.dtype == np.float64
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


REDUCTIONS = ["mean", "sum", "none"]

CE_OPTIONS = {
    "plain": {},
    "weight": {"weight": [0.5, 2.0, 1.0, 0.2]},
    "ignore": {"ignore_index": 2},
    "ignore-neg": {"ignore_index": -100},
    "smoothing": {"label_smoothing": 0.2},
    "smoothing-1": {"label_smoothing": 1.0},
    "weight-smoothing": {"weight": [0.5, 2.0, 1.0, 0.2], "label_smoothing": 0.3},
    "all": {"weight": [0.5, 2.0, 0.0, 0.7], "label_smoothing": 0.15, "ignore_index": 1},
}

LAYOUTS = {
    "batch-axis-1": ((5, 4), -1),
    "kdim-axis-1": ((2, 4, 3), 1),
    "kdim-axis-0": ((4, 2, 2), 0),
    "unbatched": ((4,), 0),
}


def _ce_problem(layout, form, seed):
    shape, axis = LAYOUTS[layout]
    rng = np.random.default_rng(seed)
    x = 2.0 * rng.standard_normal(shape)
    ax = axis % len(shape)
    c = shape[ax]
    if form == "index":
        t_shape = shape[:ax] + shape[ax + 1 :]
        y = rng.integers(0, c, t_shape)
        if y.ndim:
            y.reshape(-1)[:3] = [2, 1, 0][: y.size]  # some targets equal the ignored classes of the options
        target = y
    else:
        target = np.moveaxis(rng.dirichlet(np.ones(c), size=np.moveaxis(x, ax, -1).shape[:-1]), -1, ax)
    return x, target, axis


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("option", list(CE_OPTIONS))
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("form", ["index", "proba"])
def test_cross_entropy_grad_is_finite_difference(form, layout, option, reduction):
    opts = dict(CE_OPTIONS[option])
    if form == "proba" and "ignore_index" in opts:
        opts.pop("ignore_index")  # not defined for probability targets
    x, target, axis = _ce_problem(layout, form, seed=len(option) + 7 * len(layout))

    def f(z):
        return ce.cross_entropy(z, target, reduction=reduction, axis=axis, **opts)

    loss, grad = ce.cross_entropy(x, target, reduction=reduction, axis=axis, return_grad=True, **opts)
    np.testing.assert_allclose(np.sum(loss), np.sum(f(x)), rtol=1e-15)
    assert_grad_matches(grad, fd_grad(f, x))


def test_cross_entropy_all_ignored_mean_is_zero_with_zero_gradient():
    """The documented difference from PyTorch (which returns NaN): the loss is 0.0 and so is its slope."""
    x = np.random.default_rng(0).standard_normal((4, 3))
    y = np.full(4, -100)
    for opts in ({}, {"weight": [1.0, 2.0, 3.0]}, {"label_smoothing": 0.3}):
        loss, grad = ce.cross_entropy(x, y, ignore_index=-100, return_grad=True, **opts)
        assert loss == 0.0 and type(loss) is np.float64
        assert np.array_equal(grad, np.zeros_like(x))
        np.testing.assert_array_equal(fd_grad(lambda z: ce.cross_entropy(z, y, ignore_index=-100, **opts), x), 0.0)


BCE_OPTIONS = {
    "plain": {},
    "weight": {"weight": "full"},
    "weight-row": {"weight": "last"},
    "pos_weight": {"pos_weight": "last"},
    "smoothing": {"label_smoothing": 0.2},
    "all": {"weight": "full", "pos_weight": "last", "label_smoothing": 0.1},
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("option", list(BCE_OPTIONS))
@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
def test_bce_with_logits_grad_is_finite_difference(soft, option, reduction):
    rng = np.random.default_rng(11)
    shape = (4, 3)
    x = 3.0 * rng.standard_normal(shape)
    t = rng.uniform(0, 1, shape) if soft else rng.integers(0, 2, shape).astype(float)
    opts = {}
    for k, v in BCE_OPTIONS[option].items():
        opts[k] = rng.uniform(0.1, 3.0, shape if v == "full" else shape[-1:]) if isinstance(v, str) else v

    def f(z):
        return ce.binary_cross_entropy_with_logits(z, t, reduction=reduction, **opts)

    loss, grad = ce.binary_cross_entropy_with_logits(x, t, reduction=reduction, return_grad=True, **opts)
    np.testing.assert_allclose(np.sum(loss), np.sum(f(x)), rtol=1e-15)
    assert_grad_matches(grad, fd_grad(f, x))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_is_the_gradient_of_logsumexp(axis):
    x = np.random.default_rng(5).standard_normal((3, 4))
    assert_grad_matches(ce.softmax(x, axis=axis), fd_grad(lambda z: ce.logsumexp(z, axis=axis), x))


def test_sigmoid_and_log_sigmoid_derivatives():
    x = np.linspace(-8, 8, 9)
    # d/dx log sigmoid(x) = sigmoid(-x); d/dx softplus(x) = sigmoid(x)
    assert_grad_matches(ce.sigmoid(-x), fd_grad(ce.log_sigmoid, x))
    assert_grad_matches(ce.sigmoid(x), fd_grad(ce.special.softplus, x))
