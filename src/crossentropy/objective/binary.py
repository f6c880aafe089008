r"""The data terms of the binary (sigmoid) model on the flat coefficients ``[w_1, ..., w_d, b]``.

With logits :math:`z_i = w^\top x_i + b` and :math:`p_i = \sigma(z_i)`, the weighted log loss
:math:`L = \sum_i s_i\,\ell(z_i, y_i)` has gradient :math:`\sum_i s_i (p_i - y_i)\,\tilde x_i` and Hessian
:math:`\sum_i s_i p_i (1 - p_i)\,\tilde x_i \tilde x_i^\top` (:math:`\tilde x_i = [x_i, 1]` with an
intercept). The loss itself is :func:`crossentropy.losses.binary_cross_entropy_with_logits`.
"""

from __future__ import annotations

import numpy as np

from .. import special
from ..losses.binary import binary_cross_entropy_with_logits
from .sums import DataTerms, compute_dtype, gram

__all__ = ["logits", "hess_weights", "data_terms", "hessp"]


def logits(X, coef, layout):
    r"""The logits :math:`z = X w + b`, ndarray of shape (n,) in X's compute dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout
    >>> from crossentropy.objective.binary import logits
    >>> logits(np.array([[1.0], [2.0]]), np.array([2.0, -1.0]), CoefLayout(1, 2, True))
    array([1., 3.])
    """
    d = X.shape[1]
    dtype = compute_dtype(X)
    z = np.asarray(X @ coef[:d].astype(dtype, copy=False)).astype(dtype, copy=False)
    if layout.fit_intercept:
        z += dtype.type(coef[d])
    return z


def hess_weights(z, sample_weight):
    r""":math:`s_i\,p_i (1 - p_i)`, the second derivative of each row's weighted loss in its logit.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective.binary import hess_weights
    >>> hess_weights(np.array([0.0, 0.0]), np.array([1.0, 2.0]))
    array([0.25, 0.5 ])
    """
    p = special.sigmoid(z)
    h = p * (1 - p)
    return h if sample_weight is None else h * sample_weight.astype(h.dtype, copy=False)


def data_terms(X, y, sample_weight, coef, layout, need, z=None):
    """Binary case of :func:`crossentropy.objective.data_terms` (``need`` a set; ``z`` the logits if known).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout
    >>> from crossentropy.objective.binary import data_terms
    >>> t = data_terms(np.array([[0.0], [1.0]]), np.array([0.0, 1.0]), None, np.zeros(2),
    ...                CoefLayout(1, 2, True), {"loss", "grad"})
    >>> round(t.loss, 6), t.grad   # 2 log 2; X^T (1/2 - y), sum(1/2 - y)
    (1.386294, array([-0.5,  0. ]))
    """
    d = X.shape[1]
    if z is None:
        z = logits(X, coef, layout)
    t = y if y.dtype == z.dtype else y.astype(z.dtype)
    loss = grad = hess = None
    if "loss" in need or "grad" in need:
        res = binary_cross_entropy_with_logits(z, t, weight=sample_weight, reduction="sum", return_grad="grad" in need)
        loss, r = res if "grad" in need else (res, None)
        loss = float(loss)
        if r is not None:
            grad = np.empty(layout.n_coef)
            grad[:d] = X.T @ r
            if layout.fit_intercept:
                grad[d] = r.sum(dtype=np.float64)
    if "hess" in need:
        hess = gram(X, hess_weights(z, sample_weight), layout.fit_intercept)
    return DataTerms(loss if "loss" in need else None, grad, hess)


def hessp(X, h, v, layout):
    r""":math:`\tilde X^\top (h \odot \tilde X v)`, the Hessian-vector product from the weights ``h``.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout
    >>> from crossentropy.objective.binary import hessp
    >>> hessp(np.array([[1.0], [2.0]]), np.array([1.0, 0.5]), np.array([1.0, 0.0]), CoefLayout(1, 2, True))
    array([3., 2.])
    """
    d = X.shape[1]
    t = h * logits(X, v, layout)
    t = t.astype(compute_dtype(X), copy=False)  # a float64 t would make NumPy cast all of a float32 X up
    out = np.empty(layout.n_coef)
    out[:d] = X.T @ t
    if layout.fit_intercept:
        out[d] = t.sum(dtype=np.float64)
    return out
