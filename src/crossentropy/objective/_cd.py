r"""Cyclic coordinate descent on an l1-penalised quadratic model (the inner problem of proximal Newton).

.. math::
    \min_{\delta}\; g^\top \delta + \tfrac12 \delta^\top H \delta + \lambda_1 \sum_{j \in \mathcal P} |\theta_j + \delta_j|

Coordinate :math:`j` has the closed-form minimiser :math:`u = S(H_{jj}\theta_j - b_j, \lambda_1)/H_{jj}`,
:math:`\delta_j = u - \theta_j`, with :math:`b_j = g_j + (H\delta)_j - H_{jj}\delta_j` and :math:`S` the
soft-threshold, so zeros are exact. Compiled with numba; :math:`H\delta` is kept up to date, so a
sweep costs :math:`O(p^2)`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import _numba_cache

__all__ = ["cd_quadratic_l1"]

_numba_cache.install()  # a cache directory even without a writable home


@njit(cache=True, nogil=True)
def _cd_kernel(H, g, theta, mask, l1, delta, max_sweeps, rel_tol):  # pragma: no cover - compiled
    p = g.shape[0]
    Hd = H @ delta
    sweeps = 0
    for sweep in range(max_sweeps):
        sweeps = sweep + 1
        max_change = 0.0
        max_abs = 0.0
        for j in range(p):
            a = H[j, j]
            b = g[j] + Hd[j] - a * delta[j]
            old = delta[j]
            if a > 0.0:
                if mask[j]:
                    v = a * theta[j] - b
                    if v > l1:
                        u = (v - l1) / a
                    elif v < -l1:
                        u = (v + l1) / a
                    else:
                        u = 0.0
                    new = u - theta[j]
                else:
                    new = -b / a
            else:  # no curvature: only a move to zero can be justified, and only when it is a minimum
                new = old
                if mask[j] and abs(b) <= l1:
                    new = -theta[j]
            change = new - old
            if change != 0.0:
                for i in range(p):  # H is symmetric: read row j (contiguous)
                    Hd[i] += change * H[j, i]
                delta[j] = new
            ac = abs(change)
            if ac > max_change:
                max_change = ac
            an = abs(new)
            if an > max_abs:
                max_abs = an
        if max_change <= rel_tol * max_abs or max_change == 0.0:
            break
    return sweeps


def cd_quadratic_l1(H, g, theta, mask, l1, *, max_sweeps=1000, rel_tol=1e-4):
    """Return the step :math:`\\delta` (ndarray (p,)) minimising the l1-penalised quadratic model.

    Stops when a sweep moves no coordinate by more than ``rel_tol`` times the largest step entry.
    """
    delta = np.zeros_like(g, dtype=np.float64)
    _cd_kernel(np.ascontiguousarray(H, dtype=np.float64), np.asarray(g, dtype=np.float64),
               np.asarray(theta, dtype=np.float64), np.asarray(mask, dtype=np.bool_), float(l1), delta,
               int(max_sweeps), float(rel_tol))
    return delta


_numba_cache.disable_uncached(globals())
