r"""One BLAS thread for small matrix products: the one place where the package limits BLAS's threads.

A matrix product of a few million multiply-adds takes about a millisecond on one core. Splitting it
over two BLAS threads saves at most half of that, and costs a scheduler time slice (milliseconds)
each time the second thread's core is busy with another process: a browser, a second fit, a
test runner. A fit makes thousands of such products (a softmax Newton-CG fit on the digits table
makes one per Hessian-vector product, on 1,797 × 650 coefficients), so on a two-core machine with
one competing process the same fit took 0.3 s with one BLAS thread and 2 to 20 s with two. Products
below :data:`SMALL_PRODUCT` multiply-adds therefore run on one BLAS thread. Larger ones run on the
threads the user set, but on no more than the cores free when the fit starts
(:func:`crossentropy._cores.free_cores`, as numba's launches): BLAS splits a product evenly between its
threads, so a thread that shares its core with another busy process holds the product back by as long
as it waits for that core, while the others spin.

OpenBLAS's workers spin for about 0.1 s after each threaded call, waiting for the next, and so do they
when a limit is lifted (threadpoolctl restoring two threads wakes them): on a core that the package's
own threads started meanwhile (a Gram split by rows, :func:`split_rows`; the compiled passes of a
binary fit) need, which then run at two thirds of their speed. So products with a vector use NumPy's
own loops (``np.einsum``), not BLAS, and work whose heavy parts run on the package's own threads
keeps BLAS on one thread throughout (:func:`for_own_threads`), its threads counted by
:func:`own_threads`.

The limit is set through threadpoolctl's controllers of the loaded BLAS libraries (scikit-learn's
``KMeans`` limits BLAS the same way): it holds for the ``with`` block and each library's thread count
from before is restored when the last block that set one ends, also when blocks overlap in several
threads of the program or nest (the smallest count asked for by the open blocks holds, under a lock);
every count set is read back.

References
----------
threadpoolctl, ``ThreadpoolController.limit``; scikit-learn, ``sklearn.cluster.KMeans`` (BLAS limited to
one thread in its Lloyd iterations); Goto & van de Geijn, *Anatomy of high-performance matrix
multiplication*, ACM TOMS 34 (2008) (where the threads of a GEMM divide the work).
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time

__all__ = ["SMALL_PRODUCT", "controller", "blas_threads", "limited", "single_thread", "for_products", "for_own_threads",
           "own_threads", "row_threads", "split_rows", "split_at", "weighted_bounds", "times_lower", "times_upper"]

#: products of fewer multiply-adds than this (about a millisecond on one core) run on one BLAS thread
SMALL_PRODUCT = 1 << 22

_LOCK = threading.Lock()
_STATE: dict = {"open": []}
#: threads granted to the package's own split work by the enclosing :func:`for_own_threads` (this thread's)
_GRANT: contextvars.ContextVar = contextvars.ContextVar("crossentropy_own_threads", default=None)
#: the worker threads of the enclosing :func:`for_own_threads` block (this thread's): a list holding at most
#: one ``(ThreadPoolExecutor, workers)``, shut down when the block ends
_WORKERS: contextvars.ContextVar = contextvars.ContextVar("crossentropy_workers", default=None)


def controller():
    """The process's threadpoolctl ``ThreadpoolController`` (listing the loaded libraries reads /proc: once)."""
    if "controller" not in _STATE:
        from threadpoolctl import ThreadpoolController

        _STATE["controller"] = ThreadpoolController()
    return _STATE["controller"]


def blas_threads() -> int:
    """The smallest thread count of the loaded BLAS libraries, at least 1.

    Examples
    --------
    >>> with single_thread():
    ...     blas_threads()
    1
    """
    libs = controller().select(user_api="blas").lib_controllers
    return max(1, min((lib.num_threads for lib in libs), default=1))


