"""Wald and likelihood-ratio tests of terms against statsmodels; profile intervals against a brute-force profile."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize, special, stats

from crossentropy.linear_model._covariance import covariance
from crossentropy.linear_model._design import FittedDesign
from crossentropy.linear_model._term_tests import column_params, lr_test, lr_tests, profile_intervals, wald_tests

COLUMNS = (None, "logpopul", "selfLR", "age", "educ", "educ")


def _anes_design():
    """anes96 with education in three bands as a categorical column (two treatment dummies)."""
    d = sm.datasets.anes96.load_pandas().data
    e3 = pd.cut(d.educ, [0, 3, 5, 7], labels=["lo", "mid", "hi"])
    ed = pd.get_dummies(e3, prefix="educ", drop_first=True).astype(float)
    Xdf = sm.add_constant(pd.concat([d[["logpopul", "selfLR", "age"]], ed], axis=1))
    return d, Xdf.to_numpy(), tuple(Xdf.columns), d["income"].to_numpy().astype(int)


def _fit(y, X, K, **kw):
    model = sm.Logit(y, X) if K == 2 else sm.MNLogit(y, X)
    return model.fit(disp=0, method="newton", tol=1e-12, maxiter=100, **kw)


@pytest.fixture(scope="module", params=[("vote", 2), ("PID", 7)], ids=["vote", "pid"])
def anes(request):
    yname, K = request.param
    d, X, names, income = _anes_design()
    y = d[yname].to_numpy().astype(np.intp)
    ref = _fit(y, X, K)
    P = np.asarray(ref.params)
    design = FittedDesign(X, names, COLUMNS, P if K == 2 else P.T, y, np.ones(y.size), K)
    return X, y, K, income, ref, design


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "cluster"])
def test_wald_tests_equal_statsmodels_wald_test(anes, cov_type):
    X, y, K, income, ref, design = anes
    kw = {"cov_kwds": {"groups": income}} if cov_type == "cluster" else {}
    start = np.asarray(ref.params).ravel(order="F")
    sm_fit = _fit(y, X, K, cov_type=cov_type, start_params=start, **kw)
    ours = wald_tests(design, covariance(design, cov_type, income if cov_type == "cluster" else None))
    assert ours["column"].tolist() == ["logpopul", "selfLR", "age", "educ"]
    for (col, idx), row in zip(column_params(design).items(), ours.itertuples()):
        R = np.eye(design.n_params)[idx]
        ref_test = sm_fit.wald_test(R, scalar=True)
        assert row.df == len(idx) == int(ref_test.df_denom)
        assert row.wald_chi2 == pytest.approx(float(ref_test.statistic), rel=1e-6)
        assert row.wald_p == pytest.approx(float(ref_test.pvalue), rel=1e-6, abs=1e-300)


def test_lr_tests_equal_the_nested_statsmodels_fits(anes):
    X, y, K, income, ref, design = anes
    ours = lr_tests(design)
    drop = {"logpopul": [1], "selfLR": [2], "age": [3], "educ": [4, 5]}
    for row in ours.itertuples():
        nested = _fit(y, np.delete(X, drop[row.column], axis=1), K)
        lr = 2 * (ref.llf - nested.llf)
        assert row.lr_chi2 == pytest.approx(lr, rel=1e-7, abs=1e-8)
        assert row.df == len(drop[row.column]) * (K - 1)
        assert row.lr_p == pytest.approx(stats.chi2.sf(lr, row.df), rel=1e-6, abs=1e-300)


def test_lr_tests_weights_are_repeated_rows():
    d, X, names, _ = _anes_design()
    y = d["vote"].to_numpy().astype(np.intp)
    w = np.arange(y.size) % 3 + 0.0
    rep = np.repeat(np.arange(y.size), w.astype(int))
    fit = _fit(y[rep], X[rep], 2)
    weighted = FittedDesign(X, names, COLUMNS, np.asarray(fit.params), y, w, 2)
    repeated = FittedDesign(X[rep], names, COLUMNS, np.asarray(fit.params), y[rep], np.ones(rep.size), 2)
    pd.testing.assert_frame_equal(lr_tests(weighted), lr_tests(repeated), rtol=1e-7)


def test_lr_test_equals_statsmodels_llr_and_checks_nesting():
    d = sm.datasets.spector.load_pandas()
    fit = sm.Logit(d.endog, sm.add_constant(d.exog)).fit(disp=0)
    chi2, df, p = lr_test(fit.llf, 4, fit.llnull, 1)
    assert (chi2, df) == (pytest.approx(fit.llr, rel=1e-12), 3)
    assert p == pytest.approx(fit.llr_pvalue, rel=1e-10)
    with pytest.raises(ValueError, match="df_full must exceed df_restricted"):
        lr_test(fit.llf, 1, fit.llnull, 1)
    with pytest.raises(ValueError, match="not nested"):
        lr_test(fit.llnull, 4, fit.llf, 1)
    with pytest.raises(ValueError, match="llf_full must be a finite number"):
        lr_test(np.nan, 4, fit.llnull, 1)


def _nll(theta, X, y, K):
    """The negative log-likelihood and its gradient, written plainly (softmax relative to class 0)."""
    q = X.shape[1]
    B = np.column_stack([np.zeros(q), theta.reshape(K - 1, q).T])  # (q, K)
    Z = X @ B
    logp = Z - special.logsumexp(Z, axis=1, keepdims=True)
    Y = np.eye(K)[y]
    grad = -(X.T @ (Y - np.exp(logp)))[:, 1:].T.ravel()
    return -np.sum(logp[np.arange(y.size), y]), grad


def _brute_force_bounds(X, y, K, theta_hat, j, se, alpha=0.05):
    """Profile by scipy.optimize.minimize with theta_j fixed, bracketed on a grid, solved by brentq."""
    free = np.delete(np.arange(theta_hat.size), j)
    llf = -_nll(theta_hat, X, y, K)[0]

    def profile_dev(b):
        def f(t):
            full = theta_hat.copy()
            full[free], full[j] = t, b
            v, g = _nll(full, X, y, K)
            return v, g[free]
        res = optimize.minimize(f, theta_hat[free], jac=True, method="BFGS", options={"gtol": 1e-8})
        return 2 * (llf + res.fun) - stats.chi2.ppf(1 - alpha, 1)

    bounds = []
    for side in (-1, 1):
        grid = theta_hat[j] + side * se * np.linspace(0, 6, 25)
        vals = [profile_dev(b) for b in grid[:2]]
        k = 1
        while vals[-1] < 0:
            k += 1
            vals.append(profile_dev(grid[k]))
        lo, hi = sorted((grid[k - 1], grid[k]))
        bounds.append(optimize.brentq(profile_dev, lo, hi, xtol=1e-10))
    return bounds


def test_profile_intervals_equal_a_brute_force_profile_binary():
    d = sm.datasets.spector.load_pandas()
    X, y = sm.add_constant(d.exog).to_numpy(), d.endog.to_numpy().astype(np.intp)
    fit = sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-12)
    design = FittedDesign(X, ("const", "GPA", "TUCE", "PSI"), (None, "GPA", "TUCE", "PSI"), np.asarray(fit.params), y,
                          np.ones(y.size), 2)
    ours = profile_intervals(design)
    assert (ours["note"] == "").all()
    for j in range(4):
        lo, hi = _brute_force_bounds(X, y, 2, np.asarray(fit.params), j, fit.bse[j])
        assert ours.loc[j, "lower"] == pytest.approx(lo, abs=1e-4)
        assert ours.loc[j, "upper"] == pytest.approx(hi, abs=1e-4)


def test_profile_intervals_equal_a_brute_force_profile_softmax():
    d = sm.datasets.anes96.load_pandas().data
    X = sm.add_constant(d[["selfLR", "age"]]).to_numpy()
    y = d["PID"].to_numpy().astype(np.intp)
    fit = _fit(y, X, 7)
    theta = np.asarray(fit.params).T.ravel()
    design = FittedDesign(X, ("const", "selfLR", "age"), (None, "selfLR", "age"), np.asarray(fit.params).T, y,
                          np.ones(y.size), 7)
    which = [1, 14]  # selfLR of class 1, age of class 5
    ours = profile_intervals(design, alpha=0.1, which=which)
    assert ours["class"].tolist() == [1, 5] and ours["term"].tolist() == ["selfLR", "age"]
    se = np.sqrt(np.diag(fit.cov_params()))
    for row, j in zip(ours.itertuples(), which):
        lo, hi = _brute_force_bounds(X, y, 7, theta, j, se[j], alpha=0.1)
        assert row.lower == pytest.approx(lo, abs=1e-4)
        assert row.upper == pytest.approx(hi, abs=1e-4)


def test_profile_under_quasi_separation_is_nan_with_a_note():
    """Every row with x = 1 has y = 1: the upper bound of x's coefficient does not exist (R gives NA)."""
    x = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 0], dtype=float)
    y = np.array([0, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0], dtype=np.intp)
    X = np.column_stack([np.ones(12), x])
    design = FittedDesign(X, ("const", "x"), (None, "x"), np.array([-0.5, 8.0]), y, np.ones(12), 2)
    with pytest.warns(RuntimeWarning, match="does not reach the chi2 threshold"):
        out = profile_intervals(design, which=[1])
    assert np.isnan(out.loc[0, "upper"]) and "separation" in out.loc[0, "note"]
    assert np.isfinite(out.loc[0, "lower"])


def test_bad_arguments_name_the_parameter(anes):
    design = anes[-1]
    with pytest.raises(ValueError, match="alpha must be a number in"):
        profile_intervals(design, alpha=1.5)
    with pytest.raises(ValueError, match="which must be an integer in"):
        profile_intervals(design, which=[design.n_params])
    with pytest.raises(ValueError, match="cov must be a finite array"):
        wald_tests(design, np.eye(2))


def test_lr_tests_with_an_offset_equal_statsmodels_logit_with_that_offset():
    d, X, names, _ = _anes_design()
    y = d["vote"].to_numpy().astype(np.intp)
    offset = 0.3 * d["TVnews"].to_numpy() - 1.0
    full = sm.Logit(y, X, offset=offset).fit(disp=0, method="newton", tol=1e-12)
    design = FittedDesign(X, names, COLUMNS, np.asarray(full.params), y, np.ones(y.size), 2, offset=offset)
    ours = lr_tests(design).set_index("column")
    nested = sm.Logit(y, np.delete(X, [4, 5], axis=1), offset=offset).fit(disp=0, method="newton", tol=1e-12)
    assert ours.loc["educ", "lr_chi2"] == pytest.approx(2 * (full.llf - nested.llf), rel=1e-7)
