"""``train --model ordinal --order A,B,C``: the cumulative-logit model from the command line, and the run used
by ``evaluate``, ``predict``, ``plot run`` and ``load_pipeline``.

Data: the UCLA graduate-school application table that statsmodels ships with its ordinal-model tests
(400 rows; ``apply`` in unlikely < somewhat likely < very likely), with ``public`` given as the
string column ``school`` (private / public) so that the design holds a treatment-coded level.
Oracle: statsmodels' ``OrderedModel(distr="logit")`` on the raw columns of the run's training rows
(read from ``split.json``): its estimates and probabilities; for the standard errors, the inverse of
the Hessian of statsmodels' own ``loglike`` in (beta, thresholds), by central differences with
Richardson extrapolation (statsmodels' ``bse`` comes from a cruder numerical Hessian and agrees to
about 1e-5, also checked).
"""

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import crossentropy as ce
from crossentropy.cli import main

from statsmodels.miscmodels.ordinal_model import OrderedModel  # noqa: E402  (the oracle)

UCLA = Path(__import__("statsmodels").__file__).parent / "miscmodels" / "tests" / "results" / "ologit_ucla.csv"
LEVELS = ["unlikely", "somewhat likely", "very likely"]
ORDER = ",".join(LEVELS)
TERMS = ["pared", "gpa", "school[T.public]"]  # the design's columns in the table's column order
THRESHOLDS = ["unlikely|somewhat likely", "somewhat likely|very likely"]


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _raw(table):
    """The raw design statsmodels gets: the numeric columns as they are, school as its public indicator."""
    return pd.DataFrame({"pared": table["pared"].to_numpy(dtype=float), "gpa": table["gpa"].to_numpy(dtype=float),
                         "school[T.public]": (table["school"] == "public").to_numpy(dtype=float)})


def _endog(table):
    return pd.Series(pd.Categorical(table["apply"], categories=LEVELS, ordered=True))


def _thresholds(p, d):
    """statsmodels' (theta_0, log-increments) as plain thresholds (polr's zeta)."""
    return np.cumsum(np.r_[p[d], np.exp(p[d + 1:])])


def _params(beta_theta, d):
    """The inverse map: (beta, thresholds) -> statsmodels' parameters."""
    v = np.asarray(beta_theta, dtype=float)
    return np.r_[v[:d], v[d], np.log(np.diff(v[d:]))]


def _fd_cov(model, point, d, h=1e-3):
    """Inverse of minus the Hessian of ``model.loglike`` at ``point`` = (beta, thresholds): central second
    differences at steps h and h/2, combined by Richardson extrapolation (error O(h^4))."""
    f = lambda v: model.loglike(_params(v, d))  # noqa: E731
    k = len(point)

    def hessian(step):
        H = np.empty((k, k))
        for i in range(k):
            for j in range(k):
                ei, ej = np.eye(k)[i] * step, np.eye(k)[j] * step
                H[i, j] = (f(point + ei + ej) - f(point + ei - ej) - f(point - ei + ej) + f(point - ei - ej)) / (4 * step**2)
        return H

    H = (4 * hessian(h / 2) - hessian(h)) / 3
    return np.linalg.inv(-H)


