"""Scale-out on Dask: the data side of fitting and predicting linear models on data chunked by rows.

Cross-entropy's objective is a sum over rows, so its value, gradient and Hessian are sums of the same
terms over row chunks: each worker evaluates :func:`crossentropy.objective.data_terms` on its chunks,
one tree reduction brings the sums to the client, and the solver (from :mod:`crossentropy.solvers`,
unchanged) runs on the client. The data never travel to the client.

This package knows nothing about the estimators. It checks and summarises Dask inputs
(:func:`training_data`: classes, weighted class counts, shape, feature names), builds the
class-weighted :class:`DaskObjective` and maps a fitted estimator's own methods over the row chunks
(:func:`predict` and the like). This ``__init__`` is the one entry: the estimators and the command
line import this package, test their input with :func:`is_dask` (which needs no Dask) and call its
names; each name's submodule, and with it Dask, is imported on the name's first use. Importing
``crossentropy`` or this package never imports Dask; without Dask installed, the first use raises
an ``ImportError`` that names the extra to install (``pip install 'crossentropy[dask]'``).

Public names: :func:`is_dask`, :class:`DaskObjective`, :func:`training_data`, :class:`TrainingData`,
:func:`fit`, :func:`predict`, :func:`predict_proba`, :func:`predict_log_proba`,
:func:`decision_function`, :func:`connect`, :func:`table_statistics` (the Dask statistics of a
table for the preprocessor); the cross-validation folds (:func:`fold_ids`, :func:`train_weights`,
:func:`fold_scores`) and the command line's table steps (:func:`read_table`, :func:`split`,
:func:`feature_arrays`, ... from :mod:`crossentropy.distributed.tables`).
"""

from .._lazy import lazy_getattr

# public name -> submodule that defines it (imported, with Dask, on first use)
_LAZY = {
    "DaskObjective": "objective",
    "TrainingData": "training",
    "training_data": "training",
    "fit": "training",
    "predict": "prediction",
    "predict_proba": "prediction",
    "predict_log_proba": "prediction",
    "decision_function": "prediction",
    "connect": "_cluster",
    "table_statistics": "statistics",
    "fold_ids": "cv",
    "train_weights": "cv",
    "fold_scores": "cv",
    "cluster_session": "tables",
    "cluster_info": "tables",
    "table_files": "tables",
    "read_table": "tables",
    "class_counts": "tables",
    "missing_counts": "tables",
    "dropna": "tables",
    "split": "tables",
    "client_columns": "tables",
    "split_at": "tables",
    "keep_in_memory": "tables",
    "feature_arrays": "tables",
    "predictions": "tables",
}

__all__ = [
    "is_dask",
    "DaskObjective",
    "TrainingData",
    "training_data",
    "fit",
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "connect",
    "table_statistics",
    *[name for name, module in _LAZY.items() if module in ("cv", "tables")],
]


def is_dask(x) -> bool:
    """True for a Dask collection (array, DataFrame, Series): anything with a task graph; imports no Dask.

    Examples
    --------
    >>> import numpy as np
    >>> is_dask(np.zeros(3))
    False
    """
    return hasattr(x, "__dask_graph__")


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


def __dir__():
    return sorted(set(globals()) | set(__all__))
