r"""``BetaCalibration``: the three-parameter beta calibration map of Kull, Silva Filho & Flach (2017)."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from .._validation import _preview
from ._base import OneVsRestCalibrator
from ._logistic import fit_logistic

#: the ridge of betacal's ``LogisticRegression(C=99999999999)``, on the summed loss: 1 / C
RIDGE = 1.0 / 99999999999


def beta_features(p: np.ndarray) -> np.ndarray:
    r"""The two features of beta calibration, :math:`[\log p, -\log(1 - p)]`, ``p`` clipped to
    :math:`[\epsilon, 1 - \epsilon]` (:math:`\epsilon` the float64 machine epsilon), as betacal does."""
    eps = np.finfo(np.float64).eps
    p = np.clip(p, eps, 1 - eps)
    return np.column_stack([np.log(p), -np.log1p(-p)])


class BetaCalibration(OneVsRestCalibrator):
    r"""Beta calibration ("abm"): :math:`\hat p = \sigma(c + a \log s - b \log(1 - s))`, :math:`a, b \ge 0`.

    The scores must be probabilities :math:`s \in [0, 1]` (``predict_proba`` values). The map is a
    logistic regression of the labels on the features :math:`[\log s, -\log(1 - s)]` with an
    intercept, weighted by ``sample_weight``, fitted by Newton's method. The constraint
    :math:`a, b \ge 0` (a non-decreasing map) is handled as the reference implementation ``betacal``
    does: when the unconstrained fit has :math:`a < 0`, the model is refitted on
    :math:`-\log(1-s)` alone with :math:`a = 0`; otherwise when :math:`b < 0`, on :math:`\log s` alone
    with :math:`b = 0`. As betacal's ``LogisticRegression(C=99999999999)``, the slopes carry a ridge of
    :math:`10^{-11}` (which keeps the fit finite on separable scores). Multiclass: one-vs-rest on the
    probability columns, normalised as in :class:`PlattScaling`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    params_ : list of ndarray
        ``(a, b, c)`` for each calibrated column.

    Examples
    --------
    >>> import numpy as np
    >>> s = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
    >>> y = np.array([0, 0, 1, 0, 1, 0, 1, 1])
    >>> BetaCalibration().fit(s, y).predict_proba([0.5])[:, 1].round(3)
    array([0.5])

    References
    ----------
    M. Kull, T. M. Silva Filho and P. Flach, "Beta calibration: a well-founded and easily implemented
    improvement on logistic calibration for binary classifiers", AISTATS 2017.
    """

    def _fit_binary(self, s, target, w):
        if np.any((s < 0) | (s > 1)):
            raise ValueError(f"scores must be probabilities in [0, 1] for beta calibration, got "
                             f"{_preview(s[(s < 0) | (s > 1)])}")
        x = beta_features(s)
        one = np.ones_like(s)
        c, a, b = fit_logistic(np.column_stack([one, x]), target, w, lam=RIDGE)
        if a < 0:
            c, b = fit_logistic(np.column_stack([one, x[:, 1]]), target, w, lam=RIDGE)
            a = 0.0
        elif b < 0:
            c, a = fit_logistic(np.column_stack([one, x[:, 0]]), target, w, lam=RIDGE)
            b = 0.0
        return np.array([a, b, c])

    def _predict_binary(self, params, s):
        if np.any((s < 0) | (s > 1)):
            raise ValueError(f"scores must be probabilities in [0, 1] for beta calibration, got "
                             f"{_preview(s[(s < 0) | (s > 1)])}")
        a, b, c = params
        x = beta_features(s)
        return expit(c + a * x[:, 0] + b * x[:, 1])
