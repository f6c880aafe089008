"""LogisticRegressionCV against scikit-learn's with the same folds; weighted scores, missing classes, the 1-SE rule."""

import warnings

import numpy as np
import pytest
from helpers import rel_error
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegressionCV as SkLogisticRegressionCV
from sklearn.metrics import get_scorer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from crossentropy import LogisticRegression, LogisticRegressionCV
from crossentropy.linear_model._cv import select_index


def _data(n_classes, n=240, d=5, seed=0):
    X, y = make_classification(n, d, n_informative=4 if n_classes > 8 else 3, n_redundant=1, n_classes=n_classes,
                               n_clusters_per_class=1, random_state=seed)
    return X, y


def _sklearn(X, y, cv, Cs, penalty, l1_ratios, class_weight, sample_weight):
    solver = "newton-cholesky" if penalty == "l2" else "saga"
    ratios = l1_ratios if penalty == "elasticnet" else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecations of scikit-learn 1.8-1.9 (penalty, l1_ratios=None)
        sk = SkLogisticRegressionCV(Cs=Cs, cv=cv, penalty=penalty, l1_ratios=ratios, solver=solver, tol=1e-12,
                                    max_iter=100_000, scoring="neg_log_loss", class_weight=class_weight,
                                    use_legacy_attributes=True, random_state=0)
        return sk.fit(X, y, sample_weight=sample_weight)


CASES = [  # (n_classes, penalty, l1_ratios, class_weight, sample weights)
    (2, "l2", None, None, False),
    (3, "l2", None, "balanced", True),
    (10, "l2", None, None, False),
    (2, "l1", None, None, False),
    (3, "l1", None, {0: 2.0, 1: 1.0, 2: 0.5}, False),
    (2, "elasticnet", [0.3, 0.7], None, True),
]


@pytest.mark.parametrize("n_classes, penalty, l1_ratios, class_weight, weighted", CASES)
def test_matches_sklearn(n_classes, penalty, l1_ratios, class_weight, weighted):
    X, y = _data(n_classes, n=400 if n_classes == 10 else 240)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, len(y)) if weighted else None
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    # saga (scikit-learn's only l1 solver without a penalised intercept) is slow to converge where
    # the path is all zeros; the grid starts where it reaches 1e-10
    Cs = np.logspace(-2, 2, 5) if penalty == "l2" else np.logspace(-1, 1, 4)
    sk = _sklearn(X, y, cv, Cs, penalty, l1_ratios, class_weight, sw)
    ours = LogisticRegressionCV(Cs=Cs, cv=cv, penalty=penalty, l1_ratios=l1_ratios, class_weight=class_weight,
                                tol=1e-10, max_iter=1000).fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(ours.C_, sk.C_)
    np.testing.assert_array_equal(ours.Cs_, sk.Cs_)
    assert list(ours.scores_) == list(sk.scores_)
    for k in sk.scores_:
        assert ours.scores_[k].shape == sk.scores_[k].shape
        np.testing.assert_allclose(ours.scores_[k], sk.scores_[k], rtol=0, atol=1e-6)
        assert ours.coefs_paths_[k].shape == sk.coefs_paths_[k].shape
    assert ours.n_iter_.shape == sk.n_iter_.shape
    if penalty == "elasticnet":
        np.testing.assert_array_equal(ours.l1_ratio_, sk.l1_ratio_)
    assert rel_error(ours.coef_, sk.coef_) < 1e-5
    assert rel_error(ours.intercept_, sk.intercept_) < 1e-5 * max(1.0, np.abs(sk.coef_).max())
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), atol=1e-6)


