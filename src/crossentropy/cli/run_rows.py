"""The rows a run was trained and tested on: its data file (or built-in data set) and ``split.json``."""

from __future__ import annotations

from pathlib import Path

from .errors import UsageError

__all__ = ["run_split_rows", "split_rows"]

#: The most bytes of split.json read (its row lists are the only large part).
SPLIT_BYTES = 1 << 30


def run_split_rows(bundle, split: str, run: str):
    """The rows of the run's ``split`` (``"test"`` or ``"train"``) from the data file the run recorded.

    Parameters
    ----------
    bundle : crossentropy.io.model_files.SavedModel
        The loaded run.
    split : {"test", "train"}
    run : str
        The run as the user named it, for the messages.

    Returns
    -------
    pandas.DataFrame
        Those rows of the data, in the order ``split.json`` lists them.

    Raises
    ------
    UsageError
        The run records no data file, the file or ``split.json`` is gone or unreadable, the split
        holds no rows, or the file has fewer rows than ``split.json`` names (they all say to pass
        ``--data DATA``).
    """
    from ..io.tables import read_table

    trained = (bundle.extra or {}).get("metrics") or {}
    source = trained.get("data")
    if not source:
        raise UsageError(f"{run!r} records no data file: pass --data DATA")
    if source.startswith("builtin:"):
        from ..datasets import load_dataset

        frame = load_dataset(source.split(":", 1)[1])
    else:
        if not Path(source).is_file():
            raise UsageError(f"the run's data file {source!r} is not there any more: pass --data DATA")
        frame = read_table(source, na_values=bundle.preprocessing.na_values if bundle.preprocessing else None)
    return frame.iloc[split_rows(Path(bundle.path).parent / "split.json", split, frame.shape[0])]


def split_rows(split_file, split, n_rows) -> list:
    """The row positions ``split.json`` records for ``split``: a list of distinct integers in [0, n_rows).

    Anything else (not a JSON object, rows that are not a list of integers, negative or repeated row
    numbers, rows beyond the data file) is a UsageError naming the file, before any scoring.
    """
    from ..exceptions import ModelFileError
    from ..io.bounded import read_regular_file, strict_json

    where = repr(str(split_file))
    try:
        record = strict_json(read_regular_file(split_file, SPLIT_BYTES, "split.json"), where, max_depth=8)
    except (OSError, ModelFileError) as exc:
        raise UsageError(f"cannot read {where}: {exc}; pass --data DATA") from None
    if not isinstance(record, dict):
        raise UsageError(f"{where} must hold a JSON object, got {type(record).__name__}; pass --data DATA")
    rows = record.get(f"{split}_rows")
    if rows is None:
        raise UsageError(f"{where} records no rows for the {split} split; pass --data DATA")
    if not isinstance(rows, list) or not all(isinstance(r, int) and not isinstance(r, bool) for r in rows):
        raise UsageError(f"{where}: {split}_rows must be a list of row numbers (integers); pass --data DATA")
    if not rows:
        raise UsageError(f"the run has no {split} rows (--test-size 0?): use --split train")
    seen = set()
    bad = min(rows) if min(rows) < 0 else next((r for r in rows if r in seen or seen.add(r)), None)
    if bad is not None:
        raise UsageError(f"{where}: {split}_rows must be distinct row numbers from 0, found {bad}; pass --data DATA")
    if max(rows) >= n_rows:
        raise UsageError(f"the run's data file has {n_rows} rows, fewer than its split.json names: "
                         "it changed since the run; pass --data DATA")
    return rows
