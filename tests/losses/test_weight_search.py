"""Hypothesis search: finite logits and finite positive weights, however huge or tiny, never give NaN,
inf or a wrong value (issue 13, item 3).

Each loss is compared with the definition evaluated in mpmath (60 digits) on the same inputs (the
float32 logits upcast exactly). The tolerance is relative to the size of the terms summed: the loss is
a weighted sum of log-sum-exp differences, each computed with an absolute error of a few ulps of the
largest logit, so the bound is ``rtol * (|value| + B * max|x|)`` with ``B`` the value of the same
weighted reduction with every difference replaced by 1. Where the exact value exceeds the float64
range, inf is the right float64 answer and is accepted only then.
"""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import crossentropy as ce

mpmath.mp.dps = 60
FMAX = mpmath.mpf(np.finfo(np.float64).max)


def positive_weights(n):
    """n positive weights from 1e-300 to 1e300, log-uniform (all huge, all tiny, or mixed)."""
    weight = st.builds(lambda m, e: float(m) * 10.0 ** e, st.floats(1.0, 9.99), st.integers(-300, 300))
    return st.lists(weight, min_size=n, max_size=n)


def logits(shape, bound=1e4):
    return st.lists(st.floats(-bound, bound, allow_nan=False), min_size=int(np.prod(shape)),
                    max_size=int(np.prod(shape))).map(lambda v: np.array(v).reshape(shape))


def _lse(row):
    return mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in row))


def _check(got, exact, scale, rtol, atol=0):
    """``got`` (a float) equals ``exact`` (mpmath) to ``rtol`` of ``scale`` plus ``atol``, or is inf beyond float64."""
    if abs(exact) > FMAX * (1 - 1e-12):
        assert np.isinf(got) or abs(mpmath.mpf(float(got)) - exact) <= rtol * scale + atol
        return
    assert np.isfinite(got), f"got {got}, the definition gives {mpmath.nstr(exact, 17)}"
    assert abs(mpmath.mpf(float(got)) - exact) <= rtol * scale + atol, (got, mpmath.nstr(exact, 17))


def _ce_definition(x, y, w, eps, reduction):
    """Value and error scale of the class-index cross-entropy with class weights w (mpmath)."""
    n, c = x.shape
    w = [mpmath.mpf(v) for v in w]
    total = mass = den = mpmath.mpf(0)
    for i in range(n):
        lse = _lse(x[i])
        diff = [lse - mpmath.mpf(float(v)) for v in x[i]]
        total += (1 - eps) * w[y[i]] * diff[y[i]] + mpmath.mpf(eps) / c * mpmath.fsum(wc * d for wc, d in zip(w, diff))
        mass += (1 - eps) * w[y[i]] + mpmath.mpf(eps) / c * mpmath.fsum(w)
        den += w[y[i]]
    if reduction == "mean":
        return total / den, mass / den
    return total, mass


@given(st.integers(1, 4), st.integers(2, 4), st.data())
def test_cross_entropy_and_linear_match_the_definition(n, c, data):
    x = data.draw(logits((n, c)))
    y = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    w = data.draw(positive_weights(c))
    eps = data.draw(st.sampled_from([0.0, 0.1]))
    reduction = data.draw(st.sampled_from(["mean", "sum"]))
    dtype = data.draw(st.sampled_from([np.float64, np.float32]))
    xd = x.astype(dtype)
    exact, mass = _ce_definition(xd.astype(np.float64), y, w, eps, reduction)
    scale = abs(exact) + mass * mpmath.mpf(float(np.abs(xd).max()) + 1.0)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning reaches the user either
        got = ce.cross_entropy(xd, y, weight=w, label_smoothing=eps, reduction=reduction)
        # linear_cross_entropy with X = 1, W = 0 and the first row as bias: every row has those logits
        got_lin = ce.linear_cross_entropy(np.ones((n, 1), dtype), np.zeros((c, 1), dtype), y, bias=xd[0],
                                          weight=w, label_smoothing=eps, reduction=reduction)
    _check(got, exact, scale, rtol)
    exact_lin, mass_lin = _ce_definition(np.tile(xd[0].astype(np.float64), (n, 1)), y, w, eps, reduction)
    _check(got_lin, exact_lin, abs(exact_lin) + mass_lin * mpmath.mpf(float(np.abs(xd[0]).max()) + 1.0), rtol)


