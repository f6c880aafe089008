r"""The data terms of the softmax model on the flat class-major coefficients (``n_classes >= 3``).

With logits :math:`z_i = W x_i + b + o_i \in \mathbb{R}^K` (:math:`o_i` a fixed offset per class, 0
when none is given), probabilities :math:`p_i = \mathrm{softmax}(z_i)`
and one-hot labels :math:`e_{y_i}`, the weighted cross-entropy :math:`L = \sum_i s_i\,\ell_i` has
gradient :math:`\sum_i s_i (p_i - e_{y_i}) \otimes \tilde x_i` and Hessian
:math:`\sum_i s_i (\mathrm{diag}(p_i) - p_i p_i^\top) \otimes \tilde x_i \tilde x_i^\top`. Every function
works in row blocks of at most ``BLOCK_ELEMENTS`` (rows × classes); the per-row loss and logit
gradient come from the core's row kernel :func:`crossentropy.losses._rows.hard_rows`.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.linalg import blas

from ..losses import _rows
from .sums import DataTerms, compute_dtype, gram

__all__ = ["BLOCK_ELEMENTS", "FUSED_MIN_ELEMENTS", "block_rows", "rows_offset", "logits", "row_weights", "data_terms",
           "probabilities", "hessp_block", "hessp"]

#: Upper bound on the number of (row × class) entries held at once by the softmax data term.
BLOCK_ELEMENTS = 1 << 22
#: Smallest block of logits sent to the fused (multi-threaded numba) row kernel; smaller blocks take
#: the NumPy reference path, whose cost has no thread start-up in it.
FUSED_MIN_ELEMENTS = 1 << 16


def block_rows(n_rows, n_classes, n_cols=1):
    """Rows per block so that a block holds at most ``BLOCK_ELEMENTS`` entries of ``n_classes * n_cols``.

    Examples
    --------
    >>> from crossentropy.objective.softmax import block_rows
    >>> block_rows(10, 3), block_rows(10**9, 4) == (1 << 22) // 4
    (10, True)
    """
    return int(max(1, min(n_rows, BLOCK_ELEMENTS // max(1, n_classes * n_cols))))


def rows_offset(offset, start, stop):
    """Rows ``start:stop`` of ``offset`` (None stays None).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective.softmax import rows_offset
    >>> rows_offset(np.arange(6.0).reshape(3, 2), 1, 2), rows_offset(None, 0, 1)
    (array([[2., 3.]]), None)
    """
    return None if offset is None else offset[start:stop]


def logits(Xb, C, layout, offset=None):
    r"""The logits :math:`Z = X W^\top + b + O`, shape (n, K), from the 2-D coefficients ``C`` (K, D).

    ``offset`` (:math:`O`, shape (n, K), or None for 0) is a fixed term of each logit with
    coefficient one; it is added in X's compute dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout
    >>> from crossentropy.objective.softmax import logits
    >>> logits(np.array([[1.0]]), np.array([[1.0, 0.5], [2.0, 0.0], [0.0, -1.0]]), CoefLayout(1, 3, True))
    array([[ 1.5,  2. , -1. ]])
    """
    d = Xb.shape[1]
    dtype = compute_dtype(Xb)
    Z = np.asarray(Xb @ C[:, :d].T.astype(dtype)).astype(dtype, copy=False)
    if layout.fit_intercept:
        Z += C[:, d].astype(dtype)
    if offset is not None:
        Z += offset.astype(dtype, copy=False)
    return Z


def row_weights(sample_weight, start, stop, dtype):
    """The weights of rows ``start:stop`` in ``dtype`` (ones when ``sample_weight`` is None).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective.softmax import row_weights
    >>> row_weights(None, 2, 4, np.float32), row_weights(np.arange(5.0), 2, 4, np.float64)
    (array([1., 1.], dtype=float32), array([2., 3.]))
    """
    if sample_weight is None:
        return np.ones(stop - start, dtype=dtype)
    return sample_weight[start:stop].astype(dtype, copy=False)


def data_terms(X, y, sample_weight, coef, layout, need, cache=None, offset=None):
    r"""Softmax case of :func:`crossentropy.objective.data_terms`, computed in row blocks.

    Memory is bounded by ``BLOCK_ELEMENTS`` (rows × classes) besides the outputs. This is the one
    place where the softmax data term is evaluated. If ``cache`` is a list, the pair :math:`(P, sP)`
    of each block (probabilities and weighted probabilities) is appended to it (for later
    Hessian-vector products). ``offset``: the rows' logit offsets, shape (n, K), or None. Without an
    offset, a loss and gradient on dense X come from the blocked linear engine
    (:mod:`crossentropy._kernels.linear_engine`); that engine forms the logits itself and has no
    offset term, so with an offset the NumPy row blocks below compute them.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout
    >>> from crossentropy.objective.softmax import data_terms
    >>> t = data_terms(np.zeros((2, 1)), np.array([0, 2]), None, np.zeros(6), CoefLayout(1, 3, True), {"loss"})
    >>> round(t.loss, 6)   # 2 log 3
    2.197225
    """
    n, d = X.shape
    K = layout.n_classes
    D = layout.n_cols
    C = coef.reshape(layout.shape)
    want_grad = "grad" in need
    if cache is None and "hess" not in need and not sparse.issparse(X) and offset is None:
        from .._kernels.linear_engine import softmax_data_sums

        loss, grad = softmax_data_sums(X, y, sample_weight, C, layout.fit_intercept, want_grad)
        return DataTerms(loss if "loss" in need else None, grad, None)
    loss = 0.0
    grad = np.zeros((K, D)) if want_grad else None
    hess = np.zeros((K * D, K * D)) if "hess" in need else None
    step = block_rows(n, K)
    for start in range(0, n, step):
        stop = min(n, start + step)
        Xb = X[start:stop]
        Z = logits(Xb, C, layout, rows_offset(offset, start, stop))
        s = row_weights(sample_weight, start, stop, Z.dtype)
        yb = y[start:stop]
        row_loss, G = _rows.hard_rows(Z, yb, s, None, 0.0, want_grad or cache is not None or hess is not None,
                                      fused=Z.size >= FUSED_MIN_ELEMENTS)
        loss += float(np.sum(row_loss, dtype=np.float64))
        if want_grad:
            grad[:, :d] += np.asarray(G.T @ Xb) if not sparse.issparse(Xb) else (Xb.T @ G).T
            if layout.fit_intercept:
                grad[:, d] += G.sum(axis=0, dtype=np.float64)
        if cache is not None or hess is not None:
            sP = G  # G = s (P - Y), already used for the gradient: recover s P in place, no second exp
            sP[np.arange(stop - start), yb] += s
            if cache is not None:
                cache.append((sP if sample_weight is None else probabilities(sP, s), sP))
            if hess is not None:
                _hess_block(Xb, sP, s, layout, hess)
    return DataTerms(loss if "loss" in need else None, None if grad is None else grad.ravel(), hess)


def probabilities(sP, s):
    """P from s P (rows with s = 0 get P = 0; they contribute nothing to any Hessian term).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective.softmax import probabilities
    >>> probabilities(np.array([[1.0, 1.0], [0.0, 0.0]]), np.array([2.0, 0.0]))
    array([[0.5, 0.5],
           [0. , 0. ]])
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(s[:, None] > 0, sP / s[:, None], 0).astype(sP.dtype, copy=False)


