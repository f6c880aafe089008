"""The report's figures and its plain-text table.

:func:`run_figures` draws the training curve, the reliability diagram, the confusion matrix and (two
numeric features) the decision boundary; :func:`png_bytes` renders a figure as the PNG the page
embeds and the run directory holds; :func:`format_metrics_table` is the table printed on stdout.
"""

from __future__ import annotations

import io

import numpy as np

__all__ = ["run_figures", "png_bytes", "format_metrics_table", "MAX_TEXT_ROWS"]

_ROWS = (("log_loss", "log loss"), ("log_loss_bits", "log loss, bits"), ("accuracy", "accuracy"),
         ("roc_auc", "ROC AUC"), ("brier", "Brier score"))
_BASELINE_ROWS = (("log_loss", "prior log loss"), ("accuracy", "majority accuracy"), ("brier", "prior Brier"),
                  ("macro_f1", "majority macro F1"))
_LABEL = 19
#: per-class rows of the text table (all of them are in metrics.json and the report)
MAX_TEXT_ROWS = 20


def _cell(v, width):
    if v is None:
        return f"{'n/a':>{width}}"
    return f"{v:>{width}d}" if isinstance(v, int) and not isinstance(v, bool) else f"{v:>{width}.4f}"


def format_metrics_table(columns: dict) -> str:
    """A plain-text table with one column per split, e.g. ``{"train": {...}, "test": {...}}``.

    Metrics absent from every column are left out; a missing value prints as ``n/a``. Below the
    model's rows come the baseline's (the training class frequencies as the prediction), a note for
    each split on which the model does not beat it, and the per-class precision, recall, F1 and
    support of the last split (at most :data:`MAX_TEXT_ROWS` classes; all are in ``metrics.json``).

    Examples
    --------
    >>> from crossentropy.report.figures import format_metrics_table
    >>> print(format_metrics_table({"train": {"n": 4, "log_loss": 0.25, "accuracy": 1.0}}))
                           train
    rows                       4
    log loss              0.2500
    accuracy              1.0000
    """
    names = [k for k, v in columns.items() if v is not None]
    width = max(9, *(len(n) + 1 for n in names))
    lines = [" " * _LABEL + "".join(f"{n:>{width}}" for n in names),
             f"{'rows':<{_LABEL}}" + "".join(f"{columns[n]['n']:>{width}d}" for n in names)]
    multiclass = any(len(columns[n].get("per_class") or ()) > 2 for n in names)
    for key, label in _ROWS:
        if any(key in columns[n] for n in names):
            label = "ROC AUC, ovr macro" if key == "roc_auc" and multiclass else label
            lines.append(f"{label:<{_LABEL}}" + "".join(_cell(columns[n].get(key), width) for n in names))
    if any(columns[n].get("baseline") for n in names):
        for key, label in _BASELINE_ROWS:
            lines.append(f"{label:<{_LABEL}}"
                         + "".join(_cell((columns[n].get("baseline") or {}).get(key), width) for n in names))
    from .metrics import beats_baseline

    for n in names:
        for text in beats_baseline(columns[n]):
            lines.append(f"note: on {n}, the model's {text}: it does not beat the baseline")
    last = names[-1] if names else None
    per_class = columns[last].get("per_class") if last else None
    if per_class:
        lines.append("")
        head = f"per class ({last})"
        cw = max(len(head), *(len(str(c["class"])) for c in per_class[:MAX_TEXT_ROWS])) + 1
        lines.append(f"{head:<{cw}}" + "".join(f"{h:>10}" for h in ("precision", "recall", "F1", "support")))
        for c in per_class[:MAX_TEXT_ROWS]:
            lines.append(f"{str(c['class']):<{cw}}" + "".join(f"{c[k]:>10.4f}" for k in ("precision", "recall", "f1"))
                         + f"{c['support']:>10d}")
        if len(per_class) > MAX_TEXT_ROWS:
            lines.append(f"... and {len(per_class) - MAX_TEXT_ROWS} more classes (metrics.json, report.html)")
    return "\n".join(lines)


def run_figures(estimator, *, y_eval, proba_eval, pred_eval, two_features=None, split=None, curves=None,
                pos_label=None) -> dict:
    """The run's figures by file name: training curve, reliability diagram, confusion matrix and,
    when ``two_features=(X_raw, y, names, transform)`` is given, the decision boundary.

    ``y_eval``/``proba_eval``/``pred_eval`` are the rows of ``split`` (named in the titles);
    ``curves`` the per-step log loss of each split (:mod:`crossentropy.report.curves`), drawn against
    epochs for a network (with the epoch early stopping kept, and its validation curve) and
    iterations otherwise; without ``curves`` the estimator's own objective curve is drawn.
    """
    from .. import plotting

    classes = np.asarray(estimator.classes_)
    figures = {}
    network = hasattr(estimator, "hidden_layer_sizes")
    unit = "epoch" if network else "iteration"
    if curves:
        named = {f"{name} rows": c for name, c in curves.items()}
        val = getattr(estimator, "validation_loss_curve_", None) if network else None
        best = None
        if val is not None and np.size(val):
            named["validation rows (early stopping)"] = val
            best = int(np.argmin(val)) + 1
        figures["training_curve.png"] = plotting.plot_training_curve(estimator, curves=named, unit=unit, best=best)
    elif getattr(estimator, "loss_curve_", None) is not None and np.size(estimator.loss_curve_):
        figures["training_curve.png"] = plotting.plot_training_curve(estimator, unit=unit)
    if pred_eval is None:
        from .metrics import decide

        pred_eval = decide(proba_eval, classes)
    from .metrics import display_labels

    figures["reliability.png"] = plotting.plot_reliability_diagram(y_eval, proba_eval, classes=classes, split=split,
                                                                   pos_label=pos_label if classes.size == 2 else None)
    figures["confusion_matrix.png"] = plotting.plot_confusion_matrix(y_eval, pred_eval, labels=display_labels(classes, y_eval),
                                                                     split=split)
    if two_features is not None:
        X2, y2, names, transform = two_features
        figures["decision_boundary.png"] = plotting.plot_decision_boundary(
            estimator, X2, y2, feature_names=names, transform=transform
        )
    return figures


def png_bytes(fig, *, dpi: int = 100) -> bytes:
    """The PNG of a matplotlib figure, as :func:`crossentropy.plotting.save_figure` writes it.

    Examples
    --------
    >>> from crossentropy.plotting import plot_log_loss
    >>> png_bytes(plot_log_loss())[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=dpi, format="png")
    return buffer.getvalue()
