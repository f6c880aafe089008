"""Scale-out on Dask: fit and predict linear models on data chunked by rows across a cluster.

Cross-entropy's objective is a sum over rows, so its value, gradient and Hessian are sums of the same
terms over row chunks: each worker evaluates :func:`crossentropy.objective.data_terms` on its chunks,
one tree reduction brings the sums to the client, and the solver (from :mod:`crossentropy.solvers`,
unchanged) runs on the client. The data never travel to the client.

Most users never import this package: :class:`crossentropy.LogisticRegression` sends Dask arrays and
Dask DataFrames here by itself. Importing ``crossentropy`` never imports Dask, and this package
imports it only when one of its names is first used; without Dask installed that raises an
``ImportError`` that names the extra to install (``pip install 'crossentropy[dask]'``).

Public names: :class:`DaskObjective`, :func:`fit`, :func:`predict`, :func:`predict_proba`,
:func:`predict_log_proba`, :func:`decision_function`, :func:`connect` and
:func:`table_statistics` (the Dask statistics of a table for the preprocessor).
"""

from importlib import import_module

# public name -> submodule that defines it (imported, with Dask, on first use)
_LAZY = {
    "DaskObjective": "objective",
    "fit": "linear_model",
    "predict": "linear_model",
    "predict_proba": "linear_model",
    "predict_log_proba": "linear_model",
    "decision_function": "linear_model",
    "connect": "_cluster",
    "table_statistics": "statistics",
}

__all__ = list(_LAZY)


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'crossentropy.distributed' has no attribute {name!r}")
    value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
