r"""Linear cross-entropy of :mod:`crossentropy.losses.linear` for any array API namespace ``xp``, by row blocks.

Each block's logits :math:`Z_B = X_B W^\top + b` are formed by one matrix product and go through the
rows of :func:`crossentropy._generic.losses.ce_rows`; the gradients accumulate as
:math:`dX_B = G_B W`, :math:`dW \mathrel{+}= G_B^\top X_B`, :math:`db \mathrel{+}= \mathbf 1^\top G_B`.
A block holds at most ``BLOCK_ELEMENTS`` logits.
"""

from __future__ import annotations

from .._validation import check_block_size, check_label_smoothing, check_softcap, check_z_loss
from ._common import (
    check_nonempty_for_mean,
    check_nonnegative,
    check_reduction,
    class_weight,
    compute_dtype,
    device_of,
    float_array,
    grad_factor,
    index_target,
    like_of,
    reduce,
)
from .losses import ce_rows, hard_targets

#: logits per block (16 MiB of float32)
BLOCK_ELEMENTS = 2**22


def _matrix(xp, a, name, like):
    arr = float_array(xp, a, name, like)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {tuple(arr.shape)}")
    return arr


def linear_cross_entropy(xp, X, W, target, *, bias=None, weight=None, ignore_index=None, label_smoothing=0.0,
                         reduction="mean", sample_weight=None, z_loss=0.0, softcap=None, return_lse=False,
                         return_grad=False, block_size=None):
    reduction = check_reduction(reduction)
    eps = check_label_smoothing(label_smoothing)
    z_loss, softcap = check_z_loss(z_loss), check_softcap(softcap)
    like = like_of(X, W, target, bias, weight, sample_weight)
    Xa, Wa = _matrix(xp, X, "X", like), _matrix(xp, W, "W", like)
    (n, d), c = Xa.shape, Wa.shape[0]
    if Wa.shape[1] != d:
        raise ValueError(f"W must have shape (C, {d}) to match X of shape {tuple(Xa.shape)}, got {tuple(Wa.shape)}")
    if c == 0:
        raise ValueError("W has no rows (classes): its shape is (0, d)")
    if d == 0:
        raise ValueError(f"X and W need at least one feature column, got X of shape {tuple(Xa.shape)}")
    dtype = compute_dtype(xp, xp.result_type(Xa.dtype, Wa.dtype))
    Xa, Wa = xp.astype(Xa, dtype), xp.astype(Wa, dtype)
    b = None
    if bias is not None:
        b = float_array(xp, bias, "bias", like)
        if tuple(b.shape) != (c,):
            raise ValueError(f"bias must have shape ({c},), one entry per row of W, got {tuple(b.shape)}")
        b = xp.astype(b, dtype)
    w = class_weight(xp, weight, c, like)
    y, keep = index_target(xp, target, (n,), c, ignore_index, like)
    check_nonempty_for_mean(n, reduction, "target")
    block = check_block_size(block_size)
    r = xp.astype(keep, xp.float64)
    if sample_weight is not None:
        s = float_array(xp, sample_weight, "sample_weight", like)
        if tuple(s.shape) != (n,):
            raise ValueError(f"sample_weight must have shape ({n},) (one weight per row of X), got {tuple(s.shape)}")
        check_nonnegative(xp, s, "sample_weight")
        r = r * xp.astype(s, xp.float64)
    rows_per = (block[0] if isinstance(block, tuple) else block) or max(1, BLOCK_ELEMENTS // c)
    q_all_den = float(xp.sum(r if w is None else r * xp.take(w, y, axis=0)))
    factor = grad_factor(reduction, n, q_all_den)
    rows, lses, dXs = [], [], []
    dW = xp.zeros(Wa.shape, dtype=dtype, device=device_of(Xa)) if return_grad else None
    db = xp.zeros((c,), dtype=dtype, device=device_of(Xa)) if return_grad and b is not None else None
    for r0 in range(0, n, rows_per):
        r1 = min(n, r0 + rows_per)
        Xb = Xa[r0:r1, :]
        Z = Xb @ xp.matrix_transpose(Wa)
        if b is not None:
            Z = Z + b
        q, a, _ = hard_targets(xp, y[r0:r1], r[r0:r1], w, eps, c, dtype)
        row, lse, G = ce_rows(xp, Z, q, a, z_loss, softcap, return_grad)
        rows.append(row)
        lses.append(lse)
        if return_grad:
            G = G * factor
            dXs.append(G @ Wa)
            dW = dW + xp.matrix_transpose(G) @ Xb
            if db is not None:
                db = db + xp.sum(G, axis=0)
    row_all = xp.concat(rows) if rows else xp.zeros((0,), dtype=dtype, device=device_of(Xa))
    result = (reduce(xp, row_all, reduction, dtype, q_all_den),)
    if return_lse:
        result += (xp.concat(lses) if lses else xp.zeros((0,), dtype=dtype, device=device_of(Xa)),)
    if return_grad:
        dX = xp.concat(dXs) if dXs else xp.zeros((0, d), dtype=dtype, device=device_of(Xa))
        result += ((dX, dW, db),)
    return result if len(result) > 1 else result[0]

