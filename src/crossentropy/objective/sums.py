r"""What the binary and the softmax data terms share: the :class:`DataTerms` record, the working dtype
of X and the weighted Gram matrix :math:`X_a^\top \mathrm{diag}(h) X_a`."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from scipy import sparse
from scipy.linalg import blas

from .._blas import row_threads, split_rows

__all__ = ["DataTerms", "GRAM_BLOCK_BYTES", "compute_dtype", "gram"]

#: Bytes of the scaled row block of the Gram products (its buffer is all the memory a dense Gram adds
#: besides the result): 512 kB, 655 float64 or 1,310 float32 rows of 100 columns, enough for SYRK's
#: speed and small beside an n-vector of a large fit.
GRAM_BLOCK_BYTES = 1 << 19

DataTerms = namedtuple("DataTerms", ["loss", "grad", "hess"])
DataTerms.__doc__ = """Unpenalised, unscaled sums over a block of rows: loss (float), grad (n_coef,), hess (n_coef, n_coef).

Entries not asked for are None."""


def compute_dtype(X):
    """The dtype the products with X run in: X's own when float32 or float64, else float64.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective.sums import compute_dtype
    >>> compute_dtype(np.zeros((2, 2), np.float32)), compute_dtype(np.zeros((2, 2), np.int64))
    (dtype('float32'), dtype('float64'))
    """
    return X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)


def gram(X, h, fit_intercept):
    r"""Return :math:`X_a^\top \mathrm{diag}(h)\,X_a` with :math:`X_a = [X, 1]` (or X), as float64.

    Dense X: row blocks of ``GRAM_BLOCK_BYTES`` bytes are scaled into a reused buffer and
    multiplied by BLAS GEMM, so X is read once and no n×d temporary is allocated; the blocks are
    summed in float64 (also when X is float32, whose products are then exact to float32 rounding per
    block only).

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n, d), or a design read in blocks
        A design read in blocks (such as :class:`crossentropy._terms.CodedDesign`) has ``shape``,
        ``dtype`` and ``fill_rows(a, b, out, row_scale)``, which writes its rows a..b (each times its
        factor in ``row_scale``) into ``out``; it is never
        formed whole (``fit_intercept`` must then be False).
    h : ndarray of shape (n,)
        Row weights.
    fit_intercept : bool
        Append the column of ones (the result is then (d + 1, d + 1)).

    Returns
    -------
    ndarray of shape (d + fit_intercept, d + fit_intercept)

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective.sums import gram
    >>> gram(np.array([[1.0], [2.0]]), np.array([1.0, 0.5]), True)
    array([[3. , 2. ],
           [2. , 1.5]])

    References
    ----------
    Golub & Van Loan, *Matrix Computations* (2013), §1.1 (the weighted normal-equations matrix).
    """
    n, d = X.shape
    if fit_intercept and not (isinstance(X, np.ndarray) or sparse.issparse(X)):
        raise TypeError("gram: a design read in blocks carries its own constant column; fit_intercept must be False")
    D = d + bool(fit_intercept)
    G = np.zeros((D, D))
    if sparse.issparse(X):
        Xc = X.tocsr()
        from ._sparse_gram import csr_gram  # numba loads only for sparse X

        csr_gram(Xc.indptr, Xc.indices, Xc.data, np.asarray(h, dtype=np.float64), G)
        upper = np.triu(G[:d, :d])
        G[:d, :d] = upper + np.triu(upper, 1).T
    elif n and d:
        step = int(max(64, min(n, GRAM_BLOCK_BYTES // (max(1, d) * X.dtype.itemsize))))
        nonneg = bool(h.min() >= 0)
        # BLAS's threads divide the d x d output, too thin to gain when a block has more rows than X
        # columns (a Gram of 200,000 x 100 took as long on two threads as on one): split the rows
        threads = row_threads(n, step) if step >= d else 1
        if threads > 1:
            total = sum(split_rows(lambda lo, hi: _gram_rows(X, h, lo, hi, step, nonneg), n, step, threads))
            G[:d, :d] = 0.5 * (total + total.T)
        elif nonneg:  # SYRK on sqrt(h) X: half the flops of the product, the upper triangle only
            buf = np.empty((min(step, n), d), dtype=X.dtype)
            syrk = blas.dsyrk if X.dtype == np.float64 else blas.ssyrk
            acc = np.zeros((d, d), dtype=X.dtype, order="F")
            for a in range(0, n, step):
                b = min(n, a + step)
                out = _scaled_rows(X, np.sqrt(h[a:b]), a, b, buf)
                if X.dtype == np.float64:  # accumulate in place
                    acc = syrk(1.0, out.T, beta=1.0, c=acc, lower=0, overwrite_c=1)
                else:  # a float32 block, summed in float64
                    G[:d, :d] += syrk(1.0, out.T, lower=0)
            if X.dtype == np.float64:
                G[:d, :d] = acc
            upper = np.triu(G[:d, :d])
            G[:d, :d] = upper + np.triu(upper, 1).T
        else:
            G[:d, :d] = _gram_rows(X, h, 0, n, step, False)
            G[:d, :d] = 0.5 * (G[:d, :d] + G[:d, :d].T)
    if fit_intercept:
        G[:d, d] = G[d, :d] = np.asarray(X.T @ h.astype(X.dtype, copy=False), dtype=np.float64)
        G[d, d] = h.sum(dtype=np.float64)
    return G


def _gram_rows(X, h, lo, hi, step, nonneg):
    r""":math:`X_{lo:hi}^\top \mathrm{diag}(h_{lo:hi}) X_{lo:hi}` over row blocks of ``step``, float64, full.

    NumPy's products (which release the GIL, unlike SciPy's BLAS wrappers): ``A.T @ A`` of the scaled
    block is a SYRK; with negative weights the block of X times its scaled copy is a GEMM.
    """
    d = X.shape[1]
    buf = np.empty((min(step, hi - lo), d), dtype=X.dtype)
    acc = np.zeros((d, d))
    hx = None if nonneg else h.astype(X.dtype, copy=False)
    rows = None if isinstance(X, np.ndarray) else np.empty_like(buf)
    for a in range(lo, hi, step):
        b = min(hi, a + step)
        if nonneg:
            out = _scaled_rows(X, np.sqrt(h[a:b]), a, b, buf)
            acc += out.T @ out
        else:
            Xb = X[a:b] if rows is None else X.fill_rows(a, b, rows[: b - a])
            out = np.multiply(Xb, hx[a:b, None], out=buf[: b - a])
            acc += Xb.T @ out
    return acc


def _scaled_rows(X, scale, a, b, buf):
    """Rows a..b of X times ``scale`` (per row) in ``buf[: b - a]``, in X's dtype (a design read in
    blocks forms them there)."""
    out = buf[: b - a]
    if isinstance(X, np.ndarray):
        # the block's square roots only: no n-vector besides h (cast to X's dtype on the way out)
        return np.multiply(X[a:b], scale[:, None], out=out, casting="same_kind")
    return X.fill_rows(a, b, out, scale)

