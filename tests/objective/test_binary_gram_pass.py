"""The binary Hessian fused with the loss-and-gradient pass, against float64 NumPy definitions and scikit-learn."""

import numpy as np
import pytest

from crossentropy._kernels import binary_pass
from crossentropy.objective import CoefLayout, LinearObjective, binary


def _definition(X, y, sw, coef, fit_intercept):
    """Logits, loss sum, gradient and weighted Gram of the binary model, in float64 NumPy."""
    X = X.astype(np.float64)
    Xa = np.c_[X, np.ones(len(X))] if fit_intercept else X
    z = Xa @ coef
    s = np.ones(len(X)) if sw is None else sw
    p = 1 / (1 + np.exp(-z))
    loss = np.sum(s * (np.logaddexp(0, z) - y * z))
    grad = Xa.T @ (s * (p - y))
    return z, loss, grad, Xa.T @ ((s * p * (1 - p))[:, None] * Xa)


@pytest.fixture(autouse=True)
def _small_sizes_compiled(monkeypatch):
    monkeypatch.setattr(binary, "FUSED_MIN_ELEMENTS", 1)
    monkeypatch.setattr(binary_pass, "GRAM_CHUNK_BYTES", 8 * 7 * 100)  # chunks of ~100 rows: many, a ragged last


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("n, d", [(1, 1), (257, 6), (1000, 3)])
def test_pass_with_gram_equals_the_definition(n, d, weighted, fit_intercept):
    rng = np.random.default_rng(n + d)
    X = rng.standard_normal((n, d))
    y = (rng.random(n) < 0.4).astype(np.float64)
    sw = rng.uniform(0, 3, n) if weighted else None
    layout = CoefLayout(d, 2, fit_intercept)
    coef = rng.standard_normal(layout.n_coef)
    t, z, top = binary.loss_gradient_gram(X, y, sw, coef, layout, np.float64)
    assert top == np.abs(X).max()
    z_ref, loss, grad, G = _definition(X, y, sw, coef, fit_intercept)
    np.testing.assert_allclose(z, z_ref, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(t.loss, loss, rtol=1e-12)
    np.testing.assert_allclose(t.grad, grad, rtol=1e-11, atol=1e-11 * n)
    np.testing.assert_allclose(t.hess, G, rtol=1e-12, atol=1e-13 * n)
    np.testing.assert_array_equal(t.hess, t.hess.T)
    # the Gram alone from the same logits, and in float32 (each chunk rounded once, summed in float64)
    np.testing.assert_allclose(binary.gram_of_logits(X, z, sw, layout, np.float64)[0], G, rtol=1e-12, atol=1e-13 * n)
    np.testing.assert_allclose(binary.gram_of_logits(X, z, sw, layout, np.float32)[0], G, rtol=2e-5,
                               atol=2e-6 * np.abs(G).max())


def test_evenly_spaced_rows_are_read_in_place():
    # a subsample's view (row stride 3 rows) takes the compiled pass and equals the definition on its rows
    rng = np.random.default_rng(3)
    X = rng.standard_normal((900, 5))
    y = (rng.random(900) < 0.5).astype(np.float64)
    view = X[::3]
    assert not view.flags.c_contiguous and binary._compiled(view, None)
    coef = rng.standard_normal(6)
    t, z, _ = binary.loss_gradient_gram(view, y[::3], None, coef, CoefLayout(5, 2, True), np.float64)
    z_ref, loss, grad, G = _definition(X[::3].copy(), y[::3], None, coef, True)
    np.testing.assert_allclose(t.loss, loss, rtol=1e-12)
    np.testing.assert_allclose(t.grad, grad, rtol=1e-11, atol=1e-10)
    np.testing.assert_allclose(t.hess, G, rtol=1e-12, atol=1e-11)


def test_float32_overflow_gives_none():
    # products past float32's range: no silent inf, the caller takes the float64 route
    X = np.full((4, 2), 3e20)
    z = np.zeros(4)
    assert binary.gram_of_logits(X, z, None, CoefLayout(2, 2, True), np.float32) is None
    assert np.isfinite(binary.gram_of_logits(X, z, None, CoefLayout(2, 2, True), np.float64)[0]).all()


def _problem(n=2000, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ rng.standard_normal(d)))).astype(int)
    return X, y, rng.uniform(0.5, 2, n)


