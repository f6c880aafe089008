r"""The functional losses of :mod:`crossentropy.losses` for any array API namespace ``xp``.

Softmax cross-entropy is written once, on rows (N, C) with dense target weights :math:`q` (class-index
targets become :math:`q_{nc} = k_n[(1-\varepsilon) w_{y_n}\delta_{c y_n} + \tfrac{\varepsilon}{C} w_c]`):
:math:`\ell_n = \sum_c q_{nc}(\mathrm{lse}_n - \tilde z_{nc}) + \lambda a_n \mathrm{lse}_n^2` and
:math:`\partial\ell_n/\partial x = ((\sum_j q_{nj}) p_n - q_n + 2\lambda a_n \mathrm{lse}_n p_n)(1 - \tanh^2)`,
the formulas of :mod:`crossentropy.losses._rows` and :mod:`crossentropy.losses._options`.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_alpha_scalar, check_label_smoothing, check_real, check_softcap, check_z_loss
from ._common import (
    as_array,
    check_nonempty_for_mean,
    check_reduction,
    check_same_shape,
    check_unit_interval,
    class_axis,
    class_weight,
    compute_dtype,
    count,
    device_of,
    float_array,
    from_rows,
    grad_factor,
    index_target,
    is_float,
    like_of,
    one_hot,
    overflowed,
    reduce,
    to_rows,
    weights,
    wide_dtype,
)
from .special import log_sigmoid, log_softmax, shifted_log_norm


def binary_cross_entropy(xp, proba, target, *, weight=None, reduction="mean"):
    reduction = check_reduction(reduction)
    like = like_of(proba, target, weight)
    p = float_array(xp, proba, "proba", like)
    check_unit_interval(xp, p, "proba")
    t = float_array(xp, target, "target", like)
    check_same_shape(p, t, "proba", "target")
    check_unit_interval(xp, t, "target")
    check_nonempty_for_mean(count(p), reduction, "proba")
    dtype = compute_dtype(xp, p.dtype)
    eps = float(xp.finfo(p.dtype).eps)
    pc = xp.clip(xp.astype(p, dtype), eps, 1 - eps)
    t = xp.astype(t, dtype)
    loss = -(t * xp.log(pc) + (1 - t) * xp.log1p(-pc))
    w = weights(xp, weight, p.shape, "weight", like, xp.float64)
    if w is not None:
        loss = xp.astype(loss, xp.float64) * w
    return reduce(xp, loss, reduction, p.dtype)


def _binary_inputs(xp, logits, target, reduction, like):
    """``(logits as given, logits and targets in the compute dtype)``, checked as the binary losses check them."""
    x_in = float_array(xp, logits, "logits", like)
    t = float_array(xp, target, "target", like)
    check_same_shape(x_in, t, "logits", "target")
    check_unit_interval(xp, t, "target")
    check_nonempty_for_mean(count(x_in), reduction, "logits")
    dtype = compute_dtype(xp, x_in.dtype)
    return x_in, xp.astype(x_in, dtype), xp.astype(t, dtype)


def binary_cross_entropy_with_logits(xp, logits, target, *, weight=None, pos_weight=None, label_smoothing=0.0,
                                     reduction="mean", return_grad=False):
    reduction = check_reduction(reduction)
    eps = check_label_smoothing(label_smoothing)
    like = like_of(logits, target, weight, pos_weight)
    x_in, x, t = _binary_inputs(xp, logits, target, reduction, like)
    w = weights(xp, weight, x.shape, "weight", like, xp.float64)
    pw = weights(xp, pos_weight, x.shape, "pos_weight", like, xp.float64)
    dtype = wide_dtype(xp, x.dtype, w, pw)
    with np.errstate(over="ignore", invalid="ignore"):  # a NumPy-backed namespace's float32 overflow: retried
        result = _bce_logits(xp, x_in, t, w, pw, eps, reduction, return_grad, dtype)
    if dtype != xp.float64 and overflowed(xp, result[0], reduction):  # logits near the float32 range's end
        result = _bce_logits(xp, x_in, t, w, pw, eps, reduction, return_grad, xp.float64)
    return result if return_grad else result[0]


def _bce_logits(xp, x_in, t, w, pw, eps, reduction, return_grad, dtype):
    """``(value, gradient or None)`` of :func:`binary_cross_entropy_with_logits`, computed in ``dtype``."""
    x, t = xp.astype(x_in, dtype), xp.astype(t, dtype)
    if eps:
        t = t * (1 - eps) + eps / 2
    w = None if w is None else xp.astype(w, dtype)
    pw = None if pw is None else xp.astype(pw, dtype)
    pos = t if pw is None else pw * t
    zero, one = xp.zeros_like(x), xp.ones_like(x)
    e = xp.exp(-xp.abs(x))
    neg = 1 - t
    loss = pos * xp.maximum(-x, zero) + neg * xp.maximum(x, zero) + (pos + neg) * xp.log1p(e)
    if w is not None:
        loss = loss * w
    value = reduce(xp, loss, reduction, x_in.dtype)
    if not return_grad:
        return value, None
    up = x >= 0
    grad = (neg * xp.where(up, one, e) - pos * xp.where(up, e, one)) / (1 + e)
    if w is not None:
        grad = grad * w
    return value, xp.astype(grad * grad_factor(reduction, count(x)), x_in.dtype)


def hard_targets(xp, y, r, w, eps, n_classes, dtype):
    """``(q, a, den)`` of class-index targets: dense target weights (N, C), the rows' weights :math:`r_n w_{y_n}`
    (``r``: not-ignored mask times sample weights) and their sum in float64 (the mean's denominator)."""
    w_row = xp.ones((n_classes,), dtype=dtype, device=device_of(y)) if w is None else xp.astype(w, dtype)
    r = xp.astype(r, dtype)
    a = r if w is None else r * xp.take(w_row, y, axis=0)
    q = (1 - eps) * xp.reshape(a, (-1, 1)) * one_hot(xp, y, n_classes, dtype)
    if eps:
        q = q + (eps / n_classes) * xp.reshape(r, (-1, 1)) * xp.reshape(w_row, (1, -1))
    return q, a, float(xp.sum(xp.astype(a, xp.float64)))


def ce_rows(xp, x, q, a, z_loss, softcap, need_grad):
    """Row losses (N,), log-sum-exps (N,) and the gradient of their sum (N, C) or None, on logits rows ``x``."""
    th = None
    if softcap is not None:
        th = xp.tanh(x / softcap)
        x = softcap * th
    m, shifted, log_norm = shifted_log_norm(xp, x, 1)
    lse = (m + log_norm)[:, 0]
    q_sum = xp.sum(q, axis=1)
    rows = q_sum * log_norm[:, 0] - xp.sum(q * shifted, axis=1)
    if z_loss:
        rows = rows + z_loss * a * lse ** 2
    if not need_grad:
        return rows, lse, None
    p = xp.exp(shifted - log_norm)
    coef = q_sum if not z_loss else q_sum + 2 * z_loss * a * lse
    grad = xp.reshape(coef, (-1, 1)) * p - q
    if th is not None:
        grad = grad * (1 - th * th)
    return rows, lse, grad


def cross_entropy(xp, logits, target, *, weight=None, ignore_index=None, label_smoothing=0.0, reduction="mean",
                  axis=-1, z_loss=0.0, softcap=None, return_lse=False, return_grad=False, out=None):
    reduction = check_reduction(reduction)
    eps = check_label_smoothing(label_smoothing)
    z_loss, softcap = check_z_loss(z_loss), check_softcap(softcap)
    if out is not None:
        raise TypeError("out must be a numpy.ndarray or an array NumPy reads without a copy; on this input the "
                        "gradient is returned as a new array (leave out=None)")
    like = like_of(logits, target, weight)
    x_in = float_array(xp, logits, "logits", like)
    ax, n_classes = class_axis(xp, x_in, "logits", axis)
    w = class_weight(xp, weight, n_classes, like)
    t = as_array(xp, target, like)
    n = count(x_in) // n_classes
    if is_float(xp, t) and tuple(t.shape) == tuple(x_in.shape):
        if ignore_index is not None:
            raise ValueError("ignore_index is only available for class-index targets, not for class probabilities")
        t = float_array(xp, t, "target")
        check_unit_interval(xp, t, "target")
        check_nonempty_for_mean(n, reduction, "logits")
        y = keep = None
    else:
        expected = tuple(x_in.shape[:ax]) + tuple(x_in.shape[ax + 1:])
        y, keep = index_target(xp, t, expected, n_classes, ignore_index, like)
        check_nonempty_for_mean(count(y), reduction, "target")
    dtype = wide_dtype(xp, compute_dtype(xp, x_in.dtype), w)
    args = (xp, x_in, ax, t, y, keep, w, eps, n_classes, reduction, z_loss, softcap, return_lse, return_grad)
    with np.errstate(over="ignore", invalid="ignore"):  # a NumPy-backed namespace's float32 overflow: retried
        result = _cross_entropy(*args, dtype)
    if dtype != xp.float64 and overflowed(xp, result[0], reduction):  # logits near the float32 range's end
        result = _cross_entropy(*args, xp.float64)
    return result if len(result) > 1 else result[0]


def _cross_entropy(xp, x_in, ax, t, y, keep, w, eps, n_classes, reduction, z_loss, softcap, return_lse, return_grad,
                   dtype):
    """The results of :func:`cross_entropy` (a tuple), computed in ``dtype``; ``y`` None: class probabilities ``t``."""
    x, perm, moved = to_rows(xp, xp.astype(x_in, dtype), ax)
    n = x.shape[0]
    if y is None:
        q = to_rows(xp, xp.astype(t, dtype), ax)[0] * (1 - eps) + eps / n_classes
        if w is not None:
            q = q * xp.reshape(xp.astype(w, dtype), (1, -1))
        a, den = xp.ones((n,), dtype=dtype, device=device_of(x)), float(n)
    else:
        q, a, den = hard_targets(xp, y, keep, w, eps, n_classes, dtype)
    rows, lse, grad = ce_rows(xp, x, q, a, z_loss, softcap, return_grad)
    batch = moved[:-1]
    value = reduce(xp, xp.reshape(rows, batch) if reduction == "none" else rows, reduction, x_in.dtype, den)
    result = (value,)
    if return_lse:
        result += (xp.astype(xp.reshape(lse, batch), x_in.dtype),)
    if return_grad:
        grad = grad * grad_factor(reduction, n, den)
        result += (xp.astype(from_rows(xp, grad, perm, moved), x_in.dtype),)
    return result


def nll_loss(xp, log_proba, target, *, weight=None, ignore_index=None, reduction="mean", axis=-1):
    reduction = check_reduction(reduction)
    like = like_of(log_proba, target, weight)
    lp_in = float_array(xp, log_proba, "log_proba", like)
    ax, n_classes = class_axis(xp, lp_in, "log_proba", axis)
    w = class_weight(xp, weight, n_classes, like)
    lp, _, moved = to_rows(xp, lp_in, ax)
    expected = tuple(lp_in.shape[:ax]) + tuple(lp_in.shape[ax + 1:])
    y, keep = index_target(xp, target, expected, n_classes, ignore_index, like)
    check_nonempty_for_mean(count(y), reduction, "target")
    _, a, den = hard_targets(xp, y, keep, w, 0.0, n_classes, xp.float64)
    rows = -a * xp.astype(xp.sum(one_hot(xp, y, n_classes, lp.dtype) * lp, axis=1), xp.float64)
    return reduce(xp, xp.reshape(rows, moved[:-1]) if reduction == "none" else rows, reduction, lp_in.dtype, den)


def sigmoid_focal_loss(xp, logits, target, *, alpha=0.25, gamma=2.0, reduction="mean"):
    reduction = check_reduction(reduction)
    g = check_real(gamma, "gamma", low=0)
    alpha = check_alpha_scalar(alpha, high=1)
    x_in, x, t = _binary_inputs(xp, logits, target, reduction, like_of(logits, target))
    loss = binary_cross_entropy_with_logits(xp, x, t, reduction="none")
    if g:
        log_one_minus_pt = xp.logaddexp(xp.log(t) + log_sigmoid(xp, -x), xp.log1p(-t) + log_sigmoid(xp, x))
        loss = loss * xp.exp(g * log_one_minus_pt)
    if alpha is not None and alpha >= 0:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    return reduce(xp, loss, reduction, x_in.dtype)


def softmax_focal_loss(xp, logits, target, *, alpha=None, gamma=2.0, ignore_index=None, reduction="mean", axis=-1):
    reduction = check_reduction(reduction)
    g = check_real(gamma, "gamma", low=0)
    like = like_of(logits, target, alpha)
    x_in = float_array(xp, logits, "logits", like)
    ax, n_classes = class_axis(xp, x_in, "logits", axis)
    if alpha is None or isinstance(alpha, (int, float)):
        a = check_alpha_scalar(alpha, low=0, finite=False)
        a = None if a is None else xp.full((n_classes,), a, dtype=xp.float64, device=device_of(x_in))
    else:
        a = class_weight(xp, alpha, n_classes, like, "alpha")
    dtype = compute_dtype(xp, x_in.dtype)
    x, _, moved = to_rows(xp, xp.astype(x_in, dtype), ax)
    expected = tuple(x_in.shape[:ax]) + tuple(x_in.shape[ax + 1:])
    y, keep = index_target(xp, target, expected, n_classes, ignore_index, like)
    check_nonempty_for_mean(count(y), reduction, "target")
    logp_y = xp.sum(one_hot(xp, y, n_classes, dtype) * log_softmax(xp, x, axis=1), axis=1)
    loss = -logp_y * (-xp.expm1(logp_y)) ** g * xp.astype(keep, dtype)
    if a is not None:
        loss = loss * xp.astype(xp.take(a, y, axis=0), dtype)
    den = float(xp.sum(xp.astype(keep, xp.float64)))
    return reduce(xp, xp.reshape(loss, moved[:-1]) if reduction == "none" else loss, reduction, x_in.dtype, den)
