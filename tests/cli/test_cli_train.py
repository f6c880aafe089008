"""`crossentropy train` end to end: built-in data sets and CSV/Parquet tables, checked against scikit-learn."""

import io
import json
import re
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import assert_png
from sklearn import metrics as skm
from sklearn.preprocessing import StandardScaler

import crossentropy as ce
from crossentropy.cli import main
from crossentropy.datasets import load_dataset

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def train(capsys, *argv):
    rc = main(["train", *map(str, argv)])
    out, err = capsys.readouterr()
    return rc, out, err


def sklearn_metrics(y, proba, classes, y_train):
    """The metrics from scikit-learn alone (the oracle for what train reports): the model's, the
    baseline's (DummyClassifier fitted on the training labels) and classification_report's per class."""
    from sklearn.dummy import DummyClassifier

    pred = classes[np.argmax(proba, axis=1)]
    ll = skm.log_loss(y, proba, labels=classes)
    out = {"n": len(y), "log_loss": ll, "log_loss_bits": ll / np.log(2), "accuracy": skm.accuracy_score(y, pred)}
    if len(classes) == 2:
        out["roc_auc"] = skm.roc_auc_score(y == classes[1], proba[:, 1])
        out["brier"] = skm.brier_score_loss(y == classes[1], proba[:, 1])
        out["pos_label"], out["threshold"] = classes[1].item(), None
    else:
        out["roc_auc"] = skm.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=classes)
    Z_train, Z = np.zeros((len(y_train), 1)), np.zeros((len(y), 1))
    prior = DummyClassifier(strategy="prior").fit(Z_train, y_train)
    majority = DummyClassifier(strategy="most_frequent").fit(Z_train, y_train)
    base = skm.log_loss(y, prior.predict_proba(Z), labels=classes)
    out["baseline"] = {"log_loss": base, "log_loss_bits": base / np.log(2), "accuracy": majority.score(Z, y),
                       "majority_class": majority.predict(Z)[0].item(),
                       "macro_f1": skm.f1_score(y, prior.predict(Z), labels=classes, average="macro", zero_division=0)}
    if len(classes) == 2:
        out["baseline"]["brier"] = skm.brier_score_loss(y == classes[1], prior.predict_proba(Z)[:, 1])
    report = skm.classification_report(y, pred, labels=classes, output_dict=True, zero_division=0)
    out["per_class"] = [{"class": c.item(), "precision": report[str(c)]["precision"], "recall": report[str(c)]["recall"],
                         "f1": report[str(c)]["f1-score"], "support": report[str(c)]["support"]} for c in classes]
    out["macro_f1"] = report["macro avg"]["f1-score"]
    return out


def assert_metrics_equal(got, want, where="metrics"):
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), (where, got, want)
        for k in want:
            assert_metrics_equal(got[k], want[k], f"{where}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            assert_metrics_equal(g, w, f"{where}[{i}]")
    elif isinstance(want, (float, np.floating)):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-15), where
    else:
        assert got == want, where


RUN_FILES = {"model.json", "model.safetensors", "metrics.json", "split.json", "training_curve.png",
             "reliability.png", "confusion_matrix.png", "report.html"}


