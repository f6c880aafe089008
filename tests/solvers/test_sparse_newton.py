"""Newton's CG steps on CSR data (Hessian-vector products, Jacobi preconditioner; no dense Gram of the
full width) against the dense Cholesky solve and against scikit-learn."""

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import LogisticRegression as SkLogReg
from threadpoolctl import threadpool_limits

from crossentropy.objective import LinearObjective
from crossentropy.solvers import newton
from crossentropy.solvers._base import vdot, vnorm
from crossentropy.solvers.newton import _preconditioner, small_gap


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1):
        yield


def _text(n=400, d=120, nnz=8, K=2, seed=0):
    """CSR 0/1 rows with ``nnz`` distinct columns of power-law popularity; labels from a random model."""
    rng = np.random.default_rng(seed)
    p = 1.0 / (np.arange(d) + 3.0)
    rows = [np.sort(rng.choice(d, size=nnz, replace=False, p=p / p.sum())) for _ in range(n)]
    X = sparse.csr_matrix((np.ones(n * nnz), np.concatenate(rows), np.arange(0, n * nnz + 1, nnz)), shape=(n, d))
    W = rng.normal(size=(d, K))
    Z = X @ W
    y = np.argmax(Z + rng.gumbel(size=Z.shape), axis=1) if K > 2 else (Z[:, 0] + rng.normal(size=n) > 0).astype(int)
    return X, y


def _objective(X, y, K, fi, C=1.0):
    n = X.shape[0]
    return LinearObjective(X, y, n_classes=K, fit_intercept=fi, scale=1.0 / n, l2=1.0 / (C * n))


def _no_dense_hessian(obj):
    def refuse(*args, **kwargs):
        raise AssertionError("the CG path formed a full Hessian")

    obj.hessian = refuse
    obj.loss_gradient_hessian = refuse
    return obj


@pytest.mark.parametrize("fi", [False, True])
def test_binary_cg_on_csr_matches_dense_cholesky(fi):
    X, y = _text()
    sp = newton(_no_dense_hessian(_objective(X, y, 2, fi)), np.zeros(X.shape[1] + fi), step="cg", tol=1e-11)
    dense = newton(_objective(X.toarray(), y, 2, fi), np.zeros(X.shape[1] + fi), step="cholesky", tol=1e-11)
    assert sp.converged and dense.converged
    np.testing.assert_allclose(sp.coef, dense.coef, rtol=0, atol=1e-8 * max(1.0, np.abs(dense.coef).max()))


def test_softmax_cg_on_csr_matches_dense_cholesky():
    X, y = _text(K=4, seed=1)
    p = 4 * (X.shape[1] + 1)
    sp = newton(_no_dense_hessian(_objective(X, y, 4, True)), np.zeros(p), step="cg", tol=1e-11)
    dense = newton(_objective(X.toarray(), y, 4, True), np.zeros(p), step="cholesky", tol=1e-11)
    assert sp.converged and dense.converged
    # the intercepts are defined up to a common shift: compare them centred
    a, b = sp.coef.reshape(4, -1), dense.coef.reshape(4, -1)
    a[:, -1] -= a[:, -1].mean()
    b[:, -1] -= b[:, -1].mean()
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-8 * max(1.0, np.abs(b).max()))


@pytest.mark.parametrize("K,fi", [(2, False), (2, True), (3, True)])
def test_sparse_newton_matches_sklearn(K, fi):
    X, y = _text(K=K, seed=2)
    res = newton(_objective(X, y, K, fi, C=0.5), np.zeros((1 if K == 2 else K) * (X.shape[1] + fi)), step="cg", tol=1e-11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = SkLogReg(C=0.5, fit_intercept=fi, solver="lbfgs", tol=1e-13, max_iter=100_000).fit(X, y)
    W = res.coef.reshape(1 if K == 2 else K, -1)
    coef = W[:, : X.shape[1]]
    assert res.converged
    np.testing.assert_allclose(coef if K == 2 else coef - coef.mean(0), sk.coef_ if K == 2 else sk.coef_ - sk.coef_.mean(0),
                               rtol=0, atol=2e-6 * np.abs(sk.coef_).max())


def test_jacobi_preconditioner_divides_by_the_hessian_diagonal():
    X, y = _text(seed=3)
    obj = _objective(X, y, 2, True)
    coef = np.random.default_rng(0).normal(scale=0.1, size=X.shape[1] + 1)
    obj.loss_gradient(coef)
    M, own = _preconditioner(obj, coef)
    assert M is not None and not own  # Jacobi's fallback: never used to estimate a gap
    # the diagonal from the definition: c sum_i p_i (1 - p_i) x_ij^2 + l2 (intercept: no penalty)
    Xd = np.hstack([X.toarray(), np.ones((X.shape[0], 1))])
    pr = 1 / (1 + np.exp(-(Xd @ coef)))
    diag = (pr * (1 - pr)) @ (Xd**2) / X.shape[0] + 1.0 / X.shape[0] * np.r_[np.ones(X.shape[1]), 0.0]  # l2 = 1/n
    v = np.random.default_rng(1).normal(size=coef.size)
    np.testing.assert_allclose(M(v), v / diag, rtol=1e-10)


def test_vdot_vnorm_and_small_gap():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=5000), rng.normal(size=5000)
    assert vdot(a, b) == pytest.approx(float(np.dot(a, b)), rel=1e-12)
    assert vnorm(a) == pytest.approx(float(np.linalg.norm(a)), rel=1e-12)
    # the decrement test on a quadratic f = 0.5 (x - 1)^2 H + f*: gap = 0.5 g^2 / H = 0.5 * decrement
    H, x, fstar = 4.0, 1.001, 2.0
    g = H * (x - 1)
    decrement = g * g / H
    gap = 0.5 * H * (x - 1) ** 2
    assert small_gap(decrement, fstar + gap, rtol=1.01 * gap / (fstar + gap))
    assert not small_gap(decrement, fstar + gap, rtol=0.99 * gap / (fstar + gap))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_gram_matches_the_dense_product(dtype):
    from crossentropy.objective.sums import gram

    X, _ = _text(n=300, d=60, seed=5)
    X = (X.multiply(np.random.default_rng(6).normal(size=(300, 1)))).tocsr().astype(dtype)
    h = np.random.default_rng(7).random(300)
    Xd = np.hstack([X.toarray().astype(np.float64), np.ones((300, 1))])
    ref = Xd.T @ (h[:, None] * Xd)
    G = gram(X, h, True)
    # the feature block is summed in float64; the intercept's row and column in X's dtype (as before)
    np.testing.assert_allclose(G[:-1, :-1], ref[:-1, :-1], rtol=1e-12, atol=1e-12)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(G[-1], ref[-1], rtol=tol, atol=tol * np.abs(ref).max())


