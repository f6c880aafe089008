"""The run's figures: the training curve is the printed log loss per step; `plot run` and `evaluate --plots`."""

import json

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


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _xy(dataset, rows, train_rows):
    frame = load_dataset(dataset)
    X, y = frame.drop(columns="target").to_numpy(), frame["target"].to_numpy()
    scaler = StandardScaler().fit(X[train_rows])
    return scaler.transform(X[rows]), y[rows]


def test_mlp_curve_is_the_log_loss_of_the_network_after_each_epoch(tmp_path, capsys):
    out = tmp_path / "run"
    common = ["--dataset", "wine", "--model", "mlp", "--hidden-layer-sizes", "8", "--learning-rate-init", "0.01"]
    rc, _, err = run(capsys, "train", *common, "--max-iter", "12", "--out", out)
    assert rc == 0, err
    m = json.loads((out / "metrics.json").read_text())
    curve = m["training_curve"]
    assert curve["train"]["steps"] == list(range(1, 13)) and curve["test"]["steps"] == list(range(1, 13))
    split = json.loads((out / "split.json").read_text())
    # oracle: a network trained for k epochs from the same seed, scored by scikit-learn
    for k in (1, 5, 12):
        rc, _, err = run(capsys, "train", *common, "--max-iter", k, "--out", tmp_path / f"k{k}", "--no-plots")
        assert rc == 0, err
        model = ce.load_model(tmp_path / f"k{k}")
        for part in ("train", "test"):
            X, y = _xy("wine", split[f"{part}_rows"], split["train_rows"])
            want = skm.log_loss(y, model.predict_proba(X), labels=model.classes_)
            assert curve[part]["log_loss"][k - 1] == pytest.approx(want, rel=1e-6), (part, k)
    assert curve["train"]["log_loss"][-1] == pytest.approx(m["train"]["log_loss"], rel=1e-12)
    assert curve["test"]["log_loss"][-1] == pytest.approx(m["test"]["log_loss"], rel=1e-12)
    assert_png(out / "training_curve.png")


def test_early_stopping_marks_the_restored_epoch(tmp_path, capsys):
    out = tmp_path / "run"
    rc, _, err = run(capsys, "train", "--dataset", "digits", "--model", "mlp", "--hidden-layer-sizes", "32",
                     "--learning-rate-init", "0.05", "--max-iter", "60", "--early-stopping", "--param",
                     "n_iter_no_change=3", "--out", out)
    assert rc == 0, err
    model = ce.load_model(out)
    m = json.loads((out / "metrics.json").read_text())
    best = int(np.argmin(model.validation_loss_curve_)) + 1
    assert best < model.n_iter_  # the restored epoch is not the last
    # the restored weights are the best epoch's: the table's train log loss is that epoch's point
    assert m["train"]["log_loss"] == pytest.approx(m["training_curve"]["train"]["log_loss"][best - 1], rel=1e-6)
    rc, _, err = run(capsys, "plot", "run", out, "--out", tmp_path / "again")
    assert rc == 0, err
    from crossentropy.report.curves import curves_from_json
    from crossentropy.report.figures import run_figures

    fig = run_figures(model, y_eval=np.array([0, 1]), proba_eval=np.eye(10)[:2], pred_eval=None,
                      curves=curves_from_json(m["training_curve"]))["training_curve.png"]
    ax = fig.axes[0]
    assert ax.get_xlabel() == "epoch"
    kept = [line for line in ax.get_lines() if line.get_label().startswith("kept")]
    assert len(kept) == 1 and list(kept[0].get_xdata()) == [best, best]
    assert (tmp_path / "again" / "training_curve.png").read_bytes() == (out / "training_curve.png").read_bytes()


