r"""Newton's method on an objective that forms its Hessian in the pass of the loss and gradient
(:class:`~crossentropy.solvers._base.FusedHessian`): which evaluation forms the Hessian, and the start
from a Hessian estimated on a share of the rows."""

from __future__ import annotations

from ._base import small_gap

__all__ = ["ESTIMATE_ROWS_PER_COEF", "PREDICTION_SAFETY", "estimated_start", "predicted_last"]

#: The predicted squared decrement after a step (:func:`predicted_last`) is multiplied by this before
#: it is compared with the gap test: the Hessian is formed with the step's evaluation unless the step
#: is clearly the last.
PREDICTION_SAFETY = 10.0

#: Newton's own lazy Hessians start from a Hessian estimated on the warm start's share of the rows
#: (``newton``'s warm start) where that share holds at least this many rows per coefficient: its relative
#: error, about :math:`\sqrt{p/m}`, then leaves about :math:`p/m \le 1\%` of the squared decrement
#: per step, which the full gradient's steps contract (a subsampled Newton method); fewer rows, and
#: the exact Hessian starts.
ESTIMATE_ROWS_PER_COEF = 100


def estimated_start(objective, lazy, coef, rows, min_rows):
    r"""``(f, g)`` at ``coef``, with ``lazy`` (Newton's kept Hessian) seeded by a Hessian estimated
    from about ``rows`` rows (the warm start's share), on at least ``min_rows`` rows and
    ``ESTIMATE_ROWS_PER_COEF`` rows per coefficient; None where it does not apply.

    References
    ----------
    Byrd, Chin, Neveitt & Nocedal, *On the use of stochastic Hessian information in optimization
    methods for machine learning*, SIAM J. Optim. 21 (2011);
    Roosta-Khorasani & Mahoney, *Sub-sampled Newton methods*, Math. Program. 174 (2019).
    """
    if objective.n_samples < min_rows or rows < ESTIMATE_ROWS_PER_COEF * objective.n_coef:
        return None
    out = objective.loss_gradient_hessian_estimate(coef, rows)
    if out is None:
        return None
    f, g, H = out
    lazy.seed(H, coef)
    return f, g


def predicted_last(decrement, previous, f, rtol):
    r"""Whether the step of squared Newton decrement ``decrement`` is predicted to end the run.

    It does when its own decrement passes the gap test (:func:`small_gap`), or when Newton's quadratic
    convergence, :math:`\lambda_{k+1} = C \lambda_k^2` with :math:`C` measured on the last step
    (:math:`\lambda_k / \lambda_{k-1}^2`), predicts a decrement after it,
    :math:`\lambda_k^6 / \lambda_{k-1}^4`, that passes it with a margin of ``PREDICTION_SAFETY``.
    Only which evaluation forms the Hessian depends on it: a wrong prediction costs a separate
    Hessian, never a different result.

    Examples
    --------
    >>> predicted_last(1e-3, None, 1.0, 1e-8), predicted_last(1e-5, 1e-2, 1.0, 1e-8)
    (False, True)
    """
    if small_gap(decrement, f, rtol):
        return True
    if previous is None or not previous > 0 or not decrement > 0:
        return False
    return small_gap(PREDICTION_SAFETY * decrement**3 / previous**2, f, rtol)
