r"""The second-order side of the in-memory objective: X in the Hessian's precision, made on first use,
and the binary Hessian fused with the pass that evaluates the loss and the gradient.

:class:`SecondOrderData` is a base of :class:`~crossentropy.objective.LinearObjective`. Its state
lives in the objective's data cache, shared by the objectives of ``with_penalty``:

- ``hessian_dtype``: the precision of X in the second-order terms
  (:func:`~crossentropy.objective.resolve_hessian_dtype`; with "auto", float64 again when the
  features' products would overflow float32 sums, :func:`~crossentropy.objective.base.products_fit`);
- ``_Xh``: X in that dtype (with the column of ones appended where that is cheap) for Hessian-vector
  products and the two-class Gram, made the first time one of them asks for it: X itself, a copy (of a
  small X, or in a lower precision when it fits in the last-level cache), or :class:`CastRows`, which
  casts blocks of rows as they are read;
- the two-class Hessian of dense X: its data sum
  :math:`\tilde X^\top \mathrm{diag}(s_i p_i (1 - p_i))\,\tilde X` in the same compiled pass as the
  loss and the gradient (:func:`~crossentropy.objective.binary.loss_gradient_gram`), or from the
  logits of the last evaluation (:func:`~crossentropy.objective.binary.gram_of_logits`), the chunks
  of X cast to ``hessian_dtype`` on the way into BLAS: X is never copied for it. The last one is
  kept with its point, so :meth:`loss_gradient_hessian` followed by ``hessian`` at the same point
  forms it once.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from .._blas import row_threads, split_rows
from .._cores import last_level_cache_bytes
from . import binary
from .base import products_fit, resolve_hessian_dtype
from .layout import CoefLayout
from .sums import gram

__all__ = ["HESSP_BLOCK_BYTES", "CastRows", "SecondOrderData"]

#: Bytes of second-order X per block of a dense Hessian-vector product: a block is read (or cast)
#: once and stays in cache for its second product.
HESSP_BLOCK_BYTES = 1 << 20


class SecondOrderData:
    """X in the Hessian's precision and the fused two-class Hessian (a base of ``LinearObjective``).

    Needs ``X``, ``y``, ``sample_weight``, ``offset``, ``layout``, ``dtype``, ``is_sparse``,
    ``fit_intercept``, ``n_classes``, ``scale``, ``_hessian_dtype_arg`` and ``_cache`` (with the slots
    ``hdtype``, ``xh`` and ``hess``) from the objective.
    """

    @property
    def hessian_dtype(self):
        """numpy.dtype: the precision of X in Hessians and Hessian-vector products."""
        c = self._cache
        if c.hdtype is None:
            self._resolve_hessian_dtype(None)
        return c.hdtype

    def _range_pending(self):
        """Whether "auto" picked float32 for float64 X and the features' range is still to be checked."""
        n, d = self.X.shape
        wanted = resolve_hessian_dtype(self._hessian_dtype_arg, self.dtype, n * d, is_sparse=self.is_sparse)
        return (self._cache.hdtype is None and self.dtype == np.float64 and wanted == np.float32
                and self._hessian_dtype_arg == "auto")

    def _resolve_hessian_dtype(self, top):
        r"""Set ``hessian_dtype``; ``top`` is :math:`\max|x_{ij}|` when a pass has read it (else two
        reductions find it, where the rule needs it)."""
        c = self._cache
        n, d = self.X.shape
        wanted = resolve_hessian_dtype(self._hessian_dtype_arg, self.dtype, n * d, is_sparse=self.is_sparse)
        low = self.dtype == np.float64 and wanted == np.float32  # X is never cast up
        # "auto": features too large for float32 second-order terms keep X's dtype
        if low and self._hessian_dtype_arg == "auto" and n and d:
            top = max(float(self.X.max()), -float(self.X.min())) if top is None else top
            low = products_fit(top, n, np.float32)
        c.hdtype = np.dtype(np.float32) if low else self.dtype

    @property
    def _Xh(self):
        """X for the second-order terms, with the column of ones appended when it is cast anyway or X is
        small (the intercept is then one more column: no separate sums). X itself when neither applies;
        a copy when X is small, or when ``hessian_dtype`` is below X's dtype and the copy fits in the
        last-level cache (every product then reads it from there). A larger copy would stream from
        memory as X does and add half of X's memory: :class:`CastRows` casts blocks of rows on demand
        instead. Made on first use."""
        c = self._cache
        if c.xh is None:
            X = self.X
            n, d = X.shape
            low = self.hessian_dtype != self.dtype
            aug = self.fit_intercept and not sparse.issparse(X) and (low or n * (d + 1) <= (1 << 20))
            if low and n * (d + aug) * self.hessian_dtype.itemsize > last_level_cache_bytes():
                c.xh = CastRows(X, self.hessian_dtype, aug)
            elif not (low or aug):
                c.xh = X
            else:
                c.xh = np.empty((n, d + aug), dtype=self.hessian_dtype)
                c.xh[:, :d] = X
                if aug:
                    c.xh[:, d] = 1
        return c.xh

    def _row_sum(self, part, start, n):
        r""":math:`\sum` ``part(Xb, a, b)`` over blocks of about ``HESSP_BLOCK_BYTES`` of the rows
        ``start + a .. start + b`` of the second-order X (dense; ``a, b`` counted from ``start``), split
        over the package's threads: each block is read (or cast) once and used by both of its products
        while it is in cache."""
        Xh = self._Xh
        D = Xh.shape[1]
        rows = max(256, HESSP_BLOCK_BYTES // (D * Xh.dtype.itemsize))
        cast = not isinstance(Xh, np.ndarray)

        def work(lo, hi):
            buf = np.empty((min(rows, hi - lo), D), dtype=Xh.dtype) if cast else None
            total = 0
            for a in range(lo, hi, rows):
                b = min(hi, a + rows)
                Xb = Xh.fill_rows(start + a, start + b, buf[: b - a]) if cast else Xh[start + a:start + b]
                total = total + part(Xb, a, b)
            return total

        return sum(split_rows(work, n, rows, row_threads(n, rows)))

    @property
    def _h_layout(self):
        """The layout of the second-order terms: the intercept is a column of ``_Xh`` when it was appended."""
        d = self.X.shape[1]
        aug = self._Xh.shape[1] > d
        return CoefLayout(d + aug, self.n_classes, self.fit_intercept and not aug)

    @property
    def fuses_hessian(self) -> bool:
        """Whether :meth:`loss_gradient_hessian` costs one pass over X, as ``loss_gradient`` does, and
        keeps the Hessian for ``hessian`` at the same point (two classes, dense X in the compiled
        pass, no offset): Newton then forms the Hessian with the evaluation that accepts a step."""
        return self.n_classes == 2 and self.offset is None and binary._compiled(self.X, self.sample_weight)

    def _kept_hessian(self, coef):
        kept = self._cache.hess
        return kept[1] if kept is not None and np.array_equal(kept[0], coef) else None

    def _keep_hessian(self, coef, H):
        self._cache.hess = (np.array(coef, dtype=np.float64, copy=True), H)

    def _fused_terms(self, coef):
        """Two classes: ``(DataTerms(loss, grad, hess))`` of one compiled pass, remembered as an
        evaluation (the logits, the loss and gradient, the Hessian); None where it does not apply or
        the loss and gradient at ``coef`` are known already (the Hessian then comes from their logits)."""
        terms = self._cache.terms
        if not self.fuses_hessian or (terms is not None and np.array_equal(terms[0], coef)):
            return None
        pending = self._range_pending()  # float32 for now: the pass reads max|x| for the rule
        dtype = np.dtype(np.float32) if pending else self.hessian_dtype
        out = binary.loss_gradient_gram(self.X, self.y, self.sample_weight, coef, self.layout, dtype)
        if out is None:
            return None
        t, z, top = out
        self._remember(coef, ("z", z))
        self._cache.terms = (np.array(coef, dtype=np.float64, copy=True), t._replace(hess=None))
        if pending:
            self._resolve_hessian_dtype(top)
            if self.hessian_dtype != dtype:  # features too large for float32 sums: formed again in float64
                return t._replace(hess=self._data_hessian_binary(coef))
        self._keep_hessian(coef, t.hess)
        return t

    def loss_gradient_hessian_estimate(self, coef, rows):
        r"""``(f, g, H)``: value and gradient of the smooth objective over all rows and its Hessian
        estimated from about ``rows`` of them, in one compiled pass (two classes, ``fuses_hessian``).

        The data Hessian sum comes from evenly spread chunks of rows holding about ``rows`` rows,
        multiplied by n over their count (the Hessian of a subsample, as Newton's warm start uses, at
        the full data's point); the penalty's Hessian is exact. Never kept for ``hessian``, which
        stays exact. X is cast to ``hessian_dtype`` where that is settled, float64 otherwise (the
        estimate then needs no range rule). None where the compiled pass does not apply.

        Examples
        --------
        >>> import numpy as np
        >>> from crossentropy.objective import LinearObjective
        >>> X = np.arange(8.0).reshape(4, 2); y = np.array([0, 1, 0, 1])
        >>> LinearObjective(X, y, n_classes=2).loss_gradient_hessian_estimate(np.zeros(3), 2) is None   # small X: NumPy's path
        True
        """
        if not self.fuses_hessian:
            return None
        every = max(1, self.X.shape[0] // max(1, int(rows)))
        dtype = np.dtype(np.float64) if self._range_pending() else self.hessian_dtype
        out = binary.loss_gradient_gram(self.X, self.y, self.sample_weight, coef, self.layout, dtype, every)
        if out is None:
            return None
        t, z, _ = out
        self._remember(coef, ("z", z))
        self._cache.terms = (np.array(coef, dtype=np.float64, copy=True), t._replace(hess=None))
        pv, pg, ph = self.smooth_penalty(coef)
        H = self.scale * t.hess
        H[np.diag_indices_from(H)] += ph
        return self.scale * t.loss + pv, self.scale * t.grad + pg, H

    def _data_hessian_binary(self, coef):
        """The two-class data Hessian sum at ``coef`` (a new array): kept, from the last logits by the
        compiled pass, or by :func:`~crossentropy.objective.sums.gram` on ``_Xh``."""
        H = self._kept_hessian(coef)
        if H is not None:
            return H.copy()
        st = self._cached(coef)
        if self.fuses_hessian and st is not None and st[0] == "z":
            pending = self._range_pending()  # as in _fused_terms
            dtype = np.dtype(np.float32) if pending else self.hessian_dtype
            out = binary.gram_of_logits(self.X, st[1], self.sample_weight, self.layout, dtype)
            if pending:
                self._resolve_hessian_dtype(out[1] if out is not None else np.inf)
                if self.hessian_dtype != dtype:
                    out = binary.gram_of_logits(self.X, st[1], self.sample_weight, self.layout, self.hessian_dtype)
            if out is not None:
                self._keep_hessian(coef, out[0])
                return out[0].copy()
        return gram(self._Xh, self._binary_weights(coef), self._h_layout.fit_intercept)


class CastRows:
    r"""Dense X read in another precision, with a column of ones appended when ``ones``: blocks of rows
    are cast on demand into a buffer of the caller, never the whole X at once.

    A design read in blocks as :func:`~crossentropy.objective.sums.gram` takes it (``shape``,
    ``dtype``, ``fill_rows``), and by :meth:`~crossentropy.objective.LinearObjective.hessp`.

    Examples
    --------
    >>> X = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> CastRows(X, np.float32, True).fill_rows(1, 2, np.empty((1, 3), np.float32), np.array([2.0]))
    array([[6., 8., 2.]], dtype=float32)
    """

    def __init__(self, X, dtype, ones):
        self.X = X
        self.dtype = np.dtype(dtype)
        self.ones = bool(ones)
        self.shape = (X.shape[0], X.shape[1] + self.ones)

    def fill_rows(self, a, b, out, row_scale=None):
        """Write rows ``a`` to ``b`` into ``out`` ((b - a) × ``shape[1]``, of ``dtype``), each row times
        its factor in ``row_scale`` when given, and return it."""
        d = self.X.shape[1]
        if row_scale is None:
            np.copyto(out[:, :d], self.X[a:b], casting="same_kind")
        else:
            np.multiply(self.X[a:b], np.asarray(row_scale)[:, None], out=out[:, :d], casting="same_kind")
        if self.ones:
            out[:, d] = 1 if row_scale is None else row_scale
        return out
