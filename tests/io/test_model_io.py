"""Model files: exact round trips, and every kind of damaged or tampered file refused with ModelFileError."""

import hashlib
import json
import pickle

import numpy as np
import pandas as pd
import pytest
import safetensors.numpy

import crossentropy as ce
from crossentropy.preprocessing import TabularPreprocessor
from crossentropy.exceptions import ModelFileError
from crossentropy.model_io import load_model_bundle, save_model


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(120, 4))
    y2 = np.where(X @ [1.0, -1.0, 0.5, 0.0] + rng.logistic(size=120) > 0, "yes", "no")
    y3 = np.argmax(X[:, :3] + rng.normal(scale=0.7, size=(120, 3)), axis=1) * 10
    return X, y2, y3


def _fitted(kind, X, y):
    if kind == "logistic":
        return ce.LogisticRegression(C=0.5).fit(X, y)
    if kind == "logistic-sgd":
        return ce.LogisticRegression(solver="sgd", max_iter=5, random_state=0).fit(X, y)
    dtype = "float64" if kind == "mlp64" else "float32"
    return ce.MLPClassifier(hidden_layer_sizes=(5, 3), max_iter=30, random_state=0, dtype=dtype,
                            early_stopping=kind == "mlp-es").fit(X, y)


KINDS = ["logistic", "logistic-sgd", "mlp", "mlp64", "mlp-es"]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("labels", ["binary-str", "multiclass-int"])
def test_round_trip_gives_identical_predictions_and_state(tmp_path, data, kind, labels):
    X, y2, y3 = data
    y = y2 if labels == "binary-str" else y3
    est = _fitted(kind, X, y)
    path = save_model(est, tmp_path / "m")
    assert path == tmp_path / "m" / "model.json"
    for where in (tmp_path / "m", path, tmp_path / "m" / "model.safetensors"):
        back = ce.load_model(where)
        assert type(back) is type(est)
        np.testing.assert_array_equal(back.predict_proba(X), est.predict_proba(X))
        np.testing.assert_array_equal(back.predict(X), est.predict(X))
    assert back.get_params() == est.get_params()
    np.testing.assert_array_equal(back.classes_, est.classes_)
    assert back.classes_.dtype.kind == est.classes_.dtype.kind
    assert back.n_features_in_ == est.n_features_in_
    assert not hasattr(back, "feature_names_in_")
    assert back.loss_curve_ == list(est.loss_curve_)
    if kind.startswith("mlp"):
        for a, b in zip(back.coefs_ + back.intercepts_, est.coefs_ + est.intercepts_):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
        assert back.validation_loss_curve_ == est.validation_loss_curve_
        assert back.n_iter_ == est.n_iter_
    else:
        np.testing.assert_array_equal(back.coef_, est.coef_)
        np.testing.assert_array_equal(back.intercept_, est.intercept_)
        assert back.converged_ == est.converged_


def test_loading_never_unpickles(tmp_path, data, monkeypatch):
    X, y2, _ = data
    est = _fitted("logistic", X, y2)
    save_model(est, tmp_path)

    def boom(*args, **kwargs):
        raise AssertionError("pickle used")

    monkeypatch.setattr(pickle, "loads", boom)
    monkeypatch.setattr(pickle, "load", boom)
    np.testing.assert_array_equal(ce.load_model(tmp_path).predict_proba(X), est.predict_proba(X))


def test_preprocessing_and_extra_round_trip(tmp_path):
    frame = pd.DataFrame({"a": [1.0, 2.0, None, 4.0, 5.0, 6.0], "c": ["x", "y", "x", None, "y", "x"],
                          "t": ["p", "q", "p", "q", "q", "p"]})
    prep = TabularPreprocessor("t", missing="impute", impute_strategy="median").fit(frame)
    X = prep.transform(frame)
    est = ce.LogisticRegression().fit(X, prep.target_values(frame))
    save_model(est, tmp_path, preprocessing=prep, extra={"note": "hello", "scores": [1, 2.5]})
    bundle = load_model_bundle(tmp_path)
    assert bundle.extra == {"note": "hello", "scores": [1, 2.5]}
    assert bundle.metadata["feature_names"] == ["a", "c=x", "c=y"]
    assert bundle.preprocessing.to_state() == prep.to_state()
    np.testing.assert_array_equal(bundle.preprocessing.transform(frame), X)
    assert bundle.metadata["package_version"] == ce.__version__


# ---------------------------------------------------------------------------------------------- damage
@pytest.fixture
def saved(tmp_path, data):
    X, y2, _ = data
    save_model(_fitted("logistic", X, y2), tmp_path)
    return tmp_path


