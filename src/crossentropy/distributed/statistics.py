r"""Column statistics of a Dask DataFrame for :meth:`crossentropy.preprocessing.TabularPreprocessor.from_statistics`.

The statistics are those of :func:`crossentropy.preprocessing.table_statistics` (present, missing
and infinite counts, mean and population variance of the present values, value counts, the target's
distinct labels), computed with Dask reductions in one pass over the table, so that the Dask and
the in-memory fit hand the same numbers to the same builder.

Differences from the in-memory statistics: a column's kind follows its dtype only (a string column
of numbers stays categorical), and ``impute_strategy="median"`` is refused (an exact median needs
a sort of the whole column).
"""

from __future__ import annotations

import numpy as np

from ..preprocessing import dtype_kind, moment_statistics
from ..preprocessing.columns import category_strings, refuse_unencodable
from ._dask import dask

__all__ = ["table_statistics"]


def _numeric(s, impute_strategy) -> dict:
    x = s.astype(np.float64)
    todo = {"count": x.count(), "missing": x.isna().sum(), "n_infinite": x.abs().eq(np.inf).sum(),
            **moment_statistics(x)}
    if impute_strategy == "most_frequent":
        todo["value_counts"] = x.dropna().value_counts(split_out=1)
    return {"kind": "numeric", **todo}


def _category_strings(part):
    import pandas as pd

    return pd.Series(category_strings(part.to_numpy(dtype=object)), index=part.index, dtype=object)


def _encodable(part, column):
    """The partition itself, after the check the in-memory fit makes (nested values or bytes: DataError)."""
    refuse_unencodable(part, column)
    return part


def _categorical(s, numeric=False) -> dict:
    present = s.dropna()
    if numeric:  # a numeric column named in ``categorical``: its values' category strings
        present = present.map_partitions(_category_strings, meta=(s.name, object))
    else:  # lists, arrays or dicts (a nested Parquet column) have no category: refused, as in memory
        present = present.map_partitions(_encodable, s.name, meta=(s.name, object))
    return {"kind": "categorical", "missing": s.isna().sum(), "value_counts": present.astype(str).value_counts(split_out=1)}


def _plain(key, value):
    if key in ("kind", "bool"):
        return value
    if key == "value_counts":
        cast = str if isinstance(next(iter(value.index), ""), str) else float
        return {cast(v): int(n) for v, n in value.items()}
    if key in ("mean", "var", "moment_scale"):
        return float(value)
    return int(value)


def table_statistics(frame, target, columns, *, impute_strategy=None, categorical=()) -> dict:
    """Column statistics of a Dask DataFrame, in the form ``TabularPreprocessor.from_statistics`` reads.

    Parameters
    ----------
    frame : dask.dataframe.DataFrame of shape (n_rows, n_columns)
        The training rows (after the missing-value policy's row drops).
    target : str
        The class column.
    columns : list of str
        The feature columns, in order.
    impute_strategy : {None, "mean", "most_frequent"}
        ``"most_frequent"`` adds the value counts of numeric columns.
    categorical : sequence of str, optional
        Numeric columns counted as categories (their values' category strings).

    Returns
    -------
    dict
        ``{"n_rows": int, "columns": [dict, ...], "classes": ndarray}``, the layout of
        :func:`crossentropy.preprocessing.table_statistics`.

    Raises
    ------
    crossentropy.exceptions.DataError
        A column's dtype cannot be encoded.
    ValueError
        ``impute_strategy="median"``.

    Examples
    --------
    >>> import pandas as pd, dask.dataframe as dd
    >>> frame = dd.from_pandas(pd.DataFrame({"x": [1.0, None, 3.0], "y": [0, 1, 1]}), npartitions=2)
    >>> stats = table_statistics(frame, "y", ["x"])
    >>> stats["columns"][0]["mean"], stats["columns"][0]["missing"], sorted(stats["classes"].tolist())
    (2.0, 1, [0, 1])

    References
    ----------
    Rocklin, *Dask: parallel computation with blocked algorithms and task scheduling*, SciPy (2015).
    """
    if impute_strategy == "median":
        raise ValueError("impute_strategy='median' is not available on Dask (an exact median needs a sort of "
                         "the whole column); use 'mean' or 'most_frequent'")
    todo = []
    for col in columns:
        s = frame[col]
        numeric = dtype_kind(s.dtype, col) == "numeric"
        if numeric and col not in categorical:
            todo.append(_numeric(s, impute_strategy) | ({"bool": True} if s.dtype.kind == "b" else {}))
        else:
            todo.append(_categorical(s, numeric))
    lazy = {"n_rows": frame.shape[0], "classes": frame[target].dropna().unique(split_out=1), "columns": todo}
    (got,) = dask.compute(lazy)
    out = [{"name": col, **{k: _plain(k, v) for k, v in stats.items()}} for col, stats in zip(columns, got["columns"])]
    return {"n_rows": int(got["n_rows"]), "columns": out, "classes": np.asarray(got["classes"])}
