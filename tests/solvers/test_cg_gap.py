"""Newton-CG's post-step gap estimate from the softmax K-FAC preconditioner keeps the 1e-8 promise."""

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.datasets import load_digits, make_classification
from sklearn.preprocessing import StandardScaler

from crossentropy.objective import LinearObjective
from crossentropy.solvers import newton


def _problem(name):
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        return StandardScaler().fit_transform(X), y
    if name == "imbalanced5":
        return make_classification(4000, 30, n_informative=12, n_classes=5, weights=[0.6, 0.2, 0.1, 0.07, 0.03],
                                   random_state=1)
    return make_classification(6000, 20, n_informative=10, n_classes=8, class_sep=3.0, random_state=2)  # confident


@pytest.mark.parametrize("name", ["digits", "imbalanced5", "separated8"])
@pytest.mark.parametrize("C", [0.01, 1.0, 100.0])
def test_cg_newton_ends_within_1e_8_of_the_optimum(name, C):
    X, y = _problem(name)
    n, K = len(y), len(np.unique(y))
    obj = LinearObjective(X, y, n_classes=K, scale=1.0 / n, l2=1.0 / (C * n))
    res = newton(obj, np.zeros(obj.n_coef), tol=1e-4, step="cg")
    assert res.converged
    ref = minimize(lambda c: obj.loss_gradient(c), np.zeros(obj.n_coef), jac=True, method="L-BFGS-B",
                   options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 20_000})
    f_star = min(ref.fun, obj.loss(res.coef))
    assert obj.loss(res.coef) - f_star <= 1e-8 * abs(f_star)
