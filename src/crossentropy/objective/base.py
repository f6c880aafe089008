r"""The part of a linear model's objective that does not touch the data, :class:`LinearTerms`, and the
rule that picks the precision of X in the second-order terms (:func:`resolve_hessian_dtype`).

Both the in-memory :class:`~crossentropy.objective.LinearObjective` and the Dask objective of
:mod:`crossentropy.distributed` build on them.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from .._validation import check_option
from .layout import CoefLayout
from .penalties import Penalty, make_penalty

__all__ = ["HESSIAN_DTYPES", "HESSIAN_FLOAT32_ENTRIES", "LinearTerms", "products_fit", "resolve_hessian_dtype"]

#: The accepted values of ``hessian_dtype``.
HESSIAN_DTYPES = ("auto", "float32", "float64")
#: With ``hessian_dtype="auto"``, dense float64 data of at least this many entries get float32
#: second-order terms.
HESSIAN_FLOAT32_ENTRIES = 2_000_000


def resolve_hessian_dtype(hessian_dtype, dtype, n_entries, *, is_sparse=False):
    r"""The dtype of X in Hessians and Hessian-vector products (never in the loss or the gradient).

    ``"auto"`` is float32 for dense float64 data of at least ``HESSIAN_FLOAT32_ENTRIES`` entries
    (half the memory traffic of the second-order terms; only the Newton direction is rounded, so the
    minimiser is unchanged) and X's own dtype otherwise; ``"float32"``/``"float64"`` are taken as given.

    Parameters
    ----------
    hessian_dtype : {"auto", "float32", "float64"}
    dtype : numpy dtype
        The dtype X is computed in.
    n_entries : int
        :math:`n d`, the entries of X.
    is_sparse : bool, default False
        Sparse X keeps its dtype under "auto".

    Returns
    -------
    numpy.dtype

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import resolve_hessian_dtype
    >>> resolve_hessian_dtype("auto", np.dtype("float64"), 2_000_000)
    dtype('float32')
    >>> resolve_hessian_dtype("auto", np.dtype("float64"), 1_999_999)
    dtype('float64')

    References
    ----------
    Higham, *Accuracy and Stability of Numerical Algorithms* (2002), §12.1 (inexact Newton directions
    from lower-precision products).
    """
    check_option(hessian_dtype, "hessian_dtype", HESSIAN_DTYPES)
    if hessian_dtype != "auto":
        return np.dtype(hessian_dtype)
    dtype = np.dtype(dtype)
    big = dtype == np.float64 and not is_sparse and int(n_entries) >= HESSIAN_FLOAT32_ENTRIES
    return np.dtype(np.float32) if big else dtype


def products_fit(max_abs: float, n_rows: int, dtype) -> bool:
    r"""Whether sums of ``n_rows`` products of two entries up to ``max_abs`` stay finite in ``dtype``.

    The Hessian :math:`X^\top D X` (with :math:`D \le 1`) and the gradient sum such products; with a
    margin of 16: :math:`n\,\max|x|^2 \le \max(\text{dtype}) / 16`.

    Examples
    --------
    >>> import numpy as np
    >>> products_fit(1e10, 1000, np.float32), products_fit(1e18, 1000, np.float32), products_fit(1e18, 1000, np.float64)
    (True, False, True)
    """
    top = float(np.finfo(dtype).max) / 16
    m = float(max_abs)
    return math.isfinite(m) and m * m * max(int(n_rows), 1) <= top  # float products give inf, never raise


class LinearTerms:
    r"""The part of a linear model's objective that does not touch the data.

    The coefficient layout, the penalty (a :class:`~crossentropy.objective.Penalty` value, by default
    :math:`\tfrac{\lambda_2}{2}\lVert w\rVert^2 + \lambda_1\lVert w\rVert_1`) and the null space
    of a softmax model. :class:`~crossentropy.objective.LinearObjective` (in memory) and the Dask
    objective (:mod:`crossentropy.distributed`) add the data terms to it. The penalty is fixed for
    the object's life: :meth:`with_penalty` builds another objective on the same data side.

    Parameters
    ----------
    layout : CoefLayout
    n_samples : int
    scale : float
        :math:`c` of :math:`J(\theta) = c L(\theta) + P(\theta)`.
    l2, l1 : float
        :math:`\lambda_2, \lambda_1` of the default penalty (:func:`~crossentropy.objective.make_penalty`);
        only without ``penalty``.
    penalty : Penalty, optional
        :math:`P`, any :class:`~crossentropy.objective.Penalty`.

    Attributes
    ----------
    layout : CoefLayout
    penalty : Penalty
    n_samples, n_features, n_classes, n_coef : int
    fit_intercept : bool
    penalized : ndarray of bool, shape (n_coef,)

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout, LinearTerms
    >>> t = LinearTerms(CoefLayout(1, 3, True), 10, l2=0.5, l1=0.25)
    >>> t.smooth_penalty(np.arange(6.0))[0], t.nonsmooth(np.arange(6.0))   # 0.25 (0 + 4 + 16), 0.25 (0 + 2 + 4)
    (5.0, 1.5)
    >>> t.penalty
    ElasticNet(l2=0.5, l1=0.25)

    References
    ----------
    Hastie, Tibshirani & Friedman, *The Elements of Statistical Learning* (2009), §4.4.4.
    """

    def __init__(self, layout: CoefLayout, n_samples, *, scale=1.0, l2=0.0, l1=0.0, penalty=None):
        self.layout = layout
        self.n_samples = int(n_samples)
        self.n_features, self.n_classes = layout.n_features, layout.n_classes
        self.fit_intercept = layout.fit_intercept
        self.scale = float(scale)
        self.penalty = _penalty_of(penalty, l2, l1)
        self.n_coef = layout.n_coef
        self.penalized = layout.penalized

    def with_penalty(self, penalty):
        """The same objective with the penalty ``penalty``: a new object on the same data side.

        The data, the scale and the data-side caches (one shared cache object: the last evaluation,
        the Gram matrix of the rows) are this object's own, so a path's next point starts where the
        last one's evaluations left off; what depends on the penalty is built anew. This object is
        unchanged.

        Examples
        --------
        >>> import numpy as np
        >>> from crossentropy.objective import CoefLayout, L2, LinearTerms
        >>> t = LinearTerms(CoefLayout(1, 2, True), 4, l2=1.0)
        >>> t.with_penalty(L2(0.25)).penalty, t.penalty
        (L2(strength=0.25), L2(strength=1.0))
        """
        new = copy.copy(self)
        new.penalty = _penalty_of(penalty, 0.0, 0.0)
        new._penalty_changed()
        return new

    def _penalty_changed(self):
        """Drop what was derived from the penalty (called on the new object of :meth:`with_penalty`)."""

    def smooth_penalty(self, coef):
        """``(value, grad, hess_diag)`` of the penalty's smooth part (:meth:`Penalty.smooth_terms`)."""
        return self.penalty.smooth_terms(coef, self.penalized)

    def penalty_hessian_diag(self, coef):
        """The diagonal of the Hessian of the penalty's smooth part, ndarray of shape (n_coef,)."""
        return self.penalty.hessian_diag(coef, self.penalized)

    def nonsmooth(self, coef):
        r"""The penalty's non-smooth part at ``coef`` (the l1 term :math:`\lambda_1 \lVert w \rVert_1`)."""
        return self.penalty.nonsmooth(coef, self.penalized)

    def _null_columns(self):
        return self.layout.null_columns(penalised=not self.penalty.is_zero)

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
        K, D = self.layout.shape
        N = np.zeros((K, D, len(cols)))
        for j, c in enumerate(cols):
            N[:, c, j] = 1 / np.sqrt(K)
        return N.reshape(K * D, len(cols))


def _penalty_of(penalty, l2, l1):
    """``penalty`` checked to be a :class:`Penalty`, or the default penalty of ``l2`` and ``l1``."""
    if penalty is None:
        return make_penalty(l2, l1)
    if not isinstance(penalty, Penalty):
        raise TypeError(f"penalty must be a crossentropy.objective.Penalty, got {type(penalty).__name__}")
    if l2 or l1:
        raise ValueError(f"give either penalty or l2/l1, got penalty={penalty!r}, l2={l2!r}, l1={l1!r}")
    return penalty
