"""Benchmarks of issue 3: ``crossentropy.LogisticRegression`` against scikit-learn's fastest solver.

Three problems, all at C = 1 with the l2 penalty (scikit-learn's default objective):

- ``binary``: ``make_classification(200_000, 100, n_informative=40, random_state=0)``;
- ``softmax10``: the same with ``n_classes=10``;
- ``digits``: ``load_digits`` (1,797 × 64, 10 classes), standardised.

Protocol: the time to reach the optimum's objective within 1e-8 relative, for every side alike.
In setup, scikit-learn's ``newton-cholesky`` at ``tol=1e-10`` gives the reference objective
:math:`f^\star = C\sum_i\ell_i + \tfrac12\lVert w\rVert^2`, evaluated by scikit-learn's own
``LinearModelLoss`` (not by our code). Then each of scikit-learn's ``lbfgs`` and ``newton-cholesky``,
and ours, is run at the loosest ``tol`` of 1e-4, 1e-5, …, 1e-10 whose final objective is within 1e-8
relative of :math:`f^\star` (or below it); a ladder stops early once it is slower than the best
time already found. The anchor is scikit-learn's faster solver at its tolerance; both sides are then
timed by the harness at the tolerances found. The ``check`` column gives the objectives, the
tolerances, the setup times of both scikit-learn solvers and the gap of ours.

Targets (issue 3): ratio ≤ 0.33 (binary), ≤ 0.1 (softmax10), ≤ 1 (digits). Quick mode uses 20,000
× 20 problems and skips nothing else.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

_STATE: dict = {}
REL = 1e-8
TOLS = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10)


def _problem(key, quick):
    cache_key = ("data", key, quick)
    if cache_key not in _STATE:
        if key == "digits":
            from sklearn.datasets import load_digits
            from sklearn.preprocessing import StandardScaler

            X, y = load_digits(return_X_y=True)
            X = StandardScaler().fit_transform(X)
        else:
            from sklearn.datasets import make_classification

            n, d = (20_000, 20) if quick else (200_000, 100)
            K = 2 if key == "binary" else 10
            X, y = make_classification(n, d, n_informative=min(40, d // 2), n_classes=K, random_state=0)
        _STATE[cache_key] = (np.ascontiguousarray(X), y)
    return _STATE[cache_key]


def _sk_objective(X, y, coef, intercept):
    """C·Σℓ + ½‖w‖² at C = 1, by scikit-learn's LinearModelLoss (an oracle independent of our code)."""
    from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss
    from sklearn.linear_model._linear_loss import LinearModelLoss

    classes = np.unique(y)
    K = len(classes)
    if K == 2:
        loss = LinearModelLoss(HalfBinomialLoss(), fit_intercept=True)
        w = np.concatenate([coef.ravel(), intercept])
        target = (y == classes[1]).astype(float)
    else:
        loss = LinearModelLoss(HalfMultinomialLoss(n_classes=K), fit_intercept=True)
        w = np.hstack([coef, intercept[:, None]])
        target = np.searchsorted(classes, y).astype(float)
    n = X.shape[0]
    # LinearModelLoss gives (1/n)Σℓ + (λ/2)‖w‖²; with λ = 1/n this is (Σℓ + ½‖w‖²)/n
    return n * float(loss.loss(w, X, target, None, l2_reg_strength=1.0 / n))


def _fit_sklearn(key, quick, solver, tol):
    from sklearn.linear_model import LogisticRegression

    X, y = _problem(key, quick)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LogisticRegression(C=1.0, solver=solver, tol=tol, max_iter=10_000).fit(X, y)


def _fit_ours(key, quick, tol):
    from crossentropy import LogisticRegression

    X, y = _problem(key, quick)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LogisticRegression(C=1.0, tol=tol, max_iter=1000).fit(X, y)


def _ladder(fit, X, y, target, give_up_after=np.inf):
    """(tol, seconds, objective) of the loosest tol reaching the target, or of the last one tried."""
    found = None
    for tol in TOLS:
        t = time.perf_counter()
        m = fit(tol)
        seconds = time.perf_counter() - t
        value = _sk_objective(X, y, m.coef_, m.intercept_)
        found = (tol, seconds, value)
        if value <= target * (1 + REL) or seconds > give_up_after:
            break
    return found


def _setup(key, quick):
    def setup():
        if ("plan", key, quick) in _STATE:
            return
        X, y = _problem(key, quick)
        ref = _fit_sklearn(key, quick, "newton-cholesky", 1e-10)
        target = _sk_objective(X, y, ref.coef_, ref.intercept_)
        runs, best = {}, np.inf
        for solver in ("newton-cholesky", "lbfgs"):
            runs[solver] = _ladder(lambda tol, s=solver: _fit_sklearn(key, quick, s, tol), X, y, target, best)
            if runs[solver][2] <= target * (1 + REL):
                best = min(best, runs[solver][1])
        reached = [s for s in runs if runs[s][2] <= target * (1 + REL)] or list(runs)
        fastest = min(reached, key=lambda s: runs[s][1])
        ours = _ladder(lambda tol: _fit_ours(key, quick, tol), X, y, target)
        _STATE[("plan", key, quick)] = {"runs": runs, "fastest": fastest, "target": target, "ours": ours}

    return setup


def _check(key, quick):
    def check():
        plan = _STATE[("plan", key, quick)]
        X, y = _problem(key, quick)
        tol = plan["ours"][0]
        m = _fit_ours(key, quick, tol)
        ours = _sk_objective(X, y, m.coef_, m.intercept_)
        gap = (ours - plan["target"]) / plan["target"]
        sk = ", ".join(f"{s} tol={v[0]:g} {v[2]:.12g} ({v[1]:.2f} s)" for s, v in plan["runs"].items())
        met = "met" if gap <= REL else "NOT met"
        return (f"f* {plan['target']:.12g}; ours tol={tol:g} {ours:.12g} ({m.n_iter_} it, gap {gap:+.1e}, "
                f"<= 1e-8 {met}); sklearn {sk}; anchor {plan['fastest']}")

    return check


def cases(quick: bool) -> list[dict]:
    specs = [
        ("binary", "logreg_binary (make_classification 200k x 100)", "ratio <= 0.33", 5),
        ("softmax10", "logreg_softmax10 (make_classification 200k x 100, 10 classes)", "ratio <= 0.1", 5),
        ("digits", "logreg_digits (standardised, 10 classes)", "ratio <= 1", 5),
    ]
    out = []
    for key, name, target, repeats in specs:
        if quick:
            name = name.replace("200k x 100", "20k x 20")
        out.append({
            "name": name,
            "issue": 3,
            "setup": _setup(key, quick),
            "ours": (lambda k=key: _fit_ours(k, quick, _STATE[("plan", k, quick)]["ours"][0])),
            "anchor": (lambda k=key: _fit_sklearn(k, quick, _STATE[("plan", k, quick)]["fastest"],
                                                  _STATE[("plan", k, quick)]["runs"][_STATE[("plan", k, quick)]["fastest"]][0])),
            "anchor_name": "sklearn LogisticRegression (fastest of lbfgs, newton-cholesky)",
            "target": target,
            "repeats": 3 if quick else repeats,
            "check": _check(key, quick),
        })
    return out
