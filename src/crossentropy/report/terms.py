"""Sentences and tables of the coefficient section of ``report.html``: how the table was computed, an ordinal
model's thresholds, and the tests of each column (``term_tests.csv``)."""

from __future__ import annotations

import html
import math

__all__ = ["method_sentence", "thresholds_sentence", "term_tests_table"]


def _e(value) -> str:
    return html.escape(str(value), quote=True)


#: where the standard errors of each covariance type come from, in words
_COV_SOURCES = {"nonrobust": "the inverse of the observed information",
                "HC0": "White's heteroscedasticity-robust sandwich", "HC1": "the robust sandwich times n/(n - k)",
                "HC2": "the robust sandwich with residuals scaled by 1/sqrt(1 - leverage)",
                "HC3": "the robust sandwich with residuals scaled by 1/(1 - leverage)",
                "cluster": "the cluster-robust sandwich of the cluster column(s)"}


def term_tests_table(tests, note=None) -> list[str]:
    """The Wald and likelihood-ratio test of each column (``term_tests.csv``), as an HTML table."""
    if not tests:
        return []
    skipped = [f"<p class='note' id='term-tests-note'>{_e(note)}</p>"] if note else []
    out = ["<h3>Tests of each column</h3>",
           "<p class='muted'>Each column's terms (all levels, and for several classes all classes) tested together: "
           "the Wald test with the table's covariance, the likelihood-ratio test against the model refitted without "
           "the column.</p>",
           "<table id='term-tests'><tr><th class='l'>column</th><th>df</th><th>Wald chi2</th><th>P&gt;chi2</th>"
           "<th>LR chi2</th><th>P&gt;chi2</th></tr>"]
    for r in tests:
        cells = "".join("<td></td>" if math.isnan(r[k]) else f"<td>{_e(f'{r[k]:.4g}')}</td>"
                        for k in ("df", "wald_chi2", "wald_p", "lr_chi2", "lr_p"))
        out.append(f"<tr><td class='l'>{_e(r['column'])}</td>{cells}</tr>")
    return out + ["</table>"] + skipped


def method_sentence(coef, lo, hi) -> str:
    """How the table's numbers were computed (escaped HTML): Firth's penalised likelihood, a covariance type, or
    the estimates of a penalised fit; ``lo``, ``hi`` the intervals' percentages."""
    if coef.get("penalty") == "firth":
        return (f"Firth's penalised likelihood (logistf's defaults) on the training rows, n = {coef['nobs']:,.0f}: "
                f"standard errors from the inverse penalised information; p-values from penalised likelihood-ratio "
                f"tests; intervals {_e(lo)} to {_e(hi)} of the profile penalised likelihood.")
    if coef.get("cov_type"):
        source = _COV_SOURCES.get(coef["cov_type"], "a sandwich around the inverse of the observed information")
        return (f"Standard errors from the covariance type {_e(coef['cov_type'])} ({source} on the training rows, "
                f"n = {coef['nobs']:,.0f}); intervals {_e(lo)} to {_e(hi)}.")
    return f"Estimates of the penalised fit (penalty {_e(repr(coef.get('penalty')))}) on n = {coef['nobs']:,.0f} rows."


def thresholds_sentence(coef) -> str:
    """For an ordinal model's table (unescaped text): what its threshold rows are; empty otherwise."""
    if not coef.get("thresholds"):
        return ""
    return (" The rows " + ", ".join(coef["thresholds"]) + " are the thresholds ζ of the cumulative model "
            "P(Y ≤ j) = F(ζ_j − η) (R's polr convention), on the linear predictor η of the columns in their own "
            "units; a coefficient's odds ratio is that of a higher level per unit of its column.")
