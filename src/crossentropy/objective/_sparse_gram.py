"""The weighted Gram matrix of CSR rows, compiled with numba (imported only when X is sparse)."""

from __future__ import annotations

from numba import njit

from .. import _numba_cache

_numba_cache.install()  # a cache directory even without a writable home

__all__ = ["csr_gram"]


@njit(cache=True, nogil=True)
def csr_gram(indptr, indices, data, h, G):  # pragma: no cover - compiled
    r"""Add the upper triangle of :math:`\sum_i h_i x_i x_i^\top` of CSR rows to the dense G:
    :math:`\sum_i \mathrm{nnz}_i(\mathrm{nnz}_i+1)/2` multiply-adds (each pair once), no sparse product
    (SciPy's two SpGEMM passes cost 0.8 s a call on 500,000 rows of 10). Duplicate column entries
    of a row count as in the product."""
    for i in range(indptr.shape[0] - 1):
        a, b = indptr[i], indptr[i + 1]
        hi = h[i]
        for p in range(a, b):
            ja = indices[p]
            va = hi * data[p]
            G[ja, ja] += va * data[p]
            for q in range(p + 1, b):
                jb = indices[q]
                v = va * data[q]
                if ja < jb:
                    G[ja, jb] += v
                elif jb < ja:
                    G[jb, ja] += v
                else:  # the same column twice: both orders of the pair
                    G[ja, ja] += 2.0 * v


_numba_cache.disable_uncached(globals())  # no usable cache location: compile in memory
