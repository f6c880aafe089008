"""The column path of proximal Newton on working sets (two classes, sparse X, l1 / elastic net).

Oracles: the definitions evaluated in float64 with NumPy/SciPy (``scipy.special.expit``,
``np.logaddexp``, SciPy's sparse products), the optimality (KKT) conditions of the objective written
out in NumPy, and scikit-learn's saga at a tight tolerance.
"""

import warnings

import numpy as np
import pytest
from scipy import sparse
from scipy.special import expit
from sklearn.linear_model import LogisticRegression as SkLogReg
from threadpoolctl import threadpool_limits

from crossentropy import LogisticRegression
from crossentropy.objective import ElasticNet, LinearObjective, _cd
from crossentropy.objective import _logistic_columns as kernels
from crossentropy.solvers import newton
from crossentropy.solvers import _columns


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1):
        yield


def _text_like(n=400, d=300, seed=0, k=8):
    """Rows of ``k`` columns drawn with popularity 1/(j + 5): correlated frequent columns, as in text."""
    rng = np.random.default_rng(seed)
    pop = 1.0 / (np.arange(d) + 5.0)
    rows = np.repeat(np.arange(n), k)
    cols = rng.choice(d, size=n * k, p=pop / pop.sum())
    X = sparse.csr_matrix((rng.uniform(0.5, 2.0, n * k), (rows, cols)), shape=(n, d))
    X.sum_duplicates()
    w = np.zeros(d)
    w[rng.choice(d, 15, replace=False)] = rng.normal(0, 1.5, 15)
    y = (rng.random(n) < expit(X @ w - 0.3)).astype(int)
    return X, y


def _kkt(X, y, coef, intercept, sw, offset, l1, l2):
    """Max violation of the optimality conditions of (1/sum sw) sum_i sw_i loss_i + l2/2 |w|^2 + l1 |w|_1,
    everything in float64 NumPy."""
    z = X @ coef + intercept + (0.0 if offset is None else offset)
    r = sw * (expit(z) - y) / sw.sum()
    g = X.T @ r + l2 * coef
    viol = np.where(coef != 0, np.abs(g + l1 * np.sign(coef)), np.maximum(np.abs(g) - l1, 0.0))
    return max(viol.max(), abs(r.sum()))


