r"""``LogisticRegression`` on Dask input: fit with the data on the workers, predict chunk by chunk.

:meth:`crossentropy.LogisticRegression.fit` sends Dask arrays and Dask DataFrames here. The fit is the
in-memory one with a different objective object: the same validation (in one pass over the data),
the same class encoding and weights, the same scaling of scikit-learn's objective,

.. math::
    J(\theta) = \frac{1}{S}\sum_i s_i\,\ell_i(\theta) + \frac{1-\rho}{C S}\,\tfrac12\lVert w\rVert^2
                + \frac{\rho}{C S}\lVert w\rVert_1, \qquad S = \sum_i s_i,

and the same solvers, run on the client by the estimator's own ``_fit_objective``; only the sums
over rows are computed on the workers (:class:`~crossentropy.distributed.DaskObjective`).
"""

from __future__ import annotations

import copy
import math
import uuid

import numpy as np
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from ._dask import da, dask
from ._inputs import align_rows, as_row_chunked, feature_names_of, summarise
from .objective import HESSIAN_FLOAT32_ENTRIES, DaskObjective

__all__ = ["fit", "decision_function", "predict_proba", "predict_log_proba", "predict", "PERSIST_FRACTION"]

#: Persist the training data when it takes at most this share of the cluster's memory limit.
PERSIST_FRACTION = 0.5
#: Solvers that run on Dask input (all but the minibatch one, which needs random rows).
DASK_SOLVERS = ("auto", "newton", "lbfgs", "gd", "proximal")


# ------------------------------------------------------------------------------------------ fitting
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
    if persist not in ("auto", True, False):
        raise ValueError(f"persist must be 'auto', True or False, got {persist!r}")
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


