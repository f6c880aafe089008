"""The result of ``LogisticRegression.summary``: the coefficient table, the fit statistics and the notes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["LogisticSummary", "INFERENCE_COLUMNS", "ESTIMATE_COLUMNS"]

#: columns of the table of an unpenalised fit (the index is ``term``, or ``(class, term)``)
INFERENCE_COLUMNS = ("estimate", "std_err", "z", "p_value", "ci_low", "ci_high", "odds_ratio", "or_low", "or_high",
                     "odds_ratio_per_sd", "status")
#: columns of the table of a penalised fit: no standard errors, tests or intervals
ESTIMATE_COLUMNS = ("estimate", "odds_ratio", "odds_ratio_per_sd", "status")


@dataclass
class LogisticSummary:
    r"""The coefficient table in raw units and the fit statistics; ``str()`` renders it as text.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per reported term; the index is ``term`` (two classes) or ``(class, term)``
        (softmax, each class against the reference class). Columns :data:`INFERENCE_COLUMNS` for an
        unpenalised fit, :data:`ESTIMATE_COLUMNS` for a penalised one. ``odds_ratio`` is
        :math:`e^{\beta}` (for softmax the relative-risk ratio against the reference class), with
        ``or_low``, ``or_high`` the exponentiated interval; ``odds_ratio_per_sd`` is
        :math:`e^{\beta s}` for a numeric term, :math:`s` the column's (sample-weighted, population)
        standard deviation on the rows summarised, so the same with or without standardisation
        inside the fit (NaN for the constant and the levels);
        ``status`` is empty for an ordinary row and says why a row has no number (``"aliased"``) or
        that a lasso coefficient is exactly zero (``"zero (l1)"``).
    cov : ndarray of shape (m, m) or None
        Covariance of the identified parameters, in the order of ``design`` (class-major); None
        for a penalised fit.
    design : FittedDesign
        The identified terms (aliased ones removed), their coefficients, labels and weights.
    nobs, llf, llnull, prsquared : float
        Sum of the weights, log-likelihood, intercept-only log-likelihood, McFadden's pseudo R².
    aic, bic, df_model, df_resid : float or None
        With the number of identified parameters; None for a penalised fit.
    alpha : float
    reference : object or None
        The reference class (softmax).
    references : dict
        Categorical column -> reference level (columns whose levels are coded against one).
    aliased : tuple of str
        Terms not identified (linear combinations of earlier terms).
    cov_type : str or None
    penalty : str or None
    notes : tuple of str
        Plain sentences about the table (aliased terms, penalties, singular information).
    """

    frame: object
    cov: object
    design: object
    nobs: float
    llf: float
    llnull: float
    prsquared: float
    aic: object
    bic: object
    df_model: object
    df_resid: object
    alpha: float
    reference: object
    references: dict = field(default_factory=dict)
    aliased: tuple = ()
    cov_type: object = "nonrobust"
    penalty: object = None
    notes: tuple = ()

    @property
    def note(self) -> str:
        """The notes as one paragraph."""
        return " ".join(self.notes)

    @property
    def inference(self) -> bool:
        """Whether the table has standard errors, tests and intervals (an unpenalised fit)."""
        return "p_value" in self.frame.columns

    def to_frame(self):
        """A copy of the coefficient table as a pandas DataFrame."""
        return self.frame.copy()

    def to_csv_frame(self):
        """The table with its index as columns (``class`` first for softmax, then ``term``)."""
        return self.frame.reset_index()

    def __str__(self):
        pairs = [("No. Observations:", self.nobs), ("Log-Likelihood:", self.llf), ("LL-Null:", self.llnull),
                 ("Pseudo R-squ.:", self.prsquared)]
        if self.inference:
            pairs += [("Df Model:", self.df_model), ("Df Residuals:", self.df_resid), ("AIC:", self.aic),
                      ("BIC:", self.bic), ("Covariance Type:", self.cov_type)]
        else:
            pairs += [("Penalty:", repr(self.penalty))]
        cells = [f"{k:<18}{v:>14.6g}" if isinstance(v, float) else f"{k:<18}{v:>14}" for k, v in pairs]
        head = ["   ".join(cells[i:i + 2]) for i in range(0, len(cells), 2)]
        if self.inference:
            lo, hi = f"[{self.alpha / 2:g}", f"{1 - self.alpha / 2:g}]"
            cols, keys = ["coef", "std err", "z", "P>|z|", lo, hi], ["estimate", "std_err", "z", "p_value", "ci_low", "ci_high"]
        else:
            cols, keys = ["coef", "odds ratio"], ["estimate", "odds_ratio"]
        width = max([len(str(t)) for t in self.frame.index.get_level_values(-1)] + [10])
        line = "=" * max(width + len(cols) * 11 + 12, max(map(len, head)))
        title = "Logistic regression results" + (f" (relative to class {self.reference})" if self.reference is not None
                                                 else "")
        rows = [line, title, line, *head]
        rows += [f"Reference level of {c!r}: {r!r}" for c, r in self.references.items()]
        blocks = [(None, self.frame)] if self.frame.index.nlevels == 1 else [
            (k, self.frame.xs(k, level=0)) for k in dict.fromkeys(self.frame.index.get_level_values(0))]
        for label, block in blocks:
            rows.append("-" * len(line))
            rows.append(f"{'' if label is None else f'class={label}':<{width}}" + "".join(f"{c:>11}" for c in cols)
                        + "  status")
            rows.append("-" * len(line))
            for term, r in block.iterrows():
                values = "".join(f"{'':>11}" if np.isnan(v) else f"{v:>11.4g}" for v in r[keys].to_numpy(dtype=float))
                rows.append(f"{str(term):<{width}}{values}  {r['status']}".rstrip())
        rows.append(line)
        rows += list(self.notes)
        return "\n".join(rows)

    def _repr_html_(self):
        import html

        return f"<pre>{html.escape(self.__str__())}</pre>"
