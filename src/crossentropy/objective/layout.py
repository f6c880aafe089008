r"""The layout of the flat coefficient vector of a linear model, :class:`CoefLayout`.

The solvers see one 1-D float64 vector :math:`\theta`; the model sees a weight matrix :math:`W` of
shape ``(n_outputs, n_features)`` and an intercept :math:`b` of shape ``(n_outputs,)``, with
``n_outputs`` 1 for the binary (sigmoid) model and :math:`K` for softmax. :math:`\theta` is the matrix
:math:`[W, b]` of shape ``(n_outputs, n_features + fit_intercept)`` raveled in C order (row ``k`` is
``[W_k1, ..., W_kd, b_k]``): binary ``[w_1, ..., w_d, b]``, softmax class-major. This is the
symmetric (over-complete) softmax parameterisation of scikit-learn: adding the same vector to every
row leaves the probabilities unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CoefLayout", "n_coef", "penalized_mask"]


@dataclass(frozen=True)
class CoefLayout:
    r"""Where each coefficient of a logistic or softmax regression sits in the flat vector.

    Parameters
    ----------
    n_features : int
        :math:`d`, the columns of X.
    n_classes : int
        :math:`K \ge 2`; 2 is the binary model with one coefficient vector.
    fit_intercept : bool, default True
        Whether each output has an (unpenalised) intercept, the last entry of its row.

    Attributes
    ----------
    n_outputs : int
        1 for two classes, :math:`K` otherwise.
    n_cols : int
        :math:`D = d + \text{fit\_intercept}`, the length of one output's row.
    n_coef : int
        ``n_outputs * n_cols``.
    shape : tuple of int
        ``(n_outputs, n_cols)``, the 2-D view of the flat vector.
    penalized : ndarray of bool, shape (n_coef,)
        The entries of :math:`W` (every entry but the intercepts).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout
    >>> layout = CoefLayout(2, 3, True)
    >>> layout.n_coef, layout.shape, layout.penalized.astype(int)
    (9, (3, 3), array([1, 1, 0, 1, 1, 0, 1, 1, 0]))
    >>> coef, intercept = layout.unpack(np.arange(9.0))
    >>> coef, intercept
    (array([[0., 1.],
           [3., 4.],
           [6., 7.]]), array([2., 5., 8.]))
    >>> layout.pack(coef, intercept)
    array([0., 1., 2., 3., 4., 5., 6., 7., 8.])

    References
    ----------
    scikit-learn, ``sklearn/linear_model/_linear_loss.py`` (``LinearModelLoss``), the same layout.
    """

    n_features: int
    n_classes: int
    fit_intercept: bool = True

    def __post_init__(self):
        object.__setattr__(self, "n_features", int(self.n_features))
        object.__setattr__(self, "n_classes", int(self.n_classes))
        object.__setattr__(self, "fit_intercept", bool(self.fit_intercept))
        if self.n_features < 0:
            raise ValueError(f"n_features must be a non-negative integer, got {self.n_features!r}")
        if self.n_classes < 2:
            raise ValueError(f"n_classes must be at least 2, got {self.n_classes!r}")

    @property
    def binary(self) -> bool:
        """True for the two-class (sigmoid) model."""
        return self.n_classes == 2

    @property
    def n_outputs(self) -> int:
        return 1 if self.binary else self.n_classes

    @property
    def n_cols(self) -> int:
        return self.n_features + self.fit_intercept

    @property
    def n_coef(self) -> int:
        return self.n_outputs * self.n_cols

    @property
    def shape(self) -> tuple:
        return (self.n_outputs, self.n_cols)

    @property
    def penalized(self) -> np.ndarray:
        m = np.ones(self.shape, dtype=bool)
        if self.fit_intercept:
            m[:, -1] = False
        return m.ravel()

    def null_columns(self, penalised: bool) -> list:
        """Columns j of the 2-D view along which adding one constant to every class changes no probability.

        Softmax only (empty for two classes): the intercept column always; every column when the
        objective has no penalty (``penalised`` False), since then nothing pins the common shift.
        """
        if self.binary:
            return []
        if not penalised:
            return list(range(self.n_cols))
        return [self.n_cols - 1] if self.fit_intercept else []

    def pack(self, coef, intercept=None) -> np.ndarray:
        """The flat float64 vector of ``coef`` (n_outputs, n_features) and ``intercept`` (n_outputs,)."""
        M = np.zeros(self.shape)
        M[:, : self.n_features] = np.reshape(coef, (self.n_outputs, self.n_features))
        if self.fit_intercept and intercept is not None:
            M[:, -1] = np.reshape(intercept, (self.n_outputs,))
        return M.ravel()

    def unpack(self, flat):
        """``(coef, intercept)`` of shapes (n_outputs, n_features) and (n_outputs,) from the flat vector.

        The intercept is zeros without ``fit_intercept``; both are copies.
        """
        M = np.asarray(flat, dtype=np.float64).reshape(self.shape)
        coef = M[:, : self.n_features].copy()
        intercept = M[:, -1].copy() if self.fit_intercept else np.zeros(self.n_outputs)
        return coef, intercept


def n_coef(n_features, n_classes, fit_intercept):
    """Length of the flat coefficient vector: ``(d + fit_intercept)`` times 1 (binary) or K (softmax).

    ``CoefLayout(n_features, n_classes, fit_intercept).n_coef``.

    Examples
    --------
    >>> from crossentropy.objective import n_coef
    >>> n_coef(4, 2, True), n_coef(4, 3, True)
    (5, 15)
    """
    return CoefLayout(n_features, n_classes, fit_intercept).n_coef


def penalized_mask(n_features, n_classes, fit_intercept):
    """Boolean mask of the flat coefficients that are penalised (all but the intercepts).

    ``CoefLayout(n_features, n_classes, fit_intercept).penalized``.

    Examples
    --------
    >>> from crossentropy.objective import penalized_mask
    >>> penalized_mask(2, 3, True).astype(int)
    array([1, 1, 0, 1, 1, 0, 1, 1, 0])
    """
    return CoefLayout(n_features, n_classes, fit_intercept).penalized
