"""Honest metrics: the baseline, per-class numbers, --pos-label and --threshold, against scikit-learn."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.dummy import DummyClassifier

from crossentropy.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def imbalanced(tmp_path_factory):
    """6 % positives and features that say nothing: no model beats always answering 'no'."""
    rng = np.random.default_rng(5)
    n = 600
    df = pd.DataFrame({"u": rng.normal(size=n), "v": rng.normal(size=n)})
    df["label"] = np.where(rng.random(n) < 0.06, "yes", "no")
    path = tmp_path_factory.mktemp("imb") / "imbalanced.csv"
    df.to_csv(path, index=False)
    return path


def _rows(path, split, part):
    return pd.read_csv(path).iloc[split[f"{part}_rows"]]


def _predict(capsys, run_dir, frame, tmp_path):
    frame.to_csv(tmp_path / "part.csv", index=False)
    rc, _, err = run(capsys, "predict", run_dir, tmp_path / "part.csv", "--proba", "--out", tmp_path / "p.csv")
    assert rc == 0, err
    table = pd.read_csv(tmp_path / "p.csv")
    return table[["proba_no", "proba_yes"]].to_numpy(), table["prediction"].to_numpy()


def test_a_model_that_does_not_beat_the_majority_class_is_called_out(tmp_path, capsys, imbalanced):
    out = tmp_path / "run"
    rc, stdout, err = run(capsys, "train", imbalanced, "--target", "label", "--C", "1e-4", "--out", out)
    assert rc == 0, err
    m = json.loads((out / "metrics.json").read_text())
    split = json.loads((out / "split.json").read_text())
    train, test = _rows(imbalanced, split, "train"), _rows(imbalanced, split, "test")
    Z = np.zeros((len(test), 1))
    prior = DummyClassifier(strategy="prior").fit(np.zeros((len(train), 1)), train["label"])
    majority = DummyClassifier(strategy="most_frequent").fit(np.zeros((len(train), 1)), train["label"])
    assert m["test"]["baseline"]["accuracy"] == pytest.approx(majority.score(Z, test["label"]), rel=1e-15)
    assert m["test"]["baseline"]["log_loss"] == pytest.approx(
        skm.log_loss(test["label"], prior.predict_proba(Z), labels=["no", "yes"]), rel=1e-12)
    assert m["test"]["baseline"]["majority_class"] == "no"
    assert m["prior"]["frequency"] == pytest.approx((train["label"].value_counts(normalize=True)[["no", "yes"]]).tolist())
    assert m["test"]["accuracy"] <= m["test"]["baseline"]["accuracy"]
    assert re.search(r"^note: on test, the model's accuracy \S+ is not above the majority-class rate \S+ "
                     r"\(always 'no'\): it does not beat the baseline$", stdout, re.M)
    page = (out / "report.html").read_text()
    assert "does not beat the baseline" in page and "majority-class rate" in page


def test_pos_label_and_threshold_decide_as_scikit_learn_would(tmp_path, capsys, imbalanced):
    out = tmp_path / "run"
    rc, stdout, err = run(capsys, "train", imbalanced, "--target", "label", "--pos-label", "no", "--threshold", "0.95",
                          "--out", out)
    assert rc == 0, err
    m = json.loads((out / "metrics.json").read_text())
    split = json.loads((out / "split.json").read_text())
    test = _rows(imbalanced, split, "test")
    proba, predicted = _predict(capsys, out, test.drop(columns="label"), tmp_path)
    y = test["label"].to_numpy()
    pred = np.where(proba[:, 0] >= 0.95, "no", "yes")  # --threshold on P(no), the named positive class
    assert 0 < np.sum(pred == "yes") < len(pred)  # the threshold moved some decisions
    assert predicted.tolist() == pred.tolist()  # predict decides with the run's threshold too
    got = m["test"]
    assert got["pos_label"] == "no" and got["threshold"] == 0.95
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, pred), rel=1e-15)
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y == "no", proba[:, 0]), rel=1e-12)
    assert got["brier"] == pytest.approx(skm.brier_score_loss(y == "no", proba[:, 0]), rel=1e-12)
    report = skm.classification_report(y, pred, labels=["no", "yes"], output_dict=True, zero_division=0)
    for c in got["per_class"]:
        r = report[c["class"]]
        assert (c["precision"], c["recall"], c["f1"], c["support"]) == pytest.approx(
            (r["precision"], r["recall"], r["f1-score"], r["support"]), rel=1e-12)
    assert "take 'no' as the positive class; predicted 'no' when its probability is >= 0.95" in stdout
    # evaluate uses the run's positive class and threshold unless told otherwise
    test.to_csv(tmp_path / "test.csv", index=False)
    rc, _, err = run(capsys, "evaluate", out, tmp_path / "test.csv", "--out", tmp_path / "e.json")
    assert rc == 0, err
    assert json.loads((tmp_path / "e.json").read_text()) == got
    rc, _, err = run(capsys, "evaluate", out, tmp_path / "test.csv", "--threshold", "0.5", "--pos-label", "yes",
                     "--out", tmp_path / "e2.json")
    assert rc == 0, err
    e2 = json.loads((tmp_path / "e2.json").read_text())
    assert e2["accuracy"] == pytest.approx(skm.accuracy_score(y, np.where(proba[:, 1] >= 0.5, "yes", "no")), rel=1e-15)
    assert e2["roc_auc"] == pytest.approx(skm.roc_auc_score(y == "yes", proba[:, 1]), rel=1e-12)


@pytest.mark.parametrize("argv, needle", [
    (["--pos-label", "maybe"], "--pos-label 'maybe' is not a class; the classes are ['no', 'yes']"),
    (["--threshold", "1.5"], "--threshold: expected a probability in (0, 1), got '1.5'"),
    (["--threshold", "0"], "expected a probability in (0, 1)"),
])
def test_bad_decision_options_exit_2_before_the_fit(tmp_path, capsys, imbalanced, monkeypatch, argv, needle):
    import crossentropy.cli.train as cli_train

    monkeypatch.setattr(cli_train, "_fit", lambda *a, **k: pytest.fail("fitted despite a bad option"))
    rc, _, err = run(capsys, "train", imbalanced, "--target", "label", "--out", tmp_path / "run", *argv)
    assert rc == 2 and err.count("\n") == 1 and needle in err, err
    assert not (tmp_path / "run").exists()


def test_multiclass_auc_is_one_vs_rest_and_decision_options_need_two_classes(tmp_path, capsys):
    rc, stdout, err = run(capsys, "train", "--dataset", "iris", "--out", tmp_path / "run", "--no-plots")
    assert rc == 0, err
    assert re.search(r"^ROC AUC, ovr macro\s+\S+\s+\S+$", stdout, re.M)
    for argv, needle in ((["--threshold", "0.3"], "--threshold applies to two classes; the target has 3"),
                         (["--pos-label", "setosa"], "--pos-label applies to two classes; the target has 3")):
        rc, _, err = run(capsys, "train", "--dataset", "iris", "--out", tmp_path / "run2", *argv)
        assert rc == 2 and needle in err and not (tmp_path / "run2").exists()
