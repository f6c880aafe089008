"""The calibration maps against their definitions and the reference packages, on real data.

Oracles: beta calibration against a direct SciPy fit of the constrained logistic regression on
[log p, -log(1 - p)] and against the ``betacal`` package; Venn-Abers against the ``venn-abers`` package;
temperature scaling against the root of the float64 derivative (SciPy ``brentq``) and a float64
evaluation of the loss and its derivatives; vector scaling against a SciPy L-BFGS fit written here; Platt
against scikit-learn's ``_SigmoidCalibration``; isotonic against ``IsotonicRegression``.
"""

import numpy as np
import pytest
from scipy.optimize import brentq, minimize
from scipy.special import expit, log_expit, logsumexp, softmax
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import train_test_split

from crossentropy import LogisticRegression
from crossentropy.calibration import (BetaCalibration, IsotonicCalibration, PlattScaling, TemperatureScaling,
                                      VennAbers)


@pytest.fixture(scope="module")
def cancer_scores():
    """Held-out probabilities and decision values of a logistic model on breast_cancer."""
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    Xf, Xc, yf, yc = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
    est = LogisticRegression(C=0.01).fit(Xf, yf)
    return est.predict_proba(Xc)[:, 1], est.decision_function(Xc), yc, est.predict_proba(Xf)[:, 1]


@pytest.fixture(scope="module")
def digits_scores():
    X, y = load_digits(return_X_y=True)
    X = X / 16
    Xf, Xc, yf, yc = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
    est = LogisticRegression(C=0.01).fit(Xf, yf)
    return est.predict_proba(Xc), est.decision_function(Xc), yc, est.predict_proba(Xf)


def _constrained_beta_fit(p, y):
    """The definition: max likelihood of sigmoid(c + a log p - b log(1-p)) with a, b >= 0 (L-BFGS-B bounds)."""
    eps = np.finfo(float).eps
    p = np.clip(p, eps, 1 - eps)
    F = np.column_stack([np.ones_like(p), np.log(p), -np.log1p(-p)])

    def f(th):
        eta = F @ th
        return -np.sum(y * log_expit(eta) + (1 - y) * log_expit(-eta)), F.T @ (expit(eta) - y)

    res = minimize(f, np.zeros(3), jac=True, method="L-BFGS-B", bounds=[(None, None), (0, None), (0, None)],
                   options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 10000})
    return res.x


def test_beta_calibration_equals_the_constrained_logistic_fit(cancer_scores):
    p, _, y, p_new = cancer_scores
    ours = BetaCalibration().fit(p, y)
    c, a, b = _constrained_beta_fit(p, y)
    ref = expit(c + a * np.log(np.clip(p_new, 2.2e-16, 1)) - b * np.log1p(-np.clip(p_new, 0, 1 - 2.2e-16)))
    np.testing.assert_allclose(ours.predict_proba(p_new)[:, 1], ref, rtol=0, atol=1e-5)
    np.testing.assert_allclose(ours.params_[0], [a, b, c], rtol=1e-3, atol=1e-4)


def test_beta_calibration_equals_betacal(cancer_scores):
    betacal = pytest.importorskip("betacal")
    p, _, y, p_new = cancer_scores
    ref = betacal.BetaCalibration(parameters="abm").fit(p, y)
    ours = BetaCalibration().fit(p, y)
    # betacal stops scikit-learn's L-BFGS at its default tolerance (1e-4): agreement to about 1e-3, and
    # our fit (Newton, to the optimum) has a log-likelihood at least as high on the same rows
    np.testing.assert_allclose(ours.predict_proba(p_new)[:, 1], ref.predict(p_new), rtol=0, atol=1e-3)

    def loglik(q):
        q = np.clip(q, 1e-300, 1 - 1e-16)
        return np.sum(y * np.log(q) + (1 - y) * np.log1p(-q))

    assert loglik(ours.predict_proba(p)[:, 1]) >= loglik(ref.predict(p)) - 1e-9


