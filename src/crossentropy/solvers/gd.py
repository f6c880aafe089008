"""Full-batch gradient descent, exactly as the textbook writes it (with an optional line search)."""

from __future__ import annotations

import numpy as np

from ._base import Progress, backtrack_prox, curvature, prox_step

__all__ = ["gd"]


def gd(objective, coef0, *, max_iter=100, tol=1e-4, callback=None, verbose=0, learning_rate=None, line_search=None):
    r"""Minimise the objective by gradient descent, :math:`\theta \leftarrow \theta - \eta\,\nabla J(\theta)`.

    With a fixed ``learning_rate`` :math:`\eta` this is the update of every textbook, nothing added.
    With ``line_search`` (the default when no learning rate is given) each iteration starts from twice
    the last accepted step and halves it until the sufficient-decrease condition
    :math:`f(\theta^+) \le f(\theta) + \nabla f^\top(\theta^+ - \theta) + \lVert\theta^+ - \theta\rVert^2/(2\eta)`
    holds (backtracking; the first :math:`\eta` is :math:`1/L` with :math:`L` the largest Hessian
    eigenvalue at the start, from power iteration). With an l1 term the step is the proximal one,
    :math:`\theta^+ = S_{\eta\lambda_1}(\theta - \eta\nabla f)` (ISTA), which gives exact zeros.
    Stops when :math:`\lVert \nabla J \rVert_\infty \le` ``tol`` (minimum-norm subgradient with l1).

    Parameters
    ----------
    objective : Objective
    coef0 : ndarray of shape (n_coef,)
    max_iter : int, default 100
    tol : float, default 1e-4
    callback : callable ``callback(state)``, optional
        Called after every iteration with an :class:`~crossentropy.solvers.IterationState`; a true
        return value (or ``StopIteration``) stops the run after that iteration.
    verbose : int, default 0
    learning_rate : float, optional
        The step :math:`\eta`; None means a backtracking line search from :math:`1/L`.
    line_search : bool, optional
        Backtrack from ``learning_rate`` (default: only when ``learning_rate`` is None).

    Returns
    -------
    SolverResult

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import LinearObjective
    >>> from crossentropy.solvers import gd
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 1, 0, 1])
    >>> obj = LinearObjective(X, y, n_classes=2, scale=0.25, l2=0.25)
    >>> res = gd(obj, np.zeros(2), learning_rate=1.0, max_iter=500, tol=1e-8)
    >>> res.converged, res.n_iter, res.coef.round(4)   # scikit-learn (C=1): [0.4529], [-0.6793]
    (True, 143, array([ 0.4529, -0.6793]))

    References
    ----------
    Cauchy, *Méthode générale pour la résolution des systèmes d'équations simultanées*, C. R. Acad. Sci.
    25 (1847); Beck & Teboulle, *A fast iterative shrinkage-thresholding algorithm*, SIAM J. Imaging
    Sci. 2 (2009) (backtracking and the proximal step).
    """
    coef = np.array(coef0, dtype=np.float64, copy=True)
    if learning_rate is not None and not float(learning_rate) > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
    search = learning_rate is None if line_search is None else bool(line_search)
    eta = float(learning_rate) if learning_rate is not None else 1.0 / curvature(objective, coef)
    run = Progress(callback, verbose, "gd", objective=objective, tol=tol)
    f, g = objective.loss_gradient(coef)
    if run.at_start(coef, g):
        return run.result(coef, 0, True)
    for it in range(1, int(max_iter) + 1):
        if search:
            new, fn, gn, eta = backtrack_prox(objective, coef, f, g, 2.0 * eta)
        else:
            new = prox_step(objective, coef, g, eta)
            fn, gn = objective.loss_gradient(new)
        coef, f, g = new, fn, gn
        met = run.step(it, coef, f + objective.nonsmooth(coef), g)
        if met or run.stopped:
            return run.result(coef, it, met)
    return run.result(coef, max_iter, False)


#: A non-smooth penalty (l1, elastic net) is handled by its proximal step.
gd.handles_nonsmooth = True
