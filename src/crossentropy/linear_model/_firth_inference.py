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

from .._validation import check_real
from ..exceptions import ConvergenceWarning
from ._design import FittedDesign
from ._firth import constrained_fit, evaluate, penalised_cov, penalised_info
from ._summary import _result, _spread, check_terms
from ._summary_table import INFERENCE_COLUMNS, LogisticSummary
from ._weights import row_weights

__all__ = ["FirthSummary", "FIRTH_COLUMNS", "firth_summary", "profile_bound", "lr_test"]

#: columns of the table: those of an unpenalised fit's, then the penalised likelihood-ratio statistic
FIRTH_COLUMNS = INFERENCE_COLUMNS[:-1] + ("lr_chi2", "status")
#: the constrained refits and the profile roots stop at this tolerance (step, score, profile gap)
INFERENCE_TOL = 1e-10


@dataclass
class FirthSummary(LogisticSummary):
    r"""The coefficient table of a Firth fit in the reported terms; ``str()`` renders it as text.

    A :class:`~._summary_table.LogisticSummary` (same ``frame`` and ``to_csv_frame()`` schema: columns
    :data:`FIRTH_COLUMNS`, index ``term``) whose ``std_err`` is from the inverse penalised information,
    ``z`` the Wald statistic estimate / std_err, ``p_value`` and ``lr_chi2`` the penalised likelihood-ratio
    test of the coefficient being 0 (one degree of freedom), ``ci_low``, ``ci_high`` the profile
    penalised-likelihood interval, and ``or_low``, ``or_high`` its exponential. With FLIC the ``const``
    row is the FLIC intercept's (Wald test and interval).

    Attributes
    ----------
    llf, llnull : float
        Penalised log-likelihood of the model and of the intercept-only model (with the full model's
        penalty, as logistf's ``loglik``; ``llnull`` is :math:`\ell^*(0)` without an intercept), both on
        the reported design.
    prsquared : float
        :math:`1 - \mathrm{llf}/\mathrm{llnull}` (McFadden's formula on the penalised log-likelihoods).
    lr_chi2 : float
        :math:`2(\mathrm{llf} - \mathrm{llnull})`, the penalised likelihood-ratio test of the model.
    term_tests : None
        The tests of a column with several terms are not computed for a Firth fit.
    """

    lr_chi2: float = float("nan")

    _title = "Firth's penalised-likelihood logistic regression"
    _p_head = "P>chi2"

    def _header(self):
        return [("No. Observations:", self.nobs), ("Penalised log-lik.:", self.llf),
                ("Null penalised ll.:", self.llnull), ("LR chi2 (model):", self.lr_chi2),
                ("Pseudo R-squ.:", self.prsquared), ("Df Model:", self.df_model)]

    def _tested(self, what):
        raise ValueError(f"{what} is not available for penalty='firth': the table holds its penalised "
                         "likelihood-ratio tests and profile penalised-likelihood intervals")

    @property
    def term_tests(self):
        """None: the joint tests of a column's terms are not computed for a Firth fit."""
        return None


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


def _designs(X1, y, s, q_hat, cov, fit_intercept):
    r"""The designs the tests and profiles of the coefficients are computed on: ``(X, point, cov, unit, terms)``.

    A constraint :math:`\beta_j = b` on a slope is the same with its column centred (the intercept
    absorbs the shift) and divided by its standard deviation :math:`\sigma_j` (then :math:`\gamma_j =
    \sigma_j\beta_j`): the slopes are tested and profiled on that well-conditioned design (``unit`` the
    :math:`\sigma_j` that divides its bounds back), the intercept on ``X1`` itself (where it is
    :math:`\beta_0`); without an intercept every term on ``X1``.
    """
    D = X1.shape[1]
    ones = np.ones(D)
    if not fit_intercept or D == 1:
        return [(X1, q_hat, cov, ones, range(D))]
    w = s / s.sum()
    mean = w @ X1[:, :-1]
    sd = np.sqrt(w @ (X1[:, :-1] - mean) ** 2)
    sd[~(sd > 0)] = 1.0
    Xc = np.ascontiguousarray(np.column_stack([(X1[:, :-1] - mean) / sd, np.ones(X1.shape[0])]))
    beta = np.append(q_hat.beta[:-1] * sd, q_hat.beta[-1] + mean @ q_hat.beta[:-1])  # the same linear predictor
    qc = evaluate(Xc, y, s, beta)
    if qc is None:
        return [(X1, q_hat, cov, ones, range(D))]
    return [(Xc, qc, penalised_cov(Xc, s, qc), np.append(sd, 1.0), range(D - 1)), (X1, q_hat, cov, ones, [D - 1])]


