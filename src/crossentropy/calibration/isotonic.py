r"""``IsotonicCalibration``: scikit-learn's isotonic regression of the labels on the scores, optionally strictly increasing."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from .._validation import check_bool
from ._base import OneVsRestCalibrator

#: weight of the strictly increasing logistic term in the strictly monotone map (see the class docstring)
STRICT_ETA = 1e-6


class IsotonicCalibration(OneVsRestCalibrator):
    r"""Isotonic calibration: the non-decreasing step function of the score closest to the labels.

    :math:`\hat g = \arg\min_{g \text{ non-decreasing}} \sum_i w_i (y_i - g(s_i))^2`, fitted and
    evaluated by scikit-learn's ``IsotonicRegression(out_of_bounds="clip")``: linear interpolation
    between the fitted thresholds, constant beyond the extreme scores, equal scores pooled.
    Multiclass: one-vs-rest, normalised as in :class:`PlattScaling`.

    ``strictly_monotone=True`` keeps the ranking of the scores, so that the ROC AUC of the calibrated
    probabilities equals that of the scores (a step function ties all scores of a block and changes
    the AUC). The step function has blocks :math:`B_1, \dots, B_J` (maximal runs of thresholds with
    one value), with values :math:`v_1 < \dots < v_J` and score ranges :math:`[l_j, r_j]`. Let
    :math:`h` be the piecewise-linear interpolation through the block midpoints
    :math:`((l_j + r_j)/2, v_j)`, constant beyond the first and the last, and
    :math:`F(s) = \sigma((s - \bar s)/\mathrm{sd}(s))` with the weighted mean and standard deviation
    of the calibration scores. The strictly monotone map is

    .. math:: g_s(s) = (1 - \eta)\,h(s) + \eta\,F(s), \qquad \eta = 10^{-6},

    strictly increasing on the whole real line (:math:`h` non-decreasing, :math:`F` strictly
    increasing), with values in :math:`[0, 1]`. Inside a block it interpolates between the
    neighbouring block values instead of holding the block's mean. Two scores so close that float64
    cannot separate their images may still tie.

    Parameters
    ----------
    strictly_monotone : bool, default=False

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    params_ : list
        The fitted ``IsotonicRegression`` of each column (with the strictly monotone map's knots).

    Examples
    --------
    >>> import numpy as np
    >>> s = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
    >>> y = np.array([0, 1, 0, 0, 1, 0, 1, 1])
    >>> IsotonicCalibration().fit(s, y).predict_proba([0.35, 0.75])[:, 1].round(3)
    array([0.333, 0.75 ])

    References
    ----------
    B. Zadrozny and C. Elkan, "Transforming classifier scores into accurate multiclass probability
    estimates", KDD 2002.
    """

    def __init__(self, strictly_monotone=False):
        self.strictly_monotone = strictly_monotone

    def _check_params(self):
        check_bool(self.strictly_monotone, "strictly_monotone")

    def _fit_binary(self, s, target, w):
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(out_of_bounds="clip").fit(s, target, sample_weight=w)
        if not self.strictly_monotone:
            return (iso, None)
        xt, yt = iso.X_thresholds_, iso.y_thresholds_
        starts = np.r_[True, yt[1:] != yt[:-1]]  # the first threshold of each block
        first = np.flatnonzero(starts)
        last = np.r_[first[1:] - 1, yt.size - 1]
        mids = 0.5 * (xt[first] + xt[last])
        vals = yt[first]
        mean = float(np.sum(w * s) / np.sum(w))
        sd = float(np.sqrt(np.sum(w * (s - mean) ** 2) / np.sum(w)))
        return (iso, (mids, vals, mean, sd if sd > 0 else 1.0))

    def _predict_binary(self, params, s):
        iso, strict = params
        if strict is None:
            return iso.predict(s)
        mids, vals, mean, sd = strict
        h = np.interp(s, mids, vals)
        return (1.0 - STRICT_ETA) * h + STRICT_ETA * expit((s - mean) / sd)