@contextlib.contextmanager
def limited(threads: int):
    """Within the block, BLAS runs on at most ``threads`` threads; the user's count is restored after.

    Blocks may nest and overlap across threads: the smallest count asked for by the blocks open holds
    (never more than the user's), and the last to close restores what was there before the first.

    Examples
    --------
    >>> before = blas_threads()
    >>> with limited(2):
    ...     with limited(1):
    ...         inner = blas_threads()
    ...     outer = blas_threads()
    >>> inner, outer == min(2, before), blas_threads() == before
    (1, True, True)
    """
    threads = max(1, int(threads))
    with _LOCK:
        if not _STATE["open"]:
            libs = controller().select(user_api="blas").lib_controllers
            _STATE["original"] = [(lib, lib.num_threads) for lib in libs]
            _STATE["user"] = max(1, min((n for _, n in _STATE["original"]), default=1))
        _STATE["open"].append(threads)
        _apply()
    try:
        yield
    finally:
        with _LOCK:
            _STATE["open"].remove(threads)
            _apply()


#: How many times a BLAS library's thread count is set (``SET_WAIT`` seconds apart) before its setter
#: is taken at its word.
SET_TRIES = 50
SET_WAIT = 0.001


def _apply():
    """Set BLAS to the smallest count of the open blocks, or restore each library's own count from
    before the first block when none asks for fewer (only when that changes the count). Holds ``_LOCK``.

    Every count set is read back and set again a moment later where it did not take: OpenBLAS's
    setter, raising the count just after another thread lowered it (while the workers it stopped are
    still shutting down), now and then leaves the lower count (OpenBLAS 0.3.30 and 0.3.31, about one
    call in a few hundred on this machine; a millisecond later it takes)."""
    want = min(_STATE["open"] + [_STATE["user"]])
    if want == _STATE.get("limit", _STATE["user"]):
        return
    limit = want < _STATE["user"]
    for lib, original in _STATE["original"]:
        count = min(want, original) if limit else original
        for attempt in range(SET_TRIES):
            if lib.num_threads == count:
                break
            if attempt:
                time.sleep(SET_WAIT)
            lib.set_num_threads(count)
    if limit:
        _STATE["limit"] = want
    else:
        _STATE.pop("limit", None)


def single_thread(when: bool = True):
    """Within the block, BLAS runs on one thread (when ``when``): :func:`limited` with 1.

    Examples
    --------
    >>> before = blas_threads()
    >>> with single_thread():
    ...     with single_thread():
    ...         inner = blas_threads()
    >>> inner, blas_threads() == before
    (1, True)
    """
    return limited(1) if when else contextlib.nullcontext()


def for_products(multiply_adds: float):
    """The BLAS threads for work whose products each take ``multiply_adds``: one below
    :data:`SMALL_PRODUCT`, else at most the cores that other processes leave free now
    (:func:`crossentropy._cores.free_cores` with :func:`~crossentropy._cores.own_runnable`).

    Parameters
    ----------
    multiply_adds : float
        Of one product of the work, e.g. ``n_samples * n_coef`` for ``X @ W`` in a linear model.

    Examples
    --------
    >>> with for_products(1_797 * 650):   # the digits table's softmax: one thread
    ...     blas_threads()
    1
    """
    return limited(_threads_for(multiply_adds))


def _threads_for(multiply_adds: float) -> int:
    """One below :data:`SMALL_PRODUCT`, else the cores that other processes leave free now (this
    process's spinning BLAS threads take no core)."""
    return 1 if multiply_adds < SMALL_PRODUCT else cores_left_free()


def cores_left_free() -> int:
    """The cores that other processes leave free now, at least 1: :func:`crossentropy._cores.free_cores`
    with this process's own runnable threads (BLAS's, spinning after a product) not counted as others."""
    from ._cores import free_cores, own_runnable

    return max(1, int(free_cores(own=own_runnable())))


@contextlib.contextmanager
def for_own_threads(multiply_adds: float):
    """Within the block BLAS runs on one thread, and the package's own threads (:func:`own_threads`) on
    as many as :func:`for_products` would give BLAS: one below :data:`SMALL_PRODUCT`, else the cores
    free now.

    For work whose heavy parts run on the package's own threads (row splits, compiled passes): BLAS
    is left on one thread for the whole block, so no limit is lifted in between to wake its workers.

    Examples
    --------
    >>> with for_own_threads(10**9):
    ...     blas_threads(), own_threads() >= 1
    (1, True)
    """
    token = _GRANT.set(_threads_for(multiply_adds))
    workers = _WORKERS.set([])  # the block's worker threads, started by its first split (:func:`split_at`)
    try:
        with limited(1):
            yield
    finally:
        held = _WORKERS.get()
        _WORKERS.reset(workers)
        _GRANT.reset(token)
        for pool, _ in held:
            pool.shutdown(wait=True)


