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
from scipy import linalg
from scipy.linalg import blas

from . import special
from .losses import _rows
from .losses.binary import binary_cross_entropy_with_logits

__all__ = ["DataTerms", "data_terms", "hessp_terms", "penalty_terms", "LinearObjective", "n_coef"]

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
        from ._kernels.linear_engine import softmax_data_sums

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


def _robust_cho(B):
    """Cholesky factor of a symmetric positive semi-definite B, adding a growing ridge if needed."""
    ridge = 0.0
    scale = max(float(np.trace(B)) / B.shape[0], np.finfo(float).tiny)
    for _ in range(12):
        try:
            return linalg.cho_factor(B + ridge * np.eye(B.shape[0]), lower=False, check_finite=False)
        except linalg.LinAlgError:
            ridge = scale * (1e-12 if ridge == 0 else 100 * ridge / scale)
    return linalg.cho_factor(B + scale * np.eye(B.shape[0]), lower=False, check_finite=False)


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


# ------------------------------------------------------------------------------ in-memory objective


class LinearObjective:
    r"""The whole in-memory objective: scaled data term plus the l2 penalty (and the l1 strength).

    .. math::
        J(\theta) = c \sum_i s_i\,\ell_i(\theta) + \tfrac{\lambda_2}{2}\lVert w\rVert^2
                    \;[+\; \lambda_1 \lVert w\rVert_1]

    The smooth part (everything but the l1 term) is what ``loss``, ``loss_gradient``, ``hessian`` and
    ``hessp`` return; the l1 term is ``nonsmooth(coef)`` and is handled by the proximal solvers
    through ``l1`` and ``penalized``. The objects solvers receive need only this protocol
    (``crossentropy.solvers._base.Objective``); the Dask objective provides the same.

    Parameters
    ----------
    X : ndarray or scipy.sparse CSR matrix of shape (n, d), float32 or float64
    y : ndarray of shape (n,)
        Labels encoded as ``0 .. n_classes - 1``.
    sample_weight : ndarray of shape (n,) or None
    n_classes : int
    fit_intercept : bool, default True
    scale : float, default 1.0
        :math:`c`; scikit-learn's objective is ``scale = 1 / sum(sample_weight)``.
    l2, l1 : float, default 0.0
        :math:`\lambda_2, \lambda_1`.
    hessian_dtype : {"auto", "float32", "float64"}, default "auto"
        Precision of X in Hessians and Hessian-vector products (never in the loss or gradient, so the
        minimiser is unchanged; only the Newton direction is rounded). "auto" keeps a float32 copy of
        a large dense float64 X (at least 2 million entries): half the memory traffic for the
        second-order terms, at the cost of that copy.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import LinearObjective
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> obj = LinearObjective(X, y, n_classes=2, scale=1 / 4, l2=0.25)
    >>> f, g = obj.loss_gradient(np.array([1.0, -1.5]))
    >>> round(f, 6), g.round(4)
    (0.462745, array([0.0188, 0.    ]))

    References
    ----------
    scikit-learn, ``sklearn/linear_model/_linear_loss.py`` (``LinearModelLoss``), the same objective.
    """

    def __init__(self, X, y, sample_weight=None, *, n_classes, fit_intercept=True, scale=1.0, l2=0.0, l1=0.0,
                 hessian_dtype="auto"):
        self.X = X
        self.y = np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self.n_samples, self.n_features = X.shape
        self.n_classes = int(n_classes)
        self.fit_intercept = bool(fit_intercept)
        self.scale, self.l2, self.l1 = float(scale), float(l2), float(l1)
        self.n_coef = n_coef(self.n_features, self.n_classes, self.fit_intercept)
        self.penalized = penalized_mask(self.n_features, self.n_classes, self.fit_intercept)
        self.dtype = _dense_or_sparse_dtype(X)
        if self.n_classes == 2:  # float labels once, not at every evaluation
            self.y = self.y.astype(self.dtype)
        if hessian_dtype not in ("auto", "float32", "float64"):
            raise ValueError(f"hessian_dtype must be 'auto', 'float32' or 'float64', got {hessian_dtype!r}")
        low = self.dtype == np.float64 and (
            hessian_dtype == "float32"
            or (hessian_dtype == "auto" and not sparse.issparse(X) and X.shape[0] * X.shape[1] >= 2_000_000)
        )
        # X for the second-order terms: float32 when low, with the column of ones appended when a copy
        # is made anyway or X is small (the intercept is then one more column: no separate sums)
        n, d = X.shape
        aug = self.fit_intercept and not sparse.issparse(X) and (low or n * (d + 1) <= (1 << 20))
        if low or aug:
            self._Xh = np.empty((n, d + aug), dtype=np.float32 if low else X.dtype)
            self._Xh[:, :d] = X
            if aug:
                self._Xh[:, d] = 1
        else:
            self._Xh = X
        self._h_fi = self.fit_intercept and not aug
        self._G = None
        self._penalized_f = self.penalized.astype(np.float64)
        self._G_factor = None
        self._G_eig = None
        self._key = None
        self._state = None

    # -- evaluation ---------------------------------------------------------------------------
    def _remember(self, coef, state):
        self._key = np.array(coef, dtype=np.float64, copy=True)
        self._state = state

    def _cached(self, coef):
        return self._state if self._key is not None and np.array_equal(self._key, coef) else None

    def _data(self, coef, need):
        X, y, sw = self.X, self.y, self.sample_weight
        if self.n_classes == 2:
            z = _binary_logits(X, coef, self.fit_intercept)
            self._remember(coef, ("z", z))
            return _binary_data_terms(X, y, sw, coef, self.fit_intercept, need, z=z)
        cache = [] if self.n_samples * self.n_classes <= CACHE_ELEMENTS and "grad" in need else None
        out = _softmax_data_terms(X, y, sw, coef, self.n_classes, self.fit_intercept, need, cache=cache)
        if cache is not None:
            dt = self._Xh.dtype
            low = [(sP.astype(dt, copy=False), P, sP) for P, sP in cache]
            self._remember(coef, ("sP", [(s32 if P is sP else P.astype(dt, copy=False), s32) for s32, P, sP in low]))
        return out

    def _penalty(self, coef):
        return penalty_terms(coef, l2=self.l2, n_features=self.n_features, n_classes=self.n_classes,
                             fit_intercept=self.fit_intercept)

    def loss(self, coef):
        """Smooth objective value at ``coef`` (float)."""
        t = self._data(coef, frozenset(["loss"]))
        return self.scale * t.loss + self._penalty(coef)[0]

    def loss_gradient(self, coef):
        """Smooth objective value and gradient ``(float, ndarray (n_coef,))``."""
        t = self._data(coef, frozenset(["loss", "grad"]))
        pv, pg, _ = self._penalty(coef)
        return self.scale * t.loss + pv, self.scale * t.grad + pg

    def loss_gradient_hessian(self, coef):
        """Value, gradient and full Hessian ``(n_coef, n_coef)`` of the smooth objective, in one pass."""
        if self.n_classes == 2:
            t = self._data(coef, frozenset(["loss", "grad"]))
            H = self._data_hessian_binary(coef)
        else:
            t = self._data(coef, frozenset(["loss", "grad", "hess"]))
            H = t.hess
        pv, pg, ph = self._penalty(coef)
        H *= self.scale
        H[np.diag_indices_from(H)] += ph
        return self.scale * t.loss + pv, self.scale * t.grad + pg, H

    def hessian(self, coef):
        """Full Hessian of the smooth objective, ndarray of shape (n_coef, n_coef)."""
        if self.n_classes == 2:
            H = self._data_hessian_binary(coef)
        else:
            H = _softmax_data_terms(self.X, self.y, self.sample_weight, coef, self.n_classes, self.fit_intercept,
                                    frozenset(["hess"])).hess
        H *= self.scale
        H[np.diag_indices_from(H)] += self._penalty(coef)[2]
        return H

    def subsample(self, rows):
        """The same objective on the rows ``rows``, rescaled by n/len(rows) so it estimates this one.

        Solvers use it for a cheap warm start on large data (the penalty keeps its weight).
        """
        rows = np.sort(np.asarray(rows))
        sw = None if self.sample_weight is None else self.sample_weight[rows]
        y = self.y[rows] if self.n_classes > 2 else self.y[rows].astype(np.intp)
        sub = LinearObjective(self.X[rows], y, sw, n_classes=self.n_classes, fit_intercept=self.fit_intercept,
                              scale=self.scale * self.n_samples / max(1, rows.size), l2=self.l2, l1=self.l1)
        if self.n_classes > 2 and not sparse.issparse(self.X):
            sub._G = self._input_gram()
        return sub

    def _data_hessian_binary(self, coef):
        return _gram(self._Xh, self._binary_weights(coef), self._h_fi)

    def _binary_weights(self, coef):
        """Hessian weights :math:`s_i p_i (1 - p_i)` at ``coef``, from the cache when it holds them."""
        st = self._cached(coef)
        if st is None:
            return _binary_hess_weights(_binary_logits(self.X, coef, self.fit_intercept), self.sample_weight)
        if st[0] == "z":  # turn the cached logits into Hessian weights once
            st = ("h", _binary_hess_weights(st[1], self.sample_weight))
            self._state = st
        return st[1]

    def hessp(self, coef, v):
        """Hessian-vector product of the smooth objective (reuses the last evaluation at ``coef``)."""
        st = self._cached(coef)
        X, sw, fi = self._Xh, self.sample_weight, self._h_fi
        if st is None:
            hv = hessp_terms(X, self.y, sw, coef, v, n_classes=self.n_classes, fit_intercept=fi)
        elif self.n_classes == 2:
            hv = _binary_hessp(X, self._binary_weights(coef), v, fi)
        else:
            V = v.reshape(self.n_classes, -1)
            hv = np.zeros_like(V)
            start = 0
            # sub-blocks of about 2 MB of X, so the second product reads the rows the first just read
            rows = 1 << 21 if sparse.issparse(X) else max(1024, (1 << 21) // (X.shape[1] * X.dtype.itemsize))
            for P, sP in st[1]:
                for a in range(0, sP.shape[0], rows):
                    b = min(sP.shape[0], a + rows)
                    hv += _softmax_hessp_block(X[start + a:start + b], P[a:b], sP[a:b], V, fi)
                start += sP.shape[0]
            hv = hv.ravel()
        return self.scale * hv + self.l2 * (v * self._penalized_f)

    def hessian_diag(self, coef):
        r"""Diagonal of the Hessian of the smooth objective, :math:`c\sum_i s_i\,p_{ik}(1-p_{ik})\,\tilde x_{ij}^2 + \lambda_2`.

        One pass over the rows (in blocks), for diagonal preconditioning.
        """
        X, sw, fi = self.X, self.sample_weight, self.fit_intercept
        n, d = X.shape
        K = 1 if self.n_classes == 2 else self.n_classes
        out = np.zeros((K, d + fi))
        step = _block_rows(n, max(K, d))
        for a in range(0, n, step):
            b = min(n, a + step)
            Xb = X[a:b]
            if self.n_classes == 2:
                W = _binary_hess_weights(_binary_logits(Xb, coef, fi), None if sw is None else sw[a:b])[:, None]
            else:
                W = special.softmax(_softmax_logits(Xb, coef.reshape(K, -1), fi), axis=1)
                W = W * (1 - W) * _row_weights(sw, a, b, W.dtype)[:, None]
            X2 = Xb.multiply(Xb) if sparse.issparse(Xb) else Xb * Xb
            out[:, :d] += np.asarray(X2.T @ W, dtype=np.float64).T
            if fi:
                out[:, d] += W.sum(axis=0, dtype=np.float64)
        return self.scale * out.ravel() + self.l2 * self.penalized

    def _input_gram(self):
        """:math:`G = \\sum_i s_i \\tilde x_i \\tilde x_i^\\top / \\sum_i s_i` from at most 50,000 random rows (cached)."""
        if self._G is None:
            n = self.n_samples
            rows = None if n <= 50_000 else np.sort(np.random.default_rng(0).choice(n, 50_000, replace=False))
            Xr = self._Xh if rows is None else self._Xh[rows]
            sw = np.ones(Xr.shape[0]) if self.sample_weight is None else self.sample_weight
            sw = sw if rows is None or self.sample_weight is None else sw[rows]
            self._G = _gram(Xr, sw, self._h_fi) / max(float(sw.sum()), np.finfo(float).tiny)
        return self._G

    def preconditioner(self, coef):
        r"""Kronecker-factored approximation of the softmax Hessian, as a function :math:`v \mapsto M^{-1} v`.

        .. math::
            \nabla^2 f \approx M = A \otimes G + \lambda_2 (I_K \otimes E), \qquad
            A = c \sum_i s_i (\mathrm{diag}(p_i) - p_i p_i^\top), \quad G = \frac{\sum_i s_i \tilde x_i \tilde x_i^\top}{\sum_i s_i}

        (:math:`E` the identity without the intercept entry), the K-FAC approximation of a linear
        layer. With :math:`A = U \mathrm{diag}(a) U^\top` and :math:`G = V \mathrm{diag}(g) V^\top`
        (once per fit), :math:`M^{-1}` is a division by :math:`a_k g_j + \lambda_2` between the two
        rotations (the intercept is treated as penalised there); the objective's null space is
        projected out. Costs :math:`O(n K^2)` per Newton step plus one D×D Gram and eigendecomposition
        per fit; for two classes one Cholesky factor of :math:`G + (\lambda_2/a_0) E` per fit.
        For two classes :math:`A` is the scalar :math:`c\sum_i s_i p_i(1-p_i)`. Returns None for
        sparse X, when the K factorisations would cost more than about :math:`3\cdot 10^{10}`
        flops (:math:`K D^3 / 3`), or without a cached evaluation at ``coef``.

        References
        ----------
        Martens & Grosse, *Optimizing neural networks with Kronecker-factored approximate curvature*,
        ICML 2015.
        """
        D = self.n_features + self.fit_intercept
        k_eff = 1 if self.n_classes == 2 else self.n_classes
        if sparse.issparse(self.X) or k_eff * D**3 > 1e11:
            return None
        st = self._cached(coef)
        if st is None:
            return None
        if self.n_classes == 2:  # K = 1: A is the scalar c * sum_i s_i p_i (1 - p_i)
            A = np.array([[float(np.sum(self._binary_weights(coef), dtype=np.float64))]])
        else:
            K = self.n_classes
            A = np.zeros((K, K))
            for P, sP in st[1]:
                A += np.diag(sP.sum(axis=0, dtype=np.float64)) - np.asarray(sP.T @ P, dtype=np.float64)
        if self.n_classes == 2:
            # M = a (G + (l2/a0) E): factorised once per fit at the first a0, rescaled by 1/a afterwards
            a = self.scale * float(A[0, 0])
            if self._G_factor is None:
                E = np.diag(self.penalized[:D].astype(np.float64))
                self._G_factor = (_robust_cho(self._input_gram() + (self.l2 / max(a, 1e-300)) * E), a)
            factor, _ = self._G_factor
            inv_a = 1.0 / max(a, np.finfo(float).tiny)
            return lambda v: inv_a * linalg.cho_solve(factor, v, check_finite=False)
        a, U = linalg.eigh(self.scale * 0.5 * (A + A.T))
        a = np.maximum(a, 0.0)
        if self._G_eig is None:  # once per fit
            g, V = linalg.eigh(self._input_gram())
            self._G_eig = (np.maximum(g, 0.0), V)
        g, V = self._G_eig
        # (A ⊗ G + l2 I)^-1 in the eigenbases of A and G (the intercept is penalised here only, a
        # negligible change to a preconditioner); the null space is projected out afterwards
        denom = np.outer(a, g) + self.l2
        denom = np.maximum(denom, 1e-10 * max(float(denom.max()), np.finfo(float).tiny))

        def apply(v):
            W = (U.T @ v.reshape(K, D)) @ V
            out = (U @ (W / denom) @ V.T).ravel()
            return self.project_null(out)

        return apply

    def nonsmooth(self, coef):
        r"""The l1 term :math:`\lambda_1 \lVert w \rVert_1` (0 when ``l1 == 0``)."""
        return float(self.l1 * np.abs(coef[self.penalized]).sum()) if self.l1 else 0.0

    def _null_columns(self):
        """Columns j of the (K, D) coefficient matrix along which adding a constant over the classes
        leaves the objective unchanged (softmax only)."""
        if self.n_classes == 2:
            return []
        D = self.n_features + self.fit_intercept
        if self.l2 == 0 and self.l1 == 0:
            return list(range(D))
        return [D - 1] if self.fit_intercept else []

    def project_null(self, v):
        """``v`` without its component in :meth:`null_space` (the column means over the classes removed),
        without forming the null-space basis."""
        cols = self._null_columns()
        if not cols:
            return v
        V = v.reshape(self.n_classes, -1).copy()
        V[:, cols] -= V[:, cols].mean(axis=0)
        return V.ravel()

    def null_space(self):
        """Orthonormal directions (n_coef, m) along which the objective is constant, or None.

        Softmax only: adding the same number to every class's intercept never changes the
        probabilities; without any penalty the same holds for every feature's column of W.
        """
        cols = self._null_columns()
        if not cols:
            return None
        K, D = self.n_classes, self.n_features + self.fit_intercept
        N = np.zeros((K, D, len(cols)))
        for j, c in enumerate(cols):
            N[:, c, j] = 1 / np.sqrt(K)
        return N.reshape(K * D, len(cols))

    def batch_loss_gradient(self, coef, rows):
        """Unbiased estimate of ``loss_gradient`` from the rows ``rows`` (for stochastic solvers)."""
        rows = np.asarray(rows)
        sw = None if self.sample_weight is None else self.sample_weight[rows]
        t = data_terms(self.X[rows], self.y[rows], sw, coef, n_classes=self.n_classes,
                       fit_intercept=self.fit_intercept, need=("loss", "grad"))
        pv, pg, _ = self._penalty(coef)
        f = self.n_samples / max(1, rows.size) * self.scale
        return f * t.loss + pv, f * t.grad + pg
