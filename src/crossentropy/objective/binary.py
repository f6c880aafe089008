r"""The data terms of the binary (sigmoid) model on the flat coefficients ``[w_1, ..., w_d, b]``.

With logits :math:`z_i = w^\top x_i + b + o_i` (:math:`o_i` a fixed offset, 0 when none is given) and :math:`p_i = \sigma(z_i)`, the weighted log loss
:math:`L = \sum_i s_i\,\ell(z_i, y_i)` has gradient :math:`\sum_i s_i (p_i - y_i)\,\tilde x_i` and Hessian
:math:`\sum_i s_i p_i (1 - p_i)\,\tilde x_i \tilde x_i^\top` (:math:`\tilde x_i = [x_i, 1]` with an
intercept). The loss itself is :func:`crossentropy.losses.binary_cross_entropy_with_logits`.
"""

from __future__ import annotations

import math

import numpy as np

from .. import special
from ..losses.binary import binary_cross_entropy_with_logits
from .sums import DataTerms, compute_dtype, gram

__all__ = ["logits", "hess_weights", "data_terms", "loss_gradient_logits", "loss_gradient_gram", "gram_of_logits",
           "hessp"]

#: Entries of X from which the loss and gradient take the compiled one-pass route: it saves about a
#: third of a pass (0.35 ns an entry, 1.4 ms on 80,000 x 50), and loading it from numba's cache
#: costs about 0.2 s once per process (4 s to compile without a cache): below this, small fits
#: never load it and lose at most a millisecond a pass.
FUSED_MIN_ELEMENTS = 1 << 21


def _compiled(X, sample_weight):
    """Whether X takes the compiled passes of :mod:`crossentropy._kernels.binary_pass`: dense float64 or
    float32 rows with unit column stride (C-ordered, or evenly spaced rows of it: a subsample's view)
    of at least ``FUSED_MIN_ELEMENTS`` entries, float64 row weights or none."""
    return (isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype in (np.float64, np.float32)
            and (X.shape[1] <= 1 or X.strides[1] == X.itemsize) and X.size >= FUSED_MIN_ELEMENTS
            and (sample_weight is None or sample_weight.dtype == np.float64))


def _kernel_args(X, y, sample_weight, coef, layout):
    d = X.shape[1]
    sw = None if sample_weight is None else np.ascontiguousarray(sample_weight)
    b = float(coef[d]) if layout.fit_intercept else 0.0
    t = np.ascontiguousarray(y, dtype=y.dtype if y.dtype == X.dtype else np.float64)
    return X, np.ascontiguousarray(coef[:d], dtype=np.float64), b, t, sw


def _fused(X, y, sample_weight, coef, layout, gram_dtype=None, every=1):
    """``(z, loss, grad[, gram])`` by :func:`crossentropy._kernels.binary_pass.dense_pass` (with
    ``gram_dtype``: :func:`~crossentropy._kernels.binary_pass.dense_pass_gram`, the weighted Gram in the
    same pass) when X takes the compiled pass (:func:`_compiled`), else None (NumPy's path).

    float32 X and labels are read as they are and summed in float64: no temporaries of n entries
    besides the logits."""
    if not _compiled(X, sample_weight):
        return None
    from .._kernels import binary_pass  # numba's kernels load on first use

    args = _kernel_args(X, y, sample_weight, coef, layout)
    if gram_dtype is None:
        out = binary_pass.dense_pass(*args)
    else:
        out = binary_pass.dense_pass_gram(*args, gram_dtype, layout.fit_intercept, every)
    z, loss, grad = out[:3]
    if not (math.isfinite(loss) and np.isfinite(grad).all()):
        return None  # weights too large for plain sums: the NumPy path rescales them
    grad = grad if layout.fit_intercept else grad[:X.shape[1]].copy()
    return (z, loss, grad) + tuple(out[3:])


