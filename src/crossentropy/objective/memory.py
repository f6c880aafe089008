r"""The in-memory objective of logistic and softmax regression, :class:`LinearObjective`.

Re-exported by :mod:`crossentropy.objective`: the scaled data term over all rows plus the penalty,
with the caches that make Hessian-vector products cheap, the Kronecker-factored preconditioner and
the subsample used for Newton's warm start. The data terms are those of :mod:`.binary` and
:mod:`.softmax`; the data-independent part is :class:`~crossentropy.objective.LinearTerms`.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg, sparse

from .. import special
from .._validation import check_offset
from . import binary, softmax
from ._second_order import SecondOrderData
from .base import LinearTerms, resolve_hessian_dtype
from .layout import CoefLayout
from .sums import compute_dtype, gram
from .terms import data_terms, hessp_terms

__all__ = ["CACHE_ELEMENTS", "LinearObjective"]

_LOSS_GRAD = frozenset(["loss", "grad"])

#: Largest (row × class) array a :class:`LinearObjective` caches for Hessian-vector products.
CACHE_ELEMENTS = 1 << 25

#: The K-FAC preconditioner's class factor is skipped (and ``solver="auto"`` takes L-BFGS) when its
#: cost per Newton step exceeds this many gradient evaluations (with 4,296 classes on 7,500 × 2 rows
#: its :math:`nK^2 + 9K^3` flops are those of about 2,400 gradients).
CLASS_FACTOR_GRADIENTS = 20


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


class _DataCache:
    """The mutable caches of a :class:`LinearObjective` that do not depend on the penalty, shared by the
    objectives :meth:`~LinearObjective.with_penalty` builds: the last evaluation point ``key`` and what
    Hessian-vector products reuse there (``state``), the last data terms (``terms``), the Gram matrix of
    the rows and its eigendecomposition (``gram``, ``gram_eig``), sparse X's squared entries (``x2``),
    and those of :class:`~._second_order.SecondOrderData`: the Hessian's dtype (``hdtype``), X in it
    (``xh``), the last two-class data Hessian with its point (``hess``)."""

    __slots__ = ("key", "state", "terms", "gram", "gram_eig", "x2", "csc", "hdtype", "xh", "hess")

    def __init__(self):
        for name in self.__slots__:
            setattr(self, name, None)


class LinearObjective(SecondOrderData, LinearTerms):
    r"""The whole in-memory objective: scaled data term plus a penalty (by default l2 and l1).

    .. math::
        J(\theta) = c \sum_i s_i\,\ell_i(\theta) + P(\theta), \qquad
        P(\theta) = \tfrac{\lambda_2}{2}\lVert w\rVert^2 \;[+\; \lambda_1 \lVert w\rVert_1]

    with :math:`\ell_i` the cross-entropy of the logits :math:`z_i = x_i^\top\theta + o_i` (``offset``
    :math:`o_i`, 0 when None). The smooth part (everything but the penalty's non-smooth part) is what ``loss``,
    ``loss_gradient``, ``hessian`` and ``hessp`` return; the non-smooth part is ``nonsmooth(coef)``
    and the proximal solvers handle it through ``penalty`` and ``penalized``. The objects solvers receive need only this protocol
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
        :math:`\lambda_2, \lambda_1` of the default penalty (:func:`~crossentropy.objective.make_penalty`).
    penalty : Penalty, optional
        Any :class:`~crossentropy.objective.Penalty` instead of ``l2``/``l1``; fixed for the object's
        life (:meth:`with_penalty` builds the objective of another penalty on the same data).
    hessian_dtype : {"auto", "float32", "float64"}, default "auto"
        Precision of X in Hessians and Hessian-vector products (never in the loss or gradient, so the
        minimiser is unchanged; only the Newton direction is rounded). "auto" takes float32 for a
        large dense float64 X (at least 2 million entries): the two-class Hessian casts each chunk
        of X as it goes; Hessian-vector products and the softmax Hessian keep a float32 copy, made
        when first needed (half the memory traffic of the second-order terms).
    offset : array-like of shape (n,) or (n, 1) for two classes, (n, n_classes) for softmax, or None
        Fixed logit offsets, added to :math:`X\theta` with coefficient one (never fitted). Every
        evaluation uses them: the Hessian's weights, the subsample of a warm start and a minibatch
        take their rows' offsets.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import LinearObjective
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> obj = LinearObjective(X, y, n_classes=2, scale=1 / 4, l2=0.25)
    >>> f, g = obj.loss_gradient(np.array([1.0, -1.5]))
    >>> round(f, 6), g.round(4) + 0.0   # + 0.0: a rounding of -1e-17 prints as 0
    (0.462745, array([0.0188, 0.    ]))
    >>> shifted = LinearObjective(X, y, n_classes=2, scale=1 / 4, l2=0.25, offset=np.full(4, 0.5))
    >>> bool(np.isclose(shifted.loss(np.array([1.0, -2.0])), obj.loss(np.array([1.0, -1.5]))))   # o = 0.5: b - 0.5
    True

    References
    ----------
    scikit-learn, ``sklearn/linear_model/_linear_loss.py`` (``LinearModelLoss``), the same objective.
    """

    def __init__(self, X, y, sample_weight=None, *, n_classes, fit_intercept=True, scale=1.0, l2=0.0, l1=0.0,
                 penalty=None, hessian_dtype="auto", offset=None):
        self.X = X
        self.y = np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        n, d = X.shape
        super().__init__(CoefLayout(d, n_classes, fit_intercept), n, scale=scale, l2=l2, l1=l1, penalty=penalty)
        self.offset = check_offset(offset, n, self.n_classes)
        self.dtype = compute_dtype(X)
        self.is_sparse = sparse.issparse(X)
        if self.n_classes == 2:  # float labels once, not at every evaluation
            self.y = self.y.astype(self.dtype)
        resolve_hessian_dtype(hessian_dtype, self.dtype, 0)  # checks the option now; resolved on first use
        self._hessian_dtype_arg = hessian_dtype
        self._cache = _DataCache()  # shared with the objectives of with_penalty
        self._G_factor = None  # the two-class preconditioner's factor: depends on the penalty

    def _penalty_changed(self):
        self._G_factor = None

    # -- evaluation ---------------------------------------------------------------------------
    def _remember(self, coef, state):
        self._cache.key = np.array(coef, dtype=np.float64, copy=True)
        self._cache.state = state

    def _cached(self, coef):
        c = self._cache
        return c.state if c.key is not None and np.array_equal(c.key, coef) else None

    def _data(self, coef, need):
        X, y, sw, c = self.X, self.y, self.sample_weight, self._cache
        if need <= _LOSS_GRAD and c.terms is not None and np.array_equal(c.terms[0], coef):
            return c.terms[1]  # the same point again (a path's next penalty starts where the last ended)
        c.terms = None
        if self.n_classes == 2:
            if need == _LOSS_GRAD:
                out, z = binary.loss_gradient_logits(X, y, sw, coef, self.layout, self.offset)
            else:
                z = binary.logits(X, coef, self.layout, self.offset)
                out = binary.data_terms(X, y, sw, coef, self.layout, need, z=z)
            self._remember(coef, ("z", z))
        else:
            out = self._softmax_terms(coef, need)
        if need == _LOSS_GRAD:
            c.terms = (np.array(coef, dtype=np.float64, copy=True), out)
        return out

    def _softmax_terms(self, coef, need):
        X, y, sw = self.X, self.y, self.sample_weight
        cache = [] if self.n_samples * self.n_classes <= CACHE_ELEMENTS and "grad" in need else None
        out = softmax.data_terms(X, y, sw, coef, self.layout, need, cache=cache, offset=self.offset)
        if cache is not None:
            dt = self.hessian_dtype
            low = [(sP.astype(dt, copy=False), P, sP) for P, sP in cache]
            self._remember(coef, ("sP", [(s32 if P is sP else P.astype(dt, copy=False), s32) for s32, P, sP in low]))
        return out

    def loss(self, coef):
        """Smooth objective value at ``coef`` (float)."""
        t = self._data(coef, frozenset(["loss"]))
        return self.scale * t.loss + self.smooth_penalty(coef)[0]

    def loss_gradient(self, coef):
        """Smooth objective value and gradient ``(float, ndarray (n_coef,))``."""
        t = self._data(coef, frozenset(["loss", "grad"]))
        pv, pg, _ = self.smooth_penalty(coef)
        return self.scale * t.loss + pv, self.scale * t.grad + pg

    def loss_gradient_hessian(self, coef):
        """Value, gradient and full Hessian ``(n_coef, n_coef)`` of the smooth objective, in one pass."""
        if self.n_classes == 2:
            t = self._fused_terms(coef) or self._data(coef, frozenset(["loss", "grad"]))
            H = self._data_hessian_binary(coef)
        else:
            t = self._data(coef, frozenset(["loss", "grad", "hess"]))
            H = t.hess
        pv, pg, ph = self.smooth_penalty(coef)
        H *= self.scale
        H[np.diag_indices_from(H)] += ph
        return self.scale * t.loss + pv, self.scale * t.grad + pg, H

    def hessian(self, coef):
        """Full Hessian of the smooth objective, ndarray of shape (n_coef, n_coef)."""
        if self.n_classes == 2:
            H = self._data_hessian_binary(coef)
        else:
            H = softmax.data_terms(self.X, self.y, self.sample_weight, coef, self.layout, frozenset(["hess"]),
                                   offset=self.offset).hess
        H *= self.scale
        H[np.diag_indices_from(H)] += self.penalty_hessian_diag(coef)
        return H

    def subsample(self, rows):
        """The same objective on the rows ``rows``, rescaled by n/len(rows) so it estimates this one.

        Solvers use it for a cheap warm start on large data (the penalty keeps its weight); the rows
        keep their offsets. Evenly spaced rows of a dense X are taken as a strided view, not a copy.
        """
        rows = np.sort(np.asarray(rows))
        if rows.size > 1 and not self.is_sparse and rows[1] > rows[0] and np.all(np.diff(rows) == rows[1] - rows[0]):
            rows = slice(int(rows[0]), int(rows[-1]) + 1, int(rows[1] - rows[0]))
        sw = None if self.sample_weight is None else self.sample_weight[rows]
        y = self.y[rows] if self.n_classes > 2 else self.y[rows].astype(np.intp)
        sub = LinearObjective(self.X[rows], y, sw, n_classes=self.n_classes, fit_intercept=self.fit_intercept,
                              scale=self.scale * self.n_samples / max(1, y.shape[0]), penalty=self.penalty,
                              offset=None if self.offset is None else self.offset[rows])
        if self.n_classes > 2 and not sparse.issparse(self.X):
            sub._cache.gram = self._input_gram()
        return sub

    def _binary_weights(self, coef):
        """Hessian weights :math:`s_i p_i (1 - p_i)` at ``coef``, from the cache when it holds them."""
        st = self._cached(coef)
        if st is None:
            return binary.hess_weights(binary.logits(self.X, coef, self.layout, self.offset), self.sample_weight)
        if st[0] == "z":  # turn the cached logits into Hessian weights once
            st = ("h", binary.hess_weights(st[1], self.sample_weight))
            self._cache.state = st
        return st[1]

    def hessp(self, coef, v):
        """Hessian-vector product of the smooth objective (reuses the last evaluation at ``coef``)."""
        st = self._cached(coef)
        if st is None:
            hv = hessp_terms(self.X, self.y, self.sample_weight, coef, v, self.layout, offset=self.offset)
        elif self.n_classes == 2:
            h, hl = self._binary_weights(coef), self._h_layout
            if self.is_sparse:
                hv = binary.hessp(self.X, h, v, hl)
            else:
                hv = self._row_sum(lambda Xb, a, b: binary.hessp(Xb, h[a:b], v, hl), 0, self.n_samples)
        else:
            V = v.reshape(self.n_classes, -1)
            hl = self._h_layout
            hv = np.zeros_like(V)
            start = 0
            for P, sP in st[1]:
                m = sP.shape[0]
                if self.is_sparse:
                    for a in range(0, m, 1 << 21):
                        b = min(m, a + (1 << 21))
                        hv += softmax.hessp_block(self.X[start + a:start + b], P[a:b], sP[a:b], V, hl)
                else:
                    hv += self._row_sum(lambda Xb, a, b, P=P, sP=sP: softmax.hessp_block(Xb, P[a:b], sP[a:b], V, hl),
                                        start, m)
                start += m
            hv = hv.ravel()
        return self.scale * hv + self.penalty_hessian_diag(coef) * v

    def hessian_block(self, coef, idx):
        r"""Rows and columns ``idx`` (sorted) of the Hessian of the smooth objective, :math:`H_{WW}`.

        Two classes: :math:`c\,\tilde X_W^\top \mathrm{diag}(s_i p_i(1-p_i))\,\tilde X_W + \lambda_2 E_W`
        from the columns ``idx`` of X alone (:math:`n|W|^2` work instead of :math:`n p^2`: the working
        sets of l1 solvers); softmax: the block of the full Hessian.
        """
        idx = np.asarray(idx, dtype=np.intp)
        if self.n_classes != 2:
            return self.hessian(coef)[np.ix_(idx, idx)]
        d = self.n_features
        feat = idx[idx < d]
        Xw = self.X[:, feat]
        H = gram(Xw, self._binary_weights(coef), bool(idx.size and idx[-1] == d))
        H *= self.scale
        H[np.diag_indices_from(H)] += self.penalty_hessian_diag(coef)[idx]
        return H

    def hessian_weights(self, coef):
        r"""Two classes: the row weights :math:`c\,s_i p_i(1-p_i)` of the smooth data Hessian
        :math:`\tilde X^\top \mathrm{diag}(\cdot)\,\tilde X`, ndarray (n,) float64 (from the cache at ``coef``)."""
        if self.n_classes != 2:
            raise ValueError(f"hessian_weights needs two classes, got n_classes={self.n_classes}")
        return self.scale * np.asarray(self._binary_weights(coef), dtype=np.float64)

    def columns(self):
        """Sparse X in CSC form (column access for coordinate descent), made once per data set."""
        if self._cache.csc is None:
            self._cache.csc = self.X.tocsc()
        return self._cache.csc

    def _row_blocks(self, width):
        """``(a, b, X[a:b], X[a:b]**2)`` over blocks of rows of at most ``BLOCK_ELEMENTS`` entries of
        ``width`` per row (dense: of ``max(width, d)``); sparse X's squared entries are kept for the fit."""
        X = self.X
        n, d = X.shape
        sp = sparse.issparse(X)
        step = softmax.block_rows(n, width if sp else max(width, d))  # sparse: the blocks' width, not d
        if sp and self._cache.x2 is None:
            self._cache.x2 = X.multiply(X).tocsr()  # once per data set: the squares of X's entries
        for a in range(0, n, step):
            b = min(n, a + step)
            whole = a == 0 and b == n  # a slice of a sparse matrix copies it
            Xb = X if whole else X[a:b]
            yield a, b, Xb, ((self._cache.x2 if whole else self._cache.x2[a:b]) if sp else Xb * Xb)

    def hessian_diag(self, coef):
        r"""Diagonal of the Hessian of the smooth objective, :math:`c\sum_i s_i\,p_{ik}(1-p_{ik})\,\tilde x_{ij}^2 + \lambda_2`.

        One pass over the rows (in blocks), for diagonal preconditioning.
        """
        sw, fi, off = self.sample_weight, self.fit_intercept, self.offset
        d = self.n_features
        K = 1 if self.n_classes == 2 else self.n_classes
        out = np.zeros((K, d + fi))
        for a, b, Xb, X2 in self._row_blocks(K):
            if self.n_classes == 2:
                z = binary.logits(Xb, coef, self.layout, softmax.rows_offset(off, a, b))
                W = binary.hess_weights(z, None if sw is None else sw[a:b])[:, None]
            else:
                W = special.softmax(softmax.logits(Xb, coef.reshape(K, -1), self.layout, softmax.rows_offset(off, a, b)),
                                    axis=1)
                W = W * (1 - W) * softmax.row_weights(sw, a, b, W.dtype)[:, None]
            out[:, :d] += np.asarray(X2.T @ W, dtype=np.float64).T
            if fi:
                out[:, d] += W.sum(axis=0, dtype=np.float64)
        return self.scale * out.ravel() + self.penalty_hessian_diag(coef)

    def hessian_class_blocks(self, coef):
        r"""The Hessian's K×K blocks over the classes of each input column (softmax), shape (D, K, K).

        .. math::
            B_j = c\sum_i s_i\,\tilde x_{ij}^2\,(\mathrm{diag}(p_i) - p_i p_i^\top) + \lambda_2 [j\ \text{penalised}]\, I_K

        (:math:`D = d` + the intercept's column of ones): the Hessian without the couplings between two
        different columns, which on sparse text-like data are rare. One pass over the rows, in blocks of
        at most ``BLOCK_ELEMENTS`` (row, class, class) entries; :math:`O(\mathrm{nnz}\,K^2)`, about
        :math:`K/4` Hessian-vector products. Returns None for two classes.
        """
        if self.n_classes == 2:
            return None
        sw, fi = self.sample_weight, self.fit_intercept
        d, K = self.n_features, self.n_classes
        diag, outer = np.zeros((d + fi, K)), np.zeros((d + fi, K * K))
        C = coef.reshape(K, -1)
        for a, b, Xb, X2 in self._row_blocks(K * K):
            Z = softmax.logits(Xb, C, self.layout, softmax.rows_offset(self.offset, a, b))
            P = special.softmax(Z, axis=1).astype(np.float64, copy=False)
            sP = P * softmax.row_weights(sw, a, b, np.float64)[:, None]
            Q = (sP[:, :, None] * P[:, None, :]).reshape(b - a, K * K)
            diag[:d] += np.asarray(X2.T @ sP, dtype=np.float64)
            outer[:d] += np.asarray(X2.T @ Q, dtype=np.float64)
            if fi:
                diag[d] += sP.sum(axis=0)
                outer[d] += Q.sum(axis=0)
        B = -self.scale * outer.reshape(d + fi, K, K)
        idx = np.arange(K)
        B[:, idx, idx] += self.scale * diag
        B[:, idx, idx] += self.penalty_hessian_diag(coef).reshape(K, d + fi).T
        return B

    def _input_gram(self):
        r""":math:`G = \sum_i s_i \tilde x_i \tilde x_i^\top / \sum_i s_i` from at most 50,000 random rows (cached),
        in the layout of the second-order terms; the rows are gathered and cast in blocks."""
        if self._cache.gram is None:
            n = self.n_samples
            rows = np.arange(n) if n <= 50_000 else np.sort(np.random.default_rng(0).choice(n, 50_000, replace=False))
            sw = np.ones(n) if self.sample_weight is None else self.sample_weight
            D = self.n_features + self.fit_intercept
            G, total = np.zeros((D, D)), 0.0
            for a in range(0, rows.size, 8192):
                idx = rows[a:a + 8192]
                Xr = self.X[idx[0]:idx[-1] + 1] if n <= 50_000 else self.X[idx]
                G = G + gram(Xr.astype(self.hessian_dtype, copy=False), sw[idx], self.fit_intercept)
                total += float(sw[idx].sum())
            self._cache.gram = G / max(total, np.finfo(float).tiny)
        return self._cache.gram

    def class_factor_costly(self) -> bool:
        r"""Whether the K-FAC class factor costs more per Newton step than ``CLASS_FACTOR_GRADIENTS`` gradients.

        The factor :math:`A = c\sum_i s_i(\mathrm{diag}(p_i) - p_i p_i^\top)` takes :math:`nK^2` flops
        and its eigendecomposition about :math:`9K^3`, at every Newton step; a gradient about
        :math:`2nDK`. Only a dense softmax problem builds it.

        Examples
        --------
        >>> X = np.random.default_rng(0).normal(size=(300, 2))
        >>> LinearObjective(X, np.arange(300) % 3, n_classes=3).class_factor_costly()
        False
        >>> LinearObjective(X, np.arange(300) % 200, n_classes=200).class_factor_costly()
        True
        """
        if self.n_classes <= 2 or sparse.issparse(self.X):
            return False
        n, K, D = self.n_samples, self.n_classes, self.n_features + self.fit_intercept
        return n * K * K + 9.0 * K**3 > CLASS_FACTOR_GRADIENTS * 2.0 * n * D * K

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
        flops (:math:`K D^3 / 3`), when the class factor costs more than ``CLASS_FACTOR_GRADIENTS``
        gradients per step (:meth:`class_factor_costly`), or without a cached evaluation at ``coef``.

        References
        ----------
        Martens & Grosse, *Optimizing neural networks with Kronecker-factored approximate curvature*,
        ICML 2015.
        """
        D = self.n_features + self.fit_intercept
        k_eff = 1 if self.n_classes == 2 else self.n_classes
        if sparse.issparse(self.X) or k_eff * D**3 > 1e11 or self.class_factor_costly():
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
                E = np.diag(self.penalty_hessian_diag(coef)[:D])
                self._G_factor = (_robust_cho(self._input_gram() + E / max(a, 1e-300)), a)
            factor, _ = self._G_factor
            inv_a = 1.0 / max(a, np.finfo(float).tiny)
            return lambda v: inv_a * linalg.cho_solve(factor, v, check_finite=False)
        # NumPy's LAPACK, not SciPy's: the products around it run on NumPy's OpenBLAS threads, and
        # waking SciPy's separate pool for a small eigh cost 20 ms per call here (0.1 ms with NumPy's)
        a, U = np.linalg.eigh(self.scale * 0.5 * (A + A.T))
        a = np.maximum(a, 0.0)
        if self._cache.gram_eig is None:  # once per data set
            g, V = np.linalg.eigh(self._input_gram())
            self._cache.gram_eig = (np.maximum(g, 0.0), V)
        g, V = self._cache.gram_eig
        # (A ⊗ G + l2 I)^-1 in the eigenbases of A and G (the intercept is penalised here only, a
        # negligible change to a preconditioner); the null space is projected out afterwards
        denom = np.outer(a, g) + self.penalty.curvature(coef, self.penalized)
        denom = np.maximum(denom, 1e-10 * max(float(denom.max()), np.finfo(float).tiny))

        def apply(v):
            W = (U.T @ v.reshape(K, D)) @ V
            out = (U @ (W / denom) @ V.T).ravel()
            return self.project_null(out)

        return apply

    def batch_loss_gradient(self, coef, rows):
        """Unbiased estimate of ``loss_gradient`` from the rows ``rows`` (for stochastic solvers; the rows
        keep their offsets)."""
        rows = np.asarray(rows)
        sw = None if self.sample_weight is None else self.sample_weight[rows]
        off = None if self.offset is None else self.offset[rows]
        t = data_terms(self.X[rows], self.y[rows], sw, coef, self.layout, need=("loss", "grad"), offset=off)
        pv, pg, _ = self.smooth_penalty(coef)
        f = self.n_samples / max(1, rows.size) * self.scale
        return f * t.loss + pv, f * t.grad + pg
