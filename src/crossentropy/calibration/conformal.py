r"""``ConformalClassifier``: split-conformal prediction sets (LAC and APS scores, optionally per class)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from .._validation import _preview, check_bool, check_option, check_real, check_sample_weight

#: the tolerance of a score's comparison with the quantile (MAPIE's, so that equal sets come out)
EPSILON = 1e-8


def conformal_quantile(scores, w, alpha: float) -> float:
    r"""The split-conformal quantile: the smallest score :math:`s_{(j)}` with
    :math:`\sum_{i \le j} w_{(i)} \ge (W + 1)(1 - \alpha)` (:math:`W = \sum w`; scores sorted);
    unweighted, the :math:`\lceil (n+1)(1-\alpha) \rceil`-th smallest score, the quantile of level
    :math:`\lceil (n+1)(1-\alpha) \rceil / n`. :math:`+\infty` when no score reaches it (too few rows
    for that α: every class is then in the set)."""
    order = np.argsort(scores, kind="stable")
    cum = np.cumsum(w[order])
    need = (cum[-1] + 1.0) * (1.0 - alpha) if cum.size else np.inf
    # integer weights: cum >= need  <=>  cum >= ceil(need); the slack absorbs the rounding of need
    j = np.searchsorted(cum, need - 1e-9 * max(1.0, need), side="left")
    return float(scores[order][j]) if j < cum.size else np.inf


def _sorted_cumsum(P):
    """Cumulative sums of each row's probabilities in decreasing order, returned in the original order."""
    order = np.flip(np.argsort(P, axis=1), axis=1)
    cum_sorted = np.cumsum(np.take_along_axis(P, order, axis=1), axis=1)
    return np.take_along_axis(cum_sorted, np.argsort(order, axis=1), axis=1)