def firth_summary(estimator, X, y, sample_weight=None, *, alpha=0.05, cov_type="nonrobust", groups=None, terms=None):
    r"""Coefficient table of a fitted ``LogisticRegression(penalty="firth")`` on the data (X, y), in raw units.

    The table is computed on the reported design :math:`R` of ``terms`` (raw units of the user's
    columns; with an intercept, each string column's levels against its reference level). Its columns
    are an invertible affine map of the model's: :math:`R = \tilde X M^{-1}` with :math:`M` the square
    matrix of :meth:`~crossentropy._terms.TermMap.coding` (a design with an intercept and every level of a
    string column would make the information singular, and ``fit`` refuses it). Firth's penalty is
    invariant under that map (Jeffreys' prior): :math:`\log\det(M^{-\top}\tilde X^\top W\tilde X M^{-1}) =
    \log\det(\tilde X^\top W\tilde X) - 2\log|\det M|`, so :math:`\ell^*_R(M\theta) = \ell^*(\theta) -
    \log|\det M|`, and the maximiser is the model's, mapped: :math:`\hat\beta = M\hat\theta`. The
    standard errors follow as :math:`M\,\mathrm{Cov}(\hat\theta)M^\top`, but a test of
    :math:`\beta_j = 0` or the profile of :math:`\beta_j` constrains a row of :math:`M\theta` (a numeric
    column's raw coefficient is unaffected, the intercept and a level's contrast are other linear
    combinations than the model's coordinates), so the penalised likelihood-ratio tests and the profile
    intervals are computed on :math:`R` itself. For the rounding of the refits, its columns are first
    divided by their root mean square :math:`d_j` (a reparameterisation that keeps every constraint
    :math:`\beta_j = b` as :math:`d_j\beta_j = d_j b`: the same tests, intervals divided back by
    :math:`d_j`); the log-likelihoods reported are those on :math:`R`.

    Parameters
    ----------
    estimator : LogisticRegression
        Fitted with ``penalty="firth"``.
    X, y, sample_weight
        The data of the fit, in the model's features (n rows; the tests and intervals refit the model on
        them), with the frequency weights of ``fit``.
    alpha : float in (0, 1), default 0.05
        One minus the coverage of the profile intervals.
    cov_type, groups
        Only their defaults (``"nonrobust"``, None): the standard errors are the penalised information's.
    terms : TermMap, optional
        How the features come from the user's columns (:meth:`TabularPreprocessor.term_map`); by default
        every feature is its own term.

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
    >>> round(float(s.frame.loc["x1", "estimate"]), 6)   # firthmodels and logistf: log(49) = 3.891820
    3.89182

    References
    ----------
    Heinze and Schemper, *A solution to the problem of separation in logistic regression*, Statistics in
    Medicine 21 (2002); Venzon and Moolgavkar, *A method for computing profile-likelihood-based confidence
    intervals*, Applied Statistics 37 (1988); Puhr, Heinze, Nold, Lusa and Geroldinger, *Firth's logistic
    regression with rare events: accurate effect estimates and predictions?*, Statistics in Medicine 36
    (2017); R package logistf.
    """
    alpha = check_real(alpha, "alpha", low=0, high=1, low_open=True, high_open=True)
    given = [f"cov_type={cov_type!r}"] if cov_type != "nonrobust" else []
    given += ["groups=..."] if groups is not None else []
    if given:
        raise ValueError(f"{', '.join(given)} is not available for penalty='firth': its standard errors are the "
                         f"penalised information's")
    if not hasattr(estimator, "coef_"):
        raise ValueError("summary needs a fitted estimator: call fit first")
    terms = check_terms(estimator, terms)
    X, y_enc, sw = estimator._validate_fit_data(X, y, sample_weight, reset=False)
    X = X.toarray() if hasattr(X, "toarray") else X
    s = np.asarray(row_weights(estimator.class_weight, estimator.classes_, y_enc, sw), dtype=np.float64)
    yb = (y_enc == 1).astype(np.float64)
    fi = bool(estimator.fit_intercept)
    coding = terms.coding(fit_intercept=fi, reference_coded=True)
    D = X.shape[1] + fi
    M = coding.matrix if fi else coding.matrix[:, :-1]  # [coef, intercept] -> reported coefficients
    if M.shape != (D, D) or np.linalg.matrix_rank(M) < D:
        raise ValueError(f"terms must map the model's {D} coefficients one to one to the reported terms for "
                         f"penalty='firth', got {len(coding.names)} terms {list(coding.names)!r:.200}")
    R = coding.design(X)
    # the model's parameters on the reported design, the constant last (the order of ._firth)
    order = np.r_[np.flatnonzero(np.asarray(coding.kinds) != "const"), np.flatnonzero(np.asarray(coding.kinds) == "const")]
    scale = np.sqrt(np.mean(R * R, axis=0))[order]
    scale[~(scale > 0)] = 1.0
    X1 = np.ascontiguousarray(R[:, order] / scale)
    if hasattr(estimator, "firth_"):
        theta = estimator.firth_.beta
    else:  # a model read from a file: its coefficients; under FLIC the Firth intercept refitted given the slopes
        theta = np.concatenate([estimator.coef_.ravel(), estimator.intercept_ if fi else []]).astype(np.float64)
    beta = (M @ theta)[order] * scale
    if fi and estimator.flic and not hasattr(estimator, "firth_"):
        beta = _refit(X1, yb, s, np.arange(D - 1), beta[:-1], beta).beta
    q_hat = evaluate(X1, yb, s, beta)
    if q_hat is None:
        raise ValueError("the Fisher information of these data at the fitted coefficients is singular")
    cov = penalised_cov(X1, s, q_hat)
    se = np.sqrt(np.diag(cov))
    crit = float(stats.chi2.ppf(1 - alpha, 1))
    tests, bounds = np.empty((D, 2)), np.empty((D, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for Xj, qj, covj, unit, js in _designs(X1, yb, s, q_hat, cov, fi):
            for j in js:
                tests[j] = lr_test(Xj, yb, s, qj, covj, j)
                bounds[j] = [profile_bound(Xj, yb, s, qj, covj, j, side, crit) / unit[j] for side in (-1, 1)]
    failed = [j for j in range(D) if not (np.all(np.isfinite(tests[j])) and np.all(np.isfinite(bounds[j])))]
    beta = q_hat.beta.copy()
    notes = ["Firth's penalised likelihood, logistf's defaults: std_err from the inverse penalised information and z "
             "the Wald statistic; p_value and lr_chi2: penalised likelihood-ratio tests; intervals: profile "
             "penalised likelihood."]
    if fi:  # the intercept-only model, with the full model's penalty
        q_null = _refit(X1, yb, s, np.arange(D - 1), np.zeros(D - 1), np.zeros(D)) if D > 1 else q_hat
    else:
        q_null = evaluate(X1, yb, s, np.zeros(D))
    if fi and estimator.flic:
        b0 = float(coding.coefficients(estimator.coef_, estimator.intercept_)[0, list(coding.kinds).index("const")])
        p = 1.0 / (1.0 + np.exp(-(X1[:, :-1] @ beta[:-1] + b0)))
        A = X1 * np.sqrt(s * p * (1.0 - p))[:, None]
        var0 = float(linalg.cho_solve(linalg.cho_factor(A.T @ A), np.eye(D))[-1, -1])
        q = float(stats.norm.ppf(1 - alpha / 2))
        beta[-1], se[-1] = b0, np.sqrt(var0)
        tests[-1] = ((b0 / se[-1]) ** 2, float(stats.chi2.sf((b0 / se[-1]) ** 2, 1)))
        bounds[-1] = (b0 - q * se[-1], b0 + q * se[-1])
        notes.append("const: the FLIC intercept, with a Wald interval and test.")
    status = np.full(D, "", dtype=object)
    if failed:
        names_failed = [coding.names[order[j]] for j in failed]
        warnings.warn(f"penalty='firth': no test or profile bound found for {names_failed} (a constrained refit did "
                      f"not converge, or the profile the refits follow jumps across the bound); those entries "
                      f"are NaN", ConvergenceWarning, stacklevel=3)
        notes.append("NaN: no constrained refit or profile bound found.")
        status[failed] = "no penalised LR test or profile bound found"
    back = np.argsort(order)  # from the fitting order back to the terms' order
    b, se, tests, bounds, status = beta[back] / scale[back], se[back] / scale[back], tests[back], \
        bounds[back] / scale[back, None], status[back]
    with np.errstate(over="ignore"):
        cols = {"estimate": b, "std_err": se, "z": b / se, "p_value": tests[:, 1], "ci_low": bounds[:, 0],
                "ci_high": bounds[:, 1], "odds_ratio": np.exp(b), "or_low": np.exp(bounds[:, 0]),
                "or_high": np.exp(bounds[:, 1]), "lr_chi2": tests[:, 0],
                "odds_ratio_per_sd": np.exp(b * _spread(R, s, np.asarray(coding.kinds) == "numeric"))}
    shift = float(np.sum(np.log(scale)))  # l*_R = l*_{R / d} + sum(log d)
    llf = float(q_hat.loglik) + shift
    llnull = np.nan if q_null is None else float(q_null.loglik) + shift
    cov = cov[np.ix_(back, back)] / np.outer(scale[back], scale[back])
    design = FittedDesign(R, coding.names, coding.columns, b, y_enc, s, 2)
    nobs = float(s.sum())
    return _result(estimator, coding, cols, status, FIRTH_COLUMNS, design=design, cov=cov, llf=llf, nobs=nobs,
                   y_enc=y_enc, sw=s, alpha=alpha, terms=terms, notes=notes, cls=FirthSummary, llnull=llnull,
                   lr_chi2=2.0 * (llf - llnull), cov_type="nonrobust", aic=None, bic=None, df_model=float(D - fi),
                   df_resid=nobs - D, aliased=())
