"""The checks of a preprocessor's saved state (``model.json``'s ``preprocessing``): fields, columns, values.

Every field is checked before anything is rebuilt from it; a ValueError names the bad field.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["STATE_VERSION", "check_state", "check_column_spec"]

#: version of the JSON state written by :meth:`TabularPreprocessor.to_state`
STATE_VERSION = 1
_STATE_FIELDS = {"version", "target", "missing", "impute_strategy", "scale", "max_categories", "ignore", "columns",
                 "classes", "classes_dtype"}
# absent from older files; all but keep and id_columns written only when set
_OPTIONAL_STATE_FIELDS = {"keep", "id_columns", "offset", "reference", "drop_reference", "na_values", "categorical",
                          "unknown"}


def _strings(value) -> bool:
    return isinstance(value, list) and all(isinstance(c, str) for c in value)


def check_state(state) -> None:
    """ValueError naming the first field of a saved preprocessing state that is not as written by ``to_state``.

    The columns are checked one by one by :func:`check_column_spec`.

    Examples
    --------
    >>> check_state({"version": 1})
    Traceback (most recent call last):
    ...
    ValueError: preprocessing fields must be ['classes', 'classes_dtype', 'columns', 'ignore', 'impute_strategy', 'max_categories', 'missing', 'scale', 'target', 'version'] and optionally ['categorical', 'drop_reference', 'id_columns', 'keep', 'na_values', 'offset', 'reference', 'unknown'], got ['version']
    """
    if not isinstance(state, dict):
        raise ValueError(f"preprocessing must be an object, got {type(state).__name__}")
    if not _STATE_FIELDS <= set(state) <= _STATE_FIELDS | _OPTIONAL_STATE_FIELDS:
        raise ValueError(f"preprocessing fields must be {sorted(_STATE_FIELDS)} and optionally "
                         f"{sorted(_OPTIONAL_STATE_FIELDS)}, got {sorted(state)}")
    if state["version"] != STATE_VERSION:
        raise ValueError(f"preprocessing version must be {STATE_VERSION}, got {state['version']!r}")
    if not isinstance(state["target"], str):
        raise ValueError(f"preprocessing target must be a string, got {state['target']!r}")
    if not isinstance(state["scale"], bool):
        raise ValueError(f"preprocessing scale must be a boolean, got {state['scale']!r}")
    if not isinstance(state["ignore"], list) or not all(isinstance(c, str) for c in state["ignore"]):
        raise ValueError(f"preprocessing ignore must be a list of strings, got {state['ignore']!r}")
    keep, ids = state.get("keep", []), state.get("id_columns", {})
    if not isinstance(keep, list) or not all(isinstance(c, str) for c in keep):
        raise ValueError(f"preprocessing keep must be a list of strings, got {keep!r}")
    if not isinstance(ids, dict) or not all(isinstance(c, str) and isinstance(w, str) for c, w in ids.items()):
        raise ValueError(f"preprocessing id_columns must map column names to reasons (strings), got {ids!r}")
    offset = state.get("offset")
    if not isinstance(offset, (str, type(None))) or offset == state["target"]:
        raise ValueError(f"preprocessing offset must be the name of a column other than the target, got {offset!r}")
    for field in ("na_values", "categorical"):
        if not _strings(state.get(field, [])):
            raise ValueError(f"preprocessing {field} must be a list of strings, got {state[field]!r}")
    if state.get("unknown", "error") not in ("error", "ignore"):
        raise ValueError(f"preprocessing unknown must be 'error' or 'ignore', got {state['unknown']!r}")
    columns = state["columns"]
    if not isinstance(columns, list) or not columns:
        raise ValueError("preprocessing columns must be a non-empty list")
    seen = set()
    for spec in columns:
        check_column_spec(spec, state["missing"])
        if spec["name"] in seen or spec["name"] in (state["target"], offset):
            raise ValueError(f"preprocessing column {spec['name']!r} is repeated or is the target or the offset")
        seen.add(spec["name"])


def _finite_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_column_spec(spec, missing) -> None:
    """ValueError naming the column when one saved column spec is not as :func:`column_spec` writes it."""
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise ValueError(f"each preprocessing column must be an object with a string name, got {spec!r}")
    name, kind = spec["name"], spec.get("kind")
    if kind == "numeric":
        if not {"name", "kind", "fill", "mean", "scale"} <= set(spec) <= {"name", "kind", "fill", "mean", "scale", "bool"}:
            raise ValueError(f"numeric column {name!r} must have fields name, kind, fill, mean, scale (and bool for a "
                             f"column of booleans); got {sorted(spec)}")
        if spec.get("bool", True) is not True:
            raise ValueError(f"numeric column {name!r} has bool={spec['bool']!r}; it is written only as true")
        if not _finite_number(spec["mean"]) or not _finite_number(spec["scale"]) or spec["scale"] < np.finfo(np.float64).tiny:
            raise ValueError(f"numeric column {name!r} needs a finite mean and a positive scale, got {spec['mean']!r}, {spec['scale']!r}")
        if spec["fill"] is not None and not _finite_number(spec["fill"]):
            raise ValueError(f"numeric column {name!r} has a bad fill value {spec['fill']!r}")
    elif kind == "categorical":
        if set(spec) != {"name", "kind", "fill", "categories"}:
            raise ValueError(f"categorical column {name!r} must have fields name, kind, fill, categories; got {sorted(spec)}")
        cats = spec["categories"]
        if not isinstance(cats, list) or not cats or not all(isinstance(c, str) for c in cats) or cats != sorted(set(cats)):
            raise ValueError(f"categorical column {name!r} needs sorted distinct string categories, got {cats!r}")
        if spec["fill"] is not None and spec["fill"] not in cats:
            raise ValueError(f"categorical column {name!r} has a fill value {spec['fill']!r} that is not a category")
    else:
        raise ValueError(f"preprocessing column {name!r} has unknown kind {kind!r}")
    if (spec["fill"] is not None) != (missing == "impute"):
        raise ValueError(f"column {name!r} must have a fill value exactly when missing='impute', got fill={spec['fill']!r}")
