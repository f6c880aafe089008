"""The command's name and its usage error (exit code 2)."""

__all__ = ["PROG", "UsageError"]

PROG = "crossentropy"


class UsageError(Exception):
    """Bad command-line usage: ``main`` prints one line and returns exit code 2."""
