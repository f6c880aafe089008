"""Binary cross-entropy (log loss) on probabilities and on logits."""

from __future__ import annotations

import numpy as np

from .._array_api import array_api
from .._generic import losses as _generic
from .. import special
from .._validation import (
    as_float_array,
    check_broadcastable,
    check_label_smoothing,
    check_nonempty_for_mean,
    check_reduction,
    check_same_shape,
    check_unit_interval,
)
from ._reduction import compute_dtype, grad_scale, needs_float64, normalise_weights, reduce_loss

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits"]


@array_api(_generic.binary_cross_entropy)
def binary_cross_entropy(proba, target, *, weight=None, reduction="mean"):
    r"""Binary cross-entropy (log loss) on predicted probabilities.

    .. math::
        \ell_n = -w_n\,[\,y_n \log p_n + (1 - y_n) \log(1 - p_n)\,],
        \qquad p_n \leftarrow \mathrm{clip}(p_n, \epsilon, 1 - \epsilon)

    with :math:`\epsilon` the machine epsilon of ``proba``'s dtype, so p = 0 or 1 gives a large
    finite loss instead of inf. ``"mean"`` divides by the number of elements (weights are not in the
    denominator, as in PyTorch). Prefer :func:`binary_cross_entropy_with_logits` when logits are at hand.

    Parameters
    ----------
    proba : array_like of shape (...)
        Predicted probabilities of the positive class, in [0, 1].
    target : array_like of shape (...)
        0/1 labels or soft targets in [0, 1], same shape as ``proba``.
    weight : array_like broadcastable to (...), optional
        Non-negative per-element weights.
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    numpy.float64 for "mean" and "sum"; ndarray of shape (...) for "none".

    Examples
    --------
    >>> import crossentropy as ce
    >>> float(ce.binary_cross_entropy([0.9, 0.2], [1, 0]).round(6))
    0.164252

    References
    ----------
    Bishop, *Pattern Recognition and Machine Learning* (2006), eq. 4.90.
    """
    reduction = check_reduction(reduction)
    p = as_float_array(proba, "proba")
    check_unit_interval(p, "proba")
    t = as_float_array(target, "target")
    check_same_shape(p, t, "proba", "target")
    check_unit_interval(t, "target")
    check_nonempty_for_mean(p.size, reduction, "proba")
    dtype = compute_dtype(p.dtype)
    eps = np.finfo(p.dtype).eps
    p_dtype = p.dtype
    p = np.clip(p.astype(dtype, copy=False), eps, 1 - eps)
    t = t.astype(dtype, copy=False)
    loss = -(t * np.log(p) + (1 - t) * np.log1p(-p))
    w, w_scale = normalise_weights(None if weight is None else check_broadcastable(weight, p.shape, "weight"))
    if w is not None:
        loss = loss.astype(np.float64) * w if needs_float64(w, w_scale, dtype) else loss * w.astype(dtype)
    return _scaled(loss, w_scale, reduction, p_dtype)


def _scaled(loss, w_scale, reduction, dtype):
    """The reduced ``loss`` times ``w_scale`` (the power of two the weights were divided by), in float64
    and cast to ``dtype`` for ``"none"``."""
    with np.errstate(over="ignore"):
        if reduction == "none":
            return reduce_loss((loss.astype(np.float64) * w_scale).astype(dtype, copy=False), reduction)
        return np.float64(reduce_loss(loss, reduction) * w_scale)


