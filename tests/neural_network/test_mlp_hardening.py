"""Issue 13 (item 6): MLPClassifier refuses unusable weights and parameters up front, and trains on
tiny or huge (but finite, positive) weights.

Oracles: the relative-weights rule (weights of 1e-320 train as the same weights scaled to order one,
computed exactly with powers of two), the parameter count of a fitted network (coefs_ and intercepts_),
and the memory of this machine (/proc/meminfo).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

from crossentropy import MLPClassifier
from crossentropy.neural_network import _checks


def _iris():
    X, y = load_iris(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y


def _fit(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("error", RuntimeWarning)
        return est.fit(X, y, **kw)


@pytest.mark.parametrize("class_weight", [{0: 0, 1: 0, 2: 0}, {0: 0.0, 1: 0.0, 2: 0.0}])
def test_all_zero_class_weights_are_a_clear_value_error(class_weight):
    X, y = _iris()
    with pytest.raises(ValueError, match="class_weight is zero on every row"):
        MLPClassifier(class_weight=class_weight, max_iter=3).fit(X, y)


def test_class_weight_zero_where_the_sample_weights_are_zero():
    X, y = _iris()
    sw = np.where(y == 0, 1.0, 0.0)
    with pytest.raises(ValueError, match="class_weight is zero on every row"):
        MLPClassifier(class_weight={0: 0.0}, max_iter=3).fit(X, y, sample_weight=sw)


@pytest.mark.parametrize("name, value", [("alpha", np.inf), ("alpha", -1.0), ("learning_rate_init", np.inf)])
def test_bad_parameters_are_refused_before_the_data_are_read(name, value):
    with pytest.raises(ValueError, match=name):
        MLPClassifier(**{name: value}).fit("not data", None)


@pytest.mark.parametrize("exponent", [-1064, 1020])  # subnormal 1e-320-ish and 1e307-ish weights
def test_tiny_or_huge_weights_train_as_relative_weights(exponent):
    X, y = _iris()
    u = np.random.default_rng(0).uniform(1.0, 1.9, y.size)
    sw = np.ldexp(u, exponent)
    assert np.all(sw > 0) and np.all(np.isfinite(sw))
    rel = np.ldexp(sw, -exponent)  # the same weights at order one (exact: a power of two)
    rel = rel / 2.0 ** np.floor(np.log2(rel.max()))  # largest in [1, 2), as the rule scales them
    a = _fit(MLPClassifier(hidden_layer_sizes=(8,), max_iter=100, random_state=0, dtype="float64",
                           learning_rate_init=0.05), X, y,
             sample_weight=sw)
    b = _fit(MLPClassifier(hidden_layer_sizes=(8,), max_iter=100, random_state=0, dtype="float64",
                           learning_rate_init=0.05), X, y,
             sample_weight=rel)
    assert np.all(np.isfinite(a.loss_curve_))
    for ca, cb in zip(a.coefs_, b.coefs_):
        np.testing.assert_allclose(ca, cb, rtol=1e-9, atol=1e-12)
    assert a.score(X, y) > 0.8


def test_huge_class_weights_train():
    X, y = _iris()
    est = MLPClassifier(hidden_layer_sizes=(8,), max_iter=100, learning_rate_init=0.05, random_state=0,
                        class_weight={0: 1e308, 1: 1e308, 2: 1e308})
    _fit(est, X, y)
    assert np.all(np.isfinite(est.loss_curve_)) and est.score(X, y) > 0.8


def test_ordinary_weights_are_untouched():
    X, y = _iris()
    sw = np.random.default_rng(1).uniform(0.1, 5.0, y.size)
    assert _checks.usable_weights(y, sw, None)[0] is sw


def test_training_bytes_counts_the_parameters_of_a_fitted_network():
    X, y = _iris()
    est = _fit(MLPClassifier(hidden_layer_sizes=(7, 5), max_iter=2, dtype="float64"), X, y)
    params = sum(c.size for c in est.coefs_) + sum(b.size for b in est.intercepts_)
    units = (4, 7, 5, 3)
    # batch 0: only the parameters, their gradient and Adam's two moments
    assert _checks.training_bytes(units, 0, 8, 2) == 4 * params * 8


def test_a_network_larger_than_the_memory_is_refused_up_front():
    have = _checks.available_memory()
    if have is None:
        pytest.skip("the available memory of this machine is unknown")
    X, y = _iris()
    width = int(have // 8 // 4) + 1  # its weights alone (4 inputs, 3 outputs) exceed the memory
    with pytest.raises(ValueError, match=r"hidden_layer_sizes=\(\d+,\) needs about .* GiB .* available"):
        MLPClassifier(hidden_layer_sizes=(width,), dtype="float64").fit(X, y)  # not a MemoryError
