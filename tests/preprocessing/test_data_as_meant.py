"""The table read as the user meant it, through the library: missing-value markers, factors, unknown
categories, column types the model was not trained on, nested and binary columns, target labels.

Oracles: scikit-learn's ``OneHotEncoder`` on the same frame, counts computed here from the rows the
test builds, pandas' own ``read_csv`` with explicit markers, the in-memory statistics for the Dask ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import OneHotEncoder

from crossentropy.preprocessing.missing_markers import na_like_counts
from crossentropy.io.tables import DataError, csv_separator, read_table
from crossentropy.preprocessing import TabularPreprocessor, TabularTransformer, table_statistics

RNG = np.random.default_rng(7)


def arthritis(n=84):
    """A table like R's Arthritis: the class "None" in half the rows, a region "NA" (North America)."""
    improved = np.array(["None"] * (n // 2) + ["Some"] * (n // 6) + ["Marked"] * (n - n // 2 - n // 6))
    return pd.DataFrame({"Treatment": RNG.choice(["Placebo", "Treated"], n), "Age": RNG.integers(23, 75, n),
                         "region": RNG.choice(["NA", "EU", "ASIA"], n), "Improved": improved})


def test_na_like_strings_are_values_unless_named(tmp_path):
    frame = arthritis()
    path = tmp_path / "a.csv"
    frame.to_csv(path, index=False)
    read = read_table(path)
    assert read["Improved"].tolist() == frame["Improved"].tolist() and read["region"].isna().sum() == 0
    assert na_like_counts(read) == {"region": {"NA": int((frame.region == "NA").sum())},
                                    "Improved": {"None": int((frame.Improved == "None").sum())}}
    marked = read_table(path, na_values=["None"])
    oracle = pd.read_csv(path, keep_default_na=False, na_values=["", "None"])
    pd.testing.assert_series_equal(marked["Improved"].isna(), oracle["Improved"].isna())
    assert marked["Improved"].isna().sum() == (frame.Improved == "None").sum()
    assert marked["region"].isna().sum() == 0


def test_parquet_reads_empty_strings_and_markers_like_csv(tmp_path):
    frame = pd.DataFrame({"c": ["a", "", "NA", "?", None], "x": [1.0, 2.0, np.nan, 4.0, 5.0]})
    frame.to_parquet(tmp_path / "t.parquet")
    frame.to_csv(tmp_path / "t.csv", index=False)
    for name in ("t.parquet", "t.csv"):
        got = read_table(tmp_path / name, na_values=["?"])
        assert got["c"].isna().tolist() == [False, True, False, True, True], name
        assert got["x"].isna().tolist() == [False, False, True, False, False], name


def test_transformer_na_values_marks_strings_missing():
    X = pd.DataFrame({"c": ["a", "b", "-", "a"], "x": [1.0, 2.0, 3.0, 4.0]})
    step = TabularTransformer(na_values=["-"], missing="impute", impute_strategy="mean").fit(X, [0, 1, 0, 1])
    assert step.get_feature_names_out().tolist() == ["c=a", "c=b", "x"]
    out = pd.DataFrame(step.transform(X), columns=step.get_feature_names_out())
    assert out.loc[2, ["c=a", "c=b"]].tolist() == [1.0, 0.0]  # the gap filled with the most frequent value, 'a'
    assert step.preprocessor_.to_state()["na_values"] == ["-"]


def birthwt(n=60):
    """An integer factor like MASS birthwt's race (1 white, 2 black, 3 other)."""
    return pd.DataFrame({"race": RNG.choice([1, 2, 3], n), "lwt": RNG.normal(130, 30, n).round(1),
                         "low": RNG.choice([0, 1], n)})


def test_categorical_one_hot_equals_sklearn():
    frame = birthwt()
    step = TabularTransformer(target="low", categorical=["race"]).fit(frame)
    names = step.get_feature_names_out().tolist()
    assert names == ["race=1", "race=2", "race=3", "lwt"]
    oracle = OneHotEncoder(sparse_output=False).fit_transform(frame[["race"]])
    np.testing.assert_array_equal(step.transform(frame)[:, :3], oracle)
    # floats with a gap (1.0, 2.0, ...) are the same categories at predict time
    as_float = frame.assign(race=frame["race"].astype(float))
    np.testing.assert_array_equal(step.transform(as_float), step.transform(frame))
    assert step.preprocessor_.to_state()["categorical"] == ["race"]


def test_unknown_error_names_column_and_values_ignore_equals_sklearn():
    train = pd.DataFrame({"deny": ["yes", "no"] * 10, "x": np.arange(20.0), "y": [0, 1] * 10})
    new = pd.DataFrame({"deny": ["YES", "no", "NO", "yes", "maybe", "a", "b", "c"], "x": np.arange(8.0)})
    step = TabularTransformer(target="y").fit(train)
    with pytest.raises(ValueError, match=r"column 'deny' holds 6 value\(s\) not seen in training, in 6 row\(s\): "
                                         r"\['NO', 'YES', 'a', 'b', 'c'\] and 1 more"):
        step.transform(new)
    step.set_params(unknown="ignore")
    oracle = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(train[["deny"]]).transform(new[["deny"]])
    got = pd.DataFrame(step.transform(new), columns=step.get_feature_names_out())
    np.testing.assert_array_equal(got[["deny=no", "deny=yes"]].to_numpy(), oracle)
    unseen = step.preprocessor_.unseen_values(new)
    assert unseen == {"deny": {v: int((new.deny == v).sum()) for v in ["NO", "YES", "a", "b", "c", "maybe"]}}


@pytest.mark.parametrize("changed, needle", [
    (pd.to_datetime(["2021-01-01"] * 6), "datetime64"),
    ([True, False] * 3, "booleans"),
    (pd.Series([True, False] * 3, dtype=object), "booleans"),
    (["True", "False"] * 3, "'True'"),
])
def test_prediction_refuses_a_type_the_column_was_not_trained_on(changed, needle):
    train = pd.DataFrame({"alcohol": RNG.normal(13, 1, 12), "y": ["barolo", "barbera"] * 6})
    step = TabularTransformer(target="y").fit(train)
    with pytest.raises(ValueError, match=rf"column 'alcohol' was numeric in training but holds .*{needle}"):
        step.transform(pd.DataFrame({"alcohol": changed}))


def test_a_boolean_column_scores_booleans_as_in_training():
    train = pd.DataFrame({"flag": [True, False, True, True], "y": [0, 1, 0, 1]})
    step = TabularTransformer(target="y", scale=False).fit(train)
    np.testing.assert_array_equal(step.transform(train[["flag"]]).ravel(), train["flag"].to_numpy(dtype=float))
    with pytest.raises(ValueError, match="was boolean in training but holds numbers other than 0 and 1"):
        step.transform(pd.DataFrame({"flag": [2.0, 0.0]}))


@pytest.mark.parametrize("column, needle", [
    ([[1, 2, 3], [4], [1, 2, 3], [5, 6]], r"column 'tags' holds nested values \((list|ndarray)"),
    ([{"a": 1}, {"a": 2}, {"a": 1}, {"a": 3}], r"column 'tags' holds nested values \(dict"),
    ([b"\xff\xfe", b"ab", b"\x80", b"cd"], r"column 'tags' holds binary values"),
])
def test_nested_and_binary_parquet_columns_are_refused_by_name(tmp_path, column, needle):
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "tags": column, "y": [0, 1, 0, 1]})
    frame.to_parquet(tmp_path / "t.parquet")
    read = read_table(tmp_path / "t.parquet")
    with pytest.raises(DataError, match=needle):
        TabularPreprocessor("y").fit(read)
    fitted = TabularPreprocessor("y", categorical=["x"]).fit(frame.assign(tags=list("abab")))
    with pytest.raises(DataError, match=needle):
        fitted.transform(read)


