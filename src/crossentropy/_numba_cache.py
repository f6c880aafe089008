"""Where numba caches this package's compiled kernels (``_kernels/``, ``objective/_cd.py``) when its own locations are not writable.

The kernels are compiled with ``cache=True``. numba looks for a writable cache directory in this order:
``NUMBA_CACHE_DIR``, the ``__pycache__`` next to the source file, the user-wide cache
(``~/.cache/numba``), and raises ``RuntimeError: cannot cache function ...: no locator available``
at import when none is writable: a read-only install run by a user without a writable home directory
(a container started under an arbitrary user id) could not use the package at all.

:class:`PrivateTempCacheLocator` is appended to numba's locators (so it is asked only after all of
numba's have failed) and answers only for the files of this package (``crossentropy/``): a
user's own numba functions keep numba's behaviour. It caches under a per-user directory of the
temporary directory, ``<tempfile.gettempdir()>/crossentropy-numba-<uid>``, used only when it is a real
directory (not a symbolic link) owned by the current user and closed to others (mode ``0o700``): numba's
cache files are pickles, and loading a pickle someone else could write would run their code. When that
directory cannot be made or fails those checks, :class:`NoCacheLocator` answers instead and the kernels
are compiled on each first call without a cache (:func:`disable_uncached`); nothing is written and
nothing is warned. numba's own configuration and the process environment are left as they are.

A module with ``cache=True`` kernels calls :func:`install` before its decorators and
:func:`disable_uncached` with its namespace after them.
"""

from __future__ import annotations

import os
import stat
import tempfile

from numba.core import caching

__all__ = ["PrivateTempCacheLocator", "NoCacheLocator", "install", "disable_uncached", "private_cache_root"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def private_cache_root() -> str | None:
    """The per-user cache directory under the temporary directory, or None when it cannot be trusted.

    Created with mode ``0o700`` when missing. Refused (None): a symbolic link or anything but a
    directory, another owner, any permission for group or others, or no temporary directory at all.

    Examples
    --------
    >>> root = private_cache_root()
    >>> root is None or os.path.basename(root).startswith("crossentropy-numba-")
    True
    """
    try:
        base = tempfile.gettempdir()
    except (OSError, FileNotFoundError):  # no usable temporary directory at all
        return None
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    root = os.path.join(base, f"crossentropy-numba-{'user' if uid is None else uid}")
    try:
        os.mkdir(root, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        st = os.lstat(root)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode):  # a symbolic link or a file planted at the name
        return None
    if uid is not None and (st.st_uid != uid or st.st_mode & 0o077):
        return None
    if not os.access(root, os.W_OK | os.X_OK):
        return None
    return root


def _ours(py_file) -> bool:
    path = os.path.abspath(py_file)
    return os.path.commonpath([path, _PACKAGE_DIR]) == _PACKAGE_DIR


class PrivateTempCacheLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
    """numba's cache locator for this package's kernels under :func:`private_cache_root`."""

    def __init__(self, py_func, py_file, root):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = os.path.join(root, self.get_suitable_cache_subpath(py_file))

    def get_cache_path(self):
        return self._cache_path

    @classmethod
    def from_function(cls, py_func, py_file):
        if not _ours(py_file) or not os.path.exists(py_file):
            return None
        root = private_cache_root()
        if root is not None:
            self = cls(py_func, py_file, root)
            try:
                self.ensure_cache_path()
                return self
            except OSError:
                pass
        return NoCacheLocator(py_func, py_file)


class NoCacheLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
    """A locator that stands for "no cache": its dispatcher is disabled by :func:`disable_uncached`.

    Its path is never created or written; reading from it finds no index (a nonexistent path).
    """

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = os.path.join(os.path.dirname(os.path.abspath(py_file)), "__no_cache__", "absent")

    def get_cache_path(self):
        return self._cache_path

    def ensure_cache_path(self):
        raise OSError("crossentropy: no writable cache directory for the numba kernels")

    @classmethod
    def from_function(cls, py_func, py_file):  # only made by PrivateTempCacheLocator
        return None


def install() -> None:
    """Append :class:`PrivateTempCacheLocator` to numba's locator list (once; numba's own come first)."""
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # renamed in numba 0.61
    if PrivateTempCacheLocator not in impl._locator_classes:
        impl._locator_classes.append(PrivateTempCacheLocator)


def disable_uncached(namespace) -> None:
    """Turn off caching for the dispatchers in ``namespace`` (a module's ``vars()``) that got
    :class:`NoCacheLocator`: they compile on first use and never try to write a cache."""
    for obj in list(namespace.values()):
        cache = getattr(obj, "_cache", None)
        impl = getattr(cache, "_impl", None)
        if isinstance(getattr(impl, "locator", None), NoCacheLocator):
            cache.disable()
