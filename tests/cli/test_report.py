"""report.html: self-contained, escaped, and its numbers equal to independent computations."""

import base64
import hashlib
import json
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from crossentropy.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


class _Page(HTMLParser):
    """The tables (by id: rows of cell texts) and the img sources of a page."""

    def __init__(self):
        super().__init__()
        self.tables, self.images, self.scripts_src, self.links = {}, [], [], []
        self._table = self._row = self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(a.get("id") or f"t{len(self.tables)}", [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "img":
            self.images.append(a.get("src", ""))
        elif tag == "script" and "src" in a:
            self.scripts_src.append(a["src"])
        elif tag == "link":
            self.links.append(a.get("href"))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse(path):
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """A table whose column names and labels are HTML, with gaps imputed and an ignored column."""
    base = tmp_path_factory.mktemp("hostile")
    rng = np.random.default_rng(2)
    n = 120
    df = pd.DataFrame({"<script>alert(1)</script>": rng.normal(size=n), "b&b": rng.normal(size=n),
                       "note": rng.choice(["x", "y"], n)})
    df["label"] = np.where(df["b&b"] + rng.normal(scale=0.5, size=n) > 0, "<b>yes</b>", "no & never")
    df.loc[[3, 8, 20], "b&b"] = np.nan
    path = base / "hostile <table>.csv"
    df.to_csv(path, index=False)
    out = base / "run"
    assert main(["train", str(path), "--target", "label", "--impute", "mean", "--ignore", "note",
                 "--out", str(out)]) == 0
    return path, out, df


def test_every_text_is_escaped_and_nothing_is_fetched(hostile_run):
    path, out, _ = hostile_run
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<b>yes</b>" not in text and "&lt;b&gt;yes&lt;/b&gt;" in text and "no &amp; never" in text
    assert "hostile &lt;table&gt;.csv" in text
    page = parse(out / "report.html")
    assert page.scripts_src == [] and page.links == []
    assert not re.search(r"""(src|href)\s*=\s*['"]?(https?:|//)""", text)  # no network at all
    assert text.count("<script>") == 1  # the one inline script that marks the figures decoded


def test_figures_are_the_run_pngs_embedded(hostile_run):
    _, out, _ = hostile_run
    page = parse(out / "report.html")
    prefix = "data:image/png;base64,"
    pngs = sorted(out.glob("*.png"))
    assert {p.name for p in pngs} >= {"training_curve.png", "reliability.png", "confusion_matrix.png"}
    if "id='too-few-rows'" in (out / "report.html").read_text(encoding="utf-8"):  # fewer than 100 test rows:
        pngs = [p for p in pngs if p.name != "reliability.png"]  # the page says so instead of the diagram
    assert len(page.images) == len(pngs) and all(src.startswith(prefix) for src in page.images)
    embedded = [base64.b64decode(src[len(prefix):]) for src in page.images]
    assert sorted(embedded) == sorted(p.read_bytes() for p in pngs)


def test_data_summary_run_facts_and_metrics(hostile_run):
    path, out, df = hostile_run
    page = parse(out / "report.html")
    text = (out / "report.html").read_text(encoding="utf-8")
    run = dict(page.tables["run"])
    assert run["SHA-256 of the data file"] == hashlib.sha256(path.read_bytes()).hexdigest()
    import numpy
    import sklearn

    import crossentropy

    assert run["numpy version"] == numpy.__version__ and run["scikit-learn version"] == sklearn.__version__
    assert run["crossentropy version"] == crossentropy.__version__
    assert run["command line"].startswith("crossentropy train ") and "--impute mean" in run["command line"]
    assert "<code>note</code>: ignored" in text
    split = json.loads((out / "split.json").read_text())
    fill = df.iloc[split["train_rows"]]["b&b"].mean()
    columns = {row[0]: row for row in page.tables["columns"][1:]}
    assert columns["b&b"][3] == "3" and float(columns["b&b"][4]) == pytest.approx(fill, rel=1e-12)
    m = json.loads((out / "metrics.json").read_text())
    metrics = {row[0]: row[1:] for row in page.tables["metrics"]}
    assert metrics["accuracy"] == [f"{m['train']['accuracy']:.4f}", f"{m['test']['accuracy']:.4f}"]
    assert metrics["baseline: majority-class accuracy"] == [f"{m[p]['baseline']['accuracy']:.4f}" for p in ("train", "test")]
    assert metrics["baseline: majority-class macro F1"] == [f"{m[p]['baseline']['macro_f1']:.4f}" for p in ("train", "test")]
    assert metrics["log loss (bits)"] == [f"{m[p]['log_loss_bits']:.4f}" for p in ("train", "test")]


def test_coefficient_table_equals_statsmodels_logit(tmp_path):
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(7)
    n = 300
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(2, 3, size=n)})
    df["y"] = np.where(0.8 * df["a"] - 0.3 * df["b"] + rng.logistic(size=n) > 0, "up", "down")
    df.to_csv(tmp_path / "t.csv", index=False)
    out = tmp_path / "run"
    assert main(["train", str(tmp_path / "t.csv"), "--target", "y", "--penalty", "none", "--tol", "1e-10",
                 "--out", str(out)]) == 0
    rows = json.loads((out / "split.json").read_text())["train_rows"]
    train = df.iloc[rows]
    # the table is in the units of the columns, whatever the standardisation inside the fit
    fit = sm.Logit((train["y"] == "up").astype(float).to_numpy(), sm.add_constant(train[["a", "b"]])).fit(disp=0)
    table = parse(out / "report.html").tables["coefficients"]
    head, body = table[0], {r[0]: r[1:] for r in table[1:]}
    assert head[:3] == ["term", "estimate", "std err"] and head[7:11] == ["odds ratio", "odds ratio 2.5 %",
                                                                          "odds ratio 97.5 %", "odds ratio per SD"]
    ci = fit.conf_int().to_numpy()
    for j, term in enumerate(["const", "a", "b"]):
        coef, se, z, p, lo, hi, odds, or_lo, or_hi = map(float, body[term][:9])
        assert coef == pytest.approx(fit.params.iloc[j], rel=1e-3) and se == pytest.approx(fit.bse.iloc[j], rel=1e-3)
        assert (lo, hi) == pytest.approx((ci[j, 0], ci[j, 1]), rel=1e-3, abs=1e-4)
        assert (odds, or_lo, or_hi) == pytest.approx(np.exp([fit.params.iloc[j], ci[j, 0], ci[j, 1]]), rel=1e-3)
        if term != "const":  # per standard deviation of the column on the training rows (ddof 0)
            assert float(body[term][9]) == pytest.approx(np.exp(fit.params.iloc[j] * train[term].std(ddof=0)), rel=1e-3)
