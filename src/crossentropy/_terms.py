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

from dataclasses import dataclass

import numpy as np

__all__ = ["TermColumn", "TermMap", "Coding"]


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
        U = np.asarray(U, dtype=np.float64)
        R = np.empty((U.shape[0], len(self.names)))
        terms = np.flatnonzero(self.source >= 0)
        R[:, self.source < 0] = 1.0
        if not terms.size:
            return R
        src, scale, shift = self.source[terms], self.scale[terms], self.shift[terms]
        contiguous = np.array_equal(terms, np.arange(terms[0], R.shape[1]))
        block = R[:, terms[0]:] if contiguous else np.empty((U.shape[0], terms.size))
        block[...] = U if np.array_equal(src, np.arange(U.shape[1])) else U[:, src]  # one copy of the features
        if np.any(scale != 1.0):
            np.multiply(block, scale, out=block)
        if np.any(shift != 0.0):
            np.add(block, shift, out=block)
        if not contiguous:
            R[:, terms] = block
        return R

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
