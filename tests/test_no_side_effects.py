"""Importing and calling crossentropy leaves the process as it was: os.environ, the umask, thread pools.

Each check runs in a fresh interpreter (``python -c``), so that nothing this test session imported
first (numba, torch's libgomp) hides what the library would do on its own. The umask is read from the
kernel (``/proc/self/status``), not through ``os.umask`` (which would itself change it).

scikit-learn and threadpoolctl set ``KMP_INIT_AT_FORK`` and ``KMP_DUPLICATE_LIB_OK`` (``setdefault``) when
they are first imported, for every program that uses them. Where crossentropy needs them (the
estimators, the BLAS thread count of the linear cross-entropy engine), the "before" state is taken
after importing them, so that the checks see what crossentropy itself does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the umask from /proc")

_PRELUDE = textwrap.dedent("""
    import json, os, sys, warnings
    import numpy as np

    def umask():
        with open("/proc/self/status") as fh:
            return next(line.split()[1] for line in fh if line.startswith("Umask:"))

    def state():
        return {"environ": dict(os.environ), "umask": umask()}

    def compare(before, after, step):
        diff = {k: (before["environ"].get(k), after["environ"].get(k))
                for k in set(before["environ"]) | set(after["environ"])
                if before["environ"].get(k) != after["environ"].get(k)}
        if diff or before["umask"] != after["umask"]:
            print(json.dumps({"step": step, "environ": diff, "umask": [before["umask"], after["umask"]]}))
            sys.exit(1)

    start = state()
""")


def _run(body: str, env=None) -> subprocess.CompletedProcess:
    code = _PRELUDE + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                          env=env if env is not None else os.environ.copy())


def _env_without(*names):
    env = os.environ.copy()
    for name in names:
        env.pop(name, None)
    return env


def test_import_alone_changes_nothing():
    res = _run("""
        import crossentropy
        compare(start, state(), "import crossentropy")
        crossentropy.linear_cross_entropy, crossentropy.information
        compare(start, state(), "loss attributes")
        import sklearn, threadpoolctl  # their own import-time setdefaults (see the module docstring)
        start = state()
        for name in ("LogisticRegression", "MLPClassifier", "save_model", "plotting", "preprocessing"):
            getattr(crossentropy, name)
        compare(start, state(), "lazy attributes")
        print("ok")
    """, env=_env_without("OMP_WAIT_POLICY"))
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stdout + res.stderr


def test_fused_loss_call_changes_nothing():
    res = _run("""
        import crossentropy as ce
        rng = np.random.default_rng(0)
        logits = rng.standard_normal((100_000, 10)).astype(np.float32)  # C-contiguous float32: the fused kernel
        target = rng.integers(0, 10, 100_000)
        ce.cross_entropy(logits, target, return_grad=True)
        ce.cross_entropy(logits, target)
        compare(start, state(), "cross_entropy")
        print("ok")
    """, env=_env_without("OMP_WAIT_POLICY"))
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stdout + res.stderr


def test_linear_loss_and_fits_change_nothing():
    res = _run("""
        import sklearn, threadpoolctl  # their own import-time setdefaults (see the module docstring)
        start = state()
        import crossentropy as ce
        rng = np.random.default_rng(0)
        logits = rng.standard_normal((100_000, 10)).astype(np.float32)
        target = rng.integers(0, 10, 100_000)
        W = rng.standard_normal((300, 20))
        ce.linear_cross_entropy(logits[:2000, :].repeat(2, axis=1), W, target[:2000] % 300, return_grad=True)
        compare(start, state(), "linear_cross_entropy")

        from sklearn.datasets import make_classification
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for n_classes in (2, 10):
                X, y = make_classification(2000, 20, n_informative=10, n_classes=n_classes, random_state=0)
                ce.LogisticRegression().fit(X, y)
                compare(start, state(), f"LogisticRegression {n_classes} classes")
            ce.MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
            compare(start, state(), "MLPClassifier")
        print("ok")
    """, env=_env_without("OMP_WAIT_POLICY"))
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stdout + res.stderr


def _libgomp_spin_count(env) -> str | None:
    """GOMP_SPINCOUNT as libgomp itself reports it when numba loads it (None: no libgomp was loaded)."""
    env = dict(env, OMP_DISPLAY_ENV="VERBOSE")
    res = _run("""
        import crossentropy as ce
        ce.cross_entropy(np.zeros((100, 10), np.float32), np.zeros(100, int))
        compare(start, state(), "cross_entropy")
    """, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    for line in res.stderr.splitlines():
        if line.strip().startswith("GOMP_SPINCOUNT"):
            return line.split("=", 1)[1].strip().strip("'")
    return None


def test_numba_openmp_threads_sleep_when_idle_without_touching_the_environment():
    """The speed OMP_WAIT_POLICY=PASSIVE bought is kept: libgomp reports a spin count of 0 (its default is
    300000 spins, ACTIVE spins far longer), although the variable is in no environment before or after."""
    spin = _libgomp_spin_count(_env_without("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "NUMBA_THREADING_LAYER"))
    if spin is None:
        pytest.skip("numba's threading layer is not GNU OpenMP here")
    assert spin == "0"


def test_a_wait_policy_the_user_set_is_kept():
    env = dict(_env_without("GOMP_SPINCOUNT", "NUMBA_THREADING_LAYER"), OMP_WAIT_POLICY="ACTIVE")
    spin = _libgomp_spin_count(env)
    if spin is None:
        pytest.skip("numba's threading layer is not GNU OpenMP here")
    assert int(spin) > 300000  # ACTIVE: libgomp's long spin, not our PASSIVE


def test_gemm_thread_pool_is_created_once_and_replaced_pools_are_shut_down():
    from crossentropy._kernels import products

    with products._LOCK:
        first = products._pool(1)
        assert products._pool(1) is first
        bigger = products._pool(products._STATE["pool_size"] + 1)
        if bigger is not first:
            assert first._shutdown  # the replaced pool's threads are released
        assert not bigger._shutdown
        assert products._STATE["pool_finalizer"].atexit  # shut down at interpreter exit
        assert products._pool(1) is bigger