def _rewrite_json(folder, change):
    path = folder / "model.json"
    meta = json.loads(path.read_text())
    change(meta)
    path.write_text(json.dumps(meta))


def _rewrite_arrays(folder, change):
    """Replace the arrays and fix the recorded hash and manifest: a deliberate, consistent tamper."""
    arrays = safetensors.numpy.load_file(folder / "model.safetensors")
    change(arrays)
    blob = safetensors.numpy.save(arrays)
    (folder / "model.safetensors").write_bytes(blob)

    def fix(meta):
        meta["arrays_sha256"] = hashlib.sha256(blob).hexdigest()
        meta["arrays"] = {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in arrays.items()}

    _rewrite_json(folder, fix)


def test_flipped_byte_in_the_arrays_is_detected(saved):
    blob = bytearray((saved / "model.safetensors").read_bytes())
    blob[-3] ^= 0x01
    (saved / "model.safetensors").write_bytes(bytes(blob))
    with pytest.raises(ModelFileError, match="SHA-256"):
        ce.load_model(saved)


@pytest.mark.parametrize("name, keep, match", [
    ("model.safetensors", 0.5, "SHA-256"),
    ("model.safetensors", 0.0, "SHA-256"),
    ("model.json", 0.5, "not valid model JSON"),
    ("model.json", 0.0, "not valid model JSON"),
])
def test_truncated_files_are_refused(saved, name, keep, match):
    path = saved / name
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * keep)])
    with pytest.raises(ModelFileError, match=match):
        ce.load_model(saved)


@pytest.mark.parametrize("name", ["model.json", "model.safetensors"])
def test_missing_files_are_refused(saved, name):
    (saved / name).unlink()
    with pytest.raises(ModelFileError, match="not found"):
        ce.load_model(saved)


def test_garbage_with_a_matching_hash_is_not_a_safetensors_file(saved):
    blob = b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}"
    (saved / "model.safetensors").write_bytes(blob)
    _rewrite_json(saved, lambda m: m.__setitem__("arrays_sha256", hashlib.sha256(blob).hexdigest()))
    with pytest.raises(ModelFileError, match="not a valid safetensors file"):
        ce.load_model(saved)


@pytest.mark.parametrize("change, match", [
    (lambda m: m.__setitem__("estimator", "os.system"), "unknown estimator class"),
    (lambda m: m.__setitem__("estimator", "Pipeline"), "unknown estimator class"),
    (lambda m: m["params"].__setitem__("evil", 1), "unknown parameters"),
    (lambda m: m["params"].__setitem__("C", "abc"), "invalid parameters"),
    (lambda m: m["params"].__setitem__("solver", {"__class__": "x"}), "not a plain value"),
    (lambda m: m.__setitem__("classes_dtype", "int"), "classes"),
    (lambda m: m.__setitem__("classes", ["yes", "no"]), "sorted and distinct"),
    (lambda m: m.__setitem__("classes", ["no"]), "at least two"),
    (lambda m: m.__setitem__("classes", ["a", "no", "yes"]), "coef_ must have shape"),
    (lambda m: m.__setitem__("n_features_in", 5), "coef_ must have shape"),
    (lambda m: m.__setitem__("n_features_in", "4"), "n_features_in"),
    (lambda m: m.__setitem__("format_version", 99), "format_version"),
    (lambda m: m.__setitem__("format", "pickle"), "not a crossentropy model"),
    (lambda m: m.__setitem__("surprise", 1), "unknown fields"),
    (lambda m: m.pop("params"), "missing fields"),
    (lambda m: m.__setitem__("arrays_file", "../other.safetensors"), "arrays_file"),
    (lambda m: m.__setitem__("arrays_sha256", "0" * 64), "SHA-256"),
    (lambda m: m["attributes"].__setitem__("n_iter_", "7"), "wrong type"),
    (lambda m: m["attributes"].__setitem__("__dict__", 1), "unknown attribute"),
    (lambda m: m["arrays"]["coef_"].__setitem__("shape", [4, 1]), "shape"),
    (lambda m: m.__setitem__("feature_names", ["a"]), "feature_names"),
])
def test_tampered_metadata_is_refused(saved, change, match):
    _rewrite_json(saved, change)
    with pytest.raises(ModelFileError, match=match):
        ce.load_model(saved)


def test_non_finite_numbers_in_the_json_are_refused(saved):
    path = saved / "model.json"
    path.write_text(path.read_text().replace('"C": 0.5', '"C": NaN'))
    with pytest.raises(ModelFileError, match="not valid model JSON"):
        ce.load_model(saved)


