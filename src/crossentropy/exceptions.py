"""Warnings and errors raised by crossentropy (standard library only)."""

from sklearn.exceptions import ConvergenceWarning, NotFittedError

__all__ = ["ConvergenceWarning", "NotFittedError", "DataError", "ModelFileError", "PerfectSeparationWarning"]


class DataError(ValueError):
    """The input table cannot be used as asked: missing file or column, missing or unencodable values."""


class ModelFileError(ValueError):
    """A model file is missing, truncated, corrupted or does not match its metadata."""


class PerfectSeparationWarning(UserWarning):
    """The classes are perfectly separated: the maximum-likelihood estimate does not exist.

    Raised by ``LogisticRegression.fit`` with ``penalty=None`` (and repeated by ``summary()``), which then
    sets ``converged_`` to False; standard errors, z and p values are unreliable (statsmodels'
    ``PerfectSeparationWarning`` for the same condition).
    """
