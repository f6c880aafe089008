"""Issue 13 (items 3, 4, 7, 10): the library's answers on extreme but valid input, against oracles.

Oracles: the float64 definition written out with scipy's logsumexp, PyTorch (float64), scipy.special
(logsumexp, log_softmax, entropy), math.log(2).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import special as sps
from scipy import stats

import crossentropy as ce
from crossentropy import information

X3 = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 0.0]])
Y3 = np.array([0, 2])


def _definition(x, y):
    """Unweighted mean cross-entropy, float64."""
    return float(np.mean(sps.logsumexp(x, axis=1) - x[np.arange(len(y)), y]))


@pytest.fixture(autouse=True)
def _no_runtime_warnings():
    """No NumPy RuntimeWarning may escape a library call on finite input (item 10)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


# ---------------------------------------------------------------------------------------- item 3
@pytest.mark.parametrize("w", [1e308, 1e-320, 3.0])
def test_cross_entropy_with_equal_huge_or_tiny_weights_is_the_unweighted_mean(w):
    expected = _definition(X3, Y3)  # equal class weights cancel in the weighted mean: 2.7887...
    assert ce.cross_entropy(X3, Y3, weight=[w] * 3) == pytest.approx(expected, rel=1e-14)
    assert ce.nll_loss(ce.log_softmax(X3), Y3, weight=[w] * 3) == pytest.approx(expected, rel=1e-14)
    # X = I, W = the logits' transpose: X @ W.T are the same logits
    lin = ce.linear_cross_entropy(np.eye(2), np.ascontiguousarray(X3.T), Y3, weight=[w] * 3)
    assert lin == pytest.approx(expected, rel=1e-14)


def test_sum_with_huge_weights_is_the_weighted_sum():
    rows = sps.logsumexp(X3, axis=1) - X3[[0, 1], Y3]
    got = ce.cross_entropy(X3, Y3, weight=[1e300, 2e300, 5e299], reduction="sum")
    assert got == pytest.approx(1e300 * rows[0] + 5e299 * rows[1], rel=1e-14)
    got = ce.cross_entropy(X3, Y3, weight=[1e300, 2e300, 5e299], reduction="none")
    np.testing.assert_allclose(got, [1e300 * rows[0], 5e299 * rows[1]], rtol=1e-14)


