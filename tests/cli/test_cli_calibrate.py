"""``crossentropy calibrate``, ``train --tune-threshold`` and the report's calibration sections, against oracles.

Oracles: scikit-learn's ``FrozenEstimator`` + the library's ``CalibratedClassifier`` fitted in the test on
the rows that ``load_pipeline``'s transformer gives (each calibrator is itself tested against
scikit-learn, betacal's definition and ``venn-abers`` in tests/calibration/); scikit-learn's
``TunedThresholdClassifierCV`` for the tuned threshold; scikit-learn's ``log_loss``/``accuracy_score``/
``brier_score_loss`` for the bootstrap's point values, and a bootstrap written out in the test.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
import safetensors.numpy
from sklearn.frozen import FrozenEstimator

import crossentropy as ce
from crossentropy.calibration import CalibratedClassifier
from crossentropy.cli import main
from crossentropy.exceptions import ModelFileError
from crossentropy.io.model_schema import metadata_digest

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

METHODS = ("temperature", "sigmoid", "isotonic", "beta", "venn-abers")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two trained runs (binary breast cancer, 3-class wine) and their held-out calibration tables."""
    from sklearn.datasets import load_breast_cancer, load_wine

    root = tmp_path_factory.mktemp("calibrate")
    out = {}
    for name, loader, n_train in (("binary", load_breast_cancer, 300), ("multiclass", load_wine, 90)):
        b = loader(as_frame=True)
        frame = b.frame.rename(columns={"target": "label"})
        frame["label"] = np.asarray(b.target_names)[b.target]
        frame = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
        train, cal = root / f"{name}_train.csv", root / f"{name}_cal.csv"
        frame.iloc[:n_train].to_csv(train, index=False)
        frame.iloc[n_train:].to_csv(cal, index=False)
        run = root / f"{name}_run"
        assert main(["train", str(train), "--target", "label", "--no-plots", "--out", str(run)]) == 0
        out[name] = {"run": run, "cal": cal, "root": root}
    return out


def _oracle(run, cal, method):
    """The calibrated probabilities of the table ``cal``: the run's transformer, then CalibratedClassifier."""
    pipe = ce.load_pipeline(run)
    frame = pd.read_csv(cal)
    X = pipe[0].transform(frame.drop(columns="label"))
    model = pipe[-1]
    cc = CalibratedClassifier(FrozenEstimator(model), method=method).fit(X, frame["label"].to_numpy())
    return cc.predict_proba(X), cc


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
@pytest.mark.parametrize("method", METHODS)
def test_calibrated_run_predicts_the_calibrated_probabilities(runs, kind, method, tmp_path):
    r = runs[kind]
    new = tmp_path / "new"
    assert main(["calibrate", str(r["run"]), str(r["cal"]), "--method", method, "--out", str(new)]) == 0
    expected, _ = _oracle(r["run"], r["cal"], method)
    assert main(["predict", str(new), str(r["cal"]), "--proba", "--out", str(tmp_path / "p.csv")]) == 0
    got = pd.read_csv(tmp_path / "p.csv")
    classes = sorted(pd.read_csv(r["cal"])["label"].unique())
    np.testing.assert_allclose(got[[f"proba_{c}" for c in classes]].to_numpy(), expected, rtol=0, atol=1e-9)
    assert main(["evaluate", str(new), str(r["cal"]), "--out", str(tmp_path / "m.json")]) == 0
    from sklearn.metrics import log_loss

    y = pd.read_csv(r["cal"])["label"]
    assert json.loads((tmp_path / "m.json").read_text())["log_loss"] == pytest.approx(
        log_loss(y, expected, labels=classes), abs=1e-9)
    meta = json.loads((new / "model.json").read_text())
    assert meta["calibration"]["method"] == method
    assert meta["calibration"]["data_sha256"] == hashlib.sha256(r["cal"].read_bytes()).hexdigest()
    assert meta["calibration"]["n_rows"] == y.size


# ------------------------------------------------------------------------------------- model files
@pytest.fixture(scope="module")
def fitted(runs):
    """Per (kind, method): the model, its calibrator fitted on the calibration rows, and those rows."""
    out = {}
    for kind in ("binary", "multiclass"):
        r = runs[kind]
        for method in METHODS:
            _, cc = _oracle(r["run"], r["cal"], method)
            out[kind, method] = cc
    return out


