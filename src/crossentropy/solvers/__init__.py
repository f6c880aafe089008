"""Solvers chosen by name: ``SOLVERS[name](objective, coef0, *, max_iter, tol, callback, ...)``.

Each returns a :class:`~crossentropy.solvers._base.SolverResult`, calls ``callback(state)`` with an
:class:`~crossentropy.solvers._base.IterationState` after every iteration (a true return value stops
it there), and knows nothing of estimators:
it sees only an object with the :class:`~crossentropy.solvers._base.Objective` protocol, and uses
the optional abilities declared as protocols in :mod:`._base` when the object has them. A solver's
settings are its own keyword parameters (:func:`solver_options` reads them from its signature); whether
it handles a non-smooth penalty, its ``handles_nonsmooth`` attribute.
:func:`check_solver` is the one place a solver name is checked.

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

import functools
import inspect

from ._base import (
    ClassCount,
    HessianDiagonal,
    IterationState,
    Minibatched,
    Objective,
    Preconditioned,
    SolverResult,
    SolvesSubsample,
    Subsampled,
)
from .gd import gd
from .lbfgs import lbfgs
from .newton import newton
from .proximal import proximal
from .sgd import sgd

__all__ = ["SOLVERS", "L1_SOLVERS", "COMMON_OPTIONS", "solver_options", "check_solver", "get_solver", "Objective", "SolverResult",
           "IterationState",
           "Subsampled", "SolvesSubsample", "Preconditioned", "HessianDiagonal", "Minibatched", "ClassCount",
           "gd", "sgd", "lbfgs", "newton", "proximal"]

SOLVERS = {"gd": gd, "sgd": sgd, "lbfgs": lbfgs, "newton": newton, "proximal": proximal}

#: Keywords every solver takes; the others of its signature are its own settings (:func:`solver_options`).
COMMON_OPTIONS = ("max_iter", "tol", "callback", "verbose")

#: Solvers that handle a non-smooth penalty (an l1 term: penalty "l1" or "elasticnet"), as each declares
#: by its ``handles_nonsmooth`` attribute.
L1_SOLVERS = tuple(name for name, solver in SOLVERS.items() if solver.handles_nonsmooth)


def solver_options(name):
    """The settings solver ``name`` takes besides ``max_iter``, ``tol``, ``callback`` and ``verbose``: the
    keyword-only parameters of its signature (read once per solver).

    Examples
    --------
    >>> from crossentropy.solvers import solver_options
    >>> solver_options("lbfgs"), solver_options("gd")
    (('memory',), ('learning_rate', 'line_search'))
    """
    return _keyword_options(SOLVERS[check_solver(name)])


@functools.lru_cache(maxsize=None)
def _keyword_options(solver):
    params = inspect.signature(solver).parameters.values()
    return tuple(p.name for p in params if p.kind is p.KEYWORD_ONLY and p.name not in COMMON_OPTIONS)


def check_solver(name, *, l1=False, auto=False, choices=None):
    """Return ``name`` after checking it names a solver that can run the problem; ValueError otherwise.

    The one place a solver name is checked. The error names ``solver``, the bad value and the
    choices.

    Parameters
    ----------
    name : str
        The solver asked for.
    l1 : bool, default False
        The objective has an l1 term: only :data:`L1_SOLVERS` (and "auto") are accepted.
    auto : bool, default False
        Accept ``"auto"`` too (the caller then picks a solver by cost).
    choices : iterable of str, optional
        The solvers the caller can run (default: all of :data:`SOLVERS`), e.g. without the
        stochastic ones on Dask input.

    Returns
    -------
    str

    Examples
    --------
    >>> from crossentropy.solvers import check_solver
    >>> check_solver("newton", l1=True)
    'newton'
    >>> check_solver("lbfgs", l1=True)
    Traceback (most recent call last):
    ...
    ValueError: solver='lbfgs' cannot handle an l1 term (penalty 'l1' or 'elasticnet'); use one of ['gd', 'sgd', 'newton', 'proximal']
    """
    names = list(SOLVERS) if choices is None else [c for c in SOLVERS if c in set(choices)]
    allowed = (["auto"] if auto else []) + names
    if not isinstance(name, str) or name not in allowed:
        shown = ("'auto' or one of " if auto else "one of ") + str(sorted(names))
        raise ValueError(f"solver must be {shown}, got {name!r}")
    if l1 and name != "auto" and name not in L1_SOLVERS:
        ok = (["auto"] if auto else []) + [c for c in L1_SOLVERS if c in names]
        raise ValueError(f"solver={name!r} cannot handle an l1 term (penalty 'l1' or 'elasticnet'); use one of {ok}")
    return name


def get_solver(name):
    """Return the solver function called ``name`` (checked by :func:`check_solver`).

    Examples
    --------
    >>> from crossentropy.solvers import get_solver
    >>> get_solver("lbfgs").__name__
    'lbfgs'
    """
    return SOLVERS[check_solver(name)]
