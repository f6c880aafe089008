"""Floating arrays, checks of array values and reductions, for any array API namespace ``xp``."""

from __future__ import annotations

import math
import numbers

from .._validation import check_nonempty_for_mean, check_reduction  # noqa: F401 (pure Python, re-exported)


def count(x) -> int:
    """The number of elements (``x.size`` is a method in PyTorch)."""
    return math.prod(x.shape)


def device_of(x):
    """The device of ``x`` (``array_api_compat.device``: also for libraries without ``.device``)."""
    import array_api_compat

    return array_api_compat.device(x)


def as_array(xp, value, like=None):
    """``value`` as an array of ``xp`` (on ``like``'s device when given); arrays of ``xp`` are kept."""
    from .._array_api import _foreign

    if _foreign(value):  # an array of the call's namespace (array_namespace refused mixed libraries)
        return value
    if like is None:
        return xp.asarray(value)
    return xp.asarray(value, device=device_of(like))


def is_float(xp, x) -> bool:
    return xp.isdtype(x.dtype, "real floating")


def float_array(xp, value, name, like=None, *, finite=True):
    """A real floating array: integers and booleans become float64; NaN/inf refused when ``finite``."""
    x = as_array(xp, value, like)
    if xp.isdtype(x.dtype, ("integral", "bool")):
        x = xp.astype(x, xp.float64)
    elif not is_float(xp, x):
        raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
    if finite and count(x) != 0 and not bool(xp.all(xp.isfinite(x))):
        bad = int(xp.sum(xp.astype(~xp.isfinite(x), xp.int64)))
        raise ValueError(f"{name} must be finite, found {bad} NaN or inf value(s)")
    return x


def compute_dtype(xp, dtype):
    """float16 is computed in float32; float32 and float64 stay."""
    return xp.float32 if dtype == getattr(xp, "float16", None) else dtype


def wide_dtype(xp, dtype, *weights):
    """``dtype``, or float64 where float16/32 arithmetic would overflow or lose the weights.

    float64 when a weight exceeds the square root of ``dtype``'s largest value (a weighted loss or
    gradient could overflow) or a positive weight lies below its smallest normal number (it would lose
    digits), as the NumPy path decides (:func:`crossentropy.losses._reduction.needs_float64`).
    """
    if dtype == xp.float64:
        return dtype
    info = xp.finfo(dtype)
    for w in weights:
        if w is None or count(w) == 0:
            continue
        a = xp.abs(xp.astype(w, xp.float64))
        smallest = xp.min(xp.where(a > 0, a, xp.full_like(a, math.inf)))
        if float(xp.max(a)) > math.sqrt(float(info.max)) or float(smallest) < float(getattr(info, "smallest_normal", None) or info.tiny):
            return xp.float64
    return dtype


def overflowed(xp, value, reduction) -> bool:
    """Whether a loss computed in float16/32 must be computed again in float64: a reduced value that is
    not finite, or a NaN among unreduced ones (an inf there is the value beyond the dtype's range)."""
    if reduction == "none":
        return count(value) != 0 and bool(xp.any(xp.isnan(value)))
    return not bool(xp.isfinite(value))


def check_unit_interval(xp, x, name):
    if count(x) != 0:
        bad = int(xp.sum(xp.astype((x < 0) | (x > 1), xp.int64)))
        if bad:
            raise ValueError(f"{name} must lie in [0, 1], found {bad} value(s) outside")


def check_same_shape(a, b, name_a, name_b):
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"{name_a} and {name_b} must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")


def check_nonnegative(xp, w, name):
    if count(w) != 0 and bool(xp.any(w < 0)):
        raise ValueError(f"{name} must be non-negative")


def weights(xp, value, shape, name, like, dtype):
    """Optional non-negative finite weights broadcast to ``shape`` in ``dtype`` (None stays None)."""
    if value is None:
        return None
    w = float_array(xp, value, name, like)
    check_nonnegative(xp, w, name)
    try:
        return xp.broadcast_to(xp.astype(w, dtype), tuple(shape))
    except (ValueError, RuntimeError):
        raise ValueError(f"{name} of shape {tuple(w.shape)} does not broadcast to {tuple(shape)}") from None


