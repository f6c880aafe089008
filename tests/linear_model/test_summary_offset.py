"""The coefficient table of a model fitted with fixed logit offsets: ``summary(..., offset=o)``.

Oracles: statsmodels' ``GLM(y, X, family=Binomial(), offset=o)`` on the Fair affairs data (log of the
years married as the offset): params, bse, llf, llnull (its intercept-only refit with the offset),
McFadden's pseudo R², the HC0 covariance (``fit(cov_type="HC0")``), and the likelihood-ratio test of
each column from GLM refits without it (with the offset), and the profile interval's bounds from GLM
refits with the coefficient held there (through the offset). For softmax, the null log-likelihood with one
offset per class is ``scipy.optimize.minimize`` of the float64 definition over the constants.
"""

import numpy as np
import pytest
from scipy import optimize, special, stats
from sklearn.datasets import load_iris
from sklearn.pipeline import make_pipeline

import crossentropy as ce
from crossentropy import LogisticRegression
from crossentropy.preprocessing import TabularTransformer

sm = pytest.importorskip("statsmodels.api")

TIGHT = dict(penalty=None, tol=1e-10, max_iter=500)
COLUMNS = ["rate_marriage", "age", "children", "religious", "educ"]


@pytest.fixture(scope="module")
def fair():
    d = sm.datasets.fair.load_pandas().data
    X = d[COLUMNS].to_numpy()
    y = (d["affairs"] > 0).to_numpy().astype(int)
    o = np.log(d["yrs_married"].to_numpy())
    w = 1.0 + (np.arange(len(y)) % 3)  # frequency weights 1, 2, 3
    glm = dict(family=sm.families.Binomial(), offset=o)
    weighted = sm.GLM(y, sm.add_constant(X), freq_weights=w, **glm).fit(tol=1e-13)
    hc0 = sm.GLM(y, sm.add_constant(X), **glm).fit(tol=1e-13, cov_type="HC0")
    drop = [sm.GLM(y, sm.add_constant(np.delete(X, j, axis=1)), **glm).fit(tol=1e-13).llf for j in range(X.shape[1])]
    return d, X, y, o, w, weighted, hc0, np.array(drop)


def test_summary_with_offset_equals_statsmodels_glm(fair):
    _, X, y, o, w, res, _, _ = fair
    s = LogisticRegression(**TIGHT).fit(X, y, w, offset=o).summary(X, y, w, offset=o)
    np.testing.assert_allclose(s.frame["estimate"], res.params, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(s.frame["std_err"], res.bse, rtol=1e-7)
    np.testing.assert_allclose(s.frame["p_value"], res.pvalues, rtol=1e-5, atol=1e-300)
    assert s.llf == pytest.approx(res.llf, rel=1e-12)
    assert s.llnull == pytest.approx(res.llnull, rel=1e-10)
    assert s.prsquared == pytest.approx(res.pseudo_rsquared("mcf"), rel=1e-9)
    # the offset matters for the null model: the class frequencies' closed form is another number
    counts = np.bincount(y, weights=w)
    assert abs(s.llnull - float(np.sum(counts * np.log(counts / counts.sum())))) > 1.0


def test_hc0_and_lr_term_tests_with_offset_equal_statsmodels(fair):
    _, X, y, o, _, _, hc0, drop = fair
    s = LogisticRegression(**TIGHT).fit(X, y, offset=o).summary(X, y, offset=o, cov_type="HC0")
    np.testing.assert_allclose(s.cov, hc0.cov_params(), rtol=1e-7, atol=1e-12)
    tests = s.term_tests
    lr = 2 * (hc0.llf - drop)
    np.testing.assert_allclose(tests["lr_chi2"], lr, rtol=1e-6)
    np.testing.assert_allclose(tests["lr_p"], stats.chi2.sf(lr, 1), rtol=1e-5)
    np.testing.assert_allclose(tests["wald_chi2"], (hc0.params[1:] / hc0.bse[1:]) ** 2, rtol=1e-7)


def test_pipeline_summary_passes_the_offset(fair):
    d, _, y, o, _, _, hc0, _ = fair
    frame = d[COLUMNS]
    pipe = make_pipeline(TabularTransformer(), LogisticRegression(**TIGHT)).fit(frame, y, logisticregression__offset=o)
    s = ce.summary(pipe, frame, y, offset=o, cov_type="HC0")
    assert list(s.frame.index) == ["const", *COLUMNS]
    np.testing.assert_allclose(s.frame["estimate"], hc0.params, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(s.frame["std_err"], hc0.bse, rtol=1e-6)
    assert s.llnull == pytest.approx(hc0.llnull, rel=1e-10)


def test_softmax_null_loglike_with_offsets_equals_direct_maximisation():
    X, y = load_iris(return_X_y=True)
    X = X[:, 1:2]  # sepal width: the classes overlap
    o = np.random.default_rng(0).normal(scale=0.8, size=(len(y), 3))
    s = LogisticRegression(**TIGHT).fit(X, y, offset=o).summary(X, y, offset=o)

    def negll(c):
        logp = special.log_softmax(np.r_[0.0, c][None, :] + o, axis=1)
        return -logp[np.arange(len(y)), y].sum()

    best = optimize.minimize(negll, np.zeros(2), method="BFGS", options={"gtol": 1e-10})
    assert s.llnull == pytest.approx(-best.fun, rel=1e-10)
    eta = np.column_stack([np.zeros(len(y)), s.design.X @ np.asarray(s.design.params).T]) + o
    logp = special.log_softmax(eta, axis=1)
    assert s.llf == pytest.approx(logp[np.arange(len(y)), y].sum(), rel=1e-12)


def test_summary_offset_is_checked(fair):
    _, X, y, o, _, _, _, _ = fair
    X, y, o = X[::30], y[::30], o[::30]
    n = len(y)
    m = LogisticRegression(**TIGHT).fit(X, y, offset=o)
    with pytest.raises(ValueError, match=rf"offset must have shape \({n},\)"):
        m.summary(X, y, offset=o[:100])
    with pytest.raises(ValueError, match="offset"):
        m.summary(X, y, offset=np.full(n, np.nan))
    firth = LogisticRegression(penalty="firth").fit(X, y)
    with pytest.raises(ValueError, match="offset is not supported with penalty='firth'"):
        firth.summary(X, y, offset=o)


def test_profile_interval_with_offset_is_where_statsmodels_profile_crosses_chi2(fair):
    """At each bound b of the profile interval of a coefficient, statsmodels' GLM refit with that coefficient
    held at b (its column times b added to the offset) lies chi2_1(0.95) / 2 below the maximum."""
    _, X, y, o, _, _, hc0, _ = fair
    s = LogisticRegression(**TIGHT).fit(X, y, offset=o).summary(X, y, offset=o)
    j = 5  # educ (flat index: the constant is 0)
    bounds = s.conf_int_profile(which=[j]).iloc[0]
    rest = sm.add_constant(np.delete(X, j - 1, axis=1))
    for b in (bounds["lower"], bounds["upper"]):
        held = sm.GLM(y, rest, family=sm.families.Binomial(), offset=o + b * X[:, j - 1]).fit(tol=1e-13)
        assert 2 * (hc0.llf - held.llf) == pytest.approx(stats.chi2.ppf(0.95, 1), rel=1e-6)
    assert bounds["lower"] < hc0.params[j] < bounds["upper"]
