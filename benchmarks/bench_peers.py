"""Benchmarks of issue 15: ``crossentropy.LogisticRegression`` against the strongest peers.

Anchors (the bench extra): scikit-learn's ``lbfgs`` and ``newton-cholesky``, liblinear (scikit-learn's
``solver="liblinear"``, only where its objective is ours: no intercept, since liblinear penalises the
intercept), ``saga`` for l1, scikit-learn-intelex (``sklearnex.linear_model.LogisticRegression``, L-BFGS
in oneDAL) and glum (``GeneralizedLinearRegressor(family="binomial")``, binary cases only, and only
where its dense p×p Hessian fits: not on the 20,000-column text data).

The objective, for every side, is scikit-learn's scaled by :math:`1/(Cn)`:
:math:`J = \\frac1n\\sum_i \\ell_i + \\frac{1}{Cn}\\,\\mathrm{pen}(w)` with pen = ½‖w‖² (l2) or ‖w‖₁ (l1),
intercepts unpenalised. glum minimises :math:`\\frac{1}{2n}\\sum_i \\mathrm{deviance}_i + \\alpha\\,\\mathrm{pen}(w)`
and the binomial half-deviance of a 0/1 label is the log loss, so ``alpha = 1/(C n)`` is the same
objective (the check column shows glum's value beside ours). :math:`J` is evaluated here in NumPy/SciPy
(``logaddexp``/``logsumexp``), not by our code.

Protocol (the rule of ``bench_linear_model.py``): the reference :math:`J^\\star` is the lowest value
reached by any side at its tightest tolerance (for the cases of ``OURS_TIGHT_ONLY``: ours at 1e-10
and every anchor's ladder); every side is run at the loosest tolerance of
1e-4, 1e-5, … 1e-10 (glum: ``gradient_tol``) whose objective is within 1e-8 relative of :math:`J^\\star`;
a side's ladder gives up once it is slower than ``GIVE_UP`` times the best time found. The fastest
anchor is the ratio's denominator (the categorical cases: glum, the target's anchor); the others are in
the check column with their tolerance, objective and time, and so is ours with default parameters
(its time and relative gap to :math:`J^\\star`: issue 15 item 6 asks for ≤ 1e-6).

Data (``_peers_data.py``): generated deterministically, cached in the process. Quick mode: small sizes.
"""

from __future__ import annotations

import time
import warnings

import _plans
import numpy as np
from _peers_data import problem

_STATE: dict = {}
REL = 1e-8
TOLS = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10)
GIVE_UP = 4.0
#: Cases whose reference :math:`J^\star` starts from our tightest fit alone: the first anchor's fit at
#: tol=1e-10 is skipped (on the full-size 20-class text data scikit-learn's lbfgs costs 0.24 s an
#: iteration, up to 40 minutes at its cap of 10,000). The anchors' ladder fits still enter
#: :math:`J^\star` (it is the lowest objective any fit reached), so ours is still measured against them.
OURS_TIGHT_ONLY = {"sparse_softmax20"}
#: the libraries whose versions a stored search of the anchors (``--plans``) must match
ANCHOR_LIBRARIES = ("numpy", "scipy", "scikit-learn", "scikit-learn-intelex", "glum")
#: C of the l1 categorical case: about a third of the 1,131 coefficients non-zero (found once by bisection).
C_L1 = {False: 0.1, True: 0.45}

SPECS = [  # key, name, fit_intercept, penalty, anchors, target
    ("dense_binary", "peers dense binary (200k x 100)", True, "l2",
     ("newton-cholesky", "lbfgs", "sklearnex", "glum"), "ratio <= 0.4"),
    ("dense_softmax10", "peers dense 10-class (100k x 100)", True, "l2",
     ("lbfgs", "newton-cholesky", "sklearnex"), "ratio <= 0.1"),
    ("sparse_binary", "peers sparse text binary (200k x 20k, 40 nnz/row, no intercept)", False, "l2",
     ("liblinear", "lbfgs", "sklearnex"), "ratio <= 0.5"),
    ("sparse_softmax20", "peers sparse text 20-class (200k x 20k, 40 nnz/row)", True, "l2",
     ("lbfgs", "sklearnex"), "ratio <= 0.5"),
    ("wide_binary", "peers wide dense binary (20k x 2k)", True, "l2",
     ("newton-cholesky", "lbfgs", "sklearnex", "glum"), "ratio <= 0.5"),
    ("categorical", "peers categorical l2 (500k rows, 6 num + 4 cat one-hot)", True, "l2",
     ("glum", "newton-cholesky", "lbfgs", "sklearnex"), "ratio <= 0.5"),
    ("categorical", "peers categorical l1 (500k rows, a third non-zero)", True, "l1",
     ("glum", "saga"), "ratio <= 0.5"),
]