def test_objective_forms_the_hessian_once_with_its_pass(monkeypatch):
    X, y, sw = _problem()
    n = len(y)
    obj = LinearObjective(X, y, sw, n_classes=2, scale=1 / n, l2=0.1 / n, hessian_dtype="float64")
    assert obj.fuses_hessian
    coef = np.random.default_rng(1).normal(0, 0.3, 7)
    f, g, H = obj.loss_gradient_hessian(coef)
    _, loss, grad, G = _definition(X, y.astype(float), sw, coef, True)
    pen = np.r_[np.full(6, 0.1 / n), 0.0]
    np.testing.assert_allclose(f, loss / n + 0.5 * np.sum(pen * coef**2), rtol=1e-12)
    np.testing.assert_allclose(g, grad / n + pen * coef, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(H, G / n + np.diag(pen), rtol=1e-12, atol=1e-15)
    calls = []
    monkeypatch.setattr(binary, "gram_of_logits", lambda *a: calls.append(a))
    np.testing.assert_array_equal(obj.hessian(coef), H)  # kept: no second Gram
    assert calls == []
    # after a plain evaluation elsewhere, the Hessian comes from that evaluation's logits
    monkeypatch.undo()
    monkeypatch.setattr(binary, "FUSED_MIN_ELEMENTS", 1)
    other = coef + 0.1
    obj.loss_gradient(other)
    _, _, _, G2 = _definition(X, y.astype(float), sw, other, True)
    np.testing.assert_allclose(obj.hessian(other), G2 / n + np.diag(pen), rtol=1e-12, atol=1e-15)
    with_offset = LinearObjective(X, y, n_classes=2, offset=np.zeros(n))
    assert not with_offset.fuses_hessian  # the compiled pass has no offset term


@pytest.mark.parametrize("keep", [True, False])
def test_newton_with_fused_hessians_reaches_scikit_learns_optimum(monkeypatch, keep):
    # kept (lazy) Hessians, the default, or one formed in each step's evaluation: the same optimum
    from sklearn.linear_model import LogisticRegression as SkLR

    from crossentropy.solvers import newton

    monkeypatch.setitem(newton.__globals__, "KEEP_FUSED_HESSIANS", keep)
    X, y, _ = _problem(3000, 8, seed=2)
    n = len(y)
    formed = []
    fused, alone = binary.loss_gradient_gram, binary.gram_of_logits
    monkeypatch.setattr(binary, "loss_gradient_gram", lambda *a: formed.append("pass") or fused(*a))
    monkeypatch.setattr(binary, "gram_of_logits", lambda *a: formed.append("alone") or alone(*a))
    obj = LinearObjective(X, y, n_classes=2, scale=1 / n, l2=1 / n)
    res = newton(obj, np.zeros(9), tol=1e-10)
    assert res.converged and formed[0] == "pass"  # the first Hessian came with the first evaluation
    assert len(formed) < res.n_iter if keep else formed.count("pass") >= 2
    assert res.state == {}  # the kept Hessian is Newton's own: no state was asked for
    sk = SkLR(C=1.0, solver="newton-cholesky", tol=1e-12, max_iter=200).fit(X, y)
    np.testing.assert_allclose(res.coef, np.r_[sk.coef_.ravel(), sk.intercept_], rtol=1e-7, atol=1e-9)


def test_hessian_estimate_from_every_kth_chunk_of_rows():
    # oracle: the float64 definition on the rows of the chunks used (0, 3, 6, ... of ~100 rows), times n / rows
    X, y, sw = _problem(1000, 6, seed=4)
    n = len(y)
    layout = CoefLayout(6, 2, True)
    coef = np.random.default_rng(5).normal(0, 0.3, 7)
    t, _, _ = binary.loss_gradient_gram(X, y.astype(float), sw, coef, layout, np.float64, every=3)
    rows = binary_pass.GRAM_CHUNK_BYTES // (7 * 8)
    used = np.concatenate([np.arange(a, min(n, a + rows)) for a in range(0, n, 3 * rows)])
    _, loss, grad, G_all = _definition(X, y.astype(float), sw, coef, True)
    _, _, _, G_used = _definition(X[used], y[used].astype(float), sw[used], coef, True)
    np.testing.assert_allclose(t.loss, loss, rtol=1e-12)  # the loss and gradient over all rows
    np.testing.assert_allclose(t.grad, grad, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(t.hess, G_used * n / used.size, rtol=1e-12, atol=1e-12)
    # the objective's estimate: penalised and scaled like its Hessian, which itself stays exact
    obj = LinearObjective(X, y, sw, n_classes=2, scale=1 / n, l2=0.1 / n)
    f, g, H = obj.loss_gradient_hessian_estimate(coef, n // 3)
    pen = np.r_[np.full(6, 0.1 / n), 0.0]
    np.testing.assert_allclose(H, G_used / used.size + np.diag(pen), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g, grad / n + pen * coef, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(obj.hessian(coef), G_all / n + np.diag(pen), rtol=1e-12, atol=1e-15)


def test_newton_from_an_estimated_hessian_reaches_scikit_learns_optimum(monkeypatch):
    from sklearn.linear_model import LogisticRegression as SkLR

    from crossentropy.solvers import newton

    monkeypatch.setitem(newton.__globals__, "SUBSAMPLE_ROWS", 2000)  # a warm start, then the estimate, on 8,000 rows
    X, y, _ = _problem(8000, 5, seed=6)
    n = len(y)
    estimates = []
    real = LinearObjective.loss_gradient_hessian_estimate
    monkeypatch.setattr(LinearObjective, "loss_gradient_hessian_estimate",
                        lambda self, c, rows: estimates.append(rows) or real(self, c, rows))
    obj = LinearObjective(X, y, n_classes=2, scale=1 / n, l2=1 / n)
    res = newton(obj, np.zeros(6), tol=1e-10)
    assert res.converged and estimates == [1000]  # the full fit started from the estimate (a tenth of the rows)
    sk = SkLR(C=1.0, solver="newton-cholesky", tol=1e-12, max_iter=200).fit(X, y)
    np.testing.assert_allclose(res.coef, np.r_[sk.coef_.ravel(), sk.intercept_], rtol=1e-7, atol=1e-9)


@pytest.fixture
def two_own_threads(monkeypatch):
    """The package's own threads granted two (both cores counted free) and the pass's threshold lowered,
    so that a pass of a few thousand rows splits its rows over two threads; the split is recorded."""
    from crossentropy import _blas, _cores
    from crossentropy._kernels import fused

    monkeypatch.setattr(_cores, "free_cores", lambda **kwargs: 2)
    monkeypatch.setattr(_blas, "SMALL_PRODUCT", 0)
    monkeypatch.setattr(fused, "MIN_ELEMENTS_PER_THREAD", 1_000)
    calls, real = [], binary_pass.split_rows

    def recording(work, n, step, threads):
        calls.append(threads)
        return real(work, n, step, threads)

    monkeypatch.setattr(binary_pass, "split_rows", recording)
    with _blas.for_own_threads(1):
        yield calls


@pytest.mark.parametrize("every", [1, 3])
@pytest.mark.parametrize("weighted", [True, False])
def test_passes_split_over_two_threads_equal_the_definition(two_own_threads, weighted, every):
    rng = np.random.default_rng(7)
    n, d = 3_001, 6
    X = rng.standard_normal((n, d))
    y = (rng.random(n) < 0.4).astype(np.float64)
    sw = rng.uniform(0, 3, n) if weighted else None
    coef = rng.standard_normal(d + 1)
    z_ref, loss_ref, grad_ref, G_ref = _definition(X, y, sw, coef, True)
    z, loss, grad = binary_pass.dense_pass(X, coef[:d], coef[d], y, sw)
    z2, loss2, grad2, G, top = binary_pass.dense_pass_gram(X, coef[:d], coef[d], y, sw, np.float64, True, every)
    assert two_own_threads == [2, 2]
    for zz, ll, gg in ((z, loss, grad), (z2, loss2, grad2)):
        np.testing.assert_allclose(zz, z_ref, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(ll, loss_ref, rtol=1e-12)
        np.testing.assert_allclose(gg, grad_ref, rtol=1e-10, atol=1e-10)
    if every == 1:
        np.testing.assert_allclose(G, G_ref, rtol=1e-12, atol=1e-12)
        assert top == np.abs(X).max()
    else:  # every third chunk of ~100 rows (counted from row 0 whatever the split), scaled to n
        rows = binary_pass._chunk_rows(n, d + 1)
        keep = np.flatnonzero((np.arange(n) // rows) % every == 0)
        Xa = np.c_[X, np.ones(n)][keep]
        s = (np.ones(n) if sw is None else sw)[keep]
        p = 1 / (1 + np.exp(-z_ref[keep]))
        np.testing.assert_allclose(G, Xa.T @ ((s * p * (1 - p))[:, None] * Xa) * n / keep.size, rtol=1e-12, atol=1e-12)
