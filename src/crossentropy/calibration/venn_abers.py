r"""``VennAbers``: the inductive Venn–Abers predictor (Vovk & Petej 2014), binary and one-vs-rest."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from ._base import CalibratorMixin, normalise_ovr, score_columns


def _aggregate(s, target, w):
    """Distinct sorted scores, the total weight and the weighted label sum at each."""
    c, inv = np.unique(s, return_inverse=True)
    inv = inv.reshape(-1)
    return c, np.bincount(inv, weights=w, minlength=c.size), np.bincount(inv, weights=w * target, minlength=c.size)


def _p0_p1(c, W, S, s_test):
    """Isotonic values at each test score with the test point labelled 0 and 1 (weight one)."""
    from sklearn.isotonic import isotonic_regression

    pos = np.searchsorted(c, s_test)
    tie = (pos < c.size) & (c[np.minimum(pos, c.size - 1)] == s_test)
    key = 2 * pos + tie  # gaps at even keys, ties at odd ones
    keys, inverse = np.unique(key, return_inverse=True)
    out = np.empty((keys.size, 2))
    for r, k in enumerate(keys):
        j = k // 2
        for label in (0, 1):
            if k % 2:  # the test score equals c[j]: it joins that score's rows
                Wa, Sa = W.copy(), S.copy()
                Wa[j] += 1.0
                Sa[j] += label
                idx = j
            else:
                Wa, Sa = np.insert(W, j, 1.0), np.insert(S, j, float(label))
                idx = j
            fitted = isotonic_regression(Sa / Wa, sample_weight=Wa, increasing=True)
            out[r, label] = fitted[idx]
    return out[inverse.reshape(-1)]


class VennAbers(CalibratorMixin, BaseEstimator):
    r"""Inductive Venn–Abers calibration: a probability interval and its merged probability.

    For a test score :math:`s`, fit the (weighted) isotonic regression of the labels on the
    calibration scores together with the test point :math:`(s, 0)`: its value at :math:`s` is
    :math:`p_0`; with :math:`(s, 1)` instead, :math:`p_1`. The test point has weight one; a test score
    equal to a calibration score joins that score's rows (isotonic regression pools equal scores).
    The interval :math:`[p_0, p_1]` holds a well-calibrated probability (Vovk & Petej 2014); the
    merged probability is :math:`p = p_1 / (1 - p_0 + p_1)` (the minimiser of the worst-case log
    loss). Each distinct position of a test score among the calibration scores costs two isotonic
    fits of :math:`m + 1` points (:math:`m` distinct calibration scores).

    Multiclass: one-vs-rest on each class's score column; ``predict_proba`` divides the merged
    probabilities by their row sum, ``predict_interval`` gives each class's :math:`(p_0, p_1)`.
    The scores may be any monotone scale (decision values or probabilities): only their order counts.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)

    Examples
    --------
    >>> import numpy as np
    >>> s = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
    >>> y = np.array([0, 0, 1, 0, 1, 0, 1, 1])
    >>> va = VennAbers().fit(s, y)
    >>> p0, p1 = va.predict_interval([0.5])
    >>> round(float(p0[0]), 4), round(float(p1[0]), 4), va.predict_proba([0.5])[:, 1].round(4)
    (0.3333, 0.6667, array([0.5]))

    References
    ----------
    V. Vovk and I. Petej, "Venn-Abers predictors", UAI 2014.
    V. Vovk, I. Petej and V. Fedorova, "Large-scale probabilistic predictors with and without
    guarantees of validity", NeurIPS 2015.
    """

    def fit(self, scores, y, sample_weight=None):
        """Store the calibration scores (n,) or (n, K), labels (n,) and weights; returns self."""
        s, classes, codes, w = self._check_fit(scores, y, sample_weight)
        cols = score_columns(s, classes.size)
        self.tables_ = []
        for k in range(cols.shape[1]):
            target = (codes == (1 if classes.size == 2 else k)).astype(np.float64)
            self.tables_.append(_aggregate(cols[:, k], target, w))
        self.classes_ = classes
        self.n_classes_ = classes.size
        return self

    def predict_interval(self, scores):
        """``(p0, p1)``: shape (n,) each for two classes (of ``classes_[1]``), else (n, K)."""
        s = self._check_predict(scores)
        cols = score_columns(s, self.n_classes_)
        both = np.stack([_p0_p1(*table, cols[:, k]) for k, table in enumerate(self.tables_)], axis=1)
        p0, p1 = both[..., 0], both[..., 1]
        if self.n_classes_ == 2:
            return p0[:, 0], p1[:, 0]
        return p0, p1

    def predict_proba(self, scores):
        """Merged probabilities :math:`p_1/(1 - p_0 + p_1)`, normalised, shape (n_samples, n_classes)."""
        p0, p1 = self.predict_interval(scores)
        merged = p1 / (1.0 - p0 + p1)
        return normalise_ovr(merged.reshape(merged.shape[0], -1), self.n_classes_)
