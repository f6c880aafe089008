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

__all__ = ["cd_quadratic_l1", "cd_columns_l1"]

_numba_cache.install()  # a cache directory even without a writable home


@njit(cache=True, nogil=True, inline="always")
def _coordinate(a, b, old, theta, penalised, l1):  # pragma: no cover - compiled
    """The new step entry of one coordinate with curvature ``a`` and model gradient ``b`` at the old
    entry's removal: the soft-thresholded minimiser, or (no curvature) a move to zero where it is a
    minimum."""
    if a > 0.0:
        if not penalised:
            return -b / a
        v = a * theta - b
        if v > l1:
            return (v - l1) / a - theta
        if v < -l1:
            return (v + l1) / a - theta
        return -theta
    if penalised and abs(b) <= l1:
        return -theta
    return old


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
            new = _coordinate(a, b, old, theta[j], mask[j], l1)
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


@njit(cache=True, nogil=True)
def _model(g, theta, mask, l2d, l1, h, delta, r):  # pragma: no cover - compiled
    """The quadratic model's value at ``delta`` (``r`` = X_W delta), less its constant."""
    q = 0.0
    for k in range(g.shape[0]):
        q += g[k] * delta[k] + 0.5 * l2d[k] * delta[k] * delta[k]
        if mask[k]:
            q += l1 * abs(theta[k] + delta[k])
    s = 0.0
    for i in range(h.shape[0]):
        s += h[i] * r[i] * r[i]
    return q + 0.5 * s


@njit(cache=True, nogil=True)
def _columns_product(indptr, indices, data, unit, cols, icpt, v, out):  # pragma: no cover - compiled
    r"""``out`` = :math:`\tilde X_W v` (the columns ``cols`` of CSC X, then ones if ``icpt``)."""
    m = cols.shape[0]
    out[:] = v[m] if icpt else 0.0
    for k in range(m):
        j = cols[k]
        vk = v[k]
        if vk == 0.0:
            continue
        for t in range(indptr[j], indptr[j + 1]):
            out[indices[t]] += vk * (1.0 if unit else data[t])


@njit(cache=True, nogil=True)
def _anderson(D, g, theta, mask, l2d, l1, h, delta, r, indptr, indices, data, unit, cols, icpt):  # pragma: no cover
    r"""Replace ``delta`` (and ``r`` = :math:`\tilde X_W\delta`) by the Anderson extrapolation of the
    iterates ``D`` (rows) when it lowers the model; returns whether it did. The extrapolation's
    product with X is formed here, once (not kept for every iterate)."""
    K = D.shape[0] - 1
    U = D[1:] - D[:-1]
    G = U @ U.T
    trace = 0.0
    for a in range(K):
        trace += G[a, a]
    if not trace > 0.0:
        return False
    for a in range(K):
        G[a, a] += 1e-10 * trace
    c = np.linalg.solve(G, np.ones(K))
    tot = c.sum()
    if not (np.isfinite(tot) and tot != 0.0):
        return False
    c /= tot
    ext = c @ D[1:]
    r_ext = np.empty(r.shape[0])
    _columns_product(indptr, indices, data, unit, cols, icpt, ext, r_ext)
    for k in range(ext.shape[0]):  # a zero stays exactly zero: the support is CD's
        if not mask[k] or theta[k] + ext[k] != 0.0:
            continue
        ext[k] = -theta[k]
    if _model(g, theta, mask, l2d, l1, h, ext, r_ext) < _model(g, theta, mask, l2d, l1, h, delta, r):
        delta[:] = ext
        r[:] = r_ext
        return True
    return False


@njit(cache=True, nogil=True, inline="always")
def _xorshift(state):  # pragma: no cover - compiled
    """The next state of Marsaglia's xorshift64 generator (a local stream: no global random state)."""
    state ^= (state << np.uint64(13))
    state ^= (state >> np.uint64(7))
    state ^= (state << np.uint64(17))
    return state


@njit(cache=True, nogil=True)
def _shuffle(order, state):  # pragma: no cover - compiled
    """Fisher–Yates shuffle of ``order`` in place; returns the generator's new state."""
    for a in range(order.shape[0] - 1, 0, -1):
        state = _xorshift(state)
        b = np.intp(state % np.uint64(a + 1))
        order[a], order[b] = order[b], order[a]
    return state


