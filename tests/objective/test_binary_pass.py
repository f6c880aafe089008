"""The compiled one-pass loss and gradient of the binary model against the NumPy path and float64 definitions."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crossentropy.losses import binary_cross_entropy_with_logits
from crossentropy.objective import CoefLayout, binary


def _numpy_path(X, y, sw, coef, layout):
    z = binary.logits(X, coef, layout)
    return binary.data_terms(X, y, sw, coef, layout, frozenset(["loss", "grad"]), z=z), z


@pytest.fixture(autouse=True)
def _every_size_compiled(monkeypatch):
    monkeypatch.setattr(binary, "FUSED_MIN_ELEMENTS", 1)  # the small test problems take the compiled path too


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("n, d", [(1, 1), (255, 3), (256, 7), (1000, 40), (3001, 2)])
def test_one_pass_equals_logits_then_loss(n, d, weighted, fit_intercept):
    rng = np.random.default_rng(n + d)
    X = rng.standard_normal((n, d))
    y = (rng.random(n) < 0.4).astype(np.float64)
    sw = rng.uniform(0, 3, n) if weighted else None
    layout = CoefLayout(d, 2, fit_intercept)
    coef = rng.standard_normal(layout.n_coef) * 3
    (fused, z), (ref, z_ref) = binary.loss_gradient_logits(X, y, sw, coef, layout), _numpy_path(X, y, sw, coef, layout)
    assert binary._fused(X, y, sw, coef, layout) is not None  # the compiled path ran
    np.testing.assert_allclose(z, z_ref, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(fused.loss, ref.loss, rtol=1e-12)
    np.testing.assert_allclose(fused.grad, ref.grad, rtol=1e-11, atol=1e-11 * n)
    assert fused.grad.shape == (layout.n_coef,)


@settings(max_examples=60, deadline=None)
@given(z=st.floats(-800, 800), t=st.sampled_from([0.0, 1.0, 0.3]), w=st.floats(0, 1e6))
@example(z=-745.0, t=0.0, w=1475.0)  # e^-745 subnormal, times a large weight
@example(z=716.0, t=1.0, w=5.0)      # a subnormal loss
def test_each_row_keeps_full_precision(z, t, w):
    # one row, X = [[1]], coef = [z]: the loss and residual of that logit, also far out in the tails
    X, layout = np.ones((1, 1)), CoefLayout(1, 2, False)
    out, _ = binary.loss_gradient_logits(X, np.array([t]), np.array([w]), np.array([z]), layout)
    loss, grad = binary_cross_entropy_with_logits(np.array([z]), np.array([t]), weight=np.array([w]),
                                                  reduction="sum", return_grad=True)
    # relative precision for normal numbers; where e^-|z| or the result is subnormal (z = -745:
    # e^-745 is 3.4e-324, held as 4.9e-324) each carries an absolute error of half the smallest
    # subnormal, 2^-1075, the former multiplied by the weight: (w + 1) 2^-1074 bounds both
    atol = (w + 1) * 2.0**-1074
    np.testing.assert_allclose(out.loss, loss, rtol=1e-13, atol=atol)
    np.testing.assert_allclose(out.grad[0], grad[0], rtol=1e-13, atol=atol)


def test_float64_definition_on_moderate_logits():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((500, 4))
    y = (rng.random(500) < 0.5).astype(np.float64)
    coef = rng.standard_normal(5)
    layout = CoefLayout(4, 2, True)
    out, z = binary.loss_gradient_logits(X, y, None, coef, layout)
    p = 1 / (1 + np.exp(-(X @ coef[:4] + coef[4])))
    np.testing.assert_allclose(out.loss, -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(), rtol=1e-12)
    np.testing.assert_allclose(out.grad, np.r_[X.T @ (p - y), (p - y).sum()], rtol=1e-10, atol=1e-12)


def test_float32_rows_match_the_float64_definition(monkeypatch):
    # the oracle: the definition in float64 NumPy on the same (float32-representable) numbers
    monkeypatch.setattr(binary, "FUSED_MIN_ELEMENTS", 0)
    rng = np.random.default_rng(6)
    X = rng.standard_normal((700, 5)).astype(np.float32)
    y = (rng.random(700) < 0.5).astype(np.float32)
    coef = rng.standard_normal(6)
    z, loss, grad = binary._fused(X, y, None, coef, CoefLayout(5, 2, True))
    X64, y64 = X.astype(np.float64), y.astype(np.float64)
    z64 = X64 @ coef[:5] + coef[5]
    p = 1 / (1 + np.exp(-z64))
    assert z.dtype == np.float32  # the logits in X's dtype (rounded once), the sums in float64
    np.testing.assert_allclose(z, z64, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(loss, -(y64 * np.log(p) + (1 - y64) * np.log(1 - p)).sum(), rtol=1e-6)
    np.testing.assert_allclose(grad, np.r_[X64.T @ (p - y64), (p - y64).sum()], rtol=1e-5, atol=1e-5)


def test_sparse_and_huge_weights_take_the_numpy_path():
    from scipy import sparse
    X = np.ones((3, 2))
    layout = CoefLayout(2, 2, True)
    y, coef = np.array([0.0, 1.0, 1.0]), np.array([0.5, -0.5, 0.1])
    assert binary._fused(sparse.csr_matrix(X), y, None, coef, layout) is None
    huge = np.full(3, 1e308)
    assert binary._fused(X, y, huge, coef, layout) is None  # a sum past float64's range: rescaled by NumPy
    out, _ = binary.loss_gradient_logits(X, y, huge, coef, layout)
    ref, _ = _numpy_path(X, y, huge, coef, layout)
    np.testing.assert_equal(out.loss, ref.loss)
    np.testing.assert_equal(out.grad, ref.grad)


def test_small_problems_do_not_load_the_kernel(monkeypatch):
    monkeypatch.setattr(binary, "FUSED_MIN_ELEMENTS", 1 << 21)
    X = np.ones((100, 3))
    assert binary._fused(X, np.zeros(100), None, np.zeros(4), CoefLayout(3, 2, True)) is None
