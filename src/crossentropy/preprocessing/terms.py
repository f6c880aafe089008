"""The reported terms of a fitted preprocessor: its output features mapped back to the input columns."""

from __future__ import annotations

from ..io.tables import DataError
from .._terms import TermColumn, TermMap

__all__ = ["check_reference", "term_map"]


def check_reference(reference, columns=None) -> dict:
    """``reference`` as a dict column -> level (strings); with ``columns`` (fitted specs) each one checked.

    :class:`~crossentropy.io.tables.DataError` (a ValueError) naming the column or level that is not
    a string column of the model or not one of its levels.

    Examples
    --------
    >>> check_reference({"colour": "pale"})
    {'colour': 'pale'}
    >>> check_reference({"c": "z"}, [{"name": "c", "kind": "categorical", "categories": ["a", "b"]}])
    Traceback (most recent call last):
    ...
    crossentropy.io.tables.DataError: reference level 'z' of column 'c' is not one of its levels ['a', 'b']
    """
    if reference is None:
        return {}
    if not isinstance(reference, dict) or not all(isinstance(c, str) and isinstance(v, str) for c, v in reference.items()):
        raise ValueError(f"reference must map column names to levels (strings), got {reference!r:.100}")
    if columns is not None:
        specs = {spec["name"]: spec for spec in columns}
        for col, level in reference.items():
            spec = specs.get(col)
            if spec is None or spec["kind"] != "categorical":
                strings = [s["name"] for s in columns if s["kind"] == "categorical"]
                raise DataError(f"reference names column {col!r}, which is not a string column of the model "
                                 f"(those are {strings[:20]})")
            if level not in spec["categories"]:
                raise DataError(f"reference level {level!r} of column {col!r} is not one of its levels "
                                 f"{spec['categories'][:20]}")
    return dict(reference)


def term_map(columns, reference=None) -> TermMap:
    r"""The :class:`~crossentropy._terms.TermMap` of the fitted column specs ``columns``.

    Numeric column: :math:`u = (r - \text{mean}) / \text{scale}`; string column: one indicator per
    level, in sorted order, the reference level the first one unless ``reference`` names another.

    Examples
    --------
    >>> specs = [{"name": "x", "kind": "numeric", "mean": 2.0, "scale": 0.5},
    ...          {"name": "c", "kind": "categorical", "categories": ["a", "b"]}]
    >>> term_map(specs, {"c": "b"}).references
    {'c': 'b'}
    """
    reference = check_reference(reference, columns)
    out, j = [], 0
    for spec in columns:
        if spec["kind"] == "numeric":
            out.append(TermColumn(spec["name"], "numeric", (j,), mean=float(spec["mean"]), scale=float(spec["scale"])))
            j += 1
        else:
            levels = tuple(spec["categories"])
            out.append(TermColumn(spec["name"], "categorical", tuple(range(j, j + len(levels))), levels=levels,
                                  reference=reference.get(spec["name"], levels[0])))
            j += len(levels)
    return TermMap(j, tuple(out))
