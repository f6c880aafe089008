"""Column statistics of a training table, and the fitted column specs built from them.

:func:`table_statistics` computes, from a pandas table, the statistics that
:meth:`~crossentropy.preprocessing.TabularPreprocessor.from_statistics` reads;
``crossentropy.distributed.statistics`` computes the same ones with Dask. :func:`column_spec` is the
one place those statistics become a column's fill value, mean and scale or categories.
"""

from __future__ import annotations

import math

import numpy as np

from ..io.tables import DataError

__all__ = ["dtype_kind", "table_statistics", "column_spec"]


def _as_number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def dtype_kind(dtype, column) -> str:
    """``"numeric"`` or ``"text"`` for a column's dtype; DataError naming ``column`` for any other dtype.

    Numbers and booleans are numeric; object, string and category columns are text (the in-memory
    fit then looks at their values: text columns holding only numbers are numeric).

    Examples
    --------
    >>> dtype_kind(np.dtype("int32"), "a"), dtype_kind(np.dtype(object), "b")
    ('numeric', 'text')
    """
    kind = getattr(dtype, "kind", "O")
    name = str(dtype)
    if kind in "biuf":
        return "numeric"
    if kind in "OSU" or name in ("category", "string", "str") or name.startswith("string"):
        return "text"
    raise DataError(f"column {column!r} has dtype {dtype}, which cannot be encoded as a feature; "
                    f"drop it with --ignore {column}")


def _most_frequent(value_counts):
    """The most frequent value, the smallest among ties (``sklearn.impute.SimpleImputer``'s rule)."""
    top = max(value_counts.values())
    return min(v for v, n in value_counts.items() if n == top)


def _numeric_values(series) -> np.ndarray:
    import pandas as pd

    if series.dtype.kind in "biuf":
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _numeric_statistics(x: np.ndarray, impute_strategy) -> dict:
    infinite = np.isinf(x)
    present = x[~np.isnan(x) & ~infinite]
    stats = {"kind": "numeric", "count": int(present.size), "missing": int(np.isnan(x).sum()),
             "n_infinite": int(infinite.sum()),
             "mean": float(np.mean(present)) if present.size else math.nan,
             "var": float(np.var(present)) if present.size else math.nan}
    if impute_strategy == "median":
        stats["median"] = float(np.median(present)) if present.size else math.nan
    if impute_strategy == "most_frequent":
        values, counts = np.unique(present, return_counts=True)
        stats["value_counts"] = {float(v): int(n) for v, n in zip(values, counts)}
    return stats


def table_statistics(frame, target, columns, *, impute_strategy=None) -> dict:
    """Column statistics of a pandas table, in the form :meth:`TabularPreprocessor.from_statistics` reads.

    A numeric column gives its count of present values, missing and infinite counts, the mean and
    the population variance of the present values (and their median or value counts when
    ``impute_strategy`` needs them); a text column its missing count and the counts of its values
    as strings (a text column holding only numbers is numeric); the target its distinct labels.

    Parameters
    ----------
    frame : pandas.DataFrame of shape (n_rows, n_columns)
    target : str
        The class column.
    columns : list of str
        The feature columns, in order.
    impute_strategy : {"mean", "median", "most_frequent"}, optional

    Returns
    -------
    dict
        ``{"n_rows": int, "columns": [dict, ...], "classes": ndarray}``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"x": [1.0, None, 3.0], "c": ["a", "b", "a"], "y": [0, 1, 1]})
    >>> stats = table_statistics(frame, "y", ["x", "c"])
    >>> stats["columns"][0]["mean"], stats["columns"][1]["value_counts"]
    (2.0, {'a': 2, 'b': 1})
    """
    out = []
    for col in columns:
        s = frame[col]
        if dtype_kind(s.dtype, col) == "numeric":
            stats = _numeric_statistics(_numeric_values(s), impute_strategy)
        else:
            present = s.dropna()
            numbers = [_as_number(v) for v in present.to_numpy()]
            n_num = sum(v is not None for v in numbers)
            if n_num and n_num < len(numbers):
                row = next(i for i, v in zip(present.index, numbers) if v is None)
                raise DataError(
                    f"column {col!r} mixes numbers and text (e.g. {present.loc[row]!r} in data row {int(row) + 1}): "
                    "non-numeric values that cannot be encoded; fix them or mark them as missing"
                )
            if n_num == len(numbers) and numbers:
                stats = _numeric_statistics(_numeric_values(s), impute_strategy)
            else:
                values, counts = np.unique(np.asarray([str(v) for v in present.to_numpy()], dtype=object).astype(str),
                                           return_counts=True)
                stats = {"kind": "categorical", "missing": int(s.isna().sum()),
                         "value_counts": {str(v): int(n) for v, n in zip(values, counts)}}
        out.append({"name": col, **stats})
    return {"n_rows": int(frame.shape[0]), "columns": out, "classes": frame[target].dropna().to_numpy()}


def column_spec(stats, *, missing, impute_strategy, scale, max_categories) -> dict:
    """One column's fitted spec (name, kind, fill, mean/scale or categories) from its statistics."""
    col, kind, n_missing = stats["name"], stats["kind"], int(stats["missing"])
    if kind == "numeric" and stats.get("n_infinite", 0):
        raise DataError(f"column {col!r} holds {int(stats['n_infinite'])} infinite value(s); replace them first")
    counts = stats.get("value_counts")
    if kind == "categorical":
        cats = sorted(counts)
        if len(cats) > max_categories:
            raise DataError(
                f"column {col!r} holds {len(cats)} distinct strings in the training rows, more than --max-categories "
                f"{max_categories}: it cannot be one-hot encoded sensibly; drop it with --ignore {col}"
            )
    n_present = int(stats["count"]) if kind == "numeric" else sum(counts.values())
    fill = None
    if missing == "impute":  # a fill value for every column: predict may meet gaps unseen in training
        if n_present == 0:
            raise DataError(f"column {col!r} has no values at all in the training rows: nothing to impute from")
        if kind == "categorical":
            fill = str(_most_frequent(counts))
        else:
            fill = float({"mean": lambda: stats["mean"], "median": lambda: stats["median"],
                          "most_frequent": lambda: _most_frequent(counts)}[impute_strategy]())
    elif n_missing:
        raise DataError(f"column {col!r} has {n_missing} missing value(s); drop or impute them first")
    if kind == "categorical":
        if not cats:
            raise DataError(f"column {col!r} has no values at all in the training rows")
        return {"name": col, "kind": kind, "categories": cats, "fill": fill}
    mean, std = 0.0, 1.0
    if scale:  # mean and population std of the filled column, from those of the present values
        n = n_present + (n_missing if fill is not None else 0)
        mean, var = float(stats["mean"]), float(stats["var"])
        if fill is not None and n_missing and fill != mean:
            filled_mean = (n_present * mean + n_missing * fill) / n
            var = (n_present * (var + (mean - filled_mean) ** 2) + n_missing * (fill - filled_mean) ** 2) / n
            mean = filled_mean
        elif fill is not None:
            var = var * n_present / n
        std = math.sqrt(var) if var >= 0 else math.nan
        mean = mean if math.isfinite(mean) else 0.0
    return {"name": col, "kind": kind, "fill": fill, "mean": mean,
            "scale": std if std > 0 and math.isfinite(std) else 1.0}
