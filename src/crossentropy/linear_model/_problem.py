r"""A problem record in, a result record out: what a logistic/softmax fit minimises, and what it found.

:class:`FitProblem` is the one record of what is fitted: the objective (the data, the row weights,
the coefficient layout, the offsets and the penalty, :class:`~crossentropy.objective.LinearObjective`
in memory or the Dask objective) with the classes and the estimator's penalty parameters, from which
:meth:`FitProblem.at_C` builds the problem of another C on the same data side.
:class:`SolverSettings` are the estimator's solver parameters; :func:`run_solver` runs the solver
on a problem and returns a :class:`FitResult`, and :func:`store_result` is the one place the
estimator's fitted attributes are written from it.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.utils import check_random_state

from .._blas import for_own_threads, for_products
from .._validation import as_float_array
from ..exceptions import ConvergenceWarning
from ..losses._reduction import scaled_by
from ..objective import CoefLayout, make_penalty
from ..solvers import SOLVERS, solver_options

__all__ = ["PENALTY_CAP", "SolverSettings", "FitProblem", "FitResult", "penalty_terms", "coefficient_arrays",
           "with_coefficients", "coef_vector", "run_solver", "store_result"]

#: Largest penalty weight 1/(C S) (:func:`penalty_terms`): beyond it the float64 objective would overflow.
PENALTY_CAP = 1e300


def penalty_terms(penalty, C, rho, total_weight):
    r"""The scaling of scikit-learn's argmin: :math:`c = 1/S`, :math:`l_2 = (1-\rho)/(C S)`, :math:`l_1 = \rho/(C S)`.

    Parameters
    ----------
    penalty : {"l2", "l1", "elasticnet", None}
        None gives no penalty.
    C : float
    rho : float
        The share of l1 (:func:`~crossentropy.linear_model._setup.check_params`).
    total_weight : float
        :math:`S`.

    Returns
    -------
    dict
        ``scale``, ``l2``, ``l1``: the keywords of :class:`~crossentropy.objective.LinearObjective`
        and :class:`~crossentropy.distributed.DaskObjective`.

    Examples
    --------
    >>> penalty_terms("elasticnet", 0.5, 0.25, 4.0)
    {'scale': 0.25, 'l2': 0.375, 'l1': 0.125}

    References
    ----------
    scikit-learn user guide, *Logistic regression* (the objective of ``LogisticRegression``).
    """
    S = float(total_weight)
    with np.errstate(over="ignore", divide="ignore"):
        inv = 0.0 if penalty is None else float(1.0 / (np.float64(C) * S))
    # C S below 1e-300 (C = 1e-320, or subnormal sample weights): the penalty outweighs the data by more
    # than 1e300 and the coefficients are 0 to within 1e-300 of the data terms; capped so it stays finite
    inv = min(inv, PENALTY_CAP)
    return {"scale": 1.0 / S, "l2": (1 - rho) * inv, "l1": rho * inv}


@dataclass(frozen=True)
class SolverSettings:
    """The estimator's solver parameters, read once (:meth:`from_estimator`).

    Attributes
    ----------
    solver : str
        A name of :data:`crossentropy.solvers.SOLVERS` or ``"auto"``.
    max_iter : int
    tol : float
    verbose : int
    learning_rate, batch_size, random_state
        Passed to the solvers whose signature takes them (:func:`crossentropy.solvers.solver_options`).
    """

    solver: str = "auto"
    max_iter: int = 100
    tol: float = 1e-4
    verbose: int = 0
    learning_rate: float | None = None
    batch_size: int | None = None
    random_state: object = None

    @classmethod
    def from_estimator(cls, est):
        """The settings of a ``LogisticRegression`` (its parameters of the same names).

        Examples
        --------
        >>> from crossentropy import LogisticRegression
        >>> SolverSettings.from_estimator(LogisticRegression(solver="lbfgs", tol=1e-8)).tol
        1e-08
        """
        return cls(est.solver, est.max_iter, float(est.tol), est.verbose, est.learning_rate, est.batch_size,
                   est.random_state)


@dataclass(frozen=True)
class FitProblem:
    r"""What is fitted: the objective and the estimator's penalty parameters that built it.

    Attributes
    ----------
    objective : LinearObjective or DaskObjective
        The data, row weights, layout, offsets and the :class:`~crossentropy.objective.Penalty`.
    classes : ndarray of shape (K,)
    penalty : {"l2", "l1", "elasticnet", None}
    C : float
    rho : float
        The share of l1.
    weight_shift : int, default 0
        The row weights are stored divided by :math:`2^{\text{shift}}` (so that any finite weights
        fit); C is multiplied by the same power when the penalty is computed.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import LinearObjective
    >>> obj = LinearObjective(np.eye(2), np.array([0, 1]), n_classes=2, scale=0.5, l2=1.0)
    >>> FitProblem(obj, np.array([0, 1]), "l2", 1.0, 0.0).at_C(4.0).objective.penalty
    L2(strength=0.125)
    """

    objective: object
    classes: np.ndarray
    penalty: str | None
    C: float
    rho: float
    weight_shift: int = 0

    @property
    def layout(self):
        return self.objective.layout

    def at_C(self, C):
        """The problem at another C: a new objective on the same data side (its caches shared,
        :meth:`~crossentropy.objective.LinearTerms.with_penalty`), with :math:`S = 1/\\text{scale}`."""
        shifted = float(scaled_by(float(C), self.weight_shift))
        terms = penalty_terms(self.penalty, shifted, self.rho, 1.0 / self.objective.scale)
        objective = self.objective.with_penalty(make_penalty(terms["l2"], terms["l1"]))
        return dataclasses.replace(self, objective=objective, C=float(C))


@dataclass(frozen=True)
class FitResult:
    """What a fit found, in the estimator's terms (:func:`store_result` copies it onto the estimator).

    Attributes
    ----------
    coef : ndarray of shape (1 or K, d)
    intercept : ndarray of shape (1 or K,)
    n_iter : int
    converged : bool
    loss_curve : list of float
        The objective after each iteration.
    fun : float or None
        The objective at ``coef`` (the last entry of ``loss_curve``; None when no iteration ran).
    solver : str
        The solver that ran.
    stopped : bool
        Whether the callback stopped it.
    state : dict
        What the solver needs to continue (``"sgd"``: its step counter; Newton: its kept Hessian).
    flat : ndarray of shape (n_coef,)
        The flat coefficient vector (where a path's next fit starts).
    n_passes : int or None
        Passes over the data of a Dask fit (None in memory).
    """

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: int
    converged: bool
    loss_curve: list
    fun: float | None
    solver: str
    stopped: bool = False
    state: dict = field(default_factory=dict)
    flat: np.ndarray | None = None
    n_passes: int | None = None


def coefficient_arrays(flat, objective):
    r"""The estimator's ``(coef, intercept)``, of shapes (1 or K, d) and (1 or K,), of a flat vector.

    Softmax: the intercepts are centred over the classes, and the coefficients too when there is no
    penalty (where the objective leaves them free), as scikit-learn does:
    :math:`b_k \leftarrow b_k - \bar b`.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from crossentropy.objective import CoefLayout, L2
    >>> obj = SimpleNamespace(layout=CoefLayout(1, 3, True), penalty=L2(1.0))
    >>> coefficient_arrays(np.array([1.0, 1.0, 2.0, 2.0, 3.0, 3.0]), obj)[1].tolist()
    [-1.0, 0.0, 1.0]

    References
    ----------
    scikit-learn, ``sklearn.linear_model.LogisticRegression`` (centred softmax intercepts).
    """
    coef, intercept = objective.layout.unpack(flat)
    if not objective.layout.binary:
        intercept = intercept - intercept.mean()
        if objective.penalty.is_zero:
            coef = coef - coef.mean(axis=0)
    return np.ascontiguousarray(coef), np.ascontiguousarray(intercept)


def with_coefficients(callback, objective):
    """The solver callback that hands ``callback`` the solver's state with ``coef`` and ``intercept`` added.

    Each :class:`~crossentropy.solvers.IterationState` gets the estimator's view of its ``x``
    (:func:`coefficient_arrays`: what ``coef_`` and ``intercept_`` would be if the fit stopped
    there); what ``callback`` returns is passed on (a true value stops the solver). None stays None.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from crossentropy.objective import CoefLayout, L2
    >>> from crossentropy.solvers import IterationState
    >>> obj = SimpleNamespace(layout=CoefLayout(1, 2, True), penalty=L2(1.0))
    >>> seen = []
    >>> with_coefficients(seen.append, obj)(IterationState(1, 0.5, np.array([2.0, -1.0])))
    >>> seen[0].coef.tolist(), seen[0].intercept.tolist()
    ([[2.0]], [-1.0])
    """
    if callback is None:
        return None

    def call(state):
        coef, intercept = coefficient_arrays(state.x, objective)
        return callback(dataclasses.replace(state, coef=coef, intercept=intercept))
    return call


def coef_vector(est):
    """The estimator's current (coef_, intercept_) as one flat vector (warm start), or None.

    Examples
    --------
    >>> from crossentropy import LogisticRegression
    >>> coef_vector(LogisticRegression().fit([[0.0], [1.0]], [0, 1])).shape
    (2,)
    """
    layout = CoefLayout(est.n_features_in_, len(est.classes_), est.fit_intercept)
    coef = getattr(est, "coef_", None)
    if coef is None or coef.shape != (layout.n_outputs, layout.n_features):
        return None
    return as_float_array(layout.pack(coef, est.intercept_), "warm_start=True starts from coef_ and intercept_, which")


def run_solver(problem, settings, callback=None, *, solver, coef0=None, max_iter=None, state=None,
               subsample_start=True, stacklevel=4):
    """Run the solver ``solver`` on ``problem`` with the estimator's ``settings``; a :class:`FitResult`.

    Parameters
    ----------
    problem : FitProblem
    settings : SolverSettings
    callback : callable ``callback(state)``, optional
        Called after every iteration with an :class:`~crossentropy.solvers.IterationState` whose
        ``coef`` and ``intercept`` are the estimator's (:func:`with_coefficients`); a true return
        value stops the solver there, without a ConvergenceWarning.
    solver : str
        The solver's name (``"auto"`` already resolved).
    coef0 : ndarray of shape (n_coef,), optional
        Start (default zeros).
    max_iter : int, optional
        Default ``settings.max_iter``.
    state : dict, optional
        The SGD state of ``partial_fit`` (one epoch by design: no ConvergenceWarning), or Newton's
        kept Hessian along a path (:func:`crossentropy.solvers.newton`); given to the solvers that
        take it.
    subsample_start : bool, default True
        Newton's start from a subsample's minimiser on large data; a path's points, each started at
        its neighbour's optimum, go without it.
    stacklevel : int, default 4
        Of the ConvergenceWarning (the caller of the estimator's ``fit``).

    Returns
    -------
    FitResult

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import LinearObjective
    >>> obj = LinearObjective(np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 1, 0, 1]), n_classes=2,
    ...                       scale=0.25, l2=0.25)
    >>> res = run_solver(FitProblem(obj, np.array([0, 1]), "l2", 1.0, 0.0), SolverSettings(tol=1e-10),
    ...                  solver="newton")
    >>> res.converged, res.coef.round(4).tolist()
    (True, [[0.4529]])

    References
    ----------
    Nocedal and Wright, *Numerical Optimization* (2006).
    """
    objective, name = problem.objective, solver
    if coef0 is None:
        coef0 = np.zeros(objective.n_coef)
    takes = solver_options(name)
    options = {"learning_rate": settings.learning_rate, "batch_size": settings.batch_size, "state": state,
               "subsample_start": subsample_start}
    kwargs = {k: v for k, v in options.items() if k in takes}
    if "random_state" in takes:  # draw from a RandomState only when it is used
        kwargs["random_state"] = check_random_state(settings.random_state).randint(np.iinfo(np.int32).max)
    max_iter = settings.max_iter if max_iter is None else max_iter
    # small X @ W: one BLAS thread; a binary fit's products are with a vector, its heavy work runs on
    # the package's own threads (compiled passes, Grams split by rows): BLAS kept on one thread
    threads = for_own_threads if getattr(objective, "n_classes", None) == 2 else for_products
    with threads(getattr(objective, "n_samples", np.inf) * objective.n_coef):
        result = SOLVERS[name](objective, coef0, max_iter=max_iter, tol=float(settings.tol),
                               callback=with_coefficients(callback, objective), verbose=settings.verbose, **kwargs)
    if result.stalled:
        warnings.warn(f"solver {name!r} stopped at iteration {result.n_iter} without meeting tol={settings.tol}: "
                      "two steps in a row moved the objective only by rounding without halving the gradient, which "
                      "is at the rounding floor of "
                      f"the data's dtype ({np.dtype(objective.dtype).name}); "
                      "loosen tol, or pass float64 data for a tighter optimum", ConvergenceWarning,
                      stacklevel=stacklevel)
    elif not result.converged and not result.stopped and not (name == "sgd" and state is not None):  # partial_fit: one epoch by design
        warnings.warn(f"solver {name!r} did not converge within max_iter={max_iter} iterations "
                      f"(tol={settings.tol}); increase max_iter, loosen tol or scale the features",
                      ConvergenceWarning, stacklevel=stacklevel)
    coef, intercept = coefficient_arrays(result.coef, objective)
    curve = list(result.loss_curve)
    return FitResult(coef, intercept, int(result.n_iter), bool(result.converged), curve,
                     curve[-1] if curve else None, name, bool(result.stopped), dict(result.state), result.coef)


def store_result(est, result):
    """Copy a :class:`FitResult` onto the estimator: ``coef_``, ``intercept_``, ``n_iter_``, ``converged_``,
    ``loss_curve_``, ``solver_`` and, for ``"sgd"``, ``sgd_state_``, for a Dask fit ``n_passes_``: the one
    place they are written.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> est = SimpleNamespace()
    >>> store_result(est, FitResult(np.ones((1, 2)), np.zeros(1), 3, True, [0.5, 0.4, 0.3], 0.3, "newton"))
    >>> est.coef_.tolist(), est.n_iter_, est.solver_
    ([[1.0, 1.0]], 3, 'newton')
    """
    est.coef_, est.intercept_ = result.coef, result.intercept
    est.n_iter_ = int(result.n_iter)
    est.converged_ = bool(result.converged)
    est.loss_curve_ = list(result.loss_curve)
    est.solver_ = result.solver
    if result.solver == "sgd":
        est.sgd_state_ = dict(result.state)
    if result.n_passes is not None:
        est.n_passes_ = int(result.n_passes)
