"""``crossentropy train --cluster COL`` / ``--cov-type``: clustered standard errors in coefficients.csv and the
tests of each column in term_tests.csv, confirmed by statsmodels on anes96 written as a CSV."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from crossentropy.cli import main

PARTY = {0: "strong_dem", 1: "weak_dem", 2: "ind_dem", 3: "ind", 4: "ind_rep", 5: "weak_rep", 6: "strong_rep"}
FORMULA = "y ~ C(party) + age + income"


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    d = sm.datasets.anes96.load_pandas().data
    frame = pd.DataFrame({"party": d.PID.map(PARTY), "age": d.age, "income": d.income,
                          "educ": d.educ.astype(int).map(lambda e: f"level{e}"),
                          "vote": d.vote.astype(int).map({0: "clinton", 1: "dole"})})
    path = tmp_path_factory.mktemp("anes") / "anes.csv"
    frame.to_csv(path, index=False)
    return path, frame.assign(y=(frame["vote"] == "dole").astype(int))


def _train(path, out, *extra):
    return main(["train", str(path), "--target", "vote", "--penalty", "none", "--tol", "1e-10", "--test-size", "0",
                 "--no-plots", "--ignore", "educ", "--out", str(out), *extra])


def _name(term):
    return "const" if term == "Intercept" else term.replace("C(party)", "party")


def test_cluster_run_writes_clustered_errors_and_term_tests(table, tmp_path):
    path, data = table
    out = tmp_path / "run"
    assert _train(path, out, "--cluster", "educ") == 0
    ref = smf.logit(FORMULA, data).fit(disp=0, method="newton", tol=1e-12, cov_type="cluster",
                                       cov_kwds={"groups": data["educ"].astype("category").cat.codes})
    coef = pd.read_csv(out / "coefficients.csv", keep_default_na=False, na_values=[""]).set_index("term")
    bse = ref.bse.rename(index=_name)
    np.testing.assert_allclose(coef["std_err"], bse.loc[coef.index], rtol=1e-5)
    tests = pd.read_csv(out / "term_tests.csv").set_index("column")
    assert list(tests.columns) == ["df", "wald_chi2", "wald_p", "lr_chi2", "lr_p"]
    assert list(tests.index) == ["party", "age", "income"]
    names = list(ref.params.index)
    party = [j for j, n in enumerate(names) if n.startswith("C(party)")]
    wald = ref.wald_test(np.eye(len(names))[party], scalar=True)
    assert tests.loc["party", "wald_chi2"] == pytest.approx(float(wald.statistic), rel=1e-5)
    nested = smf.logit("y ~ age + income", data).fit(disp=0, method="newton", tol=1e-12)
    assert tests.loc["party", "lr_chi2"] == pytest.approx(2 * (ref.llf - nested.llf), rel=1e-6)
    page = (out / "report.html").read_text()
    assert "Covariance type: <code>cluster</code>" in page and "id='term-tests'" in page
    from crossentropy.report import Report

    again = Report.from_run(out, plots=False)  # read back: the run's clustered errors, statsmodels' bse
    np.testing.assert_allclose(again.coefficients["std_err"].to_numpy(float), bse.loc[coef.index], rtol=1e-5)
    assert again.context["coefficients"]["cov_type"] == "cluster"


def test_hc3_option_and_usage_errors(table, tmp_path, capsys):
    path, _ = table
    assert _train(path, tmp_path / "hc3", "--cov-type", "HC3") == 0
    assert "Covariance type: <code>HC3</code>" in (tmp_path / "hc3" / "report.html").read_text()
    assert _train(path, tmp_path / "a", "--cov-type", "cluster") == 2
    assert "--cov-type cluster needs --cluster" in capsys.readouterr().err
    assert _train(path, tmp_path / "b", "--cluster", "educ", "--cov-type", "HC1") == 2
    assert "cannot be combined with --cov-type HC1" in capsys.readouterr().err
    assert _train(path, tmp_path / "c", "--cluster", "nowhere") == 2
    assert "--cluster names column(s) not in the data: 'nowhere'" in capsys.readouterr().err
    assert main(["train", str(path), "--target", "vote", "--model", "mlp", "--cov-type", "HC0", "--no-plots",
                 "--out", str(tmp_path / "d")]) == 2
    assert "--cov-type applies to --model logistic" in capsys.readouterr().err
