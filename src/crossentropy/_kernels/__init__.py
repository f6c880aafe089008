"""Compiled (numba) kernels: the fused softmax cross-entropy rows and the blocked linear cross-entropy engine.

Private. The formulas are documented once, in :mod:`crossentropy.losses._rows` (whose NumPy code is
the reference these kernels are tested against). Importing this package imports numba; the core
imports it lazily, on the first call that uses it, so ``import crossentropy`` stays light.

- :mod:`._simd`: a float32/float64 ``exp`` and a ``max`` that vectorise inside numba loops;
- :mod:`.fused`: one cache-resident pass per row (loss and gradient, optionally in place);
- :mod:`.chunked`: the same rows over class chunks with an online log-sum-exp;
- :mod:`.linear_engine`: row blocks × class chunks of ``X @ W.T + b`` with BLAS in between;
- :mod:`.binary_pass`: the binary model's logits, loss and gradient in one pass over dense rows;
- :mod:`.temperature`: the temperature-scaling loss and its first two derivatives in one pass;
- :mod:`.moments`: weighted moments of columns about a shift in one pass (a summary's spreads);
- the cores free for a launch now: :mod:`crossentropy._cores` (bounds each launch's threads).
"""

from __future__ import annotations

import contextlib
import os
import threading

import numba
import numpy as np
from numba.np.ufunc import parallel as _numba_parallel

from .. import _numba_cache

_numba_cache.install()  # before the kernels are decorated: a cache directory even without a writable home

from . import binary_pass, chunked, fused, moments, temperature  # noqa: E402
from .._cores import free_cores  # noqa: E402
from .fused import hard_rows_fused, threads_for  # noqa: E402

_numba_cache.disable_uncached(vars(fused))
_numba_cache.disable_uncached(vars(chunked))
_numba_cache.disable_uncached(vars(binary_pass))
_numba_cache.disable_uncached(vars(temperature))
_numba_cache.disable_uncached(vars(moments))

__all__ = ["fused_hard_rows", "row_groups", "launching", "launch_threads", "start_threads"]

_LAUNCH_LOCK = threading.Lock()
_START_LOCK = threading.Lock()


def start_threads() -> None:
    """Start numba's worker threads, with OpenMP's idle threads sleeping instead of spinning.

    OpenMP's default is to keep idle threads spinning after each parallel region: numba's OpenMP
    threads then hold the cores while the BLAS products between two kernels run (a 10-class softmax
    fit on 200,000 × 100, 2 shared cores: 0.6 s with ``OMP_WAIT_POLICY=PASSIVE``, 0.7 s with libgomp's
    default spin, 2 s with ``ACTIVE``; on a busier day 0.9, 1.4 and 3 s). libgomp reads
    ``OMP_WAIT_POLICY`` once, when it is loaded, which numba does when it starts its threads. So the
    variable is set only for that moment and ``os.environ`` is put back right after: the user's
    process and its children never see it (a thread that starts a child process during those
    microseconds would pass it on). A value the user set is kept; when numba's threads are already
    running (the user's own kernels) nothing is changed, and when another library loaded the same
    libgomp first, that load has set it. (torch and scikit-learn bring their own copies of libgomp,
    which numba does not use.) Idempotent and thread-safe.
    """
    if _threads_started():
        return
    with _START_LOCK:
        if _threads_started():
            return
        added = "OMP_WAIT_POLICY" not in os.environ
        if added:
            os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        try:
            numba.get_num_threads()  # loads the threading layer and starts the threads
        finally:
            if added:
                os.environ.pop("OMP_WAIT_POLICY", None)


def _threads_started() -> bool:
    return bool(getattr(_numba_parallel, "_is_initialized", False))


def _serialised():
    """A lock under numba's ``workqueue`` threading layer, else nothing.

    ``workqueue`` (numba's fallback where neither TBB nor OpenMP is found) aborts the process when
    two threads launch parallel kernels at once, as Dask's threaded workers may; the OpenMP and TBB
    layers are thread-safe and get no lock.
    """
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet: serialise while numba picks the layer
        return _LAUNCH_LOCK
    return _LAUNCH_LOCK if layer == "workqueue" else contextlib.nullcontext()


@contextlib.contextmanager
def launching(n_threads=None):
    """Context for launching a parallel kernel of this package.

    Serialised where the threading layer needs it, and with numba's parallel chunk size set to 1 for
    this thread, so that the row groups of a ``prange`` are handed out one at a time: a thread that
    the OS deschedules (on a busy machine) then delays one small group, not a fixed half of the rows.
    ``n_threads`` (from :func:`launch_threads`) lowers this thread's numba thread count for the
    launch (numba's count is per calling thread; it is put back after).
    """
    start_threads()
    with _serialised():
        previous = numba.set_parallel_chunksize(1)
        threads = numba.get_num_threads()
        if n_threads is not None and n_threads < threads:
            numba.set_num_threads(n_threads)
        try:
            yield
        finally:
            numba.set_num_threads(threads)
            numba.set_parallel_chunksize(previous)


