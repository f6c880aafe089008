"""CalibratedClassifier against scikit-learn's CalibratedClassifierCV (same folds, same prefit rows), on real data.

Oracles: scikit-learn's ``CalibratedClassifierCV`` (sigmoid, isotonic, temperature) with the same splitter,
``FrozenEstimator`` for the prefit case; ``roc_auc_score`` for the strictly monotone isotonic map;
scikit-learn's ``log_loss`` for temperature scaling of an over-confident MLP; repeated rows for weights.
"""

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split

from crossentropy import LogisticRegression, MLPClassifier
from crossentropy.calibration import CalibratedClassifier


def _standardised(load):
    X, y = load(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y


@pytest.fixture(scope="module")
def cancer():
    return _standardised(load_breast_cancer)


@pytest.fixture(scope="module")
def wine():
    return _standardised(load_wine)


@pytest.mark.parametrize("data", ["cancer", "wine"])
@pytest.mark.parametrize("method", ["sigmoid", "isotonic", "temperature"])
@pytest.mark.parametrize("ensemble", [True, False])
def test_same_folds_give_scikit_learns_probabilities(request, data, method, ensemble):
    X, y = request.getfixturevalue(data)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    ours = CalibratedClassifier(LogisticRegression(C=0.1), method=method, cv=cv, ensemble=ensemble).fit(X, y)
    ref = CalibratedClassifierCV(LogisticRegression(C=0.1), method=method, cv=cv, ensemble=ensemble).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


@pytest.mark.parametrize("method", ["sigmoid", "isotonic", "temperature"])
def test_prefit_and_frozen_equal_scikit_learn_on_the_same_rows(wine, method):
    X, y = wine
    Xf, Xc, yf, yc = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
    est = LogisticRegression(C=0.05).fit(Xf, yf)
    ref = CalibratedClassifierCV(FrozenEstimator(est), method=method).fit(Xc, yc).predict_proba(X)
    prefit = CalibratedClassifier(est, method=method, cv="prefit").fit(Xc, yc).predict_proba(X)
    frozen = CalibratedClassifier(FrozenEstimator(est), method=method).fit(Xc, yc).predict_proba(X)
    np.testing.assert_allclose(prefit, ref, rtol=0, atol=1e-6)
    np.testing.assert_allclose(frozen, ref, rtol=0, atol=1e-6)


def test_predict_proba_scores_are_read_like_scikit_learn_for_an_mlp(cancer):
    """Our MLPClassifier has decision_function: temperature scaling reads it, as scikit-learn does."""
    X, y = cancer
    mlp = MLPClassifier(hidden_layer_sizes=(8,), max_iter=60, random_state=0)
    cv = StratifiedKFold(2, shuffle=True, random_state=1)
    with pytest.warns(Warning):  # the short training stops before convergence
        ours = CalibratedClassifier(mlp, method="temperature", cv=cv).fit(X, y).predict_proba(X)
    with pytest.warns(Warning):
        ref = CalibratedClassifierCV(mlp, method="temperature", cv=cv).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-6)


def test_temperature_scaling_lowers_the_held_out_log_loss_of_an_overconfident_mlp():
    X, y = load_digits(return_X_y=True)
    X = X / 16
    Xtr, Xrest, ytr, yrest = train_test_split(X, y, train_size=150, random_state=0, stratify=y)
    Xc, Xte, yc, yte = train_test_split(Xrest, yrest, test_size=0.5, random_state=0, stratify=yrest)
    # no penalty and 300 epochs on 150 rows: the training loss goes to ~0, held-out probabilities are too extreme
    mlp = MLPClassifier(hidden_layer_sizes=(64,), alpha=0.0, max_iter=300, learning_rate_init=0.01, tol=0,
                        n_iter_no_change=1000, random_state=0)
    with pytest.warns(Warning):  # stopped at max_iter on purpose
        mlp.fit(Xtr, ytr)
    before = log_loss(yte, mlp.predict_proba(Xte))
    cal = CalibratedClassifier(mlp, method="temperature", cv="prefit").fit(Xc, yc)
    after = log_loss(yte, cal.predict_proba(Xte))
    assert cal.calibrated_classifiers_[0][1].temperature_ > 1.2  # over-confident: the temperature softens
    assert after < 0.9 * before


