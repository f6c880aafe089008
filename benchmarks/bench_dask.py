"""Benchmarks of issue 7: logistic regression on Dask, against dask-ml, and out of core.

Case ``dask_binary_200k``: ``make_classification(200_000, 100, n_informative=40, random_state=0)`` as a
Dask array in 8 row chunks, persisted on a ``LocalCluster`` of 2 single-threaded worker processes
(loopback), C = 1. Ours: ``crossentropy.LogisticRegression(C=1, solver="newton")`` fed the Dask array.
Anchor: ``dask_ml.linear_model.LogisticRegression`` with its fastest solver among lbfgs, newton and
admm on the same cluster and the same persisted arrays.

The objectives, and how C maps: scikit-learn's (and ours) is
``J(w, b) = C * sum_i logloss_i + ||w||^2 / 2`` (the intercept b is not penalised). dask-ml's lbfgs and
admm minimise ``sum_i logloss_i + (1/C) * ||beta||^2 / 2``, i.e. ``J / C`` with the same C, except that
beta includes the intercept, and that by default (``normalize=True``) beta lives in the space of
standardised columns. We pass ``solver_kwargs={"normalize": False}`` (dask-ml's faster setting, whose
penalty acts on the same coefficients as ours); its newton ignores the penalty altogether (it is the
unpenalised maximum-likelihood fit). So the objectives differ only by the intercept's penalty (lbfgs,
admm) or the whole penalty (newton), which at n = 200,000 moves the optimum very little: the check
column reports J of both fitted coefficient vectors, computed here in NumPy, and their relative gap.
dask-ml's newton gets ``tol=1e-8`` (its own function default; the estimator's 1e-4 stops it one
iteration early), lbfgs and admm their defaults. Ours runs at the loosest ``tol`` of 1e-4, 1e-5, …,
1e-10 whose objective J is within 1e-8 (relative) of the anchor's or below it: the time to reach the
anchor's objective, the rule of issue 3's benchmarks. admm took minutes here, so the three dask-ml solvers
are screened once in ``setup`` and only the fastest is timed in the repeats (the check says which,
and the screening times).

Case ``dask_out_of_core_20M``: 20,000,000 × 50 float32 rows (4 GB) generated lazily chunk by chunk
(a seeded generator per chunk, so every pass recomputes the same numbers and no process ever holds
more than a few chunks), workers limited to 1.5 GB each, fitted to convergence by Newton. The check
reports the times, the passes over the data and every worker's peak resident memory (VmHWM) over all
the fits.
"""

from __future__ import annotations

import atexit
import os
import time

import numpy as np

_STATE: dict = {}
#: Ours must reach the anchor's objective to this relative gap (as in issue 3's benchmark) ...
REL = 1e-8
#: ... at the loosest of these tolerances that does.
TOLS = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10)


def _close_cluster():
    client, cluster = _STATE.pop("client", None), _STATE.pop("cluster", None)
    if client is not None:
        client.close()
    if cluster is not None:
        cluster.close()


atexit.register(_close_cluster)


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def _start_cluster(memory_limit="auto"):
    """2 single-threaded worker processes on loopback (the harness's 2-thread settings are not inherited)."""
    from distributed import Client, LocalCluster

    _close_cluster()
    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    os.environ.update({k: "1" for k in _THREAD_VARS})  # the workers' BLAS: one thread each, as Dask's default
    try:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, memory_limit=memory_limit)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    _STATE["cluster"], _STATE["client"] = cluster, Client(cluster)
    return _STATE["client"]


def sklearn_objective(X, y, coef, intercept, C=1.0):
    """scikit-learn's binary objective C * sum(log loss) + ||w||^2 / 2, in plain NumPy (float64)."""
    z = X @ np.ravel(coef) + float(np.ravel(intercept)[0])
    return float(C * np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * np.dot(np.ravel(coef), np.ravel(coef)))


