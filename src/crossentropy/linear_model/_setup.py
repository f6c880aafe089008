r"""The one fit set-up of logistic/softmax regression, shared by the in-memory and the Dask fit.

Both fits minimise scikit-learn's objective scaled by :math:`1/(C S)`,

.. math::
    J(\theta) = \frac{1}{S}\sum_i s_i\,\ell_i(\theta) + \frac{1-\rho}{C S}\,\tfrac12\lVert w\rVert^2
                + \frac{\rho}{C S}\lVert w\rVert_1, \qquad S = \sum_i s_i,

with :math:`s_i` the sample weight times the class weight of row :math:`i` (class weights from
the sample-weighted class counts, scikit-learn's rule: :func:`crossentropy._validation.class_weight_vector`).
This module checks the estimator's parameters (:func:`check_params`), takes the class weights
(:func:`class_weights`, with the row weights in :mod:`._weights`), builds the record of what is fitted
(a :class:`~crossentropy.linear_model._problem.FitProblem`: the objective with its penalty, from
:func:`penalty_terms`), chooses the solver (:func:`choose_solver`), runs it
(:func:`~crossentropy.linear_model._problem.run_solver`, which returns a ``FitResult``) and copies the
result onto the estimator (:func:`~crossentropy.linear_model._problem.store_result`). The in-memory
fit builds a :class:`~crossentropy.objective.LinearObjective` (:func:`fit_in_memory`); the Dask fit
(:func:`fit_dask`) asks :mod:`crossentropy.distributed` for the data side only (checked and summarised
Dask inputs, the Dask objective) and does the rest here.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from .. import distributed
from .._validation import check_bool, check_int, check_option, check_real
from ..losses._reduction import scaled_by
from ..objective import CACHE_ELEMENTS, LinearObjective
from ..solvers import check_solver
from ..solvers.newton import choose_step
from ..solvers.working_set import HessianBlock
from ._problem import FitProblem, SolverSettings, coef_vector, penalty_terms, run_solver, store_result
from ._separation import check_separation
from ._weights import check_feature_range, class_weights, fit_row_weights, row_weights

__all__ = ["PENALTIES", "DASK_SOLVERS", "PATH_SOLVERS", "PERSIST_OPTIONS", "check_params", "check_solver_choice",
           "class_weights", "row_weights", "fit_row_weights", "check_feature_range",
           "penalty_terms", "choose_solver", "coef_vector", "run_solver", "store_result", "fit_in_memory", "fit_dask",
           "memory_problem", "dask_problem", "FitProblem", "SolverSettings"]

PENALTIES = ("l2", "l1", "elasticnet", None, "firth")
#: Solvers that run on Dask input (all but the minibatch one, which needs random rows).
DASK_SOLVERS = ("auto", "newton", "lbfgs", "gd", "proximal")
#: Solvers that follow a regularisation path (all but the minibatch one, which stops after max_iter epochs).
PATH_SOLVERS = DASK_SOLVERS
PERSIST_OPTIONS = ("auto", True, False)


def check_solver_choice(solver, penalty, rho, *, dask=False, path=False):
    """The one check of which solvers can run a fit: ``solver`` for ``penalty`` (share of l1 ``rho``), on
    Dask input (``dask``) or along a regularisation path (``path``); ValueError naming ``solver`` otherwise.

    Examples
    --------
    >>> check_solver_choice("lbfgs", "l2", 0.0, dask=True)
    'lbfgs'
    >>> check_solver_choice("sgd", "l2", 0.0, path=True)
    Traceback (most recent call last):
    ...
    ValueError: solver='sgd' cannot follow a regularisation path (it stops after max_iter epochs); use one of ['auto', 'newton', 'lbfgs', 'gd', 'proximal']
    """
    check_solver(solver, auto=True)  # the registry names the choices
    if penalty == "firth" and solver not in ("auto", "newton"):
        raise ValueError(f"penalty='firth' is fitted by its own modified-score Newton iterations: solver must be "
                         f"'auto' or 'newton', got {solver!r}")
    if dask and solver not in DASK_SOLVERS:
        raise ValueError(f"solver={solver!r} is not available for Dask input: it needs random "
                         f"minibatches; use one of {list(DASK_SOLVERS)}")
    if path and solver not in PATH_SOLVERS:
        raise ValueError(f"solver={solver!r} cannot follow a regularisation path (it stops after max_iter "
                         f"epochs); use one of {list(PATH_SOLVERS)}")
    return check_solver(solver, l1=rho > 0, auto=True)


def check_params(est, *, stacklevel=3, dask=False, path=False) -> float:
    r"""Check the parameters of a ``LogisticRegression`` and return :math:`\rho`, the share of l1.

    :math:`\rho` = 0 for ``"l2"`` and None, 1 for ``"l1"``, ``l1_ratio`` for ``"elasticnet"``.

    Parameters
    ----------
    est : LogisticRegression
        Read only: ``penalty``, ``C``, ``l1_ratio``, ``solver``, ``max_iter``, ``tol``,
        ``learning_rate``, ``batch_size``.
    stacklevel : int
        For the warning about an ignored ``l1_ratio``.
    dask, path : bool, default False
        The fit runs on Dask input, or along a regularisation path (:func:`check_solver_choice`).

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
    check_solver(est.solver, auto=True)  # the registry names the choices, before l1_ratio is read
    if est.penalty == "elasticnet":
        if est.l1_ratio is None:
            raise ValueError("l1_ratio must be a number in [0, 1] for penalty='elasticnet', got None")
        rho = check_real(est.l1_ratio, "l1_ratio", low=0, high=1)
    else:
        if est.l1_ratio is not None:
            warnings.warn(f"l1_ratio={est.l1_ratio!r} is only used with penalty='elasticnet'; "
                          f"penalty={est.penalty!r} ignores it", UserWarning, stacklevel=stacklevel)
        rho = 1.0 if est.penalty == "l1" else 0.0
    check_solver_choice(est.solver, est.penalty, rho, dask=dask, path=path)
    check_int(est.max_iter, "max_iter", low=1)
    check_bool(est.flic, "flic")
    check_real(est.tol, "tol", low=0)
    check_real(est.learning_rate, "learning_rate", low=0, low_open=True, allow_none=True)
    check_int(est.batch_size, "batch_size", low=1, allow_none=True)
    return rho


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
    smooth = objective.penalty.smooth
    if not smooth and objective.n_classes == 2 and isinstance(objective, HessianBlock):
        return "newton"  # proximal Newton on working sets: Hessian blocks of the support's size only
    if not smooth and not (p <= 2000 and objective.n_samples * p * p <= 5e10):
        return "proximal"
    if (isinstance(objective, LinearObjective) and smooth and objective.n_classes > 2
            and (objective.n_samples * objective.n_classes > CACHE_ELEMENTS or objective.class_factor_costly())):
        return "lbfgs"  # too many (row, class) probabilities to keep, or a K x K class factor dominating each step
    return "newton"


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
        As in :func:`~crossentropy.linear_model._problem.run_solver`.
    offset : ndarray of shape (n,) or (n, K), optional
        Checked fixed logit offsets (:func:`crossentropy._validation.check_offset`).

    Returns
    -------
    crossentropy.linear_model._problem.FitResult
        Also stored on ``est`` (:func:`~crossentropy.linear_model._problem.store_result`).

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
    problem = memory_problem(est, X, y_enc, sample_weight, rho, offset=offset)
    result = run_solver(problem, SolverSettings.from_estimator(est), callback,
                        solver=choose_solver(est.solver, problem.objective), coef0=coef0, max_iter=max_iter,
                        state=state)
    store_result(est, result)
    est.separation_, est.separated_features_ = None, []
    if est.penalty is None and state is None:  # the MLE may not exist: told from the margins (._separation)
        check_separation(est, X, y_enc, sample_weight)
    return result


