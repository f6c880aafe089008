r"""Aliased (linearly dependent) columns of a design, found in column order as R's ``lm`` finds them.

Each column of the design (rows with positive weight, every column scaled to unit Euclidean norm)
is projected on the span of the earlier kept columns; it is aliased when the norm of its residual
is below :data:`ALIAS_TOL` (``1e-7``, the tolerance of R's ``qr`` and ``lm``), and kept otherwise.
An aliased column :math:`x_a` equals :math:`\sum_k C_{ka} x_k` over the kept columns on those rows,
so a linear predictor :math:`\sum_k \beta_k x_k + \beta_a x_a` equals
:math:`\sum_k (\beta_k + C_{ka}\beta_a)\,x_k`: the coefficients of the model without the aliased
columns (:func:`reduce_coefficients`).
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from ..objective.sums import gram

__all__ = ["ALIAS_TOL", "aliased_columns", "reduce_coefficients", "full_rank_from_weighted_gram"]

#: residual norm (relative to the column's norm) below which a column is aliased
ALIAS_TOL = 1e-7
#: smallest pivot of the Cholesky factor of the scaled Gram matrix that proves every column kept
#: without the exact check: the factor's pivots are the residual norms, and formed from the Gram
#: matrix they carry an error of about machine epsilon divided by the pivot, far below this bound
GRAM_PIVOT_SAFE = 1e-4


def aliased_columns(X, tol=ALIAS_TOL, *, gram_matrix=None):
    r"""Kept and aliased columns of ``X`` (n × q) and the combinations C of the aliased ones.

    Parameters
    ----------
    X : ndarray of shape (n, q)
        The design on the rows that count (positive weight).
    tol : float, default :data:`ALIAS_TOL`
    gram_matrix : ndarray of shape (q, q), optional
        :math:`X^\top X` when the caller has formed it (one BLAS pass saved).

    Returns
    -------
    kept, aliased : ndarray of int
        Column indices, increasing.
    C : ndarray of shape (len(kept), len(aliased))
        Least-squares coefficients of each aliased column on the kept ones.

    Examples
    --------
    >>> X = np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 3.0], [1.0, 2.0, 5.0]])   # x3 = 1 + 2 x2
    >>> kept, aliased, C = aliased_columns(X)
    >>> kept.tolist(), aliased.tolist(), C.round(12).ravel().tolist()
    ([0, 1], [2], [1.0, 2.0])

    References
    ----------
    R Core Team, ``?qr`` (LINPACK ``dqrdc2``, limited column pivoting, ``tol = 1e-07``) and ``?lm``
    (``singular.ok``: aliased coefficients are ``NA``).
    """
    X = np.asarray(X, dtype=np.float64)
    n, q = X.shape
    G = gram(X, np.ones(n), False) if gram_matrix is None else gram_matrix  # one BLAS pass; the pivots of its Cholesky factor are the residual norms
    norms = np.sqrt(np.maximum(np.diag(G), 0.0))
    nonzero = norms > 0
    if nonzero.all() and n >= q:
        try:
            L = linalg.cholesky(G / np.outer(norms, norms), lower=True, check_finite=False)
        except linalg.LinAlgError:
            L = None
        if L is not None and np.all(np.diag(L) >= max(GRAM_PIVOT_SAFE, tol)):
            return np.arange(q), np.zeros(0, dtype=np.intp), np.zeros((q, 0))
    Xn = X / np.where(nonzero, norms, 1.0)  # near the tolerance: the exact check on the columns themselves
    kept, aliased = [], []
    Q = np.zeros((n, 0))
    for j in range(q):
        if not nonzero[j]:
            aliased.append(j)
            continue
        v = Xn[:, j]
        r = v - Q @ (Q.T @ v)
        r -= Q @ (Q.T @ r)  # a second Gram-Schmidt pass keeps Q orthonormal to working precision
        size = float(np.linalg.norm(r))
        if size < tol:
            aliased.append(j)
        else:
            kept.append(j)
            Q = np.column_stack([Q, r / size])
    kept, aliased = np.asarray(kept, dtype=np.intp), np.asarray(aliased, dtype=np.intp)
    C = linalg.lstsq(X[:, kept], X[:, aliased], check_finite=False)[0] if aliased.size else np.zeros((kept.size, 0))
    return kept, aliased, C


def full_rank_from_weighted_gram(G, w, tol=ALIAS_TOL) -> bool:
    r"""Whether the weighted Gram matrix :math:`G = X^\top \mathrm{diag}(w)\,X` proves that no column of X
    is aliased by :func:`aliased_columns` (the unweighted rule), without forming :math:`X^\top X`.

    The scaled residual norm of column :math:`j` on the earlier ones, :math:`r_j = \min_c \lVert x_j -
    X_{<j}c\rVert / \lVert x_j\rVert`, and its weighted counterpart :math:`r^w_j` (the pivots of the
    Cholesky factor of :math:`G` scaled to unit diagonal) satisfy :math:`r_j \ge r^w_j
    \sqrt{w_{\min}/w_{\max}}`, since :math:`w_{\min}\lVert v\rVert^2 \le \lVert v\rVert_w^2 \le
    w_{\max}\lVert v\rVert^2`. True when that lower bound is at least ``max(tol,``
    :data:`GRAM_PIVOT_SAFE` ``)`` for every column (the bound :func:`aliased_columns` itself accepts
    from a Gram matrix); False otherwise (not proven: run :func:`aliased_columns`).

    Parameters
    ----------
    G : ndarray of shape (q, q)
        The Gram matrix weighted by ``w``.
    w : ndarray of shape (n,)
        The positive weights of the rows that count (any zero or non-finite one: False).
    tol : float, default :data:`ALIAS_TOL`

    Examples
    --------
    >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    >>> w = np.array([1.0, 2.0, 2.0, 1.0])
    >>> full_rank_from_weighted_gram(X.T @ (w[:, None] * X), w)
    True
    >>> X = np.column_stack([X, 2 * X[:, 1]])   # the third column is twice the second
    >>> full_rank_from_weighted_gram(X.T @ (w[:, None] * X), w)
    False

    References
    ----------
    Golub & Van Loan, *Matrix Computations*, 4th ed. (2013), §5.2 (the Cholesky factor of the normal
    equations is the R of the QR factorisation).
    """
    w = np.asarray(w, dtype=np.float64)
    G = np.asarray(G, dtype=np.float64)
    if w.size == 0 or not (np.all(np.isfinite(w)) and w.min() > 0 and np.all(np.isfinite(G))):
        return False
    d = np.sqrt(np.diag(G))
    if not np.all(d > 0):
        return False
    try:
        L = linalg.cholesky(G / np.outer(d, d), lower=True, check_finite=False)
    except linalg.LinAlgError:
        return False
    return bool(np.min(np.diag(L)) * np.sqrt(w.min() / w.max()) >= max(GRAM_PIVOT_SAFE, tol))


def reduce_coefficients(params, kept, aliased, C) -> np.ndarray:
    r"""Coefficients of the kept columns giving the same linear predictor: :math:`\beta_K + C\beta_A`.

    ``params`` has shape (q,) or (K', q); the result (len(kept),) or (K', len(kept)).

    Examples
    --------
    >>> reduce_coefficients(np.array([0.5, 1.0, 2.0]), np.array([0, 1]), np.array([2]), np.array([[1.0], [2.0]]))
    array([2.5, 5. ])
    """
    params = np.asarray(params, dtype=np.float64)
    return params[..., kept] + params[..., aliased] @ C.T
