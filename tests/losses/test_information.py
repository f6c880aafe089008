"""``crossentropy.information`` against scipy.stats.entropy, PyTorch and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

import crossentropy as ce
from crossentropy import information

torch = pytest.importorskip("torch")
F = torch.nn.functional

BASES = [None, 2, 10, np.e]


def random_dists(rng, shape, zeros=False):
    p = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
    if zeros:
        p = np.where(rng.random(p.shape) < 0.3, 0.0, p)
        p[..., 0] += 1e-3
        p /= p.sum(axis=-1, keepdims=True)
    return p


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("zeros", [False, True])
def test_entropy_and_kl_match_scipy(base, axis, zeros):
    rng = np.random.default_rng(3)
    p = np.moveaxis(random_dists(rng, (4, 2, 5), zeros), -1, axis)
    q = np.moveaxis(random_dists(rng, (4, 2, 5)), -1, axis)
    np.testing.assert_allclose(information.entropy(p, base=base, axis=axis),
                               scipy.stats.entropy(p, base=base, axis=axis), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(information.kl_divergence(p, q, base=base, axis=axis),
                               scipy.stats.entropy(p, q, base=base, axis=axis), rtol=1e-12, atol=1e-15)
    # H(p, q) = H(p) + KL(p || q), all three computed independently by scipy
    ref_h_pq = scipy.stats.entropy(p, base=base, axis=axis) + scipy.stats.entropy(p, q, base=base, axis=axis)
    np.testing.assert_allclose(information.cross_entropy(p, q, base=base, axis=axis), ref_h_pq, rtol=1e-12)


def test_cross_entropy_of_distributions_is_torch_soft_target_loss():
    """H(p, q) with q = softmax(x) is PyTorch's cross_entropy with probability targets p."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 4))
    p = random_dists(rng, (6, 4), zeros=True)
    ref = F.cross_entropy(torch.tensor(x), torch.tensor(p), reduction="none").numpy()
    np.testing.assert_allclose(information.cross_entropy(p, ce.softmax(x)), ref, rtol=1e-12)
    # and KL is PyTorch's kl_div(log q, p) summed over classes
    kl_ref = F.kl_div(torch.tensor(ce.log_softmax(x)), torch.tensor(p), reduction="none").sum(-1).numpy()
    np.testing.assert_allclose(information.kl_divergence(p, ce.softmax(x)), kl_ref, rtol=1e-12, atol=1e-15)


def test_closed_forms():
    for k in (1, 2, 3, 10):
        u = np.full(k, 1 / k)
        assert information.entropy(u) == pytest.approx(np.log(k), abs=1e-15)
        assert information.entropy(u, base=2) == pytest.approx(np.log2(k), abs=1e-15)
    assert information.entropy([1.0, 0.0, 0.0]) == 0.0  # 0 log 0 = 0
    assert information.cross_entropy([1.0, 0.0], [0.5, 0.5], base=2) == pytest.approx(1.0)
    # Bernoulli KL in closed form
    a, b = 0.3, 0.8
    closed = a * np.log(a / b) + (1 - a) * np.log((1 - a) / (1 - b))
    assert information.kl_divergence([a, 1 - a], [b, 1 - b]) == pytest.approx(closed, rel=1e-14)


def test_infinite_where_q_cannot_encode_p_and_no_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert information.cross_entropy([0.5, 0.5], [1.0, 0.0]) == np.inf
        assert information.kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf
        # q = 0 where p = 0 is harmless
        assert np.isfinite(information.kl_divergence([1.0, 0.0], [1.0, 0.0]))


def test_broadcasting_one_q_against_many_p():
    rng = np.random.default_rng(5)
    p = random_dists(rng, (5, 3))
    q = random_dists(rng, (3,))
    np.testing.assert_allclose(information.kl_divergence(p, q),
                               [scipy.stats.entropy(row, q) for row in p], rtol=1e-12)


def test_a_zero_is_positive_zero():
    """A certain outcome has entropy +0.0 (not -0.0), as scipy.stats.entropy returns; so do H(p, p) and KL(p, p)."""
    for value in (information.entropy([1, 0]), information.entropy([[0.0, 1.0]], base=2)[0],
                  information.entropy([1, 0], base=0.5), information.cross_entropy([1, 0], [1, 0]),
                  information.kl_divergence([0.3, 0.7], [0.3, 0.7], base=0.5)):
        assert value == 0.0 and not np.signbit(value), value
    assert not np.signbit(scipy.stats.entropy([1, 0]))  # the oracle's sign
    assert not np.signbit(information.entropy(np.eye(3))).any()
