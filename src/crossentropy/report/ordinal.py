r"""The coefficient table of an ordinal model, in the units of the data's columns.

The model is :class:`~crossentropy.OrdinalRegression` (polr's convention,
:math:`\operatorname{logit} P(Y \le j) = \zeta_j - \eta`, :math:`\eta = x^\top\beta`) on the
preprocessed design: numeric columns standardised, :math:`u = (r - \mu)/s`, and each string column
treatment-coded (one indicator per level but the reference). The table is reported per unit of the
user's columns: with :math:`\eta = \sum_j \beta_j (r_j - \mu_j)/s_j`,

.. math::
    \beta^{\text{raw}}_j = \beta_j / s_j, \qquad
    \zeta^{\text{raw}}_k = \zeta_k + \sum_j \beta_j \mu_j / s_j

(indicators have :math:`\mu = 0`, :math:`s = 1`). The standard errors, z, p-values and intervals are
those of :meth:`OrdinalRegression.summary` at these parameters on the raw design: the
log-likelihood is the same function in new coordinates, so its inverse Hessian is
:math:`T\,\mathrm{Cov}\,T^\top` for the linear map :math:`T` above.
"""

from __future__ import annotations

import numpy as np

from ..preprocessing.terms import indicator_levels

__all__ = ["coefficient_table", "coefficients_csv", "page_table", "MAX_PARAMETERS"]

#: the most parameters (coefficients + thresholds) whose covariance (a dense Hessian inverse) is computed
MAX_PARAMETERS = 2000


def _raw_units(prep, n_features):
    """(names, mean, scale) of the design's columns: ``x_design = (x_raw - mean) / scale``."""
    names, mean, scale = [], [], []
    for spec in prep.columns_:
        if spec["kind"] == "numeric":
            names.append(spec["name"])
            mean.append(float(spec["mean"]))
            scale.append(float(spec["scale"]))
        else:
            levels = indicator_levels(spec, prep.reference, prep.drop_reference)
            names.extend(f"{spec['name']}[T.{c}]" for c in levels)
            mean.extend([0.0] * len(levels))
            scale.extend([1.0] * len(levels))
    if len(names) != n_features:
        raise ValueError(f"the preprocessing yields {len(names)} features, the model has {n_features}")
    return names, np.asarray(mean), np.asarray(scale)


def coefficient_table(estimator, prep, X, y, alpha=0.05):
    r"""The ordinal model's coefficients and thresholds in the units of the data's columns, as a DataFrame.

    Parameters
    ----------
    estimator : OrdinalRegression
        Fitted on ``X`` (the design ``prep`` makes).
    prep : TabularPreprocessor
        Fitted, with ``drop_reference=True`` when the data have string columns.
    X : ndarray of shape (n, d)
        The design of the rows (normally the training rows).
    y : ndarray of shape (n,)
    alpha : float, default 0.05

    Returns
    -------
    pandas.DataFrame
        Columns ``term, estimate, std_err, z, p_value, ci_low, ci_high`` and, for the logit link,
        ``odds_ratio, or_low, or_high`` (:math:`e^\beta`: the odds of a higher level per unit of the
        column; empty for the thresholds). Terms: numeric columns by name, string-column levels as
        ``col[T.level]``, thresholds as ``low|high`` (polr's names). Penalised fits: estimates only,
        and ``attrs["note"]`` says why; an odds ratio too large for a float is left empty (NaN) and the
        note says so (``attrs["note"]`` is empty otherwise).

    Examples
    --------
    >>> import pandas as pd
    >>> from crossentropy import OrdinalRegression
    >>> from crossentropy.preprocessing import TabularPreprocessor
    >>> frame = pd.DataFrame({"x": [1.0, 4.0, 2.0, 8.0, 5.0, 9.0, 3.0, 7.0],
    ...                       "c": ["a", "b", "a", "b", "b", "a", "b", "a"],
    ...                       "y": [0, 1, 2, 2, 0, 1, 1, 0]})
    >>> prep = TabularPreprocessor("y", drop_reference=True).fit(frame)
    >>> X, y = prep.transform(frame), prep.target_values(frame)
    >>> coefficient_table(OrdinalRegression().fit(X, y), prep, X, y)["term"].tolist()
    ['x', 'c[T.b]', '0|1', '1|2']

    References
    ----------
    Venables & Ripley, *Modern Applied Statistics with S* (2002), §7.3 (``polr``); statsmodels,
    ``OrderedModel``.
    """
    import copy

    d = len(estimator.coef_)
    names, mean, scale = _raw_units(prep, d)
    raw = copy.copy(estimator)  # the same fitted model in the coordinates of the raw columns
    raw.coef_ = estimator.coef_ / scale
    raw.thresholds_ = estimator.thresholds_ + float(np.sum(estimator.coef_ * mean / scale))
    summary = raw.summary(np.asarray(X, dtype=np.float64) * scale + mean, y, alpha=alpha)
    frame = summary.frame.reset_index().rename(columns={"coef": "estimate", "ci_lower": "ci_low",
                                                        "ci_upper": "ci_high"})
    frame.loc[:d - 1, "term"] = names
    notes = [summary.note] if summary.note else []
    if estimator.link == "logit":
        for col, src in (("odds_ratio", "estimate"), ("or_low", "ci_low"), ("or_high", "ci_high")):
            with np.errstate(over="ignore"):
                ratio = np.exp(frame.loc[:d - 1, src].to_numpy(dtype=np.float64))
            frame[col] = np.nan
            frame.loc[:d - 1, col] = np.where(np.isfinite(ratio), ratio, np.nan)
        ratios = frame[["odds_ratio", "or_low", "or_high"]].iloc[:d].to_numpy(dtype=np.float64)
        logs = frame[["estimate", "ci_low", "ci_high"]].iloc[:d].to_numpy(dtype=np.float64)
        if (np.isnan(ratios) & ~np.isnan(logs)).any():
            notes.append("odds ratios beyond the largest float (exp(709.78)) are left empty: such coefficients "
                         "point to levels separated by the features")
    frame.attrs["note"] = " ".join(notes)
    return frame


