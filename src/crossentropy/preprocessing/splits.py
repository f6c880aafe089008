r"""Which rows train and which rows test: the hold-out split and the cross-validation folds of one rule.

A :class:`SplitRule` names how rows are assigned; :func:`holdout_rows` draws the hold-out split of a
table by that rule and :func:`cv_folds` the cross-validation folds of the training rows by the
matching scikit-learn splitter:

========================  ==========================================  =====================================
rule                      hold-out split                              folds
========================  ==========================================  =====================================
``stratified`` (default)  ``train_test_split(stratify=y)``            ``StratifiedKFold(k)``
``random``                ``train_test_split`` (no stratification)    ``KFold(k, shuffle=True)``
``time:COL``              the rows at or after a boundary time         ``TimeSeriesSplit(k)`` in time order
``group:COL``             ``GroupShuffleSplit(n_splits=1)``           ``GroupKFold(k)``
========================  ==========================================  =====================================

The time split sorts the rows by ``COL`` (stably) and takes as test rows the last
:math:`m = \lceil t\,n \rceil` of them together with every row tied with the first of those, so every
test row comes after every training row and rows of one time are never on both sides: with
boundary :math:`\tau = t_{(n-m+1)}` (the sorted times), test rows are :math:`\{i : t_i \ge \tau\}`.
A group split keeps all rows of each value of ``COL`` on one side. Both columns describe the rows'
arrangement, not the rows: :attr:`SplitRule.column` is left out of the features by the command line.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..exceptions import DataError

__all__ = ["SPLIT_KINDS", "SplitRule", "holdout_rows", "cv_folds"]

#: the kinds of rule; ``time`` and ``group`` name a column
SPLIT_KINDS = ("stratified", "random", "time", "group")

#: class names shown in a warning about classes missing from a split
_MAX_NAMED = 8


@dataclass(frozen=True)
class SplitRule:
    """How rows are split: ``kind`` in :data:`SPLIT_KINDS`, with the ``column`` of a time or group split.

    Examples
    --------
    >>> SplitRule.parse("time:week")
    SplitRule(kind='time', column='week')
    >>> SplitRule.parse("stratified").record()
    {'rule': 'stratified'}
    """

    kind: str = "stratified"
    column: str | None = None

    def __post_init__(self):
        if self.kind not in SPLIT_KINDS:
            raise ValueError(f"split kind must be one of {', '.join(SPLIT_KINDS)}, got {self.kind!r}")
        if (self.kind in ("time", "group")) != (self.column is not None and str(self.column) != ""):
            raise ValueError(f"split kind {self.kind!r} " + ("needs a column name" if self.kind in ("time", "group")
                                                             else "takes no column") + f", got column {self.column!r}")

    @classmethod
    def parse(cls, text) -> SplitRule:
        """The rule written ``stratified``, ``random``, ``time:COL`` or ``group:COL`` (ValueError otherwise)."""
        if not isinstance(text, str):
            raise TypeError(f"split must be a string such as 'time:COL', got {type(text).__name__}")
        kind, sep, column = text.partition(":")
        if kind in ("time", "group") and not (sep and column):
            raise ValueError(f"split {text!r} needs a column name: {kind}:COL")
        if kind not in SPLIT_KINDS or (kind in ("stratified", "random") and sep):
            raise ValueError(f"split must be stratified, random, time:COL or group:COL, got {text!r}")
        return cls(kind, column if sep else None)

    def check_columns(self, columns) -> None:
        """DataError naming the rule's column when ``columns`` (a table's column names) lack it."""
        if self.column is not None and self.column not in list(columns):
            raise DataError(f"the {self.kind} split column {self.column!r} is not in the data; "
                            f"columns are {[str(c) for c in columns][:20]}")

    def record(self) -> dict:
        """The rule as ``split.json`` records it."""
        return {"rule": self.kind} | ({"column": self.column} if self.column is not None else {})


def _column(frame, rule):
    """The values of the rule's column (DataError naming it when absent or with missing values)."""
    rule.check_columns(frame.columns)
    values = frame[rule.column]
    n_missing = int(values.isna().sum())
    if n_missing:
        raise DataError(f"the {rule.kind} split column {rule.column!r} has {n_missing} missing value(s): "
                        "every row needs one to be placed")
    return values


