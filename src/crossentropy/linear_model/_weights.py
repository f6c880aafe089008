r"""The row weights and the feature range of a ``LogisticRegression`` fit (its in-memory and Dask set-up).

- :func:`class_weights`: one weight per class and the total weight :math:`S`;
- :func:`row_weights`: each row's :math:`s_i c_{y_i}` (``summary()``'s frequency weights);
- :func:`fit_row_weights`: the same divided by a power of two for the fit (with :math:`C` multiplied
  by it: the same minimiser), so that any finite weights fit;
- :func:`check_feature_range`: features whose sums of products overflow are refused (float32 ones
  are taken in float64 first).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse

from .._validation import class_weight_vector
from ..losses._reduction import normalise_weights
from ..objective.base import products_fit

__all__ = ["class_weights", "row_weights", "fit_row_weights", "check_feature_range"]


def class_weights(class_weight, classes, weighted_counts):
    r"""One weight per class and the total weight :math:`S = \sum_k c_k S_k` after weighting.

    Parameters
    ----------
    class_weight : None, dict or "balanced"
    classes : array-like of shape (K,)
    weighted_counts : array-like of shape (K,)
        :math:`S_k`, the sample-weighted count of each class.

    Returns
    -------
    cw : ndarray of shape (K,)
        :func:`crossentropy._validation.class_weight_vector` (scikit-learn's rule).
    total : float
        :math:`S`, which must be positive.

    Examples
    --------
    >>> cw, total = class_weights("balanced", [0, 1], [3.0, 1.0])
    >>> cw.tolist(), total
    ([0.6666666666666666, 2.0], 4.0)

    References
    ----------
    scikit-learn, ``sklearn.utils.class_weight.compute_class_weight``.
    """
    counts = np.asarray(weighted_counts, dtype=np.float64)
    counts_n, _ = normalise_weights(counts)  # "balanced" is unchanged by a common factor of the counts
    cw = class_weight_vector(class_weight, classes, counts_n)
    if not float(normalise_weights(cw)[0] @ counts_n) > 0:  # computed so that huge weights do not overflow
        raise ValueError("sample_weight (times class_weight) must have a positive sum, got all zeros")
    with np.errstate(over="ignore"):
        total = float(cw @ counts)  # inf when the weights overflow float64 (fit_in_memory normalises them)
    return cw, total


def row_weights(class_weight, classes, y_enc, sample_weight):
    r"""Each row's sample weight times its class's weight, :math:`s_i\,c_{y_i}` (in memory).

    The class weights come from the sample-weighted class counts (:func:`class_weights`).

    Parameters
    ----------
    class_weight : None, dict or "balanced"
    classes : array-like of shape (K,)
    y_enc : ndarray of int of shape (n,)
        Positions in ``classes``.
    sample_weight : ndarray of shape (n,)

    Returns
    -------
    ndarray of shape (n,)
        ``sample_weight`` itself when ``class_weight`` is None.

    Examples
    --------
    >>> import numpy as np
    >>> row_weights("balanced", [0, 1], np.array([0, 1, 1]), np.ones(3)).tolist()
    [1.5, 0.75, 0.75]

    References
    ----------
    scikit-learn, ``sklearn.utils.class_weight.compute_sample_weight``.
    """
    K = len(classes)
    cw, _ = class_weights(class_weight, classes, np.bincount(y_enc, weights=sample_weight, minlength=K))
    return sample_weight if class_weight is None else sample_weight * cw[y_enc]


def fit_row_weights(class_weight, classes, y_enc, sample_weight):
    r"""``(r, shift)``: the row weights :math:`s_i c_{y_i}` of :func:`row_weights` as :math:`r_i 2^{\mathrm{shift}}`,
    with :math:`\max_i r_i` in [1, 2).

    scikit-learn's objective :math:`C\sum_i s_i\ell_i + \text{penalty}` with every :math:`s_i` divided
    by :math:`m` has the same minimiser with :math:`C m` for :math:`C`; the fit therefore takes
    :math:`r` and :math:`C\,2^{\mathrm{shift}}`. The sample weights, the class weights and their products
    are each divided by the power of two below their maximum, so that any finite weights (1e-320 or
    1e308) neither overflow nor underflow; dividing by powers of two is exact, and weights of order one
    give the same fit to the last bit.

    Examples
    --------
    >>> import numpy as np
    >>> r, shift = fit_row_weights({0: 1e308, 1: 1e308}, [0, 1], np.array([0, 1, 1]), np.full(3, 1e308))
    >>> r.tolist(), shift   # 1e308 * 1e308 = 1.2377 * 2**2046
    ([1.2377384189530314, 1.2377384189530314, 1.2377384189530314], 2046)
    """
    sw, s_scale = normalise_weights(sample_weight)
    shift = math.frexp(s_scale)[1] - 1
    K = len(classes)
    cw, _ = class_weights(class_weight, classes, np.bincount(y_enc, weights=sw, minlength=K))
    if class_weight is None:
        return sw, shift
    cw_n, c_scale = normalise_weights(cw)
    rows, r_scale = normalise_weights(sw * cw_n[y_enc])
    return rows, shift + math.frexp(c_scale)[1] - 1 + math.frexp(r_scale)[1] - 1


def check_feature_range(X, estimator_name=None):
    r"""``X`` as the fit computes with it: NaN and infinite entries refused (scikit-learn's
    ``assert_all_finite`` message, naming ``estimator_name``); float32 features too large for float32
    sums of products are taken in float64; features whose products overflow even float64 are refused,
    naming ``X``.

    The fit sums products of two features over the rows (the gradient, the Hessian
    :math:`X^\top D X`): they must stay finite (:func:`crossentropy.objective.base.products_fit`).
    The same pass proves the entries finite: a sum of squares (or a maximum and a minimum) is finite
    only if every entry is, so scikit-learn's own scan of the entries runs only to word the error.

    Examples
    --------
    >>> import numpy as np
    >>> check_feature_range(np.array([[3e30]], dtype=np.float32)).dtype
    dtype('float64')
    >>> check_feature_range(np.array([[1e200]]))
    Traceback (most recent call last):
    ...
    ValueError: X holds values up to 1e+200 in absolute value: the fit's sums of their products (X.T @ X) overflow float64; scale the features first (for example sklearn.preprocessing.StandardScaler)
    >>> check_feature_range(np.array([[np.nan]]))
    Traceback (most recent call last):
    ...
    ValueError: Input X contains NaN.
    """
    data = X.data if sparse.issparse(X) else X
    if data.size == 0:
        return X
    if data.dtype == np.float64 and data.flags.c_contiguous:
        # one pass for a bound, max|x|^2 <= sum x^2 (rounded by at most n eps, far inside the 16-fold
        # margin of products_fit); only where it does not settle it are max and min read. NumPy's loop,
        # not BLAS, as products with a vector (see crossentropy._blas): the fit's threads follow
        with np.errstate(over="ignore", invalid="ignore"):
            flat = data.reshape(-1)
            if products_fit(math.sqrt(float(np.einsum("i,i->", flat, flat))), X.shape[0], np.float64):
                return X
    top = max(float(data.max()), -float(data.min()))  # NaN if an entry is NaN, inf if one is infinite
    if not math.isfinite(top):
        from sklearn.utils import assert_all_finite

        assert_all_finite(data, estimator_name=estimator_name, input_name="X")
    if products_fit(top, X.shape[0], data.dtype):
        return X
    if data.dtype != np.float64 and products_fit(top, X.shape[0], np.float64):
        return X.astype(np.float64)
    raise ValueError(f"X holds values up to {top!r} in absolute value: the fit's sums of their products (X.T @ X) "
                     "overflow float64; scale the features first (for example sklearn.preprocessing.StandardScaler)")
