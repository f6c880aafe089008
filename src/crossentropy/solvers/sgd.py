"""Minibatch stochastic gradient descent, resumable (for ``partial_fit``)."""

from __future__ import annotations

import numpy as np

from ._base import HessianDiagonal, Minibatched, Progress, curvature, prox_step

__all__ = ["sgd"]


def sgd(objective, coef0, *, max_iter=100, tol=1e-4, callback=None, verbose=0, learning_rate=None, batch_size=None,
        random_state=None, n_iter_no_change=5, state=None):
    r"""Minimise the objective by minibatch SGD, one epoch per iteration.

    Each epoch shuffles the rows and, for every minibatch :math:`B`, steps along the unbiased
    estimate of the gradient, :math:`\theta \leftarrow \theta - \eta_t\,D^{-1}\widehat{\nabla J}_B(\theta)`
    (proximal step with an l1 term), with the decaying step :math:`\eta_t = \eta_0/\sqrt{1 + t/m}`
    (:math:`t` counts minibatches, :math:`m` minibatches per epoch) and :math:`D` the diagonal of the
    Hessian at the start (``objective.hessian_diag``; the identity when the objective has none), so
    that features of different scales and the intercept learn at the same pace. The default
    :math:`\eta_0` is :math:`1/(2L(1 + \sqrt{p/|B|})^2)`, :math:`L` the largest eigenvalue of
    :math:`D^{-1/2} H D^{-1/2}` at the start (power iteration). After each
    epoch the full objective is evaluated (one pass) for ``loss_curve``; the run stops when it has
    not improved by more than ``tol`` (relative) for ``n_iter_no_change`` epochs in a row.

    Parameters
    ----------
    objective : Objective
        Needs ``batch_loss_gradient`` and ``n_samples``.
    coef0 : ndarray of shape (n_coef,)
    max_iter : int, default 100
        Epochs.
    tol : float, default 1e-4
    callback : callable ``callback(state)``, optional
        Called after every iteration with an :class:`~crossentropy.solvers.IterationState`; a true
        return value (or ``StopIteration``) stops the run after that iteration.
    verbose : int, default 0
    learning_rate : float, optional
        :math:`\eta_0`.
    batch_size : int, optional
        Rows per minibatch (default ``min(256, n)``).
    random_state : int, numpy Generator or None
    n_iter_no_change : int, default 5
    state : dict, optional
        ``state`` of an earlier result, to continue its step schedule (``partial_fit``).

    Returns
    -------
    SolverResult
        ``state`` holds ``t`` (minibatches done) and ``eta0``.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import LinearObjective
    >>> from crossentropy.solvers import sgd
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)); y = (X[:, 0] + 0.5 * rng.normal(size=200) > 0).astype(int)
    >>> obj = LinearObjective(X, y, n_classes=2, scale=1 / 200, l2=1 / 200)
    >>> res = sgd(obj, np.zeros(3), batch_size=20, max_iter=30, random_state=0)
    >>> bool(res.loss_curve[-1] < 0.9 * res.loss_curve[0])
    True

    References
    ----------
    Robbins & Monro, *A stochastic approximation method*, Ann. Math. Statist. 22 (1951); Bottou, Curtis &
    Nocedal, *Optimization methods for large-scale machine learning*, SIAM Review 60 (2018), §4.
    """
    if not isinstance(objective, Minibatched):
        raise TypeError(f"sgd needs an objective with batch_loss_gradient(coef, rows), got {type(objective).__name__}")
    coef = np.array(coef0, dtype=np.float64, copy=True)
    n = int(objective.n_samples)
    b = min(n, 256) if batch_size is None else int(batch_size)
    if b < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    rng = np.random.default_rng(random_state)
    state = dict(state or {})
    t = int(state.get("t", 0))
    if learning_rate is not None:
        eta0 = float(learning_rate)
        if not eta0 > 0:
            raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
    elif "eta0" in state:
        eta0 = float(state["eta0"])
    else:
        eta0 = None
    if "diag" in state:
        diag = np.asarray(state["diag"], dtype=np.float64)
    elif isinstance(objective, HessianDiagonal):
        diag = np.asarray(objective.hessian_diag(coef), dtype=np.float64)
    else:
        diag = np.ones(objective.n_coef)
    diag = np.maximum(diag, 1e-12 * max(float(diag.max()), np.finfo(float).tiny))
    if eta0 is None:
        root = 1.0 / np.sqrt(diag)

        class _Scaled:  # D^-1/2 H D^-1/2, for the power iteration
            n_coef = objective.n_coef

            @staticmethod
            def hessp(c, v):
                return root * objective.hessp(c, root * v)

        eta0 = 1.0 / (2.0 * curvature(_Scaled, coef) * (1.0 + np.sqrt(objective.n_coef / b)) ** 2)
    m = max(1, -(-n // b))
    progress = Progress(callback, verbose, "sgd")
    best, stall = np.inf, 0
    converged = False
    epoch = 0
    for epoch in range(1, int(max_iter) + 1):
        order = rng.permutation(n)
        for start in range(0, n, b):
            rows = np.sort(order[start:start + b])
            _, g = objective.batch_loss_gradient(coef, rows)
            coef = prox_step(objective, coef, g, (eta0 / np.sqrt(1.0 + t / m)) / diag)
            t += 1
        value = objective.loss(coef) + objective.nonsmooth(coef)
        stop = progress(epoch, coef, value)
        if value > best - tol * max(1.0, abs(best)):
            stall += 1
            if stall >= n_iter_no_change:
                converged = True
                break
        else:
            stall = 0
        best = min(best, value)
        if stop:
            break
    return progress.result(coef, epoch, converged, {"t": t, "eta0": eta0, "diag": diag})


#: A non-smooth penalty (l1, elastic net) is handled by its proximal step.
sgd.handles_nonsmooth = True
