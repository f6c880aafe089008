"""Diagnostics of a fitted classifier: training curve, reliability diagram, confusion matrix, decision boundary."""

from __future__ import annotations

import numpy as np

from .._validation import check_int
from ._figure import literal, new_figure

__all__ = ["plot_training_curve", "plot_reliability_diagram", "plot_confusion_matrix", "plot_decision_boundary",
           "reliability_bins", "wilson_interval"]


def _integer_axis(ax, unit):
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.ticklabel_format(axis="x", useOffset=False, style="plain")
    ax.set_xlabel(unit)


def _as_curve(values):
    """(steps, values) from a sequence of values (steps 1..n) or a pair (steps, values)."""
    if isinstance(values, tuple) and len(values) == 2:
        x, y = (np.asarray(v, dtype=np.float64).ravel() for v in values)
    else:
        y = np.asarray(values, dtype=np.float64).ravel()
        x = np.arange(1, y.size + 1, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"a curve needs one step per value, got {x.size} steps and {y.size} values")
    return x, y


def plot_training_curve(estimator, *, curves=None, unit=None, best=None, ylabel=None):
    r"""Loss per iteration (or epoch): the given log-loss ``curves``, else the estimator's own records.

    .. math:: L^{(t)} = -\frac1n \sum_i \log \hat p^{(t)}_{i, y_i}
        \quad\text{(the model after iteration or epoch } t\text{)}

    With ``curves`` (e.g. ``{"train": [...], "test": [...]}``, each a sequence of values at steps
    1, 2, ... or a pair ``(steps, values)``) each is drawn as one line. Without, the estimator's
    ``loss_curve_`` (the training objective, penalised: labelled so) and, when present,
    ``validation_loss_curve_`` are drawn. The x axis has integer ticks and names the ``unit``;
    neither axis uses offset notation. A curve of at most three points is drawn as points labelled
    with their values. ``best`` marks the step whose model was kept (early stopping).

    Parameters
    ----------
    estimator : fitted classifier
        Used for the title, the default unit (``"epoch"`` for a network with
        ``validation_loss_curve_``, else ``"iteration"``) and, without ``curves``, its records.
    curves : dict of str to sequence or (steps, values), optional
    unit : {"iteration", "epoch"}, optional
    best : int, optional
        The step to mark as kept.
    ylabel : str, optional
        Default ``"log loss (nats)"`` with ``curves``, ``"training objective (penalised)"`` without.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from crossentropy.plotting import plot_training_curve
    >>> fig = plot_training_curve(SimpleNamespace(loss_curve_=[0.69, 0.4, 0.3, 0.25]))
    >>> fig.axes[0].get_lines()[0].get_ydata().tolist(), fig.axes[0].get_xlabel()
    ([0.69, 0.4, 0.3, 0.25], 'iteration')

    References
    ----------
    Goodfellow, Bengio & Courville, *Deep Learning* (2016), §7.8 (learning curves, early stopping).
    """
    if unit is None:
        unit = "epoch" if hasattr(estimator, "validation_loss_curve_") else "iteration"
    if unit not in ("iteration", "epoch"):
        raise ValueError(f"unit must be 'iteration' or 'epoch', got {unit!r}")
    if curves is None:
        curve = getattr(estimator, "loss_curve_", None)
        if curve is None:
            raise ValueError(f"estimator must be fitted and have loss_curve_, got {type(estimator).__name__}")
        curves = {"training objective (penalised)": curve}
        val = getattr(estimator, "validation_loss_curve_", None)
        if val is not None and np.size(val):
            curves["validation log loss"] = val
        ylabel = ylabel or "training objective (penalised)"
    ylabel = ylabel or "log loss (nats)"
    drawn = {name: _as_curve(c) for name, c in curves.items() if c is not None}
    if not drawn or all(y.size == 0 for _, y in drawn.values()):
        raise ValueError("the training curve is empty: nothing to plot")
    fig = new_figure((6.5, 4.2))
    ax = fig.add_subplot()
    for i, (name, (x, y)) in enumerate(drawn.items()):
        if y.size <= 3:
            ax.plot(x, y, linestyle="none", marker="o", color=f"C{i}", label=literal(name))
            for xv, yv in zip(x, y):
                ax.annotate(f"{yv:.4f}", (xv, yv), textcoords="offset points", xytext=(6, 6), fontsize=9)
        else:
            ax.plot(x, y, marker="." if y.size < 30 else None, color=f"C{i}", linestyle="-" if i == 0 else "--",
                    label=literal(name))
    if best is not None:
        ax.axvline(best, color="gray", linestyle=":", label=f"kept: {unit} {int(best)}")
    _integer_axis(ax, unit)
    values = np.concatenate([y for _, y in drawn.values()])
    if np.all(values > 0) and values.max() / values.min() > 20:
        ax.set_yscale("log")
    else:
        ax.ticklabel_format(axis="y", useOffset=False, style="plain")
    ax.set_ylabel(ylabel)
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


