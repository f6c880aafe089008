r"""The linear-model objective over a Dask array: the same terms, summed chunk by chunk on the workers.

With the rows split into chunks :math:`B_1, \dots, B_m`, every smooth quantity of the objective is a
sum of per-chunk sums:

.. math::
    J(\theta) = c \sum_{j=1}^{m} \underbrace{\sum_{i \in B_j} s_i\,\ell_i(\theta)}_{L_j(\theta)}
                + \tfrac{\lambda_2}{2}\lVert w \rVert^2, \qquad
    \nabla J = c \sum_j \nabla L_j + \lambda_2 w, \qquad
    \nabla^2 J = c \sum_j \nabla^2 L_j + \lambda_2 \mathrm{diag}(\mathbb 1_{\mathcal P}).

Each :math:`L_j` (and its gradient, Hessian or Hessian-vector product) is
:func:`crossentropy.objective.data_terms` (:func:`~crossentropy.objective.hessp_terms`) evaluated on one
chunk where the chunk lives; a tree reduction with a fixed grouping adds them, so the result does not
depend on which worker computed what, and a chunk lost with a worker is recomputed from the graph.
The penalty is added once, on the client, by the code of the in-memory
:class:`~crossentropy.objective.LinearObjective`.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..objective import (HESSIAN_FLOAT32_ENTRIES, CoefLayout, LinearObjective, LinearTerms, data_terms, hessp_terms,
                         resolve_hessian_dtype)
from ._dask import da, dask

__all__ = ["DaskObjective", "HESSIAN_FLOAT32_ENTRIES"]

#: Coefficient vectors larger than this (bytes) are sent to the workers once per call, not per chunk.
INLINE_COEF_BYTES = 1 << 20
#: A subsample of at most this many bytes of X is solved in one task on one worker.
ONE_TASK_BYTES = 256 << 20
#: Partial sums combined per reduction task.
SPLIT_EVERY = 8


def _chunk_terms(X, y, sample_weight, Xh, offset, coef, layout, need, hessian_dtype):
    """One chunk's unpenalised sums (runs on a worker); a DataTerms of float / arrays / None.

    ``offset``: the chunk's logit offsets (None without).

    The Hessian is computed from ``Xh`` (the chunk's kept low-precision copy) or X cast to
    ``hessian_dtype`` when that differs from X's dtype: only the Newton direction is rounded, never
    the value or the gradient that decide the minimiser.
    """
    if "hess" not in need or X.dtype == hessian_dtype:
        return data_terms(X, y, sample_weight, coef, layout, need=need, offset=offset)
    Xh = X.astype(hessian_dtype) if Xh is None else Xh
    second = data_terms(Xh, y, sample_weight, coef, layout, need=("hess",), offset=offset)
    if not need - {"hess"}:
        return second
    return data_terms(X, y, sample_weight, coef, layout, need=need - {"hess"}, offset=offset)._replace(hess=second.hess)


def _chunk_hessp(X, y, sample_weight, Xh, offset, coef, v, layout, hessian_dtype):
    """One chunk's Hessian-vector product of the unpenalised sum (runs on a worker)."""
    Xh = X.astype(hessian_dtype, copy=False) if Xh is None else Xh
    return hessp_terms(Xh, y, sample_weight, coef, v, layout, offset=offset)


def _take_rows(X, y, sample_weight, offset, rows):
    """The rows ``rows`` of one chunk of (X, y, sample_weight, offset) (runs on a worker)."""
    return tuple(None if a is None else a[rows] for a in (X, y, sample_weight, offset))


def _solve_rows(solve, spec, *parts):
    """``solve`` on the in-memory objective of the row parts ``(X, y, sample_weight, offset)`` (runs on a worker)."""
    X, y, sw, offset = (None if parts[0][i] is None else np.concatenate([p[i] for p in parts]) for i in range(4))
    return solve(LinearObjective(X, y, sw, offset=offset, **spec))


class _SumsCache:
    """The mutable state of a :class:`DaskObjective` that does not depend on the penalty, shared by the
    objectives :meth:`~DaskObjective.with_penalty` builds: the last point ``key``, the data sums there
    (``state``) and the count of passes over the chunks (``passes``)."""

    __slots__ = ("key", "state", "passes")

    def __init__(self):
        self.key, self.state, self.passes = None, None, 0


def _item(t, i):
    return t[i]


def _add(*parts):
    """Sum partial results in the order given: DataTerms field by field (None stays None), or arrays."""
    first = parts[0]
    if isinstance(first, tuple):
        return type(first)(*(None if f is None else _add(*(p[i] for p in parts)) for i, f in enumerate(first)))
    total = first.copy() if isinstance(first, np.ndarray) else first
    for p in parts[1:]:
        total = total + p
    return total


class DaskObjective(LinearTerms):
    r"""The objective of :class:`~crossentropy.objective.LinearObjective` over Dask arrays chunked by rows.

    .. math::
        J(\theta) = c \sum_{\text{chunks } j} L_j(\theta) + \tfrac{\lambda_2}{2}\lVert w\rVert^2
                    \;[+\; \lambda_1 \lVert w\rVert_1]

    Same protocol as the in-memory objective (``loss``, ``loss_gradient``, ``loss_gradient_hessian``,
    ``hessian``, ``hessp``, ``nonsmooth``, ``null_space``, ``project_null``, ``subsample``,
    ``solve_subsample``), so every solver of
    :mod:`crossentropy.solvers` runs on it unchanged, on the client. Each call is one pass over the
    data: one task per chunk evaluates :func:`~crossentropy.objective.data_terms` where the chunk
    lives and a tree reduction returns only the sums (a float, a vector of ``n_coef`` and, when
    asked, an ``n_coef × n_coef`` matrix). The work runs on the current Dask scheduler: the active
    :class:`distributed.Client` if there is one, else Dask's local threads.

    Parameters
    ----------
    X : dask.array.Array of shape (n, d)
        float32 or float64, chunked along rows only (one chunk across the columns). Persist it first
        (``client.persist``) when it fits in the cluster's memory; a lazy array is recomputed chunk
        by chunk at every pass and never held whole anywhere.
    y : dask.array.Array of shape (n,)
        Labels encoded as ``0 .. n_classes - 1``, with the row chunks of X (for two classes, in X's
        dtype).
    sample_weight : dask.array.Array of shape (n,) or None
        Non-negative row weights with the row chunks of X.
    n_classes : int
    fit_intercept : bool, default True
    scale, l2, l1 : float
        :math:`c`, :math:`\lambda_2`, :math:`\lambda_1` as in ``LinearObjective``.
    penalty : Penalty, optional
        Any :class:`~crossentropy.objective.Penalty` instead of ``l2``/``l1``, as in ``LinearObjective``.
    prefetch_hessian : bool, default False
        Also compute the Hessian in every ``loss_gradient`` pass, so that a Newton step, which asks
        for the Hessian at the point its line search accepted, needs no second pass over the data.
    hessian_dtype : {"auto", "float32", "float64"}, default "auto"
        Precision of X in Hessians and Hessian-vector products (never in the value or gradient);
        "auto" is float32 for float64 X of at least 2 million entries, as in ``LinearObjective``.
        :meth:`use_hessian_copy` supplies a kept copy instead of a cast per pass.
    offset : dask.array.Array of shape (n,) (two classes) or (n, n_classes), or None
        Fixed float64 logit offsets with the row chunks of X (one chunk across the classes), as in
        ``LinearObjective``; each chunk's terms take their rows' offsets.

    Attributes
    ----------
    n_passes : int
        Passes over the data made so far (one per call that was not answered from the cache).

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from crossentropy.objective import LinearObjective
    >>> from crossentropy.distributed import DaskObjective
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> obj = DaskObjective(da.from_array(X, chunks=(2, 1)), da.from_array(y, chunks=2),
    ...                     n_classes=2, scale=1 / 4, l2=0.25)
    >>> f, g = obj.loss_gradient(np.array([1.0, -1.5]))
    >>> round(f, 6), g.round(4), obj.n_passes
    (0.462745, array([0.0188, 0.    ]), 1)
    >>> ref = LinearObjective(X, y, n_classes=2, scale=1 / 4, l2=0.25).loss(np.array([1.0, -1.5]))
    >>> bool(np.isclose(f, ref, rtol=1e-15))
    True

    References
    ----------
    Dean & Ghemawat, *MapReduce: simplified data processing on large clusters*, OSDI (2004);
    Chu et al., *Map-Reduce for machine learning on multicore*, NIPS (2006), §4.
    """

    def __init__(self, X, y, sample_weight=None, *, n_classes, fit_intercept=True, scale=1.0, l2=0.0, l1=0.0,
                 penalty=None, prefetch_hessian=False, hessian_dtype="auto", offset=None):
        if not isinstance(X, da.Array) or X.ndim != 2 or len(X.chunks[1]) != 1:
            raise ValueError("X must be a 2-D Dask array chunked along rows only (use X.rechunk({1: -1}))")
        for name, v in (("y", y), ("sample_weight", sample_weight)):
            if v is not None and (not isinstance(v, da.Array) or v.chunks != (X.chunks[0],)):
                raise ValueError(f"{name} must be a 1-D Dask array with the row chunks of X")
        o_shape = (X.shape[0],) if n_classes == 2 else (X.shape[0], n_classes)
        if offset is not None and (not isinstance(offset, da.Array) or offset.shape != o_shape
                                   or offset.chunks[0] != X.chunks[0] or len(offset.chunks) != len(o_shape)
                                   or (n_classes > 2 and len(offset.chunks[1]) != 1)):
            raise ValueError(f"offset must be a Dask array of shape {o_shape} with the row chunks of X, "
                             f"got {getattr(offset, 'shape', type(offset).__name__)}")
        self.X, self.y, self.sample_weight, self.offset = X, y, sample_weight, offset
        n, d = X.shape
        super().__init__(CoefLayout(d, n_classes, fit_intercept), n, scale=scale, l2=l2, l1=l1, penalty=penalty)
        self.dtype = X.dtype
        self.prefetch_hessian = bool(prefetch_hessian)
        self.hessian_dtype = resolve_hessian_dtype(hessian_dtype, X.dtype, n * d)
        xs = X.to_delayed().ravel().tolist()
        ys = y.to_delayed().ravel().tolist()
        ss = [None] * len(xs) if sample_weight is None else sample_weight.to_delayed().ravel().tolist()
        os_ = [None] * len(xs) if offset is None else offset.to_delayed().ravel().tolist()
        self._chunks = list(zip(xs, ys, ss, [None] * len(xs), os_))
        self.X_hessian = None
        self._cache = _SumsCache()  # shared with the objectives of with_penalty

    @property
    def n_passes(self):
        """Passes over the chunks so far, by this objective and those :meth:`with_penalty` built from it."""
        return self._cache.passes

    # -- one pass over the data ---------------------------------------------------------------
    def _map_reduce(self, func, *args):
        """Run ``func(X_j, y_j, s_j, Xh_j, o_j, *args)`` on every chunk and return the tree-reduced sum."""
        args = tuple(dask.delayed(a) if isinstance(a, np.ndarray) and a.nbytes > INLINE_COEF_BYTES else a
                     for a in args)
        parts = [dask.delayed(func, pure=False)(*chunk, *args) for chunk in self._chunks]
        while len(parts) > SPLIT_EVERY:
            parts = [dask.delayed(_add, pure=False)(*parts[i:i + SPLIT_EVERY])
                     for i in range(0, len(parts), SPLIT_EVERY)]
        (total,) = dask.compute(dask.delayed(_add, pure=False)(*parts), optimize_graph=False)
        self._cache.passes += 1
        return total

    def _sums(self, coef, need):
        """Unpenalised data sums at ``coef`` holding at least ``need`` (from the cache when possible)."""
        coef = np.asarray(coef, dtype=np.float64)
        st = self._cache.state
        if st is not None and np.array_equal(self._cache.key, coef) and all(getattr(st, k) is not None for k in need):
            return st
        if self.prefetch_hessian and "grad" in need:
            need = need | {"hess"}
        st = self._map_reduce(_chunk_terms, coef, self.layout, frozenset(need), self.hessian_dtype)
        self._cache.key, self._cache.state = coef.copy(), st
        return st

    # -- the objective protocol ------------------------------------------------------------------
    def loss(self, coef):
        """Smooth objective value at ``coef`` (float): one pass."""
        return self.scale * self._sums(coef, {"loss"}).loss + self.smooth_penalty(coef)[0]

    def loss_gradient(self, coef):
        """Smooth objective value and gradient ``(float, ndarray (n_coef,))``: one pass."""
        t = self._sums(coef, {"loss", "grad"})
        pv, pg, _ = self.smooth_penalty(coef)
        return self.scale * t.loss + pv, self.scale * t.grad + pg

    def loss_gradient_hessian(self, coef):
        """Value, gradient and Hessian ``(n_coef, n_coef)`` of the smooth objective, in one pass."""
        t = self._sums(coef, {"loss", "grad", "hess"})
        pv, pg, ph = self.smooth_penalty(coef)
        H = self.scale * t.hess
        H[np.diag_indices_from(H)] += ph
        return self.scale * t.loss + pv, self.scale * t.grad + pg, H

    def hessian(self, coef):
        """Full Hessian of the smooth objective, ndarray of shape (n_coef, n_coef)."""
        return self.loss_gradient_hessian(coef)[2]

    def hessp(self, coef, v):
        r"""Hessian-vector product :math:`\nabla^2 J(\theta)\,v`: from the cached Hessian, else one pass."""
        coef = np.asarray(coef, dtype=np.float64)
        v = np.asarray(v, dtype=np.float64)
        st = self._cache.state
        if st is not None and st.hess is not None and np.array_equal(self._cache.key, coef):
            hv = st.hess @ v
        else:
            hv = self._map_reduce(_chunk_hessp, coef, v, self.layout, self.hessian_dtype)
        return self.scale * hv + self.penalty_hessian_diag(coef) * v

    def use_hessian_copy(self, X_hessian):
        """Take second-order terms from ``X_hessian``: X in ``hessian_dtype``, same chunks, kept in memory.

        Saves casting each chunk at every Hessian pass, at the memory of the copy.
        """
        if X_hessian.chunks != self.X.chunks or X_hessian.dtype != self.hessian_dtype:
            raise ValueError(f"X_hessian must have the chunks of X and dtype {self.hessian_dtype}, got "
                             f"{X_hessian.dtype} with {X_hessian.numblocks} blocks")
        xh = X_hessian.to_delayed().ravel().tolist()
        self._chunks = [(x, y, s, h, o) for (x, y, s, _, o), h in zip(self._chunks, xh)]
        self.X_hessian = X_hessian

    def _row_parts(self, rows):
        """``[(task, m), ...]``: per chunk holding some of ``rows`` (global positions), a task taking them."""
        rows = np.sort(np.asarray(rows, dtype=np.int64))
        bounds = np.cumsum((0,) + self.X.chunks[0])
        parts = []
        index = np.int32 if max(self.X.chunks[0]) < 2**31 else np.int64
        for j, (x, y, s, _, o) in enumerate(self._chunks):
            local = (rows[(rows >= bounds[j]) & (rows < bounds[j + 1])] - bounds[j]).astype(index)
            if local.size:
                parts.append((dask.delayed(_take_rows, pure=False)(x, y, s, o, local), local.size))
        return parts

    def _sub_scale(self, rows):
        return self.scale * self.n_samples / max(1, len(rows))

    def solve_subsample(self, rows, solve):
        """``solve(sub)``, with ``sub`` the objective on the rows ``rows`` (rescaled as in :meth:`subsample`).

        When those rows take at most ``ONE_TASK_BYTES``, they are brought to one worker and ``solve``
        runs there on an in-memory :class:`~crossentropy.objective.LinearObjective`: one round trip
        instead of one per solver step. Larger subsamples stay spread over the workers
        (:meth:`subsample`) and ``solve`` runs on the client. Returns what ``solve`` returns.
        """
        rows = np.asarray(rows)
        if rows.size * self.n_features * self.X.dtype.itemsize > ONE_TASK_BYTES:
            return solve(self.subsample(rows))
        spec = dict(n_classes=self.n_classes, fit_intercept=self.fit_intercept, scale=self._sub_scale(rows),
                    penalty=self.penalty, hessian_dtype=self.hessian_dtype.name)
        parts = [t for t, _ in self._row_parts(rows)]
        with warnings.catch_warnings():  # the row numbers travel with the graph, once
            warnings.filterwarnings("ignore", message="Sending large graph")
            (result,) = dask.compute(dask.delayed(_solve_rows, pure=False)(solve, spec, *parts),
                                     optimize_graph=False)
        return result

    def subsample(self, rows):
        """The same objective on the rows ``rows`` (sorted global positions), kept in the workers' memory.

        Rescaled by n/len(rows) so that it estimates this one (Newton's warm start on large data). The
        selected rows are taken from each chunk where it lives and persisted; they are never gathered.
        """
        rows = np.asarray(rows)
        parts = self._row_parts(rows)
        d = self.n_features
        Xs, ys, ss, os_ = [], [], [], []
        for t, m in parts:
            Xs.append(da.from_delayed(dask.delayed(_item)(t, 0), (m, d), dtype=self.X.dtype))
            ys.append(da.from_delayed(dask.delayed(_item)(t, 1), (m,), dtype=self.y.dtype))
            if self.sample_weight is not None:
                ss.append(da.from_delayed(dask.delayed(_item)(t, 2), (m,), dtype=self.sample_weight.dtype))
            if self.offset is not None:
                os_.append(da.from_delayed(dask.delayed(_item)(t, 3), (m,) + self.offset.shape[1:],
                                           dtype=self.offset.dtype))
        X, y = da.concatenate(Xs), da.concatenate(ys)
        sw = None if self.sample_weight is None else da.concatenate(ss)
        off = None if self.offset is None else da.concatenate(os_)
        with warnings.catch_warnings():  # the row numbers travel with the graph, once
            warnings.filterwarnings("ignore", message="Sending large graph")
            X, y, sw, off = dask.persist(X, y, sw, off)
        return DaskObjective(X, y, sw, n_classes=self.n_classes, fit_intercept=self.fit_intercept,
                             scale=self._sub_scale(rows), penalty=self.penalty,
                             prefetch_hessian=self.prefetch_hessian, hessian_dtype=self.hessian_dtype.name,
                             offset=off)

    def batch_loss_gradient(self, coef, rows):
        """Not available on Dask input: stochastic solvers need random rows, use "lbfgs" or "newton"."""
        raise NotImplementedError("minibatch (stochastic) solvers are not supported on Dask input; "
                                  "use solver='lbfgs' or 'newton'")
