"""Benchmarks of issue 27 item 3: l1 and elastic-net logistic regression on wide sparse data against the l1 specialists.

Data: ``wide_sparse`` of ``_peers_data.py`` (50,000 × 100,000 CSR, 25 non-zeros a row, no intercept; quick
mode 5,000 × 10,000). :data:`C_L1` puts about 2.5 % of the coefficients at non-zero values at the optimum
(2,478 of 100,000; found once by fitting C = 0.5, 1 and 2: 1.7 %, 2.5 % and 3.2 %).

The objective of every side is scikit-learn's scaled by :math:`1/(Cn)`, evaluated here in NumPy
(``bench_peers.objective``): :math:`J = \\frac1n\\sum_i \\log(1 + e^{-\\tilde y_i x_i^\\top w}) +
\\frac{1}{Cn}\\,\\mathrm{pen}(w)`, pen = ‖w‖₁ or ρ‖w‖₁ + (1 − ρ)½‖w‖². Each side's own scaling:

- skglm (``SparseLogisticRegression``: ProxNewton on working sets; ``GeneralizedLinearEstimator`` with
  ``Logistic()`` + ``L1`` and ``AndersonCD``: Anderson-accelerated CD on working sets) minimises
  :math:`\\frac1n\\sum_i \\ell_i + \\alpha\\,\\mathrm{pen}(w)`: ``alpha = 1/(C n)``;
- celer (``LogisticRegression``, Celer-PN, no intercept) minimises :math:`\\sum_i \\ell_i + \\frac1C\\lVert w\\rVert_1`:
  the same ``C``; its path ``celer_path(..., "logreg", alphas=1/Cs)``;
- cyanure (``LogisticRegression(penalty="l1" | "elasticnet")``) minimises :math:`\\frac1n\\sum_i \\ell_i +
  \\lambda_1\\lVert w\\rVert_1 + \\frac{\\lambda_2}2\\lVert w\\rVert^2`: ``lambda_1 = ρ/(C n)``, ``lambda_2 = (1 − ρ)/(C n)``;
- Snap ML (``LogisticRegression(penalty="l1", dual=False)``) minimises :math:`\\sum_i \\ell_i + r\\lVert w\\rVert_1`:
  ``regularizer = 1/C`` (checked: the same optimum as ours, to 4e-16 of J, on the quick data);
- liblinear and saga: scikit-learn's ``LogisticRegression`` at the same ``C``.

Protocol: ``bench_peers``'s ladder (:func:`bench_peers.ladder`): :math:`J^\\star` the lowest objective of the
tightest fits (ours and the first specialist at tol = 1e-10) and of every ladder; each side timed at the
loosest tol of 1e-4 … 1e-10 whose fit is within 1e-8 relative of :math:`J^\\star` with the support of the
optimum (nnz*); the fastest such side is the anchor, the others in the check column. Every side is
fitted once on 500 rows before its ladder (numba's compilation for skglm and ours, the libraries'
start-up), so no ladder time holds a compilation.

The l1 path: 20 values of C from ``sklearn.svm.l1_min_c`` (all coefficients zero) up to ``C_L1``, log-spaced,
each fit warm-started from the previous: ours ``logistic_regression_path``, skglm ``AndersonCD.path`` and
``SparseLogisticRegression(warm_start=True)`` refitted along the grid (its ProxNewton has no path
function), ``celer_path`` (Celer-PN); Snap ML and liblinear, whose interfaces have no warm start, fit each C
from zero. Its value is the worst point's :math:`J_k / J_k^\\star` (target
1 + 1e-8) and its nnz the total over the 20 points.
"""

from __future__ import annotations

import warnings

import numpy as np
from _peers_data import problem
from bench_peers import GIVE_UP, ladder, objective, runs_parts

KEY = "wide_sparse"
#: C of the l1 and elastic-net cases (about 2.5 % of 100,000 coefficients non-zero at the optimum).
C_L1 = 1.0
#: l1 share of the elastic-net case.
RHO = 0.5
N_PATH = 20
SIDES = {
    "l1": ("skglm", "skglm-cd", "celer", "cyanure", "snapml", "liblinear", "saga"),
    "elasticnet": ("skglm", "cyanure", "saga"),
    "path": ("skglm-cd", "skglm", "celer", "snapml", "liblinear"),
}
_STATE: dict = {}


def _rho(penalty):
    return 1.0 if penalty == "l1" else RHO


