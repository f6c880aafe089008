"""``train --offset COL``: the column is the model's logit offset, not a feature, in train, evaluate and predict.

Oracle: statsmodels' ``GLM(y, X, family=Binomial(), offset=o)`` on the same rows (coefficients and
fitted probabilities; the coefficient table's estimates, HC0 standard errors and intervals from
``fit(cov_type="HC0")``; the term tests' LR statistics from GLM refits without each column, with the
offset), on a tenth of the Fair affairs data with the log of the years married as offset.
"""

import json

import numpy as np
import pandas as pd
import pytest

import crossentropy as ce
from crossentropy.cli import main
from crossentropy.exceptions import ModelFileError
from crossentropy.preprocessing import TabularPreprocessor

sm = pytest.importorskip("statsmodels.api")

FEATURES = ["rate_marriage", "age", "children", "religious", "educ"]


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def fair(tmp_path_factory):
    base = tmp_path_factory.mktemp("offset")
    d = sm.datasets.fair.load_pandas().data.iloc[::10]
    table = d[FEATURES].assign(log_years=np.log(d["yrs_married"]), any_affair=(d["affairs"] > 0).astype(int))
    table.to_csv(base / "fair.csv", index=False)
    assert main(["train", str(base / "fair.csv"), "--target", "any_affair", "--offset", "log_years",
                 "--test-size", "0", "--no-scale", "--param", "penalty=null", "--tol", "1e-10",
                 "--cov-type", "HC0", "--out", str(base / "run"), "--no-plots"]) == 0
    y, o = table["any_affair"].to_numpy(), table["log_years"].to_numpy()
    res = sm.GLM(y, sm.add_constant(table[FEATURES].to_numpy()), family=sm.families.Binomial(), offset=o).fit(tol=1e-13)
    return base, table, res


def test_train_fits_the_offset_model_and_records_the_column(fair):
    base, table, res = fair
    model = ce.load_model(base / "run")
    assert model.n_features_in_ == len(FEATURES)  # the offset is not a feature
    np.testing.assert_allclose(np.r_[model.intercept_, model.coef_.ravel()], res.params, rtol=1e-6, atol=1e-8)
    state = json.loads((base / "run" / "model.json").read_text())["preprocessing"]
    assert state["offset"] == "log_years"
    assert [c["name"] for c in state["columns"]] == FEATURES
    assert TabularPreprocessor.from_state(state).offset == "log_years"


def test_predict_and_evaluate_read_the_offset_from_their_table(fair, capsys):
    base, table, res = fair
    rc, out, _ = run(capsys, "predict", base / "run", base / "fair.csv", "--proba", "--out", base / "pred.csv")
    assert rc == 0
    pred = pd.read_csv(base / "pred.csv")
    np.testing.assert_allclose(pred["proba_1"], res.fittedvalues, rtol=1e-6, atol=1e-9)
    rc, out, _ = run(capsys, "evaluate", base / "run", base / "fair.csv", "--out", base / "metrics.json")
    assert rc == 0
    metrics = json.loads((base / "metrics.json").read_text())
    p = res.fittedvalues
    y = table["any_affair"].to_numpy()
    assert metrics["brier"] == pytest.approx(np.mean((p - y) ** 2), rel=1e-6)
    assert metrics["log_loss"] == pytest.approx(-res.llf / len(y), rel=1e-6)
    # a table without the offset column is refused, naming it
    table.drop(columns="log_years").to_csv(base / "no_offset.csv", index=False)
    rc, _, err = run(capsys, "predict", base / "run", base / "no_offset.csv", "--out", base / "p2.csv")
    assert rc != 0 and "log_years" in err
    with pytest.raises(ModelFileError, match="offset column 'log_years'"):
        ce.load_pipeline(base / "run")


def test_offset_errors(fair, capsys):
    base, table, _ = fair
    rc, _, err = run(capsys, "train", base / "fair.csv", "--target", "any_affair", "--offset", "nope", "--no-plots",
                     "--out", base / "bad1")
    assert rc != 0 and "--offset" in err and "nope" in err
    rc, _, err = run(capsys, "train", base / "fair.csv", "--target", "any_affair", "--offset", "log_years",
                     "--model", "mlp", "--no-plots", "--out", base / "bad2")
    assert rc != 0 and "--offset applies to --model logistic" in err
    table.assign(kind=np.arange(len(table)) % 3).to_csv(base / "three.csv", index=False)
    rc, _, err = run(capsys, "train", base / "three.csv", "--target", "kind", "--offset", "log_years", "--no-plots",
                     "--out", base / "bad3")
    assert rc != 0 and "two-class target" in err
    gaps = table.copy()
    gaps.loc[gaps.index[:2], "log_years"] = np.nan
    gaps.to_csv(base / "gaps.csv", index=False)
    rc, _, err = run(capsys, "train", base / "gaps.csv", "--target", "any_affair", "--offset", "log_years",
                     "--impute", "mean", "--no-plots", "--out", base / "bad4")
    assert rc != 0 and "offset column 'log_years' has 2 missing value(s)" in err
    with pytest.raises(ValueError, match="offset must be another column than the target"):
        TabularPreprocessor("y", offset="y")


