r"""Proximal Newton on working sets: l1-penalised problems with many features, few of them non-zero.

Each iteration restricts the proximal Newton step to a working set :math:`W` of coordinates, the
current support, the unpenalised entries and the ``ws_size`` entries that most violate the
optimality conditions,

.. math::
    \min_{\delta_W}\; g_W^\top \delta_W + \tfrac12 \delta_W^\top H_{WW} \delta_W
        + \lambda_1 \sum_{j \in W \cap \mathcal P} |\theta_j + \delta_j|,

solved by the penalty's ``quadratic_step`` (for l1, coordinate descent:
:func:`~crossentropy.objective._cd.cd_quadratic_l1`) on the block
:math:`H_{WW}` alone (``objective.hessian_block``: :math:`n|W|^2` work instead of :math:`n p^2`),
then a backtracking line search on the full objective. On sparse X (two classes, an l1 or
elastic-net penalty: :class:`ColumnHessian`) no block is formed: coordinate descent reads the
Hessian from X's columns and the row weights
(:func:`~crossentropy.objective._cd.cd_columns_l1`, :math:`O(\mathrm{nnz}(X_W))` a sweep,
Anderson-extrapolated, stopped once no coordinate moves by more than
:data:`~crossentropy.solvers._columns.INNER_FORCING` of the outer violation), and the logits are
kept up to date instead of recomputed (:class:`~crossentropy.solvers._columns.LogisticColumns`).
The working set doubles at every
iteration (up to all coordinates), so the method ends as plain proximal Newton if it has to; on
sparse solutions it never forms the full Hessian. The stopping rule is Newton's (the minimum-norm
subgradient over *all* coordinates at most ``tol`` and the model decrease's relative gap,
:func:`~crossentropy.solvers.newton.small_gap`).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from ..objective.penalties import ElasticNet
from ._base import prox_newton_search, small_gap, vdot
from ._columns import LogisticColumns

__all__ = ["HessianBlock", "ColumnHessian", "violations", "working_set_newton", "WS_START"]

#: Size of the first working set (besides the support and the unpenalised entries).
WS_START = 64


@runtime_checkable
class HessianBlock(Protocol):
    """``hessian_block(coef, idx)``: rows and columns ``idx`` (sorted) of the smooth part's Hessian."""

    def hessian_block(self, coef: np.ndarray, idx: np.ndarray) -> np.ndarray: ...


@runtime_checkable
class ColumnHessian(Protocol):
    """Two classes: ``hessian_weights(coef)``, the data Hessian :math:`\\tilde X^\\top\\mathrm{diag}(h)\\tilde X`
    as its row weights, and ``columns()``, sparse X in CSC form (the Hessian read column by column)."""

    X: object
    n_classes: int

    def hessian_weights(self, coef: np.ndarray) -> np.ndarray: ...

    def columns(self) -> object: ...


def _by_columns(objective):
    """Whether the steps read X's columns: two classes, sparse X, an l1 (elastic-net) penalty, and more
    coefficients than a sweep over the formed block beats.

    A coordinate-descent sweep over X's columns costs a pass over their non-zeros, one over the formed
    block :math:`H_{WW}` at most :math:`p^2` operations. On wide data (text: :math:`p^2` far above
    nnz(X)) the block would cost more than the columns; on a table of a few one-hot columns
    (:math:`p^2` below nnz(X)) the block's sweeps are the cheaper ones, and there the columns of a
    category sum to the intercept's, which makes coordinate descent on the columns crawl (hundreds of
    sweeps where the block's solve needs a few).
    """
    from scipy import sparse

    X = objective.X
    return (isinstance(objective, ColumnHessian) and objective.n_classes == 2 and sparse.issparse(X)
            and isinstance(objective.penalty, ElasticNet) and objective.n_coef ** 2 > X.nnz)


class _Blocks:
    """Evaluations by the objective and steps from the formed block :math:`H_{WW}` (dense X: one BLAS product)."""

    def __init__(self, objective):
        self.objective = objective

    def start(self, coef):
        return self.objective.loss_gradient(coef)

    def violations(self, coef, g):
        return violations(self.objective, coef, g)

    def step(self, coef, g, W, viol):
        H = self.objective.hessian_block(coef, W)
        return self.objective.penalty.quadratic_step(H, g[W], coef[W], self.objective.penalized[W])

    def direction(self, coef, g, W, dW):
        d = np.zeros(coef.size)
        d[W] = dW
        return d, vdot(g, d) + self.objective.penalty.nonsmooth_change(coef, d, self.objective.penalized)

    def search(self, coef, d, F, g, decrease):
        return prox_newton_search(self.objective, coef, d, F, g, decrease)

    def record(self, run, it, coef, F, g):
        return run.step(it, coef, F, g)

    def unscreen(self, run, coef, g):
        return False


