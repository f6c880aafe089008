"""Benchmark of issue 21: Firth's bias-reduced logistic regression against ``firthmodels``.

One problem, synthetic: 5,000 rows × 50 standard normal features (``numpy.random.default_rng(0)``),
true coefficients drawn N(0, 0.3²), intercept -0.5, labels drawn from the logistic model. Both sides fit
the same penalised likelihood (Firth's, the Jeffreys prior) from zero and stop on the same criterion:
the largest Newton step and the largest entry of the modified score below 1e-8 (``tol=1e-8`` for ours,
``gtol=xtol=1e-8`` for ``firthmodels.FirthLogisticRegression``, its default numba backend). The fit
only: neither side computes profile intervals or likelihood-ratio tests in the timed call. The ``check``
column gives the largest absolute difference of the coefficients (intercept included) and of the
penalised log-likelihoods, and the iterations of each side.

Target (issue 21): ratio ≤ 0.5. Quick mode uses 1,000 × 10.
"""

from __future__ import annotations

import numpy as np

_STATE: dict = {}
TOL = 1e-8


def _problem(quick):
    if quick not in _STATE:
        n, d = (1_000, 10) if quick else (5_000, 50)
        rng = np.random.default_rng(0)
        X = rng.normal(size=(n, d))
        beta = rng.normal(scale=0.3, size=d)
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(0.5 - X @ beta))).astype(np.int64)
        _STATE[quick] = (np.ascontiguousarray(X), y)
    return _STATE[quick]


def _ours(quick):
    from crossentropy import LogisticRegression

    X, y = _problem(quick)
    return LogisticRegression(penalty="firth", tol=TOL, max_iter=100).fit(X, y)


def _anchor(quick):
    from firthmodels import FirthLogisticRegression

    X, y = _problem(quick)
    return FirthLogisticRegression(gtol=TOL, xtol=TOL, max_iter=100).fit(X, y)


def _check(quick):
    def check():
        ours, ref = _ours(quick), _anchor(quick)
        a = np.concatenate([ours.coef_.ravel(), ours.intercept_])
        b = np.concatenate([ref.coef_, [ref.intercept_]])
        return (f"max |coef diff| {np.max(np.abs(a - b)):.1e}, |loglik diff| {abs(ours.firth_.loglik - ref.loglik_):.1e}; "
                f"iterations ours {ours.n_iter_}, firthmodels {ref.n_iter_}; both converged "
                f"{bool(ours.converged_ and ref.converged_)}")

    return check


def cases(quick: bool) -> list[dict]:
    size = "1k x 10" if quick else "5k x 50"
    return [{
        "name": f"firth_binary (synthetic {size}, tol 1e-8)",
        "issue": 21,
        "ours": lambda: _ours(quick),
        "anchor": lambda: _anchor(quick),
        "anchor_name": "firthmodels FirthLogisticRegression (numba)",
        "target": "ratio <= 0.5",
        "repeats": 5 if quick else 15,
        "check": _check(quick),
    }]
