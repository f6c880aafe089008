"""``python -m crossentropy``: the same command as the ``crossentropy`` console script."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
