"""The coefficient section of a report: the summary table of a logistic regression and the tests of each column.

The numbers are :meth:`crossentropy.LogisticRegression.summary`'s (the table ``crossentropy.summary``
gives for a model or a preprocessing + model pipeline), in the units of the data's columns when the
preprocessing's :class:`~crossentropy.TermMap` is given; this module turns them into the plain rows the
page draws and the CSV text of ``coefficients.csv`` and ``term_tests.csv``.
"""

from __future__ import annotations

import math
import warnings

__all__ = ["coefficient_section", "refit_model", "MAX_COEF_FIT", "LR_TEST_BUDGET", "SHARED"]

#: the parameters a LogisticRegressionCV shares with the LogisticRegression it refits
SHARED = ("penalty", "fit_intercept", "solver", "max_iter", "tol", "class_weight", "random_state", "verbose")

#: the most coefficients whose covariance (a dense Hessian inverse) the page computes
MAX_COEF_FIT = 2000
#: largest n m^2 c (rows, parameters, tested columns: the cost of c refits that form m x m Hessians over
#: n rows) for which ``term_tests.csv`` has likelihood-ratio tests; beyond it the Wald tests alone
LR_TEST_BUDGET = 2e10


def coefficient_section(estimator, X, y, *, terms=None, sample_weight=None, offset=None, cov_type="nonrobust",
                        groups=None):
    """The coefficient table of a logistic regression on its training rows, as plain rows, and its summary.

    Parameters
    ----------
    estimator : fitted classifier
        A table is computed for a model whose ``summary`` takes ``terms`` (``LogisticRegression`` and
        ``LogisticRegressionCV``); for any other model the result is ``(None, None)``.
    X : array_like of shape (n, d)
        The model's own features of the training rows.
    y : array_like of shape (n,)
    terms : TermMap, optional
        The preprocessing's map from the features to the data's columns (a table in the data's units).
    sample_weight : array_like of shape (n,), optional
        The fit's weights of the rows.
    offset : array_like, optional
        The rows' fixed logit offsets.
    cov_type, groups : optional
        The summary's covariance type and cluster labels.

    Returns
    -------
    section : dict or None
        ``rows``, ``columns``, ``binary``, ``alpha``, the references, ``cov_type``, ``penalty``, ``notes``,
        ``nobs``, ``llf``, ``prsquared``, ``raw_units``, ``csv`` (the table as ``coefficients.csv``),
        ``term_tests`` / ``term_tests_csv`` (the Wald and likelihood-ratio test of each column,
        ``term_tests.csv``); or ``{"error": reason}`` when the table cannot be computed.
    summary : LogisticSummary or None

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import LogisticRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [1.5], [0.5]]); y = np.array([0, 0, 1, 1, 0, 1])
    >>> section, summary = coefficient_section(LogisticRegression(penalty=None).fit(X, y), X, y)
    >>> [r["term"] for r in section["rows"]], summary.cov_type
    (['const', 'x1'], 'nonrobust')
    """
    import inspect

    if X is None or not hasattr(estimator, "coef_") or \
            "terms" not in inspect.signature(getattr(estimator, "summary", len)).parameters:
        return None, None  # the table of a LogisticRegression's summary (whose terms can be the data's columns)
    if hasattr(estimator, "Cs_"):  # a LogisticRegressionCV: the table of its refit at the chosen C
        estimator = refit_model(estimator)
    n_coef = (max(len(estimator.classes_), 2) - 1) * (X.shape[1] + bool(estimator.fit_intercept))
    if n_coef > MAX_COEF_FIT:
        return {"error": f"no coefficient table: {n_coef:,} coefficients need a {n_coef:,} x {n_coef:,} Hessian "
                         f"(the table is computed up to {MAX_COEF_FIT:,}); call crossentropy.summary yourself"}, None
    if terms is not None and terms.n_features != X.shape[1]:
        terms = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            summary = estimator.summary(X, y, sample_weight, terms=terms, cov_type=cov_type, groups=groups,
                                        **({} if offset is None else {"offset": offset}))
            tests, tests_note = _column_tests(summary, X.shape[0])
        except (ValueError, MemoryError) as exc:
            return {"error": f"no coefficient table: {exc}"}, None
    frame = summary.to_csv_frame()
    binary = "class" not in frame.columns
    rows = [{k: (str(v) if k in ("class", "term", "status") else float(v)) for k, v in r.items()}
            for r in frame.to_dict("records")]
    notes = list(summary.notes) + [" ".join(str(w.message).split()) for w in caught]
    return {"rows": rows, "columns": [c for c in frame.columns if c not in ("class", "term")], "binary": binary,
            "alpha": summary.alpha, "reference": None if summary.reference is None else str(summary.reference),
            "outcome": [str(c) for c in getattr(summary, "outcome", ())],
            "references": {str(c): str(v) for c, v in summary.references.items()}, "cov_type": summary.cov_type,
            "penalty": summary.penalty, "notes": notes, "nobs": summary.nobs, "llf": summary.llf,
            "prsquared": summary.prsquared, "raw_units": terms is not None,
            "csv": frame.to_csv(index=False, float_format="%.17g", na_rep=""),
            "term_tests": None if tests is None else [
                {k: (str(v) if k in ("column", "note") else float(v)) for k, v in r.items()}
                for r in tests.to_dict("records")], "term_tests_note": tests_note,
            "term_tests_csv": None if tests is None else tests.to_csv(index=False, float_format="%.17g", na_rep="")}, \
        summary


