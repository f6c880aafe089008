r"""Prediction on Dask input: a fitted estimator's own method mapped over the row chunks of X.

Each chunk of the result is the estimator's method (``decision_function``, ``predict_proba``,
``predict_log_proba``, ``predict``) applied to the matching rows, on the worker that holds them:

.. math::
    f(X) = \begin{bmatrix} f(X_{B_1}) \\ \vdots \\ f(X_{B_m}) \end{bmatrix}

The estimator is duck-typed (``classes_``, ``n_features_in_``, optional ``feature_names_in_`` and the
method); this module knows nothing about its class. :mod:`crossentropy.linear_model` reaches it
through this package's lazy entry (:mod:`crossentropy.distributed`).
"""

from __future__ import annotations

import copy

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._dask import da

from ._inputs import align_offset, as_row_chunked, check_offset_classes, feature_names_of

__all__ = ["decision_function", "predict_proba", "predict_log_proba", "predict"]


# --------------------------------------------------------------------------------------- prediction
def _for_blocks(estimator, X, lengths=False):
    """Checked Dask array of X and a light copy of the fitted estimator to run on each chunk."""
    check_is_fitted(estimator)
    names = feature_names_of(X)
    fitted_names = getattr(estimator, "feature_names_in_", None)
    if names is not None and fitted_names is not None and list(names) != list(fitted_names):
        raise ValueError(f"X has feature names {list(names)[:10]} but the model was fitted with "
                         f"{list(fitted_names)[:10]}: the columns must match in name and order")
    X = as_row_chunked(X, lengths=lengths)
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(f"X has {X.shape[1]} features, but {type(estimator).__name__} is expecting "
                         f"{estimator.n_features_in_} features as input")
    light = copy.copy(estimator)
    for attr in ("feature_names_in_", "loss_curve_"):
        if attr in light.__dict__:
            delattr(light, attr)
    return X, light


def _block_call(block, estimator, method):
    return getattr(estimator, method)(block)


def _block_call_offset(block, offset_block, estimator, method):
    """The estimator's ``method`` on one chunk of rows and their offsets (one column for two classes)."""
    if offset_block.shape[1] == 1:
        offset_block = offset_block[:, 0]
    return getattr(estimator, method)(block, offset=offset_block)


def _map(estimator, X, method, n_cols, dtype=None, offset=None):
    """``method`` over the row chunks of X; ``offset`` (the rows' logit offsets) goes chunk by chunk
    as a 2-D array with X's row chunks, one column for two classes."""
    X, light = _for_blocks(estimator, X, lengths=offset is not None)
    dtype = X.dtype if dtype is None else dtype  # float outputs keep X's float32 / float64
    func, arrays = _block_call, (X,)
    if offset is not None:
        o = check_offset_classes(align_offset(offset, X.chunks[0], n_samples=X.shape[0]), len(estimator.classes_))
        func, arrays = _block_call_offset, (X, o if o.ndim == 2 else o[:, None].rechunk({1: 1}))
    if n_cols is None:  # one value per row
        return da.map_blocks(func, *arrays, light, method, drop_axis=1, dtype=dtype,
                             meta=np.empty((0,), dtype=dtype))
    return da.map_blocks(func, *arrays, light, method, chunks=(X.chunks[0], (n_cols,)), dtype=dtype,
                         meta=np.empty((0, 0), dtype=dtype))


def decision_function(estimator, X, *, offset=None):
    r"""Logits of a fitted model on Dask input, as a lazy Dask array chunked like the rows of X.

    .. math::
        z = X w + b \quad (n,) \text{ for two classes}, \qquad Z = X W^\top + b \quad (n, K)

    Parameters
    ----------
    estimator : fitted classifier (duck-typed, e.g. crossentropy.LogisticRegression)
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n, d)
    offset : Dask or in-memory array-like of shape (n,), (n, 1) or (n, K), optional
        The rows' fixed logit offsets (added to the logits).

    Returns
    -------
    dask.array.Array of shape (n,) or (n, K)
        Each chunk is the estimator's own ``decision_function`` of the matching rows.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from crossentropy import LogisticRegression
    >>> clf = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1])
    >>> z = clf.decision_function(da.from_array(np.array([[0.0], [3.0]]), chunks=(1, 1)))
    >>> type(z).__name__, z.compute().round(4)
    ('Array', array([-0.6793,  0.6793]))

    References
    ----------
    Bishop, *Pattern Recognition and Machine Learning* (2006), §4.3.2.
    """
    check_is_fitted(estimator)
    K = len(estimator.classes_)
    return _map(estimator, X, "decision_function", None if K == 2 else K, offset=offset)


