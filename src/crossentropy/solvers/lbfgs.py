"""L-BFGS on the smooth objective (scipy's L-BFGS-B without bounds), stopped on the gradient's max-norm."""

from __future__ import annotations

import numpy as np
from scipy import optimize

from ._base import Progress

__all__ = ["lbfgs", "auto_memory"]

#: Largest L-BFGS-B workspace (bytes) the default number of correction pairs may take.
WORKSPACE_BYTES = 768 << 20


def auto_memory(n_coef, *, default=10, smallest=3):
    r"""Number of correction pairs: ``default``, fewer when their workspace would pass ``WORKSPACE_BYTES``.

    SciPy's L-BFGS-B keeps :math:`(2m + 5)\,n` float64 numbers for :math:`m` pairs of :math:`n`
    coefficients (the pairs themselves and five work vectors). With 10 pairs that is 1.3 GB for the
    6.45 million coefficients of a 50,000-class softmax regression; so the largest :math:`m \le`
    ``default`` whose workspace stays under the limit is used, but never fewer than ``smallest``.

    Parameters
    ----------
    n_coef : int
        Number of coefficients :math:`n`.
    default, smallest : int
        The number of pairs when memory allows, and the floor.

    Returns
    -------
    int

    Examples
    --------
    >>> from crossentropy.solvers.lbfgs import auto_memory
    >>> auto_memory(1_000), auto_memory(50_000 * 129)
    (10, 5)

    References
    ----------
    Byrd, Lu, Nocedal & Zhu, *A limited memory algorithm for bound constrained optimization*, SIAM J.
    Sci. Comput. 16 (1995), §3 (the workspace); Nocedal & Wright, *Numerical Optimization* (2006), §7.2
    (values of m between 3 and 20 work well in practice).
    """
    fits = (WORKSPACE_BYTES // (8 * max(1, int(n_coef))) - 5) // 2
    return int(max(smallest, min(default, fits)))


def lbfgs(objective, coef0, *, max_iter=100, tol=1e-4, callback=None, verbose=0, memory=None):
    r"""Minimise the smooth objective with limited-memory BFGS.

    Each iteration takes the quasi-Newton direction :math:`d = -B_k^{-1} \nabla f(\theta_k)` from the
    last ``memory`` pairs :math:`(s_j, y_j) = (\theta_{j+1} - \theta_j, \nabla f_{j+1} - \nabla f_j)` and a
    line search meeting the Wolfe conditions. Stops when :math:`\lVert \nabla f \rVert_\infty \le` ``tol``
    (scikit-learn's ``gtol``) or the objective stalls at rounding level.

    Parameters
    ----------
    objective : Objective
        Needs ``loss_gradient``; its ``penalty`` must be smooth.
    coef0 : ndarray of shape (n_coef,)
    max_iter : int, default 100
    tol : float, default 1e-4
    callback : callable ``callback(state)``, optional
        Called after every iteration with an :class:`~crossentropy.solvers.IterationState`; a true
        return value (or ``StopIteration``) stops the run after that iteration.
    verbose : int, default 0
    memory : int, optional
        Number of correction pairs; by default 10, fewer for millions of coefficients
        (:func:`auto_memory`).

    Returns
    -------
    SolverResult

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import LinearObjective
    >>> from crossentropy.solvers import lbfgs
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 1, 0, 1])
    >>> res = lbfgs(LinearObjective(X, y, n_classes=2, scale=0.25, l2=0.25), np.zeros(2), tol=1e-10)
    >>> res.converged, res.coef.round(4)
    (True, array([ 0.4529, -0.6793]))

    References
    ----------
    Liu & Nocedal, *On the limited memory BFGS method for large scale optimization*, Math. Programming
    45 (1989); Byrd, Lu, Nocedal & Zhu, SIAM J. Sci. Comput. 16 (1995).
    """
    if not objective.penalty.smooth:
        raise ValueError(f"lbfgs needs a smooth penalty, got {objective.penalty!r}; use 'newton' or 'proximal'")
    progress = Progress(callback, verbose, "lbfgs")
    memory = auto_memory(objective.n_coef) if memory is None else int(memory)
    if memory < 1:
        raise ValueError(f"memory must be a positive number of correction pairs, got {memory}")

    def on_iter(intermediate_result):
        if progress(len(progress.curve) + 1, intermediate_result.x, intermediate_result.fun):
            raise StopIteration  # SciPy's way to end the run after this iteration

    res = optimize.minimize(
        objective.loss_gradient,
        np.asarray(coef0, dtype=np.float64),
        method="L-BFGS-B",
        jac=True,
        callback=on_iter,
        options={"maxiter": int(max_iter), "maxls": 50, "gtol": float(tol), "ftol": 64 * np.finfo(float).eps,
                 "maxcor": memory, "maxfun": 10 * int(max_iter) + 50},
    )
    # status 0: gtol or ftol met; 1: iteration or evaluation limit; 2: the line search failed at
    # rounding level (common at a tight tol when the minimum is reached), judged by the gradient.
    # A stop asked by the callback: converged only if the gradient test holds there.
    g = res.jac
    gmax = float(np.max(np.abs(g))) if g.size else 0.0
    if progress.stopped:
        converged = gmax <= tol
    else:
        converged = res.status == 0 or (res.status == 2 and gmax <= max(tol, 1e3 * np.finfo(float).eps))
    return progress.result(np.asarray(res.x), res.nit, converged)


#: Smooth penalties only (the quasi-Newton model needs a gradient everywhere).
lbfgs.handles_nonsmooth = False
