r"""What every solver shares: the objective protocol, the result record, optimality and line search.

Solvers minimise :math:`J(\theta) = f(\theta) + P_n(\theta_{\mathcal P})` where :math:`f` is smooth
(data term plus the penalty's smooth part), :math:`P_n` the penalty's non-smooth part (the l1 term of
an elastic net) and :math:`\mathcal P` the penalised entries. They see only an object with the
:class:`Objective` protocol, ask its ``penalty`` (a :class:`~crossentropy.objective.Penalty`) for the
proximal step and the optimality condition, and know nothing of estimators, labels or classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol, runtime_checkable

import numpy as np

from ..objective.penalties import Penalty, soft_threshold

__all__ = ["Objective", "Subsampled", "SolvesSubsample", "Preconditioned", "HessianDiagonal", "FusedHessian", "Minibatched",
           "ClassCount", "SolverResult", "IterationState", "optimality", "soft_threshold", "Progress", "armijo", "curvature",
           "prox_step", "backtrack_prox", "sufficient_decrease", "vdot", "vnorm", "small_gap", "GAP_RTOL"]


class Objective(Protocol):
    """The protocol every solver needs (``crossentropy.objective.LinearObjective`` implements it).

    ``loss``/``loss_gradient``/``hessian``/``hessp`` are of the smooth part :math:`f`; ``nonsmooth``
    is the penalty's non-smooth part, ``penalty`` the :class:`~crossentropy.objective.Penalty` itself
    (its ``smooth``, ``prox``, ``subgradient``, ``quadratic_step`` and ``hessian_diag``) and
    ``penalized`` the entries it acts on. The optional abilities a solver uses when an objective has them are the protocols
    below (:class:`Subsampled`, :class:`SolvesSubsample`, :class:`Preconditioned`,
    :class:`HessianDiagonal`, :class:`Minibatched`, :class:`ClassCount`), checked with ``isinstance``.
    """

    n_coef: int
    n_samples: int
    penalty: Penalty
    penalized: np.ndarray

    def loss(self, coef: np.ndarray) -> float: ...

    def loss_gradient(self, coef: np.ndarray) -> tuple[float, np.ndarray]: ...

    def loss_gradient_hessian(self, coef: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]: ...

    def hessian(self, coef: np.ndarray) -> np.ndarray: ...

    def hessp(self, coef: np.ndarray, v: np.ndarray) -> np.ndarray: ...

    def nonsmooth(self, coef: np.ndarray) -> float: ...

    def null_space(self) -> np.ndarray | None: ...


@runtime_checkable
class Subsampled(Protocol):
    """``subsample(rows)``: the same objective on some rows, rescaled to estimate the whole (Newton's warm start)."""

    def subsample(self, rows: np.ndarray) -> Objective: ...


@runtime_checkable
class SolvesSubsample(Protocol):
    """``solve_subsample(rows, solve)``: ``solve`` run on that sub-objective wherever the objective chooses
    (e.g. next to the rows on a Dask worker); returns what ``solve`` returns."""

    def solve_subsample(self, rows: np.ndarray, solve: Callable) -> SolverResult: ...


@runtime_checkable
class Preconditioned(Protocol):
    """``preconditioner(coef)``: a function :math:`v \\mapsto M^{-1}v` approximating the inverse Hessian, or None."""

    def preconditioner(self, coef: np.ndarray) -> Callable | None: ...


@runtime_checkable
class HessianDiagonal(Protocol):
    """``hessian_diag(coef)``: the diagonal of the Hessian of the smooth part (diagonal preconditioning)."""

    def hessian_diag(self, coef: np.ndarray) -> np.ndarray: ...


@runtime_checkable
class HessianClassBlocks(Protocol):
    """``hessian_class_blocks(coef)``: the (D, K, K) blocks of the Hessian over the classes of each
    input column (block-diagonal preconditioning of a softmax model), or None."""

    def hessian_class_blocks(self, coef: np.ndarray) -> np.ndarray | None: ...


@runtime_checkable
class FusedHessian(Protocol):
    """``fuses_hessian``: True where ``loss_gradient_hessian`` costs one pass over the data, as
    ``loss_gradient`` does, and ``hessian`` at the same point then costs nothing (Newton forms the
    Hessian in the evaluation that accepts a step); ``loss_gradient_hessian_estimate(coef, rows)``:
    the same pass with the Hessian estimated from about ``rows`` rows, or None."""

    fuses_hessian: bool

    def loss_gradient_hessian_estimate(self, coef: np.ndarray, rows: int) -> tuple | None: ...


@runtime_checkable
class Minibatched(Protocol):
    """``batch_loss_gradient(coef, rows)``: an unbiased estimate of ``loss_gradient`` from some rows."""

    def batch_loss_gradient(self, coef: np.ndarray, rows: np.ndarray) -> tuple[float, np.ndarray]: ...


@runtime_checkable
class ClassCount(Protocol):
    """``n_classes``: the number of classes of the model (cost estimates of the Newton step)."""

    n_classes: int


@dataclass
class SolverResult:
    """What a solver returns.

    Attributes
    ----------
    coef : ndarray of shape (n_coef,)
        The last iterate.
    n_iter : int
        Iterations (epochs for ``"sgd"``) done.
    converged : bool
        Whether the stopping rule (``tol``) was met before ``max_iter``.
    loss_curve : list of float
        The objective :math:`J` after each iteration.
    state : dict
        What a solver needs to continue later (``"sgd"``: its step counter and base step).
    stopped : bool
        Whether the run ended because the callback asked it to (``converged`` is then False unless
        the stopping rule was met at that same iteration).
    stalled : bool
        Whether the run ended because two steps in a row moved the objective only by rounding
        without halving the gradient's max-norm: the gradient is at the rounding floor of the data's
        dtype, above ``tol`` (``converged`` False; Newton's method only).
    """

    coef: np.ndarray
    n_iter: int
    converged: bool
    loss_curve: list = field(default_factory=list)
    state: dict = field(default_factory=dict)
    stopped: bool = False
    stalled: bool = False


@dataclass(frozen=True)
class IterationState:
    r"""What a solver's ``callback(state)`` receives after every iteration (SciPy's ``intermediate_result``).

    The callback may return True (any true value) or raise ``StopIteration`` to stop the solver after
    this iteration: the result then has ``converged`` False (unless the stopping rule was met at that
    same iteration) and ``stopped`` True.

    Attributes
    ----------
    n_iter : int
        The iteration just done (1-based; epochs for ``"sgd"``).
    fun : float
        The objective :math:`J(\theta)` at the iterate (the entry of ``loss_curve`` for this iteration).
    x : ndarray of shape (n_coef,)
        A copy of the flat coefficient vector :math:`\theta` (changing it changes nothing in the solver).
    coef : ndarray of shape (n_outputs, n_features) or None
        The estimator's view of ``x`` (``LogisticRegression``: as ``coef_`` would be if the fit stopped
        here); None from a solver called directly.
    intercept : ndarray of shape (n_outputs,) or None
        Likewise for ``intercept_``.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import LinearObjective
    >>> from crossentropy.solvers import newton
    >>> obj = LinearObjective(np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 1, 0, 1]), n_classes=2,
    ...                       scale=0.25, l2=0.25)
    >>> seen = []
    >>> res = newton(obj, np.zeros(2), tol=1e-10, callback=seen.append)
    >>> [s.n_iter for s in seen], bool(np.array_equal(seen[-1].x, res.coef)), seen[-1].fun == res.loss_curve[-1]
    ([1, 2, 3], True, True)
    >>> newton(obj, np.zeros(2), tol=1e-10, callback=lambda s: s.n_iter == 2).n_iter   # stop after 2
    2

    References
    ----------
    SciPy, ``scipy.optimize.minimize`` (``callback(intermediate_result)`` and its ``OptimizeResult``).
    """

    n_iter: int
    fun: float
    x: np.ndarray
    coef: np.ndarray | None = None
    intercept: np.ndarray | None = None


def vdot(a, b):
    r"""The inner product :math:`a^\top b` of two 1-d float arrays, as a float, without BLAS threads.

    A BLAS ``ddot``/``dnrm2`` on a few thousand entries wakes the BLAS thread pool; on a machine
    whose cores are busy that wake-up took 14-16 ms per call against 80 µs for this single-threaded
    loop (``np.einsum`` without ``optimize``), and conjugate gradients make three such calls per
    iteration. The solvers' vector algebra goes through here.

    Examples
    --------
    >>> import numpy as np
    >>> vdot(np.array([1.0, 2.0]), np.array([3.0, 4.0])), vnorm(np.array([3.0, 4.0]))
    (11.0, 5.0)

    References
    ----------
    OpenBLAS, ``interface/dot.c`` (ddot runs threaded above a size threshold).
    """
    return float(np.einsum("i,i->", a, b))


def vnorm(a):
    r"""The Euclidean norm :math:`\lVert a\rVert_2` of a 1-d float array without BLAS threads (see :func:`vdot`)."""
    return float(np.sqrt(np.einsum("i,i->", a, a)))


def optimality(objective, coef, grad):
    r"""Max-norm of the minimum-norm subgradient of :math:`J` at ``coef`` (the gradient for a smooth penalty).

    The penalty's :meth:`~crossentropy.objective.Penalty.subgradient`; for an l1 term on a penalised
    entry :math:`j`: :math:`g_j + \lambda_1 \mathrm{sign}(\theta_j)` if :math:`\theta_j \ne 0`, else
    :math:`\max(|g_j| - \lambda_1, 0)`. It is 0 exactly at the minimum.
    """
    if objective.penalty.smooth:
        return float(np.max(np.abs(grad))) if grad.size else 0.0
    r = objective.penalty.subgradient(coef, grad, objective.penalized)
    return float(np.max(np.abs(r)))


class Progress:
    """The bookkeeping of a solver run: the loss curve, the user's callback, verbose lines, the stopping test.

    ``progress(n_iter, coef, value, opt)`` records the objective after an iteration (prints it when
    verbose, calls ``callback(IterationState(n_iter, value, coef.copy()))``) and returns whether the
    callback asked to stop (a true value or ``StopIteration``; :attr:`stopped` says so afterwards).
    With ``objective`` and ``tol`` given, :meth:`at_start` and :meth:`step` also apply the stopping rule
    :math:`\\lVert \\partial J \\rVert_\\infty \\le` ``tol`` (:func:`optimality`), and :meth:`result`
    builds the :class:`SolverResult` with the curve.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import LinearObjective
    >>> from crossentropy.solvers._base import Progress
    >>> obj = LinearObjective(np.array([[0.0], [1.0]]), np.array([0, 1]), n_classes=2)
    >>> run = Progress(None, 0, "demo", objective=obj, tol=1e-3)
    >>> run.step(1, np.zeros(2), 1.5, np.array([1e-4, -1e-4])), run.result(np.zeros(2), 1, True).loss_curve
    (True, [1.5])
    """

    def __init__(self, callback: Callable | None, verbose: int, name: str, *, objective=None, tol=None):
        self.curve: list[float] = []
        self.callback = callback
        self.verbose = verbose
        self.name = name
        self.objective = objective
        self.tol = tol
        self.stopped = False

    def __call__(self, n_iter: int, coef, value: float, opt: float | None = None) -> bool:
        self.curve.append(float(value))
        if self.verbose:
            extra = "" if opt is None else f"  optimality {opt:.3e}"
            print(f"[{self.name}] iter {n_iter:4d}  objective {value:.12g}{extra}", flush=True)
        if self.callback is not None:
            state = IterationState(int(n_iter), float(value), np.array(coef, dtype=np.float64, copy=True))
            try:
                self.stopped = bool(self.callback(state))
            except StopIteration:
                self.stopped = True
        return self.stopped

    def at_start(self, coef, grad) -> bool:
        """Whether the starting point already meets the stopping rule (nothing is recorded)."""
        return optimality(self.objective, coef, grad) <= self.tol

    def step(self, n_iter: int, coef, value: float, grad) -> bool:
        """Record iteration ``n_iter`` (objective ``value`` at ``coef``) and return whether it met the rule
        (whether the callback asked to stop is :attr:`stopped`)."""
        opt = optimality(self.objective, coef, grad)
        self(n_iter, coef, value, opt)
        return opt <= self.tol

    def result(self, coef, n_iter: int, converged: bool, state: dict | None = None) -> SolverResult:
        """The :class:`SolverResult` of the run so far (``stopped`` from the callback)."""
        return SolverResult(coef, int(n_iter), bool(converged), self.curve, {} if state is None else state,
                            self.stopped)


def armijo(objective, coef, f, g, direction, *, t0=1.0, max_steps=40, c1=1e-4, first=None):
    r"""Backtracking line search on the smooth objective: the first :math:`t = t_0 2^{-k}` with
    :math:`f(\theta + t d) \le f(\theta) + c_1 t\,g^\top d`.

    Near the optimum, where the decrease drowns in rounding, a step that leaves :math:`f` equal to
    rounding and lowers the gradient's max-norm is accepted too. ``first`` (a function of the point
    returning ``(f, g)``, default ``objective.loss_gradient``) evaluates the first trial, :math:`t_0`
    (Newton's method there forms the Hessian too, where the objective fuses it into the pass).
    Returns ``(coef, f, g, t)`` or None when no step is accepted.
    """
    slope = vdot(g, direction)
    gmax = float(np.max(np.abs(g)))
    t = t0
    for k in range(max_steps):
        new = coef + t * direction
        fn, gn = (first if k == 0 and first is not None else objective.loss_gradient)(new)
        if fn <= f + c1 * t * slope:
            return new, fn, gn, t
        if abs(fn - f) <= 64 * np.finfo(float).eps * max(1.0, abs(f)) and np.max(np.abs(gn)) < gmax:
            return new, fn, gn, t
        t *= 0.5
    return None


def curvature(objective, coef, *, n_iter=8, seed=0):
    r"""Estimate :math:`\lambda_{\max}(\nabla^2 f(\theta))` by power iteration on Hessian-vector products.

    Used for the first step size :math:`1/L` of the gradient methods (a line search corrects it).
    """
    v = np.random.default_rng(seed).standard_normal(objective.n_coef)
    v /= vnorm(v)
    lam = 0.0
    for _ in range(n_iter):
        hv = objective.hessp(coef, v)
        lam = vnorm(hv)
        if not lam > 0:
            return 1.0
        v = hv / lam
    return lam


def prox_step(objective, coef, grad, eta):
    r"""The (proximal) gradient step :math:`\mathrm{prox}_{\eta P_n}(\theta - \eta g)` (the penalty's ``prox``).

    ``eta`` may be a vector (one step per coordinate, a diagonal metric); the proximal operator then
    uses each coordinate's own step.

    For a smooth penalty this is the plain gradient step :math:`\theta - \eta g`; with an l1 term the
    penalised entries are soft-thresholded (exact zeros), the intercepts are not.
    """
    new = coef - eta * grad
    if objective.penalty.smooth:
        return new
    return objective.penalty.prox(new, eta, objective.penalized)


def backtrack_prox(objective, coef, f, grad, eta, *, max_halvings=60):
    r"""The (proximal) gradient step from ``coef`` with the step :math:`\eta` halved until
    :func:`sufficient_decrease` holds (at most ``max_halvings`` tries; the last is taken then).

    Returns ``(new, f_new, grad_new, eta)`` with ``eta`` the step that was accepted.
    """
    for _ in range(max_halvings):
        new = prox_step(objective, coef, grad, eta)
        fn, gn = objective.loss_gradient(new)
        if sufficient_decrease(fn, f, grad, new - coef, eta, gn):
            break
        eta *= 0.5
    return new, fn, gn, eta


def sufficient_decrease(f_new, f, grad, diff, eta, grad_new=None):
    r"""The proximal-gradient step test :math:`f(\theta^+) \le f(\theta) + g^\top\Delta + \lVert\Delta\rVert^2/(2\eta)`.

    When the two values agree to rounding (near the minimum, where the decrease is below machine
    precision) the test falls back to its gradient form, the local Lipschitz bound
    :math:`\eta\,\lVert\nabla f(\theta^+) - \nabla f(\theta)\rVert \le \lVert\Delta\rVert`, which
    gradients resolve long after values stop doing so.
    """
    if f_new <= f + vdot(grad, diff) + vdot(diff, diff) / (2 * eta):
        return True
    if grad_new is not None and abs(f_new - f) <= 64 * np.finfo(float).eps * max(1.0, abs(f)):
        return eta * vnorm(grad_new - grad) <= vnorm(diff)
    return False


#: Relative objective gap below which Newton may stop (with the gradient test of ``tol``).
GAP_RTOL = 1e-8


def prox_newton_search(objective, coef, d, F, g, decrease, *, max_halvings=40):
    r"""Backtracking along a proximal Newton direction ``d`` of the composite :math:`F = f + h`.

    Accepts the first :math:`t \in \{1, \tfrac12, \dots\}` with
    :math:`F(\theta + t d) \le F(\theta) + 10^{-4}\, t\, \Delta` (:math:`\Delta` = ``decrease``,
    the model's predicted decrease, negative), or, where the two values agree to rounding
    (64 ulp), with a smaller optimality measure (:func:`optimality`).

    Returns
    -------
    (accepted, new, f_new, g_new, F_new)
        ``accepted`` False when no step was taken (then the other entries are of the last try).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective import LinearObjective
    >>> obj = LinearObjective(np.array([[0.0], [1.0]]), np.array([0, 1]), n_classes=2, l1=0.1)
    >>> c = np.zeros(2); f, g = obj.loss_gradient(c)
    >>> prox_newton_search(obj, c, -g, f, g, -float(g @ g))[0]
    True

    References
    ----------
    Lee, Sun and Saunders, *Proximal Newton-type methods for minimizing composite functions*,
    SIAM J. Optim. 24 (2014), the line search of their Algorithm 1.
    """
    eps = np.finfo(float).eps
    t = 1.0
    for _ in range(max_halvings):
        new = coef + t * d  # at t = 1 the entries CD set to zero are exactly zero
        fn, gn = objective.loss_gradient(new)
        Fn = fn + objective.nonsmooth(new)
        if Fn <= F + 1e-4 * t * decrease or (
            abs(Fn - F) <= 64 * eps * max(1.0, abs(F)) and optimality(objective, new, gn) < optimality(objective, coef, g)
        ):
            return True, new, fn, gn, Fn
        t *= 0.5
    return False, new, fn, gn, Fn


def small_gap(decrement, value, rtol=GAP_RTOL):
    r"""Whether the Newton decrement says the objective is within ``rtol`` (relative) of its minimum.

    Near the minimum :math:`f(\theta) - f^\star \approx \tfrac12 \lambda^2` with
    :math:`\lambda^2 = g^\top H^{-1} g = -g^\top d` the squared Newton decrement of the step
    :math:`d` just solved for (for proximal Newton: minus the model's decrease). Newton stops when
    this holds for the step it has just taken *and* the gradient test of ``tol`` holds at the new
    point; the step only lowers the objective, so the new point's gap is below the estimate. Unlike
    a test on the gradient alone, this one does not depend on the scale of the data or of the
    penalty: the default ``tol`` ends within ``rtol`` of the minimum's objective whatever the
    curvature (the gradient test alone stopped 28 % above it on sparse text-like data).

    Parameters
    ----------
    decrement : float
        :math:`\lambda^2` (non-positive values: no information, the test passes).
    value : float
        The objective at the new point.
    rtol : float, default ``GAP_RTOL``

    Returns
    -------
    bool

    Examples
    --------
    >>> from crossentropy.solvers.newton import small_gap
    >>> small_gap(1e-9, 0.5), small_gap(1e-3, 0.5)
    (True, False)

    References
    ----------
    Boyd & Vandenberghe, *Convex Optimization* (2004), §9.5.1 (the Newton decrement as a stopping
    criterion); scikit-learn's ``NewtonSolver.check_convergence`` (the same test with an absolute bound).
    """
    return 0.5 * float(decrement) <= rtol * max(abs(float(value)), np.finfo(float).tiny)
