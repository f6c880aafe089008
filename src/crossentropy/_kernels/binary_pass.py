r"""One pass over dense float64 (or float32) rows for the binary (sigmoid) model: logits, loss sum and gradient.

For the objective of :mod:`crossentropy.objective.binary`: with :math:`z_i = w^\top x_i + b`,
:math:`e_i = e^{-|z_i|}` and targets :math:`t_i`, each row's loss and residual are those of
:func:`crossentropy.losses.binary_cross_entropy_with_logits` (no ``pos_weight``), from one exponential:

.. math::
    \ell_i = t_i\max(-z_i,0) + (1-t_i)\max(z_i,0) + \operatorname{log1p}(e_i), \qquad
    r_i = \frac{(1-t_i)\,[z_i \ge 0 \,?\, 1 : e_i] - t_i\,[z_i \ge 0 \,?\, e_i : 1]}{1 + e_i}

(``tests/objective/test_binary_pass.py`` holds the two to each other). The rows go in blocks of
``PASS_ROWS``: a block's logits, then its losses and residuals, then :math:`\sum r_i x_i` while the
block is still in the core's cache, so X is read from memory once instead of twice (:math:`Xw`,
then :math:`X^\top r`). One thread: the pass is bound by memory bandwidth (80,000 x 50 took 3.9 ms
on one thread and 4.0 ms on two, NumPy's two passes 5.8 ms).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["PASS_ROWS", "dense_pass"]

#: Rows per block: a block of X stays in cache between its logits and its gradient (256 rows of
#: 2,000 float64 columns are 4 MB; of 50 columns, 100 kB).
PASS_ROWS = 256


@njit(cache=True, nogil=True, fastmath={"contract", "reassoc", "nsz"})
def _rows(X, w, b, t, sw, has_sw, z, g, start, stop, r):  # pragma: no cover - compiled
    """Rows ``start:stop``: logits into z, the residual-weighted rows added to g[:d], the residuals'
    sum to g[d]; returns the loss sum."""
    d = X.shape[1]
    total = 0.0
    rsum = 0.0
    acc_g = np.zeros(d)  # local: it cannot alias X, so LLVM vectorises the update
    for a in range(start, stop, PASS_ROWS):
        m = min(PASS_ROWS, stop - a)
        for k in range(m):
            acc = 0.0
            for j in range(d):
                acc += X[a + k, j] * w[j]
            z[a + k] = acc + b
        for k in range(m):
            x = z[a + k]
            ti = t[a + k]
            e = math.exp(-abs(x))
            neg = 1.0 - ti
            loss = ti * max(-x, 0.0) + neg * max(x, 0.0) + math.log1p(e)
            rk = (neg - ti * e) / (1.0 + e) if x >= 0 else (neg * e - ti) / (1.0 + e)
            if has_sw:
                loss *= sw[a + k]
                rk *= sw[a + k]
            total += loss
            rsum += rk
            r[k] = rk
        for k in range(m):
            rk = r[k]
            for j in range(d):
                acc_g[j] += rk * X[a + k, j]
    g[:d] += acc_g
    g[d] += rsum
    return total


def dense_pass(X, w, b, t, sw):
    """``(z, loss, grad)`` of the rows of X (C-ordered float64 or float32): logits (n,) in X's dtype,
    :math:`\\sum_i s_i\\ell_i` and :math:`[\\sum_i r_i x_i, \\sum_i r_i]` of shape (d + 1,); ``sw`` the row weights or None.

    Examples
    --------
    >>> import numpy as np
    >>> z, loss, grad = dense_pass(np.array([[0.0], [1.0]]), np.zeros(1), 0.0, np.array([0.0, 1.0]), None)
    >>> round(loss, 6), grad
    (1.386294, array([-0.5,  0. ]))
    """
    n, d = X.shape
    z, grad = np.empty(n, dtype=X.dtype), np.zeros(d + 1)  # float32 X: float32 logits, as NumPy's path
    loss = _rows(X, w, b, t, np.empty(0) if sw is None else sw, sw is not None, z, grad, 0, n, np.empty(PASS_ROWS))
    return z, float(loss), grad
