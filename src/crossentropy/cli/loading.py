"""How much of a fit's wall time is one-off loading, so that ``train`` reports the fit's own time.

The first fit in a process pays for code it meets for the first time: the modules its path imports
(SciPy's solvers, the package's own modules) and numba's compiled kernels, loaded from numba's cache
(or compiled, on the first run after an install). :func:`one_off_loading` measures both inside a
``with`` block:

- imports: the command line's own process replaces ``builtins.__import__`` for the block (the library
  never does), and an outermost ``import`` statement that adds modules to ``sys.modules`` counts its
  whole wall time (its nested imports are inside it);
- kernels: numba's ``numba:compiler_lock`` event, held while a kernel is loaded from the cache or
  compiled (``numba.core.event``), timed by a listener of that event; the listener is registered as soon as
  numba is imported, before or during the block; a kernel loaded while a module is imported counts
  once, in the import, and a module imported while a kernel loads counts once, in the kernel.

The rest of the block's wall time is the fit's own.
"""

from __future__ import annotations

import builtins
import contextlib
import sys
import threading
import time

__all__ = ["LoadTimer", "one_off_loading"]


class LoadTimer:
    """Seconds of one-off loading seen inside :func:`one_off_loading`'s block (``imports``, ``kernels``)."""

    def __init__(self):
        self.imports = 0.0
        self._local = threading.local()
        self._listener = None
        self._during_imports = 0.0

    def _lock_seconds(self) -> float:
        return self._listener.seconds if self._listener is not None else 0.0

    def _locked(self) -> bool:
        return self._listener is not None and self._listener.depth > 0

    @property
    def kernels(self) -> float:
        """Seconds numba held its compiler lock (kernels loaded from its cache or compiled) outside an
        import: a kernel an import loads is in ``imports`` already."""
        return self._lock_seconds() - self._during_imports

    @property
    def seconds(self) -> float:
        return self.imports + self.kernels

    def _watch_numba(self):
        if self._listener is None and "numba.core.event" in sys.modules:
            event = sys.modules["numba.core.event"]
            self._listener = _lock_listener(event)
            event.register("numba:compiler_lock", self._listener)

    def _unwatch(self):
        if self._listener is not None:
            sys.modules["numba.core.event"].unregister("numba:compiler_lock", self._listener)


def _lock_listener(event):
    """A listener of numba's compiler lock: whether it is held now (``depth``) and for how long in all."""

    class LockListener(event.Listener):
        def __init__(self):
            self.depth, self.seconds, self._since = 0, 0.0, 0.0

        def on_start(self, _):
            if self.depth == 0:
                self._since = time.perf_counter()
            self.depth += 1

        def on_end(self, _):
            self.depth -= 1
            if self.depth == 0:
                self.seconds += time.perf_counter() - self._since

    return LockListener()


@contextlib.contextmanager
def one_off_loading():
    """A :class:`LoadTimer` counting the imports and kernel loads that happen inside the block.

    Examples
    --------
    >>> with one_off_loading() as loading:
    ...     import json  # already imported: no new module, nothing counted
    >>> loading.imports
    0.0
    """
    timer = LoadTimer()
    original = builtins.__import__

    def timed_import(name, globals=None, locals=None, fromlist=(), level=0):
        if getattr(timer._local, "depth", 0) or timer._locked():  # inside an import, or a kernel's load
            return original(name, globals, locals, fromlist, level)
        before, start, locked = len(sys.modules), time.perf_counter(), timer._lock_seconds()
        timer._local.depth = 1
        try:
            return original(name, globals, locals, fromlist, level)
        finally:
            timer._local.depth = 0
            if len(sys.modules) != before:
                timer.imports += time.perf_counter() - start
                timer._during_imports += timer._lock_seconds() - locked
                timer._watch_numba()

    timer._watch_numba()
    builtins.__import__ = timed_import
    try:
        yield timer
    finally:
        builtins.__import__ = original
        timer._unwatch()
