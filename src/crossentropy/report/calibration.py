"""The calibration and decision sections of ``report.html``: how sure the numbers are, how calibrated the model is.

:func:`calibration_summary` computes, on one set of labelled rows (the test split of a training run,
or the calibration rows of ``crossentropy calibrate``): percentile bootstrap intervals of the log
loss, accuracy and (two classes) Brier score (:func:`bootstrap_metrics`), the ECE with its bootstrap
interval (:func:`crossentropy.calibration.calibration_error`), Murphy's decomposition of the Brier score
(:func:`crossentropy.calibration.brier_decomposition`), optionally the same before calibration and the
conformal coverage, and a one-paragraph headline. :func:`calibration_figures` draws the reliability
diagrams (before and after), the ROC and precision–recall curves; with fewer than
:data:`MIN_CALIBRATION_ROWS` rows the calibration figures and numbers are replaced by a sentence.
:func:`calibration_html` writes the sections.
"""

from __future__ import annotations

import html

import numpy as np

__all__ = ["MIN_CALIBRATION_ROWS", "N_RESAMPLES", "bootstrap_metrics", "calibration_summary", "calibration_figures",
           "calibration_html", "threshold_figure"]

#: below this many rows the page says the calibration figures are too noisy to read instead of drawing them
MIN_CALIBRATION_ROWS = 100
#: bootstrap resamples of the test metrics and of the ECE
N_RESAMPLES = 1000
#: at most this many resampled row indices are held at once (the resamples are drawn in blocks)
_BLOCK = 2_000_000
#: the figures this module draws (embedded in its sections, not among the run's other figures)
FIGURES = ("reliability_calibration.png", "roc_pr.png", "threshold_curve.png")


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def row_values(y, proba, classes, pred, pos_label=None) -> dict:
    r"""Per-row log loss, correctness and (two classes) squared error, whose means are the split's metrics.

    :math:`\ell_i = -\log \max(\hat p_{i, y_i}, \epsilon)` (:math:`\epsilon` the float64 machine epsilon,
    as scikit-learn's ``log_loss`` clips), :math:`a_i = [\hat y_i = y_i]`,
    :math:`b_i = (\hat p_{i,+} - [y_i = +])^2`.
    """
    y, p, classes = np.asarray(y), np.asarray(proba, np.float64), np.asarray(classes)
    codes = np.searchsorted(classes, y) if np.all(classes[:-1] <= classes[1:]) else \
        np.array([int(np.flatnonzero(classes == v)[0]) for v in y])
    eps = np.finfo(np.float64).eps
    out = {"log_loss": -np.log(np.clip(p[np.arange(y.size), codes], eps, 1.0)),
           "accuracy": (np.asarray(pred) == y).astype(np.float64)}
    if classes.size == 2:
        pos = classes[1] if pos_label is None else pos_label
        j = int(np.flatnonzero(classes == pos)[0])
        out["brier"] = (p[:, j] - (y == pos)) ** 2
    return out


