"""Warnings and errors raised by crossentropy (standard library only)."""

from sklearn.exceptions import ConvergenceWarning, NotFittedError

__all__ = ["ConvergenceWarning", "NotFittedError", "ModelFileError"]


class ModelFileError(ValueError):
    """A model file is missing, truncated, corrupted or does not match its metadata."""
