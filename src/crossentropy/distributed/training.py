r"""The data side of a fit on Dask input: checked, summarised, encoded and class-weighted Dask arrays.

:func:`training_data` checks the Dask inputs in one pass and returns a :class:`TrainingData`: the
classes, their counts and sample-weighted counts :math:`S_k = \sum_{i: y_i = k} s_i`, the shape and
the feature names. :meth:`TrainingData.objective` then builds, for the class weights :math:`c_k` that
the caller chose, the :class:`~crossentropy.distributed.DaskObjective` of

.. math::
    J(\theta) = \text{scale}\sum_i c_{y_i} s_i\,\ell_i(\theta) + \tfrac{l_2}{2}\lVert w\rVert^2 + l_1\lVert w\rVert_1 .

This module knows nothing about estimators: :mod:`crossentropy.linear_model` reaches it through
this package's lazy entry (:mod:`crossentropy.distributed`), chooses class weights, penalty and solver, and runs the solver.
"""

from __future__ import annotations

import uuid

import numpy as np
from sklearn.utils.multiclass import type_of_target

from .._validation import check_option
from ._dask import da, dask
from ._inputs import align_offset, align_rows, as_row_chunked, check_offset_classes, feature_names_of, summarise
from .objective import HESSIAN_FLOAT32_ENTRIES, DaskObjective

__all__ = ["TrainingData", "training_data", "fit", "PERSIST_FRACTION"]

#: Persist the training data when it takes at most this share of the cluster's memory limit.
PERSIST_FRACTION = 0.5


def _cluster_memory():
    """Total memory limit of the workers of the active distributed Client, or None (no client / no limit)."""
    try:
        from distributed import default_client

        client = default_client()
    except (ImportError, ValueError):
        return None
    limits = [w.get("memory_limit") or 0 for w in client.scheduler_info(n_workers=-1)["workers"].values()]
    return float(sum(limits)) if limits and all(limits) else None


def _is_persisted(arr):
    """True when every chunk of ``arr`` is already held in memory (e.g. after ``client.persist``)."""
    try:
        from distributed import futures_of
    except ImportError:
        return False
    return len(futures_of(arr)) == arr.npartitions


def _should_persist(persist, X):
    check_option(persist, "persist", ("auto", True, False))
    if persist != "auto":
        return persist
    if _is_persisted(X):
        return True
    memory = _cluster_memory()
    copy = 0.5 if X.dtype == np.float64 and X.size >= HESSIAN_FLOAT32_ENTRIES else 0.0  # float32 Hessian copy
    return memory is None or (1 + copy) * X.nbytes <= PERSIST_FRACTION * memory


def _encode(block, classes, dtype):
    """Labels of one chunk -> their positions in ``classes`` (runs on a worker)."""
    return np.searchsorted(classes, block).astype(dtype, copy=False)


def _class_weighted(codes, weights, block=None):
    """Sample weights of one chunk (1 if None) times the class weights of its rows (runs on a worker)."""
    cw = weights[codes]
    return cw if block is None else np.asarray(block, dtype=np.float64) * cw


def _check_summary(summary, n):
    if not summary.x_finite:
        raise ValueError("X must be finite, found NaN or inf values in the Dask input")
    if not summary.weight_finite:
        raise ValueError("sample_weight must be finite, found NaN or inf")
    if summary.weight_min < 0:
        raise ValueError(f"sample_weight must be non-negative, found {summary.weight_min!r}")
    classes = summary.classes
    kind = type_of_target(classes)  # raises for NaN labels
    if kind not in ("binary", "multiclass"):
        raise ValueError(f"Unknown label type: y holds {kind} values ({classes[:5].tolist()}...); "
                         "a classifier needs class labels")
    if len(classes) < 2:
        raise ValueError(f"y must contain at least two classes to fit a classifier, got one class: {classes[0]!r}")
    if int(summary.class_counts.sum()) != n:
        raise ValueError(f"y has {int(summary.class_counts.sum())} labels for {n} rows of X")