def launch_threads(n_elements: int) -> int:
    """Threads a launch over ``n_elements`` logits uses: :func:`.fused.threads_for` of numba's count,
    at most the cores free now (:func:`crossentropy._cores.free_cores`, read only when more than one thread would run).

    A thread given a core that another process keeps busy holds the whole launch at its closing
    barrier; fewer threads on free cores finish sooner and steadier.
    """
    start_threads()
    threads = threads_for(n_elements, numba.get_num_threads())
    return threads if threads == 1 else min(threads, free_cores())


def row_groups(n_rows: int, per_thread: int = 4, n_threads=None) -> int:
    """Number of row groups a parallel kernel splits ``n_rows`` into (``per_thread`` per thread)."""
    start_threads()
    threads = numba.get_num_threads() if n_threads is None else n_threads
    return max(1, min(n_rows, per_thread * threads))


def fused_hard_rows(x, y, keep, weight, eps, need_grad, *, scale=1.0, out=None):
    """The fused version of :func:`crossentropy.losses._rows.hard_rows` (same arguments and results).

    ``x``: C-contiguous float32/float64 of shape (N, C). Returns ``(loss, grad)``: the per-row losses
    (computed in float64, returned in ``x``'s dtype like the reference's) and ``scale`` times the
    gradient of their sum, written into ``out`` when given (``out`` may be ``x`` itself), ``None``
    when ``need_grad`` is false.
    """
    n, c = x.shape
    dtype = x.dtype
    if not x.flags.writeable:  # the compiled kernel takes writable arrays (read-only logits are rare)
        x = x.copy()
    r = np.ascontiguousarray(keep, dtype=np.float64)
    w = np.empty(0, dtype) if weight is None else np.ascontiguousarray(weight, dtype=dtype)
    w_sum = float(c) if weight is None else float(np.sum(weight, dtype=np.float64))
    yv = np.ascontiguousarray(y, dtype=np.intp)
    loss = np.empty(n, np.float64)
    threads = launch_threads(n * c)  # one thread for small problems: no wake-up to wait for
    colsum = np.empty((row_groups(n, 16, threads), 0), dtype)  # small groups, handed out dynamically
    no_bias = np.empty(0, dtype)
    if not need_grad:  # nothing is written: x stands in for the gradient buffer
        with launching(threads):
            hard_rows_fused(x, no_bias, yv, r, w, w_sum, float(eps), float(scale), False, x, loss, colsum, True)
        return loss.astype(dtype, copy=False), None
    inplace = out is not None and _same_layout(out, x)
    target = out if out is not None and (inplace or _usable_out(out, x)) else _gradient_buffer(x)
    with launching(threads):
        hard_rows_fused(x, no_bias, yv, r, w, w_sum, float(eps), float(scale), True, target, loss, colsum, inplace)
    if out is not None and target is not out:
        np.copyto(out, target)
        target = out
    return loss.astype(dtype, copy=False), target


#: LLVM guards a vectorised loop that reads one row (of ``x``) and writes another (of the gradient) by
#: a run-time check, and runs the scalar loop when the written row starts fewer than VF x UF elements
#: (at most a few hundred bytes) after the read one. The scalar loop adds the exponentials in another
#: order, so the loss would move by an ulp with the place numpy happened to allocate the gradient: a
#: gradient buffer never starts within this many bytes after ``x``.
ALIAS_WINDOW_BYTES = 4096


def _starts_just_after(out, x) -> bool:
    gap = out.__array_interface__["data"][0] - x.__array_interface__["data"][0]
    return 0 <= gap < ALIAS_WINDOW_BYTES


def _gradient_buffer(x):
    """An uninitialised C-contiguous array like ``x`` that does not start just after ``x``.

    When the first allocation does, the buffer is taken ``ALIAS_WINDOW_BYTES`` into a larger one, which
    then starts at least that far after ``x``.
    """
    out = np.empty_like(x)
    if not _starts_just_after(out, x):
        return out
    pad = -(-ALIAS_WINDOW_BYTES // x.itemsize)
    flat = np.empty(x.size + pad, x.dtype)
    if not _starts_just_after(flat, x):  # it starts before x
        return flat[: x.size].reshape(x.shape)
    return flat[pad:].reshape(x.shape)


def _same_layout(out, x) -> bool:
    """``out`` is exactly ``x``'s memory (same start, shape and strides)."""
    return (out.shape == x.shape and out.strides == x.strides and out.dtype == x.dtype
            and out.__array_interface__["data"][0] == x.__array_interface__["data"][0])


def _usable_out(out, x) -> bool:
    """``out`` can be written row by row while ``x`` is read: C-contiguous, same dtype, no overlap, and
    not starting just after ``x`` (see :data:`ALIAS_WINDOW_BYTES`)."""
    return (out.shape == x.shape and out.dtype == x.dtype and out.flags.c_contiguous and out.flags.writeable
            and not np.may_share_memory(out, x) and not _starts_just_after(out, x))
