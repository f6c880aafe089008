"""Conformal prediction sets against MAPIE on the same split; Mondrian quantiles against a per-class numpy
oracle; coverage on held-out data (seeded); weights as repeated rows. Threshold tuning against a direct
cross-validated evaluation of the objective.
"""

import math

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import StratifiedKFold, train_test_split

from crossentropy import LogisticRegression
from crossentropy.calibration import ConformalClassifier, tune_threshold


@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(return_X_y=True)
    Xtr, Xr, ytr, yr = train_test_split(X / 16, y, test_size=0.6, random_state=0)
    Xc, Xte, yc, yte = train_test_split(Xr, yr, test_size=0.5, random_state=0)
    return LogisticRegression(C=0.05).fit(Xtr, ytr), Xc, yc, Xte, yte


@pytest.mark.parametrize("method, include_last_label", [
    ("lac", True), ("aps", True), ("aps", False), ("aps", "randomized")])
@pytest.mark.parametrize("alpha", [0.05, 0.2])
def test_sets_equal_mapies_on_the_same_split(digits_split, method, include_last_label, alpha):
    mapie = pytest.importorskip("mapie.classification")
    est, Xc, yc, Xte, _ = digits_split
    ref = mapie.SplitConformalClassifier(est, confidence_level=1 - alpha, conformity_score=method, prefit=True,
                                         random_state=3).conformalize(Xc, yc)
    params = {} if method == "lac" else {"conformity_score_params": {"include_last_label": include_last_label}}
    ref_sets = ref.predict_set(Xte, **params)[1][:, :, 0]
    ours = ConformalClassifier(est, method=method, include_last_label=include_last_label, random_state=3)
    np.testing.assert_array_equal(ours.fit(Xc, yc).predict_set(Xte, alpha), ref_sets)


@pytest.mark.parametrize("method", ["lac", "aps"])
def test_mondrian_quantiles_are_the_per_class_order_statistics(digits_split, method):
    est, Xc, yc, Xte, _ = digits_split
    alpha = 0.1
    P, Pte = est.predict_proba(Xc), est.predict_proba(Xte)
    if method == "lac":
        score, score_te = 1 - P[np.arange(yc.size), yc], 1 - Pte
    else:
        order = np.argsort(-P, axis=1)
        score = np.array([P[i, order[i, :list(order[i]).index(yc[i]) + 1]].sum() for i in range(yc.size)])
        score_te = np.array([[Pte[i][Pte[i] >= Pte[i, k]].sum() for k in range(10)] for i in range(len(Pte))])
    expected = np.empty_like(score_te, dtype=bool)
    for k in range(10):
        s = np.sort(score[yc == k])
        rank = math.ceil((s.size + 1) * (1 - alpha))
        q = s[rank - 1] if rank <= s.size else np.inf
        expected[:, k] = score_te[:, k] <= q + 1e-8
    got = ConformalClassifier(est, method=method, mondrian=True).fit(Xc, yc).predict_set(Xte, alpha)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("method, mondrian", [("lac", False), ("aps", False), ("lac", True)])
def test_coverage_is_at_least_one_minus_alpha_on_held_out_data(method, mondrian):
    """Averaged over 20 seeded calibration/test splits, the marginal coverage is at least 1 - alpha
    (its expectation is at least 1 - alpha; 20 splits of 400 test rows: sd about 0.003, so 0.005 below is refused)."""
    X, y = load_digits(return_X_y=True)
    Xtr, Xr, ytr, yr = train_test_split(X / 16, y, train_size=500, random_state=0)
    est = LogisticRegression(C=0.05).fit(Xtr, ytr)
    rng = np.random.default_rng(7)
    alpha, cover = 0.1, []
    for _ in range(20):
        idx = rng.permutation(yr.size)
        cal, test = idx[:800], idx[800:1200]
        cc = ConformalClassifier(est, method=method, mondrian=mondrian, random_state=int(rng.integers(1 << 30)))
        table = cc.fit(Xr[cal], yr[cal]).coverage_table(Xr[test], yr[test], alpha)
        cover.append(table.loc["all", "coverage"])
    assert np.mean(cover) >= 1 - alpha - 0.005


def test_integer_weights_equal_repeated_rows(digits_split):
    est, Xc, yc, Xte, _ = digits_split
    w = np.random.default_rng(0).integers(1, 4, yc.size)
    for mondrian in (False, True):
        weighted = ConformalClassifier(est, mondrian=mondrian).fit(Xc, yc, sample_weight=w).predict_set(Xte, 0.1)
        repeated = ConformalClassifier(est, mondrian=mondrian).fit(np.repeat(Xc, w, 0), np.repeat(yc, w))
        np.testing.assert_array_equal(weighted, repeated.predict_set(Xte, 0.1))


def test_coverage_table_counts_per_class(digits_split):
    est, Xc, yc, Xte, yte = digits_split
    cc = ConformalClassifier(est).fit(Xc, yc)
    sets = cc.predict_set(Xte, 0.1)
    table = cc.coverage_table(Xte, yte, 0.1)
    for k in range(10):
        rows = yte == k
        assert table.loc[k, "support"] == rows.sum()
        assert table.loc[k, "coverage"] == pytest.approx(sets[rows, k].mean(), rel=1e-12)
        assert table.loc[k, "mean_set_size"] == pytest.approx(sets[rows].sum(1).mean(), rel=1e-12)


@pytest.mark.parametrize("kwargs, match", [({"method": "raps"}, "method"), ({"cv": 5}, "cv"),
                                           ({"mondrian": "yes"}, "mondrian"), ({"include_last_label": 2}, "include_last_label")])
def test_bad_parameters_are_refused(digits_split, kwargs, match):
    est, Xc, yc, _, _ = digits_split
    with pytest.raises((ValueError, TypeError), match=match):
        ConformalClassifier(est, **kwargs).fit(Xc, yc)
    with pytest.raises(ValueError, match="alpha"):
        ConformalClassifier(est).fit(Xc, yc).predict_set(Xc, 1.5)


def test_tuned_cost_threshold_equals_the_direct_cross_validated_cost():
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    fp, fn = 1.0, 5.0
    t = tune_threshold(LogisticRegression(C=0.1), X, y, objective=("cost", fp, fn), cv=cv)
    costs = []
    for train, test in cv.split(X, y):
        p = clone(LogisticRegression(C=0.1)).fit(X[train], y[train]).predict_proba(X[test])[:, 1]
        pred = p >= t.threshold
        costs.append((fp * np.sum(pred & (y[test] == 0)) + fn * np.sum(~pred & (y[test] == 1))) / test.size)
    # the curve is the mean over folds, interpolated on the threshold grid: the chosen point's value
    assert -t.best_score == pytest.approx(np.mean(costs), abs=0.01)
    assert t.best_score == np.max(t.scores) and t.thresholds.shape == t.scores.shape
    assert t.threshold < 0.5  # a false negative costs five false positives: a lower threshold


def test_tune_threshold_refuses_an_unknown_objective():
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.raises(ValueError, match="objective"):
        tune_threshold(LogisticRegression(), X, y, objective="accuracy")
