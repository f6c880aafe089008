"""The stable special functions: against PyTorch on random arrays, against 60-digit mpmath at the
extremes, dtype rules, empty and scalar input; and the losses built on them at extreme logits.

mpmath comes with the test oracle (torch depends on sympy, which depends on mpmath).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import crossentropy as ce
from crossentropy.special import softplus
from helpers import assert_close_scaled

mpmath = pytest.importorskip("mpmath")
torch = pytest.importorskip("torch")
F = torch.nn.functional

mpmath.mp.dps = 60
DTYPES = [np.float16, np.float32, np.float64]
RTOL = {np.float16: 2e-3, np.float32: 2e-6, np.float64: 1e-13}
EXTREMES = [-1e4, -745.0, -700.0, -100.0, -40.0, -20.0, -1.0, -1e-10, 0.0, 1e-10, 1.0, 20.0, 40.0, 100.0, 700.0, 1e4]


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return fn(*args, **kwargs)


# ---------------------------------------------------------------------------------------------
# against PyTorch (float64 on the same values)

TORCH_ELEMENTWISE = {
    "sigmoid": (ce.sigmoid, torch.sigmoid),
    "log_sigmoid": (ce.log_sigmoid, F.logsigmoid),
    # torch's softplus switches to the identity above 20 (relative error < 1e-9 there)
    "softplus": (softplus, lambda t: F.softplus(t, threshold=1000)),
}
TORCH_ALONG_AXIS = {
    "softmax": (ce.softmax, lambda t, d: torch.softmax(t, dim=d)),
    "log_softmax": (ce.log_softmax, lambda t, d: torch.log_softmax(t, dim=d)),
    "logsumexp": (ce.logsumexp, lambda t, d: torch.logsumexp(t, dim=d)),
}


@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", list(TORCH_ELEMENTWISE))
def test_elementwise_match_torch(name, dtype, scale):
    ours_fn, torch_fn = TORCH_ELEMENTWISE[name]
    z = (scale * np.random.default_rng(1).standard_normal((4, 5))).astype(dtype)
    out = quiet(ours_fn, z)
    assert out.dtype == dtype and out.shape == z.shape
    ref = torch_fn(torch.tensor(z.astype(np.float64))).numpy()
    assert_close_scaled(out, ref.astype(dtype), RTOL[dtype])


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", list(TORCH_ALONG_AXIS))
def test_along_axis_match_torch(name, dtype, scale, axis):
    ours_fn, torch_fn = TORCH_ALONG_AXIS[name]
    z = (scale * np.random.default_rng(2).standard_normal((3, 4, 5))).astype(dtype)
    out = quiet(ours_fn, z, axis=axis)
    assert out.dtype == dtype
    ref = torch_fn(torch.tensor(z.astype(np.float64)), axis).numpy()
    assert_close_scaled(out, ref.astype(dtype), RTOL[dtype])


# ---------------------------------------------------------------------------------------------
# against mpmath at the extremes (float64)


def mp_sigmoid(x):
    return 1 / (1 + mpmath.exp(-mpmath.mpf(x)))


def mp_softplus(x):
    return mpmath.log1p(mpmath.exp(mpmath.mpf(x)))


def assert_mp(ours, exact, rtol=1e-14):
    """Relative agreement; below the smallest normal float64 only the absolute size is asked."""
    exact = float(exact)
    if abs(exact) < np.finfo(np.float64).tiny:
        assert abs(float(ours) - exact) < 1e-300
    else:
        assert abs(float(ours) - exact) <= rtol * abs(exact), (float(ours), exact)


@pytest.mark.parametrize("x", EXTREMES)
def test_sigmoid_family_at_extremes_match_mpmath(x):
    assert_mp(ce.sigmoid(x), mp_sigmoid(x))
    assert_mp(ce.log_sigmoid(x), -mp_softplus(-x))
    assert_mp(softplus(x), mp_softplus(x))


@pytest.mark.parametrize(
    "row",
    [[0.0, 1e4], [1e4, 1e4 - 1, -1e4], [-1e4, -1e4, -1e4], [700.0, -700.0, 0.0, 1.0], [1e-300, 0.0], [3.0],
     [30.0, -30.0, 0.0], [0.0, -40.0], [5.0, 5.0, -60.0]],  # one dominant entry: log(1 + tiny) kept relative
)
def test_softmax_family_at_extremes_match_mpmath(row):
    z = np.array(row)
    lse = mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(v)) for v in row))
    assert_mp(ce.logsumexp(z), lse)
    for k, v in enumerate(row):
        assert_mp(ce.log_softmax(z)[k], mpmath.mpf(v) - lse, rtol=1e-13)
        assert_mp(ce.softmax(z)[k], mpmath.exp(mpmath.mpf(v) - lse), rtol=1e-13)


def test_documented_extreme_values():
    assert ce.log_sigmoid(-1000.0) == -1000.0
    assert ce.sigmoid(1e4) == 1.0 and ce.sigmoid(-1e4) == 0.0
    assert ce.log_softmax([0.0, 1e4]).tolist() == [-1e4, 0.0]
    assert float(ce.logsumexp([1000.0, 1000.0])) == pytest.approx(1000 + np.log(2), rel=1e-15)


# ---------------------------------------------------------------------------------------------
# dtype rules, scalars, empty input


@pytest.mark.parametrize("fn", [ce.sigmoid, ce.log_sigmoid, softplus, ce.softmax, ce.log_softmax, ce.logsumexp])
def test_dtype_rules(fn):
    for dtype in DTYPES:
        assert fn(np.array([1.0, -2.0], dtype=dtype)).dtype == dtype
    for arr in (np.array([1, 2]), np.array([True, False]), [1, 2], [1.0, 2.0], np.array([1, 2], np.uint8)):
        assert fn(arr).dtype == np.float64
    assert fn(np.float32(1.5) if fn in (ce.sigmoid, ce.log_sigmoid, softplus) else np.array([1.5], np.float32)).dtype \
        == np.float32


def test_scalars_give_scalars_of_the_dtype():
    assert type(ce.sigmoid(3.0)) is np.float64
    assert type(ce.sigmoid(np.float32(3.0))) is np.float32
    assert type(ce.log_sigmoid(np.float16(3.0))) is np.float16
    assert type(ce.logsumexp([1.0, 2.0])) is np.float64
    assert type(ce.logsumexp(np.array([1.0, 2.0], np.float32))) is np.float32


def test_empty_inputs():
    assert ce.sigmoid(np.zeros(0)).shape == (0,)
    assert ce.softmax(np.zeros((2, 0))).shape == (2, 0)
    assert ce.log_softmax(np.zeros((0, 3))).shape == (0, 3)
    assert ce.logsumexp(np.zeros((0, 3))).shape == (0,)
    # the log of an empty sum is -inf, as in scipy.special.logsumexp
    assert np.all(quiet(ce.logsumexp, np.zeros((2, 0))) == -np.inf)


def test_input_is_not_modified():
    z = np.array([[1.0, 2.0, 3.0]])
    copy = z.copy()
    for fn in (ce.sigmoid, ce.log_sigmoid, ce.softmax, ce.log_softmax, ce.logsumexp):
        fn(z)
    np.testing.assert_array_equal(z, copy)


# ---------------------------------------------------------------------------------------------
# the losses at extreme logits: full relative precision (mpmath), where the naive formulas give 0 or inf


@pytest.mark.parametrize("x", EXTREMES)
@pytest.mark.parametrize("t", [0.0, 1.0, 0.25])
def test_bce_with_logits_at_extremes_match_mpmath(x, t):
    loss, grad = ce.binary_cross_entropy_with_logits(np.array([x]), np.array([t]), reduction="none", return_grad=True)
    xm, tm = mpmath.mpf(x), mpmath.mpf(t)
    exact_loss = tm * mp_softplus(-xm) + (1 - tm) * mp_softplus(xm)
    exact_grad = (1 - tm) * mp_sigmoid(xm) - tm * mp_sigmoid(-xm)  # = sigmoid(x) - t, without cancellation
    assert_mp(loss[0], exact_loss, rtol=1e-13)
    if t in (0.0, 1.0):
        assert_mp(grad[0], exact_grad, rtol=1e-13)  # no cancellation for hard targets
    else:
        assert abs(float(grad[0]) - float(exact_grad)) < 1e-15


def test_bce_with_logits_pos_weight_at_extremes_match_mpmath():
    x = np.array(EXTREMES)
    for t in (0.0, 1.0):
        loss, grad = ce.binary_cross_entropy_with_logits(x, np.full_like(x, t), pos_weight=3.0 * np.ones_like(x),
                                                         reduction="none", return_grad=True)
        for k, xv in enumerate(EXTREMES):
            xm = mpmath.mpf(xv)
            assert_mp(loss[k], 3 * t * mp_softplus(-xm) + (1 - t) * mp_softplus(xm), rtol=1e-13)
            assert_mp(grad[k], (1 - t) * mp_sigmoid(xm) - 3 * t * mp_sigmoid(-xm), rtol=1e-13)


def test_cross_entropy_at_extremes_matches_mpmath():
    x = np.array([[1e4, 0.0, -1e4], [0.0, 0.0, 0.0], [-1e4, 1e4, 50.0], [30.0, -30.0, 0.0]])
    y = np.array([2, 1, 1, 0])
    loss, grad = ce.cross_entropy(x, y, reduction="none", return_grad=True)
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
    for n, row in enumerate(x):
        lse = mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(v)) for v in row))
        # log(s) with s = 1 + tiny is good to eps absolute (as in PyTorch): relative only for losses >> eps
        assert abs(float(loss[n]) - float(lse - mpmath.mpf(row[y[n]]))) <= 1e-15 + 1e-13 * float(loss[n])
        for c, v in enumerate(row):
            exact = mpmath.exp(mpmath.mpf(v) - lse) - (1 if c == y[n] else 0)
            assert abs(float(grad[n, c]) - float(exact)) <= 1e-15 + 1e-13 * abs(float(exact))
