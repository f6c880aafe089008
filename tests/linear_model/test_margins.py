"""Average marginal effects against statsmodels' get_margeff(at="overall", method="dydx")."""

import numpy as np
import pytest
import statsmodels.api as sm

from crossentropy.linear_model._covariance import covariance
from crossentropy.linear_model._design import FittedDesign
from crossentropy.linear_model._margins import average_marginal_effects

NAMES = ("const", "logpopul", "selfLR", "age", "educ", "income")


@pytest.fixture(scope="module", params=[("vote", 2), ("PID", 7)], ids=["logit", "mnlogit"])
def anes(request):
    yname, K = request.param
    d = sm.datasets.anes96.load_pandas().data
    X = sm.add_constant(d[list(NAMES[1:])]).to_numpy()
    y = d[yname].to_numpy().astype(np.intp)
    return X, y, K


def _fit(X, y, K, **kw):
    model = sm.Logit(y, X) if K == 2 else sm.MNLogit(y, X)
    return model.fit(disp=0, method="newton", tol=1e-12, maxiter=100, **kw)


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
def test_ame_equals_statsmodels_get_margeff(anes, cov_type):
    X, y, K = anes
    fit = _fit(X, y, K, cov_type=cov_type)
    P = np.asarray(fit.params)
    design = FittedDesign(X, NAMES, (None,) + NAMES[1:], P if K == 2 else P.T, y, np.ones(y.size), K)
    ours = average_marginal_effects(design, covariance(design, cov_type), alpha=0.1)
    ref = fit.get_margeff(at="overall", method="dydx")
    frame = ref.summary_frame(alpha=0.1)
    # statsmodels: (terms,) for Logit, (terms, classes) for MNLogit; ours: class-major rows
    flat = (lambda a: np.asarray(a)) if K == 2 else (lambda a: np.asarray(a).T.ravel())
    np.testing.assert_allclose(ours["dydx"], flat(ref.margeff), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours["std_err"], flat(ref.margeff_se), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours["z"], frame["z"], rtol=1e-6)
    np.testing.assert_allclose(ours["p_value"], frame["Pr(>|z|)"], rtol=1e-6, atol=1e-300)
    np.testing.assert_allclose(ours["ci_low"], frame["Conf. Int. Low"], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours["ci_high"], frame["Cont. Int. Hi."], rtol=1e-6, atol=1e-12)
    assert ours["term"].tolist()[:5] == list(NAMES[1:])
    if K > 2:
        assert ours["class"].tolist() == [k for k in range(K) for _ in range(5)]
        np.testing.assert_allclose(ours["dydx"].to_numpy().reshape(K, 5).sum(axis=0), 0, atol=1e-14)


def test_weights_are_repeated_rows(anes):
    X, y, K = anes
    w = np.arange(y.size) % 3 + 0.0
    rep = np.repeat(np.arange(y.size), w.astype(int))
    P = np.asarray(_fit(X[rep], y[rep], K).params)
    params = P if K == 2 else P.T
    cols = (None,) + NAMES[1:]
    weighted = FittedDesign(X, NAMES, cols, params, y, w, K)
    repeated = FittedDesign(X[rep], NAMES, cols, params, y[rep], np.ones(rep.size), K)
    a = average_marginal_effects(weighted, covariance(weighted, "HC1"))
    b = average_marginal_effects(repeated, covariance(repeated, "HC1"))
    np.testing.assert_allclose(a[["dydx", "std_err"]], b[["dydx", "std_err"]], rtol=1e-9)


def test_bad_arguments_name_the_parameter(anes):
    X, y, K = anes
    d = FittedDesign(X, NAMES, (None,) + NAMES[1:], np.zeros(6) if K == 2 else np.zeros((K - 1, 6)), y,
                     np.ones(y.size), K)
    with pytest.raises(ValueError, match="cov must be a finite array"):
        average_marginal_effects(d, np.eye(3))
    with pytest.raises(ValueError, match="alpha must be a number in"):
        average_marginal_effects(d, np.eye(d.n_params), alpha=0)
