"""logistic_regression_path: every point equals a cold LogisticRegression fit at its C."""

import numpy as np
import pytest
from helpers import rel_error
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from crossentropy import LogisticRegression, logistic_regression_path
from crossentropy.objective import LinearObjective


@pytest.mark.parametrize("n_classes, penalty, l1_ratio", [
    (2, "l2", None), (3, "l2", None), (2, "l1", None), (3, "l1", None), (2, "elasticnet", 0.5),
    (4, "elasticnet", 0.3),
])
def test_every_point_equals_a_cold_fit(n_classes, penalty, l1_ratio):
    X, y = make_classification(200, 6, n_informative=4, n_classes=n_classes, random_state=1)
    sw = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    Cs = [10.0, 0.01, 1.0, 0.1]  # unsorted on purpose: fitted smallest first, returned in this order
    path = logistic_regression_path(X, y, Cs=Cs, penalty=penalty, l1_ratio=l1_ratio, sample_weight=sw,
                                    class_weight="balanced", tol=1e-10, max_iter=500)
    assert path.coefs.shape == (4, 1 if n_classes == 2 else n_classes, 6)
    assert path.converged.all()
    np.testing.assert_array_equal(path.Cs, Cs)
    for j, C in enumerate(Cs):
        cold = LogisticRegression(C=C, penalty=penalty, l1_ratio=l1_ratio, class_weight="balanced", tol=1e-10,
                                  max_iter=500).fit(X, y, sample_weight=sw)
        assert rel_error(path.coefs[j], cold.coef_) < 1e-6  # both at gradient norm 1e-10
        np.testing.assert_allclose(path.intercepts[j], cold.intercept_, atol=1e-6 * max(1, np.abs(cold.coef_).max()))


def test_l2_path_equals_sklearn():
    X, y = make_classification(300, 5, n_informative=3, n_classes=3, random_state=2)
    path = logistic_regression_path(X, y, Cs=5, tol=1e-10)
    np.testing.assert_allclose(path.Cs, np.logspace(-4, 4, 5))
    for j, C in enumerate(path.Cs):
        sk = SkLogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
        assert rel_error(path.coefs[j], sk.coef_) < 1e-6


def test_warm_start_and_kept_hessians_save_work(monkeypatch):
    # the path's iterations are cheaper (a kept Hessian costs no pass over X): count the passes
    X, y = make_classification(500, 10, n_informative=6, random_state=3)
    Cs = np.logspace(-3, 3, 8)
    counts = {"loss_gradient": 0, "hessian": 0}
    for name in counts:
        method = getattr(LinearObjective, name)

        def counted(self, coef, _method=method, _name=name):
            counts[_name] += 1
            return _method(self, coef)
        monkeypatch.setattr(LinearObjective, name, counted)
    path = logistic_regression_path(X, y, Cs=Cs, tol=1e-8, max_iter=1000)
    on_path = dict(counts)
    counts.update(loss_gradient=0, hessian=0)
    for C, coef in zip(Cs, path.coefs):
        cold = LogisticRegression(C=C, tol=1e-8, max_iter=1000).fit(X, y)
        np.testing.assert_allclose(coef, cold.coef_, rtol=1e-5, atol=1e-8)
    assert on_path["hessian"] * 4 <= counts["hessian"]
    assert sum(on_path.values()) < sum(counts.values())


def test_missing_class_keeps_every_label():
    X, y = make_classification(150, 4, n_informative=3, n_redundant=0, n_classes=3, random_state=0)
    keep = y != 1
    path = logistic_regression_path(X[keep], y[keep], Cs=[0.1, 1.0], classes=[0, 1, 2], tol=1e-10)
    assert path.coefs.shape == (2, 3, 4)
    assert np.all(path.coefs[:, 1] == 0) and np.all(path.intercepts[:, 1] == -np.inf)
    binary = LogisticRegression(C=1.0, tol=1e-10).fit(X[keep], y[keep])  # the two present classes
    np.testing.assert_allclose(path.coefs[1, 2] - path.coefs[1, 0], binary.coef_[0], rtol=1e-7)


@pytest.mark.parametrize("kwargs, match", [({"Cs": 0}, "Cs"), ({"Cs": []}, "Cs"), ({"Cs": [1, 0]}, "Cs"),
                                           ({"penalty": "l3"}, "penalty"), ({"solver": "sgd"}, "sgd"),
                                           ({"tol": -1}, "tol")])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        logistic_regression_path(np.eye(4), [0, 1, 0, 1], **kwargs)
