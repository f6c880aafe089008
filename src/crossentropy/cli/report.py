"""What a training run reports and writes: the metrics, the printed table, the run directory.

Shared by ``crossentropy train`` (whatever its data source) and ``evaluate``, so that every route
prints the same table and writes the same files: ``model.json`` + ``model.safetensors``, ``metrics.json``, the PNG plots
and ``report.html`` (:mod:`crossentropy.cli.report_page`), all built in a
temporary directory that is renamed into place only when complete.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

__all__ = ["compute_metrics", "format_metrics_table", "report_context", "run_figures", "write_run", "write_figures_dir"]

_ROWS = (("log_loss", "log loss"), ("log_loss_bits", "log loss, bits"), ("accuracy", "accuracy"),
         ("roc_auc", "ROC AUC"), ("brier", "Brier score"))
_BASELINE_ROWS = (("log_loss", "prior log loss"), ("accuracy", "majority accuracy"))
_LABEL = 19
#: per-class rows printed on stdout (all of them are in metrics.json and the report)
MAX_CLASS_ROWS = 20


def compute_metrics(y_true, proba, classes, y_pred=None, *, prior=None, pos_label=None, threshold=None) -> dict:
    r"""The metrics of one split: :func:`crossentropy.cli.evaluation.split_metrics`.

    .. math::
        \text{log loss} = -\frac1n\sum_i \log \hat p_{i, y_i}, \qquad
        \text{Brier} = \frac1n \sum_i (\hat p_{i,+} - [y_i = +])^2

    Parameters
    ----------
    y_true : array_like of shape (n,)
    proba : ndarray of shape (n, n_classes), columns in the order of ``classes``
    classes : array_like of shape (n_classes,)
    y_pred : array_like of shape (n,), optional
        Predicted labels (default: the most probable class, or ``threshold`` on two classes).
    prior : dict, optional
        The training split's class frequencies (:func:`~crossentropy.cli.evaluation.class_prior`),
        for the baseline.
    pos_label, threshold : optional
        The positive class and decision threshold of a binary model.

    Returns
    -------
    dict with keys ``n``, ``log_loss``, ``log_loss_bits``, ``accuracy``, ``roc_auc``, for two classes
    ``brier``, ``pos_label``, ``threshold``; ``baseline`` (with ``prior``), ``per_class``, ``macro_f1``.
    """
    from .evaluation import split_metrics

    return split_metrics(y_true, proba, classes, prior=prior, pos_label=pos_label, threshold=threshold,
                         y_pred=y_pred)


def _cell(v, width):
    if v is None:
        return f"{'n/a':>{width}}"
    return f"{v:>{width}d}" if isinstance(v, int) and not isinstance(v, bool) else f"{v:>{width}.4f}"


def format_metrics_table(columns: dict) -> str:
    """A plain-text table with one column per split, e.g. ``{"train": {...}, "test": {...}}``.

    Metrics absent from every column are left out; a missing value prints as ``n/a``. Below the
    model's rows come the baseline's (the training class frequencies as the prediction), a note for
    each split on which the model does not beat it, and the per-class precision, recall, F1 and
    support of the last split (at most :data:`MAX_CLASS_ROWS` classes; all are in ``metrics.json``).

    Examples
    --------
    >>> from crossentropy.cli.report import format_metrics_table
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
    from .evaluation import beats_baseline

    for n in names:
        for text in beats_baseline(columns[n]):
            lines.append(f"note: on {n}, the model's {text}: it does not beat the baseline")
    last = names[-1] if names else None
    per_class = columns[last].get("per_class") if last else None
    if per_class:
        lines.append("")
        head = f"per class ({last})"
        cw = max(len(head), *(len(str(c["class"])) for c in per_class[:MAX_CLASS_ROWS])) + 1
        lines.append(f"{head:<{cw}}" + "".join(f"{h:>10}" for h in ("precision", "recall", "F1", "support")))
        for c in per_class[:MAX_CLASS_ROWS]:
            lines.append(f"{str(c['class']):<{cw}}" + "".join(f"{c[k]:>10.4f}" for k in ("precision", "recall", "f1"))
                         + f"{c['support']:>10d}")
        if len(per_class) > MAX_CLASS_ROWS:
            lines.append(f"... and {len(per_class) - MAX_CLASS_ROWS} more classes (metrics.json, report.html)")
    return "\n".join(lines)


