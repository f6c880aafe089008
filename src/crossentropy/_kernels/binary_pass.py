r"""One pass over dense float64 (or float32) rows for the binary (sigmoid) model: logits, loss sum and gradient.

For the objective of :mod:`crossentropy.objective.binary`: with :math:`z_i = w^\top x_i + b`,
:math:`e_i = e^{-|z_i|}` and targets :math:`t_i`, each row's loss and residual are those of
:func:`crossentropy.losses.binary_cross_entropy_with_logits` (no ``pos_weight``), from one exponential:

.. math::
    \ell_i = t_i\max(-z_i,0) + (1-t_i)\max(z_i,0) + \operatorname{log1p}(e_i), \qquad
    r_i = \frac{(1-t_i)\,[z_i \ge 0 \,?\, 1 : e_i] - t_i\,[z_i \ge 0 \,?\, e_i : 1]}{1 + e_i}

(``tests/objective/test_binary_pass.py`` holds the two to each other). The rows go in blocks of
``PASS_ROWS``: a block's logits, then its losses and residuals, then :math:`\sum r_i x_i` while the
block is still in the core's cache, so X is read from memory once instead of twice (:math:`Xw`,
then :math:`X^\top r`). The pass is bound by memory bandwidth: rows that fit the caches take one
thread (80,000 x 50 took 3.9 ms on one thread and 4.0 ms on two, NumPy's two passes 5.8 ms); larger X
is split by rows over the package's threads (:func:`pass_threads`, :func:`crossentropy._blas.split_rows`).

:func:`dense_pass_gram` adds the weighted Gram matrix of a Newton step to the same pass: chunks of
``GRAM_CHUNK_BYTES`` of X go through the pass above, then their rows scaled by
:math:`\sqrt{h_i}` (:math:`h_i = s_i\,p_i(1-p_i)`, from the logits just computed) are written in
the Gram's dtype into a buffer of the chunk's size, which BLAS SYRK adds to the Gram while the chunk
is still in cache: X is read from memory once for the loss, the gradient and the Hessian, and no
copy of X in another dtype is made (the float32 Gram casts each chunk on the way into the buffer).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._blas import SMALL_PRODUCT, own_threads, row_threads, split_rows

__all__ = ["GRAM_CHUNK_BYTES", "PASS_ROWS", "dense_gram", "dense_pass", "dense_pass_gram", "unit_rows"]

#: Rows per block: a block of X stays in cache between its logits and its gradient (256 rows of
#: 2,000 float64 columns are 4 MB; of 50 columns, 100 kB).
PASS_ROWS = 256
#: Bytes of a chunk of the Gram pass, counted as float64 rows (the chunk is read by the
#: loss-and-gradient pass, then scaled into the Gram's buffer, at most as large, and multiplied while
#: both stay in the core's L2 cache): 512 kB, 648 rows of 101 columns; the buffer is all the memory
#: the Gram adds.
GRAM_CHUNK_BYTES = 1 << 19


def unit_rows(X):
    """X's rows as the leading entries of the rows of a C-ordered array: X itself when C-ordered; for
    evenly spaced rows of a C-ordered array (a subsample's view, row stride a multiple of the entry
    size, column stride one entry) the array whose row i starts where X's row i does and runs to the
    next one, so the compiled loops see unit-stride rows and vectorise; X unchanged otherwise.

    The view's last row reaches past X's last entry by the gap between two rows: the kernels read
    only the first ``d`` entries of each row, never that tail.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(12.0).reshape(6, 2)
    >>> U = unit_rows(X[::3])
    >>> U.flags.c_contiguous, U.shape, U[1, :2]
    (True, (2, 6), array([6., 7.]))
    """
    n, d = X.shape
    s0, item = X.strides[0], X.itemsize
    if X.flags.c_contiguous or n < 2 or X.strides[1] != item or s0 <= d * item or s0 % item:
        return X
    return np.lib.stride_tricks.as_strided(X, shape=(n, s0 // item), strides=(s0, item), writeable=False)


@njit(cache=True, nogil=True, fastmath={"contract", "reassoc", "nsz"})
def _rows(X, w, b, t, sw, has_sw, z, g, start, stop, r):  # pragma: no cover - compiled
    """Rows ``start:stop``: logits into z, the residual-weighted rows added to g[:d], the residuals'
    sum to g[d]; returns the loss sum. The row's features are its first ``d = len(w)`` entries."""
    d = w.shape[0]
    total = 0.0
    rsum = 0.0
    acc_g = np.zeros(d)  # local: it cannot alias X, so LLVM vectorises the update
    for a in range(start, stop, PASS_ROWS):
        m = min(PASS_ROWS, stop - a)
        for k in range(m):
            acc = 0.0
            for j in range(d):
                acc += X[a + k, j] * w[j]
            z[a + k] = acc + b
        for k in range(m):
            x = z[a + k]
            ti = t[a + k]
            e = math.exp(-abs(x))
            neg = 1.0 - ti
            loss = ti * max(-x, 0.0) + neg * max(x, 0.0) + math.log1p(e)
            rk = (neg - ti * e) / (1.0 + e) if x >= 0 else (neg * e - ti) / (1.0 + e)
            if has_sw:
                loss *= sw[a + k]
                rk *= sw[a + k]
            total += loss
            rsum += rk
            r[k] = rk
        for k in range(m):
            rk = r[k]
            for j in range(d):
                acc_g[j] += rk * X[a + k, j]
    g[:d] += acc_g
    g[d] += rsum
    return total


