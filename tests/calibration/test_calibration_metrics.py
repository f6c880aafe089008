"""Calibration metrics against netcal, float64 loops over the bins, scikit-learn, and simulation.

Oracles: netcal's ``ECE`` (top-label, equal-width bins); a plain float64 loop over the bins written here
(quantile bins, L2, debiased L2, class-wise, weights); a row bootstrap written as a Python loop for the
interval; a seeded simulation with a known population ECE (numerical integration, SciPy ``quad``) for the
interval's coverage; scikit-learn's ``brier_score_loss``, ``log_loss``, ``IsotonicRegression``,
``roc_auc_score`` and ``average_precision_score`` for the decompositions and curves.
"""

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import expit, logit
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from crossentropy import LogisticRegression
from crossentropy.metrics import (brier_decomposition, calibration_error, log_loss_decomposition, precision_recall,
                                  reliability_diagram_corp, roc)


@pytest.fixture(scope="module")
def digits_proba():
    X, y = load_digits(return_X_y=True)
    Xf, Xc, yf, yc = train_test_split(X / 16, y, test_size=0.5, random_state=0, stratify=y)
    return LogisticRegression(C=0.01).fit(Xf, yf).predict_proba(Xc), yc


@pytest.fixture(scope="module")
def cancer_proba():
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    Xf, Xc, yf, yc = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
    return LogisticRegression(C=0.003).fit(Xf, yf).predict_proba(Xc)[:, 1], yc


def _loop_ece(s, h, w, n_bins, strategy, norm, debias):
    """One group's binned error, bin by bin in float64 (the definition in calibration/_binning.py)."""
    if strategy == "uniform":
        edges = [j / n_bins for j in range(1, n_bins)]
        def which(v):
            return min(sum(v >= e for e in edges), n_bins - 1)
    else:
        order = sorted(range(len(s)), key=lambda i: s[i])
        total, edges, cum, j = sum(w), [], 0.0, 1
        for i in order:
            cum += w[i]
            while j < n_bins and cum >= total * j / n_bins * (1 - 1e-12):
                edges.append(s[i])
                j += 1
        def which(v):
            return sum(v > e for e in edges)
    W = [0.0] * n_bins; S = [0.0] * n_bins; Y = [0.0] * n_bins
    for si, hi, wi in zip(s, h, w):
        b = which(si)
        W[b] += wi; S[b] += wi * si; Y[b] += wi * hi
    tot, acc = sum(W), 0.0
    for b in range(n_bins):
        if W[b] == 0:
            continue
        gap = (Y[b] - S[b]) / W[b]
        if norm == "l1":
            acc += W[b] / tot * abs(gap)
        else:
            term = gap * gap
            n_eff = W[b]  # weights count rows
            if debias and n_eff > 1:
                a = Y[b] / W[b]
                term -= a * (1 - a) / (n_eff - 1)
            acc += W[b] / tot * term
    return acc


def _loop_error(P, y, w, n_bins, strategy, norm, debias, kind):
    if kind == "top-label":
        top = P.argmax(1)
        vals = [_loop_ece(P.max(1).tolist(), (top == y).astype(float).tolist(), w.tolist(), n_bins, strategy, norm, debias)]
    else:
        vals = [_loop_ece(P[:, k].tolist(), (y == k).astype(float).tolist(), w.tolist(), n_bins, strategy, norm, debias)
                for k in range(P.shape[1])]
    m = sum(vals) / len(vals)
    return m if norm == "l1" else max(m, 0.0) ** 0.5


def test_ece_equals_netcal_on_the_same_bins(digits_proba, cancer_proba):
    netcal = pytest.importorskip("netcal.metrics")
    P, y = digits_proba
    assert calibration_error(y, P, n_bins=15) == pytest.approx(netcal.ECE(bins=15).measure(P, y), abs=1e-12)
    # two classes: netcal bins the positive class's probability against the label, our class-wise error
    # (both classes' errors are equal: the bins of 1 - p mirror those of p)
    p, yb = cancer_proba
    P2 = np.column_stack([1 - p, p])
    ref = netcal.ECE(bins=10).measure(P2, yb)
    assert calibration_error(yb, P2, n_bins=10, kind="class-wise") == pytest.approx(ref, abs=1e-12)
    assert calibration_error(yb, p, n_bins=10, kind="class-wise") == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("norm, debias", [("l1", False), ("l2", False), ("l2", True)])
@pytest.mark.parametrize("kind", ["top-label", "class-wise"])
def test_every_variant_equals_the_float64_loop(digits_proba, strategy, norm, debias, kind):
    P, y = digits_proba
    P, y = P[:300], y[:300]
    w = np.random.default_rng(0).uniform(0.2, 3.0, y.size)
    ours = calibration_error(y, P, n_bins=8, strategy=strategy, norm=norm, debias=debias, kind=kind, sample_weight=w)
    assert ours == pytest.approx(_loop_error(P, y, w, 8, strategy, norm, debias, kind), rel=1e-10, abs=1e-14)


