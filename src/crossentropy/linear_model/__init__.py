"""Logistic and softmax regression: the estimator, its fit set-up and its statistics summary."""

from ._cv import LogisticRegressionCV
from ._logistic import LogisticRegression
from ._path import logistic_regression_path

__all__ = ["LogisticRegression", "LogisticRegressionCV", "logistic_regression_path"]
