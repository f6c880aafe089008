"""Property tests (hypothesis) of the functional core.

- every loss is >= 0;
- cross_entropy is unchanged when a constant is added to a row of logits;
- no NaN, no inf and no RuntimeWarning for finite logits up to ±1e4 in float16, float32 and float64
  (special functions, cross_entropy and binary_cross_entropy_with_logits with their gradients, the
  focal losses), with the dtype preserved;
- softmax slices sum to 1; H(p, q) = H(p) + KL(p‖q) and KL >= 0;
- the identities between functions (focal with gamma = 0 is cross-entropy, cross_entropy is
  nll_loss of log_softmax, one-hot probabilities are class indices).
"""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import crossentropy as ce
from crossentropy import information

DTYPES = [np.float16, np.float32, np.float64]
BIG = 1e4


def logits_arrays(dtype, min_dims=1, max_dims=3, max_side=5, bound=BIG):
    return hnp.arrays(
        dtype,
        hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side),
        elements=st.floats(-bound, bound, allow_nan=False, width=np.dtype(dtype).itemsize * 8),
    )


@st.composite
def ce_problems(draw, dtype=np.float64, bound=BIG, soft=None):
    """Logits of any layout, a class axis, targets of either form, and every option."""
    x = draw(logits_arrays(dtype, bound=bound))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    c = x.shape[axis]
    soft = draw(st.booleans()) if soft is None else soft
    batch = x.shape[: axis % x.ndim] + x.shape[axis % x.ndim + 1 :]
    if soft:
        raw = draw(hnp.arrays(np.float64, x.shape, elements=st.floats(0, 1)))
        target = raw.astype(dtype)
        ignore_index = None
    else:
        target = draw(hnp.arrays(np.int64, batch, elements=st.integers(0, c - 1)))
        ignore_index = draw(st.sampled_from([None, -100, 0]))
    # class weights: 0 or in [1e-3, 5]; a ratio of weights beyond the dtype's range makes the true gradient
    # itself unrepresentable (label smoothing spreads w_c / sum w_y over every class)
    weight = draw(st.none() | hnp.arrays(np.float64, (c,), elements=st.just(0.0) | st.floats(1e-3, 5)))
    opts = {
        "weight": weight,
        "ignore_index": ignore_index,
        "label_smoothing": draw(st.floats(0, 1)),
        "reduction": draw(st.sampled_from(["mean", "sum", "none"])),
        "axis": axis,
    }
    return x, target, opts