def coefficients_csv(estimator, prep, X, y):
    """``(csv_text, note)``: :func:`coefficient_table` as ``coefficients.csv`` writes it and the table's note
    (None, or why a penalised table has estimates only); ``(None, reason)`` beyond :data:`MAX_PARAMETERS`."""
    table = page_table(estimator, prep, X, y)
    if "error" in table:
        return None, table["error"]
    return table["csv"], table["notes"][0] if table["notes"] else None


def page_table(estimator, prep, X, y, alpha=0.05) -> dict:
    r""":func:`coefficient_table` as the page's coefficient table draws it (the keys of the logistic table's).

    ``rows`` (one dict per term, thresholds last), ``columns``, ``csv`` (``coefficients.csv``),
    ``thresholds`` (their terms), ``references`` (string column -> reference level), ``notes``, ``nobs``,
    ``llf`` and ``prsquared`` (McFadden's, against the model with thresholds only: :math:`\sum_j n_j
    \log(n_j/n)`), ``cov_type`` (``"nonrobust"``, or None for a penalised fit, whose table has estimates
    only); ``{"error": reason}`` beyond :data:`MAX_PARAMETERS`.
    """
    k = len(estimator.coef_) + len(estimator.thresholds_)
    if k > MAX_PARAMETERS:
        return {"error": f"no coefficients.csv: {k:,} parameters need a {k:,} x {k:,} Hessian (written up to "
                         f"{MAX_PARAMETERS:,}); call crossentropy.load_model(RUN).summary(X, y) yourself"}
    frame = coefficient_table(estimator, prep, X, y, alpha=alpha)
    d = len(estimator.coef_)
    rows = [{c: (str(v) if c == "term" else float(v)) for c, v in r.items()} for r in frame.to_dict("records")]
    counts = np.unique(np.asarray(y), return_counts=True)[1].astype(np.float64)
    llnull = float(np.sum(counts * np.log(counts / counts.sum())))
    llf = -float(counts.sum()) * float(estimator.log_loss(X, y))
    columns = [c for c in frame.columns if c != "term"]
    penalised = estimator.penalty is not None
    if penalised:
        columns = [c for c in columns if c in ("estimate", "odds_ratio")]
    terms = prep.term_map() if hasattr(prep, "term_map") else None
    return {"rows": rows, "columns": columns, "binary": True, "alpha": alpha, "reference": None,
            "references": {} if terms is None else {str(c): str(v) for c, v in terms.references.items()},
            "cov_type": None if penalised else "nonrobust", "penalty": estimator.penalty,
            "notes": [frame.attrs["note"]] if frame.attrs["note"] else [], "nobs": float(counts.sum()), "llf": llf,
            "prsquared": 1.0 - llf / llnull if llnull else float("nan"), "raw_units": True,
            "thresholds": [r["term"] for r in rows[d:]],
            "csv": frame.to_csv(index=False, float_format="%.17g", na_rep="")}
