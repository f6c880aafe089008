r"""Score decompositions: the Brier score's (Murphy 1973), the log loss's (CORP), and the CORP reliability diagram."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._validation import check_int, check_option, check_real
from ._binning import bin_edges, bin_index
from .error import check_probabilities


class BrierDecomposition(NamedTuple):
    """``brier = reliability - resolution + uncertainty`` (exactly, up to rounding)."""

    brier: float
    reliability: float
    resolution: float
    uncertainty: float


class LogLossDecomposition(NamedTuple):
    """``log_loss = calibration + refinement``; ``refinement = uncertainty - discrimination``."""

    log_loss: float
    calibration: float
    refinement: float
    discrimination: float
    uncertainty: float


class CorpDiagram(NamedTuple):
    """The CORP reliability diagram: the isotonic recalibration curve and its consistency band."""

    forecast: np.ndarray
    recalibrated: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    miscalibration: float
    discrimination: float
    uncertainty: float


def brier_decomposition(y_true, y_proba, *, labels=None, n_bins=None, strategy="uniform", sample_weight=None):
    r"""Murphy's decomposition of the Brier score into reliability, resolution and uncertainty.

    The forecasts are grouped; in group :math:`g` (weight share :math:`\pi_g`) let
    :math:`\bar p_g` be the mean forecast vector and :math:`\bar y_g` the mean outcome vector
    (one-hot labels), :math:`\bar y` the overall mean outcome. Then

    .. math::
        \mathrm{REL} = \sum_g \pi_g \lVert \bar p_g - \bar y_g \rVert^2, \quad
        \mathrm{RES} = \sum_g \pi_g \lVert \bar y_g - \bar y \rVert^2, \quad
        \mathrm{UNC} = \sum_k \bar y_k (1 - \bar y_k),

    and :math:`\mathrm{BS} = \mathrm{REL} - \mathrm{RES} + \mathrm{UNC}` holds exactly for forecasts
    constant within each group. Groups: with ``n_bins=None``, the distinct forecasts (rows of
    ``y_proba``): ``brier`` is then the Brier score of the forecasts themselves. With ``n_bins``, each
    class's probability is binned on its own (``strategy`` as in :func:`calibration_error`) and
    replaced by its bin's weighted mean (each class one-vs-rest, the terms summed over classes):
    ``brier`` is the Brier score of these binned forecasts, and the identity holds for it.

    Two classes: the positive class only (:math:`\mathrm{BS} = \overline{(p - y)^2}`, scikit-learn's
    ``brier_score_loss``); more: summed over the classes (scikit-learn's multiclass Brier score).

    Returns
    -------
    BrierDecomposition
        ``(brier, reliability, resolution, uncertainty)``.

    Examples
    --------
    >>> import numpy as np
    >>> d = brier_decomposition([0, 1, 1, 0, 1, 1], [0.2, 0.2, 0.8, 0.8, 0.8, 0.8])
    >>> [round(v, 4) for v in d]
    [0.24, 0.0317, 0.0139, 0.2222]

    References
    ----------
    A. H. Murphy, "A new vector partition of the probability score", Journal of Applied Meteorology, 1973.
    """
    if n_bins is not None:
        n_bins = check_int(n_bins, "n_bins", low=1)
    check_option(strategy, "strategy", ("uniform", "quantile"))
    P, codes, _, w = check_probabilities(y_true, y_proba, labels, sample_weight)
    Y = np.zeros_like(P)
    Y[np.arange(P.shape[0]), codes] = 1.0
    if P.shape[1] == 2:
        P, Y = P[:, 1:], Y[:, 1:]
    share = w / w.sum()
    ybar = share @ Y
    unc = float(np.sum(ybar * (1 - ybar)))
    if n_bins is None:
        _, groups = np.unique(P, axis=0, return_inverse=True)
        groups = groups.reshape(-1)
        rel, res, _ = _grouped(P, Y, share, groups, ybar)
        brier = float(np.sum(share * np.sum((P - Y) ** 2, axis=1)))
        return BrierDecomposition(brier, rel, res, unc)
    rel = res = brier = 0.0
    for k in range(P.shape[1]):
        b = bin_index(P[:, k], bin_edges(P[:, k], w, n_bins, strategy), strategy)
        r1, r2, Pg = _grouped(P[:, k:k + 1], Y[:, k:k + 1], share, b, ybar[k:k + 1])
        rel, res = rel + r1, res + r2
        brier += float(np.sum(share * (Pg[b, 0] - Y[:, k]) ** 2))
    return BrierDecomposition(brier, rel, res, unc)


def _grouped(P, Y, share, groups, ybar):
    G = int(groups.max()) + 1
    pi = np.bincount(groups, weights=share, minlength=G)
    safe = np.where(pi > 0, pi, 1.0)
    Pg = np.stack([np.bincount(groups, weights=share * P[:, k], minlength=G) for k in range(P.shape[1])], 1) / safe[:, None]
    Yg = np.stack([np.bincount(groups, weights=share * Y[:, k], minlength=G) for k in range(Y.shape[1])], 1) / safe[:, None]
    rel = float(np.sum(pi * np.sum((Pg - Yg) ** 2, axis=1)))
    res = float(np.sum(pi * np.sum((Yg - ybar) ** 2, axis=1)))
    return rel, res, Pg


def _binary(y_true, p, labels, sample_weight):
    P, codes, _, w = check_probabilities(y_true, p, labels, sample_weight)
    if P.shape[1] != 2:
        raise ValueError(f"y_proba must be binary (the probability of the second label), got {P.shape[1]} columns")
    return P[:, 1], (codes == 1).astype(np.float64), w


def _isotonic(p, y, w):
    from sklearn.isotonic import IsotonicRegression

    return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y, sample_weight=w)


def _mean_log_loss(p, y, w):
    from scipy.special import xlogy

    return float(-np.sum(w * (xlogy(y, p) + xlogy(1 - y, 1 - p))) / w.sum())


def log_loss_decomposition(y_true, y_proba, *, labels=None, sample_weight=None):
    r"""The log loss of binary forecasts as calibration plus refinement (CORP, isotonic recalibration).

    With :math:`\hat p` the isotonic (PAV) recalibration of the forecasts on these rows, :math:`\bar y`
    the weighted base rate and :math:`S` the mean log loss:

    .. math::
        S(p) = \underbrace{S(p) - S(\hat p)}_{\text{calibration}} + \underbrace{S(\hat p)}_{\text{refinement}},
        \qquad S(\hat p) = \underbrace{S(\bar y)}_{\text{uncertainty}} - \underbrace{(S(\bar y) - S(\hat p))}_{\text{discrimination}}.

    The identity is exact by construction; calibration and discrimination are non-negative because the
    PAV fit minimises every proper score among non-decreasing maps of the forecast (it contains the
    identity map and the constant). Forecasts are clipped to :math:`[\epsilon, 1-\epsilon]` (float64
    machine epsilon) as scikit-learn's ``log_loss`` does; recalibrated values of 0 or 1 occur only
    where every label agrees, and add nothing.

    Returns
    -------
    LogLossDecomposition
        ``(log_loss, calibration, refinement, discrimination, uncertainty)``.

    Examples
    --------
    >>> d = log_loss_decomposition([0, 1, 1, 0, 1, 1], [0.2, 0.2, 0.8, 0.8, 0.8, 0.8])
    >>> [round(v, 4) for v in d]
    [0.6852, 0.0793, 0.6059, 0.0306, 0.6365]

    References
    ----------
    T. Dimitriadis, T. Gneiting and A. I. Jordan, "Stable reliability diagrams for probabilistic
    classifiers", PNAS 118(8), 2021.
    """
    p, y, w = _binary(y_true, y_proba, labels, sample_weight)
    eps = np.finfo(np.float64).eps
    p = np.clip(p, eps, 1 - eps)
    total = _mean_log_loss(p, y, w)
    refined = _mean_log_loss(_isotonic(p, y, w).predict(p), y, w)
    base = float(np.sum(w * y) / w.sum())
    unc = _mean_log_loss(np.full_like(p, base), y, w)
    return LogLossDecomposition(total, total - refined, refined, unc - refined, unc)


def reliability_diagram_corp(y_true, y_proba, *, labels=None, sample_weight=None, confidence=0.9, n_resamples=100,
                             random_state=None):
    r"""The CORP reliability diagram of binary forecasts, with consistency bands under calibration.

    The curve is the isotonic (PAV) regression of the outcomes on the forecasts, evaluated at the
    distinct forecasts (``forecast``, sorted): the conditional event probability of each forecast
    value, with no bins to choose. The consistency band is pointwise: ``n_resamples`` outcome vectors
    are drawn under the hypothesis of calibration, :math:`y^*_i \sim \mathrm{Bernoulli}(p_i)`, each
    recalibrated by PAV, and ``lower``/``upper`` are the :math:`(1 \mp \text{confidence})/2` quantiles
    of the recalibrated values at each forecast: a curve outside the band is evidence of
    miscalibration there. Also the CORP decomposition of the Brier score,
    :math:`\bar S = \mathrm{MCB} - \mathrm{DSC} + \mathrm{UNC}` (miscalibration, discrimination,
    uncertainty, as in :func:`log_loss_decomposition` with the squared error).

    Returns
    -------
    CorpDiagram
        ``(forecast, recalibrated, lower, upper, miscalibration, discrimination, uncertainty)``.

    Examples
    --------
    >>> d = reliability_diagram_corp([0, 1, 1, 0, 1, 1], [0.2, 0.2, 0.8, 0.8, 0.8, 0.8], random_state=0)
    >>> d.forecast, d.recalibrated
    (array([0.2, 0.8]), array([0.5 , 0.75]))

    References
    ----------
    T. Dimitriadis, T. Gneiting and A. I. Jordan, "Stable reliability diagrams for probabilistic
    classifiers", PNAS 118(8), 2021.
    """
    confidence = check_real(confidence, "confidence", low=0, high=1, low_open=True, high_open=True)
    n_resamples = check_int(n_resamples, "n_resamples", low=1)
    p, y, w = _binary(y_true, y_proba, labels, sample_weight)
    from sklearn.isotonic import isotonic_regression

    x, inv = np.unique(p, return_inverse=True)
    inv = inv.reshape(-1)
    W = np.bincount(inv, weights=w, minlength=x.size)
    cep = isotonic_regression(np.bincount(inv, weights=w * y, minlength=x.size) / W, sample_weight=W)
    rng = np.random.default_rng(random_state)
    sims = np.empty((n_resamples, x.size))
    for r in range(n_resamples):  # one PAV fit of the distinct forecasts per resample
        ys = (rng.random(p.size) < p).astype(np.float64)
        sims[r] = isotonic_regression(np.bincount(inv, weights=w * ys, minlength=x.size) / W, sample_weight=W)
    lower, upper = np.quantile(sims, [(1 - confidence) / 2, (1 + confidence) / 2], axis=0)
    base = float(np.sum(w * y) / w.sum())
    score = float(np.sum(w * (p - y) ** 2) / w.sum())
    refined = float(np.sum(w * (cep[inv] - y) ** 2) / w.sum())
    unc = base * (1 - base)
    return CorpDiagram(x, cep, lower, upper, score - refined, unc - refined, unc)
