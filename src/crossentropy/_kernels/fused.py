r"""Fused softmax cross-entropy rows in numba: loss and gradient in one blocked, multi-threaded pass.

The formulas are those of :mod:`crossentropy.losses._rows` (the one place they are written out); this
module computes the same numbers for class-index targets with at most one read of the logits from
memory and one write of the gradient. Each row is handled while it sits in cache:

1. its maximum :math:`m` (and the target logit, and :math:`\sum_c w_c z_c` under label smoothing);
2. :math:`e_c = \exp(x_c - m)`, written straight into the gradient row, and :math:`s = \sum_c e_c`;
3. the gradient :math:`\text{scale}\cdot(a\,e_c/s - \tfrac{\varepsilon}{C} k_n w_c)` in place, with the
   target entry recomputed in float64 (no cancellation in :math:`p_y - 1`).

The gradient buffer may be the logits themselves (rows are read before they are overwritten). An
optional bias row is added to every row on the fly, and the gradient's column sums can be accumulated
per row group (the linear cross-entropy engine uses both). Rows run in parallel (``prange`` over row
groups); the exponential and the maximum are the vectorisable ones of :mod:`._simd`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, types
from numba.extending import overload

from ._simd import exp_f32, exp_f64, fmax

#: the least work (logits) given to each thread of a parallel launch: ~2-4 ms of a float32 row pass on
#: one core. Waking a sleeping OpenMP thread costs tens of µs on a quiet machine but up to a scheduler
#: time slice (ms) on a busy one, when the woken thread waits for a core and the launch waits for it at
#: its closing barrier: 64 × 10 float32 logits took 0.12 ms on one thread and 5.9 ms on two on the 2
#: shared cores of the benchmark machine (4096 × 1000: 8 and 14 ms); 16,384 × 1000 ran equally fast.
MIN_ELEMENTS_PER_THREAD = 2**21


def threads_for(n_elements: int, available: int) -> int:
    r"""Threads for a parallel launch over ``n_elements`` logits with ``available`` threads.

    :math:`\max(1, \min(\text{available}, \lfloor n / \text{MIN\_ELEMENTS\_PER\_THREAD}\rfloor))`:
    one thread for small problems (no wake-up to wait for), all of them once each gets enough work.

    >>> threads_for(64 * 10, 8), threads_for(32_768 * 1_000, 2), threads_for(3 * 2**21, 8)
    (1, 2, 3)
    """
    return max(1, min(int(available), int(n_elements) // MIN_ELEMENTS_PER_THREAD))


# reassociation lets LLVM vectorise the reductions; no nnan/ninf (the kernels never see them, but
# the flags would license the compiler to drop the clamps in the exponentials).
FASTMATH = {"reassoc", "contract", "nsz", "arcp", "afn"}


def exp_any(x):  # pragma: no cover - replaced by the overload inside numba code
    return np.exp(x)


@overload(exp_any)
def _exp_any(x):
    if x == types.float32:
        return lambda x: exp_f32(x)
    if x == types.float64:
        return lambda x: exp_f64(x)
    return None


@njit(fastmath=FASTMATH, cache=True)
def row_max(xr, bias, has_bias):
    """Maximum of ``xr (+ bias)``."""
    m = xr[0] + bias[0] if has_bias else xr[0]
    if has_bias:
        for c in range(xr.size):
            m = fmax(m, xr[c] + bias[c])
    else:
        for c in range(xr.size):
            m = fmax(m, xr[c])
    return m


@njit(fastmath=FASTMATH, cache=True)
def row_weighted_shifted_sum(xr, bias, has_bias, w, has_w, m):
    """:math:`\\sum_c w_c (x_c + b_c - m)`, summed in the row's dtype (vectorised), returned as float64."""
    acc = xr.dtype.type(0.0)
    if has_w:
        if has_bias:
            for c in range(xr.size):
                acc += w[c] * (xr[c] + bias[c] - m)
        else:
            for c in range(xr.size):
                acc += w[c] * (xr[c] - m)
    else:
        if has_bias:
            for c in range(xr.size):
                acc += xr[c] + bias[c] - m
        else:
            for c in range(xr.size):
                acc += xr[c] - m
    return np.float64(acc)


@njit(fastmath=FASTMATH, cache=True)
def row_sum_exp(xr, bias, has_bias, m):
    """:math:`\\sum_c \\exp(x_c + b_c - m)`, summed in the row's dtype (vectorised), returned as float64."""
    s = xr.dtype.type(0.0)
    if has_bias:
        for c in range(xr.size):
            s += exp_any(xr[c] + bias[c] - m)
    else:
        for c in range(xr.size):
            s += exp_any(xr[c] - m)
    return np.float64(s)


@njit(fastmath=FASTMATH, cache=True)
def row_exp_inplace(xr, bias, has_bias, m):
    """``xr = exp(xr + bias - m)`` in place (one array: no overlap check, so the loop always vectorises)."""
    if has_bias:
        for c in range(xr.size):
            xr[c] = exp_any(xr[c] + bias[c] - m)
    else:
        for c in range(xr.size):
            xr[c] = exp_any(xr[c] - m)


@njit(fastmath=FASTMATH, cache=True)
def row_exp_into(xr, bias, has_bias, m, er):
    """``er = exp(xr + bias - m)`` (``er`` must not be ``xr``: :func:`row_exp_inplace` is the in-place version)."""
    if has_bias:
        for c in range(xr.size):
            er[c] = exp_any(xr[c] + bias[c] - m)
    else:
        for c in range(xr.size):
            er[c] = exp_any(xr[c] - m)


