"""`crossentropy train --cv`: C chosen on the training split, the figures and cv_results.csv written."""

import csv
import json

import numpy as np
import pytest
from helpers import assert_png

import crossentropy as ce
from crossentropy.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_train_cv_writes_figures_results_and_the_choice(tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["train", "--dataset", "breast_cancer", "--out", str(out), "--cv", "3", "--Cs", "0.01,0.1,1,10",
               "--selection", "1se"])
    stdout, stderr = capsys.readouterr()
    assert rc == 0, stderr
    names = {p.name for p in out.iterdir()}
    assert {"cv_curve.png", "coef_path.png", "cv_results.csv", "model.json"} <= names
    assert_png(out / "cv_curve.png")
    assert_png(out / "coef_path.png")
    rows = list(csv.DictReader((out / "cv_results.csv").open()))
    assert [float(r["C"]) for r in rows] == [0.01, 0.1, 1.0, 10.0]
    folds = np.array([[float(r[f"split{f}_score"]) for f in range(3)] for r in rows])
    np.testing.assert_allclose([float(r["mean_score"]) for r in rows], folds.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose([float(r["std_error"]) for r in rows], folds.std(axis=1, ddof=1) / np.sqrt(3),
                               rtol=1e-12)
    # the 1-SE rule applied to the written table by hand
    mean, se = folds.mean(axis=1), folds.std(axis=1, ddof=1) / np.sqrt(3)
    best = int(np.argmax(mean))
    chosen = min(float(r["C"]) for r, m in zip(rows, mean) if m >= mean[best] - se[best])
    record = json.loads((out / "model.json").read_text())["extra"]["metrics"]["cv"]
    assert record["C"] == chosen and record["selection"] == "1se" and record["folds"] == 3
    assert f"chose C = {chosen:.4g}" in stdout
    model = ce.load_model(out)
    assert type(model).__name__ == "LogisticRegression" and model.C == chosen


@pytest.mark.parametrize("argv, match", [
    (["--cv", "3", "--C", "2"], "--C conflicts with --cv"),
    (["--cv", "1"], "--cv"),
    (["--Cs", "5"], "need --cv"),
    (["--cv", "3", "--Cs", "0,1"], "--Cs"),
    (["--cv", "3", "--model", "mlp"], "logistic only"),
    (["--cv", "3", "--penalty", "elasticnet"], "--l1-ratios"),
])
def test_bad_cv_options_are_usage_errors(tmp_path, capsys, argv, match):
    out = tmp_path / "run"
    rc = main(["train", "--dataset", "iris", "--out", str(out), *argv])
    _, stderr = capsys.readouterr()
    assert rc == 2 and match in stderr and stderr.count("\n") == 1
    assert not out.exists()
