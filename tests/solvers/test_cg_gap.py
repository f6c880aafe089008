"""Newton-CG's post-step gap estimate from the softmax K-FAC preconditioner keeps the 1e-8 promise.

The reference optima are SciPy L-BFGS-B solutions (``ftol=1e-15, gtol=1e-12``), computed once by
tests/data/make_cg_references.py and stored in tests/data/cg_references.npz.  Each test recomputes the
stored point's objective value and gradient, so a stale file (changed data, objective or scaling) fails.
"""

from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from crossentropy.objective import LinearObjective
from crossentropy.solvers import newton

CASES = [(name, C) for name in ("digits", "imbalanced5", "separated8") for C in (0.01, 1.0, 100.0)]
REFERENCES = Path(__file__).resolve().parents[1] / "data" / "cg_references.npz"


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1):  # small products: a second BLAS thread only waits (on 2 shared cores)
        yield


def _problem(name):
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        return StandardScaler().fit_transform(X), y
    if name == "imbalanced5":
        return make_classification(4000, 30, n_informative=12, n_classes=5, weights=[0.6, 0.2, 0.1, 0.07, 0.03],
                                   random_state=1)
    return make_classification(6000, 20, n_informative=10, n_classes=8, class_sep=3.0, random_state=2)  # confident


def _objective(name, C):
    X, y = _problem(name)
    n, K = len(y), len(np.unique(y))
    return LinearObjective(X, y, n_classes=K, scale=1.0 / n, l2=1.0 / (C * n))


@pytest.mark.parametrize("name, C", CASES)
def test_cg_newton_ends_within_1e_8_of_the_optimum(name, C):
    obj = _objective(name, C)
    res = newton(obj, np.zeros(obj.n_coef), tol=1e-4, step="cg")
    assert res.converged
    with np.load(REFERENCES) as refs:
        ref, f_stored, gnorm_stored = (refs[f"{name}_C{C}{suffix}"] for suffix in ("", "_f", "_gnorm"))
    assert ref.shape == (obj.n_coef,)
    # the stored point is still SciPy's optimum of this very problem: same objective value, same tiny gradient
    f_ref, g_ref = obj.loss_gradient(ref)
    assert f_ref == pytest.approx(float(f_stored), rel=1e-12)
    assert np.linalg.norm(g_ref) <= 1.01 * float(gnorm_stored) + 1e-15
    f_star = min(f_ref, obj.loss(res.coef))
    assert obj.loss(res.coef) - f_star <= 1e-8 * abs(f_star)