class TrainingData:
    """Checked Dask training data, row-chunked alike, with what one pass over them told.

    Built by :func:`training_data`; not meant to be built by hand.

    Attributes
    ----------
    X : dask.array.Array of shape (n, d)
        float32 or float64, one chunk across the columns.
    y : dask.array.Array of shape (n,)
        The labels, with X's row chunks.
    sample_weight : dask.array.Array of shape (n,) or None
        float64, with X's row chunks.
    offset : dask.array.Array of shape (n,) (two classes) or (n, K), or None
        float64 logit offsets, with X's row chunks.
    classes : ndarray of shape (K,)
        The sorted distinct labels.
    class_counts : ndarray of shape (K,), int64
    weighted_counts : ndarray of shape (K,)
        :math:`S_k`, the sum of the sample weights of class k (the counts without sample weights).
    n_samples, n_features : int
    feature_names : ndarray of str or None
        String column names of a Dask DataFrame.
    persisted : bool
        Whether the arrays are kept in the workers' memory.
    """

    def __init__(self, X, y, sample_weight, summary, feature_names, persisted, offset=None):
        self.X, self.y, self.sample_weight, self.offset = X, y, sample_weight, offset
        self.classes = summary.classes
        self.class_counts = summary.class_counts
        self.weighted_counts = np.asarray(summary.class_weight_sums, dtype=np.float64)
        self.n_samples, self.n_features = (int(s) for s in X.shape)
        self.feature_names = feature_names
        self.persisted = bool(persisted)

    def objective(self, class_weight=None, *, fit_intercept=True, scale=1.0, l2=0.0, l1=0.0, penalty=None):
        r"""The :class:`~crossentropy.distributed.DaskObjective` of these data with class weights.

        Row weights :math:`c_{y_i} s_i`; the labels encoded as ``0..K-1`` (for two classes as floats
        of X's dtype). The arrays get new task keys at every call: a second fit on the same lazy
        arrays would otherwise send the scheduler the same keys fused differently, which it warns
        may deadlock (dask/dask#9888).

        Parameters
        ----------
        class_weight : array-like of shape (K,), optional
            :math:`c_k`, in the order of ``classes`` (default ones).
        fit_intercept : bool
        scale, l2, l1 : float
            As in :class:`~crossentropy.objective.LinearObjective`.
        penalty : Penalty, optional
            As in :class:`~crossentropy.objective.LinearObjective` (instead of ``l2``/``l1``).

        Returns
        -------
        DaskObjective
        """
        K = len(self.classes)
        cw = np.ones(K) if class_weight is None else np.asarray(class_weight, dtype=np.float64)
        if cw.shape != (K,):
            raise ValueError(f"class_weight must have one entry per class ({K}), got shape {cw.shape}")
        fit_id = uuid.uuid4().hex
        X, y, sw = self.X, self.y, self.sample_weight
        y_enc = y.map_blocks(_encode, self.classes, X.dtype if K == 2 else np.intp,
                             dtype=X.dtype if K == 2 else np.intp, name=f"encode-labels-{fit_id}")
        if np.any(cw != 1):
            codes = y.map_blocks(_encode, self.classes, np.intp, dtype=np.intp, name=f"encode-classes-{fit_id}")
            extra = () if sw is None else (sw,)
            sw = da.map_blocks(_class_weighted, codes, cw, *extra, dtype=np.float64, name=f"class-weighted-{fit_id}")
        if self.persisted:
            y_enc, sw = dask.persist(y_enc, sw)
        return DaskObjective(X, y_enc, sw, n_classes=K, fit_intercept=fit_intercept, scale=scale, l2=l2, l1=l1,
                             penalty=penalty, offset=self.offset)

    def prepare_newton(self, objective, *, prefetch_hessian):
        """Ready ``objective`` for Newton's method: Hessians in the gradient's pass, a kept float32 copy.

        ``prefetch_hessian``: compute the Hessian in the same pass as each gradient (Newton asks for
        it at every accepted point: one round trip less per iteration, at the price of one Hessian
        never used). When the data are persisted and the objective's ``hessian_dtype`` differs from
        X's, a copy of X in that dtype is persisted for the second-order terms, as in memory.
        """
        objective.prefetch_hessian = bool(prefetch_hessian)
        if self.persisted and objective.hessian_dtype != self.X.dtype:
            objective.use_hessian_copy(dask.persist(self.X.astype(objective.hessian_dtype))[0])
        return objective


