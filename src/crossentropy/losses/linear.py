r"""Linear cross-entropy: softmax cross-entropy of ``X @ W.T + bias`` without materialising the logits."""

from __future__ import annotations

import numpy as np

from .._array_api import array_api
from .._generic import linear as _generic
from .._validation import (
    _preview,
    as_float_array,
    check_block_size,
    check_class_weight,
    check_label_smoothing,
    check_reduction,
    check_sample_weight,
)
from . import _options
from ._linear_rows import linear_rows
from ._reduction import (
    compute_dtype,
    grad_scale,
    mean_denominator,
    scaled_by,
    needs_float64,
    normalise_weights,
    reduce_loss,
)
from ._targets import index_target

__all__ = ["linear_cross_entropy"]


@array_api(_generic.linear_cross_entropy)
def linear_cross_entropy(
    X,
    W,
    target,
    *,
    bias=None,
    weight=None,
    ignore_index=None,
    label_smoothing=0.0,
    reduction="mean",
    sample_weight=None,
    z_loss=0.0,
    softcap=None,
    return_lse=False,
    return_grad=False,
    block_size=None,
):
    r"""Softmax cross-entropy of the logits :math:`Z = X W^\top + b`, computed block by block.

    The value is that of ``cross_entropy(X @ W.T + bias, target, weight=..., ignore_index=...,
    label_smoothing=..., reduction=...)`` (PyTorch's ``F.linear_cross_entropy``), but the (N, C) logits
    are never held: rows go in blocks, each block's logits :math:`Z_B = X_B W^\top + b` are made by one
    matrix product, turned in place into their gradient :math:`G_B` by the fused row kernel, and
    consumed by two more:

    .. math::
        \ell_n = k_n\Big[(1-\varepsilon)\,w_{y_n}\,(\mathrm{lse}_n - z_{n y_n})
                 + \frac{\varepsilon}{C}\sum_c w_c\,(\mathrm{lse}_n - z_{nc})\Big],\qquad
        \mathrm{lse}_n = \log\sum_c e^{z_{nc}},

    .. math::
        G = \frac{\partial L}{\partial Z},\qquad dX = G\,W,\qquad dW = G^\top X,\qquad db = \mathbf 1^\top G.

    When fewer than 64 rows of all classes fit the memory budget (half the bytes of X and W, between
    8 and 64 MiB, for the blocks' logits and temporaries), the classes
    are taken in chunks too: a first pass over the chunks keeps an online log-sum-exp per row
    (running maximum :math:`m` and :math:`s = \sum_c e^{z_{nc} - m}`, rescaled when :math:`m` grows),
    a second recomputes each chunk and accumulates :math:`dX \mathrel{+}= G_{BJ} W_J`,
    :math:`dW_J \mathrel{+}= G_{BJ}^\top X_B`. Extra memory is one block of logits plus per-row
    statistics of one block: it does not grow with N.

    ``sample_weight`` :math:`s_n` multiplies each row (its loss and gradient), and ``"mean"`` divides by
    :math:`\sum_n k_n s_n w_{y_n}`. ``softcap``, ``z_loss`` and ``return_lse`` are those of
    :func:`crossentropy.cross_entropy` on the logits :math:`Z` (:mod:`crossentropy.losses._options`;
    the z-loss row weight is :math:`a_n = k_n s_n w_{y_n}`); with any of them the rows go in blocks of all
    classes through the same fused row kernel (:mod:`crossentropy.losses._linear_rows`), and without
    them the engine above runs unchanged.

    Parameters
    ----------
    X : array_like of shape (N, d)
        Inputs (float32 stays float32; float16 is computed in float32).
    W : array_like of shape (C, d)
        Weights, one row per class (PyTorch's ``linear_weight`` layout).
    target : array_like of int, shape (N,)
        Class indices in ``[0, C)`` (or ``ignore_index``).
    bias : array_like of shape (C,), optional
    weight : array_like of shape (C,), optional
        Non-negative class weights; ``"mean"`` divides by :math:`\sum_n k_n w_{y_n}` as PyTorch does.
    ignore_index : int, optional
        Targets equal to it contribute neither loss nor gradient.
    label_smoothing : float in [0, 1], default 0
    reduction : {"mean", "sum", "none"}, default "mean"
    sample_weight : array_like of shape (N,), optional
        Non-negative per-token weights.
    z_loss : float >= 0, default 0
        Coefficient of :math:`\mathrm{lse}_n^2` (PaLM); 0 is off.
    softcap : float > 0, optional
        Soft-cap of the logits, :math:`Z \to c\tanh(Z / c)` (Gemma); None is off.
    return_lse : bool, default False
        Also return the log-sum-exp of each row of the (capped) logits, shape (N,).
    return_grad : bool, default False
        Also return the gradients of the returned loss (of its sum for ``"none"``).
    block_size : int or (int, int), optional
        Rows per block, or ``(rows, classes)`` per block. Default: as many rows (at most 4096) as fit
        the budget with all classes, classes chunked only when fewer than 64 rows would
        (:func:`crossentropy._kernels.linear_engine.plan_blocks`).

    Returns
    -------
    loss : numpy.float64 for "mean" and "sum"; ndarray (N,) in the compute dtype for "none"
    lse : ndarray (N,) in the compute dtype (only with ``return_lse=True``)
    (dX, dW, db) : only with ``return_grad=True``: arrays of shapes (N, d), (C, d) and (C,) in the
        compute dtype; ``db`` is None without ``bias``.

    Examples
    --------
    >>> import numpy as np, crossentropy as ce
    >>> X = np.array([[1.0, 2.0], [0.5, -1.0], [0.0, 1.0]])
    >>> W = np.array([[0.2, -0.1], [0.0, 0.3], [-0.5, 0.1]])
    >>> y = np.array([0, 2, 1])
    >>> float(ce.linear_cross_entropy(X, W, y).round(6))
    1.171136
    >>> float(ce.cross_entropy(X @ W.T, y).round(6))  # the same number, with the logits materialised
    1.171136
    >>> loss, (dX, dW, db) = ce.linear_cross_entropy(X, W, y, bias=np.zeros(3), return_grad=True)
    >>> dW.round(4)
    array([[-0.1634, -0.5424],
           [ 0.2168,  0.0489],
           [-0.0533,  0.4935]])
    >>> db.round(4)
    array([ 0.0027,  0.0637, -0.0663])
    >>> loss, lse = ce.linear_cross_entropy(X, W, y, sample_weight=[1.0, 0.5, 2.0], z_loss=1e-4, return_lse=True)
    >>> lse.round(4)
    array([1.2706, 0.9809, 1.2119])

    References
    ----------
    Wijmans, Huval, Hertzberg, Koltun & Krähenbühl, *Cut Your Losses in Large-Vocabulary Language
    Models*, ICLR 2025 (arXiv:2411.09009); Milakov & Gimelshein, *Online normalizer calculation for
    softmax* (arXiv:1805.02867, 2018); PyTorch documentation, ``torch.nn.functional.linear_cross_entropy``.
    """
    reduction = check_reduction(reduction)
    eps = check_label_smoothing(label_smoothing)
    opts = (_options.check_z_loss(z_loss), _options.check_softcap(softcap), bool(return_lse))
    Xa = _matrix(X, "X")
    Wa = _matrix(W, "W")
    n, d = Xa.shape
    c = Wa.shape[0]
    if Wa.shape[1] != d:
        raise ValueError(f"W must have shape (C, {d}) to match X of shape {Xa.shape}, got {Wa.shape}")
    if c == 0:
        raise ValueError("W has no rows (classes): its shape is (0, d)")
    if d == 0:
        raise ValueError(f"X and W need at least one feature column, got X of shape {Xa.shape}")
    dtype = compute_dtype(np.result_type(Xa.dtype, Wa.dtype))
    Xa = np.ascontiguousarray(Xa, dtype=dtype)
    Wa = np.ascontiguousarray(Wa, dtype=dtype)
    b = None
    if bias is not None:
        b = as_float_array(bias, "bias")
        if b.shape != (c,):
            raise ValueError(f"bias must have shape ({c},), one entry per row of W, got {b.shape}")
        b = np.ascontiguousarray(b, dtype=dtype)
    w = check_class_weight(weight, c)
    t = index_target(target, (n,), c, ignore_index=ignore_index, reduction=reduction,
                     shape_hint="one class index per row of X")
    block = check_block_size(block_size)
    r = t.keep.astype(np.float64)
    if sample_weight is not None:
        r *= check_sample_weight(sample_weight, n, positive_sum=False)
    # weights divided by a power of two: any finite weights give the float64 value of the definition
    used = w[t.safe[t.keep]] if w is not None else None
    w, w_scale = normalise_weights(w, None if w is None or eps else used)
    used = r[t.keep] * (1.0 if used is None else used)
    shift, denominator = mean_denominator(used, w_scale)  # PyTorch's weighted-mean denominator, no underflow
    scale = float(scaled_by(grad_scale(reduction, n, denominator), shift)) if reduction == "mean" else w_scale
    with np.errstate(over="ignore", under="ignore"):
        row_loss, lse, grads = _rows_in(dtype, Xa, Wa, b, t.safe, r, w, eps, scale, return_grad, block, opts)
        if dtype != np.float64 and not np.isfinite(row_loss).all():  # float32 overflow: again in float64
            row_loss, lse, grads = _rows_in(np.dtype(np.float64), Xa, Wa, b, t.safe, r, w, eps, scale, return_grad,
                                            block, opts)
        if not np.isfinite(row_loss).all():
            bad = np.flatnonzero(~np.isfinite(row_loss))
            raise ValueError(
                f"logits X @ W.T + bias must be finite, found {bad.size} row(s) where they overflow "
                f"(rows {_preview(bad)}): |X| up to {float(np.abs(Xa).max())!r} and |W| up to "
                f"{float(np.abs(Wa).max())!r}; scale X or W down")
        if reduction == "mean":
            value = np.float64(scaled_by(reduce_loss(row_loss, reduction, denominator), shift))
        elif reduction == "sum":
            value = np.float64(reduce_loss(row_loss, reduction) * w_scale)
        else:
            value = reduce_loss((row_loss.astype(np.float64) * w_scale).astype(dtype, copy=False), reduction)
    out = (value,) + ((lse.astype(dtype, copy=False),) if return_lse else ())
    if return_grad:
        dX, dW, db = grads
        out += ((dX, dW, None if db is None else db.astype(dtype)),)
    return out if len(out) > 1 else value


def _rows_in(dtype, Xa, Wa, b, y, r, w, eps, scale, return_grad, block, opts):
    """The per-row losses (unscaled, rounded to ``dtype``), log-sum-exps (or None) and gradients (in ``dtype``,
    scaled by ``scale``) of :func:`~crossentropy.losses._linear_rows.linear_rows`; float64 instead of
    float16/32 where their range would overflow or lose the weights."""
    out_dtype = dtype
    if needs_float64(w, scale, dtype):
        dtype = np.dtype(np.float64)
    X, W = (np.ascontiguousarray(a, dtype=dtype) for a in (Xa, Wa))
    bias = None if b is None else np.ascontiguousarray(b, dtype=dtype)
    row_loss, lse, dX, dW, db = linear_rows(X, W, bias, y, r, w, eps, scale, need_grad=bool(return_grad),
                                            opts=opts, block_size=block)
    row_loss = row_loss.astype(out_dtype, copy=False)  # the per-row dtype of cross_entropy
    cast = (lambda a: a) if out_dtype == dtype else (lambda a: None if a is None else a.astype(out_dtype))
    return row_loss, lse, (cast(dX), cast(dW), cast(db))


def _matrix(a, name):
    arr = as_float_array(a, name)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {arr.shape}")
    return arr

