"""What every calibrator shares: checking scores, labels and weights, and the one-vs-rest scheme.

A calibrator maps the scores of a fitted classifier (``decision_function`` or ``predict_proba``
values) to probabilities. Scores come as an array of shape (n_samples,) (binary: the score of the
second class, ``classes_[1]``) or (n_samples, n_classes) (one column per class, in the order of
``classes_``; for two classes only the second column is used by the one-vs-rest calibrators).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .._validation import _preview, check_sample_weight


def check_scores(scores, name: str = "scores", *, keep_float32: bool = False, finite: bool = True) -> np.ndarray:
    """``scores`` as a float64 array of shape (n,) or (n, k) (a (n, 1) column as (n,)), all finite.

    ``keep_float32``: float32 input stays float32 (no copy). ``finite=False`` leaves the finiteness
    check to the caller (a pass over the data that detects it anyway).
    """
    arr = np.asarray(scores)
    if not (keep_float32 and arr.dtype == np.float32):
        try:
            arr = arr.astype(np.float64, copy=False)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be an array of real numbers, got {_preview(np.asarray(scores, dtype=object))}") from None
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim not in (1, 2) or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty array of shape (n_samples,) or (n_samples, n_classes), "
                         f"got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {_preview(arr[~np.isfinite(arr)])}")
    return arr


def label_codes(y, n_samples: int, n_classes: int, name: str = "y"):
    """``(classes, codes)`` of labels ``y`` for scores with ``n_classes`` columns.

    Integer labels in ``0..n_classes-1`` name the columns directly (a calibration fold may miss a
    class); other labels are sorted and must number ``n_classes``.
    """
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n_samples:
        raise ValueError(f"{name} must have shape ({n_samples},), got {y.shape}")
    if y.dtype.kind in "iu" and y.min() >= 0 and y.max() < n_classes:
        return np.arange(n_classes), y.astype(np.intp)
    classes, codes = np.unique(y, return_inverse=True)
    if classes.size != n_classes:
        raise ValueError(f"{name} holds {classes.size} distinct labels {_preview(classes)} but the scores are for "
                         f"{n_classes} classes; integer labels 0..{n_classes - 1} name the score columns")
    return classes, codes.reshape(-1).astype(np.intp)


def score_columns(scores: np.ndarray, n_classes: int, name: str = "scores") -> np.ndarray:
    """The score columns a one-vs-rest calibrator uses: (n, 1) for two classes, (n, K) otherwise."""
    if scores.ndim == 1:
        if n_classes != 2:
            raise ValueError(f"{name} of shape (n_samples,) is for two classes; the calibrator has {n_classes}")
        return scores[:, None]
    if scores.shape[1] != n_classes:
        raise ValueError(f"{name} must have {n_classes} columns (one per class), got {scores.shape[1]}")
    return scores[:, 1:] if n_classes == 2 else scores


def normalise_ovr(columns: np.ndarray, n_classes: int) -> np.ndarray:
    r"""Probabilities (n, K) from one-vs-rest columns, as scikit-learn's ``CalibratedClassifierCV``.

    Two classes: :math:`(1 - p, p)`. More: each row divided by its sum, the uniform distribution where
    every column is zero.
    """
    if n_classes == 2:
        p = columns[:, 0]
        return np.column_stack([1.0 - p, p])
    total = columns.sum(axis=1, keepdims=True)
    out = np.full_like(columns, 1.0 / n_classes)
    np.divide(columns, total, out=out, where=total != 0)
    return out


class CalibratorMixin(ClassifierMixin):
    """``fit(scores, y, sample_weight)``, ``predict_proba(scores)`` and ``predict(scores)`` of a calibrator."""

    def _check_fit(self, scores, y, sample_weight):
        s = check_scores(scores)
        classes, codes = label_codes(y, s.shape[0], 2 if s.ndim == 1 else s.shape[1])
        w = check_sample_weight(sample_weight, s.shape[0])
        w = np.ones(s.shape[0]) if w is None else np.asarray(w, np.float64)
        return s, classes, codes, w

    def _check_predict(self, scores):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "classes_")
        return check_scores(scores)

    def predict(self, scores):
        """The class of highest calibrated probability, shape (n_samples,)."""
        return self.classes_[np.argmax(self.predict_proba(scores), axis=1)]


class OneVsRestCalibrator(CalibratorMixin, BaseEstimator):
    """A binary map ``_fit_binary`` / ``_predict_binary`` applied one-vs-rest, normalised as scikit-learn does."""

    def fit(self, scores, y, sample_weight=None):
        """Fit on held-out ``scores`` (n,) or (n, K) and labels ``y`` (n,), optionally weighted.

        Returns
        -------
        self
        """
        self._check_params()
        s, classes, codes, w = self._check_fit(scores, y, sample_weight)
        cols = score_columns(s, classes.size)
        self.params_ = []
        for k in range(cols.shape[1]):
            target = codes == (1 if classes.size == 2 else k)
            self.params_.append(self._fit_binary(cols[:, k], target.astype(np.float64), w))
        self.classes_ = classes
        self.n_classes_ = classes.size
        return self

    def _check_params(self):
        """Check the constructor's parameters (subclasses override)."""

    def predict_proba(self, scores):
        """Calibrated probabilities, shape (n_samples, n_classes), columns in the order of ``classes_``."""
        s = self._check_predict(scores)
        cols = score_columns(s, self.n_classes_)
        p = np.column_stack([self._predict_binary(par, cols[:, k]) for k, par in enumerate(self.params_)])
        return normalise_ovr(p, self.n_classes_)