def test_train_with_offset_writes_the_coefficient_table_and_term_tests(fair):
    base, table, _ = fair
    y, o = table["any_affair"].to_numpy(), table["log_years"].to_numpy()
    X = sm.add_constant(table[FEATURES].to_numpy())
    glm = dict(family=sm.families.Binomial(), offset=o)
    res = sm.GLM(y, X, **glm).fit(tol=1e-13, cov_type="HC0")
    coef = pd.read_csv(base / "run" / "coefficients.csv")
    assert coef["term"].tolist() == ["const", *FEATURES]
    np.testing.assert_allclose(coef["estimate"], res.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(coef["std_err"], res.bse, rtol=1e-6)
    np.testing.assert_allclose(coef[["ci_low", "ci_high"]], res.conf_int(), rtol=1e-6, atol=1e-8)
    tests = pd.read_csv(base / "run" / "term_tests.csv")
    drop = np.array([sm.GLM(y, np.delete(X, j + 1, axis=1), **glm).fit(tol=1e-13).llf for j in range(len(FEATURES))])
    np.testing.assert_allclose(tests["lr_chi2"], 2 * (res.llf - drop), rtol=1e-6)
    np.testing.assert_allclose(tests["wald_chi2"], (res.params[1:] / res.bse[1:]) ** 2, rtol=1e-6)
    page = (base / "run" / "report.html").read_text()
    assert "<table id='coefficients'>" in page and "<table id='term-tests'>" in page
    assert f"{res.params[1]:.4g}" in page


def test_term_tests_leave_out_the_lr_refits_above_the_budget(fair, monkeypatch):
    """Above LR_TEST_BUDGET (n m^2 c) the CSV has the Wald tests, empty LR columns and a note saying why."""
    from crossentropy.report import coefficients as report_page

    base, table, _ = fair
    monkeypatch.setattr(report_page, "LR_TEST_BUDGET", 0.0)
    assert main(["train", str(base / "fair.csv"), "--target", "any_affair", "--offset", "log_years",
                 "--test-size", "0", "--no-scale", "--param", "penalty=null", "--tol", "1e-10",
                 "--out", str(base / "wald_only"), "--no-plots"]) == 0
    y, o = table["any_affair"].to_numpy(), table["log_years"].to_numpy()
    res = sm.GLM(y, sm.add_constant(table[FEATURES].to_numpy()), family=sm.families.Binomial(), offset=o).fit(tol=1e-13)
    tests = pd.read_csv(base / "wald_only" / "term_tests.csv")
    np.testing.assert_allclose(tests["wald_chi2"], (res.params[1:] / res.bse[1:]) ** 2, rtol=1e-6)
    assert tests["lr_chi2"].isna().all() and tests["lr_p"].isna().all()
    assert tests["note"].str.contains("No likelihood-ratio tests").all()
    assert "id='term-tests-note'" in (base / "wald_only" / "report.html").read_text()


def test_report_from_run_gives_the_offset_models_numbers(fair):
    """``Report.from_run`` of the offset run: probabilities with the offsets (statsmodels' fitted values) and the
    run's HC0 coefficient table (statsmodels' ``fit(cov_type="HC0")``), not the model without its offsets."""
    from sklearn.metrics import log_loss

    from crossentropy.report import Report

    base, table, res = fair
    again = Report.from_run(base / "run", plots=False)
    y = table["any_affair"].to_numpy()
    assert again.metrics.loc[("train", "model"), "log_loss"] == pytest.approx(log_loss(y, res.fittedvalues), rel=1e-6)
    assert again.splits["train"] == json.loads((base / "run" / "metrics.json").read_text())["train"]
    hc0 = sm.GLM(y, sm.add_constant(table[FEATURES].to_numpy()), family=sm.families.Binomial(),
                 offset=table["log_years"].to_numpy()).fit(tol=1e-13, cov_type="HC0")
    np.testing.assert_allclose(again.coefficients["std_err"].to_numpy(float), hc0.bse, rtol=1e-6)
    np.testing.assert_allclose(again.coefficients["estimate"].to_numpy(float), hc0.params, rtol=1e-6, atol=1e-8)