def _save(cc, folder, method):
    from crossentropy.io.model_files import save_model

    record = {"method": method, "vector": False, "data": "cal.csv", "data_sha256": None, "n_rows": 10}
    save_model(cc.calibrated_classifiers_[0][0].estimator, folder, calibration=(record, cc.calibrated_classifiers_[0][1]))


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
@pytest.mark.parametrize("method", METHODS)
def test_each_calibrator_round_trips_exactly(fitted, kind, method, tmp_path):
    from crossentropy.io.model_calibration import calibration_arrays

    cc = fitted[kind, method]
    _save(cc, tmp_path, method)
    loaded = ce.load_model(tmp_path)
    before = calibration_arrays(cc.calibrated_classifiers_[0][1], method)
    after = calibration_arrays(loaded.calibrated_classifiers_[0][1], method)
    assert before.keys() == after.keys()
    for k in before:
        np.testing.assert_array_equal(before[k], after[k])
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, cc.n_features_in_))
    np.testing.assert_array_equal(loaded.predict_proba(X), cc.predict_proba(X))


def _tamper(folder, change_arrays=None, change_meta=None):
    """A deliberate, consistent tamper: every hash and the manifest recomputed after the change."""
    arrays = safetensors.numpy.load_file(folder / "model.safetensors")
    if change_arrays:
        change_arrays(arrays)
    blob = safetensors.numpy.save(arrays)
    (folder / "model.safetensors").write_bytes(blob)
    meta = json.loads((folder / "model.json").read_text())
    meta["arrays_sha256"] = hashlib.sha256(blob).hexdigest()
    meta["arrays"] = {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in arrays.items()}
    if change_meta:
        change_meta(meta)
    meta["metadata_sha256"] = metadata_digest(meta)
    (folder / "model.json").write_text(json.dumps(meta))


def _set(key, value):
    return lambda a: a.__setitem__(key, np.asarray(value, dtype=np.float64))


TAMPERS = {
    "temperature": [(_set("calibration.temperature", [-1.0]), None, "positive"),
                    (_set("calibration.temperature", [1.0, 2.0]), None, "shape")],
    "sigmoid": [(_set("calibration.params", [[1.0, 0.0, 0.0]]), None, "shape"),
                (lambda a: a.pop("calibration.params"), None, "missing")],
    "beta": [(_set("calibration.params", [[-1.0, 1.0, 0.0]]), None, "a, b >= 0")],
    "isotonic": [(_set("calibration.X_thresholds.0", [0.5, 0.2, 0.9]), None, "shape|strictly increasing"),
                 (lambda a: (a.__setitem__("calibration.X_thresholds.0", np.array([0.1, 0.2, 0.3])),
                             a.__setitem__("calibration.y_thresholds.0", np.array([0.5, 0.2, 0.9]))), None,
                  "non-decreasing"),
                 (lambda a: (a.__setitem__("calibration.X_thresholds.0", np.array([0.1, 0.1, 0.3])),
                             a.__setitem__("calibration.y_thresholds.0", np.array([0.1, 0.2, 0.9]))), None,
                  "strictly increasing"),
                 (lambda a: (a.__setitem__("calibration.X_thresholds.0", np.array([0.1, 0.2])),
                             a.__setitem__("calibration.y_thresholds.0", np.array([0.1, 1.5]))), None, "in \\[0, 1\\]")],
    "venn-abers": [(lambda a: a.__setitem__("calibration.weights.0", 0 * a["calibration.weights.0"]), None, "positive"),
                   (lambda a: a.__setitem__("calibration.scores.0", a["calibration.scores.0"][::-1].copy()), None,
                    "strictly increasing"),
                   (_set("calibration.extra", [1.0]), None, "unexpected")],
}


@pytest.mark.parametrize("method,case", [(m, i) for m, cases in TAMPERS.items() for i in range(len(cases))])
def test_tampered_calibration_is_refused(fitted, method, case, tmp_path):
    change_arrays, change_meta, message = TAMPERS[method][case]
    _save(fitted["binary", method], tmp_path, method)
    _tamper(tmp_path, change_arrays, change_meta)
    with pytest.raises(ModelFileError, match=message):
        ce.load_model(tmp_path)


