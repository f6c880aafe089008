r"""The reported terms of a linear model: its features mapped back to the user's columns, in raw units.

A model is fitted on features :math:`U` (n × p) made from the user's columns: a numeric column
:math:`r` enters standardised, :math:`u = (r - \mu)/s`; a string column with levels
:math:`l_1 < \dots < l_m` enters as m indicators :math:`1[c = l_k]`. :class:`TermMap` records that
map and gives the design and the coefficients of the reported terms (q columns), an affine function
of the features and a linear function of the fitted coefficients :math:`(\theta, \theta_0)`:

- numeric column (with an intercept): the term is :math:`r = s\,u + \mu` with coefficient
  :math:`\beta = \theta / s`, and the intercept takes :math:`-\theta\mu/s`;
- level :math:`l` of a column with reference level :math:`r_c` (with an intercept, when
  ``reference_coded``): the term ``col[T.l]`` is :math:`1[c = l]` with coefficient
  :math:`\theta_{c,l} - \theta_{c,r_c}`, and the intercept takes :math:`+\theta_{c,r_c}`, because
  the indicators of one column sum to one on every row;
- otherwise every level is a term ``col[l]`` with coefficient :math:`\theta_{c,l}`.

The linear predictor is unchanged: :math:`\theta_0 + \theta^\top u = \beta_0 + \beta^\top x`. Without
an intercept there is no constant to absorb :math:`-\theta\mu/s`, so a numeric term is its column
centred at the training mean, :math:`x = r - \mu` (same slope :math:`\theta/s` per raw unit), and no
level is dropped. The constant is named ``const`` (statsmodels' ``add_constant``; the formula API
calls it ``Intercept``), level terms ``col[T.level]`` as patsy names treatment contrasts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

__all__ = ["TermColumn", "TermMap", "Coding", "CodedDesign"]


@dataclass(frozen=True)
class TermColumn:
    """One input column: numeric (one feature, its mean and scale) or categorical (one feature per level).

    Parameters
    ----------
    name : str
    kind : {"numeric", "categorical"}
    sources : tuple of int
        The model's feature(s) of this column: one for a numeric column, one per level otherwise.
    mean, scale : float
        A numeric column's standardisation, :math:`u = (r - \\text{mean}) / \\text{scale}`.
    levels : tuple of str
        A categorical column's levels that have a feature, in the order of ``sources``.
    reference : str or None
        A categorical column's reference level. When it is not among ``levels`` the design already
        left its indicator out (treatment coding at fit time), and each level's coefficient is its
        contrast with the reference as fitted.
    """

    name: str
    kind: str
    sources: tuple
    mean: float = 0.0
    scale: float = 1.0
    levels: tuple = ()
    reference: str | None = None


@dataclass(frozen=True)
class Coding:
    """The reported terms of one model: names, input columns and the affine map from the features.

    ``matrix`` (q × (p + 1)) maps the fitted coefficients ``[coef, intercept]`` to the reported
    ones; column t of the design is ``1`` for the constant and ``scale[t] * U[:, source[t]] +
    shift[t]`` otherwise.
    """

    names: tuple
    columns: tuple
    kinds: tuple
    source: np.ndarray
    scale: np.ndarray
    shift: np.ndarray
    matrix: np.ndarray

    def design(self, U) -> np.ndarray:
        """The reported design (n × q, float64) from the model's features ``U`` (n × p)."""
        U = np.asarray(U)
        return self.fill(U, np.empty((U.shape[0], len(self.names))))

    def rows(self, U) -> CodedDesign:
        """The reported design of ``U`` as a :class:`CodedDesign`: formed a block of rows at a time when read."""
        return CodedDesign(self, U)

    def fill(self, U, out, row_scale=None) -> np.ndarray:
        """Write the design of the rows ``U`` (m × p) into ``out`` (m × q, float64) and return it; with
        ``row_scale`` (m,), each row times its factor."""
        terms, const, src, scale, shift, contiguous = self._plan
        r = None if row_scale is None else np.asarray(row_scale)[:, None]
        out[:, const] = 1.0 if r is None else r
        if not terms.size:
            return out
        block = out[:, terms[0]:] if contiguous else np.empty((U.shape[0], terms.size))
        identity = src.size == U.shape[1] and src[-1] == src.size - 1 and np.array_equal(src, np.arange(src.size))
        features = U if identity else U[:, src]
        if r is not None and scale is None and shift is None:  # the common case in one pass
            np.multiply(features, r, out=block, casting="same_kind")
        else:
            block[...] = features  # one copy of the features (cast to float64 on the way)
            if scale is not None:
                np.multiply(block, scale, out=block)
            if shift is not None:
                np.add(block, shift, out=block)
            if r is not None:
                np.multiply(block, r, out=block)
        if not contiguous:
            out[:, terms] = block
        return out

    @cached_property
    def _plan(self):
        """What :meth:`fill` does, worked out once: the term and constant columns, their features, the
        scales and shifts that are not 1 and 0, and whether the terms are the last columns in order."""
        terms = np.flatnonzero(self.source >= 0)
        scale, shift = self.scale[terms], self.shift[terms]
        contiguous = bool(terms.size) and np.array_equal(terms, np.arange(terms[0], len(self.names)))
        return (terms, np.flatnonzero(self.source < 0), self.source[terms], scale if np.any(scale != 1.0) else None,
                shift if np.any(shift != 0.0) else None, contiguous)

    def coefficients(self, coef, intercept) -> np.ndarray:
        """Reported coefficients from ``coef`` (K' × p) and ``intercept`` (K',): shape (K', q)."""
        theta = np.hstack([np.atleast_2d(coef), np.reshape(intercept, (-1, 1))])
        return theta @ self.matrix.T