@pytest.mark.parametrize("classes, labels, bad", [
    ([0, 1], [1.5, -0.7, 1.0], "[1.5, -0.7]"),
    ([False, True], ["no", "False", "0", True], "['no', '0']"),
])
def test_target_labels_are_not_coerced(classes, labels, bad):
    train = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": classes * 2})
    prep = TabularPreprocessor("y").fit(train)
    with pytest.raises(DataError, match=rf"the target column 'y' holds labels the model does not know: {_re(bad)}"):
        prep.target_values(pd.DataFrame({"y": labels}))


def _re(text):
    import re

    return re.escape(text)


def test_semicolon_csv_is_read_like_the_comma_csv(tmp_path):
    frame = pd.DataFrame({"x1": [1.5, 2.0, 3.25], "x2": [4, 5, 6], "colour": ["red", "blue", "red"], "y": list("abc")})
    frame.to_csv(tmp_path / "comma.csv", index=False)
    for sep, name in ((";", "semi.csv"), ("|", "pipe.txt"), ("\t", "tab.csv")):
        frame.to_csv(tmp_path / name, sep=sep, index=False)
        assert csv_separator(tmp_path / name) == sep
        pd.testing.assert_frame_equal(read_table(tmp_path / name), read_table(tmp_path / "comma.csv"))


