"""Diagnostics of a fitted classifier: training curve, reliability diagram, confusion matrix, decision boundary."""

from __future__ import annotations

import numpy as np

from .._validation import check_int
from ._figure import new_figure

__all__ = ["plot_training_curve", "plot_reliability_diagram", "plot_confusion_matrix", "plot_decision_boundary"]


def plot_training_curve(estimator):
    r"""The training objective per iteration (``loss_curve_``), and ``validation_loss_curve_`` if any.

    .. math:: J^{(t)} = \text{objective after iteration (or epoch) } t

    Parameters
    ----------
    estimator : fitted classifier with ``loss_curve_`` (array of shape (n_iter,))

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from crossentropy.plotting import plot_training_curve
    >>> fig = plot_training_curve(SimpleNamespace(loss_curve_=[0.69, 0.4, 0.3]))
    >>> fig.axes[0].get_lines()[0].get_ydata().tolist()
    [0.69, 0.4, 0.3]

    References
    ----------
    Goodfellow, Bengio & Courville, *Deep Learning* (2016), §7.8 (learning curves, early stopping).
    """
    curve = getattr(estimator, "loss_curve_", None)
    if curve is None:
        raise ValueError(f"estimator must be fitted and have loss_curve_, got {type(estimator).__name__}")
    curve = np.asarray(curve, dtype=np.float64).ravel()
    if curve.size == 0:
        raise ValueError("estimator.loss_curve_ is empty: nothing to plot")
    val = getattr(estimator, "validation_loss_curve_", None)
    fig = new_figure((6.0, 4.0))
    ax = fig.add_subplot()
    x = np.arange(1, curve.size + 1)
    ax.plot(x, curve, marker="." if curve.size < 30 else None, label="training objective")
    if val is not None and np.size(val):
        val = np.asarray(val, dtype=np.float64).ravel()
        ax.plot(np.arange(1, val.size + 1), val, linestyle="--", label="validation loss")
    if np.all(curve > 0) and curve.max() / curve.min() > 20:
        ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.set_title(f"Training curve: {type(estimator).__name__}")
    ax.legend(loc="best")
    return fig


def _proba_2d(proba):
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim == 1:
        p = np.column_stack([1.0 - p, p])
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError(f"proba must have shape (n_samples,) or (n_samples, n_classes >= 2), got {p.shape}")
    return p


