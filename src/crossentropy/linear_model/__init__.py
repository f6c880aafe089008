"""Logistic, softmax and ordinal regression: the estimators, their fit set-up and their statistics summaries.

Each estimator's module is imported on the first use of its name, so a first ``LogisticRegression``
fit does not import the cross-validation search (scikit-learn's scorers and splitters) or the
ordinal model.
"""

from .._lazy import lazy_getattr

# public name -> submodule that defines it (imported on first use)
_LAZY = {
    "LogisticRegression": "_logistic",
    "LogisticRegressionCV": "_cv",
    "OrdinalRegression": "_ordinal",
    "logistic_regression_path": "_path",
}

__all__ = ["LogisticRegression", "LogisticRegressionCV", "OrdinalRegression", "logistic_regression_path"]


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


def __dir__():
    return sorted(set(globals()) | set(__all__))
