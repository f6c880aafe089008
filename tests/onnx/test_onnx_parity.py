"""The exported graph in onnxruntime against the saved run's own ``load_pipeline(...).predict_proba``.

Real tables (breast_cancer, the ANES 1996 table with string columns, digits, the wine table with gaps),
every model kind, float64 and float32 graphs, rows with missing values and with string values the
training rows did not have. onnxruntime computes one side, the run's scikit-learn pipeline the other.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from crossentropy import LogisticRegression, MLPClassifier, OrdinalRegression
from crossentropy.onnx import TOLERANCES, input_feed, probability_difference, session, to_onnx
from crossentropy.preprocessing import TabularPreprocessor

from onnx_runs import save_run, with_gaps

#: float64 graphs of the linear and neural models compute the same sums as NumPy, up to the order of
#: the additions: far below the 1e-6 the export accepts
FLOAT64_EXACT = 1e-12


def fit_run(folder, frame, target, est, **prep_options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # row IDs left out, convergence
        prep = TabularPreprocessor(target, **{"unknown": "ignore", **prep_options}).fit(frame)  # the graph's rule
        est.fit(prep.transform(frame), prep.target_values(frame))
    return save_run(folder, prep, est), prep


def assert_parity(pipe, frames, float64_tol=FLOAT64_EXACT):
    """Probabilities within the tolerance, and the float64 graph's labels equal to the pipeline's."""
    for dtype, tol in (("float64", float64_tol), ("float32", TOLERANCES["float32"])):
        model = to_onnx(pipe, dtype=dtype)
        run = session(model)
        for frame in frames:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the pipeline warns about unseen categories
                diff = probability_difference(model, pipe, frame)
                want = pipe.predict(frame)
            assert diff <= tol, (dtype, diff)
            label, proba = run.run(["label", "probabilities"], input_feed(model, frame))
            assert proba.dtype == np.dtype(dtype)
            if dtype == "float64":
                np.testing.assert_array_equal(label, want)


def unseen(frame, column, value, seed):
    out = frame.copy()
    out[column] = out[column].astype(object)
    out.loc[np.random.default_rng(seed).random(len(out)) < 0.2, column] = value
    return out


@pytest.mark.parametrize("kind", ["logistic", "mlp"])
def test_breast_cancer_binary(tmp_path, breast_cancer, kind):
    train, test = breast_cancer.iloc[:400], breast_cancer.iloc[400:]
    est = LogisticRegression() if kind == "logistic" else MLPClassifier(hidden_layer_sizes=(8,), max_iter=30,
                                                                        random_state=0)
    pipe, _ = fit_run(tmp_path, train, "target", est)
    assert_parity(pipe, [test])
    gappy = with_gaps(breast_cancer, ["mean_radius", "worst_area"], seed=1)
    pipe, _ = fit_run(tmp_path / "gaps", gappy.iloc[:400], "target", est, missing="impute", impute_strategy="median")
    assert_parity(pipe, [gappy.iloc[400:]])


@pytest.mark.parametrize("kind", ["logistic", "mlp", "tanh"])
def test_anes_strings_gaps_and_unseen_levels(tmp_path, anes, kind):
    gappy = with_gaps(anes, ["party", "education", "age"], seed=2)
    gappy.insert(0, "rownames", np.arange(1, len(gappy) + 1))  # a row ID: left out of the features
    train, test = gappy.iloc[:700], gappy.iloc[700:]
    est = (LogisticRegression() if kind == "logistic" else
           MLPClassifier(hidden_layer_sizes=(6, 4), activation="relu" if kind == "mlp" else "tanh", max_iter=20,
                         random_state=0))
    pipe, _ = fit_run(tmp_path, train, "vote", est, missing="impute", impute_strategy="mean")
    new = unseen(test, "education", "doctorate", seed=3)
    assert_parity(pipe, [test, new, anes.iloc[700:]])
    assert [i.name for i in to_onnx(pipe).graph.input] == ["party", "education", "age", "income"]
    feed = input_feed(to_onnx(pipe), new)
    flags = session(to_onnx(pipe)).run(["unseen_categories"], feed)[0]
    np.testing.assert_array_equal(flags, (new["education"] == "doctorate").to_numpy().astype(np.int64))


def test_digits_softmax(tmp_path, digits):
    train, test = digits.iloc[:1200], digits.iloc[1200:]
    pipe, _ = fit_run(tmp_path / "lr", train, "target", LogisticRegression(C=0.1))
    assert_parity(pipe, [test])
    pipe, _ = fit_run(tmp_path / "mlp", train, "target",
                      MLPClassifier(hidden_layer_sizes=(16,), activation="logistic", max_iter=10, random_state=0))
    assert_parity(pipe, [test])


def test_wine_softmax_with_gaps_and_dropped_reference(tmp_path, wine):
    train, test = wine
    pipe, _ = fit_run(tmp_path, train, "cultivar", LogisticRegression(), missing="impute",
                      impute_strategy="most_frequent", drop_reference=True, reference={"colour": "ruby"})
    assert_parity(pipe, [test, unseen(test, "colour", "amber", seed=4)])


@pytest.mark.parametrize("link", ["logit", "cloglog", "probit"])
def test_ordinal(tmp_path, anes, link):
    order = ["democrat_strong", "democrat_weak", "independent_democrat", "independent", "independent_republican",
             "republican_weak", "republican_strong"]
    gappy = with_gaps(anes, ["education", "income"], seed=5)
    pipe, _ = fit_run(tmp_path, gappy.iloc[:700], "party", OrdinalRegression(link=link, order=order),
                      missing="impute", impute_strategy="median", drop_reference=True)
    assert_parity(pipe, [gappy.iloc[700:], unseen(gappy.iloc[700:], "vote", "perot", seed=6)])


def test_float64_erf_of_the_probit_graph():
    """erf from float64 operations (onnxruntime's Erf is float32 only) against a 40-digit mpmath
    evaluation, on a grid through the switch at |x| = 3 and far into the tails."""
    mpmath = pytest.importorskip("mpmath")
    from onnx import helper

    from crossentropy.onnx._builder import GraphBuilder
    from crossentropy.onnx._models import _erf64

    b = GraphBuilder("float64", reserved=["x", "y"])
    b.node("Identity", [_erf64(b, "x")], "y")
    model = b.model([helper.make_tensor_value_info("x", b.elem_type, ["N"])],
                    [helper.make_tensor_value_info("y", b.elem_type, ["N"])], 17, "erf")
    x = np.r_[np.linspace(-8, 8, 1601), [-3.0, 3.0, np.nextafter(3.0, 4), -np.nextafter(3.0, 4), 1e-300, 40.0]]
    got = session(model).run(None, {"x": x})[0]
    with mpmath.workdps(40):
        want = np.array([float(mpmath.erf(v)) for v in x])
    assert np.max(np.abs(got - want)) <= 2e-15


def test_bare_estimator(breast_cancer):
    X, y = breast_cancer.drop(columns="target").to_numpy(), breast_cancer["target"].to_numpy()
    X = (X - X.mean(0)) / X.std(0)
    clf = LogisticRegression().fit(X, y)
    assert probability_difference(to_onnx(clf), clf, X) <= FLOAT64_EXACT
    assert probability_difference(to_onnx(clf, dtype="float32"), clf, X) <= TOLERANCES["float32"]


def test_extreme_logits_stay_finite(tmp_path, digits):
    """Weights scaled up 1e4 times: logits in the tens of thousands; the softmax and sigmoid give
    finite probabilities equal to the pipeline's (a softmax without its row maximum would overflow)."""
    for target, cut in (("target", None), ("binary", 5)):
        frame = digits if cut is None else digits.assign(binary=(digits["target"] >= cut).astype(int)).drop(columns="target")
        pipe, _ = fit_run(tmp_path / target, frame.iloc[:300], target, LogisticRegression(C=0.1, max_iter=20))
        pipe[-1].coef_ = pipe[-1].coef_ * 1e4
        model = to_onnx(pipe)
        proba = session(model).run(["probabilities"], input_feed(model, frame.iloc[300:600]))[0]
        assert np.all(np.isfinite(proba)) and np.abs(pipe[-1].decision_function(pipe[0].transform(frame.iloc[300:600]))).max() > 1e3
        assert probability_difference(model, pipe, frame.iloc[300:600]) <= FLOAT64_EXACT


def test_bad_arguments(breast_cancer):
    clf = LogisticRegression().fit(breast_cancer.drop(columns="target").to_numpy()[:, :3], breast_cancer["target"])
    with pytest.raises(ValueError, match="dtype"):
        to_onnx(clf, dtype="float16")
    with pytest.raises(ValueError, match="opset"):
        to_onnx(clf, opset=12)
    with pytest.raises(TypeError, match="model_or_pipeline"):
        to_onnx(object())


def test_run_refusing_unknowns_is_compared_as_the_graph_encodes_them(tmp_path, anes):
    # a run with unknown="error" (the default) refuses unseen levels; its graph cannot refuse a row and
    # encodes them as all zeros, which is the reference probability_difference compares with
    from crossentropy.exceptions import DataError

    train, test = anes.iloc[:700], anes.iloc[700:]
    pipe, _ = fit_run(tmp_path / "strict", train, "vote", LogisticRegression(), unknown="error")
    lenient, _ = fit_run(tmp_path / "lenient", train, "vote", LogisticRegression(), unknown="ignore")
    new = unseen(test, "education", "doctorate", seed=3)
    with pytest.raises(DataError, match="doctorate"):
        pipe.predict_proba(new)
    model = to_onnx(pipe)
    got = session(model).run(["probabilities"], input_feed(model, new))[0]
    np.testing.assert_allclose(got, lenient.predict_proba(new), rtol=0, atol=FLOAT64_EXACT)
    assert probability_difference(model, pipe, new) <= FLOAT64_EXACT
    assert pipe.get_params()[next(k for k in pipe.get_params() if k.endswith("__unknown"))] == "error"  # untouched


def test_object_columns_of_strings_and_every_kind_of_gap_feed_the_graph_as_the_pipeline_reads_them(tmp_path, anes):
    """Object columns: strings only (fed as they are), strings with None, NaN and pd.NA gaps (fed as ""),
    and numbers stored as objects (fed as str(value)); the graph's probabilities equal the pipeline's."""
    import pandas as pd

    frame = anes.copy()
    frame["party"] = frame["party"].astype(object)
    frame["education"] = frame["education"].astype(object)
    gaps = [None, np.nan, pd.NA]
    for i, row in enumerate(range(5, len(frame), 37)):
        frame.loc[row, "party"] = gaps[i % 3]
    train, test = frame.iloc[:700], frame.iloc[700:].reset_index(drop=True)
    pipe, _ = fit_run(tmp_path, train, "vote", LogisticRegression(), missing="impute", impute_strategy="mean")
    model = to_onnx(pipe)
    feed = input_feed(model, test)
    party = test["party"].to_numpy(dtype=object)
    expected = np.array(["" if pd.isna(v) else v for v in party], dtype=object)
    np.testing.assert_array_equal(feed["party"], expected)
    np.testing.assert_array_equal(feed["education"], test["education"].to_numpy(dtype=object))
    assert all(isinstance(v, str) for v in feed["party"]) and all(isinstance(v, str) for v in feed["education"])
    assert_parity(pipe, [test])
    numbers = test.copy()
    numbers["education"] = pd.Series([7] * len(numbers), dtype=object)  # an unseen level, stored as an int
    assert input_feed(model, numbers)["education"].tolist() == ["7"] * len(numbers)