def plot_reliability_diagram(y_true, proba, *, classes=None, n_bins: int = 10):
    r"""Reliability (calibration) diagram: observed frequency against predicted probability.

    Two classes: the fraction of positives in each bin of :math:`\hat p = P(y = \text{classes}[1])`.
    More classes: the top-label diagram, accuracy against confidence :math:`\max_k \hat p_k`. Both use
    ``sklearn.calibration.calibration_curve`` (uniform bins); the lower panel is the histogram of the
    predicted probabilities. A calibrated model lies on the diagonal. The expected calibration error

    .. math:: \mathrm{ECE} = \sum_b \frac{n_b}{n}\,\bigl|\mathrm{acc}(b) - \mathrm{conf}(b)\bigr|

    is shown in the legend.

    Parameters
    ----------
    y_true : array_like of shape (n_samples,)
    proba : array_like of shape (n_samples, n_classes), or (n_samples,) for P(classes[1])
    classes : array_like of shape (n_classes,), optional
        Labels of the columns of ``proba`` (default: the sorted unique labels of ``y_true``).
    n_bins : int, default 10

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from crossentropy.plotting import plot_reliability_diagram
    >>> fig = plot_reliability_diagram([0, 1, 1, 0], [0.2, 0.7, 0.9, 0.4], n_bins=2)
    >>> fig.axes[0].get_ylabel(), fig.axes[1].get_xlabel()
    ('observed fraction of positives', 'predicted probability')

    References
    ----------
    Niculescu-Mizil & Caruana, "Predicting good probabilities with supervised learning", ICML 2005;
    Guo et al., "On calibration of modern neural networks", ICML 2017 (top-label diagram, ECE).
    """
    from sklearn.calibration import calibration_curve

    p = _proba_2d(proba)
    y = np.asarray(y_true)
    if y.shape != (p.shape[0],):
        raise ValueError(f"y_true must have shape ({p.shape[0]},) to match proba, got {y.shape}")
    classes = np.unique(y) if classes is None else np.asarray(classes)
    if classes.shape != (p.shape[1],):
        raise ValueError(f"classes must have one label per column of proba ({p.shape[1]}), got {classes.tolist()!r}")
    n_bins = check_int(n_bins, "n_bins", low=1)
    if p.shape[1] == 2:
        observed, score, title = (y == classes[1]).astype(int), p[:, 1], f"Reliability: P(y = {classes[1]})"
        ylabel = "observed fraction of positives"
    else:
        observed = (classes[p.argmax(axis=1)] == y).astype(int)
        score, title, ylabel = p.max(axis=1), "Reliability (top label)", "accuracy"
    frac, mean_pred = calibration_curve(observed, score, n_bins=n_bins, strategy="uniform")
    counts = np.histogram(score, bins=np.linspace(0.0, 1.0, n_bins + 1))[0]
    nonzero = counts[counts > 0]
    ece = float(np.sum(nonzero / score.size * np.abs(frac - mean_pred)))
    fig = new_figure((5.5, 6.0))
    ax, ax_hist = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    ax.plot([0, 1], [0, 1], linestyle=":", color="gray", label="perfectly calibrated")
    ax.plot(mean_pred, frac, marker="o", label=f"model (ECE = {ece:.3f})")
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="upper left")
    ax_hist.hist(score, bins=np.linspace(0.0, 1.0, n_bins + 1), color="C1")
    ax_hist.set_xlim(0.0, 1.0)
    ax_hist.set_ylabel("count")
    ax_hist.set_xlabel("predicted probability")
    return fig


def plot_confusion_matrix(y_true, y_pred, *, labels=None):
    r"""Confusion matrix :math:`C_{ij}` = number of samples of true class i predicted as class j.

    Counts come from ``sklearn.metrics.confusion_matrix``; cells are coloured by the row-normalised
    rate :math:`C_{ij} / \sum_j C_{ij}` and annotated with the counts.

    Parameters
    ----------
    y_true, y_pred : array_like of shape (n_samples,)
    labels : array_like of shape (n_classes,), optional
        Row/column order (default: sorted union of the labels seen).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from crossentropy.plotting import plot_confusion_matrix
    >>> fig = plot_confusion_matrix(["a", "b", "b"], ["a", "b", "a"])
    >>> fig.axes[0].images[0].get_array().data.tolist()
    [[1.0, 0.0], [0.5, 0.5]]

    References
    ----------
    Fawcett, "An introduction to ROC analysis", *Pattern Recognition Letters* 27 (2006).
    """
    from sklearn.metrics import confusion_matrix

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D of the same length, got shapes {y_true.shape} and {y_pred.shape}")
    labels = np.unique(np.concatenate([y_true, y_pred])) if labels is None else np.asarray(labels)
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    rows = cm.sum(axis=1, keepdims=True)
    rate = np.divide(cm, rows, out=np.zeros(cm.shape, dtype=np.float64), where=rows > 0)
    k = len(labels)
    size = min(3.0 + 0.5 * k, 10.0)
    fig = new_figure((size + 1.0, size))
    ax = fig.add_subplot()
    im = ax.imshow(rate, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(im, ax=ax, label="fraction of the true class")
    if k <= 20:
        for i in range(k):
            for j in range(k):
                ax.text(j, i, str(cm[i, j]), ha="center", va="center",
                        color="white" if rate[i, j] > 0.5 else "black", fontsize=9 if k > 8 else 11)
    names = [str(v) for v in labels]
    ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 3 else 0, ha="right" if max(map(len, names)) > 3 else "center")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"Confusion matrix (accuracy {np.trace(cm) / max(cm.sum(), 1):.3f})")
    return fig


