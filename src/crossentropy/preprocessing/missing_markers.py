"""Which fields of a table are missing values: empty fields, plus the markers the user names.

Only an empty field (and a Parquet null) is missing by default, in a CSV file as in a Parquet file.
Strings that other tools read as missing (pandas' ``"NA"``, ``"None"``, ``"null"``, ``"NaN"``,
``"N/A"``, ...) are values unless the user names them in ``na_values``: R's ``Arthritis`` data has
the class ``"None"``, a region column the value ``"NA"`` (North America). :func:`na_like_counts`
finds such strings so that a run can say that it kept them.
"""

from __future__ import annotations

__all__ = ["NA_LIKE", "check_na_values", "mark_missing", "na_like_counts", "describe_na_like"]

#: strings that pandas' ``read_csv`` (and R's ``read.csv`` for ``NA``) take as missing by default
NA_LIKE = ("#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
           "NA", "NULL", "NaN", "None", "n/a", "nan", "null")


def check_na_values(na_values) -> tuple:
    """The extra missing-value markers as a tuple of distinct non-empty strings.

    Parameters
    ----------
    na_values : None, str or sequence of str
        None or ``()``: only empty fields are missing. A string is one marker.

    Returns
    -------
    tuple of str

    Raises
    ------
    TypeError
        ``na_values`` is not a string or a sequence of strings.
    ValueError
        A marker is empty (empty fields are always missing).

    Examples
    --------
    >>> check_na_values(["NA", "-99"]), check_na_values("?"), check_na_values(None)
    (('NA', '-99'), ('?',), ())
    """
    if na_values is None:
        return ()
    items = (na_values,) if isinstance(na_values, str) else na_values
    try:
        items = tuple(items)
    except TypeError:
        raise TypeError(f"na_values must be a string or a sequence of strings, got {na_values!r:.80}") from None
    if not all(isinstance(v, str) for v in items):
        raise TypeError(f"na_values must be a string or a sequence of strings, got {na_values!r:.80}")
    if any(v == "" for v in items):
        raise ValueError(f"na_values must hold non-empty strings (empty fields are always missing), got {items!r:.80}")
    return tuple(dict.fromkeys(items))


def _text_columns(frame):
    return [c for c in frame.columns if frame[c].dtype.kind == "O" or str(frame[c].dtype).startswith(("string", "str"))]


def mark_missing(frame, na_values=()):
    """``frame`` with the empty strings and the ``na_values`` markers of its text columns set missing.

    A CSV reader does this while parsing; a Parquet table, a DataFrame given to the library or a
    Dask partition gets it here. Numeric columns are left as they are. The frame is not modified
    (a copy is returned when anything changes).

    Parameters
    ----------
    frame : pandas.DataFrame of shape (n_rows, n_columns)
    na_values : sequence of str, default ()
        Checked markers (:func:`check_na_values`).

    Returns
    -------
    pandas.DataFrame of shape (n_rows, n_columns)

    Examples
    --------
    >>> import pandas as pd
    >>> mark_missing(pd.DataFrame({"c": ["a", "", "NA", "?"]}), ("?",))["c"].tolist()
    ['a', nan, 'NA', nan]
    """
    markers = ("",) + tuple(na_values)
    changed = {}
    for col in _text_columns(frame):
        s = frame[col]
        hit = s.isin(markers).to_numpy(dtype=bool, na_value=False)
        if hit.any():
            changed[col] = s.where(~hit)
    return frame.assign(**changed) if changed else frame


def na_like_counts(frame, na_values=(), columns=None) -> dict:
    """The strings of ``frame``'s text columns that other tools read as missing, and how often each occurs.

    Parameters
    ----------
    frame : pandas.DataFrame of shape (n_rows, n_columns)
    na_values : sequence of str, default ()
        Markers already taken as missing (not reported).
    columns : sequence of str, optional
        The columns to look at (default all).

    Returns
    -------
    dict
        Column -> {string: count}, only the columns holding any of :data:`NA_LIKE`.

    Examples
    --------
    >>> import pandas as pd
    >>> na_like_counts(pd.DataFrame({"c": ["None", "a", "None"], "x": [1.0, 2.0, 3.0]}))
    {'c': {'None': 2}}
    """
    like = [v for v in NA_LIKE if v not in set(na_values)]
    names = set(frame.columns if columns is None else columns)
    out = {}
    for col in _text_columns(frame):
        if col not in names:
            continue
        s = frame[col]
        counts = s[s.isin(like).to_numpy(dtype=bool, na_value=False)].astype(str).value_counts()
        if counts.size:
            out[str(col)] = {str(v): int(n) for v, n in sorted(counts.items())}
    return out


def describe_na_like(counts) -> str:
    """The one line that says which missing-looking strings were kept as values, and how to change that.

    Examples
    --------
    >>> describe_na_like({"Improved": {"None": 42}})
    "kept as values: 'None' (42 rows) in column 'Improved', strings other tools read as missing; pass na_values=['None'] to read them as missing"
    """
    parts = "; ".join(", ".join(f"{v!r} ({n} rows)" for v, n in values.items()) + f" in column {col!r}"
                      for col, values in counts.items())
    markers = list(dict.fromkeys(v for values in counts.values() for v in values))
    return f"kept as values: {parts}, strings other tools read as missing; pass na_values={markers!r} to read them as missing"