def bootstrap_metrics(values: dict, *, n_resamples: int = N_RESAMPLES, seed: int = 0, confidence: float = 0.95) -> dict:
    r"""Percentile bootstrap intervals of the means of per-row values, all metrics on the same resamples.

    Resample :math:`r` draws :math:`n` row indices uniformly with replacement
    (``numpy.random.default_rng(seed).integers(0, n, size=(n_resamples, n))``, drawn in blocks of
    resamples in that order) and takes the mean of each metric over them; the interval is the
    :math:`(1 \mp \text{confidence})/2` quantiles of the ``n_resamples`` means (NumPy's linear
    interpolation).

    Parameters
    ----------
    values : dict of str to ndarray of shape (n,)
    n_resamples : int, default 1000
    seed : int, default 0
    confidence : float, default 0.95

    Returns
    -------
    dict of str to dict with ``value`` (the mean), ``low`` and ``high``

    Examples
    --------
    >>> out = bootstrap_metrics({"x": np.array([0.0, 1.0, 1.0, 0.0])}, n_resamples=200)
    >>> out["x"]["value"], out["x"]["low"] <= 0.5 <= out["x"]["high"]
    (0.5, True)

    References
    ----------
    B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*, Chapman & Hall, 1993, ch. 13.
    """
    names = list(values)
    V = np.column_stack([np.asarray(values[k], np.float64) for k in names])
    n = V.shape[0]
    rng = np.random.default_rng(seed)
    step = max(1, _BLOCK // max(n, 1))
    means = []
    for start in range(0, n_resamples, step):
        idx = rng.integers(0, n, size=(min(step, n_resamples - start), n))
        means.append(V[idx].mean(axis=1))
    boot = np.concatenate(means)
    low, high = np.quantile(boot, [(1 - confidence) / 2, (1 + confidence) / 2], axis=0)
    return {k: {"value": float(V[:, j].mean()), "low": float(low[j]), "high": float(high[j])} for j, k in enumerate(names)}


def _ece(y, proba, classes, seed):
    from ..calibration import calibration_error

    value, low, high = calibration_error(y, proba, labels=classes, confidence=0.95, n_resamples=N_RESAMPLES,
                                         random_state=seed)
    return {"value": value, "low": low, "high": high}


def _brier(y, proba, classes):
    from ..calibration import brier_decomposition

    d = brier_decomposition(y, proba, labels=classes, n_bins=10)
    return {"brier": d.brier, "reliability": d.reliability, "resolution": d.resolution, "uncertainty": d.uncertainty}


def calibration_summary(y, proba, classes, pred, *, rows: str, prior_log_loss=None, pos_label=None, before=None,
                        conformal=None, seed: int = 0) -> dict:
    """The numbers of the calibration sections, as plain JSON-able values.

    Parameters
    ----------
    y, proba, classes, pred
        Labels (n,), probabilities (n, K) in the order of ``classes``, predictions (n,).
    rows : str
        What the rows are (e.g. ``"the test split"``), said on the page.
    prior_log_loss : float, optional
        The baseline's log loss on these rows (the training class frequencies).
    pos_label : optional
    before : ndarray of shape (n, K), optional
        The probabilities before calibration on the same rows.
    conformal : dict, optional
        Conformal coverage (:func:`crossentropy.cli.calibrate.conformal_coverage`).
    seed : int
        Seed of the bootstraps.

    Returns
    -------
    dict
    """
    n = int(np.asarray(y).size)
    out = {"rows": rows, "n": n, "small": n < MIN_CALIBRATION_ROWS, "seed": seed, "n_resamples": N_RESAMPLES,
           "prior_log_loss": prior_log_loss, "binary": len(classes) == 2, "conformal": conformal,
           "bootstrap": bootstrap_metrics(row_values(y, proba, classes, pred, pos_label), seed=seed)}
    if not out["small"]:
        out["ece"] = _ece(y, proba, classes, seed)
        out["brier_decomposition"] = _brier(y, proba, classes)
        if before is not None:
            out["ece_before"] = _ece(y, before, classes, seed)
            out["brier_decomposition_before"] = _brier(y, before, classes)
    out["headline"] = headline(out)
    return out


def headline(s: dict) -> str:
    """One paragraph: better than the baseline? calibrated? how sure are these numbers?"""
    b = s["bootstrap"]["log_loss"]
    parts = []
    if s.get("prior_log_loss") is not None:
        prior = s["prior_log_loss"]
        if b["high"] < prior:
            parts.append(f"The model beats the baseline: its log loss {b['value']:.4f} (95 % interval "
                         f"{b['low']:.4f} to {b['high']:.4f}) is below the prior log loss {prior:.4f}.")
        elif b["low"] > prior:
            parts.append(f"The model does worse than the baseline: its log loss {b['value']:.4f} (95 % interval "
                         f"{b['low']:.4f} to {b['high']:.4f}) is above the prior log loss {prior:.4f}.")
        else:
            parts.append(f"The model is not distinguishable from the baseline: the 95 % interval of its log loss "
                         f"({b['low']:.4f} to {b['high']:.4f}) contains the prior log loss {prior:.4f}.")
    if s["small"]:
        parts.append(f"With {s['n']} rows, fewer than {MIN_CALIBRATION_ROWS}, calibration cannot be judged.")
    else:
        e = s["ece"]
        verdict = "consistent with a well-calibrated model" if e["low"] < 0.02 else "clearly miscalibrated" \
            if e["low"] > 0.05 else "somewhat miscalibrated"
        parts.append(f"Its expected calibration error is {e['value']:.4f} (95 % interval {e['low']:.4f} to "
                     f"{e['high']:.4f}): {verdict}.")
    acc = s["bootstrap"]["accuracy"]
    parts.append(f"These numbers come from {s['n']:,} rows ({s['rows']}); the 95 % intervals are "
                 f"{b['high'] - b['low']:.4f} wide for the log loss and {acc['high'] - acc['low']:.4f} for the accuracy.")
    return " ".join(parts)


def calibration_figures(summary: dict, y, proba, classes, *, pos_label=None, before=None) -> dict:
    """The section's figures by file name: ``reliability_calibration.png`` (not below
    :data:`MIN_CALIBRATION_ROWS` rows) and ``roc_pr.png``."""
    from ..plotting.calibration import plot_reliability_comparison, plot_roc_pr

    figures = {}
    if not summary["small"]:
        probas = ({"before calibration": before, "after calibration": proba} if before is not None
                  else {"model": proba})
        figures["reliability_calibration.png"] = plot_reliability_comparison(y, probas, classes=np.asarray(classes),
                                                                             pos_label=pos_label)
    if np.unique(np.asarray(y)).size >= 2:
        figures["roc_pr.png"] = plot_roc_pr(y, proba, classes=np.asarray(classes), pos_label=pos_label)
    return figures


def threshold_figure(tuning: dict):
    """``threshold_curve.png`` of a tuned threshold's record (its ``thresholds``, ``scores``, ``threshold``, ``objective``)."""
    from ..plotting.calibration import plot_threshold_curve

    return plot_threshold_curve(tuning["thresholds"], tuning["scores"], threshold=tuning["threshold"],
                                objective=tuning["objective"])


def _interval(d) -> str:
    return f"{d['value']:.4f} <span class='muted'>[{d['low']:.4f}, {d['high']:.4f}]</span>"


def calibration_html(s: dict | None, tuning: dict | None, figures, img) -> list[str]:
    """The sections ``Uncertainty``, ``Calibration``, ``Decisions`` as HTML lines (the headline goes first on the page).

    ``figures`` maps the names of :data:`FIGURES` to PNG bytes; ``img(name, data)`` embeds one.
    """
    out = []
    if s is not None:
        out += ["<h2 id='uncertainty'>Uncertainty of the metrics</h2>",
                f"<p class='muted'>Percentile bootstrap, {s['n_resamples']} resamples of the {s['n']:,} rows of "
                f"{_e(s['rows'])} (seed {s['seed']}): value [95 % interval].</p>", "<table id='bootstrap'>"]
        labels = {"log_loss": "log loss (nats)", "accuracy": "accuracy", "brier": "Brier score"}
        for k, d in s["bootstrap"].items():
            out.append(f"<tr><td class='l'>{_e(labels[k])}</td><td>{_interval(d)}</td></tr>")
        out.append("</table>")
        out.append("<h2 id='calibration'>Calibration</h2>")
        if s["small"]:
            out.append(f"<p class='note' id='too-few-rows'>{s['n']} rows ({_e(s['rows'])}): fewer than "
                       f"{MIN_CALIBRATION_ROWS}, the calibration figures (reliability diagrams) and the ECE are too noisy to read, so "
                       "they are not shown. Evaluate the model on more labelled rows (crossentropy evaluate).</p>")
        else:
            out.append(f"<p class='muted'>On {_e(s['rows'])}. ECE: top-label, 15 equal-width bins, 95 % bootstrap "
                       "interval. Brier score decomposition (Murphy 1973) on 10 equal-width bins of each class's "
                       "probability: Brier = reliability - resolution + uncertainty.</p>")
            cols = [("", "ece", "brier_decomposition")]
            if "ece_before" in s:
                cols = [("before calibration", "ece_before", "brier_decomposition_before"),
                        ("after calibration", "ece", "brier_decomposition")]
            out.append("<table id='ece'><tr><th class='l'></th>" + "".join(f"<th>{_e(c[0] or 'model')}</th>" for c in cols)
                       + "</tr><tr><td class='l'>ECE</td>" + "".join(f"<td>{_interval(s[c[1]])}</td>" for c in cols)
                       + "</tr>")
            for key in ("brier", "reliability", "resolution", "uncertainty"):
                out.append(f"<tr><td class='l'>{_e(key)}</td>"
                           + "".join(f"<td>{s[c[2]][key]:.4f}</td>" for c in cols) + "</tr>")
            out.append("</table>")
            if "reliability_calibration.png" in figures:
                out.append(img("reliability_calibration.png", figures["reliability_calibration.png"]))
        conf = s.get("conformal")
        if conf:
            out.append(f"<h3 id='conformal'>Conformal prediction sets</h3><p class='muted'>{_e(conf['how'])}</p>"
                       "<table id='conformal-coverage'><tr><th class='l'>class</th><th>rows</th><th>coverage</th>"
                       "<th>mean set size</th></tr>")
            for r in conf["table"]:
                out.append(f"<tr><td class='l'>{_e(r['class'])}</td><td>{r['support']:,.0f}</td>"
                           f"<td>{r['coverage']:.4f}</td><td>{r['mean_set_size']:.3f}</td></tr>")
            out.append("</table>")
    if s is not None or tuning is not None:
        out.append("<h2 id='decisions'>Decisions</h2>")
    if s is not None and "roc_pr.png" in figures:
        why = "" if s["binary"] else " One-vs-rest curves, one per class (at most 10)."
        out.append(f"<p class='muted'>ROC and precision-recall curves on {_e(s['rows'])}.{why}</p>")
        out.append(img("roc_pr.png", figures["roc_pr.png"]))
    if tuning is not None:
        out.append(f"<p id='threshold-tuning'>Decision threshold {tuning['threshold']:.4f}, chosen to maximise "
                   f"{_e(tuning['objective'])} by {tuning['cv']}-fold cross-validation on the training split "
                   f"(mean {tuning['best_score']:.4f} at that threshold).</p>")
        if "threshold_curve.png" in figures:
            out.append(img("threshold_curve.png", figures["threshold_curve.png"]))
    return out
