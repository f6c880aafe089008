"""The values of one column as the preprocessor reads them: their type checked, numbers and categories.

A column is encoded by the kind it had in training. This module refuses what cannot be encoded
faithfully, naming the column: nested values (Parquet lists and structs, whose printed form is not
a category), bytes (Parquet binary columns), and at prediction a type the column did not have in
training (timestamps, or booleans in a column trained on numbers, would otherwise become numbers
without a word). It also holds the one rule that turns a value into its category string, and the
encoding of a categorical column with its unknown-category policy.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..exceptions import DataError

__all__ = ["UNKNOWN_POLICIES", "refuse_unencodable", "category_strings", "as_number", "numeric_values", "numeric_column", "encode_categories",
           "unseen_counts", "describe_unseen"]

#: what a categorical column does with a value not seen in training (scikit-learn's ``handle_unknown``)
UNKNOWN_POLICIES = ("error", "ignore")
#: unseen values named in an error
_SHOWN = 5


def _value_types(series) -> set:
    """The Python types of an object column's values (empty for other dtypes; ``{str}`` found in one C pass)."""
    from pandas.api.types import infer_dtype

    if series.dtype.kind != "O":
        return set()
    if infer_dtype(series, skipna=True) in ("string", "empty"):
        return {str}
    return {type(v) for v in series.dropna().to_numpy()}


def refuse_unencodable(series, column) -> None:
    """DataError naming ``column`` when it holds nested values (lists, arrays, dicts) or bytes.

    Parameters
    ----------
    series : pandas.Series of shape (n_rows,)
    column : str

    Examples
    --------
    >>> import pandas as pd
    >>> refuse_unencodable(pd.Series([[1, 2], [3]]), "tags")
    Traceback (most recent call last):
    ...
    crossentropy.exceptions.DataError: column 'tags' holds nested values (list), which cannot be encoded as a feature; flatten it into columns of numbers or strings, or leave it out (ignore=['tags'])
    """
    name = str(series.dtype)
    types = _value_types(series)
    nested = sorted(t.__name__ for t in types if issubclass(t, (list, tuple, dict, set, np.ndarray)))
    if nested or name.startswith(("list", "struct", "map", "large_list", "fixed_size_list")):
        what = ", ".join(nested) or name
        raise DataError(f"column {column!r} holds nested values ({what}), which cannot be encoded as a feature; "
                        f"flatten it into columns of numbers or strings, or leave it out (ignore=[{column!r}])")
    if any(issubclass(t, (bytes, bytearray, memoryview)) for t in types) or name.startswith(("binary", "large_binary")):
        raise DataError(f"column {column!r} holds binary values (bytes), which cannot be encoded as a feature; "
                        f"decode them into text first, or leave it out (ignore=[{column!r}])")


def _category_string(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)
    return str(value)


def category_strings(values) -> np.ndarray:
    """The category of each value, as a string: text as it is, a whole number as its integer digits.

    ``1``, ``1.0`` and ``np.int8(1)`` are all the category ``"1"`` (a whole-number column read as
    floats because it has gaps keeps its categories), other floats their shortest ``repr``,
    booleans ``"True"``/``"False"``.

    Parameters
    ----------
    values : array_like of shape (n,)
        No missing values.

    Returns
    -------
    ndarray of str objects, shape (n,)

    Examples
    --------
    >>> category_strings([1, 2.0, 2.5, "a", True]).tolist()
    ['1', '2', '2.5', 'a', 'True']
    """
    return np.asarray([_category_string(v) for v in np.asarray(values, dtype=object).tolist()], dtype=object)


def _refuse_type(column, what, trained="numeric") -> None:
    raise DataError(f"column {column!r} was {trained} in training but holds {what} here: a type the model was not "
                    f"trained on cannot be scored; convert the column back to {trained} values")


def as_number(value):
    """``value`` as a float, or None for text that is no number (``"NaN"`` text is no number either:
    only empty fields are missing, unless the reader was given more markers)."""
    if isinstance(value, str) and value.strip().lower().lstrip("+-") in ("nan", "none", "null", "na", "n/a"):
        return None
    try:
        return float(value)
    except OverflowError:  # a Python int beyond the float range: a number, too large for a float64
        return math.inf
    except (TypeError, ValueError):
        return None


_INFINITY_WORDS = frozenset({"inf", "infinity", "nan"})


def _shown_number(value) -> str:
    if isinstance(value, int) and abs(value).bit_length() > 1000:  # str() of a huge int is slow, and limited
        return f"an integer of about {int(abs(value).bit_length() * math.log10(2)) + 1} digits"
    text = str(value)
    return repr(text) if len(text) <= 40 else f"'{text[:20]}...' ({len(text)} characters)"


def numeric_values(series, column) -> np.ndarray:
    """The values of a numeric or all-numbers text column as float64 (NaN where missing).

    A text value that is a number beyond the float64 range (a 400-digit integer: pandas keeps it as a
    Python int or a string, which ``pandas.to_numeric`` turns into NaN or refuses) raises DataError
    naming the column, the value and its data row, rather than passing for a missing value.
    """
    import pandas as pd

    if series.dtype.kind in "biuf":
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    try:
        x = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    except OverflowError:  # a Python int too large for a float
        x = np.array([math.nan if v is None else as_number(v) for v in series.to_numpy()], dtype=object)
        x = np.array([math.nan if v is None else v for v in x], dtype=np.float64)
    present = series.notna().to_numpy()
    suspect = np.flatnonzero(present & (np.isnan(x) | np.isinf(x)))
    for i in suspect:
        value, label = series.iloc[i], series.index[i]
        number = as_number(value)
        if number is not None and math.isinf(number) and str(value).strip().lstrip("+-").lower() not in _INFINITY_WORDS:
            where = f" in data row {int(label) + 1}" if isinstance(label, (int, np.integer)) else ""
            raise DataError(f"column {column!r} holds a number too large for a float64 (beyond ±1.8e308): "
                            f"{_shown_number(value)}{where}; rescale the column or fix the value")
    return x


