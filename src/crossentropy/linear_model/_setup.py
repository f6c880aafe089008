r"""The one fit set-up of logistic/softmax regression, shared by the in-memory and the Dask fit.

Both fits minimise scikit-learn's objective scaled by :math:`1/(C S)`,

.. math::
    J(\theta) = \frac{1}{S}\sum_i s_i\,\ell_i(\theta) + \frac{1-\rho}{C S}\,\tfrac12\lVert w\rVert^2
                + \frac{\rho}{C S}\lVert w\rVert_1, \qquad S = \sum_i s_i,

with :math:`s_i` the sample weight times the class weight of row :math:`i` (class weights from
the sample-weighted class counts, scikit-learn's rule: :func:`crossentropy._validation.class_weight_vector`).
This module checks the estimator's parameters (:func:`check_params`), takes the class weights
(:func:`class_weights`, with the row weights in :mod:`._weights`) and computes the penalty scaling (:func:`penalty_terms`), chooses the solver
(:func:`choose_solver`), runs it and stores the fitted attributes (:func:`run_solver`). The in-memory
fit builds a :class:`~crossentropy.objective.LinearObjective` (:func:`fit_in_memory`); the Dask fit
(:func:`fit_dask`) asks :mod:`crossentropy.distributed` for the data side only (checked and summarised
Dask inputs, the Dask objective) and does the rest here.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
from sklearn.utils import check_random_state

from .. import distributed
from .._validation import as_float_array, check_bool, check_int, check_option, check_real
from ..exceptions import ConvergenceWarning
from ..losses._reduction import scaled_by
from ..objective import CACHE_ELEMENTS, CoefLayout, LinearObjective
from ..solvers import SOLVER_OPTIONS, SOLVERS, check_solver
from ..solvers.newton import choose_step
from ..solvers.working_set import HessianBlock
from ._separation import check_separation
from ._weights import check_feature_range, class_weights, fit_row_weights, row_weights

__all__ = ["PENALTIES", "DASK_SOLVERS", "PERSIST_OPTIONS", "check_params", "class_weights", "row_weights",
           "fit_row_weights", "check_feature_range",
           "penalty_terms", "choose_solver", "coef_vector", "coefficient_arrays", "set_coefficients",
           "with_coefficients", "run_solver", "fit_in_memory", "fit_dask",
           "memory_objective", "dask_objective"]

PENALTIES = ("l2", "l1", "elasticnet", None, "firth")
#: Solvers that run on Dask input (all but the minibatch one, which needs random rows).
DASK_SOLVERS = ("auto", "newton", "lbfgs", "gd", "proximal")
PERSIST_OPTIONS = ("auto", True, False)
#: Largest penalty weight 1/(C S) (:func:`penalty_terms`): beyond it the float64 objective would overflow.
PENALTY_CAP = 1e300


def check_params(est, *, stacklevel=3) -> float:
    r"""Check the parameters of a ``LogisticRegression`` and return :math:`\rho`, the share of l1.

    :math:`\rho` = 0 for ``"l2"`` and None, 1 for ``"l1"``, ``l1_ratio`` for ``"elasticnet"``.

    Parameters
    ----------
    est : LogisticRegression
        Read only: ``penalty``, ``C``, ``l1_ratio``, ``solver``, ``max_iter``, ``tol``,
        ``learning_rate``, ``batch_size``.
    stacklevel : int
        For the warning about an ignored ``l1_ratio``.

    Returns
    -------
    float

    Raises
    ------
    ValueError, TypeError
        Naming the parameter and its value.

    Examples
    --------
    >>> from crossentropy import LogisticRegression
    >>> check_params(LogisticRegression(penalty="elasticnet", l1_ratio=0.25))
    0.25

    References
    ----------
    scikit-learn, ``sklearn.linear_model.LogisticRegression`` (the same parameters and meaning).
    """
    check_option(est.penalty, "penalty", PENALTIES)
    check_real(est.C, "C", low=0, low_open=True)
    check_solver(est.solver, auto=True)  # the registry names the choices
    if est.penalty == "elasticnet":
        if est.l1_ratio is None:
            raise ValueError("l1_ratio must be a number in [0, 1] for penalty='elasticnet', got None")
        rho = check_real(est.l1_ratio, "l1_ratio", low=0, high=1)
    else:
        if est.l1_ratio is not None:
            warnings.warn(f"l1_ratio={est.l1_ratio!r} is only used with penalty='elasticnet'; "
                          f"penalty={est.penalty!r} ignores it", UserWarning, stacklevel=stacklevel)
        rho = 1.0 if est.penalty == "l1" else 0.0
    if est.penalty == "firth" and est.solver not in ("auto", "newton"):
        raise ValueError(f"penalty='firth' is fitted by its own modified-score Newton iterations: solver must be "
                         f"'auto' or 'newton', got {est.solver!r}")
    check_solver(est.solver, l1=rho > 0, auto=True)
    check_int(est.max_iter, "max_iter", low=1)
    check_bool(est.flic, "flic")
    check_real(est.tol, "tol", low=0)
    check_real(est.learning_rate, "learning_rate", low=0, low_open=True, allow_none=True)
    check_int(est.batch_size, "batch_size", low=1, allow_none=True)
    return rho


def penalty_terms(penalty, C, rho, total_weight):
    r"""The scaling of scikit-learn's argmin: :math:`c = 1/S`, :math:`l_2 = (1-\rho)/(C S)`, :math:`l_1 = \rho/(C S)`.

    Parameters
    ----------
    penalty : {"l2", "l1", "elasticnet", None}
        None gives no penalty.
    C : float
    rho : float
        The share of l1 (:func:`check_params`).
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


