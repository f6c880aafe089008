r"""The blocked engine behind :func:`crossentropy.linear_cross_entropy` and the softmax objective.

For logits :math:`Z = X W^\top + b` (``X`` of shape (N, d), ``W`` of shape (C, d)) it returns the
per-row losses and the gradients with respect to ``X``, ``W`` and ``b`` without ever holding more than
one block of ``rows × classes`` logits. Per row block :math:`X_B`:

* when all classes fit in one block (the usual case): :math:`Z_B = X_B W^\top` (one GEMM), the fused
  rows of :mod:`.fused` turn :math:`Z_B` into its gradient :math:`G_B` in place, then
  :math:`dX_B = G_B W` and :math:`dW \mathrel{+}= G_B^\top X_B` (two GEMMs, the second accumulated
  by BLAS with ``beta = 1``): :math:`6NdC` flops in all;
* otherwise the classes are visited in chunks twice (:mod:`.chunked`): first for the online
  log-sum-exp, then recomputing each chunk of logits for its gradient, :math:`8NdC` flops.

Extra memory: one block of logits, the row statistics of a block, and per-thread column sums of the
gradient (for ``db``); none of it grows with N. The matrix products go through SciPy's BLAS,
accumulating into the outputs without temporaries; :math:`G_B W` is split over classes between
threads (:mod:`.products` says why).
"""

from __future__ import annotations

import numpy as np

from . import launching, row_groups
from .chunked import finish_losses, grad_chunk, lse_chunk
from .fused import hard_rows_fused
from .products import gemm_into as gemm
from .products import product_over_classes

#: bytes allowed for one block of logits when ``block_size`` is not given
BLOCK_BYTES = 64 * 2**20  # 256 rows × 65,536 float32 classes: GEMMs at ~80 % of full speed, and the
# whole call's extra memory stays below PyTorch's chunked path (which keeps ~90 MB of chunk buffers)
MIN_ROWS, MAX_ROWS = 256, 4096


