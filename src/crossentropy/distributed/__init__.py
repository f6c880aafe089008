"""Scale-out on Dask: the data side of fitting and predicting linear models on data chunked by rows.

Cross-entropy's objective is a sum over rows, so its value, gradient and Hessian are sums of the same
terms over row chunks: each worker evaluates :func:`crossentropy.objective.data_terms` on its chunks,
one tree reduction brings the sums to the client, and the solver (from :mod:`crossentropy.solvers`,
unchanged) runs on the client. The data never travel to the client.

This package knows nothing about the estimators. It checks and summarises Dask inputs
(:func:`training_data`: classes, weighted class counts, shape, feature names), builds the
class-weighted :class:`DaskObjective` and maps a fitted estimator's own methods over the row chunks
(:func:`predict` and the like). :class:`crossentropy.LogisticRegression` sends Dask arrays and Dask
DataFrames here through :mod:`crossentropy.dispatch`, the one module outside this package that
imports it; its fit set-up (:mod:`crossentropy.linear_model`) chooses class weights, penalty and
solver. Importing ``crossentropy`` never imports Dask, and this package imports it only when one of
its names is first used; without Dask installed that raises an ``ImportError`` that names the extra
to install (``pip install 'crossentropy[dask]'``).

Public names: :class:`DaskObjective`, :func:`training_data`, :class:`TrainingData`, :func:`fit`,
:func:`predict`, :func:`predict_proba`, :func:`predict_log_proba`, :func:`decision_function`,
:func:`connect` and :func:`table_statistics` (the Dask statistics of a table for the preprocessor).
"""

from importlib import import_module

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
}

__all__ = [
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
]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'crossentropy.distributed' has no attribute {name!r}")
    value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