@njit(fastmath=FASTMATH, cache=True)
def row_sum(er):
    """:math:`\\sum_c e_c`, summed in the row's dtype (vectorised), returned as float64."""
    s = er.dtype.type(0.0)
    for c in range(er.size):
        s += er[c]
    return np.float64(s)


@njit(fastmath=FASTMATH, cache=True)
def row_finish_grad(gr, f, coef, w, has_w):
    """``gr = f * gr - coef * w`` in place (``w`` = 1 when ``has_w`` is false)."""
    ft = gr.dtype.type(f)
    ct = gr.dtype.type(coef)
    if ct == 0:
        for c in range(gr.size):
            gr[c] = gr[c] * ft
    elif has_w:
        for c in range(gr.size):
            gr[c] = gr[c] * ft - ct * w[c]
    else:
        for c in range(gr.size):
            gr[c] = gr[c] * ft - ct


@njit(fastmath=FASTMATH, cache=True)
def row_add(acc, gr):
    for c in range(gr.size):
        acc[c] += gr[c]


@njit(cache=True)
def row_loss(eps, n_classes, rn, w_yn, w_sum, lse_minus_zy, wsum_lse_minus_zw):
    r"""The row loss of :mod:`crossentropy.losses._rows`, from its two log-sum-exp differences:

    :math:`\ell_n = (1-\varepsilon) k_n w_{y_n} (\mathrm{lse}_n - x_{n y_n})
    + \tfrac{\varepsilon}{C} k_n (W \mathrm{lse}_n - \sum_c w_c x_{nc})` with :math:`W = \sum_c w_c`.
    """
    return (1.0 - eps) * rn * w_yn * lse_minus_zy + eps / n_classes * rn * wsum_lse_minus_zw


@njit(cache=True)
def row_target_mass(eps, n_classes, rn, w_yn, w_sum):
    r""":math:`a_n = \sum_c q_{nc} = (1-\varepsilon) k_n w_{y_n} + \tfrac{\varepsilon}{C} k_n W`.

    The weight of :math:`p_n` in the gradient :math:`a_n p_n - q_n`.
    """
    return (1.0 - eps) * rn * w_yn + eps / n_classes * w_sum * rn


@njit(cache=True)
def target_grad(eps, n_classes, rn, w_yn, a, p_y, scale):
    r"""The gradient's target entry, in float64.

    :math:`\text{scale}\,(a p_y - (1-\varepsilon) k w_y - \tfrac{\varepsilon}{C} k w_y)`.
    """
    return scale * (a * p_y - (1.0 - eps) * rn * w_yn - eps / n_classes * rn * w_yn)


@njit(fastmath=FASTMATH, cache=True)
def hard_row(xr, bias, has_bias, yn, rn, w, has_w, w_sum, eps, scale, need_grad, gr, inplace, scratch):
    """Loss of one row (float64); writes the scaled gradient into ``gr`` when ``need_grad``.

    ``inplace`` says that ``gr`` is ``xr`` (the row is overwritten by its gradient); ``scratch`` (a
    row of the same size) holds the exponentials when there is no gradient.
    """
    n_classes = xr.size
    if rn == 0.0:
        if need_grad:
            gr[:] = 0
        return 0.0
    m = row_max(xr, bias, has_bias)
    zy = np.float64(xr[yn]) + (np.float64(bias[yn]) if has_bias else 0.0) - np.float64(m)
    zw = row_weighted_shifted_sum(xr, bias, has_bias, w, has_w, m) if eps > 0.0 else 0.0
    # the exponentials go into the gradient row (or the scratch row without a gradient) and one call
    # of row_sum adds them: the loss is then the same bit for bit with and without the gradient,
    # whatever LLVM made of the loops (inlined or not, vector or scalar: the sum is one loop)
    buf = gr if need_grad else scratch
    if need_grad and inplace:
        row_exp_inplace(xr, bias, has_bias, m)
    else:
        row_exp_into(xr, bias, has_bias, m, buf)
    s = row_sum(buf)
    log_s = np.log(s)
    w_yn = np.float64(w[yn]) if has_w else 1.0
    loss = row_loss(eps, n_classes, rn, w_yn, w_sum, log_s - zy, w_sum * log_s - zw)
    if need_grad:
        a = row_target_mass(eps, n_classes, rn, w_yn, w_sum)
        row_finish_grad(gr, scale * a / s, scale * eps / n_classes * rn, w, has_w)
        gr[yn] = target_grad(eps, n_classes, rn, w_yn, a, np.exp(zy - log_s), scale)
    return loss


@njit(parallel=True, fastmath=FASTMATH, cache=True)
def hard_rows_fused(x, bias, y, r, w, w_sum, eps, scale, need_grad, out, loss, colsum, inplace):
    """Per-row losses into ``loss`` and (when ``need_grad``) the scaled gradient into ``out``.

    ``inplace`` says that ``out`` is ``x`` itself (same memory, same layout).
    Empty ``bias`` / ``w`` mean none. ``colsum`` has shape (G, C) to accumulate the gradient's column
    sums per row group, or (G, 0) for none; G is the number of row groups run in parallel.
    """
    n, c = x.shape
    has_bias = bias.size == c
    has_w = w.size == c
    n_groups = colsum.shape[0]
    has_colsum = colsum.shape[1] == c and need_grad
    for g in prange(n_groups):  # launched with chunk size 1 (see launching()): groups handed out one by one
        start = g * n // n_groups
        stop = (g + 1) * n // n_groups
        scratch = np.empty(0 if need_grad else c, x.dtype)
        for i in range(start, stop):
            gi = x[i] if inplace else out[i]
            loss[i] = hard_row(x[i], bias, has_bias, y[i], r[i], w, has_w, w_sum, eps, scale, need_grad, gi, inplace,
                               scratch)
            if has_colsum:
                row_add(colsum[g], out[i])