def fit(estimator, X, y, sample_weight=None, *, callback=None, persist="auto"):
    r"""Fit a :class:`~crossentropy.LogisticRegression` on a Dask array or Dask DataFrame chunked by rows.

    Minimises the estimator's objective (scikit-learn's, see the module docstring) with the data on
    the workers: each solver step is one pass over the chunks (value, gradient and, for Newton, the
    Hessian summed by a tree reduction) and the solver state stays on the client. The coefficients
    equal those of the in-memory fit up to the rounding of the sums.

    .. math::
        \nabla J(\theta) = \frac1S \sum_{\text{chunks } j}\;\sum_{i \in B_j} s_i \nabla \ell_i(\theta)
                           + \frac{1-\rho}{C S} w

    Parameters
    ----------
    estimator : crossentropy.LogisticRegression
        Its parameters choose the model; the fitted attributes are set on it.
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n, d)
        Numeric; chunks may have any row sizes (column chunks are merged).
    y : dask array or Series, or array-like of shape (n,)
        Labels of any type (aligned with the row chunks of X).
    sample_weight : dask array or array-like of shape (n,), optional
    callback : callable ``(n_iter, objective_value)``, optional
        Called on the client after every solver iteration.
    persist : {"auto", True, False}, default "auto"
        Keep the prepared data in the workers' memory for the fit. ``"auto"``: yes when it is already
        persisted, when there is no distributed client, or when it takes at most half the workers'
        total memory limit (counting the float32 copy that Newton keeps of large float64 data for
        its Hessians, as the in-memory fit does); otherwise every pass recomputes the chunks from
        their graph (out of core), and Newton's Hessian comes with each gradient pass.

    Notes
    -----
    Each call of the objective is one pass: a task per chunk where the chunk lives and a tree
    reduction with a fixed grouping, so the result does not depend on which worker computed what. A
    worker lost mid-fit is replaced by its nanny and its chunks are recomputed from their graph; the
    fit goes on with the same numbers. Newton's warm start on large data (a tenth of the rows, see
    :mod:`crossentropy.solvers.newton`) keeps its rows on the workers too.

    Returns
    -------
    estimator
        Fitted: ``coef_``, ``intercept_``, ``classes_``, ``n_features_in_`` (``feature_names_in_`` for a
        DataFrame with string column names), ``n_iter_``, ``converged_``, ``loss_curve_``, ``solver_``,
        and ``n_passes_``: the passes made over the full data.

    Raises
    ------
    ValueError
        Bad parameters or data (NaN/inf in X, one class, negative weights, lengths that differ), or
        ``solver="sgd"``, which needs random minibatches.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from crossentropy import LogisticRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array(["no", "yes", "no", "yes"])
    >>> clf = LogisticRegression(tol=1e-10).fit(da.from_array(X, chunks=(2, 1)), da.from_array(y, chunks=2))
    >>> clf.coef_.round(4), clf.intercept_.round(4)   # the in-memory fit: [[0.4529]], [-0.6793]
    (array([[0.4529]]), array([-0.6793]))

    References
    ----------
    Chu et al., *Map-Reduce for machine learning on multicore*, NIPS (2006), §4.2 (logistic regression
    by Newton-Raphson with summed gradients and Hessians).
    """
    rho = estimator._l1_ratio()
    if estimator.solver not in DASK_SOLVERS:
        raise ValueError(f"solver={estimator.solver!r} is not available for Dask input: it needs random "
                         f"minibatches; use one of {list(DASK_SOLVERS)}")
    if y is None:
        raise ValueError("y must be given to fit a classifier, got None")
    names = feature_names_of(X)
    X = as_row_chunked(X)
    n, d = X.shape
    if n == 0:
        raise ValueError("X must have at least one row, got 0")
    y = align_rows(y, X.chunks[0], name="y", n_samples=n)
    sw = None if sample_weight is None else align_rows(sample_weight, X.chunks[0], name="sample_weight",
                                                       n_samples=n)
    if sw is not None and sw.dtype != np.float64:
        sw = sw.astype(np.float64)
    keep = _should_persist(persist, X)
    if keep:
        X, y, sw = dask.persist(X, y, sw)
    summary = summarise(X, y, sw)
    _check_summary(summary, n)
    classes = summary.classes
    K = len(classes)

    estimator.classes_ = classes
    estimator.n_features_in_ = d
    if names is not None:
        estimator.feature_names_in_ = names
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_

    # labels -> 0..K-1 (binary: as floats of X's dtype, which the binary terms use). The keys are new
    # at every fit: a second fit on the same lazy arrays would otherwise send the scheduler the same
    # keys fused differently, which it warns may deadlock (dask/dask#9888)
    fit_id = uuid.uuid4().hex
    y_enc = y.map_blocks(_encode, classes, X.dtype if K == 2 else np.intp,
                         dtype=X.dtype if K == 2 else np.intp, name=f"encode-labels-{fit_id}")
    cw = np.ones(K)
    if estimator.class_weight is not None:  # as the in-memory fit (every class is present here)
        cw = compute_class_weight(estimator.class_weight, classes=classes,
                                  y=classes, sample_weight=summary.class_counts.astype(np.float64))
    S = float(cw @ summary.class_weight_sums)
    if not S > 0 or not math.isfinite(S):
        raise ValueError("sample_weight (times class_weight) must have a positive sum, got all zeros")
    if np.any(cw != 1):
        codes = y.map_blocks(_encode, classes, np.intp, dtype=np.intp, name=f"encode-classes-{fit_id}")
        extra = () if sw is None else (sw,)
        sw = da.map_blocks(_class_weighted, codes, cw, *extra, dtype=np.float64, name=f"class-weighted-{fit_id}")
    if keep:
        y_enc, sw = dask.persist(y_enc, sw)
    # the scaling of LogisticRegression._make_objective: c = 1/S, l2 = (1-rho)/(C S), l1 = rho/(C S)
    inv = 0.0 if estimator.penalty is None else 1.0 / (float(estimator.C) * S)
    objective = DaskObjective(X, y_enc, sw, n_classes=K, fit_intercept=estimator.fit_intercept,
                              scale=1.0 / S, l2=(1 - rho) * inv, l1=rho * inv)
    # Newton asks for the Hessian at every point its line search accepts: computing it in the same
    # pass as the gradient saves a round trip (and, out of core, a pass over the data) per iteration,
    # at the price of one Hessian never used (at the final point)
    objective.prefetch_hessian = _newton_with_hessian(estimator, objective)
    newton = estimator._solver_name(objective) == "newton"
    if keep and newton and objective.hessian_dtype != X.dtype:  # as in memory: a float32 copy
        objective.use_hessian_copy(dask.persist(X.astype(objective.hessian_dtype))[0])
    coef0 = estimator._pack() if estimator.warm_start and hasattr(estimator, "coef_") else None
    estimator._fit_objective(objective, callback, coef0=coef0)
    estimator.n_passes_ = objective.n_passes
    return estimator


def _newton_with_hessian(estimator, objective):
    """True when the solver will ask for the full Hessian after each accepted step (so fetch it then)."""
    from ..solvers.newton import choose_step

    if estimator._solver_name(objective) != "newton":
        return False
    return bool(objective.l1) or choose_step(objective) == "cholesky"


# --------------------------------------------------------------------------------------- prediction
def _for_blocks(estimator, X):
    """Checked Dask array of X and a light copy of the fitted estimator to run on each chunk."""
    check_is_fitted(estimator)
    names = feature_names_of(X)
    fitted_names = getattr(estimator, "feature_names_in_", None)
    if names is not None and fitted_names is not None and list(names) != list(fitted_names):
        raise ValueError(f"X has feature names {list(names)[:10]} but the model was fitted with "
                         f"{list(fitted_names)[:10]}: the columns must match in name and order")
    X = as_row_chunked(X, lengths=False)
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(f"X has {X.shape[1]} features, but {type(estimator).__name__} is expecting "
                         f"{estimator.n_features_in_} features as input")
    light = copy.copy(estimator)
    for attr in ("feature_names_in_", "loss_curve_"):
        if attr in light.__dict__:
            delattr(light, attr)
    return X, light


