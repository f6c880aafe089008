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
import errno
import os
import re
import secrets
import shutil
import sys
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "atomic_directory", "clean_stale", "OutputChanged"]

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


def _with_path(exc: OSError, shown: Path, tmp: Path | None = None) -> OSError:
    """``exc`` naming ``shown`` when it names no file or the temporary ``tmp`` (a full disk's ENOSPC comes
    from ``write`` and names nothing): the path the user asked for, not a hidden temporary name."""
    name = exc.filename
    if name is not None and tmp is not None:
        with contextlib.suppress(ValueError, TypeError):
            rel = Path(os.fsdecode(name)).relative_to(tmp)
            return type(exc)(exc.errno, exc.strerror, str(shown / rel) if rel.parts else str(shown))
    if name is None and exc.errno is not None:
        return type(exc)(exc.errno, exc.strerror or os.strerror(exc.errno), str(shown))
    return exc


def _place_new(tmp: Path, target: Path) -> None:
    """Move ``tmp`` to ``target`` only if nothing is at ``target``, in one step (``renameat2`` with
    ``RENAME_NOREPLACE``, else ``link`` + ``unlink``): a file another program created there meanwhile
    is never replaced (FileExistsError)."""
    try:
        if not _rename2(tmp, target, _RENAME_NOREPLACE):
            try:
                os.link(tmp, target)
            except FileExistsError:
                raise
            except OSError:  # a file system without hard links: a re-check, then a rename
                if os.path.lexists(target):
                    raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target)) from None
                os.rename(tmp, target)
                return
            os.unlink(tmp)
    except FileExistsError:
        raise OutputChanged(f"output file {str(target)!r} was created by another program while this one was "
                            "writing; it was left as it is and nothing was written") from None


@contextlib.contextmanager
def atomic_path(path, *, suffix: str | None = None, overwrite: bool = True):
    """Yield a new, empty temporary path beside ``path``; on success move it onto ``path``.

    On any error (including KeyboardInterrupt) the temporary file is deleted and ``path`` is left as
    it was. The file gets the permissions ``0o666 & ~umask``, as a file created with ``open`` would.
    An OSError that names no file (a full disk) or the temporary one is raised naming ``path``.

    Parameters
    ----------
    path : str or path-like
        The target file. Its parent directory is created if needed.
    suffix : str, optional
        Suffix of the temporary name (default: the suffix of ``path``), so that writers which pick a
        format from the file name (matplotlib, pandas) still do.
    overwrite : bool, default True
        Replace a file at ``path``. False: the file is put there only if nothing is there at the end,
        atomically, so a file created meanwhile by another program is kept (:class:`OutputChanged`).

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
    clean_stale(parent)
    tmp = _fresh_name(parent, f".{target.name}.tmp-{os.getpid()}-", target.suffix if suffix is None else suffix,
                      _create_file)
    try:
        yield tmp
        if overwrite:
            os.replace(tmp, target)
        else:
            _place_new(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, FileExistsError):
            named = _with_path(exc, target, tmp)
            if named is not exc:
                raise named from exc
        raise


def atomic_write_bytes(path, data: bytes, *, overwrite: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same directory, fsync, ``os.replace``).

    Parameters
    ----------
    path : str or path-like
        The target file; replaced as a whole or not at all.
    data : bytes
        The complete content.
    overwrite : bool, default True
        False: never replace a file at ``path`` (see :func:`atomic_path`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "blob.bin"
    >>> atomic_write_bytes(target, b"\\x00\\x01")
    >>> target.read_bytes()
    b'\\x00\\x01'
    """
    with atomic_path(path, overwrite=overwrite) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write_text(path, text: str, *, overwrite: bool = True) -> None:
    """Write ``text`` encoded as UTF-8 to ``path`` atomically (see :func:`atomic_write_bytes`).

    Parameters
    ----------
    path : str or path-like
        The target file.
    text : str
        The complete content.
    overwrite : bool, default True
        False: never replace a file at ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
    >>> atomic_write_text(target, "é\\n")
    >>> target.read_bytes()
    b'\\xc3\\xa9\\n'
    """
    atomic_write_bytes(path, text.encode("utf-8"), overwrite=overwrite)


