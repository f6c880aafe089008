"""Focal losses beyond the PyTorch oracle (tests/losses/test_losses_torch_oracle.py): exact values at extreme
logits against 60-digit mpmath, where the probability-space formulas underflow to 0 or give NaN, and
the meaning of alpha."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import crossentropy as ce

mpmath = pytest.importorskip("mpmath")

mpmath.mp.dps = 60
LOGITS = [-1e4, -300.0, -40.0, -5.0, -0.5, 0.0, 0.5, 5.0, 40.0, 300.0, 1e4]


def mp_log_sigmoid(x):
    return -mpmath.log1p(mpmath.exp(-mpmath.mpf(x)))


def exact_sigmoid_focal(x, t, alpha, gamma):
    """torchvision's definition, evaluated in 60-digit arithmetic."""
    x, t = mpmath.mpf(x), mpmath.mpf(t)
    bce = -(t * mp_log_sigmoid(x) + (1 - t) * mp_log_sigmoid(-x))
    p = mpmath.exp(mp_log_sigmoid(x))
    q = mpmath.exp(mp_log_sigmoid(-x))  # 1 - p, without cancellation
    one_minus_pt = t * q + (1 - t) * p
    loss = bce * one_minus_pt**gamma
    if alpha is not None:
        loss *= alpha * t + (1 - alpha) * (1 - t)
    return loss


def close(ours, exact, rtol=1e-12):
    exact = float(exact)
    if abs(exact) < np.finfo(np.float64).tiny:
        return abs(float(ours) - exact) < 1e-300
    return abs(float(ours) - exact) <= rtol * abs(exact)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 3.0])
@pytest.mark.parametrize("t", [0.0, 1.0, 0.3])
@pytest.mark.parametrize("alpha", [0.25, None])
def test_sigmoid_focal_exact_at_every_scale(alpha, t, gamma):
    x = np.array(LOGITS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        loss = ce.sigmoid_focal_loss(x, np.full_like(x, t), alpha=alpha, gamma=gamma, reduction="none")
    for k, xv in enumerate(LOGITS):
        exact = exact_sigmoid_focal(xv, t, alpha, gamma)
        assert close(loss[k], exact), (xv, float(loss[k]), float(exact))


def test_sigmoid_focal_keeps_precision_where_probability_space_underflows():
    """At x = 40, y = 1 the probability formula has 1 - p_t = 0 exactly; the true loss is ~1e-52."""
    loss = ce.sigmoid_focal_loss(np.array([40.0]), np.array([1.0]), alpha=None, gamma=2.0, reduction="none")[0]
    p = 1 / (1 + np.exp(-40.0))
    assert (1 - p) == 0.0  # the naive route gives exactly zero
    assert loss > 0 and close(loss, exact_sigmoid_focal(40.0, 1.0, None, 2.0))


@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0, 4.5])
def test_softmax_focal_exact_at_extremes(gamma):
    x = np.array([[1e4, 0.0, -1e4], [0.0, 0.0, 0.0], [-1e4, 1e4, 50.0], [30.0, -30.0, 0.0], [-700.0, 700.0, 0.0],
                  [30.0, -30.0, 0.0], [0.0, -40.0, -45.0]])
    y = np.array([2, 1, 2, 1, 0, 0, 0])  # the last two: confident and right, p_y = 1 - tiny
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        loss = ce.softmax_focal_loss(x, y, gamma=gamma, reduction="none")
    for n, row in enumerate(x):
        lse = mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(v)) for v in row))
        logp = mpmath.mpf(row[y[n]]) - lse
        one_minus_p = mpmath.fsum(mpmath.exp(mpmath.mpf(v) - lse) for c, v in enumerate(row) if c != y[n])
        exact = -logp * one_minus_p**gamma
        assert close(loss[n], exact, rtol=1e-12), (n, float(loss[n]), float(exact))


def test_sigmoid_focal_alpha_conventions():
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal(8), rng.integers(0, 2, 8).astype(float)
    # alpha=None and a negative alpha (torchvision's way of turning it off) are the same
    np.testing.assert_array_equal(ce.sigmoid_focal_loss(x, t, alpha=None), ce.sigmoid_focal_loss(x, t, alpha=-1.0))
    # alpha weighs positives by alpha and negatives by 1 - alpha
    plain = ce.sigmoid_focal_loss(x, t, alpha=None, reduction="none")
    weighted = ce.sigmoid_focal_loss(x, t, alpha=0.8, reduction="none")
    np.testing.assert_allclose(weighted, np.where(t == 1, 0.8, 0.2) * plain, rtol=1e-15)


def test_softmax_focal_alpha_and_ignore():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((7, 3)), rng.integers(0, 3, 7)
    plain = ce.softmax_focal_loss(x, y, reduction="none")
    alpha = np.array([0.2, 1.0, 3.0])
    np.testing.assert_allclose(ce.softmax_focal_loss(x, y, alpha=alpha, reduction="none"), alpha[y] * plain, rtol=1e-15)
    np.testing.assert_allclose(ce.softmax_focal_loss(x, y, alpha=0.5, reduction="none"), 0.5 * plain, rtol=1e-15)
    # ignored positions give 0 and leave the mean's denominator
    y_ign = np.where(np.arange(7) < 3, -1, y)
    none = ce.softmax_focal_loss(x, y_ign, ignore_index=-1, reduction="none")
    assert np.all(none[:3] == 0)
    assert ce.softmax_focal_loss(x, y_ign, ignore_index=-1) == pytest.approx(plain[3:].mean(), rel=1e-14)
    # every target ignored: "mean" is 0.0, as for cross_entropy
    assert ce.softmax_focal_loss(x, np.full(7, -1), ignore_index=-1) == 0.0


def test_focal_losses_decrease_as_gamma_grows():
    """(1 - p_t)^gamma <= 1 shrinks with gamma: the defining property of the focal loss."""
    rng = np.random.default_rng(2)
    x, t = 3 * rng.standard_normal(20), rng.integers(0, 2, 20).astype(float)
    xs, ys = 3 * rng.standard_normal((20, 4)), rng.integers(0, 4, 20)
    values = [ce.sigmoid_focal_loss(x, t, alpha=None, gamma=g, reduction="none") for g in (0, 0.5, 1, 2, 5)]
    assert all(np.all(b <= a) for a, b in zip(values, values[1:]))
    values = [ce.softmax_focal_loss(xs, ys, gamma=g, reduction="none") for g in (0, 0.5, 1, 2, 5)]
    assert all(np.all(b <= a) for a, b in zip(values, values[1:]))
