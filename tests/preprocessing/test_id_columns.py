"""Columns that identify rows (rownames, Unnamed: 0, unique strings, row numbers) are left out of the features.

The leak they cause is measured against scikit-learn: on a table sorted by class, a pipeline of
``StandardScaler`` and ``LogisticRegression`` fitted on the same training rows with and without the
row number gives the accuracy our run must show by default (without it) and with ``--keep`` (with it).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossentropy.cli import main
from crossentropy.io.model_files import load_model_bundle, save_model
from crossentropy.preprocessing import DataError, TabularPreprocessor, find_id_columns, id_column_reason
from crossentropy.preprocessing.id_columns import MIN_ROWS


# ------------------------------------------------------------------------------ the rule
@pytest.mark.parametrize("name", ["rownames", "RowNames", "Unnamed: 0", "unnamed: 3", "id", "ID", " Index ", ""])
def test_index_names_are_ids_at_any_size(name):
    assert id_column_reason(name) == "named like a row index"
    assert find_id_columns(pd.DataFrame({name: [0.5, 0.25]}), [name]) == {name: "named like a row index"}


@pytest.mark.parametrize("name", ["sample_id", "identity", "idx2", "width", "indexed"])
def test_other_names_are_not(name):
    assert id_column_reason(name) is None


@given(st.integers(MIN_ROWS, 200), st.integers(-1000, 1000), st.integers(1, 50), st.randoms(use_true_random=False))
def test_evenly_spaced_integers_in_any_order_are_row_numbers(n, start, step, random):
    values = [start + step * i for i in range(n)]
    random.shuffle(values)
    assert id_column_reason("n", pd.Series(values)) is not None
    assert id_column_reason("n", pd.Series([str(v) for v in values], dtype=object)) is not None  # numbers as text


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=MIN_ROWS, max_size=100, unique=True))
def test_unique_floats_are_features(values):  # even whole numbers, evenly spaced: a float column is a measurement
    assert id_column_reason("x", pd.Series(values, dtype=np.float64)) is None


def test_the_value_rules():
    n = 30
    unique_text = pd.Series([f"case-{i:03d}" for i in range(n)])
    assert id_column_reason("name", unique_text) == "a different string in every row"
    assert id_column_reason("name", unique_text.astype("category")) == "a different string in every row"
    assert id_column_reason("name", pd.Series(["a"] + [f"c{i}" for i in range(n - 1)] + ["a"])) is None  # a repeat
    assert id_column_reason("n", pd.Series(np.arange(n) ** 2)) is None  # unique integers, not evenly spaced
    assert id_column_reason("n", pd.Series(np.r_[np.arange(n - 1), 0])) is None  # a repeat
    assert id_column_reason("n", pd.Series(np.arange(n, dtype=float))) is None  # floats are never taken by value
    assert id_column_reason("b", pd.Series([True, False] * 15)) is None
    gaps = pd.Series(np.arange(n, dtype=float))
    gaps[3] = np.nan
    assert id_column_reason("n", gaps) is None
    assert id_column_reason("n", pd.Series(np.arange(MIN_ROWS - 1))) is None  # too few rows to tell
    assert id_column_reason("n", pd.Series(np.arange(MIN_ROWS))) is not None


def test_a_dask_table_is_judged_by_its_names():
    dd = pytest.importorskip("dask.dataframe")
    frame = pd.DataFrame({"rownames": np.arange(40), "n": np.arange(40), "x": np.linspace(0, 1, 40)})
    assert find_id_columns(dd.from_pandas(frame, npartitions=2), ["rownames", "n", "x"]) == {
        "rownames": "named like a row index"}
    assert find_id_columns(frame, ["rownames", "n", "x"]) == {
        "rownames": "named like a row index", "n": "a different integer in every row, evenly spaced (a row number)"}


# ------------------------------------------------------------------------------ the preprocessor
def _frame(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"rownames": np.arange(1, n + 1), "x": rng.normal(size=n),
                         "c": rng.choice(["a", "b"], size=n), "y": np.repeat(["p", "q"], n // 2)})


def test_preprocessor_leaves_ids_out_with_one_warning_and_keep_keeps_them():
    frame = _frame()
    with pytest.warns(UserWarning, match=r"left out column 'rownames' .*keep=\['rownames'\]") as record:
        prep = TabularPreprocessor("y").fit(frame)
    assert len([w for w in record if "left out" in str(w.message)]) == 1
    assert prep.feature_names_ == ["x", "c=a", "c=b"] and prep.id_columns_ == {"rownames": "named like a row index"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = TabularPreprocessor("y", keep=["rownames"]).fit(frame)
        ignored = TabularPreprocessor("y", ignore=["rownames"]).fit(frame)  # left out on request: no warning
    assert kept.feature_names_ == ["rownames", "x", "c=a", "c=b"] and kept.id_columns_ == {}
    assert ignored.feature_names_ == ["x", "c=a", "c=b"] and ignored.id_columns_ == {}
    # the transformed rows equal those of a preprocessor told to ignore the column
    np.testing.assert_array_equal(prep.transform(frame), ignored.transform(frame))
    with pytest.raises(DataError, match=r"keep names column\(s\) not in the data: \['nope'\]"):
        TabularPreprocessor("y", keep=["nope"]).fit(frame)
    with pytest.warns(UserWarning), pytest.raises(DataError, match=r"no feature columns left .*keep=\['rownames'\]"):
        TabularPreprocessor("y").fit(frame[["rownames", "y"]])


def test_the_choice_is_in_the_state_and_the_model_file(tmp_path):
    from crossentropy import LogisticRegression

    frame = _frame()
    with pytest.warns(UserWarning):
        prep = TabularPreprocessor("y").fit(frame)
    state = prep.to_state()
    assert state["id_columns"] == {"rownames": "named like a row index"} and state["keep"] == []
    model = LogisticRegression().fit(prep.transform(frame), prep.target_values(frame))
    save_model(model, tmp_path, preprocessing=prep)
    meta = json.loads((tmp_path / "model.json").read_text())
    assert meta["preprocessing"]["id_columns"] == {"rownames": "named like a row index"}
    loaded = load_model_bundle(tmp_path).preprocessing
    assert loaded.id_columns_ == prep.id_columns_ and loaded.input_columns_ == ["x", "c"]
    # a table without the ID column is answered the same
    np.testing.assert_array_equal(loaded.transform(frame.drop(columns="rownames")), prep.transform(frame))
    # a state written before the fields existed still loads (nothing left out), bad values are refused
    old = {k: v for k, v in state.items() if k not in ("id_columns", "keep")}
    assert TabularPreprocessor.from_state(old).id_columns_ == {}
    for key, bad in [("id_columns", ["rownames"]), ("id_columns", {"rownames": 1}), ("keep", "rownames")]:
        with pytest.raises(ValueError, match=f"preprocessing {key}"):
            TabularPreprocessor.from_state({**state, key: bad})
    with pytest.raises(ValueError, match="preprocessing fields"):
        TabularPreprocessor.from_state({**state, "surprise": 1})


def test_the_dask_builder_keeps_the_choice():
    """The Dask source fits through ``from_statistics(target, stats, **prep.options())``: the IDs found stay out."""
    from crossentropy.preprocessing import table_statistics

    frame = _frame()
    prep = TabularPreprocessor("y")
    with pytest.warns(UserWarning):
        columns = prep.feature_columns(frame)
    assert columns == ["x", "c"]
    fitted = TabularPreprocessor.from_statistics("y", table_statistics(frame, "y", columns), **prep.options())
    assert fitted.id_columns_ == {"rownames": "named like a row index"}
    assert fitted.to_state()["id_columns"] == {"rownames": "named like a row index"}


# ------------------------------------------------------------------------------ the command line
def _glass_like(path, n=240):
    """A table sorted by class with a leading row number, like an R data set written by write.csv."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n, 4, n_informative=2, n_redundant=0, n_classes=3, n_clusters_per_class=1,
                               class_sep=0.6, flip_y=0.15, random_state=3)
    order = np.argsort(y, kind="stable")
    frame = pd.DataFrame(X[order], columns=[f"f{j}" for j in range(4)])
    frame.insert(0, "rownames", np.arange(1, n + 1))
    frame["type"] = np.array(["float", "headlamp", "tableware"])[y[order]]
    frame.to_csv(path, index=False)
    return frame


