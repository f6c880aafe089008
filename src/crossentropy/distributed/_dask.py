"""The one place where ``crossentropy.distributed`` imports Dask, with the install hint if it is missing.

Every module of the package imports Dask through this one, so any use of Dask input without Dask
installed fails here with an :class:`ImportError` that names the extra to install.
"""

from __future__ import annotations

EXTRA = "crossentropy[dask]"
INSTALL_HINT = f"pip install '{EXTRA}'"


def missing_dask_error(exc: BaseException | None = None) -> ImportError:
    """The ImportError raised when Dask input is used but Dask is not installed."""
    why = f" ({exc})" if exc is not None else ""
    return ImportError(
        f"Dask input needs the optional Dask dependencies (dask.array and distributed), which are not "
        f"installed{why}. Install them with: {INSTALL_HINT}"
    )


try:
    import dask
    import dask.array as da
    import distributed
except ImportError as _exc:  # dask missing, or blocked with sys.modules["dask"] = None
    raise missing_dask_error(_exc) from _exc

__all__ = ["EXTRA", "INSTALL_HINT", "missing_dask_error", "dask", "da", "distributed"]
