"""The train/test split when stratifying is impossible: a class of one row, more classes than test rows."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from crossentropy.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _table(labels, seed=0):
    rng = np.random.default_rng(seed)
    codes = pd.factorize(labels)[0]
    return pd.DataFrame({"x1": codes + rng.normal(scale=0.3, size=len(labels)), "x2": rng.normal(size=len(labels)),
                         "label": labels})


def _split(out):
    return json.loads((out / "split.json").read_text())


def test_a_class_of_one_row_stays_in_training(tmp_path, capsys):
    labels = np.array(["A"] * 40 + ["B"] * 40 + ["C"])
    path = tmp_path / "one.csv"
    _table(labels).to_csv(path, index=False)
    for seed in (0, 1, 12, 14):  # whatever the seed, the lone 'C' row is a training row (a plain
        # train_test_split(test_size=0.25, random_state=seed) puts it in the test rows for 12 and 14)
        out = tmp_path / f"run{seed}"
        rc, _, err = run(capsys, "train", path, "--target", "label", "--seed", seed, "--out", out, "--no-plots")
        assert rc == 0, err
        split = _split(out)
        assert 80 in split["train_rows"] and len(split["test_rows"]) == int(np.ceil(0.25 * 81))
        assert "one row of each class kept for training" in split["method"] and "1 class(es) have no test row" in split["method"]
        assert err == ""  # nothing the model cannot predict: no warning
        m = json.loads((out / "metrics.json").read_text())
        assert m["classes"] == ["A", "B", "C"] and [c["class"] for c in m["test"]["per_class"]] == ["A", "B", "C"]
        assert m["test"]["per_class"][2]["support"] == 0


def test_more_classes_than_test_rows_keeps_every_class_in_training(tmp_path, capsys):
    labels = np.repeat([f"k{i:03d}" for i in range(120)], 3)  # 360 rows, 90 test rows < 120 classes
    path = tmp_path / "many.csv"
    _table(labels).to_csv(path, index=False)
    out = tmp_path / "run"
    rc, _, err = run(capsys, "train", path, "--target", "label", "--out", out, "--no-plots", "--max-iter", "30")
    assert rc == 0, err
    split = _split(out)
    assert len(split["test_rows"]) == 90 and not set(split["train_rows"]) & set(split["test_rows"])
    assert set(labels[split["train_rows"]]) == set(labels)
    assert err == ""


def test_test_classes_unknown_to_the_model_warn_in_one_short_line_and_count_in_the_metrics(tmp_path, capsys):
    labels = np.array([f"c{i:04d}" for i in range(1000)])  # one row per class: 250 test classes the model never saw
    path = tmp_path / "unique.csv"
    frame = _table(labels)
    frame.to_csv(path, index=False)
    out = tmp_path / "run"
    rc, stdout, err = run(capsys, "train", path, "--target", "label", "--out", out, "--no-plots", "--max-iter", "5",
                          "--solver", "lbfgs")
    assert rc == 0, err
    lines = [line for line in err.splitlines() if "split" in line]  # (others: scikit-learn's, the solver's)
    assert len(lines) == 1 and len(lines[0]) < 600, err
    assert lines[0].startswith("crossentropy: warning: 250 class(es) of the test split are not in the training split (")
    assert "and 242 more" in lines[0] and "test metrics are computed over all classes" in lines[0]
    split = _split(out)
    test = frame.iloc[split["test_rows"]]
    test.drop(columns="label").to_csv(tmp_path / "x.csv", index=False)
    rc, _, err = run(capsys, "predict", out, tmp_path / "x.csv", "--proba", "--out", tmp_path / "p.csv")
    assert rc == 0, err
    pred = pd.read_csv(tmp_path / "p.csv")
    known = [c[len("proba_"):] for c in pred.columns if c.startswith("proba_")]
    everything = sorted(set(labels))
    full = pd.DataFrame(0.0, index=pred.index, columns=everything)
    full[known] = pred[[f"proba_{c}" for c in known]].to_numpy()
    m = json.loads((out / "metrics.json").read_text())["test"]
    y = test["label"].to_numpy()
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, full.to_numpy(), labels=everything), rel=1e-10)
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, pred["prediction"]), abs=1e-15) and m["accuracy"] == 0
    assert len(m["per_class"]) == 1000
    assert "... and 980 more classes" in stdout
