"""The page of ``Report``: from Python the same as ``crossentropy train`` writes, apart from the provenance block;
drawn by headless Chromium with every figure decoded and a clean console; a run read back by ``from_run``."""

import json
import re

import pytest
from helpers import CHROMIUM, chromium, console_errors
from sklearn.metrics import log_loss
from sklearn.pipeline import make_pipeline

from crossentropy.cli import main
from crossentropy.report import Report

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: the parts of a page that say who wrote it and when: the title, the "Written" line, the run table's own rows
_PROVENANCE = (r"<title>.*?</title>", r"<h1>.*?</h1>", r"<p class='muted' id='written'>.*?</p>",
               r"<tr class='prov'>.*?</tr>\n?")


def _without_provenance(text):
    for pattern in _PROVENANCE:
        text, n = re.subn(pattern, "", text)
        assert n, pattern
    return text


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """``train --dataset breast_cancer`` and the same model fitted in Python on the rows of its split.json."""
    from crossentropy import LogisticRegression
    from crossentropy.datasets import load_dataset
    from crossentropy.preprocessing import TabularTransformer
    from crossentropy.report.curves import IterateRecorder

    base = tmp_path_factory.mktemp("page")
    out = base / "run"
    assert main(["train", "--dataset", "breast_cancer", "--seed", "3", "--out", str(out)]) == 0
    split = json.loads((out / "split.json").read_text())
    frame = load_dataset("breast_cancer")
    train, test = frame.iloc[split["train_rows"]], frame.iloc[split["test_rows"]]
    prep = TabularTransformer(target="target").fit(train)
    model = LogisticRegression(random_state=3)
    parts = {"train": (prep.transform(train), train["target"].to_numpy()),
             "test": (prep.transform(test), test["target"].to_numpy())}
    recorder = IterateRecorder(model, parts)
    model.fit(*parts["train"], callback=recorder)
    pipe = make_pipeline(prep, model)
    report = Report.from_estimator(pipe, test, test["target"].to_numpy(), X_train=train,
                                   y_train=train["target"].to_numpy(), curves=recorder.curves, seed=3)
    page = report.to_html(base / "python.html")
    return out, report, page, pipe, test


def test_python_page_equals_the_command_line_page_apart_from_provenance(run):
    out, _, page, _, _ = run
    cli, ours = (out / "report.html").read_text(encoding="utf-8"), page.read_text(encoding="utf-8")
    assert _without_provenance(ours) == _without_provenance(cli)
    assert "<code>crossentropy train --dataset breast_cancer" in cli
    assert "crossentropy.report.Report" in ours and "crossentropy train" not in ours


def test_metrics_are_the_run_metrics_and_scikit_learns(run):
    out, report, _, pipe, test = run
    recorded = json.loads((out / "metrics.json").read_text())
    assert report.splits["test"] == recorded["test"] and report.splits["train"] == recorded["train"]
    assert report.metrics.loc[("test", "model"), "log_loss"] == pytest.approx(
        log_loss(test["target"], pipe.predict_proba(test)), rel=1e-12)


def test_from_run_rebuilds_the_run_page(run):
    out, report, _, _, _ = run
    again = Report.from_run(out)
    assert again.splits == report.splits
    assert _without_provenance(again.html()) == _without_provenance(report.html())
    assert again.coefficients.equals(report.coefficients)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_python_page_draws_in_chromium(run, tmp_path):
    _, report, page, _, _ = run
    done = chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", page.resolve().as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    body = re.search(r"<body[^>]*>", done.stdout)[0]
    shown = [n for n in report.figures]  # 143 test rows: every figure is shown
    assert 'data-figures="ok"' in body and f'data-figure-count="{len(shown)}"' in body, body
    assert console_errors(done.stderr) == [], done.stderr[-2000:]
    assert sorted(re.findall(r"<img [^>]*alt=\"([^\"]+)\"", done.stdout)) == sorted(shown)
