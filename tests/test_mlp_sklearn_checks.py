"""scikit-learn's estimator checks on MLPClassifier.

One check is expected to fail for the minibatch instance, for a reason that belongs to minibatch
training itself: ``check_sample_weight_equivalence_on_dense_data`` compares weights against repeated
rows, and repeating rows changes how many rows there are, so the minibatches (and the steps) differ.
The equivalence holds for full-batch training, and ``test_sample_weight_equivalence_full_batch`` runs
the same scikit-learn check on a full-batch float64 instance, where it must pass (scikit-learn's own
test suite does the same for its MLPClassifier, with its full-batch lbfgs solver).
"""

import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data, parametrize_with_checks

from crossentropy import MLPClassifier

MINIBATCH_REASON = (
    "minibatch training: repeating rows changes the number of rows and hence the minibatches, so "
    "weights and repetitions take different steps; test_sample_weight_equivalence_full_batch runs "
    "this check with full batches"
)


def _expected_failures(estimator):
    return {"check_sample_weight_equivalence_on_dense_data": MINIBATCH_REASON}


@parametrize_with_checks(
    [MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.02, max_iter=50, random_state=0)],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


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