def _C(penalty, quick):
    return C_L1[quick] if penalty == "l1" else 1.0


def objective(X, y, coef, intercept, penalty, C, l1_ratio=None):
    """:math:`J` of the docstring from (K or 1, d) coefficients and intercepts, in NumPy/SciPy
    (``penalty="elasticnet"``: pen = ρ‖w‖₁ + (1 − ρ)½‖w‖², ρ = ``l1_ratio``)."""
    from scipy.special import logsumexp

    n = X.shape[0]
    coef = np.atleast_2d(coef)
    Z = np.asarray(X @ coef.T, dtype=np.float64) + np.asarray(intercept, dtype=np.float64)
    if coef.shape[0] == 1:
        z = Z[:, 0]
        data = float(np.sum(np.logaddexp(0.0, z) - y * z))
    else:
        data = float(np.sum(logsumexp(Z, axis=1) - Z[np.arange(n), y]))
    l2, l1 = 0.5 * float(np.sum(coef * coef)), float(np.sum(np.abs(coef)))
    rho = {"l2": 0.0, "l1": 1.0}.get(penalty, l1_ratio)
    pen = rho * l1 + (1 - rho) * l2
    return data / n + pen / (C * n)


def fit_side(side, key, quick, fit_intercept, penalty, tol):
    """One fit of ``side`` at ``tol``; returns ``(coef (K or 1, d), intercept (K or 1,))``."""
    X, y = problem(key, quick)
    C = _C(penalty, quick)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if side in ("ours", "ours-default"):
            from crossentropy import LogisticRegression

            kw = {} if side == "ours-default" else {"tol": tol, "max_iter": 1000}
            m = LogisticRegression(C=C, penalty=penalty, fit_intercept=fit_intercept, **kw).fit(X, y)
        elif side == "glum":
            from glum import GeneralizedLinearRegressor

            m = GeneralizedLinearRegressor(family="binomial", alpha=1.0 / (C * X.shape[0]),
                                           l1_ratio=1.0 if penalty == "l1" else 0.0, fit_intercept=fit_intercept,
                                           gradient_tol=tol, max_iter=1000).fit(X, y)
            return np.atleast_2d(m.coef_), np.atleast_1d(m.intercept_ if fit_intercept else 0.0)
        elif side == "sklearnex":
            from sklearnex.linear_model import LogisticRegression

            m = LogisticRegression(C=C, fit_intercept=fit_intercept, tol=tol, max_iter=10_000).fit(X, y)
        else:
            from sklearn.linear_model import LogisticRegression

            kw = {"l1_ratio": 1.0} if penalty == "l1" else {}
            m = LogisticRegression(C=C, solver=side, fit_intercept=fit_intercept, tol=tol, max_iter=10_000,
                                   **kw).fit(X, y)
    intercept = m.intercept_ if fit_intercept else np.zeros(m.coef_.shape[0])
    return np.atleast_2d(m.coef_), np.atleast_1d(intercept)


def _value(key, quick, penalty, fit):
    X, y = problem(key, quick)
    return objective(X, y, fit[0], fit[1], penalty, _C(penalty, quick))


def ladder(fit, value, target, give_up_after=np.inf, nnz=None, tols=TOLS):
    """``[tol, seconds, value, nnz]`` of the loosest tol whose fit reaches ``target`` (and, given ``nnz``,
    the optimum's number of non-zero coefficients: an l1 fit within 1e-8 of the objective can still miss
    a coefficient of 1e-5), or of the last tried, and whether it did. ``fit(tol)`` returns what
    ``value(fit)`` evaluates, its first entry the coefficients."""
    found = None

    def reached(f):
        return f[2] <= target * (1 + REL) and (nnz is None or f[3] == nnz)

    for tol in tols:
        t0 = time.perf_counter()
        out = fit(tol)
        seconds = time.perf_counter() - t0
        found = [tol, seconds, value(out), int(np.count_nonzero(out[0]))]
        if reached(found) or seconds > give_up_after:
            break
    return found, reached(found)


