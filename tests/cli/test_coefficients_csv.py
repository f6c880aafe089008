"""``crossentropy train`` writes coefficients.csv in raw units with reference levels; statsmodels confirms it.

Data: statsmodels' bundled ``anes96`` written as a CSV with its coded party identification and
education as the strings they code, and a few cells blanked so that ``--impute`` fills them. The
oracle is ``smf.logit`` / ``smf.mnlogit`` with ``C(col)`` on the same training rows, filled as the
run fills them (pandas' mean of the present values; the most frequent string, the smallest on a tie).

(The wine table of ``examples/data`` cannot serve here: its string column ``colour`` separates the
cultivars, pale wines are all grignolino, so no maximum-likelihood estimate exists for it.)
"""

import json
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import crossentropy as ce
from crossentropy.cli import main
from crossentropy.exceptions import ModelFileError

PARTY = {0: "strong_dem", 1: "weak_dem", 2: "ind_dem", 3: "ind", 4: "ind_rep", 5: "weak_rep", 6: "strong_rep"}
EDUC = {1: "grade_school", 2: "some_high_school", 3: "high_school", 4: "some_college", 5: "associate",
        6: "bachelor", 7: "postgraduate"}
STATS = ["estimate", "std_err", "z", "p_value", "ci_low", "ci_high", "odds_ratio", "or_low", "or_high"]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    d = sm.datasets.anes96.load_pandas().data
    frame = pd.DataFrame({"party": d.PID.map(PARTY), "age": d.age, "income": d.income, "educ": d.educ.map(EDUC),
                          "logpopul": d.logpopul, "vote": d.vote.astype(int).map({0: "clinton", 1: "dole"})})
    frame.loc[[3, 50, 400], "age"] = np.nan
    frame.loc[[7, 90], "educ"] = np.nan
    path = tmp_path_factory.mktemp("anes") / "anes.csv"
    frame.to_csv(path, index=False)
    return path, frame


def _filled(frame):
    out = frame.copy()
    out["age"] = out["age"].fillna(out["age"].mean())
    counts = out["educ"].value_counts()
    out["educ"] = out["educ"].fillna(min(counts.index[counts == counts.max()]))
    return out


def _name(term):
    return "const" if term == "Intercept" else re.sub(r"^C\((\w+).*\)(\[T\.)", r"\1\2", term)


def _train(path, out, *extra):
    assert main(["train", str(path), "--target", "vote", "--penalty", "none", "--tol", "1e-10", "--impute", "mean",
                 "--test-size", "0", "--no-plots", "--out", str(out), *extra]) == 0
    return pd.read_csv(out / "coefficients.csv", keep_default_na=False, na_values=[""]).set_index("term")


def _compare(csv, fit):
    ci = fit.conf_int()
    theirs = pd.DataFrame({"estimate": fit.params, "std_err": fit.bse, "z": fit.tvalues, "p_value": fit.pvalues,
                           "ci_low": ci[0], "ci_high": ci[1]}).rename(index=_name)
    theirs = theirs.assign(odds_ratio=np.exp(theirs["estimate"]), or_low=np.exp(theirs["ci_low"]),
                           or_high=np.exp(theirs["ci_high"]))
    assert sorted(csv.index) == sorted(theirs.index)
    np.testing.assert_allclose(csv[STATS], theirs.loc[csv.index, STATS], rtol=1e-5, atol=1e-12)


def test_train_writes_coefficients_csv_equal_to_statsmodels(table, tmp_path):
    path, frame = table
    csv = _train(path, tmp_path / "run")
    assert list(csv.columns) == [*STATS, "odds_ratio_per_sd", "status"]
    data = _filled(frame).assign(y=(frame["vote"] == "dole").astype(int))
    _compare(csv, smf.logit("y ~ C(party) + age + income + C(educ) + logpopul", data).fit(disp=0, method="newton",
                                                                                         tol=1e-12))
    assert csv.loc["age", "odds_ratio_per_sd"] == pytest.approx(
        np.exp(csv.loc["age", "estimate"] * data["age"].std(ddof=0)), rel=1e-9)
    page = (tmp_path / "run" / "report.html").read_text()
    assert "<code>party</code>: reference level &#x27;ind&#x27;" in page
    assert "<code>educ</code>: reference level &#x27;associate&#x27;" in page
    assert "Covariance type: <code>nonrobust</code>" in page and "standardised features" not in page
    assert "units of the data&#x27;s columns" in page
    assert "log-odds of &#x27;dole&#x27; against &#x27;clinton&#x27;" in page  # y = (vote == "dole") above