def numeric_column(spec, series) -> np.ndarray:
    """The float64 values (NaN for gaps) of a column trained as numeric, its type checked.

    A column trained on numbers refuses timestamps, durations and booleans (``True`` would become 1);
    a column trained on booleans (``spec["bool"]``) takes booleans and the numbers 0 and 1 only.
    Text holding numbers is read as numbers; other text is refused, naming an example.

    Parameters
    ----------
    spec : dict
        The column's fitted spec (``name``, ``kind="numeric"``, optional ``bool``).
    series : pandas.Series of shape (n_rows,)

    Returns
    -------
    ndarray of float64, shape (n_rows,)

    Examples
    --------
    >>> import pandas as pd
    >>> numeric_column({"name": "x"}, pd.Series(["1.5", None])).tolist()
    [1.5, nan]
    >>> numeric_column({"name": "x"}, pd.Series([True, False]))
    Traceback (most recent call last):
    ...
    crossentropy.exceptions.DataError: column 'x' was numeric in training but holds booleans here: a type the model was not trained on cannot be scored; convert the column back to numeric values
    """
    import pandas as pd

    col, kind, trained_bool = spec["name"], series.dtype.kind, bool(spec.get("bool"))
    if kind in "mM" or str(series.dtype).startswith(("datetime", "timestamp", "duration", "period")):
        _refuse_type(col, f"{series.dtype} values")
    refuse_unencodable(series, col)
    types = _value_types(series)
    if kind == "b" or any(issubclass(t, (bool, np.bool_)) for t in types):
        if not trained_bool:
            _refuse_type(col, "booleans")
    if any(issubclass(t, (np.datetime64, np.timedelta64, pd.Timestamp, pd.Timedelta)) for t in types):
        _refuse_type(col, "timestamps")
    if kind in "biuf":
        x = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        present = series.notna().to_numpy()
        x = numeric_values(series.astype(object), col)  # a number beyond the float64 range is refused, named
        bad = np.isnan(x) & present
        if bad.any():
            raise DataError(f"column {col!r} was numeric in training but holds {int(bad.sum())} non-numeric "
                            f"value(s) here (e.g. {series[bad].iloc[0]!r}) that cannot be encoded")
    if trained_bool:
        other = ~np.isnan(x) & (x != 0) & (x != 1)
        if other.any():
            _refuse_type(col, f"numbers other than 0 and 1 (e.g. {float(x[other][0])!r})", trained="boolean")
    return x


def unseen_counts(strs, categories) -> dict:
    """Value -> number of rows, for the values of ``strs`` that are not among ``categories`` (sorted by value)."""
    unseen = ~np.isin(strs, np.asarray(categories, dtype=object))
    values, counts = np.unique(np.asarray(strs[unseen], dtype=str), return_counts=True)
    return {str(v): int(n) for v, n in zip(values, counts)}


def describe_unseen(column, unseen) -> str:
    """The error for values of ``column`` not seen in training, with up to five of them.

    Examples
    --------
    >>> describe_unseen("deny", {"NO": 3, "YES": 1})
    "column 'deny' holds 2 value(s) not seen in training, in 4 row(s): ['NO', 'YES']; nothing was scored (unknown='ignore' encodes them as all zeros)"
    """
    shown = list(unseen)[:_SHOWN]
    more = f" and {len(unseen) - _SHOWN} more" if len(unseen) > _SHOWN else ""
    return (f"column {column!r} holds {len(unseen)} value(s) not seen in training, in {sum(unseen.values())} row(s): "
            f"{shown}{more}; nothing was scored (unknown='ignore' encodes them as all zeros)")


def encode_categories(spec, series, levels, unknown="error") -> np.ndarray:
    """The indicator columns of a categorical column: one per level in ``levels``, float64 0/1.

    Gaps are filled with ``spec["fill"]`` (DataError when there is none); a value not among the
    training categories raises DataError naming the column and up to five such values
    (``unknown="error"``), or gets all zeros (``unknown="ignore"``).

    Parameters
    ----------
    spec : dict
        The column's fitted spec (``name``, ``categories``, ``fill``).
    series : pandas.Series of shape (n_rows,)
    levels : list of str
        The categories that get an indicator (all, or all but the reference).
    unknown : {"error", "ignore"}, default "error"

    Returns
    -------
    ndarray of float64, shape (n_rows, len(levels))

    Examples
    --------
    >>> import pandas as pd
    >>> spec = {"name": "c", "categories": ["a", "b"], "fill": None}
    >>> encode_categories(spec, pd.Series(["b", "z"]), ["a", "b"], unknown="ignore").tolist()
    [[0.0, 1.0], [0.0, 0.0]]
    """
    col = spec["name"]
    refuse_unencodable(series, col)
    gaps = series.isna().to_numpy()
    strs = np.empty(series.shape[0], dtype=object)
    strs[~gaps] = category_strings(series.to_numpy(dtype=object)[~gaps])
    if gaps.any():
        if spec["fill"] is None:
            raise DataError(f"column {col!r} has {int(gaps.sum())} missing value(s)")
        strs[gaps] = spec["fill"]
    if unknown == "error":
        unseen = unseen_counts(strs, spec["categories"])
        if unseen:
            raise DataError(describe_unseen(col, unseen))
    return (strs[:, None] == np.asarray(levels, dtype=object)[None, :]).astype(np.float64)
