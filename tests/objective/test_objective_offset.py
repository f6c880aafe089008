"""The objective with fixed logit offsets, z = X theta + o.

Oracles: scikit-learn's LinearModelLoss on X augmented with the offset columns, whose coefficients are
held at one (binary: one column o with coefficient 1; softmax: K columns O, class k's coefficient on
column j being [j == k]); PyTorch autograd of the float64 definition for the Hessian; central
differences for the gradient and the Hessian-vector product.
"""

import numpy as np
import pytest
from scipy import sparse
from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss
from sklearn.linear_model._linear_loss import LinearModelLoss

from crossentropy.objective import CoefLayout, LinearObjective, data_terms, hessp_terms, n_coef
from crossentropy.objective import binary as binary_terms
from crossentropy.objective import softmax as softmax_terms
from crossentropy.solvers import get_solver

torch = pytest.importorskip("torch")


def _problem(rng, n=40, d=4, K=2):
    X = rng.normal(size=(n, d))
    y = rng.integers(0, K, size=n)
    sw = rng.uniform(0.2, 2.0, size=n)
    o = rng.normal(scale=1.5, size=n if K == 2 else (n, K))
    return X, y, sw, o


def _augmented(X, o, coef, K, fi):
    """X with the offset columns appended and the coefficients with the fixed ones, for scikit-learn."""
    n, d = X.shape
    if K == 2:
        Xa = np.column_stack([X, o])
        return Xa, np.concatenate([coef[:d], [1.0], coef[d:]])
    C = coef.reshape(K, d + fi)
    Ca = np.concatenate([C[:, :d], np.eye(K), C[:, d:]], axis=1)
    return np.column_stack([X, o]), Ca


def _sk_data(X, y, sw, o, coef, K, fi):
    """scikit-learn's unpenalised mean-free sum: loss, gradient on our coefficients (the fixed ones dropped)."""
    d = X.shape[1]
    base = HalfBinomialLoss() if K == 2 else HalfMultinomialLoss(n_classes=K)
    Xa, ca = _augmented(X, o, coef, K, fi)
    f, g = LinearModelLoss(base_loss=base, fit_intercept=fi).loss_gradient(ca, Xa, y.astype(float), sw,
                                                                          l2_reg_strength=0.0)
    S = sw.sum()  # scikit-learn averages over sum(sw)
    g = np.asarray(g)
    keep = np.r_[g[:d], g[d + 1:]] if K == 2 else np.concatenate([g[:, :d], g[:, d + K:]], axis=1).ravel()
    return f * S, keep * S


@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_loss_gradient_equal_sklearn_on_the_augmented_columns(rng, K, fit_intercept):
    X, y, sw, o = _problem(rng, K=K)
    d = X.shape[1]
    coef = rng.normal(size=n_coef(d, K, fit_intercept))
    f_sk, g_sk = _sk_data(X, y, sw, o, coef, K, fit_intercept)
    layout = CoefLayout(d, K, fit_intercept)
    t = data_terms(X, y, sw, coef, layout, offset=o)
    assert t.loss == pytest.approx(f_sk, rel=1e-12)
    np.testing.assert_allclose(t.grad, g_sk, rtol=1e-10, atol=1e-12)
    l2, scale = 0.3, 1 / 7
    obj = LinearObjective(X, y, sw, n_classes=K, fit_intercept=fit_intercept, scale=scale, l2=l2, offset=o)
    w = np.where(layout.penalized, coef, 0.0)
    f, g = obj.loss_gradient(coef)
    assert f == pytest.approx(scale * f_sk + 0.5 * l2 * w @ w, rel=1e-12)
    np.testing.assert_allclose(g, scale * g_sk + l2 * w, rtol=1e-10, atol=1e-12)
    assert obj.loss(coef) == pytest.approx(f, rel=1e-13)  # the loss alone (the linear engine's route without offset)
    # sparse X, float32 X and a (n, 1) binary offset give the same
    sp = data_terms(sparse.csr_matrix(X), y, sw, coef, layout, offset=o)
    assert sp.loss == pytest.approx(f_sk, rel=1e-12)
    np.testing.assert_allclose(sp.grad, g_sk, rtol=1e-10, atol=1e-12)
    t32 = data_terms(X.astype(np.float32), y, sw, coef, layout, offset=o)
    assert t32.loss == pytest.approx(f_sk, rel=1e-5)
    if K == 2:
        assert data_terms(X, y, sw, coef, layout, offset=o[:, None]).loss == pytest.approx(f_sk, rel=1e-12)


