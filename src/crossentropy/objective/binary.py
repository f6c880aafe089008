r"""The data terms of the binary (sigmoid) model on the flat coefficients ``[w_1, ..., w_d, b]``.

With logits :math:`z_i = w^\top x_i + b` and :math:`p_i = \sigma(z_i)`, the weighted log loss
:math:`L = \sum_i s_i\,\ell(z_i, y_i)` has gradient :math:`\sum_i s_i (p_i - y_i)\,\tilde x_i` and Hessian
:math:`\sum_i s_i p_i (1 - p_i)\,\tilde x_i \tilde x_i^\top` (:math:`\tilde x_i = [x_i, 1]` with an
intercept). The loss itself is :func:`crossentropy.losses.binary_cross_entropy_with_logits`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .. import _numba_cache, special
from ..losses.binary import binary_cross_entropy_with_logits
from .sums import DataTerms, compute_dtype, gram

_numba_cache.install()  # a cache directory even without a writable home (issue 13)

__all__ = ["logits", "hess_weights", "data_terms", "loss_gradient_logits", "hessp"]

#: Entries of X from which the loss and gradient take the compiled one-pass route: it saves about a
#: third of a pass (0.35 ns an entry, 1.4 ms on 80,000 x 50), and loading it from numba's cache
#: costs about 0.2 s once per process (4 s to compile without a cache): below this, small fits
#: never load it and lose at most a millisecond a pass.
FUSED_MIN_ELEMENTS = 1 << 21

#: Rows per block of :func:`_dense_pass`: a block of X stays in the core's cache between the logits
#: and the gradient (256 rows of 2,000 float64 columns are 4 MB; of 50, 100 kB).
_PASS_ROWS = 256


@njit(cache=True, nogil=True, fastmath={"contract", "reassoc", "nsz"})
def _dense_pass(X, w, b, t, sw, has_sw, z, grad):  # pragma: no cover - compiled
    r"""One pass over the rows of a dense float64 X, in blocks of ``_PASS_ROWS``: the logits into
    ``z``, :math:`\sum_i r_i x_i` into ``grad[:d]``, :math:`\sum_i r_i` into ``grad[d]``; returns
    :math:`\sum_i s_i \ell_i`.

    Each row's loss and residual are those of
    :func:`crossentropy.losses.binary_cross_entropy_with_logits` (no ``pos_weight``), from one
    exponential :math:`e = e^{-|z|}`: :math:`\ell = t\max(-z,0) + (1-t)\max(z,0) + \operatorname{log1p}(e)`,
    :math:`r = ((1-t)\,[1 \text{ or } e] - t\,[e \text{ or } 1]) / (1+e)` for :math:`z \ge 0` or
    :math:`z < 0` (the tests hold the two to each other). X is read from memory once, not twice.
    """
    n, d = X.shape
    g = np.zeros(d)
    r = np.empty(_PASS_ROWS)
    total = 0.0
    rsum = 0.0
    for a in range(0, n, _PASS_ROWS):
        m = min(_PASS_ROWS, n - a)
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
                g[j] += rk * X[a + k, j]
    grad[:d] = g
    grad[d] = rsum
    return total


def _fused(X, y, sample_weight, coef, layout):
    """``(z, loss, grad)`` by :func:`_dense_pass` for a dense C-ordered float64 X of at least
    ``FUSED_MIN_ELEMENTS`` entries, else None (NumPy's path)."""
    if not (isinstance(X, np.ndarray) and X.dtype == np.float64 and X.flags.c_contiguous
            and X.size >= FUSED_MIN_ELEMENTS and (sample_weight is None or sample_weight.dtype == np.float64)):
        return None
    n, d = X.shape
    z, grad = np.empty(n), np.zeros(d + 1)
    sw = np.empty(0) if sample_weight is None else np.ascontiguousarray(sample_weight)
    b = float(coef[d]) if layout.fit_intercept else 0.0
    t = np.ascontiguousarray(y, dtype=np.float64)
    loss = _dense_pass(X, np.ascontiguousarray(coef[:d], dtype=np.float64), b, t, sw, sample_weight is not None,
                       z, grad)
    if not (math.isfinite(loss) and np.isfinite(grad).all()):
        return None  # weights too large for plain sums: the NumPy path rescales them
    return z, float(loss), grad if layout.fit_intercept else grad[:d].copy()


def logits(X, coef, layout):
    r"""The logits :math:`z = X w + b`, ndarray of shape (n,) in X's compute dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout
    >>> from crossentropy.objective.binary import logits
    >>> logits(np.array([[1.0], [2.0]]), np.array([2.0, -1.0]), CoefLayout(1, 2, True))
    array([1., 3.])
    """
    d = X.shape[1]
    dtype = compute_dtype(X)
    z = np.asarray(X @ coef[:d].astype(dtype, copy=False)).astype(dtype, copy=False)
    if layout.fit_intercept:
        z += dtype.type(coef[d])
    return z


def hess_weights(z, sample_weight):
    r""":math:`s_i\,p_i (1 - p_i)`, the second derivative of each row's weighted loss in its logit.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective.binary import hess_weights
    >>> hess_weights(np.array([0.0, 0.0]), np.array([1.0, 2.0]))
    array([0.25, 0.5 ])
    """
    p = special.sigmoid(z)
    h = p * (1 - p)
    return h if sample_weight is None else h * sample_weight.astype(h.dtype, copy=False)


def data_terms(X, y, sample_weight, coef, layout, need, z=None):
    """Binary case of :func:`crossentropy.objective.data_terms` (``need`` a set; ``z`` the logits if known).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout
    >>> from crossentropy.objective.binary import data_terms
    >>> t = data_terms(np.array([[0.0], [1.0]]), np.array([0.0, 1.0]), None, np.zeros(2),
    ...                CoefLayout(1, 2, True), {"loss", "grad"})
    >>> round(t.loss, 6), t.grad   # 2 log 2; X^T (1/2 - y), sum(1/2 - y)
    (1.386294, array([-0.5,  0. ]))
    """
    d = X.shape[1]
    if z is None:
        z = logits(X, coef, layout)
    t = y if y.dtype == z.dtype else y.astype(z.dtype)
    loss = grad = hess = None
    if "loss" in need or "grad" in need:
        res = binary_cross_entropy_with_logits(z, t, weight=sample_weight, reduction="sum", return_grad="grad" in need)
        loss, r = res if "grad" in need else (res, None)
        loss = float(loss)
        if r is not None:
            grad = np.empty(layout.n_coef)
            grad[:d] = X.T @ r
            if layout.fit_intercept:
                grad[d] = r.sum(dtype=np.float64)
    if "hess" in need:
        hess = gram(X, hess_weights(z, sample_weight), layout.fit_intercept)
    return DataTerms(loss if "loss" in need else None, grad, hess)


def loss_gradient_logits(X, y, sample_weight, coef, layout):
    """``(DataTerms(loss, grad, None), z)``: the loss and gradient sums of :func:`data_terms` and the logits.

    Dense float64 X of at least ``FUSED_MIN_ELEMENTS`` entries: one compiled pass over the rows
    (:func:`_dense_pass`); otherwise :func:`logits` then :func:`data_terms`.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout
    >>> t, z = loss_gradient_logits(np.array([[0.0], [1.0]]), np.array([0.0, 1.0]), None, np.zeros(2),
    ...                             CoefLayout(1, 2, True))
    >>> round(t.loss, 6), t.grad, z
    (1.386294, array([-0.5,  0. ]), array([0., 0.]))
    """
    fused = _fused(X, y, sample_weight, coef, layout)
    if fused is not None:
        z, loss, grad = fused
        return DataTerms(loss, grad, None), z
    z = logits(X, coef, layout)
    return data_terms(X, y, sample_weight, coef, layout, frozenset(["loss", "grad"]), z=z), z


def hessp(X, h, v, layout):
    r""":math:`\tilde X^\top (h \odot \tilde X v)`, the Hessian-vector product from the weights ``h``.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout
    >>> from crossentropy.objective.binary import hessp
    >>> hessp(np.array([[1.0], [2.0]]), np.array([1.0, 0.5]), np.array([1.0, 0.0]), CoefLayout(1, 2, True))
    array([3., 2.])
    """
    d = X.shape[1]
    t = h * logits(X, v, layout)
    t = t.astype(compute_dtype(X), copy=False)  # a float64 t would make NumPy cast all of a float32 X up
    out = np.empty(layout.n_coef)
    out[:d] = X.T @ t
    if layout.fit_intercept:
        out[d] = t.sum(dtype=np.float64)
    return out


_numba_cache.disable_uncached(globals())  # no usable cache location: compile in memory
