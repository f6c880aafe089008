"""The one door to :mod:`crossentropy.distributed`: Dask input is recognised and sent on here.

No other module outside ``distributed/`` imports that package (a test reads every module's imports
to keep it so). The estimators call this module for Dask arrays and DataFrames, the command line
for its Dask data source; ``distributed/`` itself imports the core, never the estimators or the
command line. Dask is imported only when one of these functions is first given Dask input.
"""

from __future__ import annotations

__all__ = ["is_dask"]


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
__all__ += ["dask_training_data", "dask_predict"]

_PREDICT_METHODS = ("decision_function", "predict_proba", "predict_log_proba", "predict")


def dask_training_data(X, y, sample_weight=None, *, persist="auto"):
    r"""Checked and summarised Dask training data: :func:`crossentropy.distributed.training_data`.

    One pass over the data gives the classes, their sample-weighted counts
    :math:`S_k = \sum_{i: y_i = k} s_i`, the shape and the feature names; the returned object builds
    the class-weighted :class:`~crossentropy.distributed.DaskObjective`.

    Parameters
    ----------
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n, d)
    y : Dask or in-memory array-like of shape (n,)
    sample_weight : Dask or in-memory array-like of shape (n,), optional
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

    return training_data(X, y, sample_weight, persist=persist)


def dask_predict(estimator, X, method):
    r"""A fitted estimator's ``method`` on Dask input, as a lazy Dask array chunked like the rows of X.

    .. math::
        f(X) = [f(X_{B_1}); \dots; f(X_{B_m})]

    Parameters
    ----------
    estimator : fitted classifier
        Duck-typed: ``classes_``, ``n_features_in_`` and the method.
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n, d)
    method : {"decision_function", "predict_proba", "predict_log_proba", "predict"}

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

    return getattr(prediction, method)(estimator, X)



# -------------------------------------------------------------------------------- command line (cli)
