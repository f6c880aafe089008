r"""Decisions from probabilities: ROC and precision–recall curves (scikit-learn's), and threshold tuning."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._validation import check_real


class RocCurve(NamedTuple):
    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray
    auc: float


class PrecisionRecallCurve(NamedTuple):
    precision: np.ndarray
    recall: np.ndarray
    thresholds: np.ndarray
    average_precision: float


class ThresholdCurve(NamedTuple):
    threshold: float
    best_score: float
    thresholds: np.ndarray
    scores: np.ndarray
    estimator: object


def roc(y_true, y_score, *, pos_label=None, sample_weight=None):
    """The ROC curve and its area: scikit-learn's ``roc_curve`` and ``roc_auc_score``, weighted.

    Returns
    -------
    RocCurve
        ``(fpr, tpr, thresholds, auc)``.

    Examples
    --------
    >>> r = roc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> r.auc
    0.75

    References
    ----------
    T. Fawcett, "An introduction to ROC analysis", Pattern Recognition Letters, 2006.
    """
    from sklearn.metrics import auc, roc_curve

    fpr, tpr, thr = roc_curve(y_true, y_score, pos_label=pos_label, sample_weight=sample_weight,
                              drop_intermediate=False)
    return RocCurve(fpr, tpr, thr, float(auc(fpr, tpr)))


def precision_recall(y_true, y_score, *, pos_label=None, sample_weight=None):
    """The precision–recall curve and the average precision: scikit-learn's functions, weighted.

    Returns
    -------
    PrecisionRecallCurve
        ``(precision, recall, thresholds, average_precision)``.

    Examples
    --------
    >>> round(precision_recall([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).average_precision, 4)
    0.8333

    References
    ----------
    J. Davis and M. Goadrich, "The relationship between precision-recall and ROC curves", ICML 2006.
    """
    from sklearn.metrics import average_precision_score, precision_recall_curve

    prec, rec, thr = precision_recall_curve(y_true, y_score, pos_label=pos_label, sample_weight=sample_weight)
    ap = average_precision_score(y_true, y_score, pos_label=1 if pos_label is None else pos_label,
                                 sample_weight=sample_weight)
    return PrecisionRecallCurve(prec, rec, thr, float(ap))


def _cost_score(fp_cost, fn_cost, pos_label):
    def neg_mean_cost(y_true, y_pred, sample_weight=None):
        w = np.ones(len(y_true)) if sample_weight is None else np.asarray(sample_weight, np.float64)
        pos_true = np.asarray(y_true) == pos_label
        pos_pred = np.asarray(y_pred) == pos_label
        cost = fp_cost * (~pos_true & pos_pred) + fn_cost * (pos_true & ~pos_pred)
        return -float(np.sum(w * cost) / np.sum(w))

    return neg_mean_cost


def tune_threshold(estimator, X, y, *, objective="f1", cv=5, sample_weight=None, n_thresholds=100,
                   random_state=None):
    r"""The decision threshold that maximises ``objective`` by cross-validation, and its curve.

    scikit-learn's ``TunedThresholdClassifierCV``: for each split the estimator is fitted on the
    training rows and the objective computed on the held-out rows at ``n_thresholds`` thresholds of
    its score (``predict_proba`` of the positive class, else ``decision_function``) spaced evenly
    between the smallest and largest held-out scores; the curves are averaged over the splits and the
    best threshold is taken; the estimator is refitted on all rows. Objectives: ``"f1"``,
    ``"balanced_accuracy"``, or ``("cost", fp, fn)``: minus the mean cost per row,
    :math:`-(c_{FP}\,\mathrm{FP} + c_{FN}\,\mathrm{FN}) / \sum w` (maximised). ``sample_weight``
    weighs the estimator's fit and the objective (through scikit-learn's metadata routing, switched
    on for this call only with ``sklearn.config_context``).

    Returns
    -------
    ThresholdCurve
        ``(threshold, best_score, thresholds, scores, estimator)``: the chosen threshold, its mean
        objective, the grid, the mean objective at each point, and the fitted
        ``TunedThresholdClassifierCV``.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from crossentropy import LogisticRegression
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = (X - X.mean(0)) / X.std(0)
    >>> t = tune_threshold(LogisticRegression(), X, y, objective=("cost", 1.0, 5.0), cv=3)
    >>> 0 < t.threshold < 0.5
    True

    References
    ----------
    C. Elkan, "The foundations of cost-sensitive learning", IJCAI 2001.
    """
    import sklearn
    from sklearn.base import clone
    from sklearn.metrics import make_scorer
    from sklearn.model_selection import TunedThresholdClassifierCV

    if isinstance(objective, tuple):
        if len(objective) != 3 or objective[0] != "cost":
            raise ValueError(f"objective must be 'f1', 'balanced_accuracy' or ('cost', fp, fn), got {objective!r}")
        fp = check_real(objective[1], "objective fp cost", low=0)
        fn = check_real(objective[2], "objective fn cost", low=0)
    elif objective not in ("f1", "balanced_accuracy"):
        raise ValueError(f"objective must be 'f1', 'balanced_accuracy' or ('cost', fp, fn), got {objective!r}")
    classes = np.unique(np.asarray(y))
    if classes.size != 2:
        raise ValueError(f"y must hold two classes for a decision threshold, got {classes.size}")
    pos = classes[1]
    with sklearn.config_context(enable_metadata_routing=True):
        est = clone(estimator)
        if sample_weight is not None:
            est.set_fit_request(sample_weight=True)
        if isinstance(objective, tuple):
            scorer = make_scorer(_cost_score(fp, fn, pos))
        elif objective == "f1":
            scorer = make_scorer(_f1, pos_label=pos)
        else:
            from sklearn.metrics import balanced_accuracy_score

            scorer = make_scorer(balanced_accuracy_score)
        scorer = scorer.set_score_request(sample_weight=True)
        tuned = TunedThresholdClassifierCV(est, scoring=scorer, cv=cv, thresholds=n_thresholds,
                                           store_cv_results=True, random_state=random_state)
        tuned.fit(X, y, **({} if sample_weight is None else {"sample_weight": np.asarray(sample_weight, np.float64)}))
    res = tuned.cv_results_
    return ThresholdCurve(float(tuned.best_threshold_), float(tuned.best_score_), np.asarray(res["thresholds"]),
                          np.asarray(res["scores"]), tuned)


def _f1(y_true, y_pred, *, pos_label, sample_weight=None):
    from sklearn.metrics import f1_score

    return f1_score(y_true, y_pred, pos_label=pos_label, sample_weight=sample_weight)
