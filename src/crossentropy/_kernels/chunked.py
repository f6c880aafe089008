r"""Class-chunked softmax cross-entropy rows: an online log-sum-exp over class chunks, then the gradient.

Used by the linear cross-entropy engine when a row block's logits over all classes would not fit its
memory budget. Pass 1 visits the chunks :math:`Z^{(j)}` of a row block once each and keeps, per row,
the running maximum :math:`m`, the running sum :math:`s = \sum_c e^{z_c - m}` (rescaled by
:math:`e^{m_{\text{old}} - m_{\text{new}}}` when the maximum grows), the target logit and, for label
smoothing, :math:`\sum_c w_c (z_c - r)` about a fixed reference :math:`r` (the first chunk's maximum).
Pass 2 recomputes each chunk and overwrites it by the gradient
:math:`\text{scale}\,(a_n e^{z_c - m}/s - \tfrac{\varepsilon}{C} k_n w_c)`, the same formula as the
fused rows of :mod:`.fused` (the formulas themselves are documented in
:mod:`crossentropy.losses._rows`).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .fused import (
    FASTMATH,
    row_add,
    row_exp_inplace,
    row_finish_grad,
    row_loss,
    row_max,
    row_sum_exp,
    row_target_mass,
    row_weighted_shifted_sum,
    target_grad,
)


@njit(parallel=True, fastmath=FASTMATH, cache=True)
def lse_chunk(z, bias, c0, y, r, w, eps, first, m, s, zy, ref, zw):
    """Merge the chunk ``z`` (rows × classes ``c0 .. c0 + z.shape[1]``) into the running row statistics."""
    n, cb = z.shape
    has_bias = bias.size == cb
    has_w = w.size == cb
    for i in prange(n):
        if r[i] == 0.0:
            continue
        zr = z[i]
        mc = np.float64(row_max(zr, bias, has_bias))
        if first:
            m[i] = mc
            s[i] = 0.0
            ref[i] = mc
            zw[i] = 0.0
        elif mc > m[i]:
            s[i] *= np.exp(m[i] - mc)
            m[i] = mc
        s[i] += row_sum_exp(zr, bias, has_bias, zr.dtype.type(m[i]))
        yi = y[i] - c0
        if 0 <= yi < cb:
            zy[i] = np.float64(zr[yi]) + (np.float64(bias[yi]) if has_bias else 0.0)
        if eps > 0.0:
            zw[i] += row_weighted_shifted_sum(zr, bias, has_bias, w, has_w, zr.dtype.type(ref[i]))


@njit(cache=True)
def finish_losses(m, s, zy, ref, zw, y, r, w, eps, n_classes, w_sum, loss):
    """Row losses from the statistics of pass 1 (``w`` has all ``n_classes`` entries, or none)."""
    has_w = w.size == n_classes
    for i in range(m.size):
        if r[i] == 0.0:
            loss[i] = 0.0
            continue
        lse = m[i] + np.log(s[i])
        w_yn = np.float64(w[y[i]]) if has_w else 1.0
        loss[i] = row_loss(eps, n_classes, r[i], w_yn, w_sum, lse - zy[i], w_sum * (lse - ref[i]) - zw[i])


@njit(parallel=True, fastmath=FASTMATH, cache=True)
def grad_chunk(z, bias, c0, y, r, w, w_y, eps, n_classes, w_sum, scale, m, s, zy, colsum):
    """Overwrite the chunk ``z`` by the gradient of the (scaled) loss with respect to its logits.

    ``w`` holds this chunk's class weights (or none) and ``w_y`` each row's target class weight.
    ``colsum`` (G, chunk width) receives the gradient's column sums per row group, or is (G, 0).
    """
    n, cb = z.shape
    has_bias = bias.size == cb
    has_w = w.size == cb
    n_groups = colsum.shape[0]
    has_colsum = colsum.shape[1] == cb
    for g in prange(n_groups):
        for i in range(g * n // n_groups, (g + 1) * n // n_groups):
            zr = z[i]
            if r[i] == 0.0:
                zr[:] = 0
                continue
            a = row_target_mass(eps, n_classes, r[i], w_y[i], w_sum)
            row_exp_inplace(zr, bias, has_bias, zr.dtype.type(m[i]))
            row_finish_grad(zr, scale * a / s[i], scale * eps / n_classes * r[i], w, has_w)
            yi = y[i] - c0
            if 0 <= yi < cb:
                p_y = np.exp(zy[i] - m[i] - np.log(s[i]))
                zr[yi] = target_grad(eps, n_classes, r[i], w_y[i], a, p_y, scale)
            if has_colsum:
                row_add(colsum[g], zr)
