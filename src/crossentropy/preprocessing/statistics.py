"""Column statistics of a training table, and the fitted column specs built from them.

:func:`table_statistics` computes, from a pandas table, the statistics that
:meth:`~crossentropy.preprocessing.TabularPreprocessor.from_statistics` reads;
``crossentropy.distributed.statistics`` computes the same ones with Dask. :func:`column_spec` is the
one place those statistics become a column's fill value, mean and scale or categories.
"""

from __future__ import annotations

import math

import numpy as np

from ..exceptions import DataError
from .columns import as_number, category_strings, numeric_values

__all__ = ["dtype_kind", "moment_statistics", "numeric_values", "standardise", "table_statistics", "column_spec"]


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


# columns whose largest magnitude lies outside [2**-500, 2**500] have their moments computed scaled
_HUGE, _TINY = 2.0**500, 2.0**-500


def moment_statistics(x) -> dict:
    r"""Mean and population variance of a column, computed without overflow: scaled by its largest magnitude first.

    With :math:`M = \max_i |x_i|` and :math:`s = M` when :math:`M` lies outside
    :math:`[2^{-500}, 2^{500}]` (else :math:`s = 1`, so ordinary columns give exactly the plain
    NumPy / pandas values):

    .. math::
        \text{moment\_scale} = s, \qquad \text{mean} = \frac1n\sum_i \frac{x_i}{s}, \qquad
        \text{var} = \frac1n\sum_i \Bigl(\frac{x_i}{s} - \text{mean}\Bigr)^2 ,

    so the column's mean is :math:`s\cdot\text{mean}` and its standard deviation
    :math:`s\sqrt{\text{var}}`, both finite for any finite column (:math:`|x_i/s| \le 1`): a
    column at 1e308 no longer overflows its sum, one at 1e200 no longer its variance.

    The same expression runs on a NumPy array (the present values), a pandas Series or a Dask
    Series (lazily; NaN skipped as missing), so the in-memory and the Dask statistics share it.

    Parameters
    ----------
    x : ndarray of shape (n,), pandas.Series or dask Series of float64
        Non-empty for an ndarray.

    Returns
    -------
    dict
        ``{"moment_scale": s, "mean": ..., "var": ...}`` (lazy Dask scalars for a Dask Series).

    Examples
    --------
    >>> import numpy as np
    >>> st = moment_statistics(np.array([1e308, 1e308, -1e308]))
    >>> float(st["moment_scale"] * st["mean"]), float(st["moment_scale"] * np.sqrt(st["var"]))
    (3.333333333333333e+307, 9.428090415820633e+307)
    >>> moment_statistics(np.array([1.0, 2.0, 3.0]))["mean"]
    np.float64(2.0)

    References
    ----------
    Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM (2002), §1.14 and §27.8
    (scaling to avoid overflow in norms and sums of squares).
    """
    m = abs(x).max()
    big = (m > _HUGE) | ((m < _TINY) & (m > 0))
    scale = big * m + (1 - big) * 1.0
    y = x / scale
    return {"moment_scale": scale, "mean": y.mean(), "var": y.var(ddof=0)}


def _numeric_statistics(x: np.ndarray, impute_strategy) -> dict:
    infinite = np.isinf(x)
    present = x[~np.isnan(x) & ~infinite]
    moments = ({k: float(v) for k, v in moment_statistics(present).items()} if present.size
               else {"moment_scale": 1.0, "mean": math.nan, "var": math.nan})
    stats = {"kind": "numeric", "count": int(present.size), "missing": int(np.isnan(x).sum()),
             "n_infinite": int(infinite.sum()), **moments}
    if impute_strategy == "median":
        stats["median"] = float(np.median(present)) if present.size else math.nan
    if impute_strategy == "most_frequent":
        values, counts = np.unique(present, return_counts=True)
        stats["value_counts"] = {float(v): int(n) for v, n in zip(values, counts)}
    return stats


def _categorical_statistics(s) -> dict:
    values, counts = np.unique(category_strings(s.dropna().to_numpy(dtype=object)).astype(str), return_counts=True)
    return {"kind": "categorical", "missing": int(s.isna().sum()),
            "value_counts": {str(v): int(n) for v, n in zip(values, counts)}}


def _all_bool(s) -> bool:
    if s.dtype.kind == "b":
        return True
    present = s.dropna().to_numpy(dtype=object)
    return s.dtype.kind == "O" and present.size > 0 and all(isinstance(v, (bool, np.bool_)) for v in present)


