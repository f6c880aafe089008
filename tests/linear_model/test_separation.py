"""Separation found by ``LogisticRegression(penalty=None).fit`` from its margins (``_separation.py``).

Oracles: the linear programme of complete separation (tests/separation_lp.py, HiGHS); for
quasi-complete separation of two classes firthmodels' ``detect_separation`` (Konis's linear programme,
which names the coefficients whose estimate is infinite); for three classes the binary programme of one
class against the rest (a class separable from the others makes the multinomial estimate infinite).
Real tables: statsmodels' spector, fair, anes96 (not separated); iris, breast cancer, wine (separated);
spector without its rows PSI = 1 and GRADE = 0 (quasi-completely separated by that selection).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris, load_wine

from crossentropy import LogisticRegression
from crossentropy.exceptions import PerfectSeparationWarning
from separation_lp import perfectly_separated

sm = pytest.importorskip("statsmodels.api")


def _encoded(y):
    return np.searchsorted(np.unique(y), y)


def _fit(X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = LogisticRegression(penalty=None, max_iter=300).fit(X, y)
    return est, [w for w in caught if issubclass(w.category, PerfectSeparationWarning)]


def _not_separated():
    spector = sm.datasets.spector.load_pandas().data
    fair = sm.datasets.fair.load_pandas().data
    anes = sm.datasets.anes96.load_pandas().data
    cols = ["logpopul", "selfLR", "age", "educ", "income", "TVnews"]
    return {
        "spector": (spector[["GPA", "TUCE", "PSI"]], spector["GRADE"].to_numpy()),
        "fair": (fair[["rate_marriage", "age", "yrs_married", "children", "religious", "educ"]],
                 (fair["affairs"] > 0).astype(int).to_numpy()),
        "anes96_vote": (anes[cols], anes["vote"].to_numpy()),
        "anes96_PID_7_classes": (anes[cols], anes["PID"].to_numpy()),
    }


@pytest.mark.parametrize("name", list(_not_separated()))
def test_no_warning_on_real_tables_that_are_not_separated(name):
    X, y = _not_separated()[name]
    assert not perfectly_separated(X.to_numpy(), _encoded(y), np.ones(len(y)), len(set(y)), True)
    est, caught = _fit(X, y)
    assert not caught and est.separation_ is None and est.separated_features_ == [] and est.converged_


@pytest.mark.parametrize("name", ["iris_2_classes", "breast_cancer", "wine_3_classes"])
def test_complete_separation_of_real_tables(name):
    if name == "iris_2_classes":
        iris = load_iris(as_frame=True)
        keep = (iris.target < 2).to_numpy()
        X, y = iris.data.loc[keep, ["sepal length (cm)", "sepal width (cm)"]], iris.target[keep].to_numpy()
    else:
        X, y = (load_breast_cancer if name == "breast_cancer" else load_wine)(return_X_y=True, as_frame=True)
        y = y.to_numpy()
    assert perfectly_separated(X.to_numpy(), _encoded(y), np.ones(len(y)), len(set(y)), True)
    est, caught = _fit(X, y)
    assert est.separation_ == "complete" and not est.converged_
    assert len(caught) == 1 and "completely" in str(caught[0].message)
    assert est.separated_features_ and set(est.separated_features_) <= set(X.columns)
    assert all(name in str(caught[0].message) for name in est.separated_features_)


def test_quasi_complete_separation_names_the_column():
    d = sm.datasets.spector.load_pandas().data
    keep = ~((d["PSI"] == 1) & (d["GRADE"] == 0)).to_numpy()
    X, y = d.loc[keep, ["GPA", "TUCE", "PSI"]].reset_index(drop=True), d.loc[keep, "GRADE"].to_numpy()
    firthmodels = pytest.importorskip("firthmodels")
    oracle = firthmodels.detect_separation(X, y)
    infinite = [n for n, finite in zip(oracle.feature_names, oracle.is_finite) if not finite]
    assert not perfectly_separated(X.to_numpy(), _encoded(y), np.ones(len(y)), 2, True)
    est, caught = _fit(X, y)
    assert est.separation_ == "quasi-complete" and not est.converged_
    assert est.separated_features_ == infinite == ["PSI"]
    assert len(caught) == 1 and "quasi-completely" in str(caught[0].message) and "PSI" in str(caught[0].message)
    # without names the columns are x1..xd
    assert LogisticRegression(penalty=None).fit(X.to_numpy(), y).separated_features_ == ["x3"]


def test_quasi_complete_separation_of_three_classes():
    X, y = load_iris(return_X_y=True)
    assert not perfectly_separated(X, y, np.ones(len(y)), 3, True)
    assert perfectly_separated(X, (y == 0).astype(int), np.ones(len(y)), 2, True)  # setosa against the rest
    est, caught = _fit(X, y)
    assert est.separation_ == "quasi-complete" and not est.converged_ and len(caught) == 1


def test_zero_weight_rows_do_not_count():
    X, y = load_iris(return_X_y=True)
    keep = y > 0  # versicolor and virginica overlap
    X2, y2 = X[keep][:, :2], y[keep]
    sw = np.ones(len(y2))
    cut = X2[:, 0] < 6.0
    sw[(cut & (y2 == 2)) | (~cut & (y2 == 1))] = 0.0  # the rows left are separated at x0 = 6
    assert perfectly_separated(X2, _encoded(y2), sw, 2, True)
    assert not perfectly_separated(X2, _encoded(y2), np.ones(len(y2)), 2, True)
    with pytest.warns(PerfectSeparationWarning):
        est = LogisticRegression(penalty=None).fit(X2, y2, sample_weight=sw)
    assert est.separation_ == "complete"


def test_penalised_fits_and_summary_run_no_linear_programme(monkeypatch):
    import scipy.optimize

    def refuse(*args, **kwargs):
        raise AssertionError("a linear programme was solved")

    monkeypatch.setattr(scipy.optimize, "linprog", refuse)
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.warns(PerfectSeparationWarning):
        est = LogisticRegression(penalty=None).fit(X, y)
    with pytest.warns(PerfectSeparationWarning):
        est.summary(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        l2 = LogisticRegression(max_iter=1000).fit(X / X.max(axis=0), y)  # penalised: the estimate exists
    assert l2.separation_ is None
