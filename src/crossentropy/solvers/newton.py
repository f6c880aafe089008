r"""Newton's method: Cholesky steps, truncated conjugate-gradient steps, or proximal steps for l1.

Smooth objective (:math:`\lambda_1 = 0`): the step solves :math:`H d = -g` with :math:`H = \nabla^2 f`,
either exactly (Cholesky factorisation of the full Hessian, the IRLS of statistics) or approximately
by conjugate gradients on Hessian-vector products (truncated Newton, never forming :math:`H`). An
Armijo backtracking line search makes it globally convergent.

With an l1 term the step minimises the quadratic model plus the l1 term (proximal Newton, as glmnet
and newGLMNET do), solved by coordinate descent, which keeps exact zeros.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from scipy import linalg, sparse

from ._base import (ClassCount, FusedHessian, HessianClassBlocks, HessianDiagonal, Preconditioned, Progress,
                    SolvesSubsample, Subsampled, armijo, prox_newton_search, small_gap, vdot, vnorm)
from ._base import GAP_RTOL
from ._fused_newton import estimated_start, predicted_last
from .working_set import WS_START, HessianBlock, working_set_newton

__all__ = ["newton", "choose_step", "small_gap", "GAP_RTOL"]

_EPS = np.finfo(float).eps


def choose_step(objective):
    """``"cholesky"`` or ``"cg"``: how to solve for the Newton step, by estimated cost.

    Softmax on dense X: preconditioned CG unless there are at most 32 coefficients (its
    Kronecker-factored preconditioner makes CG cheaper than the :math:`n (Kd)^2` full Hessian in every
    case measured). Two classes, and softmax on sparse X (``objective.is_sparse``: no Kronecker
    factors, block-Jacobi CG): the Cholesky step costs :math:`n p^2` flops per Newton step (one SYRK;
    for softmax the :math:`K^2` class blocks of the Gram); a CG step about a dozen Hessian-vector
    products, each two memory-bound passes over X (weighted as a 64-column product). On a small sparse
    3-class problem the exact step also ends where CG's superlinear steps leave 1e-8 of gradient.
    """
    p = objective.n_coef
    n = max(1, objective.n_samples)
    if (isinstance(objective, ClassCount) and objective.n_classes > 2
            and not getattr(objective, "is_sparse", False)):
        return "cholesky" if p <= 32 else "cg"
    chol_work = n * p * p + p**3 / 3
    cg_work = 12 * 2 * n * p * 64
    return "cholesky" if p <= 6000 and chol_work <= cg_work else "cg"


def _solve_newton(H, g, N):
    r"""Solve :math:`(H + c N N^\top) d = -g` by Cholesky; fall back to a pseudo-inverse if H is singular.

    Returns ``(d, solve)``, ``solve(v)`` applying the same (pseudo-)inverse to another vector.
    """
    if N is not None:
        c = max(1.0, float(np.max(np.diag(H))))
        H = H + c * (N @ N.T)
    try:
        factor = linalg.cho_factor(H, lower=False, check_finite=False)

        def solve(v):
            return linalg.cho_solve(factor, v, check_finite=False)
    except linalg.LinAlgError:
        w, V = linalg.eigh(H, check_finite=False)
        keep = w > max(w[-1], 0.0) * H.shape[0] * _EPS

        def solve(v):
            return V[:, keep] @ ((V[:, keep].T @ v) / w[keep])
    return -solve(g), solve


def _cg(hessp, b, tol, max_iter, precond=None):
    """(Preconditioned) conjugate gradients for :math:`H x = b`, stopped when the residual's norm is at
    most ``tol`` or on non-positive curvature."""
    x = np.zeros_like(b)
    r = b.copy()
    z = r if precond is None else precond(r)
    p = z.copy()
    rz = vdot(r, z)
    for i in range(max_iter):
        Hp = hessp(p)
        curv = vdot(p, Hp)
        if curv <= 1e-14 * vdot(p, p):
            return p if i == 0 else x  # (preconditioned) steepest descent if there is no curvature at all
        alpha = rz / curv
        x += alpha * p
        r -= alpha * Hp
        if vnorm(r) <= tol:
            break
        z = r if precond is None else precond(r)
        rz_new = vdot(r, z)
        if not rz_new > 0:  # what is left of r lies where M^+ is zero (a null space, at rounding level)
            break
        p = z + (rz_new / rz) * p
        rz = rz_new
    return x


#: Largest relative residual :math:`\eta` to which CG solves a Newton step (:math:`\eta_k = \min(\text{cap},
#: \lVert g_k\rVert^{1/2})`). A Hessian-vector product reuses the probabilities of the last
#: evaluation, so it costs a fraction of the data pass and preconditioner that each Newton iteration
#: adds: solving the first steps accurately can save a whole iteration. The quadratic rule
#: :math:`\eta_k = \min(\text{cap}, \lVert g_k\rVert)` costs a regularisation path dearly, since
#: every point of it starts with a small gradient.
CG_FORCING_CAP = 0.01

#: CG steps: the post-step gap is estimated as this many times :math:`g^\top M^{-1} g` with the
#: step's preconditioner M (for softmax, K-FAC's :math:`A \otimes G`: within 3 % of
#: :math:`g^\top H^{-1} g` near the optimum on 80,000 x 50 with 10 classes), so a step that already
#: closed the gap needs no second step to show it.
CG_GAP_SAFETY = 4.0

#: Rows from which Newton first solves a subsample (1/10 of the rows, at least this many) for its start.
SUBSAMPLE_ROWS = 50_000
#: Tolerance of the subsample's fit (looser than the statistical distance it cannot beat anyway).
WARM_TOL = 1e-2


def _warm_start(objective, coef, step, tol, cg_cap):
    """On large data, start from the minimiser of the same objective on a tenth of the rows.

    Its statistical distance to the full minimiser is about :math:`1/\\sqrt{m}`, which the full-data
    Newton steps then close quadratically: most iterations are paid at a tenth of the price. The rows
    are evenly spaced (every k-th, a systematic sample: rows sorted by label or time are still all
    represented), so an in-memory objective takes them as a strided view of X instead of a copy.
    Where the subsample has fewer rows than the objective has coefficients (many classes over wide
    sparse columns), its minimiser fits those rows too closely to be within that distance: the start
    is then only somewhat better than zero, and the number of full-data steps from it varies with the
    rows drawn, evenly spaced and random alike.
    Returns the subsample's minimiser, or None where no subsample is solved.
    """
    n = objective.n_samples
    if n < SUBSAMPLE_ROWS or not isinstance(objective, (SolvesSubsample, Subsampled)) or np.any(coef):
        return None  # small, or no subsample to solve, or started elsewhere on purpose (a warm start)
    m = max(SUBSAMPLE_ROWS // 2, n // 10)
    rows = np.arange(0, n, n // m)[:m]
    solve = partial(newton, coef0=coef, max_iter=30, tol=max(tol, WARM_TOL), step=step, cg_max_iter=cg_cap,
                    gap_rtol=np.inf)
    if isinstance(objective, SolvesSubsample):  # the objective may run it where the rows live
        return objective.solve_subsample(rows, solve).coef
    return solve(objective.subsample(rows)).coef


def newton(objective, coef0, *, max_iter=100, tol=1e-4, callback=None, verbose=0, step="auto", cg_max_iter=None,
           gap_rtol=None, state=None, subsample_start=True):
    r"""Minimise the objective by Newton's method with a backtracking line search.

    .. math::
        \theta_{k+1} = \theta_k + t_k d_k, \qquad \nabla^2 f(\theta_k)\, d_k = -\nabla f(\theta_k)

    with :math:`t_k` the first of :math:`1, \tfrac12, \tfrac14, \dots` that satisfies Armijo's
    condition. Stops when :math:`\lVert \nabla f \rVert_\infty \le` ``tol`` (with an l1 term, the
    minimum-norm subgradient of :math:`J`) and the Newton decrement of the last step puts the
    objective within ``gap_rtol`` (relative) of the minimum's (:func:`small_gap`). The Newton step with ``"cg"`` is solved to relative
    residual :math:`\min(0.01, \sqrt{\lVert g\rVert})` (``CG_FORCING_CAP``), which keeps superlinear convergence. With
    a non-smooth penalty (l1) each step solves the penalised quadratic model (the penalty's
    ``quadratic_step``: coordinate descent for l1), on
    working sets when the objective has ``hessian_block`` and over ``2 * WS_START`` coefficients
    (:func:`~crossentropy.solvers.working_set.working_set_newton`).

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
    step : {"auto", "cholesky", "cg"}, default "auto"
        How to solve for the step (:func:`choose_step` picks by cost). l1 always uses the full Hessian.
    cg_max_iter : int, optional
        Cap on conjugate-gradient steps per Newton step (default ``min(n_coef, 250)``).
    gap_rtol : float, optional
        Relative objective gap of the decrement test (default ``GAP_RTOL`` = 1e-8; ``inf`` leaves the
        gradient test alone).
    state : dict, optional
        Lazy Hessians (Cholesky steps): given (``{}`` or the ``state`` of a previous result on the
        same data, e.g. the last point of a regularisation path), a data Hessian is kept (with BFGS
        corrections) while it steps well and formed anew only after a step that needed
        backtracking, left more than ``LAZY_CONTRACTION`` of the decrement or would need more further
        steps than a new Hessian would cost (``LAZY_STEPS`` and :func:`hessian_passes`). The result's
        ``state["hessian"]`` is the last data Hessian (without the penalty's term, which the next
        objective may change), ``state["formed"]`` how many were formed. Without ``state``, an
        objective that forms its Hessian in the pass of the loss and gradient
        (:class:`~crossentropy.solvers._base.FusedHessian`) keeps its Hessians in the same way
        (``KEEP_FUSED_HESSIANS``; no state is returned): the first comes with the first evaluation
        (estimated on the subsample's share of the rows after the subsample start, exact from any
        other start), and a step costs one pass over the data while the kept Hessian steps well.
    subsample_start : bool, default True
        On at least ``SUBSAMPLE_ROWS`` rows, from a zero start, first solve a random tenth of the rows
        (when the objective can subsample: :class:`~crossentropy.solvers.Subsampled`) and start there.
        False for a start that is already near the minimum (the points of a regularisation path after
        the first, each at its neighbour's optimum; the first, near zero, where a few full steps with
        a kept Hessian cost less).

    Returns
    -------
    SolverResult

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import LinearObjective
    >>> from crossentropy.solvers import newton
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 1, 0, 1])
    >>> res = newton(LinearObjective(X, y, n_classes=2, scale=0.25, l2=0.25), np.zeros(2), tol=1e-10)
    >>> res.converged, res.n_iter, res.coef.round(4)
    (True, 3, array([ 0.4529, -0.6793]))

    References
    ----------
    Nocedal & Wright, *Numerical Optimization* (2006), §3.3 and §7.1 (line-search Newton-CG);
    Lee, Sun & Saunders, *Proximal Newton-type methods*, SIAM J. Optim. 24 (2014);
    Yuan, Ho & Lin, *An improved GLMNET for L1-regularized logistic regression*, JMLR 13 (2012);
    Doikov, Chayti & Jaggi, *Second-order optimization with lazy Hessians*, ICML (2023).
    """
    if step not in ("auto", "cholesky", "cg"):
        raise ValueError(f"step must be 'auto', 'cholesky' or 'cg', got {step!r}")
    coef = np.array(coef0, dtype=np.float64, copy=True)
    run = Progress(callback, verbose, "newton", objective=objective, tol=tol)
    rtol = GAP_RTOL if gap_rtol is None else float(gap_rtol)
    if not objective.penalty.smooth:
        if isinstance(objective, HessianBlock) and objective.n_coef > 2 * WS_START:
            return working_set_newton(objective, coef, max_iter, run, rtol)
        return _proximal_newton(objective, coef, max_iter, run, rtol)
    if step == "auto":
        step = choose_step(objective)
    N = objective.null_space() if step == "cholesky" else None
    cg_cap = int(cg_max_iter) if cg_max_iter else min(objective.n_coef, 250)
    warm = _warm_start(objective, coef, step, tol, cg_cap) if subsample_start else None
    coef = coef if warm is None else warm
    # where the objective forms the Hessian in the pass of the loss and gradient, it does so at the
    # start; then Hessians are lazy (kept while they step well) unless KEEP_FUSED_HESSIANS is False,
    # where each step not predicted to be the last (:func:`~._fused_newton.predicted_last`) forms the next one in its pass
    fused = step == "cholesky" and isinstance(objective, FusedHessian) and objective.fuses_hessian
    own_state = fused and state is None and KEEP_FUSED_HESSIANS
    lazy = (_LazyHessian(objective, {} if own_state else state, own=own_state)
            if step == "cholesky" and (state is not None or own_state) else None)
    with_hessian = (lambda c: objective.loss_gradient_hessian(c)[:2]) if fused else None
    # after a subsample's minimiser, a Hessian estimated on as many rows starts the steps (they close a
    # distance the estimate's error already matches); from any other start, the exact one
    estimate = estimated_start(objective, lazy, coef, max(SUBSAMPLE_ROWS // 2, objective.n_samples // 10),
                               SUBSAMPLE_ROWS) if own_state and warm is not None else None
    # a Hessian kept from the previous point of a path: the first pass need not form one
    kept = lazy is not None and lazy.data is not None
    f, g = estimate or (with_hessian if with_hessian and not kept else objective.loss_gradient)(coef)
    at_start = run.at_start(coef, g)
    stalls = 0
    last_decrement = None
    for it in range(1, int(max_iter) + 1):
        solve = None
        if step == "cholesky":
            d, solve = _solve_newton(objective.hessian(coef) if lazy is None else lazy.at(coef), g, N)
        else:
            gnorm = vnorm(g)
            forcing = min(CG_FORCING_CAP, np.sqrt(gnorm))
            precond, own = _preconditioner(objective, coef)
            d = _cg(lambda v: objective.hessp(coef, v), -g, forcing * gnorm, cg_cap, precond)
            if own and isinstance(objective, ClassCount) and objective.n_classes > 2:
                def solve(v, _m=precond):  # the gap after the step, from K-FAC's M (CG_GAP_SAFETY)
                    return CG_GAP_SAFETY * _m(v)
        decrement = -vdot(g, d)
        if at_start and small_gap(decrement, f, rtol):  # the start already meets both rules
            return _lazy_result(run.result(coef, 0, True), lazy)
        at_start = False
        if not decrement > 0:  # not a descent direction (rounding at the optimum): steepest descent
            d = -g
        last = predicted_last(decrement, last_decrement, f, rtol)
        found = armijo(objective, coef, f, g, d, first=None if last or lazy is not None else with_hessian)
        last_decrement = decrement
        if found is None:
            return _lazy_result(run.result(coef, it, run.step(it, coef, f, g)), lazy)
        step_s, g_old = found[0] - coef, g
        # a step that moves the objective only by rounding and does not halve the gradient's max-norm
        # (an exact Newton step near the optimum does) made no progress; two in a row: the objective
        # and the gradient are at the rounding floor of the data's dtype, and more steps change nothing
        flat = abs(found[1] - f) <= ROUNDING_STEPS * np.finfo(float).eps * max(1.0, abs(f))
        stalls = stalls + 1 if flat and np.max(np.abs(found[2])) > 0.5 * np.max(np.abs(g)) else 0
        coef, f, g, t = found
        if stalls >= 2:
            result = run.result(coef, it, run.step(it, coef, f, g))
            result.stalled = not result.converged
            return _lazy_result(result, lazy)
        # an exact step's factor also estimates the decrement at the new point, g' H^-1 g' (the
        # Hessian moved little over a step this close to the minimum): the gap the step left
        after = None if solve is None else vdot(g, solve(g))
        trusted = lazy is None or lazy.stepped(t, decrement, after, 2 * rtol * abs(f), step_s, g - g_old)
        met = run.step(it, coef, f, g) and trusted and (small_gap(decrement, f, rtol) or (
            after is not None and small_gap(after, f, rtol)))
        if met or run.stopped:
            return _lazy_result(run.result(coef, it, met), lazy)
    return _lazy_result(run.result(coef, max_iter, False), lazy)


#: Newton on an objective that forms the Hessian in its loss-and-gradient pass (``fuses_hessian``):
#: keep that first Hessian while it steps well (lazy Hessians, as with ``state``) instead of forming
#: one with every step.
KEEP_FUSED_HESSIANS = True

#: A change of the objective within this many units of rounding (relative) counts as none (the
#: line search's own rule in :func:`crossentropy.solvers._base.armijo`).
ROUNDING_STEPS = 64

#: Lazy Hessians: the share of the squared Newton decrement a step with a kept Hessian may leave
#: (:math:`\lambda_{k+1}^2 \le 0.25\,\lambda_k^2`, the contraction of a Hessian within a factor 2
#: of the true one) and still keep it; a step that leaves more, or backtracks, forms it anew.
LAZY_CONTRACTION = 0.25
#: Lazy Hessians: the steps a freshly formed Hessian still needs to pass the gap test (Newton's
#: quadratic convergence near the minimum ends in one or two).
LAZY_STEPS = 2
#: Lazy Hessians: a Hessian's cost in loss-and-gradient passes is its width over this
#: (:func:`hessian_passes`): a Gram of p columns does p multiply-adds per entry of X, in the time a
#: memory-bound pass reads about 16 of them (BLAS's SYRK beside a pass of a few operations an entry).
GRAM_COLUMNS_PER_PASS = 16


def hessian_passes(objective):
    r"""The cost of forming the objective's data Hessian, in passes of its loss and gradient: the width
    of a row of the Gram (the coefficients; for sparse X the mean non-zeros of a row, as a sparse Gram
    does :math:`\sum_i \mathrm{nnz}_i^2` work where the pass does :math:`\sum_i \mathrm{nnz}_i`) over
    ``GRAM_COLUMNS_PER_PASS``, at least 1.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import LinearObjective
    >>> X = np.zeros((100, 159)); y = np.arange(100) % 2
    >>> hessian_passes(LinearObjective(X, y, n_classes=2))   # 160 coefficients with the intercept
    10.0
    """
    X = getattr(objective, "X", None)
    if sparse.issparse(X):
        width = X.nnz / max(1, X.shape[0]) + 1
    else:
        width = objective.n_coef
    return max(1.0, width / GRAM_COLUMNS_PER_PASS)


class _LazyHessian:
    r"""The data Hessian Newton keeps between steps (and between the points of a path).

    :math:`H = H_{\text{data}}(\theta_j) + \nabla^2 P_s(\theta)` (the penalty's diagonal, :math:`\lambda_2 E` for l2) with :math:`\theta_j` the last point where it
    was formed, corrected after every step by the BFGS update with the step and the change of the
    data gradient (so it follows the Hessian between formations, as a quasi-Newton matrix started
    from the true one). A step taken with it contracts the decrement by
    :math:`\lVert I - H(\theta) H^{-1}\rVert`; while that is at most ``LAZY_CONTRACTION`` (and the
    steps at that rate still needed to pass the gap test cost no more than a new Hessian and the
    ``LAZY_STEPS`` steps after it, :func:`hessian_passes`) it is kept, so the estimates of the gap
    made with it are within a factor 2 as well.
    """

    def __init__(self, objective, state, own=False):
        self.objective = objective
        self.own = own  # Newton's own (no state asked for): not returned
        self.penalty = None  # the penalty's Hessian diagonal where the last Hessian was asked for
        H = state.get("hessian")
        self.data = H if H is not None and H.shape == (objective.n_coef,) * 2 else None
        self.fresh = False
        self.formed = 0
        self.steps = LAZY_STEPS + hessian_passes(objective)  # kept while it needs at most this many

    def seed(self, H, coef):
        """Start from the (estimated) Hessian H of the smooth objective at ``coef``."""
        self.data = H - np.diag(self.objective.penalty.hessian_diag(coef, self.objective.penalized))
        self.formed += 1

    def at(self, coef):
        self.penalty = self.objective.penalty.hessian_diag(coef, self.objective.penalized)
        if self.data is None:
            H = self.objective.hessian(coef)
            self.data = H - np.diag(self.penalty)
            self.fresh, self.formed = True, self.formed + 1
            return H
        self.fresh = False
        H = self.data.copy()
        H[np.diag_indices_from(H)] += self.penalty
        return H

    def stepped(self, t, decrement, after, target, s, y):
        """Record a step of length ``t`` that took the decrement from ``decrement`` to ``after`` (the gap
        test passes at ``target``); whether the gap estimates of the Hessian used can be trusted."""
        good = t == 1.0 and after is not None and after <= LAZY_CONTRACTION * decrement
        if good and after > target > 0 and not self.fresh:  # at this rate, how many more steps?
            ratio = after / decrement
            good = ratio <= 0 or np.log(target / after) / np.log(ratio) <= self.steps
        if not good:
            self.data = None  # form it anew at the next step
        else:  # kept: corrected by the step's change of gradient
            self._bfgs(s, y - self.penalty * s)
        return good or self.fresh

    def _bfgs(self, s, y):
        r"""The BFGS update of the kept data Hessian by the step :math:`s` and the change :math:`y` of the
        data gradient, :math:`H \leftarrow H - \frac{Hss^\top H}{s^\top H s} + \frac{yy^\top}{y^\top s}`."""
        Hs = self.data @ s
        sHs, ys = vdot(s, Hs), vdot(y, s)
        if sHs > 0 and ys > 1e-12 * sHs:
            self.data = self.data - np.outer(Hs, Hs) / sHs + np.outer(y, y) / ys


def _lazy_result(result, lazy):
    if lazy is not None and not lazy.own:
        result.state = {"hessian": lazy.data, "formed": lazy.formed}
    return result


#: Block-Jacobi preconditioning of softmax Newton steps: the most entries (D K²) its per-column class
#: blocks may hold (128 MB of float64; their eigenvectors as much again); beyond it, Jacobi's diagonal.
CLASS_BLOCK_ENTRIES = 1 << 24


def _preconditioner(objective, coef):
    r"""``(M^{-1}, own)``: the objective's own preconditioner (``own`` True); else, for softmax, the
    block-Jacobi one of the Hessian's per-column class blocks (:func:`_block_jacobi`); else Jacobi's,
    :math:`v \mapsto v / \mathrm{diag}(H)`; or None.

    On text-like CSR data the Hessian's diagonal spans orders of magnitude (column counts follow a
    power law), which is what slows unpreconditioned CG; its diagonal costs one pass over X. Within a
    column, the softmax couples the classes (each block is singular along :math:`1_K` but for the
    penalty), which the diagonal misses and the blocks keep: on 20,000 × 2,000 text-like rows with 20
    classes, CG took 1,102 Hessian-vector products with Jacobi over 8 Newton steps. Neither of these
    :math:`g^\top M^{-1} g` follows :math:`g^\top H^{-1} g` closely, so they never estimate a gap.
    """
    precond = objective.preconditioner(coef) if isinstance(objective, Preconditioned) else None
    if precond is not None:
        return precond, True
    project = getattr(objective, "project_null", None)
    K = objective.n_classes if isinstance(objective, ClassCount) else 2
    if (K > 2 and isinstance(objective, HessianClassBlocks)
            and objective.n_coef * K <= CLASS_BLOCK_ENTRIES):
        blocks = objective.hessian_class_blocks(coef)
        if blocks is not None:
            return _block_jacobi(blocks, project), False
    if not isinstance(objective, HessianDiagonal):
        return None, False
    diag = np.asarray(objective.hessian_diag(coef), dtype=np.float64)
    inv = 1.0 / np.maximum(diag, max(float(diag.max(initial=0.0)), 1.0) * 1e-12)
    return ((lambda v: project(inv * v)) if project is not None else (lambda v: inv * v)), False


def _block_jacobi(blocks, project=None):
    r""":math:`v \mapsto M^{+} v` for the block-diagonal :math:`M = \mathrm{diag}(B_1, \dots, B_D)` of
    per-column K×K class blocks, on the class-major flat layout (``v.reshape(K, D)[:, j]`` is
    column j's block), then ``project`` (the objective's null space).

    Each block's pseudo-inverse keeps the eigenvalues above :math:`10^{-12}` times the largest of all
    blocks: an unpenalised column's block is singular along :math:`1_K` (the softmax's shift of every
    class), a direction in the objective's null space that ``project`` removes anyway.

    Examples
    --------
    >>> import numpy as np
    >>> B = np.array([[[2.0, 0.0], [0.0, 4.0]], [[1.0, -1.0], [-1.0, 1.0]]])   # D = 2 columns, K = 2
    >>> _block_jacobi(B)(np.array([2.0, 1.0, 4.0, -1.0]))   # column 0: (2/2, 4/4); column 1: B^+ (1, -1)
    array([ 1. ,  0.5,  1. , -0.5])
    """
    D, K, _ = blocks.shape
    w, U = np.linalg.eigh(blocks)
    keep = w > 1e-12 * max(float(w.max(initial=0.0)), np.finfo(float).tiny)
    inv_w = np.where(keep, 1.0 / np.where(keep, w, 1.0), 0.0)
    pinv = (U * inv_w[:, None, :]) @ U.transpose(0, 2, 1)

    def apply(v):
        out = np.einsum("jkl,jl->kj", pinv, v.reshape(K, D).T).ravel()
        return out if project is None else project(out)
    return apply


def _proximal_newton(objective, coef, max_iter, run, rtol):
    penalty, mask = objective.penalty, objective.penalized
    f, g = objective.loss_gradient(coef)
    F = f + objective.nonsmooth(coef)
    at_start = run.at_start(coef, g)
    for it in range(1, int(max_iter) + 1):
        H = objective.hessian(coef)
        d = penalty.quadratic_step(H, g, coef, mask)
        decrease = vdot(g, d) + penalty.nonsmooth_change(coef, d, mask)
        if at_start and small_gap(-2 * decrease, F, rtol):
            return run.result(coef, 0, True)
        at_start = False
        accepted, new, fn, gn, Fn = prox_newton_search(objective, coef, d, F, g, decrease)
        if not accepted:
            return run.result(coef, it, run.step(it, coef, F, g))
        coef, f, g, F = new, fn, gn, Fn
        met = run.step(it, coef, F, g) and small_gap(-2 * decrease, F, rtol)
        if met or run.stopped:
            return run.result(coef, it, met)
    return run.result(coef, max_iter, False)


#: A non-smooth penalty (l1, elastic net) is handled by its proximal step.
newton.handles_nonsmooth = True
