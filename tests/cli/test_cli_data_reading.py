"""The command line reads the user's table as they meant it: missing-value markers and counts, class
loss, factors, unknown categories, column types, nested and binary columns, separators, ordered factors.

Each table is made here; the oracles are counts computed from the rows the test builds, the same data
written another way (a comma file, an explicit ``--order``), and scikit-learn's ``OneHotEncoder``.
"""

import json

import numpy as np
import pandas as pd
import pytest

import crossentropy as ce
from crossentropy.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def arthritis(seed=3, n=84):
    """Like R's Arthritis: the class "None" in 42 rows, a region "NA" (North America), an integer factor."""
    rng = np.random.default_rng(seed)
    improved = np.array(["None"] * 42 + ["Some"] * 14 + ["Marked"] * 28)
    return pd.DataFrame({"Treatment": rng.choice(["Placebo", "Treated"], n), "Age": rng.integers(23, 75, n),
                         "region": rng.choice(["NA", "EU", "ASIA"], n), "race": rng.choice([1, 2, 3], n),
                         "Improved": improved})


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    frame = arthritis()
    frame.to_csv(root / "arthritis.csv", index=False)
    gaps = frame.astype({"Age": float})
    gaps.loc[gaps.Improved == "Some", "Age"] = np.nan  # every 'Some' row has a gap
    gaps.loc[[0, 1, 2], "region"] = ""  # three empty fields
    gaps.to_csv(root / "gaps.csv", index=False)
    return root, frame, gaps


def test_none_and_na_are_values_and_the_run_says_so(tables, capsys, tmp_path):
    root, frame, _ = tables
    rc, out, err = run(capsys, "train", root / "arthritis.csv", "--target", "Improved", "--out", tmp_path / "r",
                       "--no-plots")
    assert rc == 0
    n_none, n_na = int((frame.Improved == "None").sum()), int((frame.region == "NA").sum())
    line = [x for x in err.splitlines() if "kept as values" in x]
    assert len(line) == 1
    assert f"'NA' ({n_na} rows) in column 'region'" in line[0] and f"'None' ({n_none} rows)" in line[0]
    assert "--na-values NA,None" in line[0]
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["classes"] == sorted(set(frame.Improved)) and metrics["n_rows"] == len(frame)
    assert metrics["missing_values"]["kept_as_values"] == {"region": {"NA": n_na}, "Improved": {"None": n_none}}
    assert "note: column 'race' holds 3 distinct integers (1, 2, 3)" in out and "--categorical race" in out


def test_na_values_drop_counts_per_column_console_metrics_report(tables, capsys, tmp_path):
    root, frame, _ = tables
    rc, out, _ = run(capsys, "train", root / "arthritis.csv", "--target", "Improved", "--na-values", "None",
                     "--dropna", "--out", tmp_path / "r")
    assert rc == 0
    n_none = int((frame.Improved == "None").sum())
    assert f"missing values: dropped {n_none} row(s) with a gap in 'Improved' ({n_none})" in out
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["n_dropped"] == n_none and metrics["missing_values"]["dropped_by_column"] == {"Improved": n_none}
    assert metrics["classes"] == sorted(set(frame.Improved) - {"None"})
    page = (tmp_path / "r" / "report.html").read_text()
    assert f"Rows dropped for a missing value, per column: <code>Improved</code> {n_none}" in page
    model = json.loads((tmp_path / "r" / "model.json").read_text())
    assert model["preprocessing"]["na_values"] == ["None"]


def test_a_class_lost_to_dropna_is_an_error_unless_allowed(tables, capsys, tmp_path):
    root, _, gaps = tables
    args = ["train", root / "gaps.csv", "--target", "Improved", "--dropna", "--no-plots"]
    rc, out, err = run(capsys, *args, "--out", tmp_path / "r")
    n_some = int((gaps.Improved == "Some").sum())
    assert rc == 2 and f"removed every row of class(es) 'Some' ({n_some} rows)" in err and "--allow-class-loss" in err
    assert len(err.strip().splitlines()) == 2  # the kept-as-values line, then the error
    assert not (tmp_path / "r").exists()
    rc, out, _ = run(capsys, *args, "--allow-class-loss", "--out", tmp_path / "r")
    assert rc == 0
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    gap_rows = gaps.Age.isna() | (gaps.region == "")
    assert metrics["classes"] == ["Marked", "None"] and metrics["n_dropped"] == int(gap_rows.sum())
    assert metrics["missing_values"]["dropped_by_column"] == {"Age": int(gaps.Age.isna().sum()),
                                                             "region": int((gaps.region == "").sum())}


