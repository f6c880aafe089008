"""Output paths of the commands, checked before any work: writable, not too long, nothing overwritten by accident.

Every command that writes (``train``'s run directory, ``predict`` / ``evaluate`` / ``plot``'s
``--out`` file) checks its path here first, so that a path that cannot be written is one usage
error before the data are read or a model is fitted, never an ``OSError`` after the fit:

- the path is not empty, and no component is longer than the file system allows (counting the
  hidden temporary name the atomic write uses beside it);
- the nearest existing ancestor is a directory (not a regular file) in which this process can
  create an entry (checked by creating and removing one: permissions, read-only mounts, ``/proc``);
- an existing target is of the right kind, and is replaced only with ``--force``; the input table
  and the files of the model directory are never replaced.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from .errors import UsageError

__all__ = ["check_run_dir", "check_output_file"]

# the atomic writes put ".NAME.tmp-PID-RANDOM[.SUFFIX]" beside NAME: this many more characters
_TEMP_EXTRA = len(".") + len(".tmp-") + 10 + 1 + 12 + 16


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def _existing_ancestor(path: Path) -> Path:
    here = path.parent if str(path.parent) else Path(".")
    while not os.path.lexists(here) and here != here.parent:
        here = here.parent
    return here


def _probe(folder: Path, what: str, shown: str, directory: bool) -> None:
    """Create and remove an entry in ``folder``; UsageError with the system's reason when that fails."""
    probe = folder / f".crossentropy-probe-{os.getpid()}-{secrets.token_hex(6)}"
    try:
        if directory:
            os.mkdir(probe, 0o700)
            os.rmdir(probe)
        else:
            os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            os.unlink(probe)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.rmdir(probe) if directory else os.unlink(probe)
        raise UsageError(f"cannot write {what} {shown}: {exc.strerror or exc} in {str(folder)!r}") from None


def _check_path(path, what: str, directory: bool) -> Path:
    if path is None or str(path) == "":
        raise UsageError(f"{what} must not be empty")
    p = Path(path)
    shown = repr(str(p))
    ancestor = _existing_ancestor(p)
    if not ancestor.is_dir():
        raise UsageError(f"cannot write {what} {shown}: {str(ancestor)!r} is a file, not a directory")
    limit = _name_max(ancestor)
    missing = p.relative_to(ancestor).parts if p.is_relative_to(ancestor) else p.parts
    for i, part in enumerate(missing):
        extra = _TEMP_EXTRA if i == len(missing) - 1 else 0
        if len(os.fsencode(part)) + extra > limit:
            raise UsageError(f"cannot write {what} {str(p)[:60]!r}...: the name {part[:40]!r}... has {len(part)} "
                             f"characters; this file system allows {limit - extra} here")
    _probe(ancestor, what, shown, directory)
    return p


#: the files by which a directory is recognised as one this program wrote (a run, a report, figures)
RUN_MARKERS = ("metrics.json", "model.json")


def _input_paths(inputs) -> list:
    """The existing paths among ``inputs``; a glob stands for the directory before its first wildcard."""
    out = []
    for source in inputs:
        if source is None or str(source) == "":
            continue
        text = str(source)
        cut = min((text.find(c) for c in "*?[" if c in text), default=-1)
        p = Path(text[:cut]).parent if cut >= 0 else Path(text)
        if os.path.lexists(p):
            out.append(p)
    return out


def check_run_dir(path, *, force: bool, what: str = "--out", inputs=()) -> Path:
    """Check ``train``'s run directory before any work; return it as a Path.

    It may be absent, an empty directory, or (with ``force``) an existing directory to replace, and
    then only one this program wrote (it holds ``metrics.json`` or ``model.json``: a run, a report,
    figures) and never one that holds an input of the command (``inputs``: the data file, the model
    being read), at any depth.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> check_run_dir(root / "runs" / "a", force=False) == root / "runs" / "a"
    True
    >>> (root / "table.csv").write_text("a\\n1\\n") and None
    >>> check_run_dir(root / "table.csv" / "run", force=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crossentropy.cli.errors.UsageError: cannot write --out '...run': '...table.csv' is a file, not a directory

    References
    ----------
    POSIX.1-2017, ``pathconf()``: ``_PC_NAME_MAX``, the longest file name a directory accepts;
    ``mkdir()``: ``EACCES``, ``EROFS``, ``ENOTDIR``, the reasons a directory cannot be created.
    """
    p = _check_path(path, what, directory=True)
    if os.path.lexists(p):
        if not p.is_dir():
            raise UsageError(f"{what} {str(p)!r} is a file, not a directory")
        for source in _input_paths(inputs):
            if _inside(source, p):
                relation = "is" if _inside(p, source) else "holds"
                raise UsageError(f"{what} {str(p)!r} {relation} {str(source)!r}, which this command reads: refusing "
                                 "to replace it; write elsewhere")
        if any(p.iterdir()):
            if not force:
                raise UsageError(f"output directory {str(p)!r} already exists; pass --force to replace it")
            if not any((p / name).is_file() for name in RUN_MARKERS):
                raise UsageError(f"{what} {str(p)!r} is not a directory this program wrote (it holds no "
                                 f"{' or '.join(RUN_MARKERS)}): refusing to replace it, even with --force; "
                                 "choose a new directory")
    return p


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def check_output_file(path, *, force: bool, what: str = "--out", inputs=(), model_dir=None) -> Path:
    """Check an output file before any work; return it as a Path.

    Parameters
    ----------
    path : str or path-like
    force : bool
        Whether an existing file may be replaced.
    what : str
        The option, for the message.
    inputs : sequence of path-like
        Files the command reads (the input table): never replaced, even with ``force``.
    model_dir : path-like, optional
        The model directory the command reads: none of its files is ever replaced.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "data.csv").write_text("a\\n1\\n") and None
    >>> check_output_file(root / "data.csv", force=True, inputs=[root / "data.csv"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crossentropy.cli.errors.UsageError: --out '...data.csv' is the input table: refusing to overwrite it

    References
    ----------
    POSIX.1-2017, ``open()`` with ``O_CREAT | O_EXCL`` (the probe) and ``stat()`` (``st_dev``,
    ``st_ino``: two paths name the same file when both agree, as ``os.path.samefile`` tests).
    """
    p = _check_path(path, what, directory=False)
    if not os.path.lexists(p):
        return p
    if p.is_dir():
        raise UsageError(f"{what} {str(p)!r} is a directory, not a file")
    for source in inputs:
        with contextlib.suppress(OSError):
            if os.path.exists(source) and os.path.samefile(p, source):
                raise UsageError(f"{what} {str(p)!r} is the input table: refusing to overwrite it")
    if model_dir is not None and _inside(p, Path(model_dir)):
        raise UsageError(f"{what} {str(p)!r} is a file of the model directory {str(model_dir)!r}: refusing to "
                         "overwrite it; write elsewhere")
    if not force:
        raise UsageError(f"{what} {str(p)!r} already exists; pass --force to replace it")
    return p