def wilson_interval(successes, n, *, z: float = 1.959963984540054):
    r"""Wilson score interval of a binomial proportion (95 % by default).

    .. math::
        \frac{\hat p + \frac{z^2}{2n}}{1 + \frac{z^2}{n}} \pm
        \frac{z}{1 + \frac{z^2}{n}} \sqrt{\frac{\hat p (1 - \hat p)}{n} + \frac{z^2}{4 n^2}},
        \qquad \hat p = \text{successes} / n

    Parameters
    ----------
    successes, n : array_like of the same shape, ``0 <= successes <= n``, ``n >= 1``
    z : float, default the 97.5 % normal quantile

    Returns
    -------
    (lower, upper) : two ndarrays

    Examples
    --------
    >>> lo, hi = wilson_interval(3, 10)
    >>> round(float(lo), 4), round(float(hi), 4)   # statsmodels proportion_confint(3, 10, method="wilson")
    (0.1078, 0.6032)

    References
    ----------
    Wilson, "Probable inference, the law of succession, and statistical inference", JASA 22 (1927);
    Brown, Cai & DasGupta, "Interval estimation for a binomial proportion", Statist. Sci. 16 (2001).
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if np.any(n < 1) or np.any(k < 0) or np.any(k > n):
        raise ValueError(f"wilson_interval needs 0 <= successes <= n and n >= 1, got {successes!r} of {n!r}")
    p = k / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def reliability_bins(observed, score, n_bins: int = 10) -> dict:
    r"""Equal-count bins of ``score`` (by rank) with the observed rate, its Wilson interval and the ECE.

    The rows are sorted by ``score`` and cut into ``min(n_bins, n)`` consecutive groups of
    :math:`\lfloor n/B \rfloor` or :math:`\lceil n/B \rceil` rows (``numpy.array_split``); per bin
    :math:`b`: the mean score :math:`\mathrm{conf}(b)`, the observed rate :math:`\mathrm{acc}(b)`
    with its 95 % Wilson interval, the count :math:`n_b`, and

    .. math:: \mathrm{ECE} = \sum_b \frac{n_b}{n}\,\bigl|\mathrm{acc}(b) - \mathrm{conf}(b)\bigr|

    Parameters
    ----------
    observed : array_like of shape (n,), 0/1
    score : array_like of shape (n,), in [0, 1]
    n_bins : int, default 10

    Returns
    -------
    dict with ndarrays ``confidence``, ``observed``, ``count``, ``lower``, ``upper`` and the float ``ece``

    Examples
    --------
    >>> b = reliability_bins([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], n_bins=2)
    >>> b["count"].tolist(), b["observed"].tolist(), round(b["ece"], 3)
    ([2, 2], [0.0, 1.0], 0.175)

    References
    ----------
    Naeini, Cooper & Hauskrecht, "Obtaining well calibrated probabilities using Bayesian binning", AAAI
    2015 (ECE); Guo et al., "On calibration of modern neural networks", ICML 2017.
    """
    obs = np.asarray(observed, dtype=np.float64).ravel()
    score = np.asarray(score, dtype=np.float64).ravel()
    if obs.shape != score.shape or obs.size == 0:
        raise ValueError(f"observed and score must be 1-D, non-empty and of one length, got {obs.shape} and {score.shape}")
    n_bins = min(check_int(n_bins, "n_bins", low=1), score.size)
    order = np.argsort(score, kind="stable")
    groups = np.array_split(order, n_bins)
    count = np.array([g.size for g in groups])
    conf = np.array([score[g].mean() for g in groups])
    rate = np.array([obs[g].mean() for g in groups])
    lower, upper = wilson_interval(np.array([obs[g].sum() for g in groups]), count)
    ece = float(np.sum(count / score.size * np.abs(rate - conf)))
    return {"confidence": conf, "observed": rate, "count": count, "lower": lower, "upper": upper, "ece": ece}


def _split_title(split, n):
    return f" on {literal(split)} (n = {n:,})" if split else f" (n = {n:,})"


def plot_reliability_diagram(y_true, proba, *, classes=None, n_bins: int = 10, split=None, pos_label=None):
    r"""Reliability (calibration) diagram: observed frequency against predicted probability.

    Two classes: the fraction of ``pos_label`` (default ``classes[1]``) in each bin of
    :math:`\hat p = P(y = \text{pos})`. More classes: the top-label diagram, accuracy against
    confidence :math:`\max_k \hat p_k`. The bins hold equal counts of rows (:func:`reliability_bins`),
    each drawn at its mean prediction with a 95 % Wilson interval; a calibrated model lies on the
    diagonal. The expected calibration error (ECE) is printed on the figure, the split and the number
    of rows in the title. The lower panel is the histogram of the predictions, on a log count axis
    (imbalanced data put almost every row in one bar).

    Parameters
    ----------
    y_true : array_like of shape (n_samples,)
    proba : array_like of shape (n_samples, n_classes), or (n_samples,) for P(classes[1])
    classes : array_like of shape (n_classes,), optional
        Labels of the columns of ``proba`` (default: the sorted unique labels of ``y_true``).
    n_bins : int, default 10
    split : str, optional
        The name of the rows (``"test"``, ``"train"``, ...), for the title.
    pos_label : optional
        The positive class of a binary model.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from crossentropy.plotting import plot_reliability_diagram
    >>> fig = plot_reliability_diagram([0, 1, 1, 0], [0.2, 0.7, 0.9, 0.4], n_bins=2, split="test")
    >>> fig.axes[0].get_ylabel(), fig.axes[1].get_xlabel(), fig.axes[0].get_title()
    ('observed fraction of positives', 'predicted probability', 'Reliability on test (n = 4): P(y = 1)')

    References
    ----------
    Niculescu-Mizil & Caruana, "Predicting good probabilities with supervised learning", ICML 2005;
    Guo et al., "On calibration of modern neural networks", ICML 2017 (top-label diagram, ECE).
    """
    p = _proba_2d(proba)
    y = np.asarray(y_true)
    if y.shape != (p.shape[0],):
        raise ValueError(f"y_true must have shape ({p.shape[0]},) to match proba, got {y.shape}")
    classes = np.unique(y) if classes is None else np.asarray(classes)
    if classes.shape != (p.shape[1],):
        raise ValueError(f"classes must have one label per column of proba ({p.shape[1]}), got {classes.tolist()!r}")
    n_bins = check_int(n_bins, "n_bins", low=1)
    if p.shape[1] == 2:
        pos = classes[1] if pos_label is None else pos_label
        if not np.any(classes == pos):
            raise ValueError(f"pos_label must be one of {classes.tolist()!r}, got {pos_label!r}")
        j = int(np.flatnonzero(classes == pos)[0])
        observed, score, what = (y == pos).astype(int), p[:, j], f": P(y = {literal(pos)})"
        ylabel = "observed fraction of positives"
    else:
        observed = (classes[p.argmax(axis=1)] == y).astype(int)
        score, what, ylabel = p.max(axis=1), " (top label)", "accuracy"
    b = reliability_bins(observed, score, n_bins)
    fig = new_figure((5.8, 6.2))
    ax, ax_hist = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    ax.plot([0, 1], [0, 1], linestyle=":", color="gray", label="perfectly calibrated")
    ax.plot(b["confidence"], b["observed"], marker="o", color="C0",
            label=f"model: {b['count'].size} bins of ~{int(np.median(b['count']))} rows")
    ax.errorbar(b["confidence"], b["observed"], yerr=[np.maximum(b["observed"] - b["lower"], 0.0),
                                                     np.maximum(b["upper"] - b["observed"], 0.0)],
                fmt="none", ecolor="C0", alpha=0.6, capsize=3, label="95 % Wilson interval")
    ax.text(0.97, 0.05, f"ECE = {b['ece']:.3f}", transform=ax.transAxes, ha="right", va="bottom", fontsize=11,
            bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.8})
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel(ylabel)
    ax.set_title(f"Reliability{_split_title(split, score.size)}{what}")
    ax.legend(loc="upper left", fontsize=9)
    ax_hist.hist(score, bins=np.linspace(0.0, 1.0, 21), color="C1")
    ax_hist.set_yscale("log")
    ax_hist.set_xlim(0.0, 1.0)
    ax_hist.set_ylabel("count (log)")
    ax_hist.set_xlabel("predicted probability")
    return fig


def plot_confusion_matrix(y_true, y_pred, *, labels=None, split=None):
    r"""Confusion matrix :math:`C_{ij}` = number of samples of true class i predicted as class j.

    Counts come from ``sklearn.metrics.confusion_matrix``; cells are coloured by the row-normalised
    rate :math:`C_{ij} / \sum_j C_{ij}` and annotated with the count and that rate as a percentage
    (up to 20 classes); the title names the split and the number of rows.

    Parameters
    ----------
    y_true, y_pred : array_like of shape (n_samples,)
    labels : array_like of shape (n_classes,), optional
        Row/column order (default: sorted union of the labels seen).
    split : str, optional
        The name of the rows, for the title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from crossentropy.plotting import plot_confusion_matrix
    >>> fig = plot_confusion_matrix(["a", "b", "b"], ["a", "b", "a"], split="test")
    >>> fig.axes[0].images[0].get_array().data.tolist(), fig.axes[0].texts[2].get_text()
    ([[1.0, 0.0], [0.5, 0.5]], '1\n50.0%')

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
    size = min(3.5 + 0.6 * k, 11.0)
    fig = new_figure((size + 1.0, size))
    ax = fig.add_subplot()
    im = ax.imshow(rate, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(im, ax=ax, label="fraction of the true class (row)")
    if k <= 20:
        for i in range(k):
            for j in range(k):
                ax.text(j, i, f"{cm[i, j]}\n{100 * rate[i, j]:.1f}%", ha="center", va="center",
                        color="white" if rate[i, j] > 0.5 else "black", fontsize=7 if k > 8 else 10)
    names = [literal(v) for v in labels]
    if k <= 60:
        ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 3 else 0,
                      ha="right" if max(map(len, names)) > 3 else "center")
        ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    n = int(cm.sum())
    ax.set_title(f"Confusion matrix{_split_title(split, n)}, accuracy {np.trace(cm) / max(n, 1):.3f}")
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
    names = ["feature 0", "feature 1"] if feature_names is None else [literal(n) for n in feature_names]
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
        fig.colorbar(cs, ax=ax, label=f"P(y = {literal(classes[1])})")
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
                           label=literal(c))
        ax.legend(loc="best", title="class")
    ax.set_xlim(g0[0], g0[-1])
    ax.set_ylim(g1[0], g1[-1])
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title(f"Decision boundary: {type(estimator).__name__}")
    return fig
