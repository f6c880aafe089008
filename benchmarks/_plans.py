"""What a case's setup searched for, kept between runs (``run.py --plans FILE``).

Some cases search, in their setup, for the loosest tolerance at which each peer reaches the reference
objective (a ladder of fits at 1e-4, 1e-5, ...). The outcome depends on the peer's code and the data,
not on ours, and on the largest cases the search costs as much as the timed runs (the 20-class text
case: each peer's ladder ends with fits of seven minutes). With ``--plans FILE`` such a case stores what
its search found, keyed by the case and the versions of the libraries it ran with; a later run of the
same case, with the same versions, takes it from the file instead of searching again, and its check
column says so and when the search ran. Without the option (``make bench``) every run searches anew.
"""

from __future__ import annotations

import json
import os
import tempfile
from importlib import metadata
from pathlib import Path

#: the JSON file named by ``--plans`` (set by run.py before the cases load), or None: nothing is kept
FILE: Path | None = None


def versions(distributions) -> dict:
    """``{name: version or None}`` of the installed distributions named."""
    out = {}
    for name in distributions:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"--plans file {str(path)!r} does not hold a JSON object")
    return data


def load(key: str, distributions) -> dict | None:
    """The entry ``{"when", "versions", "value"}`` stored under ``key``, if its versions are those
    installed now; else None (also without ``--plans``)."""
    if FILE is None:
        return None
    entry = _read(FILE).get(key)
    if not isinstance(entry, dict) or entry.get("versions") != versions(distributions):
        return None
    return entry


def store(key: str, distributions, value, when: str) -> None:
    """Keep ``value`` (JSON-serialisable) under ``key`` with the versions installed now; the other
    entries stay. The file is replaced whole, never left half-written."""
    if FILE is None:
        return
    data = _read(FILE)
    data[key] = {"when": when, "versions": versions(distributions), "value": value}
    FILE.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=FILE.parent, prefix=FILE.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, FILE)
    except BaseException:
        os.unlink(tmp)
        raise
