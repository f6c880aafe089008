"""Warnings and errors raised by crossentropy (standard library only)."""

from sklearn.exceptions import ConvergenceWarning, NotFittedError

__all__ = ["ConvergenceWarning", "NotFittedError", "ModelFileError", "PerfectSeparationWarning"]


class ModelFileError(ValueError):
    """A model file is missing, truncated, corrupted or does not match its metadata."""


class PerfectSeparationWarning(UserWarning):
    """The classes are perfectly separated: the maximum-likelihood estimate does not exist.

    Raised by ``LogisticRegression.summary()``; its standard errors, z and p values are then unreliable
    (statsmodels' ``PerfectSeparationWarning`` for the same condition).
    """