# ---------------------------------------------------------------------------------- run directories
#: renameat2 flags (Linux >= 3.15; glibc >= 2.28 exports renameat2)
_RENAME_NOREPLACE, _RENAME_EXCHANGE, _AT_FDCWD = 1, 2, -100
# hidden names of this module's temporary directories: .NAME.tmp-PID-RANDOM and .NAME.old-PID-RANDOM
# (atomic_path's temporary files add the target's suffix)
_HIDDEN = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>[0-9]+)-[0-9a-f]{12}(?P<suffix>\.[A-Za-z0-9]{1,16})?$")


class OutputChanged(FileExistsError):
    """The target of :func:`atomic_directory` was created or replaced by another writer meanwhile."""


def _renameat2():
    """libc's ``renameat2`` through ctypes, or None where the C library has none (not Linux, old glibc)."""
    global _RENAMEAT2
    if _RENAMEAT2 is None:
        func = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                libc = ctypes.CDLL(None, use_errno=True)
                func = libc.renameat2
                func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
                func.restype = ctypes.c_int
            except (OSError, AttributeError):
                func = False
        _RENAMEAT2 = func
    return _RENAMEAT2 or None


_RENAMEAT2 = None


def _rename2(src: Path, dst: Path, flags: int) -> bool:
    """``renameat2(src, dst, flags)``; False where the system cannot (no call, or the file system refuses the flag).

    Any other failure (the target exists for RENAME_NOREPLACE, is missing for RENAME_EXCHANGE, ...)
    raises OSError with the errno.
    """
    import ctypes

    func = _renameat2()
    if func is None:
        return False
    if func(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, getattr(errno, "EOPNOTSUPP", errno.ENOTSUP)):
        return False
    raise OSError(err, os.strerror(err), str(dst))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process: alive
    return True


def _identity(path: Path):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


def clean_stale(parent) -> list:
    """Remove the temporary directories that dead runs left in ``parent``; restore a run caught mid-swap.

    A run writes ``.NAME.tmp-PID-RANDOM`` and, where the system has no rename-exchange, moves the
    previous run to ``.NAME.old-PID-RANDOM/old`` for the moment between two renames. When process
    PID no longer exists, its temporary directory is removed; an ``old`` one is first moved back to
    ``NAME`` if nothing is there (the previous complete run), else removed. Directories of live
    processes are left alone.

    Parameters
    ----------
    parent : str or path-like
        The directory holding the run directories.

    Returns
    -------
    list of str
        The hidden names removed.

    Examples
    --------
    >>> import os, tempfile, pathlib
    >>> parent = pathlib.Path(tempfile.mkdtemp())
    >>> (parent / ".run.tmp-999999999-0123456789ab").mkdir()  # no process has this id
    >>> clean_stale(parent), os.listdir(parent)
    (['.run.tmp-999999999-0123456789ab'], [])

    References
    ----------
    POSIX.1-2017, ``kill()``: "If sig is 0 (the null signal), error checking is performed but no
    signal is actually sent ... used to check the validity of pid" (``ESRCH``: no such process).
    """
    parent = Path(parent)
    removed = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        m = _HIDDEN.match(entry.name)
        if m is None or _alive(int(m["pid"])):
            continue
        path = Path(entry.path)
        if m["kind"] == "tmp" and entry.is_file(follow_symlinks=False):  # atomic_path's file
            with contextlib.suppress(OSError):
                os.unlink(path)
                removed.append(entry.name)
            continue
        if m["suffix"] or not entry.is_dir(follow_symlinks=False):
            continue
        if m["kind"] == "old":
            target = parent / m["name"]
            with contextlib.suppress(OSError):
                if (path / "old").is_dir() and _identity(target) is None:
                    os.rename(path / "old", target)  # the previous complete run back at its path
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.lexists(path):
            removed.append(entry.name)
    return removed


