"""Start-up stays light: ``import crossentropy``, ``--version`` and ``--help`` import nothing heavy.

Each check runs in a fresh interpreter (``python -c``) and reads ``sys.modules`` there, so nothing this
test session imported first hides what the command imports on its own. Speed itself is measured in
``benchmarks/bench_startup.py`` (no timing assertions here).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest

HEAVY = ("sklearn", "numba", "scipy", "pandas", "matplotlib")
SRC = str(Path(__file__).resolve().parents[2] / "src")

_PRELUDE = textwrap.dedent("""
    import atexit, json, sys

    HEAVY = {heavy!r}

    def report():  # at exit, after SystemExit too: which heavy packages got imported
        loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set(HEAVY))
        sys.__stderr__.write("MODULES " + json.dumps(loaded) + "\\n")

    atexit.register(report)
""")


def _run(body: str, *, cwd=None) -> tuple[subprocess.CompletedProcess, list[str]]:
    code = _PRELUDE.format(heavy=HEAVY) + textwrap.dedent(body)
    env = os.environ.copy()
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env, cwd=cwd)
    lines = [line for line in res.stderr.splitlines() if line.startswith("MODULES ")]
    assert lines, res.stdout + res.stderr
    return res, json.loads(lines[-1][len("MODULES "):])


def test_import_crossentropy_imports_nothing_heavy():
    res, loaded = _run("import crossentropy\n")
    assert res.returncode == 0, res.stderr
    assert loaded == [], f"import crossentropy imported {loaded}"


def test_version_imports_nothing_heavy_and_prints_the_installed_version():
    res, loaded = _run("""
        import runpy
        sys.argv = ["crossentropy", "--version"]
        runpy.run_module("crossentropy", run_name="__main__")  # python -m crossentropy: entry() exits
    """)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"crossentropy {version('crossentropy')}"  # the oracle: package metadata
    assert loaded == [], f"--version imported {loaded}"


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["evaluate", "--help"], ["predict", "--help"],
                                  ["plot", "--help"], ["plot", "log-loss", "--help"]])
def test_help_imports_nothing_heavy(argv):
    res, loaded = _run(f"""
        from crossentropy.cli import main
        code = main({argv!r})
        print("EXIT", code)
    """)
    assert res.returncode == 0 and "EXIT 0" in res.stdout, res.stdout + res.stderr
    assert "usage: crossentropy" in res.stdout
    assert loaded == [], f"{' '.join(argv)} imported {loaded}"


def test_train_help_lists_the_models_and_data_sets():
    from crossentropy.cli.parser import MODELS
    from crossentropy.datasets import DATASETS

    res, _ = _run("""
        from crossentropy.cli import main
        main(["train", "--help"])
    """)
    text = " ".join(res.stdout.split())
    assert all(name in text for name in (*MODELS, *DATASETS)), text


def test_bad_option_value_is_still_a_usage_error_after_lazy_checks():
    res, _ = _run("""
        from crossentropy.cli import main
        code = main(["train", "--dataset", "iris", "--C", "-1"])
        print("EXIT", code)
    """)
    assert "EXIT 2" in res.stdout, res.stdout + res.stderr
    errors = [line for line in res.stderr.splitlines() if line.startswith("crossentropy: error:")]
    assert len(errors) == 1 and "--C" in errors[0] and "'-1'" in errors[0], res.stderr


def test_train_reaches_its_data_without_plotting_or_dask(tmp_path):
    """Up to the moment the data file is opened (an audit hook on ``open``), no figure or Dask module loads."""
    data = tmp_path / "t.csv"
    data.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{'pq'[i % 2]}\n" for i in range(20)))
    code = textwrap.dedent(f"""
        import json, os, sys
        DATA = {str(data)!r}

        def hook(event, args):
            if event == "open" and isinstance(args[0], str) and os.path.abspath(args[0]) == DATA:
                loaded = sorted({{m.split(".")[0] for m in sys.modules}})
                sys.__stdout__.write("AT-READ " + json.dumps(loaded) + "\\n")
                sys.__stdout__.flush()
                os._exit(0)

        sys.addaudithook(hook)
        from crossentropy.cli import main
        main(["train", DATA, "--target", "y", "--out", {str(tmp_path / "run")!r}])
    """)
    env = os.environ.copy()
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    lines = [line for line in res.stdout.splitlines() if line.startswith("AT-READ ")]
    assert res.returncode == 0 and lines, res.stdout + res.stderr
    loaded = set(json.loads(lines[0][len("AT-READ "):]))
    assert not loaded & {"matplotlib", "dask", "distributed", "torch", "safetensors"}, sorted(loaded)
    assert not (tmp_path / "run").exists()  # nothing written before the read


def test_lazy_attributes_still_work():
    """Every name of ``crossentropy.__all__`` resolves; a loss reached lazily equals its float64 definition."""
    res, loaded = _run("""
        import crossentropy, numpy as np
        missing = [n for n in crossentropy.__all__ if not hasattr(crossentropy, n)]
        from crossentropy import cross_entropy, sigmoid
        z = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
        y = np.array([2, 1])
        print(json.dumps({"missing": missing, "ce": float(cross_entropy(z, y)), "sig": float(sigmoid(np.array(2.0))),
                          "same": crossentropy.cross_entropy is crossentropy.losses.cross_entropy}))
    """)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    z = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
    expected = np.mean([math.log(sum(math.exp(v) for v in row)) - row[t] for row, t in zip(z, (2, 1))])
    assert out["missing"] == [] and out["same"]
    assert out["ce"] == pytest.approx(expected, rel=1e-12)
    assert out["sig"] == pytest.approx(1 / (1 + math.exp(-2.0)), rel=1e-12)