def time_order(frame, rule):
    """(positions in time order (stable), sortable times) of the rows by the rule's column.

    Numbers and datetimes sort as they are; text is read as dates (ISO 8601 and the other formats
    pandas infers), a DataError naming the column when it is neither.
    """
    import pandas as pd

    values = _column(frame, rule)
    if values.dtype.kind not in "biufmM":
        try:
            values = pd.to_datetime(values.astype(str), format="mixed")
        except (ValueError, TypeError, OverflowError):
            raise DataError(f"the time split column {rule.column!r} holds values that are neither numbers "
                            f"nor dates, e.g. {str(values.iloc[0])!r}") from None
    times = values.to_numpy()
    return np.argsort(times, kind="stable"), times


def _named(classes) -> str:
    shown = ", ".join(repr(c.item() if hasattr(c, "item") else c) for c in classes[:_MAX_NAMED])
    return shown + (f" and {len(classes) - _MAX_NAMED} more" if len(classes) > _MAX_NAMED else "")


def _one_of_each_in_train(y, inverse, n_test, rng):
    """Test rows drawn at random from all rows but one random row of each class (kept for training)."""
    order = rng.permutation(y.size)
    first = np.zeros(y.size, dtype=bool)
    _, keep = np.unique(inverse[order], return_index=True)  # the first row of each class in a random order
    first[order[keep]] = True
    pool = order[~first[order]]
    return np.sort(pool[:n_test])


def _stratified(y, test_size, seed):
    """Stratified when every class has two rows, else each class in training where possible."""
    from sklearn.model_selection import train_test_split

    n, rows = y.size, np.arange(y.size)
    classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    n_test = int(np.ceil(test_size * n))
    if counts.min() >= 2 and n_test >= counts.size and n - n_test >= counts.size:
        try:
            train, test = train_test_split(rows, test_size=test_size, random_state=seed, stratify=y)
        except ValueError as exc:
            raise DataError(f"cannot split {n} rows with test_size {test_size}: {exc}") from None
        return np.sort(train), np.sort(test), "stratified"
    if n - n_test >= classes.size:
        test = _one_of_each_in_train(y, inverse, n_test, np.random.RandomState(seed))
        how = "random, one row of each class kept for training"
    else:
        test = np.sort(np.random.RandomState(seed).permutation(n)[:n_test])
        how = "random"
    train = np.setdiff1d(rows, test)
    return train, test, _unseen_classes(y, train, test, how, "stratifying needs two rows of every class and room "
                                        "for each class in both parts")


def _unseen_classes(y, train, test, how, why):
    """``how``, noting the classes without a test row; one warning naming the test classes that are
    not in the training rows (the model cannot predict them)."""
    classes = np.unique(y)
    missing_train = np.setdiff1d(np.unique(y[test]), np.unique(y[train]))
    missing_test = np.setdiff1d(classes, np.unique(y[test]))
    if missing_train.size:
        also = f"; {missing_test.size} class(es) have no test row ({_named(missing_test)})" if missing_test.size else ""
        warnings.warn(f"{missing_train.size} class(es) of the test split are not in the training split "
                      f"({_named(missing_train)}): the model cannot predict them{also}; the split is {how} ({why}); "
                      "test metrics are computed over all classes", UserWarning, stacklevel=4)
    if missing_test.size:
        how += f"; {missing_test.size} class(es) have no test row"
    return how