@pytest.mark.parametrize("dataset, options", [
    ("breast_cancer", []),
    ("digits", ["--solver", "lbfgs", "--max-iter", "60"]),
    ("iris", []),
    ("wine", ["--model", "mlp", "--hidden-layer-sizes", "8", "--max-iter", "40", "--learning-rate-init", "0.01"]),
])
def test_train_on_each_builtin_dataset(tmp_path, capsys, dataset, options):
    out = tmp_path / "run"
    rc, stdout, stderr = train(capsys, "--dataset", dataset, "--out", out, *options)
    assert rc == 0, stderr
    logistic = "--model" not in options  # a logistic regression's run holds its coefficient table
    calibration = {"roc_pr.png"} | ({"reliability_calibration.png"} if np.ceil(0.25 * len(load_dataset(dataset))) >= 100
                                    else set())  # the report's calibration figures (from 100 test rows)
    assert {p.name for p in out.iterdir()} == RUN_FILES | calibration | ({"coefficients.csv"} if logistic else set())
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary directories left
    for png in out.glob("*.png"):
        assert_png(png)
    m = json.loads((out / "metrics.json").read_text())
    split = json.loads((out / "split.json").read_text())
    frame = load_dataset(dataset)
    n = len(frame)
    assert m["n_rows"] == n and m["data"] == f"builtin:{dataset}"
    train_rows, test_rows = np.array(split["train_rows"]), np.array(split["test_rows"])
    assert len(test_rows) == int(np.ceil(0.25 * n)) and len(set(train_rows) | set(test_rows)) == n
    # independent path: sklearn's StandardScaler on the training rows, the saved model, sklearn's metrics
    X, y = frame.drop(columns="target").to_numpy(), frame["target"].to_numpy()
    scaler = StandardScaler().fit(X[train_rows])
    model = ce.load_model(out)
    classes = model.classes_
    for part, rows in (("train", train_rows), ("test", test_rows)):
        proba = model.predict_proba(scaler.transform(X[rows]))
        np.testing.assert_allclose(proba, model.predict_proba(scaler.transform(X[rows])))
        assert_metrics_equal(m[part], sklearn_metrics(y[rows], proba, classes, y[train_rows]))
    # the printed table shows the same numbers
    for label, key in (("log loss", "log_loss"), ("accuracy", "accuracy")):
        row = re.search(rf"^{label}\s+(\S+)\s+(\S+)$", stdout, re.M)
        assert row and float(row[1]) == round(m["train"][key], 4) and float(row[2]) == round(m["test"][key], 4)
    for label, key in (("log loss, bits", "log_loss_bits"), ("prior log loss", "log_loss"),
                       ("majority accuracy", "accuracy")):
        cols = m["train"] if key == "log_loss_bits" else m["train"]["baseline"], m["test"] if key == "log_loss_bits" else m["test"]["baseline"]
        row = re.search(rf"^{label}\s+(\S+)\s+(\S+)$", stdout, re.M)
        assert row and float(row[1]) == round(cols[0][key], 4) and float(row[2]) == round(cols[1][key], 4), label
    auc = "ROC AUC" if len(classes) == 2 else "ROC AUC, ovr macro"
    row = re.search(rf"^{auc}\s+(\S+)\s+(\S+)$", stdout, re.M)
    assert row and float(row[2]) == round(m["test"]["roc_auc"], 4)
    assert ("Brier score" in stdout) == (len(classes) == 2)
    for c in m["test"]["per_class"]:  # the test split's per-class rows
        row = re.search(rf"^{re.escape(str(c['class']))}\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)$", stdout, re.M)
        assert row and [float(v) for v in row.groups()[:3]] == [round(c[k], 4) for k in ("precision", "recall", "f1")]
        assert int(row[4]) == c["support"]
    assert "fitting" not in stderr and "\r" not in stderr  # no progress bar when stderr is not a terminal


def test_logistic_run_equals_a_scikit_learn_pipeline(tmp_path, capsys):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    out = tmp_path / "run"
    rc, _, err = train(capsys, "--out", out, "--tol", "1e-10", "--C", "0.5")
    assert rc == 0, err
    m = json.loads((out / "metrics.json").read_text())
    split = json.loads((out / "split.json").read_text())
    frame = load_dataset("breast_cancer")
    X, y = frame.drop(columns="target").to_numpy(), frame["target"].to_numpy()
    tr, te = split["train_rows"], split["test_rows"]
    ref = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, tol=1e-12, max_iter=10_000)).fit(X[tr], y[tr])
    assert m["test"]["log_loss"] == pytest.approx(skm.log_loss(y[te], ref.predict_proba(X[te])), rel=1e-6)
    assert m["train"]["log_loss"] == pytest.approx(skm.log_loss(y[tr], ref.predict_proba(X[tr])), rel=1e-6)
    assert m["classes"] == ["benign", "malignant"]


