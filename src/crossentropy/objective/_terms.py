r"""The objective of logistic and softmax regression in terms of a flat coefficient vector.

For rows :math:`x_i \in \mathbb{R}^d`, encoded labels :math:`y_i \in \{0, \dots, K-1\}` and sample
weights :math:`s_i \ge 0`, the objective minimised by the solvers is

.. math::
    J(\theta) = c \sum_i s_i\,\ell_i(\theta) + \tfrac{\lambda_2}{2}\lVert w \rVert_2^2
                + \lambda_1 \lVert w \rVert_1

with :math:`c` a constant scale, :math:`w` the coefficients without the intercepts (the intercepts are
never penalised) and :math:`\ell_i` the cross-entropy of row :math:`i`: the binary log loss of the
logit :math:`z_i = w^\top x_i + b` for two classes, the softmax cross-entropy of the logits
:math:`z_i = W x_i + b \in \mathbb{R}^K` for three or more. scikit-learn's ``LogisticRegression`` with
penalty strength ``C`` is :math:`c = 1/S`, :math:`\lambda_2 = (1-\rho)/(C S)`, :math:`\lambda_1 = \rho/(C S)`
with :math:`S = \sum_i s_i` and :math:`\rho` the l1 ratio.

**Flat coefficient layout** (``coef`` is always a 1-D float64 vector):

- binary (``n_classes == 2``): ``[w_1, ..., w_d, b]`` (``b`` only when ``fit_intercept``), length
  ``d + fit_intercept``;
- softmax (``n_classes == K >= 3``): the matrix ``(K, d + fit_intercept)`` whose row ``k`` is
  ``[W_k1, ..., W_kd, b_k]``, raveled in C order (class-major), length ``K (d + fit_intercept)``. This
  is the symmetric (over-complete) parameterisation of scikit-learn: adding the same vector to every
  row leaves the probabilities unchanged.

The losses themselves come from the core: the binary loss from
:func:`crossentropy.losses.binary_cross_entropy_with_logits`, the softmax loss from the row kernel
:func:`crossentropy.losses._rows.hard_rows`. This module only lifts them to the coefficients.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from scipy import sparse
from scipy.linalg import blas

from .. import special
from ..losses import _rows
from ..losses.binary import binary_cross_entropy_with_logits

__all__ = ["DataTerms", "data_terms", "hessp_terms", "penalty_terms", "penalized_mask", "n_coef"]

#: Upper bound on the number of (row × class) entries held at once by the softmax data term.
BLOCK_ELEMENTS = 1 << 22
#: Smallest block of logits sent to the fused (multi-threaded numba) row kernel; smaller blocks take
#: the NumPy reference path, whose cost has no thread start-up in it.
FUSED_MIN_ELEMENTS = 1 << 16
#: Entries of X per row block of the Gram products (few, large BLAS calls: robust to busy threads).
GRAM_BLOCK_ELEMENTS = 1 << 21
#: Largest (row × class) array a :class:`LinearObjective` caches for Hessian-vector products.
CACHE_ELEMENTS = 1 << 25

DataTerms = namedtuple("DataTerms", ["loss", "grad", "hess"])
DataTerms.__doc__ = """Unpenalised, unscaled sums over a block of rows: loss (float), grad (n_coef,), hess (n_coef, n_coef).

