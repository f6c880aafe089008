"""``OrdinalRegression`` against statsmodels' ``OrderedModel`` and R's ``MASS::polr`` on the UCLA graduate-school
application data (400 rows: ``apply`` in unlikely < somewhat likely < very likely on ``pared``, ``public``,
``gpa``; shipped with statsmodels' tests together with polr's results), and its scikit-learn behaviour."""

import warnings

import numpy as np
import pytest
from scipy import optimize, sparse, stats
from sklearn.utils.estimator_checks import parametrize_with_checks
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.miscmodels.tests.results import results_ordinal_model as polr

from crossentropy import OrdinalRegression

COLUMNS = ["pared", "public", "gpa"]
LEVELS = ["unlikely", "somewhat likely", "very likely"]
DISTR = {"logit": "logit", "probit": "probit", "cloglog": stats.gumbel_l}  # gumbel_l: F(t) = 1 - exp(-e^t)
R_POLR = {"logit": polr.res_ord_logit, "probit": polr.res_ord_probit, "cloglog": polr.res_ord_cloglog}


@pytest.fixture(scope="module")
def ucla():
    df = polr.data_store.df
    return df[COLUMNS].astype(float), df["apply"]


def _thresholds(params, d):
    """statsmodels' threshold parameters (theta_0, log-increments) as plain thresholds."""
    p = np.asarray(params)[d:]
    return np.cumsum(np.r_[p[0], np.exp(p[1:])])


def _threshold_cov(params, cov, d):
    """The delta method: statsmodels' covariance of (beta, theta_0, log-increments) -> of (beta, thresholds)."""
    p = np.asarray(params)
    k = len(p)
    G = np.eye(k)  # d theta / d params; theta_j = p_d + sum_{d < i <= d + j} exp(p_i)
    G[d:, d] = 1.0
    for i in range(d + 1, k):
        G[i:, i] = np.exp(p[i])
    return G @ cov @ G.T


@pytest.fixture(scope="module")
def statsmodels_fits(ucla):
    X, y = ucla
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for link, distr in DISTR.items():
            out[link] = OrderedModel(y, X, distr=distr).fit(method="newton", tol=1e-14, maxiter=200, disp=0)
    return out


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
def test_equals_statsmodels_ordered_model(ucla, statsmodels_fits, link):
    X, y = ucla
    ref = statsmodels_fits[link]
    m = OrdinalRegression(link=link).fit(X, y)
    d = len(COLUMNS)
    assert m.converged_ and m.classes_.tolist() == LEVELS  # the ordered Categorical's order
    np.testing.assert_allclose(m.coef_, ref.params.to_numpy()[:d], rtol=1e-6)
    np.testing.assert_allclose(m.thresholds_, _thresholds(ref.params, d), rtol=1e-6)
    s = m.summary(X, y)
    cov_ref = _threshold_cov(ref.params, ref.cov_params().to_numpy(), d)
    np.testing.assert_allclose(s.frame["std_err"].to_numpy(), np.sqrt(np.diag(cov_ref)), rtol=1e-4)
    np.testing.assert_allclose(s.frame["std_err"].to_numpy()[:d], ref.bse.to_numpy()[:d], rtol=1e-4)
    np.testing.assert_allclose(s.frame["p_value"].to_numpy()[:d], ref.pvalues.to_numpy()[:d], rtol=1e-3)
    assert s.llf == pytest.approx(ref.llf, rel=1e-10)
    assert s.aic == pytest.approx(ref.aic, rel=1e-10) and s.bic == pytest.approx(ref.bic, rel=1e-10)
    assert s.nobs == 400 and s.frame.index.tolist() == COLUMNS + ["unlikely|somewhat likely",
                                                                  "somewhat likely|very likely"]
    np.testing.assert_allclose(m.predict_proba(X), ref.predict(X), rtol=1e-6)
    assert m.log_loss(X, y) == pytest.approx(-ref.llf / 400, rel=1e-10)


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
def test_equals_r_polr(ucla, link):
    """polr's printed coefficients, zeta and standard errors: polr's optimiser stops about 2e-4 short and
    its Hessian is numerical, so these hold to about the tolerances statsmodels' own tests use against
    them (thresholds 7e-4 here, 4e-4 there: statsmodels' fit stops short too, in polr's direction)."""
    X, y = ucla
    r = R_POLR[link]
    m = OrdinalRegression(link=link).fit(X, y)
    np.testing.assert_allclose(m.coef_, r.coefficients_val, atol=2e-4)
    np.testing.assert_allclose(m.thresholds_, r.thresholds, atol=7e-4)
    np.testing.assert_allclose(m.summary(X, y).frame["std_err"].to_numpy()[:3], r.coefficients_stdE, rtol=3e-3)
    np.testing.assert_allclose(m.predict_proba(X.iloc[: len(r.prob_pred)]), r.prob_pred, atol=5e-5)


def test_l2_penalty_equals_direct_minimisation(ucla):
    """C * (-loglike) + |beta|^2 / 2, statsmodels' log-likelihood minimised by SciPy (plain thresholds)."""
    X, y = ucla
    model = OrderedModel(y, X, distr="logit")
    C = 0.05

    def objective(v):
        params = np.r_[v[:3], v[3], np.log(v[4] - v[3])] if v[4] > v[3] else None
        return np.inf if params is None else -C * model.loglike(params) + 0.5 * v[:3] @ v[:3]

    ref = optimize.minimize(objective, np.r_[0.0, 0.0, 0.0, 0.0, 1.0], method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20_000, "maxfev": 40_000})
    m = OrdinalRegression(penalty="l2", C=C).fit(X, y)
    np.testing.assert_allclose(np.r_[m.coef_, m.thresholds_], ref.x, rtol=1e-5, atol=1e-6)
    s = m.summary(X, y)
    assert s.frame["std_err"].isna().all() and s.frame["p_value"].isna().all() and "penalty" in s.note


