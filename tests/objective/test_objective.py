"""The linear-model objective against scikit-learn's LinearModelLoss, PyTorch autograd and finite differences."""

import numpy as np
import pytest
from scipy import sparse
from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss
from sklearn.linear_model._linear_loss import LinearModelLoss

from crossentropy.objective import (CoefLayout, LinearObjective, data_terms, hessp_terms, n_coef, penalized_mask,
                                    penalty_terms)
from crossentropy.objective import softmax as softmax_terms

torch = pytest.importorskip("torch")


def _problem(rng, n=40, d=5, K=2, weights=True):
    X = rng.normal(size=(n, d))
    y = rng.integers(0, K, size=n)
    sw = rng.uniform(0.2, 2.0, size=n) if weights else None
    return X, y, sw


def _sk_loss(K, fit_intercept):
    base = HalfBinomialLoss() if K == 2 else HalfMultinomialLoss(n_classes=K)
    return LinearModelLoss(base_loss=base, fit_intercept=fit_intercept)


def _sk_coef(coef, K, d, fi):
    """Our flat C-order layout -> scikit-learn's coef array (2-D for multinomial)."""
    return coef if K == 2 else coef.reshape(K, d + fi)


@pytest.mark.parametrize("K", [2, 3, 5])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weights", [True, False])
def test_loss_gradient_equal_sklearn(rng, K, fit_intercept, weights):
    X, y, sw = _problem(rng, K=K, weights=weights)
    d = X.shape[1]
    coef = rng.normal(size=n_coef(d, K, fit_intercept))
    S = X.shape[0] if sw is None else sw.sum()
    l2 = 0.3
    ours = LinearObjective(X, y, sw, n_classes=K, fit_intercept=fit_intercept, scale=1 / S, l2=l2)
    f, g = ours.loss_gradient(coef)
    sk = _sk_loss(K, fit_intercept)
    f_sk, g_sk = sk.loss_gradient(_sk_coef(coef, K, d, fit_intercept), X, y.astype(float), sw, l2_reg_strength=l2)
    assert f == pytest.approx(f_sk, rel=1e-12)
    np.testing.assert_allclose(g, np.ravel(g_sk), rtol=1e-10, atol=1e-13)
    assert ours.loss(coef) == pytest.approx(f, rel=1e-14)


