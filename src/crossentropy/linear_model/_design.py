r"""A fitted logistic or softmax model on its reported design: the record the inference works on.

The statistics of a fitted model (covariances, tests, intervals, marginal effects) are functions of
the design matrix in the parameterisation they are reported in, the coefficients there, the labels,
the weights and the offset. :class:`FittedDesign` holds exactly that and computes the three
quantities every statistic is built from:

- the linear predictors and probabilities,
- the per-row scores :math:`g_i = \partial \ell_i / \partial \beta` of the log-likelihood,
- the observed information :math:`\mathcal I = -\nabla^2 \sum_i s_i \ell_i`.

Two classes: :math:`\eta_i = x_i^\top\beta + o_i`, :math:`p_i = \sigma(\eta_i)`,
:math:`g_i = (y_i - p_i)\,x_i`, :math:`\mathcal I = \sum_i s_i p_i(1-p_i)\,x_i x_i^\top`.

:math:`K \ge 3` classes, relative to the reference class 0 (statsmodels' ``MNLogit``): :math:`\eta_{ik}
= x_i^\top\beta_k + o_{ik} - o_{i0}` for :math:`k = 1..K-1` (:math:`\eta_{i0} = 0`), :math:`p_i =
\mathrm{softmax}(\eta_i)`, the score of class :math:`k` is :math:`(1[y_i = k] - p_{ik})\,x_i` and the
information block :math:`(k, l)` is :math:`\sum_i s_i\,p_{ik}(\delta_{kl} - p_{il})\,x_i x_i^\top`.
Parameters are ordered class-major (all terms of class 1, then of class 2, ...), as statsmodels'
``MNLogit.cov_params`` orders them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .. import special
from .._blas import for_own_threads, for_products
from ..objective.sums import gram

__all__ = ["FittedDesign"]


@dataclass(frozen=True)
class FittedDesign:
    r"""The design, coefficients, labels, weights and offset of a fitted model, in its reported terms.

    Parameters
    ----------
    X : ndarray of shape (n, q), float64, or a :class:`~crossentropy._terms.CodedDesign`
        The design as reported: a constant column (named ``"const"``) first when the model has an
        intercept, then one column per term. A ``CodedDesign`` (the model's features and their coding)
        is read in blocks of rows and never formed whole by the statistics of this module and of
        :mod:`~crossentropy.linear_model._covariance`.
    names : tuple of str, length q
        The term names.
    columns : tuple, length q
        The input column each term comes from (None for the constant); the terms of one column are
        tested together.
    params : ndarray of shape (q,) for two classes, (K-1, q) for K >= 3
        The coefficients; for softmax relative to class 0.
    y : ndarray of shape (n,), intp
        Labels encoded 0..K-1.
    sample_weight : ndarray of shape (n,), float64
        Frequency weights :math:`s_i \ge 0`.
    n_classes : int
    offset : ndarray of shape (n,) (two classes) or (n, K), optional
        Added to the logits (for softmax, per class; only differences to class 0 matter).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    >>> d = FittedDesign(X, ("const", "x"), (None, "x"), np.array([0.0, 0.0]), np.array([0, 1, 1]),
    ...                  np.ones(3), 2)
    >>> d.probabilities()[:, 1].tolist(), d.information().tolist()   # p = 1/2: I = X^T X / 4
    ([0.5, 0.5, 0.5], [[0.75, 0.75], [0.75, 1.25]])

    References
    ----------
    McCullagh and Nelder, *Generalized Linear Models*, 2nd ed. (1989), §4.4 and §6.5; statsmodels,
    ``statsmodels.discrete.discrete_model.Logit`` and ``MNLogit`` (score_obs, hessian).
    """

    X: np.ndarray
    names: tuple
    columns: tuple
    params: np.ndarray
    y: np.ndarray
    sample_weight: np.ndarray
    n_classes: int
    offset: np.ndarray | None = None

    @property
    def binary(self) -> bool:
        return self.n_classes == 2

    @property
    def n_terms(self) -> int:
        """q, the columns of the design."""
        return self.X.shape[1]

    @property
    def n_params(self) -> int:
        """m = q for two classes, (K-1) q for K classes."""
        return self.n_terms * (1 if self.binary else self.n_classes - 1)

    @property
    def flat_params(self) -> np.ndarray:
        """The parameters as one vector of length m, class-major."""
        return np.asarray(self.params, dtype=np.float64).ravel()

    def with_params(self, params) -> FittedDesign:
        """The same design at other coefficients (shape as ``params``, or flat of length m)."""
        shape = (self.n_terms,) if self.binary else (self.n_classes - 1, self.n_terms)
        return FittedDesign(self.X, self.names, self.columns, np.asarray(params, dtype=np.float64).reshape(shape),
                            self.y, self.sample_weight, self.n_classes, self.offset)

    def linear_predictor(self) -> np.ndarray:
        r""":math:`\eta`: shape (n,) for two classes; (n, K) with the reference column 0 otherwise (read-only)."""
        return self._eta

    @cached_property
    def _eta(self) -> np.ndarray:
        # computed once per design: every statistic of one fit reads the same logits and probabilities
        if self.binary:  # a product with a vector: NumPy's loop, not BLAS (see crossentropy._blas)
            X = self.X
            eta = np.einsum("ij,j->i", X, self.flat_params) if isinstance(X, np.ndarray) else X @ self.flat_params
        else:
            eta = np.zeros((self.X.shape[0], self.n_classes))
            eta[:, 1:] = self.X @ np.asarray(self.params).T
        if self.offset is not None:
            if self.binary:
                eta += np.asarray(self.offset, dtype=np.float64).reshape(-1)
            else:
                o = np.asarray(self.offset, dtype=np.float64)
                eta += o - o[:, :1]
        eta.setflags(write=False)
        return eta

    def probabilities(self) -> np.ndarray:
        """Class probabilities, shape (n, K), from :mod:`crossentropy.special` (stable; read-only)."""
        return self._probabilities

    @cached_property
    def _probabilities(self) -> np.ndarray:
        eta = self.linear_predictor()
        if self.binary:
            P = np.column_stack([special.sigmoid(-eta), special.sigmoid(eta)])
        else:
            P = special.softmax(eta, axis=1)
        P.setflags(write=False)
        return P

    def loglike(self) -> float:
        r""":math:`\sum_i s_i \log p_{i y_i}`, computed from the log-probabilities (no clipping)."""
        eta = self.linear_predictor()
        if self.binary:
            logp = special.log_sigmoid(np.where(self.y == 1, eta, -eta))  # log p_i of the row's own class
        else:
            logp = special.log_softmax(eta, axis=1)[np.arange(eta.shape[0]), self.y]
        return float(np.sum(self.sample_weight * logp))  # NumPy's pairwise sum: no BLAS thread left spinning

    def residuals(self) -> np.ndarray:
        """:math:`1[y_i = k] - p_{ik}`: shape (n,) for two classes (k = 1), (n, K-1) for classes 1..K-1."""
        P = self.probabilities()
        if self.binary:
            return (self.y == 1).astype(np.float64) - P[:, 1]
        return (self.y[:, None] == np.arange(1, self.n_classes)[None, :]).astype(np.float64) - P[:, 1:]

    def row_scores(self) -> np.ndarray:
        r"""Unweighted per-row scores :math:`g_i = \partial \log p_{i y_i} / \partial\beta`, shape (n, m).

        Softmax: the columns of class k are :math:`(1[y_i = k] - p_{ik})\,x_i`, class-major.
        The weighted score is :math:`\sum_i s_i g_i` (zero at the maximum-likelihood estimate).
        """
        r = self.residuals()
        X = np.asarray(self.X, dtype=np.float64)
        if self.binary:
            return r[:, None] * X
        n, q = X.shape
        return (r[:, :, None] * X[:, None, :]).reshape(n, -1)

    def information(self) -> np.ndarray:
        r"""Observed information :math:`-\nabla^2 \sum_i s_i \log p_{i y_i}`, shape (m, m), class-major (read-only)."""
        return self._information

    def information_weights(self, k=1) -> np.ndarray:
        r"""Row weights :math:`s_i p_{ik}(1 - p_{ik})` of the diagonal block of class k (two classes: the only block)."""
        P = self.probabilities()
        if self.binary:
            return self.sample_weight * P[:, 0] * P[:, 1]
        return self.sample_weight * P[:, k] * (1 - P[:, k])

    @cached_property
    def _information(self) -> np.ndarray:
        # each block a Gram of X, threads as a fit's; two classes: one Gram, split by rows over own threads
        with (for_own_threads if self.binary else for_products)(self.X.shape[0] * self.X.shape[1] ** 2):
            return self._information_blocks()

    def _information_blocks(self):
        P = self.probabilities()
        s = self.sample_weight
        X = self.X
        if self.binary:
            info = _symmetric(gram(X, self.information_weights(), False))
            info.setflags(write=False)
            return info
        K, q = self.n_classes, X.shape[1]
        info = np.empty(((K - 1) * q, (K - 1) * q))
        for k in range(1, K):
            for m in range(k, K):
                w = self.information_weights(k) if k == m else s * P[:, k] * -P[:, m]
                block = gram(X, w, False)
                info[(k - 1) * q:k * q, (m - 1) * q:m * q] = block
                info[(m - 1) * q:m * q, (k - 1) * q:k * q] = block.T
        info = _symmetric(info)
        info.setflags(write=False)
        return info


def _symmetric(A):
    return 0.5 * (A + A.T)