def test_logistic_terms_match_the_definition():
    rng = np.random.default_rng(1)
    n = 50
    z, dz = rng.normal(0, 5, n), rng.normal(0, 3, n)
    z[:3] = [700.0, -700.0, 0.0]  # no overflow at the extremes
    y, sw = (rng.random(n) < 0.5).astype(float), rng.uniform(0.1, 3, n)
    zt, r, h = np.empty(n), np.empty(n), np.empty(n)
    loss = kernels.logistic_terms(z, dz, 0.25, y, sw, 0.1, zt, r, h)
    u = z + 0.25 * dz
    p = expit(u)
    np.testing.assert_allclose(zt, u, rtol=1e-15)
    np.testing.assert_allclose(loss, 0.1 * np.sum(sw * (np.logaddexp(0, u) - y * u)), rtol=1e-13)
    np.testing.assert_allclose(r, 0.1 * sw * (p - y), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(h, 0.1 * sw * p * (1 - p), rtol=1e-12, atol=1e-300)
    kernels.logistic_terms(z, dz, 0.0, y, np.empty(0), 1.0, zt, r, h)  # no weights: ones
    np.testing.assert_allclose(r, expit(z) - y, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("binary", [False, True])
def test_column_dots_match_scipy_products(binary):
    X, _ = _text_like(n=60, d=40, seed=2)
    if binary:
        X.data[:] = 1.0
    Xc = X.tocsc()
    assert kernels.all_ones(Xc.data) == binary
    rng = np.random.default_rng(2)
    r, h = rng.normal(size=60), rng.uniform(size=60)
    out, hd = np.full(40, np.nan), np.full(40, np.nan)
    cols = np.arange(0, 40, 2)
    kernels.column_dots(Xc.indptr, Xc.indices, Xc.data, binary, r, h, cols, out, hd)
    np.testing.assert_allclose(out[cols], (X.T @ r)[cols], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(hd[cols], (X.multiply(X).T @ h)[cols], rtol=1e-13, atol=1e-15)
    assert np.isnan(out[1::2]).all() and np.isnan(hd[1::2]).all()  # the other columns are left alone


def test_penalty_sums_and_violations_match_the_definitions():
    rng = np.random.default_rng(3)
    coef, d, g = rng.normal(size=30) * (rng.random(30) < 0.5), rng.normal(size=30), rng.normal(0, 0.3, 30)
    mask = rng.random(30) < 0.8
    new = np.empty(30)
    sq, ab = kernels.elastic_net_step(coef, d, 0.5, mask, new)
    u = coef + 0.5 * d
    np.testing.assert_array_equal(new, u)
    np.testing.assert_allclose([sq, ab], [np.sum(u[mask] ** 2), np.sum(np.abs(u[mask]))], rtol=1e-14)
    out = np.empty(30)
    top = kernels.l1_violations(coef, g, mask, 0.2, out)
    want = np.where(~mask, np.abs(g), np.where(coef != 0, np.abs(g + 0.2 * np.sign(coef)),
                                                 np.maximum(np.abs(g) - 0.2, 0.0)))
    np.testing.assert_allclose(out, want, rtol=1e-15)
    assert top == want.max()


@pytest.mark.parametrize("anderson, binary", [(0, False), (5, False), (5, True)])
def test_random_order_meets_the_models_optimality_conditions(anderson, binary):
    # the l1-penalised quadratic model with its Hessian formed densely in NumPy from the definition
    X, _ = _text_like(n=200, d=60, seed=4)
    if binary:
        X.data[:] = 1.0
    Xc = X.tocsc()
    rng = np.random.default_rng(4)
    cols = np.arange(0, 60, 3)
    h = rng.uniform(0.01, 0.25, 200) / 200
    Xt = np.c_[X[:, cols].toarray(), np.ones(200)]
    p = Xt.shape[1]
    g, theta = rng.normal(0, 0.02, p), rng.normal(0, 0.5, p) * (rng.random(p) < 0.5)
    mask = np.r_[np.ones(p - 1, bool), False]
    l2, l1 = np.where(mask, 1e-3, 0.0), 0.005
    out = np.empty(200)
    delta, sweeps = _cd.cd_columns_l1(Xc, cols, True, h, g, theta, mask, l2, l1, rel_tol=0.0, abs_tol=1e-13,
                                      anderson=anderson, seed=11, out=out, sweeps=True, unit=binary)
    H = Xt.T @ (h[:, None] * Xt) + np.diag(l2)
    grad, u = g + H @ delta, theta + delta
    viol = np.where(~mask, np.abs(grad), np.where(u != 0, np.abs(grad + l1 * np.sign(u)), np.maximum(np.abs(grad) - l1, 0)))
    assert viol.max() <= 1e-11
    np.testing.assert_allclose(out, Xt @ delta, rtol=1e-10, atol=1e-13)
    assert sweeps > 1 and 0 < np.count_nonzero(u[mask]) < mask.sum()
    # the curvatures passed in (hdiag, summed by SciPy) give the same step up to the rounding of their sums
    hdiag = np.r_[X[:, cols].multiply(X[:, cols]).T @ h, h.sum()]
    again = _cd.cd_columns_l1(Xc, cols, True, h, g, theta, mask, l2, l1, rel_tol=0.0, abs_tol=1e-13,
                              anderson=anderson, seed=11, hdiag=hdiag, unit=binary)
    np.testing.assert_allclose(again, delta, rtol=0, atol=1e-11)


@pytest.fixture(scope="module")
def weighted_problem():
    X, y = _text_like(n=400, d=300, seed=5)
    rng = np.random.default_rng(5)
    sw = rng.uniform(0.2, 2.0, 400)
    return X, y, sw


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_sparse_fit_matches_saga_with_weights_and_intercept(weighted_problem, l1_ratio):
    X, y, sw = weighted_problem
    C = 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        saga = SkLogReg(C=C, l1_ratio=l1_ratio, solver="saga", tol=1e-13, max_iter=100_000).fit(X, y, sample_weight=sw)
    penalty = "l1" if l1_ratio == 1.0 else "elasticnet"
    kw = {} if l1_ratio == 1.0 else {"l1_ratio": l1_ratio}
    ours = LogisticRegression(C=C, penalty=penalty, tol=1e-11, max_iter=1000, **kw).fit(X, y, sample_weight=sw)
    assert ours.solver_ == "newton"
    np.testing.assert_array_equal(np.flatnonzero(ours.coef_), np.flatnonzero(saga.coef_))
    np.testing.assert_allclose(ours.coef_, saga.coef_, rtol=0, atol=2e-7)
    np.testing.assert_allclose(ours.intercept_, saga.intercept_, rtol=0, atol=2e-7)
    n_sw = sw.sum()
    l1, l2 = l1_ratio / (C * n_sw), (1 - l1_ratio) / (C * n_sw)
    assert _kkt(X, y, ours.coef_[0], ours.intercept_[0], sw, None, l1, l2) <= 1e-10


def test_sparse_fit_with_offset_meets_the_kkt_conditions(weighted_problem):
    X, y, sw = weighted_problem
    offset = np.random.default_rng(6).normal(0, 1, X.shape[0])
    C = 0.5
    ours = LogisticRegression(C=C, penalty="l1", tol=1e-11, max_iter=1000).fit(X, y, sample_weight=sw, offset=offset)
    assert 0 < np.count_nonzero(ours.coef_) < X.shape[1] // 2
    assert _kkt(X, y, ours.coef_[0], ours.intercept_[0], sw, offset, 1.0 / (C * sw.sum()), 0.0) <= 1e-10


def test_column_path_reports_the_objectives_values(weighted_problem):
    # the solver's recorded values come from logits it keeps up to date: they must equal the
    # objective evaluated from scratch (a float64 product with X) at every iterate
    X, y, sw = weighted_problem
    obj = LinearObjective(X, y, sw, n_classes=2, scale=1.0 / sw.sum(), l1=1.0 / (0.5 * sw.sum()))
    seen = []
    res = newton(obj, np.zeros(X.shape[1] + 1), tol=1e-10, callback=lambda s: seen.append((s.fun, s.x)))
    assert res.converged and len(seen) > 2
    for value, coef in seen:
        z = X @ coef[:-1] + coef[-1]
        want = np.sum(sw * (np.logaddexp(0, z) - y * z)) / sw.sum() + obj.penalty.l1 * np.abs(coef[:-1]).sum()
        np.testing.assert_allclose(value, want, rtol=1e-13)


def test_inner_tolerance_shrinks_after_one_sweep_solves(weighted_problem, monkeypatch):
    # newGLMNET's rule: each inner solve met in one sweep makes the next tolerance INNER_SHRINK times
    # smaller, starting from INNER_START times the first point's largest violation
    X, y, sw = weighted_problem
    seen = []
    columns = _cd.cd_columns_l1

    def spy(*args, **kwargs):
        out = columns(*args, **kwargs)
        seen.append((kwargs["abs_tol"], out[1]))
        return out

    monkeypatch.setattr(_cd, "cd_columns_l1", spy)
    obj = LinearObjective(X, y, sw, n_classes=2, scale=1.0 / sw.sum(), l1=1.0 / (0.5 * sw.sum()))
    coef0 = np.zeros(X.shape[1] + 1)
    g0 = obj.loss_gradient(coef0)[1]
    assert newton(obj, coef0, tol=1e-10).converged
    first = np.max(np.abs(np.r_[np.maximum(np.abs(g0[:-1]) - obj.penalty.l1, 0.0), g0[-1]]))
    assert seen[0][0] == pytest.approx(_columns.INNER_START * first, rel=1e-12)
    for (tol, sweeps), (nxt, _) in zip(seen, seen[1:]):
        assert nxt == pytest.approx(tol * (_columns.INNER_SHRINK if sweeps == 1 else 1.0), rel=1e-15)


def test_gradient_split_over_threads_is_scipys_product_and_the_fit_meets_the_kkt_conditions(weighted_problem,
                                                                                             monkeypatch):
    """With every pass split into parts of equal non-zeros on two threads, each gradient is X^T r of
    SciPy (and the curvatures X^2^T h), and the fit meets the optimality conditions written out in NumPy."""
    X, y, sw = weighted_problem
    monkeypatch.setattr(_columns, "DOTS_PART_NNZ", 1)
    monkeypatch.setattr(_columns, "own_threads", lambda: 2)
    parts, checked = [], []
    split = _columns.split_at

    def spy(work, bounds):
        return split(lambda lo, hi: parts.append((lo, hi)) or work(lo, hi), bounds)

    dots = _columns.LogisticColumns._dots

    def checked_dots(self, r, h, cols, out):
        dots(self, r, h, cols, out)
        np.testing.assert_allclose(out[cols], (X.T @ r)[cols], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(self.hdiag[cols], (X.multiply(X).T @ h)[cols], rtol=1e-12, atol=1e-15)
        checked.append(cols.size)

    monkeypatch.setattr(_columns, "split_at", spy)
    monkeypatch.setattr(_columns.LogisticColumns, "_dots", checked_dots)
    C = 0.5
    ours = LogisticRegression(C=C, penalty="l1", tol=1e-11, max_iter=1000).fit(X, y, sample_weight=sw)
    assert checked and len(parts) >= 2 * len(checked)  # every gradient in two parts at least
    assert 0 < np.count_nonzero(ours.coef_) < X.shape[1]
    assert _kkt(X, y, ours.coef_[0], ours.intercept_[0], sw, None, 1.0 / (C * sw.sum()), 0.0) <= 1e-10


def test_warm_started_path_with_screening_meets_the_kkt_conditions(weighted_problem, monkeypatch):
    # the strong rule leaves columns out of the gradient along a warm-started path; the end point of
    # every fit must still meet the optimality conditions on every column
    from crossentropy.linear_model import logistic_regression_path

    X, y, sw = weighted_problem
    left_out = []
    screen = _columns.LogisticColumns._screen

    def spy(self, coef, g):
        screen(self, coef, g)
        left_out.append(0 if self.screened is None else int(self.screened.sum()))

    monkeypatch.setattr(_columns.LogisticColumns, "_screen", spy)
    Cs = np.geomspace(0.05, 2.0, 12)  # a ratio of 1.4: the sequential strong rule discards
    res = logistic_regression_path(X, y, Cs=Cs, penalty="l1", sample_weight=sw, tol=1e-10, max_iter=1000)
    assert res.converged.all()
    assert max(left_out) > X.shape[1] // 2  # most columns were left out somewhere on the path
    sizes = []
    for C, w, b in zip(Cs, res.coefs[:, 0, :], res.intercepts[:, 0]):
        sizes.append(np.count_nonzero(w))
        assert _kkt(X, y, w, b, sw, None, 1.0 / (C * sw.sum()), 0.0) <= 1e-9
    assert sizes[0] < sizes[-1]


def _one_hot_table(n=3000, seed=4):
    """Two numeric columns and three one-hot categorical ones (4, 10 and 30 levels): each category's
    columns sum to the intercept's."""
    rng = np.random.default_rng(seed)
    blocks = [sparse.csr_matrix(rng.standard_normal((n, 2)))]
    for levels in (4, 10, 30):
        level = rng.choice(levels, size=n, p=(p := 1.0 / (np.arange(levels) + 2.0)) / p.sum())
        blocks.append(sparse.csr_matrix((np.ones(n), (np.arange(n), level)), shape=(n, levels)))
    X = sparse.hstack(blocks, format="csr")
    w = rng.normal(0, 0.7, X.shape[1]) * (rng.random(X.shape[1]) < 0.4)
    return X, (rng.random(n) < expit(X @ w - 0.5)).astype(int)


def test_one_hot_tables_take_the_formed_block_and_meet_the_kkt_conditions():
    """A narrow one-hot table (p^2 below nnz(X)) is solved on the formed Hessian block, where coordinate
    descent on the columns crawls; wide text-like data keeps the columns. The fit meets the optimality
    conditions of J = mean log loss + |w|_1 / (C n), written out here in float64."""
    from crossentropy.solvers.working_set import _by_columns

    X, y = _one_hot_table()
    n, C = X.shape[0], 0.05
    obj = LinearObjective(X, y, n_classes=2, scale=1.0 / n, penalty=ElasticNet(l1=1.0 / (C * n)))
    assert X.shape[1] ** 2 < X.nnz and not _by_columns(obj)
    Xt, yt = _text_like()
    wide = LinearObjective(Xt, yt, n_classes=2, fit_intercept=False, scale=1.0 / Xt.shape[0],
                           penalty=ElasticNet(l1=0.01))
    assert _by_columns(wide)
    ours = LogisticRegression(penalty="l1", C=C, tol=1e-10).fit(X, y)
    w, b = ours.coef_.ravel(), ours.intercept_[0]
    g = X.T @ (expit(X @ w + b) - y) / n
    lam = 1.0 / (C * n)
    assert abs(np.mean(expit(X @ w + b) - y)) < 1e-8
    on = w != 0
    assert on.any() and (~on).any()
    np.testing.assert_allclose(g[on], -lam * np.sign(w[on]), atol=1e-8)
    assert np.all(np.abs(g[~on]) <= lam + 1e-8)
