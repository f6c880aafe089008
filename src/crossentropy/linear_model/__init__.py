"""Logistic, softmax and ordinal regression: the estimators, their fit set-up and their statistics summaries."""

from ._cv import LogisticRegressionCV
from ._logistic import LogisticRegression
from ._ordinal import OrdinalRegression
from ._path import logistic_regression_path

__all__ = ["LogisticRegression", "LogisticRegressionCV", "OrdinalRegression", "logistic_regression_path"]
