r"""``PlattScaling``: a logistic curve on the scores (Platt 1999), with Platt's targets as scikit-learn uses them."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ._base import OneVsRestCalibrator
from ._logistic import fit_logistic


class PlattScaling(OneVsRestCalibrator):
    r"""Sigmoid calibration: :math:`\hat p = \sigma(a s + b)` fitted on held-out scores.

    The coefficients maximise the weighted Bernoulli likelihood of Platt's regularised targets

    .. math::
        t_i = \frac{N_+ + 1}{N_+ + 2} \text{ if } y_i = 1, \qquad t_i = \frac{1}{N_- + 2} \text{ if } y_i = 0,

    with :math:`N_\pm` the total sample weight of the positive and negative rows, exactly as
    scikit-learn's ``CalibratedClassifierCV(method="sigmoid")``; the fit is Newton's method to the
    optimum (scikit-learn stops L-BFGS at a gradient of 1e-6, so the two agree to about that).
    Multiclass: one curve per class on that class's score column (one-vs-rest), the probabilities
    divided by their row sum (the uniform distribution where all are zero).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    params_ : list of ndarray
        ``(a, b)`` for each calibrated column (one for two classes).

    Examples
    --------
    >>> import numpy as np
    >>> s = np.array([-2.0, -1.0, -0.5, 0.3, 0.8, 1.5, 2.0, -0.2])
    >>> y = np.array([0, 0, 1, 0, 1, 1, 1, 0])
    >>> cal = PlattScaling().fit(s, y)
    >>> cal.predict_proba([0.0]).round(3)
    array([[0.526, 0.474]])

    References
    ----------
    J. Platt, "Probabilistic outputs for support vector machines and comparisons to regularized
    likelihood methods", Advances in Large Margin Classifiers, 1999.
    """

    def _fit_binary(self, s, target, w):
        n_pos = float(np.sum(w[target == 1]))
        n_neg = float(np.sum(w[target == 0]))
        t = np.where(target == 1, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))
        scale = max(1.0, float(np.max(np.abs(s))))  # the fit on s / scale is the same curve, better conditioned
        X = np.column_stack([np.ones_like(s), s / scale])
        b, a = fit_logistic(X, t, w)
        return np.array([a / scale, b])

    def _predict_binary(self, params, s):
        return expit(params[0] * s + params[1])