def test_dask_statistics_of_factors_equal_the_in_memory_ones():
    dd = pytest.importorskip("dask.dataframe")
    from crossentropy.distributed.statistics import table_statistics as dask_statistics

    frame = birthwt().assign(flag=lambda f: f["lwt"] > 130)
    columns = ["race", "lwt", "flag"]
    memory = table_statistics(frame, "low", columns, categorical=["race"])
    lazy = dask_statistics(dd.from_pandas(frame, npartitions=3), "low", columns, categorical=["race"])
    assert lazy["columns"][0] == memory["columns"][0]
    assert memory["columns"][0]["value_counts"] == {str(k): int(v) for k, v in frame["race"].value_counts().items()}
    assert lazy["columns"][2]["bool"] is True and memory["columns"][2]["bool"] is True


def test_id_column_search_names_a_binary_column():
    from crossentropy.preprocessing.id_columns import id_column_reason

    with pytest.raises(DataError, match="column 'blob' holds binary values"):
        id_column_reason("blob", pd.Series([b"\xff\x00", b"\x80abc"] * 10))


_WORDS = st.sampled_from(["", "NA", "None", "null", "NaN", "?", "a", "b c", "N/A"])


@settings(max_examples=20, deadline=None)
@given(values=st.lists(_WORDS, min_size=1, max_size=12), markers=st.lists(st.sampled_from(["NA", "?", "None"]),
                                                                         max_size=2, unique=True))
def test_csv_and_parquet_read_exactly_the_empty_fields_and_markers_as_missing(tmp_path_factory, values, markers):
    root = tmp_path_factory.mktemp("t")
    frame = pd.DataFrame({"c": values, "k": ["z"] * len(values)})
    frame.to_csv(root / "t.csv", index=False)
    frame.to_parquet(root / "t.parquet")
    expected = [v == "" or v in markers for v in values]
    for name in ("t.csv", "t.parquet"):
        got = read_table(root / name, na_values=markers)
        assert got["c"].isna().tolist() == expected, name
        assert got["c"][~got["c"].isna()].tolist() == [v for v, e in zip(values, expected) if not e], name


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-2**52, 2**52), min_size=1, max_size=20))
def test_whole_floats_are_the_categories_of_their_integers(values):
    from crossentropy.preprocessing.columns import category_strings

    assert category_strings(np.asarray(values, dtype=float)).tolist() == [str(v) for v in values]
    assert category_strings(np.asarray(values, dtype=np.int64)).tolist() == [str(v) for v in values]
