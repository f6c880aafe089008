"""Model files of ``OrdinalRegression``: exact round trips (levels in their own order, not sorted), and
damaged, tampered or inconsistent files refused with ModelFileError, as for the other models.

The oracle of a round trip is the fitted model itself: the loaded one must give bit-identical
``predict_proba``; the oracle of a refusal is the definition of a valid ordinal model (d coefficients,
J - 1 finite, strictly increasing thresholds, a link of the model, levels equal to ``order``)."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from test_model_io import _rewrite_arrays, _rewrite_json  # tests/io is on the path (pytest's rootdir import)

import crossentropy as ce
from crossentropy.exceptions import ModelFileError
from crossentropy.model_io import load_model_bundle, save_model
from crossentropy.preprocessing import TabularPreprocessor

LEVELS = ("low", "mid", "high")  # not in sorted order: the file must keep the levels' own order


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(150, 3))
    eta = X @ [1.0, -0.5, 0.25] + rng.logistic(size=150)
    y = np.asarray(LEVELS)[np.digitize(eta, [-0.7, 0.8])]
    return X, y


def _check_same(back, est, X):
    assert type(back) is ce.OrdinalRegression
    np.testing.assert_array_equal(back.predict_proba(X), est.predict_proba(X))
    np.testing.assert_array_equal(back.predict(X), est.predict(X))
    np.testing.assert_array_equal(back.coef_, est.coef_)
    np.testing.assert_array_equal(back.thresholds_, est.thresholds_)
    assert back.classes_.tolist() == est.classes_.tolist() and back.classes_.dtype.kind == est.classes_.dtype.kind
    assert (back.n_iter_, back.converged_, back.loss_curve_) == (est.n_iter_, est.converged_, list(est.loss_curve_))
    assert {k: v for k, v in back.get_params().items() if k != "order"} == \
        {k: v for k, v in est.get_params().items() if k != "order"}
    assert (back.order is None) == (est.order is None)
    if est.order is not None:
        assert list(back.order) == list(est.order)


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
@pytest.mark.parametrize("penalty", [None, "l2"])
def test_round_trip_keeps_the_levels_order_and_gives_identical_probabilities(tmp_path, data, link, penalty):
    X, y = data
    est = ce.OrdinalRegression(link=link, penalty=penalty, C=0.3, order=list(LEVELS)).fit(X, y)
    save_model(est, tmp_path)
    assert json.loads((tmp_path / "model.json").read_text())["classes"] == list(LEVELS)
    for where in (tmp_path, tmp_path / "model.json", tmp_path / "model.safetensors"):
        _check_same(ce.load_model(where), est, X)


def test_round_trip_of_integer_levels_an_ordered_categorical_and_an_array_order(tmp_path, data):
    X, y = data
    codes = np.searchsorted(np.asarray(["high", "low", "mid"]), y) * 10  # high=0, low=10, mid=20
    est = ce.OrdinalRegression().fit(X, codes)  # default: numeric order
    save_model(est, tmp_path / "int")
    _check_same(ce.load_model(tmp_path / "int"), est, X)
    cat = pd.Series(pd.Categorical(y, categories=list(LEVELS), ordered=True))
    est = ce.OrdinalRegression().fit(pd.DataFrame(X, columns=["a", "b", "c"]), cat)  # order None, classes not sorted
    save_model(est, tmp_path / "cat")
    back = ce.load_model(tmp_path / "cat")
    _check_same(back, est, pd.DataFrame(X, columns=["a", "b", "c"]))
    assert back.feature_names_in_.tolist() == ["a", "b", "c"]
    est = ce.OrdinalRegression(order=np.asarray(LEVELS)).fit(X, y)  # an array order is stored as a list
    save_model(est, tmp_path / "arr")
    _check_same(ce.load_model(tmp_path / "arr"), est, X)


def test_round_trip_with_treatment_coded_preprocessing(tmp_path):
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"x": rng.normal(size=90) * 3 + 1, "c": rng.choice(["u", "v", "w"], 90)})
    eta = frame["x"] + (frame["c"] == "w") + rng.logistic(size=90)
    frame["t"] = np.asarray(LEVELS)[np.digitize(eta, [0.0, 2.0])]
    prep = TabularPreprocessor("t", drop_reference=True, reference={"c": "v"}).fit(frame)
    assert prep.feature_names_ == ["x", "c=u", "c=w"]  # the full one-hot set would sum to the thresholds' constant
    np.testing.assert_array_equal(prep.transform(frame)[:, 1:], pd.get_dummies(frame["c"]).drop(columns="v"))
    X = prep.transform(frame)
    est = ce.OrdinalRegression(order=list(LEVELS)).fit(X, prep.target_values(frame))
    save_model(est, tmp_path, preprocessing=prep)
    bundle = load_model_bundle(tmp_path)
    assert bundle.preprocessing.to_state() == prep.to_state() and bundle.preprocessing.drop_reference
    np.testing.assert_array_equal(bundle.estimator.predict_proba(bundle.preprocessing.transform(frame)),
                                  est.predict_proba(X))
    pipe = ce.load_pipeline(tmp_path)
    np.testing.assert_array_equal(pipe.predict_proba(frame), est.predict_proba(X))
    assert pipe.classes_.tolist() == list(LEVELS)
    refit = clone(pipe).fit(frame.drop(columns="t"), frame["t"])  # the transformer keeps the coding
    np.testing.assert_allclose(refit.predict_proba(frame), est.predict_proba(X), rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------------------------- damage
@pytest.fixture
def saved(tmp_path, data):
    X, y = data
    save_model(ce.OrdinalRegression(order=list(LEVELS)).fit(X, y), tmp_path)
    return tmp_path


@pytest.mark.parametrize("change, match", [
    (lambda m: m["params"].__setitem__("link", "logistic"), "invalid parameters.*link"),
    (lambda m: m["params"].__setitem__("link", None), "invalid parameters.*link"),
    (lambda m: m["params"].__setitem__("penalty", "l1"), "invalid parameters.*penalty"),
    (lambda m: m["params"].__setitem__("C", -1.0), "invalid parameters.*C"),
    (lambda m: m["params"].__setitem__("order", {"low": 0}), "order must be null or a list of labels"),
    (lambda m: m["params"].__setitem__("order", [["low"], "mid", "high"]), "order must be null or a list of labels"),
    (lambda m: m["params"].__setitem__("order", ["low", "high", "mid"]), "differs from the classes"),
    (lambda m: m["params"].__setitem__("order", ["low", "mid"]), "differs from the classes"),
    (lambda m: m.__setitem__("classes", ["low", "high", "mid"]), "differs from the classes"),
    (lambda m: m.__setitem__("classes", ["low", "mid", "mid"]), "distinct"),
    (lambda m: m.__setitem__("classes", ["low", "mid", "high", "top"]), "thresholds_ must have shape"),
    (lambda m: m.__setitem__("n_features_in", 4), "coef_ must have shape"),
    (lambda m: m["attributes"].__setitem__("converged_", "yes"), "wrong type"),
    (lambda m: m["attributes"].__setitem__("solver_", "newton"), "unknown attribute"),
    (lambda m: m["arrays"]["thresholds_"].__setitem__("shape", [1, 2]), "has shape"),
])
def test_tampered_metadata_is_refused(saved, change, match):
    _rewrite_json(saved, change)
    with pytest.raises(ModelFileError, match=match):
        ce.load_model(saved)


@pytest.mark.parametrize("change, match", [
    (lambda a: a.__setitem__("thresholds_", a["thresholds_"][::-1].copy()), "strictly increasing"),
    (lambda a: a.__setitem__("thresholds_", np.array([0.5, 0.5])), "strictly increasing"),
    (lambda a: a.__setitem__("thresholds_", np.array([0.5, np.inf])), "NaN or inf"),
    (lambda a: a.__setitem__("thresholds_", np.array([np.nan, 1.0])), "NaN or inf"),
    (lambda a: a.__setitem__("thresholds_", np.zeros(3)), "thresholds_ must have shape"),
    (lambda a: a.__setitem__("coef_", np.zeros((1, 3))), "coef_ must have shape"),
    (lambda a: a.__setitem__("coef_", np.zeros(4)), "coef_ must have shape"),
    (lambda a: a.pop("thresholds_"), "required array"),
    (lambda a: a.__setitem__("intercept_", np.zeros(1)), "unexpected arrays"),
])
def test_consistently_tampered_arrays_are_refused(saved, change, match):
    _rewrite_arrays(saved, change)
    with pytest.raises(ModelFileError, match=match):
        ce.load_model(saved)


def test_an_untouched_file_loads_after_the_refusals(saved, data):
    X, _ = data
    assert ce.load_model(saved).predict_proba(X).shape == (X.shape[0], 3)
