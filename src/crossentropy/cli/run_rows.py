"""The rows a run was trained and tested on: its data file (or built-in data set) and ``split.json``."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import UsageError

__all__ = ["run_split_rows"]


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
    split_file = Path(bundle.path).parent / "split.json"
    try:
        record = json.loads(split_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {str(split_file)!r}: {exc}; pass --data DATA") from None
    rows = record.get(f"{split}_rows")
    if rows is None:
        raise UsageError(f"{str(split_file)!r} records no rows for the {split} split; pass --data DATA")
    if not rows:
        raise UsageError(f"the run has no {split} rows (--test-size 0?): use --split train")
    if max(rows) >= frame.shape[0]:
        raise UsageError(f"the run's data file has {frame.shape[0]} rows, fewer than its split.json names: "
                         "it changed since the run; pass --data DATA")
    return frame.iloc[rows]