@pytest.fixture(scope="module")
def ucla(tmp_path_factory):
    base = tmp_path_factory.mktemp("ordinal")
    table = pd.read_csv(UCLA)
    table = table.assign(apply=table["apply"].astype(str), school=np.where(table["public"] == 1, "public", "private"))
    table = table.drop(columns="public")
    table.to_csv(base / "ucla.csv", index=False)
    assert main(["train", str(base / "ucla.csv"), "--target", "apply", "--model", "ordinal", "--order", ORDER,
                 "--out", str(base / "run")]) == 0
    rows = json.loads((base / "run" / "split.json").read_text())
    train, test = table.iloc[rows["train_rows"]], table.iloc[rows["test_rows"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = OrderedModel(_endog(train), _raw(train), distr="logit").fit(method="newton", tol=1e-14, maxiter=200,
                                                                          disp=0)
    return base, table, train, test, ref


def _estimates(ref, d=3):
    p = ref.params.to_numpy()
    return np.r_[p[:d], _thresholds(p, d)]


def test_coefficients_csv_equals_statsmodels_ordered_model_in_raw_units(ucla):
    base, _, _, _, ref = ucla
    csv = pd.read_csv(base / "run" / "coefficients.csv")
    assert csv["term"].tolist() == TERMS + THRESHOLDS
    assert csv.columns.tolist() == ["term", "estimate", "std_err", "z", "p_value", "ci_low", "ci_high",
                                    "odds_ratio", "or_low", "or_high"]
    est = _estimates(ref)
    np.testing.assert_allclose(csv["estimate"], est, rtol=1e-6)
    se = np.sqrt(np.diag(_fd_cov(ref.model, est, 3)))
    np.testing.assert_allclose(csv["std_err"], se, rtol=1e-6)
    np.testing.assert_allclose(csv["std_err"][:3], ref.bse[:3], rtol=1e-4)  # statsmodels' own, cruder Hessian
    np.testing.assert_allclose(csv["z"], est / se, rtol=1e-6)
    np.testing.assert_allclose(csv["p_value"], 2 * stats.norm.sf(np.abs(est / se)), rtol=1e-4)
    q = stats.norm.ppf(0.975)
    np.testing.assert_allclose(csv["ci_low"], est - q * se, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(csv["ci_high"], est + q * se, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(csv["ci_low"][:3], ref.conf_int().to_numpy()[:3, 0], atol=1e-4)
    np.testing.assert_allclose(csv["odds_ratio"][:3], np.exp(est[:3]), rtol=1e-6)
    np.testing.assert_allclose(csv["or_high"][:3], np.exp(est[:3] + q * se[:3]), rtol=1e-6)
    assert csv[["odds_ratio", "or_low", "or_high"]].iloc[3:].isna().all().all()  # no odds ratio for a threshold


def test_the_table_does_not_depend_on_the_internal_standardisation(ucla, tmp_path):
    base, *_ = ucla
    assert main(["train", str(base / "ucla.csv"), "--target", "apply", "--model", "ordinal", "--order", ORDER,
                 "--no-scale", "--no-plots", "--out", str(tmp_path / "raw")]) == 0
    scaled, raw = pd.read_csv(base / "run" / "coefficients.csv"), pd.read_csv(tmp_path / "raw" / "coefficients.csv")
    assert raw["term"].tolist() == scaled["term"].tolist()
    for col in ("estimate", "std_err", "ci_low", "ci_high"):
        np.testing.assert_allclose(raw[col], scaled[col], rtol=1e-6)


def test_reference_names_the_level_left_out(ucla, tmp_path):
    base, _, train, _, _ = ucla
    assert main(["train", str(base / "ucla.csv"), "--target", "apply", "--model", "ordinal", "--order", ORDER,
                 "--reference", "school=public", "--no-plots", "--out", str(tmp_path / "ref")]) == 0
    design = _raw(train).rename(columns={"school[T.public]": "school[T.private]"})
    design["school[T.private]"] = 1.0 - design["school[T.private]"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = OrderedModel(_endog(train), design, distr="logit").fit(method="newton", tol=1e-14, maxiter=200, disp=0)
    csv = pd.read_csv(tmp_path / "ref" / "coefficients.csv")
    assert csv["term"].tolist() == ["pared", "gpa", "school[T.private]"] + THRESHOLDS
    np.testing.assert_allclose(csv["estimate"], _estimates(ref), rtol=1e-6)


def test_the_run_predicts_and_scores_as_statsmodels(ucla, capsys):
    base, table, train, test, ref = ucla
    metrics = json.loads((base / "run" / "metrics.json").read_text())
    assert metrics["model"] == "OrdinalRegression" and metrics["classes"] == LEVELS
    for part, rows in (("train", train), ("test", test)):
        p = np.asarray(ref.model.predict(ref.params, exog=_raw(rows)))
        y = _endog(rows).cat.codes.to_numpy()
        assert metrics[part]["log_loss"] == pytest.approx(-np.mean(np.log(p[np.arange(len(y)), y])), rel=1e-6)
        assert metrics[part]["accuracy"] == pytest.approx(np.mean(p.argmax(axis=1) == y), abs=0)
    assert [c["class"] for c in metrics["test"]["per_class"]] == LEVELS  # tables in the levels' order

    p_all = np.asarray(ref.model.predict(ref.params, exog=_raw(table)))
    y_all = _endog(table).cat.codes.to_numpy()
    rc, out, err = run(capsys, "evaluate", base / "run", base / "ucla.csv", "--out", base / "eval.json")
    assert rc == 0 and err == ""
    ev = json.loads((base / "eval.json").read_text())
    assert ev["log_loss"] == pytest.approx(-np.mean(np.log(p_all[np.arange(400), y_all])), rel=1e-6)
    assert ev["accuracy"] == np.mean(p_all.argmax(axis=1) == y_all)
    from sklearn.metrics import roc_auc_score

    assert ev["roc_auc"] == pytest.approx(roc_auc_score(y_all, p_all, multi_class="ovr", average="macro"), rel=1e-6)

    rc, _, err = run(capsys, "evaluate", base / "run", base / "ucla.csv", "--plots", "--report-dir", base / "page")
    assert rc == 0 and err == "" and json.loads((base / "page" / "metrics.json").read_text()) == ev
    assert {"confusion_matrix.png", "reliability.png", "report.html"} <= {p.name for p in (base / "page").iterdir()}

    rc, _, err = run(capsys, "predict", base / "run", base / "ucla.csv", "--proba", "--out", base / "pred.csv")
    assert rc == 0 and err == ""
    pred = pd.read_csv(base / "pred.csv")
    assert pred.columns.tolist() == ["prediction"] + [f"proba_{c}" for c in LEVELS]
    np.testing.assert_allclose(pred.iloc[:, 1:].to_numpy(), p_all, rtol=1e-6, atol=1e-9)
    assert (pred["prediction"].to_numpy() == np.asarray(LEVELS)[p_all.argmax(axis=1)]).all()

    pipe = ce.load_pipeline(base / "run")
    assert pipe.classes_.tolist() == LEVELS
    np.testing.assert_array_equal(pipe.predict_proba(table), pred.iloc[:, 1:].to_numpy())

    rc, _, err = run(capsys, "plot", "run", base / "run", "--out", base / "plots")
    assert rc == 0 and err == ""
    replot = json.loads((base / "plots" / "metrics.json").read_text())
    assert replot["log_loss"] == pytest.approx(metrics["test"]["log_loss"], rel=1e-12)
    assert {"confusion_matrix.png", "reliability.png", "training_curve.png"} <= {p.name for p in (base / "plots").iterdir()}


def test_the_report_page_draws_the_table_of_coefficients_csv_with_its_thresholds(ucla):
    import html

    base, *_ = ucla
    page = (base / "run" / "report.html").read_text()
    csv = pd.read_csv(base / "run" / "coefficients.csv")
    table = re.search(r"<table id='coefficients'>(.*?)</table>", page, re.S)[1]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    cells = [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)] for r in rows]
    assert [r[0] for r in cells] == TERMS + THRESHOLDS
    for r, (_, want) in zip(cells, csv.iterrows()):  # each number as the CSV holds it, to 4 significant digits
        for text, column in zip(r[1:], ["estimate", "std_err", "z", "p_value", "ci_low", "ci_high", "odds_ratio",
                                        "or_low", "or_high"]):
            assert text == ("" if np.isnan(want[column]) else f"{want[column]:.4g}"), (want["term"], column)
    assert "thresholds" in page and "polr" in page and "units of the data" in page
    assert "<code>school</code>: reference level &#x27;private&#x27;" in page
    assert "Covariance type: <code>nonrobust</code>" in page


def test_an_integer_target_is_ordered_by_value_and_other_links_and_penalties_run(ucla, tmp_path, capsys):
    base, table, *_ = ucla
    coded = table.assign(apply=table["apply"].map({l: i for i, l in enumerate(LEVELS)}))
    coded.to_csv(tmp_path / "coded.csv", index=False)
    rc, out, err = run(capsys, "train", tmp_path / "coded.csv", "--target", "apply", "--model", "ordinal",
                       "--link", "probit", "--test-size", "0", "--no-plots", "--out", tmp_path / "probit")
    assert rc == 0 and err == ""
    assert ce.load_model(tmp_path / "probit").classes_.tolist() == [0, 1, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = OrderedModel(_endog(table), _raw(table), distr="probit").fit(method="newton", tol=1e-14, maxiter=200,
                                                                           disp=0)
    csv = pd.read_csv(tmp_path / "probit" / "coefficients.csv")
    assert csv["term"].tolist() == TERMS + ["0|1", "1|2"] and "odds_ratio" not in csv.columns
    np.testing.assert_allclose(csv["estimate"], _estimates(ref), rtol=1e-6)

    rc, out, err = run(capsys, "train", tmp_path / "coded.csv", "--target", "apply", "--model", "ordinal",
                       "--penalty", "l2", "--C", "0.01", "--test-size", "0", "--no-plots", "--out", tmp_path / "l2")
    assert rc == 0 and "estimates only" in out
    csv = pd.read_csv(tmp_path / "l2" / "coefficients.csv")
    assert csv["std_err"].isna().all() and csv["p_value"].isna().all()
    page = (tmp_path / "l2" / "report.html").read_text()
    head = re.search(r"<table id='coefficients'><tr>(.*?)</tr>", page)[1]  # estimates only on the page
    assert re.findall(r"<th[^>]*>(.*?)</th>", head) == ["term", "estimate", "odds ratio"]
    assert "Estimates of the penalised fit (penalty &#x27;l2&#x27;)" in page and "estimates only" in page
    # the raw-unit estimates are the fitted model: P(Y <= j) = expit(zeta_j - x'beta) on the raw columns
    from scipy.special import expit

    eta = _raw(coded).to_numpy() @ csv["estimate"][:3].to_numpy()
    cum = expit(csv["estimate"][3:].to_numpy()[None, :] - eta[:, None])
    proba = np.diff(np.c_[np.zeros(400), cum, np.ones(400)], axis=1)
    np.testing.assert_allclose(ce.load_pipeline(tmp_path / "l2").predict_proba(coded), proba, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("extra, needle", [
    (["--order", "unlikely,somewhat likely"], "does not list: ['very likely']"),
    (["--order", ORDER + ",certain"], "no training row of 'apply' holds: ['certain']"),
    (["--order", "unlikely,unlikely,very likely"], "more than once"),
    (["--order", "unlikely"], "at least two"),
    (["--order", "unlikely,,very likely"], "at least two"),
    ([], "needs --order"),
    (["--order", ORDER, "--offset", "gpa"], "--offset applies to --model logistic"),
    (["--order", ORDER, "--cv", "3"], "--cv applies to --model logistic"),
    (["--order", ORDER, "--link", "logistic"], "--link"),
    (["--order", ORDER, "--penalty", "l1"], "--penalty"),
    (["--order", ORDER, "--hidden-layer-sizes", "4"], "does not apply to --model ordinal"),
])
def test_bad_options_exit_2_with_one_line_and_write_nothing(ucla, tmp_path, capsys, extra, needle):
    base, *_ = ucla
    rc, out, err = run(capsys, "train", base / "ucla.csv", "--target", "apply", "--model", "ordinal", *extra,
                       "--out", tmp_path / "bad")
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("crossentropy: error: ") and needle in err, err
    assert list(tmp_path.iterdir()) == []


def test_order_needs_the_ordinal_model(ucla, tmp_path, capsys):
    base, *_ = ucla
    rc, _, err = run(capsys, "train", base / "ucla.csv", "--target", "apply", "--order", ORDER,
                     "--out", tmp_path / "bad")
    assert rc == 2 and "--order applies to --model ordinal" in err and list(tmp_path.iterdir()) == []
