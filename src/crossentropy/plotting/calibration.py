"""Figures of calibration and decisions: reliability before and after calibration, ROC and PR curves, a threshold's curve."""

from __future__ import annotations

import numpy as np

from .._validation import check_int
from ._figure import literal, new_figure

__all__ = ["plot_reliability_comparison", "plot_roc_pr", "plot_threshold_curve"]


def _outcome(y, p, classes, pos_label):
    """(observed 0/1, score) of a binary model's positive class, or the top label of more classes."""
    if p.shape[1] == 2:
        pos = classes[1] if pos_label is None else pos_label
        j = int(np.flatnonzero(classes == pos)[0])
        return (y == pos).astype(int), p[:, j]
    return (classes[p.argmax(axis=1)] == y).astype(int), p.max(axis=1)


def plot_reliability_comparison(y_true, probas: dict, *, classes, n_bins: int = 10, pos_label=None, rows=None):
    r"""Reliability diagrams of several probability sets on the same rows (e.g. before and after calibration).

    Each entry of ``probas`` (label -> (n, K) probabilities) is drawn as one line: the rows are cut
    into ``n_bins`` equal-count bins of the score (:func:`crossentropy.plotting.diagnostics.reliability_bins`),
    each bin drawn at its mean score :math:`\mathrm{conf}(b) = \frac1{n_b}\sum_{i \in b} s_i` against its
    observed rate :math:`\mathrm{acc}(b) = \frac1{n_b}\sum_{i \in b} o_i`. Two classes: the probability of ``pos_label`` (default ``classes[1]``); more: the top label.

    Parameters
    ----------
    y_true : array_like of shape (n,)
    probas : dict of str to array_like of shape (n, n_classes)
    classes : array_like of shape (n_classes,)
    n_bins : int, default 10
    pos_label : optional
    rows : str, optional
        What the rows are, for the title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.1, 0.9]])
    >>> fig = plot_reliability_comparison([0, 1, 1, 1], {"before": p, "after": p}, classes=[0, 1], n_bins=2)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['perfectly calibrated', 'before', 'after']

    References
    ----------
    Niculescu-Mizil & Caruana, "Predicting good probabilities with supervised learning", ICML 2005.
    """
    from .diagnostics import reliability_bins

    n_bins = check_int(n_bins, "n_bins", low=1)
    y, classes = np.asarray(y_true), np.asarray(classes)
    fig = new_figure((5.6, 5.0))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], linestyle=":", color="gray", label="perfectly calibrated")
    for label, proba in probas.items():
        observed, score = _outcome(y, np.asarray(proba, np.float64), classes, pos_label)
        b = reliability_bins(observed, score, n_bins)
        ax.plot(b["confidence"], b["observed"], marker="o", label=literal(label))
    two = classes.size == 2
    ax.set_xlabel("predicted probability" if two else "confidence (top label)")
    ax.set_ylabel("observed fraction of positives" if two else "accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(f"Reliability{'' if rows is None else ' on ' + literal(rows)} (n = {y.size:,}, {n_bins} equal-count bins)",
                 fontsize=9, wrap=True)
    ax.legend(loc="upper left", fontsize=8)
    return fig


def plot_roc_pr(y_true, proba, *, classes, pos_label=None):
    """ROC and precision–recall curves: of ``pos_label`` for two classes, one-vs-rest per class for more.

    The areas (ROC AUC, average precision) are scikit-learn's (:func:`crossentropy.calibration.roc`,
    :func:`crossentropy.calibration.precision_recall`) and are printed in the legends; at most 10
    classes are drawn one-vs-rest (the first 10 in the order of ``classes``).

    Parameters
    ----------
    y_true : array_like of shape (n,)
    proba : array_like of shape (n, n_classes)
    classes : array_like of shape (n_classes,)
    pos_label : optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_roc_pr([0, 0, 1, 1], [[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]], classes=[0, 1])
    >>> fig.axes[0].get_legend().get_texts()[0].get_text()
    'P(y = 1): AUC 0.750'

    References
    ----------
    T. Fawcett, "An introduction to ROC analysis", Pattern Recognition Letters, 2006.
    """
    from ..calibration import precision_recall, roc

    y, p, classes = np.asarray(y_true), np.asarray(proba, np.float64), np.asarray(classes)
    if classes.size == 2:
        pos = classes[1] if pos_label is None else pos_label
        cols = [(int(np.flatnonzero(classes == pos)[0]), pos)]
    else:
        cols = [(j, c) for j, c in enumerate(classes[:10]) if np.any(y == c) and not np.all(y == c)]
    fig = new_figure((9.0, 4.2))
    ax_roc, ax_pr = fig.subplots(1, 2)
    ax_roc.plot([0, 1], [0, 1], linestyle=":", color="gray")
    for j, c in cols:
        hit = (y == c).astype(int)
        r = roc(hit, p[:, j])
        pr = precision_recall(hit, p[:, j])
        ax_roc.plot(r.fpr, r.tpr, label=f"P(y = {literal(c)}): AUC {r.auc:.3f}")
        ax_pr.step(pr.recall, pr.precision, where="post", label=f"P(y = {literal(c)}): AP {pr.average_precision:.3f}")
    ax_roc.set(xlabel="false positive rate", ylabel="true positive rate", xlim=(0, 1), ylim=(0, 1.02),
               title="ROC" + ("" if classes.size == 2 else " (one vs rest)"))
    ax_pr.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02),
              title="Precision-recall" + ("" if classes.size == 2 else " (one vs rest)"))
    ax_roc.legend(loc="lower right", fontsize=7)
    ax_pr.legend(loc="lower left", fontsize=7)
    return fig


def plot_threshold_curve(thresholds, scores, *, threshold, objective: str):
    """The cross-validated objective against the decision threshold, the chosen threshold marked.

    Parameters
    ----------
    thresholds, scores : array_like of shape (m,)
        The grid and the mean objective over the folds at each point
        (:func:`crossentropy.calibration.tune_threshold`).
    threshold : float
        The chosen threshold.
    objective : str
        Its name, for the axis.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_threshold_curve([0.1, 0.5, 0.9], [0.6, 0.8, 0.5], threshold=0.5, objective="f1")
    >>> fig.axes[0].get_ylabel()
    'f1 (mean over the folds)'

    References
    ----------
    C. Elkan, "The foundations of cost-sensitive learning", IJCAI 2001.
    """
    t, s = np.asarray(thresholds, np.float64), np.asarray(scores, np.float64)
    fig = new_figure((5.6, 3.8))
    ax = fig.subplots()
    ax.plot(t, s, color="C0")
    ax.axvline(threshold, color="C3", linestyle="--", label=f"chosen threshold {threshold:.3f}")
    ax.set_xlabel("decision threshold on P(positive class)")
    ax.set_ylabel(f"{objective} (mean over the folds)")
    ax.set_title("Threshold tuned by cross-validation on the training split", fontsize=9)
    ax.legend(loc="best", fontsize=8)
    return fig
