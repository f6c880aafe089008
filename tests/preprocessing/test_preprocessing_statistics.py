"""One preprocessor fit: the Dask statistics and the in-memory fit give the same state.

Oracles: pandas' own statistics of the training table (mean, population std of the filled column,
the most frequent value with the smallest-among-ties rule) and scikit-learn's SimpleImputer +
StandardScaler on the numeric columns.
"""

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
dd = pytest.importorskip("dask.dataframe")

from crossentropy.distributed.statistics import table_statistics as dask_statistics  # noqa: E402
from crossentropy.preprocessing import DataError, TabularPreprocessor, table_statistics  # noqa: E402


def _table(n=300, seed=1):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "x1": rng.normal(5.0, 2.0, n),
        "x2": rng.integers(0, 4, n).astype(np.float64),  # ties for most_frequent
        "color": rng.choice(["red", "green", "blue"], n),
        "label": rng.choice(["no", "yes"], n),
    })
    frame.loc[rng.choice(n, 17, replace=False), "x1"] = np.nan
    frame.loc[rng.choice(n, 9, replace=False), "x2"] = np.nan
    frame.loc[rng.choice(n, 11, replace=False), "color"] = None
    return frame


def _assert_same_state(a, b, rel=1e-12):
    assert {k: v for k, v in a.items() if k != "columns"} == {k: v for k, v in b.items() if k != "columns"}
    for sa, sb in zip(a["columns"], b["columns"], strict=True):
        assert sa.keys() == sb.keys()
        for key in sa:
            if isinstance(sa[key], float):
                assert sa[key] == pytest.approx(sb[key], rel=rel, abs=1e-15), (sa["name"], key)
            else:
                assert sa[key] == sb[key], (sa["name"], key)


@pytest.mark.parametrize("strategy", ["mean", "most_frequent"])
@pytest.mark.parametrize("npartitions", [1, 4])
def test_dask_statistics_give_the_in_memory_state(strategy, npartitions):
    frame = _table()
    columns = ["x1", "x2", "color"]
    options = {"missing": "impute", "impute_strategy": strategy}
    memory = TabularPreprocessor("label", **options).fit(frame)
    stats = dask_statistics(dd.from_pandas(frame, npartitions=npartitions), "label", columns,
                            impute_strategy=strategy)
    on_dask = TabularPreprocessor.from_statistics("label", stats, **options)
    _assert_same_state(on_dask.to_state(), memory.to_state())
    # the statistics themselves, against the in-memory ones
    local = table_statistics(frame, "label", columns, impute_strategy=strategy)
    for sd, sm in zip(stats["columns"], local["columns"], strict=True):
        assert sd["kind"] == sm["kind"] and sd["missing"] == sm["missing"]
        assert sd.get("value_counts") == sm.get("value_counts")
    np.testing.assert_array_equal(np.sort(stats["classes"].astype(str)), ["no", "yes"])


@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent"])
def test_in_memory_fit_against_pandas_and_sklearn(strategy):
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    frame = _table()
    prep = TabularPreprocessor("label", missing="impute", impute_strategy=strategy).fit(frame)
    spec = {s["name"]: s for s in prep.to_state()["columns"]}
    for col in ("x1", "x2"):
        present = frame[col].dropna()
        expected = {"mean": present.mean(), "median": present.median(), "most_frequent": present.mode().min()}[strategy]
        assert spec[col]["fill"] == pytest.approx(expected, rel=1e-13)
        filled = frame[col].fillna(expected)
        assert spec[col]["mean"] == pytest.approx(filled.mean(), rel=1e-12)
        assert spec[col]["scale"] == pytest.approx(filled.std(ddof=0), rel=1e-12)
    numeric = frame[["x1", "x2"]].to_numpy()
    sk = StandardScaler().fit_transform(SimpleImputer(strategy=strategy).fit_transform(numeric))
    np.testing.assert_allclose(prep.transform(frame)[:, :2], sk, rtol=1e-12, atol=1e-12)
    counts = frame["color"].value_counts()
    assert spec["color"]["fill"] == min(counts.index[counts == counts.max()])
    assert spec["color"]["categories"] == ["blue", "green", "red"]


def test_without_missing_values_dask_and_memory_agree_and_messages_are_shared():
    frame = _table().dropna().reset_index(drop=True)
    memory = TabularPreprocessor("label").fit(frame)
    stats = dask_statistics(dd.from_pandas(frame, npartitions=3), "label", ["x1", "x2", "color"])
    _assert_same_state(TabularPreprocessor.from_statistics("label", stats).to_state(), memory.to_state())
    np.testing.assert_allclose([s.get("mean") for s in memory.columns_[:2]], frame[["x1", "x2"]].mean(), rtol=1e-13)
    # the same refusal from both paths: too many categories
    for fitted in (lambda: TabularPreprocessor("label", max_categories=2).fit(frame),
                   lambda: TabularPreprocessor.from_statistics("label", stats, max_categories=2)):
        with pytest.raises(DataError, match="'color' holds 3 distinct strings in the training rows"):
            fitted()
    # missing values under missing="error": the one message, from the counts
    with pytest.raises(DataError, match=r"missing values in 1 column\(s\): 'x1' \(17\)"):
        TabularPreprocessor("label").check_missing({"x1": 17, "x2": 0})


def test_bad_options_name_the_argument():
    with pytest.raises(ValueError, match="missing must be one of"):
        TabularPreprocessor("y", missing="drop")
    with pytest.raises(TypeError, match="max_categories must be an integer, got 2.5"):
        TabularPreprocessor("y", max_categories=2.5)