def test_sample_weight_equals_repeated_rows(ucla):
    X, y = ucla
    w = np.random.default_rng(0).integers(0, 4, len(y))
    a = OrdinalRegression(link="probit").fit(X, y, sample_weight=w)
    b = OrdinalRegression(link="probit").fit(X.loc[X.index.repeat(w)], y.loc[y.index.repeat(w)])
    np.testing.assert_allclose(np.r_[a.coef_, a.thresholds_], np.r_[b.coef_, b.thresholds_], rtol=1e-9)
    sa = a.summary(X, y, sample_weight=w).frame["std_err"].to_numpy()
    sb = b.summary(X.loc[X.index.repeat(w)], y.loc[y.index.repeat(w)]).frame["std_err"].to_numpy()
    np.testing.assert_allclose(sa, sb, rtol=1e-8)


def test_sparse_input_gives_the_dense_fit(ucla):
    X, y = ucla
    dense = OrdinalRegression().fit(X.to_numpy(), y)
    csr = OrdinalRegression().fit(sparse.csr_matrix(X.to_numpy()), y)
    np.testing.assert_allclose(np.r_[csr.coef_, csr.thresholds_], np.r_[dense.coef_, dense.thresholds_], rtol=1e-10)


def test_probabilities_are_a_distribution_and_predict_their_argmax():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 4)) * np.array([1.0, 5.0, 50.0, 0.1])
    y = np.searchsorted([-20.0, 0.0, 20.0], X[:, 2] + rng.logistic(size=300) * 10)
    for link in ("logit", "probit", "cloglog"):
        m = OrdinalRegression(link=link).fit(X, y)
        Xt = np.vstack([X, [[0.0, 0.0, 1e4, 0.0]], [[0.0, 0.0, -1e4, 0.0]]])  # far beyond the data
        P, logP = m.predict_proba(Xt), m.predict_log_proba(Xt)
        assert P.shape == (302, 4) and np.all((P >= 0) & (P <= 1)) and np.isfinite(logP).all()
        np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-13)
        np.testing.assert_array_equal(m.predict(Xt), m.classes_[np.argmax(P, axis=1)])
        np.testing.assert_allclose(m.linear_predictor(Xt), Xt @ m.coef_)


def test_order_sets_the_levels(ucla):
    X, y = ucla
    plain = y.astype(str).to_numpy()
    m = OrdinalRegression(order=LEVELS).fit(X, plain)
    ref = OrdinalRegression().fit(X, y)  # the ordered Categorical
    assert m.classes_.tolist() == LEVELS
    np.testing.assert_allclose(m.coef_, ref.coef_, rtol=1e-12)
    reverse = OrdinalRegression(order=LEVELS[::-1]).fit(X, plain)  # reversing the order flips the signs
    np.testing.assert_allclose(reverse.coef_, -ref.coef_, rtol=1e-8)
    np.testing.assert_allclose(reverse.thresholds_, -ref.thresholds_[::-1], rtol=1e-8)


@pytest.mark.parametrize("params, match", [
    ({"link": "logistic"}, "link"),
    ({"penalty": "l1"}, "penalty"),
    ({"C": 0.0}, "C"),
    ({"max_iter": 0}, "max_iter"),
    ({"order": ["unlikely", "very likely"]}, "order"),       # y holds a label not in order
    ({"order": ["unlikely", "unlikely", "very likely"]}, "order"),
    ({"order": ["unlikely"]}, "order"),
    ({"order": LEVELS + ["certain"]}, "order"),              # a level without rows
])
def test_bad_parameters_raise_value_errors_naming_them(ucla, params, match):
    X, y = ucla
    with pytest.raises(ValueError, match=match):
        OrdinalRegression(**params).fit(X, y.astype(str).to_numpy())


def test_a_constant_column_is_refused(ucla):
    """statsmodels refuses a constant in OrderedModel too: the thresholds are the intercepts."""
    X, y = ucla
    with pytest.raises(ValueError, match=r"X has constant columns \[3\]"):
        OrdinalRegression().fit(X.assign(const=1.0), y)
    with pytest.raises(ValueError, match="X has constant columns"):
        OrdinalRegression().fit(sparse.csr_matrix(X.assign(const=1.0).to_numpy()), y)


def test_single_class_and_bad_labels_at_prediction(ucla):
    X, y = ucla
    with pytest.raises(ValueError, match="class"):
        OrdinalRegression().fit(X, np.full(len(y), "unlikely"))
    m = OrdinalRegression().fit(X, y)
    with pytest.raises(ValueError, match="y holds labels"):
        m.log_loss(X, np.full(len(y), "certain"))


def _expected_failures(estimator):
    # scikit-learn's blobs put three unordered classes around a triangle: one linear predictor cannot
    # order them, so the accuracy of a proportional-odds model stays under the check's 0.83
    return {"check_classifiers_train": "three blobs on a triangle are not ordered classes: one linear "
                                       "predictor cannot reach the check's accuracy of 0.83"}


@parametrize_with_checks([OrdinalRegression(), OrdinalRegression(link="probit", penalty="l2")],
                         expected_failed_checks=_expected_failures)
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)
