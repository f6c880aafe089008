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

__all__ = ["ALIAS_TOL", "aliased_columns", "reduce_coefficients"]

#: residual norm (relative to the column's norm) below which a column is aliased
ALIAS_TOL = 1e-7
#: smallest pivot of the Cholesky factor of the scaled Gram matrix that proves every column kept
#: without the exact check: the factor's pivots are the residual norms, and formed from the Gram
#: matrix they carry an error of about machine epsilon divided by the pivot, far below this bound
GRAM_PIVOT_SAFE = 1e-4


def aliased_columns(X, tol=ALIAS_TOL):
    r"""Kept and aliased columns of ``X`` (n × q) and the combinations C of the aliased ones.

    Parameters
    ----------
    X : ndarray of shape (n, q)
        The design on the rows that count (positive weight).
    tol : float, default :data:`ALIAS_TOL`

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
    G = gram(X, np.ones(n), False)  # one BLAS pass; the pivots of its Cholesky factor are the residual norms
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
