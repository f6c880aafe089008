"""``python -m crossentropy``: the same command as the ``crossentropy`` console script."""

import sys

try:
    from .cli import entry  # imports no numba kernel: entry() sets the thread policy first
except KeyboardInterrupt:  # Ctrl-C before the command could start: one line, as everywhere else
    sys.stderr.write("crossentropy: error: interrupted\n")
    sys.exit(130)

if __name__ == "__main__":
    entry()