@dataclass(frozen=True)
class TermMap:
    r"""How a model's p features come from the user's columns, to report coefficients in raw units.

    Parameters
    ----------
    n_features : int
        p, the model's features.
    columns : tuple of TermColumn
        The input columns, in the order the terms are reported.

    Examples
    --------
    >>> tm = TermMap(3, (TermColumn("x", "numeric", (0,), mean=2.0, scale=0.5),
    ...                  TermColumn("c", "categorical", (1, 2), levels=("a", "b"), reference="a")))
    >>> coding = tm.coding(fit_intercept=True, reference_coded=True)
    >>> coding.names
    ('const', 'x', 'c[T.b]')
    >>> coding.coefficients([1.0, 0.5, 2.0], 0.25).tolist()   # x: 1/0.5; c[T.b]: 2 - 0.5; const: 0.25 - 2*2 + 0.5
    [[-3.25, 2.0, 1.5]]

    References
    ----------
    Chambers and Hastie (eds.), *Statistical Models in S* (1992), ch. 2 (treatment contrasts);
    patsy, *How formulas work* (term naming).
    """

    n_features: int
    columns: tuple

    @classmethod
    def identity(cls, names) -> TermMap:
        """Every feature its own numeric term, unscaled (a model fitted on an array or numeric frame)."""
        return cls(len(names), tuple(TermColumn(str(n), "numeric", (j,)) for j, n in enumerate(names)))

    @property
    def references(self) -> dict:
        """Categorical column -> its reference level."""
        return {c.name: c.reference for c in self.columns if c.kind == "categorical"}

    def coding(self, *, fit_intercept, reference_coded) -> Coding:
        """The terms of a model with or without an intercept; levels against the reference when ``reference_coded``."""
        p = self.n_features
        names, cols, kinds, src, scale, shift, rows = [], [], [], [], [], [], []
        const = np.zeros(p + 1)
        if fit_intercept:
            const[p] = 1.0
            names.append("const"), cols.append(None), kinds.append("const")
            src.append(-1), scale.append(1.0), shift.append(0.0), rows.append(const)
        drop = bool(fit_intercept and reference_coded)
        for col in self.columns:
            if col.kind == "numeric":
                j = col.sources[0]
                row = np.zeros(p + 1)
                row[j] = 1.0 / col.scale
                if fit_intercept:
                    const[j] -= col.mean / col.scale
                names.append(col.name), cols.append(col.name), kinds.append("numeric")
                src.append(j), scale.append(col.scale), shift.append(col.mean if fit_intercept else 0.0)
                rows.append(row)
                continue
            coded = col.reference not in col.levels  # the design has no indicator of the reference level
            ref = col.sources[col.levels.index(col.reference)] if drop and not coded else None
            if ref is not None:
                const[ref] += 1.0
            for level, j in zip(col.levels, col.sources):
                if j == ref:
                    continue
                row = np.zeros(p + 1)
                row[j] = 1.0
                if ref is not None:
                    row[ref] = -1.0
                names.append(f"{col.name}[T.{level}]" if drop or coded else f"{col.name}[{level}]")
                cols.append(col.name), kinds.append("level")
                src.append(j), scale.append(1.0), shift.append(0.0), rows.append(row)
        return Coding(tuple(names), tuple(cols), tuple(kinds), np.asarray(src, dtype=np.intp),
                      np.asarray(scale, dtype=np.float64), np.asarray(shift, dtype=np.float64),
                      np.vstack(rows) if rows else np.zeros((0, p + 1)))


