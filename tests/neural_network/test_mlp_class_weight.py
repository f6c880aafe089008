"""MLPClassifier(class_weight="balanced") with sample weights follows scikit-learn's rule.

The oracle is ``sklearn.utils.class_weight.compute_class_weight("balanced", classes=..., y=...,
sample_weight=...)``: the class weights come from the sample-weighted class counts, as in
LogisticRegression (both call ``crossentropy._validation.class_weight_vector``).
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.class_weight import compute_class_weight

from crossentropy import MLPClassifier


def _fit(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kw)


def _problem(n_classes, seed):
    rng = np.random.default_rng(seed)
    n = 90
    X = rng.standard_normal((n, 4))
    # unbalanced classes, labels that are not 0..K-1, and weights far from uniform
    y = np.array(["a", "b", "c"][:n_classes])[np.minimum(rng.geometric(0.45, n) - 1, n_classes - 1)]
    sw = rng.uniform(0.05, 3.0, n) ** 2
    return X, y, sw


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("shuffle", [True, False])
def test_balanced_with_sample_weight_equals_sklearn_class_weights(n_classes, shuffle):
    X, y, sw = _problem(n_classes, seed=20 + n_classes)
    classes = np.unique(y)
    assert classes.size == n_classes
    cw_sklearn = compute_class_weight("balanced", classes=classes, y=y, sample_weight=sw)
    # not vacuous: counting the weights changes the class weights
    cw_unweighted = compute_class_weight("balanced", classes=classes, y=y)
    assert np.max(np.abs(cw_sklearn / cw_unweighted - 1)) > 1e-2

    kw = dict(hidden_layer_sizes=(6,), batch_size=16, learning_rate_init=0.02, max_iter=6, random_state=3,
              dtype="float64", shuffle=shuffle)
    balanced = _fit(MLPClassifier(class_weight="balanced", **kw), X, y, sample_weight=sw)
    y_index = np.searchsorted(classes, y)
    by_hand = _fit(MLPClassifier(**kw), X, y, sample_weight=sw * cw_sklearn[y_index])
    for u, v in zip(balanced.coefs_ + balanced.intercepts_, by_hand.coefs_ + by_hand.intercepts_):
        np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(balanced.loss_curve_, by_hand.loss_curve_, rtol=1e-10)

    # the per-class vector the estimator trains with, compared directly
    np.testing.assert_allclose(balanced._class_weights(y_index, sw), cw_sklearn, rtol=1e-13)


def test_balanced_without_sample_weight_equals_sklearn():
    X, y, _ = _problem(3, seed=30)
    clf = _fit(MLPClassifier(class_weight="balanced", hidden_layer_sizes=(3,), max_iter=1, random_state=0), X, y)
    y_index = np.searchsorted(clf.classes_, y)
    np.testing.assert_allclose(clf._class_weights(y_index, None),
                               compute_class_weight("balanced", classes=clf.classes_, y=y), rtol=1e-13)


def test_partial_fit_refuses_balanced_with_a_clear_message():
    X, y, sw = _problem(3, seed=31)
    with pytest.raises(ValueError, match="class_weight='balanced' is not available in partial_fit"):
        MLPClassifier(class_weight="balanced").partial_fit(X, y, classes=np.unique(y), sample_weight=sw)
