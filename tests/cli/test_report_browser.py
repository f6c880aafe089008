"""report.html in a real browser (headless Chromium): every figure decodes, the page draws, no console error."""

import re

import numpy as np
import pytest
from helpers import CHROMIUM, chromium as _chromium, console_errors as _console_errors

from crossentropy.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

if CHROMIUM is None:
    pytest.skip("chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser") / "run"
    assert main(["train", "--dataset", "iris", "--out", str(out)]) == 0
    return out / "report.html"


def test_every_figure_decodes_in_chromium(report, tmp_path):
    n_images = report.read_text(encoding="utf-8").count("<img ")
    assert n_images == 3  # training curve, confusion matrix, ROC/PR (38 test rows: no reliability diagram)
    done = _chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", report.resolve().as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    body = re.search(r"<body[^>]*>", done.stdout)
    assert body, done.stdout[:500]
    assert 'data-figures="ok"' in body[0] and f'data-figure-count="{n_images}"' in body[0], body[0]
    assert _console_errors(done.stderr) == [], done.stderr[-2000:]


def test_the_checks_catch_a_broken_figure_and_a_console_error(tmp_path):
    """The same checks on a page with an undecodable image, console.error and an uncaught exception."""
    from crossentropy.report import page as report_page

    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body data-figures='pending'><img src='data:image/png;base64,AAAA'>"
                   f"<script>console.error('boom'); {report_page._SCRIPT} notAFunction();</script></body></html>")
    done = _chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", bad.as_uri())
    assert 'data-figures="broken"' in done.stdout
    errors = _console_errors(done.stderr)
    assert any("boom" in line for line in errors) and any("Uncaught" in line for line in errors), done.stderr[-2000:]


def test_the_screenshot_is_drawn_and_the_console_is_clean(report, tmp_path):
    from PIL import Image

    shot = tmp_path / "report.png"
    done = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,3000", "--hide-scrollbars",
                     report.resolve().as_uri())
    assert done.returncode == 0 and shot.exists() and shot.stat().st_size > 0, done.stderr[-2000:]
    with Image.open(shot) as im:
        assert im.size == (1200, 3000)
        pixels = np.asarray(im.convert("RGB"), dtype=np.float64)
    assert pixels.var() > 100  # not blank
    # the figures are drawn: the browser shows pixels of matplotlib's default blue (C0) and orange (C1)
    for rgb in ((31, 119, 180), (255, 127, 14)):
        assert np.any(np.all(np.abs(pixels - rgb) < 8, axis=2)), rgb
    assert _console_errors(done.stderr) == [], done.stderr[-2000:]


def test_coefficient_table_with_reference_levels_draws(tmp_path):
    """A run with string columns: the table, its reference levels and covariance type are in the drawn page."""
    sm = pytest.importorskip("statsmodels.api")
    d = sm.datasets.anes96.load_pandas().data
    party = d.PID.map({0: "strong_dem", 1: "weak_dem", 2: "ind_dem", 3: "ind", 4: "ind_rep", 5: "weak_rep",
                       6: "strong_rep"})
    d.assign(party=party)[["party", "age", "income", "vote"]].to_csv(tmp_path / "anes.csv", index=False)
    out = tmp_path / "run"
    assert main(["train", str(tmp_path / "anes.csv"), "--target", "vote", "--penalty", "none",
                 "--reference", "party=strong_dem", "--no-plots", "--out", str(out)]) == 0
    done = _chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", (out / "report.html").resolve().as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    refs = re.search(r"<ul id=\"reference-levels\">(.*?)</ul>", done.stdout, re.S)
    assert refs and "<code>party</code>: reference level 'strong_dem'" in refs[1], done.stdout[:2000]
    table = re.search(r"<table id=\"coefficients\">(.*?)</table>", done.stdout, re.S)[1]
    assert "party[T.weak_rep]" in table and "party[T.strong_dem]" not in table and "P&gt;|z|" in table
    assert "Covariance type: <code>nonrobust</code>" in done.stdout
    assert _console_errors(done.stderr) == [], done.stderr[-2000:]


def test_ordinal_table_with_thresholds_draws(tmp_path):
    """An ordinal run (UCLA application table, ``school`` a string column): its coefficients and thresholds,
    in raw units with the reference level, are in the drawn page."""
    from pathlib import Path

    import pandas as pd

    ucla = Path(__import__("statsmodels").__file__).parent / "miscmodels" / "tests" / "results" / "ologit_ucla.csv"
    table = pd.read_csv(ucla)
    table.assign(school=np.where(table["public"] == 1, "public", "private")).drop(columns="public").to_csv(
        tmp_path / "ucla.csv", index=False)
    out = tmp_path / "run"
    assert main(["train", str(tmp_path / "ucla.csv"), "--target", "apply", "--model", "ordinal", "--order",
                 "unlikely,somewhat likely,very likely", "--no-plots", "--out", str(out)]) == 0
    done = _chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", (out / "report.html").resolve().as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    drawn = re.search(r"<table id=\"coefficients\">(.*?)</table>", done.stdout, re.S)
    assert drawn, done.stdout[:2000]
    terms = re.findall(r"<tr><td class=\"l\">(.*?)</td>", drawn[1])
    assert terms == ["pared", "gpa", "school[T.public]", "unlikely|somewhat likely", "somewhat likely|very likely"]
    assert "<code>school</code>: reference level 'private'" in done.stdout
    assert _console_errors(done.stderr) == [], done.stderr[-2000:]


def test_calibration_sections_draw(tmp_path):
    """A run with a tuned threshold, then calibrated: the new sections are in the drawn page, every figure decodes."""
    from sklearn.datasets import load_breast_cancer

    b = load_breast_cancer(as_frame=True)
    frame = b.frame.sample(frac=1.0, random_state=0)
    frame.iloc[:300].to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[300:].to_csv(tmp_path / "cal.csv", index=False)
    run, new = tmp_path / "run", tmp_path / "new"
    assert main(["train", str(tmp_path / "train.csv"), "--target", "target", "--tune-threshold", "f1",
                 "--out", str(run)]) == 0
    assert main(["calibrate", str(run), str(tmp_path / "cal.csv"), "--method", "sigmoid", "--out", str(new)]) == 0
    for page, ids, n_images in (
            (run / "report.html", ("headline-text", "bootstrap", "too-few-rows", "decisions", "threshold-tuning"), 4),
            (new / "report.html", ("headline-text", "bootstrap", "ece", "conformal-coverage", "decisions"), 2)):
        text = page.read_text(encoding="utf-8")
        assert text.count("<img ") == n_images
        done = _chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", page.resolve().as_uri())
        assert done.returncode == 0, done.stderr[-2000:]
        body = re.search(r"<body[^>]*>", done.stdout)[0]
        assert 'data-figures="ok"' in body and f'data-figure-count="{n_images}"' in body, body
        for sid in ids:
            assert f'id="{sid}"' in done.stdout, sid
        assert _console_errors(done.stderr) == [], done.stderr[-2000:]
