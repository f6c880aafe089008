r"""The temperature-scaling pass in numba: the cross-entropy of :math:`\beta z` and its first two derivatives in β.

For logits :math:`z_i \in \mathbb{R}^K`, labels :math:`y_i`, weights :math:`w_i` and an inverse
temperature :math:`\beta > 0`, one pass over the rows accumulates (in float64)

.. math::
    L = \sum_i w_i\,[\operatorname{lse}(\beta z_i) - \beta z_{i y_i}], \quad
    L' = \sum_i w_i\,[\mathrm{E}_{p_i} z - z_{i y_i}], \quad
    L'' = \sum_i w_i\,\mathrm{Var}_{p_i} z,

with :math:`p_i = \operatorname{softmax}(\beta z_i)`. Each row is shifted by its maximum :math:`m`
(:math:`\beta > 0`), so :math:`e_c = \exp(\beta (z_c - m))` lies in (0, 1]; the sums
:math:`\sum e_c`, :math:`\sum e_c d_c`, :math:`\sum e_c d_c^2` (:math:`d_c = z_c - m`) are taken in the
logits' dtype (vectorised) and the row's results in float64. Rows run in parallel over row groups.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._simd import fmax
from .fused import FASTMATH, exp_any


@njit(fastmath=FASTMATH, cache=True)
def _row(zr, beta_t):
    m = zr[0]
    for c in range(zr.size):
        m = fmax(m, zr[c])
    s0 = zr.dtype.type(0.0)
    s1 = zr.dtype.type(0.0)
    s2 = zr.dtype.type(0.0)
    for c in range(zr.size):
        d = zr[c] - m
        e = exp_any(beta_t * d)
        s0 += e
        s1 += e * d
        s2 += e * d * d
    return float(m), float(s0), float(s1), float(s2)


@njit(parallel=True, cache=True)
def temperature_pass(z, y, w, has_w, beta, n_groups):
    """``(L, L', L'')`` at ``beta`` (see the module docstring); ``w`` is read only when ``has_w``."""
    n = z.shape[0]
    acc = np.zeros((n_groups, 3))
    beta_t = z.dtype.type(beta)
    for g in prange(n_groups):
        lo = g * n // n_groups
        hi = (g + 1) * n // n_groups
        a0 = 0.0
        a1 = 0.0
        a2 = 0.0
        for i in range(lo, hi):
            m, s0, s1, s2 = _row(z[i], beta_t)
            mean = s1 / s0
            var = max(s2 / s0 - mean * mean, 0.0)
            dy = float(z[i, y[i]]) - m
            wi = w[i] if has_w else 1.0
            a0 += wi * (np.log(s0) - beta * dy)
            a1 += wi * (mean - dy)
            a2 += wi * var
        acc[g, 0] = a0
        acc[g, 1] = a1
        acc[g, 2] = a2
    return acc.sum(axis=0)