def _fit(side, X, y, C, penalty, tol):
    """One fit of ``side``; returns ``(coef (1, d), intercept (1,))``."""
    n, rho = X.shape[0], _rho(penalty)
    ys = 2.0 * y - 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if side == "ours":
            from crossentropy import LogisticRegression

            kw = {"l1_ratio": rho} if penalty == "elasticnet" else {}
            coef = LogisticRegression(C=C, penalty=penalty, fit_intercept=False, tol=tol, max_iter=1000,
                                      **kw).fit(X, y).coef_
        elif side == "skglm":
            from skglm import SparseLogisticRegression

            coef = SparseLogisticRegression(alpha=1.0 / (C * n), l1_ratio=rho, fit_intercept=False, tol=tol,
                                            max_iter=1000).fit(X, ys).coef_
        elif side == "skglm-cd":
            from skglm import GeneralizedLinearEstimator
            from skglm.datafits import Logistic
            from skglm.penalties import L1
            from skglm.solvers import AndersonCD

            coef = GeneralizedLinearEstimator(Logistic(), L1(1.0 / (C * n)),
                                              AndersonCD(tol=tol, fit_intercept=False, max_iter=1000)).fit(X, ys).coef_
        elif side == "celer":
            from celer import LogisticRegression

            coef = LogisticRegression(C=C, tol=tol, fit_intercept=False, max_iter=1000).fit(X, ys).coef_
        elif side == "cyanure":
            from cyanure.estimators import LogisticRegression

            coef = LogisticRegression(penalty=penalty, lambda_1=rho / (C * n), lambda_2=(1 - rho) / (2 * C * n),
                                      fit_intercept=False, tol=tol, max_iter=10_000, verbose=False).fit(X, y).coef_
        elif side == "snapml":
            from snapml import LogisticRegression

            coef = LogisticRegression(penalty="l1", regularizer=1.0 / C, fit_intercept=False, tol=tol, dual=False,
                                      max_iter=100_000).fit(X, y).coef_
        else:  # liblinear, saga
            from sklearn.linear_model import LogisticRegression

            coef = LogisticRegression(C=C, l1_ratio=rho, solver=side, fit_intercept=False, tol=tol,
                                      max_iter=100_000).fit(X, y).coef_
    return np.atleast_2d(coef), np.zeros(1)


def path_Cs(quick):
    """The path's grid: from ``l1_min_c`` (every coefficient zero) to ``C_L1``, log-spaced."""
    from sklearn.svm import l1_min_c

    X, y = problem(KEY, quick)
    c0 = l1_min_c(X, y, loss="log", fit_intercept=False)
    return np.geomspace(c0, C_L1, N_PATH)


def _path(side, X, y, Cs, tol):
    """The warm-started l1 path of ``side``; returns ``(coefs (n_cs, d),)``."""
    n = X.shape[0]
    ys = 2.0 * y - 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if side == "ours":
            from crossentropy.linear_model import logistic_regression_path

            return (logistic_regression_path(X, y, Cs=Cs, penalty="l1", fit_intercept=False, tol=tol,
                                             max_iter=1000).coefs[:, 0, :],)
        if side == "celer":
            from celer import celer_path

            return (celer_path(X, ys, "logreg", alphas=1.0 / Cs, tol=tol, use_PN=True)[1].T,)  # strongest first
        if side in ("snapml", "liblinear"):  # no warm-started path in their APIs: one cold fit per C
            return (np.array([_fit(side, X, y, C, "l1", tol)[0].ravel() for C in Cs]),)
        alphas = 1.0 / (Cs * n)
        if side == "skglm":  # ProxNewton has no path: its estimator refitted with warm_start
            from skglm import SparseLogisticRegression

            m = SparseLogisticRegression(alpha=alphas[0], fit_intercept=False, tol=tol, max_iter=1000, warm_start=True)
            coefs = []
            for a in alphas:
                m.alpha = a
                coefs.append(m.fit(X, ys).coef_.ravel().copy())
            return (np.array(coefs),)
        from skglm.datafits import Logistic
        from skglm.penalties import L1
        from skglm.solvers import AndersonCD

        solver = AndersonCD(tol=tol, fit_intercept=False)
        return (solver.path(X.tocsc(), ys, Logistic(), L1(alphas[0]), alphas=alphas)[1].T,)


def _values(X, y, Cs, coefs):
    return np.array([objective(X, y, c, np.zeros(1), "l1", C) for c, C in zip(coefs, Cs)])