def violations(objective, coef, grad):
    r"""Each coordinate's violation of the optimality conditions (0 where it is optimal given the others).

    The absolute minimum-norm subgradient (the penalty's ``subgradient``); for an l1 term:
    :math:`|g_j + \lambda_1\mathrm{sign}\,\theta_j|` on a non-zero penalised entry,
    :math:`\max(|g_j| - \lambda_1, 0)` on a zero one, :math:`|g_j|` on an unpenalised one. Its max is
    :func:`~crossentropy.solvers._base.optimality`.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from crossentropy.objective import ElasticNet
    >>> obj = SimpleNamespace(penalty=ElasticNet(l1=0.5), penalized=np.array([True, True, False]))
    >>> violations(obj, np.array([0.0, 1.0, 0.0]), np.array([0.25, -0.75, 0.125])).tolist()
    [0.0, 0.25, 0.125]

    References
    ----------
    Massias, Gramfort & Salmon, *Celer: a fast solver for the Lasso with dual extrapolation*, ICML
    2018 (working sets ranked by violation).
    """
    return np.abs(objective.penalty.subgradient(coef, grad, objective.penalized))


def working_set_newton(objective, coef, max_iter, run, rtol, *, ws_start=WS_START):
    r"""Minimise :math:`f(\theta) + P_n(\theta)` (e.g. :math:`\lambda_1\lVert\theta_{\mathcal P}\rVert_1`) by proximal Newton on working sets.

    Called by :func:`~crossentropy.solvers.newton.newton` for non-smooth penalties (l1) of objectives whose objective has
    ``hessian_block`` (:class:`HessianBlock`) and more than ``2 * ws_start`` coefficients.

    Parameters
    ----------
    objective : Objective with ``hessian_block``
    coef : ndarray of shape (n_coef,)
        The start (modified copy returned in the result).
    max_iter : int
    run : crossentropy.solvers._base.Progress
        Records the curve and applies the gradient test of ``tol``.
    rtol : float
        Relative gap of the decrement test (:func:`~crossentropy.solvers.newton.small_gap`).
    ws_start : int, default ``WS_START``

    Returns
    -------
    SolverResult

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import LinearObjective
    >>> from crossentropy.solvers import newton
    >>> rng = np.random.default_rng(0); X = rng.standard_normal((200, 300))
    >>> y = (X[:, 0] - X[:, 1] + 0.5 * rng.standard_normal(200) > 0).astype(int)
    >>> obj = LinearObjective(X, y, n_classes=2, scale=1 / 200, l1=0.05)
    >>> res = newton(obj, np.zeros(301), tol=1e-10)
    >>> res.converged, np.flatnonzero(res.coef[:300])[:2].tolist()
    (True, [0, 1])

    References
    ----------
    Johnson & Guestrin, *Blitz: a principled meta-algorithm for scaling sparse optimization*, ICML
    2015; Bertrand et al., *Beyond L1: faster and better sparse models with skglm*, NeurIPS 2022;
    Yuan, Ho & Lin, *An improved GLMNET for L1-regularized logistic regression*, JMLR 13 (2012).
    """
    mask = objective.penalized
    steps = LogisticColumns(objective) if _by_columns(objective) else _Blocks(objective)
    p = coef.size
    f, g = steps.start(coef)
    F = f + objective.nonsmooth(coef)
    at_start = run.at_start(coef, g)
    ws_size = int(ws_start)
    always = ~mask
    for it in range(1, int(max_iter) + 1):
        score = steps.violations(coef, g)
        keep = always | (coef != 0)
        free = np.flatnonzero(~keep & (score > 0))
        k = min(free.size, ws_size)
        if k:
            top = free[np.argpartition(-score[free], k - 1)[:k]] if k < free.size else free
            keep[top] = True
        W = np.flatnonzero(keep)
        dW = steps.step(coef, g, W, score.max(initial=0.0))
        d, decrease = steps.direction(coef, g, W, dW)
        if at_start and small_gap(-2 * decrease, F, rtol) and k == free.size:
            return run.result(coef, 0, True)
        at_start = False
        accepted, new, fn, gn, Fn = steps.search(coef, d, F, g, decrease)
        if k < free.size:  # violators were left out: a wider set next time
            ws_size = min(p, 2 * max(ws_size, W.size))
        if not accepted:
            if k < free.size:  # the working set missed what blocks progress: widen it and retry
                continue
            return run.result(coef, it, steps.record(run, it, coef, F, g))
        coef, f, g, F = new, fn, gn, Fn
        met = steps.record(run, it, coef, F, g) and small_gap(-2 * decrease, F, rtol)
        if met and steps.unscreen(run, coef, g):  # columns left out by screening violate: on with them
            continue
        if met or run.stopped:
            return run.result(coef, it, met)
    return run.result(coef, max_iter, False)