@pytest.mark.parametrize("method", ["sigmoid", "isotonic", "temperature", "beta", "venn-abers"])
def test_integer_weights_equal_repeated_rows(wine, method):
    X, y = wine
    Xf, Xc, yf, yc = train_test_split(X, y, test_size=0.5, random_state=2, stratify=y)
    est = LogisticRegression(C=0.05).fit(Xf, yf)
    w = np.random.default_rng(0).integers(1, 4, yc.size)
    weighted = CalibratedClassifier(est, method=method, cv="prefit").fit(Xc, yc, sample_weight=w)
    repeated = CalibratedClassifier(est, method=method, cv="prefit").fit(np.repeat(Xc, w, 0), np.repeat(yc, w))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=0, atol=1e-8)


def test_strictly_monotone_isotonic_keeps_the_auc(cancer):
    X, y = cancer
    Xf, Xc, yf, yc = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
    est = LogisticRegression(C=0.01).fit(Xf, yf)
    scores = est.decision_function(Xf)
    step = CalibratedClassifier(est, method="isotonic", cv="prefit").fit(Xc, yc).predict_proba(Xf)[:, 1]
    strict = CalibratedClassifier(est, method="isotonic", cv="prefit", strictly_monotone=True).fit(Xc, yc)
    p = strict.predict_proba(Xf)[:, 1]
    assert roc_auc_score(yf, p) == roc_auc_score(yf, scores)
    assert roc_auc_score(yf, step) != roc_auc_score(yf, scores)  # the step function ties scores: the AUC moves
    order = np.argsort(scores)
    assert np.all(np.diff(p[order])[np.diff(scores[order]) > 0] > 0)  # distinct scores stay distinct, in order
    assert np.max(np.abs(p - step)) < 0.5 and p.min() >= 0 and p.max() <= 1


@pytest.mark.parametrize("kwargs, match", [
    ({"method": "platt"}, "method"),
    ({"cv": "split"}, "cv"),
    ({"ensemble": "yes"}, "ensemble"),
    ({"strictly_monotone": 1.5}, "strictly_monotone"),
])
def test_bad_parameters_are_refused(cancer, kwargs, match):
    X, y = cancer
    with pytest.raises((ValueError, TypeError), match=match):
        CalibratedClassifier(LogisticRegression(), **kwargs).fit(X, y)


def test_venn_abers_interval_holds_the_merged_probability(cancer):
    X, y = cancer
    cal = CalibratedClassifier(LogisticRegression(C=0.1), method="venn-abers", cv=3).fit(X, y)
    p0, p1 = cal.predict_interval(X)
    merged = cal.predict_proba(X)[:, 1]
    assert np.all(p0 <= merged + 1e-12) and np.all(merged <= p1 + 1e-12)
    with pytest.raises(ValueError, match="venn-abers"):
        CalibratedClassifier(LogisticRegression(), cv=3).fit(X, y).predict_interval(X)


@pytest.mark.parametrize("method", ["sigmoid", "isotonic", "temperature"])
def test_weighted_cross_fitting_equals_scikit_learn(wine, method):
    """The weights reach the estimator's fit on each training fold and the calibrator on each held-out fold."""
    X, y = wine
    w = np.random.default_rng(3).uniform(0.3, 3.0, y.size)
    cv = StratifiedKFold(3, shuffle=True, random_state=1)
    ours = CalibratedClassifier(LogisticRegression(C=0.1), method=method, cv=cv).fit(X, y, sample_weight=w)
    ref = CalibratedClassifierCV(LogisticRegression(C=0.1), method=method, cv=cv).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-6)
