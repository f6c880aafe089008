"""What ``train`` tells about how it read the data: missing values dropped or imputed, kept markers, factors.

Every row dropped and every value imputed is counted per column, printed on the console and kept in
``metrics.json`` (``missing_values``) for the report; a class that the missing-value policy removes
from the data is an error naming it unless ``--allow-class-loss``; strings that other tools read as
missing and integer columns that look like factor codes each get one line.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import DataError

__all__ = ["missing_record", "missing_lines", "check_class_loss", "factor_candidates", "describe_factors",
           "target_order"]

#: an integer column with at most this many distinct values (and at least three) is noted as a possible factor
MAX_FACTOR_LEVELS = 10
#: columns named in one note
_SHOWN = 5


def _counts(text) -> str:
    return ", ".join(f"{c!r} ({n})" for c, n in text.items())


def missing_record(missing, checked, policy, n_dropped, na_like=None) -> dict:
    """The per-column record of the missing-value policy (``metrics.json``'s ``missing_values``).

    Parameters
    ----------
    missing : dict
        Column -> missing count in the data as read (columns without gaps may be left out).
    checked : list of str
        The columns the policy applies to (features, the target, the offset).
    policy : {"error", "dropna", "impute"}
    n_dropped : int
        Rows dropped.
    na_like : dict, optional
        Column -> {string: count} of the strings kept as values (:func:`~crossentropy.preprocessing.missing_markers.na_like_counts`).

    Returns
    -------
    dict
        ``{"policy", "rows_dropped", "dropped_by_column", "imputed_by_column", "kept_as_values"}``;
        ``dropped_by_column[c]`` is the number of dropped rows with a gap in ``c`` (a row with gaps in
        two columns counts in both), ``imputed_by_column[c]`` the number of values filled in ``c``.

    Examples
    --------
    >>> missing_record({"x": 3, "z": 1}, ["x", "y"], "impute", 0)["imputed_by_column"]
    {'x': 3}
    """
    gaps = {str(c): int(missing.get(c, 0)) for c in checked if missing.get(c, 0)}
    return {"policy": policy, "rows_dropped": int(n_dropped),
            "dropped_by_column": gaps if policy == "dropna" else {},
            "imputed_by_column": gaps if policy == "impute" else {},
            "kept_as_values": dict(na_like or {})}


def missing_lines(record) -> list[str]:
    """The console lines of a :func:`missing_record`: rows dropped and values imputed, per column.

    Examples
    --------
    >>> missing_lines({"rows_dropped": 42, "dropped_by_column": {"Improved": 42}, "imputed_by_column": {}})
    ["missing values: dropped 42 row(s) with a gap in 'Improved' (42)"]
    """
    lines = []
    if record.get("rows_dropped"):
        lines.append(f"missing values: dropped {record['rows_dropped']} row(s) with a gap in "
                     f"{_counts(record['dropped_by_column'])}")
    if record.get("imputed_by_column"):
        total = sum(record["imputed_by_column"].values())
        lines.append(f"missing values: imputed {total} value(s) in {_counts(record['imputed_by_column'])}")
    return lines


def check_class_loss(before, after, target, *, allow=False) -> list:
    """The classes counted in ``before`` that ``after`` lacks; DataError naming them unless ``allow``.

    Parameters
    ----------
    before : dict
        Label -> rows, before the missing-value policy dropped rows (missing labels left out).
    after : array_like
        The target's labels after the drop.
    target : str
    allow : bool, default False
        ``--allow-class-loss``: return the lost classes instead.

    Examples
    --------
    >>> check_class_loss({"a": 3, "b": 1, "None": 42}, ["a", "b"], "y", allow=True)
    ['None']
    """
    kept = {str(v) for v in np.asarray(after, dtype=object).tolist()}
    rows = {}
    for label, n in before.items():
        rows[str(label)] = rows.get(str(label), 0) + int(n)
    lost = sorted(set(rows) - kept)
    if lost and not allow:
        counts = ", ".join(f"{c!r} ({rows[c]} rows)" for c in lost[:8])
        raise DataError(f"dropping the rows with missing values removed every row of class(es) {counts} of the "
                        f"target {target!r}; fill the gaps (--impute), mark fewer strings as missing (--na-values), "
                        "or pass --allow-class-loss to train without them")
    return lost


def factor_candidates(frame, columns, categorical=()) -> dict:
    """Numeric columns holding whole numbers with 3 to :data:`MAX_FACTOR_LEVELS` distinct values: column -> values.

    Examples
    --------
    >>> import pandas as pd
    >>> factor_candidates(pd.DataFrame({"race": [1, 2, 3, 1], "age": [19.5, 33.0, 20.1, 21.0]}), ["race", "age"])
    {'race': [1, 2, 3]}
    """
    out = {}
    for col in columns:
        s = frame[col]
        if col in categorical or s.dtype.kind not in "iuf":
            continue
        values = np.unique(s.dropna().to_numpy(dtype=np.float64))
        if 3 <= values.size <= MAX_FACTOR_LEVELS and np.all(np.isfinite(values)) and np.all(values == np.round(values)):
            out[str(col)] = [int(v) for v in values]
    return out


def describe_factors(found) -> str:
    """The one line suggesting ``--categorical`` for integer-coded columns.

    Examples
    --------
    >>> describe_factors({"race": [1, 2, 3]})
    "note: column 'race' holds 3 distinct integers (1, 2, 3) and is used as a number; if they are codes of categories, pass --categorical race"
    """
    shown = dict(list(found.items())[:_SHOWN])
    parts = "; ".join(f"column {c!r} holds {len(v)} distinct integers ({', '.join(map(str, v))})" for c, v in shown.items())
    if len(found) > _SHOWN:
        parts += f" (and {len(found) - _SHOWN} more such columns)"
    flags = " ".join(f"--categorical {c}" for c in shown)
    verb = "is used as a number" if len(found) == 1 else "each is used as a number"
    return f"note: {parts} and {verb}; if they are codes of categories, pass {flags}"


def target_order(series) -> list | None:
    """The levels of an ordered categorical target (lowest first), as strings; None for any other column.

    Examples
    --------
    >>> import pandas as pd
    >>> target_order(pd.Series(pd.Categorical(["lo", "hi"], categories=["lo", "mid", "hi"], ordered=True)))
    ['lo', 'hi']
    """
    dtype = series.dtype
    if str(dtype) != "category" or not dtype.ordered:
        return None
    present = set(series.dropna().astype(str).tolist())
    return [str(c) for c in dtype.categories if str(c) in present]
