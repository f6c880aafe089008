r"""Statistics of a fitted ``OrdinalRegression``: standard errors, z, p-values and intervals.

The covariance of :math:`(\hat\beta, \hat\theta)` is the inverse of the observed information, the
exact Hessian of the weighted negative log-likelihood :math:`L` of
:mod:`crossentropy.objective.ordinal` at the fit:

.. math::
    \widehat{\mathrm{Cov}} = \big(\nabla^2 L(\hat\beta, \hat\theta)\big)^{-1}, \qquad
    z_j = \hat\vartheta_j / \mathrm{se}_j, \qquad p_j = 2\,\Phi(-|z_j|), \qquad
    \hat\vartheta_j \pm \Phi^{-1}(1 - \alpha/2)\,\mathrm{se}_j

For the coefficients these equal statsmodels' ``OrderedModel`` and R's ``polr``; for the thresholds
they are those of the plain thresholds (polr's ``zeta``), which statsmodels reports in its
log-increment parameterisation instead (the delta method maps one to the other). Penalised fits get
estimates only: Wald statistics at a penalised estimate ignore the penalty's bias.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .._validation import check_real
from ..objective.ordinal import ordinal_terms
from ..exceptions import PerfectSeparationWarning
from ._separation import separation_message
from ._summary import _inverse  # the Cholesky inverse, with a warning and the pseudo-inverse when singular

__all__ = ["OrdinalSummary", "summarize"]

_COLUMNS = ["coef", "std_err", "z", "p_value", "ci_lower", "ci_upper"]


@dataclass
class OrdinalSummary:
    """The table of an ordinal fit and its statistics; ``str()`` renders it as text.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per parameter, the d coefficients (named by the features) then the J - 1 thresholds
        (named ``"low|high"`` after the two levels they separate, as R's ``polr``); columns ``coef``,
        ``std_err``, ``z``, ``p_value``, ``ci_lower``, ``ci_upper``.
    cov : ndarray of shape (d + J - 1, d + J - 1)
        The covariance matrix, in the order of the rows of ``frame`` (NaN for penalised fits).
    llf : float
        Log-likelihood :math:`-L` (sample-weighted).
    nobs : float
        Number of observations (sum of the sample weights).
    df_model : int
        d + J - 1 parameters.
    aic, bic : float
        :math:`-2\\,\\mathrm{llf} + 2k` and :math:`-2\\,\\mathrm{llf} + k\\log(\\mathrm{nobs})`, k = ``df_model``.
    link : str
    alpha : float
    note : str
    """

    frame: object
    cov: np.ndarray
    llf: float
    nobs: float
    df_model: int
    aic: float
    bic: float
    link: str
    alpha: float
    note: str

    def to_frame(self):
        """A copy of the table as a pandas DataFrame."""
        return self.frame.copy()

    def __str__(self):
        lo, hi = f"[{self.alpha / 2:g}", f"{1 - self.alpha / 2:g}]"
        width = max([len(str(t)) for t in self.frame.index] + [10])
        line = "=" * (width + 6 * 11)
        rows = [line, f"Ordinal regression results (link: {self.link})", line,
                f"{'No. Observations:':<22}{self.nobs:>14.6g}   {'Log-Likelihood:':<18}{self.llf:>14.6g}",
                f"{'Df Model:':<22}{self.df_model:>14d}   {'AIC:':<18}{self.aic:>14.6g}",
                f"{'':<22}{'':>14}   {'BIC:':<18}{self.bic:>14.6g}",
                "-" * len(line),
                f"{'':<{width}}" + "".join(f"{c:>11}" for c in ["coef", "std err", "z", "P>|z|", lo, hi]),
                "-" * len(line)]
        for term, r in self.frame.iterrows():
            rows.append(f"{str(term):<{width}}" + "".join(f"{v:>11.4g}" for v in r[_COLUMNS].to_numpy()))
        rows.append(line)
        if self.note:
            rows.append(self.note)
        return "\n".join(rows)

    def _repr_html_(self):
        return f"<pre>{self.__str__()}</pre>"


def summarize(model, X, y, sample_weight=None, alpha=0.05):
    r"""The :class:`OrdinalSummary` of a fitted ``OrdinalRegression`` on the rows given.

    Parameters
    ----------
    model : OrdinalRegression
        Fitted.
    X : array-like or CSR matrix of shape (n, d)
    y : array-like of shape (n,)
        Labels, all in ``model.classes_``.
    sample_weight : array-like of shape (n,), optional
    alpha : float in (0, 1), default 0.05
        The intervals have coverage :math:`1 - \alpha`.

    Returns
    -------
    OrdinalSummary

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import OrdinalRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]]); y = np.array([0, 1, 0, 2, 1, 2])
    >>> s = OrdinalRegression().fit(X, y).summary(X, y)
    >>> s.frame.index.tolist(), s.df_model
    (['x0', '0|1', '1|2'], 3)
    >>> bool(np.isclose(s.llf, -6 * OrdinalRegression().fit(X, y).log_loss(X, y)))
    True

    References
    ----------
    Agresti, *Analysis of Ordinal Categorical Data*, 2nd ed. (2010), §3.4; statsmodels,
    ``OrderedModel`` and its ``summary()``.
    """
    import pandas as pd

    alpha = check_real(alpha, "alpha", low=0, high=1, low_open=True, high_open=True)
    logp, sw, X, y_enc = model._row_log_proba(X, y, sample_weight)
    coef = np.concatenate([model.coef_, model.thresholds_])
    J, d = len(model.classes_), len(model.coef_)
    names = (list(map(str, model.feature_names_in_)) if hasattr(model, "feature_names_in_")
             else [f"x{j}" for j in range(d)])
    names += [f"{model.classes_[j]}|{model.classes_[j + 1]}" for j in range(J - 1)]
    llf = float(sw @ logp)
    nobs = float(sw.sum())
    k = d + J - 1
    nan = np.full(k, np.nan)
    if model.penalty is None:
        H = ordinal_terms(X, y_enc, sw, coef, J, model.link, {"hess"}).hess
        cov = _inverse(H)
        se = np.sqrt(np.maximum(np.diag(cov), 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            z = coef / se
        p = 2 * stats.norm.sf(np.abs(z))
        q = stats.norm.ppf(1 - alpha / 2)
        lo, hi = coef - q * se, coef + q * se
        note = ""
    else:
        cov = np.full((k, k), np.nan)
        se = z = p = lo = hi = nan
        note = (f"penalty={model.penalty!r}: estimates only; standard errors, z and p-values at a penalised "
                "estimate ignore the penalty's bias and are not reported")
    if getattr(model, "separation_", None):  # found by the fit (._separation): no finite estimate exists
        warnings.warn(separation_message(model), PerfectSeparationWarning, stacklevel=3)
        note = " ".join(filter(None, [note, "The levels are separated by the features: no maximum-likelihood "
                                             "estimate exists, and these numbers are those of the last iterate."]))
    frame = pd.DataFrame({"coef": coef, "std_err": se, "z": z, "p_value": p, "ci_lower": lo, "ci_upper": hi},
                         index=pd.Index(names, name="term"))
    return OrdinalSummary(frame=frame, cov=cov, llf=llf, nobs=nobs, df_model=k, aic=-2 * llf + 2 * k,
                          bic=-2 * llf + k * math.log(nobs) if nobs > 0 else math.nan, link=model.link,
                          alpha=alpha, note=note)
