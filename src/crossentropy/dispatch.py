"""The one door to :mod:`crossentropy.distributed`: Dask input is recognised and sent on here.

No other module outside ``distributed/`` imports that package (a test reads every module's imports
to keep it so). The estimators call this module for Dask arrays and DataFrames, the command line
for its Dask data source; ``distributed/`` itself imports the core, never the estimators or the
command line. Dask is imported only when one of these functions is first given Dask input.
"""

from __future__ import annotations

__all__ = [
    "is_dask",
    "dask_training_data",
    "dask_predict",
    "dask_fold_ids",
    "dask_train_weights",
    "dask_fold_scores",
    "dask_session",
    "dask_cluster_info",
    "dask_read_table",
    "dask_missing_counts",
    "dask_dropna",
    "dask_split",
    "dask_table_statistics",
    "dask_feature_arrays",
    "dask_predictions",
]


def is_dask(x) -> bool:
    """True for a Dask collection (array, DataFrame, Series): anything with a task graph.

    Examples
    --------
    >>> import numpy as np
    >>> is_dask(np.zeros(3))
    False
    """
    return hasattr(x, "__dask_graph__")


# ------------------------------------------------------------------------- estimators (linear_model)

_PREDICT_METHODS = ("decision_function", "predict_proba", "predict_log_proba", "predict")


def dask_training_data(X, y, sample_weight=None, *, offset=None, persist="auto"):
    r"""Checked and summarised Dask training data: :func:`crossentropy.distributed.training_data`.

    One pass over the data gives the classes, their sample-weighted counts
    :math:`S_k = \sum_{i: y_i = k} s_i`, the shape and the feature names; the returned object builds
    the class-weighted :class:`~crossentropy.distributed.DaskObjective`.

    Parameters
    ----------
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n, d)
    y : Dask or in-memory array-like of shape (n,)
    sample_weight : Dask or in-memory array-like of shape (n,), optional
    offset : Dask or in-memory array-like of shape (n,), (n, 1) or (n, K), optional
        Fixed logit offsets.
    persist : {"auto", True, False}, default "auto"

    Returns
    -------
    crossentropy.distributed.TrainingData

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> data = dask_training_data(da.from_array(np.eye(4), chunks=(2, 4)), [0, 1, 1, 1])
    >>> data.classes.tolist(), data.weighted_counts.tolist()
    ([0, 1], [1.0, 3.0])

    References
    ----------
    Chu et al., *Map-Reduce for machine learning on multicore*, NIPS (2006), §4.
    """
    from .distributed.training import training_data

    return training_data(X, y, sample_weight, offset=offset, persist=persist)


def dask_predict(estimator, X, method, *, offset=None):
    r"""A fitted estimator's ``method`` on Dask input, as a lazy Dask array chunked like the rows of X.

    .. math::
        f(X) = [f(X_{B_1}); \dots; f(X_{B_m})]

    Parameters
    ----------
    estimator : fitted classifier
        Duck-typed: ``classes_``, ``n_features_in_`` and the method.
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n, d)
    method : {"decision_function", "predict_proba", "predict_log_proba", "predict"}
    offset : Dask or in-memory array-like of shape (n,), (n, 1) or (n, K), optional
        The rows' fixed logit offsets, realigned to X's row chunks.

    Returns
    -------
    dask.array.Array of shape (n,) or (n, K)

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from crossentropy import LogisticRegression
    >>> clf = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1])
    >>> dask_predict(clf, da.from_array(np.array([[0.0], [3.0]]), chunks=(1, 1)), "predict").compute().tolist()
    [0, 1]

    References
    ----------
    Dask developers, *dask.array.map_blocks*, https://docs.dask.org/en/stable/generated/dask.array.map_blocks.html
    """
    if method not in _PREDICT_METHODS:
        raise ValueError(f"method must be one of {_PREDICT_METHODS}, got {method!r}")
    from .distributed import prediction

    return getattr(prediction, method)(estimator, X, offset=offset)