def _ladder(side, key, quick, fi, penalty, target, give_up_after=np.inf, nnz=None):
    """:func:`ladder` of ``side`` on a case of :data:`SPECS`."""
    return ladder(lambda tol: fit_side(side, key, quick, fi, penalty, tol),
                  lambda fit: _value(key, quick, penalty, fit), target, give_up_after, nnz)


def _fingerprint(key, quick):
    """Shape, non-zeros, sum of absolute values and label sum of a case's data (a stored search is
    reused only on the same data)."""
    X, y = problem(key, quick)
    return [list(X.shape), int(getattr(X, "nnz", np.size(X))), float(abs(X).sum()), int(np.asarray(y).sum())]


def _plan_key(name, quick):
    return ("plan", name, quick)


def _setup(key, name, fi, penalty, anchors, quick):
    def setup():
        pk = _plan_key(name, quick)
        if pk in _STATE:
            return
        problem(key, quick)
        # the anchors' searches of an earlier run (--plans): same libraries, same data
        plan_name = f"bench_peers: {name} (quick={quick})"
        stored = _plans.load(plan_name, ANCHOR_LIBRARIES)
        fingerprint = _fingerprint(key, quick)
        # the reference: our tightest fit and the first anchor's tightest; the lower one
        sides = ("ours",) if key in OURS_TIGHT_ONLY else ("ours", anchors[0])
        if stored is not None and (stored["value"]["data"] != fingerprint
                                   or set(stored["value"]["runs"]) != set(anchors)
                                   or set(stored["value"]["tight"]) != set(sides) - {"ours"}):
            stored = None
        tight = {}  # side: (J, number of non-zero coefficients) at tol=1e-10
        for s in sides:
            if s != "ours" and stored is not None:
                tight[s] = tuple(stored["value"]["tight"][s])
                continue
            fit = fit_side(s, key, quick, fi, penalty, 1e-10)
            tight[s] = (_value(key, quick, penalty, fit), int(np.count_nonzero(fit[0])))
        refs = {s: v[0] for s, v in tight.items()}
        target = min(refs.values())
        # l1: the support of the tightest fit with the lower objective is part of the optimum to reach
        nnz = tight[min(refs, key=refs.get)][1] if penalty == "l1" else None
        ours, ok = _ladder("ours", key, quick, fi, penalty, target, nnz=nnz)
        runs, best = {}, np.inf
        for side in anchors:
            if stored is not None:
                runs[side] = tuple(stored["value"]["runs"][side])
            else:
                try:
                    runs[side] = _ladder(side, key, quick, fi, penalty, target,
                                         max(GIVE_UP * best, GIVE_UP * ours[1], 5.0), nnz=nnz)
                except Exception as exc:  # an anchor that cannot run this case is reported, not fatal
                    runs[side] = (None, f"{type(exc).__name__}: {str(exc)[:80]}")
                    continue
            if runs[side][0] is not None and runs[side][1]:
                best = min(best, runs[side][0][1])
        if stored is None:
            _plans.store(plan_name, ANCHOR_LIBRARIES,
                         {"data": fingerprint, "tight": {s: v for s, v in tight.items() if s != "ours"},
                          "runs": runs}, time.strftime("%Y-%m-%d %H:%M"))
        target = min([target, ours[2]] + [r[0][2] for r in runs.values() if r[0] is not None])
        reached = [s for s, r in runs.items() if r[0] is not None and r[0][2] <= target * (1 + REL)]
        usable = reached or [s for s, r in runs.items() if r[0] is not None]
        if name.startswith("peers categorical") and "glum" in usable:
            fastest = "glum"  # the target's anchor
        else:
            fastest = min(usable, key=lambda s: runs[s][0][1])
        t0 = time.perf_counter()
        default = fit_side("ours-default", key, quick, fi, penalty, None)
        dt = time.perf_counter() - t0
        _STATE[pk] = {"runs": runs, "fastest": fastest, "target": target, "ours": ours, "refs": refs, "nnz": nnz,
                      "default": (dt, _value(key, quick, penalty, default), int(np.count_nonzero(default[0]))),
                      "stored": None if stored is None else stored["when"]}

    return setup


