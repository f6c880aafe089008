"""The result of ``LogisticRegression.summary``: the coefficient table, the fit statistics and the notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ._margins import average_marginal_effects
from ._term_tests import lr_test, profile_intervals, term_tests

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
    outcome : tuple
        Two classes: ``(modelled, other)``, the coefficients being log-odds of the first against the
        second (``classes_[1]`` against ``classes_[0]``); empty for softmax.
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
    outcome: tuple = ()
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

    def _tested(self, what):
        if not self.inference or self.cov is None or not np.all(np.isfinite(self.cov)):
            raise ValueError(f"{what} needs the standard errors of an unpenalised fit with a finite covariance "
                             f"(penalty={self.penalty!r}; {self.note or 'no covariance'})")

    def _class_labels(self, encoded):
        """Class labels of encoded classes 0..K-1 (the reference class, then the table's classes)."""
        classes = [self.reference] + list(dict.fromkeys(self.frame.index.get_level_values(0)))
        return [classes[int(k)] for k in encoded]

    @cached_property
    def term_tests(self):
        r"""Wald and likelihood-ratio tests of each input column, all its terms (and classes) together.

        A DataFrame with columns ``column, df, wald_chi2, wald_p, lr_chi2, lr_p``
        (:func:`~crossentropy.linear_model._term_tests.term_tests`: the Wald test with this table's
        covariance type, the LR test by refitting the model without the column), computed on first
        access; None for a penalised fit or without a finite covariance.
        """
        try:
            self._tested("term_tests")
        except ValueError:
            return None
        return term_tests(self.design, self.cov, lr=self.penalty is None)

    def margeff(self, alpha=None):
        r"""Average marginal effects :math:`dp/dx` of every term, with delta-method standard errors.

        :func:`~crossentropy.linear_model._margins.average_marginal_effects` with this table's
        covariance (statsmodels' ``get_margeff(at="overall", method="dydx")``); for softmax, the
        effects on every class's probability, the ``class`` column holding the class labels.
        ``alpha`` defaults to the table's.
        """
        self._tested("margeff")
        out = average_marginal_effects(self.design, self.cov, self.alpha if alpha is None else alpha)
        if "class" in out.columns:
            out["class"] = self._class_labels(out["class"])
        return out

    def conf_int_profile(self, alpha=None, which=None):
        r"""Profile-likelihood intervals of the coefficients (R's ``confint`` on a ``glm``).

        :func:`~crossentropy.linear_model._term_tests.profile_intervals` on this table's identified
        terms (``which``: flat indices into them, class-major for softmax; default all); ``alpha``
        defaults to the table's. For softmax, ``class`` holds the class labels.
        """
        self._tested("conf_int_profile")
        out = profile_intervals(self.design, self.alpha if alpha is None else alpha, which)
        if "class" in out.columns:
            out["class"] = self._class_labels(out["class"])
        return out

    def lr_test(self, other):
        r"""Likelihood-ratio test between this model and a nested ``other`` (either may be the larger one).

        :func:`~crossentropy.linear_model._term_tests.lr_test` on the two log-likelihoods, with their
        numbers of identified parameters; both summaries must be of unpenalised fits on the same
        rows (the same number of observations).

        Returns
        -------
        LRTest
            ``(chi2, df, p_value)``.
        """
        if not isinstance(other, LogisticSummary):
            raise TypeError(f"other must be a LogisticSummary, got {type(other).__name__}")
        for s in (self, other):
            if s.penalty is not None:
                raise ValueError(f"lr_test needs unpenalised fits, got penalty={s.penalty!r}")
        if not np.isclose(self.nobs, other.nobs, rtol=1e-12, atol=0):
            raise ValueError(f"other must be fitted on the same rows: {other.nobs:g} observations against {self.nobs:g}")
        big, small = (self, other) if self.design.n_params >= other.design.n_params else (other, self)
        return lr_test(big.llf, big.design.n_params, small.llf, small.design.n_params)

    #: the text table's title and the heading of its p-value column
    _title = "Logistic regression results"
    _p_head = "P>|z|"

    def _header(self):
        """(label, value) pairs above the text table."""
        pairs = [("No. Observations:", self.nobs), ("Log-Likelihood:", self.llf), ("LL-Null:", self.llnull),
                 ("Pseudo R-squ.:", self.prsquared)]
        if self.inference:
            pairs += [("Df Model:", self.df_model), ("Df Residuals:", self.df_resid), ("AIC:", self.aic),
                      ("BIC:", self.bic), ("Covariance Type:", self.cov_type)]
        else:
            pairs += [("Penalty:", repr(self.penalty))]
        return pairs

    def __str__(self):
        pairs = self._header()
        cells = [f"{k:<18}{v:>14.6g}" if isinstance(v, float) else f"{k:<18}{v:>14}" for k, v in pairs]
        head = ["   ".join(cells[i:i + 2]) for i in range(0, len(cells), 2)]
        if self.inference:
            lo, hi = f"[{self.alpha / 2:g}", f"{1 - self.alpha / 2:g}]"
            cols, keys = ["coef", "std err", "z", self._p_head, lo, hi], ["estimate", "std_err", "z", "p_value", "ci_low", "ci_high"]
        else:
            cols, keys = ["coef", "odds ratio"], ["estimate", "odds_ratio"]
        width = max([len(str(t)) for t in self.frame.index.get_level_values(-1)] + [10])
        line = "=" * max(width + len(cols) * 11 + 12, max(map(len, head)))
        title = self._title + (f" (relative to class {self.reference})" if self.reference is not None else
                               f" (log-odds of {_label(self.outcome[0])!r} against {_label(self.outcome[1])!r})" if self.outcome else "")
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


def _label(value):
    """A class label as Python writes it (a NumPy scalar as its plain value: 'dole', not np.str_('dole'))."""
    return value.item() if isinstance(value, np.generic) else value
