r"""The data terms and the penalty of logistic and softmax regression in the flat coefficients.

For rows :math:`x_i \in \mathbb{R}^d`, encoded labels :math:`y_i \in \{0, \dots, K-1\}` and sample
weights :math:`s_i \ge 0`, the objective minimised by the solvers is

.. math::
    J(\theta) = c \sum_i s_i\,\ell_i(\theta) + \tfrac{\lambda_2}{2}\lVert w \rVert_2^2
                + \lambda_1 \lVert w \rVert_1

with :math:`c` a constant scale, :math:`w` the coefficients without the intercepts (the intercepts are
never penalised) and :math:`\ell_i` the cross-entropy of row :math:`i`: the binary log loss of the
logit :math:`z_i = w^\top x_i + b + o_i` for two classes (:mod:`.binary`), the softmax cross-entropy of
the logits :math:`z_i = W x_i + b + o_i \in \mathbb{R}^K` for three or more (:mod:`.softmax`), with
:math:`o_i` a fixed offset (an exposure, a prior log-odds; 0 when none is given). scikit-learn's
``LogisticRegression`` with penalty strength ``C`` is :math:`c = 1/S`, :math:`\lambda_2 = (1-\rho)/(C S)`,
:math:`\lambda_1 = \rho/(C S)` with :math:`S = \sum_i s_i` and :math:`\rho` the l1 ratio. Where each
coefficient sits in :math:`\theta` is a :class:`~crossentropy.objective.CoefLayout`.
"""

from __future__ import annotations

from . import binary, softmax
from .penalties import L2
from .sums import DataTerms

__all__ = ["data_terms", "hessp_terms", "penalty_terms"]


def data_terms(X, y, sample_weight, coef, layout, *, need=("loss", "grad"), offset=None) -> DataTerms:
    r"""Unpenalised, unscaled sums of the cross-entropy over one block of rows, in the flat coefficients.

    .. math::
        L(\theta) = \sum_i s_i\,\ell_i(\theta), \qquad \nabla L, \qquad \nabla^2 L =
        \sum_i s_i\,\big(\mathrm{diag}(p_i) - p_i p_i^\top\big) \otimes \tilde x_i \tilde x_i^\top

    with :math:`\tilde x_i = [x_i, 1]` when ``fit_intercept`` (binary: :math:`\nabla^2 L = \sum_i s_i
    p_i (1-p_i)\,\tilde x_i \tilde x_i^\top`). Pure: sums over blocks of rows add up, so the same
    function serves one chunk on a Dask worker and the whole data set in memory.

    Parameters
    ----------
    X : ndarray or scipy.sparse CSR matrix of shape (n_rows, d)
        float32 or float64; float32 is kept for the matrix products.
    y : ndarray of shape (n_rows,)
        Encoded labels in ``0 .. n_classes - 1``.
    sample_weight : ndarray of shape (n_rows,) or None
        Non-negative row weights :math:`s_i` (None means 1).
    coef : ndarray of shape (layout.n_coef,)
        Flat float64 coefficients.
    layout : CoefLayout
        ``CoefLayout(d, n_classes, fit_intercept)``; two classes mean the sigmoid (binary) model with
        one coefficient vector.
    need : collection of {"loss", "grad", "hess"}, default ("loss", "grad")
    offset : ndarray of shape (n_rows,) (two classes) or (n_rows, n_classes), or None
        Fixed logit offsets :math:`o_i` added to :math:`X\theta` (coefficient one, never fitted).

    Returns
    -------
    DataTerms(loss, grad, hess)
        float, ndarray (n_coef,), ndarray (n_coef, n_coef); None for what was not asked.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout, data_terms
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([0, 1, 1])
    >>> t = data_terms(X, y, None, np.zeros(2), CoefLayout(1, 2, True))
    >>> round(t.loss, 6), t.grad.round(3)   # 3 log 2 and X^T (1/2 - y), sum(1/2 - y)
    (2.079442, array([-1.5, -0.5]))
    >>> o = np.array([0.0, 1.0, -1.0])   # logits z = o at theta = 0
    >>> bool(np.isclose(data_terms(X, y, None, np.zeros(2), CoefLayout(1, 2, True), offset=o).loss,
    ...                 np.log1p(np.exp(0.0)) + np.log1p(np.exp(-1.0)) + np.log1p(np.exp(1.0))))
    True

    References
    ----------
    Bishop, *Pattern Recognition and Machine Learning* (2006), §4.3.2 and §4.3.4.
    """
    need = frozenset(need)
    if layout.binary:
        return binary.data_terms(X, y, sample_weight, coef, layout, need, offset=_binary_offset(offset))
    return softmax.data_terms(X, y, sample_weight, coef, layout, need, offset=offset)


def _binary_offset(offset):
    """A binary model's offset as shape (n,) (a single column (n, 1) is accepted)."""
    return None if offset is None else offset.reshape(-1)


def hessp_terms(X, y, sample_weight, coef, v, layout, *, offset=None):
    r"""Hessian-vector product :math:`\nabla^2 L(\theta)\,v` of the unpenalised, unscaled loss sum on one block.

    Costs two passes over the rows (one matrix product each) and never forms the Hessian.

    Parameters
    ----------
    X, y, sample_weight, coef, layout, offset
        As in :func:`data_terms`.
    v : ndarray of shape (n_coef,)

    Returns
    -------
    ndarray of shape (n_coef,)

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout, data_terms, hessp_terms
    >>> X = np.array([[0.0, 1.0], [1.0, -1.0], [2.0, 0.5], [1.0, 1.0]]); y = np.array([0, 1, 2, 1])
    >>> coef, v, layout = np.linspace(-1, 1, 9), np.arange(9.0), CoefLayout(2, 3, True)
    >>> H = data_terms(X, y, None, coef, layout, need=["hess"]).hess
    >>> bool(np.allclose(hessp_terms(X, y, None, coef, v, layout), H @ v))
    True

    References
    ----------
    Pearlmutter, *Fast exact multiplication by the Hessian*, Neural Computation 6 (1994).
    """
    if layout.binary:
        z = binary.logits(X, coef, layout, _binary_offset(offset))
        return binary.hessp(X, binary.hess_weights(z, sample_weight), v, layout)
    return softmax.hessp(X, y, sample_weight, coef, v, layout, offset=offset)


def penalty_terms(coef, *, l2, layout):
    r"""The l2 penalty :math:`\tfrac{\lambda_2}{2}\lVert w\rVert^2` on the non-intercept coefficients
    (:class:`~crossentropy.objective.L2` on the layout's penalised entries).

    Parameters
    ----------
    coef : ndarray of shape (n_coef,)
    l2 : float
        :math:`\lambda_2 \ge 0`.
    layout : CoefLayout
        Which entries of ``coef`` are penalised (``layout.penalized``).

    Returns
    -------
    value : float
    grad : ndarray of shape (n_coef,)
        :math:`\lambda_2 w` (0 on the intercepts).
    hess_diag : ndarray of shape (n_coef,)
        The Hessian is diagonal: :math:`\lambda_2` on the penalised entries, 0 on the intercepts.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout, penalty_terms
    >>> v, g, h = penalty_terms(np.array([3.0, 4.0, 10.0]), l2=0.5, layout=CoefLayout(2, 2, True))
    >>> v, g, h
    (6.25, array([1.5, 2. , 0. ]), array([0.5, 0.5, 0. ]))

    References
    ----------
    Hastie, Tibshirani & Friedman, *The Elements of Statistical Learning* (2009), §4.4.4.
    """
    return L2(l2).smooth_terms(coef, layout.penalized)