def class_weight(xp, value, n_classes, like, name="weight"):
    """Optional class weights of shape (C,), float64, non-negative and finite."""
    if value is None:
        return None
    w = xp.astype(float_array(xp, value, name, like), xp.float64)
    if tuple(w.shape) != (n_classes,):
        raise ValueError(f"{name} must have shape ({n_classes},), one entry per class, got {tuple(w.shape)}")
    check_nonnegative(xp, w, name)
    return w


def reduce(xp, rows, reduction, dtype, denominator=None):
    """``"none"``: ``rows`` in ``dtype``; ``"sum"``/``"mean"``: a 0-d float64 array (a zero denominator gives 0)."""
    if reduction == "none":
        return xp.astype(rows, dtype)
    total = xp.sum(xp.astype(rows, xp.float64))
    if reduction == "sum":
        return total
    den = count(rows) if denominator is None else denominator
    return total / den if den != 0 else total * 0.0


def grad_factor(reduction, size, denominator=None) -> float:
    """d(reduced)/d(row): 1 for "sum" and "none", 1/denominator for "mean" (0 for a zero denominator)."""
    if reduction != "mean":
        return 1.0
    den = size if denominator is None else denominator
    return 1.0 / den if den != 0 else 0.0


def like_of(*values):
    """The first argument that is an array of a library other than NumPy (the one whose device results take)."""
    from .._array_api import _foreign

    return next((v for v in values if _foreign(v)), None)


def class_axis(xp, x, name, axis):
    """``(x, axis, C)`` after the checks of the NumPy class-score preparation."""
    from .._validation import check_int

    if x.ndim == 0:
        raise ValueError(f"{name} must have a class axis, got a scalar")
    check_int(axis, "axis")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis={axis} is out of range for {name} with {x.ndim} dimension(s)")
    ax = int(axis) % x.ndim
    if x.shape[ax] == 0:
        raise ValueError(f"{name} has an empty class axis")
    return ax, x.shape[ax]


def to_rows(xp, x, ax):
    """(…, C, …) -> (N, C) and the permutation that moved the class axis last."""
    perm = tuple(i for i in range(x.ndim) if i != ax) + (ax,)
    moved = xp.permute_dims(x, perm)
    return xp.reshape(moved, (-1, x.shape[ax])), perm, tuple(moved.shape)


def from_rows(xp, rows, perm, moved_shape):
    inverse = tuple(perm.index(i) for i in range(len(perm)))
    return xp.permute_dims(xp.reshape(rows, moved_shape), inverse)


def index_target(xp, target, expected_shape, n_classes, ignore_index, like, name="target"):
    """``(y_safe, keep)``: flat int64 class indices (ignored rows set to 0) and the float not-ignored mask."""
    if ignore_index is not None and (isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral)):
        raise TypeError(f"ignore_index must be an integer or None, got {ignore_index!r}")
    t = as_array(xp, target, like)
    if not xp.isdtype(t.dtype, "integral"):
        raise TypeError(f"{name} must hold integer class indices, got dtype {t.dtype}")
    if tuple(t.shape) != tuple(expected_shape):
        raise ValueError(f"{name} must have shape {tuple(expected_shape)}, got {tuple(t.shape)}")
    y = xp.reshape(xp.astype(t, xp.int64), (-1,))
    keep = xp.ones(y.shape, dtype=xp.bool, device=device_of(y)) if ignore_index is None else y != int(ignore_index)
    bad = keep & ((y < 0) | (y >= n_classes))
    if bool(xp.any(bad)):
        raise ValueError(f"{name} holds class indices outside [0, {n_classes}) (ignore_index={ignore_index!r}): "
                         f"{int(xp.sum(xp.astype(bad, xp.int64)))} of them")
    return xp.where(keep, y, 0), keep


def one_hot(xp, y, n_classes, dtype):
    """(N, C) indicator of the classes ``y`` in ``dtype``."""
    classes = xp.arange(n_classes, device=device_of(y))
    return xp.astype(xp.reshape(y, (-1, 1)) == xp.reshape(classes, (1, -1)), dtype)
