"""Finite inputs the network cannot represent: the error names X, never the logits the user did not pass."""

import numpy as np
import pytest

from crossentropy.neural_network import MLPClassifier

Y = np.arange(12) % 2


def test_float64_values_beyond_float32_name_x_and_the_column():
    X = np.random.default_rng(0).normal(size=(12, 3))
    X[4, 2] = 1e300   # finite in float64, inf once cast to the float32 the network trains in
    with np.errstate(over="ignore"):
        assert not np.isfinite(np.float64(1e300).astype(np.float32))
    with pytest.raises(ValueError, match=r"X has values beyond the range of float32 \(column 2.*dtype='float64'"):
        MLPClassifier(max_iter=2).fit(X, Y)
    with pytest.raises(ValueError, match="column 2"):
        MLPClassifier(max_iter=2).partial_fit(X, Y, classes=[0, 1])


@pytest.mark.filterwarnings("ignore:MLPClassifier stopped at max_iter")
def test_outputs_that_overflow_name_x():
    rng = np.random.default_rng(0)
    model = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(rng.normal(size=(12, 40)), Y)
    model.coefs_[0][:] = 1.0   # each hidden unit sums its 40 inputs
    big = np.finfo(np.float32).max / 2
    X = np.full((12, 40), big, dtype=np.float32)   # 40 * max/2 is beyond the float32 range
    with pytest.raises(ValueError, match=r"X is too large for the network in float32.*standardise X") as info:
        model.partial_fit(X, Y)
    assert "logits" not in str(info.value)
    with pytest.raises(ValueError, match=r"X is too large for the network in float64"):
        model.predict_proba(np.full((2, 40), 1e308))   # 40 * 1e308 is beyond the float64 range


def test_weights_that_grow_past_the_float_range_are_a_divergence_not_a_large_x():
    X = np.random.default_rng(0).normal(size=(60, 5))
    with pytest.raises(FloatingPointError, match="training diverged; lower learning_rate_init"):
        MLPClassifier(solver="sgd", learning_rate_init=1e30, max_iter=5, random_state=0).fit(X, X[:, 0] > 0)