Entries not asked for are None."""


def n_coef(n_features, n_classes, fit_intercept):
    """Length of the flat coefficient vector: ``(d + fit_intercept)`` times 1 (binary) or K (softmax).

    Examples
    --------
    >>> from crossentropy.objective import n_coef
    >>> n_coef(4, 2, True), n_coef(4, 3, True)
    (5, 15)
    """
    return (int(n_features) + bool(fit_intercept)) * (1 if n_classes == 2 else int(n_classes))


def _dense_or_sparse_dtype(X):
    return X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)


def _gram(X, h, fit_intercept):
    r"""Return :math:`X_a^\top \mathrm{diag}(h)\,X_a` with :math:`X_a = [X, 1]` (or X), as float64.

    Dense X: row blocks of ``GRAM_BLOCK_ELEMENTS`` entries are scaled into a reused buffer and multiplied by BLAS GEMM, so
    X is read once and no n×d temporary is allocated; the blocks are summed in float64 (also when X
    is float32, whose products are then exact to float32 rounding per block only).
    """
    n, d = X.shape
    D = d + bool(fit_intercept)
    G = np.zeros((D, D))
    if sparse.issparse(X):
        G[:d, :d] = (X.T @ sparse.diags(h.astype(X.dtype)) @ X).toarray()
    else:
        hx = h.astype(X.dtype, copy=False)
        step = int(max(64, min(n, GRAM_BLOCK_ELEMENTS // max(1, d))))
        buf = np.empty((min(step, n), d), dtype=X.dtype)
        for a in range(0, n, step):
            b = min(n, a + step)
            Xb, out = X[a:b], buf[: b - a]
            np.multiply(Xb, hx[a:b, None], out=out)
            G[:d, :d] += Xb.T @ out
        G[:d, :d] = 0.5 * (G[:d, :d] + G[:d, :d].T)
    if fit_intercept:
        G[:d, d] = G[d, :d] = np.asarray(X.T @ h.astype(X.dtype, copy=False), dtype=np.float64)
        G[d, d] = h.sum(dtype=np.float64)
    return G


# ----------------------------------------------------------------------------------------- binary


def _binary_logits(X, coef, fit_intercept):
    d = X.shape[1]
    dtype = _dense_or_sparse_dtype(X)
    z = np.asarray(X @ coef[:d].astype(dtype, copy=False)).astype(dtype, copy=False)
    if fit_intercept:
        z += dtype.type(coef[d])
    return z


def _binary_data_terms(X, y, sample_weight, coef, fit_intercept, need, z=None):
    d = X.shape[1]
    if z is None:
        z = _binary_logits(X, coef, fit_intercept)
    t = y if y.dtype == z.dtype else y.astype(z.dtype)
    loss = grad = hess = None
    if "loss" in need or "grad" in need:
        res = binary_cross_entropy_with_logits(z, t, weight=sample_weight, reduction="sum", return_grad="grad" in need)
        loss, r = res if "grad" in need else (res, None)
        loss = float(loss)
        if r is not None:
            grad = np.empty(d + bool(fit_intercept))
            grad[:d] = X.T @ r
            if fit_intercept:
                grad[d] = r.sum(dtype=np.float64)
    if "hess" in need:
        hess = _gram(X, _binary_hess_weights(z, sample_weight), fit_intercept)
    return DataTerms(loss if "loss" in need else None, grad, hess)


def _binary_hess_weights(z, sample_weight):
    """:math:`s_i\\,p_i (1 - p_i)`, the second derivative of each row's weighted loss in its logit."""
    p = special.sigmoid(z)
    h = p * (1 - p)
    return h if sample_weight is None else h * sample_weight.astype(h.dtype, copy=False)


def _binary_hessp(X, h, v, fit_intercept):
    d = X.shape[1]
    u = _binary_logits(X, v, fit_intercept)
    t = h * u
    out = np.empty(d + bool(fit_intercept))
    out[:d] = X.T @ t
    if fit_intercept:
        out[d] = t.sum(dtype=np.float64)
    return out


# ---------------------------------------------------------------------------------------- softmax


