"""`evaluate` and `predict` on a saved run reproduce what `train` reported, row for row."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

import crossentropy as ce
from crossentropy.cli import main
from crossentropy.datasets import load_dataset
from crossentropy.model_io import load_model_bundle

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def make_table(n=120, seed=11):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "x": rng.normal(size=n).round(4),
        "shop": rng.choice(["north", "south", "east"], n),
        "z": rng.exponential(size=n).round(4),
    })
    logit = df["x"] - (df["shop"] == "east") * 1.2 + 0.5 * df["z"]
    df["outcome"] = np.select([logit < -0.5, logit < 0.8], ["low", "mid"], "high")
    df.loc[rng.choice(n, 5, replace=False), "z"] = np.nan
    df.loc[rng.choice(n, 3, replace=False), "shop"] = None
    return df


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A breast_cancer run, and an --impute run on a three-class table with strings and gaps."""
    base = tmp_path_factory.mktemp("runs")
    assert main(["train", "--out", str(base / "bc"), "--no-plots"]) == 0
    frame = load_dataset("breast_cancer")
    frame.to_csv(base / "bc.csv", index=False)
    table = make_table()
    table.to_csv(base / "table.csv", index=False)
    assert main(["train", str(base / "table.csv"), "--target", "outcome", "--impute", "median",
                 "--out", str(base / "tab"), "--no-plots", "--model", "mlp", "--hidden-layer-sizes", "6",
                 "--max-iter", "60", "--learning-rate-init", "0.02"]) == 0
    assert main(["train", str(base / "table.csv"), "--target", "outcome", "--dropna",
                 "--out", str(base / "drop"), "--no-plots"]) == 0
    return base


def _subset(src, rows, dst):
    pd.read_csv(src).iloc[rows].to_csv(dst, index=False)
    return dst


@pytest.mark.parametrize("name, data", [("bc", "bc.csv"), ("tab", "table.csv"), ("drop", "table.csv")])
@pytest.mark.parametrize("part", ["train", "test"])
def test_evaluate_reproduces_the_numbers_train_reported(tmp_path, capsys, trained, name, data, part):
    run_dir = trained / name
    reported = json.loads((run_dir / "metrics.json").read_text())
    rows = json.loads((run_dir / "split.json").read_text())[f"{part}_rows"]
    csv = _subset(trained / data, rows, tmp_path / "part.csv")
    rc, out, err = run(capsys, "evaluate", run_dir, csv, "--out", tmp_path / "m.json")
    assert rc == 0, err
    got = json.loads((tmp_path / "m.json").read_text())
    assert got == reported[part]  # bit for bit: same rows, same preprocessing, same model
    assert f"{got['log_loss']:.4f}" in out and f"{got['accuracy']:.4f}" in out


def test_evaluate_on_the_whole_table_matches_scikit_learn(tmp_path, capsys, trained):
    rc, _, err = run(capsys, "evaluate", trained / "bc" / "model.json", trained / "bc.csv", "--out", tmp_path / "m.json")
    assert rc == 0, err
    got = json.loads((tmp_path / "m.json").read_text())
    rc, _, _ = run(capsys, "predict", trained / "bc", trained / "bc.csv", "--proba", "--out", tmp_path / "p.csv")
    pred = pd.read_csv(tmp_path / "p.csv")
    y = load_dataset("breast_cancer")["target"].to_numpy()
    proba = pred[["proba_benign", "proba_malignant"]].to_numpy()
    assert got["log_loss"] == pytest.approx(skm.log_loss(y, proba, labels=["benign", "malignant"]), rel=1e-12)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, pred["prediction"]), rel=1e-15)
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y == "malignant", proba[:, 1]), rel=1e-12)
    assert got["brier"] == pytest.approx(skm.brier_score_loss(y == "malignant", proba[:, 1]), rel=1e-12)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_predict_writes_one_row_per_input_row(tmp_path, capsys, trained, fmt):
    out = tmp_path / f"pred.{fmt}"
    rc, stdout, err = run(capsys, "predict", trained / "tab", trained / "table.csv", "--proba", "--out", out)
    assert rc == 0, err
    pred = pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)
    table = pd.read_csv(trained / "table.csv")
    assert len(pred) == len(table) == 120  # rows with gaps are imputed, not dropped
    assert list(pred.columns) == ["prediction", "proba_high", "proba_low", "proba_mid"]
    proba = pred[["proba_high", "proba_low", "proba_mid"]].to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(pred["prediction"], np.array(["high", "low", "mid"])[proba.argmax(axis=1)])
    # the same numbers as the library on the same preprocessing
    bundle = load_model_bundle(trained / "tab")
    expected = bundle.estimator.predict_proba(bundle.preprocessing.transform(table))
    np.testing.assert_array_equal(proba, expected)  # CSV floats round-trip exactly
    assert "wrote 120 predictions" in stdout


