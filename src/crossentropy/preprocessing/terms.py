"""The reported terms of a fitted preprocessor: its output features mapped back to the input columns."""

from __future__ import annotations

from ..exceptions import DataError
from .._terms import TermColumn, TermMap

__all__ = ["check_reference", "indicator_levels", "term_map"]


def check_reference(reference, columns=None) -> dict:
    """``reference`` as a dict column -> level (strings); with ``columns`` (fitted specs) each one checked.

    :class:`~crossentropy.exceptions.DataError` (a ValueError) naming the column or level that is not
    a string column of the model or not one of its levels.

    Examples
    --------
    >>> check_reference({"colour": "pale"})
    {'colour': 'pale'}
    >>> check_reference({"c": "z"}, [{"name": "c", "kind": "categorical", "categories": ["a", "b"]}])
    Traceback (most recent call last):
    ...
    crossentropy.exceptions.DataError: reference level 'z' of column 'c' is not one of its levels ['a', 'b']
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


def indicator_levels(spec, reference, drop_reference) -> list[str]:
    """The levels of the string column ``spec`` that get an indicator column: all of them, or with
    ``drop_reference`` all but its reference level (``reference[name]``, else the first in sorted order).

    Treatment coding, for a model whose design must not hold the constant that all the indicators of a
    column sum to (the thresholds of an ordinal model are its intercepts).

    Examples
    --------
    >>> spec = {"name": "c", "kind": "categorical", "categories": ["a", "b", "c"]}
    >>> indicator_levels(spec, {}, True), indicator_levels(spec, {"c": "b"}, True)
    (['b', 'c'], ['a', 'c'])
    """
    if not drop_reference:
        return list(spec["categories"])
    dropped = reference.get(spec["name"], spec["categories"][0])
    return [c for c in spec["categories"] if c != dropped]


def term_map(columns, fitted_reference=None, drop_reference=False, reference=None) -> TermMap:
    r"""The :class:`~crossentropy._terms.TermMap` of the fitted column specs ``columns``.

    Numeric column: :math:`u = (r - \text{mean}) / \text{scale}`; string column: one indicator per
    level, in sorted order. The reference level is the one ``reference`` names, else the one the
    preprocessor was built with (``fitted_reference``), else the first. With ``drop_reference`` the
    fitted reference level has no indicator (:func:`indicator_levels`), so each level's coefficient
    is already its contrast with that level, and another reference is refused
    (:class:`~crossentropy.exceptions.DataError` naming the column).

    Examples
    --------
    >>> specs = [{"name": "x", "kind": "numeric", "mean": 2.0, "scale": 0.5},
    ...          {"name": "c", "kind": "categorical", "categories": ["a", "b"]}]
    >>> term_map(specs, reference={"c": "b"}).references
    {'c': 'b'}
    >>> term_map(specs, {"c": "b"}, drop_reference=True).columns[1].levels
    ('a',)
    """
    fitted = check_reference(fitted_reference, columns)
    asked = check_reference(reference, columns)
    if drop_reference:
        moved = {c: v for c, v in asked.items() if v != fitted.get(c, _first_level(columns, c))}
        if moved:
            col, level = next(iter(moved.items()))
            raise DataError(f"reference level {level!r} of column {col!r} differs from the level the model was "
                            f"fitted without ({fitted.get(col, _first_level(columns, col))!r}): its design has "
                            "no indicator for that level, so its table is against it")
    reference = {**fitted, **asked}
    out, j = [], 0
    for spec in columns:
        if spec["kind"] == "numeric":
            out.append(TermColumn(spec["name"], "numeric", (j,), mean=float(spec["mean"]), scale=float(spec["scale"])))
            j += 1
        else:
            levels = tuple(indicator_levels(spec, reference, drop_reference))
            out.append(TermColumn(spec["name"], "categorical", tuple(range(j, j + len(levels))), levels=levels,
                                  reference=reference.get(spec["name"], spec["categories"][0])))
            j += len(levels)
    return TermMap(j, tuple(out))


def _first_level(columns, name):
    return next(spec["categories"][0] for spec in columns if spec["name"] == name)
