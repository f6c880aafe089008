"""The summary's robust covariances, term tests, marginal effects, profile intervals and nested LR test,
against statsmodels' formula API on anes96 with string columns (the data of test_summary_identified)."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import optimize, stats
from sklearn.pipeline import make_pipeline
from statsmodels.stats import sandwich_covariance as sw
from threadpoolctl import threadpool_limits

import crossentropy as ce
from crossentropy import LogisticRegression
from crossentropy.preprocessing import TabularTransformer

PARTY = {0: "strong_dem", 1: "weak_dem", 2: "ind_dem", 3: "ind", 4: "ind_rep", 5: "weak_rep", 6: "strong_rep"}
COLS = ["party", "age", "income", "logpopul"]
FORMULA = "vote ~ C(party) + age + income + logpopul"


@pytest.fixture(autouse=True, scope="module")
def _single_blas_thread():
    with threadpool_limits(limits=1, user_api="blas"):  # small products: a second thread only waits
        yield


@pytest.fixture(scope="module")
def anes():
    """anes96 with party identification as strings, education as the cluster label, and a 3-class leaning."""
    d = sm.datasets.anes96.load_pandas().data
    leaning = pd.cut(d.selfLR, [0, 3, 4, 7], labels=["liberal", "moderate", "conservative"]).astype(str)
    return pd.DataFrame({"party": d.PID.map(PARTY), "age": d.age, "income": d.income, "logpopul": d.logpopul,
                         "vote": d.vote.astype(int), "educ": d.educ.astype(int), "leaning": leaning})


@pytest.fixture(scope="module")
def pipe(anes):
    model = LogisticRegression(penalty=None, tol=1e-10, max_iter=200)
    return make_pipeline(TabularTransformer(), model).fit(anes[COLS], anes["vote"])


def _term(name):
    return "const" if name == "Intercept" else name.replace("C(party)", "party")


def _se(res):
    return pd.Series(np.asarray(res.bse), index=[_term(n) for n in res.params.index])


def test_robust_standard_errors_equal_statsmodels(anes, pipe):
    start = smf.logit(FORMULA, anes).fit(disp=0, method="newton", tol=1e-12)
    for cov_type, kw in [("HC0", {}), ("cluster", {"cov_kwds": {"groups": anes["educ"]}})]:
        ref = smf.logit(FORMULA, anes).fit(disp=0, method="newton", tol=1e-12, start_params=start.params,
                                           cov_type=cov_type, **kw)
        s = ce.summary(pipe, anes[COLS], anes["vote"], cov_type=cov_type,
                       groups=anes["educ"] if cov_type == "cluster" else None)
        assert s.cov_type == cov_type
        np.testing.assert_allclose(s.frame["std_err"], _se(ref).loc[s.frame.index], rtol=1e-5)
        np.testing.assert_allclose(s.frame["p_value"], pd.Series(np.asarray(ref.pvalues), index=_se(ref).index)
                                   .loc[s.frame.index], rtol=1e-4, atol=1e-300)
    hc1 = ce.summary(pipe, anes[COLS], anes["vote"], cov_type="HC1")
    se1 = np.sqrt(np.diag(sw.cov_white_simple(start, use_correction=True)))
    np.testing.assert_allclose(hc1.frame["std_err"], pd.Series(se1, index=_se(start).index).loc[hc1.frame.index],
                               rtol=1e-5)


def test_softmax_clustered_standard_errors_equal_mnlogit(anes):
    cols = ["party", "age"]
    data = anes.assign(code=pd.Categorical(anes["leaning"]).codes)
    ref = smf.mnlogit("code ~ C(party) + age", data).fit(disp=0, method="newton", tol=1e-12, cov_type="cluster",
                                                         cov_kwds={"groups": anes["educ"]})
    model = LogisticRegression(penalty=None, tol=1e-10, max_iter=200)
    p = make_pipeline(TabularTransformer(), model).fit(anes[cols], anes["leaning"])
    s = ce.summary(p, anes[cols], anes["leaning"], cov_type="cluster", groups=anes["educ"].to_numpy())
    for j, label in enumerate(["liberal", "moderate"]):
        theirs = pd.Series(np.asarray(ref.bse[j]), index=[_term(n) for n in ref.params.index])
        ours = s.frame.xs(label, level="class")["std_err"]
        np.testing.assert_allclose(ours, theirs.loc[ours.index], rtol=1e-5)


def test_term_tests_equal_statsmodels_wald_test_and_nested_fits(anes, pipe):
    s = ce.summary(pipe, anes[COLS], anes["vote"], cov_type="HC0")
    tests = s.term_tests.set_index("column")
    assert list(tests.index) == COLS and list(tests.columns) == ["df", "wald_chi2", "wald_p", "lr_chi2", "lr_p"]
    ref = smf.logit(FORMULA, anes).fit(disp=0, method="newton", tol=1e-12, cov_type="HC0")
    names = list(ref.params.index)
    party = [j for j, n in enumerate(names) if n.startswith("C(party)")]
    wald = ref.wald_test(np.eye(len(names))[party], scalar=True)
    assert tests.loc["party", "df"] == 6
    assert tests.loc["party", "wald_chi2"] == pytest.approx(float(wald.statistic), rel=1e-5)
    nested = smf.logit("vote ~ age + income + logpopul", anes).fit(disp=0, method="newton", tol=1e-12)
    assert tests.loc["party", "lr_chi2"] == pytest.approx(2 * (ref.llf - nested.llf), rel=1e-6)
    assert tests.loc["party", "lr_p"] == pytest.approx(stats.chi2.sf(2 * (ref.llf - nested.llf), 6), rel=1e-5)
    # lr_test between two summaries: the same statistic
    small = make_pipeline(TabularTransformer(), LogisticRegression(penalty=None, tol=1e-10)).fit(
        anes[COLS[1:]], anes["vote"])
    chi2, df, p = s.lr_test(ce.summary(small, anes[COLS[1:]], anes["vote"]))
    assert (chi2, df) == (pytest.approx(2 * (ref.llf - nested.llf), rel=1e-6), 6)


def test_margeff_equals_get_margeff(anes, pipe):
    s = ce.summary(pipe, anes[COLS], anes["vote"])
    fit = smf.logit(FORMULA, anes).fit(disp=0, method="newton", tol=1e-12)
    ref = fit.get_margeff(at="overall")
    theirs = pd.DataFrame({"dydx": ref.margeff, "se": ref.margeff_se}, index=[_term(n) for n in fit.params.index[1:]])
    ours = s.margeff().set_index("term")
    np.testing.assert_allclose(ours["dydx"], theirs.loc[ours.index, "dydx"], rtol=1e-5)
    np.testing.assert_allclose(ours["std_err"], theirs.loc[ours.index, "se"], rtol=1e-5)


def test_profile_interval_of_age_equals_statsmodels_profile(anes, pipe):
    """The profile by statsmodels: the fit with age's term fixed (an offset) by its own Newton solver."""
    s = ce.summary(pipe, anes[COLS], anes["vote"])
    j = list(s.design.names).index("age")
    out = s.conf_int_profile(which=[j])
    assert out.loc[0, "term"] == "age" and out.loc[0, "note"] == ""
    full = smf.logit(FORMULA, anes).fit(disp=0, method="newton", tol=1e-12)

    def excess(b):
        fit = smf.logit("vote ~ C(party) + income + logpopul", anes, offset=b * anes["age"]).fit(
            disp=0, method="newton", tol=1e-12)
        return 2 * (full.llf - fit.llf) - stats.chi2.ppf(0.95, 1)

    b, se = full.params["age"], full.bse["age"]
    lo = optimize.brentq(excess, b - 3 * se, b, xtol=1e-12)
    hi = optimize.brentq(excess, b, b + 3 * se, xtol=1e-12)
    assert out.loc[0, "lower"] == pytest.approx(lo, abs=1e-6)
    assert out.loc[0, "upper"] == pytest.approx(hi, abs=1e-6)


def test_penalised_summary_has_no_tests(anes):
    p = make_pipeline(TabularTransformer(), LogisticRegression()).fit(anes[COLS], anes["vote"])
    s = ce.summary(p, anes[COLS], anes["vote"])
    assert s.term_tests is None
    with pytest.raises(ValueError, match="unpenalised fit"):
        s.margeff()
    with pytest.raises(ValueError, match="groups must hold one label per row"):
        ce.summary(p, anes[COLS], anes["vote"], cov_type="cluster", groups=anes["educ"][:10])
