"""Input checks shared by every public function.

Validation happens once, at the public boundary; the private kernels trust their inputs.
Every error names the argument and the bad value.
"""

from __future__ import annotations

import numbers

import numpy as np

REDUCTIONS = ("none", "mean", "sum")


def _preview(x, limit: int = 5) -> str:
    flat = np.ravel(np.asarray(x))
    body = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in flat[:limit])
    return f"[{body}{', ...' if flat.size > limit else ''}]"


def check_reduction(reduction) -> str:
    """Return ``reduction`` if it is one of ``"none"``, ``"mean"``, ``"sum"``, else raise ValueError."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


def check_label_smoothing(label_smoothing) -> float:
    """Return ``label_smoothing`` as a float in [0, 1], else raise."""
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real):
        raise TypeError(f"label_smoothing must be a real number, got {label_smoothing!r}")
    value = float(label_smoothing)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1], got {label_smoothing!r}")
    return value


def as_float_array(x, name: str, *, finite: bool = True) -> np.ndarray:
    """Convert ``x`` to a floating ndarray, keeping float16/32/64 and turning ints/bools into float64.

    Raises TypeError for non-numeric data and ValueError for NaN or inf when ``finite``.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be array-like of numbers, got {type(x).__name__}: {exc}") from None
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    elif arr.dtype == np.longdouble and arr.dtype != np.float64:
        arr = arr.astype(np.float64)
    if finite and arr.size and not np.isfinite(arr).all():
        bad = arr[~np.isfinite(arr)]
        raise ValueError(f"{name} must be finite, found {bad.size} NaN or inf value(s): {_preview(bad)}")
    return arr


def check_unit_interval(arr: np.ndarray, name: str) -> None:
    """Raise ValueError if any entry of ``arr`` lies outside [0, 1]."""
    if arr.size:
        bad = arr[(arr < 0) | (arr > 1)]
        if bad.size:
            raise ValueError(f"{name} must lie in [0, 1], found {bad.size} value(s) outside: {_preview(bad)}")


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise ValueError unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{name_b} must have the same shape as {name_a}: got {b.shape} and {a.shape}")


def check_broadcastable(arr, shape: tuple, name: str, *, nonnegative: bool = True) -> np.ndarray:
    """Return ``arr`` as a float64 array that broadcasts to ``shape`` (finite, optionally >= 0)."""
    out = as_float_array(arr, name).astype(np.float64, copy=False)
    try:
        fits = np.broadcast_shapes(out.shape, shape) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name} of shape {out.shape} does not broadcast to the input shape {tuple(shape)}")
    if nonnegative and (out < 0).any():
        raise ValueError(f"{name} must be non-negative, found {_preview(out[out < 0])}")
    return out


def check_class_weight(weight, n_classes: int, name: str = "weight") -> np.ndarray | None:
    """Return a float64 vector of length ``n_classes`` with non-negative finite entries, or None."""
    if weight is None:
        return None
    w = as_float_array(weight, name).astype(np.float64, copy=False)
    if w.ndim != 1 or w.shape[0] != n_classes:
        raise ValueError(f"{name} must be a 1-D array with one entry per class ({n_classes}), got shape {w.shape}")
    if (w < 0).any():
        raise ValueError(f"{name} must be non-negative, found {_preview(w[w < 0])}")
    return w


def check_index_target(target: np.ndarray, n_classes: int, ignore_index, name: str = "target") -> np.ndarray:
    """Check integer class indices lie in [0, n_classes) except where equal to ``ignore_index``.

    Returns a boolean mask of the positions that count (not ignored).
    """
    if ignore_index is not None and (isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral)):
        raise TypeError(f"ignore_index must be an integer or None, got {ignore_index!r}")
    keep = np.ones(target.shape, dtype=bool) if ignore_index is None else target != ignore_index
    kept = target[keep]
    if kept.size:
        bad = kept[(kept < 0) | (kept >= n_classes)]
        if bad.size:
            raise ValueError(
                f"{name} holds class indices outside [0, {n_classes}) (ignore_index={ignore_index!r}): {_preview(bad)}"
            )
    return keep


def check_nonempty_for_mean(size: int, reduction: str, name: str) -> None:
    """Raise ValueError when a mean is asked of an empty input."""
    if size == 0 and reduction == "mean":
        raise ValueError(f"{name} is empty: reduction='mean' is undefined for an empty input")
