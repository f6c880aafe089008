"""``log_loss``: scikit-learn's log loss, on labels of any type and predicted probabilities."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import xlogy
from sklearn.preprocessing import LabelBinarizer

from ._validation import as_float_array, check_unit_interval

__all__ = ["log_loss"]


def _encode(y_true, labels):
    lb = LabelBinarizer()
    lb.fit(labels if labels is not None else y_true)
    if len(lb.classes_) == 1:
        if labels is None:
            raise ValueError(
                f"y_true contains only one label ({lb.classes_[0]!r}); pass the true labels explicitly "
                "through the labels argument"
            )
        raise ValueError(f"labels must contain at least two labels for log_loss, got {list(lb.classes_)!r}")
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
    dtype and :math:`s` the sample weights. Values equal ``sklearn.metrics.log_loss``; rows that do not
    sum to one give a UserWarning and are not renormalised.

    Parameters
    ----------
    y_true : array_like of shape (n_samples,), labels of any type (or an indicator matrix)
    y_proba : array_like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities; a 1-D array is the probability of the positive (larger) label.
    normalize : bool, default True
        Mean per sample (weighted) if True, else the weighted sum.
    sample_weight : array_like of shape (n_samples,), optional
    labels : array_like, optional
        All class labels, when ``y_true`` does not contain every one of them.

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
    if p.dtype == np.float16:
        p = p.astype(np.float32)
    if p.ndim not in (1, 2):
        raise ValueError(f"y_proba must be 1-D or 2-D, got shape {p.shape}")
    check_unit_interval(p, "y_proba")
    y_true_arr = np.asarray(y_true)
    if y_true_arr.shape[:1] != p.shape[:1]:
        raise ValueError(f"y_true and y_proba have different numbers of samples: {y_true_arr.shape[0] if y_true_arr.ndim else 0} and {p.shape[0]}")
    if p.shape[0] == 0:
        raise ValueError("y_true and y_proba are empty: log_loss needs at least one sample")
    s = None
    if sample_weight is not None:
        s = as_float_array(sample_weight, "sample_weight").astype(np.float64)
        if s.shape != (p.shape[0],):
            raise ValueError(f"sample_weight must have shape ({p.shape[0]},), got {s.shape}")
        if (s < 0).any():
            raise ValueError(f"sample_weight must be non-negative, found {s[s < 0][:5].tolist()}")
    y, classes = _encode(y_true, labels)
    if p.ndim == 1:
        p = p[:, None]
    if p.shape[1] == 1:
        p = np.hstack([1 - p, p])
    eps = np.finfo(p.dtype).eps
    if not np.allclose(p.sum(axis=1), 1, rtol=np.sqrt(eps), atol=0):
        warnings.warn("The y_proba values do not sum to one. Make sure to pass probabilities.", UserWarning, stacklevel=2)
    if y.shape[1] != p.shape[1]:
        hint = "" if labels is not None else " Pass the true labels explicitly through the labels argument."
        raise ValueError(
            f"y_true and y_proba contain different numbers of classes: {y.shape[1]} vs {p.shape[1]}.{hint} "
            f"Classes found: {list(classes)!r}"
        )
    loss = -xlogy(y.astype(p.dtype), np.clip(p, eps, 1 - eps)).sum(axis=1)
    if s is None:
        return float(np.mean(loss, dtype=np.float64) if normalize else np.sum(loss, dtype=np.float64))
    total = float(np.dot(s, loss))
    if not normalize:
        return total
    if s.sum() == 0:
        raise ValueError("sample_weight sums to zero: the weighted mean log loss is undefined")
    return total / float(s.sum())