def test_imputed_values_are_counted_per_column(tables, capsys, tmp_path):
    root, _, gaps = tables
    rc, out, _ = run(capsys, "train", root / "gaps.csv", "--target", "Improved", "--impute", "mean", "--out",
                     tmp_path / "r")
    n_age, n_region = int(gaps.Age.isna().sum()), int((gaps.region == "").sum())
    assert rc == 0 and f"imputed {n_age + n_region} value(s) in 'Age' ({n_age}), 'region' ({n_region})" in out
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["missing_values"]["imputed_by_column"] == {"Age": n_age, "region": n_region}
    assert f"<code>Age</code> {n_age}" in (tmp_path / "r" / "report.html").read_text()


def test_categorical_integer_factor_end_to_end(tables, capsys, tmp_path):
    root, frame, _ = tables
    rc, out, _ = run(capsys, "train", root / "arthritis.csv", "--target", "Improved", "--categorical", "race",
                     "--out", tmp_path / "r", "--no-plots")
    assert rc == 0 and "--categorical race" not in out
    model = json.loads((tmp_path / "r" / "model.json").read_text())
    assert model["preprocessing"]["categorical"] == ["race"]
    pipe = ce.load_pipeline(tmp_path / "r")
    names = pipe[0].get_feature_names_out().tolist()
    assert [n for n in names if n.startswith("race=")] == ["race=1", "race=2", "race=3"]
    from sklearn.preprocessing import OneHotEncoder

    X = pd.DataFrame(pipe[0].transform(frame), columns=names)
    np.testing.assert_array_equal(X[["race=1", "race=2", "race=3"]].to_numpy(),
                                  OneHotEncoder(sparse_output=False).fit_transform(frame[["race"]]))
    new = frame.drop(columns="Improved").assign(race=frame.race.astype(float))  # 1.0 is the category "1"
    new.to_csv(tmp_path / "new.csv", index=False)
    rc, _, _ = run(capsys, "predict", tmp_path / "r", tmp_path / "new.csv", "--proba", "--out", tmp_path / "p.csv")
    assert rc == 0
    np.testing.assert_allclose(pd.read_csv(tmp_path / "p.csv").filter(like="proba_").to_numpy(),
                               pipe.predict_proba(frame), rtol=1e-12, atol=0)


def test_unknown_categories_error_or_ignore_on_predict_and_evaluate(tables, capsys, tmp_path):
    root, frame, _ = tables
    assert run(capsys, "train", root / "arthritis.csv", "--target", "Improved", "--out", tmp_path / "r",
               "--no-plots")[0] == 0
    new = frame.assign(Treatment=frame.Treatment.str.upper())  # 'PLACEBO', 'TREATED'
    new.to_csv(tmp_path / "new.csv", index=False)
    for command in (["predict", tmp_path / "r", tmp_path / "new.csv", "--out", tmp_path / "p.csv"],
                    ["evaluate", tmp_path / "r", tmp_path / "new.csv", "--out", tmp_path / "m.json"]):
        rc, _, err = run(capsys, *command)
        assert rc == 2 and "column 'Treatment'" in err and "['PLACEBO', 'TREATED']" in err
        assert not (tmp_path / "p.csv").exists() and not (tmp_path / "m.json").exists()
    rc, _, err = run(capsys, "predict", tmp_path / "r", tmp_path / "new.csv", "--out", tmp_path / "p.csv",
                     "--unknown", "ignore")
    counts = new.Treatment.value_counts()
    assert rc == 0 and (f"crossentropy: warning: {len(new)} value(s) not seen in training encoded as all zeros ('Treatment': "
                        f"'PLACEBO' ({counts['PLACEBO']}), 'TREATED' ({counts['TREATED']}))") in err
    zeros = pd.read_csv(tmp_path / "p.csv")
    # train --unknown ignore records the policy: predict then needs no option, with the same predictions
    assert run(capsys, "train", root / "arthritis.csv", "--target", "Improved", "--unknown", "ignore", "--out",
               tmp_path / "r2", "--no-plots")[0] == 0
    assert json.loads((tmp_path / "r2" / "model.json").read_text())["preprocessing"]["unknown"] == "ignore"
    rc, _, _ = run(capsys, "predict", tmp_path / "r2", tmp_path / "new.csv", "--out", tmp_path / "p2.csv")
    assert rc == 0 and pd.read_csv(tmp_path / "p2.csv").equals(zeros)