def logits(X, coef, layout, offset=None):
    r"""The logits :math:`z = X w + b + o`, ndarray of shape (n,) in X's compute dtype.

    ``offset`` (:math:`o`, shape (n,), or None for 0) is a fixed term of each row's logit with
    coefficient one; it is added in X's compute dtype.

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
    if offset is not None:
        z += offset.astype(dtype, copy=False)
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


def data_terms(X, y, sample_weight, coef, layout, need, z=None, offset=None):
    """Binary case of :func:`crossentropy.objective.data_terms` (``need`` a set; ``z`` the logits if known,
    offset included; ``offset`` the rows' offsets, used only when ``z`` is None).

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
        z = logits(X, coef, layout, offset)
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


def loss_gradient_logits(X, y, sample_weight, coef, layout, offset=None):
    """``(DataTerms(loss, grad, None), z)``: the loss and gradient sums of :func:`data_terms` and the logits.

    Dense float64 X of at least ``FUSED_MIN_ELEMENTS`` entries and no offset: one compiled pass over
    the rows (:mod:`crossentropy._kernels.binary_pass`, whose kernel has no offset term); otherwise
    :func:`logits` then :func:`data_terms`.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout
    >>> t, z = loss_gradient_logits(np.array([[0.0], [1.0]]), np.array([0.0, 1.0]), None, np.zeros(2),
    ...                             CoefLayout(1, 2, True))
    >>> round(t.loss, 6), t.grad, z
    (1.386294, array([-0.5,  0. ]), array([0., 0.]))
    """
    fused = None if offset is not None else _fused(X, y, sample_weight, coef, layout)
    if fused is not None:
        z, loss, grad = fused
        return DataTerms(loss, grad, None), z
    z = logits(X, coef, layout, offset)
    return data_terms(X, y, sample_weight, coef, layout, frozenset(["loss", "grad"]), z=z), z


def loss_gradient_gram(X, y, sample_weight, coef, layout, gram_dtype, every=1):
    r"""``(DataTerms(loss, grad, hess), z, top)`` from one compiled pass over the rows, or None.

    The loss and gradient of :func:`loss_gradient_logits` and the Hessian sum
    :math:`\tilde X^\top \mathrm{diag}(s_i p_i(1-p_i))\,\tilde X` of :func:`data_terms`, the rows
    cast to ``gram_dtype`` in the Hessian only, and ``top`` :math:`= \max_{ij}|x_{ij}|`; None where X
    does not take the compiled pass (:func:`_compiled`) or its sums are not finite. ``every`` > 1:
    the Hessian sum estimated from every ``every``-th chunk of rows, rescaled to all of them
    (:func:`~crossentropy._kernels.binary_pass.dense_pass_gram`).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout
    >>> X = np.array([[1.0], [2.0]]); y = np.array([0.0, 1.0])
    >>> loss_gradient_gram(X, y, None, np.zeros(2), CoefLayout(1, 2, True), np.float64) is None   # below FUSED_MIN_ELEMENTS
    True
    """
    fused = _fused(X, y, sample_weight, coef, layout, gram_dtype, every)
    if fused is None or not np.isfinite(fused[3]).all():
        return None
    z, loss, grad, G, top = fused
    return DataTerms(loss, grad, G), z, top


def gram_of_logits(X, z, sample_weight, layout, gram_dtype):
    r"""``(hess, top)``: the Hessian sum :math:`\tilde X^\top \mathrm{diag}(s_i p_i(1-p_i))\,\tilde X`
    from the logits ``z`` by the compiled chunked pass (X cast to ``gram_dtype`` chunk by chunk) and
    :math:`\max_{ij}|x_{ij}|`; None where X does not take it (:func:`_compiled`) or the sum is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import CoefLayout
    >>> gram_of_logits(np.array([[1.0]]), np.zeros(1), None, CoefLayout(1, 2, True), np.float64) is None
    True
    """
    if not _compiled(X, sample_weight):
        return None
    from .._kernels.binary_pass import dense_gram

    sw = None if sample_weight is None else np.ascontiguousarray(sample_weight)
    G, top = dense_gram(X, z, sw, gram_dtype, layout.fit_intercept)
    return (G, top) if np.isfinite(G).all() else None


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