def memory_problem(est, X, y_enc, sample_weight, rho, *, offset=None):
    """The in-memory :class:`FitProblem` of :func:`fit_in_memory` (row weights, penalty scaling, the rows'
    logit offsets), without the solver (the regularisation path builds it once and moves it along C).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import LogisticRegression
    >>> est = LogisticRegression(C=0.5); est.classes_ = np.array([0, 1])
    >>> problem = memory_problem(est, np.array([[0.0], [1.0]]), np.array([0, 1]), np.ones(2), 0.0)
    >>> problem.objective.scale, problem.objective.penalty
    (0.5, L2(strength=1.0))
    """
    sw, shift = fit_row_weights(est.class_weight, est.classes_, y_enc, sample_weight)
    C = float(scaled_by(float(est.C), shift))  # the weights divided by 2**shift: C multiplied by it
    objective = LinearObjective(X, y_enc, None if np.all(sw == 1) else sw, n_classes=len(est.classes_),
                                fit_intercept=est.fit_intercept, offset=offset,
                                **penalty_terms(est.penalty, C, rho, float(sw.sum())))
    return FitProblem(objective, est.classes_, est.penalty, float(est.C), rho, shift)


def fit_dask(est, X, y, sample_weight=None, *, offset=None, callback=None, persist="auto"):
    r"""Fit ``est`` on Dask input: the data side from :func:`crossentropy.distributed.training_data`.

    The same objective as in memory; each solver step is a pass over the chunks on the workers.
    Sets, besides the attributes of :func:`store_result`, ``classes_``, ``n_features_in_``,
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
        As in :func:`~crossentropy.linear_model._problem.run_solver` (called on the client, where the
        solver runs).
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
    rho = check_params(est, stacklevel=4, dask=True)
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
    problem, name = dask_problem(est, data, cw, total, rho)
    coef0 = coef_vector(est) if est.warm_start else None
    result = run_solver(problem, SolverSettings.from_estimator(est), callback, solver=name, coef0=coef0)
    store_result(est, dataclasses.replace(result, n_passes=problem.objective.n_passes))
    return est


def dask_problem(est, data, cw, total, rho):
    """The :class:`FitProblem` of ``data`` (a :class:`~crossentropy.distributed.TrainingData`) for ``est``'s
    penalty, and the solver's name, its objective readied for Newton: the part of :func:`fit_dask` after
    the checks (the regularisation path on Dask builds it once per fold).

    Returns
    -------
    (FitProblem, str)
    """
    objective = data.objective(cw, fit_intercept=est.fit_intercept, **penalty_terms(est.penalty, est.C, rho, total))
    name = choose_solver(est.solver, objective)
    if name == "newton":
        # Newton asks for the Hessian at every point its line search accepts (Cholesky steps, or any
        # proximal Newton step): fetching it in the gradient's pass saves a round trip per iteration
        data.prepare_newton(objective, prefetch_hessian=not objective.penalty.smooth
                            or choose_step(objective) == "cholesky")
    return FitProblem(objective, data.classes, est.penalty, float(est.C), rho), name
