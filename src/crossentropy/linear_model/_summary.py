r"""The coefficient table of a fitted ``LogisticRegression``, in the terms and units the user reads.

The table is built on the :class:`~crossentropy.linear_model._design.FittedDesign` of the reported
parameterisation (:class:`~crossentropy._terms.TermMap`: raw units of the user's
columns, levels of a string column against a reference level when the model has an intercept and
no penalty). Terms aliased with earlier ones (:mod:`~crossentropy.linear_model._aliasing`, R's rule
with tolerance 1e-7) are reported as not identified; the others carry the coefficients of the model
without them. The covariance is a function of that design
(:func:`~crossentropy.linear_model._covariance.covariance`: ``cov_type`` ``"nonrobust"``, the inverse
of the observed information :math:`\mathcal I`, or statsmodels' robust and clustered types):

.. math::
    \widehat{\mathrm{Cov}}(\hat\beta) = \mathcal I^{-1}, \qquad z_j = \hat\beta_j / \mathrm{se}_j,
    \qquad p_j = 2\,\Phi(-|z_j|), \qquad \hat\beta_j \pm \Phi^{-1}(1 - \alpha/2)\,\mathrm{se}_j .

Softmax regression is reported relative to the first class, :math:`\beta_k - \beta_0`, as
statsmodels' ``MNLogit``. Penalised fits get the estimates only: a penalised estimate is shrunk
towards zero, and Wald statistics computed as for the maximum-likelihood estimate are not valid.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg, stats

from .._blas import for_own_threads, row_threads, split_rows
from .._validation import check_offset, check_option, check_real
from ..exceptions import PerfectSeparationWarning
from ._aliasing import ALIAS_TOL, aliased_columns, full_rank_from_weighted_gram, reduce_coefficients
from ._covariance import COV_TYPES, LeverageError, check_groups, covariance
from ._design import FittedDesign
from ..objective.sums import gram
from ._separation import separation_message
from ._setup import row_weights
from ._term_tests import null_fit
from ._summary_table import ESTIMATE_COLUMNS, INFERENCE_COLUMNS, LogisticSummary
from .._terms import TermMap

__all__ = ["LogisticSummary", "summarize", "check_terms", "covariance", "COV_TYPES", "null_loglike"]

def _inverse(H):
    """Cholesky inverse of a symmetric H; on failure a warning and the pseudo-inverse (the ordinal summary's)."""
    try:
        return linalg.cho_solve(linalg.cho_factor(H, check_finite=False), np.eye(H.shape[0]), check_finite=False)
    except linalg.LinAlgError:
        warnings.warn("the Hessian of the log-likelihood is singular (collinear features or perfect "
                      "separation); using its pseudo-inverse, some standard errors are not identified",
                      RuntimeWarning, stacklevel=3)
        return linalg.pinvh(H)


def summarize(estimator, X, y, sample_weight=None, *, alpha=0.05, cov_type="nonrobust", groups=None, terms=None,
              offset=None):
    r"""Coefficient table of a fitted ``LogisticRegression`` on the data (X, y), in raw units.

    .. math::
        \mathrm{se} = \sqrt{\mathrm{diag}\,\mathcal I(\hat\beta)^{-1}}, \quad
        z = \hat\beta / \mathrm{se}, \quad p = 2\Phi(-|z|)

    Parameters
    ----------
    estimator : LogisticRegression
        Fitted.
    X : array-like or sparse matrix of shape (n, p)
        The model's own features, normally the training rows.
    y : array-like of shape (n,)
    sample_weight : array-like of shape (n,), optional
        Frequency weights (times the estimator's class weights, as in ``fit``).
    alpha : float in (0, 1), default 0.05
        The intervals have coverage :math:`1 - \alpha`.
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"}, default "nonrobust"
        The coefficients' covariance (:func:`~crossentropy.linear_model._covariance.covariance`).
    groups : array-like of shape (n,) or (n, 2), or a list of two arrays, optional
        Cluster labels of the rows, one or two groupings; required by and only used with
        ``cov_type="cluster"``.
    terms : TermMap, optional
        How the features come from the user's columns (:meth:`TabularPreprocessor.term_map`);
        by default every feature is its own term.
    offset : array-like of shape (n,) or (n, 1) for two classes, (n, K) for K classes, optional
        The rows' fixed logit offsets, the same as given to ``fit``: :math:`\eta_i = x_i^\top\beta +
        o_i`. They enter the log-likelihood, the covariance, the term tests and the profile
        intervals; the null log-likelihood ``llnull`` is then the maximum of the intercept-only model
        with the same offset (statsmodels' ``GLM(..., offset=o).fit().llnull``), found by Newton.

    Returns
    -------
    LogisticSummary

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import LogisticRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]]); y = np.array([0, 0, 1, 0, 1, 1])
    >>> s = LogisticRegression(penalty=None, tol=1e-10).fit(X, y).summary(X, y)
    >>> s.frame[["estimate", "std_err"]].round(4)   # statsmodels Logit: const -3.0351 (2.5457), x1 1.2140 (0.9126)
           estimate  std_err
    term                    
    const   -3.0351   2.5457
    x1       1.2140   0.9126

    References
    ----------
    statsmodels, ``statsmodels.discrete.discrete_model.Logit`` and ``MNLogit``; R Core Team, ``?lm``
    (aliased coefficients); McFadden, *Conditional logit analysis of qualitative choice behavior*
    (1974), for the pseudo R².
    """
    alpha = check_real(alpha, "alpha", low=0, high=1, low_open=True, high_open=True)
    check_option(cov_type, "cov_type", COV_TYPES)
    if not hasattr(estimator, "coef_"):
        raise ValueError("summary needs a fitted estimator: call fit first")
    terms = check_terms(estimator, terms)
    X, y_enc, sw = estimator._validate_fit_data(X, y, sample_weight, reset=False)
    sw = row_weights(estimator.class_weight, estimator.classes_, y_enc, sw)
    if not sw.sum() > 0:
        raise ValueError("sample_weight must give the rows a positive total weight, got a total of 0")
    check_groups(groups, cov_type, X.shape[0], sw > 0)
    K, fi, penalty = len(estimator.classes_), bool(estimator.fit_intercept), estimator.penalty
    offset = check_offset(offset, X.shape[0], K)
    X = X.toarray() if hasattr(X, "toarray") else X
    coding = terms.coding(fit_intercept=fi, reference_coded=penalty is None)
    R = coding.rows(X)  # the reported design, read a block of rows at a time (no n x q copy of X)
    B = coding.coefficients(estimator.coef_, estimator.intercept_ if fi else np.zeros(len(estimator.intercept_)))
    params = B[0] if K == 2 else B[1:] - B[0]
    numeric = np.asarray(coding.kinds) == "numeric"
    if penalty is not None:
        sd = _spread(R, sw, numeric)
        return _penalised(estimator, coding, R, params, y_enc, sw, K, sd, alpha, terms, offset)
    active = sw > 0
    # the information of the whole design, which the covariance needs, mostly proves every column identified
    design = FittedDesign(R, tuple(coding.names), tuple(coding.columns), params, y_enc, sw, K, offset)
    q = R.shape[1]
    if full_rank_from_weighted_gram(design.information()[:q, :q], design.information_weights()[active]):
        kept, aliased = np.arange(q), np.zeros(0, dtype=np.intp)
        sd = _spread(R, sw, numeric)
    else:
        Ra = np.asarray(R if active.all() else R.take(active))  # formed: the aliasing check reads it whole
        G = gram(Ra, np.ones(Ra.shape[0]), False)  # of the rows that count: the aliasing check and the spread
        sd = _spread(R, sw, numeric, _gram_moments(G, Ra, sw[active], coding.kinds))
        kept, aliased, C = aliased_columns(Ra, gram_matrix=G)
        del Ra
        if aliased.size:
            design = FittedDesign(R.columns(kept), tuple(coding.names[j] for j in kept),
                                  tuple(coding.columns[j] for j in kept), reduce_coefficients(params, kept, aliased, C),
                                  y_enc, sw, K, offset)
    notes = _convergence_note(estimator)
    if getattr(estimator, "separation_", None):  # found by the fit (._separation), never a linear programme here
        warnings.warn(separation_message(estimator), PerfectSeparationWarning, stacklevel=3)
    if aliased.size:
        one = aliased.size == 1
        it = "it" if one else "them"
        notes.append(f"Not identified: {', '.join(coding.names[j] for j in aliased)} "
                     f"{'is a linear combination' if one else 'are linear combinations'} of the terms before {it} on "
                     f"these rows (residual below {ALIAS_TOL:g} of the column's norm, R's rule): no estimate is "
                     f"reported for {it}, and the other coefficients are those of the model without {it}.")
    status = np.full(len(coding.names), "", dtype=object)
    status[aliased] = "aliased: not identified"
    try:
        cov = covariance(design, cov_type, groups)
    except np.linalg.LinAlgError:
        cov = np.full((design.n_params, design.n_params), np.nan)
        status[kept] = "no standard error: information singular"
        notes.append("The observed information is singular at the estimate (fitted probabilities of 0 or 1: the "
                     "classes are separated by these terms), so no standard error is identified.")
    except LeverageError as exc:
        cov = np.full((design.n_params, design.n_params), np.nan)
        status[kept] = f"no standard error: {cov_type} undefined"
        notes.append(f"No {cov_type} standard errors: {exc}.")
    se = np.sqrt(np.diag(cov))
    q = stats.norm.ppf(1 - alpha / 2)
    est = np.asarray(design.params, dtype=np.float64).reshape(-1, kept.size)
    se = se.reshape(est.shape)
    full = {c: np.full((est.shape[0], len(coding.names)), np.nan) for c in ("estimate", "std_err")}
    full["estimate"][:, kept], full["std_err"][:, kept] = est, se
    b, s = full["estimate"], full["std_err"]
    with np.errstate(invalid="ignore", over="ignore"):
        cols = {"estimate": b, "std_err": s, "z": b / s, "p_value": 2 * stats.norm.sf(np.abs(b / s)),
                "ci_low": b - q * s, "ci_high": b + q * s}
        cols.update(odds_ratio=np.exp(b), or_low=np.exp(cols["ci_low"]), or_high=np.exp(cols["ci_high"]),
                    odds_ratio_per_sd=np.exp(b * sd))
    k_params = design.n_params
    nobs, llf = float(sw.sum()), design.loglike()
    return _result(estimator, coding, cols, status, INFERENCE_COLUMNS, design=design, cov=cov, llf=llf, nobs=nobs,
                   y_enc=y_enc, sw=sw, alpha=alpha, terms=terms, notes=notes, cov_type=cov_type,
                   aic=-2 * llf + 2 * k_params, bic=-2 * llf + np.log(nobs) * k_params,
                   df_model=float(k_params - (K - 1) * fi), df_resid=nobs - k_params,
                   aliased=tuple(coding.names[j] for j in aliased))


def check_terms(estimator, terms) -> TermMap:
    """``terms``, checked against the fitted model's features; by default each feature its own term."""
    d = int(estimator.coef_.shape[1])
    if terms is None:
        return TermMap.identity([str(c) for c in getattr(estimator, "feature_names_in_", [f"x{j + 1}" for j in range(d)])])
    if not isinstance(terms, TermMap) or terms.n_features != d:
        raise ValueError(f"terms must be a TermMap of the model's {d} features, got {terms!r:.80}")
    return terms


def null_loglike(y_enc, sw, K, offset=None):
    r"""The maximised log-likelihood of the intercept-only model (the null model of McFadden's pseudo R²).

    Without an offset it has the closed form :math:`\sum_k n_k \log(n_k / n)`, :math:`n_k` the
    weighted count of class :math:`k` (the empty classes left out). With offsets :math:`o_i` it is
    :math:`\max_{c} \sum_i s_i \log p_{i y_i}` with :math:`\eta_i = c + o_i`
    (:func:`~crossentropy.linear_model._term_tests.null_fit`, Newton), as statsmodels' GLM refits
    the constant with the offset for its ``llnull``; NaN when that maximum is not attained.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 1, 1, 1]); w = np.ones(4)
    >>> round(null_loglike(y, w, 2), 6), round(float(np.log(1 / 4) + 3 * np.log(3 / 4)), 6)
    (-2.249341, -2.249341)
    >>> round(null_loglike(y, w, 2, np.zeros(4)), 6)   # a zero offset: the same maximum, by Newton
    -2.249341

    References
    ----------
    McFadden (1974); statsmodels, ``GLMResults.llnull``.
    """
    sw = np.asarray(sw, dtype=np.float64)
    if offset is not None:
        llf, converged = null_fit(y_enc, sw, K, offset)
        return llf if converged else float("nan")
    counts = np.bincount(y_enc, weights=sw, minlength=K)
    present = counts > 0
    return float(np.sum(counts[present] * np.log(counts[present] / counts.sum())))


def _convergence_note(estimator) -> list:
    if getattr(estimator, "converged_", True):
        return []
    return ["The fit did not converge (converged_ is False): the estimates are those of its last iterate, which may "
            "be far from the optimum (without a penalty, on separated classes, no maximum-likelihood estimate exists)."]


#: entries per block of the weighted spread of the numeric columns (small blocks that stay in cache)
SPREAD_BLOCK_ELEMENTS = 2**17


#: largest worst-case relative error of a variance taken from the Gram matrix, n eps (1 + mean^2 / var)
#: (the rounding of a sum of n squares, relative to the variance); a column beyond it gets the two passes
SPREAD_GRAM_RTOL = 1e-8


def _gram_moments(G, Ra, s, kinds):
    """``(mean, mean of squares)`` of every column from the Gram matrix ``G = Ra^T Ra`` of the rows that
    count, when their weights ``s`` are equal (else None): the constant's row of G holds the column sums."""
    n = Ra.shape[0]
    if n == 0 or not np.all(s == s[0]):
        return None
    const = [j for j, k in enumerate(kinds) if k == "const"]
    sums = G[const[0]] if const else np.ones(n) @ Ra
    return sums / n, np.diag(G) / n


#: entries of the numeric columns from which their spreads are read in one compiled pass over the
#: features (:func:`crossentropy._kernels.moments.shifted_moments`) instead of two NumPy passes
SPREAD_KERNEL_ELEMENTS = 1 << 20

#: rows of the blocks that pass's parts are made of (:func:`crossentropy._blas.split_rows`): a thread
#: takes at least two of them
MOMENT_ROWS = 1 << 14


def _spread(R, sw, numeric, moments=None):
    r"""Weighted population standard deviation of the numeric columns of R (NaN for the others).

    With ``moments`` (the columns' mean and mean square under equal weights, from the Gram matrix
    the aliasing check forms anyway) the variance is :math:`\overline{x^2} - \bar x^2` wherever the
    rounding of the sum of squares, at most :math:`n\,\epsilon\,\overline{x^2}`, is below
    :data:`SPREAD_GRAM_RTOL` of it. Without them, on a large design read from its features (a numeric
    column is :math:`a u + b` for a feature :math:`u`, so its spread is :math:`|a|` times the
    feature's), the features' weighted moments about their first row come from one compiled pass, under
    the same rule (:func:`_feature_moments`). The other columns take two passes: the weighted means,
    then the weighted squared deviations from them, summed over row blocks (no n × q temporary; no
    cancellation of a mean far from zero against the spread).
    """
    sd = np.full(R.shape[1], np.nan)
    cols = np.flatnonzero(numeric)
    if not cols.size:
        return sd

    def settle(cols, mean, square, factor=1.0):  # where mean-square - mean^2 is exact enough
        n = float(np.count_nonzero(sw > 0))
        var = np.maximum(square - mean * mean, 0.0)
        exact = n * np.finfo(float).eps * square <= SPREAD_GRAM_RTOL * var
        sd[cols[exact]] = np.abs(np.broadcast_to(factor, cols.shape)[exact]) * np.sqrt(var[exact])
        return cols[~exact]

    if moments is not None:
        cols = settle(cols, moments[0][cols], moments[1][cols])
    elif R.shape[0] * cols.size >= SPREAD_KERNEL_ELEMENTS and (fast := _feature_moments(R, sw, cols)) is not None:
        cols = settle(cols, *fast)
    if not cols.size:
        return sd
    w = sw / sw.sum()
    span = slice(int(cols[0]), int(cols[-1]) + 1)  # the columns from the first to the last numeric one
    mean = np.zeros(span.stop - span.start)
    for a, rows in _row_blocks(R):
        mean += w[a:a + rows.shape[0]] @ rows[:, span]
    var = np.zeros(mean.size)
    for a, rows in _row_blocks(R):
        dev = rows[:, span] - mean  # a block of SPREAD_BLOCK_ELEMENTS at most
        var += w[a:a + rows.shape[0]] @ (dev * dev)
    sd[cols] = np.sqrt(var[cols - span.start])
    return sd


def _feature_moments(R, sw, cols):
    """``(m1, m2, a)`` for the columns ``cols`` of a design read from its features (a
    :class:`~crossentropy._terms.CodedDesign` of all rows): the weighted first and second moments of
    each column's feature about its first row, in one pass
    (:func:`crossentropy._kernels.moments.shifted_moments`), and the columns' factors :math:`a`;
    None for any other R."""
    U = getattr(R, "U", None)
    if U is None or R.row_index is not None or not isinstance(U, np.ndarray) or U.dtype.kind != "f":
        return None
    from .._kernels.moments import shifted_moments

    source = np.ascontiguousarray(R.coding.source[cols])
    w, shift = sw / sw.sum(), U[0, source].astype(np.float64)

    def part(lo, hi):  # the kernel releases the GIL: parts of the rows on the package's threads
        m1, m2 = np.zeros(cols.size), np.zeros(cols.size)
        shifted_moments(U[lo:hi], w[lo:hi], source, shift, m1, m2)
        return m1, m2

    n = U.shape[0]
    with for_own_threads(n * cols.size):
        parts = split_rows(part, n, MOMENT_ROWS, row_threads(n, MOMENT_ROWS))
    return sum(p[0] for p in parts), sum(p[1] for p in parts), R.coding.scale[cols]


def _row_blocks(R):
    """``(first row, block)`` over blocks of :data:`SPREAD_BLOCK_ELEMENTS` entries of R: views of an
    array, or a design read in blocks formed into one reused buffer."""
    n, q = R.shape
    step = max(1, SPREAD_BLOCK_ELEMENTS // max(q, 1))
    buf = None if isinstance(R, np.ndarray) else np.empty((min(step, n), q))
    for a in range(0, n, step):
        b = min(n, a + step)
        yield a, (R[a:b] if buf is None else R.fill_rows(a, b, buf[: b - a]))


def _penalised(estimator, coding, R, params, y_enc, sw, K, sd, alpha, terms, offset):
    b = np.atleast_2d(params)
    status = np.full(b.shape, "", dtype=object)
    if estimator.penalty in ("l1", "elasticnet"):
        status[(b == 0) & (np.asarray(coding.kinds) != "const")] = "zero (l1)"
    with np.errstate(over="ignore", invalid="ignore"):
        cols = {"estimate": b, "odds_ratio": np.exp(b), "odds_ratio_per_sd": np.exp(b * sd)}
    design = FittedDesign(R, coding.names, coding.columns, params, y_enc, sw, K, offset)
    notes = _convergence_note(estimator) + [f"penalty={estimator.penalty!r} (C={estimator.C:g}): the estimates are shrunk towards zero by the "
             "penalty, so standard errors, z statistics, p-values and intervals computed as for a maximum-likelihood "
             "estimate would not be valid; none are reported. Fit with penalty=None for them."]
    return _result(estimator, coding, cols, status, ESTIMATE_COLUMNS, design=design, cov=None, llf=design.loglike(),
                   nobs=float(sw.sum()), y_enc=y_enc, sw=sw, alpha=alpha, terms=terms, notes=notes, cov_type=None,
                   aic=None, bic=None, df_model=None, df_resid=None, aliased=())


def _result(estimator, coding, cols, status, columns, *, design, cov, llf, nobs, y_enc, sw, alpha, terms, notes,
            cls=LogisticSummary, llnull=None, **fields):
    """The summary object (``cls``) of the table ``cols``; ``llnull`` defaults to the intercept-only log-likelihood."""
    import pandas as pd

    K = len(estimator.classes_)
    status = np.broadcast_to(np.asarray(status, dtype=object), cols["estimate"].shape)
    data = {c: np.asarray(cols[c]).ravel() for c in columns if c != "status"}
    data["status"] = status.ravel()
    if K == 2:
        index = pd.Index(list(coding.names), name="term")
    else:
        index = pd.MultiIndex.from_tuples([(c, t) for c in estimator.classes_[1:] for t in coding.names],
                                          names=["class", "term"])
    frame = pd.DataFrame(data, index=index)[list(columns)]
    if llnull is None:
        llnull = null_loglike(y_enc, sw, K, design.offset)
        if not np.isfinite(llnull):
            notes = list(notes) + ["The intercept-only model with the offset has no maximum on these rows (a class "
                                   "without weight), so there is no null log-likelihood and no pseudo R²."]
    used = set(coding.columns)
    references = {c: r for c, r in terms.references.items() if c in used} if "const" in coding.names and \
        estimator.penalty in (None, "firth") else {}
    return cls(frame=frame, cov=cov, design=design, nobs=nobs, llf=llf, llnull=llnull,
                           prsquared=1.0 - llf / llnull if llnull != 0 else float("nan"), alpha=alpha,
                           reference=None if K == 2 else estimator.classes_[0], references=references,
                           outcome=(estimator.classes_[1], estimator.classes_[0]) if K == 2 else (),
                           penalty=estimator.penalty, notes=tuple(notes), **fields)
