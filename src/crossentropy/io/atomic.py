"""Atomic file output: write to a temporary name in the target's directory, then ``os.replace``.

A run that fails half-way therefore never leaves a partial file (or run directory) behind: the
temporary name is removed and the target path is either untouched or complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "atomic_directory"]


def _read_umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it: done once, at import
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def atomic_path_mode(kind: str) -> int:
    """Permissions a normally created file or directory would get (mkstemp/mkdtemp use 0600/0700)."""
    return (0o777 if kind == "dir" else 0o666) & ~_UMASK


@contextlib.contextmanager
def atomic_path(path, *, suffix: str | None = None):
    """Yield a temporary path beside ``path``; on success move it onto ``path``, on error delete it.

    ``suffix`` (default: the suffix of ``path``) is kept on the temporary name so that writers which
    pick a format from the file name (matplotlib, pandas) still do.
    """
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix if suffix is None else suffix, dir=parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, atomic_path_mode("file"))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same directory, then ``os.replace``)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def atomic_directory(path, *, overwrite: bool = False):
    """Yield a fresh temporary directory beside ``path``; on success rename it to ``path``.

    On any error the temporary directory and everything in it are removed, so ``path`` is never
    left half-written. ``path`` must not exist unless it is an empty directory or ``overwrite`` is
    true (then the old directory is replaced only after the new one is complete).
    """
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    try:
        yield tmp
        os.chmod(tmp, atomic_path_mode("dir"))
        if target.exists() or target.is_symlink():
            if target.is_dir() and not target.is_symlink() and not any(target.iterdir()):
                target.rmdir()
            elif overwrite:
                old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=parent))
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