@pytest.mark.parametrize("K", [2, 4])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_hessian_equal_torch_autograd(rng, K, fit_intercept):
    X, y, sw = _problem(rng, n=25, d=3, K=K)
    d = X.shape[1]
    coef = rng.normal(size=n_coef(d, K, fit_intercept))
    H = data_terms(X, y, sw, coef, CoefLayout(X.shape[1], K, fit_intercept), need=["hess"]).hess

    Xt, yt, st = torch.tensor(X), torch.tensor(y), torch.tensor(sw)

    def total(c):
        if K == 2:
            z = Xt @ c[:d] + (c[d] if fit_intercept else 0.0)
            per = torch.nn.functional.binary_cross_entropy_with_logits(z, yt.double(), reduction="none")
        else:
            C = c.reshape(K, d + fit_intercept)
            z = Xt @ C[:, :d].T + (C[:, d] if fit_intercept else 0.0)
            per = torch.nn.functional.cross_entropy(z, yt, reduction="none")
        return (st * per).sum()

    H_t = torch.autograd.functional.hessian(total, torch.tensor(coef)).numpy()
    np.testing.assert_allclose(H, H_t, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("K", [2, 3])
def test_gradient_central_differences(rng, K):
    X, y, sw = _problem(rng, n=30, d=4, K=K)
    coef = rng.normal(size=n_coef(4, K, True))
    ours = LinearObjective(X, y, sw, n_classes=K, scale=0.1, l2=0.7)
    _, g = ours.loss_gradient(coef)
    h = 1e-6
    fd = np.array([(ours.loss(coef + h * e) - ours.loss(coef - h * e)) / (2 * h) for e in np.eye(coef.size)])
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("l2", [0.0, 0.5])
def test_hessp_equals_hessian_times_v(rng, K, l2):
    X, y, sw = _problem(rng, n=30, d=4, K=K)
    coef = rng.normal(size=n_coef(4, K, True))
    v = rng.normal(size=coef.size)
    ours = LinearObjective(X, y, sw, n_classes=K, scale=0.2, l2=l2)
    H = ours.hessian(coef)
    np.testing.assert_allclose(ours.hessp(coef, v), H @ v, rtol=1e-10, atol=1e-12)  # without the cache
    ours.loss_gradient(coef)  # fills the cache
    np.testing.assert_allclose(ours.hessp(coef, v), H @ v, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.hessp(coef, v), H @ v, rtol=1e-10, atol=1e-12)  # cache reused
    # central differences of the gradient along v
    h = 1e-6
    fd = (ours.loss_gradient(coef + h * v)[1] - ours.loss_gradient(coef - h * v)[1]) / (2 * h)
    np.testing.assert_allclose(H @ v, fd, rtol=1e-5, atol=1e-7)
    pure = hessp_terms(X, y, sw, coef, v, CoefLayout(X.shape[1], K, True))
    np.testing.assert_allclose(0.2 * pure + l2 * np.where(ours.penalized, v, 0), H @ v, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("K", [2, 3])
def test_blocks_add_up_and_sparse_equals_dense(rng, K, monkeypatch):
    X, y, sw = _problem(rng, n=50, d=6, K=K)
    X[X < 0.3] = 0.0
    coef = rng.normal(size=n_coef(6, K, True))
    need = ("loss", "grad", "hess")
    whole = data_terms(X, y, sw, coef, CoefLayout(X.shape[1], K, True), need=need)
    halves = [data_terms(X[s], y[s], sw[s], coef, CoefLayout(X.shape[1], K, True), need=need)
              for s in (slice(0, 21), slice(21, None))]
    for i in range(3):
        np.testing.assert_allclose(whole[i], halves[0][i] + halves[1][i], rtol=1e-12, atol=1e-12)
    sp = data_terms(sparse.csr_matrix(X), y, sw, coef, CoefLayout(X.shape[1], K, True), need=need)
    for i in range(3):
        np.testing.assert_allclose(sp[i], whole[i], rtol=1e-12, atol=1e-12)
    monkeypatch.setattr(softmax_terms, "BLOCK_ELEMENTS", 7)  # many tiny row blocks
    small = data_terms(X, y, sw, coef, CoefLayout(X.shape[1], K, True), need=need)
    for i in range(3):
        np.testing.assert_allclose(small[i], whole[i], rtol=1e-12, atol=1e-12)
    v = rng.normal(size=coef.size)
    np.testing.assert_allclose(hessp_terms(X, y, sw, coef, v, CoefLayout(X.shape[1], K, True)),
                               whole.hess @ v, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("K", [2, 3])
def test_float32_close_to_float64(rng, K):
    X, y, sw = _problem(rng, n=200, d=5, K=K)
    coef = rng.normal(size=n_coef(5, K, True)) * 0.3
    t64 = data_terms(X, y, sw, coef, CoefLayout(X.shape[1], K, True))
    t32 = data_terms(X.astype(np.float32), y, sw, coef, CoefLayout(X.shape[1], K, True))
    assert isinstance(t32.loss, float) and t32.grad.dtype == np.float64
    assert t32.loss == pytest.approx(t64.loss, rel=1e-5)
    np.testing.assert_allclose(t32.grad, t64.grad, rtol=1e-4, atol=1e-4)


def test_extreme_logits_stay_finite(rng):
    X, y, _ = _problem(rng, n=20, d=3, K=3)
    coef = rng.normal(size=n_coef(3, 3, True)) * 1e4
    t = data_terms(X, y, None, coef, CoefLayout(X.shape[1], 3, True), need=("loss", "grad", "hess"))
    assert np.isfinite(t.loss) and np.isfinite(t.grad).all() and np.isfinite(t.hess).all()
    t2 = data_terms(X, (y > 0).astype(int), None, coef[:4], CoefLayout(X.shape[1], 2, True),
                    need=("loss", "grad", "hess"))
    assert np.isfinite(t2.loss) and np.isfinite(t2.grad).all() and np.isfinite(t2.hess).all()


def test_null_space_leaves_objective_unchanged(rng):
    X, y, sw = _problem(rng, n=30, d=3, K=4)
    coef = rng.normal(size=n_coef(3, 4, True))
    for l2, m in ((0.5, 1), (0.0, 4)):
        ours = LinearObjective(X, y, sw, n_classes=4, l2=l2)
        N = ours.null_space()
        assert N.shape == (coef.size, m)
        np.testing.assert_allclose(N.T @ N, np.eye(m), atol=1e-14)
        for j in range(m):
            assert ours.loss(coef + 3.0 * N[:, j]) == pytest.approx(ours.loss(coef), rel=1e-12)
        np.testing.assert_allclose(ours.hessian(coef) @ N, 0.0, atol=1e-10)
    assert LinearObjective(X, (y > 1).astype(int), n_classes=2).null_space() is None


def test_penalty_terms_and_mask():
    coef = np.arange(1.0, 10.0)
    v, g, h = penalty_terms(coef, l2=2.0, layout=CoefLayout(2, 3, True))
    w = coef.reshape(3, 3)[:, :2]
    assert v == pytest.approx((w**2).sum())
    np.testing.assert_array_equal(g.reshape(3, 3)[:, 2], 0)
    np.testing.assert_allclose(g.reshape(3, 3)[:, :2], 2 * w)
    np.testing.assert_array_equal(h, 2.0 * penalized_mask(2, 3, True))
    assert penalized_mask(3, 2, False).all()


def test_batch_estimate_with_all_rows_is_exact(rng):
    X, y, sw = _problem(rng, n=30, d=3, K=3)
    coef = rng.normal(size=n_coef(3, 3, True))
    ours = LinearObjective(X, y, sw, n_classes=3, scale=1 / 30, l2=0.1)
    f, g = ours.loss_gradient(coef)
    fb, gb = ours.batch_loss_gradient(coef, np.arange(30))
    assert fb == pytest.approx(f, rel=1e-12)
    np.testing.assert_allclose(gb, g, rtol=1e-12)


def test_project_null_equals_projection_on_the_null_space(rng):
    X, y, sw = _problem(rng, n=30, d=3, K=4)
    v = rng.normal(size=n_coef(3, 4, True))
    for l2 in (0.5, 0.0):
        ours = LinearObjective(X, y, sw, n_classes=4, l2=l2)
        N = ours.null_space()
        np.testing.assert_allclose(ours.project_null(v), v - N @ (N.T @ v), atol=1e-14)
