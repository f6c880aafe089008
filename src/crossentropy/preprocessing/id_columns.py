"""Columns that identify rows rather than describe them: row numbers, index columns, unique keys.

A column such as R's ``rownames`` (written by ``write.csv``) or pandas' ``Unnamed: 0`` (a saved
index) carries the row's position, not a property of the row. On a table sorted by class it is a
label leak: a model learns the class from the position. :func:`find_id_columns` names such columns
so that the preprocessor leaves them out unless the user keeps them.
"""

from __future__ import annotations

import re

import numpy as np

from .columns import refuse_unencodable

__all__ = ["ID_NAMES", "MIN_ROWS", "find_id_columns", "id_column_reason", "describe_id_columns"]

#: column names (compared case-insensitively, surrounding blanks ignored) taken as row indices
ID_NAMES = ("rownames", "id", "index", "")
#: pandas' name for a header-less column, e.g. an index saved by ``DataFrame.to_csv``
_UNNAMED = re.compile(r"unnamed: \d+")
#: the value rules (unique strings, evenly spaced integers) need at least this many rows
MIN_ROWS = 10


def _name_reason(name) -> str | None:
    text = str(name).strip().lower()
    if text in ID_NAMES or _UNNAMED.fullmatch(text):
        return "named like a row index"
    return None


def _value_reason(series) -> str | None:
    import pandas as pd

    n = series.shape[0]
    if n < MIN_ROWS or series.isna().any():
        return None
    kind = series.dtype.kind
    if kind not in "biuf":  # object, string or category: text, or numbers written as text
        series = series.astype(object)
        try:
            numbers = pd.to_numeric(series, errors="coerce")
        except OverflowError:  # an integer beyond the float range: a value, reported by the column statistics
            return None
        if numbers.isna().any() or np.isinf(numbers).any():  # text (or "inf"): an identifier when every row differs
            return "a different string in every row" if series.astype(str).nunique() == n else None
        series, kind = numbers, numbers.dtype.kind
        if kind == "f" and np.array_equal(numbers, np.round(numbers)):
            series, kind = numbers.astype(np.int64), "i"
    if kind not in "iu":  # floats (continuous measurements are often unique) and booleans are features
        return None
    steps = np.diff(np.sort(series.to_numpy(dtype=np.int64)))
    if steps[0] > 0 and np.all(steps == steps[0]):
        return "a different integer in every row, evenly spaced (a row number)"
    return None


def id_column_reason(name, series=None) -> str | None:
    r"""Why a column looks like a row identifier, or None when it looks like a feature.

    A column is taken as an identifier when

    * its name is a row-index name: ``rownames``, ``id``, ``index`` or empty (any case), or pandas'
      ``Unnamed: k``; or
    * it has at least :data:`MIN_ROWS` rows, no missing value, and either holds text with a
      different value in every row, or integers :math:`v_1, \dots, v_n` whose sorted values
      :math:`v_{(1)} < \dots < v_{(n)}` are evenly spaced,
      :math:`v_{(i+1)} - v_{(i)} = d > 0` for all :math:`i` (row numbers, in any order).

    Floating-point columns are never taken by their values: a continuous measurement is often
    unique in every row. Integers that are unique but not evenly spaced (counts, amounts) are kept.

    Parameters
    ----------
    name : str
        The column name.
    series : pandas.Series of shape (n_rows,), optional
        The column's values; without them only the name is looked at (as for a Dask table).

    Returns
    -------
    str or None
        The reason, in words.

    Raises
    ------
    crossentropy.exceptions.DataError
        ``series`` holds nested values or bytes (:func:`~.columns.refuse_unencodable`), naming the column.

    Examples
    --------
    >>> import pandas as pd
    >>> id_column_reason("Unnamed: 0"), id_column_reason("ID"), id_column_reason("width")
    ('named like a row index', 'named like a row index', None)
    >>> id_column_reason("n", pd.Series(range(20, 0, -1)))
    'a different integer in every row, evenly spaced (a row number)'
    >>> id_column_reason("x", pd.Series([0.1 * i ** 2 for i in range(20)])) is None   # floats stay
    True

    References
    ----------
    Kaufman, Rosset, Perlich and Stitelman, *Leakage in data mining: formulation, detection, and
    avoidance*, ACM TKDD 6(4) (2012).
    """
    if series is not None:  # nested or binary values are no identifiers, and no features either
        refuse_unencodable(series, name)
    return _name_reason(name) or (_value_reason(series) if series is not None else None)


def find_id_columns(frame, columns, keep=()) -> dict:
    """The ID-like columns among ``columns`` of ``frame``, each with its reason (see :func:`id_column_reason`).

    Parameters
    ----------
    frame : pandas.DataFrame of shape (n_rows, n_columns), or a Dask DataFrame
        For a table that is not a pandas DataFrame only the names are looked at.
    columns : sequence of str
        The candidate feature columns.
    keep : sequence of str, optional
        Columns never taken as identifiers.

    Returns
    -------
    dict
        Column name -> reason, in the order of ``columns``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"rownames": range(1, 13), "x": [0.5 * i for i in range(12)]})
    >>> find_id_columns(frame, ["rownames", "x"])
    {'rownames': 'named like a row index'}
    >>> find_id_columns(frame, ["rownames", "x"], keep=["rownames"])
    {}
    """
    import pandas as pd

    with_values = isinstance(frame, pd.DataFrame)
    found = {}
    for col in columns:
        if col in keep:
            continue
        reason = id_column_reason(col, frame[col] if with_values else None)
        if reason is not None:
            found[col] = reason
    return found


def describe_id_columns(found) -> str:
    """The one line that says which columns were left out as row IDs and how to keep them.

    Examples
    --------
    >>> describe_id_columns({"rownames": "named like a row index"})
    "left out column 'rownames' (named like a row index): it looks like a row ID, not a feature; pass --keep rownames to use it"
    """
    parts = "; ".join(f"{col!r} ({why})" for col, why in found.items())
    first = next(iter(found))
    if len(found) == 1:
        return f"left out column {parts}: it looks like a row ID, not a feature; pass --keep {first} to use it"
    return (f"left out columns {parts}: they look like row IDs, not features; pass --keep COL (e.g. --keep {first}) "
            "to use one")