def runs_parts(runs, gap):
    """The check column's entry of each side's ladder (``runs[side] = (found, reached)``)."""
    parts = []
    for side, r in runs.items():
        if r[0] is None:
            parts.append(f"{side}: could not run ({r[1]})")
            continue
        v = r[0]
        parts.append(f"{side} tol={v[0]:g} {v[1]:.2f} s gap {gap(v[2]):+.1e} nnz {v[3]}"
                     + ("" if r[1] else " (did not reach 1e-8 and nnz*)"))
    return parts


def _check(name, quick):
    def check():
        plan = _STATE[_plan_key(name, quick)]
        t = plan["target"]

        def gap(v):
            return (v - t) / abs(t)

        o = plan["ours"]
        parts = [f"J* {t:.12g}" + ("" if plan.get("nnz") is None else f", nnz* {plan['nnz']}"),
                 f"ours tol={o[0]:g} gap {gap(o[2]):+.1e} nnz {o[3]}",
                 f"ours default: {plan['default'][0]:.2f} s, gap {gap(plan['default'][1]):+.1e} "
                 f"({'<= 1e-6 met' if gap(plan['default'][1]) <= 1e-6 else '> 1e-6 NOT met'})"]
        parts += runs_parts(plan["runs"], gap)
        if plan["stored"]:
            parts.append(f"the anchors' searches (tolerances, times) from the run of {plan['stored']} (--plans)")
        parts.append(f"anchor {plan['fastest']}")
        return "; ".join(parts)

    return check


def _memory_case(quick):
    """float32 end to end: the peak extra memory of ``fit`` (default parameters) against scikit-learn's."""
    key = "dense_binary32"

    def ours():
        return fit_side("ours-default", key, quick, True, "l2", None)

    def anchor():
        return fit_side("lbfgs", key, quick, True, "l2", 1e-4)

    def check():
        X, y = problem(key, quick)
        a, b = ours(), anchor()
        return (f"X float32 {X.nbytes / 1e6:.0f} MB; J ours default {objective(X, y, *a, 'l2', 1.0):.12g}, "
                f"sklearn lbfgs default {objective(X, y, *b, 'l2', 1.0):.12g}")

    return {"name": "peers float32 dense binary memory (200k x 100)" if not quick else "peers float32 dense binary memory (quick)",
            "issue": 15, "setup": lambda: problem(key, quick), "ours": ours, "anchor": anchor,
            "anchor_name": "sklearn lbfgs (default tol; keeps float32 X: no float64 copy)", "target": "mem_ratio <= 0.5",
            "memory": True, "repeats": 3, "check": check}


def cases(quick: bool) -> list[dict]:
    out = []
    for key, name, fi, penalty, anchors, target in SPECS:
        if quick:
            name = name.split(" (")[0] + " (quick)"

        def anchor(n=name, k=key, f=fi, p=penalty):
            plan = _STATE[_plan_key(n, quick)]
            return fit_side(plan["fastest"], k, quick, f, p, plan["runs"][plan["fastest"]][0][0])

        out.append({
            "name": name, "issue": 15,
            "setup": _setup(key, name, fi, penalty, anchors, quick),
            "ours": (lambda n=name, k=key, f=fi, p=penalty: fit_side("ours", k, quick, f, p, _STATE[_plan_key(n, quick)]["ours"][0])),
            "anchor": anchor,
            "anchor_name": ("glum" if name.startswith("peers categorical") else "fastest of ") + ", ".join(anchors)
            if not name.startswith("peers categorical") else "glum (others in check: " + ", ".join(anchors[1:]) + ")",
            "target": target, "repeats": 3 if quick else 5, "check": _check(name, quick),
            # the setup's ladders end with a fit of each side at the tolerance it is timed at: that is
            # the warm-up (imports, compilation, caches), and the 20-class text anchor's extra fit
            # would cost seven minutes (437 s a fit)
            "warmup": lambda: None,
        })
    out.append(_memory_case(quick))
    return out
