r"""Firth's bias-reduced logistic regression (``LogisticRegression(penalty="firth")``), two classes.

The fit maximises the penalised log-likelihood (Jeffreys' invariant prior)

.. math::
    \ell^*(\beta) = \sum_i s_i\,\big(y_i \eta_i - \log(1 + e^{\eta_i})\big) + \tfrac12 \log\det I(\beta),
    \qquad I(\beta) = \tilde X^\top W \tilde X,\quad W = \mathrm{diag}(s_i\,p_i(1 - p_i)),

:math:`\eta = \tilde X\beta`, :math:`\tilde X = (X, 1)` with an intercept, :math:`s_i` the sample weight
times the class weight of row :math:`i` (frequency weights: a weight of 2 is the row twice). Its gradient
is the modified score

.. math::
    U^*(\beta) = \tilde X^\top\big(s \odot (y - p) + h \odot (\tfrac12 - p)\big),\qquad
    h_i = s_i p_i (1 - p_i)\,\tilde x_i^\top I(\beta)^{-1} \tilde x_i,

:math:`h` the diagonal of the hat matrix :math:`W^{1/2}\tilde X I^{-1} \tilde X^\top W^{1/2}`. As in R's
logistf, Newton's iterations :math:`\beta \leftarrow \beta + I(\beta)^{-1} U^*(\beta)` (Heinze and Schemper,
2002) take at most 5 in max-norm and are halved (up to 25 times) until :math:`\ell^*` does not decrease
(by more than its rounding, 1e-12 relative);
they stop when the largest step and the largest entry of :math:`U^*` are both below ``tol``. After 12
steps without convergence (far in the tails, on separated data, where those steps converge slowly) the
steps use the penalised information below (or the exact Hessian of :math:`\ell^*` for up to 2,000 rows). One
Cholesky factor :math:`I = LL^\top` per point gives the step, :math:`\log\det I = 2\sum_k \log L_{kk}` and
the hat values :math:`h_i = \lVert L^{-1}\tilde x_i \sqrt{w_i}\rVert^2`. The covariance of the estimate is
the inverse of the penalised information :math:`\tilde X^\top \mathrm{diag}((s_i + h_i) p_i(1-p_i))\tilde X`
(the information of logistf's augmented data, as logistf and ``firthmodels`` report it).

FLIC (``flic=True``, Puhr et al. 2017) keeps the Firth slopes and refits the intercept by maximum
likelihood with the Firth linear predictor :math:`x_i^\top\hat\beta` as offset, so that the fitted
probabilities sum to the (weighted) number of events.

The tests of the coefficients (profile penalised-likelihood intervals, penalised likelihood-ratio tests)
are in :mod:`._firth_inference`; both use :func:`constrained_fit`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg, sparse

from .._blas import SMALL_PRODUCT, for_own_threads, row_threads, split_rows, times_upper
from ..exceptions import ConvergenceWarning
from ..solvers import IterationState
from ..special import log_sigmoid, sigmoid
from ._problem import FitResult, store_result
from ._weights import row_weights

__all__ = ["FirthResult", "FirthPoint", "design", "evaluate", "constrained_fit", "fit_firth", "flic_intercept",
           "MAX_STEP", "MAX_HALFSTEP"]

#: largest Newton step of one coefficient (logistf's ``maxstep``)
MAX_STEP = 5.0
#: most step halvings per iteration (firthmodels' ``max_halfstep``)
MAX_HALFSTEP = 25
#: Newton steps with the Fisher information before the fit turns to the penalised one (:func:`_step`)
PLAIN_STEPS = 12
#: rows of the blocks the passes of :func:`evaluate` are split into (a thread takes at least two)
PASS_ROWS = 1024
#: rows up to which the profile refits use the exact Hessian of the penalised likelihood (an n x n matrix)
EXACT_ROWS = 2000
#: a step is kept when it lowers :math:`\ell^*` by less than this (relative): the rounding of its sum
ROUNDING = 1e-12


@dataclass
class FirthPoint:
    """The quantities of one point :math:`\\beta`: :math:`\\ell^*`, :math:`U^*`, the Cholesky factor of
    :math:`I(\\beta)`, the hat values and the probabilities."""

    beta: np.ndarray
    loglik: float
    score: np.ndarray
    chol: np.ndarray
    hat: np.ndarray
    proba: np.ndarray


@dataclass
class FirthResult:
    r"""A Firth fit, stored as ``LogisticRegression.firth_``.

    Attributes
    ----------
    beta : ndarray of shape (D,)
        The coefficients, then the intercept (when fitted): :math:`\hat\beta` of :math:`\ell^*`.
    loglik : float
        :math:`\ell^*(\hat\beta)`, the penalised log-likelihood.
    intercept : float
        The Firth intercept (0.0 without one); ``intercept_`` holds the FLIC one with ``flic=True``.
    n_iter : int
    converged : bool
    """

    beta: np.ndarray
    loglik: float
    intercept: float
    n_iter: int
    converged: bool


def design(X, fit_intercept):
    """:math:`\\tilde X = (X, 1)` (or X) as a C-ordered float64 array."""
    X = X.toarray() if sparse.issparse(X) else np.asarray(X)
    out = np.empty((X.shape[0], X.shape[1] + bool(fit_intercept)))
    out[:, :X.shape[1]] = X
    if fit_intercept:
        out[:, -1] = 1.0
    return out


def evaluate(X1, y, s, beta, work=None):
    """:class:`FirthPoint` at ``beta``; None where :math:`I(\\beta)` is not positive definite.

    ``work``: an optional C-ordered float64 buffer of X1's shape, overwritten (a fit passes the same one to
    every call, which spares the fresh pages of two n × D arrays per point). The two passes over the rows
    (the weighted rows and their Gram; the hat values and the score) are split by rows over the
    package's threads (:func:`crossentropy._blas.split_rows`) when a pass is large enough to share.

    Examples
    --------
    >>> import numpy as np
    >>> X1 = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0]]); y = np.array([0.0, 1.0, 1.0])
    >>> q = evaluate(X1, y, np.ones(3), np.zeros(2))
    >>> round(float(q.hat.sum()), 12)   # the trace of the hat matrix is the number of coefficients
    2.0
    """
    n, D = X1.shape
    A = np.empty(X1.shape) if work is None else work
    p, h = np.empty(n), np.empty(n)
    threads = row_threads(n, PASS_ROWS) if n * D * D >= SMALL_PRODUCT else 1

    def weighted(lo, hi):  # rows a_i = sqrt(w_i) x_i into A, their Gram and the log-likelihood's sum
        eta = X1[lo:hi] @ beta
        p[lo:hi] = sigmoid(eta)
        pb, sb = p[lo:hi], s[lo:hi]
        Ab = np.multiply(X1[lo:hi], np.sqrt(sb * pb * (1.0 - pb))[:, None], out=A[lo:hi])
        return Ab.T @ Ab, float(sb @ log_sigmoid(np.where(y[lo:hi] > 0, eta, -eta)))

    parts = split_rows(weighted, n, PASS_ROWS, threads)
    info = sum(part[0] for part in parts)
    try:
        L = linalg.cholesky(info, lower=True, check_finite=False, overwrite_a=True)
    except linalg.LinAlgError:
        return None
    diag = L.diagonal()
    if diag.min() <= np.sqrt(n * np.finfo(float).eps) * diag.max():
        return None  # numerically singular: the hat values would be noise
    # h_i = |L^{-1} a_i|^2: L^{-1} is D x D, and a triangular product with it (the rows a_i^T L^{-T},
    # written over A) is cheaper than a solve
    Linv_T = linalg.lapack.dtrtri(L, lower=1)[0].T

    def hat_and_score(lo, hi):
        B = times_upper(A[lo:hi], Linv_T)
        h[lo:hi] = np.einsum("ij,ij->i", B, B)
        pb = p[lo:hi]
        return X1[lo:hi].T @ (s[lo:hi] * (y[lo:hi] - pb) + h[lo:hi] * (0.5 - pb))

    score = sum(split_rows(hat_and_score, n, PASS_ROWS, threads))
    loglik = sum(part[1] for part in parts) + float(np.sum(np.log(diag)))
    return FirthPoint(beta, loglik, score, L, h, p)


def _step(q, free, X1=None, s=None):
    """Newton's step on the coordinates ``free`` (all when None): :math:`I^{-1}U^*`, or with ``X1`` and ``s``
    given, :math:`J^{-1}U^*` with :math:`J = -\\nabla^2\\ell^*` (:func:`observed_info`) where it is positive
    definite and at most :data:`EXACT_ROWS` rows, else the penalised information of :func:`penalised_info`
    (both closer to the Hessian of :math:`\\ell^*` than :math:`I` far in the tails)."""
    g = q.score if free is None else q.score[free]
    if X1 is None:
        if free is None:
            return linalg.cho_solve((q.chol, True), q.score, check_finite=False)
        candidates = [q.chol @ q.chol.T]
    else:
        candidates = [penalised_info(X1, s, q)]
        if X1.shape[0] <= EXACT_ROWS:
            candidates.insert(0, observed_info(X1, s, q))
    for info in candidates:
        if free is not None:
            info = info[np.ix_(free, free)]
        try:
            return linalg.cho_solve(linalg.cho_factor(info, lower=True, check_finite=False), g, check_finite=False)
        except linalg.LinAlgError:
            continue
    raise linalg.LinAlgError("the penalised information is singular")


def constrained_fit(X1, y, s, beta0, *, free=None, tol=1e-4, max_iter=100, q0=None, callback=None, work=None,
                    penalised=False):
    r"""Maximise :math:`\ell^*` over the coordinates ``free`` from ``beta0`` (the others stay fixed).

    Newton's modified-score iterations with step halving (module docstring); ``free=None`` frees all.
    ``q0``: the :class:`FirthPoint` of ``beta0`` when known; ``callback(n_iter, point)`` after each step
    (a true return value stops there, not converged); ``work``: the buffer of :func:`evaluate`;
    ``penalised``: Newton's matrix is the penalised information (one more Gram matrix per step, fewer
    steps far in the tails: the profiles of :mod:`._firth_inference`).

    Returns
    -------
    (FirthPoint, n_iter, converged)

    Examples
    --------
    >>> import numpy as np
    >>> X1 = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 1.0], [1.0, 1.0]]); y = np.array([0.0, 0.0, 1.0, 1.0])
    >>> q, n_iter, ok = constrained_fit(X1, y, np.ones(4), np.zeros(2), tol=1e-12)
    >>> ok, q.beta.round(6).tolist()   # separated: finite, log(5) and -log(5)/2 in closed form
    (True, [3.218876, -1.609438])
    """
    work = np.empty(X1.shape) if work is None else work
    q = evaluate(X1, y, s, np.array(beta0, dtype=np.float64), work) if q0 is None else q0
    if q is None:
        raise linalg.LinAlgError("the weighted design matrix is rank deficient: the Fisher information is singular")
    for it in range(max_iter + 1):
        delta = _step(q, free, *((X1, s) if penalised else ()))
        g = q.score if free is None else q.score[free]
        if np.max(np.abs(delta), initial=0.0) < tol and np.max(np.abs(g), initial=0.0) < tol:
            return q, it, True
        if it == max_iter:
            break
        biggest = np.max(np.abs(delta))
        if biggest > MAX_STEP:
            delta = delta * (MAX_STEP / biggest)
        factor = 1.0
        for _ in range(MAX_HALFSTEP + 1):
            beta = q.beta.copy()
            if free is None:
                beta += factor * delta
            else:
                beta[free] += factor * delta
            new = evaluate(X1, y, s, beta, work)
            if new is not None and new.loglik >= q.loglik - ROUNDING * (1.0 + abs(q.loglik)):
                break
            factor *= 0.5
        else:
            return q, it, False  # no halving increases the penalised likelihood
        q = new
        if callback is not None and callback(it + 1, q):
            return q, it + 1, False
    return q, max_iter, False


def observed_info(X1, s, q):
    r""":math:`-\nabla^2\ell^*(\beta)`, the exact Hessian of the penalised log-likelihood (negated):

    .. math::
        \tilde X^\top \mathrm{diag}\big(s_i v_i - \tfrac12 h_i (1 - 6 v_i)\big)\tilde X
        + \tfrac12\,\tilde X^\top C\,(H \circ H)\,C\,\tilde X,

    :math:`v_i = p_i(1-p_i)`, :math:`C = \mathrm{diag}(1 - 2p_i)`, :math:`H` the hat matrix (n × n: for
    small n only), from :math:`\partial I/\partial\beta_r = \tilde X^\top \mathrm{diag}(s_i v_i (1-2p_i) x_{ir})
    \tilde X` and :math:`\partial^2 \log\det I = \mathrm{tr}(I^{-1}\partial^2 I) - \mathrm{tr}(I^{-1}\partial I\,
    I^{-1}\partial I)`.
    """
    p = q.proba
    v = p * (1.0 - p)
    B = linalg.solve_triangular(q.chol, (X1 * np.sqrt(s * v)[:, None]).T, lower=True, check_finite=False)
    H = B.T @ B
    C = X1 * (1.0 - 2.0 * p)[:, None]
    return X1.T @ (X1 * (s * v - 0.5 * q.hat * (1.0 - 6.0 * v))[:, None]) + 0.5 * (C.T @ ((H * H) @ C))


def penalised_info(X1, s, q):
    r""":math:`\tilde X^\top \mathrm{diag}((s_i + h_i) p_i(1-p_i))\tilde X` at the point ``q`` (full, symmetric)."""
    A = X1 * np.sqrt((s + q.hat) * q.proba * (1.0 - q.proba))[:, None]
    return A.T @ A


def penalised_cov(X1, s, q):
    """The inverse of :func:`penalised_info`: the covariance of the Firth estimate (logistf, firthmodels)."""
    info = penalised_info(X1, s, q)
    return linalg.cho_solve(linalg.cho_factor(info, lower=True, check_finite=False), np.eye(X1.shape[1]),
                            check_finite=False)


def flic_intercept(offset, y, s, start=0.0):
    r"""FLIC: the intercept :math:`b` solving :math:`\sum_i s_i\,(y_i - \sigma(b + o_i)) = 0` (maximum likelihood
    with the offsets :math:`o_i`), by Newton's method on this concave one-dimensional problem.

    Examples
    --------
    >>> import numpy as np
    >>> round(flic_intercept(np.zeros(4), np.array([0.0, 1.0, 1.0, 1.0]), np.ones(4)), 12)   # log(3/1)
    1.098612288668
    """
    b = float(start)
    target = float(s @ y)
    for _ in range(200):
        p = sigmoid(b + offset)
        g = target - float(s @ p)
        curv = float(s @ (p * (1.0 - p)))
        step = g / curv
        step = max(-MAX_STEP, min(MAX_STEP, step))
        b += step
        if abs(step) <= 1e-13 * max(1.0, abs(b)):
            break
    return b


def _coefficients(beta, X1, y, s, fit_intercept, flic):
    """``(coef (1, d), intercept (1,))`` of the flat Firth estimate ``beta`` (FLIC's intercept with ``flic``)."""
    intercept = float(beta[-1]) if fit_intercept else 0.0
    if fit_intercept and flic:
        intercept = flic_intercept(X1[:, :-1] @ beta[:-1], y, s, start=intercept)
    return beta[:X1.shape[1] - fit_intercept][None, :].copy(), np.array([intercept])


def fit_firth(est, X, y_enc, sample_weight, callback=None, *, coef0=None):
    """Fit ``est`` (``penalty="firth"``) on checked in-memory data and store its attributes.

    Sets ``coef_`` (1, d), ``intercept_`` (1,) (the FLIC intercept with ``flic=True``), ``n_iter_``,
    ``converged_``, ``loss_curve_`` (:math:`-\\ell^*/S` after each iteration), ``solver_`` (``"firth"``)
    and ``firth_`` (:class:`FirthResult`).

    Raises
    ------
    ValueError
        Three or more classes (Firth's penalty is implemented for two), a class without weight, more
        coefficients than rows of positive weight.
    numpy.linalg.LinAlgError
        A rank-deficient design.
    """
    K = len(est.classes_)
    if K != 2:
        raise ValueError(f"penalty='firth' fits two classes only (binary logistic regression), got {K} classes "
                         f"{est.classes_.tolist()}")
    s = np.asarray(row_weights(est.class_weight, est.classes_, y_enc, sample_weight), dtype=np.float64)
    y = (y_enc == 1).astype(np.float64)
    if not (np.any(s[y == 1] > 0) and np.any(s[y == 0] > 0)):
        raise ValueError("penalty='firth' needs rows of positive weight in both classes")
    X1 = design(X, est.fit_intercept)
    D = X1.shape[1]
    if D > np.count_nonzero(s > 0):
        raise ValueError(f"penalty='firth' needs at least as many rows of positive weight as coefficients: "
                         f"{D} coefficients, {np.count_nonzero(s > 0)} rows")
    fi = bool(est.fit_intercept)
    work = np.empty(X1.shape)
    beta0 = np.zeros(D) if coef0 is None else np.asarray(coef0, dtype=np.float64)
    curve = []
    total = float(s.sum())

    stopped = []

    def step(it, point):  # the user's callback(state), as the solvers call it; True: stop here
        curve.append(-point.loglik / total)
        if callback is None:
            return False
        coef, intercept = _coefficients(point.beta, X1, y, s, fi, est.flic)
        try:
            stop = bool(callback(IterationState(int(it), curve[-1], point.beta.copy(), coef, intercept)))
        except StopIteration:
            stop = True
        stopped.extend([True] if stop else [])
        return stop

    # the passes over the rows on the package's threads, as many as the cores free now; BLAS on one
    with for_own_threads(X1.shape[0] * D * D):
        q = evaluate(X1, y, s, beta0, work)
        if q is None and np.any(beta0 != 0):  # a warm start where the information is singular: from zero
            q = evaluate(X1, y, s, np.zeros(D), work)
        if q is None:
            raise linalg.LinAlgError("penalty='firth': the weighted design matrix is rank deficient (collinear "
                                     "columns of X); its Fisher information is singular")

        first = min(int(est.max_iter), PLAIN_STEPS)
        q, n_iter, converged = constrained_fit(X1, y, s, None, tol=float(est.tol), max_iter=first, q0=q,
                                               callback=step, work=work)
        if not converged and not stopped and n_iter == first < int(est.max_iter):  # slow: far in the tails (separation)
            q, more, converged = constrained_fit(X1, y, s, None, tol=float(est.tol), max_iter=int(est.max_iter) - first,
                                                 q0=q, callback=lambda it, point: step(first + it, point), work=work,
                                                 penalised=True)
            n_iter += more
    if not converged and not stopped:  # a stop asked by the callback is no failure
        warnings.warn(f"penalty='firth': the modified-score Newton iterations did not converge within "
                      f"max_iter={est.max_iter} (tol={est.tol}); increase max_iter or loosen tol",
                      ConvergenceWarning, stacklevel=4)
    beta = q.beta
    intercept = float(beta[-1]) if fi else 0.0
    coef, intercept_ = _coefficients(beta, X1, y, s, fi, est.flic)
    store_result(est, FitResult(coef, intercept_, int(n_iter), bool(converged), curve, curve[-1] if curve else None,
                                "firth", stopped=bool(stopped), flat=beta.copy()))
    est.firth_ = FirthResult(beta=beta.copy(), loglik=float(q.loglik), intercept=intercept,
                             n_iter=int(n_iter), converged=bool(converged))
    return est
