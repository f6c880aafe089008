"""The scores a calibrator reads from a fitted classifier, with scikit-learn's conventions."""

from __future__ import annotations

import numpy as np
from scipy.special import expit


def response_method(estimator, prefer_proba: bool = False) -> str:
    """``"decision_function"`` when the estimator has it (unless ``prefer_proba``), else ``"predict_proba"``."""
    order = ("predict_proba", "decision_function") if prefer_proba else ("decision_function", "predict_proba")
    for name in order:
        if hasattr(estimator, name):
            return name
    raise TypeError(f"estimator must have decision_function or predict_proba, got {type(estimator).__name__}")


def raw_scores(estimator, X, method: str) -> np.ndarray:
    """``estimator.<method>(X)`` as float64, the positive column alone for two-class probabilities."""
    return select_columns(getattr(estimator, method)(X), method)


def select_columns(out, method: str) -> np.ndarray:
    """Responses of ``method`` as float64: two-class probabilities reduced to the positive column."""
    out = np.asarray(out, dtype=np.float64)
    if method == "predict_proba" and out.ndim == 2 and out.shape[1] == 2:
        out = out[:, 1]
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    return out


def calibration_scores(estimator, X, calibration: str):
    """The scores of ``X`` that calibration method ``calibration`` reads.

    - ``"temperature"``: logits. Decision values as they are; probabilities :math:`p` as
      :math:`\\log(p + 10^{-12})` (binary: :math:`\\log(p + 10^{-12}) - \\log(1 - p + 10^{-12})`), as
      scikit-learn's temperature method converts them.
    - ``"beta"``: probabilities (``predict_proba`` when the estimator has it, else the logistic
      sigmoid of binary decision values or the softmax of multiclass ones).
    - the others: decision values when the estimator has ``decision_function``, else probabilities.
    """
    method = response_method(estimator, prefer_proba=calibration == "beta")
    return to_calibration_scores(raw_scores(estimator, X, method), method, calibration)


def to_calibration_scores(s: np.ndarray, method: str, calibration: str) -> np.ndarray:
    """Responses ``s`` of ``method`` (from :func:`select_columns`) as :func:`calibration_scores` gives them."""
    if calibration == "beta":
        if method == "decision_function":
            from ..special import softmax

            s = expit(s) if s.ndim == 1 else softmax(s, axis=1)
        return s
    if calibration == "temperature" and method == "predict_proba":
        eps = 1e-12
        s = np.log(s + eps) - np.log(1.0 - s + eps) if s.ndim == 1 else np.log(s + eps)
    return s
