"""Warnings and errors raised by crossentropy (standard library only)."""

from sklearn.exceptions import ConvergenceWarning, NotFittedError

__all__ = ["ConvergenceWarning", "NotFittedError", "ModelFileError", "PerfectSeparationWarning"]


class ModelFileError(ValueError):
    """A model file is missing, truncated, corrupted or does not match its metadata."""


class PerfectSeparationWarning(UserWarning):
    """The classes are perfectly separated: the maximum-likelihood estimate does not exist.

    Raised by ``LogisticRegression.fit`` with ``penalty=None`` (and repeated by ``summary()``), which then
    sets ``converged_`` to False; standard errors, z and p values are unreliable (statsmodels'
    ``PerfectSeparationWarning`` for the same condition).
    """
