"""The one door to :mod:`crossentropy.distributed`: Dask input is recognised and sent on here.

No other module outside ``distributed/`` imports that package (a test reads every module's imports
to keep it so). The estimators call this module for Dask arrays and DataFrames, the command line
for its Dask data source; ``distributed/`` itself imports the core, never the estimators or the
command line. Dask is imported only when one of these functions is first given Dask input.
"""

from __future__ import annotations

__all__ = ["is_dask", "dask_session", "dask_cluster_info", "dask_read_table", "dask_missing_counts", "dask_dropna",
           "dask_split", "dask_table_statistics", "dask_feature_arrays", "dask_predictions"]


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


def dask_read_table(path):
    """A Parquet/CSV file, directory or glob read by the workers as a Dask DataFrame (DataError if unusable)."""
    return _tables().read_table(path)


def dask_missing_counts(frame, columns) -> tuple:
    """(n_rows, {column: missing count}) of a Dask DataFrame, the columns without gaps left out."""
    return _tables().missing_counts(frame, columns)


def dask_dropna(frame, columns) -> tuple:
    """(the rows complete in ``columns``, their number) of a Dask DataFrame."""
    return _tables().dropna(frame, columns)


def dask_split(frame, test_size, seed) -> tuple:
    """(train, test or None) of a Dask DataFrame: a seeded random share of each partition."""
    return _tables().split(frame, test_size, seed)


def dask_table_statistics(frame, target, columns, *, impute_strategy=None) -> dict:
    """Column statistics of a Dask DataFrame for ``TabularPreprocessor.from_statistics``.

    See :func:`crossentropy.distributed.statistics.table_statistics`.
    """
    from .distributed.statistics import table_statistics

    return table_statistics(frame, target, columns, impute_strategy=impute_strategy)


def dask_feature_arrays(preprocessor, frame) -> tuple:
    """(X, y) Dask arrays, shapes (n_rows, n_features) and (n_rows,), from a fitted preprocessor."""
    return _tables().feature_arrays(preprocessor, frame)


def dask_predictions(estimator, X, y) -> tuple:
    """(y, proba, pred) NumPy arrays of an estimator on Dask arrays, computed on the cluster."""
    return _tables().predictions(estimator, X, y)