def _install(tmp: Path, target: Path, parent: Path, *, overwrite: bool, expected) -> None:
    """Move the complete ``tmp`` to ``target``: either the old or the new complete directory is there throughout."""
    current = _identity(target)
    if current != expected:
        raise OutputChanged(f"output directory {str(target)!r} was {'created' if expected is None else 'replaced'} "
                            "by another run while this one was writing; nothing was written")
    if current is not None and target.is_dir() and not target.is_symlink() and not any(target.iterdir()):
        target.rmdir()  # an empty directory is no run: take its place
        current = None
    if current is None:
        try:
            if not _rename2(tmp, target, _RENAME_NOREPLACE):
                os.rename(tmp, target)  # refuses a non-empty directory, replaces nothing else
        except OSError as exc:
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                raise OutputChanged(f"output directory {str(target)!r} was created by another run while this one "
                                    "was writing; nothing was written") from None
            raise
        return
    if not overwrite:
        raise FileExistsError(f"output directory {str(target)!r} already exists and is not empty")
    if _rename2(tmp, target, _RENAME_EXCHANGE):  # one atomic step: new at target, old at tmp
        if _identity(tmp) != expected:  # another run swapped in between: give it its place back
            _rename2(tmp, target, _RENAME_EXCHANGE)
            raise OutputChanged(f"output directory {str(target)!r} was replaced by another run while this one "
                                "was writing; nothing was written")
        _remove_tree(tmp)
        return
    # no rename-exchange: two renames; a kill between them is repaired by clean_stale on the next run
    old = _fresh_name(parent, f".{target.name}.old-{os.getpid()}-", "", _create_dir)
    try:
        os.rename(target, old / "old")
    except OSError:
        os.rmdir(old)
        raise
    try:
        os.rename(tmp, target)
    except OSError:
        os.rename(old / "old", target)
        os.rmdir(old)
        raise
    _remove_tree(old)


def _remove_tree(path: Path) -> None:
    if os.path.islink(path):  # a replaced run that was a symbolic link: remove the link, not its target
        with contextlib.suppress(OSError):
            os.unlink(path)
        return
    shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def atomic_directory(path, *, overwrite: bool = False):
    """Yield a fresh temporary directory beside ``path``; on success put it at ``path`` in one step.

    On any error the temporary directory and everything in it are removed, so ``path`` is never
    left half-written. Replacing an existing run (``overwrite``) uses Linux's
    ``renameat2(RENAME_EXCHANGE)``, so at every instant either the old or the new complete directory
    is at ``path``; elsewhere two renames, and a run killed between them is restored by
    :func:`clean_stale`, which every call runs first (it also removes the temporary directories of
    dead runs). A run that finds ``path`` created or replaced by another writer since the block
    began raises :class:`OutputChanged` and leaves the other run in place. The directory gets the
    permissions ``0o777 & ~umask``, as ``os.mkdir`` gives.

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
        The temporary directory ``.NAME.tmp-PID-RANDOM`` to fill.

    Raises
    ------
    FileExistsError
        ``path`` exists, is not an empty directory and ``overwrite`` is false (raised before the block
        runs), or :class:`OutputChanged` (after it; the temporary directory is removed).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> run = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> with atomic_directory(run) as tmp:
    ...     _ = (tmp / "metrics.json").write_text("{}")
    >>> sorted(p.name for p in run.iterdir())
    ['metrics.json']

    References
    ----------
    Linux man-pages, ``rename(2)``: "RENAME_EXCHANGE: Atomically exchange oldpath and newpath. Both
    pathnames must exist but may be of different types".
    """
    target = Path(path)
    parent = _parent(target)
    clean_stale(parent)
    expected = _identity(target)
    if expected is not None and not overwrite and not (target.is_dir() and not any(target.iterdir())):
        raise FileExistsError(f"output directory {str(target)!r} already exists and is not empty")
    tmp = _fresh_name(parent, f".{target.name}.tmp-{os.getpid()}-", "", _create_dir)
    try:
        yield tmp
        _install(tmp, target, parent, overwrite=overwrite, expected=expected)
    except BaseException as exc:
        _remove_tree(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, FileExistsError):
            named = _with_path(exc, target, tmp)
            if named is not exc:
                raise named from exc
        raise
