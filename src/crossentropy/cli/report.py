"""A run's files and provenance: the run directory, ``metrics.json``, the PNGs and ``report.html``.

The report itself (metrics, baseline, figures, coefficient table, the page) is
:class:`crossentropy.report.Report`; this module adds what only a run of the command line knows (the
command line, the data file and its SHA-256, the seed, the rows read and dropped) and writes every
file in a temporary directory that is renamed into place only when complete.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import sys
from pathlib import Path

__all__ = ["file_sha256", "run_provenance", "write_run", "write_figures_dir"]


def file_sha256(path) -> str | None:
    """The SHA-256 of a regular file (read in 1 MiB blocks), or None for anything else.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "a.txt"); _ = open(p, "w").write("abc")
    >>> file_sha256(p)[:16]
    'ba7816bf8f01cfea'
    """
    p = Path(path)
    try:
        if not p.is_file():
            return None
        h = hashlib.sha256()
        with p.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except OSError:
        return None


def run_provenance(title, *, argv, data=None, seed=None, n_rows=None, n_dropped=None) -> dict:
    """The page's provenance block of a run: the command line (``argv``, default ``sys.argv[1:]``), the data file and its SHA-256, the seed, the rows
    read and dropped (missing values) and the versions (:func:`crossentropy.report.page.provenance`).

    Examples
    --------
    >>> prov = run_provenance("M on a.csv", argv=["train", "a.csv"], data="a.csv", seed=0)
    >>> prov["by"], prov["rows"][:2]
    ('crossentropy train a.csv', [('command line', 'crossentropy train a.csv'), ('data file', 'a.csv')])
    """
    from ..report.page import provenance, versions

    command = "crossentropy " + shlex.join([str(a) for a in (sys.argv[1:] if argv is None else argv)])
    rows = [("command line", command), ("data file", str(data) if data is not None else "built-in data set"),
            ("SHA-256 of the data file", (file_sha256(data) if data is not None else None)
             or "n/a (not a single regular file)")]
    rows += [(label, f"{value:,}") for label, value in (("seed", seed), ("rows read", n_rows),
                                                        ("rows dropped (missing values)", n_dropped)) if value is not None]
    rows += [(f"{k} version", v) for k, v in versions().items()]
    return provenance(title, by=command, rows=rows)


def write_run(out_dir, *, estimator, metrics: dict, report, provenance=None, preprocessing=None, files=None,
              overwrite: bool = False, calibration=None) -> Path:
    """Write a complete run directory atomically and return its path.

    Contents: ``model.json`` + ``model.safetensors`` (:func:`crossentropy.model_io.save_model`, with
    ``metrics`` kept as ``extra``), ``metrics.json``, one PNG per figure of ``report``
    (:class:`crossentropy.report.Report`), any ``files`` (name -> JSON-able object, written as JSON, or a
    str written as is) and, with ``provenance`` (:func:`run_provenance`), ``report.html``: one
    self-contained page with every figure embedded. Everything is built in a temporary directory beside
    ``out_dir`` that is renamed to ``out_dir`` only when complete. ``calibration`` (record, calibrator)
    goes to ``save_model`` (``crossentropy calibrate``).
    """
    from ..io.atomic import atomic_directory
    from ..io.model_files import save_model

    out_dir = Path(out_dir)
    with atomic_directory(out_dir, overwrite=overwrite) as tmp:
        save_model(estimator, tmp, preprocessing=preprocessing, extra={"metrics": metrics}, calibration=calibration)
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=1, allow_nan=False) + "\n", encoding="utf-8")
        for name, obj in (files or {}).items():
            text = obj if isinstance(obj, str) else json.dumps(obj, allow_nan=False) + "\n"  # str: written as is (CSV)
            (tmp / name).write_text(text, encoding="utf-8")
        _write_figures(tmp, report, provenance)
    return out_dir


def _write_figures(tmp, report, provenance):
    """The PNGs of ``report`` and, with ``provenance``, ``report.html`` embedding them, into ``tmp``."""
    for name in report.figures:
        (tmp / name).write_bytes(report.png(name))
    if provenance is not None:
        (tmp / "report.html").write_text(report.html(provenance), encoding="utf-8")


def write_figures_dir(out_dir, *, metrics: dict, report, provenance=None, overwrite: bool = False) -> Path:
    """Write ``metrics.json``, the PNGs of ``report`` and (with ``provenance``) ``report.html`` into a new
    directory atomically (``evaluate --report-dir``, ``plot run``); return its path."""
    from ..io.atomic import atomic_directory

    out_dir = Path(out_dir)
    with atomic_directory(out_dir, overwrite=overwrite) as tmp:
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=1, allow_nan=False) + "\n", encoding="utf-8")
        _write_figures(tmp, report, provenance)
    return out_dir