def table_statistics(frame, target, columns, *, impute_strategy=None, categorical=()) -> dict:
    """Column statistics of a pandas table, in the form :meth:`TabularPreprocessor.from_statistics` reads.

    A numeric column gives its count of present values, missing and infinite counts, the mean and
    the population variance of the present values, both of the values divided by ``moment_scale``
    (:func:`moment_statistics`; 1 unless the column is huge or tiny) (and their median or value counts when
    ``impute_strategy`` needs them); a text column its missing count and the counts of its values
    as strings (a text column holding only numbers is numeric); the target its distinct labels. A
    column of booleans is numeric (0/1) and marked ``bool``; a column named in ``categorical`` is
    categorical whatever its dtype, its categories :func:`~.columns.category_strings` of its values.

    Parameters
    ----------
    frame : pandas.DataFrame of shape (n_rows, n_columns)
    target : str
        The class column.
    columns : list of str
        The feature columns, in order.
    impute_strategy : {"mean", "median", "most_frequent"}, optional
    categorical : sequence of str, optional
        Columns encoded as factors even when they hold numbers.

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
        if dtype_kind(s.dtype, col) == "numeric" and col in categorical:
            stats = _categorical_statistics(s)
        elif dtype_kind(s.dtype, col) == "numeric":
            stats = _numeric_statistics(numeric_values(s, col), impute_strategy) | ({"bool": True} if _all_bool(s) else {})
        else:
            present = s.dropna()
            numbers = [as_number(v) for v in present.to_numpy()]
            n_num = sum(v is not None for v in numbers)
            if n_num and n_num < len(numbers):
                row = next(i for i, v in zip(present.index, numbers) if v is None)
                raise DataError(
                    f"column {col!r} mixes numbers and text (e.g. {present.loc[row]!r} in data row {int(row) + 1}): "
                    "non-numeric values that cannot be encoded; fix them or mark them as missing (na_values)"
                )
            if n_num == len(numbers) and numbers and col not in categorical:
                bool_flag = {"bool": True} if _all_bool(s) else {}
                stats = _numeric_statistics(numeric_values(s.astype(object) if bool_flag else s, col),
                                            impute_strategy) | bool_flag
            else:
                stats = _categorical_statistics(s)
        out.append({"name": col, **stats})
    return {"n_rows": int(frame.shape[0]), "columns": out, "classes": frame[target].dropna().to_numpy()}


def standardise(x: np.ndarray, mean: float, scale: float, column) -> np.ndarray:
    r"""The column's standardised values :math:`(x - \mu) / s`, computed without overflow where the result fits.

    Near the float64 maximum :math:`x - \mu` can overflow although :math:`x/s - \mu/s` fits (a
    column at ±1.7e308 with its mean at -1e308); those entries are computed that way. An entry
    whose standardised value itself exceeds the float64 range (a value far beyond the training
    rows' spread) raises DataError naming the column: no model can score it.

    Examples
    --------
    >>> standardise(np.array([1.7e308, -1.7e308]), -1e308, 1e308, "a").round(12).tolist()
    [2.7, -0.7]
    """
    with np.errstate(over="ignore", invalid="ignore"):
        z = (x - mean) / scale
        bad = ~np.isfinite(z) & np.isfinite(x)
        if bad.any():
            z[bad] = x[bad] / scale - mean / scale
            bad = ~np.isfinite(z) & np.isfinite(x)
    if bad.any():
        worst = float(x[bad][np.argmax(np.abs(x[bad]))])
        raise DataError(f"column {column!r} holds {int(bad.sum())} value(s) (e.g. {worst:.3g}) so far from the "
                        f"training rows (mean {mean:.3g}, standard deviation {scale:.3g}) that their standardised "
                        "value exceeds the float64 range: rescale the column")
    return z


def column_spec(stats, *, missing, impute_strategy, scale, max_categories) -> dict:
    """One column's fitted spec (name, kind, fill, mean/scale or categories) from its statistics."""
    col, kind, n_missing = stats["name"], stats["kind"], int(stats["missing"])
    if kind == "numeric" and stats.get("n_infinite", 0):
        raise DataError(f"column {col!r} holds {int(stats['n_infinite'])} infinite value(s) (inf, or numbers beyond "
                        "the float64 range ±1.8e308); replace them first")
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
            s = float(stats.get("moment_scale", 1.0))
            fill = float({"mean": lambda: s * stats["mean"], "median": lambda: stats["median"],
                          "most_frequent": lambda: _most_frequent(counts)}[impute_strategy]())
    elif n_missing:
        raise DataError(f"column {col!r} has {n_missing} missing value(s); drop or impute them first")
    if kind == "categorical":
        if not cats:
            raise DataError(f"column {col!r} has no values at all in the training rows")
        return {"name": col, "kind": kind, "categories": cats, "fill": fill}
    mean, std = 0.0, 1.0
    if scale:  # mean and population std of the filled column, from those of the present values
        # in units of s (moment_scale), where every value and the fill are at most 1 in magnitude
        s = float(stats.get("moment_scale", 1.0))
        n = n_present + (n_missing if fill is not None else 0)
        mean, var = float(stats["mean"]), float(stats["var"])
        if fill is not None and n_missing and fill != s * mean:
            f = fill / s
            filled_mean = (n_present * mean + n_missing * f) / n
            var = (n_present * (var + (mean - filled_mean) ** 2) + n_missing * (f - filled_mean) ** 2) / n
            mean = filled_mean
        elif fill is not None:
            var = var * n_present / n
        std = s * math.sqrt(var) if var >= 0 else math.nan
        mean = s * mean if math.isfinite(mean) else 0.0
        if not math.isfinite(mean) or math.isnan(std) or math.isinf(std):
            raise DataError(f"column {col!r} cannot be standardised: its mean or spread is not a finite float64 "
                            f"number; rescale it, leave it out with --ignore {col}, or pass --no-scale")
        if 0 < std < np.finfo(np.float64).tiny:
            raise DataError(f"column {col!r} varies by only {std:.3g}, too little to standardise in float64; "
                            f"rescale it, leave it out with --ignore {col}, or pass --no-scale")
    return {"name": col, "kind": kind, "fill": fill, "mean": mean, "scale": std if std > 0 else 1.0,
            **({"bool": True} if stats.get("bool") else {})}
