"""Focal losses: cross-entropy down-weighted on well-classified examples, computed in log space."""

from __future__ import annotations

import numpy as np

from .._array_api import array_api
from .._generic import losses as _generic
from .. import special
from .._validation import (
    as_float_array,
    check_class_weight,
    check_nonempty_for_mean,
    check_alpha_scalar,
    check_real,
    check_reduction,
    check_same_shape,
    check_unit_interval,
)
from ._reduction import compute_dtype, reduce_loss
from ._targets import axis_index_target, class_scores, to_rows
from .binary import binary_cross_entropy_with_logits

__all__ = ["sigmoid_focal_loss", "softmax_focal_loss"]


@array_api(_generic.sigmoid_focal_loss)
def sigmoid_focal_loss(logits, target, *, alpha=0.25, gamma=2.0, reduction="mean"):
    r"""Binary focal loss from logits (torchvision's definition), computed in log space.

    With :math:`p = \sigma(x)`, :math:`p_t = p\,y + (1-p)(1-y)` and
    :math:`\alpha_t = \alpha y + (1-\alpha)(1-y)`,

    .. math::
        \ell = \alpha_t\,(1 - p_t)^{\gamma}\;\mathrm{BCE}(x, y),\qquad
        \log(1 - p_t) = \operatorname{logaddexp}\big(\log y + \log\sigma(-x),\ \log(1-y) + \log\sigma(x)\big)

    so that large :math:`|x|` never produces 0·inf. ``alpha=None`` (or a negative alpha, as in torchvision)
    turns the class balancing off.

    Parameters
    ----------
    logits : array_like of shape (...)
    target : array_like of shape (...), 0/1 or soft targets in [0, 1]
    alpha : float in [0, 1] or None, default 0.25
    gamma : float >= 0, default 2
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    numpy.float64 for "mean" and "sum"; ndarray of shape (...) for "none".

    Examples
    --------
    >>> import crossentropy as ce
    >>> float(ce.sigmoid_focal_loss([3.0, -1.0], [1.0, 1.0]).round(6))
    0.087747

    References
    ----------
    Lin, Goyal, Girshick, He & Dollár, *Focal Loss for Dense Object Detection*, ICCV 2017;
    ``torchvision.ops.sigmoid_focal_loss``.
    """
    reduction = check_reduction(reduction)
    g = check_real(gamma, "gamma", low=0)
    alpha = check_alpha_scalar(alpha, high=1)
    x_in = as_float_array(logits, "logits")
    t = as_float_array(target, "target")
    check_same_shape(x_in, t, "logits", "target")
    check_unit_interval(t, "target")
    check_nonempty_for_mean(x_in.size, reduction, "logits")
    dtype = compute_dtype(x_in.dtype)
    x, t = x_in.astype(dtype, copy=False), t.astype(dtype, copy=False)
    ce = binary_cross_entropy_with_logits(x, t, reduction="none")
    with np.errstate(divide="ignore"):
        log_one_minus_pt = np.logaddexp(np.log(t) + special.log_sigmoid(-x), np.log1p(-t) + special.log_sigmoid(x))
    loss = ce * np.exp(g * log_one_minus_pt) if g else ce
    if alpha is not None and alpha >= 0:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    return reduce_loss(loss.astype(x_in.dtype, copy=False) if reduction == "none" else loss, reduction)


@array_api(_generic.softmax_focal_loss)
def softmax_focal_loss(logits, target, *, alpha=None, gamma=2.0, ignore_index=None, reduction="mean", axis=-1):
    r"""Multiclass focal loss from logits, stable for large logits.

    .. math::
        \ell_n = -k_n\,\alpha_{y_n}\,(1 - p_{n y_n})^{\gamma}\,\log p_{n y_n},\qquad
        \text{mean} = \frac{1}{\sum_n k_n}\sum_n \ell_n

    with :math:`\log p` from :func:`crossentropy.log_softmax`, :math:`1 - p = -\mathrm{expm1}(\log p)`
    and :math:`k_n = [y_n \ne \text{ignore\_index}]`. ``alpha`` is None (no balancing), a scalar
    applied to every class, or one non-negative weight per class. ``gamma=0`` and ``alpha=None``
    give :func:`crossentropy.cross_entropy`.

    Parameters
    ----------
    logits : array_like of shape (..., C, ...); class axis ``axis``
    target : array_like of integer class indices, ``logits``' shape without the class axis
    alpha : None, float, or array_like of shape (C,)
    gamma : float >= 0, default 2
    ignore_index : int, optional
    reduction : {"mean", "sum", "none"}, default "mean"
    axis : int, default -1

    Returns
    -------
    numpy.float64 for "mean" and "sum"; ndarray of the target's shape for "none".

    Examples
    --------
    >>> import numpy as np, crossentropy as ce
    >>> float(ce.softmax_focal_loss(np.array([[2.0, 0.5, -1.0]]), np.array([0])).round(6))
    0.011093

    References
    ----------
    Lin, Goyal, Girshick, He & Dollár, *Focal Loss for Dense Object Detection*, ICCV 2017, eq. 5.
    """
    reduction = check_reduction(reduction)
    g = check_real(gamma, "gamma", low=0)
    x_in, ax, n_classes = class_scores(logits, "logits", axis)
    if alpha is None or np.ndim(alpha) == 0:
        a = check_alpha_scalar(alpha, low=0, finite=False)
        a = None if a is None else np.full(n_classes, a)
    else:
        a = check_class_weight(alpha, n_classes, "alpha")
    x, moved_shape = to_rows(x_in.astype(compute_dtype(x_in.dtype), copy=False), ax)
    t = axis_index_target(target, x_in.shape, ax, n_classes, ignore_index=ignore_index, reduction=reduction)
    logp_y = special.log_softmax(x)[np.arange(t.y.size), t.safe]
    loss = -logp_y * (-np.expm1(logp_y)) ** g * t.keep
    if a is not None:
        loss = loss * a[t.safe]
    return reduce_loss(
        loss.reshape(moved_shape[:-1]).astype(x_in.dtype, copy=False) if reduction == "none" else loss,
        reduction,
        t.weight_sum(None),
    )