def test_prediction_refuses_a_timestamp_in_a_numeric_column(tables, capsys, tmp_path):
    root, frame, _ = tables
    assert run(capsys, "train", root / "arthritis.csv", "--target", "Improved", "--out", tmp_path / "r",
               "--no-plots")[0] == 0
    changed = frame.assign(Age=pd.to_datetime("2020-01-01") + pd.to_timedelta(frame.Age, unit="D"))
    changed.to_parquet(tmp_path / "new.parquet")
    rc, _, err = run(capsys, "predict", tmp_path / "r", tmp_path / "new.parquet", "--out", tmp_path / "p.csv")
    assert rc == 2 and "column 'Age' was numeric in training but holds datetime64" in err
    assert not (tmp_path / "p.csv").exists()
    with pytest.raises(ValueError, match="column 'Age' was numeric in training but holds booleans"):
        ce.load_pipeline(tmp_path / "r").predict_proba(frame.assign(Age=frame.Age > 50))


def test_evaluate_refuses_labels_the_model_does_not_know(capsys, tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=40), "y": rng.choice([0, 1], 40)})
    frame.to_csv(tmp_path / "t.csv", index=False)
    assert run(capsys, "train", tmp_path / "t.csv", "--target", "y", "--out", tmp_path / "r", "--no-plots")[0] == 0
    frame.assign(y=[1.5, -0.7] + frame.y.tolist()[2:]).to_csv(tmp_path / "e.csv", index=False)
    rc, _, err = run(capsys, "evaluate", tmp_path / "r", tmp_path / "e.csv")
    assert rc == 2 and "the target column 'y' holds labels the model does not know: [1.5, -0.7]" in err


@pytest.mark.parametrize("column, needle", [
    ([[1, 2], [3]] * 10, "column 'tags' holds nested values"),
    ([b"\xff\x00", b"\x80abc"] * 10, "column 'tags' holds binary values"),
])
def test_train_refuses_nested_and_binary_parquet_columns(capsys, tmp_path, column, needle):
    frame = pd.DataFrame({"x": np.arange(20.0) % 7, "tags": column, "y": [0, 1] * 10})
    frame.to_parquet(tmp_path / "t.parquet")
    rc, _, err = run(capsys, "train", tmp_path / "t.parquet", "--target", "y", "--out", tmp_path / "r")
    assert rc == 2 and needle in err and not (tmp_path / "r").exists()


def test_a_semicolon_csv_trains_like_the_comma_csv(tables, capsys, tmp_path):
    root, frame, _ = tables
    frame.to_csv(tmp_path / "semi.csv", sep=";", index=False)
    for name in ("semi.csv", "comma.csv"):
        data = tmp_path / name if name == "semi.csv" else root / "arthritis.csv"
        assert run(capsys, "train", data, "--target", "Improved", "--out", tmp_path / name[:-4], "--no-plots")[0] == 0
    semi, comma = (json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("semi", "comma"))
    assert semi["test"] == comma["test"] and semi["n_features"] == comma["n_features"]


def test_ordinal_model_takes_the_order_of_an_ordered_factor(tables, capsys, tmp_path):
    root, frame, _ = tables
    levels = ["None", "Some", "Marked"]
    frame.assign(Improved=pd.Categorical(frame.Improved, categories=levels, ordered=True)).to_parquet(
        tmp_path / "ordered.parquet")
    opts = ["--target", "Improved", "--model", "ordinal", "--no-plots", "--test-size", "0"]
    assert run(capsys, "train", tmp_path / "ordered.parquet", *opts, "--out", tmp_path / "factor")[0] == 0
    assert run(capsys, "train", root / "arthritis.csv", *opts, "--order", ",".join(levels),
               "--out", tmp_path / "order")[0] == 0
    a, b = ((tmp_path / d / "coefficients.csv").read_text() for d in ("factor", "order"))
    assert a == b
