"""Softmax cross-entropy from logits, and the negative log-likelihood on log-probabilities."""

from __future__ import annotations

import numpy as np

from .._array_api import array_api
from .._generic import losses as _generic
from .._validation import (
    as_float_array,
    check_class_weight,
    check_label_smoothing,
    check_nonempty_for_mean,
    check_reduction,
    check_unit_interval,
)
from . import _options, _rows
from ._reduction import (
    compute_dtype,
    grad_scale,
    mean_denominator,
    scaled_by,
    needs_float64,
    normalise_weights,
    reduce_loss,
)
from ._targets import axis_index_target, class_scores, from_rows, to_rows

__all__ = ["cross_entropy", "nll_loss"]


@array_api(_generic.cross_entropy)
def cross_entropy(
    logits,
    target,
    *,
    weight=None,
    ignore_index=None,
    label_smoothing=0.0,
    reduction="mean",
    axis=-1,
    z_loss=0.0,
    softcap=None,
    return_lse=False,
    return_grad=False,
    out=None,
):
    r"""Softmax cross-entropy from logits, with PyTorch's options and numbers.

    With :math:`\log p_{nc} = x_{nc} - \log\sum_j e^{x_{nj}}` (computed by log-sum-exp, never as
    log of softmax), class weights :math:`w`, smoothing :math:`\varepsilon` and :math:`C` classes:

    *Class-index targets* :math:`y_n` (not-ignored mask :math:`k_n`):

    .. math::
        \ell_n = k_n\Big[-(1-\varepsilon)\,w_{y_n}\log p_{n y_n} - \frac{\varepsilon}{C}\sum_c w_c \log p_{nc}\Big],
        \qquad \text{mean} = \frac{\sum_n \ell_n}{\sum_n k_n\,w_{y_n}}

    *Probability targets* :math:`t_{nc}`, smoothed to :math:`t' = (1-\varepsilon)\,t + \varepsilon/C`:

    .. math::
        \ell_n = -\sum_c w_c\,t'_{nc}\log p_{nc}, \qquad \text{mean} = \frac{1}{N}\sum_n \ell_n

    The gradient is :math:`\partial\ell_n/\partial x_{nc} = (\sum_j q_{nj})\,p_{nc} - q_{nc}` with
    :math:`q` the weighted targets above. These are ``torch.nn.functional.cross_entropy``'s values,
    including its weighted-mean denominator. One deliberate difference: when every target is
    ignored, ``"mean"`` returns 0.0 with a zero gradient (PyTorch returns NaN).

    Options of fused large-vocabulary kernels (:mod:`crossentropy.losses._options`): ``softcap`` replaces
    the logits by :math:`c\tanh(x/c)` before everything above (Gemma), ``z_loss`` adds
    :math:`\lambda\,a_n\,\mathrm{lse}_n^2` to each row (PaLM; :math:`a_n = k_n w_{y_n}`, the row's
    weight in the mean's denominator, or 1 for probability targets) and ``return_lse`` also returns
    :math:`\mathrm{lse}_n = \log\sum_c e^{x_{nc}}` of the (capped) logits.

    Parameters
    ----------
    logits : array_like of shape (..., C, ...)
        Unnormalised scores; the class axis is ``axis``.
    target : array_like
        Integer class indices of ``logits``' shape without the class axis, or class probabilities
        of ``logits``' shape.
    weight : array_like of shape (C,), optional
        Non-negative class weights.
    ignore_index : int, optional
        Class-index targets equal to it contribute neither loss nor gradient.
    label_smoothing : float in [0, 1], default 0
    reduction : {"mean", "sum", "none"}, default "mean"
    axis : int, default -1
        The class axis of ``logits`` (PyTorch uses axis 1).
    z_loss : float >= 0, default 0
        Coefficient of the z-loss :math:`\mathrm{lse}_n^2` (PaLM uses 1e-4); 0 is off.
    softcap : float > 0, optional
        Soft-cap of the logits, :math:`x \to c\tanh(x / c)` (Gemma 2 uses 30); None is off.
    return_lse : bool, default False
        Also return the log-sum-exp of each row of the (capped) logits.
    return_grad : bool, default False
        Also return the gradient of the returned loss (of its sum for "none") with respect to ``logits``.
    out : ndarray, optional
        With ``return_grad=True``: the array, of ``logits``' shape and dtype, that receives the
        gradient and is returned as it. It may be ``logits`` itself (overwritten in place, as in Liger's
        kernel). Class-index targets on C-contiguous float32/float64 logits run a fused, multi-threaded
        kernel that writes it in one pass.

    Returns
    -------
    loss : numpy.float64 for "mean" and "sum"; ndarray of the target shape (without the class axis) for "none"
    lse : ndarray of the target shape in ``logits``' dtype (only with ``return_lse=True``)
    grad : ndarray of ``logits``' shape and dtype (only with ``return_grad=True``)

    Examples
    --------
    >>> import numpy as np, crossentropy as ce
    >>> logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    >>> float(ce.cross_entropy(logits, np.array([0, 2])).round(6))
    0.175456
    >>> float(ce.cross_entropy(logits, np.array([0, 2]), label_smoothing=0.1).round(6))
    0.345456
    >>> loss, lse = ce.cross_entropy(logits, np.array([0, 2]), z_loss=1e-4, softcap=30.0, return_lse=True)
    >>> lse.round(4)
    array([2.239 , 3.1007])

    References
    ----------
    Goodfellow, Bengio & Courville, *Deep Learning* (2016), §6.2.2.3; Müller, Kornblith & Hinton,
    *When does label smoothing help?*, NeurIPS 2019; PyTorch documentation, ``torch.nn.CrossEntropyLoss``.
    """
    reduction = check_reduction(reduction)
    eps = check_label_smoothing(label_smoothing)
    opts = (_options.check_z_loss(z_loss), _options.check_softcap(softcap), bool(return_lse))
    x_in, ax, n_classes = class_scores(logits, "logits", axis)
    if out is not None:
        _check_grad_out(out, x_in, return_grad)
    w = check_class_weight(weight, n_classes)
    t_arr = np.asarray(target)
    soft = t_arr.dtype.kind == "f" and t_arr.shape == x_in.shape
    if soft:
        if ignore_index is not None:
            raise ValueError("ignore_index is only available for class-index targets, not for class probabilities")
        q_in = as_float_array(t_arr, "target")
        check_unit_interval(q_in, "target")
        check_nonempty_for_mean(x_in.size // n_classes, reduction, "logits")
        t = None
    else:
        t = axis_index_target(t_arr, x_in.shape, ax, n_classes, ignore_index=ignore_index, reduction=reduction)
    # weights divided by a power of two: any finite weights give the float64 value of the definition
    mean = None
    if soft:
        w, w_scale = normalise_weights(w)
    else:
        used = t.keep.astype(np.float64) if w is None else w[t.safe[t.keep]]
        w, w_scale = normalise_weights(w, None if w is None or eps else used)
        mean = mean_denominator(used, w_scale)  # PyTorch's weighted-mean denominator, without underflow
    dtype = compute_dtype(x_in.dtype)
    with np.errstate(over="ignore", under="ignore"):
        value, lse, grad = _evaluate(x_in, ax, q_in if soft else t, w, w_scale, mean, eps, reduction, return_grad,
                                     out, dtype, opts)
        if dtype != np.float64 and not (np.isfinite(value).all() if reduction != "none" else
                                        not np.isnan(value).any()):
            # float32 arithmetic overflowed where float64 does not (logits near +-3e38): again in float64
            value, lse, grad = _evaluate(x_in, ax, q_in if soft else t, w, w_scale, mean, eps, reduction,
                                         return_grad, out, np.dtype(np.float64), opts)
    return (value,) + ((lse,) if return_lse else ()) + ((grad,) if return_grad else ()) \
        if return_lse or return_grad else value


def _evaluate(x_in, ax, target, w, w_scale, mean, eps, reduction, return_grad, out, dtype, opts):
    """The loss, log-sum-exps (or None) and gradient (or None) of :func:`cross_entropy` with normalised weights
    ``w`` (times ``w_scale``), computed in ``dtype`` (or float64 where float16/32 would overflow or lose the weights).

    ``mean``: ``(ratio, den)`` of :func:`~crossentropy.losses._reduction.mean_denominator` (class-index targets);
    ``opts``: the checked ``(z_loss, softcap, return_lse)``."""
    soft = not hasattr(target, "safe")
    z_loss, softcap, want_lse = opts
    options = _options.active(*opts)
    if soft:
        grad_factor = w_scale * grad_scale(reduction, x_in.size // x_in.shape[ax])
    else:
        shift, denominator = mean
        grad_factor = (float(scaled_by(grad_scale(reduction, target.y.size, denominator), shift))
                       if reduction == "mean" else w_scale)
    if needs_float64(w, grad_factor, dtype):
        dtype = np.dtype(np.float64)
    x, moved_shape = to_rows(x_in.astype(dtype, copy=False), ax)
    x, th = _options.capped(x, softcap)
    lse = _options.row_lse(x) if options else None  # before the kernel, which may overwrite x by the gradient
    if soft:
        q, _ = to_rows(target.astype(dtype, copy=False), ax)
        loss, grad = _rows.soft_rows(x, q, w, eps, return_grad)
        out_rows = None
    else:
        out_rows = None  # write the gradient straight into out when it has the rows' layout
        if out is not None and ax == x_in.ndim - 1 and out.dtype == x.dtype and out.flags.c_contiguous \
                and not (z_loss and np.may_share_memory(out, x)):  # the z-loss reads the logits after the kernel
            out_rows = out.reshape(x.shape)
        loss, grad = _rows.hard_rows(x, target.safe, target.keep, w, eps, return_grad, scale=grad_factor,
                                     out=out_rows)
    if options:
        coef = np.full(loss.size, 1.0 / w_scale) if soft else \
            target.keep * (1.0 if w is None else w[target.safe])
        loss = _options.apply(loss, grad, x, th, lse, coef, z_loss, 1.0 if soft else grad_factor)
    batch_shape = moved_shape[:-1]
    lse = None if not want_lse else lse.reshape(batch_shape).astype(x_in.dtype, copy=False)
    loss_factor = 1.0 if reduction == "mean" and not soft else w_scale
    if reduction == "none":
        rows = loss.astype(np.float64) * loss_factor if loss_factor != 1.0 else loss
        value = reduce_loss(rows.reshape(batch_shape).astype(x_in.dtype, copy=False), reduction)
    elif reduction == "mean" and not soft:
        value = np.float64(scaled_by(reduce_loss(loss, reduction, denominator), shift))
    else:
        value = np.float64(reduce_loss(loss, reduction) * loss_factor)
    if not return_grad:
        return value, lse, None
    if soft:
        grad *= grad.dtype.type(grad_factor)
    if out is not None:
        if soft or grad is not out_rows:
            np.copyto(out, from_rows(grad, moved_shape, ax), casting="unsafe")
        return value, lse, out
    return value, lse, from_rows(grad, moved_shape, ax).astype(x_in.dtype, copy=False)


def _check_grad_out(out, logits, return_grad):
    """``out`` must be a writeable ndarray of the logits' shape and dtype, and asked for with ``return_grad``."""
    if not return_grad:
        raise ValueError("out receives the gradient: it needs return_grad=True")
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray, got {type(out).__name__}")
    if out.shape != logits.shape or out.dtype != logits.dtype:
        raise ValueError(f"out must have the logits' shape {logits.shape} and dtype {logits.dtype}, "
                         f"got shape {out.shape} and dtype {out.dtype}")
    if not out.flags.writeable:
        raise ValueError("out must be writeable, got a read-only array")


@array_api(_generic.nll_loss)
def nll_loss(log_proba, target, *, weight=None, ignore_index=None, reduction="mean", axis=-1):
    r"""Negative log-likelihood of class-index targets given log-probabilities.

    .. math::
        \ell_n = -k_n\,w_{y_n}\,\log p_{n y_n}, \qquad \text{mean} = \frac{\sum_n \ell_n}{\sum_n k_n\,w_{y_n}}

    with :math:`k_n = [y_n \ne \text{ignore\_index}]`. Equal to ``torch.nn.functional.nll_loss``
    (whose class axis is 1; here it is ``axis``), except that an all-ignored "mean" is 0.0, not NaN.
    ``cross_entropy(x, y)`` equals ``nll_loss(log_softmax(x), y)``.

    Parameters
    ----------
    log_proba : array_like of shape (..., C, ...)
        Log-probabilities (for example from :func:`crossentropy.log_softmax`); finite.
    target : array_like of integers, ``log_proba``'s shape without the class axis
    weight : array_like of shape (C,), optional
    ignore_index : int, optional
    reduction : {"mean", "sum", "none"}, default "mean"
    axis : int, default -1

    Returns
    -------
    numpy.float64 for "mean" and "sum"; ndarray of the target's shape for "none".

    Examples
    --------
    >>> import numpy as np, crossentropy as ce
    >>> logp = ce.log_softmax(np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]]))
    >>> float(ce.nll_loss(logp, np.array([0, 2])).round(6))
    0.175456

    References
    ----------
    Murphy, *Probabilistic Machine Learning: An Introduction* (2022), §4.2.
    """
    reduction = check_reduction(reduction)
    lp_in, ax, n_classes = class_scores(log_proba, "log_proba", axis)
    w = check_class_weight(weight, n_classes)
    lp, moved_shape = to_rows(lp_in, ax)
    t = axis_index_target(target, lp_in.shape, ax, n_classes, ignore_index=ignore_index, reduction=reduction,
                          scores="log_proba")
    w, w_scale = normalise_weights(w, None if w is None else w[t.safe[t.keep]])  # any finite weights
    w_y = t.keep.astype(np.float64) if w is None else w[t.safe] * t.keep  # float64: tiny weights must not underflow
    loss = -w_y * lp[np.arange(t.y.size), t.safe]
    if reduction == "mean":
        return reduce_loss(loss, reduction, float(w_y.sum()))
    with np.errstate(over="ignore"):
        loss = loss * w_scale if w_scale != 1.0 else loss
        return reduce_loss(loss.reshape(moved_shape[:-1]).astype(lp_in.dtype) if reduction == "none" else loss,
                           reduction)