def holdout_rows(rule, frame, y, *, test_size, seed):
    """The hold-out split of the rows of ``frame`` by ``rule``: (train positions, test positions, record).

    Parameters
    ----------
    rule : SplitRule
    frame : pandas.DataFrame of n rows
        Holds the rule's column for a time or group split.
    y : array-like of shape (n,)
        The class labels (stratification, and the classes each part holds).
    test_size : float in [0, 1)
        The share of rows (``stratified``, ``random``, ``time``) or of groups (``group``, as in
        scikit-learn's ``GroupShuffleSplit``) held out; 0 holds out none.
    seed : int
        Seeds ``stratified``, ``random`` and ``group`` (same seed, same split); ``time`` uses none.

    Returns
    -------
    train, test : ndarray of int, sorted 0-based positions
    record : dict
        What ``split.json`` says: the rule, its column, the method (and the boundary time).

    Raises
    ------
    DataError
        The rule's column is absent or has missing values, or a part would be empty.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"day": [3, 1, 2, 2, 5, 4, 4, 6]})
    >>> train, test, record = holdout_rows(SplitRule("time", "day"), frame, [0, 1] * 4, test_size=0.25, seed=0)
    >>> test.tolist(), record["boundary"]
    ([4, 7], 5)
    """
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    if not isinstance(rule, SplitRule):
        raise TypeError(f"rule must be a SplitRule, got {type(rule).__name__}")
    y = np.asarray(y)
    n = y.shape[0]
    if frame.shape[0] != n:
        raise ValueError(f"frame has {frame.shape[0]} rows and y {n}")
    record = rule.record()
    rows = np.arange(n)
    if rule.kind in ("time", "group"):
        _column(frame, rule)
    if test_size == 0:
        return rows, rows[:0], record | {"method": "none"}
    n_test = int(np.ceil(test_size * n))
    if n_test >= n:
        raise DataError(f"cannot split {n} rows with test_size {test_size}: no training rows would be left")
    if rule.kind == "stratified":
        train, test, how = _stratified(y, test_size, seed)
        return train, test, record | {"method": how}
    if rule.kind == "random":
        train, test = (np.sort(r) for r in train_test_split(rows, test_size=test_size, random_state=seed))
        return train, test, record | {"method": _unseen_classes(y, train, test, "random", "not stratified")}
    if rule.kind == "time":
        order, times = time_order(frame, rule)
        boundary = times[order[n - n_test]]
        test = np.flatnonzero(times >= boundary)
        if test.size == n:
            raise DataError(f"cannot split by time on {rule.column!r}: every row is at or after the boundary "
                            f"{_json_value(boundary)!r} (the earliest time), so no training row would be left")
        train = np.setdiff1d(rows, test)
        return train, test, record | {
            "method": _unseen_classes(y, train, test, "time", f"every test row after every training row in {rule.column!r}"),
            "boundary": _json_value(boundary),
            "rule_text": f"test rows: {rule.column} >= boundary (the time of the row at the last test_size share "
                         "in time order; rows at the boundary time are all test rows)"}
    groups = _column(frame, rule).to_numpy()
    if np.unique(groups.astype(str)).size < 2:
        raise DataError(f"cannot split by group on {rule.column!r}: it has a single value")
    train, test = (np.sort(r) for r in next(GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
                                            .split(rows, groups=groups)))
    how = _unseen_classes(y, train, test, "GroupShuffleSplit(n_splits=1)", f"each value of {rule.column!r} on one side")
    return train, test, record | {"method": how}


def _json_value(value):
    """A time value as JSON writes it: numbers as numbers, datetimes as ISO 8601 text."""
    if isinstance(value, np.datetime64):
        import pandas as pd

        return pd.Timestamp(value).isoformat()
    return value.item() if hasattr(value, "item") else value


def cv_folds(rule, frame, y, *, n_splits, seed):
    """The ``n_splits`` cross-validation folds of the rows of ``frame`` by the splitter matching ``rule``.

    ``stratified``: ``StratifiedKFold(n_splits)``; ``random``: ``KFold(n_splits, shuffle=True,
    random_state=seed)``; ``time``: ``TimeSeriesSplit(n_splits)`` on the rows in time order (stable
    sort), each fold's rows given back as positions in ``frame``; ``group``: ``GroupKFold(n_splits)``.

    Returns
    -------
    list of (train positions, test positions)

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"t": [4, 3, 2, 1, 0, 5]})
    >>> [test.tolist() for _, test in cv_folds(SplitRule("time", "t"), frame, [0] * 6, n_splits=2, seed=0)]
    [[2, 1], [0, 5]]
    """
    from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, TimeSeriesSplit

    y = np.asarray(y)
    rows = np.arange(y.shape[0])
    try:
        if rule.kind == "stratified":
            return list(StratifiedKFold(n_splits).split(rows, y))
        if rule.kind == "random":
            return list(KFold(n_splits, shuffle=True, random_state=seed).split(rows))
        if rule.kind == "time":
            order, _ = time_order(frame, rule)
            return [(order[a], order[b]) for a, b in TimeSeriesSplit(n_splits).split(order)]
        return list(GroupKFold(n_splits).split(rows, y, groups=_column(frame, rule).to_numpy()))
    except ValueError as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"cannot make {n_splits} {rule.kind} cross-validation folds of {rows.size} training rows: "
                        f"{' '.join(str(exc).split())}") from None
