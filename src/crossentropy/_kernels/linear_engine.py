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

Extra memory: one block of logits, the row statistics of a block, per-thread column sums of the
gradient (for ``db``) and partial products; none of it grows with N, and :func:`plan_blocks` sizes
the blocks so that together they fit a budget that follows from the shapes (:func:`memory_budget`). The matrix products go through SciPy's BLAS,
accumulating into the outputs without temporaries; :math:`G_B W` is split over classes between
threads when another process holds a core (:mod:`.products` says why).
"""

from __future__ import annotations

import numba
import numpy as np

from . import launch_threads, launching, row_groups, start_threads
from .chunked import finish_losses, grad_chunk, lse_chunk
from .fused import hard_rows_fused
from .products import gemm_into as gemm
from .._blas import blas_threads
from .products import product_over_classes

#: the working memory of the blocks (logits, per-thread partial products, column sums, row statistics)
#: is at most half the bytes of X and W, between MIN_BUDGET and BLOCK_BYTES. The call must allocate
#: dX and dW (as large as X and W) anyway, so its extra memory stays within 1.5 times its gradients;
#: PyTorch's chunked path keeps about W's size again plus ~20 MB (measured at the four sizes of the
#: benchmark sweep), so the rule stays below it at every size, from C = 8,192 to 131,072.
BLOCK_BYTES = 64 * 2**20
MIN_BUDGET = 8 * 2**20
#: a single pass over all classes (6NdC flops) when at least SINGLE_MIN_ROWS rows fit the budget;
#: otherwise CHUNK_ROWS rows per block with the classes in chunks (8NdC flops, W streamed in chunks).
#: MAX_ROWS bounds a block where a handful of classes would let thousands of rows in.
SINGLE_MIN_ROWS, CHUNK_ROWS, MAX_ROWS = 64, 256, 4096
MIN_ROWS = SINGLE_MIN_ROWS


def memory_budget(n_rows: int, n_classes: int, n_features: int, itemsize: int) -> int:
    r"""Bytes of working memory for the blocks: :math:`\min(64\,\mathrm{MiB}, \max(8\,\mathrm{MiB}, (N + C) d s / 2))`.

    >>> memory_budget(32_768, 8_192, 128, 4) // 2**20, memory_budget(4_096, 131_072, 1_024, 4) // 2**20
    (10, 64)
    """
    return int(min(BLOCK_BYTES, max(MIN_BUDGET, (n_rows + n_classes) * n_features * itemsize // 2)))


def block_bytes(rows: int, chunk: int, n_classes: int, n_features: int, itemsize: int, n_threads: int) -> int:
    """Working memory of blocks of ``rows`` × ``chunk`` logits: the logits, the per-thread partial sums
    of :math:`G_B W` (:func:`.products.product_over_classes`), the per-group column sums of the
    gradient, and the row statistics of the online log-sum-exp (only when the classes are chunked)."""
    groups = min(rows, 4 * n_threads)  # row_groups(rows)
    stats = 5 * rows * 8 if chunk < n_classes else 0
    return (rows * chunk + n_threads * rows * n_features + groups * chunk) * itemsize + stats


def plan_blocks(n_rows: int, n_classes: int, itemsize: int, block_size=None, *, n_features: int = 0,
                n_threads: int = 1, budget=None) -> tuple[int, int]:
    """Rows per block and classes per chunk (a pure function of the shapes and the budget).

    ``block_size`` is ``None`` (the rule below), an int (rows; classes chunked to the budget), or a pair
    ``(rows, classes)``. ``budget`` (bytes) defaults to :func:`memory_budget`. Without ``block_size``:
    all classes in one block of as many rows as fit the budget (:func:`block_bytes`), at most
    ``MAX_ROWS``, when at least ``SINGLE_MIN_ROWS`` do; else ``CHUNK_ROWS`` rows (fewer when even one
    class per chunk would not fit) and classes in equal chunks as wide as fit. The plan fits the budget
    whenever one row of one class does. Trusts that its arguments were validated.

    >>> plan_blocks(16_384, 65_536, 4, n_features=256, n_threads=2)   # one pass in a 40 MiB budget
    (150, 65536)
    >>> plan_blocks(4_096, 131_072, 4, n_features=1_024, n_threads=2)  # 64 MiB: 118 rows, one pass
    (118, 131072)
    >>> plan_blocks(1_000, 10**6, 4, n_features=64, n_threads=2)  # 64 MiB: 16 chunks of classes
    (256, 62500)
    """
    if isinstance(block_size, tuple):
        rows, chunk = block_size
        return max(1, min(rows, n_rows)), max(1, min(chunk, n_classes))
    if budget is None:
        budget = memory_budget(n_rows, n_classes, n_features, itemsize)
    n, c, d, s, t = max(1, n_rows), max(1, n_classes), n_features, itemsize, max(1, n_threads)
    if block_size is None:
        per_row = (c + t * d) * s
        rows = (budget - 4 * t * c * s) // per_row  # all classes, 4t groups of column sums
        if rows < 4 * t:  # fewer rows than groups: one group of column sums per row
            rows = min(4 * t, budget // (per_row + c * s))
        if rows >= min(SINGLE_MIN_ROWS, n):
            return max(1, min(rows, MAX_ROWS, n)), c
        rows = min(CHUNK_ROWS, n)
    else:
        rows = max(1, min(block_size, n))
    while True:  # classes per chunk with these rows; halve the rows if not even one class fits
        fixed = t * rows * d * s + 5 * rows * 8
        chunk = (budget - fixed) // ((rows + min(rows, 4 * t)) * s)
        if chunk >= 1 or rows == 1:
            break
        rows = max(1, rows // 2)
    chunk = max(1, min(chunk, c))
    n_chunks = -(-c // chunk)
    return rows, -(-c // n_chunks)  # equal chunks, none wider than the budget allows


def linear_ce_rows(X, W, bias, y, r, weight, eps, scale, *, need_grad=True, need_dx=True, block_size=None,
                   budget=None):
    """Per-row losses of ``cross_entropy(X @ W.T + bias, y)`` rows, and the scaled gradients.

    Parameters (trusted: validated by the callers)
    ----------
    X : (N, d) float32/float64, C-contiguous; W : (C, d) same dtype, C-contiguous
    bias : (C,) same dtype, or None
    y : (N,) intp, a valid class on every row (any class on rows with ``r == 0``)
    r : (N,) float64 row factors (the not-ignored mask, or sample weights)
    weight : (C,) float64 class weights, or None
    eps : label smoothing; scale : factor applied to the gradients (e.g. 1 / denominator)
    block_size, budget : as in :func:`plan_blocks` (the blocks' working memory, in bytes)

    Returns
    -------
    loss : (N,) float64 per-row losses (unscaled)
    dX : (N, d) or None (``need_dx=False`` or ``need_grad=False``)
    dW : (C, d) or None; db : (C,) float64 or None (no bias, or ``need_grad=False``)
    """
    n, d = X.shape
    c = W.shape[0]
    dtype = X.dtype
    start_threads()
    threads = max(numba.get_num_threads(), blas_threads())  # the plan bounds the share of every thread
    rows, chunk = plan_blocks(n, c, dtype.itemsize, block_size, n_features=d, n_threads=threads, budget=budget)
    empty = np.empty(0, dtype)
    w = empty if weight is None else weight.astype(dtype)
    w_sum = float(c) if weight is None else float(weight.sum())
    w_y = np.ones(n) if weight is None else weight[y]  # the target class weight (r multiplies separately)
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
            with launching(launch_threads(b * c)):
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
            with launching(launch_threads(b * (c1 - c0))):
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
            with launching(launch_threads(b * cb)):
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
    # the full budget: an objective is evaluated many times, and its blocks' memory is small beside
    # the data and coefficients the solver holds anyway
    loss, _, dW, db = linear_ce_rows(X, W, b, yv, r, None, 0.0, 1.0, need_grad=need_grad, need_dx=False,
                                     budget=BLOCK_BYTES)
    if not need_grad:
        return float(loss.sum()), None
    grad = np.empty(coef2d.shape)
    grad[:, :d] = dW
    if fit_intercept:
        grad[:, d] = db
    return float(loss.sum()), grad.ravel()
