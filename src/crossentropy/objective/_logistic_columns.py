r"""Compiled pieces of the binary logistic objective on the logits and on the columns of sparse X.

The proximal Newton solver of wide sparse l1 problems
(:func:`~crossentropy.solvers.working_set.working_set_newton`) keeps the logits
:math:`z = X w + b + o` up to date itself instead of multiplying by X at every evaluation: a trial
point :math:`\theta + t\delta` has the logits :math:`z + t\,\tilde X\delta`, and coordinate descent
already holds :math:`\tilde X_W\delta`. What it needs from the data then costs one pass over the
rows (:func:`logistic_terms`) and one pass over the non-zeros of X (:func:`column_dots`).
"""

from __future__ import annotations

import math

from numba import njit

from .. import _numba_cache

_numba_cache.install()  # a cache directory even without a writable home

__all__ = ["logistic_terms", "column_dots", "elastic_net_step", "l1_violations", "all_ones"]


@njit(cache=True, nogil=True)
def all_ones(data):  # pragma: no cover - compiled
    """Whether every entry of ``data`` is 1 (stops at the first that is not).

    Examples
    --------
    >>> import numpy as np
    >>> all_ones(np.ones(3)), all_ones(np.array([1.0, 2.0])), all_ones(np.empty(0))
    (True, False, True)
    """
    for t in range(data.shape[0]):
        if data[t] != 1.0:
            return False
    return True


@njit(cache=True, nogil=True)
def logistic_terms(z, dz, t, y, sw, scale, zt, r, h):  # pragma: no cover - compiled
    r"""The scaled binary cross-entropy at the logits :math:`z + t\,\Delta z` and its first two derivatives in each logit.

    Writes the logits to ``zt``, returns :math:`c\sum_i s_i \ell_i` with
    :math:`\ell_i = \log(1 + e^{z_i}) - y_i z_i` and fills ``r`` with :math:`c\,s_i(\sigma(z_i) - y_i)`
    and ``h`` with :math:`c\,s_i\sigma(z_i)(1 - \sigma(z_i))` (``sw`` the sample weights :math:`s_i`,
    or an empty array for ones; ``scale`` :math:`c`). Evaluated without overflow:
    :math:`\log(1 + e^{z}) = \max(z, 0) + \log(1 + e^{-|z|})`.

    Examples
    --------
    >>> import numpy as np
    >>> zt, r, h = np.empty(2), np.empty(2), np.empty(2)
    >>> loss = logistic_terms(np.array([0.0, 400.0]), np.array([0.0, 200.0]), 2.0, np.array([1.0, 0.0]),
    ...                       np.empty(0), 0.5, zt, r, h)
    >>> zt.tolist(), round(loss, 6), r.tolist(), h.tolist()   # (log 2 + 800) / 2; (0.5 - 1) / 2, (1 - 0) / 2
    ([0.0, 800.0], 400.346574, [-0.25, 0.5], [0.125, 0.0])
    """
    weighted = sw.shape[0] > 0
    total = 0.0
    for i in range(z.shape[0]):
        zi = z[i] + t * dz[i]
        zt[i] = zi
        e = math.exp(-abs(zi))
        p = 1.0 / (1.0 + e) if zi >= 0.0 else e / (1.0 + e)
        w = scale * sw[i] if weighted else scale
        total += w * (max(zi, 0.0) + math.log1p(e) - y[i] * zi)
        r[i] = w * (p - y[i])
        h[i] = w * p * (1.0 - p)
    return total


@njit(cache=True, nogil=True)
def column_dots(indptr, indices, data, unit, r, h, cols, out, hdiag):  # pragma: no cover - compiled
    r"""``out[j]`` :math:`= \sum_i x_{ij} r_i` and ``hdiag[j]`` :math:`= \sum_i x_{ij}^2 h_i` for the columns
    ``j`` in ``cols`` of X in CSC form (``indptr``, ``indices``, ``data``): :math:`X^\top r` and the
    diagonal of :math:`X^\top\mathrm{diag}(h)X` in one pass over their non-zeros, accumulated in
    float64 (the other entries of ``out`` and ``hdiag`` are left as they are). ``unit`` True: every
    stored entry is 1 (:func:`all_ones`), ``data`` is not read.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> X = sparse.csc_matrix(np.array([[1.0, 0.0], [2.0, 3.0]])); out, hd = np.empty(2), np.empty(2)
    >>> column_dots(X.indptr, X.indices, X.data, False, np.array([1.0, -1.0]), np.array([1.0, 0.5]), np.arange(2),
    ...             out, hd)
    >>> out.tolist(), hd.tolist()   # [1 - 2, -3], [1 + 4 / 2, 9 / 2]
    ([-1.0, -3.0], [3.0, 4.5])
    """
    for j in cols:
        s = 0.0
        q = 0.0
        for t in range(indptr[j], indptr[j + 1]):
            i = indices[t]
            v = 1.0 if unit else data[t]
            s += v * r[i]
            q += v * v * h[i]
        out[j] = s
        hdiag[j] = q


@njit(cache=True, nogil=True)
def elastic_net_step(coef, d, t, mask, new):  # pragma: no cover - compiled
    r"""Write :math:`\theta + t\,d` to ``new`` and return :math:`(\sum_{j\in\mathcal P}\theta_j'^2,\;
    \sum_{j\in\mathcal P}|\theta_j'|)` over the penalised entries (``mask``) of the new point: the
    elastic net's two sums in one pass, nothing allocated. At ``t = 1`` an entry with
    :math:`d_j = -\theta_j` is exactly zero.

    Examples
    --------
    >>> import numpy as np
    >>> new = np.empty(3)
    >>> elastic_net_step(np.array([1.0, -2.0, 5.0]), np.array([-1.0, 0.5, 0.0]), 1.0,
    ...                  np.array([True, True, False]), new), new.tolist()
    ((2.25, 1.5), [0.0, -1.5, 5.0])
    """
    sq = 0.0
    ab = 0.0
    for j in range(coef.shape[0]):
        v = coef[j] + t * d[j]
        new[j] = v
        if mask[j]:
            sq += v * v
            ab += abs(v)
    return sq, ab


@njit(cache=True, nogil=True)
def l1_violations(coef, g, mask, l1, out):  # pragma: no cover - compiled
    r"""Each coordinate's violation of the optimality conditions of an l1 term, written to ``out``; returns their max.

    :math:`|g_j + \lambda_1\mathrm{sign}\,\theta_j|` on a non-zero penalised entry,
    :math:`\max(|g_j| - \lambda_1, 0)` on a zero one, :math:`|g_j|` on an unpenalised one (``g``
    the smooth part's gradient): the absolute minimum-norm subgradient.

    Examples
    --------
    >>> import numpy as np
    >>> out = np.empty(3)
    >>> l1_violations(np.array([0.0, 1.0, 0.0]), np.array([0.25, -0.75, 0.125]), np.array([True, True, False]),
    ...               0.5, out), out.tolist()
    (0.25, [0.0, 0.25, 0.125])
    """
    top = 0.0
    for j in range(coef.shape[0]):
        gj = g[j]
        if not mask[j]:
            v = abs(gj)
        elif coef[j] > 0.0:
            v = abs(gj + l1)
        elif coef[j] < 0.0:
            v = abs(gj - l1)
        else:
            v = max(abs(gj) - l1, 0.0)
        out[j] = v
        if v > top:
            top = v
    return top


_numba_cache.disable_uncached(globals())