def test_gradient_with_huge_weights_matches_torch():
    torch = pytest.importorskip("torch")
    w = np.array([1e308, 5e307, 1e308])
    xt = torch.tensor(X3, requires_grad=True)
    # torch's float64 sum overflows with these weights; the mean is scale free: divide by 1e308 for it
    ref = torch.nn.functional.cross_entropy(xt, torch.tensor(Y3), weight=torch.tensor(w / 1e308))
    ref.backward()
    loss, grad = ce.cross_entropy(X3, Y3, weight=w, return_grad=True)
    assert loss == pytest.approx(float(ref.detach()), rel=1e-14)
    np.testing.assert_allclose(grad, xt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_log_loss_with_huge_sample_weights_is_log_2():
    proba = np.array([[0.5, 0.5], [0.5, 0.5]])
    assert ce.log_loss([0, 1], proba, sample_weight=[1e308, 1e308]) == pytest.approx(math.log(2), rel=1e-15)
    assert ce.log_loss([0, 1], proba, sample_weight=[1e-320, 1e-320]) == pytest.approx(math.log(2), rel=1e-15)


def test_binary_with_logits_huge_weights():
    x = np.array([0.3, -2.0]); t = np.array([1.0, 0.0])
    plain = ce.binary_cross_entropy_with_logits(x, t, reduction="sum")
    got = ce.binary_cross_entropy_with_logits(x, t, weight=[1e308, 1e308], reduction="mean")
    assert got == pytest.approx(plain / 2 * 1e308, rel=1e-14)


# ---------------------------------------------------------------------------------------- item 4
def test_linear_cross_entropy_overflowing_logits_raise_like_cross_entropy():
    X = np.array([[1e200]]); W = np.array([[1e200], [0.0]])
    with pytest.raises(ValueError, match="logits must be finite"):  # what cross_entropy says on such logits
        ce.cross_entropy(np.array([[np.inf, 0.0]]), np.array([0]))
    with pytest.raises(ValueError, match=r"logits X @ W\.T \+ bias must be finite.*scale X or W"):
        ce.linear_cross_entropy(X, W, np.array([0]))


def test_linear_cross_entropy_float32_logits_beyond_float32_are_computed_in_float64():
    X = np.array([[2e19]], np.float32); W = np.array([[2e19], [-2e19]], np.float32)  # logits +-4e38
    z = X.astype(np.float64) @ W.T.astype(np.float64)
    expected = float(sps.logsumexp(z, axis=1)[0] - z[0, 1])
    assert ce.linear_cross_entropy(X, W, np.array([1])) == pytest.approx(expected, rel=1e-6)


# ---------------------------------------------------------------------------------------- item 10
@pytest.mark.parametrize("target, eps", [(0, 0.0), (1, 0.0), (1, 0.1)])
def test_float32_logits_near_the_float32_limit_give_the_float64_mean(target, eps):
    x = np.array([[3e38, -3e38, -3e38]], np.float32)
    expected = float(ce.cross_entropy(x.astype(np.float64), [target], label_smoothing=eps))
    got = ce.cross_entropy(x, [target], label_smoothing=eps)
    assert np.isfinite(got) and got == pytest.approx(expected, rel=1e-7)


def test_messages_show_plain_values_not_numpy_reprs():
    from crossentropy.linear_model import LogisticRegression

    with pytest.raises(ValueError) as info:
        LogisticRegression(penalty=np.str_("same")).fit([[0.0], [1.0]], [0, 1])
    assert "got 'same'" in str(info.value) and "np.str_" not in str(info.value)
    with pytest.raises(ValueError) as info:
        LogisticRegression(C=np.float64(-1.0)).fit([[0.0], [1.0]], [0, 1])
    assert "got -1.0" in str(info.value) and "np.float64" not in str(info.value)


# ---------------------------------------------------------------------------------------- item 7
@pytest.mark.parametrize("z", [3.0, np.float32(-2.5), 0])
def test_scalar_input_like_scipy(z):
    assert ce.logsumexp(z) == pytest.approx(float(sps.logsumexp(z)))
    assert ce.log_softmax(z) == pytest.approx(float(sps.log_softmax(z)))
    assert ce.softmax(z) == pytest.approx(float(sps.softmax(z)))
    assert np.ndim(ce.logsumexp(z)) == 0 and np.ndim(ce.log_softmax(z)) == 0


def test_axis_none_reduces_over_all_elements_like_scipy():
    z = np.array([[1.0, 2.0, -3.0], [3.0, 4.0, 1000.0]])
    assert ce.logsumexp(z, axis=None) == pytest.approx(float(sps.logsumexp(z, axis=None)), rel=1e-15)
    np.testing.assert_allclose(ce.log_softmax(z, axis=None), sps.log_softmax(z, axis=None), rtol=1e-14)
    np.testing.assert_allclose(ce.softmax(z, axis=None), sps.softmax(z, axis=None), rtol=1e-14)
    with pytest.raises(TypeError, match="axis must be an integer or None"):
        ce.logsumexp(z, axis=1.5)


@pytest.mark.parametrize("base", [np.inf, float("nan"), 1.0, 0.0, -2.0])
def test_entropy_base_must_be_finite_positive_not_one(base):
    with pytest.raises(ValueError, match="base"):
        information.entropy([0.5, 0.5], base=base)
    with pytest.raises(ValueError, match="base"):
        information.kl_divergence([0.5, 0.5], [0.9, 0.1], base=base)


def test_entropy_finite_bases_match_scipy():
    p = np.array([0.2, 0.5, 0.3])
    for base in (2.0, 10.0, 0.5, 1e300):
        assert information.entropy(p, base=base) == pytest.approx(stats.entropy(p, base=base), rel=1e-14)


def test_class_weight_of_strings_is_a_clear_type_error():
    from crossentropy.linear_model import LogisticRegression

    with pytest.raises(TypeError, match=r"class_weight\[0\] must be a real number, got 'x'"):
        LogisticRegression(class_weight={0: "x"}).fit([[0.0], [1.0]], [0, 1])