def plot_decision_boundary(estimator, X, y, *, feature_names=None, transform=None, grid_resolution: int = 200):
    r"""Predicted probabilities over the plane of two features, with the data on top.

    Two classes: the colour is :math:`P(y = \text{classes}[1] \mid x)` and the line is the decision
    boundary :math:`P = 1/2` (for logistic regression the line :math:`w^\top x + b = 0`). More
    classes: the colour is the predicted class, lighter where the top probability is lower.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba`` and ``classes_``
    X : array_like of shape (n_samples, 2)
        The two features, in the units to plot.
    y : array_like of shape (n_samples,)
    feature_names : sequence of two str, optional
    transform : callable, optional
        Maps a (m, 2) array of plotted points to the estimator's input (e.g. the fitted
        preprocessing). Default: identity.
    grid_resolution : int, default 200

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from crossentropy.plotting import plot_decision_boundary
    >>> X = np.array([[0., 0.], [1., 1.], [0., 1.], [1., 0.]]); y = np.array([0, 1, 1, 0])
    >>> fig = plot_decision_boundary(LogisticRegression().fit(X, y), X, y, feature_names=["a", "b"])
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()
    ('a', 'b')

    References
    ----------
    Hastie, Tibshirani & Friedman, *The Elements of Statistical Learning* (2nd ed., 2009), §4.4.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have exactly two feature columns for a decision-boundary plot, got shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    grid_resolution = check_int(grid_resolution, "grid_resolution", low=2)
    names = ["feature 0", "feature 1"] if feature_names is None else [str(n) for n in feature_names]
    if len(names) != 2:
        raise ValueError(f"feature_names must hold two names, got {feature_names!r}")
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.where(hi > lo, 0.05 * (hi - lo), 0.5)
    g0 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], grid_resolution)
    g1 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], grid_resolution)
    xx, yy = np.meshgrid(g0, g1)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    proba = _proba_2d(estimator.predict_proba(grid if transform is None else transform(grid)))
    classes = np.asarray(estimator.classes_)
    fig = new_figure((6.5, 5.0))
    ax = fig.add_subplot()
    if proba.shape[1] == 2:
        pz = proba[:, 1].reshape(xx.shape)
        cs = ax.contourf(xx, yy, pz, levels=np.linspace(0.0, 1.0, 11), cmap="RdBu_r", alpha=0.75)
        fig.colorbar(cs, ax=ax, label=f"P(y = {classes[1]})")
        if pz.min() < 0.5 < pz.max():
            ax.contour(xx, yy, pz, levels=[0.5], colors="k", linewidths=1.5)
        cmap_points = {classes[0]: "#2166ac", classes[1]: "#b2182b"}
        colors = [cmap_points.get(v, "gray") for v in y]
        ax.scatter(X[:, 0], X[:, 1], c=colors, edgecolors="k", linewidths=0.4, s=18)
    else:
        from matplotlib.colors import ListedColormap

        k = proba.shape[1]
        palette = [f"C{i % 10}" for i in range(k)]
        top = proba.argmax(axis=1).reshape(xx.shape)
        ax.contourf(xx, yy, top, levels=np.arange(k + 1) - 0.5, cmap=ListedColormap(palette), alpha=0.35)
        ax.contour(xx, yy, proba.max(axis=1).reshape(xx.shape), levels=[0.5, 0.8], colors="k", linewidths=0.5,
                   linestyles=[":", "--"])
        index = {c: i for i, c in enumerate(classes.tolist())}
        for c in classes.tolist():
            mask = y == c
            if mask.any():
                ax.scatter(X[mask, 0], X[mask, 1], color=palette[index[c]], edgecolors="k", linewidths=0.4, s=18,
                           label=str(c))
        ax.legend(loc="best", title="class")
    ax.set_xlim(g0[0], g0[-1])
    ax.set_ylim(g1[0], g1[-1])
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title(f"Decision boundary: {type(estimator).__name__}")
    return fig