def test_predict_without_proba_and_with_extra_or_reordered_columns(tmp_path, capsys, trained):
    table = pd.read_csv(trained / "table.csv")
    shuffled = table[["outcome", "z", "shop", "x"]].assign(note="ignored")
    shuffled.to_csv(tmp_path / "shuffled.csv", index=False)
    assert run(capsys, "predict", trained / "tab", trained / "table.csv", "--out", tmp_path / "a.csv")[0] == 0
    assert run(capsys, "predict", trained / "tab", tmp_path / "shuffled.csv", "--out", tmp_path / "b.csv")[0] == 0
    a, b = pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv")
    assert list(a.columns) == ["prediction"]
    pd.testing.assert_frame_equal(a, b)


def test_predict_with_a_dropna_model_refuses_rows_with_gaps(tmp_path, capsys, trained):
    rc, _, err = run(capsys, "predict", trained / "drop", trained / "table.csv", "--out", tmp_path / "p.csv")
    assert rc == 2 and "trained with --dropna" in err and "'z' (5)" in err
    assert not (tmp_path / "p.csv").exists()
    complete = pd.read_csv(trained / "table.csv").dropna()
    complete.to_csv(tmp_path / "complete.csv", index=False)
    rc, _, err = run(capsys, "predict", trained / "drop", tmp_path / "complete.csv", "--out", tmp_path / "p.csv")
    assert rc == 0 and len(pd.read_csv(tmp_path / "p.csv")) == len(complete)


def test_unseen_category_is_an_error_unless_ignored(tmp_path, capsys, trained):
    table = pd.read_csv(trained / "table.csv")
    table.loc[[0, 1], "shop"] = "west"
    table.to_csv(tmp_path / "new.csv", index=False)
    rc, _, err = run(capsys, "predict", trained / "tab", tmp_path / "new.csv", "--out", tmp_path / "p.csv")
    assert rc == 2 and "column 'shop'" in err and "['west']" in err and "--unknown ignore" in err
    assert not (tmp_path / "p.csv").exists()
    rc, out, err = run(capsys, "predict", trained / "tab", tmp_path / "new.csv", "--out", tmp_path / "p.csv",
                       "--unknown", "ignore")
    assert rc == 0 and "2 value(s) not seen in training encoded as all zeros ('shop': 'west' (2))" in err
    assert len(pd.read_csv(tmp_path / "p.csv")) == 120


def test_the_model_file_alone_predicts_like_the_run(trained):
    bundle = load_model_bundle(trained / "bc")
    frame = load_dataset("breast_cancer")
    X = bundle.preprocessing.transform(frame)
    np.testing.assert_array_equal(ce.load_model(trained / "bc").predict_proba(X), bundle.estimator.predict_proba(X))
    assert bundle.extra["metrics"] == json.loads((trained / "bc" / "metrics.json").read_text())


def test_model_saved_from_a_dataframe_without_preprocessing(tmp_path, capsys):
    """A library model fitted on a DataFrame (feature_names_in_) can still be used from the command line."""
    frame = load_dataset("iris")
    X = frame.drop(columns="target")
    est = ce.LogisticRegression(max_iter=200).fit(X, frame["target"])
    ce.save_model(est, tmp_path / "m")
    frame.iloc[::-1].to_csv(tmp_path / "iris.csv", index=False)  # reversed rows, same columns
    rc, _, err = run(capsys, "predict", tmp_path / "m", tmp_path / "iris.csv", "--proba", "--out", tmp_path / "p.csv")
    assert rc == 0 and err == ""  # no feature-name warning: the model is given a DataFrame
    pred = pd.read_csv(tmp_path / "p.csv")
    np.testing.assert_array_equal(pred.iloc[:, 1:].to_numpy(), est.predict_proba(X.iloc[::-1]))
    rc, _, err = run(capsys, "evaluate", tmp_path / "m", tmp_path / "iris.csv", "--target", "target",
                     "--out", tmp_path / "m.json")
    assert rc == 0, err
    got = json.loads((tmp_path / "m.json").read_text())
    assert got["log_loss"] == pytest.approx(skm.log_loss(frame["target"], est.predict_proba(X)), rel=1e-12)
    rc, _, err = run(capsys, "evaluate", tmp_path / "m", tmp_path / "iris.csv")
    assert rc == 2 and "feature names or table preprocessing" in err
