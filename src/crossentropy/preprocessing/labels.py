"""Class labels of a table's target column: normalised dtypes and their JSON form in model files."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["labels_to_json", "labels_from_json", "target_labels"]


def _class_dtype(values: np.ndarray):
    """Normalise target labels: (labels array, dtype name in {"str", "int", "float", "bool"})."""
    kind = values.dtype.kind
    if kind == "b":
        return values.astype(bool), "bool"
    if kind in "iu":
        return values.astype(np.int64), "int"
    if kind == "f":
        if np.all(np.isfinite(values)) and np.all(values == np.round(values)) and np.all(np.abs(values) < 2**53):
            return values.astype(np.int64), "int"
        return values.astype(np.float64), "float"
    return np.asarray([str(v) for v in values], dtype=str), "str"


def _exact_label(value, dtype):
    """``value`` as a label of ``dtype`` ("int" or "bool"), or None when it is not exactly one."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value) if dtype == "bool" else None
    if dtype == "bool":
        return {"True": True, "False": False}.get(value) if isinstance(value, str) else None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer() and abs(value) < 2**53:
        return int(value)
    return None


def target_labels(values, dtype: str, target: str) -> np.ndarray:
    """The labels of a target column as the dtype the model was trained on, refusing what is not one.

    A ``"str"`` model reads every value as its string. An ``"int"`` model takes whole numbers only
    (``1.5`` is not the class 1); a ``"bool"`` model takes booleans and the strings ``"True"`` and
    ``"False"`` only (``"no"`` or ``0`` is not ``False``). Anything else raises ValueError naming
    the target column and up to five of the values.

    Parameters
    ----------
    values : array_like of shape (n,)
        No missing values.
    dtype : {"str", "int", "float", "bool"}
        The model's ``classes_dtype``.
    target : str
        The column's name, for the message.

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> target_labels(np.array([1.0, 2.0]), "int", "y")
    array([1, 2])
    >>> target_labels(np.array([1.0, 1.5, -0.7]), "int", "y")
    Traceback (most recent call last):
    ...
    ValueError: the target column 'y' holds labels the model does not know: [1.5, -0.7] (the model's labels are int)
    """
    arr = np.asarray(values)
    if dtype == "str":
        return np.asarray([str(v) for v in arr.tolist()], dtype=str)
    if dtype == "float":
        return arr.astype(np.float64)
    items = arr.astype(object).tolist()
    got = [_exact_label(v, dtype) for v in items]
    bad = list(dict.fromkeys(v for v, g in zip(items, got) if g is None))
    if bad:
        raise ValueError(f"the target column {target!r} holds labels the model does not know: {bad[:5]}"
                         f"{' and more' if len(bad) > 5 else ''} (the model's labels are {dtype})")
    return np.asarray(got, dtype=bool if dtype == "bool" else np.int64)


def labels_from_json(values, dtype: str, *, ordered: bool = False) -> np.ndarray:
    """Rebuild a label array from JSON values and its dtype name; ValueError if they do not match.

    Parameters
    ----------
    values : list
        Sorted distinct labels, as :func:`labels_to_json` wrote them.
    dtype : {"str", "int", "float", "bool"}
    ordered : bool, default False
        The labels are in a model's own order (the levels of an ordinal model, lowest first):
        distinct, in any order.

    Returns
    -------
    ndarray of shape (n_classes,)

    Examples
    --------
    >>> labels_from_json([0, 2], "int")
    array([0, 2])
    """
    checks = {
        "str": (str, str),
        "int": (int, np.int64),
        "float": ((int, float), np.float64),
        "bool": (bool, bool),
    }
    if dtype not in checks:
        raise ValueError(f"classes_dtype must be one of {sorted(checks)}, got {dtype!r}")
    if not isinstance(values, list) or not values:
        raise ValueError(f"classes must be a non-empty list, got {type(values).__name__}")
    py_type, np_type = checks[dtype]
    for v in values:
        if not isinstance(v, py_type) or (dtype in ("int", "float") and isinstance(v, bool)):
            raise ValueError(f"classes of dtype {dtype!r} must hold {dtype} values, got {v!r}")
        if dtype == "float" and not math.isfinite(v):
            raise ValueError(f"classes must be finite, got {v!r}")
    arr = np.asarray(values, dtype=np_type)
    if len(np.unique(arr)) != arr.size or not (ordered or np.array_equal(np.sort(arr), arr)):
        raise ValueError(f"classes must be {'' if ordered else 'sorted and '}distinct, got {values!r}")
    return arr


def labels_to_json(classes) -> tuple[list, str]:
    """(JSON-able list, dtype name) for an array of class labels.

    Examples
    --------
    >>> labels_to_json(np.array([1.0, 3.0]))
    ([1, 3], 'int')
    """
    arr, dtype = _class_dtype(np.asarray(classes))
    return [v.item() if hasattr(v, "item") else v for v in arr], dtype
