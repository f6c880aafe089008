"""The first fit in a fresh process loads only what its path uses: a small dense l2 fit (Newton with a
Cholesky solve, or L-BFGS) needs no compiled kernel, so numba is not imported; the l1 and sparse
paths load it when they run. Each check is a fresh interpreter reading ``sys.modules``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")

_FIT = textwrap.dedent("""
    import json, sys
    import numpy as np
    from scipy import sparse
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression as Sk
    from sklearn.preprocessing import StandardScaler
    from crossentropy import LogisticRegression

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    kwargs, as_sparse = json.loads(sys.argv[1]), sys.argv[2] == "sparse"
    before = "numba" in sys.modules
    ours = LogisticRegression(tol=1e-10, **kwargs).fit(sparse.csr_matrix(X) if as_sparse else X, y)
    shared = {k: v for k, v in kwargs.items() if k in ("penalty", "C")}
    sk = Sk(tol=1e-10, max_iter=100000, solver="saga" if "penalty" in shared else "lbfgs", **shared).fit(X, y)
    print(json.dumps({"before": before, "after": "numba" in sys.modules,
                      "diff": float(np.abs(ours.coef_ - sk.coef_).max())}))
""")


def _fit(kwargs, kind):
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", _FIT, json.dumps(kwargs), kind], capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("solver", ["auto", "newton", "lbfgs"])
def test_dense_l2_fit_imports_no_numba(solver):
    out = _fit({"solver": solver}, "dense")
    assert not out["before"] and not out["after"]
    assert out["diff"] < 1e-5  # the same optimum as scikit-learn's


def test_sparse_fit_and_l1_fit_load_the_kernels_they_use():
    out = _fit({"solver": "newton"}, "sparse")  # the sparse Gram kernel
    assert out["after"] and out["diff"] < 1e-5
    out = _fit({"penalty": "l1", "C": 0.5}, "dense")  # coordinate descent on the quadratic model
    assert out["after"] and out["diff"] < 1e-4