def dask_fold_ids(row_chunks, n_folds, seed):
    """The cross-validation fold of every row (Dask int32, chunked as ``row_chunks``): a seeded
    permutation within each partition, :func:`crossentropy.distributed.cv.fold_ids`."""
    from .distributed.cv import fold_ids

    return fold_ids(row_chunks, n_folds, seed)


def dask_train_weights(ids, fold, sample_weight=None):
    """The training weights of one fold, the held-out rows at 0: :func:`crossentropy.distributed.cv.train_weights`."""
    from .distributed.cv import train_weights

    return train_weights(ids, fold, sample_weight)


def dask_fold_scores(X, y, ids, fold, models, labels, *, sample_weight=None, scoring="neg_log_loss"):
    """Scores of fitted models on the held-out rows of one fold, on the cluster:
    :func:`crossentropy.distributed.cv.fold_scores`."""
    from .distributed.cv import fold_scores

    return fold_scores(X, y, ids, fold, models, labels, sample_weight=sample_weight, scoring=scoring)

# -------------------------------------------------------------------------------- command line (cli)
# The Dask data source of ``crossentropy train --dask``: each function hands its arguments to
# crossentropy.distributed.tables (or .statistics), imported here on first use, with Dask.
def _tables():
    from .distributed import tables

    return tables


def dask_session(address, *, timeout=None):
    """Context manager: a Dask client on ``address`` (``"local"``: a local cluster), closed on exit.

    Entering raises ConnectionError when no scheduler answers within ``timeout`` seconds
    (default 10). See :func:`crossentropy.distributed.tables.cluster_session`.
    """
    return _tables().cluster_session(address, timeout=timeout)


def dask_cluster_info(client, address) -> dict:
    """``{"scheduler": str, "n_workers": int}`` of a connected client."""
    return _tables().cluster_info(client, address)


def dask_read_table(path, na_values=()):
    """A Parquet/CSV file, directory or glob read by the workers as a Dask DataFrame (DataError if unusable);
    empty fields and the ``na_values`` markers are missing values."""
    return _tables().read_table(path, na_values=na_values)


def dask_table_files(path) -> list:
    """The files a Dask read of ``path`` reads, in order."""
    return _tables().table_files(path)


def dask_missing_counts(frame, columns) -> tuple:
    """(rows of each partition, {column: missing count}) of a Dask DataFrame, the columns without gaps left out."""
    return _tables().missing_counts(frame, columns)


def dask_dropna(frame, columns) -> tuple:
    """(the rows complete in ``columns``, how many each partition keeps) of a Dask DataFrame."""
    return _tables().dropna(frame, columns)


def dask_class_counts(before, after) -> tuple:
    """({label: rows} of the Dask Series ``before``, the distinct labels of ``after``), in one pass."""
    return _tables().class_counts(before, after)


def dask_split(frame, test_size, seed, lengths) -> tuple:
    """(train, test or None, rows of each part per partition): a partition-wise seeded split.

    See :func:`crossentropy.distributed.tables.holdout_positions`.
    """
    return _tables().split(frame, test_size, seed, lengths)


def dask_keep_in_memory(*arrays) -> tuple:
    """Dask arrays persisted together when they fit in half the workers' memory (else as given)."""
    return _tables().keep_in_memory(*arrays)


def dask_table_statistics(frame, target, columns, *, impute_strategy=None, categorical=()) -> dict:
    """Column statistics of a Dask DataFrame for ``TabularPreprocessor.from_statistics``.

    See :func:`crossentropy.distributed.statistics.table_statistics`.
    """
    from .distributed.statistics import table_statistics

    return table_statistics(frame, target, columns, impute_strategy=impute_strategy, categorical=categorical)


def dask_feature_arrays(preprocessor, frame, lengths=None) -> tuple:
    """(X, y) Dask arrays, shapes (n_rows, n_features) and (n_rows,), from a fitted preprocessor."""
    return _tables().feature_arrays(preprocessor, frame, lengths)


def dask_predictions(estimator, X, y) -> tuple:
    """(y, proba, pred) NumPy arrays of an estimator on Dask arrays, computed on the cluster."""
    return _tables().predictions(estimator, X, y)
