r"""Inference for Firth's logistic regression: the coefficient table of ``LogisticRegression(penalty="firth")``.

As R's logistf reports it (and ``firthmodels``):

- standard errors from the inverse penalised information
  :math:`\big(\tilde X^\top \mathrm{diag}((s_i + h_i)\,p_i(1-p_i))\,\tilde X\big)^{-1}` at :math:`\hat\beta`;
- penalised likelihood-ratio tests of :math:`\beta_j = 0`: :math:`\chi^2_j = 2\,(\ell^*(\hat\beta) -
  \max_{\beta_j = 0}\ell^*(\beta))` on one degree of freedom, the maximum over the other coefficients with
  the full model's penalty (:func:`._firth.constrained_fit`);
- profile penalised-likelihood intervals: the two values :math:`b` of :math:`\beta_j` where
  :math:`2\,(\ell^*(\hat\beta) - \ell^*_{\mathrm{prof}}(b)) = \chi^2_{1}(1-\alpha)`,
  :math:`\ell^*_{\mathrm{prof}}(b) = \max_{\beta_j = b}\ell^*(\beta)`. Each is found by Newton's method on
  :math:`b` (the derivative of the profile is the modified score :math:`U^*_j` at the constrained maximum),
  safeguarded by bisection once the root is bracketed; every evaluation is a constrained refit from two
  starts, the higher maximum kept (:func:`profile_bound`).

With ``flic=True`` the intercept row is FLIC's (Puhr et al., 2017): its estimate the maximum-likelihood
intercept with the Firth linear predictor as offset, its variance the intercept's entry of
:math:`(\tilde X^\top W \tilde X)^{-1}` at the FLIC probabilities (as logistf's ``flic``), with a Wald
interval and a Wald test; the slopes' rows are the Firth model's.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg, stats

from ..exceptions import ConvergenceWarning
from ._firth import constrained_fit, design, evaluate, penalised_cov, penalised_info
from ._weights import row_weights

__all__ = ["FirthSummary", "firth_summary", "profile_bound", "lr_test"]

_COLUMNS = ["coef", "std_err", "z", "p_value", "ci_lower", "ci_upper", "chi2"]
#: the constrained refits and the profile roots stop at this tolerance (step, score, profile gap)
INFERENCE_TOL = 1e-10


@dataclass
class FirthSummary:
    r"""The coefficient table of a Firth fit; ``str()`` renders it as text.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per coefficient (``const`` first), columns ``coef``; ``std_err`` (inverse penalised
        information); ``z`` (coef / std_err, a Wald statistic); ``p_value`` and ``chi2`` (the penalised
        likelihood-ratio test of coef = 0, one degree of freedom); ``ci_lower``, ``ci_upper`` (profile
        penalised-likelihood interval). With FLIC the ``const`` row is the FLIC intercept's (Wald).
    cov : ndarray of shape (p, p)
        Inverse penalised information, in the order of the rows of ``frame``.
    nobs : float
        Sum of the row weights.
    llf, llnull : float
        Penalised log-likelihood of the model and of the intercept-only model (with the full model's
        penalty, as logistf's ``loglik``); ``llnull`` is :math:`\ell^*(0)` without an intercept.
    prsquared : float
        :math:`1 - \mathrm{llf}/\mathrm{llnull}` (McFadden's formula on the penalised log-likelihoods).
    lr_chi2 : float
        :math:`2(\mathrm{llf} - \mathrm{llnull})`, the penalised likelihood-ratio test of the model.
    alpha : float
    reference : None
    note : str
    """

    frame: object
    cov: np.ndarray
    nobs: float
    llf: float
    llnull: float
    prsquared: float
    lr_chi2: float
    alpha: float
    reference: object
    note: str

    def __str__(self):
        lo, hi = f"[{self.alpha / 2:g}", f"{1 - self.alpha / 2:g}]"
        cols = ["coef", "std err", "z", "P>chi2", lo, hi, "chi2"]
        width = max([len(str(t)) for t in self.frame.index] + [10])
        line = "=" * (width + len(cols) * 11)
        rows = [line, "Firth's penalised-likelihood logistic regression", line,
                f"{'No. Observations:':<22}{self.nobs:>14.6g}   {'Penalised log-lik.:':<20}{self.llf:>14.6g}",
                f"{'LR chi2 (model):':<22}{self.lr_chi2:>14.6g}   {'Null penalised ll.:':<20}{self.llnull:>14.6g}",
                "-" * len(line), " " * width + "".join(f"{c:>11}" for c in cols), "-" * len(line)]
        for term, r in self.frame.iterrows():
            rows.append(f"{str(term):<{width}}" + "".join(f"{v:>11.4g}" for v in r[_COLUMNS].to_numpy()))
        rows += [line, self.note]
        return "\n".join(rows)

    def _repr_html_(self):
        return f"<pre>{self.__str__()}</pre>"


def _refit(X1, y, s, j, b, start, max_iter=200):
    """:math:`\\max_{\\beta_j = b}\\ell^*`: the constrained :class:`~._firth.FirthPoint` (or None, not converged)."""
    beta = np.array(start, dtype=np.float64)
    beta[j] = b
    free = np.delete(np.arange(X1.shape[1]), j)
    if free.size == 0:
        return evaluate(X1, y, s, beta)
    try:
        q, _, ok = constrained_fit(X1, y, s, beta, free=free, tol=INFERENCE_TOL, max_iter=max_iter, penalised=True)
    except linalg.LinAlgError:  # a start where the information is singular (probabilities of 0 or 1)
        return None
    return q if ok else None


def lr_test(X1, y, s, q_hat, cov, j):
    r"""Penalised likelihood-ratio test of :math:`\beta_j = 0`: ``(chi2, p)``, NaN when the refit fails.

    The refit starts from :math:`\hat\beta - \hat\beta_j\,\Sigma_{\cdot j}/\Sigma_{jj}` (the constrained
    maximum of the quadratic approximation).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.linear_model._firth import constrained_fit, penalised_cov
    >>> X1 = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [3.0, 1.0]]); y = np.array([0.0, 0.0, 1.0, 1.0])
    >>> s = np.ones(4); q, _, _ = constrained_fit(X1, y, s, np.zeros(2), tol=1e-12)
    >>> chi2, p = lr_test(X1, y, s, q, penalised_cov(X1, s, q), 0)
    >>> bool(chi2 > 0 and 0 < p < 1)
    True
    """
    start = q_hat.beta - q_hat.beta[j] * cov[:, j] / cov[j, j]
    q0 = _refit(X1, y, s, j, 0.0, start)
    if q0 is None:
        return np.nan, np.nan
    chi2 = max(0.0, 2.0 * (q_hat.loglik - q0.loglik))
    return chi2, float(stats.chi2.sf(chi2, 1))


def profile_bound(X1, y, s, q_hat, cov, j, side, crit, max_iter=60):
    r"""One end of the profile penalised-likelihood interval of :math:`\beta_j` (``side`` -1 or +1).

    The root of :math:`g(b) = \ell^*_{\mathrm{prof}}(b) - \ell^*(\hat\beta) + \mathrm{crit}/2` beyond
    :math:`\hat\beta_j`, by Newton's method on :math:`b` (:math:`g' = U^*_j` at the constrained maximum)
    safeguarded by bisection once bracketed. Each constrained maximum is refitted from two starts, the
    higher kept (where :math:`\ell^*` is not concave, under separation, they may differ): the tangent of
    the constrained maxima at the nearest point already refitted (:math:`d\beta/db` from the penalised
    information), and :math:`\hat\beta` with :math:`\beta_j = b`. NaN when a refit fails or
    no root is found.
    """
    bhat = float(q_hat.beta[j])
    se = float(np.sqrt(cov[j, j]))
    target = q_hat.loglik - crit / 2.0
    free = np.delete(np.arange(X1.shape[1]), j)
    path = {bhat: (q_hat.beta, cov[:, j] / cov[j, j])}  # b -> (constrained maximum, its tangent)

    def profile(b):
        near = min(path, key=lambda c: abs(c - b))
        beta, tangent = path[near]
        plain = q_hat.beta.copy()
        plain[j] = b
        found = [q for q in (_refit(X1, y, s, j, b, beta + (b - near) * tangent),
                             _refit(X1, y, s, j, b, plain, max_iter=50)) if q is not None]
        if not found:
            return None
        q = max(found, key=lambda point: point.loglik)
        info = penalised_info(X1, s, q)
        tangent = np.zeros(X1.shape[1])
        tangent[j] = 1.0
        tangent[free] = -linalg.solve(info[np.ix_(free, free)], info[free, j], assume_a="pos")
        path[b] = (q.beta, tangent)
        return q

    inside, outside = bhat, None
    b = bhat + side * np.sqrt(crit) * se
    for _ in range(max_iter):
        q = profile(b)
        if q is None:
            return np.nan
        g, slope = q.loglik - target, float(q.score[j])
        if g > 0:
            inside = b
        else:
            outside = b
        newton = b - g / slope if slope != 0 else np.nan
        if abs(newton - b) <= INFERENCE_TOL * (1.0 + abs(b)) and abs(g) <= 1e-6:
            return newton
        if outside is None:
            far = b + side * abs(b - bhat)  # no point beyond the bound yet: at most twice as far out
            b = newton if np.isfinite(newton) and side * (newton - b) > 0 and side * (newton - far) <= 0 else far
        else:
            lo, hi = sorted((inside, outside))
            if hi - lo <= INFERENCE_TOL * (1.0 + abs(b)):
                # bracketed but the refits jump across the target: the constrained maxima followed
                # end there (a penalised likelihood that is not concave), so no bound is claimed
                return b if abs(g) <= 1e-6 else np.nan
            b = newton if np.isfinite(newton) and lo < newton < hi else 0.5 * (inside + outside)
    return np.nan


def firth_summary(estimator, X, y, sample_weight=None, *, alpha=0.05, cov_type="nonrobust", groups=None, terms=None):
    r"""Coefficient table of a fitted ``LogisticRegression(penalty="firth")`` on the data (X, y).

    Parameters
    ----------
    estimator : LogisticRegression
        Fitted with ``penalty="firth"``.
    X, y, sample_weight
        The data of the fit (n rows; the tests and intervals refit the model on them), with the
        frequency weights of ``fit``.
    alpha : float in (0, 1), default 0.05
        One minus the coverage of the profile intervals.
    cov_type, groups, terms
        Only their defaults (``"nonrobust"``, None, None): the table is in the model's own columns,
        with the penalised information's standard errors.

    Returns
    -------
    FirthSummary

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import LogisticRegression
    >>> X = np.array([[0.0], [0.0], [0.0], [1.0], [1.0], [1.0]]); y = np.array([0, 0, 0, 1, 1, 1])
    >>> est = LogisticRegression(penalty="firth", tol=1e-10).fit(X, y)   # separated: still finite
    >>> s = est.summary(X, y)
    >>> round(float(s.frame.loc["x1", "coef"]), 6)   # firthmodels and logistf: log(49) = 3.891820
    3.89182

    References
    ----------
    Heinze and Schemper, *A solution to the problem of separation in logistic regression*, Statistics in
    Medicine 21 (2002); Venzon and Moolgavkar, *A method for computing profile-likelihood-based confidence
    intervals*, Applied Statistics 37 (1988); Puhr, Heinze, Nold, Lusa and Geroldinger, *Firth's logistic
    regression with rare events: accurate effect estimates and predictions?*, Statistics in Medicine 36
    (2017); R package logistf.
    """
    import pandas as pd

    if not 0 < float(alpha) < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    given = [f"cov_type={cov_type!r}"] if cov_type != "nonrobust" else []
    given += [f"{name}=..." for name, value in (("groups", groups), ("terms", terms)) if value is not None]
    if given:
        raise ValueError(f"{', '.join(given)} is not available for penalty='firth': its table is in the model's "
                         f"own columns, with the penalised information's standard errors")
    if not hasattr(estimator, "coef_"):
        raise ValueError("summary needs a fitted estimator: call fit first")
    X, y_enc, sw = estimator._validate_fit_data(X, y, sample_weight, reset=False)
    s = np.asarray(row_weights(estimator.class_weight, estimator.classes_, y_enc, sw), dtype=np.float64)
    yb = (y_enc == 1).astype(np.float64)
    fi = bool(estimator.fit_intercept)
    X1 = design(X, fi)
    D = X1.shape[1]
    if hasattr(estimator, "firth_"):
        beta = estimator.firth_.beta
    else:  # a model read from a file: its coefficients; under FLIC the Firth intercept refitted given the slopes
        beta = np.concatenate([estimator.coef_.ravel(), estimator.intercept_ if fi else []]).astype(np.float64)
        if fi and estimator.flic:
            beta = _refit(X1, yb, s, np.arange(D - 1), beta[:-1], beta).beta
    q_hat = evaluate(X1, yb, s, beta)
    if q_hat is None:
        raise ValueError("the Fisher information of these data at the fitted coefficients is singular")
    cov = penalised_cov(X1, s, q_hat)
    se = np.sqrt(np.diag(cov))
    crit = float(stats.chi2.ppf(1 - alpha, 1))
    failed = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tests = np.array([lr_test(X1, yb, s, q_hat, cov, j) for j in range(D)])
        bounds = np.array([[profile_bound(X1, yb, s, q_hat, cov, j, side, crit) for side in (-1, 1)]
                           for j in range(D)])
    for j in range(D):
        if not (np.all(np.isfinite(tests[j])) and np.all(np.isfinite(bounds[j]))):
            failed.append(j)
    beta = q_hat.beta.copy()
    z = beta / se
    note = ("std_err from the inverse penalised information; p_value and chi2: penalised likelihood-ratio "
            "tests; intervals: profile penalised likelihood (logistf's defaults)")
    if fi:  # the intercept-only model, with the full model's penalty
        q_null = _refit(X1, yb, s, np.arange(D - 1), np.zeros(D - 1), np.zeros(D)) if D > 1 else q_hat
    else:
        q_null = evaluate(X1, yb, s, np.zeros(D))
    llnull = np.nan if q_null is None else float(q_null.loglik)
    if fi and estimator.flic:
        b0 = float(estimator.intercept_[0])
        p = 1.0 / (1.0 + np.exp(-(X1[:, :-1] @ beta[:-1] + b0)))
        A = X1 * np.sqrt(s * p * (1.0 - p))[:, None]
        var0 = float(linalg.cho_solve(linalg.cho_factor(A.T @ A), np.eye(D))[-1, -1])
        q = float(stats.norm.ppf(1 - alpha / 2))
        beta[-1], se[-1] = b0, np.sqrt(var0)
        z[-1] = b0 / se[-1]
        tests[-1] = (z[-1] ** 2, float(stats.chi2.sf(z[-1] ** 2, 1)))
        bounds[-1] = (b0 - q * se[-1], b0 + q * se[-1])
        note += "; const: the FLIC intercept, with a Wald interval and test"
    d = D - fi
    names = [str(c) for c in getattr(estimator, "feature_names_in_", [f"x{j + 1}" for j in range(d)])]
    if failed:
        names_failed = [("const" if fi and j == D - 1 else names[j]) for j in failed]
        warnings.warn(f"penalty='firth': no test or profile bound found for {names_failed} (a constrained refit did "
                      f"not converge, or the profile the refits follow jumps across the bound); those entries "
                      f"are NaN", ConvergenceWarning, stacklevel=3)
        note += "; NaN: no constrained refit or profile bound found"
    order = ([d] if fi else []) + list(range(d))  # statsmodels order: the constant first
    frame = pd.DataFrame({"coef": beta[order], "std_err": se[order], "z": z[order], "p_value": tests[order, 1],
                          "ci_lower": bounds[order, 0], "ci_upper": bounds[order, 1], "chi2": tests[order, 0]},
                         index=pd.Index((["const"] if fi else []) + names))
    llf = float(q_hat.loglik)
    return FirthSummary(frame=frame, cov=cov[np.ix_(order, order)], nobs=float(s.sum()), llf=llf, llnull=llnull,
                        prsquared=1.0 - llf / llnull if llnull else np.nan, lr_chi2=2.0 * (llf - llnull),
                        alpha=float(alpha), reference=None, note=note)
