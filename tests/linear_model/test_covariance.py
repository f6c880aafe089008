"""Covariance types of a fitted design against statsmodels (HC0, HC1's formula, one- and two-way cluster)
and against the definitions written out row by row (HC2, HC3, two-way cluster)."""

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.linalg import sqrtm
from statsmodels.stats import sandwich_covariance as sw

from crossentropy.linear_model._covariance import COV_TYPES, LeverageError, covariance
from crossentropy.linear_model._design import FittedDesign


def _design(X, y, params, K, w=None):
    w = np.ones(y.size) if w is None else w
    q = X.shape[1]
    return FittedDesign(X, tuple(f"x{j}" for j in range(q)), (None,) + tuple(f"x{j}" for j in range(1, q)),
                        params, y, w, K)


@pytest.fixture(scope="module")
def vote():
    """anes96: vote (binary) on six columns; clusters by income (24), education (7) and age in 5-year bands."""
    d = sm.datasets.anes96.load_pandas().data
    X = sm.add_constant(d[["logpopul", "selfLR", "age", "educ", "income"]]).to_numpy()
    y = d["vote"].to_numpy().astype(np.intp)
    g = np.column_stack([d["income"], d["educ"], d["age"] // 5]).astype(int)
    ref = sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-12)
    return X, y, g, ref, _design(X, y, np.asarray(ref.params), 2)


@pytest.fixture(scope="module")
def pid():
    """anes96: party identification (7 classes), MNLogit."""
    d = sm.datasets.anes96.load_pandas().data
    X = sm.add_constant(d[["logpopul", "selfLR", "age", "educ", "income"]]).to_numpy()
    y = d["PID"].to_numpy().astype(np.intp)
    g = d[["income", "educ"]].to_numpy().astype(int)
    ref = sm.MNLogit(y, X).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    return X, y, g, ref, _design(X, y, np.asarray(ref.params).T, 7)


def _sm_cov(data, cov_type, **kw):
    X, y, g, ref, d = data
    model = sm.Logit(y, X) if d.binary else sm.MNLogit(y, X)
    return np.asarray(model.fit(disp=0, method="newton", tol=1e-12, maxiter=100, start_params=np.asarray(ref.params).ravel(order="F"),
                                cov_type=cov_type, **kw).cov_params())


@pytest.mark.parametrize("which", ["vote", "pid"])
def test_hc0_hc1_cluster_equal_statsmodels(which, request):
    data = request.getfixturevalue(which)
    X, y, g, ref, d = data
    np.testing.assert_allclose(covariance(d), ref.cov_params(), rtol=1e-7)
    np.testing.assert_allclose(covariance(d, "HC0"), _sm_cov(data, "HC0"), rtol=1e-7, atol=1e-14)
    # statsmodels' discrete models give HC0 for cov_type="HC1"; HC1 is its formula with the n / (n - m) factor
    np.testing.assert_allclose(covariance(d, "HC1"), sw.cov_white_simple(ref, use_correction=True), rtol=1e-7,
                               atol=1e-14)
    np.testing.assert_allclose(covariance(d, "cluster", groups=g[:, 0]),
                               _sm_cov(data, "cluster", cov_kwds={"groups": g[:, 0]}), rtol=1e-7, atol=1e-14)


def _by_definition(d, cov_type):
    """HC2 / HC3 written out row by row: A_i = W^1/2 (I - H)^-p W^-1/2, H = W^1/2 X_i C X_i^T W^1/2."""
    P = d.probabilities()
    J = 1 if d.binary else d.n_classes - 1
    C = np.linalg.inv(d.information())
    B = np.zeros_like(C)
    for i in range(d.X.shape[0]):
        Xi = np.kron(np.eye(J), d.X[i][None, :])
        p = P[i, 1:]
        W = np.diag(p) - np.outer(p, p)
        r = (d.y[i] == np.arange(1, J + 1)) - p
        Wh = np.real(sqrtm(W))
        H = Wh @ Xi @ C @ Xi.T @ Wh
        M = np.linalg.inv(np.eye(J) - H)
        A = Wh @ (np.real(sqrtm(M)) if cov_type == "HC2" else M) @ np.linalg.inv(Wh)
        g = Xi.T @ A @ r
        B += d.sample_weight[i] * np.outer(g, g)
    return C @ B @ C


@pytest.mark.parametrize("which", ["vote", "pid"])
@pytest.mark.parametrize("cov_type", ["HC2", "HC3"])
def test_hc2_hc3_equal_the_leverage_definition(which, cov_type, request):
    d = request.getfixturevalue(which)[-1]
    np.testing.assert_allclose(covariance(d, cov_type), _by_definition(d, cov_type), rtol=1e-8, atol=1e-14)


def test_binary_hc3_is_residual_over_one_minus_leverage(vote):
    """Long and Ervin's HC3 for a GLM: residual (y - p) / (1 - h), h_i = p(1-p) x_i^T I^-1 x_i."""
    X, y, g, ref, d = vote
    p = ref.predict()
    C = np.linalg.inv(X.T @ (X * (p * (1 - p))[:, None]))
    h = p * (1 - p) * np.einsum("ij,jk,ik->i", X, C, X)
    u = X * ((y - p) / (1 - h))[:, None]
    np.testing.assert_allclose(covariance(d, "HC3"), C @ u.T @ u @ C, rtol=1e-9)


def _two_way_by_definition(d, g):
    """Cameron-Gelbach-Miller: V1 + V2 - V12, each sum over clusters of u_g u_g^T with G/(G-1) (n-1)/(n-m)."""
    C = np.linalg.inv(d.information())
    S = d.row_scores()
    n, m = S.shape
    keys = [g[:, 0].tolist(), g[:, 1].tolist(), list(zip(g[:, 0].tolist(), g[:, 1].tolist()))]
    covs = []
    for key in keys:
        sums = {}
        for i, k in enumerate(key):
            sums[k] = sums.get(k, 0) + S[i]
        B = sum(np.outer(u, u) for u in sums.values())
        G = len(sums)
        covs.append(C @ B @ C * G / (G - 1) * (n - 1) / (n - m))
    return covs[0] + covs[1] - covs[2]


def test_two_way_cluster_equals_statsmodels_and_the_definition(vote):
    X, y, g, ref, d = vote
    g = g[:, [0, 2]]  # income x age band
    expected = _two_way_by_definition(d, g)
    assert np.linalg.eigvalsh(expected)[0] > 0  # no eigenvalue fix on these data
    np.testing.assert_allclose(covariance(d, "cluster", groups=[g[:, 0], g[:, 1]]), expected, rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(covariance(d, "cluster", groups=g), sw.cov_cluster_2groups(ref, g)[0], rtol=1e-7,
                               atol=1e-14)


def test_two_way_not_psd_is_clipped_with_a_warning(pid):
    """Income x education on party identification: V1 + V2 - V12 is indefinite; the fix keeps U max(L, 0) U^T."""
    X, y, g, ref, d = pid
    raw = sw.cov_cluster_2groups(ref, g)[0]
    np.testing.assert_allclose(_two_way_by_definition(d, g), raw, rtol=1e-7, atol=1e-14)
    lam, U = np.linalg.eigh(raw)
    assert lam[0] < 0
    with pytest.warns(RuntimeWarning, match="negative eigenvalue"):
        V = covariance(d, "cluster", groups=g)
    np.testing.assert_allclose(V, (U * np.maximum(lam, 0)) @ U.T, rtol=1e-6, atol=1e-12)


@pytest.mark.filterwarnings("ignore:the two-way cluster covariance")  # both sides clip the same way
@pytest.mark.parametrize("which", ["vote", "pid"])
def test_weights_are_repeated_rows_for_every_cov_type(which, request):
    X, y, g, ref, d = request.getfixturevalue(which)
    rows = np.arange(0, y.size, 3)  # a subsample keeps the loops short
    w = (np.arange(rows.size) % 3).astype(float)  # 0, 1, 2: zero-weight rows are no observation, no cluster
    w[:2] = 0  # the first income cluster has only zero-weight rows
    weighted = FittedDesign(X[rows], d.names, d.columns, d.params, y[rows], w, d.n_classes)
    rep = np.repeat(rows, w.astype(int))
    repeated = FittedDesign(X[rep], d.names, d.columns, d.params, y[rep], np.ones(rep.size), d.n_classes)
    gw = g[rows].copy()
    gw[:2, 0] = -1
    for cov_type in COV_TYPES:
        kw = {}
        if cov_type == "cluster":
            for groups, grep in [(gw[:, 0], g[rep, 0]), (gw[:, :2], g[rep, :2])]:
                np.testing.assert_allclose(covariance(weighted, cov_type, groups), covariance(repeated, cov_type, grep),
                                           rtol=1e-9, atol=1e-14)
            continue
        np.testing.assert_allclose(covariance(weighted, cov_type, **kw), covariance(repeated, cov_type, **kw),
                                   rtol=1e-9, atol=1e-14)


def test_bad_input_names_the_parameter(vote):
    d = vote[-1]
    n = d.X.shape[0]
    with pytest.raises(ValueError, match="cov_type must be one of"):
        covariance(d, "HC4")
    with pytest.raises(ValueError, match="needs groups"):
        covariance(d, "cluster")
    with pytest.raises(ValueError, match="groups is only used"):
        covariance(d, "HC0", groups=np.arange(n))
    with pytest.raises(ValueError, match="groups must hold one label per row"):
        covariance(d, "cluster", groups=np.arange(n - 1))
    with pytest.raises(ValueError, match="at least two clusters"):
        covariance(d, "cluster", groups=np.zeros(n))
    with pytest.raises(ValueError, match="missing values"):
        covariance(d, "cluster", groups=np.where(np.arange(n) == 5, np.nan, np.arange(n) % 4))
    with pytest.raises(ValueError, match="groups must have shape"):
        covariance(d, "cluster", groups=np.zeros((n, 3)))
    with pytest.raises(ValueError, match="information_inverse must be"):
        covariance(d, information_inverse=np.eye(2))


def test_aliased_term_is_named_not_given_a_covariance(vote):
    """A column equal to a combination of others (R's glm: NA): the scaled Cholesky pivot is below 1e-7."""
    X, y, g, ref, d = vote
    Xa = np.column_stack([X, X[:, 1] - 2 * X[:, 3]])
    names = d.names + ("combo",)
    aliased = FittedDesign(Xa, names, d.columns + ("combo",), np.r_[ref.params, 0.0], y, np.ones(y.size), 2)
    with pytest.raises(ValueError, match="parameter 6 \\(term 'combo'\\) is aliased"):
        covariance(aliased, "HC3")


@pytest.mark.filterwarnings("ignore:Maximum Likelihood optimization failed")
def test_a_row_of_leverage_one_has_no_hc2_hc3(vote):
    """A dummy column that is 1 on one row only: that row is fitted exactly (its coefficient diverges, p_i -> y_i)
    and its leverage tends to 1, where the adjusted residual is undefined."""
    X, y, g, ref, d = vote
    Xa = np.column_stack([X, np.arange(y.size) == 7]).astype(float)
    fit = sm.Logit(y, Xa).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    ok = FittedDesign(Xa, d.names + ("row7",), d.columns + ("row7",), np.asarray(fit.params), y, np.ones(y.size), 2)
    for cov_type in ("HC2", "HC3"):
        with pytest.raises(LeverageError, match="row 7 has leverage 1"):
            covariance(ok, cov_type)
    assert np.all(np.isfinite(covariance(ok, "HC0")))