@njit(cache=True, nogil=True)
def _cd_columns_kernel(indptr, indices, data, unit, cols, icpt, h, g, theta, mask, l2d, l1, delta, max_sweeps,
                       rel_tol, n_anderson, abs_tol, seed, r, hdiag, hr):  # pragma: no cover - compiled
    m = cols.shape[0]
    p = m + icpt
    n = h.shape[0]
    # the row weights and X_W delta side by side in hr (n, 2): one cache line serves both reads of a row
    for i in range(n):
        hr[i, 0] = h[i]
        hr[i, 1] = 0.0
    hv = hr[:, 0]
    rv = hr[:, 1]
    order = np.arange(p)
    if seed != 0:  # one order for all sweeps: the extrapolated map stays the same
        _shuffle(order, np.uint64(seed))
    diag = np.empty(p)  # the model's curvatures: given (hdiag, less l2) or summed here
    known = hdiag.shape[0] == p
    for k in range(m):
        if known:
            diag[k] = hdiag[k] + l2d[k]
            continue
        j = cols[k]
        s = 0.0
        for t in range(indptr[j], indptr[j + 1]):
            v = 1.0 if unit else data[t]
            s += h[indices[t]] * v * v
        diag[k] = s + l2d[k]
    if icpt:
        diag[m] = (hdiag[m] if known else h.sum()) + l2d[m]
    D = np.empty((n_anderson + 1, p))  # the last iterates, for the extrapolation
    D[0] = delta
    stored = 1
    active = np.ones(p, dtype=np.bool_)  # after a full sweep: only the coordinates that moved or are non-zero
    full = True
    sweeps = 0
    for sweep in range(max_sweeps):
        sweeps = sweep + 1
        max_change = 0.0
        max_abs = 0.0
        max_viol = 0.0  # the largest curvature-weighted move: the coordinates' optimality violation
        for kk in range(p):
            k = order[kk]
            if not (full or active[k]):
                continue
            a = diag[k]
            hd = l2d[k] * delta[k]
            if k < m:
                j = cols[k]
                for t in range(indptr[j], indptr[j + 1]):
                    i = indices[t]
                    v = 1.0 if unit else data[t]
                    hd += hr[i, 0] * v * hr[i, 1]
            else:
                for i in range(n):
                    hd += hr[i, 0] * hr[i, 1]
            b = g[k] + hd - a * delta[k]
            old = delta[k]
            new = _coordinate(a, b, old, theta[k], mask[k], l1)
            change = new - old
            if change != 0.0:
                if k < m:
                    for t in range(indptr[j], indptr[j + 1]):
                        v = 1.0 if unit else data[t]
                        hr[indices[t], 1] += change * v
                else:
                    for i in range(n):
                        hr[i, 1] += change
                delta[k] = new
            if full:
                active[k] = change != 0.0 or theta[k] + new != 0.0 or not mask[k]
            ac = abs(change)
            if a * ac > max_viol:
                max_viol = a * ac
            if ac > max_change:
                max_change = ac
            an = abs(new)
            if an > max_abs:
                max_abs = an
        done = max_change <= rel_tol * max_abs or max_change == 0.0 or max_viol <= abs_tol
        if n_anderson > 0 and not done:
            D[stored] = delta
            stored += 1
            if stored == n_anderson + 1:
                _anderson(D, g, theta, mask, l2d, l1, hv, delta, rv, indptr, indices, data, unit, cols, icpt)
                D[0] = delta
                stored = 1
        if done and full:
            break
        full = done  # the active coordinates have settled: check every coordinate once more
    r[:] = rv
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