def choose_solver(solver, objective) -> str:
    """The solver's name: ``solver`` itself, or for ``"auto"`` the rule of ``LogisticRegression``.

    ``"auto"``: Newton for a two-class l1 term when the objective has Hessian blocks (proximal Newton
    on working sets), FISTA (``"proximal"``) for other l1 terms when the Hessian is too large (over 2000
    coefficients or :math:`n p^2 > 5\\cdot10^{10}`), L-BFGS for an in-memory softmax problem whose
    (row, class) probabilities are too many to keep or whose K×K class factor costs more per Newton step
    than ``CLASS_FACTOR_GRADIENTS`` gradients (:meth:`LinearObjective.class_factor_costly`), else Newton.

    Parameters
    ----------
    solver : str
    objective : LinearObjective or DaskObjective

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import LinearObjective
    >>> choose_solver("auto", LinearObjective(np.eye(3), np.array([0, 1, 1]), n_classes=2))
    'newton'

    References
    ----------
    Nocedal and Wright, *Numerical Optimization* (2006), ch. 6-7 (Newton and L-BFGS costs).
    """
    if solver != "auto":
        return solver
    p = objective.n_coef
    if objective.l1 and objective.n_classes == 2 and isinstance(objective, HessianBlock):
        return "newton"  # proximal Newton on working sets: Hessian blocks of the support's size only
    if objective.l1 and not (p <= 2000 and objective.n_samples * p * p <= 5e10):
        return "proximal"
    if (isinstance(objective, LinearObjective) and not objective.l1 and objective.n_classes > 2
            and (objective.n_samples * objective.n_classes > CACHE_ELEMENTS or objective.class_factor_costly())):
        return "lbfgs"  # too many (row, class) probabilities to keep, or a K x K class factor dominating each step
    return "newton"


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


def coefficient_arrays(flat, objective):
    r"""The estimator's ``(coef, intercept)``, of shapes (1 or K, d) and (1 or K,), of a flat vector.

    Softmax: the intercepts are centred over the classes, and the coefficients too when there is no
    penalty (where the objective leaves them free), as scikit-learn does:
    :math:`b_k \leftarrow b_k - \bar b`.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from crossentropy.objective import CoefLayout
    >>> obj = SimpleNamespace(layout=CoefLayout(1, 3, True), l1=0.0, l2=1.0)
    >>> coefficient_arrays(np.array([1.0, 1.0, 2.0, 2.0, 3.0, 3.0]), obj)[1].tolist()
    [-1.0, 0.0, 1.0]

    References
    ----------
    scikit-learn, ``sklearn.linear_model.LogisticRegression`` (centred softmax intercepts).
    """
    coef, intercept = objective.layout.unpack(flat)
    if not objective.layout.binary:
        intercept = intercept - intercept.mean()
        if objective.l2 == 0 and objective.l1 == 0:
            coef = coef - coef.mean(axis=0)
    return np.ascontiguousarray(coef), np.ascontiguousarray(intercept)