def _case_fns(kind, quick):
    """``fit(side, tol)``, ``value(fit)`` and the reference's ``target`` maker of one case."""
    X, y = problem(KEY, quick)
    if kind == "path":
        Cs = path_Cs(quick)
        ref = {}

        def fit(side, tol):
            return _path(side, X, y, Cs, tol)

        def value(out):  # the worst point's J / J*: 1 + 1e-8 is the target
            return float(np.max(_values(X, y, Cs, out[0]) / ref["J"]))

        def reference(tight):
            ref["J"] = np.min([_values(X, y, Cs, f[0]) for f in tight.values()], axis=0)
            return 1.0

        return fit, value, reference
    penalty = kind

    def fit(side, tol):
        return _fit(side, X, y, C_L1, penalty, tol)

    def value(out):
        return objective(X, y, out[0], out[1], penalty, C_L1, RHO)

    def reference(tight):
        return min(value(f) for f in tight.values())

    return fit, value, reference


def _warm(kind, side, quick):
    """A first fit on 500 rows: compilation (numba: ours, skglm) and imports, outside every timing."""
    X, y = problem(KEY, quick)
    if kind == "path":
        _path(side, X[:500], y[:500], path_Cs(quick)[-3:], 1e-4)
    else:
        _fit(side, X[:500], y[:500], C_L1, kind, 1e-4)


def _setup(kind, quick):
    def setup():
        if (kind, quick) in _STATE:
            return
        fit, value, reference = _case_fns(kind, quick)
        sides = SIDES[kind]
        for s in ("ours",) + sides:
            _warm(kind, s, quick)
        tight = {s: fit(s, 1e-10) for s in ("ours", sides[0])}
        target = reference(tight)
        best_side = min(tight, key=lambda s: value(tight[s]))
        nnz = int(np.count_nonzero(tight[best_side][0]))
        ours, _ = ladder(lambda tol: fit("ours", tol), value, target, nnz=nnz)
        runs, best = {}, np.inf
        for side in sides:
            try:
                runs[side] = ladder(lambda tol, s=side: fit(s, tol), value, target,
                                    max(GIVE_UP * best, GIVE_UP * ours[1], 5.0), nnz=nnz)
            except Exception as exc:  # a side that cannot run this case is reported, not fatal
                runs[side] = (None, f"{type(exc).__name__}: {str(exc)[:80]}")
                continue
            if runs[side][1]:
                best = min(best, runs[side][0][1])
        reached = [s for s, r in runs.items() if r[1]]
        usable = reached or [s for s, r in runs.items() if r[0] is not None]
        fastest = min(usable, key=lambda s: runs[s][0][1])
        _STATE[(kind, quick)] = {"fit": fit, "runs": runs, "fastest": fastest, "target": target, "ours": ours,
                                 "nnz": nnz, "best_tight": best_side}

    return setup


def _check(kind, quick):
    def check():
        plan = _STATE[(kind, quick)]
        t = plan["target"]

        def gap(v):
            return (v - t) / abs(t)

        o = plan["ours"]
        head = "J/J* worst point" if kind == "path" else f"J* {t:.12g}"
        parts = [f"{head}, nnz* {plan['nnz']} (tightest: {plan['best_tight']}); load {_load()}",
                 f"ours tol={o[0]:g} {o[1]:.2f} s gap {gap(o[2]):+.1e} nnz {o[3]}"]
        parts += runs_parts(plan["runs"], gap)
        parts.append(f"anchor {plan['fastest']}")
        return "; ".join(parts)

    return check


def _load():
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


NAMES = {
    "l1": "specialists l1 wide sparse (50k x 100k, 25 nnz/row, 2.5% non-zero, no intercept)",
    "elasticnet": "specialists elastic-net wide sparse (50k x 100k, l1_ratio 0.5, no intercept)",
    "path": "specialists l1 path wide sparse (50k x 100k, 20 C warm-started)",
}


def cases(quick: bool) -> list[dict]:
    out = []
    for kind, name in NAMES.items():
        if quick:
            name = name.split(" (")[0] + " (quick)"

        def run(side, k=kind):
            plan = _STATE[(k, quick)]
            tol = plan["ours"][0] if side == "ours" else plan["runs"][side][0][0]
            return plan["fit"](side, tol)

        out.append({
            "name": name, "issue": 27, "setup": _setup(kind, quick),
            "ours": lambda r=run: r("ours"),
            "anchor": lambda r=run, k=kind: r(_STATE[(k, quick)]["fastest"]),
            "anchor_name": "fastest of " + ", ".join(SIDES[kind]),
            "target": "ratio <= 0.5", "repeats": 3 if quick else 5, "check": _check(kind, quick),
            "warmup": lambda: None,  # the setup's warm fits and ladders have compiled and loaded everything
        })
    return out