class ConformalClassifier(BaseEstimator):
    r"""Split-conformal prediction sets from a fitted classifier's probabilities.

    ``fit(X_cal, y_cal)`` computes the conformity score of each calibration row from
    ``estimator.predict_proba`` (:math:`p`, columns in the order of ``classes_``):

    - ``"lac"`` (least ambiguous set-valued classifier): :math:`1 - p_y`;
    - ``"aps"`` (adaptive prediction sets): the sum of the probabilities of the classes ranked at or
      above :math:`y`, minus :math:`u\,p_y` with :math:`u \sim U(0, 1)` (randomised, as MAPIE's
      ``APSConformityScore``, :math:`u` drawn by ``numpy.random.RandomState(random_state)``).

    ``predict_set(X, alpha)`` uses the quantile :math:`q` of :func:`conformal_quantile` (the
    :math:`\lceil (n+1)(1-\alpha)\rceil`-th smallest score; with ``sample_weight`` the weighted
    version, so that integer weights equal repeated rows). LAC: class :math:`k` is in the set when
    :math:`1 - p_k \le q`. APS (``include_last_label``, MAPIE's options and default): classes in
    decreasing probability up to and including the first whose cumulative sum reaches :math:`q`
    (``True``), or up to the last whose cumulative sum stays at most :math:`q` (``False``, at least
    the top class), or (``"randomized"``) the ``True`` set whose last class is kept only when
    :math:`(c - q)/p_{last} \le u'` (:math:`c` its cumulative sum, :math:`u' \sim U(0,1)` drawn as
    above). Comparisons allow :math:`10^{-8}` as MAPIE's do. With ``mondrian=True`` each class has its
    own quantile :math:`q_k` from the calibration rows of that class, and class :math:`k` is in the
    set when its score at :math:`x` (LAC: :math:`1 - p_k`; APS: the cumulative probability down to
    :math:`k`, without randomisation) is at most :math:`q_k`: coverage :math:`\ge 1 - \alpha` within
    each class.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba`` (or a scikit-learn ``FrozenEstimator``)
    method : {"lac", "aps"}, default="lac"
    cv : "prefit"
        The estimator is fitted already; the rows given to ``fit`` are the calibration split.
    mondrian : bool, default=False
    include_last_label : {True, False, "randomized"}, default=True
    random_state : int or None

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    conformity_scores_ : ndarray of shape (n_calibration,)

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from crossentropy import LogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> est = LogisticRegression().fit(X[::2], y[::2])
    >>> cc = ConformalClassifier(est).fit(X[1::2], y[1::2])
    >>> cc.predict_set(X[:3], alpha=0.1)
    array([[ True, False, False],
           [ True, False, False],
           [ True, False, False]])

    References
    ----------
    M. Sadinle, J. Lei and L. Wasserman, "Least ambiguous set-valued classifiers with bounded error
    levels", JASA 2019.
    Y. Romano, M. Sesia and E. Candès, "Classification with valid and adaptive coverage", NeurIPS 2020.
    V. Vovk, "Conditional validity of inductive conformal predictors", ACML 2012 (Mondrian).
    """

    def __init__(self, estimator=None, *, method="lac", cv="prefit", mondrian=False, include_last_label=True,
                 random_state=None):
        self.estimator = estimator
        self.method = method
        self.cv = cv
        self.mondrian = mondrian
        self.include_last_label = include_last_label
        self.random_state = random_state

    def _proba(self, X):
        P = np.asarray(self.estimator.predict_proba(X), dtype=np.float64)
        if P.ndim != 2 or P.shape[1] != self.classes_.size:
            raise ValueError(f"estimator.predict_proba must return one column per class, got shape {P.shape}")
        return P

    def fit(self, X, y, sample_weight=None):
        """Compute the conformity scores of the calibration rows ``X``, ``y``; returns self."""
        from sklearn.utils.validation import check_is_fitted

        check_option(self.method, "method", ("lac", "aps"))
        check_bool(self.mondrian, "mondrian")
        if self.include_last_label not in (True, False, "randomized"):
            raise ValueError(f"include_last_label must be True, False or 'randomized', got {self.include_last_label!r}")
        if not (isinstance(self.cv, str) and self.cv == "prefit"):
            raise ValueError(f"cv must be 'prefit' (a fitted estimator and a calibration split), got {self.cv!r}")
        if self.estimator is None or not hasattr(self.estimator, "predict_proba"):
            raise TypeError("estimator must be a fitted classifier with predict_proba")
        check_is_fitted(self.estimator)
        self.classes_ = np.asarray(self.estimator.classes_)
        y = np.asarray(y)
        P = self._proba(X)
        if y.ndim != 1 or y.shape[0] != P.shape[0]:
            raise ValueError(f"y must have shape ({P.shape[0]},), got {y.shape}")
        codes = np.searchsorted(self.classes_, y)
        codes = np.minimum(codes, self.classes_.size - 1)
        if np.any(self.classes_[codes] != y):
            raise ValueError(f"y holds labels the estimator does not know: {_preview(np.unique(y[self.classes_[codes] != y]))}")
        w = check_sample_weight(sample_weight, y.shape[0])
        self.sample_weight_ = np.ones(y.shape[0]) if w is None else np.asarray(w, np.float64)
        rows = np.arange(y.shape[0])
        if self.method == "lac":
            scores = 1.0 - P[rows, codes]
        else:
            scores = _sorted_cumsum(P)[rows, codes]
            if not self.mondrian:
                u = np.random.RandomState(self.random_state).uniform(size=y.shape[0])
                scores = scores - u * P[rows, codes]
        self.conformity_scores_ = scores
        self.codes_ = codes
        return self

    def _quantiles(self, alpha):
        w = self.sample_weight_
        if not self.mondrian:
            return conformal_quantile(self.conformity_scores_, w, alpha)
        return np.array([conformal_quantile(self.conformity_scores_[self.codes_ == k], w[self.codes_ == k], alpha)
                         for k in range(self.classes_.size)])

    def predict_set(self, X, alpha):
        """Boolean prediction sets, shape (n_samples, n_classes): ``[i, k]`` is True when class k is in row i's set."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "conformity_scores_")
        alpha = check_real(alpha, "alpha", low=0, high=1, low_open=True, high_open=True)
        q = self._quantiles(alpha)
        P = self._proba(X)
        if self.mondrian:
            score = 1.0 - P if self.method == "lac" else _sorted_cumsum(P)
            return score - q[None, :] <= EPSILON
        if self.method == "lac":
            return (1.0 - P) - q <= EPSILON
        return self._aps_sets(P, q)

    def _aps_sets(self, P, q):
        cum = _sorted_cumsum(P)
        if self.include_last_label is False:
            cap = np.maximum(q, cum.min(axis=1))
            last = np.argmax(np.ma.masked_greater(cum - cap[:, None], EPSILON), axis=1)
        else:
            last = np.ma.masked_less(cum - q, -EPSILON).argmin(axis=1)
        rows = np.arange(P.shape[0])
        p_last = P[rows, last]
        tiny = p_last <= EPSILON  # a zero last probability: the smallest positive one instead
        if tiny.any():
            p_last = np.where(tiny, np.min(np.where(P < EPSILON, np.inf, P), axis=1), p_last)
        sets = P - p_last[:, None] >= -EPSILON
        if self.include_last_label == "randomized":
            v = (cum[rows, last] - q) / p_last
            u = np.random.RandomState(self.random_state).uniform(size=P.shape[0])
            sets[rows, last] = v - u <= EPSILON
        return sets

    def coverage_table(self, X, y, alpha, sample_weight=None):
        """Coverage and mean set size per class on labelled rows, and over all rows (the last row, "all").

        Returns a pandas DataFrame indexed by class with columns ``support`` (weighted row count),
        ``coverage`` (weighted share of rows whose set holds their label) and ``mean_set_size``.
        """
        import pandas as pd

        sets = self.predict_set(X, alpha)
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != sets.shape[0]:
            raise ValueError(f"y must have shape ({sets.shape[0]},), got {y.shape}")
        codes = np.minimum(np.searchsorted(self.classes_, y), self.classes_.size - 1)
        if np.any(self.classes_[codes] != y):
            raise ValueError(f"y holds labels the estimator does not know: {_preview(np.unique(y[self.classes_[codes] != y]))}")
        w = check_sample_weight(sample_weight, y.shape[0])
        w = np.ones(y.shape[0]) if w is None else np.asarray(w, np.float64)
        hit = sets[np.arange(y.shape[0]), codes].astype(np.float64)
        size = sets.sum(axis=1).astype(np.float64)
        rows = []
        for k in range(self.classes_.size):
            m = codes == k
            tot = w[m].sum()
            rows.append((tot, np.sum(w[m] * hit[m]) / tot if tot > 0 else np.nan,
                         np.sum(w[m] * size[m]) / tot if tot > 0 else np.nan))
        rows.append((w.sum(), np.sum(w * hit) / w.sum(), np.sum(w * size) / w.sum()))
        index = [*self.classes_.tolist(), "all"]
        return pd.DataFrame(rows, index=index, columns=["support", "coverage", "mean_set_size"])