def dense_pass(X, w, b, t, sw):
    """``(z, loss, grad)`` of the rows of X (C-ordered float64 or float32): logits (n,) in X's dtype,
    :math:`\\sum_i s_i\\ell_i` and :math:`[\\sum_i r_i x_i, \\sum_i r_i]` of shape (d + 1,); ``sw`` the row weights or None.

    Examples
    --------
    >>> import numpy as np
    >>> z, loss, grad = dense_pass(np.array([[0.0], [1.0]]), np.zeros(1), 0.0, np.array([0.0, 1.0]), None)
    >>> round(loss, 6), grad
    (1.386294, array([-0.5,  0. ]))
    """
    n, d = X.shape
    z = np.empty(n, dtype=X.dtype)  # float32 X: float32 logits, as NumPy's path
    Xu, swa = unit_rows(X), np.empty(0) if sw is None else sw

    def part(lo, hi):
        grad = np.zeros(d + 1)
        return _rows(Xu, w, b, t, swa, sw is not None, z, grad, lo, hi, np.empty(PASS_ROWS)), grad

    parts = split_rows(part, n, PASS_ROWS, pass_threads(n, d))
    return z, float(sum(loss for loss, _ in parts)), sum(grad for _, grad in parts)


def pass_threads(n, d):
    """Threads for a pass over n x d rows: one while the rows fit the caches (no thread to wake), else
    :func:`crossentropy._blas.own_threads` (a fit's: the cores free when it started), as
    :func:`.fused.threads_for`.

    One core reads memory at about half the rate two do: a pass over 200,000 x 100 float64 rows took
    15 ms on one thread and 8 ms on two (of two cores), NumPy's ``X.T @ v`` on two BLAS threads 9.5 ms.
    """
    from .fused import threads_for

    return threads_for(n * d, own_threads())


@njit(cache=True, nogil=True, fastmath={"contract", "reassoc", "nsz"})
def _scaled_rows(X, d, z, sw, has_sw, start, stop, out):  # pragma: no cover - compiled
    r"""``out[k] = sqrt(h) [x, 1]`` (the 1 when ``out`` has d + 1 columns) for the rows ``start:stop``
    (their first ``d`` entries), :math:`h = s\,p(1-p) = s\,e^{-|z|} / (1 + e^{-|z|})^2`, cast to
    ``out``'s dtype; returns the rows' largest :math:`|x_{ij}|` (NaN if one is NaN)."""
    aug = out.shape[1] > d
    top = 0.0
    for k in range(stop - start):
        e = math.exp(-abs(float(z[start + k])))
        h = e / ((1.0 + e) * (1.0 + e))
        if has_sw:
            h *= sw[start + k]
        s = math.sqrt(h)
        for j in range(d):
            x = X[start + k, j]
            a = abs(float(x))
            if a > top or a != a:
                top = a
            out[k, j] = s * x
        if aug:
            out[k, d] = s
    return top


