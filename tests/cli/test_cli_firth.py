"""``crossentropy train --penalty firth`` writes coefficients.csv and the page's table in raw units.

Data: every third respondent of statsmodels' ``anes96`` (315 rows), party identification as the
strings it codes, age and income as they are, written as a CSV. Oracle: ``firthmodels`` (which follows
R's logistf) on the run's training rows (``split.json``), on the raw-unit design written out here: age
and income as read, one indicator per party level but the first in sorted order, firthmodels'
intercept; its penalised likelihood-ratio tests and profile penalised-likelihood intervals.
"""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from threadpoolctl import threadpool_limits

from crossentropy.cli import main

firthmodels = pytest.importorskip("firthmodels")

PARTY = {0: "strong_dem", 1: "weak_dem", 2: "ind_dem", 3: "ind", 4: "ind_rep", 5: "weak_rep", 6: "strong_rep"}
TOL = 1e-9


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = sm.datasets.anes96.load_pandas().data.iloc[::3].reset_index(drop=True)
    frame = pd.DataFrame({"party": d.PID.map(PARTY), "age": d.age, "income": d.income,
                          "vote": d.vote.astype(int).map({0: "clinton", 1: "dole"})})
    base = tmp_path_factory.mktemp("firth")
    frame.to_csv(base / "anes.csv", index=False)
    out = base / "run"
    with threadpool_limits(1):  # small BLAS calls: threads only contend
        assert main(["train", str(base / "anes.csv"), "--target", "vote", "--penalty", "firth", "--tol", "1e-10",
                     "--test-size", "0.2", "--no-plots", "--out", str(out)]) == 0
    split = json.loads((out / "split.json").read_text())
    train = pd.read_csv(base / "anes.csv").iloc[split["train_rows"]]
    levels = sorted(train["party"].unique())
    raw = pd.concat([train[["age", "income"]].astype(float)]
                    + [(train["party"] == lv).astype(float).rename(f"party[T.{lv}]") for lv in levels[1:]], axis=1)
    y = (train["vote"] == "dole").astype(int).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = firthmodels.FirthLogisticRegression(gtol=TOL, xtol=TOL, max_iter=300, max_halfstep=0).fit(raw, y)
        ref.lrt()
        ci = ref.conf_int(method="pl", tol=TOL, max_iter=300)
    theirs = pd.DataFrame({"estimate": np.append(ref.coef_, ref.intercept_), "std_err": ref.bse_,
                           "p_value": ref.lrt_pvalues_, "ci_low": ci[:, 0], "ci_high": ci[:, 1]},
                          index=list(raw.columns) + ["const"])
    csv = pd.read_csv(out / "coefficients.csv", keep_default_na=False, na_values=[""]).set_index("term")
    return out, csv, theirs, len(train)


def test_coefficients_csv_equals_firthmodels_on_the_training_rows(run):
    out, csv, theirs, n_train = run
    assert n_train < 315  # the training rows only
    assert list(csv.index) == ["const"] + [f"party[T.{lv}]" for lv in sorted(PARTY.values())[1:]] + ["age", "income"]
    assert list(csv.columns) == ["estimate", "std_err", "z", "p_value", "ci_low", "ci_high", "odds_ratio", "or_low",
                                 "or_high", "odds_ratio_per_sd", "lr_chi2", "status"]
    theirs = theirs.loc[csv.index]
    for column in ("estimate", "ci_low", "ci_high"):
        np.testing.assert_allclose(csv[column], theirs[column], rtol=0, atol=1e-6)
    np.testing.assert_allclose(csv["std_err"], theirs["std_err"], rtol=1e-6)
    np.testing.assert_allclose(csv["p_value"], theirs["p_value"], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(csv[["or_low", "or_high"]], np.exp(theirs[["ci_low", "ci_high"]]), rtol=1e-6)
    assert not (out / "term_tests.csv").exists()


def test_the_page_draws_the_firth_table_and_says_how_it_was_computed(run):
    page = (run[0] / "report.html").read_text()
    assert "<table id='coefficients'>" in page and "party[T.strong_dem]" in page
    assert "penalised likelihood-ratio" in page and "profile penalised likelihood" in page
    assert "reference level &#x27;ind&#x27;" in page or "reference level 'ind'" in page
    assert "no coefficient table" not in page
