"""CoefLayout against hand-built layouts and scikit-learn's LinearModelLoss; the hessian_dtype rule."""

import numpy as np
import pytest
from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss
from sklearn.linear_model._linear_loss import LinearModelLoss

from crossentropy.objective import (HESSIAN_FLOAT32_ENTRIES, CoefLayout, LinearObjective, n_coef, penalized_mask,
                                    resolve_hessian_dtype)

# hand-built: (n_features, n_classes, fit_intercept) -> (n_coef, n_outputs, penalised mask)
HAND = {
    (3, 2, True): (4, 1, [1, 1, 1, 0]),
    (3, 2, False): (3, 1, [1, 1, 1]),
    (2, 3, True): (9, 3, [1, 1, 0, 1, 1, 0, 1, 1, 0]),
    (2, 3, False): (6, 3, [1, 1, 1, 1, 1, 1]),
}


@pytest.mark.parametrize("spec", list(HAND))
def test_layout_sizes_and_mask_equal_the_hand_built_ones(spec):
    layout = CoefLayout(*spec)
    size, outputs, mask = HAND[spec]
    assert layout.n_coef == size == n_coef(*spec)
    assert layout.n_outputs == outputs
    assert layout.shape == (outputs, spec[0] + spec[2])
    np.testing.assert_array_equal(layout.penalized, np.array(mask, dtype=bool))
    np.testing.assert_array_equal(penalized_mask(*spec), np.array(mask, dtype=bool))


@pytest.mark.parametrize("spec", list(HAND))
def test_pack_unpack_round_trip_and_the_scikit_learn_layout(rng, spec):
    d, K, fi = spec
    layout = CoefLayout(*spec)
    k = 1 if K == 2 else K
    W, b = rng.normal(size=(k, d)), rng.normal(size=k)
    flat = layout.pack(W, b if fi else None)
    hand = np.hstack([W, b[:, None]]).ravel() if fi else W.ravel()  # row k = [W_k1 .. W_kd, b_k]
    np.testing.assert_array_equal(flat, hand)
    W2, b2 = layout.unpack(flat)
    assert W2.shape == (k, d) and b2.shape == (k,)
    np.testing.assert_array_equal(W2, W)
    np.testing.assert_array_equal(b2, b if fi else np.zeros(k))
    # scikit-learn's LinearModelLoss reads the same numbers out of the same (K, d + fi) matrix
    base = HalfBinomialLoss() if K == 2 else HalfMultinomialLoss(n_classes=K)
    sk = LinearModelLoss(base_loss=base, fit_intercept=fi)
    w_sk, b_sk = sk.weight_intercept(flat if K == 2 else flat.reshape(layout.shape))
    np.testing.assert_array_equal(np.reshape(w_sk, (k, d)), W2)
    if fi:
        np.testing.assert_array_equal(np.reshape(b_sk, (k,)), b2)


def test_layout_rejects_bad_sizes():
    with pytest.raises(ValueError, match="n_classes"):
        CoefLayout(3, 1, True)
    with pytest.raises(ValueError, match="n_features"):
        CoefLayout(-1, 2, True)


def test_objective_exposes_its_layout(rng):
    X = rng.normal(size=(20, 3))
    obj = LinearObjective(X, rng.integers(0, 4, size=20), n_classes=4, fit_intercept=False)
    assert obj.layout == CoefLayout(3, 4, False)
    assert (obj.n_coef, obj.n_features, obj.n_classes) == (12, 3, 4)


def test_hessian_dtype_rule_at_its_threshold():
    f64, f32 = np.dtype(np.float64), np.dtype(np.float32)
    assert HESSIAN_FLOAT32_ENTRIES == 2_000_000
    assert resolve_hessian_dtype("auto", f64, 2_000_000) == f32
    assert resolve_hessian_dtype("auto", f64, 1_999_999) == f64
    assert resolve_hessian_dtype("auto", f64, 10**8, is_sparse=True) == f64
    assert resolve_hessian_dtype("auto", f32, 10**8) == f32
    assert resolve_hessian_dtype("float64", f32, 10) == f64
    with pytest.raises(ValueError, match="hessian_dtype"):
        resolve_hessian_dtype("half", f64, 10)


def test_in_memory_and_dask_objectives_apply_the_same_rule():
    da = pytest.importorskip("dask.array")
    from crossentropy.distributed.objective import DaskObjective

    for n in (999, 1000):  # 2,000 columns: 1,998,000 and 2,000,000 entries
        X = np.zeros((n, 2000))
        y = np.zeros(n)
        mem = LinearObjective(X, y, n_classes=2)
        dsk = DaskObjective(da.from_array(X, chunks=(500, 2000)), da.from_array(y, chunks=500), n_classes=2)
        expected = np.float32 if n * 2000 >= 2_000_000 else np.float64
        assert mem.hessian_dtype == dsk.hessian_dtype == np.dtype(expected)


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("top, expected", [(1e3, np.float32), (-1e17, np.float64), (1e39, np.float64)])
def test_auto_hessian_dtype_keeps_float64_for_features_too_large_for_float32(top, expected, fused, monkeypatch):
    # 40,000 x 50 float64 entries take the float32 copy unless n max|x|^2 overflows float32 sums
    # (1e17: 4e38 > 3.4e38 / 16) or an entry is beyond float32's range (1e39); either way the Hessian
    # equals its float64 definition X^T D X (with the column of ones) to float64's or float32's precision
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40_000, 50))
    X[123, 7] = top
    y = (rng.random(40_000) < 0.5).astype(float)
    obj = LinearObjective(X, y, n_classes=2, scale=1 / 40_000)
    coef = np.zeros(51)
    if fused:  # the compiled pass forms the Hessian first and reads max|x| for the rule on the way
        from crossentropy.objective import binary
        monkeypatch.setattr(binary, "FUSED_MIN_ELEMENTS", 1)
        H = obj.loss_gradient_hessian(coef)[2]
    assert obj.hessian_dtype == np.dtype(expected)
    if not fused:
        H = obj.hessian(coef)
    Xa = np.hstack([X, np.ones((40_000, 1))])
    ref = Xa.T @ (Xa * 0.25) / 40_000
    rtol = 1e-12 if expected == np.float64 else 1e-5
    assert np.all(np.isfinite(H))
    np.testing.assert_allclose(H, ref, rtol=rtol, atol=rtol * np.abs(ref).max())
