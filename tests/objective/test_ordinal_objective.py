"""The ordinal cross-entropy of ``crossentropy.objective.ordinal``: its gradient and Hessian against central
finite differences of its value, and its value against the definition evaluated in 50-digit arithmetic
(mpmath) far out in the tails, where a float64 evaluation of the definition underflows."""

import mpmath
import numpy as np
import pytest

from crossentropy.objective.ordinal import OrdinalObjective, log_interval, ordinal_terms
from crossentropy.solvers import newton

LINKS = ("logit", "probit", "cloglog")


def _cdf(link, t):
    """F(t) in mpmath, from the definition of each link."""
    t = mpmath.mpf(t)
    if link == "logit":
        return 1 / (1 + mpmath.exp(-t))
    if link == "probit":
        return mpmath.ncdf(t)
    return -mpmath.expm1(-mpmath.exp(t))  # 1 - exp(-e^t), without losing e^t next to 1


def _sf(link, t):
    """1 - F(t) in mpmath, from the definition (its exponent range is unbounded: exp(-e^700) is kept)."""
    t = mpmath.mpf(t)
    if link == "logit":
        return 1 / (1 + mpmath.exp(t))
    if link == "probit":
        return mpmath.ncdf(-t)
    return mpmath.exp(-mpmath.exp(t))


def _mp_log_interval(link, a, b):
    """log(F(a) - F(b)) in 60 digits: F(a) - F(b) when a <= 0, S(b) - S(a) (S = 1 - F) when b >= 0, else
    log1p(-(S(a) + F(b))), so that no tail probability is lost next to 1."""
    with mpmath.workdps(60):
        Fb = mpmath.mpf(0) if b == -np.inf else _cdf(link, b)
        Sa = mpmath.mpf(0) if a == np.inf else _sf(link, a)
        if a <= 0:
            return float(mpmath.log(_cdf(link, a) - Fb))
        if b >= 0:
            return float(mpmath.log(_sf(link, b) - Sa))
        return float(mpmath.log1p(-(Sa + Fb)))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n, d, J = 120, 3, 4
    X = rng.standard_normal((n, d))
    y = rng.integers(0, J, n)
    sw = rng.uniform(0.5, 2.0, n)
    return X, y, sw, J


@pytest.mark.parametrize("link", LINKS)
def test_gradient_and_hessian_match_central_differences(data, link):
    X, y, sw, J = data
    coef = np.array([0.4, -0.3, 0.2, -1.0, 0.2, 1.5])
    t = ordinal_terms(X, y, sw, coef, J, link)
    h = 1e-6
    eye = np.eye(len(coef))
    fd_grad = np.array([(ordinal_terms(X, y, sw, coef + h * e, J, link, {"loss"}).loss
                         - ordinal_terms(X, y, sw, coef - h * e, J, link, {"loss"}).loss) / (2 * h) for e in eye])
    fd_hess = np.array([(ordinal_terms(X, y, sw, coef + h * e, J, link, {"grad"}).grad
                         - ordinal_terms(X, y, sw, coef - h * e, J, link, {"grad"}).grad) / (2 * h) for e in eye])
    np.testing.assert_allclose(t.grad, fd_grad, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(t.hess, fd_hess, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(t.hess, t.hess.T, rtol=0, atol=1e-12)


@pytest.mark.parametrize("link", LINKS)
def test_loss_equals_the_definition_in_float64_where_it_is_representable(data, link):
    """Moderate logits: the definition -sum s log(F(a) - F(b)) evaluated directly with SciPy's CDFs."""
    from scipy import stats

    X, y, sw, J = data
    coef = np.array([0.4, -0.3, 0.2, -1.0, 0.2, 1.5])
    F = {"logit": stats.logistic.cdf, "probit": stats.norm.cdf, "cloglog": stats.gumbel_l.cdf}[link]
    ext = np.r_[-np.inf, coef[3:], np.inf]
    eta = X @ coef[:3]
    direct = -np.sum(sw * np.log(F(ext[y + 1] - eta) - F(ext[y] - eta)))  # itself rounded: 1 - F near 0
    assert ordinal_terms(X, y, sw, coef, J, link, {"loss"}).loss == pytest.approx(direct, rel=1e-12)


@pytest.mark.parametrize("link", LINKS)
def test_log_interval_matches_mpmath_far_in_the_tails(link):
    thresholds = np.array([-2.0, 0.5, 3.0])
    ext = np.r_[-np.inf, thresholds, np.inf]
    etas = [-700.0, -60.0, -8.0, 0.0, 8.0, 60.0, 700.0]
    if link == "cloglog":
        etas = [-700.0, -60.0, -8.0, 0.0, 8.0, 60.0, 600.0]  # beyond b = 709.78 the loss e^b overflows float64
    for eta in etas:
        for k in range(4):
            a, b = ext[k + 1] - eta, ext[k] - eta
            got = float(log_interval(link, np.array([a]), np.array([b]), np.array([ext[k + 1] - ext[k]]))[0])
            want = _mp_log_interval(link, a, b)
            assert np.isfinite(got), (link, eta, k)
            assert got == pytest.approx(want, rel=1e-12, abs=1e-300), (link, eta, k)


@pytest.mark.parametrize("link", LINKS)
def test_narrow_interval_in_both_tails(link):
    """An interval of width 1e-6 at -20 and at +20 (for cloglog +3, where 1 - F is still above 1e-9)."""
    for centre in (-20.0, 3.0 if link == "cloglog" else 20.0):
        b, a = centre, centre + 1e-6
        got = float(log_interval(link, np.array([a]), np.array([b]), np.array([a - b]))[0])
        want = _mp_log_interval(link, a, b)
        rel = 1e-8 if link == "probit" else 1e-9  # probit: difference of log_ndtr values (see the module)
        assert got == pytest.approx(want, rel=rel), (link, centre)


@pytest.mark.parametrize("link", LINKS)
def test_gradient_and_hessian_stay_finite_for_extreme_rows(link):
    X = np.array([[-500.0], [-40.0], [0.0], [40.0], [500.0]])
    y = np.array([0, 1, 2, 1, 0])
    t = ordinal_terms(X, y, None, np.array([1.0, -1.0, 2.0]), 3, link)
    assert np.isfinite(t.loss) and np.isfinite(t.grad).all() and np.isfinite(t.hess).all()


def test_unordered_thresholds_give_an_infinite_loss(data):
    X, y, sw, J = data
    obj = OrdinalObjective(X, y, sw, J, "logit")
    assert obj.loss(np.array([0.0, 0.0, 0.0, 1.0, 1.0, 2.0])) == np.inf
    assert obj.loss(np.array([0.0, 0.0, 0.0, 1.0, 0.5, 2.0])) == np.inf


def test_newton_on_the_objective_reaches_a_zero_gradient(data):
    X, y, sw, J = data
    obj = OrdinalObjective(X, y, sw, J, "probit", scale=1 / sw.sum(), l2=0.01)
    res = newton(obj, np.r_[np.zeros(3), -1.0, 0.0, 1.0], tol=1e-12, step="cholesky")
    _, g = obj.loss_gradient(res.coef)
    assert res.converged and np.abs(g).max() <= 1e-12
    assert np.all(np.diff(res.coef[3:]) > 0)
