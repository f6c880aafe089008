"""scikit-learn's estimator checks on MLPClassifier.

The checks run on two instances that differ only in the training precision. On the float64 one,
every check passes, ``check_sample_weight_equivalence_on_dense_data`` included, as on scikit-learn's
own MLPClassifier (which trains in the input's dtype, float64 there): on that check's 15 rows one
minibatch ("auto": ``min(200, n)``) is the whole set for the weighted and the repeated data, the
objective divides by the weight sum (= the number of repeated rows) and the L2 term by the same,
and one batch is never shuffled, so both fits take the same steps up to float64 rounding.

The float32 instance (the default ``dtype``) fails that one check for float32 rounding alone: the
weighted and the repeated fit differ by about 2e-6 relative after 50 epochs, as much as the repeated
fit differs from itself with its rows permuted, while the check asks for 1e-7.
``test_sample_weight_equivalence_float32`` states what float32 does guarantee.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import shuffle
from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data, parametrize_with_checks

from crossentropy import MLPClassifier

FLOAT32_REASON = (
    "float32 training: weights and repeated rows differ by float32 rounding (about 2e-6 relative after "
    "50 epochs, as much as a row permutation gives), the check asks for rtol=1e-7; the float64 instance "
    "passes it"
)
_PARAMS = dict(hidden_layer_sizes=(16,), learning_rate_init=0.02, max_iter=50, random_state=0)


def _expected_failures(estimator):
    if estimator.dtype == "float32":
        return {"check_sample_weight_equivalence_on_dense_data": FLOAT32_REASON}
    return {}


@parametrize_with_checks(
    [MLPClassifier(**_PARAMS), MLPClassifier(dtype="float64", **_PARAMS)],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def _check_data():
    """The data of scikit-learn's check_sample_weight_equivalence (same seed and steps)."""
    rng = np.random.RandomState(42)
    X = rng.rand(15, 30)
    y = rng.randint(0, 3, size=15)
    sw = rng.randint(0, 5, size=15)
    X_rep, y_rep = X.repeat(sw, axis=0), y.repeat(sw)
    X_w, y_w, sw = shuffle(X, y, sw, random_state=0)
    return X, (X_w, y_w, sw), (X_rep, y_rep)


def test_sample_weight_equivalence_float32():
    """Float32: weights and repeated rows give the same fit up to float32 rounding (oracle: the repeated fit)."""
    X, (X_w, y_w, sw), (X_rep, y_rep) = _check_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        rep = MLPClassifier(**_PARAMS).fit(X_rep, y_rep)
        wtd = MLPClassifier(**_PARAMS).fit(X_w, y_w, sample_weight=sw)
    assert rep.coefs_[0].dtype == np.float32
    np.testing.assert_allclose(wtd.predict_proba(X), rep.predict_proba(X), rtol=1e-4)
    np.testing.assert_allclose(wtd.loss_curve_, rep.loss_curve_, rtol=1e-5)


def test_sample_weight_equivalence_full_batch():
    estimator = MLPClassifier(hidden_layer_sizes=(8,), batch_size=100, dtype="float64", learning_rate_init=0.01,
                              max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="batch_size=100 is larger", category=UserWarning)
        check_sample_weight_equivalence_on_dense_data("MLPClassifier", estimator)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_check_is_strict_enough(dtype):
    """The full-batch check is not vacuous: minibatches of 4 make it fail."""
    estimator = MLPClassifier(hidden_layer_sizes=(8,), batch_size=4, dtype=dtype, learning_rate_init=0.01,
                              max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.raises(AssertionError, match="sample_weight"):
            check_sample_weight_equivalence_on_dense_data("MLPClassifier", estimator)
