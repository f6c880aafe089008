"""Reductions of finite row losses whose plain float64 sum overflows, and distributions that must sum to 1.

Oracles: the exact rational mean of the float64 row losses (``fractions.Fraction``), PyTorch's
``reduction="sum"`` (inf when the true sum exceeds the float range) and scipy's ``rv_discrete``
tolerance (``np.allclose``) for the sums of p.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from crossentropy import information
from crossentropy.losses import binary_cross_entropy_with_logits, cross_entropy, nll_loss

torch = pytest.importorskip("torch")


def exact_mean(rows):
    return float(sum(Fraction(float(v)) for v in rows) / len(rows))


def test_mean_of_finite_row_losses_near_the_float_max_is_finite():
    x = np.array([1.7e308, 1.7e308, 1.0e308])
    y = np.zeros(3)
    rows = binary_cross_entropy_with_logits(x, y, reduction="none")
    assert binary_cross_entropy_with_logits(x, y) == exact_mean(rows)
    # the 'sum' exceeds the float range: inf, as PyTorch gives
    ref = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(y), reduction="sum")
    assert np.isinf(binary_cross_entropy_with_logits(x, y, reduction="sum")) and torch.isinf(ref)
    logits = np.array([[1.7e308, 0.0], [1.6e308, 0.0]])
    assert cross_entropy(logits, np.array([1, 1])) == exact_mean(cross_entropy(logits, np.array([1, 1]), reduction="none"))
    assert nll_loss(-logits, np.array([0, 0])) == exact_mean([1.7e308, 1.6e308])


def test_a_sum_that_fits_after_cancellation_is_the_exact_value():
    rows = np.array([1.7e308, 1.7e308, -1.65e308])   # nll of a negative log-probability input: the sum fits
    got = nll_loss(-rows[:, None], np.zeros(3, dtype=int), reduction="sum")
    assert got == float(sum(Fraction(v) for v in rows))


@pytest.mark.parametrize("fn", [information.entropy, lambda p: information.cross_entropy(p, [0.5, 0.5]),
                                lambda p: information.kl_divergence(p, [0.5, 0.5])])
def test_p_that_does_not_sum_to_one_is_refused(fn):
    with pytest.raises(ValueError, match=r"p must sum to 1 along axis -1.*0\.4"):
        fn([0.2, 0.2])
    close = np.array([0.5, 0.5 + 5e-6])   # within np.allclose's tolerance, as scipy accepts
    assert np.allclose(close.sum(), 1.0)
    fn(close)


def test_q_and_other_axes_are_checked():
    with pytest.raises(ValueError, match="q must sum to 1"):
        information.kl_divergence([0.5, 0.5], [0.9, 0.9])
    p = np.array([[0.5, 0.5], [0.5, 0.5]])
    information.entropy(p, axis=0)
    with pytest.raises(ValueError, match="axis 0"):
        information.entropy(np.array([[0.5, 0.25], [0.5, 0.25]]).T, axis=0)