def set_coefficients(est, flat, objective):
    """Store the flat solution as ``coef_`` and ``intercept_`` (:func:`coefficient_arrays`).

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from crossentropy.objective import CoefLayout
    >>> est = SimpleNamespace()
    >>> obj = SimpleNamespace(layout=CoefLayout(1, 2, False), l1=0.0, l2=1.0)
    >>> set_coefficients(est, np.array([0.5]), obj); est.coef_.tolist(), est.intercept_.tolist()
    ([[0.5]], [0.0])
    """
    est.coef_, est.intercept_ = coefficient_arrays(flat, objective)


def with_coefficients(callback, objective):
    """The solver callback that hands ``callback`` the solver's state with ``coef`` and ``intercept`` added.

    Each :class:`~crossentropy.solvers.IterationState` gets the estimator's view of its ``x``
    (:func:`coefficient_arrays`: what ``coef_`` and ``intercept_`` would be if the fit stopped
    there); what ``callback`` returns is passed on (a true value stops the solver). None stays None.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from crossentropy.objective import CoefLayout
    >>> from crossentropy.solvers import IterationState
    >>> obj = SimpleNamespace(layout=CoefLayout(1, 2, True), l1=0.0, l2=1.0)
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


def run_solver(est, objective, callback=None, *, solver=None, coef0=None, max_iter=None, state=None):
    """Run the solver on ``objective`` and store ``coef_``, ``intercept_``, ``n_iter_``, ``converged_``,
    ``loss_curve_``, ``solver_`` (and ``sgd_state_`` for ``"sgd"``) on ``est``.

    Parameters
    ----------
    est : LogisticRegression
    objective : LinearObjective or DaskObjective
    callback : callable ``callback(state)``, optional
        Called after every iteration with an :class:`~crossentropy.solvers.IterationState` whose
        ``coef`` and ``intercept`` are the estimator's (:func:`with_coefficients`); a true return
        value stops the solver there, without a ConvergenceWarning.
    solver : str, optional
        The solver's name (default :func:`choose_solver`).
    coef0 : ndarray of shape (n_coef,), optional
        Start (default zeros).
    max_iter : int, optional
        Default ``est.max_iter``.
    state : dict, optional
        The SGD state of ``partial_fit`` (one epoch by design: no ConvergenceWarning), or Newton's
        kept Hessian along a path (:func:`crossentropy.solvers.newton`).

    Returns
    -------
    crossentropy.solvers.SolverResult

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import LogisticRegression
    >>> from crossentropy.objective import LinearObjective
    >>> est = LogisticRegression(tol=1e-10)
    >>> est.classes_ = np.array([0, 1])
    >>> obj = LinearObjective(np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 1, 0, 1]), n_classes=2,
    ...                       scale=0.25, l2=0.25)
    >>> run_solver(est, obj).converged, est.coef_.round(4).tolist()
    (True, [[0.4529]])

    References
    ----------
    Nocedal and Wright, *Numerical Optimization* (2006).
    """
    name = choose_solver(est.solver, objective) if solver is None else solver
    if coef0 is None:
        coef0 = np.zeros(objective.n_coef)
    options = {"learning_rate": est.learning_rate, "batch_size": est.batch_size, "state": state}
    kwargs = {k: v for k, v in options.items() if k in SOLVER_OPTIONS[name]}
    if "random_state" in SOLVER_OPTIONS[name]:  # draw from a RandomState only when it is used
        kwargs["random_state"] = check_random_state(est.random_state).randint(np.iinfo(np.int32).max)
    max_iter = est.max_iter if max_iter is None else max_iter
    result = SOLVERS[name](objective, coef0, max_iter=max_iter, tol=float(est.tol),
                           callback=with_coefficients(callback, objective), verbose=est.verbose, **kwargs)
    if result.stalled:
        warnings.warn(f"solver {name!r} stopped at iteration {result.n_iter} without meeting tol={est.tol}: two "
                      "steps in a row moved the objective only by rounding without halving the gradient, which is at "
                      "the rounding floor of "
                      f"the data's dtype ({np.dtype(objective.dtype).name}); "
                      "loosen tol, or pass float64 data for a tighter optimum", ConvergenceWarning, stacklevel=4)
    elif not result.converged and not result.stopped and not (name == "sgd" and state is not None):  # partial_fit: one epoch by design
        warnings.warn(f"solver {name!r} did not converge within max_iter={max_iter} iterations "
                      f"(tol={est.tol}); increase max_iter, loosen tol or scale the features",
                      ConvergenceWarning, stacklevel=4)
    set_coefficients(est, result.coef, objective)
    est.n_iter_ = int(result.n_iter)
    est.converged_ = bool(result.converged)
    est.loss_curve_ = list(result.loss_curve)
    est.solver_ = name
    if name == "sgd":
        est.sgd_state_ = dict(result.state)
    return result


def fit_in_memory(est, X, y_enc, sample_weight, rho, callback=None, *, coef0=None, max_iter=None, state=None,
                  offset=None):
    r"""Fit ``est`` on checked in-memory data: class weights, scaling, solver.

    Parameters
    ----------
    est : LogisticRegression
        With ``classes_`` set.
    X : ndarray or CSR matrix of shape (n, d)
    y_enc : ndarray of shape (n,)
        Class positions in ``est.classes_``.
    sample_weight : ndarray of shape (n,)
        Checked, non-negative.
    rho : float
        From :func:`check_params`.
    callback, coef0, max_iter, state
        As in :func:`run_solver`.
    offset : ndarray of shape (n,) or (n, K), optional
        Checked fixed logit offsets (:func:`crossentropy._validation.check_offset`).

    Returns
    -------
    crossentropy.solvers.SolverResult

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import LogisticRegression
    >>> est = LogisticRegression(tol=1e-10, class_weight="balanced")
    >>> est.classes_ = np.array([0, 1])
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([0, 1, 1])
    >>> fit_in_memory(est, X, y, np.ones(3), 0.0).converged   # class weights 1.5, 0.75
    True

    References
    ----------
    scikit-learn, ``sklearn.linear_model.LogisticRegression``.
    """
    objective = memory_objective(est, X, y_enc, sample_weight, rho, offset=offset)
    result = run_solver(est, objective, callback, coef0=coef0, max_iter=max_iter, state=state)
    est.separation_, est.separated_features_ = None, []
    if est.penalty is None and state is None:  # the MLE may not exist: told from the margins (._separation)
        check_separation(est, X, y_enc, sample_weight)
    return result


def memory_objective(est, X, y_enc, sample_weight, rho, *, offset=None):
    """The in-memory objective of :func:`fit_in_memory` (row weights, penalty scaling, the rows' logit
    offsets), without the solver (the regularisation path builds it once and moves it along C).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import LogisticRegression
    >>> est = LogisticRegression(C=0.5); est.classes_ = np.array([0, 1])
    >>> obj = memory_objective(est, np.array([[0.0], [1.0]]), np.array([0, 1]), np.ones(2), 0.0)
    >>> obj.scale, obj.l2
    (0.5, 1.0)
    """
    sw, shift = fit_row_weights(est.class_weight, est.classes_, y_enc, sample_weight)
    C = float(scaled_by(float(est.C), shift))  # the weights divided by 2**shift: C multiplied by it
    objective = LinearObjective(X, y_enc, None if np.all(sw == 1) else sw, n_classes=len(est.classes_),
                                fit_intercept=est.fit_intercept, offset=offset,
                                **penalty_terms(est.penalty, C, rho, float(sw.sum())))
    objective.weight_shift = shift  # the path moves C: it is multiplied by the same 2**shift
    return objective


def fit_dask(est, X, y, sample_weight=None, *, offset=None, callback=None, persist="auto"):
    r"""Fit ``est`` on Dask input: the data side from :func:`crossentropy.distributed.training_data`.

    The same objective as in memory; each solver step is a pass over the chunks on the workers.
    Sets, besides the attributes of :func:`run_solver`, ``classes_``, ``n_features_in_``,
    ``feature_names_in_`` (string column names of a Dask DataFrame) and ``n_passes_``.

    .. math::
        \nabla J(\theta) = \frac1S \sum_{\text{chunks } j}\;\sum_{i \in B_j} s_i \nabla \ell_i(\theta)
                           + \frac{1-\rho}{C S} w

    Parameters
    ----------
    est : LogisticRegression
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n, d)
    y : Dask or in-memory array of shape (n,)
    sample_weight : Dask or in-memory array of shape (n,), optional
    offset : Dask or in-memory array of shape (n,), (n, 1) or (n, K), optional
        Fixed logit offsets, chunked like the rows.
    callback : callable ``callback(state)``, optional
        As in :func:`run_solver` (called on the client, where the solver runs).
    persist : {"auto", True, False}
        See :meth:`crossentropy.LogisticRegression.fit`.

    Returns
    -------
    est

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from crossentropy import LogisticRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array(["no", "yes", "no", "yes"])
    >>> est = fit_dask(LogisticRegression(tol=1e-10), da.from_array(X, chunks=(2, 1)), da.from_array(y, chunks=2))
    >>> est.coef_.round(4), est.intercept_.round(4)   # the in-memory fit: [[0.4529]], [-0.6793]
    (array([[0.4529]]), array([-0.6793]))

    References
    ----------
    Chu et al., *Map-Reduce for machine learning on multicore*, NIPS (2006), §4.2.
    """
    rho = check_params(est, stacklevel=4)
    if est.solver not in DASK_SOLVERS:
        raise ValueError(f"solver={est.solver!r} is not available for Dask input: it needs random "
                         f"minibatches; use one of {list(DASK_SOLVERS)}")
    check_option(persist, "persist", PERSIST_OPTIONS)
    if est.penalty == "firth":
        raise ValueError("penalty='firth' fits in-memory X only (a NumPy array, DataFrame or CSR matrix), "
                         "got a Dask collection")
    if y is None:
        raise ValueError("y must be given to fit a classifier, got None")
    data = distributed.training_data(X, y, sample_weight, offset=offset, persist=persist)
    cw, total = class_weights(est.class_weight, data.classes, data.weighted_counts)
    if not np.isfinite(total):
        raise ValueError("sample_weight times class_weight sums to more than float64 holds (1.8e308): divide "
                         "the weights by a common factor, which does not change the fit")
    est.classes_ = data.classes
    est.n_features_in_ = data.n_features
    if data.feature_names is not None:
        est.feature_names_in_ = data.feature_names
    elif hasattr(est, "feature_names_in_"):
        del est.feature_names_in_
    objective, name = dask_objective(est, data, cw, total, rho)
    coef0 = coef_vector(est) if est.warm_start else None
    run_solver(est, objective, callback, solver=name, coef0=coef0)
    est.n_passes_ = objective.n_passes
    return est


def dask_objective(est, data, cw, total, rho):
    """The Dask objective of ``data`` (a :class:`~crossentropy.distributed.TrainingData`) for ``est``'s
    penalty, and the solver's name, readied for Newton: the part of :func:`fit_dask` after the checks
    (the regularisation path on Dask builds it once per fold).

    Returns
    -------
    (DaskObjective, str)
    """
    objective = data.objective(cw, fit_intercept=est.fit_intercept, **penalty_terms(est.penalty, est.C, rho, total))
    name = choose_solver(est.solver, objective)
    if name == "newton":
        # Newton asks for the Hessian at every point its line search accepts (Cholesky steps, or any
        # proximal Newton step): fetching it in the gradient's pass saves a round trip per iteration
        data.prepare_newton(objective, prefetch_hessian=bool(objective.l1) or choose_step(objective) == "cholesky")
    return objective, name