def test_refit_false_averages_like_sklearn():
    X, y = _data(3)
    cv = KFold(4, shuffle=True, random_state=2)
    Cs = [0.01, 0.1, 1.0, 10.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = SkLogisticRegressionCV(Cs=Cs, cv=cv, refit=False, tol=1e-12, solver="newton-cholesky", max_iter=10_000,
                                    scoring="neg_log_loss",
                                    l1_ratios=(0.0,), use_legacy_attributes=True).fit(X, y)
    ours = LogisticRegressionCV(Cs=Cs, cv=cv, refit=False, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(ours.C_, sk.C_)
    assert rel_error(ours.coef_, sk.coef_) < 1e-5
    assert rel_error(ours.intercept_, sk.intercept_) < 1e-5


def test_weighted_fold_scores_equal_sklearn_scorer():
    X, y = _data(3)
    sw = np.random.default_rng(3).exponential(size=len(y))
    folds = list(StratifiedKFold(3, shuffle=True, random_state=1).split(X, y))
    clf = LogisticRegressionCV(Cs=4, cv=folds, tol=1e-10).fit(X, y, sample_weight=sw)
    scorer = get_scorer("neg_log_loss")
    for f, (train, test) in enumerate(folds):
        for i, C in enumerate(clf.Cs_):
            cold = LogisticRegression(C=C, tol=1e-10).fit(X[train], y[train], sample_weight=sw[train])
            expected = scorer(cold, X[test], y[test], sample_weight=sw[test])
            for k in clf.scores_:
                assert abs(clf.scores_[k][f, i] - expected) < 1e-7
            unweighted = scorer(cold, X[test], y[test])
            assert abs(unweighted - expected) > 1e-4  # the weights do change the score
    table = clf.cv_results_
    np.testing.assert_allclose(table["mean_score"], clf.scores_[0].mean(axis=0))
    np.testing.assert_allclose(table["std_error"], clf.scores_[0].std(axis=0, ddof=1) / np.sqrt(3))


def test_fold_missing_a_class_gives_finite_scores():
    X, y = _data(3, n=120)
    zeros, rest = np.flatnonzero(y == 0), np.flatnonzero(y != 0)
    half = rest[: len(rest) // 2], rest[len(rest) // 2:]
    folds = [(rest, zeros),  # a training part without class 0, held-out rows all of class 0
             (np.concatenate([zeros, half[1]]), half[0]), (np.concatenate([zeros, half[0]]), half[1])]
    clf = LogisticRegressionCV(Cs=3, cv=folds).fit(X, y)
    for k in clf.scores_:
        assert np.all(np.isfinite(clf.scores_[k]))
    # the fold without class 0 in training: its held-out rows (class 0) are scored with every label,
    # the probability of class 0 clipped at machine epsilon as the log loss does
    train, test = folds[0]
    assert 0 not in y[train] and np.all(y[test] == 0)
    assert np.all(clf.coefs_paths_[0][0][:, :-1] == 0) and np.all(clf.coefs_paths_[0][0][:, -1] == -np.inf)
    np.testing.assert_allclose(clf.scores_[0][0], np.log(np.finfo(float).eps), rtol=1e-12)
    assert np.all(np.isfinite(clf.coef_)) and set(clf.predict(X)) <= {0, 1, 2}


def test_one_standard_error_rule_on_a_hand_made_table():
    # 3 folds, 4 Cs: the best mean is at C = 10 (index 3); its SE is sd([0.9, 0.8, 0.7]) / sqrt(3)
    scores = np.array([[0.2, 0.75, 0.85, 0.9],
                       [0.2, 0.70, 0.70, 0.8],
                       [0.2, 0.65, 0.75, 0.7]])[:, :, None]
    Cs = np.array([0.01, 0.1, 1.0, 10.0])
    mean = scores.mean(axis=0)[:, 0]
    se = scores[:, 3, 0].std(ddof=1) / np.sqrt(3)
    threshold = mean[3] - se  # 0.8 - 0.0577 = 0.742
    expected = min((c for c, m in zip(Cs, mean) if m >= threshold))
    assert select_index(scores, Cs, "best") == (3, 0)
    assert Cs[select_index(scores, Cs, "1se")[0]] == expected == 1.0
    # the rule reads C's values, not the grid order
    perm = [2, 0, 3, 1]
    i, _ = select_index(scores[:, perm], Cs[perm], "1se")
    assert Cs[perm][i] == 1.0


def test_selection_1se_refits_at_the_1se_choice():
    X, y = _data(2, n=300)
    clf = LogisticRegressionCV(Cs=8, cv=5, selection="1se", tol=1e-10).fit(X, y)
    i, _ = select_index(clf.scores_[1][:, :, None], clf.Cs_, "1se")
    assert clf.C_[0] == clf.Cs_[i] == clf.cv_results_["C"][clf.index_1se_]
    assert clf.C_[0] <= clf.cv_results_["C"][clf.best_index_]
    cold = LogisticRegression(C=clf.C_[0], tol=1e-10).fit(X, y)
    assert rel_error(clf.coef_, cold.coef_) < 1e-6


def test_n_jobs_gives_the_same_fit():
    X, y = _data(3)
    a = LogisticRegressionCV(Cs=4, cv=3, tol=1e-10).fit(X, y)
    b = LogisticRegressionCV(Cs=4, cv=3, tol=1e-10, n_jobs=2).fit(X, y)
    np.testing.assert_allclose(b.scores_[0], a.scores_[0], rtol=1e-12)
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=1e-12)


@pytest.mark.parametrize("params, match", [
    ({"Cs": 0}, "Cs"), ({"Cs": [1.0, -1.0]}, "Cs"), ({"penalty": "elasticnet"}, "l1_ratios"),
    ({"penalty": "elasticnet", "l1_ratios": [1.5]}, "l1_ratios"), ({"selection": "2se"}, "selection"),
    ({"solver": "sgd"}, "sgd"), ({"scoring": "no_such_score"}, "no_such_score"),
])
def test_bad_parameters(params, match):
    X, y = _data(2, n=60)
    with pytest.raises(ValueError, match=match):
        LogisticRegressionCV(**params).fit(X, y)


# tol tight: the sample-weight check compares the weighted and the repeated-rows fits to 1e-7
@parametrize_with_checks([LogisticRegressionCV(Cs=2, cv=3, tol=1e-10)])
def test_sklearn_estimator_checks(estimator, check):
    with threadpool_limits(limits=1):
        check(estimator)


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("budget", [1, 700, 1 << 23])
def test_path_log_loss_in_groups_equals_sklearn_log_loss(monkeypatch, n_classes, budget):
    # every point of a path scored at once, or in groups of points that the budget allows (one at a
    # time when it is below one point's logits), equals scikit-learn's log_loss of predict_proba
    import sklearn.metrics

    from crossentropy.linear_model import _cv

    monkeypatch.setattr(_cv, "SCORE_ELEMENTS", budget)
    X, y = _data(n_classes, n=150)
    sw = np.random.default_rng(4).exponential(size=len(y))
    classes = np.unique(y)
    rows = 1 if n_classes == 2 else n_classes
    rng = np.random.default_rng(5)
    coefs, intercepts = rng.normal(size=(6, rows, X.shape[1])), rng.normal(size=(6, rows))
    if n_classes > 2:
        intercepts[2, 1] = -np.inf  # a class absent from a fold's training part
    got = _cv.path_scores("neg_log_loss", classes, coefs, intercepts, X, y, sw)
    for j in range(6):
        est = _cv._model(classes, coefs[j], intercepts[j], X.shape[1])
        expected = -sklearn.metrics.log_loss(y, est.predict_proba(X), sample_weight=sw, labels=classes)
        assert abs(got[j] - expected) <= 1e-12 * abs(expected)


def test_later_folds_start_from_the_first_folds_hessian(monkeypatch):
    # the folds' mean data Hessians at one point differ by sampling noise: the folds after the first
    # start with the first fold's, so the search forms fewer Hessians than without that start, and
    # still selects the same C with the same refit as without it and as scikit-learn
    from crossentropy.linear_model import _cv
    from crossentropy.objective import LinearObjective

    X, y = make_classification(3000, 8, n_informative=5, random_state=4)
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
    formed = []
    method = LinearObjective.hessian

    def counted(self, coef):
        formed.append(self.n_samples)
        return method(self, coef)
    monkeypatch.setattr(LinearObjective, "hessian", counted)
    ours = LogisticRegressionCV(Cs=6, cv=folds, tol=1e-8).fit(X, y)
    shared = list(formed)
    first_point = _cv._first_point
    monkeypatch.setattr(_cv, "_first_point", lambda *a: (first_point(*a)[0], None))
    formed.clear()
    alone = LogisticRegressionCV(Cs=6, cv=folds, tol=1e-8).fit(X, y)
    assert len(shared) < len(formed)
    np.testing.assert_array_equal(ours.C_, alone.C_)
    assert rel_error(ours.coef_, alone.coef_) < 1e-6
    sk = _sklearn(X, y, folds, np.logspace(-4, 4, 6), "l2", None, None, None)
    np.testing.assert_array_equal(ours.C_, sk.C_)
    for k in sk.scores_:
        np.testing.assert_allclose(ours.scores_[k], sk.scores_[k], rtol=0, atol=1e-6)
    assert rel_error(ours.coef_, sk.coef_) < 1e-5


@pytest.mark.parametrize("solver", ["sgd", "auto", "lbfgs"])
def test_cv_has_no_partial_fit(solver):
    # scikit-learn's LogisticRegressionCV has no partial_fit, and a path cannot be fitted by SGD
    assert not hasattr(SkLogisticRegressionCV(), "partial_fit")
    search = LogisticRegressionCV(solver=solver)
    assert not hasattr(search, "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit"):
        search.partial_fit(np.zeros((4, 1)), [0, 1, 0, 1], classes=[0, 1])
    assert hasattr(LogisticRegression(solver="sgd"), "partial_fit")  # the estimator that supports it keeps it


def test_refit_at_default_tol_matches_sklearn_tight_refit():
    # the refit starts from the folds' mean, near its minimum: Newton forms the exact Hessian there
    # (an estimate from a share of the rows, meant for a subsample's start, would close the gap only
    # linearly and stop just inside it), so at the default tol its coefficients are those of
    # scikit-learn's newton-cholesky at tol=1e-10 to 1e-5, as scikit-learn's own at tol=1e-4 are
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    X, y = make_classification(60_000, 40, n_informative=20, random_state=0)
    folds = list(StratifiedKFold(5).split(X, y))
    ours = LogisticRegressionCV(Cs=6, cv=folds).fit(X, y)
    sk = SkLogisticRegression(C=float(ours.C_[0]), solver="newton-cholesky", tol=1e-10, max_iter=1000).fit(X, y)
    assert rel_error(ours.coef_, sk.coef_) < 1e-5
    assert rel_error(ours.intercept_, sk.intercept_) < 1e-5