def _hess_block(Xb, sP, s, layout, out):
    r"""Add :math:`\sum_i s_i (\mathrm{diag}(p_i) - p_i p_i^\top) \otimes x_i x_i^\top` of one block to ``out``."""
    K = sP.shape[1]
    D = layout.n_cols
    fit_intercept = layout.fit_intercept
    P = probabilities(sP, s)
    H4 = out.reshape(K, D, K, D)
    for k in range(K):  # block diagonal: X_a^T diag(s p_k) X_a
        H4[k, :, k, :] += gram(Xb, sP[:, k].astype(np.float64), fit_intercept)
    if sparse.issparse(Xb):
        for k in range(K):
            for m in range(k, K):
                blk = gram(Xb, -(sP[:, k] * P[:, m]).astype(np.float64), fit_intercept)
                H4[k, :, m, :] += blk
                if m != k:
                    H4[m, :, k, :] += blk.T
        return
    # minus sum_i s_i (p_i ⊗ x_i)(p_i ⊗ x_i)^T as one SYRK on rows q_i = sqrt(s_i) p_i ⊗ [x_i, 1]
    step = block_rows(Xb.shape[0], K, D)
    for a in range(0, Xb.shape[0], step):
        b = min(Xb.shape[0], a + step)
        Xa = Xb[a:b] if not fit_intercept else np.hstack([Xb[a:b], np.ones((b - a, 1), Xb.dtype)])
        Q = (np.sqrt(s[a:b])[:, None] * P[a:b])[:, :, None] * Xa[:, None, :]
        Q = Q.reshape(b - a, K * D)
        syrk = blas.get_blas_funcs("syrk", (Q,))
        up = syrk(1.0, Q.T, trans=0, lower=0)
        out -= np.triu(up) + np.triu(up, 1).T


def hessp_block(Xb, P, sP, V, layout):
    r"""One block of :math:`H v`: with :math:`U = X V_w^\top + v_b`, :math:`T = sP \odot (U - \langle P, U\rangle)`.

    Returns :math:`T^\top \tilde X`, shape (K, D) like ``V``.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout
    >>> from crossentropy.objective.softmax import hessp_block
    >>> P = np.full((1, 3), 1 / 3); V = np.array([[1.0], [0.0], [0.0]])
    >>> hessp_block(np.ones((1, 1)), P, P, V, CoefLayout(1, 3, False)).round(4)   # (diag(p) - p p^T) e_0
    array([[ 0.2222],
           [-0.1111],
           [-0.1111]])
    """
    d = Xb.shape[1]
    U = logits(Xb, V, layout)
    T = (sP * (U - np.einsum("ij,ij->i", P, U)[:, None])).astype(U.dtype, copy=False)
    out = np.zeros_like(V)
    out[:, :d] = np.asarray(T.T @ Xb) if not sparse.issparse(Xb) else (Xb.T @ T).T
    if layout.fit_intercept:
        out[:, d] = T.sum(axis=0, dtype=np.float64)
    return out


def hessp(X, y, sample_weight, coef, v, layout, offset=None):
    """Softmax case of :func:`crossentropy.objective.hessp_terms` (two passes per row block; ``offset``
    the rows' logit offsets, shape (n, K), or None).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout
    >>> from crossentropy.objective.softmax import hessp
    >>> v = np.array([1.0, 0.0, 0.0])
    >>> hessp(np.ones((1, 1)), np.array([0]), None, np.zeros(3), v, CoefLayout(1, 3, False)).round(4)
    array([ 0.2222, -0.1111, -0.1111])
    """
    n = X.shape[0]
    V = v.reshape(layout.shape)
    cache = []
    out = np.zeros(layout.shape)
    step = block_rows(n, layout.n_classes)
    for start in range(0, n, step):
        stop = min(n, start + step)
        Xb = X[start:stop]
        cache.clear()
        data_terms(Xb, y[start:stop], None if sample_weight is None else sample_weight[start:stop], coef,
                   layout, (), cache=cache, offset=rows_offset(offset, start, stop))
        out += hessp_block(Xb, *cache[0], V, layout)
    return out.ravel()