def plan_blocks(n_rows: int, n_classes: int, itemsize: int, block_size=None) -> tuple[int, int]:
    """Rows per block and classes per chunk.

    ``block_size`` is ``None`` (fit :data:`BLOCK_BYTES` of logits), an int (rows; classes chunked to
    the budget), or a pair ``(rows, classes)``. Trusts that it was validated.
    """
    if isinstance(block_size, tuple):
        rows, chunk = block_size
    else:
        if block_size is None:
            rows = min(MAX_ROWS, max(MIN_ROWS, BLOCK_BYTES // max(1, n_classes * itemsize)))
        else:
            rows = block_size
        chunk = max(1, BLOCK_BYTES // max(1, min(rows, n_rows) * itemsize))
    return max(1, min(rows, n_rows)), max(1, min(chunk, n_classes))


def linear_ce_rows(X, W, bias, y, r, weight, eps, scale, *, need_grad=True, need_dx=True, block_size=None):
    """Per-row losses of ``cross_entropy(X @ W.T + bias, y)`` rows, and the scaled gradients.

    Parameters (trusted: validated by the callers)
    ----------
    X : (N, d) float32/float64, C-contiguous; W : (C, d) same dtype, C-contiguous
    bias : (C,) same dtype, or None
    y : (N,) intp, a valid class on every row (any class on rows with ``r == 0``)
    r : (N,) float64 row factors (the not-ignored mask, or sample weights)
    weight : (C,) float64 class weights, or None
    eps : label smoothing; scale : factor applied to the gradients (e.g. 1 / denominator)

    Returns
    -------
    loss : (N,) float64 per-row losses (unscaled)
    dX : (N, d) or None (``need_dx=False`` or ``need_grad=False``)
    dW : (C, d) or None; db : (C,) float64 or None (no bias, or ``need_grad=False``)
    """
    n, d = X.shape
    c = W.shape[0]
    dtype = X.dtype
    rows, chunk = plan_blocks(n, c, dtype.itemsize, block_size)
    empty = np.empty(0, dtype)
    w = empty if weight is None else weight.astype(dtype)
    w_sum = float(c) if weight is None else float(weight.sum())
    w_y = r if weight is None else r * weight[y]
    b_all = empty if bias is None else bias
    loss = np.empty(n, np.float64)
    dX = np.empty((n, d), dtype) if need_grad and need_dx else None
    dW = np.zeros((c, d), dtype) if need_grad else None
    db = np.zeros(c, np.float64) if need_grad and bias is not None else None
    n_groups = row_groups(rows)
    colsum_flat = np.empty(n_groups * chunk if db is not None else 0, dtype)
    zbuf = np.empty(rows * min(chunk, c), dtype)
    single = chunk >= c
    if not single:
        stats = np.empty((5, rows), np.float64)  # m, s, zy, ref, zw
    for r0 in range(0, n, rows):
        r1 = min(n, r0 + rows)
        b = r1 - r0
        Xb, yb, rb = X[r0:r1], y[r0:r1], r[r0:r1]
        if single:
            Z = zbuf[: b * c].reshape(b, c)
            gemm(1.0, W.T, Xb.T, c=Z.T, trans_a=1)  # Z.T = W @ Xb.T
            colsum = colsum_flat.reshape(n_groups, c if db is not None else 0)
            colsum[:] = 0
            with launching():
                hard_rows_fused(Z, b_all, yb, rb, w, w_sum, eps, scale, need_grad, Z, loss[r0:r1], colsum, True)
            if need_grad:
                if dX is not None:
                    product_over_classes(Z, W, dX[r0:r1])  # dX_B = G_B W
                gemm(1.0, Xb.T, Z.T, beta=1.0, c=dW.T, trans_b=1)  # dW.T += Xb.T @ G
                if db is not None:
                    db += colsum.sum(axis=0, dtype=np.float64)
            continue
        m, s, zy, ref, zw = (a[:b] for a in stats)
        chunks = [(c0, min(c, c0 + chunk)) for c0 in range(0, c, chunk)]
        for j, (c0, c1) in enumerate(chunks):
            Z = zbuf[: b * (c1 - c0)].reshape(b, c1 - c0)
            gemm(1.0, W[c0:c1].T, Xb.T, c=Z.T, trans_a=1)
            with launching():
                lse_chunk(Z, b_all[c0:c1], c0, yb, rb, w[c0:c1], eps, j == 0, m, s, zy, ref, zw)
        finish_losses(m, s, zy, ref, zw, yb, rb, w, eps, c, w_sum, loss[r0:r1])
        if not need_grad:
            continue
        for j, (c0, c1) in enumerate(chunks):
            cb = c1 - c0
            Z = zbuf[: b * cb].reshape(b, cb)
            gemm(1.0, W[c0:c1].T, Xb.T, c=Z.T, trans_a=1)
            colsum = colsum_flat[: n_groups * cb].reshape(n_groups, cb if db is not None else 0)
            colsum[:] = 0
            with launching():
                grad_chunk(Z, b_all[c0:c1], c0, yb, rb, w[c0:c1], w_y[r0:r1], eps, c, w_sum, scale, m, s, zy, colsum)
            if dX is not None:
                product_over_classes(Z, W[c0:c1], dX[r0:r1], accumulate=j > 0)
            gemm(1.0, Xb.T, Z.T, beta=1.0, c=dW[c0:c1].T, trans_b=1)
            if db is not None:
                db[c0:c1] += colsum.sum(axis=0, dtype=np.float64)
    return loss, dX, dW, db


def softmax_data_sums(X, y, sample_weight, coef2d, fit_intercept, need_grad):
    r"""The softmax data term of :mod:`crossentropy.objective` on dense ``X``, by the blocked engine.

    Returns :math:`L = \sum_i s_i \ell_i` (float) and, when ``need_grad``, its gradient with respect to
    ``coef2d`` (shape (K, d + fit_intercept), float64; last column the intercepts) raveled to
    ``(K (d + fit_intercept),)`` float64, else None. ``X`` keeps float32 for the products (any other
    dtype is computed in float64); the N×K logits are never held, only one block of them.
    """
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    n, d = X.shape
    W = np.ascontiguousarray(coef2d[:, :d], dtype=X.dtype)
    b = np.ascontiguousarray(coef2d[:, d], dtype=X.dtype) if fit_intercept else None
    r = np.ones(n) if sample_weight is None else np.ascontiguousarray(sample_weight, dtype=np.float64)
    yv = np.ascontiguousarray(y, dtype=np.intp)
    loss, _, dW, db = linear_ce_rows(X, W, b, yv, r, None, 0.0, 1.0, need_grad=need_grad, need_dx=False)
    if not need_grad:
        return float(loss.sum()), None
    grad = np.empty(coef2d.shape)
    grad[:, :d] = dW
    if fit_intercept:
        grad[:, d] = db
    return float(loss.sum()), grad.ravel()
