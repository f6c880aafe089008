"""The model objective of logistic and softmax regression, in terms of a flat coefficient vector.

:mod:`._terms` holds the data terms (pure functions on one block of rows: loss, gradient, Hessian and
Hessian-vector products summed over the rows) and the penalty; :mod:`.linear` the in-memory objective
:class:`LinearObjective` and :class:`LinearTerms`, the part of an objective that does not touch the
data (shared with the Dask objective of :mod:`crossentropy.distributed`).
"""

from ._terms import (
    BLOCK_ELEMENTS,
    CACHE_ELEMENTS,
    DataTerms,
    data_terms,
    hessp_terms,
    n_coef,
    penalized_mask,
    penalty_terms,
)
from .linear import LinearObjective, LinearTerms

__all__ = [
    "BLOCK_ELEMENTS",
    "CACHE_ELEMENTS",
    "DataTerms",
    "data_terms",
    "hessp_terms",
    "n_coef",
    "penalized_mask",
    "penalty_terms",
    "LinearObjective",
    "LinearTerms",
]