@pytest.mark.parametrize("change,message", [
    (lambda m: m["calibration"].__setitem__("method", "pickle"), "unknown calibration method"),
    (lambda m: m["calibration"].__setitem__("n_rows", -3), "n_rows"),
    (lambda m: m["calibration"].__setitem__("code", "import os"), "exactly the keys"),
    (lambda m: m.pop("calibration"), "without a calibration record"),
])
def test_tampered_calibration_record_is_refused(fitted, change, message, tmp_path):
    _save(fitted["binary", "sigmoid"], tmp_path, "sigmoid")
    _tamper(tmp_path, change_meta=change)
    with pytest.raises(ModelFileError, match=message):
        ce.load_model(tmp_path)


def test_an_edited_calibration_without_new_hashes_is_refused(fitted, tmp_path):
    _save(fitted["binary", "temperature"], tmp_path, "temperature")
    meta = json.loads((tmp_path / "model.json").read_text())
    meta["calibration"]["method"] = "sigmoid"
    (tmp_path / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="metadata_sha256|calibration array"):
        ce.load_model(tmp_path)


# ------------------------------------------------------------------------------------------ errors
def test_errors_write_nothing(runs, tmp_path, capsys):
    r = runs["binary"]
    new = tmp_path / "new"
    new.mkdir()
    (new / "keep.txt").write_text("x")
    capsys.readouterr()
    assert main(["calibrate", str(r["run"]), str(r["cal"]), "--method", "beta", "--out", str(new)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--force" in err and sorted(p.name for p in new.iterdir()) == ["keep.txt"]
    before = sorted(p.name for p in r["run"].iterdir())
    assert main(["calibrate", str(r["run"]), str(r["cal"]), "--method", "beta", "--out", str(r["run"]), "--force"]) == 2
    assert "RUN's directory" in capsys.readouterr().err and sorted(p.name for p in r["run"].iterdir()) == before
    one_class = tmp_path / "one.csv"
    pd.read_csv(r["cal"]).query("label == 'benign'").to_csv(one_class, index=False)
    assert main(["calibrate", str(r["run"]), str(one_class), "--method", "beta", "--out", str(tmp_path / "x")]) == 2
    assert "no row of the class" in capsys.readouterr().err and not (tmp_path / "x").exists()
    done = tmp_path / "done"
    assert main(["calibrate", str(r["run"]), str(r["cal"]), "--method", "sigmoid", "--out", str(done)]) == 0
    assert main(["calibrate", str(done), str(r["cal"]), "--method", "sigmoid", "--out", str(tmp_path / "y")]) == 2
    assert "already calibrated" in capsys.readouterr().err and not (tmp_path / "y").exists()


# --------------------------------------------------------------------------------- tuned threshold
@pytest.mark.parametrize("objective,scoring", [("f1", "f1"), ("cost:1,5", (1.0, 5.0))])
def test_tuned_threshold_equals_scikit_learn(runs, objective, scoring, tmp_path):
    from sklearn.metrics import f1_score, make_scorer
    from sklearn.model_selection import TunedThresholdClassifierCV

    r = runs["binary"]
    train = r["root"] / "binary_train.csv"
    run = tmp_path / "run"
    assert main(["train", str(train), "--target", "label", "--tune-threshold", objective, "--out", str(run)]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    pipe = ce.load_pipeline(run)
    frame = pd.read_csv(train).iloc[json.loads((run / "split.json").read_text())["train_rows"]]
    X, y = pipe[0].transform(frame.drop(columns="label")), frame["label"].to_numpy()
    if scoring == "f1":
        scorer = make_scorer(f1_score, pos_label="malignant")
    else:
        def neg_cost(y_true, y_pred):
            return -np.mean(scoring[0] * ((y_true != "malignant") & (y_pred == "malignant"))
                            + scoring[1] * ((y_true == "malignant") & (y_pred != "malignant")))
        scorer = make_scorer(neg_cost)
    oracle = TunedThresholdClassifierCV(ce.LogisticRegression(**pipe[-1].get_params()), scoring=scorer, cv=5).fit(X, y)
    assert metrics["threshold"] == pytest.approx(oracle.best_threshold_, abs=1e-12)
    assert metrics["threshold_tuning"]["best_score"] == pytest.approx(oracle.best_score_, abs=1e-12)
    assert (run / "threshold_curve.png").stat().st_size > 1000
    assert "id='threshold-tuning'" in (run / "report.html").read_text()
    # predict decides with the tuned threshold
    assert main(["predict", str(run), str(train), "--proba", "--out", str(tmp_path / "p.csv")]) == 0
    p = pd.read_csv(tmp_path / "p.csv")
    np.testing.assert_array_equal(p["prediction"] == "malignant", p["proba_malignant"] >= metrics["threshold"])
    if objective == "f1":  # calibrated, the run forgets the threshold of the uncalibrated probabilities
        new = tmp_path / "new"
        assert main(["calibrate", str(run), str(r["cal"]), "--method", "sigmoid", "--out", str(new)]) == 0
        assert json.loads((new / "metrics.json").read_text())["threshold"] is None
        assert main(["predict", str(new), str(r["cal"]), "--proba", "--out", str(tmp_path / "q.csv")]) == 0
        q = pd.read_csv(tmp_path / "q.csv")
        np.testing.assert_array_equal(q["prediction"] == "malignant", q["proba_malignant"] > q["proba_benign"])


def test_tune_threshold_refused_before_work(capsys, tmp_path):
    assert main(["train", "--dataset", "iris", "--model", "mlp", "--tune-threshold", "f1", "--out", str(tmp_path / "a")]) == 2
    assert main(["train", "--dataset", "breast_cancer", "--tune-threshold", "f1", "--threshold", "0.3",
                 "--out", str(tmp_path / "b")]) == 2
    assert main(["train", "--dataset", "breast_cancer", "--tune-threshold", "cost:1", "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and "--model logistic" in err[0] and "--threshold" in err[1] and "cost:FP,FN" in err[2]
    assert not any((tmp_path / n).exists() for n in "abc")


# ------------------------------------------------------------------------------- report's numbers
def test_bootstrap_intervals_equal_a_direct_bootstrap(runs, tmp_path):
    from sklearn.metrics import accuracy_score, brier_score_loss, log_loss

    r = runs["binary"]
    full = tmp_path / "full.csv"
    pd.concat([pd.read_csv(r["root"] / "binary_train.csv"), pd.read_csv(r["cal"])]).to_csv(full, index=False)
    run = tmp_path / "run"
    assert main(["train", str(full), "--target", "label", "--test-size", "0.3", "--seed", "3", "--no-plots",
                 "--out", str(run)]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    rep = metrics["calibration_report"]
    frame = pd.read_csv(full).iloc[json.loads((run / "split.json").read_text())["test_rows"]]
    pipe = ce.load_pipeline(run)
    p, y = pipe.predict_proba(frame.drop(columns="label")), frame["label"].to_numpy()
    classes = pipe[-1].classes_
    pred = classes[p.argmax(axis=1)]
    n = y.size
    assert rep["n"] == n >= 100 and not rep["small"]
    values = {"log_loss": -np.log(p[np.arange(n), np.searchsorted(classes, y)]), "accuracy": (pred == y) * 1.0,
              "brier": (p[:, 1] - (y == classes[1])) ** 2}
    idx = np.random.default_rng(3).integers(0, n, size=(1000, n))
    points = {"log_loss": log_loss(y, p, labels=classes), "accuracy": accuracy_score(y, pred),
              "brier": brier_score_loss(y == classes[1], p[:, 1])}
    for k, v in values.items():
        low, high = np.quantile(v[idx].mean(axis=1), [0.025, 0.975])
        got = rep["bootstrap"][k]
        assert got["value"] == pytest.approx(points[k], abs=1e-12)
        assert got["low"] == pytest.approx(low, abs=1e-12) and got["high"] == pytest.approx(high, abs=1e-12)
        assert got["low"] <= got["value"] <= got["high"]
    assert rep["ece"]["low"] <= rep["ece"]["value"] <= rep["ece"]["high"]
    page = (run / "report.html").read_text()
    for sid in ("headline-text", "bootstrap", "ece", "decisions"):
        assert f"id='{sid}'" in page
    assert f"{rep['bootstrap']['log_loss']['low']:.4f}" in page and "too-few-rows" not in page


def test_fewer_than_100_rows_say_so_instead_of_drawing(runs, tmp_path):
    r = runs["multiclass"]  # 178 - 90 = 88 calibration rows
    new = tmp_path / "new"
    assert main(["calibrate", str(r["run"]), str(r["cal"]), "--method", "temperature", "--out", str(new)]) == 0
    page = (new / "report.html").read_text()
    assert "id='too-few-rows'" in page and "too noisy to read" in page
    assert not (new / "reliability_calibration.png").exists() and "reliability_calibration.png" not in page
    rep = json.loads((new / "metrics.json").read_text())["calibration"]["report"]
    assert rep["small"] and "ece" not in rep and rep["n"] == 88
