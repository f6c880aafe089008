"""scikit-learn's estimator checks on LogisticRegression with a deterministic and a stochastic solver."""

from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from crossentropy import LogisticRegression

_SGD_REASON = (
    "minibatch SGD is stochastic: a row of weight 2 and two copies of that row land in different "
    "minibatches, so the two fits follow different paths and end at different points; the "
    "deterministic solvers (newton, lbfgs) pass this check"
)


def _expected_failures(estimator):
    if estimator.solver == "sgd":
        return {"check_sample_weight_equivalence_on_dense_data": _SGD_REASON,
                "check_sample_weight_equivalence_on_sparse_data": _SGD_REASON}
    return {}


@parametrize_with_checks(
    [LogisticRegression(), LogisticRegression(solver="lbfgs", penalty=None),
     LogisticRegression(solver="sgd", penalty="l1", max_iter=20, random_state=0)],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_estimator_checks(estimator, check):
    with threadpool_limits(limits=1):
        check(estimator)