def _sklearn_accuracy(frame, train_rows, test_rows, columns):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    ref = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000))
    ref.fit(frame.iloc[train_rows][columns], frame.iloc[train_rows]["type"])
    return ref.score(frame.iloc[test_rows][columns], frame.iloc[test_rows]["type"])


def test_a_row_number_of_a_table_sorted_by_class_is_not_used(tmp_path, capsys):
    data = tmp_path / "glass.csv"
    frame = _glass_like(data)
    features = [f"f{j}" for j in range(4)]
    accuracy = {}
    for name, extra in [("default", []), ("kept", ["--keep", "rownames"])]:
        out = tmp_path / name
        rc = main(["train", str(data), "--target", "type", "--out", str(out), "--no-plots", *extra])
        err = capsys.readouterr().err
        assert rc == 0, err
        warned = [line for line in err.splitlines() if "rownames" in line]
        meta = json.loads((out / "model.json").read_text())
        split = json.loads((out / "split.json").read_text())
        metrics = json.loads((out / "metrics.json").read_text())
        accuracy[name] = metrics["test"]["accuracy"]
        if name == "default":
            assert warned == ["crossentropy: warning: left out column 'rownames' (named like a row index): it looks "
                              "like a row ID, not a feature; pass --keep rownames to use it"]
            assert meta["feature_names"] == features
            assert meta["preprocessing"]["id_columns"] == {"rownames": "named like a row index"}
            columns = features
        else:
            assert warned == []
            assert meta["feature_names"] == ["rownames", *features] and meta["preprocessing"]["keep"] == ["rownames"]
            columns = ["rownames", *features]
        oracle = _sklearn_accuracy(frame, split["train_rows"], split["test_rows"], columns)
        assert accuracy[name] == pytest.approx(oracle, abs=1e-12), name
    # the leak is real (so leaving the column out matters): the row number alone nearly gives the class
    assert accuracy["kept"] > accuracy["default"] + 0.15


def test_evaluate_and_predict_need_no_id_column(tmp_path, capsys):
    data = tmp_path / "glass.csv"
    frame = _glass_like(data)
    assert main(["train", str(data), "--target", "type", "--out", str(tmp_path / "run"), "--no-plots"]) == 0
    frame.drop(columns="rownames").to_csv(tmp_path / "no_ids.csv", index=False)
    assert main(["evaluate", str(tmp_path / "run"), str(tmp_path / "no_ids.csv")]) == 0
    assert main(["predict", str(tmp_path / "run"), str(tmp_path / "no_ids.csv"), "--out", str(tmp_path / "p.csv")]) == 0
    assert pd.read_csv(tmp_path / "p.csv").shape[0] == frame.shape[0]
    capsys.readouterr()
