r"""One BLAS thread for small matrix products: the one place where the package limits BLAS's threads.

A matrix product of a few million multiply-adds takes about a millisecond on one core. Splitting it
over two BLAS threads saves at most half of that, and costs a scheduler time slice (milliseconds)
each time the second thread's core is busy with another process: a browser, a second fit, a
test runner. A fit makes thousands of such products (a softmax Newton-CG fit on the digits table
makes one per Hessian-vector product, on 1,797 × 650 coefficients), so on a two-core machine with
one competing process the same fit took 0.3 s with one BLAS thread and 2 to 20 s with two. Products
below :data:`SMALL_PRODUCT` multiply-adds therefore run on one BLAS thread; larger ones keep the
threads the user set (each product is then long enough to pay for its hand-offs).

The limit is threadpoolctl's (scikit-learn's ``KMeans`` limits BLAS the same way): it holds for the
``with`` block and the thread count the user had is restored when the last block that set it ends,
also when blocks overlap in several threads of the program (a count of open blocks under a lock).

References
----------
threadpoolctl, ``ThreadpoolController.limit``; scikit-learn, ``sklearn.cluster.KMeans`` (BLAS limited to
one thread in its Lloyd iterations); Goto & van de Geijn, *Anatomy of high-performance matrix
multiplication*, ACM TOMS 34 (2008) (where the threads of a GEMM divide the work).
"""

from __future__ import annotations

import contextlib
import threading

__all__ = ["SMALL_PRODUCT", "controller", "blas_threads", "single_thread", "for_products"]

#: products of fewer multiply-adds than this (about a millisecond on one core) run on one BLAS thread
SMALL_PRODUCT = 1 << 22

_LOCK = threading.Lock()
_STATE: dict = {"open": 0}


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
def single_thread(when: bool = True):
    """Within the block, BLAS runs on one thread (when ``when``); the user's count is restored after.

    Blocks may nest and overlap across threads: the first to open sets the limit, the last to close
    restores what was there before the first.

    Examples
    --------
    >>> before = blas_threads()
    >>> with single_thread():
    ...     with single_thread():
    ...         inner = blas_threads()
    >>> inner, blas_threads() == before
    (1, True)
    """
    if not when:
        yield
        return
    with _LOCK:
        if _STATE["open"] == 0:
            _STATE["limiter"] = controller().limit(limits=1, user_api="blas")
        _STATE["open"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _STATE["open"] -= 1
            if _STATE["open"] == 0:
                _STATE.pop("limiter").restore_original_limits()


def for_products(multiply_adds: float):
    """:func:`single_thread` when one product of the work has fewer than :data:`SMALL_PRODUCT` multiply-adds.

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
    return single_thread(multiply_adds < SMALL_PRODUCT)
