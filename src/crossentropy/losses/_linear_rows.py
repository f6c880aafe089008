r"""The per-row losses and the gradients of linear cross-entropy: the blocked engine, or row blocks with options.

Without options the compiled engine (:func:`crossentropy._kernels.linear_engine.linear_ce_rows`) runs as
it is. With a soft-cap, a z-loss or the log-sum-exp asked for, rows go in blocks of all classes: each
block's logits :math:`Z_B = X_B W^\top + b` come from one matrix product, are capped, go through the
fused row kernel (:func:`crossentropy.losses._rows.hard_rows`), get the z-loss and the soft-cap's
chain rule of :mod:`crossentropy.losses._options`, and are consumed by :math:`dX_B = G_B W`,
:math:`dW \mathrel{+}= G_B^\top X_B`, :math:`db \mathrel{+}= \mathbf 1^\top G_B`. The block holds at
most ``OPTION_BLOCK_BYTES`` of logits (and as much again for the tanh of a soft-cap).
"""

from __future__ import annotations

import numpy as np

from . import _options
from ._rows import hard_rows

#: bytes of one block of logits on the path with options
OPTION_BLOCK_BYTES = 16 * 2**20


def linear_rows(X, W, bias, y, r, weight, eps, scale, *, need_grad, opts=(0.0, None, False), block_size=None):
    """``(loss, lse, dX, dW, db)``: per-row losses (float64, unscaled), log-sum-exps (or None) and the
    gradients scaled by ``scale`` (None without ``need_grad``; ``db`` None without a bias).

    Trusted arguments, as :func:`~crossentropy._kernels.linear_engine.linear_ce_rows` takes them (``r``:
    float64 row factors, the not-ignored mask times the sample weights); ``opts``: the checked
    ``(z_loss, softcap, return_lse)``.
    """
    if not _options.active(*opts):
        from .._kernels.linear_engine import linear_ce_rows  # numba: compiled (or loaded) on first use

        loss, dX, dW, db = linear_ce_rows(X, W, bias, y, r, weight, eps, scale, need_grad=need_grad,
                                          block_size=block_size)
        return loss, None, dX, dW, db
    z_loss, softcap, _ = opts
    n, d = X.shape
    c = W.shape[0]
    rows = block_size[0] if isinstance(block_size, tuple) else block_size
    if rows is None:
        rows = max(1, OPTION_BLOCK_BYTES // (c * X.dtype.itemsize))
    loss = np.empty(n, np.float64)
    lse = np.empty(n, X.dtype)
    dX = np.empty((n, d), X.dtype) if need_grad else None
    dW = np.zeros((c, d), X.dtype) if need_grad else None
    db = np.zeros(c, np.float64) if need_grad and bias is not None else None
    w_y = r if weight is None else r * weight[y]
    for r0 in range(0, n, rows):
        r1 = min(n, r0 + rows)
        Z = X[r0:r1] @ W.T
        if bias is not None:
            Z += bias
        Z, th = _options.capped(Z, softcap)
        lse[r0:r1] = _options.row_lse(Z)
        row, G = hard_rows(Z, y[r0:r1], r[r0:r1], weight, eps, need_grad, scale=scale)
        loss[r0:r1] = _options.apply(row.astype(np.float64), G, Z, th, lse[r0:r1], w_y[r0:r1], z_loss, scale)
        if need_grad:
            dX[r0:r1] = G @ W
            dW += G.T @ X[r0:r1]
            if db is not None:
                db += G.sum(axis=0, dtype=np.float64)
    return loss, lse, dX, dW, db