def _column_tests(summary, n_rows):
    """The summary's tests of each column, and a note when the likelihood-ratio tests were left out.

    The LR test of a column refits the model without it; the ``c`` refits of an ``m``-parameter model on
    ``n`` rows cost about ``n m^2 c``. Above :data:`LR_TEST_BUDGET` only the Wald tests are computed
    (the LR columns empty, the reason in a ``note`` column), so a wide model on many rows is not held
    up by refits nobody asked for; ``LogisticSummary.term_tests`` computes them on request.
    """
    design = getattr(summary, "design", None)
    if getattr(summary, "penalty", "") is not None or design is None or not hasattr(design, "n_params"):
        return summary.term_tests, None  # penalised fits (none) and Firth's own tests
    from ..linear_model._term_tests import column_params, term_tests

    m, c = design.n_params, len(column_params(design))
    cost = float(n_rows) * m * m * c
    if cost <= LR_TEST_BUDGET:
        return summary.term_tests, None
    if not (summary.inference and summary.cov is not None and math.isfinite(float(abs(summary.cov).sum()))):
        return None, None
    note = (f"No likelihood-ratio tests: refitting the model without each of its {c} columns ({n_rows:,} rows, {m} "
            f"parameters, n m^2 c = {cost:.3g} above the budget {LR_TEST_BUDGET:.3g}) was skipped; the Wald tests "
            "use the table's covariance. LogisticSummary.term_tests computes the LR tests.")
    tests = term_tests(design, summary.cov, lr=False)
    tests["note"] = note
    return tests, note


def refit_model(cv):
    """The LogisticRegression at the chosen C holding a LogisticRegressionCV's refit coefficients.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import LogisticRegressionCV
    >>> X = np.arange(12.0).reshape(-1, 1); y = np.array([0, 1] * 3 + [1, 1, 0, 1, 1, 1])
    >>> cv = LogisticRegressionCV(Cs=3, cv=2).fit(X, y)
    >>> model = refit_model(cv)
    >>> bool(model.C == cv.C_[0] and np.array_equal(model.coef_, cv.coef_))
    True
    """
    import numpy as np

    from ..linear_model import LogisticRegression

    params = {k: cv.get_params()[k] for k in SHARED}
    ratio = cv.l1_ratio_[0] if cv.penalty == "elasticnet" else None
    model = LogisticRegression(C=float(cv.C_[0]), l1_ratio=None if ratio is None else float(ratio), **params)
    for name in ("classes_", "n_features_in_", "feature_names_in_", "coef_", "intercept_", "converged_", "solver_",
                 "loss_curve_"):
        if hasattr(cv, name):
            setattr(model, name, getattr(cv, name))
    model.n_iter_ = int(np.max(cv.n_iter_))
    return model
