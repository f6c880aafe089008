r"""Statsmodels-style statistics of a fitted ``LogisticRegression``: standard errors, z, p, intervals.

The covariance of the coefficients is the inverse of the observed information, the Hessian of the
(unpenalised, weighted) negative log-likelihood :math:`L(\theta) = \sum_i s_i \ell_i(\theta)` at the
fitted coefficients:

.. math::
    \widehat{\mathrm{Cov}}(\hat\theta) = \big(\nabla^2 L(\hat\theta)\big)^{-1}, \qquad
    z_j = \hat\theta_j / \mathrm{se}_j, \qquad p_j = 2\,\Phi(-|z_j|), \qquad
    \hat\theta_j \pm \Phi^{-1}(1 - \alpha/2)\,\mathrm{se}_j

For softmax regression the coefficients are reported relative to the first class (the reference),
:math:`\beta_k = \theta_k - \theta_0` for :math:`k = 1, \dots, K-1`, as statsmodels' ``MNLogit`` does;
their covariance is the inverse of the Hessian block of classes :math:`1..K-1` (the log-likelihood in
the reference parameterisation is the same function with :math:`\theta_0 = 0`). For ``penalty=None``
the numbers equal statsmodels' ``Logit`` and ``MNLogit``. For penalised fits they are the same
formulas at the penalised estimate, which ignore the penalty's bias: read them with care.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg, stats

from ..exceptions import PerfectSeparationWarning
from ..objective import CoefLayout, data_terms
from ._separation import separation_message
from ._setup import row_weights

__all__ = ["LogisticSummary", "summarize"]

_COLUMNS = ["coef", "std_err", "z", "p_value", "ci_lower", "ci_upper"]


@dataclass
class LogisticSummary:
    """The summary table and the fit statistics; ``str()`` renders it as text.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per coefficient (index: term; for softmax regression a MultiIndex (class, term)),
        columns ``coef``, ``std_err``, ``z``, ``p_value``, ``ci_lower``, ``ci_upper``.
    cov : ndarray of shape (p, p)
        The covariance matrix, in the order of the rows of ``frame``.
    nobs : float
        Number of observations (sum of the sample weights).
    llf, llnull : float
        Log-likelihood of the model and of the intercept-only model.
    prsquared : float
        McFadden's pseudo R², :math:`1 - \\mathrm{llf}/\\mathrm{llnull}`.
    aic, bic : float
    df_model, df_resid : float
    alpha : float
    reference : object or None
        The reference class (softmax regression).
    note : str
    """

    frame: object
    cov: np.ndarray
    nobs: float
    llf: float
    llnull: float
    prsquared: float
    aic: float
    bic: float
    df_model: float
    df_resid: float
    alpha: float
    reference: object
    note: str

    def to_frame(self):
        """A copy of the coefficient table as a pandas DataFrame."""
        return self.frame.copy()

    def __str__(self):
        lo, hi = f"[{self.alpha / 2:g}", f"{1 - self.alpha / 2:g}]"
        head = [
            f"{'No. Observations:':<22}{self.nobs:>14.6g}   {'Log-Likelihood:':<18}{self.llf:>14.6g}",
            f"{'Df Model:':<22}{self.df_model:>14.6g}   {'LL-Null:':<18}{self.llnull:>14.6g}",
            f"{'Df Residuals:':<22}{self.df_resid:>14.6g}   {'Pseudo R-squ.:':<18}{self.prsquared:>14.6g}",
            f"{'AIC:':<22}{self.aic:>14.6g}   {'BIC:':<18}{self.bic:>14.6g}",
        ]
        cols = ["coef", "std err", "z", "P>|z|", lo, hi]
        width = max([len(str(t)) for t in self.frame.index.get_level_values(-1)] + [10])
        line = "=" * (width + 6 * 11)
        rows = [line, "Logistic regression results" + (f" (relative to class {self.reference})" if self.reference is not None else ""), line, *head]
        groups = [(None, self.frame)] if self.frame.index.nlevels == 1 else [
            (k, self.frame.xs(k, level=0)) for k in dict.fromkeys(self.frame.index.get_level_values(0))]
        for label, block in groups:
            rows.append("-" * len(line))
            rows.append(f"{'' if label is None else f'class={label}':<{width}}" + "".join(f"{c:>11}" for c in cols))
            rows.append("-" * len(line))
            for term, r in block.iterrows():
                rows.append(f"{str(term):<{width}}" + "".join(f"{v:>11.4g}" for v in r[_COLUMNS].to_numpy()))
        rows.append(line)
        if self.note:
            rows.append(self.note)
        return "\n".join(rows)

    def _repr_html_(self):
        return f"<pre>{self.__str__()}</pre>"


def _inverse(H):
    try:
        return linalg.cho_solve(linalg.cho_factor(H, check_finite=False), np.eye(H.shape[0]), check_finite=False)
    except linalg.LinAlgError:
        warnings.warn("the Hessian of the log-likelihood is singular (collinear features or perfect "
                      "separation); using its pseudo-inverse, some standard errors are not identified",
                      RuntimeWarning, stacklevel=3)
        return linalg.pinvh(H)


def summarize(estimator, X, y, sample_weight=None, *, alpha=0.05):
    r"""Coefficient table of a fitted ``LogisticRegression`` on the data (X, y), statsmodels-style.

    .. math::
        \mathrm{se} = \sqrt{\mathrm{diag}\,(\nabla^2 L(\hat\theta))^{-1}}, \quad
        z = \hat\theta / \mathrm{se}, \quad p = 2\Phi(-|z|)

    Parameters
    ----------
    estimator : LogisticRegression
        Fitted.
    X : array-like or sparse matrix of shape (n, d)
        Normally the training data.
    y : array-like of shape (n,)
    sample_weight : array-like of shape (n,), optional
        Frequency weights (times the estimator's class weights, as in ``fit``).
    alpha : float in (0, 1), default 0.05
        The intervals have coverage :math:`1 - \alpha`.

    Returns
    -------
    LogisticSummary

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import LogisticRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]]); y = np.array([0, 0, 1, 0, 1, 1])
    >>> s = LogisticRegression(penalty=None, tol=1e-10).fit(X, y).summary(X, y)
    >>> s.frame[["coef", "std_err"]].round(4)   # statsmodels Logit: const -3.0351 (2.5457), x1 1.2140 (0.9126)
             coef  std_err
    const -3.0351   2.5457
    x1     1.2140   0.9126

    References
    ----------
    statsmodels, ``statsmodels.discrete.discrete_model.Logit`` and ``MNLogit``; McFadden, *Conditional
    logit analysis of qualitative choice behavior* (1974), for the pseudo R².
    """
    import pandas as pd

    if not 0 < float(alpha) < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    if not hasattr(estimator, "coef_"):
        raise ValueError("summary needs a fitted estimator: call fit first")
    X, y_enc, sw = estimator._validate_fit_data(X, y, sample_weight, reset=False)
    sw = row_weights(estimator.class_weight, estimator.classes_, y_enc, sw)
    K = len(estimator.classes_)
    fi = bool(estimator.fit_intercept)
    d = X.shape[1]
    D = d + fi
    M = np.hstack([estimator.coef_, estimator.intercept_[:, None]]) if fi else np.asarray(estimator.coef_)
    t = data_terms(X, y_enc, sw, np.ascontiguousarray(M, dtype=np.float64).ravel(), CoefLayout(d, K, fi),
                   need=("loss", "hess"))
    names = [str(c) for c in getattr(estimator, "feature_names_in_", [f"x{j + 1}" for j in range(d)])]
    order = ([d] if fi else []) + list(range(d))  # statsmodels order: the constant first
    terms = (["const"] if fi else []) + names
    if K == 2:
        idx = np.array(order)
        params = M.ravel()[idx]
        index = pd.Index(terms)
    else:
        idx = np.concatenate([k * D + np.array(order) for k in range(1, K)])
        params = (M[1:] - M[0]).ravel()[np.concatenate([k * D + np.array(order) for k in range(K - 1)])]
        index = pd.MultiIndex.from_tuples([(c, term) for c in estimator.classes_[1:] for term in terms],
                                          names=["class", "term"])
    if getattr(estimator, "separation_", None):  # found by the fit (._separation), never a linear programme here
        warnings.warn(separation_message(estimator), PerfectSeparationWarning, stacklevel=3)
    H = t.hess[np.ix_(idx, idx)]
    cov = _inverse(0.5 * (H + H.T))
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = params / se
    q = stats.norm.ppf(1 - alpha / 2)
    frame = pd.DataFrame({"coef": params, "std_err": se, "z": z, "p_value": 2 * stats.norm.sf(np.abs(z)),
                          "ci_lower": params - q * se, "ci_upper": params + q * se}, index=index)
    nobs = float(sw.sum())
    llf = -float(t.loss)
    counts = np.bincount(y_enc, weights=sw, minlength=K)
    present = counts > 0
    llnull = float(np.sum(counts[present] * np.log(counts[present] / nobs)))
    k_params = params.size
    note = "" if estimator.penalty is None else (
        f"penalty={estimator.penalty!r}, C={estimator.C}: standard errors ignore the penalty's shrinkage")
    return LogisticSummary(frame=frame, cov=cov, nobs=nobs, llf=llf, llnull=llnull,
                           prsquared=1.0 - llf / llnull if llnull != 0 else float("nan"),
                           aic=-2 * llf + 2 * k_params, bic=-2 * llf + np.log(nobs) * k_params,
                           df_model=float(k_params - (K - 1) * fi), df_resid=nobs - k_params, alpha=float(alpha),
                           reference=None if K == 2 else estimator.classes_[0], note=note)