@pytest.mark.parametrize("change, match", [
    (lambda a: a.__setitem__("coef_", np.zeros((1, 5))), "coef_ must have shape"),
    (lambda a: a.__setitem__("intercept_", np.zeros(2)), "intercept_ must have shape"),
    (lambda a: a.__setitem__("coef_", np.full((1, 4), np.nan)), "NaN or inf"),
    (lambda a: a.__setitem__("coef_", np.zeros((1, 4), dtype=np.int64)), "dtype"),
    (lambda a: a.pop("coef_"), "required array"),
    (lambda a: a.__setitem__("payload", np.zeros(3)), "unexpected arrays"),
])
def test_consistently_tampered_arrays_are_refused(saved, change, match):
    _rewrite_arrays(saved, change)
    with pytest.raises(ModelFileError, match=match):
        ce.load_model(saved)


def test_tampered_preprocessing_is_refused(tmp_path):
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "c": ["x", "y", "x", "y"], "t": [0, 1, 0, 1]})
    prep = TabularPreprocessor("t").fit(frame)
    save_model(ce.LogisticRegression().fit(prep.transform(frame), prep.target_values(frame)), tmp_path,
               preprocessing=prep)
    for change, match in [
        (lambda p: p["columns"][1].__setitem__("categories", ["y", "x"]), "sorted distinct"),
        (lambda p: p["columns"][0].__setitem__("scale", -1.0), "positive scale"),
        (lambda p: p["columns"][0].__setitem__("kind", "code"), "unknown kind"),
        (lambda p: p.__setitem__("classes", [0, 2]), "classes differ"),
        (lambda p: p["columns"][1].__setitem__("categories", ["x", "y", "z"]), "differ from feature_names"),
    ]:
        good = (tmp_path / "model.json").read_text()
        _rewrite_json(tmp_path, lambda m: change(m["preprocessing"]))
        with pytest.raises(ModelFileError, match=match):
            load_model_bundle(tmp_path)
        (tmp_path / "model.json").write_text(good)
    load_model_bundle(tmp_path)  # the untouched file still loads


# ---------------------------------------------------------------------------------------------- saving
def test_save_refuses_foreign_unfitted_or_unstorable_estimators(tmp_path, data):
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    X, y2, _ = data
    with pytest.raises(TypeError, match="estimator must be one of"):
        save_model(SkLogisticRegression().fit(X, y2), tmp_path / "a")
    with pytest.raises(ValueError, match="fitted"):
        save_model(ce.LogisticRegression(), tmp_path / "b")
    est = ce.LogisticRegression(random_state=np.random.RandomState(0)).fit(X, y2)
    with pytest.raises(TypeError, match="random_state"):
        save_model(est, tmp_path / "c")
    assert not any(tmp_path.iterdir())


def test_a_failed_save_leaves_no_files_and_keeps_the_old_model(tmp_path, data, monkeypatch):
    import crossentropy.io.atomic as atomic

    X, y2, _ = data
    old = _fitted("logistic", X, y2)
    save_model(old, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_replace = atomic.os.replace
    calls = []

    def fail_second(src, dst):  # the arrays are replaced, then writing the JSON fails
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", fail_second)
    with pytest.raises(OSError, match="disk full"):
        save_model(ce.LogisticRegression(C=0.01).fit(X, y2), tmp_path)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before)  # no temporary files left
    assert (tmp_path / "model.json").read_bytes() == before["model.json"]
    with pytest.raises(ModelFileError, match="SHA-256"):  # the new arrays with the old JSON are refused
        ce.load_model(tmp_path)


def test_saved_files_get_the_usual_permissions_not_mkstemps_0600(tmp_path, data):
    import os
    import stat

    X, y2, _ = data
    mask = os.umask(0o022)
    os.umask(mask)
    save_model(_fitted("logistic", X, y2), tmp_path / "m")
    for name in ("model.json", "model.safetensors"):
        assert stat.S_IMODE((tmp_path / "m" / name).stat().st_mode) == 0o666 & ~mask


def test_feature_names_in_survive_the_round_trip(tmp_path, data):
    X, y2, _ = data
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    est = ce.LogisticRegression().fit(frame, y2)
    save_model(est, tmp_path)
    back = ce.load_model(tmp_path)
    np.testing.assert_array_equal(back.feature_names_in_, ["a", "b", "c", "d"])
    np.testing.assert_array_equal(back.predict_proba(frame), est.predict_proba(frame))
    with pytest.raises(ValueError, match="feature names"):  # the estimator's own check, as before saving
        back.predict_proba(frame.rename(columns={"a": "z"}))
    _rewrite_json(tmp_path, lambda m: m.__setitem__("feature_names", None))
    with pytest.raises(ModelFileError, match="feature_names_in"):
        ce.load_model(tmp_path)
