"""Benchmarks of issue 21: the HC3 covariance of a fitted model against the fit's own time.

Two rows per problem. ``inference_hc3_*``: building the reported design of a fitted ``crossentropy.LogisticRegression(penalty=None)`` (the
constant column, read in blocks of rows as the summary reads it, and the coefficients relative to
class 0: a :class:`~crossentropy.linear_model._design.FittedDesign`) and its HC3 covariance,
:func:`~crossentropy.linear_model._covariance.covariance` (observed information and its Cholesky
factor with the rank check, the per-row leverage blocks, the meat and the sandwich). The anchor is
that fit, ``LogisticRegression(penalty=None).fit(X, y)`` at its defaults, on the same data.
``summary_hc3_*``: the whole ``model.summary(X, y, cov_type="HC3")`` (the coefficient table: the
reported design, its rank check, the covariance, the table), against the same anchor.

- ``binary``: ``make_classification(200_000, 100, n_informative=40, n_redundant=0, random_state=0)``
  (no redundant columns: with the default two, the design is rank-deficient and has no covariance);
- ``digits``: ``load_digits`` summed over 2 × 2 pixel blocks (1,797 × 16, 10 classes), standardised.
  The 64 raw pixels are separable without a penalty (the maximum-likelihood estimate does not exist,
  so no covariance does) and some pixels are non-zero in a single image (leverage 1, where HC3 is
  undefined); the pooled pixels have a finite estimate.

Target (issue 21): ratio ≤ 1. Quick mode uses 20,000 × 20. The ``check`` column gives the median
ratio of the HC3 standard errors to the nonrobust ones and the fit's iterations.
"""

from __future__ import annotations

import warnings

import numpy as np

_STATE: dict = {}


def _problem(key, quick):
    cache_key = ("data", key, quick)
    if cache_key not in _STATE:
        if key == "digits":
            from sklearn.datasets import load_digits
            from sklearn.preprocessing import StandardScaler

            X, y = load_digits(return_X_y=True)
            X = StandardScaler().fit_transform(X.reshape(-1, 4, 2, 4, 2).sum(axis=(2, 4)).reshape(-1, 16))
        else:
            from sklearn.datasets import make_classification

            n, d = (20_000, 20) if quick else (200_000, 100)
            X, y = make_classification(n, d, n_informative=min(40, d // 2), n_redundant=0, random_state=0)
        _STATE[cache_key] = (np.ascontiguousarray(X), y)
    return _STATE[cache_key]


def _fit(key, quick):
    from crossentropy import LogisticRegression

    X, y = _problem(key, quick)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LogisticRegression(penalty=None).fit(X, y)


def _design(key, quick):
    from crossentropy._terms import TermMap
    from crossentropy.linear_model._design import FittedDesign

    X, y = _problem(key, quick)
    model = _STATE[("model", key, quick)]
    coding = TermMap.identity([f"x{j}" for j in range(X.shape[1])]).coding(fit_intercept=True, reference_coded=True)
    W = np.column_stack([model.coef_, model.intercept_]) @ coding.matrix.T  # const first, as the summary reports
    K = len(model.classes_)
    params = W.ravel() if K == 2 else W[1:] - W[0]
    return FittedDesign(coding.rows(X), coding.names, coding.columns, params, np.searchsorted(model.classes_, y),
                        np.ones(X.shape[0]), K)


def _ours(key, quick):
    from crossentropy.linear_model._covariance import covariance

    return covariance(_design(key, quick), "HC3")


def _summary(key, quick):
    X, y = _problem(key, quick)
    return _STATE[("model", key, quick)].summary(X, y, cov_type="HC3")


def _setup(key, quick):
    def setup():
        if ("model", key, quick) not in _STATE:
            _STATE[("model", key, quick)] = _fit(key, quick)

    return setup


def _check(key, quick):
    def check():
        from crossentropy.linear_model._covariance import covariance

        d = _design(key, quick)
        ratio = np.sqrt(np.diag(covariance(d, "HC3")) / np.diag(covariance(d)))
        model = _STATE[("model", key, quick)]
        return (f"HC3 / nonrobust standard errors: median {np.median(ratio):.4f} (range {ratio.min():.4f} to "
                f"{ratio.max():.4f}); {d.n_params} parameters; the fit took {int(np.max(model.n_iter_))} iterations")

    return check


def cases(quick: bool) -> list[dict]:
    specs = [
        ("binary", "inference_hc3_binary (make_classification 200k x 100)"),
        ("digits", "inference_hc3_digits (2x2-pooled digits 1797 x 16, 10 classes)"),
    ]
    out = []
    for (key, name), (kind, ours) in [(s, k) for k in (("inference_hc3", _ours), ("summary_hc3", _summary))
                                      for s in specs]:
        name = name.replace("inference_hc3", kind)
        if quick:
            name = name.replace("200k x 100", "20k x 20")
        out.append({
            "name": name,
            "issue": 21,
            "setup": _setup(key, quick),
            "ours": (lambda k=key, f=ours: f(k, quick)),
            "anchor": (lambda k=key: _fit(k, quick)),
            "anchor_name": "crossentropy LogisticRegression(penalty=None).fit on the same data",
            "target": "ratio <= 1",
            "repeats": 3 if quick else 5,
            "check": _check(key, quick),
        })
    return out