def cd_columns_l1(Xc, cols, intercept, h, g, theta, mask, l2, l1, *, max_sweeps=1000, rel_tol=1e-4, anderson=5,
                  abs_tol=0.0, seed=0, out=None, sweeps=False, hdiag=None, unit=False, work=None):
    r"""The step of :func:`cd_quadratic_l1` for the binary Hessian :math:`\tilde X_W^\top \mathrm{diag}(h)\tilde X_W + \mathrm{diag}(l_2)`,
    read from the columns of a CSC matrix instead of a formed block.

    ``Xc`` is X in CSC form (sorted indices not needed), ``cols`` the working set's columns of X, and
    ``intercept`` whether the column of ones follows them (the last entry of ``g``, ``theta``, ``mask``,
    ``l2``). :math:`X_W\delta` is kept up to date, so a sweep costs :math:`O(\mathrm{nnz}(X_W))`
    (plus :math:`n` for the intercept) instead of :math:`O(|W|^2)`, and nothing of size
    :math:`|W|^2` is formed. After a full sweep only the moving or non-zero coordinates are swept
    until they settle, then all once more (the active-set cycling of glmnet).

    It stops after a full sweep that moves no coordinate by more than ``rel_tol`` times the largest
    step entry, or whose curvature-weighted moves :math:`H_{jj}|\Delta\delta_j|` (each coordinate's
    model subgradient before its update) are all at most ``abs_tol``. Every ``anderson`` sweeps the
    iterates are extrapolated (Anderson acceleration, kept when it lowers the model). ``seed`` 0
    sweeps in the order of ``cols``; any other value in one pseudo-random order of them (xorshift64
    from that seed: reproducible, no global random state, the same for every sweep so the
    extrapolated map stays fixed): much faster where the columns' order follows their frequency. ``out`` (ndarray (n,)) receives
    :math:`\tilde X_W\delta`; ``sweeps`` True returns ``(delta, number of sweeps)``. ``hdiag``
    (ndarray (|W|,), optional) is the diagonal of :math:`\tilde X_W^\top\mathrm{diag}(h)\tilde X_W` when the
    caller has it (one pass over the columns saved). ``unit`` True says every stored entry of ``Xc``
    is 1 (binary features: one-hot, bag of words), so they are not read. ``work`` (ndarray (n, 2)
    float64, optional) is scratch space a caller reuses across calls.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> X = sparse.csc_matrix(np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])); h = np.full(3, 0.25)
    >>> H = (X.T @ (X.multiply(h[:, None]))).toarray(); g = np.array([-0.5, 0.3])
    >>> a = cd_columns_l1(X, np.arange(2), False, h, g, np.zeros(2), np.ones(2, bool), np.zeros(2), 0.1, rel_tol=1e-12)
    >>> b = cd_quadratic_l1(H, g, np.zeros(2), np.ones(2, bool), 0.1, rel_tol=1e-12)
    >>> bool(np.allclose(a, b))
    True
    >>> c, k = cd_columns_l1(X, np.arange(2), False, h, g, np.zeros(2), np.ones(2, bool), np.zeros(2), 0.1,
    ...                      rel_tol=1e-12, seed=7, sweeps=True)
    >>> bool(np.allclose(c, b)), k > 1
    (True, True)

    References
    ----------
    Friedman, Hastie & Tibshirani, *Regularization paths for generalized linear models via coordinate
    descent*, J. Stat. Softw. 33 (2010) (covariance-free updates, active-set cycling); Yuan, Ho & Lin,
    *An improved GLMNET for L1-regularized logistic regression*, JMLR 13 (2012) (random order);
    Bertrand & Massias, *Anderson acceleration of coordinate descent*, AISTATS 2021.
    """
    delta = np.zeros(np.asarray(g).shape[0])
    r = np.empty(np.asarray(h).shape[0]) if out is None else out
    k = _cd_columns_kernel(Xc.indptr, Xc.indices, Xc.data, bool(unit), np.asarray(cols, dtype=np.intp), int(bool(intercept)),
                       np.asarray(h, dtype=np.float64), np.asarray(g, dtype=np.float64),
                       np.asarray(theta, dtype=np.float64), np.asarray(mask, dtype=np.bool_),
                       np.asarray(l2, dtype=np.float64), float(l1), delta, int(max_sweeps), float(rel_tol), int(anderson),
                       float(abs_tol), int(seed), r,
                       np.empty(0) if hdiag is None else np.asarray(hdiag, dtype=np.float64),
                       np.empty((r.shape[0], 2)) if work is None else work)
    return (delta, int(k)) if sweeps else delta


_numba_cache.disable_uncached(globals())