def run_figures(estimator, *, y_eval, proba_eval, pred_eval, two_features=None, split=None, curves=None,
                pos_label=None) -> dict:
    """The run's figures by file name: training curve, reliability diagram, confusion matrix and,
    when ``two_features=(X_raw, y, names, transform)`` is given, the decision boundary.

    ``y_eval``/``proba_eval``/``pred_eval`` are the rows of ``split`` (named in the titles);
    ``curves`` the per-step log loss of each split (:mod:`crossentropy.cli.curves`), drawn against
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
        from .evaluation import decide

        pred_eval = decide(proba_eval, classes)
    from .evaluation import display_labels

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


def report_context(argv, metrics, *, prep=None, estimator=None, data=None, summary_data=None, data_notes=None,
                   title=None, splits=None, cov_type="nonrobust", groups=None) -> dict:
    """What the report page shows besides the figures (:func:`crossentropy.cli.report_page.collect_context`);
    ``argv`` is the command line, the page's provenance."""
    from .report_page import collect_context

    return collect_context(argv, metrics, prep=prep, estimator=estimator, data=data, summary_data=summary_data,
                           data_notes=data_notes, title=title, splits=splits, cov_type=cov_type, groups=groups)


def write_run(out_dir, *, estimator, metrics: dict, figures: dict, preprocessing=None, files=None,
              overwrite: bool = False, report=None, calibration=None) -> Path:
    """Write a complete run directory atomically and return its path.

    Contents: ``model.json`` + ``model.safetensors`` (:func:`crossentropy.model_io.save_model`, with
    ``metrics`` kept as ``extra``), ``metrics.json``, one PNG per entry of ``figures``, any
    ``files`` (name -> JSON-able object, written as JSON, or a str written as is) and, with ``report``
    (from :func:`report_context`), ``report.html``: one self-contained page with every figure embedded.
    Everything is built in a temporary directory beside ``out_dir`` that is renamed to ``out_dir``
    only when complete. ``calibration`` (record, calibrator) goes to ``save_model`` (``crossentropy calibrate``).
    """
    from ..io.atomic import atomic_directory
    from ..io.model_files import save_model

    out_dir = Path(out_dir)
    with atomic_directory(out_dir, overwrite=overwrite) as tmp:
        save_model(estimator, tmp, preprocessing=preprocessing, extra={"metrics": metrics}, calibration=calibration)
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=1, allow_nan=False) + "\n", encoding="utf-8")
        for name, obj in (files or {}).items():
            text = obj if isinstance(obj, str) else json.dumps(obj, allow_nan=False) + "\n"  # str: written as is (CSV)
            (tmp / name).write_text(text, encoding="utf-8")
        _write_figures(tmp, figures, metrics, report)
    return out_dir


def _write_figures(tmp, figures, metrics, report):
    """The PNGs of ``figures`` and, with ``report``, ``report.html`` embedding them, into ``tmp``."""
    from ..plotting import save_figure

    for name, fig in figures.items():
        save_figure(fig, tmp / name)
    if report is not None:
        from .report_page import render_report

        pngs = {name: (tmp / name).read_bytes() for name in figures if name.lower().endswith(".png")}
        (tmp / "report.html").write_text(render_report(report, metrics, pngs), encoding="utf-8")


def write_figures_dir(out_dir, *, metrics: dict, figures: dict, report=None, overwrite: bool = False) -> Path:
    """Write ``metrics.json``, the PNGs of ``figures`` and (with ``report``) ``report.html`` into a new
    directory atomically (``evaluate --report-dir``, ``plot run``); return its path."""
    from ..io.atomic import atomic_directory

    out_dir = Path(out_dir)
    with atomic_directory(out_dir, overwrite=overwrite) as tmp:
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=1, allow_nan=False) + "\n", encoding="utf-8")
        _write_figures(tmp, figures, metrics, report)
    return out_dir