def _chunk_rows(n, D):
    """Rows of a chunk of the Gram pass: at most GRAM_CHUNK_BYTES of X and of the buffer (64 at least)."""
    return min(n, max(64, GRAM_CHUNK_BYTES // (D * 8)))


def _gram_chunks(X, z, sw, gram_dtype, intercept, before=None, every=1, lo=0, hi=None):
    r"""``(G, top, used)`` over the rows ``lo:hi`` (chunk boundaries): :math:`\tilde X^\top
    \mathrm{diag}(h)\,\tilde X` (full, float64) from chunks of rows, :math:`\max_{ij} |x_{ij}|` and
    the rows that entered; ``before(a, b)`` runs on each chunk first (the loss-and-gradient pass). With
    ``every`` > 1 only every ``every``-th chunk of X (counted from row 0) enters the Gram: an estimate
    from evenly spread blocks of rows (``top`` is then theirs only).

    The chunk's product is NumPy's ``A.T @ A`` (a SYRK that releases the GIL, so that the rows can be
    split over threads; SciPy's BLAS wrappers hold it), summed in float64."""
    n, d = X.shape
    hi = n if hi is None else hi
    D = d + bool(intercept)
    rows = _chunk_rows(n, D)
    buf = np.empty((max(min(rows, hi - lo), 1), D), dtype=gram_dtype)
    total = np.zeros((D, D))
    swa = np.empty(0) if sw is None else sw
    Xu = unit_rows(X)
    top = 0.0
    used = 0
    for a in range(lo, hi, rows):
        b = min(hi, a + rows)
        if before is not None:
            before(a, b)
        if (a // rows) % every:
            continue
        used += b - a
        out = buf[: b - a]
        chunk_top = _scaled_rows(Xu, d, z, swa, sw is not None, a, b, out)
        if chunk_top > top or chunk_top != chunk_top:  # a NaN stays
            top = chunk_top
        with np.errstate(over="ignore", invalid="ignore"):  # a float32 Gram's overflow: inf, which the caller checks
            total += out.T @ out
    return total, float(top), used


def _split_gram(X, z, sw, gram_dtype, intercept, every, part_before):
    """``(G, top, parts)``: :func:`_gram_chunks` over the rows split by chunks over :func:`pass_threads`
    threads; ``part_before()`` gives each part's own ``before`` and the state it fills (returned in
    ``parts``, in the order of the rows). The Gram is rescaled to n when ``every`` > 1."""
    n, d = X.shape
    D = d + bool(intercept)
    rows = _chunk_rows(n, D)
    # the pass is bound by memory (pass_threads); the Gram's products by arithmetic, n D^2 multiply-adds:
    # threads as for BLAS products (crossentropy._blas), two chunks each at least
    threads = max(pass_threads(n, d), row_threads(n, rows) if n * D * D >= SMALL_PRODUCT else 1)

    def part(lo, hi):
        before, state = part_before()
        return _gram_chunks(X, z, sw, gram_dtype, intercept, before, every, lo, hi), state

    parts = split_rows(part, n, rows, threads)
    G = sum(g for (g, _, _), _ in parts)
    tops = [t for (_, t, _), _ in parts]
    top = next((t for t in tops if t != t), max(tops))  # a NaN stays
    used = sum(u for (_, _, u), _ in parts)
    if 0 < used < n:
        G *= n / used
    return G, top, [state for _, state in parts]


def dense_gram(X, z, sw, gram_dtype, intercept):
    r"""``(G, top)``: the weighted Gram :math:`\tilde X^\top \mathrm{diag}(s\,p(1-p))\,\tilde X` from the
    logits ``z``, ndarray (d + intercept, d + intercept) float64 (each chunk of rows cast to
    ``gram_dtype``), and :math:`\max_{ij} |x_{ij}|` (NaN if X holds one), read on the way.

    Examples
    --------
    >>> import numpy as np
    >>> G, top = dense_gram(np.array([[1.0], [-2.0]]), np.zeros(2), None, np.float64, True)   # h = 1/4
    >>> G, top
    (array([[ 1.25, -0.25],
           [-0.25,  0.5 ]]), 2.0)
    """
    G, top, _ = _split_gram(X, z, sw, gram_dtype, intercept, 1, lambda: (None, None))
    return G, top


def dense_pass_gram(X, w, b, t, sw, gram_dtype, intercept, every=1):
    r"""``(z, loss, grad, gram, top)``: :func:`dense_pass` and :func:`dense_gram` at the same point, one
    read of X; ``every`` > 1: the Gram estimated from every ``every``-th chunk of rows (rescaled to n).

    Examples
    --------
    >>> import numpy as np
    >>> z, loss, grad, G, top = dense_pass_gram(np.array([[1.0], [2.0]]), np.zeros(1), 0.0, np.array([0.0, 1.0]),
    ...                                    None, np.float64, True)
    >>> round(loss, 6), grad, float(G[1, 1])
    (1.386294, array([-0.5,  0. ]), 0.5)
    """
    n, d = X.shape
    z = np.empty(n, dtype=X.dtype)
    swa = np.empty(0) if sw is None else sw
    Xu = unit_rows(X)

    def part_before():
        state = {"loss": 0.0, "grad": np.zeros(d + 1)}
        r = np.empty(PASS_ROWS)

        def before(a, e):
            state["loss"] += _rows(Xu, w, b, t, swa, sw is not None, z, state["grad"], a, e, r)

        return before, state

    G, top, states = _split_gram(X, z, sw, gram_dtype, intercept, every, part_before)
    return z, float(sum(st["loss"] for st in states)), sum(st["grad"] for st in states), G, top
