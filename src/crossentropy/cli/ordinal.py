"""``train --model ordinal``: the levels' order from ``--order``, checked against the training labels.

The model and its coefficient table in the units of the data's columns are those of
:mod:`crossentropy.report.ordinal`; string columns are treatment-coded against their reference level
(the first in sorted order unless ``--reference COL=LEVEL`` names another).
"""

from __future__ import annotations

import numpy as np

from .errors import UsageError

__all__ = ["parse_order", "check_ordinal_options", "resolve_order"]


def parse_order(text):
    """The levels ``--order A,B,C`` names, lowest first (None without it); UsageError for a bad list.

    Examples
    --------
    >>> parse_order("unlikely, somewhat likely,very likely")
    ['unlikely', 'somewhat likely', 'very likely']
    """
    if text is None:
        return None
    levels = [t.strip() for t in str(text).split(",")]
    if any(not t for t in levels) or len(levels) < 2:
        raise UsageError(f"--order expects at least two comma-separated levels, lowest first, like low,mid,high; "
                         f"got {text!r}")
    repeated = sorted({t for t in levels if levels.count(t) > 1})
    if repeated:
        raise UsageError(f"--order lists the levels {repeated} more than once")
    return levels


def check_ordinal_options(args) -> None:
    """UsageError, before any work, for ``--order`` without ``--model ordinal`` or a malformed ``--order``."""
    if getattr(args, "model", None) != "ordinal":
        if getattr(args, "order", None) is not None:
            raise UsageError(f"--order applies to --model ordinal, got --model {args.model}")
        return
    parse_order(args.order)


def resolve_order(args, prep, data_order=None) -> tuple:
    """The levels of the target in the order ``--order`` gives them, as labels of the target's dtype.

    Without ``--order`` an ordered factor (``data_order``: the levels of an ordered categorical
    target, e.g. from Parquet, lowest first) gives the order, an integer target is ordered by value,
    and any other needs ``--order``. Every
    label of the training rows (``prep.classes_``) must be listed, and every listed level must occur
    in them; a UsageError names the labels that are not.
    """
    classes = np.asarray(prep.classes_).tolist()
    shown = classes[:10] + (["..."] if len(classes) > 10 else [])
    levels = parse_order(args.order)
    if levels is None and data_order is not None:
        levels = [t for t in data_order if t in {str(c) for c in classes}]
    if levels is None:
        if prep.classes_dtype_ != "int":
            raise UsageError(f"--model ordinal needs --order A,B,C, the levels of {prep.target!r} from lowest to "
                             f"highest (the default order is numeric, for integer labels); its labels are {shown}")
        return tuple(classes)
    by_text = {str(c): c for c in classes}
    unlisted = [c for c in classes if str(c) not in levels]
    if unlisted:
        raise UsageError(f"the target column {prep.target!r} holds labels that --order does not list: "
                         f"{unlisted[:10]}; --order must list every level, lowest first (its labels are {shown})")
    absent = [t for t in levels if t not in by_text]
    if absent:
        raise UsageError(f"--order lists levels that no training row of {prep.target!r} holds: {absent[:10]} "
                         f"(its labels are {shown}); leave them out of --order")
    return tuple(by_text[t] for t in levels)
