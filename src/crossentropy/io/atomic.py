"""Atomic file output: write to a temporary name in the target's directory, then ``os.replace``.

A run that fails half-way therefore never leaves a partial file (or run directory) behind: the
temporary name is removed and the target path is either untouched or complete.

The temporary file is created with mode ``0o666`` and the temporary directory with ``0o777``; the
kernel applies the process umask to both, exactly as for a file opened with ``open(path, "w")`` or a
directory made with ``os.mkdir``. The umask is never read or changed here (reading it with
``os.umask`` would set it, for every thread of the process).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "atomic_directory"]

_ATTEMPTS = 100


def _parent(target: Path) -> Path:
    parent = target.parent if str(target.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    return parent


def _fresh_name(parent: Path, prefix: str, suffix: str, create) -> Path:
    """Create a new file or directory ``parent/prefix<random>suffix`` with ``create``; return its path.

    ``create`` fails with FileExistsError when the name is taken (O_EXCL / mkdir), so a name is never
    shared with another writer.
    """
    for _ in range(_ATTEMPTS):
        candidate = parent / f"{prefix}{secrets.token_hex(6)}{suffix}"
        try:
            create(candidate)
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"no free temporary name {prefix}*{suffix} in {str(parent)!r} after {_ATTEMPTS} tries")


def _create_file(path: Path) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    os.close(os.open(path, flags, 0o666))  # the kernel applies the umask


def _create_dir(path: Path) -> None:
    os.mkdir(path, 0o777)  # the kernel applies the umask


@contextlib.contextmanager
def atomic_path(path, *, suffix: str | None = None):
    """Yield a new, empty temporary path beside ``path``; on success move it onto ``path``.

    On any error (including KeyboardInterrupt) the temporary file is deleted and ``path`` is left as
    it was. The file gets the permissions ``0o666 & ~umask``, as a file created with ``open`` would.

    Parameters
    ----------
    path : str or path-like
        The target file. Its parent directory is created if needed.
    suffix : str, optional
        Suffix of the temporary name (default: the suffix of ``path``), so that writers which pick a
        format from the file name (matplotlib, pandas) still do.

    Yields
    ------
    pathlib.Path
        The temporary file, in the same directory as ``path`` (so that ``os.replace`` is atomic).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "table.csv"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("a,b\\n1,2\\n")
    >>> target.read_text()
    'a,b\\n1,2\\n'

    References
    ----------
    POSIX.1-2017, ``rename()``: "If the link named by the new argument exists, it shall be removed
    and old renamed to new ... a link named new shall remain visible to other threads throughout".
    """
    target = Path(path)
    parent = _parent(target)
    tmp = _fresh_name(parent, f".{target.name}.", target.suffix if suffix is None else suffix, _create_file)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same directory, fsync, ``os.replace``).

    Parameters
    ----------
    path : str or path-like
        The target file; replaced as a whole or not at all.
    data : bytes
        The complete content.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "blob.bin"
    >>> atomic_write_bytes(target, b"\\x00\\x01")
    >>> target.read_bytes()
    b'\\x00\\x01'
    """
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` encoded as UTF-8 to ``path`` atomically (see :func:`atomic_write_bytes`).

    Parameters
    ----------
    path : str or path-like
        The target file.
    text : str
        The complete content.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
    >>> atomic_write_text(target, "é\\n")
    >>> target.read_bytes()
    b'\\xc3\\xa9\\n'
    """
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def atomic_directory(path, *, overwrite: bool = False):
    """Yield a fresh temporary directory beside ``path``; on success rename it to ``path``.

    On any error the temporary directory and everything in it are removed, so ``path`` is never
    left half-written. The directory gets the permissions ``0o777 & ~umask``, as ``os.mkdir`` gives.

    Parameters
    ----------
    path : str or path-like
        The target directory. It must not exist, unless it is an empty directory or ``overwrite``
        is true (then the old directory is replaced only after the new one is complete).
    overwrite : bool, default False
        Replace an existing, non-empty ``path``.

    Yields
    ------
    pathlib.Path
        The temporary directory to fill.

    Raises
    ------
    FileExistsError
        ``path`` exists, is not an empty directory and ``overwrite`` is false (raised after the
        block has run; the temporary directory is removed).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> run = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> with atomic_directory(run) as tmp:
    ...     _ = (tmp / "metrics.json").write_text("{}")
    >>> sorted(p.name for p in run.iterdir())
    ['metrics.json']
    """
    target = Path(path)
    parent = _parent(target)
    tmp = _fresh_name(parent, f".{target.name}.tmp-", "", _create_dir)
    try:
        yield tmp
        if target.exists() or target.is_symlink():
            if target.is_dir() and not target.is_symlink() and not any(target.iterdir()):
                target.rmdir()
            elif overwrite:
                old = _fresh_name(parent, f".{target.name}.old-", "", _create_dir)
                os.replace(target, old / "old")
                os.replace(tmp, target)
                shutil.rmtree(old, ignore_errors=True)
                return
            else:
                raise FileExistsError(f"output directory {str(target)!r} already exists and is not empty")
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
