"""``solver="auto"`` with many classes: the K x K class curvature of each Newton step is in the cost rule.

Oracle: the flop counts of the definitions (the class factor :math:`nK^2` plus its eigendecomposition
:math:`9K^3` against a gradient's :math:`2nDK`), and scikit-learn's lbfgs fit for the value reached.
"""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import log_loss

from crossentropy.linear_model import LogisticRegression
from crossentropy.linear_model._setup import choose_solver
from crossentropy.objective import LinearObjective
from crossentropy.objective.memory import CLASS_FACTOR_GRADIENTS


def objective(n, d, k):
    X = np.random.default_rng(0).normal(size=(n, d))
    return LinearObjective(X, np.arange(n) % k, n_classes=k, l2=1e-3)


@pytest.mark.parametrize("n, d, k", [(7500, 2, 4296), (600, 2, 300), (2000, 3, 150)])
def test_many_classes_on_few_columns_choose_lbfgs(n, d, k):
    flops_factor, flops_gradient = n * k * k + 9 * k**3, 2 * n * (d + 1) * k
    assert flops_factor > CLASS_FACTOR_GRADIENTS * flops_gradient
    if n * k > 1 << 25:
        pytest.skip("too large to build here")
    assert choose_solver("auto", objective(n, d, k)) == "lbfgs"


@pytest.mark.parametrize("n, d, k", [(3000, 50, 10), (600, 4, 3), (1000, 20, 40)])
def test_few_classes_keep_newton(n, d, k):
    assert n * k * k + 9 * k**3 <= CLASS_FACTOR_GRADIENTS * 2 * n * (d + 1) * k
    assert choose_solver("auto", objective(n, d, k)) == "newton"


def test_the_many_class_fit_reaches_sklearns_loss():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(600, 2))
    y = np.arange(600) % 150
    ours = LogisticRegression(C=1.0, max_iter=2000).fit(X, y)
    assert ours.solver_ == "lbfgs"
    ref = SkLogisticRegression(C=1.0, max_iter=5000, tol=1e-10).fit(X, y)
    assert log_loss(y, ours.predict_proba(X)) == pytest.approx(log_loss(y, ref.predict_proba(X)), rel=1e-4)
