"""Accelerated proximal gradient (FISTA) with backtracking and adaptive restart, for l1 and elastic net."""

from __future__ import annotations

import numpy as np

from ._base import Progress, backtrack_prox, curvature, vdot

__all__ = ["proximal"]


def proximal(objective, coef0, *, max_iter=1000, tol=1e-4, callback=None, verbose=0, learning_rate=None):
    r"""Minimise :math:`f(\theta) + \lambda_1\lVert\theta_{\mathcal P}\rVert_1` by FISTA.

    .. math::
        \theta_{k} = S_{\eta\lambda_1}\big(\phi_k - \eta \nabla f(\phi_k)\big), \qquad
        t_{k+1} = \tfrac{1 + \sqrt{1 + 4 t_k^2}}{2}, \qquad
        \phi_{k+1} = \theta_k + \tfrac{t_k - 1}{t_{k+1}}(\theta_k - \theta_{k-1})

    with :math:`S` the soft-threshold (exact zeros), :math:`\eta` found by backtracking on the
    sufficient-decrease condition (and allowed to grow again by 10 % per iteration), and the momentum
    reset whenever the step :math:`\theta_k - \theta_{k-1}` makes an obtuse angle with the gradient
    mapping :math:`\phi_k - \theta_k` (O'Donoghue & Candès' gradient restart, which unlike the
    function-value test is not fooled by rounding near the minimum). Works for any size of
    problem: it needs only gradients. Stops when the minimum-norm subgradient's max-norm is at most ``tol``.

    Parameters
    ----------
    objective : Objective
    coef0 : ndarray of shape (n_coef,)
    max_iter : int, default 1000
    tol : float, default 1e-4
    callback : callable ``callback(state)``, optional
        Called after every iteration with an :class:`~crossentropy.solvers.IterationState`; a true
        return value (or ``StopIteration``) stops the run after that iteration.
    verbose : int, default 0
    learning_rate : float, optional
        First step :math:`\eta` (default :math:`1/L` from power iteration).

    Returns
    -------
    SolverResult

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import LinearObjective
    >>> from crossentropy.solvers import proximal
    >>> X = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, 0.1], [3.0, -1.0]]); y = np.array([0, 1, 0, 1])
    >>> res = proximal(LinearObjective(X, y, n_classes=2, scale=0.25, l1=0.05), np.zeros(3), tol=1e-9)
    >>> res.converged, res.coef.round(4)
    (True, array([ 0.    , -1.2567,  0.2215]))

    References
    ----------
    Beck & Teboulle, *A fast iterative shrinkage-thresholding algorithm for linear inverse problems*,
    SIAM J. Imaging Sci. 2 (2009); O'Donoghue & Candès, *Adaptive restart for accelerated gradient
    schemes*, Found. Comput. Math. 15 (2015).
    """
    x = np.array(coef0, dtype=np.float64, copy=True)
    eta = float(learning_rate) if learning_rate is not None else 1.0 / curvature(objective, x)
    run = Progress(callback, verbose, "proximal", objective=objective, tol=tol)
    fx, gx = objective.loss_gradient(x)
    if run.at_start(x, gx):
        return run.result(x, 0, True)
    y, fy, gy, t = x, fx, gx, 1.0
    for it in range(1, int(max_iter) + 1):
        xn, fn, gn, eta = backtrack_prox(objective, y, fy, gy, eta)
        met = run.step(it, xn, fn + objective.nonsmooth(xn), gn)
        if met or run.stopped:
            return run.result(xn, it, met)
        if vdot(y - xn, xn - x) > 0:  # gradient restart: the step turned against the momentum
            t = 1.0
            y, fy, gy = xn, fn, gn
        else:
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            beta = (t - 1.0) / t_new
            t = t_new
            if beta == 0.0:
                y, fy, gy = xn, fn, gn
            else:
                y = xn + beta * (xn - x)
                fy, gy = objective.loss_gradient(y)
        x = xn
        eta *= 1.1
    return run.result(x, max_iter, False)


#: A non-smooth penalty (l1, elastic net) is handled by its proximal step.
proximal.handles_nonsmooth = True
