"""The command's name and its usage error (exit code 2)."""

__all__ = ["PROG", "UsageError", "Terminated"]

PROG = "crossentropy"


class UsageError(Exception):
    """Bad command-line usage: ``main`` prints one line and returns exit code 2."""


class Terminated(BaseException):
    """SIGTERM reached the command (raised by the handler :func:`crossentropy.cli.entry` installs): like a
    KeyboardInterrupt it unwinds every ``with`` block, so temporary files and directories are removed;
    ``main`` prints one line and returns 143."""