# ------------------------------------------------------------------------------------ vs dask-ml
def _dask_ml_fit(solver, X, y, C):
    from dask_ml.linear_model import LogisticRegression as DaskMLLogisticRegression

    kwargs = {"C": C, "solver": solver, "solver_kwargs": {"normalize": False}}
    if solver == "newton":
        kwargs["tol"] = 1e-8
    return DaskMLLogisticRegression(**kwargs).fit(X, y)


def _case_vs_dask_ml(quick):
    n, d, informative = (20_000, 20, 8) if quick else (200_000, 100, 40)
    C = 1.0
    st = {}

    def setup():
        import warnings

        import dask.array as da
        from distributed import wait
        from sklearn.datasets import make_classification

        client = _start_cluster()
        X, y = make_classification(n, d, n_informative=informative, random_state=0)
        st["X"], st["y"] = X, y.astype(np.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "large graph": the data go to the cluster once, here
            Xd = da.from_array(X, chunks=(n // 8, d))
            yd = da.from_array(st["y"], chunks=n // 8)
            st["Xd"], st["yd"] = client.persist([Xd, yd])
            wait([st["Xd"], st["yd"]])
        screen = {}
        # admm takes minutes even on small data (up to 250 consensus rounds): left out of the smoke test
        for solver in ("newton", "lbfgs") if quick else ("newton", "lbfgs", "admm"):
            t0 = time.perf_counter()
            m = _dask_ml_fit(solver, st["Xd"], st["yd"], C)
            screen[solver] = (time.perf_counter() - t0, sklearn_objective(X, st["y"], m.coef_, m.intercept_, C))
        st["screen"] = screen
        st["solver"] = min(screen, key=lambda s: screen[s][0])
        # the protocol of issue 3: ours at the loosest tol whose objective is within 1e-8 (relative) of
        # the anchor's (or below it); the first fit also makes the workers import crossentropy
        st["J_anchor"] = screen[st["solver"]][1]
        for tol in TOLS:
            st["tol"] = tol
            ours()
            if sklearn_objective(X, st["y"], st["ours"].coef_, st["ours"].intercept_, C) <= st["J_anchor"] * (1 + REL):
                break

    def ours():
        from crossentropy import LogisticRegression

        st["ours"] = LogisticRegression(C=C, solver="newton", tol=st["tol"]).fit(st["Xd"], st["yd"])

    def anchor():
        st["anchor"] = _dask_ml_fit(st["solver"], st["Xd"], st["yd"], C)

    def check():
        X, y = st["X"], st["y"]
        j_ours = sklearn_objective(X, y, st["ours"].coef_, st["ours"].intercept_, C)
        j_anchor = sklearn_objective(X, y, st["anchor"].coef_, st["anchor"].intercept_, C)
        screened = ", ".join(f"{s} {t:.1f} s (J={j:.10g})" for s, (t, j) in st["screen"].items())
        return (f"J ours {j_ours:.12g} (tol={st['tol']:g}, {st['ours'].n_iter_} Newton it., {st['ours'].n_passes_} "
                f"full passes) vs dask-ml {st['solver']} {j_anchor:.12g} (ours - anchor: "
                f"{(j_ours - j_anchor) / abs(j_anchor):+.1e} relative, target <= 1e-8: "
                f"{'met' if j_ours <= j_anchor * (1 + REL) else 'NOT met'}); dask-ml screened once in setup: {screened}; "
                f"only the fastest ({st['solver']}) timed{' (quick mode: admm not screened)' if quick else ''}")

    return {
        "name": f"dask_binary_{n // 1000}k_x{d}_8chunks",
        "issue": 7,
        "setup": setup,
        "ours": ours,
        "anchor": anchor,
        "anchor_name": "dask-ml LogisticRegression (fastest of newton/lbfgs/admm)",
        "target": "ratio <= 0.33",
        "repeats": 3 if quick else 5,
        "warmup": lambda: None,  # setup has run both sides once (dask-ml's screening, our warm-up fit)
        "check": check,
    }


# ------------------------------------------------------------------------------------ out of core
_BETA_SEED = 12345


def _true_coef(d):
    return np.random.default_rng(_BETA_SEED).standard_normal(d).astype(np.float32) / np.sqrt(d)


def _gen_X(block_info=None, *, d, seed):
    """One chunk of X, from its own seeded generator (the same numbers at every pass)."""
    info = block_info[None]
    (start, stop), _ = info["array-location"]
    rng = np.random.default_rng([seed, info["chunk-location"][0]])
    return rng.standard_normal((stop - start, d), dtype=np.float32)


def _gen_y(Xb, block_info=None, *, seed):
    """Labels of one chunk: Bernoulli(sigmoid(x . beta + 0.25)) with a per-chunk seeded generator."""
    rng = np.random.default_rng([seed, block_info[0]["chunk-location"][0], 1])
    z = Xb @ _true_coef(Xb.shape[1]) + np.float32(0.25)
    return (rng.random(Xb.shape[0], dtype=np.float32) < 1 / (1 + np.exp(-z))).astype(np.float32)


def lazy_classification(n, d, chunk_rows, seed=0):
    """(X, y): n × d float32 rows and their 0/1 labels as lazy Dask arrays, generated per chunk."""
    import dask.array as da

    rows = tuple(min(chunk_rows, n - s) for s in range(0, n, chunk_rows))
    X = da.map_blocks(_gen_X, chunks=(rows, (d,)), dtype=np.float32, d=d, seed=seed, meta=np.empty((0, 0), np.float32))
    y = X.map_blocks(_gen_y, drop_axis=1, dtype=np.float32, seed=seed, meta=np.empty((0,), np.float32))
    return X, y


def _worker_peak_rss():
    """This process's peak resident set size (VmHWM) in bytes, read on a worker."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return -1


def _case_out_of_core(quick):
    n, d, chunk = (400_000, 50, 50_000) if quick else (20_000_000, 50, 250_000)
    limit = 1.5e9
    st = {}

    def setup():
        client = _start_cluster(memory_limit=f"{limit / 2**30:.3f}GiB")
        st["client"] = client
        st["X"], st["y"] = lazy_classification(n, d, chunk)

    def warmup():  # the workers import crossentropy (a full fit here is too long to run twice)
        from crossentropy import LogisticRegression

        X, y = lazy_classification(20_000, d, 5_000, seed=1)
        LogisticRegression().fit(X, y)

    def ours():
        from crossentropy import LogisticRegression

        t0 = time.perf_counter()
        st["model"] = LogisticRegression(C=1.0, solver="newton", tol=1e-6).fit(st["X"], st["y"])
        st.setdefault("seconds", []).append(time.perf_counter() - t0)

    def check():
        peaks = st["client"].run(_worker_peak_rss)
        peak = max(peaks.values())
        m = st["model"]
        return (f"{n:,} x {d} float32 ({n * d * 4 / 1e9:.1f} GB) in {n // chunk} lazy chunks, never persisted; "
                f"fits {', '.join(f'{t:.0f}' for t in st['seconds'])} s, each {m.n_iter_} Newton iterations, "
                f"converged={m.converged_}, "
                f"{m.n_passes_ + 2} passes over the data (validation, warm-start sample, {m.n_passes_} Newton); "
                f"peak worker RSS {', '.join(f'{v / 1e9:.2f}' for v in peaks.values())} GB "
                f"({'under' if peak < limit else 'OVER'} the 1.5 GB limit)")

    return {
        "name": f"dask_out_of_core_{n // 1_000_000 or n // 1000}{'M' if n >= 1_000_000 else 'k'}_x{d}_float32",
        "issue": 7,
        "setup": setup,
        "ours": ours,
        "anchor": None,
        "anchor_name": "none (report time and peak worker memory)",
        "target": "peak memory per worker < 1.5 GB",
        "repeats": 3 if quick else 5,
        "warmup": warmup,
        "check": check,
    }


def cases(quick: bool) -> list[dict]:
    """The two Dask cases of issue 7 (small sizes when ``quick``)."""
    return [_case_vs_dask_ml(quick), _case_out_of_core(quick)]
