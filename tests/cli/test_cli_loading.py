"""``train`` reports the fit's own time apart from the one-off loading inside it: the modules its path
imports and the numba kernels loaded (or compiled) on first use, measured by ``cli.loading``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

from crossentropy.cli.loading import one_off_loading

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_an_import_inside_the_block_is_counted(tmp_path, monkeypatch):
    (tmp_path / "slow_module_for_loading_test.py").write_text("import time\ntime.sleep(0.3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    start = time.perf_counter()
    with one_off_loading() as loading:
        import slow_module_for_loading_test  # noqa: F401
        import json as again  # noqa: F401  (already imported: adds nothing)
    wall = time.perf_counter() - start
    assert 0.3 <= loading.imports <= wall
    sys.modules.pop("slow_module_for_loading_test", None)


def test_a_kernel_compiled_inside_the_block_is_counted():
    import numba

    @numba.njit
    def add_one(x):  # compiled on its first call, inside the block
        return x + 1.0

    with one_off_loading() as loading:
        start = time.perf_counter()
        add_one(1.0)
        first = time.perf_counter() - start
    assert 0 < loading.kernels <= first
    with one_off_loading() as again:
        add_one(2.0)  # compiled already: nothing to load
    assert again.kernels == 0.0


def test_train_reports_the_fit_and_the_loading_apart(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 4))
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame["y"] = np.where(X[:, 0] - X[:, 1] + 0.5 * rng.standard_normal(300) > 0, "yes", "no")
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    code = textwrap.dedent("""
        import runpy, sys
        sys.argv = ["crossentropy", "train", sys.argv[1], "--target", "y", "--penalty", "l1", "--no-plots",
                    "--out", sys.argv[2]]
        runpy.run_module("crossentropy", run_name="__main__")
    """)
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", code, str(data), str(tmp_path / "run")], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["load_seconds"] > 0  # a fresh process loads l1's coordinate-descent kernel
    assert metrics["fit_seconds"] > 0
    line = next(ln for ln in done.stdout.splitlines() if "fitted in" in ln)
    assert f"fitted in {metrics['fit_seconds']:.2f} s (and {metrics['load_seconds']:.2f} s loading code" in line