def _block_rows(n_rows, n_classes, n_cols=1):
    return int(max(1, min(n_rows, BLOCK_ELEMENTS // max(1, n_classes * n_cols))))


def _softmax_logits(Xb, coef2d, fit_intercept):
    d = Xb.shape[1]
    dtype = _dense_or_sparse_dtype(Xb)
    Z = np.asarray(Xb @ coef2d[:, :d].T.astype(dtype)).astype(dtype, copy=False)
    if fit_intercept:
        Z += coef2d[:, d].astype(dtype)
    return Z


def _row_weights(sample_weight, start, stop, dtype):
    if sample_weight is None:
        return np.ones(stop - start, dtype=dtype)
    return sample_weight[start:stop].astype(dtype, copy=False)


def _softmax_data_terms(X, y, sample_weight, coef, n_classes, fit_intercept, need, cache=None):
    r"""Unpenalised sums of the softmax cross-entropy over the rows of X, computed in row blocks.

    Memory is bounded by ``BLOCK_ELEMENTS`` (rows × classes) besides the outputs. This is the one
    place where the softmax data term is evaluated; a fused kernel can replace the body of the loop
    (logits -> per-row loss and logit gradient ``G``; ``G.T @ X``) without touching anything else.
    If ``cache`` is a list, the pair :math:`(P, sP)` of each block (probabilities and weighted
    probabilities) is appended to it (for later Hessian-vector products).
    """
    n, d = X.shape
    K = int(n_classes)
    D = d + bool(fit_intercept)
    C = coef.reshape(K, D)
    want_grad = "grad" in need
    if cache is None and "hess" not in need and not sparse.issparse(X):  # blocked linear engine (issue 5)
        from .._kernels.linear_engine import softmax_data_sums

        loss, grad = softmax_data_sums(X, y, sample_weight, C, fit_intercept, want_grad)
        return DataTerms(loss if "loss" in need else None, grad, None)
    loss = 0.0
    grad = np.zeros((K, D)) if want_grad else None
    hess = np.zeros((K * D, K * D)) if "hess" in need else None
    step = _block_rows(n, K)
    for start in range(0, n, step):
        stop = min(n, start + step)
        Xb = X[start:stop]
        Z = _softmax_logits(Xb, C, fit_intercept)
        s = _row_weights(sample_weight, start, stop, Z.dtype)
        yb = y[start:stop]
        row_loss, G = _rows.hard_rows(Z, yb, s, None, 0.0, want_grad or cache is not None or hess is not None,
                                      fused=Z.size >= FUSED_MIN_ELEMENTS)
        loss += float(np.sum(row_loss, dtype=np.float64))
        if want_grad:
            grad[:, :d] += np.asarray(G.T @ Xb) if not sparse.issparse(Xb) else (Xb.T @ G).T
            if fit_intercept:
                grad[:, d] += G.sum(axis=0, dtype=np.float64)
        if cache is not None or hess is not None:
            sP = G  # G = s (P - Y), already used for the gradient: recover s P in place, no second exp
            sP[np.arange(stop - start), yb] += s
            if cache is not None:
                cache.append((sP if sample_weight is None else _probabilities(sP, s), sP))
            if hess is not None:
                _softmax_hess_block(Xb, sP, s, fit_intercept, hess)
    return DataTerms(loss if "loss" in need else None, None if grad is None else grad.ravel(), hess)


def _probabilities(sP, s):
    """P from s P (rows with s = 0 get P = 0; they contribute nothing to any Hessian term)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(s[:, None] > 0, sP / s[:, None], 0).astype(sP.dtype, copy=False)


def _softmax_hess_block(Xb, sP, s, fit_intercept, out):
    r"""Add :math:`\sum_i s_i (\mathrm{diag}(p_i) - p_i p_i^\top) \otimes x_i x_i^\top` of one block to ``out``."""
    K = sP.shape[1]
    d = Xb.shape[1]
    D = d + bool(fit_intercept)
    P = _probabilities(sP, s)
    H4 = out.reshape(K, D, K, D)
    for k in range(K):  # block diagonal: X_a^T diag(s p_k) X_a
        H4[k, :, k, :] += _gram(Xb, sP[:, k].astype(np.float64), fit_intercept)
    if sparse.issparse(Xb):
        for k in range(K):
            for m in range(k, K):
                blk = _gram(Xb, -(sP[:, k] * P[:, m]).astype(np.float64), fit_intercept)
                H4[k, :, m, :] += blk
                if m != k:
                    H4[m, :, k, :] += blk.T
        return
    # minus sum_i s_i (p_i ⊗ x_i)(p_i ⊗ x_i)^T as one SYRK on rows q_i = sqrt(s_i) p_i ⊗ [x_i, 1]
    step = _block_rows(Xb.shape[0], K, D)
    for a in range(0, Xb.shape[0], step):
        b = min(Xb.shape[0], a + step)
        Xa = Xb[a:b] if not fit_intercept else np.hstack([Xb[a:b], np.ones((b - a, 1), Xb.dtype)])
        Q = (np.sqrt(s[a:b])[:, None] * P[a:b])[:, :, None] * Xa[:, None, :]
        Q = Q.reshape(b - a, K * D)
        syrk = blas.get_blas_funcs("syrk", (Q,))
        up = syrk(1.0, Q.T, trans=0, lower=0)
        out -= np.triu(up) + np.triu(up, 1).T


def _softmax_hessp_block(Xb, P, sP, V, fit_intercept):
    r"""One block of :math:`H v`: with :math:`U = X V_w^\top + v_b`, :math:`T = sP \odot (U - \langle P, U\rangle)`."""
    d = Xb.shape[1]
    U = _softmax_logits(Xb, V, fit_intercept)
    T = (sP * (U - np.einsum("ij,ij->i", P, U)[:, None])).astype(U.dtype, copy=False)
    out = np.zeros_like(V)
    out[:, :d] = np.asarray(T.T @ Xb) if not sparse.issparse(Xb) else (Xb.T @ T).T
    if fit_intercept:
        out[:, d] = T.sum(axis=0, dtype=np.float64)
    return out


# ------------------------------------------------------------------------------------ public seams


def data_terms(X, y, sample_weight, coef, *, n_classes, fit_intercept, need=("loss", "grad")):
    r"""Unpenalised, unscaled sums of the cross-entropy over one block of rows, in the flat coefficients.

    .. math::
        L(\theta) = \sum_i s_i\,\ell_i(\theta), \qquad \nabla L, \qquad \nabla^2 L =
        \sum_i s_i\,\big(\mathrm{diag}(p_i) - p_i p_i^\top\big) \otimes \tilde x_i \tilde x_i^\top

    with :math:`\tilde x_i = [x_i, 1]` when ``fit_intercept`` (binary: :math:`\nabla^2 L = \sum_i s_i
    p_i (1-p_i)\,\tilde x_i \tilde x_i^\top`). Pure: sums over blocks of rows add up, so the same
    function serves one chunk on a Dask worker and the whole data set in memory.

    Parameters
    ----------
    X : ndarray or scipy.sparse CSR matrix of shape (n_rows, d)
        float32 or float64; float32 is kept for the matrix products.
    y : ndarray of shape (n_rows,)
        Encoded labels in ``0 .. n_classes - 1``.
    sample_weight : ndarray of shape (n_rows,) or None
        Non-negative row weights :math:`s_i` (None means 1).
    coef : ndarray of shape (n_coef,)
        Flat float64 coefficients (layout in the module docstring).
    n_classes : int
        K >= 2; 2 means the sigmoid (binary) model with one coefficient vector.
    fit_intercept : bool
    need : collection of {"loss", "grad", "hess"}, default ("loss", "grad")

    Returns
    -------
    DataTerms(loss, grad, hess)
        float, ndarray (n_coef,), ndarray (n_coef, n_coef); None for what was not asked.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import data_terms
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([0, 1, 1])
    >>> t = data_terms(X, y, None, np.zeros(2), n_classes=2, fit_intercept=True)
    >>> round(t.loss, 6), t.grad.round(3)   # 3 log 2 and X^T (1/2 - y), sum(1/2 - y)
    (2.079442, array([-1.5, -0.5]))

    References
    ----------
    Bishop, *Pattern Recognition and Machine Learning* (2006), §4.3.2 and §4.3.4.
    """
    need = frozenset(need)
    if n_classes == 2:
        return _binary_data_terms(X, y, sample_weight, coef, fit_intercept, need)
    return _softmax_data_terms(X, y, sample_weight, coef, n_classes, fit_intercept, need)


def hessp_terms(X, y, sample_weight, coef, v, *, n_classes, fit_intercept):
    r"""Hessian-vector product :math:`\nabla^2 L(\theta)\,v` of the unpenalised, unscaled loss sum on one block.

    Costs two passes over the rows (one matrix product each) and never forms the Hessian.

    Parameters
    ----------
    X, y, sample_weight, coef, n_classes, fit_intercept
        As in :func:`data_terms`.
    v : ndarray of shape (n_coef,)

    Returns
    -------
    ndarray of shape (n_coef,)

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import data_terms, hessp_terms
    >>> X = np.array([[0.0, 1.0], [1.0, -1.0], [2.0, 0.5], [1.0, 1.0]]); y = np.array([0, 1, 2, 1])
    >>> coef, v = np.linspace(-1, 1, 9), np.arange(9.0)
    >>> H = data_terms(X, y, None, coef, n_classes=3, fit_intercept=True, need=["hess"]).hess
    >>> bool(np.allclose(hessp_terms(X, y, None, coef, v, n_classes=3, fit_intercept=True), H @ v))
    True

    References
    ----------
    Pearlmutter, *Fast exact multiplication by the Hessian*, Neural Computation 6 (1994).
    """
    if n_classes == 2:
        z = _binary_logits(X, coef, fit_intercept)
        return _binary_hessp(X, _binary_hess_weights(z, sample_weight), v, fit_intercept)
    n, d = X.shape
    D = d + bool(fit_intercept)
    V = v.reshape(n_classes, D)
    cache = []
    out = np.zeros((n_classes, D))
    step = _block_rows(n, n_classes)
    for start in range(0, n, step):
        stop = min(n, start + step)
        Xb = X[start:stop]
        cache.clear()
        _softmax_data_terms(Xb, y[start:stop], None if sample_weight is None else sample_weight[start:stop], coef,
                            n_classes, fit_intercept, (), cache=cache)
        out += _softmax_hessp_block(Xb, *cache[0], V, fit_intercept)
    return out.ravel()


def penalized_mask(n_features, n_classes, fit_intercept):
    """Boolean mask of the flat coefficients that are penalised (all but the intercepts).

    Examples
    --------
    >>> from crossentropy.objective import penalized_mask
    >>> penalized_mask(2, 3, True).astype(int)
    array([1, 1, 0, 1, 1, 0, 1, 1, 0])
    """
    K = 1 if n_classes == 2 else int(n_classes)
    m = np.ones((K, int(n_features) + bool(fit_intercept)), dtype=bool)
    if fit_intercept:
        m[:, -1] = False
    return m.ravel()


def penalty_terms(coef, *, l2, n_features, n_classes, fit_intercept):
    r"""The l2 penalty :math:`\tfrac{\lambda_2}{2}\lVert w\rVert^2` on the non-intercept coefficients.

    Parameters
    ----------
    coef : ndarray of shape (n_coef,)
    l2 : float
        :math:`\lambda_2 \ge 0`.
    n_features, n_classes, fit_intercept
        The layout (see the module docstring).

    Returns
    -------
    value : float
    grad : ndarray of shape (n_coef,)
        :math:`\lambda_2 w` (0 on the intercepts).
    hess_diag : ndarray of shape (n_coef,)
        The Hessian is diagonal: :math:`\lambda_2` on the penalised entries, 0 on the intercepts.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import penalty_terms
    >>> v, g, h = penalty_terms(np.array([3.0, 4.0, 10.0]), l2=0.5, n_features=2, n_classes=2, fit_intercept=True)
    >>> v, g, h
    (6.25, array([1.5, 2. , 0. ]), array([0.5, 0.5, 0. ]))

    References
    ----------
    Hastie, Tibshirani & Friedman, *The Elements of Statistical Learning* (2009), §4.4.4.
    """
    mask = penalized_mask(n_features, n_classes, fit_intercept)
    w = np.where(mask, coef, 0.0)
    return float(0.5 * l2 * (w @ w)), l2 * w, l2 * mask.astype(np.float64)


# The in-memory objective lives in its own module (kept small); it is part of this module's API.
