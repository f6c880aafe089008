r"""Tests of terms and nested models, and profile-likelihood intervals, for a fitted logistic or softmax model.

All are functions of a :class:`~crossentropy.linear_model._design.FittedDesign` (an unpenalised fit):

- :func:`wald_tests`: for each input column, :math:`W = \hat b^\top V_b^{-1} \hat b \sim \chi^2_{df}`
  over all the coefficients of its terms (for softmax, of every class), :math:`V_b` their block of a
  covariance from :func:`~crossentropy.linear_model._covariance.covariance`;
- :func:`lr_tests`: for each input column, :math:`LR = 2(\hat\ell - \hat\ell_{-c}) \sim \chi^2_{df}`,
  :math:`\hat\ell_{-c}` the maximum without that column's terms;
- :func:`lr_test`: the same statistic for any two nested models;
- :func:`profile_intervals`: R's ``confint`` on a ``glm`` (MASS's profile): the values :math:`b` of a
  coefficient where :math:`2(\hat\ell - \max_{\beta:\,\beta_j = b} \ell(\beta)) = \chi^2_1(1 - \alpha)`.

The restricted maxima are refits by the project's own objective and solver: the objective
:class:`~crossentropy.objective.LinearObjective` (the constant a design column, no penalty, scaled by
:math:`1/\sum_i s_i`, the design's offset as its offset) with some coefficients held fixed, minimised
over the others by :func:`crossentropy.solvers.newton` from the full fit's coefficients (warm start).
A fixed coefficient :math:`\beta_j = b` enters the logits as the offset :math:`b\,x_j`. For softmax
the objective has one coefficient row per class (the symmetric parameterisation, the same
likelihood); the row of class 0 is held at zero, which makes the other rows the coefficients relative
to class 0 that the design reports.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._validation import check_int, check_real
from ..objective import LinearObjective, Penalty
from ..solvers import SOLVERS

__all__ = ["LRTest", "term_tests", "wald_tests", "lr_tests", "lr_test", "profile_intervals", "column_params",
           "null_fit"]

#: gradient tolerance (max-norm of the mean-scaled objective's gradient) and relative objective gap of
#: every refit
REFIT_TOL, REFIT_GAP = 1e-10, 1e-14
#: the profile search steps out to z se 2^k, k = 0 .. PROFILE_DOUBLINGS, before giving up on a bound
PROFILE_DOUBLINGS = 7


def column_params(design):
    """``{column: flat parameter indices}`` of every input column (the constant excluded), in design order.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.linear_model._design import FittedDesign
    >>> d = FittedDesign(np.ones((3, 3)), ("const", "c[T.b]", "c[T.c]"), (None, "c", "c"), np.zeros((2, 3)),
    ...                  np.array([0, 1, 2]), np.ones(3), 3)
    >>> column_params(d)   # both levels, both classes (class-major)
    {'c': [1, 2, 4, 5]}
    """
    q, J = design.n_terms, 1 if design.binary else design.n_classes - 1
    out = {}
    for t, col in enumerate(design.columns):
        if col is not None:
            out.setdefault(col, []).extend(k * q + t for k in range(J))
    return {col: sorted(idx) for col, idx in out.items()}


def wald_tests(design, cov):
    r"""Wald test of each input column: all its terms (every class for softmax) equal to zero.

    :math:`W = \hat b^\top V_b^{+} \hat b`, :math:`df = \mathrm{rank}(V_b)` (the number of tested
    coefficients when :math:`V_b` is positive definite, as statsmodels' ``wald_test``), :math:`p =
    P(\chi^2_{df} > W)`. The constant is not tested.

    Parameters
    ----------
    design : FittedDesign
    cov : ndarray of shape (m, m)
        The coefficients' covariance (any ``cov_type``).

    Returns
    -------
    pandas.DataFrame
        Columns ``column, df, wald_chi2, wald_p``, one row per input column.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.linear_model._design import FittedDesign
    >>> d = FittedDesign(np.ones((2, 2)), ("const", "x"), (None, "x"), np.array([0.0, 2.0]), np.array([0, 1]),
    ...                  np.ones(2), 2)
    >>> wald_tests(d, np.diag([1.0, 4.0]))   # (2 / sqrt(4))^2 = 1
      column  df  wald_chi2    wald_p
    0      x   1        1.0  0.317311

    References
    ----------
    Wald, *Tests of statistical hypotheses concerning several parameters when the number of
    observations is large*, Trans. AMS 54 (1943); statsmodels, ``LikelihoodModelResults.wald_test``.
    """
    m = design.n_params
    cov = np.asarray(cov, dtype=np.float64)
    if cov.shape != (m, m) or not np.all(np.isfinite(cov)):
        raise ValueError(f"cov must be a finite array of shape ({m}, {m}), got shape {cov.shape}")
    b = design.flat_params
    rows = []
    for col, idx in column_params(design).items():
        lam, U = np.linalg.eigh(cov[np.ix_(idx, idx)])
        keep = lam > max(lam[-1], 0.0) * len(idx) * np.finfo(float).eps
        z = U[:, keep].T @ b[idx]
        w = float(np.sum(z * z / lam[keep])) if keep.any() else np.nan
        df = int(keep.sum())
        rows.append((col, df, w, float(stats.chi2.sf(w, df)) if df else np.nan))
    return pd.DataFrame(rows, columns=["column", "df", "wald_chi2", "wald_p"])


def term_tests(design, cov, *, lr=True):
    """The Wald test (:func:`wald_tests`) and, with ``lr``, the likelihood-ratio test (:func:`lr_tests`) of each column.

    Returns
    -------
    pandas.DataFrame
        Columns ``column, df, wald_chi2, wald_p, lr_chi2, lr_p`` (the LR columns NaN without ``lr``).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.linear_model._design import FittedDesign
    >>> X = np.column_stack([np.ones(4), [0.0, 0.0, 1.0, 1.0]]); y = np.array([0, 1, 0, 1])
    >>> beta = np.array([0.0, np.log(3.0)])    # the maximum: p = 1/2 at x = 0, 3/4 at x = 1
    >>> d = FittedDesign(X, ("const", "x"), (None, "x"), beta, y, np.array([1.0, 1.0, 1.0, 3.0]), 2)
    >>> cov = np.array([[2.0, -2.0], [-2.0, 2.0 + 4 / 3]])   # var(logit p) = 1 / (n p (1 - p)) per group
    >>> term_tests(d, cov).round(4)   # Wald: log(3)^2 / (10/3)
      column  df  wald_chi2  wald_p  lr_chi2    lr_p
    0      x   1     0.3621  0.5474   0.3669  0.5447

    References
    ----------
    See :func:`wald_tests` and :func:`lr_tests`.
    """
    out = wald_tests(design, cov)
    if lr:
        out[["lr_chi2", "lr_p"]] = lr_tests(design)[["lr_chi2", "lr_p"]].to_numpy()
    else:
        out["lr_chi2"] = out["lr_p"] = np.nan
    return out


class LRTest(NamedTuple):
    """A likelihood-ratio test: the statistic, its degrees of freedom and p-value."""
    chi2: float
    df: int
    p_value: float


def lr_test(llf_full, df_full, llf_restricted, df_restricted):
    r"""Likelihood-ratio test of a restricted model nested in a full one.

    :math:`LR = 2(\ell_{\text{full}} - \ell_{\text{restricted}})`, :math:`df = df_{\text{full}} -
    df_{\text{restricted}}` (their numbers of free parameters), :math:`p = P(\chi^2_{df} > LR)`. A
    negative LR within rounding (:math:`10^{-8}\max(1, |\ell|)`) is taken as 0.

    Parameters
    ----------
    llf_full, llf_restricted : float
        The maximised log-likelihoods.
    df_full, df_restricted : int
        The parameters of each model; the full model must have more.

    Returns
    -------
    LRTest
        ``(chi2, df, p_value)``.

    Raises
    ------
    ValueError
        ``df_full <= df_restricted``, or ``llf_restricted`` above ``llf_full`` (not nested).

    Examples
    --------
    >>> lr_test(-10.0, 3, -12.0, 2)
    LRTest(chi2=4.0, df=1, p_value=0.04550026389635857)

    References
    ----------
    Wilks, *The large-sample distribution of the likelihood ratio for testing composite hypotheses*,
    Ann. Math. Stat. 9 (1938).
    """
    lf = check_real(llf_full, "llf_full")
    lr_ = check_real(llf_restricted, "llf_restricted")
    df_f = check_int(df_full, "df_full", low=1)
    df_r = check_int(df_restricted, "df_restricted", low=0)
    if df_f <= df_r:
        raise ValueError(f"df_full must exceed df_restricted for nested models, got df_full={df_f}, "
                         f"df_restricted={df_r}")
    chi2 = 2.0 * (lf - lr_)
    if chi2 < 0:
        if chi2 < -1e-8 * max(1.0, abs(lf)):
            raise ValueError(f"llf_restricted ({lr_!r}) exceeds llf_full ({lf!r}): the models are not nested "
                             "or a fit did not reach its maximum")
        chi2 = 0.0
    df = df_f - df_r
    return LRTest(chi2, df, float(stats.chi2.sf(chi2, df)))


class _Restricted:
    """The objective as a function of its free coefficients, the others held at ``base``."""

    def __init__(self, objective, free, base):
        self.objective, self.free, self.base = objective, free, base
        self.n_coef, self.n_samples = int(free.size), objective.n_samples
        self.penalty, self.penalized = Penalty(), np.zeros(free.size, dtype=bool)

    def full(self, theta):
        coef = self.base.copy()
        coef[self.free] = theta
        return coef

    def loss(self, theta):
        return self.objective.loss(self.full(theta))

    def loss_gradient(self, theta):
        f, g = self.objective.loss_gradient(self.full(theta))
        return f, g[self.free]

    def hessian(self, theta):
        return self.objective.hessian(self.full(theta))[np.ix_(self.free, self.free)]

    def loss_gradient_hessian(self, theta):
        f, g = self.loss_gradient(theta)
        return f, g, self.hessian(theta)

    def hessp(self, theta, v):
        w = np.zeros_like(self.base)
        w[self.free] = v
        return self.objective.hessp(self.full(theta), w)[self.free]

    def nonsmooth(self, theta):
        return 0.0

    def null_space(self):
        return None


class _Refitter:
    """Maxima of the design's log-likelihood with some flat parameters held fixed, by Newton.

    The Hessian of the first fit without fixed parameters (the full model's, at its maximum) is kept and
    handed, restricted to the free parameters, to every later refit as Newton's lazy Hessian
    (``state={"hessian": ...}``): a warm-started refit then forms a Hessian only when the kept one
    (BFGS-corrected after each step) stops contracting the Newton decrement, and most refits take a few
    gradient passes over the rows instead of a few Hessian passes.
    """

    def __init__(self, design):
        self.design = design
        s = np.asarray(design.sample_weight, dtype=np.float64)
        self.objective = LinearObjective(np.ascontiguousarray(design.X, dtype=np.float64), design.y, s,
                                         n_classes=design.n_classes, fit_intercept=False, scale=1.0 / s.sum(),
                                         l2=0.0, offset=design.offset)
        q = design.n_terms
        self.rows = 0 if design.binary else q  # the objective's coefficients of class 0 come first
        self.hessian = None  # of the full model (relative parameters), from the first unrestricted fit

    def fit(self, start, fixed=(), values=()):
        """``(loglike, flat params, converged)`` of the refit from ``start`` with ``params[fixed] = values``."""
        start = np.array(start, dtype=np.float64, copy=True)
        fixed = np.asarray(fixed, dtype=np.intp)
        start[fixed] = values
        m = start.size
        free_rel = np.setdiff1d(np.arange(m), fixed)
        base = np.zeros(self.rows + m)
        base[self.rows + fixed] = start[fixed]
        converged = True
        if free_rel.size:
            problem = _Restricted(self.objective, self.rows + free_rel, base)
            state = {} if self.hessian is None else {"hessian": self.hessian[np.ix_(free_rel, free_rel)]}
            res = SOLVERS["newton"](problem, start[free_rel], tol=REFIT_TOL, gap_rtol=REFIT_GAP, max_iter=100,
                                    step="cholesky", state=state)
            if self.hessian is None and free_rel.size == m and res.state.get("hessian") is not None:
                self.hessian = res.state["hessian"]
            start[free_rel] = res.coef
            converged = bool(res.converged) and np.all(np.isfinite(res.coef))
            # the objective is scale * sum_i s_i l_i at the last point it evaluated (no new pass)
            return -problem.loss(res.coef) / self.objective.scale, start, converged
        return self.design.with_params(start).loglike(), start, converged


def null_fit(y, sample_weight, n_classes, offset):
    r"""``(loglike, converged)`` of the intercept-only model with fixed logit offsets, maximised by Newton.

    :math:`\max_c \sum_i s_i \log p_{i y_i}` with :math:`\eta_i = c + o_i` (two classes) or
    :math:`\eta_{ik} = c_k + o_{ik} - o_{i0}` (softmax, :math:`c_0 = 0`): the constant column as the
    design of a :class:`~crossentropy.linear_model._design.FittedDesign` refitted as in
    :func:`lr_tests`, from the constant of the class frequencies.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 1, 1, 0]); o = np.array([0.0, 0.0, 1.0, 1.0])
    >>> llf, ok = null_fit(y, np.ones(4), 2, o)   # score 2 - 2 sigmoid(c) - 2 sigmoid(c + 1) = 0 at c = -1/2
    >>> ok, bool(abs(llf - 2 * np.log(1 / (1 + np.exp(-0.5))) - 2 * np.log(1 / (1 + np.exp(0.5)))) < 1e-12)
    (True, True)
    """
    from ._design import FittedDesign

    y = np.asarray(y, dtype=np.intp)
    s = np.asarray(sample_weight, dtype=np.float64)
    counts = np.bincount(y, weights=s, minlength=n_classes)
    if not np.all(counts > 0):  # a class without weight: the constant runs off to infinity
        return float("nan"), False
    start = np.log(counts[1:] / counts[0])
    design = FittedDesign(np.ones((y.size, 1)), ("const",), (None,), start.reshape(-1, 1) if n_classes > 2 else start,
                          y, s, n_classes, offset)
    llf, _, converged = _Refitter(design).fit(design.flat_params)
    return float(llf), bool(converged)


def lr_tests(design):
    r"""Likelihood-ratio test of each input column: the model refitted without all its terms.

    :math:`LR = 2(\hat\ell - \hat\ell_{-c})` with :math:`df` the number of the column's coefficients
    (every class for softmax); :math:`\hat\ell` is the full model's maximum, reached again by Newton from
    ``design.params`` (one or two steps when they are the maximum-likelihood estimate), and
    :math:`\hat\ell_{-c}` the refit with the column's coefficients held at zero, warm-started from the
    full fit's other coefficients (the module's docstring says how). A refit that does not converge
    (e.g. under separation) gives NaN and a ``RuntimeWarning``. Only valid for unpenalised fits.

    Returns
    -------
    pandas.DataFrame
        Columns ``column, df, lr_chi2, lr_p``, one row per input column (the constant excluded).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.linear_model._design import FittedDesign
    >>> X = np.column_stack([np.ones(4), [0.0, 0.0, 1.0, 1.0]]); y = np.array([0, 1, 0, 1])
    >>> d = FittedDesign(X, ("const", "x"), (None, "x"), np.zeros(2), y, np.array([1.0, 1.0, 1.0, 3.0]), 2)
    >>> # p = 1/2 at x = 0 and 3/4 at x = 1, against p = 2/3 for all six observations
    >>> lr_tests(d).round(4)
      column  df  lr_chi2    lr_p
    0      x   1   0.3669  0.5447

    References
    ----------
    Wilks (1938); R, ``drop1(glm, test = "LRT")``; statsmodels, ``LikelihoodModelResults.compare_lr_test``.
    """
    refit = _Refitter(design)
    llf, params, ok = refit.fit(design.flat_params)
    rows = []
    for col, idx in column_params(design).items():
        llf_r, _, ok_r = refit.fit(params, idx, 0.0)
        if ok and ok_r:
            chi2 = max(2.0 * (llf - llf_r), 0.0)
            rows.append((col, len(idx), chi2, float(stats.chi2.sf(chi2, len(idx)))))
        else:
            warnings.warn(f"lr_tests: the refit {'of the full model' if not ok else f'without column {col!r}'} did "
                          "not converge (separation?); its LR test is NaN", RuntimeWarning, stacklevel=2)
            rows.append((col, len(idx), np.nan, np.nan))
    return pd.DataFrame(rows, columns=["column", "df", "lr_chi2", "lr_p"])


def profile_intervals(design, alpha=0.05, which=None):
    r"""Profile-likelihood confidence intervals of the coefficients (R's ``confint`` on a ``glm``).

    For coefficient :math:`j` the bounds are the two roots of
    :math:`D(b) = 2(\hat\ell - \max_{\beta:\,\beta_j = b} \ell(\beta)) = \chi^2_1(1 - \alpha)`, one on
    each side of :math:`\hat\beta_j`. :math:`D` is convex (the profile of a concave log-likelihood), so
    each side has one root: it is bracketed by stepping out to :math:`\hat\beta_j \pm z\,se_j\,2^k`,
    :math:`k = 0, 1, \dots,` :data:`PROFILE_DOUBLINGS` (:math:`z = \Phi^{-1}(1 - \alpha/2)`, :math:`se_j`
    the nonrobust standard error), then found by Brent's method (``scipy.optimize.brentq``) to
    :math:`10^{-8}\,se_j`. Each :math:`D(b)` is a constrained refit (the module's docstring), warm-started
    from the last one. A side whose profile stays below the threshold over the whole search (a flat
    likelihood, e.g. under separation) or whose refit does not converge gets NaN, the reason in
    ``note`` and a ``RuntimeWarning``.

    Parameters
    ----------
    design : FittedDesign
        An unpenalised fit.
    alpha : float in (0, 1), default 0.05
    which : sequence of int, optional
        Flat parameter indices (class-major for softmax); default all.

    Returns
    -------
    pandas.DataFrame
        One row per parameter: ``param`` (flat index), ``term``, ``class`` (softmax: 1..K-1),
        ``estimate``, ``lower``, ``upper``, ``note``.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.linear_model._design import FittedDesign
    >>> d = FittedDesign(np.ones((4, 1)), ("const",), (None,), np.zeros(1), np.array([0, 1, 0, 1]), np.ones(4), 2)
    >>> # the roots of 2 (4 log 2 + 2 log sigmoid(b) + 2 log sigmoid(-b)) = 3.8415
    >>> profile_intervals(d)[["term", "estimate", "lower", "upper"]].round(4)
        term  estimate   lower   upper
    0  const       0.0 -2.1199  2.1199

    References
    ----------
    Venables and Ripley, *Modern Applied Statistics with S*, 4th ed. (2002), §8.4 (``profile.glm``,
    ``confint.glm``); Brent, *Algorithms for Minimization without Derivatives* (1973), ch. 4.
    """
    alpha = check_real(alpha, "alpha", low=0, high=1, low_open=True, high_open=True)
    m, q = design.n_params, design.n_terms
    if which is None:
        which = range(m)
    which = [check_int(j, "which", low=0, high=m - 1) for j in which]
    refit = _Refitter(design)
    llf, params, ok = refit.fit(design.flat_params)
    if not ok:
        raise ValueError("profile_intervals: the full model's refit did not converge (separation?): no profile")
    info = design.with_params(params).information()
    se = np.sqrt(np.clip(np.diag(np.linalg.pinv(info, hermitian=True)), 0.0, None))
    target = float(stats.chi2.ppf(1 - alpha, 1))
    z = float(stats.norm.ppf(1 - alpha / 2))
    rows = []
    for j in which:
        bounds, notes = [], []
        for side in (-1.0, 1.0):
            b, note = _profile_bound(refit, llf, params, j, side, se[j], target, z)
            bounds.append(b)
            if note:
                notes.append(note)
                warnings.warn(f"profile_intervals: parameter {j} ({design.names[j % q]}): {note}", RuntimeWarning,
                              stacklevel=2)
        rows.append((j, design.names[j % q], None if design.binary else j // q + 1, float(params[j]), bounds[0],
                     bounds[1], "; ".join(notes)))
    out = pd.DataFrame(rows, columns=["param", "term", "class", "estimate", "lower", "upper", "note"])
    return out.drop(columns="class") if design.binary else out


def _profile_bound(refit, llf, params, j, side, se, target, z):
    """One bound of the profile interval of parameter ``j``: (value, "") or (NaN, the reason)."""
    state = {"start": params}

    def excess(b):
        val, coef, ok = refit.fit(state["start"], [j], b)
        if not ok:
            raise _NoConvergence(b)
        state["start"] = coef
        return 2.0 * (llf - val) - target

    if not (se > 0 and np.isfinite(se)):
        return np.nan, "no standard error to scale the search"
    inner = params[j]
    try:
        for k in range(PROFILE_DOUBLINGS + 1):
            outer = params[j] + side * z * se * 2.0**k
            if excess(outer) >= 0:
                lo, hi = sorted((inner, outer))
                return float(optimize.brentq(excess, lo, hi, xtol=1e-8 * se, maxiter=200)), ""
            inner = outer
    except _NoConvergence as e:
        return np.nan, f"the constrained refit at {e.args[0]:.6g} did not converge"
    return np.nan, (f"the profile does not reach the chi2 threshold within {z * 2.0 ** PROFILE_DOUBLINGS:.4g} "
                    "standard errors (separation or a flat likelihood)")


class _NoConvergence(Exception):
    pass
