r"""A weighted logistic regression on a few columns, by Newton's method: the fit behind Platt and beta scaling.

Minimises

.. math::
    L(\theta) = \sum_i w_i\,\bigl[\log(1 + e^{\eta_i}) - t_i \eta_i\bigr] + \tfrac{\lambda}{2}\lVert\theta_{1:}\rVert^2,
    \qquad \eta = X\theta,

with targets :math:`t_i \in [0, 1]` (soft targets allowed: Platt's), ``X`` of shape (n, p) with a
first column of ones (the intercept, never penalised), and :math:`\lambda \ge 0` (zero: maximum
likelihood). The loss is convex; Newton steps are halved until the loss does not increase, and the
iteration stops when the largest gradient entry is below ``tol`` times the total weight.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit


def _loss(theta, X, t, w, lam):
    eta = X @ theta
    return float(np.sum(w * (-log_expit(-eta) - t * eta)) + 0.5 * lam * np.sum(theta[1:] ** 2))


def fit_logistic(X, t, w, *, lam: float = 0.0, tol: float = 1e-12, max_iter: int = 200, theta0=None):
    """Coefficients ``theta`` (p,) minimising the weighted logistic loss above."""
    n, p = X.shape
    theta = np.zeros(p) if theta0 is None else np.asarray(theta0, np.float64).copy()
    if theta0 is None:  # start from the weighted mean target: one Newton step less
        tbar = np.clip(np.sum(w * t) / np.sum(w), 1e-12, 1 - 1e-12)
        theta[0] = np.log(tbar / (1 - tbar))
    pen = np.r_[0.0, np.full(p - 1, lam)]
    scale = float(np.sum(w))
    loss = _loss(theta, X, t, w, lam)
    for _ in range(max_iter):
        mu = expit(X @ theta)
        grad = X.T @ (w * (mu - t)) + pen * theta
        if np.max(np.abs(grad)) <= tol * scale:
            break
        hess = (X * (w * mu * (1 - mu))[:, None]).T @ X + np.diag(pen)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        size = 1.0
        while True:
            cand = theta - size * step
            new = _loss(cand, X, t, w, lam)
            if new <= loss or size < 1e-10:
                break
            size *= 0.5
        if new > loss:  # no decrease along the Newton direction: at the optimum to rounding
            break
        theta, loss = cand, new
        if np.max(np.abs(size * step)) <= 1e-15 * max(1.0, np.max(np.abs(theta))):
            break
    return theta