def test_integer_weights_equal_repeated_rows(digits_proba):
    P, y = digits_proba
    w = np.random.default_rng(1).integers(1, 4, y.size)
    for kw in ({}, {"strategy": "quantile", "norm": "l2", "debias": True, "kind": "class-wise"}):
        assert calibration_error(y, P, sample_weight=w, **kw) == pytest.approx(
            calibration_error(np.repeat(y, w), np.repeat(P, w, 0), **kw), rel=1e-12)


@pytest.mark.parametrize("kind", ["top-label", "class-wise"])
def test_interval_agrees_with_a_plain_row_bootstrap(cancer_proba, kind):
    p, y = cancer_proba
    value, low, high = calibration_error(y, p, n_bins=10, kind=kind, confidence=0.9, n_resamples=2000, random_state=0)
    rng = np.random.default_rng(1)
    boot = []
    for _ in range(2000):
        idx = rng.integers(0, y.size, y.size)
        boot.append(calibration_error(y[idx], p[idx], labels=[0, 1], n_bins=10, kind=kind))
    ref_low, ref_high = np.quantile(boot, [0.05, 0.95])
    assert value == calibration_error(y, p, n_bins=10, kind=kind)
    # Monte Carlo error of a 5% quantile of 2000 draws, plus the normal approximation inside cells
    assert abs(low - ref_low) < 0.15 * (ref_high - ref_low)
    assert abs(high - ref_high) < 0.15 * (ref_high - ref_low)


def test_interval_covers_the_population_ece_at_the_nominal_rate():
    """A model with known miscalibration P(y=1 | p) = expit(1.5 logit p), p ~ U(0, 1), 10 equal-width bins.

    The population top-label ECE is computed by integration. A perfectly calibrated model has a
    population ECE of 0, on the boundary, which no interval of the non-negative plug-in estimate covers
    at its nominal rate; this model sits away from it. 200 seeded data sets of 2,000 rows, 90% intervals
    from 200 resamples each: the coverage must lie in [0.82, 0.97] (the binomial sd of 200 trials at
    0.9 is 0.021; the plug-in's small upward bias costs a few points).
    """
    def g(c):
        return expit(1.5 * logit(c))

    edges = np.linspace(0, 1, 11)
    true = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):  # the confidence max(p, 1-p) is U(0.5, 1): density 2
        a, b = max(lo, 0.5), hi
        if b > a:
            true += abs(quad(lambda c: 2 * (g(c) - c), a, b)[0])
    rng = np.random.default_rng(2026)
    hits = 0
    for _ in range(200):
        p = rng.random(2000)
        y = (rng.random(2000) < g(p)).astype(int)
        _, low, high = calibration_error(y, p, labels=[0, 1], n_bins=10, confidence=0.9, n_resamples=200,
                                         random_state=rng)
        hits += low <= true <= high
    assert 0.82 <= hits / 200 <= 0.97


def test_brier_decomposition_against_scikit_learn_and_the_group_loop(digits_proba, cancer_proba):
    p, y = cancer_proba
    d = brier_decomposition(y, p)
    assert d.brier == pytest.approx(brier_score_loss(y, p), rel=1e-12)
    assert d.brier == pytest.approx(d.reliability - d.resolution + d.uncertainty, abs=1e-12)
    binned = brier_decomposition(y, p, n_bins=10)
    b = np.minimum((p * 10).astype(int), 9)  # equal-width bins (no p sits exactly on an inner edge here)
    pbar = np.array([p[b == k].mean() if np.any(b == k) else 0 for k in range(10)])
    assert binned.brier == pytest.approx(np.mean((pbar[b] - y) ** 2), rel=1e-12)
    rel = sum(np.mean(b == k) * (pbar[k] - y[b == k].mean()) ** 2 for k in range(10) if np.any(b == k))
    res = sum(np.mean(b == k) * (y[b == k].mean() - y.mean()) ** 2 for k in range(10) if np.any(b == k))
    assert binned.reliability == pytest.approx(rel, rel=1e-12)
    assert binned.resolution == pytest.approx(res, rel=1e-12)
    assert binned.uncertainty == pytest.approx(y.mean() * (1 - y.mean()), rel=1e-12)
    P, yy = digits_proba
    dm = brier_decomposition(yy, P)
    assert dm.brier == pytest.approx(brier_score_loss(yy, P), rel=1e-12)
    assert dm.brier == pytest.approx(dm.reliability - dm.resolution + dm.uncertainty, abs=1e-12)
    bm = brier_decomposition(yy, P, n_bins=10, strategy="quantile")
    assert bm.brier == pytest.approx(bm.reliability - bm.resolution + bm.uncertainty, abs=1e-12)


