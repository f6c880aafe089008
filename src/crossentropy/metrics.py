"""``log_loss``: scikit-learn's log loss, on labels of any type and predicted probabilities.

The calibration metrics of :mod:`crossentropy.calibration` (``calibration_error``, ``brier_decomposition``,
``log_loss_decomposition``, ``reliability_diagram_corp``, ``roc``, ``precision_recall``) are re-exported
here, imported on first use.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._validation import _preview, as_float_array, check_unit_interval
from .losses._reduction import normalise_weights

__all__ = ["log_loss", "calibration_error", "brier_decomposition", "log_loss_decomposition",
           "reliability_diagram_corp", "roc", "precision_recall"]

_CALIBRATION = frozenset(__all__[1:])


def __getattr__(name):
    if name in _CALIBRATION:
        from . import calibration

        return getattr(calibration, name)
    raise AttributeError(f"module 'crossentropy.metrics' has no attribute {name!r}")


def _encode(y_true, labels):
    """One-hot encode ``y_true`` in sorted label order, with scikit-learn's checks on ``labels``."""
    from sklearn.preprocessing import LabelBinarizer  # imported here: keeps `import crossentropy` light

    lb = LabelBinarizer()
    if labels is not None:
        labels_arr = np.asarray(labels)
        lb.fit(labels_arr)
        if labels_arr.ndim != 1 or lb.classes_.shape != labels_arr.shape:
            raise ValueError(f"labels must be a 1-D array of distinct labels, got {_preview(labels_arr)}")
        if not np.all(lb.classes_ == labels_arr):
            warnings.warn(
                f"labels {labels_arr.tolist()!r} are not sorted: the columns of y_proba are taken to be in "
                f"sorted label order {lb.classes_.tolist()!r}",
                UserWarning,
                stacklevel=3,
            )
        y_arr = np.asarray(y_true)
        unknown = ~np.isin(y_arr, labels_arr)
        if unknown.any():
            raise ValueError(
                f"y_true contains values not in labels {labels_arr.tolist()!r}: {_preview(np.unique(y_arr[unknown]))}"
            )
    else:
        try:
            lb.fit(y_true)
        except ValueError as exc:  # e.g. continuous values: "Unknown label type"
            raise ValueError(f"y_true must hold class labels: {exc}") from None
    if len(lb.classes_) == 1:
        if labels is None:
            raise ValueError(
                f"y_true contains only one label ({lb.classes_[0]!r}); pass the true labels explicitly "
                "through the labels argument"
            )
        raise ValueError(f"labels must contain at least two labels for log_loss, got {lb.classes_.tolist()!r}")
    y = lb.transform(y_true)
    if y.shape[1] == 1:
        y = np.hstack([1 - y, y])
    return y, lb.classes_


def log_loss(y_true, y_proba, *, normalize=True, sample_weight=None, labels=None):
    r"""Log loss (cross-entropy) of labels given predicted probabilities, as scikit-learn computes it.

    .. math::
        \ell_i = -\sum_k Y_{ik}\log \mathrm{clip}(P_{ik}, \epsilon, 1-\epsilon), \qquad
        \text{log\_loss} = \frac{\sum_i s_i\,\ell_i}{\sum_i s_i}\ \ (\texttt{normalize=True})
        \ \text{or}\ \sum_i s_i\,\ell_i

    with :math:`Y` the one-hot labels (columns in sorted label order, as
    ``sklearn.preprocessing.LabelBinarizer``), :math:`\epsilon` the machine epsilon of ``y_proba``'s
    dtype and :math:`s` the sample weights. Values equal ``sklearn.metrics.log_loss`` (the same
    operations in the same dtypes, so float32 and float16 inputs give its numbers too); rows that do
    not sum to one give a UserWarning and are not renormalised. The same inputs raise ValueError:
    probabilities outside [0, 1] or not finite, mismatched lengths, a single class without
    ``labels``, ``y_true`` values missing from ``labels``, a class count that differs from
    ``y_proba``'s columns, all-zero sample weights.

    Parameters
    ----------
    y_true : array_like of shape (n_samples,), labels of any type (or an indicator matrix)
    y_proba : array_like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities; a 1-D array is the probability of the positive (larger) label.
    normalize : bool, default True
        Mean per sample (weighted) if True, else the weighted sum.
    sample_weight : array_like of shape (n_samples,), optional
        Finite weights, not all zero (negative weights are accepted, as in scikit-learn).
    labels : array_like, optional
        All class labels, when ``y_true`` does not contain every one of them. Columns of ``y_proba``
        follow the sorted labels; unsorted ``labels`` give a UserWarning.

    Returns
    -------
    float

    Examples
    --------
    >>> import crossentropy as ce
    >>> round(ce.log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]), 5)
    0.21616

    References
    ----------
    Bishop, *Pattern Recognition and Machine Learning* (2006), p. 209; ``sklearn.metrics.log_loss``.
    """
    p = as_float_array(y_proba, "y_proba")
    if p.ndim not in (1, 2):
        raise ValueError(f"y_proba must be 1-D or 2-D, got shape {p.shape}")
    check_unit_interval(p, "y_proba")
    y_true_arr = np.asarray(y_true)
    n_true = y_true_arr.shape[0] if y_true_arr.ndim else 0
    if n_true != p.shape[0]:
        raise ValueError(f"y_true and y_proba have different numbers of samples: {n_true} and {p.shape[0]}")
    if p.shape[0] == 0:
        raise ValueError("y_true and y_proba are empty: log_loss needs at least one sample")
    s = check_log_loss_weights(sample_weight, p.shape[0], normalize=normalize)
    y, classes = _encode(y_true, labels)
    if p.ndim == 1:
        p = p[:, None]
    if p.shape[1] == 1:
        p = np.hstack([1 - p, p])
    eps = np.finfo(p.dtype).eps
    if not np.allclose(p.sum(axis=1), 1, rtol=np.sqrt(eps), atol=1e-8):
        warnings.warn("The y_proba values do not sum to one. Make sure to pass probabilities.", UserWarning, stacklevel=2)
    if y.shape[1] != p.shape[1]:
        hint = "" if labels is not None else " Pass the true labels explicitly through the labels argument."
        raise ValueError(
            f"y_true and y_proba contain different numbers of classes: {y.shape[1]} vs {p.shape[1]}.{hint} "
            f"Classes found: {classes.tolist()!r}"
        )
    return encoded_log_loss(y, p, s, normalize=normalize)