def test_mlp_with_early_stopping_draws_the_validation_curve(tmp_path, capsys):
    out = tmp_path / "run"
    rc, _, err = train(capsys, "--dataset", "digits", "--model", "mlp", "--hidden-layer-sizes", "16",
                       "--max-iter", "15", "--early-stopping", "--out", out)
    assert rc == 0, err
    assert_png(out / "training_curve.png")
    model = ce.load_model(out)
    assert model.validation_loss_curve_ is not None and len(model.validation_loss_curve_) == model.n_iter_


# ------------------------------------------------------------------------------------------ CSV tables
def make_table(n=160, seed=3):
    """Numbers, strings and a string target, with gaps ("" in the CSV) in one numeric and one string column."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "age": rng.normal(40, 10, n).round(2),
        "income": rng.lognormal(3, 0.5, n).round(3),
        "color": rng.choice(["red", "green", "blue"], n),
        "plan": rng.choice(["basic", "pro"], n),
    })
    score = 0.08 * (df["age"] - 40) + (df["color"] == "red") * 1.5 - (df["plan"] == "pro") + rng.logistic(size=n)
    df["label"] = np.where(score > 0, "spam", "ham")
    df.loc[rng.choice(n, 6, replace=False), "age"] = np.nan
    df.loc[rng.choice(n, 4, replace=False), "color"] = None
    return df


@pytest.fixture(scope="module")
def table_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "table.csv"
    make_table().to_csv(path, index=False)
    return path


def test_missing_values_stop_the_run_naming_columns_and_counts(tmp_path, capsys, table_csv):
    rc, out, err = train(capsys, table_csv, "--target", "label", "--out", tmp_path / "run")
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("crossentropy: error: ")
    assert "'age' (6)" in err and "'color' (4)" in err and "--dropna" in err and "--impute" in err
    assert not (tmp_path / "run").exists()


def test_dropna_drops_exactly_the_incomplete_rows(tmp_path, capsys, table_csv):
    rc, _, err = train(capsys, table_csv, "--target", "label", "--dropna", "--out", tmp_path / "run")
    assert rc == 0, err
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    raw = pd.read_csv(table_csv)
    incomplete = raw.isna().any(axis=1)
    assert m["n_dropped"] == int(incomplete.sum())
    split = json.loads((tmp_path / "run" / "split.json").read_text())
    assert not incomplete.iloc[split["train_rows"] + split["test_rows"]].any()
    assert m["classes"] == ["ham", "spam"]
    features = json.loads((tmp_path / "run" / "model.json").read_text())["feature_names"]
    assert features == ["age", "income", "color=blue", "color=green", "color=red", "plan=basic", "plan=pro"]


@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent"])
def test_impute_fills_with_the_training_rows_statistic(tmp_path, capsys, table_csv, strategy):
    rc, _, err = train(capsys, table_csv, "--target", "label", "--impute", strategy, "--out", tmp_path / "run")
    assert rc == 0, err
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["n_dropped"] == 0 and m["test"]["n"] + m["train"]["n"] == 160
    split = json.loads((tmp_path / "run" / "split.json").read_text())
    train_rows = pd.read_csv(table_csv).iloc[split["train_rows"]]
    cols = {c["name"]: c for c in json.loads((tmp_path / "run" / "model.json").read_text())["preprocessing"]["columns"]}
    age = train_rows["age"].dropna()
    expected = {"mean": age.mean(), "median": age.median(), "most_frequent": age.mode().min()}[strategy]
    assert cols["age"]["fill"] == pytest.approx(expected, rel=1e-12)
    counts = train_rows["color"].value_counts()
    assert cols["color"]["fill"] == min(counts.index[counts == counts.max()])  # strings: most frequent always
    filled = train_rows["age"].fillna(cols["age"]["fill"])
    assert cols["age"]["mean"] == pytest.approx(filled.mean(), rel=1e-12)
    assert cols["age"]["scale"] == pytest.approx(filled.std(ddof=0), rel=1e-12)


def test_parquet_input_and_a_two_feature_decision_boundary(tmp_path, capsys):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x1": rng.normal(size=150), "x2": rng.normal(size=150)})
    df["cls"] = np.where(df["x1"] - df["x2"] + rng.logistic(size=150) * 0.3 > 0, 1, 0)
    path = tmp_path / "two.parquet"
    df.to_parquet(path)
    rc, _, err = train(capsys, path, "--target", "cls", "--out", tmp_path / "run")
    assert rc == 0, err
    assert_png(tmp_path / "run" / "decision_boundary.png")
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["classes"] == [0, 1]


def test_progress_bar_only_on_a_terminal(tmp_path, capsys, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["train", "--dataset", "iris", "--out", str(tmp_path / "a"), "--no-plots"]) == 0
    assert "fitting LogisticRegression [" in term.getvalue() and "loss" in term.getvalue()
    monkeypatch.undo()
    rc, _, err = train(capsys, "--dataset", "iris", "--out", tmp_path / "b", "--no-plots")
    assert rc == 0 and err == ""
    assert not list((tmp_path / "b").glob("*.png"))


def test_default_run_directory_and_force(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, _ = train(capsys, "--dataset", "iris", "--no-plots")
    assert rc == 0
    (run,) = (tmp_path / "runs").iterdir()
    assert re.fullmatch(r"\d{8}-\d{6}(-\d+)?", run.name)
    assert f"wrote runs/{run.name}/" in out
    rc, _, err = train(capsys, "--dataset", "iris", "--no-plots", "--out", run)
    assert rc == 2 and "--force" in err
    before = json.loads((run / "metrics.json").read_text())
    rc, _, _ = train(capsys, "--dataset", "wine", "--no-plots", "--out", run, "--force")
    assert rc == 0
    after = json.loads((run / "metrics.json").read_text())
    assert before["data"] == "builtin:iris" and after["data"] == "builtin:wine"
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [run.name]


def test_test_size_zero_reports_the_training_rows_only(tmp_path, capsys):
    rc, out, err = train(capsys, "--dataset", "wine", "--test-size", "0", "--out", tmp_path / "run")
    assert rc == 0, err
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["test"] is None and m["train"]["n"] == 178
    assert "test" not in out.splitlines()[1]
    assert_png(tmp_path / "run" / "confusion_matrix.png")


def test_dask_option_hands_the_parsed_options_to_train_dask(tmp_path, capsys, monkeypatch):
    """`--dask` delegates to crossentropy.cli.train.train_dask (the Dask source) with the whole, frozen configuration."""
    import dataclasses

    from crossentropy.cli.config import TrainConfig
    import crossentropy.cli.train as cli_train

    seen = {}

    def train_dask(args):
        seen["args"] = args
        return 0

    monkeypatch.setattr(cli_train, "train_dask", train_dask)
    rc, _, _ = train(capsys, "data/*.parquet", "--target", "y", "--dask", "tcp://10.0.0.1:8786", "--C", "2",
                     "--test-size", "0.2", "--seed", "5", "--out", tmp_path / "run")
    assert rc == 0
    args = seen["args"]
    assert isinstance(args, TrainConfig)
    with pytest.raises(dataclasses.FrozenInstanceError):
        args.C = 3.0
    assert (args.data, args.target, args.dask, args.C, args.test_size, args.seed) == (
        "data/*.parquet", "y", "tcp://10.0.0.1:8786", 2.0, 0.2, 5)
    assert args.out == str(tmp_path / "run") and not (tmp_path / "run").exists()
