r"""The matrix products of the linear cross-entropy engine.

* :func:`gemm_into`: BLAS GEMM writing into (or accumulating into, ``beta = 1``) a caller's
  F-contiguous buffer, never a copy.
* :func:`product_over_classes`: :math:`dX_B = G_B W` for a block of rows, where the contracted
  dimension is the (huge) number of classes while the result is small (rows × features). OpenBLAS
  splits such a product between its threads along the small dimensions and synchronises them once per
  slab of the contracted one, hundreds of times per call: on a busy machine every one of those waits
  can cost a scheduler time slice, and the call was measured 3 to 10 times slower with 2 threads than
  with 1. When another process holds a core, the classes are split instead, one single-threaded
  product per thread into its own partial sum, then the partial sums are added: no synchronisation
  inside the product, the same flops. When the cores are free, BLAS's own threads are faster (the
  split's single-threaded products of many classes run about a third slower per core): one call.
"""

from __future__ import annotations

import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.linalg import blas

from .._blas import blas_threads, cores_left_free, single_thread

#: below this many classes per thread, one ordinary BLAS call is used
MIN_SPLIT = 4096

_LOCK = threading.Lock()
_STATE: dict = {}


def gemm_into(alpha, a, b, *, c, beta=0.0, trans_a=0, trans_b=0):
    """``c = alpha op(a) op(b) + beta c`` by SciPy's BLAS, in place (``c`` F-contiguous)."""
    raw = blas.sgemm if c.dtype == np.float32 else blas.dgemm
    res = raw(alpha, a, b, beta=beta, c=c, trans_a=trans_a, trans_b=trans_b, overwrite_c=1)
    if res.ctypes.data != c.ctypes.data:  # f2py copied c: never for the layouts used here
        raise RuntimeError("BLAS gemm did not write into the output buffer")
    return res


def _pool(n_threads):
    """The package's one GEMM thread pool, with at least ``n_threads`` workers.

    Created on first use; when more threads are needed (the BLAS thread count was raised) the old pool
    is shut down and replaced. The live pool is shut down at interpreter exit. Callers hold ``_LOCK``.
    """
    pool = _STATE.get("pool")
    if pool is not None and _STATE["pool_size"] >= n_threads:
        return pool
    if pool is not None:
        _STATE["pool_finalizer"]()  # shuts the old pool down (its work is done: callers wait on results)
    pool = ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="crossentropy-gemm")
    _STATE["pool"], _STATE["pool_size"] = pool, n_threads
    _STATE["pool_finalizer"] = weakref.finalize(pool, pool.shutdown, wait=True)  # also runs at exit
    return pool


def product_over_classes(G, W, out, *, accumulate=False):
    """``out = G @ W`` (or ``out += G @ W``) with G (rows × classes), W (classes × d), out (rows × d) C-contiguous."""
    n_threads = blas_threads()
    k = G.shape[1]
    if n_threads == 1 or k < MIN_SPLIT * n_threads or cores_left_free() >= n_threads:
        gemm_into(1.0, W.T, G.T, c=out.T, beta=1.0 if accumulate else 0.0)  # out.T = W.T @ G.T
        return out
    bounds = np.linspace(0, k, n_threads + 1).astype(int)
    parts = np.empty((n_threads,) + out.shape, out.dtype)
    with _LOCK, single_thread():  # each worker's product on one BLAS thread
        futures = [_pool(n_threads).submit(np.matmul, G[:, a:b], W[a:b], out=parts[i])
                   for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))]
        for f in futures:
            f.result()
    if accumulate:
        out += parts.sum(axis=0)
    else:
        np.sum(parts, axis=0, out=out)
    return out