class CodedDesign:
    r"""The reported design :math:`R` of features :math:`U` under a :class:`Coding`, never formed whole.

    Each column of R is the constant or an affine function of one feature, :math:`R_{:t} =
    a_t U_{:s_t} + b_t`, so a block of rows costs one pass over the same rows of U and a product
    :math:`R B` is one product with U: :math:`U W + 1 c^\top` with :math:`W_{s_t} = \sum a_t B_t`
    and :math:`c = \sum_t b_t B_t` plus the constant's rows of B. The statistics of a large fit
    work on blocks of rows (:func:`crossentropy.objective.sums.gram` reads blocks through
    :meth:`fill_rows`), so R's n × q float64 copy of the data is never allocated; ``np.asarray``
    forms it for the rare consumer that needs it whole.

    U is held, not copied, as statsmodels' models hold their ``exog``: a later change of the user's
    array changes the design.

    Parameters
    ----------
    coding : Coding
    U : ndarray of shape (n, p)
        The model's features.
    rows : ndarray of int, optional
        The rows of U in the design (all by default).

    Examples
    --------
    >>> tm = TermMap(1, (TermColumn("x", "numeric", (0,), mean=2.0, scale=0.5),))
    >>> R = tm.coding(fit_intercept=True, reference_coded=True).rows(np.array([[0.0], [2.0]]))
    >>> np.asarray(R).tolist(), (R @ np.array([1.0, 3.0])).tolist()   # x = 0.5 u + 2
    ([[1.0, 2.0], [1.0, 3.0]], [7.0, 10.0])
    """

    ndim = 2
    dtype = np.dtype(np.float64)

    def __init__(self, coding, U, rows=None):
        self.coding, self.U, self.row_index = coding, U, rows
        self.shape = (U.shape[0] if rows is None else len(rows), len(coding.names))

    def fill_rows(self, a, b, out, row_scale=None) -> np.ndarray:
        """Write rows ``a`` to ``b`` of the design into ``out`` ((b - a) × q, float64), each row times its
        factor in ``row_scale`` ((b - a,), optional), and return it."""
        U = self.U[a:b] if self.row_index is None else self.U[self.row_index[a:b]]
        return self.coding.fill(U, out, row_scale)

    def take(self, rows) -> CodedDesign:
        """The design of the rows ``rows`` (a boolean mask or indices of this design's rows)."""
        idx = np.arange(self.shape[0])[rows]
        return CodedDesign(self.coding, self.U, idx if self.row_index is None else self.row_index[idx])

    def columns(self, keep) -> CodedDesign:
        """The design of the columns ``keep`` (indices, in order) of this one."""
        keep = np.asarray(keep, dtype=np.intp)
        c = self.coding
        sub = replace(c, names=tuple(c.names[j] for j in keep), columns=tuple(c.columns[j] for j in keep),
                      kinds=tuple(c.kinds[j] for j in keep), source=c.source[keep], scale=c.scale[keep],
                      shift=c.shift[keep], matrix=c.matrix[keep])
        return CodedDesign(sub, self.U, self.row_index)

    def __getitem__(self, key):
        """A block of rows ``R[a:b]`` (a slice of step 1), formed."""
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError(f"a CodedDesign is read in blocks of rows (a slice of step 1), got {key!r}")
        a, b, _ = key.indices(self.shape[0])
        b = max(a, b)
        return self.fill_rows(a, b, np.empty((b - a, self.shape[1])))

    def __array__(self, dtype=None, copy=None):
        R = self[:]
        return R if dtype is None else R.astype(dtype, copy=False)

    def __matmul__(self, B):
        B = np.asarray(B, dtype=np.float64)
        c = self.coding
        terms = np.flatnonzero(c.source >= 0)
        trail = (1,) * (B.ndim - 1)
        W = np.zeros((self.U.shape[1],) + B.shape[1:])
        np.add.at(W, c.source[terms], c.scale[terms].reshape((-1,) + trail) * B[terms])
        const = B[c.source < 0].sum(axis=0) + np.tensordot(c.shift[terms], B[terms], axes=1)
        U = self.U if self.row_index is None else self.U[self.row_index]
        # with a vector: NumPy's loop, not BLAS (see crossentropy._blas)
        UW = np.einsum("ij,j->i", U, W) if W.ndim == 1 else U @ W
        return np.asarray(UW, dtype=np.float64) + const
