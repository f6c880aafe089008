"""The one reduction vocabulary of the package: ``"none"``, ``"mean"``, ``"sum"``.

``"mean"`` and ``"sum"`` return a NumPy float64 scalar accumulated in float64 (also for float32
input); ``"none"`` returns the per-element array.
"""

from __future__ import annotations

import numpy as np


def reduce_loss(per_element: np.ndarray, reduction: str, denominator: float | None = None):
    """Reduce ``per_element`` losses.

    ``denominator`` overrides the element count used by ``"mean"`` (PyTorch's weighted mean divides by
    the sum of the targets' class weights). A zero denominator gives 0.0 rather than NaN.
    """
    if reduction == "none":
        return np.asarray(per_element)  # a 0-d array, not a NumPy scalar, for 0-d input
    total = np.sum(per_element, dtype=np.float64)
    if reduction == "sum":
        return np.float64(total)
    den = per_element.size if denominator is None else denominator
    return np.float64(total / den) if den != 0 else np.float64(0.0)


def grad_scale(reduction: str, size: int, denominator: float | None = None) -> float:
    """The factor d(reduced loss)/d(per-element loss): 1 for ``"sum"`` and ``"none"``, 1/denominator for ``"mean"``."""
    if reduction != "mean":
        return 1.0
    den = size if denominator is None else denominator
    return 1.0 / den if den != 0 else 0.0


def compute_dtype(dtype: np.dtype) -> np.dtype:
    """float16 is computed in float32 (and cast back); float32 and float64 stay as they are."""
    return np.dtype(np.float32) if dtype == np.float16 else np.dtype(dtype)
