"""Cold start: the first fit in a fresh process (issue 27 item 2).

Each timed run is a new interpreter that loads breast_cancer (569 x 30, standardised) and then, timed
from within, imports the estimator and makes its first fit with default parameters: ours
(``crossentropy.LogisticRegression``) against scikit-learn's ``LogisticRegression`` (lbfgs). What the
interpreter, NumPy and the data cost before that is the same on both sides and left out; what the
first fit loads (modules, numba's cached kernels) is in. Target: ours at most 1.2x scikit-learn's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    t0 = time.perf_counter()
    if sys.argv[1] == "ours":
        from crossentropy import LogisticRegression
    else:
        from sklearn.linear_model import LogisticRegression
    model = LogisticRegression().fit(X, y)
    seconds = time.perf_counter() - t0
    heavy = sorted({m.split(".")[0] for m in sys.modules} & {"numba", "pandas", "matplotlib", "dask", "torch"})
    print(json.dumps({"seconds": seconds, "heavy": heavy, "n_iter": int(np.max(model.n_iter_))}))
""")

_LAST: dict = {}


def _first_fit(side):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", _CHILD, side], capture_output=True, text=True, env=env, timeout=600)
    if done.returncode:
        raise RuntimeError(f"{side} child failed: {done.stderr.strip().splitlines()[-1:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    _LAST[side] = out
    return out["seconds"]


def _check():
    ours, sk = _LAST.get("ours", {}), _LAST.get("sklearn", {})
    return (f"timed from the import of the estimator to the end of its first fit, inside a fresh process; "
            f"heavy modules loaded: ours {ours.get('heavy')}, scikit-learn {sk.get('heavy')}; "
            f"iterations ours {ours.get('n_iter')}, scikit-learn {sk.get('n_iter')}")


def cases(quick):
    return [{
        "name": "cold_start_first_fit (breast_cancer, defaults, fresh process)",
        "issue": 27,
        "ours": lambda: _first_fit("ours"),
        "anchor": lambda: _first_fit("sklearn"),
        "anchor_name": "sklearn LogisticRegression (lbfgs), first fit in a fresh process",
        "target": "ratio <= 1.2",
        "self_timed": True,
        "repeats": 3 if quick else 9,
        "check": _check,
    }]
