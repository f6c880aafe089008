"""The model objective of logistic and softmax regression, in terms of a flat coefficient vector.

The modules, in the order they import each other (no cycle):

- :mod:`.layout`: :class:`CoefLayout`, where each coefficient sits in the flat vector;
- :mod:`.sums`: the :class:`DataTerms` record and the weighted Gram matrix both models use;
- :mod:`.binary`, :mod:`.softmax`: the data terms of the two models (pure functions on one block of
  rows: loss, gradient, Hessian and Hessian-vector products summed over the rows);
- :mod:`.terms`: :func:`data_terms` and :func:`hessp_terms` (dispatch on the layout) and the l2 penalty's terms;
- :mod:`.penalties`: the penalties as immutable values (:class:`Penalty`, :class:`L2`, :class:`ElasticNet`),
  each with its value, gradient, proximal step and optimality condition (the l1 part's proximal
  Newton step by the coordinate descent of :mod:`._cd`);
- :mod:`.base`: :class:`LinearTerms`, the part of an objective that does not touch the data (shared
  with the Dask objective of :mod:`crossentropy.distributed`), and the ``hessian_dtype`` rule;
- :mod:`.memory`: the in-memory objective :class:`LinearObjective`.
"""

from .base import HESSIAN_DTYPES, HESSIAN_FLOAT32_ENTRIES, LinearTerms, resolve_hessian_dtype
from .layout import CoefLayout, n_coef, penalized_mask
from .memory import CACHE_ELEMENTS, LinearObjective
from .penalties import ElasticNet, L2, Penalty, make_penalty
from .softmax import BLOCK_ELEMENTS
from .sums import DataTerms
from .terms import data_terms, hessp_terms, penalty_terms

__all__ = [
    "BLOCK_ELEMENTS",
    "CACHE_ELEMENTS",
    "HESSIAN_DTYPES",
    "HESSIAN_FLOAT32_ENTRIES",
    "CoefLayout",
    "DataTerms",
    "ElasticNet",
    "L2",
    "LinearObjective",
    "LinearTerms",
    "data_terms",
    "hessp_terms",
    "n_coef",
    "Penalty",
    "make_penalty",
    "penalized_mask",
    "penalty_terms",
    "resolve_hessian_dtype",
]