@array_api(_generic.binary_cross_entropy_with_logits)
def binary_cross_entropy_with_logits(
    logits, target, *, weight=None, pos_weight=None, label_smoothing=0.0, reduction="mean", return_grad=False
):
    r"""Binary cross-entropy from logits, computed in softplus form (never as sigmoid-then-log).

    With :math:`t = y(1-\varepsilon) + \varepsilon/2` (binary label smoothing), positive-class weight
    :math:`p_w`, per-element weight :math:`w` and :math:`\mathrm{sp}(x) = \log(1 + e^{x})`,

    .. math::
        \ell_n = -w_n\,[\,p_w\,t_n \log\sigma(x_n) + (1 - t_n)\log\sigma(-x_n)\,]
               = w_n\,[\,p_w\,t_n\,\mathrm{sp}(-x_n) + (1 - t_n)\,\mathrm{sp}(x_n)\,]

    .. math::
        \frac{\partial \ell_n}{\partial x_n} = w_n\,[\,(1 - t_n)\,\sigma(x_n) - p_w\,t_n\,\sigma(-x_n)\,]

    Both are sums of non-negative terms, so they keep full relative precision for confident
    predictions (``x = -40, y = 0`` gives :math:`\mathrm{sp}(-40) \approx 4.2\times 10^{-18}`, not 0).
    The values equal ``torch.nn.functional.binary_cross_entropy_with_logits`` with the same
    ``weight`` and ``pos_weight``; ``"mean"`` divides by the number of elements.

    Parameters
    ----------
    logits : array_like of shape (...)
    target : array_like of shape (...)
        0/1 labels or soft targets in [0, 1].
    weight : array_like broadcastable to (...), optional
        Non-negative per-element weights.
    pos_weight : array_like broadcastable to (...), optional
        Weight of the positive term, usually one entry per output column (the last axis).
    label_smoothing : float in [0, 1], default 0
    reduction : {"mean", "sum", "none"}, default "mean"
    return_grad : bool, default False
        Also return the gradient of the returned loss (of its sum for "none") with respect to ``logits``.

    Returns
    -------
    loss : numpy.float64 for "mean" and "sum"; ndarray of shape (...) for "none"
    grad : ndarray of shape (...) in the dtype of ``logits`` (only with ``return_grad=True``)

    Examples
    --------
    >>> import crossentropy as ce
    >>> float(ce.binary_cross_entropy_with_logits([100.0], [0.0]))
    100.0
    >>> loss, grad = ce.binary_cross_entropy_with_logits([0.0, 2.0], [1.0, 0.0], return_grad=True)
    >>> grad.round(4)
    array([-0.25  ,  0.4404])

    References
    ----------
    PyTorch documentation, ``torch.nn.BCEWithLogitsLoss``; Szegedy et al., *Rethinking the Inception
    architecture* (2016), §7 (label smoothing).
    """
    reduction = check_reduction(reduction)
    eps = check_label_smoothing(label_smoothing)
    x_in = as_float_array(logits, "logits")
    t = as_float_array(target, "target")
    check_same_shape(x_in, t, "logits", "target")
    check_unit_interval(t, "target")
    check_nonempty_for_mean(x_in.size, reduction, "logits")
    dtype = compute_dtype(x_in.dtype)
    x = x_in.astype(dtype, copy=False)
    t = t.astype(dtype, copy=False)
    if eps:
        t = t * (1 - eps) + eps / 2
    # weights divided by a power of two (and the result multiplied by it): any finite weights
    w, w_scale = normalise_weights(None if weight is None else check_broadcastable(weight, x.shape, "weight"))
    factor = w_scale * grad_scale(reduction, x.size)
    if needs_float64(w, factor, dtype):
        x, t, dtype = x.astype(np.float64), t.astype(np.float64), np.dtype(np.float64)
    pos = t if pos_weight is None else check_broadcastable(pos_weight, x.shape, "pos_weight").astype(dtype) * t
    w = None if w is None else w.astype(dtype)
    # -pw t log s(x) - (1-t) log s(-x), from one exponential: sp(+-x) = max(+-x, 0) + log1p(e^-|x|)
    e = np.exp(-np.abs(x))
    neg = 1 - t
    loss = pos * np.maximum(-x, 0) + neg * np.maximum(x, 0) + (pos + neg) * np.log1p(e)
    if w is not None:
        loss = loss * w
    out = _scaled(loss, w_scale, reduction, x_in.dtype)
    if not return_grad:
        return out
    # (1-t) s(x) - pw t s(-x), with s(x) = 1/(1+e) for x >= 0 and e/(1+e) below: no cancellation
    up = x >= 0
    grad = (neg * np.where(up, 1, e) - pos * np.where(up, e, 1)) / (1 + e)
    if w is not None:
        grad = grad * w
    grad = np.asarray(grad * grad.dtype.type(factor))
    with np.errstate(over="ignore"):
        return out, grad.astype(x_in.dtype)