def no_warnings(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return fn(*args, **kwargs)


def assume_representable(bound, dtype, reduction):
    """Keep the cases whose exact losses fit the output dtype.

    With ``reduction="none"`` the losses come back in the logits' dtype, and a weighted loss beyond
    ``finfo(dtype).max`` (65504 in float16) has no finite value there: no implementation can meet
    the property for it. ``bound`` is an upper bound of the exact per-element loss (float64); the
    ``"mean"``/``"sum"`` results are float64 and always qualify.
    """
    if reduction == "none":
        assume(float(bound) < float(np.finfo(dtype).max))


def _max_weight(w):
    return 1.0 if w is None else max(1.0, float(np.max(w, initial=0.0)))


def _softmax_loss_bound(x, weight, axis):
    # lse(x) - x_c <= 2 max|x| + log C, times the largest class weight
    return _max_weight(weight) * (2 * float(np.max(np.abs(x.astype(np.float64)))) + np.log(x.shape[axis]) + 1)


def assert_finite(value, what):
    assert np.all(np.isfinite(np.asarray(value, dtype=np.float64))), f"{what}: {value}"


# ------------------------------------------------------------------------------------------------
# stability: finite logits up to ±1e4 in every dtype


@given(st.sampled_from(DTYPES).flatmap(logits_arrays))
def test_special_functions_are_finite_and_keep_dtype(z):
    for fn in (ce.sigmoid, ce.log_sigmoid, ce.special.softplus):
        out = no_warnings(fn, z)
        assert out.dtype == z.dtype and out.shape == z.shape
        assert_finite(out, fn.__name__)
    assert np.all((ce.sigmoid(z) >= 0) & (ce.sigmoid(z) <= 1))
    assert np.all(ce.log_sigmoid(z) <= 0)
    for axis in range(-z.ndim, z.ndim):
        for fn in (ce.softmax, ce.log_softmax, ce.logsumexp):
            out = no_warnings(fn, z, axis=axis)
            assert out.dtype == z.dtype
            assert_finite(out, fn.__name__)
        p = ce.softmax(z, axis=axis)
        tol = {np.float16: 5e-3, np.float32: 1e-5, np.float64: 1e-12}[z.dtype.type]
        np.testing.assert_allclose(np.sum(p.astype(np.float64), axis=axis), 1.0, rtol=0, atol=tol)
        assert np.all(ce.log_softmax(z, axis=axis) <= 0)
        # logsumexp is at least the max and at most max + log C
        m = np.max(z.astype(np.float64), axis=axis)
        lse = ce.logsumexp(z, axis=axis).astype(np.float64)
        slack = np.abs(m) * np.finfo(z.dtype).eps * 2
        assert np.all(lse >= m - slack) and np.all(lse <= m + np.log(z.shape[axis]) + slack + 1e-3)


@given(st.sampled_from(DTYPES).flatmap(lambda d: ce_problems(d)))
def test_cross_entropy_finite_nonnegative_dtype(problem):
    x, target, opts = problem
    assume_representable(_softmax_loss_bound(x, opts["weight"], opts["axis"]), x.dtype, opts["reduction"])
    loss, grad = no_warnings(ce.cross_entropy, x, target, return_grad=True, **opts)
    assert_finite(loss, "loss")
    assert_finite(grad, "grad")
    assert np.all(np.asarray(loss) >= 0)
    assert grad.dtype == x.dtype and grad.shape == x.shape
    if opts["reduction"] == "none":
        ax = opts["axis"] % x.ndim
        assert loss.dtype == x.dtype and loss.shape == x.shape[:ax] + x.shape[ax + 1 :]
    else:
        assert type(loss) is np.float64


@given(st.sampled_from(DTYPES).flatmap(logits_arrays), st.data())
def test_bce_with_logits_finite_nonnegative_dtype(x, data):
    t = data.draw(hnp.arrays(x.dtype, x.shape, elements=st.sampled_from([0.0, 1.0]) | st.floats(0, 1, width=16)))
    opts = {
        "weight": data.draw(st.none() | hnp.arrays(np.float64, x.shape[-1:], elements=st.floats(0, 5))),
        "pos_weight": data.draw(st.none() | hnp.arrays(np.float64, x.shape[-1:], elements=st.floats(0, 5))),
        "label_smoothing": data.draw(st.floats(0, 1)),
        "reduction": data.draw(st.sampled_from(["mean", "sum", "none"])),
    }
    # softplus(|x|) <= |x| + log 2, times the element and positive-class weights
    bound = _max_weight(opts["weight"]) * _max_weight(opts["pos_weight"]) * (float(np.max(np.abs(x.astype(np.float64)))) + 1)
    assume_representable(bound, x.dtype, opts["reduction"])
    loss, grad = no_warnings(ce.binary_cross_entropy_with_logits, x, t, return_grad=True, **opts)
    assert_finite(loss, "loss")
    assert_finite(grad, "grad")
    assert np.all(np.asarray(loss) >= 0)
    assert grad.dtype == x.dtype and grad.shape == x.shape
    if opts["reduction"] == "none":
        assert loss.dtype == x.dtype and loss.shape == x.shape
    else:
        assert type(loss) is np.float64


@given(st.sampled_from(DTYPES).flatmap(logits_arrays), st.data())
def test_sigmoid_focal_finite_nonnegative(x, data):
    t = data.draw(hnp.arrays(x.dtype, x.shape, elements=st.sampled_from([0.0, 1.0]) | st.floats(0, 1, width=16)))
    alpha = data.draw(st.none() | st.floats(0, 1))
    gamma = data.draw(st.floats(0, 5))
    loss = no_warnings(ce.sigmoid_focal_loss, x, t, alpha=alpha, gamma=gamma, reduction="none")
    assert loss.dtype == x.dtype and loss.shape == x.shape
    assert_finite(loss, "loss")
    assert np.all(loss >= 0)
    assert_finite(no_warnings(ce.sigmoid_focal_loss, x, t, alpha=alpha, gamma=gamma), "mean")


@given(st.sampled_from(DTYPES).flatmap(lambda d: ce_problems(d, soft=False)), st.data())
def test_softmax_focal_finite_nonnegative(problem, data):
    x, target, opts = problem
    gamma = data.draw(st.floats(0, 5))
    alpha = opts["weight"]
    assume_representable(_softmax_loss_bound(x, alpha, opts["axis"]), x.dtype, opts["reduction"])
    loss = no_warnings(ce.softmax_focal_loss, x, target, alpha=alpha, gamma=gamma, ignore_index=opts["ignore_index"],
                       reduction=opts["reduction"], axis=opts["axis"])
    assert_finite(loss, "loss")
    assert np.all(np.asarray(loss) >= 0)


# ------------------------------------------------------------------------------------------------
# invariances and identities (float64)


@given(ce_problems(np.float64, bound=50.0), st.floats(-1e3, 1e3), st.data())
def test_cross_entropy_invariant_to_row_shift(problem, shift, data):
    x, target, opts = problem
    ax = opts["axis"] % x.ndim
    # a different constant for every row (every position along the non-class axes)
    shape = list(x.shape)
    shape[ax] = 1
    mask = data.draw(hnp.arrays(np.float64, tuple(shape), elements=st.sampled_from([0.0, 1.0, -0.5])))
    shifted = x + shift * mask
    l0, g0 = ce.cross_entropy(x, target, return_grad=True, **opts)
    l1, g1 = ce.cross_entropy(shifted, target, return_grad=True, **opts)
    # adding c to a logit moves it by eps*|c| in rounding; the loss moves by at most that times the weights
    tol = 1e-12 * (1 + abs(shift)) * 50
    np.testing.assert_allclose(l1, l0, rtol=1e-9, atol=tol)
    np.testing.assert_allclose(g1, g0, rtol=1e-9, atol=tol)


@given(ce_problems(np.float64, bound=30.0, soft=False))
def test_cross_entropy_is_nll_of_log_softmax(problem):
    x, target, opts = problem
    opts = dict(opts, label_smoothing=0.0)
    ref = ce.nll_loss(ce.log_softmax(x, axis=opts["axis"]), target, weight=opts["weight"],
                      ignore_index=opts["ignore_index"], reduction=opts["reduction"], axis=opts["axis"])
    np.testing.assert_allclose(ce.cross_entropy(x, target, **opts), ref, rtol=1e-10, atol=1e-12)


@given(ce_problems(np.float64, bound=30.0, soft=False))
def test_one_hot_probabilities_equal_class_indices_without_weight(problem):
    x, target, opts = problem
    ax = opts["axis"] % x.ndim
    one_hot = np.moveaxis(np.eye(x.shape[ax])[target], -1, ax)
    opts = dict(opts, weight=None, ignore_index=None)
    np.testing.assert_allclose(ce.cross_entropy(x, one_hot, **opts), ce.cross_entropy(x, target, **opts),
                               rtol=1e-10, atol=1e-12)


@given(ce_problems(np.float64, bound=30.0, soft=False))
def test_softmax_focal_with_gamma_zero_is_cross_entropy(problem):
    x, target, opts = problem
    ref = ce.cross_entropy(x, target, ignore_index=opts["ignore_index"], reduction=opts["reduction"], axis=opts["axis"])
    got = ce.softmax_focal_loss(x, target, gamma=0.0, ignore_index=opts["ignore_index"], reduction=opts["reduction"],
                                axis=opts["axis"])
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


@given(logits_arrays(np.float64, bound=30.0), st.data())
def test_sigmoid_focal_with_gamma_zero_and_no_alpha_is_bce(x, data):
    t = data.draw(hnp.arrays(np.float64, x.shape, elements=st.floats(0, 1)))
    np.testing.assert_allclose(ce.sigmoid_focal_loss(x, t, alpha=None, gamma=0.0, reduction="none"),
                               ce.binary_cross_entropy_with_logits(x, t, reduction="none"), rtol=1e-12)


@given(logits_arrays(np.float64, bound=30.0), st.data())
def test_bce_on_probabilities_equals_bce_on_logits(x, data):
    """Away from the clip: -[y log s(x) + (1-y) log s(-x)] on p = s(x) is the logits form."""
    t = data.draw(hnp.arrays(np.float64, x.shape, elements=st.floats(0, 1)))
    p = ce.sigmoid(x)
    inside = (p > 1e-6) & (p < 1 - 1e-6)  # beyond, 1 - p itself has lost its relative precision
    np.testing.assert_allclose(ce.binary_cross_entropy(p, t, reduction="none")[inside],
                               ce.binary_cross_entropy_with_logits(x, t, reduction="none")[inside],
                               rtol=1e-7, atol=1e-14)  # log(p) for p near 1 is only good to eps absolute


@given(logits_arrays(np.float64, min_dims=2, max_dims=2, bound=30.0), st.data())
def test_sklearn_log_loss_is_cross_entropy_of_softmax(x, data):
    """log_loss on softmax probabilities equals the mean cross-entropy of the logits (away from the clip)."""
    y = data.draw(hnp.arrays(np.int64, x.shape[:1], elements=st.integers(0, x.shape[1] - 1)))
    p = ce.softmax(x)
    if x.shape[1] < 2 or np.min(p[np.arange(len(y)), y]) < 1e-12:
        return
    value = ce.log_loss(y, p, labels=np.arange(x.shape[1]))
    np.testing.assert_allclose(value, ce.cross_entropy(x, y), rtol=1e-9, atol=1e-14)  # log p near 1: eps absolute


# ------------------------------------------------------------------------------------------------
# information theory


@st.composite
def distribution_pairs(draw, q_zeros=True):
    """Two arrays of discrete distributions of the same shape (rows, K); p may have zeros, q too if asked."""
    k = draw(st.integers(1, 6))
    rows = draw(st.integers(1, 4))

    def dist(lo):
        raw = draw(hnp.arrays(np.float64, (rows, k), elements=st.floats(lo, 1)))
        raw[:, 0] += 1e-3  # never an all-zero row
        return raw / raw.sum(axis=1, keepdims=True)

    return dist(0.0), dist(0.0 if q_zeros else 0.01)


@given(distribution_pairs(q_zeros=False), st.sampled_from([None, 2, np.e, 10]))
def test_cross_entropy_is_entropy_plus_kl(pq, base):
    p, q = pq
    k = p.shape[1]
    h_pq = information.cross_entropy(p, q, base=base)
    h_p = information.entropy(p, base=base)
    kl = information.kl_divergence(p, q, base=base)
    np.testing.assert_allclose(h_pq, h_p + kl, rtol=1e-10, atol=1e-12)
    assert np.all(kl >= -1e-12)
    assert np.all(h_p >= -1e-12) and np.all(h_p <= np.log(k) / (1 if base is None else np.log(base)) + 1e-9)
    np.testing.assert_allclose(information.kl_divergence(p, p, base=base), 0.0, atol=1e-12)


@given(distribution_pairs())
def test_kl_nonnegative_and_infinite_where_q_misses_p(pq):
    p, q = pq
    kl = information.kl_divergence(p, q)
    assert np.all(kl >= -1e-12)
    misses = np.any((q == 0) & (p > 0), axis=1)
    assert np.all(np.isinf(kl[misses])) and np.all(np.isfinite(kl[~misses]))
    assert np.array_equal(np.isinf(information.cross_entropy(p, q)), misses)
