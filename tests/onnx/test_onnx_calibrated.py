"""Calibrated runs (``crossentropy calibrate``'s files) exported: every calibration method, two classes
and three, onnxruntime against the saved run's ``load_pipeline(...).predict_proba``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from onnx_runs import save_run, with_gaps

from crossentropy import LogisticRegression, MLPClassifier, OrdinalRegression
from crossentropy.calibration import CalibratedClassifier
from crossentropy.onnx import TOLERANCES, input_feed, probability_difference, session, to_onnx
from crossentropy.preprocessing import TabularPreprocessor

METHODS = [("temperature", False), ("temperature", True), ("sigmoid", False), ("isotonic", False), ("beta", False),
           ("venn-abers", False)]


def calibrated_run(folder, frame, target, est, method, vector, **prep_options):
    """``est`` fitted on the first 60% of the rows, its calibration map on the next 20%, saved as a run;
    returns the run and the last 20% and the calibration rows (whose scores are the calibration
    scores: ties of a step function such as Venn-Abers)."""
    n = len(frame)
    fit, cal = frame.iloc[: int(0.6 * n)], frame.iloc[int(0.6 * n): int(0.8 * n)]
    prep = TabularPreprocessor(target, **{"unknown": "ignore", **prep_options}).fit(fit)  # the graph's rule
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(prep.transform(fit), prep.target_values(fit))
        clf = CalibratedClassifier(est, method=method, cv="prefit")
        if vector:
            from crossentropy.calibration import TemperatureScaling

            scores = est.decision_function(prep.transform(cal))
            codes = np.searchsorted(est.classes_, prep.target_values(cal))
            calibrator = TemperatureScaling(vector=True).fit(scores, codes)
        else:
            calibrator = clf.fit(prep.transform(cal), prep.target_values(cal)).calibrated_classifiers_[0][1]
    record = {"method": method, "vector": vector, "data": "rows", "data_sha256": None, "n_rows": len(cal)}
    return save_run(folder, prep, est, calibration=(record, calibrator)), frame.iloc[int(0.8 * n):], cal


def assert_parity(pipe, frames, float64_tol=1e-12):
    for dtype, tol in (("float64", float64_tol), ("float32", TOLERANCES["float32"])):
        model = to_onnx(pipe, dtype=dtype)
        for frame in frames:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                diff = probability_difference(model, pipe, frame)
                want = pipe.predict(frame)
            assert diff <= tol, (dtype, diff)
            if dtype == "float64":
                label = session(model).run(["label"], input_feed(model, frame))[0]
                np.testing.assert_array_equal(label, want)


@pytest.mark.parametrize("method, vector", METHODS)
def test_binary_with_strings_and_gaps(tmp_path, anes, method, vector):
    gappy = with_gaps(anes, ["party", "age"], seed=7)
    pipe, test, cal = calibrated_run(tmp_path, gappy, "vote", LogisticRegression(), method, vector, missing="impute",
                                impute_strategy="mean")
    assert type(pipe[-1]).__name__ == "CalibratedClassifier"
    new = test.copy()
    new["education"] = new["education"].astype(object)
    new.iloc[::4, new.columns.get_loc("education")] = "doctorate"
    assert_parity(pipe, [test, new, cal])


@pytest.mark.parametrize("method, vector", METHODS)
def test_three_classes(tmp_path, wine, method, vector):
    frame = wine[0].sample(frac=1.0, random_state=0)
    pipe, test, cal = calibrated_run(tmp_path, frame, "cultivar", LogisticRegression(C=0.05), method, vector,
                                missing="impute", impute_strategy="median")
    assert_parity(pipe, [test, wine[1], cal])


@pytest.mark.parametrize("method", ["temperature", "sigmoid", "beta"])
def test_mlp_and_ordinal_calibrated(tmp_path, breast_cancer, wine, method):
    pipe, test, cal = calibrated_run(tmp_path / "mlp", breast_cancer.sample(frac=1.0, random_state=1), "target",
                                MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0), method, False)
    assert_parity(pipe, [test])
    frame = wine[0].sample(frac=1.0, random_state=2)
    pipe, test, cal = calibrated_run(tmp_path / "ordinal", frame, "cultivar", OrdinalRegression(penalty="l2"), method,
                                False, missing="impute", impute_strategy="median", drop_reference=True)
    assert_parity(pipe, [test, wine[1], cal])


@pytest.mark.parametrize("method", ["temperature", "isotonic"])
def test_binary_ordinal_calibrated_on_probabilities(tmp_path, breast_cancer, method):
    """An ordinal model has no decision_function: the map reads its probabilities (temperature
    scaling their log-odds)."""
    frame = breast_cancer[["mean_radius", "mean_texture", "worst_smoothness", "target"]].sample(frac=1.0, random_state=3)
    pipe, test, cal = calibrated_run(tmp_path, frame, "target", OrdinalRegression(), method, False)
    assert_parity(pipe, [test])


def test_cross_fitted_and_frozen_calibrated_classifiers(breast_cancer):
    """A CalibratedClassifier fitted in memory: cross-fitted (the mean over its folds' pairs) and
    prefit on a FrozenEstimator; the graph against its own predict_proba."""
    from sklearn.frozen import FrozenEstimator

    X, y = breast_cancer.drop(columns="target").to_numpy()[:, :8], breast_cancer["target"].to_numpy()
    X = (X - X.mean(0)) / X.std(0)
    folds = CalibratedClassifier(LogisticRegression(), method="sigmoid", cv=3).fit(X, y)
    frozen = CalibratedClassifier(FrozenEstimator(LogisticRegression().fit(X[:300], y[:300])),
                                  method="isotonic").fit(X[300:], y[300:])
    for clf in (folds, frozen):
        assert probability_difference(to_onnx(clf), clf, X) <= 1e-12
        assert probability_difference(to_onnx(clf, dtype="float32"), clf, X) <= TOLERANCES["float32"]