def test_venn_abers_equals_the_venn_abers_package_binary(cancer_scores):
    va_pkg = pytest.importorskip("venn_abers")
    p, _, y, p_new = cancer_scores
    test = p_new[~np.isin(p_new, p)]  # the package places a score equal to a calibration score just above it
    ref_proba, ref_p0p1 = va_pkg.VennAbers().fit(np.column_stack([1 - p, p]), y).predict_proba(
        np.column_stack([1 - test, test]))
    ours = VennAbers().fit(p, y)
    p0, p1 = ours.predict_interval(test)
    np.testing.assert_allclose(p0, ref_p0p1[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(p1, ref_p0p1[:, 1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(test), ref_proba, rtol=0, atol=1e-12)


def test_venn_abers_multiclass_is_the_package_one_vs_rest_normalised(digits_scores):
    va_pkg = pytest.importorskip("venn_abers")
    P, _, y, P_new = digits_scores
    P_new = P_new[:60]  # each distinct test position costs two isotonic fits per class
    merged = np.empty_like(P_new)
    for k in range(P.shape[1]):
        col = np.column_stack([1 - P[:, k], P[:, k]])
        new = np.column_stack([1 - P_new[:, k], P_new[:, k]])
        merged[:, k] = va_pkg.VennAbers().fit(col, (y == k).astype(int)).predict_proba(new)[0][:, 1]
    keep = ~np.any(np.isin(P_new, P), axis=1)
    ref = merged / merged.sum(1, keepdims=True)
    np.testing.assert_allclose(VennAbers().fit(P, y).predict_proba(P_new)[keep], ref[keep], rtol=0, atol=1e-12)


def _temperature_oracle(z, y, w):
    z = np.asarray(z, np.float64)

    def dloss(beta):
        p = softmax(beta * z, axis=1)
        return np.sum(w * (np.sum(p * z, axis=1) - z[np.arange(len(y)), y]))

    return 1.0 / brentq(dloss, 1e-3, 1e3, xtol=1e-15, rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_temperature_is_the_root_of_the_float64_derivative(digits_scores, dtype):
    _, z, y, _ = digits_scores
    w = np.random.default_rng(0).uniform(0.5, 2, y.size)
    zz = (3 * z).astype(dtype)  # sharpened: an over-confident model
    T = TemperatureScaling().fit(zz, y, sample_weight=w).temperature_
    ref = _temperature_oracle(zz, y, w)
    assert abs(T - ref) <= (1e-10 if dtype == np.float64 else 1e-5) * ref


def test_binary_temperature_on_one_column_of_logits(cancer_scores):
    _, d, y, _ = cancer_scores
    T = TemperatureScaling().fit(d, y).temperature_
    assert abs(T - _temperature_oracle(np.column_stack([np.zeros_like(d), d]), y, np.ones_like(d))) <= 1e-10 * T
    ours = TemperatureScaling().fit(d, y).predict_proba(d)[:, 1]
    np.testing.assert_allclose(ours, expit(d / T), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_temperature_pass_equals_the_float64_definition(digits_scores, dtype):
    from crossentropy.calibration.temperature import temperature_derivatives

    _, z, y, _ = digits_scores
    zz = np.ascontiguousarray(z, dtype)
    w = np.random.default_rng(1).uniform(0.5, 2, y.size)
    z64, beta, rows = zz.astype(np.float64), 0.7, np.arange(y.size)
    p = softmax(beta * z64, axis=1)
    mean = np.sum(p * z64, axis=1)
    ref = (np.sum(w * (logsumexp(beta * z64, axis=1) - beta * z64[rows, y])),
           np.sum(w * (mean - z64[rows, y])), np.sum(w * (np.sum(p * z64**2, axis=1) - mean**2)))
    got = temperature_derivatives(zz, y.astype(np.intp), w, beta)
    np.testing.assert_allclose(got, ref, rtol=1e-12 if dtype == np.float64 else 1e-5)


def test_vector_scaling_equals_a_direct_lbfgs_fit(digits_scores):
    _, z, y, _ = digits_scores
    K = z.shape[1]
    Y = np.eye(K)[y]

    def nll_grad(th):  # the last intercept fixed at 0
        logits = z * th[:K] + np.r_[th[K:], 0.0]
        r = softmax(logits, axis=1) - Y
        return (np.mean(logsumexp(logits, axis=1) - np.sum(Y * logits, axis=1)),
                np.r_[np.mean(r * z, axis=0), np.mean(r, axis=0)[:-1]])

    res = minimize(nll_grad, np.r_[np.ones(K), np.zeros(K - 1)], jac=True, method="BFGS", options={"gtol": 1e-11})
    ref = softmax(z * res.x[:K] + np.r_[res.x[K:], 0.0], axis=1)
    ours = TemperatureScaling(vector=True).fit(z, y)
    np.testing.assert_allclose(ours.predict_proba(z), ref, rtol=0, atol=1e-5)


def test_platt_equals_scikit_learns_sigmoid_calibration(cancer_scores):
    from sklearn.calibration import _SigmoidCalibration

    _, d, y, _ = cancer_scores
    ref = _SigmoidCalibration().fit(d, y)
    grid = np.linspace(d.min(), d.max(), 50)
    np.testing.assert_allclose(PlattScaling().fit(d, y).predict_proba(grid)[:, 1], ref.predict(grid), atol=1e-6)


def test_isotonic_equals_scikit_learns_isotonic_regression(cancer_scores):
    p, _, y, p_new = cancer_scores
    ref = IsotonicRegression(out_of_bounds="clip").fit(p, y).predict(p_new)
    np.testing.assert_array_equal(IsotonicCalibration().fit(p, y).predict_proba(p_new)[:, 1], ref)


@pytest.mark.parametrize("cal, scores, match", [
    (BetaCalibration(), [0.2, 1.5, 0.3, 0.9], "probabilities"),
    (PlattScaling(), [0.2, np.nan, 0.3, 0.9], "finite"),
    (IsotonicCalibration(strictly_monotone="no"), [0.2, 0.5, 0.3, 0.9], "strictly_monotone"),
    (TemperatureScaling(), [[0.2, np.inf], [1.0, 0.0], [0.3, 0.1], [0.9, 0.0]], "finite"),
])
def test_bad_input_names_the_parameter(cal, scores, match):
    with pytest.raises((ValueError, TypeError), match=match):
        cal.fit(scores, [0, 1, 0, 1])