def own_threads() -> int:
    """Threads the package's own split work may use now: what the enclosing :func:`for_own_threads`
    granted, else BLAS's current count (the user's, or what a :func:`for_products` block allows)."""
    granted = _GRANT.get()
    return blas_threads() if granted is None else granted


def row_threads(n: int, step: int) -> int:
    """Threads for work split by rows (:func:`split_rows`): :func:`own_threads`, no more than gives each
    thread two blocks of ``step`` rows.

    Examples
    --------
    >>> with single_thread():
    ...     row_threads(10**6, 100)
    1
    >>> row_threads(300, 100)   # too few blocks to share
    1
    """
    if n < 4 * step:
        return 1
    return max(1, min(own_threads(), n // (2 * step)))


def split_rows(work, n: int, step: int, threads: int) -> list:
    """``[work(lo, hi), ...]`` over ``threads`` contiguous parts of the rows 0..n (whole blocks of ``step``
    rows), each part on its own thread (:func:`split_at`), BLAS on one thread meanwhile.

    For row-by-row work whose products are too thin for BLAS's own threads to share (a Gram of a
    narrow X: BLAS divides the d × d output). ``work`` must release the GIL in its heavy calls, as
    NumPy's products do (SciPy's BLAS wrappers do not). The results come in the order of the parts,
    and an exception of an earlier part is raised first.

    Examples
    --------
    >>> split_rows(lambda lo, hi: (lo, hi), 1000, 100, 3)
    [(0, 300), (300, 600), (600, 1000)]
    """
    if threads == 1:
        return [work(0, n)]
    blocks = -(-n // step)
    return split_at(work, [min(n, (blocks * t // threads) * step) for t in range(threads + 1)])


def weighted_bounds(cost, threads: int) -> list:
    """The bounds ``[0, ..., len(cost)]`` of at most ``threads`` contiguous parts of the items
    ``0..len(cost)`` of about equal total ``cost`` (e.g. the non-zeros of sparse columns), for
    :func:`split_at`: as :func:`split_rows` splits rows, for items of unequal cost.

    Part t ends at the first item whose running cost reaches t / threads of the total, so no part
    exceeds the even share by more than its last item.

    Examples
    --------
    >>> import numpy as np
    >>> weighted_bounds(np.array([6, 1, 1, 1, 1, 1, 1]), 2)
    [0, 1, 7]
    >>> weighted_bounds(np.ones(4), 1)
    [0, 4]
    """
    import numpy as np

    n = len(cost)
    if threads <= 1 or n < 2:
        return [0, n]
    cumulative = np.cumsum(cost, dtype=np.float64)
    cuts = np.searchsorted(cumulative, cumulative[-1] * np.arange(1, threads) / threads, side="left") + 1
    bounds = [0, *np.unique(np.minimum(cuts, n)).tolist()]
    if bounds[-1] != n:
        bounds.append(n)
    return bounds


def split_at(work, bounds) -> list:
    """``[work(bounds[t], bounds[t + 1]), ...]`` for each part t, BLAS on one thread meanwhile: the last part
    on the calling thread, each other on a worker thread (the parts' heavy calls must release the GIL). Within a :func:`for_own_threads` block the workers are
    the block's, started by its first split and kept until it ends (a fit splits every pass: starting
    threads for each cost a tenth of a millisecond or more); elsewhere they are started for the call. The
    workers do not see the block (context variables are the calling thread's), so a split inside a part
    starts its own. The results come in the order of the parts; the first part's exception is raised first.

    Examples
    --------
    >>> split_at(lambda lo, hi: (lo, hi), [0, 3, 10])
    [(0, 3), (3, 10)]
    """
    parts = len(bounds) - 1
    if parts == 1:
        return [work(bounds[0], bounds[1])]
    from concurrent.futures import ThreadPoolExecutor

    def call(t):
        return work(bounds[t], bounds[t + 1])

    held = _WORKERS.get()
    with single_thread(), contextlib.ExitStack() as stack:
        if held is None:
            pool = stack.enter_context(ThreadPoolExecutor(parts - 1))
        else:  # held: [] or [(pool, its workers)]
            if not held or held[0][1] < parts - 1:
                if held:
                    held.pop()[0].shutdown(wait=True)
                held.append((ThreadPoolExecutor(parts - 1, thread_name_prefix="crossentropy-split"), parts - 1))
            pool = held[0][0]
        futures = [pool.submit(call, t) for t in range(parts - 1)]
        try:
            last = call(parts - 1)
        finally:  # the workers' parts end (and the first of their errors is raised) before anything else
            results = [f.result() for f in futures]
        return results + [last]


def times_lower(T, L):
    r"""``T @ L`` written into T, for a lower-triangular ``L``: BLAS's triangular product (DTRMM, half
    the multiply-adds of a full product), called with the GIL released.

    SciPy's ``scipy.linalg.blas.dtrmm`` holds the GIL, so the threads of :func:`split_rows` would take
    turns; this calls the same routine of SciPy's BLAS (``scipy.linalg.cython_blas``) through ctypes,
    which releases the GIL around a foreign call. Row :math:`i` of the result is :math:`L^\top t_i`
    for the row :math:`t_i` of T, so that :math:`t_i^\top C t_i = \lVert (TL)_i\rVert^2` for
    :math:`C = L L^\top`.

    Parameters
    ----------
    T : ndarray of shape (r, m), float64, C-ordered and writeable
        Overwritten by ``T @ L``.
    L : ndarray of shape (m, m), float64
        Lower triangular (the entries above the diagonal are not read).

    Returns
    -------
    T

    Examples
    --------
    >>> import numpy as np
    >>> L = np.array([[2.0, 0.0], [1.0, 3.0]])
    >>> times_lower(np.array([[1.0, 1.0], [0.0, 2.0]]), L)
    array([[3., 3.],
           [2., 6.]])
    """
    return _times_triangular(T, L, "times_lower", b"U")


def times_upper(T, U):
    r"""``T @ U`` written into T, for an upper-triangular ``U`` (the entries below the diagonal are not
    read): :func:`times_lower`'s product for the other triangle, with the GIL released.

    Examples
    --------
    >>> import numpy as np
    >>> U = np.array([[2.0, 1.0], [0.0, 3.0]])
    >>> times_upper(np.array([[1.0, 1.0], [0.0, 2.0]]), U)
    array([[2., 4.],
           [0., 6.]])
    """
    return _times_triangular(T, U, "times_upper", b"L")


def _times_triangular(T, M, name, uplo):
    """``T @ M`` into T by DTRMM, ``uplo`` the triangle of M's C-ordered memory read as Fortran's (M^T)."""
    import ctypes

    import numpy as np

    r, m = T.shape
    if T.dtype != np.float64 or not T.flags.c_contiguous or not T.flags.writeable or M.shape != (m, m):
        raise ValueError(f"{name} needs a writeable C-ordered float64 T of shape (r, m) and a matrix of shape (m, m), "
                         f"got T {T.dtype} {T.shape} and {M.shape}")
    if r == 0 or m == 0:
        return T
    A = np.ascontiguousarray(M, dtype=np.float64)
    # T's memory is T^T in Fortran's order (m x r, leading dimension m) and A's is M^T: T^T <- M^T T^T,
    # the transpose of T M (M lower: M^T is upper, "U"; M upper: "L")
    P, c, i = ctypes.byref, ctypes.c_char, ctypes.c_int
    _dtrmm()(P(c(b"L")), P(c(uplo)), P(c(b"N")), P(c(b"N")), P(i(m)), P(i(r)), P(ctypes.c_double(1.0)),
             ctypes.c_void_p(A.ctypes.data), P(i(m)), ctypes.c_void_p(T.ctypes.data), P(i(m)))
    return T


def _dtrmm():
    """SciPy's ``dtrmm`` (``scipy.linalg.cython_blas``) as a ctypes function (found once)."""
    fn = _STATE.get("dtrmm")
    if fn is None:
        import ctypes

        from scipy.linalg import cython_blas

        capsule = cython_blas.__pyx_capi__["dtrmm"]
        # prototypes of our own (setting ctypes.pythonapi's attributes would change them for everyone)
        name = ctypes.PYFUNCTYPE(ctypes.c_char_p, ctypes.py_object)(("PyCapsule_GetName", ctypes.pythonapi))
        pointer = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(
            ("PyCapsule_GetPointer", ctypes.pythonapi))
        address = pointer(capsule, name(capsule))
        fn = _STATE["dtrmm"] = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * 11)(address)
    return fn
