"""FittedDesign (the record the inference works on) against statsmodels' Logit and MNLogit."""

import numpy as np
import pytest
import statsmodels.api as sm

from crossentropy.linear_model._design import FittedDesign


@pytest.fixture(scope="module")
def spector():
    d = sm.datasets.spector.load_pandas()
    X, y = sm.add_constant(d.exog).to_numpy(), d.endog.to_numpy().astype(np.intp)
    return X, y, sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-12)


@pytest.fixture(scope="module")
def anes():
    d = sm.datasets.anes96.load_pandas()
    X = sm.add_constant(d.exog[["logpopul", "selfLR", "age", "educ", "income"]]).to_numpy()
    y = d.endog.to_numpy().astype(np.intp)
    return X, y, sm.MNLogit(y, X).fit(disp=0, method="newton", tol=1e-12, maxiter=100)


def test_binary_scores_information_loglike_equal_logit(spector):
    X, y, ref = spector
    d = FittedDesign(X, ("const", "a", "b", "c"), (None, "a", "b", "c"), ref.params, y, np.ones(y.size), 2)
    np.testing.assert_allclose(d.information(), -ref.model.hessian(ref.params), rtol=1e-10)
    np.testing.assert_allclose(d.row_scores(), ref.model.score_obs(ref.params), rtol=1e-10, atol=1e-14)
    assert d.loglike() == pytest.approx(ref.llf, rel=1e-12)
    np.testing.assert_allclose(d.probabilities()[:, 1], ref.predict(), rtol=1e-12)


def test_softmax_scores_information_loglike_equal_mnlogit(anes):
    X, y, ref = anes
    flat = np.asarray(ref.params).ravel(order="F")  # statsmodels' class-major order
    d = FittedDesign(X, tuple(map(str, range(6))), (None,) * 6, np.asarray(ref.params).T, y, np.ones(y.size), 7)
    np.testing.assert_allclose(d.flat_params, flat)
    np.testing.assert_allclose(d.information(), -ref.model.hessian(flat), rtol=1e-9)
    np.testing.assert_allclose(d.row_scores(), ref.model.score_obs(flat), rtol=1e-9, atol=1e-12)
    assert d.loglike() == pytest.approx(ref.llf, rel=1e-12)
    np.testing.assert_allclose(np.linalg.inv(d.information()), ref.cov_params(), rtol=1e-7)


def test_weights_are_repeated_rows_and_offset_shifts_the_logits(spector):
    X, y, ref = spector
    w = np.arange(1, y.size + 1) % 3 + 0.0  # frequencies 0, 1, 2
    d = FittedDesign(X, tuple("abcd"), (None,) * 4, ref.params, y, w, 2)
    rep = np.repeat(np.arange(y.size), w.astype(int))
    r = FittedDesign(X[rep], tuple("abcd"), (None,) * 4, ref.params, y[rep], np.ones(rep.size), 2)
    np.testing.assert_allclose(d.information(), r.information(), rtol=1e-12)
    assert d.loglike() == pytest.approx(r.loglike(), rel=1e-12)
    o = np.linspace(-1, 1, y.size)
    shifted = FittedDesign(X, tuple("abcd"), (None,) * 4, ref.params, y, np.ones(y.size), 2, offset=o)
    np.testing.assert_allclose(shifted.linear_predictor(), X @ ref.params + o, rtol=1e-12)
