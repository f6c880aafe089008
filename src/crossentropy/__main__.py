"""``python -m crossentropy``: the same command as the ``crossentropy`` console script."""

from .cli import entry  # imports no numba kernel: entry() sets the thread policy first

if __name__ == "__main__":
    entry()
