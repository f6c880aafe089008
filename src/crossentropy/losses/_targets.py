"""Class scores and class-index targets: the one preparation shared by every multiclass loss.

Used by :func:`~crossentropy.losses.multiclass.cross_entropy`, :func:`~crossentropy.losses.multiclass.nll_loss`,
:func:`~crossentropy.losses.focal.softmax_focal_loss` and
:func:`~crossentropy.losses.linear.linear_cross_entropy`. Private to the package (the module name has a
leading underscore); its functions have public names for the modules of :mod:`crossentropy.losses`.

- :func:`class_scores`: scores with a class axis (N-d, any axis) as a float array, the axis, the class count;
- :func:`to_rows` / :func:`from_rows`: (…, C, …) ↔ (N, C) rows;
- :func:`index_target`: integer class indices of a given shape, checked against the classes and
  ``ignore_index``, as an :class:`IndexTarget` (flat indices, not-ignored mask, safe indices);
  :func:`axis_index_target`: the same for the scores' shape without their class axis.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._validation import as_float_array, check_index_target, check_int, check_nonempty_for_mean

__all__ = ["IndexTarget", "class_scores", "to_rows", "from_rows", "index_target", "axis_index_target"]


class IndexTarget(NamedTuple):
    """Flat class-index targets, checked.

    ``y``: the indices as given, shape (N,); ``keep``: boolean mask of the rows that count (not
    ``ignore_index``); ``safe``: ``intp`` indices with ignored rows set to class 0, valid for indexing.
    """

    y: np.ndarray
    keep: np.ndarray
    safe: np.ndarray

    def weight_sum(self, weight) -> float:
        """:math:`\\sum_n k_n w_{y_n}` (the number of kept rows when ``weight`` is None): PyTorch's mean denominator."""
        if weight is None:
            return float(self.keep.sum())
        return float(np.sum(weight[self.safe] * self.keep))


def class_scores(scores, name: str, axis):
    """``(array, axis, n_classes)`` for scores (logits, log-probabilities) with a class axis ``axis``.

    Raises TypeError for a non-integer ``axis`` or non-numeric scores, ValueError for a scalar, an
    ``axis`` out of range or an empty class axis.
    """
    arr = as_float_array(scores, name)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have a class axis, got a scalar")
    check_int(axis, "axis")
    if not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"axis={axis} is out of range for {name} with {arr.ndim} dimension(s)")
    ax = int(axis) % arr.ndim
    n_classes = arr.shape[ax]
    if n_classes == 0:
        raise ValueError(f"{name} has an empty class axis")
    return arr, ax, n_classes


def to_rows(arr, axis):
    """Move ``axis`` last and flatten the rest: (…, C, …) -> (N, C) C-contiguous, and the moved shape."""
    moved = np.moveaxis(arr, axis, -1)
    return np.ascontiguousarray(moved.reshape(-1, moved.shape[-1])), moved.shape


def from_rows(rows, moved_shape, axis):
    """The inverse of :func:`to_rows`: (N, C) rows back to the original layout."""
    return np.moveaxis(rows.reshape(moved_shape), -1, axis)


def index_target(target, expected_shape, n_classes, *, ignore_index, reduction, shape_hint, probabilities_shape=None,
                 name="target") -> IndexTarget:
    """Check integer class indices of shape ``expected_shape`` and prepare them (see :class:`IndexTarget`).

    ``shape_hint`` explains the expected shape in the message (e.g. "class indices: logits without axis 1"); ``probabilities_shape``,
    when given, is named in the dtype message as the alternative (class-probability targets).
    A "mean" over no targets is refused.
    """
    t = np.asarray(target)
    if t.dtype.kind not in "iu":
        if probabilities_shape is None:
            raise TypeError(f"{name} must hold integer class indices, got dtype {t.dtype}")
        raise TypeError(
            f"{name} must hold integer class indices (shape {expected_shape}) or class probabilities "
            f"(shape {probabilities_shape}); got dtype {t.dtype} with shape {t.shape}"
        )
    if t.shape != tuple(expected_shape):
        raise ValueError(f"{name} must have shape {tuple(expected_shape)} ({shape_hint}), got {t.shape}")
    y = t.reshape(-1)
    keep = check_index_target(y, n_classes, ignore_index, name)
    check_nonempty_for_mean(y.size, reduction, name)
    return IndexTarget(y, keep, np.where(keep, y, 0).astype(np.intp))


def axis_index_target(target, scores_shape, axis: int, n_classes: int, *, ignore_index, reduction,
                      scores="logits") -> IndexTarget:
    """:func:`index_target` for targets of the scores' shape without the class axis ``axis`` (normalised)."""
    expected = tuple(scores_shape[:axis]) + tuple(scores_shape[axis + 1:])
    return index_target(target, expected, n_classes, ignore_index=ignore_index, reduction=reduction,
                        shape_hint=f"class indices: {scores} without axis {axis}",
                        probabilities_shape=tuple(scores_shape))