def check_log_loss_weights(sample_weight, n, *, normalize=True):
    """``sample_weight`` checked for :func:`log_loss` over ``n`` rows (None stays None).

    Shape (n,), finite, not all zero, and (``normalize``) not summing to zero; negative weights
    are accepted, as scikit-learn does, and integer weights stay integers (the result's dtype).

    Examples
    --------
    >>> check_log_loss_weights([1, 0, 2], 3)
    array([1, 0, 2])
    """
    if sample_weight is None:
        return None
    s = as_float_array(sample_weight, "sample_weight")
    if s.shape != (n,):
        raise ValueError(f"sample_weight must have shape ({n},), got {s.shape}")
    if not s.any():
        raise ValueError("sample_weight is all zero: at least one sample must have a non-zero weight")
    if normalize and normalise_weights(s)[0].sum() == 0:
        raise ValueError("sample_weight sums to zero: the weighted mean log loss is undefined")
    raw = np.asarray(sample_weight)
    return raw if raw.dtype.kind in "iuf" else s


def encoded_log_loss(Y, p, sample_weight=None, *, normalize=True):
    r""":func:`log_loss` of checked inputs: one-hot labels ``Y`` (n, K), probabilities ``p`` (n, K).

    :math:`\ell_i = -\sum_k Y_{ik}\log\mathrm{clip}(P_{ik}, \epsilon, 1-\epsilon)`, averaged with the weights
    (``normalize``) or summed; ``sample_weight`` finite, of the dtype the result should follow. For
    scoring many predictions of the same labels (a regularisation path) without encoding them each time.

    Examples
    --------
    >>> import numpy as np
    >>> round(encoded_log_loss(np.array([[0, 1], [1, 0]]), np.array([[0.2, 0.8], [0.6, 0.4]])), 6)
    0.366985
    """
    # the same operations, in the same dtypes, as scikit-learn, so the results agree to the last bits
    y = Y.astype(p.dtype)
    loss = -np.where(y == 0, p.dtype.type(0), y * np.log(np.clip(p, *_clip_bounds(p.dtype)))).sum(axis=1)
    return float(_mean_rows(loss, sample_weight, normalize))


def true_class_log_loss(p_true, sample_weight=None, *, normalize=True):
    r"""The log loss of each row of ``p_true``: the probabilities each model gave the samples' own labels.

    :math:`L_m = \sum_i s_i\,(-\log\mathrm{clip}(p_{mi}, \epsilon, 1-\epsilon)) / \sum_i s_i`, the value
    of :func:`log_loss` for model :math:`m` (one-hot labels have one non-zero term a row), for many
    models of the same samples at once (the points of a regularisation path).

    Parameters
    ----------
    p_true : ndarray of shape (m, n)
    sample_weight : ndarray of shape (n,), optional
        Checked (:func:`check_log_loss_weights`).
    normalize : bool, default True

    Returns
    -------
    ndarray of shape (m,)

    Examples
    --------
    >>> import numpy as np
    >>> true_class_log_loss(np.array([[0.8, 0.6], [0.5, 0.5]])).round(6)
    array([0.366985, 0.693147])
    """
    p_true = np.ascontiguousarray(p_true)
    loss = -np.log(np.clip(p_true, *_clip_bounds(p_true.dtype)))
    return _mean_rows(loss, sample_weight, normalize)


def _clip_bounds(dtype):
    eps = np.finfo(dtype).eps
    return eps, 1 - eps


def _mean_rows(loss, sample_weight, normalize):
    """The weighted mean (or sum) over the last axis of ``loss``: any finite weights (divided by a
    power of two, which is exact, before they multiply)."""
    scale, s = 1.0, sample_weight
    if s is not None and s.dtype.kind == "f":
        s, scale = normalise_weights(s)
        s = s.astype(sample_weight.dtype, copy=False)
    if normalize:
        return np.average(loss, axis=-1, weights=s)
    with np.errstate(over="ignore"):
        return np.sum(loss, axis=-1) if s is None else (loss @ s) * scale
