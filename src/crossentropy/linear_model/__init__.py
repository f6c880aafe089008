"""Logistic and softmax regression: the estimator, its fit set-up and its statistics summary."""

from ._logistic import LogisticRegression

__all__ = ["LogisticRegression"]