def training_data(X, y, sample_weight=None, *, offset=None, persist="auto"):
    r"""Check and summarise Dask training data in one pass: classes, weighted counts, shape, names.

    .. math::
        S_k = \sum_{i:\,y_i = k} s_i \quad (s_i = 1 \text{ without sample weights})

    Parameters
    ----------
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n, d)
        Numeric; chunks may have any row sizes (column chunks are merged).
    y : dask array or Series, or array-like of shape (n,)
        Labels of any type (aligned with the row chunks of X).
    sample_weight : dask array or array-like of shape (n,), optional
    offset : dask array or array-like of shape (n,) or (n, 1) for two classes, (n, K) for K classes, optional
        Fixed logit offsets (realigned to X's row chunks; checked finite, in one more pass over them).
    persist : {"auto", True, False}, default "auto"
        Keep the data in the workers' memory. ``"auto"``: yes when already persisted, when there is
        no distributed client, or when they take at most half the workers' total memory limit
        (counting the float32 copy Newton keeps of large float64 data); otherwise every pass
        recomputes the chunks from their graph (out of core).

    Returns
    -------
    TrainingData

    Raises
    ------
    ValueError
        NaN/inf in X, one class, negative or non-finite weights, lengths that differ, no rows.
    TypeError
        Non-numeric X.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> data = training_data(da.from_array(np.arange(8.0).reshape(4, 2), chunks=(2, 2)), ["a", "b", "b", "b"],
    ...                      [1.0, 1.0, 2.0, 0.5])
    >>> data.classes.tolist(), data.weighted_counts.tolist(), data.n_features
    (['a', 'b'], [1.0, 3.5], 2)

    References
    ----------
    Chu et al., *Map-Reduce for machine learning on multicore*, NIPS (2006), §4.
    """
    names = feature_names_of(X)
    X = as_row_chunked(X)
    n = X.shape[0]
    if n == 0:
        raise ValueError("X must have at least one row, got 0")
    y = align_rows(y, X.chunks[0], name="y", n_samples=n)
    sw = None if sample_weight is None else align_rows(sample_weight, X.chunks[0], name="sample_weight",
                                                       n_samples=n)
    if sw is not None and sw.dtype != np.float64:
        sw = sw.astype(np.float64)
    off = None if offset is None else align_offset(offset, X.chunks[0], n_samples=n)
    keep = _should_persist(persist, X)
    if keep:
        X, y, sw, off = dask.persist(X, y, sw, off)
    summary = summarise(X, y, sw)
    _check_summary(summary, n)
    off = None if off is None else check_offset_classes(off, len(summary.classes))
    return TrainingData(X, y, sw, summary, names, keep, off)


def fit(estimator, X, y, sample_weight=None, *, offset=None, callback=None, persist="auto"):
    """Fit ``estimator`` on Dask input: ``estimator.fit(X, y, sample_weight, callback=..., persist=...)``.

    Kept for the public name ``crossentropy.distributed.fit``; any estimator whose ``fit`` takes
    Dask input and these keywords works (:class:`crossentropy.LogisticRegression` does).

    Parameters
    ----------
    estimator : object with ``fit(X, y, sample_weight, *, callback, persist)``
    X, y, sample_weight, offset, callback, persist
        As in :meth:`crossentropy.LogisticRegression.fit` (``offset`` is passed on only when given).

    Returns
    -------
    estimator
        Fitted.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from crossentropy import LogisticRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array(["no", "yes", "no", "yes"])
    >>> clf = fit(LogisticRegression(tol=1e-10), da.from_array(X, chunks=(2, 1)), da.from_array(y, chunks=2))
    >>> clf.coef_.round(4), clf.intercept_.round(4)   # the in-memory fit: [[0.4529]], [-0.6793]
    (array([[0.4529]]), array([-0.6793]))

    References
    ----------
    Chu et al., *Map-Reduce for machine learning on multicore*, NIPS (2006), §4.2.
    """
    extra = {} if offset is None else {"offset": offset}
    return estimator.fit(X, y, sample_weight, callback=callback, persist=persist, **extra)