def _block_call(block, estimator, method):
    return getattr(estimator, method)(block)


def _map(estimator, X, method, n_cols, dtype=None):
    X, light = _for_blocks(estimator, X)
    dtype = X.dtype if dtype is None else dtype  # float outputs keep X's float32 / float64
    if n_cols is None:  # one value per row
        return X.map_blocks(_block_call, light, method, drop_axis=1, dtype=dtype,
                            meta=np.empty((0,), dtype=dtype))
    return X.map_blocks(_block_call, light, method, chunks=(X.chunks[0], (n_cols,)), dtype=dtype,
                        meta=np.empty((0, 0), dtype=dtype))


def decision_function(estimator, X):
    r"""Logits of a fitted model on Dask input, as a lazy Dask array chunked like the rows of X.

    .. math::
        z = X w + b \quad (n,) \text{ for two classes}, \qquad Z = X W^\top + b \quad (n, K)

    Parameters
    ----------
    estimator : fitted crossentropy.LogisticRegression
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n, d)

    Returns
    -------
    dask.array.Array of shape (n,) or (n, K)
        Each chunk is the estimator's own ``decision_function`` of the matching rows.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from crossentropy import LogisticRegression
    >>> clf = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1])
    >>> z = clf.decision_function(da.from_array(np.array([[0.0], [3.0]]), chunks=(1, 1)))
    >>> type(z).__name__, z.compute().round(4)
    ('Array', array([-0.6793,  0.6793]))

    References
    ----------
    Bishop, *Pattern Recognition and Machine Learning* (2006), §4.3.2.
    """
    check_is_fitted(estimator)
    K = len(estimator.classes_)
    return _map(estimator, X, "decision_function", None if K == 2 else K)


def predict_proba(estimator, X):
    r"""Class probabilities of a fitted model on Dask input: a lazy Dask array of shape (n, K).

    .. math::
        P = [1 - \sigma(z), \sigma(z)] \text{ (two classes)}, \qquad P = \mathrm{softmax}(Z) \text{ (K classes)}

    Parameters
    ----------
    estimator : fitted crossentropy.LogisticRegression
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n, d)

    Returns
    -------
    dask.array.Array of shape (n, K), columns in the order of ``classes_``

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from crossentropy import LogisticRegression
    >>> clf = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1])
    >>> clf.predict_proba(da.from_array(np.array([[0.0], [3.0]]), chunks=(1, 1))).compute().round(4)
    array([[0.6636, 0.3364],
           [0.3364, 0.6636]])

    References
    ----------
    Bishop, *Pattern Recognition and Machine Learning* (2006), §4.3.2 and §4.3.4.
    """
    check_is_fitted(estimator)
    return _map(estimator, X, "predict_proba", len(estimator.classes_))


def predict_log_proba(estimator, X):
    r"""Log-probabilities of a fitted model on Dask input: a lazy Dask array of shape (n, K).

    .. math::
        \log P = [\log\sigma(-z), \log\sigma(z)] \text{ or } \mathrm{log\_softmax}(Z)

    Parameters
    ----------
    estimator : fitted crossentropy.LogisticRegression
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n, d)

    Returns
    -------
    dask.array.Array of shape (n, K)

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from crossentropy import LogisticRegression
    >>> clf = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1])
    >>> clf.predict_log_proba(da.from_array(np.array([[3.0]]), chunks=(1, 1))).compute().round(4)
    array([[-1.0894, -0.4101]])

    References
    ----------
    Bishop, *Pattern Recognition and Machine Learning* (2006), §4.3.4.
    """
    check_is_fitted(estimator)
    return _map(estimator, X, "predict_log_proba", len(estimator.classes_))


def predict(estimator, X):
    r"""Most probable class of each row on Dask input: a lazy Dask array of labels, shape (n,).

    .. math::
        \hat y_i = c_{\arg\max_k P_{ik}}

    Parameters
    ----------
    estimator : fitted crossentropy.LogisticRegression
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n, d)

    Returns
    -------
    dask.array.Array of shape (n,), of the dtype of ``classes_``

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from crossentropy import LogisticRegression
    >>> clf = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], ["a", "b", "a", "b"])
    >>> clf.predict(da.from_array(np.array([[0.0], [3.0]]), chunks=(1, 1))).compute().tolist()
    ['a', 'b']

    References
    ----------
    Bishop, *Pattern Recognition and Machine Learning* (2006), §4.3.
    """
    check_is_fitted(estimator)
    return _map(estimator, X, "predict", None, np.asarray(estimator.classes_).dtype)