def predict_proba(estimator, X, *, offset=None):
    r"""Class probabilities of a fitted model on Dask input: a lazy Dask array of shape (n, K).

    .. math::
        P = [1 - \sigma(z), \sigma(z)] \text{ (two classes)}, \qquad P = \mathrm{softmax}(Z) \text{ (K classes)}

    Parameters
    ----------
    estimator : fitted classifier (duck-typed, e.g. crossentropy.LogisticRegression)
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n, d)
    offset : Dask or in-memory array-like of shape (n,), (n, 1) or (n, K), optional
        The rows' fixed logit offsets (added to the logits).

    Returns
    -------
    dask.array.Array of shape (n, K), columns in the order of ``classes_``

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from crossentropy import LogisticRegression
    >>> clf = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1])
    >>> clf.predict_proba(da.from_array(np.array([[0.0], [3.0]]), chunks=(1, 1))).compute().round(4)
    array([[0.6636, 0.3364],
           [0.3364, 0.6636]])

    References
    ----------
    Bishop, *Pattern Recognition and Machine Learning* (2006), §4.3.2 and §4.3.4.
    """
    check_is_fitted(estimator)
    return _map(estimator, X, "predict_proba", len(estimator.classes_), offset=offset)


def predict_log_proba(estimator, X, *, offset=None):
    r"""Log-probabilities of a fitted model on Dask input: a lazy Dask array of shape (n, K).

    .. math::
        \log P = [\log\sigma(-z), \log\sigma(z)] \text{ or } \mathrm{log\_softmax}(Z)

    Parameters
    ----------
    estimator : fitted classifier (duck-typed, e.g. crossentropy.LogisticRegression)
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n, d)
    offset : Dask or in-memory array-like of shape (n,), (n, 1) or (n, K), optional
        The rows' fixed logit offsets (added to the logits).

    Returns
    -------
    dask.array.Array of shape (n, K)

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from crossentropy import LogisticRegression
    >>> clf = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1])
    >>> clf.predict_log_proba(da.from_array(np.array([[3.0]]), chunks=(1, 1))).compute().round(4)
    array([[-1.0894, -0.4101]])

    References
    ----------
    Bishop, *Pattern Recognition and Machine Learning* (2006), §4.3.4.
    """
    check_is_fitted(estimator)
    return _map(estimator, X, "predict_log_proba", len(estimator.classes_), offset=offset)


def predict(estimator, X, *, offset=None):
    r"""Most probable class of each row on Dask input: a lazy Dask array of labels, shape (n,).

    .. math::
        \hat y_i = c_{\arg\max_k P_{ik}}

    Parameters
    ----------
    estimator : fitted classifier (duck-typed, e.g. crossentropy.LogisticRegression)
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n, d)
    offset : Dask or in-memory array-like of shape (n,), (n, 1) or (n, K), optional
        The rows' fixed logit offsets (added to the logits).

    Returns
    -------
    dask.array.Array of shape (n,), of the dtype of ``classes_``

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from crossentropy import LogisticRegression
    >>> clf = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], ["a", "b", "a", "b"])
    >>> clf.predict(da.from_array(np.array([[0.0], [3.0]]), chunks=(1, 1))).compute().tolist()
    ['a', 'b']

    References
    ----------
    Bishop, *Pattern Recognition and Machine Learning* (2006), §4.3.
    """
    check_is_fitted(estimator)
    return _map(estimator, X, "predict", None, np.asarray(estimator.classes_).dtype, offset=offset)
