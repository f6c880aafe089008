"""The one door to :mod:`crossentropy.distributed`: Dask input is recognised and sent on here.

No other module outside ``distributed/`` imports that package (a test reads every module's imports
to keep it so). The estimators call this module for Dask arrays and DataFrames, the command line
for its Dask data source; ``distributed/`` itself imports the core, never the estimators or the
command line. Dask is imported only when one of these functions is first given Dask input.
"""

from __future__ import annotations

__all__ = ["is_dask"]


def is_dask(x) -> bool:
    """True for a Dask collection (array, DataFrame, Series): anything with a task graph.

    Examples
    --------
    >>> import numpy as np
    >>> is_dask(np.zeros(3))
    False
    """
    return hasattr(x, "__dask_graph__")


# ------------------------------------------------------------------------- estimators (linear_model)


# -------------------------------------------------------------------------------- command line (cli)