def test_reference_option_changes_the_reference_and_is_kept(table, tmp_path):
    path, frame = table
    out = tmp_path / "run"
    csv = _train(path, out, "--reference", "party=strong_dem", "--reference", "educ=postgraduate")
    assert "party[T.ind]" in csv.index and "party[T.strong_dem]" not in csv.index
    data = _filled(frame).assign(y=(frame["vote"] == "dole").astype(int))
    fit = smf.logit("y ~ C(party, Treatment(reference='strong_dem')) + age + income + "
                    "C(educ, Treatment(reference='postgraduate')) + logpopul", data).fit(disp=0, method="newton", tol=1e-12)
    _compare(csv, fit)
    assert "reference level &#x27;strong_dem&#x27;" in (out / "report.html").read_text()
    assert json.loads((out / "model.json").read_text())["preprocessing"]["reference"] == {
        "party": "strong_dem", "educ": "postgraduate"}
    pipe = ce.load_pipeline(out)  # the saved run reports with the same reference levels
    s = ce.summary(pipe, frame.drop(columns="vote"), frame["vote"])
    np.testing.assert_allclose(s.frame.loc[csv.index, "estimate"], csv["estimate"], rtol=1e-12)
    meta = json.loads((out / "model.json").read_text())
    meta["preprocessing"]["reference"] = {"party": "nobody"}  # a model file naming a level the column lacks
    (out / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="reference level 'nobody' of column 'party'"):
        ce.load_pipeline(out)


def test_softmax_run_has_a_class_column(table, tmp_path):
    _, frame = table
    self_placement = sm.datasets.anes96.load_pandas().data["selfLR"]  # 1..7, liberal to conservative
    data = _filled(frame)[["party", "age", "income"]].assign(
        leaning=pd.cut(self_placement, [0, 3, 4, 7], labels=["liberal", "moderate", "conservative"]).astype(str))
    data.to_csv(tmp_path / "three.csv", index=False)
    out = tmp_path / "run"
    assert main(["train", str(tmp_path / "three.csv"), "--target", "leaning", "--penalty", "none", "--tol", "1e-10",
                 "--test-size", "0", "--no-plots", "--out", str(out)]) == 0
    csv = pd.read_csv(out / "coefficients.csv", keep_default_na=False, na_values=[""])
    assert list(csv.columns[:2]) == ["class", "term"] and set(csv["class"]) == {"liberal", "moderate"}
    fit = smf.mnlogit("code ~ C(party) + age + income",
                      data.assign(code=pd.Categorical(data["leaning"]).codes)).fit(disp=0, method="newton", tol=1e-12)
    for j, label in enumerate(["liberal", "moderate"]):  # classes sorted: conservative (the reference) first
        block = csv[csv["class"] == label].set_index("term")
        np.testing.assert_allclose(block["estimate"], fit.params[j].rename(index=_name).loc[block.index], rtol=1e-6)
        np.testing.assert_allclose(block["std_err"], fit.bse[j].rename(index=_name).loc[block.index], rtol=1e-5)
    assert "relative-risk ratio" in (out / "report.html").read_text()


def test_bad_reference_is_refused_naming_it(table, tmp_path, capsys):
    path, _ = table
    code = main(["train", str(path), "--target", "vote", "--impute", "mean", "--reference", "party=nobody",
                 "--no-plots", "--out", str(tmp_path / "run")])
    assert code != 0 and "--reference level 'nobody' of column 'party'" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
    assert main(["train", str(path), "--target", "vote", "--reference", "party"]) == 2
    assert "expected COL=LEVEL, got 'party'" in capsys.readouterr().err


def test_penalised_run_shows_no_p_values_and_marks_lasso_zeros(table, tmp_path):
    path, _ = table
    out = tmp_path / "run"
    assert main(["train", str(path), "--target", "vote", "--penalty", "l1", "--C", "0.05", "--impute", "mean",
                 "--test-size", "0", "--no-plots", "--out", str(out)]) == 0
    csv = pd.read_csv(out / "coefficients.csv", keep_default_na=False, na_values=[""]).set_index("term")
    assert list(csv.columns) == ["estimate", "odds_ratio", "odds_ratio_per_sd", "status"]
    assert "party[ind]" in csv.index  # every level as the model has it: no reference level needed
    model = ce.load_model(out)
    zeros = [name for name, c in zip(csv.index[1:], model.coef_[0]) if c == 0]
    assert zeros and list(csv.index[csv["status"] == "zero (l1)"]) == zeros
    page = (out / "report.html").read_text()
    table_html = page[page.index("<table id='coefficients'>"):]
    table_html = table_html[:table_html.index("</table>")]
    assert "P&gt;|z|" not in table_html and "std err" not in table_html and "zero (l1)" in table_html
    assert "would not be valid" in page