@pytest.mark.parametrize("K", [2, 4])
def test_hessian_equal_torch_autograd(rng, K):
    X, y, sw, o = _problem(rng, n=25, d=3, K=K)
    d = X.shape[1]
    coef = rng.normal(size=n_coef(d, K, True))
    Xt, yt, st, ot = torch.tensor(X), torch.tensor(y), torch.tensor(sw), torch.tensor(o)

    def total(c):
        if K == 2:
            z = Xt @ c[:d] + c[d] + ot
            per = torch.nn.functional.binary_cross_entropy_with_logits(z, yt.double(), reduction="none")
        else:
            C = c.reshape(K, d + 1)
            per = torch.nn.functional.cross_entropy(Xt @ C[:, :d].T + C[:, d] + ot, yt, reduction="none")
        return 0.2 * (st * per).sum()

    H_t = torch.autograd.functional.hessian(total, torch.tensor(coef)).numpy()
    obj = LinearObjective(X, y, sw, n_classes=K, scale=0.2, l2=0.5, offset=o)
    pen = 0.5 * obj.penalized
    np.testing.assert_allclose(obj.hessian(coef), H_t + np.diag(pen), rtol=1e-10, atol=1e-12)
    f, g, H = obj.loss_gradient_hessian(coef)
    np.testing.assert_allclose(H, H_t + np.diag(pen), rtol=1e-10, atol=1e-12)
    assert f == pytest.approx(float(total(torch.tensor(coef))) + 0.25 * (coef[obj.penalized] ** 2).sum(), rel=1e-12)
    # the Hessian's diagonal, class blocks and column blocks are those of the full Hessian
    H_full = H_t + np.diag(pen)
    np.testing.assert_allclose(obj.hessian_diag(coef), np.diag(H_full), rtol=1e-10, atol=1e-12)
    idx = np.array([0, 2, d])
    np.testing.assert_allclose(obj.hessian_block(coef, idx), H_full[np.ix_(idx, idx)], rtol=1e-10, atol=1e-12)
    if K > 2:
        B = obj.hessian_class_blocks(coef)
        H4 = H_full.reshape(K, d + 1, K, d + 1)
        for j in range(d + 1):
            np.testing.assert_allclose(B[j], H4[:, j, :, j], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("K", [2, 3])
def test_gradient_and_hessp_central_differences(rng, K):
    X, y, sw, o = _problem(rng, n=30, d=4, K=K)
    coef = rng.normal(size=n_coef(4, K, True))
    v = rng.normal(size=coef.size)
    obj = LinearObjective(X, y, sw, n_classes=K, scale=0.1, l2=0.7, offset=o)
    _, g = obj.loss_gradient(coef)
    h = 1e-6
    fd = np.array([(obj.loss(coef + h * e) - obj.loss(coef - h * e)) / (2 * h) for e in np.eye(coef.size)])
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
    fresh = LinearObjective(X, y, sw, n_classes=K, scale=0.1, l2=0.7, offset=o)
    hv_nocache = fresh.hessp(coef, v)
    obj.loss_gradient(coef)  # the cached route
    hv = obj.hessp(coef, v)
    fd = (obj.loss_gradient(coef + h * v)[1] - obj.loss_gradient(coef - h * v)[1]) / (2 * h)
    np.testing.assert_allclose(hv, fd, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(hv_nocache, hv, rtol=1e-10, atol=1e-12)
    pure = hessp_terms(X, y, sw, coef, v, CoefLayout(4, K, True), offset=o)
    np.testing.assert_allclose(0.1 * pure + 0.7 * np.where(obj.penalized, v, 0), hv, rtol=1e-10, atol=1e-12)
    # float32 second-order terms: the same product to float32 rounding
    low = LinearObjective(X, y, sw, n_classes=K, scale=0.1, l2=0.7, offset=o, hessian_dtype="float32")
    low.loss_gradient(coef)
    np.testing.assert_allclose(low.hessp(coef, v), hv, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("K", [2, 3])
def test_zero_offset_equals_none_on_the_compiled_routes(rng, K, monkeypatch):
    """The binary one-pass kernel and the softmax linear engine (taken without an offset) agree with the
    NumPy route that an offset takes."""
    monkeypatch.setattr(binary_terms, "FUSED_MIN_ELEMENTS", 1)
    X, y, sw, o = _problem(rng, n=60, d=5, K=K)
    coef = rng.normal(size=n_coef(5, K, True))
    plain = LinearObjective(X, y, sw, n_classes=K, scale=0.1)
    zero = LinearObjective(X, y, sw, n_classes=K, scale=0.1, offset=np.zeros_like(o))
    assert zero.loss(coef) == pytest.approx(plain.loss(coef), rel=1e-13)
    np.testing.assert_allclose(zero.loss_gradient(coef)[1], plain.loss_gradient(coef)[1], rtol=1e-12, atol=1e-14)
    # a constant binary offset c is an intercept shifted by c
    if K == 2:
        shifted = LinearObjective(X, y, sw, n_classes=K, scale=0.1, offset=np.full(60, 0.75))
        moved = coef.copy()
        moved[-1] += 0.75
        assert shifted.loss(coef) == pytest.approx(plain.loss(moved), rel=1e-13)


@pytest.mark.parametrize("K", [2, 3])
def test_subsample_and_batches_take_their_rows_offsets(rng, K):
    X, y, sw, o = _problem(rng, n=40, d=3, K=K)
    coef = rng.normal(size=n_coef(3, K, True))
    obj = LinearObjective(X, y, sw, n_classes=K, scale=1 / 40, l2=0.1, offset=o)
    rows = np.array([3, 7, 11, 20, 31, 38])
    sub = obj.subsample(rows)
    f_sk, g_sk = _sk_data(X[rows], y[rows], sw[rows], o[rows], coef, K, True)
    w = np.where(obj.penalized, coef, 0.0)
    f, g = sub.loss_gradient(coef)
    assert f == pytest.approx(f_sk / rows.size + 0.05 * w @ w, rel=1e-12)  # rescaled: (1/40) * 40 / 6
    np.testing.assert_allclose(g, g_sk / rows.size + 0.1 * w, rtol=1e-10, atol=1e-12)
    fb, gb = obj.batch_loss_gradient(coef, rows)
    assert fb == pytest.approx(f, rel=1e-12)
    np.testing.assert_allclose(gb, g, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("K", [2, 3])
def test_newton_minimum_is_the_augmented_models(rng, K):
    """Newton (with its preconditioner and cache) on the offset objective reaches the minimiser of
    scikit-learn's loss on the augmented columns with the offsets' coefficients held at one."""
    from scipy.optimize import minimize

    X, y, sw, o = _problem(rng, n=80, d=3, K=K)
    l2 = 0.05
    obj = LinearObjective(X, y, sw, n_classes=K, scale=1 / sw.sum(), l2=l2, offset=o)
    res = get_solver("newton")(obj, np.zeros(obj.n_coef), tol=1e-10, max_iter=100)

    def fun(c):
        f, g = _sk_data(X, y, sw, o, c, K, True)
        w = np.where(obj.penalized, c, 0.0)
        return f / sw.sum() + 0.5 * l2 * w @ w, g / sw.sum() + l2 * w

    ref = minimize(fun, np.zeros(obj.n_coef), jac=True, method="BFGS", options={"gtol": 1e-11})
    coef = res.coef
    if K > 2:  # the softmax minimiser is unique up to the null space when l2 = 0; here l2 > 0 fixes it
        coef = coef.reshape(K, -1)
        ref_c = ref.x.reshape(K, -1)
        np.testing.assert_allclose(coef, ref_c, atol=1e-6)
    else:
        np.testing.assert_allclose(coef, ref.x, atol=1e-6)


def test_bad_offsets_raise_naming_offset(rng):
    X, y, sw, o = _problem(rng, n=10, d=2, K=3)
    with pytest.raises(ValueError, match=r"offset must have shape \(10, 3\).*got shape \(10,\)"):
        LinearObjective(X, y, n_classes=3, offset=np.zeros(10))
    with pytest.raises(ValueError, match=r"offset must have shape \(10,\) or \(10, 1\).*got shape \(10, 3\)"):
        LinearObjective(X, (y > 0).astype(int), n_classes=2, offset=o)
    bad = np.zeros(10)
    bad[4] = np.inf
    with pytest.raises(ValueError, match="offset must be finite"):
        LinearObjective(X, (y > 0).astype(int), n_classes=2, offset=bad)
    with pytest.raises(TypeError, match="offset"):
        LinearObjective(X, (y > 0).astype(int), n_classes=2, offset=np.array(["a"] * 10))
    assert softmax_terms.rows_offset(None, 0, 3) is None