@pytest.mark.parametrize("fmt", ["csr", "dense"])
@pytest.mark.parametrize("weighted", [False, True])
def test_class_blocks_are_the_hessians_diagonal_blocks(fmt, weighted):
    # B_j = the K x K block of the full Hessian (the objective's Cholesky Hessian on dense X, a different
    # code path) at the rows and columns of input column j in every class
    X, y = _text(K=4, seed=5)
    n, d = X.shape
    sw = np.random.default_rng(2).uniform(0.2, 3.0, n) if weighted else None
    data = X if fmt == "csr" else X.toarray()
    obj = LinearObjective(data, y, sw, n_classes=4, fit_intercept=True, scale=1.0 / n, l2=0.3 / n)
    coef = np.random.default_rng(3).normal(scale=0.3, size=4 * (d + 1))
    B = obj.hessian_class_blocks(coef)
    H = LinearObjective(X.toarray(), y, sw, n_classes=4, fit_intercept=True, scale=1.0 / n, l2=0.3 / n,
                        hessian_dtype="float64").hessian(coef)
    D = d + 1
    for j in range(D):
        idx = np.arange(4) * D + j  # class-major layout: class k's column j
        np.testing.assert_allclose(B[j], H[np.ix_(idx, idx)], rtol=1e-10, atol=1e-14)


def test_block_jacobi_preconditioner_saves_cg_steps_and_reaches_the_same_optimum(monkeypatch):
    # 8 classes on text-like rows (390 Hessian-vector products against 563 here): the class blocks keep each column's coupling of the classes (and
    # its direction along 1_K, singular but for the penalty) that the diagonal misses
    import sys

    newton_module = sys.modules["crossentropy.solvers.newton"]  # the package's attribute is the function

    X, y = _text(n=1500, d=300, nnz=10, K=8, seed=6)
    p = 8 * (X.shape[1] + 1)
    runs = {}
    for name, budget in (("blocks", newton_module.CLASS_BLOCK_ENTRIES), ("jacobi", 0)):
        monkeypatch.setattr(newton_module, "CLASS_BLOCK_ENTRIES", budget)
        obj = _no_dense_hessian(_objective(X, y, 8, True, C=10.0))
        calls = []
        hessp = obj.hessp
        obj.hessp = lambda coef, v, _h=hessp: calls.append(1) or _h(coef, v)
        res = newton(obj, np.zeros(p), step="cg", tol=1e-10, max_iter=200)
        assert res.converged
        runs[name] = (res.coef.reshape(8, -1), len(calls))
    a, b = runs["blocks"][0].copy(), runs["jacobi"][0].copy()
    a[:, -1] -= a[:, -1].mean()
    b[:, -1] -= b[:, -1].mean()
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-7 * np.abs(b).max())
    assert runs["blocks"][1] <= 0.8 * runs["jacobi"][1]


def test_step_rule_for_softmax_on_sparse_and_dense_rows():
    # sparse softmax has no Kronecker factors: the exact step by cost, as for two classes; dense
    # softmax keeps K-FAC's CG above 32 coefficients
    from crossentropy.solvers.newton import choose_step

    X, y = _text(n=400, d=120, K=3, seed=7)
    assert choose_step(_objective(X, y, 3, True)) == "cholesky"        # 363 coefficients, 400 rows
    assert choose_step(_objective(X.toarray(), y, 3, True)) == "cg"
    wide, y_wide = _text(n=400, d=2500, nnz=8, K=3, seed=7)
    assert choose_step(_objective(wide, y_wide, 3, True)) == "cg"       # 7,503 coefficients > 6,000