def test_logistic_curve_ends_at_the_printed_numbers_and_plot_run_redraws_the_run(tmp_path, capsys):
    out = tmp_path / "run"
    rc, _, err = run(capsys, "train", "--out", out, "--solver", "lbfgs")
    assert rc == 0, err
    m = json.loads((out / "metrics.json").read_text())
    curve = m["training_curve"]
    assert curve["train"]["steps"] == curve["test"]["steps"] == list(range(1, m["n_iter"] + 1))  # every iterate
    split = json.loads((out / "split.json").read_text())
    model = ce.load_model(out)
    for part in ("train", "test"):
        X, y = _xy("breast_cancer", split[f"{part}_rows"], split["train_rows"])
        assert curve[part]["log_loss"][-1] == pytest.approx(skm.log_loss(y, model.predict_proba(X)), rel=1e-9)
    assert curve["train"]["log_loss"][0] > 2 * curve["train"]["log_loss"][-1]  # it starts far from the optimum
    rc, stdout, err = run(capsys, "plot", "run", out, "--out", tmp_path / "figs")
    assert rc == 0, err
    for name in ("training_curve.png", "reliability.png", "confusion_matrix.png"):
        assert (tmp_path / "figs" / name).read_bytes() == (out / name).read_bytes(), name
    assert json.loads((tmp_path / "figs" / "metrics.json").read_text()) == m["test"]
    rc, _, err = run(capsys, "plot", "run", out, "--out", tmp_path / "figs")
    assert rc == 2 and "--force" in err


def test_evaluate_plots_new_labelled_data_into_the_report_dir(tmp_path, capsys):
    out = tmp_path / "run"
    assert run(capsys, "train", "--out", out, "--no-plots")[0] == 0
    frame = load_dataset("breast_cancer").sample(200, random_state=1)
    frame.to_csv(tmp_path / "new.csv", index=False)
    rc, stdout, err = run(capsys, "evaluate", out, tmp_path / "new.csv", "--plots", "--report-dir", tmp_path / "ev")
    assert rc == 0, err
    assert sorted(p.name for p in (tmp_path / "ev").iterdir()) == ["confusion_matrix.png", "metrics.json",
                                                                   "reliability.png", "report.html"]
    for png in (tmp_path / "ev").glob("*.png"):
        assert_png(png)
    from crossentropy.plotting import plot_confusion_matrix

    model = ce.load_model(out)
    m = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert m["n"] == 200
    rc, _, _ = run(capsys, "predict", out, tmp_path / "new.csv", "--out", tmp_path / "p.csv")
    pred = pd.read_csv(tmp_path / "p.csv")["prediction"]
    want = skm.confusion_matrix(frame["target"], pred, labels=model.classes_)
    fig = plot_confusion_matrix(frame["target"].to_numpy(), pred.to_numpy(), labels=model.classes_, split="new.csv")
    shown = np.array([int(t.get_text().split("\n")[0]) for t in fig.axes[0].texts]).reshape(2, 2)
    np.testing.assert_array_equal(shown, want)
    assert "new.csv (n = 200)" in fig.axes[0].get_title()
    from crossentropy.plotting import save_figure

    save_figure(fig, tmp_path / "cm.png")  # the evaluate figure is this one, byte for byte
    assert (tmp_path / "cm.png").read_bytes() == (tmp_path / "ev" / "confusion_matrix.png").read_bytes()
    rc, _, err = run(capsys, "evaluate", out, tmp_path / "new.csv", "--plots")
    assert rc == 2 and "--plots needs --report-dir" in err


def test_train_digits_fits_once_and_its_curve_comes_from_that_fit(tmp_path, capsys, monkeypatch):
    """The training curve is recorded by the fit's callback: one solver run, one estimator fit, no refits."""
    from crossentropy.solvers import SOLVERS

    runs, fits = [], []
    for name, solve in list(SOLVERS.items()):
        monkeypatch.setitem(SOLVERS, name, lambda *a, _s=solve, _n=name, **k: runs.append(_n) or _s(*a, **k))
    fit = ce.LogisticRegression.fit
    monkeypatch.setattr(ce.LogisticRegression, "fit", lambda self, *a, **k: fits.append(1) or fit(self, *a, **k))
    out = tmp_path / "run"
    rc, _, err = run(capsys, "train", "--dataset", "digits", "--out", out)
    assert rc == 0, err
    assert len(runs) == 1 and len(fits) == 1
    m = json.loads((out / "metrics.json").read_text())
    assert m["n_iter"] > 1 and m["training_curve"]["train"]["steps"] == list(range(1, m["n_iter"] + 1))
    split = json.loads((out / "split.json").read_text())
    model = ce.load_model(out)
    X, y = _xy("digits", split["test_rows"], split["train_rows"])
    assert m["training_curve"]["test"]["log_loss"][-1] == pytest.approx(skm.log_loss(y, model.predict_proba(X)), rel=1e-9)
