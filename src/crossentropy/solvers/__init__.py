"""Solvers chosen by name: ``SOLVERS[name](objective, coef0, *, max_iter, tol, callback, ...)``.

Each returns a :class:`~crossentropy.solvers._base.SolverResult` and knows nothing of estimators:
it sees only an object with the :class:`~crossentropy.solvers._base.Objective` protocol.

===========  ==========================================================  ==========
name         method                                                      l1 / enet
===========  ==========================================================  ==========
"gd"         full-batch gradient descent (textbook), optional line search  yes (ISTA)
"sgd"        minibatch SGD, resumable (``partial_fit``)                   yes
"lbfgs"      limited-memory BFGS (scipy)                                  no
"newton"     Newton with Cholesky or CG steps; proximal Newton for l1     yes
"proximal"   FISTA with backtracking and restart                          yes
===========  ==========================================================  ==========
"""

from ._base import Objective, SolverResult
from .gd import gd
from .lbfgs import lbfgs
from .newton import newton
from .proximal import proximal
from .sgd import sgd

__all__ = ["SOLVERS", "L1_SOLVERS", "SOLVER_OPTIONS", "get_solver", "Objective", "SolverResult",
           "gd", "sgd", "lbfgs", "newton", "proximal"]

SOLVERS = {"gd": gd, "sgd": sgd, "lbfgs": lbfgs, "newton": newton, "proximal": proximal}

#: Solvers that handle an l1 term (penalty "l1" or "elasticnet").
L1_SOLVERS = ("newton", "proximal", "gd", "sgd")

#: Keyword options each solver takes besides ``max_iter``, ``tol``, ``callback`` and ``verbose``.
SOLVER_OPTIONS = {
    "gd": ("learning_rate", "line_search"),
    "sgd": ("learning_rate", "batch_size", "random_state", "n_iter_no_change", "state"),
    "lbfgs": ("memory",),
    "newton": ("step", "cg_max_iter"),
    "proximal": ("learning_rate",),
}


def get_solver(name):
    """Return the solver function called ``name``; ValueError listing the names otherwise.

    Examples
    --------
    >>> from crossentropy.solvers import get_solver
    >>> get_solver("lbfgs").__name__
    'lbfgs'
    """
    try:
        return SOLVERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"solver must be one of {sorted(SOLVERS)}, got {name!r}") from None
