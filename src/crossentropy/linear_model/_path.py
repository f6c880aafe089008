r"""The regularisation path of logistic/softmax regression: one warm-started fit per C.

Along a grid :math:`C_1 < C_2 < \dots < C_m` the minimisers of ``LogisticRegression``'s objective

.. math::
    \hat\theta(C) = \arg\min_\theta\; \frac1S\sum_i s_i\,\ell_i(\theta)
                    + \frac{1-\rho}{C S}\,\tfrac12\lVert w\rVert^2 + \frac{\rho}{C S}\lVert w\rVert_1

move continuously with C, so each fit starts from the previous one (the strongest penalty first,
where :math:`\hat w` is near 0). The objective, its scaling and the solvers are those of
:mod:`crossentropy.linear_model._setup`; each point's objective is built from the last one's data side
with its own penalty (:meth:`~crossentropy.linear_model._problem.FitProblem.at_C`).
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from ..solvers import solver_options
from .._validation import check_offset, check_real
from . import _setup
from ._logistic import LogisticRegression
from ._problem import SolverSettings, run_solver

__all__ = ["LogisticPath", "logistic_regression_path", "check_Cs", "path_on_problem", "fold_path"]


class LogisticPath(NamedTuple):
    """The fits along a grid of C, in the order of ``Cs``.

    Attributes
    ----------
    Cs : ndarray of shape (n_cs,)
    coefs : ndarray of shape (n_cs, 1 or K, d)
    intercepts : ndarray of shape (n_cs, 1 or K)
    n_iter : ndarray of int of shape (n_cs,)
    converged : ndarray of bool of shape (n_cs,)
    classes : ndarray of shape (K,)
    """

    Cs: np.ndarray
    coefs: np.ndarray
    intercepts: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    classes: np.ndarray


def check_Cs(Cs):
    """The grid of C: ``np.logspace(-4, 4, Cs)`` for an int (scikit-learn's grid), else the positive values given.

    Examples
    --------
    >>> check_Cs(3).tolist()
    [0.0001, 1.0, 10000.0]
    >>> check_Cs([0.1, 1]).tolist()
    [0.1, 1.0]
    """
    if isinstance(Cs, numbers.Integral) and not isinstance(Cs, bool):
        if Cs < 1:
            raise ValueError(f"Cs must be a positive int or a list of positive numbers, got {Cs!r}")
        return np.logspace(-4, 4, int(Cs))
    if isinstance(Cs, (str, bytes)) or not hasattr(Cs, "__len__") or len(Cs) == 0:
        raise ValueError(f"Cs must be a positive int or a non-empty list of positive numbers, got {Cs!r}")
    return np.array([check_real(c, "Cs", low=0, low_open=True) for c in Cs], dtype=np.float64)


def path_on_problem(problem, settings, Cs, *, solver=None, coef0=None, state=None):
    """Fit ``problem`` at every C of ``Cs``, smallest C first, each from the last.

    Each point is the problem's objective with the penalty of that C (:meth:`FitProblem.at_C
    <crossentropy.linear_model._problem.FitProblem.at_C>`: the data side and its caches shared). Newton
    starts each point where the last ended and without its subsample start (a point after the first
    starts at its neighbour's optimum, no farther than that subsample's; the first, at the strongest
    penalty, is near zero, where a few full steps with a kept Hessian cost less).

    Parameters
    ----------
    problem : FitProblem
    settings : SolverSettings
    Cs : ndarray of shape (n_cs,)
    solver : str, optional
        Default: :func:`~crossentropy.linear_model._setup.choose_solver` at each C.
    coef0 : ndarray of shape (n_coef,), optional
        Start of the first fit (default zeros).
    state : dict, optional
        Newton's state to start the first fit with (a data Hessian near ``coef0``: another training
        set's at the same point, which the lazy Hessian's checks then keep or replace).

    Returns
    -------
    (coefs, intercepts, n_iter, converged, first_state)
        As in :class:`LogisticPath`, in the order of ``Cs``; ``first_state``, Newton's state after the
        fit at the smallest C (None for other solvers), where another training set's path may start.
    """
    n_cs = len(Cs)
    layout = problem.layout
    rows = 1 if layout.binary else layout.n_classes
    d = layout.n_features
    coefs, intercepts = np.zeros((n_cs, rows, d)), np.zeros((n_cs, rows))
    n_iter, converged = np.zeros(n_cs, dtype=np.intp), np.zeros(n_cs, dtype=bool)
    state = {} if state is None else dict(state)  # Newton's data Hessian, kept while it steps well
    first_state = None
    for k, j in enumerate(np.argsort(Cs, kind="stable")):
        point = problem.at_C(float(Cs[j]))
        name = _setup.choose_solver(settings.solver, point.objective) if solver is None else solver
        result = run_solver(point, settings, solver=name, coef0=coef0, subsample_start=False,
                            state=state if "state" in solver_options(name) else None)
        coef0, state = result.flat, dict(result.state) if name == "newton" else {}
        if k == 0:
            first_state = state or None
        coefs[j], intercepts[j] = result.coef, result.intercept
        n_iter[j], converged[j] = result.n_iter, result.converged
    return coefs, intercepts, n_iter, converged, first_state


def _embed(coefs, intercepts, present, K):
    """Coefficients of a fit on the classes ``present`` (positions in 0..K-1) as a K-class model.

    An absent class has no rows, so its penalised coefficients stay at 0 and its intercept goes to
    :math:`-\\infty` (probability 0: a scorer that clips probabilities, as the log loss does, stays finite).
    A two-class fit :math:`z = w^\\top x + b` becomes the softmax rows :math:`\\pm (w, b)/2`.
    """
    n_cs, _, d = coefs.shape
    rows = 1 if K == 2 else K
    out_c, out_b = np.zeros((n_cs, rows, d)), np.full((n_cs, rows), -np.inf)
    if K == 2:  # one class present: probability 1 for it
        out_b[:] = np.inf if present[0] == 1 else -np.inf
        return out_c, out_b
    if len(present) == 1:
        out_b[:, present[0]] = 0.0
    elif len(present) == 2:
        lo, hi = present
        out_c[:, lo], out_c[:, hi] = -coefs[:, 0] / 2, coefs[:, 0] / 2
        out_b[:, lo], out_b[:, hi] = -intercepts[:, 0] / 2, intercepts[:, 0] / 2
    else:
        out_c[:, present], out_b[:, present] = coefs, intercepts
    return out_c, out_b


def _present_offset(offset, present, K):
    """The offset of a fit on the classes ``present`` only: their columns (softmax), or for two of
    K >= 3 classes the difference of theirs (the two-class logit that :func:`_embed` halves)."""
    if offset is None or K == 2:
        return offset
    if len(present) == 2:
        return offset[:, present[1]] - offset[:, present[0]]
    return offset[:, present]


def fold_path(est, X, y_enc, sample_weight, Cs, rho, *, coef0=None, state=None, offset=None):
    """The path of one training set, every class of ``est.classes_`` kept even when absent from it.

    Classes without (weighted) rows are left out of the fit and put back by :func:`_embed`, so the
    scores of the fold use every label (a fold missing a class gives finite scores). ``offset``: the
    rows' checked logit offsets, or None.

    Returns
    -------
    (coefs, intercepts, n_iter, converged, first_state)
        As in :func:`path_on_problem` (``coef0`` and ``state`` go to it; a fit without some classes
        has other shapes and starts from zeros).
    """
    classes = est.classes_
    K = len(classes)
    sw = _setup.row_weights(est.class_weight, classes, y_enc, sample_weight)
    present = np.flatnonzero(np.bincount(y_enc, weights=sw, minlength=K) > 0)
    if len(present) == K:
        problem = _setup.memory_problem(est, X, y_enc, sample_weight, rho, offset=offset)
        return path_on_problem(problem, SolverSettings.from_estimator(est), Cs, coef0=coef0, state=state)
    n_cs = len(Cs)
    if len(present) == 1:
        coefs, intercepts = _embed(np.zeros((n_cs, 1, X.shape[1])), np.zeros((n_cs, 1)), present, K)
        return coefs, intercepts, np.zeros(n_cs, dtype=np.intp), np.ones(n_cs, dtype=bool), None
    sub = LogisticRegression(**{**est.get_params(), "class_weight": None})
    sub.classes_ = classes[present]
    rows = np.flatnonzero(sw > 0)
    sub_y = np.searchsorted(present, y_enc[rows])
    sub_offset = _present_offset(None if offset is None else offset[rows], present, K)
    problem = _setup.memory_problem(sub, X[rows], sub_y, sw[rows], rho, offset=sub_offset)
    coefs, intercepts, n_iter, converged, _ = path_on_problem(problem, SolverSettings.from_estimator(sub), Cs)
    return (*_embed(coefs, intercepts, present, K), n_iter, converged, None)


def logistic_regression_path(X, y, *, Cs=10, penalty="l2", l1_ratio=None, sample_weight=None, class_weight=None,
                             fit_intercept=True, tol=1e-4, max_iter=100, solver="auto", classes=None, offset=None):
    r"""Logistic/softmax regression along a grid of C, each fit warm-started from the previous one.

    The fits run from the strongest penalty (smallest C) to the weakest; each minimises the objective
    of :class:`~crossentropy.LogisticRegression` at its C,

    .. math::
        \hat\theta(C) = \arg\min_\theta\; C \sum_i s_i\,\ell_i(\theta) + (1-\rho)\,\tfrac12\lVert w\rVert^2
                        + \rho\,\lVert w\rVert_1 ,

    so every point equals a cold ``LogisticRegression(C=c).fit(X, y)`` to the solver's tolerance.

    Parameters
    ----------
    X : array-like or CSR matrix of shape (n, d)
    y : array-like of shape (n,)
    Cs : int or sequence of float, default 10
        An int gives scikit-learn's grid ``np.logspace(-4, 4, Cs)``.
    penalty : {"l2", "l1", "elasticnet"}, default "l2"
    l1_ratio : float, optional
        :math:`\rho` for ``"elasticnet"``.
    sample_weight : array-like of shape (n,), optional
    class_weight : dict or "balanced", optional
    fit_intercept : bool, default True
    tol : float, default 1e-4
    max_iter : int, default 100
        Per point of the path.
    solver : str, default "auto"
        As in :class:`~crossentropy.LogisticRegression`.
    classes : array-like, optional
        All the labels (default those of ``y``); a label without rows is put back as in cross-validation.
    offset : array-like of shape (n,) or (n, 1) for two classes, (n, K) for K classes, optional
        Fixed logit offsets, as in :meth:`crossentropy.LogisticRegression.fit`.

    Returns
    -------
    LogisticPath
        ``coefs`` (n_cs, 1 or K, d), ``intercepts`` (n_cs, 1 or K), ``n_iter``, ``converged``, in
        the order of ``Cs``, and ``classes``.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import logistic_regression_path
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 1, 0, 1])
    >>> path = logistic_regression_path(X, y, Cs=[1.0, 0.01], tol=1e-10)
    >>> path.coefs[:, 0, 0].round(4)   # C = 1: LogisticRegression(C=1) gives 0.4529
    array([0.4529, 0.0099])

    References
    ----------
    Friedman, Hastie & Tibshirani, *Regularization paths for generalized linear models via
    coordinate descent*, J. Stat. Softw. 33 (2010); scikit-learn, ``sklearn.linear_model.LogisticRegressionCV``.
    """
    Cs = check_Cs(Cs)
    est = LogisticRegression(penalty=penalty, C=float(Cs[0]), l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                             solver=solver, max_iter=max_iter, tol=tol, class_weight=class_weight)
    rho = _setup.check_params(est, path=True)
    X, y_enc, sw = est._validate_fit_data(X, y, sample_weight, classes=classes)
    offset = check_offset(offset, X.shape[0], len(est.classes_))
    coefs, intercepts, n_iter, converged, _ = fold_path(est, X, y_enc, sw, Cs, rho, offset=offset)
    return LogisticPath(Cs, coefs, intercepts, n_iter, converged, est.classes_)