@given(st.integers(1, 5), st.integers(2, 4), st.data())
def test_nll_loss_matches_the_definition(n, c, data):
    lp = -np.abs(data.draw(logits((n, c), bound=1e6)))
    y = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    w = data.draw(positive_weights(c))
    reduction = data.draw(st.sampled_from(["mean", "sum"]))
    terms = [mpmath.mpf(w[y[i]]) * -mpmath.mpf(float(lp[i, y[i]])) for i in range(n)]
    den = mpmath.fsum(mpmath.mpf(w[y[i]]) for i in range(n))
    exact = mpmath.fsum(terms) / (den if reduction == "mean" else 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = ce.nll_loss(lp, y, weight=w, reduction=reduction)
    # results below the smallest normal float64 (2.2e-308) are held with fewer digits
    mass = mpmath.fsum(mpmath.mpf(w[y[i]]) for i in range(n)) / (den if reduction == "mean" else 1)
    # and a subnormal result is at best the float64 nearest to the exact one: half its spacing 2^-1074
    # away (hypothesis: logit -2.2e-309 with weight 1e-11 is 2.2e-320, stored 2e-324 from the exact value)
    _check(got, exact, abs(exact) + mass * mpmath.mpf(float(np.finfo(np.float64).tiny)) * 1e5, 1e-12,
           atol=mpmath.mpf(2) ** -1075)


def _softplus(v):
    v = mpmath.mpf(float(v))
    return mpmath.log1p(mpmath.exp(v))


@given(st.integers(1, 6), st.data())
def test_binary_cross_entropy_with_logits_matches_the_definition(n, data):
    x = data.draw(logits((n,), bound=1e3))
    t = np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0, 0.25]), min_size=n, max_size=n)))
    w = data.draw(positive_weights(n))
    reduction = data.draw(st.sampled_from(["mean", "sum"]))
    dtype = data.draw(st.sampled_from([np.float64, np.float32]))
    xd = x.astype(dtype)
    terms = [mpmath.mpf(w[i]) * (mpmath.mpf(t[i]) * _softplus(-xd[i]) + (1 - mpmath.mpf(t[i])) * _softplus(xd[i]))
             for i in range(n)]
    exact = mpmath.fsum(terms) / (n if reduction == "mean" else 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = ce.binary_cross_entropy_with_logits(xd, t, weight=w, reduction=reduction)
    # values below the smallest normal number (2.2e-308, 1.2e-38 in float32) are held with fewer digits
    floor = mpmath.fsum(mpmath.mpf(v) for v in w) / (n if reduction == "mean" else 1) \
        * mpmath.mpf(float(np.finfo(dtype).tiny)) * 1e5
    # a subnormal float64 result is at best the float64 nearest the exact value: half its spacing 2^-1074
    _check(got, exact, abs(exact) + floor, 1e-12 if dtype == np.float64 else 1e-5, atol=mpmath.mpf(2) ** -1075)


@pytest.mark.parametrize("t", [0.0, 0.25])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_binary_cross_entropy_with_logits_subnormal_result_is_the_nearest_float(t, reduction):
    # the case hypothesis found: logit -696 with weight 1e-10 gives 5.38e-313, a subnormal value
    x, w = np.array([-696.0]), np.array([1e-10])
    exact = mpmath.mpf(w[0]) * (mpmath.mpf(t) * _softplus(-x[0]) + (1 - mpmath.mpf(t)) * _softplus(x[0]))
    got = ce.binary_cross_entropy_with_logits(x, np.array([t]), weight=w, reduction=reduction)
    if t == 0.0:
        assert float(got) == float(exact)  # mpmath's conversion rounds to the nearest float64
    _check(got, exact, abs(exact), 1e-12, atol=mpmath.mpf(2) ** -1075)


@given(st.integers(2, 6), st.data())
def test_log_loss_matches_the_definition(n, data):
    a = np.array(data.draw(st.lists(st.floats(0.01, 0.99), min_size=n, max_size=n)))
    proba = np.column_stack([1 - a, a])
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    y[:2] = [0, 1]
    s = data.draw(positive_weights(n))
    normalize = data.draw(st.booleans())
    terms = [mpmath.mpf(s[i]) * -mpmath.log(mpmath.mpf(float(proba[i, y[i]]))) for i in range(n)]
    exact = mpmath.fsum(terms) / (mpmath.fsum(mpmath.mpf(v) for v in s) if normalize else 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = ce.log_loss(y, proba, sample_weight=s, normalize=normalize)
    _check(got, exact, abs(exact), 1e-12)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_float16_32_with_smoothing_and_extreme_class_weight_ratio_match_torch_float64(dtype):
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, 2.0], [0.0, 1.0]])
    y = np.array([0, 0])
    w = np.array([1e-40, 1.0])
    expected = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(y), weight=torch.tensor(w),
                                                 label_smoothing=0.1)
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.cross_entropy(xt, torch.tensor(y), weight=torch.tensor(w), label_smoothing=0.1).backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grad = ce.cross_entropy(x.astype(dtype), y, weight=w, label_smoothing=0.1, return_grad=True)
    assert loss == pytest.approx(float(expected), rel=1e-3 if dtype == np.float16 else 1e-6)
    assert not np.isnan(grad).any()
    with np.errstate(over="ignore"):  # float16 cannot hold 1.3e38: the float64 gradient rounds to +-inf
        expected_grad = xt.grad.numpy().astype(dtype)
    np.testing.assert_allclose(grad.astype(np.float64), expected_grad.astype(np.float64),
                               rtol=1e-3 if dtype == np.float16 else 1e-6)


def test_nll_loss_of_a_subnormal_result_is_the_nearest_float64():
    # the case hypothesis found: the exact sum 2.2250738585e-320 lies between two subnormal floats;
    # nll_loss gives the nearer one (an error below half their spacing 2^-1074)
    lp = np.array([[-2.22507386e-309, -1.0]])
    got = ce.nll_loss(lp, np.array([0]), weight=np.array([1e-11, 1.0]), reduction="sum")
    exact = mpmath.mpf(1e-11) * mpmath.mpf(2.22507386e-309)
    assert abs(mpmath.mpf(float(got)) - exact) <= mpmath.mpf(2) ** -1075