def test_log_loss_decomposition_against_scikit_learn(cancer_proba):
    p, y = cancer_proba
    d = log_loss_decomposition(y, p)
    iso = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(p, y).predict(p)
    assert d.log_loss == pytest.approx(log_loss(y, p), rel=1e-12)
    assert d.refinement == pytest.approx(log_loss(y, np.clip(iso, 1e-300, 1), labels=[0, 1]), rel=1e-6)
    assert d.uncertainty == pytest.approx(log_loss(y, np.full(y.size, y.mean())), rel=1e-12)
    assert d.log_loss == pytest.approx(d.calibration + d.refinement, rel=1e-14)
    assert d.calibration >= 0 and d.discrimination >= 0


def test_corp_curve_is_the_isotonic_fit_and_its_band_holds_a_calibrated_model(cancer_proba):
    p, y = cancer_proba
    d = reliability_diagram_corp(y, p, n_resamples=50, random_state=0)
    iso = IsotonicRegression(y_min=0, y_max=1).fit(p, y)
    np.testing.assert_allclose(d.recalibrated, iso.predict(d.forecast), atol=1e-12)
    assert d.miscalibration - d.discrimination + d.uncertainty == pytest.approx(brier_score_loss(y, p), rel=1e-12)
    rng = np.random.default_rng(3)
    q = rng.random(500)
    yc = (rng.random(500) < q).astype(int)  # calibrated by construction
    dc = reliability_diagram_corp(yc, q, confidence=0.9, n_resamples=200, random_state=4)
    inside = np.mean((dc.recalibrated >= dc.lower - 1e-12) & (dc.recalibrated <= dc.upper + 1e-12))
    assert inside >= 0.8


def test_roc_and_precision_recall_are_scikit_learns_with_weights(cancer_proba):
    p, y = cancer_proba
    w = np.random.default_rng(5).integers(1, 4, y.size)
    r = roc(y, p, sample_weight=w)
    assert r.auc == pytest.approx(roc_auc_score(np.repeat(y, w), np.repeat(p, w)), rel=1e-12)
    pr = precision_recall(y, p, sample_weight=w)
    assert pr.average_precision == pytest.approx(average_precision_score(np.repeat(y, w), np.repeat(p, w)), rel=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    ({"n_bins": 0}, "n_bins"), ({"strategy": "equal"}, "strategy"), ({"norm": "l3"}, "norm"),
    ({"debias": True}, "debias"), ({"kind": "marginal"}, "kind"), ({"confidence": 1.5}, "confidence"),
    ({"n_resamples": 0}, "n_resamples"), ({"sample_weight": [1, -1, 1, 1]}, "sample_weight"),
])
def test_bad_arguments_name_the_parameter(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        calibration_error([0, 1, 1, 0], [0.2, 0.7, 0.6, 0.1], **kwargs)


def test_probabilities_outside_the_unit_interval_are_refused():
    with pytest.raises(ValueError, match="y_proba"):
        calibration_error([0, 1], [0.2, 1.2])


def test_decompositions_with_integer_weights_equal_repeated_rows(cancer_proba, digits_proba):
    p, y = cancer_proba
    w = np.random.default_rng(6).integers(1, 4, y.size)
    rp, ry = np.repeat(p, w), np.repeat(y, w)
    np.testing.assert_allclose(brier_decomposition(y, p, sample_weight=w), brier_decomposition(ry, rp), rtol=1e-12)
    np.testing.assert_allclose(brier_decomposition(y, p, n_bins=8, strategy="quantile", sample_weight=w),
                               brier_decomposition(ry, rp, n_bins=8, strategy="quantile"), rtol=1e-12)
    np.testing.assert_allclose(log_loss_decomposition(y, p, sample_weight=w), log_loss_decomposition(ry, rp),
                               rtol=1e-12)
    a = reliability_diagram_corp(y, p, sample_weight=w, n_resamples=5, random_state=0)
    b = reliability_diagram_corp(ry, rp, n_resamples=5, random_state=0)
    np.testing.assert_allclose(a.recalibrated, b.recalibrated, rtol=1e-12)
    np.testing.assert_allclose(a[4:], b[4:], rtol=1e-12)
    P, yy = digits_proba
    wm = np.random.default_rng(7).integers(1, 4, yy.size)
    np.testing.assert_allclose(brier_decomposition(yy, P, sample_weight=wm),
                               brier_decomposition(np.repeat(yy, wm), np.repeat(P, wm, 0)), rtol=1e-12)
